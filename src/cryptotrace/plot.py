"""Pictures of traces, clusters and balances (matplotlib).

Every function returns a matplotlib ``Figure``: in Jupyter it shows itself,
elsewhere save it with ``fig.savefig("trace.png", dpi=150)``. The figures are
made without ``pyplot``, so they work on a server with no display (the Agg
renderer draws the PNG) and never pile up in memory.

Colours come from the Okabe-Ito palette, which people with the common forms
of colour blindness can tell apart; every colour also has a legend entry in
words, and endpoints differ by shape as well as colour.

Text from data (tag labels, addresses, service names) and titles are drawn
exactly as written: a ``$`` is escaped, so a label such as ``$\\frac{a}{``
cannot start a matplotlib formula (mathtext) and break the picture.

* :func:`trace_flow` -- the trace as a flow graph, left to right by hop (or
  time), arrow width by traced value, coins coloured by who holds them;
* :func:`money_summary` -- where the money went: exchanges, unspent,
  mixers/CoinJoins, fees, unknown (stacked bar plus the services reached);
* :func:`cluster_picture` -- the addresses of one cluster and the evidence
  (transaction and heuristic) that joined them;
* :func:`balance_timeline` -- the balance of an address, a list of addresses
  or a cluster over time.

The same pictures hang off the objects once this module is imported:
``trace.plot()``, ``trace.plot_summary()``, ``clustering.plot_cluster(id)``,
``clustering.plot_balance(id)``.

Examples
--------
>>> import cryptotrace as ct
>>> from cryptotrace.tracing import worked_example_chain
>>> chain = worked_example_chain()
>>> t = ct.trace(chain, chain.outputs.txid[0] + ":0", min_value=0)
>>> fig = ct.plot.trace_flow(t)
>>> fig.axes[0].get_title(loc="left")[:27]
'Where the traced coins went'
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ._safe import mpl_text
from .errors import ClusteringError, NotInChainError, TraceError
from .tags import category_role, tags_by_address
from .units import SATS_PER_BTC, format_btc

__all__ = [
    "GROUP_COLOURS",
    "OKABE_ITO",
    "balance_timeline",
    "cluster_picture",
    "flow_edges",
    "money_summary",
    "trace_flow",
    "where_the_money_went",
]

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
#: What a coin's colour means in every picture (group -> colour), in legend order.
GROUP_COLOURS = {
    "start (traced coins)": OKABE_ITO["vermillion"],
    "exchange / custodial service": OKABE_ITO["blue"],
    "darknet market": OKABE_ITO["reddish_purple"],
    "mixer / CoinJoin": OKABE_ITO["orange"],
    "other tagged": OKABE_ITO["sky_blue"],
    "unspent": OKABE_ITO["bluish_green"],
    "unknown owner": OKABE_ITO["grey"],
}
#: The bars of :func:`money_summary` (group -> colour), in order.
SUMMARY_COLOURS = {
    "exchanges and services": OKABE_ITO["blue"],
    "unspent (seizable?)": OKABE_ITO["bluish_green"],
    "mixers / CoinJoins": OKABE_ITO["orange"],
    "fees (to miners)": OKABE_ITO["black"],
    "unknown / moved on": OKABE_ITO["grey"],
}
_HEURISTIC_COLOURS = [
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "black", "yellow")
]


# ====================================================================== helpers
def _short(address, n: int = 6) -> str:
    """``bc1q4q3t…jx4q``: enough of an address to recognise it on a picture."""
    if address is None or (not isinstance(address, str) and pd.isna(address)):
        return "(no address)"
    a = str(address)
    return a if len(a) <= 2 * n + 1 else f"{a[: n + 2]}…{a[-n + 2 :]}"


def _btc(sats) -> str:
    """Readable BTC for a picture: 8 decimals below 1 BTC, 4 above (the tables keep all 8)."""
    v = int(sats) / SATS_PER_BTC
    return f"{v:,.4f} BTC" if v >= 1 else f"{v:.8f} BTC"


class _Figure(Figure):
    """A matplotlib Figure that shows itself in Jupyter even when pyplot was never imported."""

    def _repr_png_(self):
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100)
        return buf.getvalue()


def new_figure(width: float, height: float) -> Figure:
    """An empty matplotlib figure of ``width`` x ``height`` inches (100 dpi, constrained layout), not tied to pyplot."""
    return _Figure(figsize=(width, height), dpi=100, layout="constrained")


def _group_of(category, kind=None, *, is_start=False, is_coinjoin=False) -> str:
    cat = "" if category is None or (not isinstance(category, str) and pd.isna(category)) else str(category).lower()
    if is_start:
        return "start (traced coins)"
    role = category_role(cat)  # one taxonomy: cryptotrace.tags
    if role == "mixing" or is_coinjoin:
        return "mixer / CoinJoin"
    if role == "market":
        return "darknet market"
    if role == "custodial":
        return "exchange / custodial service"
    if cat:
        return "other tagged"
    if kind in ("unspent", "end_of_data"):
        return "unspent"
    return "unknown owner"


def _check_trace(trace):
    if not (hasattr(trace, "coins") and hasattr(trace, "endpoints") and hasattr(trace, "params")):  # a Trace
        raise TraceError(f"this picture needs a Trace (from cryptotrace.trace(...)), not {type(trace).__name__}")


# ====================================================================== the flow graph
def flow_edges(trace) -> pd.DataFrame:
    """The edges of a trace's flow graph: which traced coin paid into which.

    A coin (output ``txid:vout``) that a followed transaction spends is joined
    to every traced output of that transaction. The traced value on the edge
    is the child's traced value shared in proportion to the parents' traced
    values (exact for the picture's purpose; the amounts in the tables come
    from the trace itself).

    Returns
    -------
    DataFrame
        ``parent, child, via_txid, tainted_value`` (satoshis), ``parent``
        and ``child`` as ``"txid:vout"``.
    """
    _check_trace(trace)
    f = trace.flows
    f = f[f.tainted_value > 0]
    cols = ["parent", "child", "via_txid", "tainted_value"]
    if not len(f):
        return pd.DataFrame({c: pd.Series(dtype="string" if c != "tainted_value" else "int64") for c in cols})
    key = f.txid.astype(str) + ":" + f.vout.astype(str)
    node = pd.DataFrame(
        {
            "key": key.to_numpy(),
            "txid": f.txid.astype(str).to_numpy(),
            "vout": f.vout.to_numpy(np.int64),
            "taint": f.tainted_value.to_numpy(np.int64),
        }
    )
    inp = trace.chain.inputs
    inp = inp[inp.txid.isin(node.txid) & inp.prev_txid.notna()]
    par = pd.DataFrame(
        {
            "via": inp.txid.astype(str).to_numpy(),
            "txid": inp.prev_txid.astype(str).to_numpy(),
            "vout": inp.prev_vout.astype("int64").to_numpy(),
        }
    )
    par = par.merge(node, on=["txid", "vout"], how="inner").rename(columns={"key": "parent", "taint": "p_taint"})
    if not len(par):
        return pd.DataFrame({c: pd.Series(dtype="string" if c != "tainted_value" else "int64") for c in cols})
    par["p_total"] = par.groupby("via").p_taint.transform("sum")
    kids = node.rename(columns={"txid": "via", "key": "child", "taint": "c_taint"})[["via", "child", "c_taint"]]
    e = par[["via", "parent", "p_taint", "p_total"]].merge(kids, on="via", how="inner")
    w = np.floor(
        e.c_taint.to_numpy(np.float64) * e.p_taint.to_numpy(np.float64) / np.maximum(e.p_total.to_numpy(np.float64), 1)
    ).astype(np.int64)
    out = pd.DataFrame(
        {
            "parent": pd.array(e.parent, dtype="string"),
            "child": pd.array(e.child, dtype="string"),
            "via_txid": pd.array(e.via, dtype="string"),
            "tainted_value": w,
        }
    )
    return out[out.parent != out.child].reset_index(drop=True)


def flow_nodes(trace, tags, coinjoins) -> pd.DataFrame:
    """One row per traced coin with what the picture needs (group, label, endpoint kind), from ``trace.coins``."""
    c = trace.coins_with(tags=tags)  # the trace's coin table (with ``tags``: re-annotated)
    c = c[(c.entry == "coin").to_numpy(bool) & (c.traced_value.to_numpy() > 0)]
    f = pd.DataFrame(
        {
            "hop": c.hop.to_numpy(),
            "txid": c.txid.to_numpy(),
            "vout": c.vout.to_numpy(np.int64),
            "address": c.address.to_numpy(),
            "cluster": c.cluster.to_numpy(),
            "value": c.value.to_numpy(),
            "tainted_value": c.traced_value.to_numpy(),
            "tag": c.label.to_numpy(),
        }
    )
    f["key"] = f.txid.astype(str) + ":" + f.vout.astype(str)
    ep = trace.endpoints
    ep = ep[ep.vout.notna()]
    ep_key = ep.txid.astype(str) + ":" + ep.vout.astype("Int64").astype(str)
    kind = pd.Series(ep.kind.to_numpy(dtype=object), index=ep_key.to_numpy()).groupby(level=0).first()
    f["kind"] = kind.reindex(f.key.to_numpy()).to_numpy()
    f["category"] = c.category.to_numpy(dtype=object, na_value=None)
    f["label"] = c.label.to_numpy(dtype=object, na_value=None)
    f["jurisdiction"] = c.jurisdiction.to_numpy(dtype=object, na_value=None)
    if coinjoins is None:  # the coin table's CoinJoin flag (the detector ran once for this trace)
        is_cj = c.coinjoin.to_numpy(bool)
    else:
        cj = {str(x).lower() for x in coinjoins}
        is_cj = f.txid.astype(str).isin(cj).to_numpy()
    start = c.is_start.to_numpy(bool)
    f["is_start"] = start
    f["group"] = [
        _group_of(cat, k, is_start=s, is_coinjoin=j)
        for cat, k, s, j in zip(f.category.tolist(), f.kind.tolist(), start.tolist(), is_cj.tolist())
    ]
    return f.reset_index(drop=True)


# groups whose coins are end points a picture must always show
_END_GROUPS = ("exchange / custodial service", "darknet market", "mixer / CoinJoin", "other tagged", "unspent")
# what an end point of unknown owner means, in a few words (endpoint kind -> name in the picture)
_END_NAMES = {
    "hop_limit": "Not followed further\n(step limit reached)",
    "below_threshold": "Too small to follow",
    "spent_outside": "Spent outside\nthese records",
    "back_to_start": "Back to the start",
    "stopped": "Stopped (as asked)",
    "service": "A tagged service\n(no name in the tags)",
    "end_of_data": "Still unspent\n(unknown owner)",
    "unspent": "Still unspent\n(unknown owner)",
}


def _owner(nodes: pd.DataFrame) -> pd.Series:
    """Who holds each coin, as a key: its cluster when the trace had a clustering, else its address."""
    cl = pd.to_numeric(nodes["cluster"], errors="coerce") if "cluster" in nodes else pd.Series(np.nan, nodes.index)
    addr = nodes["address"].astype("string").fillna("?")
    own = "a:" + addr
    has = cl.notna().to_numpy()
    own = own.where(~has, "c:" + cl.fillna(-1).astype("int64").astype(str))
    return own.astype(str)


def _merge_starts(nodes: pd.DataFrame, edges: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Start coins of one owner (cluster, else address) become one node ``start|owner``."""
    nodes = nodes.assign(n_coins=1, n_addresses=1)
    s = nodes[nodes.is_start]
    if not len(s):
        return nodes, edges
    key = "start|" + _owner(s)
    g = s.assign(newkey=key.to_numpy()).groupby("newkey", sort=False)
    merged = g.first()
    merged["tainted_value"] = g.tainted_value.sum()
    merged["value"] = g.value.sum()
    merged["n_coins"] = g.size()
    merged["n_addresses"] = g.address.nunique()
    merged["kind"] = g.kind.agg(lambda k: k.dropna().iloc[0] if k.notna().any() else None)
    merged = merged.reset_index().drop(columns="key").rename(columns={"newkey": "key"})
    remap = dict(zip(s.key, key))
    rest = nodes[~nodes.is_start]
    nodes = pd.concat([merged[rest.columns.tolist()], rest], ignore_index=True)
    if len(edges):
        e = edges.assign(
            parent=edges.parent.map(lambda k: remap.get(k, k)), child=edges.child.map(lambda k: remap.get(k, k))
        )
        e = e[e.parent != e.child]
        edges = e.groupby(["parent", "child"], sort=False, as_index=False).tainted_value.sum()
    return nodes, edges


