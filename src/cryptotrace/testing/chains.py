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

from ..addresses import random_addresses

__all__ = ["ADDRESS_POOL", "BTC", "assert_ledger_invariants", "shown_case", "toy_chain", "txid_of"]

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
        t_rows.append({"txid": txid, "block_height": h, "time": base + 600 * h,
                       "version": t.get("version", 2), "locktime": t.get("locktime", 0)})
        ins = t.get("in", [])
        seq = t.get("sequence", 0xFFFFFFFF)
        if not ins:
            i_rows.append({"txid": txid, "vin": 0, "prev_txid": None, "prev_vout": None, "sequence": seq})
        for v, i in enumerate(ins):
            if isinstance(i, str):
                pt, pv = i.split(":")
                i_rows.append({"txid": txid, "vin": v, "prev_txid": _txid(int(pt), salt), "prev_vout": int(pv),
                               "sequence": seq})
            else:
                i_rows.append({"txid": txid, "vin": v, "prev_txid": _txid(10_000 + k * 100 + v, salt + "-ext"),
                               "prev_vout": 0, "address": addr[i[0]], "value": i[1], "sequence": seq})
        for v, (nm, val) in enumerate(t.get("out", [])):
            o_rows.append({"txid": txid, "vout": v, "address": addr[nm], "value": val})
    cols_i = ["txid", "vin", "prev_txid", "prev_vout", "address", "value", "sequence"]
    chain = _chain(pd.DataFrame(t_rows), pd.DataFrame(i_rows).reindex(columns=cols_i), pd.DataFrame(o_rows))
    return chain, addr


def _chain(txs, inputs, outputs):
    from ..chain import Chain

    return Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)


#: A fixed pool of valid mainnet addresses of three script types (random hashes, no keys).
ADDRESS_POOL = (random_addresses(np.random.default_rng(7), 12, "p2wpkh")
                + random_addresses(np.random.default_rng(8), 6, "p2pkh")
                + random_addresses(np.random.default_rng(9), 4, "p2tr"))


def txid_of(n: int, salt: str = "") -> str:
    """A made-up but well-formed txid (64 hex characters), the same for the same ``n`` and ``salt``."""
    return hashlib.sha256(f"{salt}{n}".encode()).hexdigest()


#: Text a hostile tag file could carry: HTML and a spreadsheet formula (every output must neutralise them).
HOSTILE = "<script>alert(1)</script>"
FORMULA = "=HYPERLINK(\"http://evil\",\"x\")"


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
    txs = pd.DataFrame({"txid": [t0, t1, t2, t3], "block_height": [1, 2, 3, 4],
                        "time": [1_700_000_000, 1_700_003_600, 1_700_007_200, 1_700_010_800]})
    inputs = pd.DataFrame({"txid": [t0, t1, t2, t3], "vin": [0, 0, 0, 0],
                           "prev_txid": [None, t0, t1, t0], "prev_vout": [None, 0, 1, 1]})
    outputs = pd.DataFrame({
        "txid": [t0, t0, t1, t1, t2, t2, t3], "vout": [0, 1, 0, 1, 0, 1, 0],
        "address": [a["S"], a["B"], a["X"], a["C"], a["Y"], a["D"], a["E"]],
        "value": [3 * BTC, 7 * BTC, 1 * BTC, 199_990_000, 50_000_000, 149_980_000, 7 * BTC - 10_000]})
    chain = Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)
    tags = TagStore.from_frame(pd.DataFrame([
        {"address": a["X"], "label": "Northbridge Exchange deposit address", "category": "exchange",
         "jurisdiction": "NL", "source": "reply to production order"},
        {"address": a["Y"], "label": f"{HOSTILE} {FORMULA}", "category": "exchange", "jurisdiction": "DE",
         "source": "a web page"},
    ]), pack="toy")
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
    in_sum = np.bincount(ix.tx_of_input, weights=chain.inputs.value.fillna(0).to_numpy(np.int64),
                         minlength=len(t)).astype(np.int64)
    out_sum = np.bincount(ix.tx_of_output, weights=chain.outputs.value.to_numpy(np.int64),
                          minlength=len(t)).astype(np.int64)
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

