"""Small hand-written chains for tests, examples and exercises.

>>> chain, addr = toy_chain([
...     {"out": [("alice", 100_000_000)]},                           # tx 0: coinbase to alice
...     {"in": ["0:0"], "out": [("bob", 30_000_000), ("alice2", 69_990_000)]},
... ])
>>> len(chain)
2
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ..addresses import encode_address, random_addresses

__all__ = [
    "ADDRESS_POOL",
    "BTC",
    "HOP_ADDRESSES",
    "RANDOM_CHAIN_ADDRESSES",
    "ClustersStandIn",
    "TagsStandIn",
    "assert_ledger_invariants",
    "case_start",
    "hop_chain",
    "hop_txid",
    "pick_output",
    "random_chain",
    "shown_case",
    "small_tables",
    "toy_chain",
    "txid_of",
]

BTC = 100_000_000


def _txid(i: int, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{i}".encode()).hexdigest()


def toy_chain(txs: list[dict], *, types: dict | None = None, seed: int = 0, salt: str = "toy"):
    """Build a checked Chain from short descriptions; returns ``(chain, {name: address})``.

    Each tx is a dict: ``out`` [(name, sats), ...]; ``in`` a list of ``"t:v"``
    (output ``v`` of tx number ``t``) or ``(name, sats)`` for a coin from
    outside the chain; no ``in`` makes a coinbase. Optional ``version``,
    ``locktime``, ``sequence``, ``height`` (default: its position).
    ``types`` maps a name to its script type (default p2wpkh).
    """
    types = types or {}
    names = []
    for t in txs:
        for nm, _ in t.get("out", []):
            names.append(nm)
        for i in t.get("in", []):
            if not isinstance(i, str):
                names.append(i[0])
    names = list(dict.fromkeys(names))
    rng = np.random.default_rng(seed)
    addr = {}
    for st in sorted({types.get(n, "p2wpkh") for n in names}):
        group = [n for n in names if types.get(n, "p2wpkh") == st]
        addr.update(zip(group, random_addresses(rng, len(group), st)))
    t_rows, i_rows, o_rows = [], [], []
    base = 1_600_000_000
    for k, t in enumerate(txs):
        txid = _txid(k, salt)
        h = t.get("height", k)
        t_rows.append(
            {
                "txid": txid,
                "block_height": h,
                "time": base + 600 * h,
                "version": t.get("version", 2),
                "locktime": t.get("locktime", 0),
            }
        )
        ins = t.get("in", [])
        seq = t.get("sequence", 0xFFFFFFFF)
        if not ins:
            i_rows.append({"txid": txid, "vin": 0, "prev_txid": None, "prev_vout": None, "sequence": seq})
        for v, i in enumerate(ins):
            if isinstance(i, str):
                pt, pv = i.split(":")
                i_rows.append(
                    {"txid": txid, "vin": v, "prev_txid": _txid(int(pt), salt), "prev_vout": int(pv), "sequence": seq}
                )
            else:
                i_rows.append(
                    {
                        "txid": txid,
                        "vin": v,
                        "prev_txid": _txid(10_000 + k * 100 + v, salt + "-ext"),
                        "prev_vout": 0,
                        "address": addr[i[0]],
                        "value": i[1],
                        "sequence": seq,
                    }
                )
        for v, (nm, val) in enumerate(t.get("out", [])):
            o_rows.append({"txid": txid, "vout": v, "address": addr[nm], "value": val})
    cols_i = ["txid", "vin", "prev_txid", "prev_vout", "address", "value", "sequence"]
    chain = _chain(pd.DataFrame(t_rows), pd.DataFrame(i_rows).reindex(columns=cols_i), pd.DataFrame(o_rows))
    return chain, addr


def _chain(txs, inputs, outputs):
    from ..chain import Chain

    return Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)


#: A fixed pool of valid mainnet addresses of three script types (random hashes, no keys).
ADDRESS_POOL = (
    random_addresses(np.random.default_rng(7), 12, "p2wpkh")
    + random_addresses(np.random.default_rng(8), 6, "p2pkh")
    + random_addresses(np.random.default_rng(9), 4, "p2tr")
)


def txid_of(n: int, salt: str = "") -> str:
    """A made-up but well-formed txid (64 hex characters), the same for the same ``n`` and ``salt``."""
    return hashlib.sha256(f"{salt}{n}".encode()).hexdigest()


# ---------------------------------------------------------------------- hand-worked tracing chains
#: Seven p2wpkh addresses (the hash is one byte 10..16 repeated), named A..G in the tracing tests.
HOP_ADDRESSES = tuple(encode_address("p2wpkh", bytes([i]) * 20) for i in range(10, 17))


def hop_txid(n: int) -> str:
    """The txid of transaction number ``n`` (from 1) of a :func:`hop_chain`: ``n`` in two hex digits, 32 times."""
    return f"{n:02x}" * 32


def hop_chain(txs: list[dict]):
    """A checked Chain from ``[{"ins": [(tx_no, vout)], "outs": [(address, btc)]}]`` (tx numbers from 0).

    Transaction ``n`` (0-based in the list) gets txid :func:`hop_txid` ``(n + 1)``, height ``n + 1``
    and a time 10 minutes after the one before; amounts are in BTC. No ``ins`` makes a coinbase.

    Examples
    --------
    >>> A, B = HOP_ADDRESSES[:2]
    >>> chain = hop_chain([{"outs": [(A, 1)]}, {"ins": [(0, 0)], "outs": [(B, 0.9999)]}])
    >>> int(chain.txs.fee.iloc[1])
    10000
    """
    from ..chain import Chain

    t, i, o = [], [], []
    for n, tx in enumerate(txs):
        t.append({"txid": hop_txid(n + 1), "block_height": n + 1, "time": 1_600_000_000 + 600 * n})
        for k, (src, vout) in enumerate(tx.get("ins", [])):
            i.append({"txid": hop_txid(n + 1), "vin": k, "prev_txid": hop_txid(src + 1), "prev_vout": vout})
        for k, (addr, btc) in enumerate(tx["outs"]):
            o.append({"txid": hop_txid(n + 1), "vout": k, "address": addr, "value": round(btc * BTC)})
    inputs = pd.DataFrame(i, columns=["txid", "vin", "prev_txid", "prev_vout"])
    return Chain.from_tables(txs=pd.DataFrame(t), inputs=inputs, outputs=pd.DataFrame(o))


class TagsStandIn:
    """A small stand-in for :class:`cryptotrace.tags.TagStore`: only ``best_per_address()``.

    ``rows`` are ``(address, label, category, jurisdiction)`` tuples.
    """

    def __init__(self, rows):
        self.df = pd.DataFrame(rows, columns=["address", "label", "category", "jurisdiction"]).set_index("address")

    def best_per_address(self):
        """The tags, one row per address (indexed by address)."""
        return self.df


class ClustersStandIn:
    """A stand-in for a fitted :class:`cryptotrace.clustering.Clustering`: only ``labels_`` (address -> cluster)."""

    def __init__(self, mapping):
        self.labels_ = pd.Series(mapping, name="cluster")


def small_tables():
    """Tables of three transactions: coinbase -> t1 (pays B 30 BTC, change 19.9999 to A) -> t2 spends B, pays C.

    Returns ``(txs, inputs, outputs)`` for :meth:`cryptotrace.Chain.from_tables`; A, B, C are
    ``ADDRESS_POOL[:3]`` and the txids ``txid_of(0..2)``.

    Examples
    --------
    >>> from cryptotrace import Chain
    >>> [int(f) for f in Chain.from_tables(*small_tables()).txs.fee]
    [0, 10000, 10000]
    """
    a, b, c = ADDRESS_POOL[:3]
    cb, t1, t2 = txid_of(0), txid_of(1), txid_of(2)
    txs = pd.DataFrame(
        {"txid": [cb, t1, t2], "block_height": [1, 2, 3], "time": [1_600_000_000, 1_600_000_600, 1_600_001_200]}
    )
    inputs = pd.DataFrame(
        {"txid": [cb, t1, t2], "vin": [0, 0, 0], "prev_txid": [None, cb, t1], "prev_vout": [None, 0, 0]}
    )
    outputs = pd.DataFrame(
        {
            "txid": [cb, t1, t1, t2],
            "vout": [0, 0, 1, 0],
            "address": [a, b, a, c],
            "value": [50 * 10**8, 30 * 10**8, 19_99990000, 29_99990000],
        }
    )
    return txs, inputs, outputs


# ---------------------------------------------------------------------- random chains (no hypothesis needed)
#: The twelve addresses :func:`random_chain` pays to (p2wpkh, random hashes, no keys).
RANDOM_CHAIN_ADDRESSES = random_addresses(np.random.default_rng(7), 12)


def random_chain(seed: int, n_tx: int, big: bool = False, external: bool = False):
    """A random valid Chain of ``n_tx`` transactions, the same for the same arguments.

    Coinbases, transactions spending 1-4 random earlier unspent outputs, random fees (sometimes
    none), reused addresses, sometimes equal outputs. ``big``: coins up to 700,000 BTC (never past
    21 million in all); ``external``: some inputs come from outside the data, with their value.

    Examples
    --------
    >>> len(random_chain(seed=1, n_tx=5))
    5
    """
    from ..chain import Chain

    rng = np.random.default_rng(seed)
    txids = [rng.bytes(32).hex() for _ in range(n_tx)]
    txs, ins, outs = [], [], []
    unspent: list[tuple[str, int, int]] = []  # (txid, vout, value)
    scale = 70_000_000_000_000 if big else 100_000
    for t, txid in enumerate(txids):
        txs.append({"txid": txid, "block_height": t + 1, "time": 1_600_000_000 + 600 * t})
        n_spend = 0 if (t < 2 or not unspent) else int(rng.integers(1, min(4, len(unspent)) + 1))
        total = 0
        vin = 0
        for _ in range(n_spend):
            k = int(rng.integers(len(unspent)))
            p_txid, p_vout, v = unspent.pop(k)
            ins.append({"txid": txid, "vin": vin, "prev_txid": p_txid, "prev_vout": p_vout})
            vin += 1
            total += v
        if external and n_spend and rng.random() < 0.3:
            v = int(rng.integers(1, scale))
            ins.append(
                {
                    "txid": txid,
                    "vin": vin,
                    "prev_txid": rng.bytes(32).hex(),
                    "prev_vout": 0,
                    "value": v,
                    "address": RANDOM_CHAIN_ADDRESSES[int(rng.integers(len(RANDOM_CHAIN_ADDRESSES)))],
                }
            )
            total += v
        if n_spend == 0:  # newly mined
            total = int(rng.integers(1, scale))
        fee = 0 if n_spend == 0 or rng.random() < 0.3 else int(rng.integers(0, max(total // 5, 1)))
        rest = total - fee
        n_out = int(rng.integers(1, 5))
        cuts = np.sort(rng.integers(0, rest + 1, size=n_out - 1)) if n_out > 1 else np.array([], dtype=np.int64)
        values = np.diff(np.concatenate([[0], cuts, [rest]])).astype(np.int64)
        if rng.random() < 0.2 and n_out >= 2:
            values[:] = rest // n_out  # equal outputs, remainder to the fee
        for vout, v in enumerate(values.tolist()):
            outs.append(
                {
                    "txid": txid,
                    "vout": vout,
                    "value": int(v),
                    "address": RANDOM_CHAIN_ADDRESSES[int(rng.integers(len(RANDOM_CHAIN_ADDRESSES)))],
                }
            )
            unspent.append((txid, vout, int(v)))
    inputs = pd.DataFrame(ins, columns=["txid", "vin", "prev_txid", "prev_vout", "value", "address"])
    return Chain.from_tables(txs=pd.DataFrame(txs), inputs=inputs, outputs=pd.DataFrame(outs))


def pick_output(chain, pick: int) -> str:
    """``"txid:vout"`` of an output with a positive value: number ``pick`` (modulo their count), to start a trace."""
    o = chain.outputs[chain.outputs.value > 0].reset_index(drop=True)
    r = o.iloc[pick % len(o)]
    return f"{r.txid}:{r.vout}"


def case_start(chain, key, case: str) -> list[str]:
    """Where an investigator starts a bundled case (``"txid:vout"`` list), read from its answer key.

    The stolen coins (theft), the ransom payments (ransomware), or the market's payouts to the
    vendor's own addresses (market sales). ``key`` is the case's answer key, ``case`` its name.
    """
    f = key.facts[case]
    o = chain.outputs
    ev = f["events"][0]
    if ev["event"] == "theft":
        sel = (o.txid == ev["txid"]) & o.address.isin(ev["addresses"])
    elif ev["event"] == "ransom_payments":
        pairs = {(p["txid"], p["address"]) for p in ev["payments"]}
        sel = pd.Series([(t, a) in pairs for t, a in zip(o.txid, o.address)], index=o.index)
    else:  # market_sales: the payouts to the vendor's own addresses
        mine = key.addresses.index[key.addresses.entity == f["suspect_entity"]]
        sel = o.txid.isin(ev["payout_txids"]) & o.address.isin(mine)
    rows = o[sel]
    if not len(rows):
        raise AssertionError(f"no start outputs found for case {case}")
    return [f"{t}:{v}" for t, v in zip(rows.txid, rows.vout)]


#: Text a hostile tag file could carry: HTML and a spreadsheet formula (every output must neutralise them).
HOSTILE = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil","x")'


def shown_case():
    """A four-transaction case for pictures, reports and exports: ``(chain, tags, addresses, txids)``.

    tx0 (mined) pays 3 BTC to the suspect S and 7 BTC to a bystander B. tx1 spends S: 1 BTC to an
    exchange deposit X (tagged, NL), 1.9999 BTC change to C (fee 0.0001). tx2 spends C: 0.5 BTC to Y
    (tagged, DE, with a hostile label), 1.4998 BTC to D (unspent; fee 0.0001). tx3 spends B: 7 BTC
    minus fee to E (not traced).

    Examples
    --------
    >>> chain, tags, a, (t0, t1, t2, t3) = shown_case()
    >>> len(chain), sorted(a)
    (4, ['B', 'C', 'D', 'E', 'S', 'X', 'Y'])
    """
    from ..addresses import encode_address
    from ..chain import Chain
    from ..tags import TagStore

    a = {k: encode_address("p2wpkh", bytes([i + 1]) * 20) for i, k in enumerate("SBCXYDE")}
    t0, t1, t2, t3 = "a0" * 32, "b1" * 32, "c2" * 32, "d3" * 32
    txs = pd.DataFrame(
        {
            "txid": [t0, t1, t2, t3],
            "block_height": [1, 2, 3, 4],
            "time": [1_700_000_000, 1_700_003_600, 1_700_007_200, 1_700_010_800],
        }
    )
    inputs = pd.DataFrame(
        {"txid": [t0, t1, t2, t3], "vin": [0, 0, 0, 0], "prev_txid": [None, t0, t1, t0], "prev_vout": [None, 0, 1, 1]}
    )
    outputs = pd.DataFrame(
        {
            "txid": [t0, t0, t1, t1, t2, t2, t3],
            "vout": [0, 1, 0, 1, 0, 1, 0],
            "address": [a["S"], a["B"], a["X"], a["C"], a["Y"], a["D"], a["E"]],
            "value": [3 * BTC, 7 * BTC, 1 * BTC, 199_990_000, 50_000_000, 149_980_000, 7 * BTC - 10_000],
        }
    )
    chain = Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)
    tags = TagStore.from_frame(
        pd.DataFrame(
            [
                {
                    "address": a["X"],
                    "label": "Northbridge Exchange deposit address",
                    "category": "exchange",
                    "jurisdiction": "NL",
                    "source": "reply to production order",
                },
                {
                    "address": a["Y"],
                    "label": f"{HOSTILE} {FORMULA}",
                    "category": "exchange",
                    "jurisdiction": "DE",
                    "source": "a web page",
                },
            ]
        ),
        pack="toy",
    )
    return chain, tags, a, (t0, t1, t2, t3)


def _fail(message: str) -> None:
    raise AssertionError(message)


def assert_ledger_invariants(chain, key=None) -> None:
    """Raise ``AssertionError`` unless ``chain`` keeps the ledger's rules (and agrees with ``key``).

    No output spent twice; every non-coinbase transaction's inputs equal its outputs plus a positive
    fee; spends point back in chain order. With an answer key: one owner per address, the same
    addresses and txids as the chain, change outputs that exist. Instructors can run it on a
    generated case; the tests run it on every economy they make.

    Examples
    --------
    >>> chain, _ = toy_chain([{"out": [("alice", 100_000)]}, {"in": ["0:0"], "out": [("bob", 90_000)]}])
    >>> assert_ledger_invariants(chain)
    """
    ix = chain.index
    spent = ix.output_of_input[ix.output_of_input >= 0]
    if len(spent) != len(np.unique(spent)):
        _fail("an output is spent twice")
    t = chain.txs
    in_sum = np.bincount(
        ix.tx_of_input, weights=chain.inputs.value.fillna(0).to_numpy(np.int64), minlength=len(t)
    ).astype(np.int64)
    out_sum = np.bincount(ix.tx_of_output, weights=chain.outputs.value.to_numpy(np.int64), minlength=len(t)).astype(
        np.int64
    )
    nc = ~t.is_coinbase.to_numpy()
    fee = t.fee.to_numpy(np.int64, na_value=0)
    if not (in_sum[nc] == out_sum[nc] + fee[nc]).all():
        _fail("a transaction's inputs do not equal its outputs plus its fee")
    if not (fee[nc] > 0).all():
        _fail("a non-coinbase transaction pays no fee")
    src_tx = ix.tx_of_output[spent]
    dst_tx = ix.tx_of_input[ix.output_of_input >= 0]
    if not (src_tx < dst_tx).all():
        _fail("a transaction spends an output of a later transaction (not in chain order)")
    if key is None:
        return
    if not key.addresses.index.is_unique:
        _fail("the answer key gives an address two owners")
    if set(ix.addresses) != set(key.addresses.index):
        _fail("the answer key and the chain know different addresses")
    if set(chain.txs.txid) != set(key.txs.index):
        _fail("the answer key and the chain know different transactions")
    if not set(key.addresses.entity) <= set(key.entities.index):
        _fail("the answer key names an owner it does not describe")
    cv = key.txs.change_vout.dropna()
    n_out = chain.txs.set_index("txid").n_out
    if not (cv.to_numpy() < n_out.loc[cv.index].to_numpy()).all():
        _fail("the answer key names a change output that does not exist")