def _best_parent(edges: pd.DataFrame) -> pd.Series:
    if not len(edges):
        return pd.Series(dtype=object)
    return (
        edges.sort_values("tainted_value", ascending=False, kind="stable")
        .drop_duplicates("child")
        .set_index("child")
        .parent
    )


def _select(nodes: pd.DataFrame, edges: pd.DataFrame, max_nodes: int) -> pd.DataFrame:
    """Every start and end point (services, unspent, mixers), the coins that link them to the start,
    then the coins carrying the most traced value until ``max_nodes``."""
    if len(nodes) <= max_nodes:
        return nodes
    best = _best_parent(edges)
    keep: set = set()

    def with_ancestors(k):
        up = [k]
        p = best.get(k)
        while p is not None and p not in keep and p not in up and len(up) < 256:
            up.append(p)
            p = best.get(p)
        return up

    must = nodes.is_start | (nodes.group.isin(_END_GROUPS) & (nodes.kind.notna() | (nodes.group == "mixer / CoinJoin")))
    for k in nodes[must].sort_values("tainted_value", ascending=False, kind="stable").key.head(4 * max_nodes):
        keep.update(with_ancestors(k))
    order = nodes.sort_values(["tainted_value", "hop"], ascending=[False, True], kind="stable")
    for k in order.key.tolist():
        if len(keep) >= max_nodes:
            break
        if k in keep:
            continue
        up = with_ancestors(k)
        if len(keep) + len(up) <= max_nodes:
            keep.update(up)
    return nodes[nodes.key.isin(keep)]


