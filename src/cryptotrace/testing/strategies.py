"""Hypothesis strategies: random *valid* chains as tables, for property tests (needs ``hypothesis``)."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from .chains import ADDRESS_POOL, txid_of

__all__ = ["chain_tables"]


@st.composite
def chain_tables(draw, max_txs: int = 12):
    """(txs, inputs, outputs, blocks) DataFrames of a random valid chain.

    Coinbases create coins; every other transaction spends some unspent
    outputs and pays 1-3 outputs plus a fee. One tx per block, times rising.
    """
    n = draw(st.integers(1, max_txs))
    txs, ins, outs = [], [], []
    utxo: list[tuple[str, int, int, str]] = []
    for i in range(n):
        txid = txid_of(i, "t")
        coinbase = not utxo or draw(st.booleans().map(lambda b: b and i % 4 == 0))
        if coinbase:
            ins.append((txid, 0, None, None))
            total = draw(st.integers(1, 50 * 10**8))
            fee = 0
        else:
            k = draw(st.integers(1, min(3, len(utxo))))
            picks = draw(st.lists(st.integers(0, len(utxo) - 1), min_size=k, max_size=k, unique=True))
            spent = [utxo[p] for p in picks]
            for p in sorted(picks, reverse=True):
                utxo.pop(p)
            for vin, (pt, pv, _, _) in enumerate(spent):
                ins.append((txid, vin, pt, pv))
            total_in = sum(s[2] for s in spent)
            fee = draw(st.integers(0, min(total_in, 10_000)))
            total = total_in - fee
        m = draw(st.integers(1, 3))
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=m - 1, max_size=m - 1)))
        values = [b - a for a, b in zip([0] + cuts, cuts + [total])]
        for vout, v in enumerate(values):
            addr = ADDRESS_POOL[draw(st.integers(0, len(ADDRESS_POOL) - 1))]
            outs.append((txid, vout, addr, v))
            utxo.append((txid, vout, v, addr))
        txs.append((txid, 100 + i, 1_600_000_000 + 600 * i))
    txs_df = pd.DataFrame(txs, columns=["txid", "block_height", "time"])
    in_df = pd.DataFrame(ins, columns=["txid", "vin", "prev_txid", "prev_vout"])
    out_df = pd.DataFrame(outs, columns=["txid", "vout", "address", "value"])
    blocks = pd.DataFrame({"height": txs_df.block_height, "hash": [txid_of(h, "b") for h in txs_df.block_height],
                           "time": txs_df.time})
    return txs_df, in_df, out_df, blocks
