"""Hypothesis strategies: random *valid* chains as tables, for property tests (needs ``hypothesis``)."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from .chains import ADDRESS_POOL, random_chain, toy_chain, txid_of

__all__ = ["chain_tables", "random_chains", "spending_chains"]


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
    blocks = pd.DataFrame(
        {"height": txs_df.block_height, "hash": [txid_of(h, "b") for h in txs_df.block_height], "time": txs_df.time}
    )
    return txs_df, in_df, out_df, blocks


#: Random valid Chains from :func:`cryptotrace.testing.random_chain` (2-14 transactions, small or huge
#: amounts, with or without inputs from outside the data).
random_chains = st.builds(
    random_chain, seed=st.integers(0, 2**31), n_tx=st.integers(2, 14), big=st.booleans(), external=st.booleans()
)


@st.composite
def spending_chains(draw, max_names: int = 14, max_txs: int = 14, max_inputs: int = 3):
    """Random Chains where each tx spends up to ``max_inputs`` unspent outputs of earlier txs; names are reused.

    Built with :func:`cryptotrace.testing.toy_chain`; useful where addresses must recur (clustering).
    """
    names = [f"n{i}" for i in range(draw(st.integers(3, max_names)))]
    unspent, txs = [], []
    for t in range(draw(st.integers(2, max_txs))):
        k = draw(st.integers(0, min(max_inputs, len(unspent))))
        idx = draw(st.lists(st.integers(0, max(len(unspent) - 1, 0)), min_size=k, max_size=k, unique=True)) if k else []
        spend = [unspent[i] for i in idx]
        unspent = [u for i, u in enumerate(unspent) if i not in idx]
        total = sum(v for _, v in spend) if spend else 100_000_000
        n_out = draw(st.integers(1, 3))
        outs = [(draw(st.sampled_from(names)), max(0, (total - 1_000) // n_out - j)) for j in range(n_out)]
        tx = {"out": outs}
        if spend:
            tx["in"] = [r for r, _ in spend]
        txs.append(tx)
        unspent += [(f"{t}:{v}", val) for v, (_, val) in enumerate(outs)]
    return toy_chain(txs)[0]