def _entity_key(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.Series:
    """Each coin's box in the entity picture: its start owner, the service, CoinJoin or kind of end
    point it reached, or ``via|X`` for coins of unknown owners passed on after box X."""
    start_clusters = set(_owner(nodes[nodes.is_start]))
    own = _owner(nodes)
    label = nodes.label.astype("string").fillna("").str.replace(_SERVICE_SUFFIX, "", regex=True)
    label = label.where(label.str.len() > 0, "unnamed service")
    kind = nodes.kind.astype("string").fillna("")
    grp = nodes.group
    key = pd.Series("via|", index=nodes.index, dtype=object)
    key[nodes.is_start] = nodes.key[nodes.is_start]
    svc = grp.isin(["exchange / custodial service", "darknet market", "other tagged"]) & ~nodes.is_start
    key[svc] = "svc|" + label[svc]
    mix = (grp == "mixer / CoinJoin") & ~nodes.is_start
    key[mix] = "mix|all"  # one box: after a CoinJoin the link is probabilistic anyway
    unsp = (grp == "unspent") & ~nodes.is_start
    mine = own.isin(start_clusters) & own.str.startswith("c:")
    key[unsp & mine] = "unspent|suspect"
    key[unsp & ~mine] = "unspent|other"
    end = (grp == "unknown owner") & (kind != "") & ~nodes.is_start
    key[end] = "end|" + kind[end]
    # coins of unknown owners followed further, and end points of unknown owners: after which box? Their
    # heaviest parent's (in the order the money moved: a coin can come back into an earlier hop's transaction)
    todo = (key == "via|") | key.isin(["unspent|other"]) | key.str.startswith("end|")
    if todo.any():
        import networkx as nx

        best = _best_parent(edges)
        of = dict(zip(nodes.key, key))
        dag = nx.DiGraph()
        dag.add_nodes_from(nodes.key)
        dag.add_edges_from(zip(edges.parent, edges.child))
        try:
            order = list(nx.topological_sort(dag))
        except nx.NetworkXUnfeasible:  # a cycle cannot happen on a chain; fall back to the hop order
            order = nodes.sort_values("hop", kind="stable").key.tolist()
        row = dict(zip(nodes.key, nodes.index))
        need = set(nodes.key[todo])
        for k in order:
            if k not in need:
                continue
            pk = of.get(best.get(k), "") or "start"
            after = pk[4:] if pk.startswith("via|") else pk
            v = key[row[k]]
            v = f"via|{after}" if v == "via|" else f"{v}|{after}"
            key[row[k]] = v
            of[k] = v
    return key


def _entity_boxes(n: pd.DataFrame, edges: pd.DataFrame):
    of = dict(zip(n.key, n.ent))
    if len(edges):
        e = edges.assign(parent=edges.parent.astype(object).map(of), child=edges.child.astype(object).map(of))
        e = e.dropna(subset=["parent", "child"])
        e = e[e.parent != e.child].groupby(["parent", "child"], as_index=False, sort=False).tainted_value.sum()
    else:
        e = pd.DataFrame(
            {
                "parent": pd.Series(dtype=object),
                "child": pd.Series(dtype=object),
                "tainted_value": pd.Series(dtype="int64"),
            }
        )
    g = n.groupby("ent", sort=False)
    jur = n.jurisdiction.astype("string").dropna()
    ent = pd.DataFrame(
        {
            "n_coins": g.n_coins.sum(),
            "n_addresses": np.maximum(g.address.nunique(), g.n_addresses.max()),
            "hop_min": g.hop.min(),
            "hop_max": g.hop.max(),
            "n_txs": g.txid.nunique(),
            "group": g.group.first(),
            "own_value": g.tainted_value.sum(),
            "end_value": n[n.kind.notna()]
            .groupby("ent")
            .tainted_value.sum()
            .reindex(g.size().index)
            .fillna(0)
            .astype("int64"),
            "address": g.address.first(),
            "txid": g.txid.first(),
            "cluster": g.cluster.first(),
            "label": g.label.first(),
            "jurisdiction": n.loc[jur.index].groupby("ent").jurisdiction.first().reindex(g.size().index),
        }
    )
    inflow = e.groupby("child").tainted_value.sum().reindex(ent.index).fillna(0).astype("int64")
    idx = ent.index.astype(str)
    is_start = idx.str.startswith("start|")
    is_via = idx.str.startswith("via|")
    is_mix = idx.str.startswith("mix|")
    val = np.where(
        is_start,
        ent.own_value,
        np.where(
            (ent.end_value > 0) & ~is_mix, ent.end_value, np.where(is_via, inflow, np.maximum(inflow, ent.own_value))
        ),
    )
    ent["value"] = val.astype("int64")
    ent.loc[is_via, "group"] = "unknown owner"
    ent.loc[idx.str.startswith("small|"), "group"] = "unknown owner"
    ent.loc[idx.str.startswith("mix|"), "group"] = "mixer / CoinJoin"
    return ent, e


def _entity_graph(trace, nodes: pd.DataFrame, edges: pd.DataFrame, *, small: float = 0.01, max_boxes: int = 16):
    """Boxes (one per owner, service, CoinJoin or kind of end point) and the traced BTC between them.

    End points of unknown owners carrying less than ``small`` of the traced value are one box per
    branch ("smaller end points"); services, CoinJoins and the suspect's own unspent coins always
    keep their own box."""
    n = nodes.assign(ent=_entity_key(nodes, edges).to_numpy())
    ent, e = _entity_boxes(n, edges)
    idx = ent.index.astype(str)
    tiny = (idx.str.startswith("end|") | idx.str.startswith("unspent|other")) & (
        ent.value < small * max(int(trace.start_value), 1)
    )
    if tiny.any():
        after = {k: "small|" + k.split("|", 2)[2] if k.count("|") >= 2 else "small|start" for k in idx[tiny]}
        n["ent"] = n.ent.map(lambda k: after.get(k, k))
        ent, e = _entity_boxes(n, edges)
    if len(ent) > max_boxes:
        # still too many boxes (e.g. a trace that goes on through services): one box for all the coins of
        # unknown owners in between, one per kind of end point; services, CoinJoins and the start keep theirs
        def one(k: str) -> str:
            kind, _, rest = k.partition("|")
            if kind in ("via", "small"):
                return f"{kind}|all"
            if kind == "unspent":
                return "unspent|suspect" if rest.startswith("suspect") else "unspent|other"
            if kind == "end":
                return "end|" + rest.split("|")[0]
            return k

        n["ent"] = n.ent.map(one)
        ent, e = _entity_boxes(n, edges)
    return ent, e


def _entity_name(k: str, r) -> str:
    kind, _, rest = k.partition("|")
    steps = f"step {int(r.hop_min)}" if r.hop_min == r.hop_max else f"steps {int(r.hop_min)}–{int(r.hop_max)}"
    coins = f"{int(r.n_coins):,} coin{'s' if r.n_coins != 1 else ''}"
    if kind == "start":
        who = (
            _short(r.address)
            if r.n_addresses == 1
            else f"{int(r.n_addresses)} addresses" + (f" (cluster {int(r.cluster)})" if pd.notna(r.cluster) else "")
        )
        tag = (
            "\n".join(textwrap.wrap(str(r.label), 24, break_long_words=False)[:2]) + "\n"
            if isinstance(r.label, str) and r.label
            else ""
        )
        return f"Start: {tag}{who}\n{_btc(r.value)}\nin {coins}"
    if kind == "via":
        return (
            f"{int(r.n_txs):,} transaction{'s' if r.n_txs != 1 else ''},\n"
            f"{int(r.n_addresses):,} address{'es' if r.n_addresses != 1 else ''}\n(unknown owners)\n"
            f"{steps}\n{_btc(r.value)}"
        )
    if kind == "mix":
        what = (
            f"CoinJoin\n(tx {str(r.txid)[:8]}…)"
            if r.n_txs == 1
            else f"CoinJoins and mixers\n({int(r.n_txs)} transactions)"
        )
        return f"{what}\n{_btc(r.value)}, {steps}"
    if kind == "small":
        return f"Smaller end points\n(unspent, too small,\nmoved on)\n{_btc(r.value)}\n{coins}, {steps}"
    if kind == "svc":
        j = f" ({r.jurisdiction})" if isinstance(r.jurisdiction, str) and r.jurisdiction else ""
        return (
            "\n".join(textwrap.wrap(rest + j, 24, break_long_words=False)[:2]) + f"\n{_btc(r.value)}\n{coins}, {steps}"
        )
    if kind == "unspent":
        who = (
            "Still unspent in the\nsuspect's own cluster"
            if rest.startswith("suspect")
            else "Still unspent\n(unknown owner)"
        )
        return f"{who}\n{_btc(r.value)}\n{coins}, {steps}"
    rest = rest.split("|")[0]
    return f"{_END_NAMES.get(rest, rest.replace('_', ' '))}\n{_btc(r.value)}\n{coins}, {steps}"


def _layers(keys, e: pd.DataFrame) -> dict:
    """Columns for the boxes: every arrow points right (the heaviest arrows win when money flows back)."""
    import networkx as nx

    dag = nx.DiGraph()
    dag.add_nodes_from(keys)
    for r in e.sort_values("tainted_value", ascending=False, kind="stable").itertuples(index=False):
        if not nx.has_path(dag, r.child, r.parent):
            dag.add_edge(r.parent, r.child)
    layer: dict = {}
    for k in nx.topological_sort(dag):
        ps = list(dag.predecessors(k))
        layer[k] = 1 + max(layer[p] for p in ps) if ps else 0
    return layer


def _destinations(ent: pd.DataFrame) -> str:
    """'Kryptohaus, Balticoin and a CoinJoin': the boxes where the money ended, largest first."""
    ends = ent[~ent.index.str.startswith(("start|", "via|"))].sort_values("value", ascending=False)
    svc = [k.partition("|")[2] for k in ends.index if k.startswith("svc|")]
    svc = list(dict.fromkeys(svc))
    parts = svc[:4] + ([f"{len(svc) - 4} more service{'s' if len(svc) > 5 else ''}"] if len(svc) > 4 else [])
    n_mix = int(ends.index.str.startswith("mix|").sum())
    if n_mix:
        n_tx = int(ends[ends.index.str.startswith("mix|")].n_txs.sum())
        parts.append("a CoinJoin" if n_tx == 1 else f"{n_tx} CoinJoin or mixer transactions")
    if ends.index.str.startswith("unspent|").any():
        parts.append("coins still unspent")
    if not parts:
        return "no end point"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _legend_below(ax, handles, **kw) -> None:
    """The legend under the picture (in the figure's layout, so it is never cut off)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig = ax.figure
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine) and len(fig.axes) == 1:
        fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False, **kw)
    else:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=4, frameon=False, **kw)


def _light(colour: str) -> str:
    """The colour mixed 80% with white: an opaque box face that black text reads well on."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - 0.25 * (255 - c)):02x}" for c in rgb)


