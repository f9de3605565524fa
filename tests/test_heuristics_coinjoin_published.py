"""CoinJoin detectors against transactions built from the published shapes (issue 16 section 1).

One test per measured miss and per measured false alarm of the old detectors, each transaction written
here from the rule's published description (Dumplings, GraphSense, BlockSci, Stuetz et al. 2022, the
wallets' documentation; see ``cryptotrace.heuristics.coinjoin.REFERENCES``), not taken from the
generator; then the real Whirlpool mix and tx0 (Esplora files) and the real block 702861.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import Chain
from cryptotrace import heuristics as H
from cryptotrace.addresses import random_addresses
from cryptotrace.heuristics import coinjoin as CJ

from ._real import real_path

BLOCK_702861 = real_path("blocks") / (
    "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw"
)
WASABI1_REAL = "5c2f55fc17854a18f447d74e32356c9ff6faf43bf937ed13611857b2bb3fef3a"
OP_RETURN = "OP_RETURN"
ALL = (*H.COINJOIN, CJ.coinjoin, CJ.stonewall_like, CJ.whirlpool_tx0, CJ.payjoin_likely)


def one_tx(inputs, outputs, *, in_type="p2wpkh", out_type="p2wpkh", known=True, seed=0):
    """A chain holding one transaction.

    ``inputs``: values (each coin at its own fresh address) or ``(name, value)`` (same name, same address).
    ``outputs``: values (fresh addresses), ``(name, value)``, or ``OP_RETURN`` (a data carrier, 0 sats).
    ``known=False`` leaves the input values unknown, as in a raw block spending older coins.
    """
    names_in = [i if isinstance(i, tuple) else (f"in{k}", i) for k, i in enumerate(inputs)]
    names_out = [o if isinstance(o, (tuple, str)) else (f"out{k}", o) for k, o in enumerate(outputs)]
    rng = np.random.default_rng(seed)
    in_names = list(dict.fromkeys(n for n, _ in names_in))
    out_names = list(dict.fromkeys(o[0] for o in names_out if o != OP_RETURN))
    addr = dict(zip(in_names, random_addresses(rng, len(in_names), in_type)))
    addr.update(zip(out_names, random_addresses(rng, len(out_names), out_type)))
    txid = hashlib.sha256(f"tx{seed}{inputs}{outputs}".encode()).hexdigest()
    ins = [
        {
            "txid": txid,
            "vin": k,
            "prev_txid": hashlib.sha256(f"prev{k}{seed}".encode()).hexdigest(),
            "prev_vout": k,
            "address": addr[n],
            "value": v if known else None,
        }
        for k, (n, v) in enumerate(names_in)
    ]
    outs = []
    for k, o in enumerate(names_out):
        if o == OP_RETURN:
            outs.append({"txid": txid, "vout": k, "address": None, "value": 0, "script_type": "nulldata"})
        else:
            outs.append({"txid": txid, "vout": k, "address": addr[o[0]], "value": o[1], "script_type": out_type})
    txs = pd.DataFrame([{"txid": txid, "block_height": 800_000, "time": 1_700_000_000, "version": 1}])
    return Chain.from_tables(txs=txs, inputs=pd.DataFrame(ins).astype({"value": "Int64"}), outputs=pd.DataFrame(outs))


def verdicts(chain):
    return {h.name: bool(h(chain).iloc[-1]) for h in ALL}


def cj(chain):
    return verdicts(chain)["coinjoin"]


# --------------------------------------------------------------------------- measured misses
@pytest.mark.parametrize("n", [5, 6, 7, 8])
@pytest.mark.parametrize("pool", [100_000, 1_000_000, 5_000_000, 50_000_000])
def test_whirlpool_surge_cycles(n, pool):
    # Whirlpool surge cycles (2023): 6x6, 7x7, 8x8 mixes; two new entrants pay pool + miner-fee margin
    ins = [pool + 10_000, pool + 10_000] + [pool] * (n - 2)
    v = verdicts(one_tx(ins, [pool] * n))
    assert v["whirlpool"] and v["coinjoin"] and not v["whirlpool_tx0"]
    # beyond the surge cycles' 8, or one output short, it is not Whirlpool
    assert not verdicts(one_tx(ins + [pool], [pool] * (n + 1)))["whirlpool"] or n < 8
    assert not verdicts(one_tx(ins, [pool] * (n - 1)))["whirlpool"]


def test_whirlpool_inputs_must_be_premix_or_remix():
    pool = 5_000_000
    assert verdicts(one_tx([pool + 10_000] * 2 + [pool] * 3, [pool] * 5))["whirlpool"]
    # an input far above the pool size (a plain 0.1 BTC coin) is no Whirlpool input
    assert not verdicts(one_tx([10_000_000] * 5, [pool] * 5))["whirlpool"]
    # all remixers, nobody pays the miner fee: not a Whirlpool mix
    assert not verdicts(one_tx([pool] * 5, [pool] * 5))["whirlpool"]
    # unknown input values (raw block): decided on the outputs' shape
    assert verdicts(one_tx([pool + 10_000] * 5, [pool] * 5, known=False))["whirlpool"]
    # legacy outputs: not Whirlpool (P2WPKH only)
    assert not verdicts(one_tx([pool + 10_000] * 5, [pool] * 5, out_type="p2pkh"))["whirlpool"]


def wasabi1_round(n_base=12, n_level2=None, seed=0, fee=True, known=True):
    """Wasabi 1.x: base level d ~ 0.1 BTC, mixing level 2d, changes and a coordinator fee; values sorted."""
    d = 10_944_832  # the base denomination of the real round 5c2f55fc (block 702861)
    n_level2 = min(n_base, n_base if n_level2 is None else n_level2)  # a level is reached by some participants
    changes = [1_234_567 + 1_111 * k for k in range(n_base)]
    ins = [d + (2 * d if k < n_level2 else 0) + changes[k] + 60_000 for k in range(n_base)]
    outs = [2 * d] * n_level2 + [d] * n_base + changes + ([305_123] if fee else [])
    return one_tx(sorted(ins, reverse=True), sorted(outs, reverse=True), known=known, seed=seed)


def test_wasabi1_higher_level_as_many_equal_outputs_as_the_base():
    # the most common value is a tie between 0.2 and 0.1 BTC: counted at the base level
    v = verdicts(wasabi1_round(12, 12))
    assert v["wasabi1"] and v["coinjoin"]
    assert verdicts(wasabi1_round(12, 3))["wasabi1"]
    assert verdicts(wasabi1_round(12, 12, known=False))["wasabi1"]


def wasabi2_round(n_in=25, seed=0, extra=()):
    """WabiSabi: inputs and outputs largest first, outputs mostly standard denominations (>= 3 repeated)."""
    outs = (
        [2_000_000] * 4
        + [1_594_323] * 3
        + [1_000_000] * 5
        + [531_441] * 2
        + [262_144] * 4
        + [200_000] * 3
        + [100_000] * 2
        + [50_000] * 2
        + [123_457]
    ) + list(extra)
    total = sum(outs) + 50_000
    ins = sorted((total // n_in + 997 * k for k in range(n_in)), reverse=True)
    return one_tx(ins, sorted(outs, reverse=True), seed=seed)


@pytest.mark.parametrize("n_in", [20, 30, 49, 60, 120])
def test_wasabi2_rounds_of_any_size_from_20_inputs(n_in):
    v = verdicts(wasabi2_round(n_in))
    assert v["wasabi2"] and v["coinjoin"]


def test_wasabi2_needs_order_and_standard_amounts():
    assert not verdicts(wasabi2_round(19))["wasabi2"]
    # the same outputs, not sorted largest first: not Wasabi 2 (its coordinator sorts them)
    chain = wasabi2_round(30)
    outs = chain.outputs.value.tolist()
    shuffled = one_tx(sorted(chain.inputs.value.tolist(), reverse=True), outs[::-1])
    assert not verdicts(shuffled)["wasabi2"]


def test_joinmarket_with_fewer_changes_than_makers():
    d = 5_000_000
    # taker + 4 makers = 5 equal outputs; only 2 changes (3 makers' changes were dust or swept)
    ins = [6_000_000, 5_500_000, 6_900_000, 5_100_000, 5_050_000]
    outs = [d] * 5 + [990_000, 2_050_000]
    v = verdicts(one_tx(ins, outs))
    assert v["joinmarket"] and v["coinjoin"]
    # with a change for everyone but the sweeping taker (Dumplings' n - 1 case) and for all (n)
    assert verdicts(one_tx(ins, [d] * 5 + [990_000, 490_000, 1_890_000, 90_000]))["joinmarket"]
    assert verdicts(one_tx(ins + [5_900_000], [d] * 6 + [990_000, 490_000, 1_890_000, 90_000, 40_000, 890_000]))[
        "joinmarket"
    ]
    # no change at all: not JoinMarket's shape, but still the generic equal-output CoinJoin
    v = verdicts(one_tx([d + 1_000] * 4, [d] * 4))
    assert not v["joinmarket"] and v["equal_output"] and v["coinjoin"]


def test_coordinator_fee_output_does_not_hide_an_equal_output_coinjoin():
    d = 2_000_000
    # JoinMarket-style: makers' inputs bring the amount and their change, less the fee they earn
    ins = [2_580_000, 2_280_000, 2_880_000, 2_975_000]
    outs = [d] * 4 + [v - d - 10_000 for v in ins]
    assert verdicts(one_tx(ins, outs))["equal_output"]
    # + the coordinator's fee: BlockSci's (outputs + 1) / 2 = 5 participants, but 4 equal outputs
    v = verdicts(one_tx(ins, outs + [9_000]))
    assert v["equal_output"] and v["coinjoin"]


# --------------------------------------------------------------------------- measured false alarms
@pytest.mark.parametrize("dust", [546, 600, 651, 1_000])
def test_token_transfers_are_not_coinjoins(dust):
    # Omni / Colu: an OP_RETURN with the token payload, two equal dust outputs (receiver and marker), change
    for ins, outs in (
        ([120_000, 80_000], [OP_RETURN, dust, dust, 150_000]),
        ([120_000, 80_000, 40_000], [dust, OP_RETURN, dust, dust, 180_000]),
        ([120_000], [OP_RETURN, dust, dust, 110_000]),
    ):
        v = verdicts(one_tx(ins, outs, in_type="p2pkh", out_type="p2pkh"))
        assert not any(v[k] for k in ("equal_output", "joinmarket", "coinjoin", "stonewall_like")), (ins, outs, v)


def test_batches_with_three_equal_withdrawals_or_two_pairs():
    # an exchange pays three equal withdrawals among others from its hot wallet; the change goes back to
    # the hot wallet's address (as exchanges do), or the inputs come from fewer addresses than 3
    hot = [("hot1", 2_500_000_000), ("hot2", 1_800_000_000), ("hot1", 900_000_000)]
    outs = [1_000_000] * 3 + [3_456_789, 12_345_678]
    assert not cj(one_tx(hot, outs + [("hot1", 4_150_000_000)]))
    assert not cj(one_tx(hot, outs + [4_150_000_000]))
    assert not cj(
        one_tx(
            [("hot1", 2_500_000_000), ("hot2", 1_800_000_000), ("hot3", 900_000_000)], outs + [("hot2", 4_150_000_000)]
        )
    )
    # paid from one big coin with a fresh change (Dumplings' subset-sum shortcut: the coin is bigger than
    # any participant's share)
    assert not cj(
        one_tx(
            [("a", 250_000_000), ("b", 5_000_000), ("c", 5_000_000)],
            [1_000_000] * 3 + [3_456_789, 2_345_678, 240_000_000],
        )
    )
    # two pairs of equal outputs
    outs = [1_000_000, 1_000_000, 2_500_000, 2_500_000, 4_190_000_000]
    v = verdicts(one_tx([2_500_000_000, 1_800_000_000, 900_000_000], outs))
    assert not v["coinjoin"] and not v["stonewall_like"]


def test_limit_a_batch_from_three_fresh_addresses_with_fresh_change_looks_like_a_coinjoin():
    # documented limit: inputs from 3+ different addresses whose values could each be a participant's,
    # 3 equal outputs and a fresh change: the published rules (BlockSci, Dumplings, GraphSense) all call
    # this shape a CoinJoin, and nothing on chain tells it apart
    outs = [1_000_000] * 3 + [3_456_789, 12_345_678, 4_150_000_000]
    assert cj(one_tx([2_500_000_000, 1_800_000_000, 900_000_000, 700_000_000], outs))


@pytest.mark.parametrize("n_eq", [10, 12, 25, 60])
def test_exchange_batches_of_tenth_btc_withdrawals_are_not_wasabi(n_eq):
    outs = [10_000_000] * n_eq + [123_456, 7_654_321, 333_333_333]
    for ins in (
        [("hot1", 2_500_000_000)],
        [("hot1", 2_500_000_000), ("hot2", 300_000_000)],
        [("hot1", 90_000_000 + k) if k % 2 else ("hot2", 90_000_000 + k) for k in range(n_eq + 2)],
    ):
        v = verdicts(one_tx(ins, outs))
        assert not v["wasabi1"] and not v["coinjoin"], (len(ins), v)


def test_a_60_input_consolidation_paying_1_2_5_amounts_is_not_wasabi2():
    ins = sorted((9_000_000 + 10_007 * k for k in range(60)), reverse=True)
    for outs in (
        [500_000_000, 20_000_000],
        [200_000_000, 100_000_000, 50_000_000, 20_000_000],
        [200_000_000, 200_000_000, 100_000_000, 50_000_000],
    ):
        v = verdicts(one_tx(ins, outs))
        assert not v["wasabi2"] and not v["coinjoin"], outs


@pytest.mark.parametrize("n_premix", [1, 2, 3, 4, 16])
def test_whirlpool_tx0_is_not_a_coinjoin(n_premix):
    pool, fee = 5_000_000, 175_000
    premix = pool + 10_000
    outs = [OP_RETURN, 250_000] + [premix] * n_premix + [1_346_981]
    for ins in (
        [n_premix * premix + 2_000_000],
        [("a", 3 * premix), ("b", n_premix * premix), ("c", 1_000_000)],
        [premix + 500_000 + k for k in range(n_premix + 1)],
    ):
        v = verdicts(one_tx(ins, outs))
        assert v["whirlpool_tx0"] and not v["coinjoin"], (n_premix, ins, v)
    assert fee // 2 <= 250_000 <= 3 * fee


def test_stonewall_is_a_caveat_not_a_coinjoin():
    # STONEWALL: 2 equal outputs (payment + decoy), 2 changes, inputs possibly from one wallet
    v = verdicts(
        one_tx([("w1", 3_000_000), ("w2", 2_500_000), ("w1", 400_000)], [1_000_000, 1_000_000, 2_398_000, 1_498_500])
    )
    assert v["stonewall_like"] and not v["coinjoin"]
    v = verdicts(one_tx([3_000_000, 2_500_000], [1_000_000, 1_000_000, 3_498_000]))
    assert v["stonewall_like"] and not v["coinjoin"]
    assert "stonewall_like" in H.REGISTRY and H.get("stonewall-like") is CJ.stonewall_like


# --------------------------------------------------------------------------- real transactions
def _real(name):
    path = real_path("esplora-cases") / name
    assert path.exists(), f"{path}: the shared real data must sit beside the project (see tests/conftest.py)"
    return ct.load_esplora(path)


def test_real_whirlpool_mix_and_tx0():
    mix = verdicts(_real("coinjoin_tx.json"))  # 323df21f...: 3 new entrants at 0.0501, 2 remixers at 0.05 BTC
    assert mix["whirlpool"] and mix["coinjoin"] and not mix["whirlpool_tx0"]
    tx0 = verdicts(_real("coinjoin_tx0.json"))  # 333f4543...: OP_RETURN, fee 0.0025, change, 16 premix coins
    assert tx0["whirlpool_tx0"] and not tx0["coinjoin"] and not tx0["whirlpool"]


@pytest.fixture(scope="module")
def block_702861():
    assert BLOCK_702861.exists(), f"{BLOCK_702861}: the shared real data must sit beside the project"
    return ct.load_raw_blocks(BLOCK_702861)


def test_real_block_702861(block_702861):
    c = block_702861
    got = {h.name: set(c.txs.txid[h(c).to_numpy()]) for h in ALL}
    counts = {k: len(v) for k, v in got.items()}
    # checked by hand (README): 7 Whirlpool mixes (5 bc1q inputs from 5 addresses, 5 x 0.001 or 0.01 BTC),
    # the Wasabi 1.x round 5c2f55fc; no Wasabi 2 (it started in 2022); the Omni transfer 1a536e42 (OP_RETURN,
    # 2 x 651 sats) and two 2-equal-output transactions are no longer CoinJoins (the latter are STONEWALL-like)
    assert counts == {
        "equal_output": 7,
        "whirlpool": 7,
        "wasabi1": 1,
        "wasabi2": 0,
        "joinmarket": 0,
        "coinjoin": 8,
        "stonewall_like": 2,
        "whirlpool_tx0": 0,
        "payjoin_likely": 1,
    }
    assert got["wasabi1"] == {WASABI1_REAL}
    assert got["coinjoin"] == got["whirlpool"] | {WASABI1_REAL}
    assert not any(t.startswith("1a536e425c") for t in got["coinjoin"])


# --------------------------------------------------------------------------- properties
@st.composite
def whirlpool_mixes(draw):
    n = draw(st.integers(CJ.WHIRLPOOL_MIN, CJ.WHIRLPOOL_MAX))
    pool = draw(st.sampled_from(CJ.WHIRLPOOL_POOLS))
    new = draw(st.integers(1, n))
    eps = draw(st.lists(st.integers(CJ.WHIRLPOOL_EPS_MIN, CJ.WHIRLPOOL_EPS_MAX), min_size=new, max_size=new))
    ins = [pool + e for e in eps] + [pool] * (n - new)
    return draw(st.permutations(ins)), [pool] * n


@settings(max_examples=25, deadline=None)
@given(whirlpool_mixes(), st.integers(0, 8), st.booleans())
def test_an_op_return_output_changes_no_verdict(mix, pos, known):
    ins, outs = mix
    base = verdicts(one_tx(ins, outs, known=known))
    assert base["whirlpool"] and base["coinjoin"]
    with_data = list(outs)
    with_data.insert(min(pos, len(outs)), OP_RETURN)
    assert verdicts(one_tx(ins, with_data, known=known)) == base


@settings(max_examples=15, deadline=None)
@given(st.integers(10, 40), st.integers(0, 40), st.integers(20_000, 500_000), st.booleans())
def test_a_coordinator_fee_output_does_not_change_a_wasabi1_verdict(n_base, n2, fee, known):
    chain = wasabi1_round(n_base, n2, fee=False, known=known)
    before = verdicts(chain)
    outs = chain.outputs.value.tolist() + [fee + 1]  # its own amount, its own address
    after = verdicts(one_tx(chain.inputs.value.tolist(), sorted(outs, reverse=True), known=known))
    assert after["wasabi1"] == before["wasabi1"] and after["coinjoin"] == before["coinjoin"]
    # OP_RETURN too, for Wasabi 1 and Wasabi 2
    assert (
        verdicts(one_tx(chain.inputs.value.tolist(), chain.outputs.value.tolist() + [OP_RETURN], known=known))[
            "wasabi1"
        ]
        == before["wasabi1"]
    )


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 120),
    st.integers(5_000, 10**9),
    st.integers(0, 10**9),
    st.sampled_from(["p2wpkh", "p2pkh"]),
    st.booleans(),
)
def test_a_pure_batch_of_equal_payments_from_one_input_is_never_a_coinjoin(k, value, change, typ, known):
    outs = [value] * k + ([change] if change >= 546 else [])
    v = verdicts(one_tx([value * k + change + 10_000], outs, in_type=typ, out_type=typ, known=known))
    assert not v["coinjoin"]


def test_explain_names_the_caveats():
    chain = one_tx([("w1", 3_000_000), ("w2", 2_500_000)], [1_000_000, 1_000_000, 2_398_000, 1_098_500])
    e = H.explain(chain, chain.txs.txid.iloc[0])
    assert "stonewall_like" in e.fired and any("STONEWALL" in n for n in e.notes)
    assert not any("looks like a CoinJoin" in n for n in e.notes)
    tx0 = one_tx([30_000_000], [OP_RETURN, 175_000] + [5_010_000] * 4 + [9_700_000])
    e = H.explain(tx0, tx0.txs.txid.iloc[0])
    assert "whirlpool_tx0" in e.fired and any("tx0" in n for n in e.notes)


@settings(max_examples=10, deadline=None)
@given(st.integers(20, 80), st.integers(0, 40))
def test_an_op_return_output_does_not_change_a_wasabi2_verdict(n_in, pos):
    chain = wasabi2_round(n_in)
    outs = chain.outputs.value.tolist()
    outs.insert(min(pos, len(outs)), OP_RETURN)
    ins = chain.inputs.value.tolist()
    assert verdicts(one_tx(ins, outs)) == verdicts(chain) and verdicts(chain)["wasabi2"]
