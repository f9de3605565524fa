"""Graph views of a chain (networkx), built on demand from the tables.

* :func:`tx_graph`: one node per transaction (its txid); an edge ``a -> b``
  when ``b`` spends outputs of ``a``, with the value moved along it.
* :func:`address_graph`: one node per address; an edge ``a -> b`` when a
  transaction spending from ``a`` pays ``b``, with the value ``b`` received
  in such transactions and how many transactions did so.

Graphs are for pictures, path questions and small slices. The analysis
itself (clustering, tracing) works on the tables, which scale further.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["address_graph", "tx_graph"]


def tx_graph(chain) -> nx.DiGraph:
    """The transaction graph: txid -> txid along spent outputs.

    Edge attributes: ``value`` (satoshis moved from ``a``'s outputs into
    ``b``) and ``n_outputs`` (how many outputs of ``a`` ``b`` spends). Node
    attributes: ``block_height``, ``time``, ``fee``, ``is_coinbase``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> g = ct.tx_graph(ct.load_sample())
    >>> g.number_of_nodes() == len(ct.load_sample().txs)
    True
    """
    ix = chain.index
    spent = ix.output_of_input >= 0
    src = ix.tx_of_output[ix.output_of_input[spent]]
    dst = ix.tx_of_input[spent]
    vals = chain.outputs.value.to_numpy(np.int64)[ix.output_of_input[spent]]
    edges = (
        pd.DataFrame({"a": src, "b": dst, "value": vals})
        .groupby(["a", "b"], sort=False)
        .agg(value=("value", "sum"), n_outputs=("value", "size"))
        .reset_index()
    )
    txids = ix.txids.to_numpy()
    g = nx.DiGraph()
    t = chain.txs
    g.add_nodes_from(
        (
            txid,
            {
                "block_height": None if pd.isna(h) else int(h),
                "time": tm,
                "fee": None if pd.isna(f) else int(f),
                "is_coinbase": bool(cb),
            },
        )
        for txid, h, tm, f, cb in zip(t.txid, t.block_height, t.time, t.fee, t.is_coinbase)
    )
    g.add_edges_from(
        (txids[a], txids[b], {"value": int(v), "n_outputs": int(n)})
        for a, b, v, n in zip(edges.a, edges.b, edges.value, edges.n_outputs)
    )
    return g


def address_graph(chain) -> nx.DiGraph:
    """The address graph: input address -> output address, aggregated.

    Edge attributes: ``value``, the satoshis the output address received in
    transactions that spent from the input address, and ``tx_count``, how
    many such transactions. A transaction with several input addresses adds
    its outputs to the edge of each (the value is not split between them).
    Node attribute ``balance`` (satoshis unspent).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> g = ct.address_graph(ct.load_sample("hal_finney"))
    >>> satoshi = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"   # block 9's coinbase key
    >>> hal = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
    >>> g[satoshi][hal]["value"]                         # block 170: 10 BTC to Hal Finney
    1000000000
    """
    ix = chain.index
    ia = pd.DataFrame({"tx": ix.tx_of_input, "a": ix.address_of_input})
    ia = ia[ia.a >= 0].drop_duplicates()
    oa = pd.DataFrame(
        {"tx": ix.tx_of_output, "b": ix.address_of_output, "value": chain.outputs.value.to_numpy(np.int64)}
    )
    oa = oa[oa.b >= 0].groupby(["tx", "b"], sort=False).value.sum().reset_index()
    pairs = ia.merge(oa, on="tx")
    edges = pairs.groupby(["a", "b"], sort=False).agg(value=("value", "sum"), tx_count=("tx", "nunique")).reset_index()
    names = ix.addresses.to_numpy()
    g = nx.DiGraph()
    bal = chain.addresses.balance
    g.add_nodes_from((a, {"balance": int(b)}) for a, b in zip(bal.index, bal.to_numpy()))
    g.add_edges_from(
        (names[a], names[b], {"value": int(v), "tx_count": int(n)})
        for a, b, v, n in zip(edges.a, edges.b, edges.value, edges.tx_count)
    )
    return g