def _draw_entities(trace, ax, ent: pd.DataFrame, e: pd.DataFrame) -> None:
    layer = _layers(ent.index.tolist(), e)
    ent = ent.assign(layer=[layer[k] for k in ent.index])
    ypos = {}
    max_col = int(ent.layer.value_counts().max())
    for h in sorted(ent.layer.unique()):
        # each box near the boxes that pay into it (weighted by the traced BTC), heavier first
        col = ent[ent.layer == h]
        inc = e[e.child.isin(col.index) & e.parent.isin(list(ypos))]
        inc = inc.assign(
            y=inc.parent.astype(object).map(ypos).astype(float), w=inc.tainted_value.to_numpy(np.float64) + 1.0
        )
        target = ((inc.y * inc.w).groupby(inc.child).sum() / inc.w.groupby(inc.child).sum()).reindex(col.index)
        target = target.fillna(0.0)
        order = np.lexsort((-col.value.to_numpy(), -target.to_numpy()))
        m = len(col)
        centre = float(np.clip(target.mean(), -(max_col - m) / 2, (max_col - m) / 2)) if m else 0.0
        for i, k in enumerate(col.index[order]):
            ypos[k] = centre + (m - 1) / 2 - i
    boxes = {}
    for k, r in ent.iterrows():
        colour = GROUP_COLOURS.get(r.group, OKABE_ITO["grey"])
        boxes[k] = ax.text(
            r.layer,
            ypos[k],
            mpl_text(_entity_name(k, r)),
            ha="center",
            va="center",
            fontsize=9,
            zorder=4,
            bbox=dict(boxstyle="round,pad=0.45", fc=_light(colour), ec=colour, lw=2.2),
        )
    wmax = float(e.tainted_value.max()) if len(e) else 1.0
    for r in e.itertuples(index=False):
        lw = 1.0 + 12.0 * float(r.tainted_value) / max(wmax, 1.0)
        # an arrow that skips a column bends around the boxes in between
        skip = layer[r.child] - layer[r.parent] > 1
        rad = 0.0 if not skip else (0.35 if ypos[r.child] <= ypos[r.parent] else -0.35)
        ax.annotate(
            "",
            xy=(layer[r.child], ypos[r.child]),
            xytext=(layer[r.parent], ypos[r.parent]),
            arrowprops=dict(
                arrowstyle="-|>",
                color="#555555",
                alpha=0.5,
                lw=lw,
                mutation_scale=10 + lw,
                patchA=boxes[r.parent].get_bbox_patch(),
                patchB=boxes[r.child].get_bbox_patch(),
                connectionstyle=f"arc3,rad={rad}",
                shrinkA=2,
                shrinkB=2,
            ),
            zorder=2,
        )
    ax.set_xlim(-0.6, max(layer.values(), default=0) + 0.6)
    ax.set_ylim(-(max_col - 1) / 2 - 0.7, (max_col - 1) / 2 + 0.7)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    _legend_below(
        ax,
        [
            Patch(facecolor=_light(c), edgecolor=c, lw=2, label=g)
            for g, c in GROUP_COLOURS.items()
            if g in set(ent.group)
        ]
        + [Line2D([], [], color="#555555", lw=5, alpha=0.6, label="arrow width = traced BTC")],
        fontsize=9,
    )


def _time_labels(times) -> list[str]:
    """Dates always with the year; the time of day too when the dates repeat."""
    t = pd.to_datetime(pd.Series(times), utc=True)
    day = t.dt.strftime("%Y-%m-%d")
    if day.nunique() < len(day):
        return (day + "\n" + t.dt.strftime("%H:%M")).tolist()
    return day.tolist()


