"""Explore the money: an interactive graph of coins in the notebook, offline.

``ct.explore(trace)`` (or a cluster, an address, a transaction, a chain neighbourhood) returns a
widget: coins as nodes, transactions as links, left to right in time, coloured as in the static
pictures. Click a coin to open one step (forward, or backward with shift), double click to close;
hover for amounts, tags and rules; select nodes and write notes that Python reads back
(``explorer.selected``, ``explorer.notes``, ``explorer.add_to_case``); save the view as a standalone
HTML file (``explorer.save_html``) a colleague can open without Python.

The JavaScript is Cytoscape.js (vendored, MIT; see ``static/PROVENANCE.md``) and this package's own
``static/explorer.js``; nothing is fetched from the network.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import ExploreError
from .model import DEFAULT_MAX_NODES, GROUPS, SHAPES, VIEWS, GraphModel
from .widget import Explorer

__all__ = ["GROUPS", "SHAPES", "VIEWS", "Explorer", "GraphModel", "explore"]


_TXID = re.compile(r"^\s*[0-9a-fA-F]{64}\s*$")
_OUTPOINT = re.compile(r"^\s*([0-9a-fA-F]{64})\s*:\s*(\d+)\s*$")


def explore(
    obj,
    *,
    chain=None,
    tags=None,
    clustering=None,
    cluster=None,
    view: str | None = None,
    hops: int = 0,
    direction: str = "both",
    max_nodes: int = DEFAULT_MAX_NODES,
    eur_per_btc: float | None = None,
    title: str | None = None,
) -> Explorer:
    """Open an interactive graph of where the money went.

    Parameters
    ----------
    obj : Trace, Clustering, Chain, or str
        What to show first: a :class:`~cryptotrace.Trace` (its coins, with traced amounts); a fitted
        :class:`~cryptotrace.Clustering` with ``cluster=`` (the coins paid to that cluster); or, with
        ``chain=``, an address, a txid (its inputs and outputs) or an output ``"txid:vout"``; or a
        :class:`~cryptotrace.Chain` with ``cluster=`` / an address or txid in ``obj``'s place via
        ``chain.tx(...)``/``chain.address(...)`` views.
    chain : Chain, optional
        The records, when ``obj`` is an address, txid or output.
    tags : TagStore, optional
        Attribution for colours and hover (default for a trace: none; pass the same tags).
    clustering : fitted Clustering, optional
        Clusters for hover and the ``"entities"`` view.
    cluster : int, optional
        With a Clustering (or a chain and ``clustering=``): which cluster to show.
    view : {"coins", "addresses", "entities"}, optional
        What a node is (a switch in the widget too). Default: coins (addresses for a cluster).
    hops : int, default 0
        Open this many steps around the start at once (``direction`` "forward", "backward" or "both").
    max_nodes : int, default 2000
        Above this the view is grouped (per address, then entity, then colour and time) and says so.
    eur_per_btc : float, optional
        Shows amounts in euros too, at this rate (say which day's rate in your notes).

    Returns
    -------
    Explorer
        The widget; it shows itself in a notebook.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> chain = ct.load_sample()
    >>> ex = ct.explore(chain.txs.txid.iloc[5], chain=chain)
    >>> int((ex.nodes.kind == "coin").sum()) == len(ex.nodes)
    True
    """
    from ..chain import AddressView, Chain, TxView
    from ..clustering import Clustering
    from ..tracing import Trace

    if direction not in ("forward", "backward", "both"):
        raise ExploreError(f"direction {direction!r} is not known; use 'forward', 'backward' or 'both'")
    if isinstance(hops, bool) or not isinstance(hops, (int, np.integer)) or hops < 0:
        raise ExploreError(f"hops must be a whole number 0 or more, not {hops!r}")
    trace = None
    if isinstance(obj, Trace):
        trace, chain = obj, obj.chain
    elif isinstance(obj, Clustering):
        clustering = obj
        chain = chain if chain is not None else getattr(obj, "chain_", None)
        if chain is None:
            raise ExploreError("this clustering is not fitted; use ct.Clustering().fit(chain) first")
    elif isinstance(obj, Chain):
        chain = obj
    elif isinstance(obj, TxView):
        chain, obj = obj._chain, obj.txid
    elif isinstance(obj, AddressView):
        chain, obj = obj._chain, obj.address
    if chain is None:
        raise ExploreError(
            f"ct.explore({obj!r}) needs the records: add chain=... (e.g. ct.explore(address, chain=chain))"
        )
    model = GraphModel(chain, tags=tags, clustering=clustering, trace=trace)
    default_view = "coins"
    if trace is not None:
        f = trace.flows
        rows = _output_rows(chain, f.txid.astype(str).to_numpy(dtype=object), f.vout.to_numpy(np.int64))
        coins = model.coins_from_outputs(rows)
        # a coin's origin: the coin it came from on the trace's path (so a double click closes its branch)
        model.add(coins, origin=None)
        _trace_origins(model, trace)
        title = title or f"Trace {trace.params['direction']} ({trace.params['policy']}) from {trace.params['start']}"
        summary = trace.describe()
    elif isinstance(obj, Clustering) or (isinstance(obj, Chain) and cluster is not None):
        if clustering is None:
            raise ExploreError("showing a cluster needs the clustering: ct.explore(clustering, cluster=7)")
        if cluster is None:
            raise ExploreError("which cluster? add cluster=<id> (see clustering.clusters_ for the ids)")
        members = clustering.members(cluster)
        model.add(model.coins_at_addresses(members))
        default_view = "addresses"
        title = title or f"Cluster {cluster}: {len(members):,} address(es)"
        summary = f"Cluster {cluster} of the clustering ({len(members):,} addresses). Colours: their tags."
    elif isinstance(obj, str):
        title, summary = _start_from_text(model, chain, obj)
    elif isinstance(obj, Chain):
        raise ExploreError(
            "a whole chain is too much to draw: say where to start, e.g. "
            "ct.explore(txid, chain=chain, hops=2) or ct.explore(clustering, cluster=7)"
        )
    else:
        raise ExploreError(
            f"ct.explore cannot show a {type(obj).__name__}; give a Trace, a Clustering with "
            "cluster=, or an address, txid or 'txid:vout' with chain="
        )
    for _ in range(int(hops)):
        ids = model.nodes_.id.to_numpy(dtype=object)
        for d in ("forward", "backward") if direction == "both" else (direction,):
            model.expand(ids, d)
    return Explorer(
        model, view=view or default_view, title=title, max_nodes=max_nodes, summary=summary, eur_per_btc=eur_per_btc
    )


def _output_rows(chain, txids, vouts) -> np.ndarray:
    ix = chain.index
    pos = ix.txids.get_indexer(pd.Index(txids, dtype=object))
    if (pos < 0).any():
        raise ExploreError(f"txid {txids[np.flatnonzero(pos < 0)[0]]!r} is not in these records")
    rows = ix.out_start[pos] + vouts
    bad = vouts >= ix.out_start[pos + 1] - ix.out_start[pos]
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ExploreError(
            f"output {txids[i]}:{vouts[i]} does not exist (that transaction has "
            f"{ix.out_start[pos[i] + 1] - ix.out_start[pos[i]]} outputs)"
        )
    return rows


def _trace_origins(model: GraphModel, trace) -> None:
    """Each traced coin's origin: a coin of the previous hop spent (forward) or made (backward) with it."""
    n = model.nodes_
    ids = n.id.to_numpy(dtype=object)
    forward = trace.params["direction"] == "forward"
    link_self = n.made.to_numpy() if forward else n.spent.to_numpy()
    link_prev = n.spent.to_numpy() if forward else n.made.to_numpy()
    prev = pd.Series(ids, index=link_prev)
    prev = prev[~prev.index.duplicated() & (prev.index >= 0)]
    origin = prev.reindex(link_self).to_numpy(dtype=object)
    origin = np.where(origin == ids, None, origin)
    model.nodes_["origin"] = [None if (o is None or (isinstance(o, float) and np.isnan(o))) else o for o in origin]


def _start_from_text(model: GraphModel, chain, text: str) -> tuple[str, str]:
    m = _OUTPOINT.match(text)
    if m:
        txid, vout = m.group(1).lower(), int(m.group(2))
        rows = _output_rows(chain, np.array([txid], dtype=object), np.array([vout]))
        model.add(model.coins_from_outputs(rows))
        return f"Coin {txid[:12]}…:{vout}", f"Output {txid}:{vout}."
    if _TXID.match(text):
        txid = text.strip().lower()
        pos = chain.index.txids.get_indexer([txid])[0]
        if pos < 0:
            raise ExploreError(f"txid {txid!r} is not in these records; check it, or load the data that holds it")
        outs, _ = model.coins_of_txs([pos], "out")
        ins, _ = model.coins_of_txs([pos], "in")
        model.add(ins)
        model.add(outs)
        return f"Transaction {txid[:12]}…", f"Transaction {txid}: its inputs (left) and outputs (right)."
    addr = text.strip()
    if chain.index.addresses.get_indexer([addr])[0] < 0:
        raise ExploreError(
            f"{addr!r} is not an address, txid or 'txid:vout' in these records; "
            "copy it from chain.addresses or chain.txs"
        )
    coins = model.coins_at_addresses([addr])
    model.add(coins)
    return f"Address {addr}", f"Address {addr}: the {len(coins):,} coin(s) paid to it."
