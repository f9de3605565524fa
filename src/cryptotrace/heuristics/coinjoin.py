"""CoinJoin detection: transactions built by many people together.

In a CoinJoin several unrelated people put their coins into one
transaction and each gets back outputs of the same, equal amount, so an
observer cannot tell whose coins went where. Common-input ownership is
**wrong** for these transactions (the inputs belong to different people),
so clustering skips them by default.

Each detector is a :class:`~cryptotrace.heuristics.base.TxFlag`:
``h(chain)`` returns ``True`` for every transaction it recognises. Every
rule is the published rule of a named scanner or wallet (see each
detector's ``reference``), re-written here from its description:

* :data:`whirlpool` -- Samourai Whirlpool: 5 to 8 inputs (surge cycles), as many equal outputs at a pool size,
  inputs that are the pool size (remixers) or the pool size plus a miner-fee margin (new entrants)
* :data:`wasabi1` -- Wasabi Wallet 1.x: 10 or more equal outputs of about 0.1 BTC (the base mixing level)
* :data:`wasabi2` -- Wasabi Wallet 2.0 (WabiSabi): 20+ segwit inputs, outputs sorted largest first and
  mostly at the standard denominations
* :data:`joinmarket` -- JoinMarket: one equal amount for n >= 3 participants, at most one change each
* :data:`equal_output` -- the generic rule (BlockSci's equal-output rule, with a coordinator fee allowed)
* :data:`coinjoin` -- any of the five

Caveats (not CoinJoin findings; clustering does not skip them):

* :data:`payjoin_likely` -- a two-party payment (PayJoin) looks like an ordinary payment, but its inputs
  come from two people.
* :data:`stonewall_like` -- two equal outputs and one or two changes: Samourai's STONEWALL makes a
  one-wallet payment look like a two-person CoinJoin (and STONEWALLx2 really is two people).
* :data:`whirlpool_tx0` -- a Whirlpool "tx0": one user splits a coin into pool-sized premix coins. Its inputs
  are one wallet's; it is the step *before* the CoinJoin, not a CoinJoin.

Outputs without an address (OP_RETURN data carriers) never count as
participants' outputs, and equal outputs below 5,000 sats (dust, token
protocol markers such as Omni's and Colu's) never make a CoinJoin.

Where an input's value is unknown (raw blocks spending coins from outside
the data), the value checks are made on the inputs whose value is known
and the unknown ones are not held against the transaction; the shape checks
on the outputs still apply.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import SCRIPT_TYPES, TxFlag, CombinedFlag, sorted_unique, features, isin_sorted

__all__ = [
    "EqualOutput",
    "Whirlpool",
    "Wasabi1",
    "Wasabi2",
    "JoinMarket",
    "PayJoinLikely",
    "StonewallLike",
    "WhirlpoolTx0",
    "equal_output",
    "whirlpool",
    "wasabi1",
    "wasabi2",
    "joinmarket",
    "coinjoin",
    "payjoin_likely",
    "stonewall_like",
    "whirlpool_tx0",
    "WHIRLPOOL_POOLS",
    "WHIRLPOOL_FEES",
    "wasabi2_denominations",
    "REFERENCES",
    "FAMILIES",
    "accuracy_table",
]

#: Where each rule comes from (repository, file, commit read for this module; papers and documentation).
REFERENCES = {
    "blocksci": (
        "BlockSci isCoinjoin, citp/BlockSci src/heuristics/tx_identification.cpp "
        "@31ca093750aa454877617bdf5b46ab27fce87989 (Kalodner et al., BlockSci, USENIX Security 2020)"
    ),
    "dumplings": (
        "Dumplings scanner, nopara73/Dumplings Dumplings/Scanning/Scanner.cs and Constants.cs "
        "@36f28f27ab3753211acdbf9dde09ceb760ee834b; its fork crocs-muni/Dumplings "
        "@4739bdaf6df01a81172e8dba849392c214222d46 (Whirlpool 5-10 in = out, Ashigaru pools, "
        "Wasabi 2 from 15 inputs)"
    ),
    "graphsense": (
        "GraphSense, graphsense/graphsense-lib src/graphsenselib/db/asynchronous/services/"
        "heuristics_service.py @a82914bf4bcb6210ff585ee5fc966b839cfdbd31 (Whirlpool 5-8 with surge "
        "cycles, tx0, Wasabi 1.0/1.1/2.0, JoinMarket, Stonewall veto)"
    ),
    "stuetz": (
        "Stuetz, Stockinger, Haslhofer, Moreno-Sanchez, Maffei: Adoption and Actual Privacy of Decentralized "
        "CoinJoin Implementations in Bitcoin, ACM AFT 2022 (arXiv 2109.10229; first version 'Pinpointing and "
        "Measuring Wasabi and Samourai CoinJoins'): the Wasabi and Samourai detection heuristics (Samourai: "
        "5 equal outputs at a pool size, 5 inputs, some equal to it, the rest up to 0.0011 BTC above)"
    ),
    "moeser": (
        "Moeser & Boehme, Join Me on a Market for Anonymity, WEIS 2016/PETS 2017: JoinMarket CoinJoins "
        "pay n equal outputs, one change per participant, n <= inputs"
    ),
    "whirlpool_docs": (
        "Samourai Whirlpool: pools 0.001/0.01/0.05/0.5 BTC with pool fees 5,000/50,000/175,000/"
        "1,750,000 sats paid in tx0 (GraphSense's WHIRLPOOL_POOLS table), 5-input mixes and 'surge "
        "cycles' of 6 to 8 (GraphSense's docstring); Samourai's own documentation (code.samourai.io, "
        "offline since 2024) was not read"
    ),
    "wasabi_docs": (
        "Wasabi Wallet 1.x (ZeroLink) documentation: base denomination ~0.1 BTC with mixing levels "
        "x2, x4 ...; WalletWasabi/WalletWasabi @4d0615d13224d0711e7301c4ed6c7abb10c89c8f: "
        "WalletWasabi/WabiSabi/Coordinator/WabiSabiConfig.cs (at most 100 inputs, at least half that, 40% "
        "in blame rounds; P2WPKH and P2TR inputs), WalletWasabi/WabiSabi/Client/CoinJoin/Client/Decomposer/"
        "DenominationBuilder.cs (powers of 2 and 3, 2x powers of 3, 1-2-5 x powers of 10), "
        "WalletWasabi/WabiSabi/Models/MultipartyTransaction/SigningState.cs (inputs by amount and outputs "
        "by value, largest first)"
    ),
    "stonewall_docs": (
        "Samourai STONEWALL and STONEWALLx2 (2 equal outputs + 2 changes), as GraphSense's "
        "_is_stonewall describes them; Samourai's own documentation was not read"
    ),
}

#: Whirlpool pool sizes in satoshis (0.001, 0.01, 0.05, 0.5 BTC)
WHIRLPOOL_POOLS = (100_000, 1_000_000, 5_000_000, 50_000_000)
#: the pool fee paid to the coordinator in each pool's tx0 (Samourai documentation; GraphSense's table)
WHIRLPOOL_FEES = {100_000: 5_000, 1_000_000: 50_000, 5_000_000: 175_000, 50_000_000: 1_750_000}
#: pools of Ashigaru, Whirlpool's 2025 successor (crocs-muni/Dumplings Constants.cs)
ASHIGARU_POOLS = (2_500_000, 25_000_000)
_POOLS = np.array(sorted(WHIRLPOOL_POOLS + ASHIGARU_POOLS), dtype=np.int64)
#: a new entrant's input is the pool size plus 100 .. 110,000 sats for the miner fee (GraphSense)
WHIRLPOOL_EPS_MIN, WHIRLPOOL_EPS_MAX = 100, 110_000
#: Whirlpool mixes have 5 inputs, up to 8 in surge cycles (GraphSense; Samourai)
WHIRLPOOL_MIN, WHIRLPOOL_MAX = 5, 8
#: equal outputs below this are dust or token markers, never a CoinJoin denomination (GraphSense's v_min)
MIN_DENOMINATION = 5_000
#: Wasabi 1.x base denomination about 0.1 BTC, within 0.02 BTC (Dumplings Constants.cs)
WASABI1_BASE, WASABI1_PRECISION, WASABI1_MIN_EQUAL = 10_000_000, 2_000_000, 10
#: Wasabi 2 minimum inputs: the coordinator's minimum is half its maximum (50 of 100 by default, 40 in blame rounds;
#: WabiSabiConfig.cs) and later coordinators run smaller rounds: 20 as GraphSense (Dumplings' fork uses 15)
WASABI2_MIN_INPUTS = 20
#: JoinMarket needs at least 3 participants (GraphSense); big rounds have few inputs and ~2 outputs each
JOINMARKET_MIN_PARTICIPANTS = 3
#: Dumplings' shortcut for the subset sum: no input may exceed one participant's outputs (the amount plus the
#: largest other output). Dumplings takes 0.0001 BTC off that bound; we allow up to 0.001 BTC over it instead,
#: because a JoinMarket taker pays the miners and the makers out of its input (measured misses otherwise).
_SUBSET_SLACK = 100_000

_P2WPKH = SCRIPT_TYPES.index("p2wpkh")
_P2TR = SCRIPT_TYPES.index("p2tr")
_NULLDATA = SCRIPT_TYPES.index("nulldata")


def wasabi2_denominations() -> np.ndarray:
    """Wasabi 2.0 standard output amounts (sats), as the Dumplings scanner lists them.

    Powers of 2, powers of 3, 2x powers of 3, and the 1-2-5 series of powers of 10, from 5,000 sats to
    134,375,000,000 sats (1,343.75 BTC).
    """
    vals = set()
    lo, top = 5_000, 134_375_000_000
    for base, mults in ((2, (1,)), (3, (1, 2)), (10, (1, 2, 5))):
        p = 1
        while p <= top:
            for m in mults:
                if lo <= p * m <= top:
                    vals.add(p * m)
            p *= base
    return np.array(sorted(vals), dtype=np.int64)


_WW2 = wasabi2_denominations()


# --------------------------------------------------------------------------- shared numbers
class _Numbers:
    """Per-transaction numbers the CoinJoin rules share (computed once per chain, all vectorised)."""

    def __init__(self, f):
        n = f.n_txs
        t_out = f.out_tx
        # participants' outputs: those with an address that are not OP_RETURN data carriers
        sp = (f.out_addr >= 0) & (f.out_script_type != _NULLDATA)
        self.sp = sp
        self.tx0 = None  # the whirlpool_tx0 flags, once asked for
        self.n_sp = np.bincount(t_out[sp], minlength=n)
        rows = np.flatnonzero(sp)
        t, v = t_out[rows], f.out_value[rows]
        # distinct output addresses
        keys = sorted_unique(t.astype(np.int64) * max(f.n_addr, 1) + f.out_addr[rows])
        self.n_sp_addr = np.bincount(keys // max(f.n_addr, 1), minlength=n)
        # outputs paid back to one of the tx's own input addresses (a wallet's reused change: no CoinJoin
        # participant does this; BlockSci's isPossibleCoinjoin sets such outputs aside)
        self.n_self = np.bincount(t_out[sp & f.is_self_payment], minlength=n)
        # runs of equal values per tx: (run_t, run_v, run_len), sorted by tx then value
        # (a sort of the values to ranks, then one sort of tx * n_values + rank: faster than lexsort)
        if len(t):
            o = np.argsort(v)
            vs = v[o]
            step = np.r_[True, vs[1:] != vs[:-1]]
            value_of_rank = vs[step]
            nv = len(value_of_rank)
            rank = np.empty(len(v), dtype=np.int64)
            rank[o] = np.cumsum(step) - 1
            key = np.sort(t.astype(np.int64) * nv + rank)
            start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            run_len = np.diff(np.r_[start, len(key)])
            run_t, run_v = key[start] // nv, value_of_rank[key[start] % nv]
        else:
            run_len = run_t = run_v = np.zeros(0, dtype=np.int64)
        self.run_t, self.run_v, self.run_len = run_t, run_v, run_len
        rep = run_len >= 2
        self.n_rep_groups = np.bincount(run_t[rep], minlength=n)  # values repeated (any amount)
        self.n_singles = np.bincount(run_t[~rep], minlength=n)  # values that occur once
        # the denomination: the most common repeated value >= MIN_DENOMINATION (ties: the larger value)
        self.top_cnt, self.top_val = _top_run(run_t, run_v, run_len, (run_v >= MIN_DENOMINATION) & rep, n)
        # the largest spendable output that is not the denomination
        other = sp.copy()
        other[sp] = f.out_value[sp] != self.top_val[t_out[sp]]
        self.max_other = _max_by_tx(t_out[other], f.out_value[other], n, -1)
        self.min_sp = _min_by_tx(t, v, n)
        self.max_sp = _max_by_tx(t, v, n, -1)
        # script types: participant outputs not P2WPKH; inputs (where known) not P2WPKH, not P2WPKH/P2TR
        st = f.out_script_type[rows]
        self.out_not_wpkh = np.bincount(t[st != _P2WPKH], minlength=n)
        ist = f.in_script_type
        known_t = ist >= 0
        self.in_not_wpkh = np.bincount(f.in_tx[known_t & (ist != _P2WPKH)], minlength=n)
        self.in_not_w2 = np.bincount(f.in_tx[known_t & (ist != _P2WPKH) & (ist != _P2TR)], minlength=n)
        # input values (unknown ones marked -1)
        iv = f.in_value
        known = iv >= 0
        self.in_known = known
        self.n_in_unknown = np.bincount(f.in_tx[~known], minlength=n)
        self.max_in = _max_by_tx(f.in_tx[known], iv[known], n, -1)
        # the most inputs any one address brings to the tx
        ok = f.in_addr >= 0
        k = np.sort(f.in_tx[ok].astype(np.int64) * max(f.n_addr, 1) + f.in_addr[ok])
        if len(k):
            s = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
            ln = np.diff(np.r_[s, len(k)])
            self.top_in_addr = _max_by_tx(k[s] // max(f.n_addr, 1), ln, n, 0)
        else:
            self.top_in_addr = np.zeros(n, dtype=np.int64)
        # order: participant outputs and known input values never rise from one to the next (Wasabi 2)
        rise = (t[1:] == t[:-1]) & (v[1:] > v[:-1])
        self.out_rises = np.bincount(t[1:][rise], minlength=n)
        ki = np.flatnonzero(known)
        it, ivk = f.in_tx[ki], iv[ki]
        rise = (it[1:] == it[:-1]) & (ivk[1:] > ivk[:-1])
        self.in_rises = np.bincount(it[1:][rise], minlength=n)


def _reduce_sorted(t, v, n, ufunc, empty):
    """``ufunc`` of ``v`` per tx, for rows already grouped by tx (``t`` non-decreasing); ``empty`` elsewhere."""
    out = np.full(n, empty, dtype=np.int64)
    if len(t):
        starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        out[t[starts]] = ufunc.reduceat(v, starts)
    return out


def _max_by_tx(t, v, n, empty):
    return _reduce_sorted(t, v, n, np.maximum, empty)


def _min_by_tx(t, v, n):
    return _reduce_sorted(t, v, n, np.minimum, np.iinfo(np.int64).max)


def _top_run(run_t, run_v, run_len, keep, n):
    """Per tx the longest kept run (ties: the larger value): (count, value), (0, -1) where none."""
    cnt = np.zeros(n, dtype=np.int64)
    val = np.full(n, -1, dtype=np.int64)
    rt, rv, rl = run_t[keep], run_v[keep], run_len[keep]
    if len(rt):
        # runs come sorted by tx, then value: per tx the longest, and of the longest the last (larger value)
        best = _reduce_sorted(rt, rl, n, np.maximum, 0)
        idx = np.flatnonzero(rl == best[rt])
        last = idx[np.r_[rt[idx][1:] != rt[idx][:-1], True]]
        cnt[rt[last]] = rl[last]
        val[rt[last]] = rv[last]
    return cnt, val


def numbers(chain) -> _Numbers:
    """The shared CoinJoin numbers of ``chain`` (cached with the chain's other heuristic numbers)."""
    f = features(chain)
    got = f.__dict__.get("_coinjoin_numbers")
    if got is None:
        got = _Numbers(f)
        f.__dict__["_coinjoin_numbers"] = got
    return got


def _not_coinbase(f):
    return ~f.is_coinbase


def _subset_shortcut(chain):
    """Dumplings' shortcut for the subset-sum test: the largest known input is no more than the denomination
    plus the largest other output (plus a fee margin; true where nothing is known)."""
    c = numbers(chain)
    has_other = c.max_other >= 0
    return ~has_other | (c.max_in < 0) | (c.max_in <= c.top_val + c.max_other + _SUBSET_SLACK)


# --------------------------------------------------------------------------- the detectors
class WhirlpoolTx0(TxFlag):
    name = "whirlpool_tx0"
    rationale = (
        "A Whirlpool tx0 is one user's transaction before the CoinJoin: it splits a coin into premix coins "
        "of the pool size plus a miner-fee margin (100 to 110,000 sats over it), pays the coordinator's pool "
        "fee (one output between half and three times the published fee, or one exactly the published fee "
        "when the change also falls in that range) and at most one change. Its "
        "inputs are one wallet's, so it is NOT a CoinJoin; it is flagged so the equal-output rules do not "
        "mistake its equal premix outputs for participants. A tx0 carries exactly one OP_RETURN (its "
        "payload for the coordinator)."
    )
    reference = f"{REFERENCES['graphsense']} (_whirlpool_tx0_heuristic); {REFERENCES['whirlpool_docs']}"
    because = "is a Whirlpool tx0 (premix split): one wallet's coins, before a CoinJoin"

    def flags(self, chain):
        c = numbers(chain)
        if c.tx0 is None:  # the other rules ask for it too: computed once per chain
            c.tx0 = self._compute(chain)
        return c.tx0

    def _compute(self, chain):
        f = features(chain)
        c = numbers(chain)
        n = f.n_txs
        t_out = f.out_tx
        hit = np.zeros(n, dtype=bool)
        sp_rows = np.flatnonzero(c.sp)
        t, v = t_out[sp_rows], f.out_value[sp_rows]
        for d, fee in WHIRLPOOL_FEES.items():  # four pools: a loop over pools, not over transactions
            in_range = (v >= d + WHIRLPOOL_EPS_MIN) & (v <= d + WHIRLPOOL_EPS_MAX)
            # the most common premix value among the runs of this pool's range
            rkeep = (c.run_v >= d + WHIRLPOOL_EPS_MIN) & (c.run_v <= d + WHIRLPOOL_EPS_MAX)
            n_pre, _ = _top_run(c.run_t, c.run_v, c.run_len, rkeep, n)
            fee_out = (v >= fee // 2) & (v <= 3 * fee) & ~in_range
            n_fee = np.bincount(t[fee_out], minlength=n)
            exact = np.bincount(t[v == fee], minlength=n)  # the published pool fee itself
            hit |= (n_pre >= 1) & (c.n_sp - n_pre <= 2) & ((n_fee == 1) | (exact >= 1))
        n_opret = f.n_out - c.n_sp  # exactly one OP_RETURN: the tx0's payload for the coordinator (GraphSense)
        return _not_coinbase(f) & hit & (n_opret == 1)


class Whirlpool(TxFlag):
    name = "whirlpool"
    rationale = (
        "Samourai Whirlpool mixes have 5 inputs and 5 outputs, or 6, 7 or 8 of each in 'surge cycles' "
        "(since 2023): every output exactly the pool size (0.001, 0.01, 0.05 or 0.5 BTC; Ashigaru's 0.025 "
        "and 0.25 too), all to different segwit (P2WPKH) addresses, each input from a different address. "
        "The inputs are the pool size (remixers, free) or the pool size plus 100 to 110,000 sats (new "
        "entrants paying the miner fee); at least one new entrant pays. OP_RETURN outputs are ignored."
    )
    reference = (
        f"{REFERENCES['dumplings']}; {REFERENCES['graphsense']} (_whirlpool_coinjoin_heuristic); "
        f"{REFERENCES['stuetz']}; {REFERENCES['whirlpool_docs']}"
    )
    because = "has the Whirlpool shape: 5-8 inputs, as many equal outputs at a pool size"

    def flags(self, chain):
        f = features(chain)
        c = numbers(chain)
        n_io = c.n_sp
        d = c.max_sp
        shape = (
            _not_coinbase(f)
            & (f.n_in == n_io)
            & (n_io >= WHIRLPOOL_MIN)
            & (n_io <= WHIRLPOOL_MAX)
            & (c.min_sp == c.max_sp)
            & isin_sorted(d, _POOLS)
            & (f.n_in_addr == f.n_in)
            & (c.n_sp_addr == n_io)
            & (c.out_not_wpkh == 0)
            & (c.in_not_wpkh == 0)
        )
        # inputs of known value: the pool size (remix) or pool size + 100 .. 110,000 sats (new entrant)
        t = f.in_tx[c.in_known]
        v = f.in_value[c.in_known]
        dd = d[t]
        eps = v - dd
        ok_in = (eps == 0) | ((eps >= WHIRLPOOL_EPS_MIN) & (eps <= WHIRLPOOL_EPS_MAX))
        bad = np.bincount(t[~ok_in], minlength=f.n_txs)
        new = np.bincount(t[ok_in & (eps > 0)], minlength=f.n_txs)
        pays = (new >= 1) | (c.n_in_unknown > 0)
        return shape & (bad == 0) & pays


class Wasabi1(TxFlag):
    name = "wasabi1"
    rationale = (
        "Wasabi Wallet 1.x CoinJoins pay 10 or more equal outputs of about 0.1 BTC (the base mixing level, "
        "0.08 to 0.12 BTC) -- counted at the base level even where a higher level (0.2, 0.4 BTC ...) has "
        "as many equal outputs -- plus changes and the coordinator's fee (so at least 2 outputs of a value "
        "of their own). There are at least as many inputs, and input addresses, as base outputs; the "
        "outputs are native segwit (P2WPKH), no output address repeats. (Dumplings also demands P2WPKH "
        "inputs; like GraphSense we do not, so a round with one older coin registered is still found.)"
    )
    reference = (
        f"{REFERENCES['dumplings']}; {REFERENCES['graphsense']} (_wasabi_10/_wasabi_11); "
        f"{REFERENCES['stuetz']}; {REFERENCES['wasabi_docs']}"
    )
    because = "has the Wasabi 1.x shape: 10 or more equal outputs of about 0.1 BTC"

    def flags(self, chain):
        f = features(chain)
        c = numbers(chain)
        keep = (np.abs(c.run_v - WASABI1_BASE) <= WASABI1_PRECISION) & (c.run_len >= 2)
        n_base, _ = _top_run(c.run_t, c.run_v, c.run_len, keep, f.n_txs)
        return (
            _not_coinbase(f)
            & (n_base >= WASABI1_MIN_EQUAL)
            & (f.n_in >= n_base)
            & (f.n_in_addr >= n_base)
            & (c.n_singles >= 2)
            & (c.n_sp_addr == c.n_sp)
            & (c.out_not_wpkh == 0)
        )


class Wasabi2(TxFlag):
    name = "wasabi2"
    rationale = (
        "Wasabi Wallet 2.0 (WabiSabi) CoinJoins have 20 or more inputs (at least 50 of 100 with the default "
        "coordinator settings, 40 in blame rounds; later coordinators run smaller rounds), all segwit "
        "(P2WPKH or P2TR), no address bringing more than a tenth of them; outputs listed largest first "
        "(inputs too, where their values are known), more than 80% of them at the standard denominations "
        "(powers of 2 and 3, 1-2-5 x powers of 10), at least three standard amounts each paid two or more "
        "times, none below 5,000 sats, no address repeated."
    )
    reference = (
        f"{REFERENCES['dumplings']}; {REFERENCES['graphsense']} (_wasabi_20_heuristic); {REFERENCES['wasabi_docs']}"
    )
    because = "has the Wasabi 2.0 shape: 20+ inputs, outputs largest first at standard denominations"

    def flags(self, chain):
        f = features(chain)
        c = numbers(chain)
        std_run = isin_sorted(c.run_v, _WW2)
        n_std = np.bincount(c.run_t[std_run], weights=c.run_len[std_run], minlength=f.n_txs)
        tiers = np.bincount(c.run_t[std_run & (c.run_len >= 2)], minlength=f.n_txs)
        return (
            _not_coinbase(f)
            & (f.n_in >= WASABI2_MIN_INPUTS)
            & (c.in_not_w2 == 0)
            & (c.top_in_addr * 10 <= f.n_in)
            & (c.out_rises == 0)
            & (c.in_rises == 0)
            & (n_std * 5 > c.n_sp * 4)
            & (tiers >= 3)
            & (c.min_sp >= MIN_DENOMINATION)
            & (c.n_sp_addr == c.n_sp)
        )


class JoinMarket(TxFlag):
    name = "joinmarket"
    rationale = (
        "A JoinMarket CoinJoin pays one amount to each of n >= 3 participants (a taker and its makers) "
        "and gives each at most one change: one repeated amount only, between 1 and n other outputs "
        "(fewer when a maker's change is too small or the taker sweeps), no address repeated, at least n "
        "input addresses, nothing paid back to an input address. Where the inputs' values are known, none "
        "exceeds one participant's share (amount + largest other output + 0.001 BTC for fees); rounds of "
        "50+ inputs have at most 20 inputs and about 2 outputs per participant. A Whirlpool tx0 is excluded."
    )
    reference = (
        f"{REFERENCES['dumplings']} (other CoinJoins); {REFERENCES['graphsense']} (_joinmarket_heuristic); "
        f"{REFERENCES['moeser']}; {REFERENCES['blocksci']}"
    )
    because = "has the JoinMarket shape: one equal amount for 3+ participants, at most one change each"

    def flags(self, chain):
        f = features(chain)
        c = numbers(chain)
        n = c.top_cnt
        k = c.n_sp - n
        big = f.n_in >= 50
        gate = ~big | ((f.n_in <= 20 * n) & (c.n_sp * 10 >= 17 * n))
        return (
            _not_coinbase(f)
            & (n >= JOINMARKET_MIN_PARTICIPANTS)
            & (c.n_rep_groups == 1)
            & (k >= 1)
            & (k <= n)
            & (n <= f.n_in_addr)
            & (c.n_sp_addr == c.n_sp)
            & (c.n_self == 0)
            & _subset_shortcut(chain)
            & gate
            & ~whirlpool_tx0._flags(chain)
        )


class EqualOutput(TxFlag):
    name = "equal_output"
    rationale = (
        "The generic CoinJoin rule: n >= 3 participants each get an output of the same amount (the most "
        "common amount, at least 5,000 sats: dust and token markers do not count) and at most one other "
        "output each (a change), plus at most one more for a coordinator's fee; n is no more than the "
        "inputs and the distinct input addresses; nothing is paid back to an input address. OP_RETURN "
        "outputs are ignored. Where the inputs' values are known, none exceeds one participant's share. "
        "A Whirlpool tx0 (one wallet's premix split) is not a CoinJoin."
    )
    reference = f"{REFERENCES['blocksci']}; {REFERENCES['dumplings']}; {REFERENCES['graphsense']}"
    because = "looks like a CoinJoin: as many equal outputs as there are participants (equal-output rule)"

    def flags(self, chain):
        f = features(chain)
        c = numbers(chain)
        n = c.top_cnt
        k = c.n_sp - n
        return (
            _not_coinbase(f)
            & (f.n_in >= 2)
            & (n >= 3)
            & (k <= n + 1)
            & (n <= f.n_in)
            & (n <= f.n_in_addr)
            & (c.n_self == 0)
            & _subset_shortcut(chain)
            & ~whirlpool_tx0._flags(chain)
        )


class StonewallLike(TxFlag):
    name = "stonewall_like"
    rationale = (
        "Samourai's STONEWALL makes an ordinary payment from ONE wallet look like a two-person CoinJoin: "
        "two equal outputs (the payment and a decoy of the same amount) and one or two changes, 3 or 4 "
        "outputs to different addresses, 2 or more inputs. STONEWALLx2 has the same shape with two people. "
        "So the inputs may or may not be one owner's: a caveat, not a CoinJoin finding (clustering does "
        "not skip it). A Whirlpool tx0 with two premix coins is not counted."
    )
    reference = f"{REFERENCES['graphsense']} (_is_stonewall); {REFERENCES['stonewall_docs']}"
    because = "may be a STONEWALL: two equal outputs and changes, possibly from one wallet"

    def flags(self, chain):
        f = features(chain)
        c = numbers(chain)
        return (
            _not_coinbase(f)
            & (f.n_in >= 2)
            & ((c.n_sp == 3) | (c.n_sp == 4))
            & (c.n_sp_addr == c.n_sp)
            & (c.n_rep_groups == 1)
            & (c.top_cnt == 2)
            & ~whirlpool_tx0._flags(chain)
        )


class PayJoinLikely(TxFlag):
    name = "payjoin_likely"
    rationale = (
        "A PayJoin is a payment where the receiver adds one of their own coins as an input. It looks "
        "ordinary (2 outputs, one address type) but an input is unnecessary for an ordinary wallet: the "
        "other inputs alone would pay the largest output and the fee. Such a transaction may join two "
        "people's addresses wrongly under common-input ownership. A caveat, not proof."
    )
    reference = "BIP 78 (PayJoin); Ghesmati, Fdhila & Weippl, Studying Bitcoin privacy attacks (2021) UIH2"
    because = "may be a PayJoin: one of its inputs was not needed, as if the receiver added a coin"

    def flags(self, chain):
        f = features(chain)
        one_type = f.input_script_type >= 0
        spare = f.sum_in_value - f.min_in_value >= f.max_out_value + np.maximum(f.fee, 0)
        return (
            ~f.is_coinbase & (f.n_in >= 2) & (f.n_out == 2) & (f.n_in_addr >= 2) & one_type & f.in_value_known & spare
        )


whirlpool_tx0 = WhirlpoolTx0()
equal_output = EqualOutput()
whirlpool = Whirlpool()
wasabi1 = Wasabi1()
wasabi2 = Wasabi2()
joinmarket = JoinMarket()
payjoin_likely = PayJoinLikely()
stonewall_like = StonewallLike()

coinjoin = CombinedFlag("any_of", [equal_output, whirlpool, wasabi1, wasabi2, joinmarket])
coinjoin.name = "coinjoin"
coinjoin.rationale = (
    "A transaction is taken to be a CoinJoin when any of the detectors recognise it: the "
    "generic equal-output rule, Whirlpool, Wasabi 1.x, Wasabi 2.0 or JoinMarket. The caveats "
    "stonewall_like, payjoin_likely and whirlpool_tx0 are not part of it."
)
coinjoin.because = "looks like a CoinJoin"


# --------------------------------------------------------------------------- measuring the detectors
FAMILIES = ("whirlpool", "wasabi1", "wasabi2", "joinmarket")


def accuracy_table(chain, family) -> pd.DataFrame:
    """Recall and precision of each CoinJoin detector, per CoinJoin family, against a known truth.

    Parameters
    ----------
    chain : Chain
    family : sequence of str, one per transaction (rows of ``chain.txs``)
        The true family of each transaction: ``whirlpool``, ``wasabi1``, ``wasabi2``, ``joinmarket``
        for CoinJoins (optionally with a variant after a colon, ``whirlpool: surge cycle``); anything
        else (``other``, ``lookalike: ...``) for transactions that are not.
        For a generated economy: ``cases.economy.coinjoin_family`` of each answer-key ``purpose``.

    Returns
    -------
    DataFrame
        One row per family (with its count) and per detector: the share of the family's transactions the
        detector flags (recall for CoinJoin families, false-alarm rate for the others); and the rows
        ``precision`` (share of the detector's flags that are true CoinJoins) and ``precision (own family)``
        (share of its flags in the family it is named after).
    """
    label = np.asarray(family, dtype=object)
    fam = np.array([str(x).split(":")[0] for x in label], dtype=object)
    if fam.shape != (len(chain.txs),):
        from ..errors import HeuristicError

        raise HeuristicError(f"accuracy_table() needs one family per transaction ({len(chain.txs)}), got {fam.shape}")
    dets = (whirlpool, wasabi1, wasabi2, joinmarket, equal_output, coinjoin, stonewall_like, whirlpool_tx0)
    flags = {h.name: h._flags(chain) for h in dets}
    is_cj = np.isin(fam, FAMILIES)
    kinds = sorted(set(label.tolist()))
    names = (
        [x for f in FAMILIES for x in kinds if str(x).split(":")[0] == f]
        + [x for x in kinds if str(x).split(":")[0] not in FAMILIES and x != "other"]
        + ["other"]
    )
    rows = []
    for f in names:
        m = label == f
        rows.append(
            {
                "family": f,
                "transactions": int(m.sum()),
                **{k: (float(v[m].mean()) if m.any() else float("nan")) for k, v in flags.items()},
            }
        )
    rows.append(
        {
            "family": "precision",
            "transactions": int(is_cj.sum()),
            **{k: (float(is_cj[v].mean()) if v.any() else float("nan")) for k, v in flags.items()},
        }
    )
    own = {}
    for k, v in flags.items():
        own[k] = float((fam[v] == k).mean()) if (k in FAMILIES and v.any()) else float("nan")
    rows.append({"family": "precision (own family)", "transactions": int(is_cj.sum()), **own})
    return pd.DataFrame(rows).set_index("family")