def trace_flow(
    trace,
    *,
    max_nodes: int = 30,
    x: str = "hop",
    tags=None,
    coinjoins=None,
    title: str | None = None,
    ax=None,
    view: str = "auto",
) -> Figure:
    """Draw where the traced money went: from the start, through the hops, to the services, CoinJoins
    and unspent coins where it ended.

    Two views:

    * ``view="entities"`` (the default for a trace with more than ``max_nodes``
      coins): one box per owner, service, CoinJoin or kind of end point, with
      the traced BTC, the number of coins and the steps at which the money got
      there; the coins of unknown owners in between are one box ("through 12
      transactions, 9 addresses, unknown owners, steps 1-6"). Arrows are as
      wide as the traced BTC. The title says it in one sentence: "From
      bc1q... through 8 steps to Kryptohaus, CoinHarbor and a CoinJoin".
    * ``view="coins"`` (the default for small traces): each dot or square is a
      coin (an output ``txid:vout``), at the step (hop) the trace reached it,
      labelled with its address, the traced BTC and (if tagged) who holds it.
      Start coins of one owner are one dot. Every end point (services,
      unspent, mixers) is drawn with the coins linking it to the start; the
      other coins fill up to ``max_nodes``, largest first.

    Colours say who holds the coin (see :data:`GROUP_COLOURS`); squares are
    end points (where the trace stops), dots coins the trace followed further.

    Parameters
    ----------
    trace : Trace
    max_nodes : int, default 30
        The coin view draws about this many coins (more when there are more end points);
        ``view="auto"`` switches to the entity view above it.
    x : {"hop", "time"}
        Coin view: lay the coins out by step (hop, as in ``trace.describe()``) or in the order of
        their transactions' times (dates with the year; quiet days are left out, so a 10-day
        event is as wide as a 10-minute one).
    tags : TagStore or DataFrame, optional
        Attribution for the colours (default: the tags the trace was run with).
    coinjoins : iterable of txids, optional
        CoinJoin transactions (default: the trace's coin table, column ``coinjoin``).
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    view : {"auto", "entities", "coins"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_flow_arguments(trace, x, view, max_nodes)
    nodes_all, edges_all = _merge_starts(flow_nodes(trace, tags, coinjoins), flow_edges(trace))
    if view == "auto":
        view = "entities" if len(nodes_all) > max_nodes and x == "hop" else "coins"
    if view == "entities":
        return _entity_flow(trace, nodes_all, edges_all, title, ax)
    nodes = _select(nodes_all, edges_all, int(max_nodes))
    keys = set(nodes.key)
    edges = edges_all[edges_all.parent.isin(keys) & edges_all.child.isin(keys)]
    nodes, max_col = _place_coins(trace, nodes, edges, x)
    n_cols = int(nodes.xpos.nunique()) if len(nodes) else 1
    if ax is None:
        fig = new_figure(
            min(12.0, max(7.5, 1.25 * n_cols + 2.0)), min(14.0, max(5.5 if x == "hop" else 6.5, 1.0 * max_col + 3.2))
        )
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    _draw_coins(ax, nodes, edges, dense=n_cols > 9 or max_col > 10)
    _title_coin_flow(trace, ax, nodes, nodes_all, title)
    _coin_flow_axes(ax, nodes, x, max_col)
    return fig


def _check_flow_arguments(trace, x, view, max_nodes) -> None:
    """Refuse a trace_flow call that cannot be drawn, saying which argument to change."""
    _check_trace(trace)
    if x not in ("hop", "time"):
        raise TraceError(f"x={x!r}: lay the flow out by 'hop' or by 'time'")
    if view not in ("auto", "entities", "coins"):
        raise TraceError(
            f"view={view!r}: choose 'entities' (one box per owner or service), 'coins' (one dot per coin) or 'auto'"
        )
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise TraceError(f"max_nodes={max_nodes!r}: give a whole number of 1 or more")
    if view == "entities" and x == "time":
        raise TraceError(
            "x='time' needs the coin view (view='coins'): the entity view puts one box per owner, "
            "which has no single time"
        )


def _fees(trace) -> int:
    """Traced satoshis that went to miners as fees."""
    return int(trace.endpoints.loc[trace.endpoints.kind == "fee", "tainted_value"].sum())


def _entity_flow(trace, nodes_all: pd.DataFrame, edges_all: pd.DataFrame, title, ax) -> Figure:
    """The entity view: one box per owner, service, CoinJoin or kind of end point, with a one-sentence title."""
    s = trace.summary()
    backward = trace.params.get("direction") == "backward"
    fee = _fees(trace)
    ent, e = _entity_graph(trace, nodes_all, edges_all)
    layers = _layers(ent.index.tolist(), e)
    n_cols = max(layers.values(), default=0) + 1
    n_rows = int(pd.Series(layers).value_counts().max()) if layers else 1
    if ax is None:
        fig = new_figure(min(11.0, max(7.0, 2.3 * n_cols)), min(13.0, max(4.0, 1.05 * n_rows + 2.2)))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    _draw_entities(trace, ax, ent, e)
    starts = ent[ent.index.str.startswith("start|")]
    who = (
        _short(s["start"], 8)
        if len(starts) <= 1 and isinstance(s["start"], str) and ":" not in s["start"]
        else str(s["start"])
    )
    if title is None:
        way = "back" if backward else "through"
        title = (
            f"From {who} {way} {s['hops_reached']} step{'s' if s['hops_reached'] != 1 else ''} to {_destinations(ent)}"
            if not backward
            else f"Where the {format_btc(s['start_value'])} at {who} came from ({s['hops_reached']} steps back)"
        )
    sub = (
        f"{format_btc(s['start_value'])} traced ({s['policy']} rule); one box per owner, service or "
        f"CoinJoin ({len(nodes_all):,} coin{'s' if len(nodes_all) != 1 else ''} in all; view='coins' draws them "
        "one by one)"
    )
    if fee:
        sub += f"; {format_btc(fee)} went to miners as fees"
    ax.set_title(
        mpl_text("\n".join(textwrap.wrap(title, 95)) + "\n" + "\n".join(textwrap.wrap(sub, 110))),
        fontsize=10.5,
        loc="left",
    )
    return fig


def _place_coins(trace, nodes: pd.DataFrame, edges: pd.DataFrame, x: str) -> tuple[pd.DataFrame, int]:
    """Coin view positions: ``xpos`` by hop or time rank, ``ypos`` per column with children near their parent,
    heavier first. Returns the nodes with both columns and the height of the fullest column."""
    if x == "time":
        times = trace.chain.txs.set_index("txid").time
        tx_time = pd.to_datetime(times.reindex(nodes.txid.astype(str).to_numpy()).to_numpy(), utc=True)
        # in time order, gaps not to scale: a 10-day run of payments and a 10-minute peel chain both get room
        rank = pd.Series(tx_time).rank(method="dense").fillna(1).astype(int).to_numpy()
        nodes = nodes.assign(xpos=(rank - 1).astype(float), when=tx_time)
    else:
        nodes = nodes.assign(xpos=nodes.hop.astype(float))
    ypos: dict[str, float] = {}
    parent_of = _best_parent(edges)
    col_key = nodes.xpos
    max_col = int(col_key.value_counts().max()) if len(nodes) else 1
    for h in sorted(col_key.unique()):
        col = nodes[col_key == h]
        py = [-ypos.get(parent_of.get(k), 0.0) for k in col.key]
        order = np.lexsort((-col.tainted_value.to_numpy(), np.asarray(py, dtype=float)))
        n = len(col)
        for i, k in enumerate(col.key.to_numpy()[order]):
            ypos[k] = (max_col - 1) / 2 - (i - (n - 1) / 2) if n else 0.0
    return nodes.assign(ypos=[ypos[k] for k in nodes.key]), max_col


def _draw_coins(ax, nodes: pd.DataFrame, edges: pd.DataFrame, *, dense: bool) -> None:
    """Arrows as wide as the traced BTC, a dot (followed) or square (end point) per coin, and its label."""
    pos = dict(zip(nodes.key, zip(nodes.xpos, nodes.ypos)))
    wmax = float(edges.tainted_value.max()) if len(edges) else 1.0
    for e in edges.itertuples(index=False):
        (x0, y0), (x1, y1) = pos[e.parent], pos[e.child]
        lw = 0.8 + 9.0 * float(e.tainted_value) / max(wmax, 1.0)
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops=dict(
                arrowstyle="-|>", color="#555555", alpha=0.55, lw=lw, shrinkA=9, shrinkB=9, mutation_scale=10 + lw
            ),
        )
    vmax = float(nodes.tainted_value.max()) if len(nodes) else 1.0
    for grp, colour in GROUP_COLOURS.items():
        sub = nodes[nodes.group == grp]
        if not len(sub):
            continue
        size = 60 + 500 * np.sqrt(sub.tainted_value.to_numpy(float) / max(vmax, 1.0))
        is_end = sub.kind.notna().to_numpy()
        for mask, marker in ((~is_end, "o"), (is_end, "s")):
            if mask.any():
                ax.scatter(
                    sub.xpos.to_numpy()[mask],
                    sub.ypos.to_numpy()[mask],
                    s=size[mask],
                    c=colour,
                    marker=marker,
                    edgecolors="black",
                    linewidths=0.8,
                    zorder=3,
                )
    for r in nodes.itertuples(index=False):
        head = _short(r.address)
        if r.is_start and r.n_coins > 1:
            head = (
                f"start: {r.n_coins} coins at\n{_short(r.address)}"
                if r.n_addresses == 1
                else f"start: {r.n_coins} coins at\n{r.n_addresses} addresses"
            )
        lines = [head, _btc(r.tainted_value)]
        if isinstance(r.label, str) and r.label:
            j = f" ({r.jurisdiction})" if isinstance(r.jurisdiction, str) and r.jurisdiction else ""
            lines += textwrap.wrap(f"{r.label}{j}", 22, break_long_words=False)[:3]
        elif dense and not r.is_start and pd.isna(r.kind):
            lines = [_btc(r.tainted_value)]  # many coins: a followed coin of unknown owner shows its amount only
        up = dense and int(r.xpos) % 2 == 1 and len(lines) == 1  # many columns: every other label above its dot
        ax.annotate(
            mpl_text("\n".join(lines)),
            (r.xpos, r.ypos),
            xytext=(0, 12 if up else -14),
            textcoords="offset points",
            ha="center",
            va="bottom" if up else "top",
            fontsize=8.5,
            zorder=4,
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8),
        )


def _title_coin_flow(trace, ax, nodes: pd.DataFrame, nodes_all: pd.DataFrame, title) -> None:
    """Title and subtitle of the coin view: how many coins are drawn, which were left out, the fees."""
    s = trace.summary()
    hidden = nodes_all[~nodes_all.key.isin(set(nodes.key))]
    if title is None:
        way = "came from" if trace.params.get("direction") == "backward" else "went"
        title = f"Where the traced coins {way}: {s['start']} ({format_btc(s['start_value'])}), policy {s['policy']}"
    sub = f"{len(nodes):,} of {len(nodes_all):,} traced coins shown"
    if len(hidden):
        h_end = hidden[hidden.kind.notna()]
        sub += (
            f"; {len(hidden):,} not drawn (the smallest; every service, CoinJoin and unspent end point is drawn)"
            if not len(h_end) or not h_end.group.isin(_END_GROUPS).any()
            else f"; {len(hidden):,} not drawn, {len(h_end):,} of them end points with "
            f"{format_btc(int(h_end.tainted_value.sum()))}"
        )
    fee = _fees(trace)
    if fee:
        sub += f"; {format_btc(fee)} fees"
    ax.set_title(
        mpl_text("\n".join(textwrap.wrap(title, 100)) + "\n" + "\n".join(textwrap.wrap(sub, 110))),
        fontsize=10.5,
        loc="left",
    )


def _coin_flow_axes(ax, nodes: pd.DataFrame, x: str, max_col: int) -> None:
    """Axis ticks (steps, or transaction times in order), limits, and the legend of who holds the coin."""
    ticks = sorted(nodes.xpos.unique())
    ax.set_xticks(ticks)
    if x == "hop":
        ax.set_xticklabels([f"step {int(t)}" if t else "start" for t in ticks], fontsize=9)
        ax.set_xlabel("steps from the start (hops, as in trace.describe())", fontsize=9)
    else:
        first = nodes.groupby("xpos").when.min()
        labels = _time_labels(first.reindex(ticks).to_numpy())
        every = max(1, int(np.ceil(len(ticks) / 12)))
        ax.set_xticklabels(
            [lab if i % every == 0 else "" for i, lab in enumerate(labels)], fontsize=8.5, rotation=30, ha="right"
        )
        ax.set_xlabel("time of the transaction (UTC), in order; the gaps between columns are not to scale", fontsize=9)
    ax.set_xlim(min(ticks, default=0) - 0.6, max(ticks, default=0) + 0.6)
    ax.set_yticks([])
    ax.set_ylim(-1.2, max_col - 0.2 + 0.2)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    handles = [
        Patch(facecolor=c, edgecolor="black", label=g) for g, c in GROUP_COLOURS.items() if g in set(nodes.group)
    ]
    handles += [
        Line2D([], [], marker="o", ls="", color="white", markeredgecolor="black", label="followed further"),
        Line2D([], [], marker="s", ls="", color="white", markeredgecolor="black", label="endpoint (trace stops)"),
        Line2D([], [], color="#555555", lw=4, label="arrow width = traced BTC"),
    ]
    _legend_below(ax, handles, fontsize=8.5, title="Who holds the coin", title_fontsize=9)


# ====================================================================== where the money went
def where_the_money_went(trace, candidates=None) -> pd.Series:
    """Traced satoshis by destination group (the numbers behind :func:`money_summary`).

    Groups: ``exchanges and services`` (seizure class ``at_service``),
    ``unspent (seizable?)`` (``suspect_unspent`` and ``unspent_unknown``),
    ``mixers / CoinJoins`` (``mixed``), ``fees (to miners)`` and
    ``unknown / moved on`` (``spent_unknown``, ``end_of_records`` and any other
    class). For every policy but poison
    they add up to the traced start value.
    """
    _check_trace(trace)
    if trace.params.get("direction") != "forward":
        raise TraceError("where the money went needs a forward trace; run trace(..., direction='forward')")
    if candidates is None:
        candidates = trace.seizure_candidates()
    totals = (
        candidates.totals()
        if hasattr(candidates, "totals")
        else candidates.groupby("classification").tainted_value.sum()
    )
    ep = trace.endpoints
    out = pd.Series(0, index=list(SUMMARY_COLOURS), dtype="int64", name="tainted_value")
    for cls, v in totals.items():
        out[_SUMMARY_GROUP.get(str(cls), "unknown / moved on")] += int(v)
    out["fees (to miners)"] += int(ep.loc[ep.kind == "fee", "tainted_value"].sum())
    return out


_SERVICE_SUFFIX = re.compile(r"\s+(deposit address|hot wallet|cold wallet|wallet)$", re.IGNORECASE)
# seizure class -> bar of the summary (classes not listed, such as "end_of_records", count as unknown)
_SUMMARY_GROUP = {
    "at_service": "exchanges and services",
    "suspect_unspent": "unspent (seizable?)",
    "unspent_unknown": "unspent (seizable?)",
    "mixed": "mixers / CoinJoins",
    "spent_unknown": "unknown / moved on",
    "end_of_records": "unknown / moved on",
}


def money_summary(trace, candidates=None, *, top: int = 8, title: str | None = None) -> Figure:
    """Where the money went, in one picture: a stacked bar plus the services it reached.

    Top: one bar, split into exchanges and services, unspent, mixers and
    CoinJoins, fees and unknown, each with its BTC and share. Bottom: the
    services (exchanges ...) that received traced value, largest first, with
    their country (a deposit address and a hot wallet of one exchange count
    together).

    Parameters
    ----------
    trace : Trace
        A forward trace.
    candidates : SeizureCandidates, optional
        From :func:`cryptotrace.seizure_candidates` (computed if not given).
    top : int, default 8
        How many services to list.
    """
    _check_trace(trace)
    if candidates is None:
        candidates = trace.seizure_candidates()
    groups = where_the_money_went(trace, candidates)
    total = int(groups.sum())
    fig = new_figure(10, 6.2)
    ax1, ax2 = fig.subplots(2, 1, height_ratios=[1, 2.2])
    left = 0.0
    for name, v in groups.items():
        btc = v / SATS_PER_BTC
        ax1.barh(
            [0],
            [btc],
            left=[left],
            color=SUMMARY_COLOURS[name],
            edgecolor="white",
            height=0.6,
            label=f"{name}: {format_btc(v)} ({(100 * v / total if total else 0):.1f}%)",
        )
        if total and v / total >= 0.08:
            ax1.text(
                left + btc / 2,
                0,
                f"{100 * v / total:.0f}%",
                ha="center",
                va="center",
                color="white" if name != "unspent (seizable?)" else "black",
                fontsize=10,
                fontweight="bold",
            )
        left += btc
    ax1.set_yticks([])
    ax1.set_xlabel("BTC")
    ax1.set_xlim(0, max(left, 1e-8) * 1.001)
    s = trace.summary()
    ax1.set_title(
        mpl_text(
            title
            or f"Where the money went: {format_btc(s['start_value'])} traced\nfrom {s['start']} (policy {s['policy']})"
        ),
        fontsize=11,
        loc="left",
    )
    ax1.legend(loc="upper left", bbox_to_anchor=(0, -0.45), ncol=2, fontsize=9, frameon=False)
    for side in ("left", "right", "top"):
        ax1.spines[side].set_visible(False)
    t = candidates.to_frame() if hasattr(candidates, "to_frame") else candidates
    svc = t[t.classification == "at_service"]
    if len(svc):
        name = svc.service.astype("string").fillna("unnamed service").str.replace(_SERVICE_SUFFIX, "", regex=True)
        jur = svc.jurisdiction.astype("string").fillna("")
        who = (name + jur.map(lambda j: f" ({j})" if j else "")).to_numpy(dtype=object)
        by = pd.Series(svc.tainted_value.to_numpy(np.int64), index=who).groupby(level=0).sum()
        by = by.sort_values(ascending=False).head(top)[::-1]
        ax2.barh(range(len(by)), by.to_numpy() / SATS_PER_BTC, color=SUMMARY_COLOURS["exchanges and services"])
        ax2.set_yticks(range(len(by)))
        ax2.set_yticklabels([mpl_text(x) for x in by.index.tolist()], fontsize=9)
        for i, v in enumerate(by.to_numpy()):
            ax2.text(v / SATS_PER_BTC, i, " " + format_btc(int(v)), va="center", fontsize=9)
        ax2.set_xlim(0, by.max() / SATS_PER_BTC * 1.35)
        ax2.set_xlabel("traced BTC received")
        ax2.set_title("Services that received traced value: ask them to freeze it", fontsize=10, loc="left")
    else:
        ax2.text(
            0.5,
            0.5,
            "No tagged service received traced value.\nLoad tags (exchanges' addresses) to see which services did.",
            ha="center",
            va="center",
            fontsize=10,
            transform=ax2.transAxes,
        )
        ax2.set_xticks([])
        ax2.set_yticks([])
    for side in ("right", "top"):
        ax2.spines[side].set_visible(False)
    return fig


# ====================================================================== one cluster
def cluster_picture(
    clustering,
    cluster_id,
    *,
    tags=None,
    max_nodes: int = 40,
    edge_labels: bool | None = None,
    highlight=None,
    title: str | None = None,
) -> Figure:
    """Draw one cluster: its addresses and the evidence links that joined them.

    Each line is one piece of evidence from ``clustering.evidence_``: a
    transaction and the heuristic that said "same owner" (the colour says
    which heuristic). With few links, each line is labelled with the first
    characters of its txid.

    Parameters
    ----------
    clustering : fitted Clustering
    cluster_id : int
        See ``clustering.cluster_of(address)``.
    tags : TagStore or DataFrame, optional
        Colour tagged addresses by category and print their label.
    max_nodes : int, default 40
        Larger clusters show the ``max_nodes`` addresses nearest to the most
        linked one (the title says so).
    edge_labels : bool, optional
        Print the txid on each link (default: when there are 15 links or fewer).
    highlight : str or list of str, optional
        Addresses to ring in red (e.g. the start of a trace).
    """
    import networkx as nx

    if not hasattr(clustering, "members") or not hasattr(clustering, "evidence_"):
        raise ClusteringError(f"cluster_picture needs a fitted Clustering, not {type(clustering).__name__}")
    members = clustering.members(cluster_id)
    ev = clustering.evidence_
    mset = set(members)
    ev = ev[ev.address_a.isin(mset)]
    g = nx.MultiGraph()
    g.add_nodes_from(members)
    for r in ev.itertuples(index=False):
        g.add_edge(str(r.address_a), str(r.address_b), txid=str(r.txid), heuristic=str(r.heuristic))
    shown = members
    if len(members) > max_nodes:
        hub = max(g.degree, key=lambda kv: kv[1])[0]
        order = list(nx.bfs_tree(g, hub))
        shown = order[:max_nodes]
        g = g.subgraph(shown).copy()
    tagtab = None if tags is None else tags_by_address(tags)
    hl = {highlight} if isinstance(highlight, str) else set(highlight or [])
    n = g.number_of_nodes()
    fig = new_figure(10, 7 if n > 8 else 5.5)
    ax = fig.add_subplot()
    if n == 1:
        pos = {shown[0]: (0.0, 0.0)}
    else:
        pos = nx.kamada_kawai_layout(g) if n <= 60 else nx.spring_layout(g, seed=0)
    heur = sorted({d["heuristic"] for _, _, d in g.edges(data=True)})
    hcol = {h: _HEURISTIC_COLOURS[i % len(_HEURISTIC_COLOURS)] for i, h in enumerate(heur)}
    n_edges = g.number_of_edges()
    if edge_labels is None:
        edge_labels = n_edges <= 15
    for a, b, d in g.edges(data=True):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.plot([x0, x1], [y0, y1], color=hcol[d["heuristic"]], lw=2, alpha=0.8, zorder=1)
        if edge_labels:
            ax.text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                f"tx {d['txid'][:8]}…",
                fontsize=7,
                ha="center",
                va="center",
                color=hcol[d["heuristic"]],
                zorder=2,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
            )
    groups = []
    for a in g.nodes:
        cat = None
        if tagtab is not None and a in tagtab.index:
            cat = tagtab.at[a, "category"]
        grp = _group_of(cat, None)
        groups.append(grp)
        ax.scatter(
            [pos[a][0]],
            [pos[a][1]],
            s=160,
            c=GROUP_COLOURS[grp],
            zorder=3,
            edgecolors=OKABE_ITO["vermillion"] if a in hl else "black",
            linewidths=3 if a in hl else 0.8,
        )
        label = _short(a)
        if tagtab is not None and a in tagtab.index and isinstance(tagtab.at[a, "label"], str):
            label += "\n" + tagtab.at[a, "label"]
        if n <= 40:
            ax.annotate(
                mpl_text(label),
                pos[a],
                xytext=(0, 9),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7.5,
                zorder=4,
            )
    counts = ev.heuristic.astype(str).value_counts()
    handles = [
        Line2D([], [], color=hcol[h], lw=3, label=mpl_text(f"joined by {h} ({int(counts.get(h, 0)):,} links)"))
        for h in heur
    ]
    handles += [
        Patch(facecolor=GROUP_COLOURS[gname], edgecolor="black", label=gname)
        for gname in GROUP_COLOURS
        if gname in set(groups)
    ]
    if hl:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                color="white",
                markeredgecolor=OKABE_ITO["vermillion"],
                markeredgewidth=3,
                label="highlighted address",
            )
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
        title="Evidence",
        title_fontsize=9,
    )
    size_note = f"{len(members):,} addresses" + (
        f" (the {len(shown)} nearest the most linked one shown)" if len(shown) < len(members) else ""
    )
    if title is None:
        named = []
        if tagtab is not None:
            lab = tagtab.reindex(list(members))["label"].dropna().astype(str)
            named = list(dict.fromkeys(_SERVICE_SUFFIX.sub("", x) for x in lab))
        who = (
            f", tagged as {', '.join(named[:3])}" + (f" and {len(named) - 3} more" if len(named) > 3 else "")
            if named
            else ""
        )
        ring = (
            f"; ringed in red: {', '.join(_short(a) for a in sorted(hl)[:2])}"
            + (f" and {len(hl) - 2} more" if len(hl) > 2 else "")
            if hl
            else ""
        )
        title = (
            f"Cluster {cluster_id}: {size_note} that one owner is likely to control{who}\n"
            f"{len(ev):,} evidence links: each line is a transaction that joined two of them, coloured by the "
            f"rule (heuristic){ring}"
        )
    ax.set_title(mpl_text("\n".join(textwrap.fill(x, 100) for x in title.split("\n"))), fontsize=10.5, loc="left")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.margins(0.15)
    for side in ax.spines.values():
        side.set_visible(False)
    return fig


# ====================================================================== balance over time
def _addresses_for(chain, what, clustering) -> tuple[list[str], str]:
    if isinstance(what, (int, np.integer)) and not isinstance(what, bool):
        if clustering is None:
            raise ClusteringError(
                f"{what!r} looks like a cluster id; pass clustering=... (a fitted Clustering), or give an address"
            )
        return clustering.members(int(what)), f"cluster {int(what)}"
    if isinstance(what, str):
        return [what.strip()], _short(what.strip(), 10)
    addrs = [str(a).strip() for a in what]
    if not addrs:
        raise NotInChainError("no addresses given; give an address, a list of addresses or a cluster id")
    return addrs, f"{len(addrs)} addresses"


def balance_timeline(chain, what, *, clustering=None, title: str | None = None) -> Figure:
    """Draw the balance of an address, a list of addresses, or a cluster over time.

    The line steps up when coins arrive and down when they are spent (at
    the time of the spending transaction); the dots mark payments in (green)
    and out (orange).

    Parameters
    ----------
    chain : Chain
    what : str, list of str, or int
        An address, several addresses (one wallet), or a cluster id (needs
        ``clustering``).
    clustering : fitted Clustering, optional
    """
    addrs, name = _addresses_for(chain, what, clustering)
    ix = chain.index
    codes = ix.addresses.get_indexer(pd.Index(addrs))
    if (codes < 0).all():
        raise NotInChainError(f"{addrs[0]!r} does not appear in this chain; check the address")
    codes = codes[codes >= 0]
    rows = np.flatnonzero(np.isin(ix.address_of_output, codes))
    value = chain.outputs.value.to_numpy(np.int64)[rows]
    t_in = chain.txs.time.to_numpy()[ix.tx_of_output[rows]]
    spend_in = ix.input_of_output[rows]
    spent = spend_in >= 0
    t_out = chain.txs.time.to_numpy()[ix.tx_of_input[spend_in[spent]]]
    ev = pd.DataFrame(
        {
            "time": np.concatenate([t_in, t_out]),
            "change": np.concatenate([value, -value[spent]]),
        }
    ).sort_values("time", kind="stable")
    bal = ev.groupby("time", sort=True).change.sum().cumsum()
    fig = new_figure(10, 4.2)
    ax = fig.add_subplot()
    tt = pd.to_datetime(bal.index, utc=True)
    y = bal.to_numpy() / SATS_PER_BTC
    ax.step(tt, y, where="post", color=OKABE_ITO["blue"], lw=2, label="balance")
    ax.fill_between(tt, y, step="post", color=OKABE_ITO["sky_blue"], alpha=0.3)
    ins = ev[ev.change > 0]
    outs = ev[ev.change < 0]
    at = lambda times: bal.reindex(times).to_numpy() / SATS_PER_BTC  # noqa: E731
    ax.scatter(
        pd.to_datetime(ins.time, utc=True),
        at(ins.time),
        color=OKABE_ITO["bluish_green"],
        zorder=3,
        s=25,
        label=f"received ({len(ins):,} payments, {format_btc(int(ins.change.sum()))})",
    )
    ax.scatter(
        pd.to_datetime(outs.time, utc=True),
        at(outs.time),
        color=OKABE_ITO["orange"],
        zorder=3,
        s=25,
        marker="v",
        label=f"spent ({len(outs):,} coins, {format_btc(int(-outs.change.sum()))})",
    )
    final = int(bal.iloc[-1]) if len(bal) else 0
    ax.set_title(mpl_text(title or f"Balance of {name} over time: now {format_btc(final)}"), fontsize=11, loc="left")
    ax.set_ylabel("balance (BTC)")
    ax.set_xlabel("time (UTC)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    _date_axis(ax, tt)
    return fig


def _date_axis(ax, times) -> None:
    """Dates on the x axis always with the year (``2024-07-03``), and the time of day when the span is short."""
    import matplotlib.dates as mdates

    t = pd.to_datetime(pd.Series(times), utc=True)
    span = (t.max() - t.min()) if len(t) else pd.Timedelta(0)
    fmt = "%Y-%m-%d %H:%M" if span < pd.Timedelta(days=3) else "%Y-%m-%d"
    loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz="UTC"))
    for lab in ax.get_xticklabels():
        lab.set_rotation(20)
        lab.set_ha("right")
