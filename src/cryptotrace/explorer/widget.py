"""The explorer widget: the graph model in Python, drawn by Cytoscape.js in the notebook (anywidget)."""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ExploreError
from ..units import SATS_PER_BTC
from .model import NODE_KIND, DEFAULT_MAX_NODES, GROUPS, HUB_LINKS, SHAPES, VIEWS, GraphModel

try:  # the widget needs anywidget; the model and the standalone file do not
    import anywidget
    import traitlets

    _Base = anywidget.AnyWidget
except ImportError:  # pragma: no cover - anywidget is a dependency
    anywidget = None
    traitlets = None
    _Base = object

_STATIC = resources.files("cryptotrace.explorer") / "static"
_EXPLAIN_TX_LIMIT = 150  # transactions whose heuristics explanation goes into a standalone file
_RESERVE_LIMIT = 20_000  # neighbour coins saved with a standalone file for offline clicks


def _read(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


def cytoscape_source() -> str:
    """The vendored Cytoscape.js (see static/PROVENANCE.md)."""
    return _read("cytoscape.min.js")


def widget_esm() -> str:
    """The ES module anywidget loads: Cytoscape.js (UMD, wrapped) followed by explorer.js."""
    return (
        "const __ctMod = {exports: {}};\n(function (module, exports) {\n"
        + cytoscape_source()
        + "\n}).call(undefined, __ctMod, __ctMod.exports);\nglobalThis.__ctCytoscape = __ctMod.exports;\n"
        + _read("explorer.js")
    )


def _defang_comments(js: str) -> str:
    """Write URLs inside /* comments */ as ``http[:]//`` so a saved file holds no link at all."""
    return re.sub(r"/\*.*?\*/", lambda m: m.group(0).replace("://", "[:]//"), js, flags=re.DOTALL)


def _py(v):
    """A JSON-safe Python value (NaN and pandas NA become None; numpy scalars become Python's)."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_py(x) for x in v]
    return v


_NODE_FIELDS = [
    "id",
    "kind",
    "group",
    "shape",
    "t",
    "order",
    "origin",
    "s",
    "m",
    "value",
    "traced",
    "share",
    "address",
    "cluster",
    "tag",
    "category",
    "confidence",
    "source",
    "n_coins",
    "end_kind",
]


class Explorer(_Base):
    """An interactive money graph (see :func:`cryptotrace.explore`).

    Attributes
    ----------
    nodes, edges : DataFrame
        What the graph shows now (amounts in BTC).
    selected : DataFrame
        The nodes selected in the browser (click, or shift-drag a box).
    notes : DataFrame
        Notes typed in the side panel (or with :meth:`add_note`), one row per node.
    case_items : DataFrame
        Evidence items collected with :meth:`add_to_case` (or the side panel's button).
    """

    if traitlets is not None:
        graph = traitlets.Dict().tag(sync=True)
        view = traitlets.Unicode("coins").tag(sync=True)
        selected_ids = traitlets.List(traitlets.Unicode()).tag(sync=True)
        details = traitlets.Dict().tag(sync=True)
        _notes = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        model: GraphModel,
        *,
        view: str = "coins",
        title: str = "",
        max_nodes: int = DEFAULT_MAX_NODES,
        summary: str = "",
        eur_per_btc: float | None = None,
    ):
        if view not in VIEWS:
            raise ExploreError(f"view {view!r} is not known; use one of {', '.join(VIEWS)}")
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
            raise ExploreError(f"max_nodes must be a whole number 1 or more, not {max_nodes!r}")
        self.model = model
        self.max_nodes = int(max_nodes)
        self.title = title
        self.summary = summary
        self.eur_per_btc = eur_per_btc
        self._case: list[dict] = []
        self._png: bytes | None = None
        self._shown_view = view
        self._shown: pd.DataFrame | None = None
        if anywidget is not None:
            super().__init__(_esm=widget_esm())
            self.on_msg(self._on_msg)
            self.observe(self._on_view, names="view")
            self.observe(self._on_select, names="selected_ids")
        self.view = view
        self._refresh()

    # ------------------------------------------------------------------ model -> screen
    def _view_nodes(self) -> tuple[pd.DataFrame, str, str]:
        view = self.view
        nodes = self.model.view_nodes(view)
        notice = ""
        ladder = ["coins", "addresses", "entities", "aggregate"]
        for nxt in ladder[ladder.index(view) + 1 :]:
            if len(nodes) <= self.max_nodes:
                break
            before = len(nodes)
            nodes = self.model.view_nodes(nxt)
            notice = (
                f"{before:,} {view} would be too many to draw smoothly (limit {self.max_nodes:,}): "
                f"grouped per {'colour and time column' if nxt == 'aggregate' else NODE_KIND[nxt]} "
                f"into {len(nodes):,} nodes. Close some nodes (double click) or choose fewer to see each."
            )
            view = nxt
        return nodes, view, notice

    def _refresh(self) -> None:
        nodes, shown, notice = self._view_nodes()
        self._shown, self._shown_view = nodes, shown
        self.graph = self._payload(nodes, shown, notice)

    def _payload(
        self, nodes: pd.DataFrame, shown: str, notice: str, *, explain: bool = False, reserve: bool = False
    ) -> dict:
        txs = self.model.tx_table(
            np.concatenate(
                [
                    np.concatenate(nodes.s.to_numpy()) if len(nodes) else [],
                    np.concatenate(nodes.m.to_numpy()) if len(nodes) else [],
                ]
            )
        )
        txmap = {}
        for r in txs.itertuples(index=False):
            txmap[str(int(r.tx))] = {
                "txid": r.txid,
                "rule": r.rule,
                "time": r.time,
                "t": float(r.t),
                "block_height": _py(r.block_height),
            }
        if explain:
            made = sorted({int(x) for m in nodes.m for x in m})[:_EXPLAIN_TX_LIMIT]
            for t in made:
                txmap[str(t)]["explain"] = self.model.explain_tx(t)
        groups = [g for g in GROUPS if g in set(nodes.group)] or ["unknown owner"]
        out = {
            "hub_links": HUB_LINKS,
            "title": self.title,
            "view": shown,
            "views": list(VIEWS),
            "notice": notice,
            "summary": self.summary,
            "nodes": self._node_records(nodes),
            "txs": txmap,
            "legend": {
                "groups": [[g, GROUPS[g][0], GROUPS[g][1]] for g in groups],
                "shapes": [[k, v] for k, v in SHAPES.items()],
            },
        }
        if reserve:
            out["reserve"] = self._reserve(nodes, shown)
            for k in out["reserve"]["txs"]:
                out["txs"].setdefault(k, out["reserve"]["txs"][k])
            del out["reserve"]["txs"]
        return out

    def _node_records(self, nodes: pd.DataFrame) -> list[dict]:
        recs = []
        cols = [c for c in _NODE_FIELDS if c in nodes.columns]
        for r in nodes[cols].itertuples(index=False):
            d = {c: _py(v) for c, v in zip(cols, r)}
            d["s"] = [str(int(x)) for x in d["s"]]
            d["m"] = [str(int(x)) for x in d["m"]]
            if d.get("cluster") is not None:
                d["cluster"] = str(d["cluster"])
            if self.eur_per_btc:
                d["eur"] = d["value"] / SATS_PER_BTC * self.eur_per_btc
            recs.append(d)
        for rec, row in zip(recs, nodes.to_dict("records")):
            rec["desc"] = self.model.describe_node(row)
        return recs

    def _reserve(self, nodes: pd.DataFrame, shown: str) -> dict:
        """One hop of neighbours of every node, saved in a standalone file so it can be clicked offline."""
        m = self.model
        res = {"forward": {}, "backward": {}, "nodes": {}, "txs": {}}
        if shown == "aggregate" or not len(m.nodes_):
            return res
        present = m.annotate(m.nodes_)
        key_of = dict(zip(present.id, m.view_key(present, shown)))
        for direction in ("forward", "backward"):
            nb = m.neighbours(present.id.to_numpy(dtype=object), direction)
            nb = nb[~nb.id.isin(m.nodes_.id)]
            if len(nb) > _RESERVE_LIMIT:
                nb = nb.iloc[:_RESERVE_LIMIT]
            if not len(nb):
                continue
            nb = nb.assign(order=np.arange(len(nb)))
            ann = m.annotate(nb)
            nb = nb.assign(key=m.view_key(ann, shown), okey=[key_of[o] for o in nb.origin])
            nb = nb[~nb.key.isin(nodes.id)]
            for okey, keys in nb.groupby("okey", sort=False).key.agg(lambda s: list(dict.fromkeys(s))).items():
                res[direction][okey] = keys
            new = nb.drop_duplicates("id").drop(columns=["key", "okey"])
            vn = m.view_nodes(shown, coins=new)
            for rec in self._node_records(vn):
                res["nodes"].setdefault(rec["id"], rec)
            txs = m.tx_table(np.concatenate([np.concatenate(vn.s.to_numpy()), np.concatenate(vn.m.to_numpy())]))
            for r in txs.itertuples(index=False):
                res["txs"][str(int(r.tx))] = {
                    "txid": r.txid,
                    "rule": r.rule,
                    "time": r.time,
                    "t": float(r.t),
                    "block_height": _py(r.block_height),
                }
        return res

    # ------------------------------------------------------------------ browser -> model
    def _on_msg(self, widget, content, buffers=None):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "expand":
                self.expand(content["id"], direction=content.get("direction", "forward"))
            elif kind == "collapse":
                self.collapse(content["id"])
            elif kind == "add_to_case":
                self.add_to_case(content["id"], note=content.get("note") or "")
            elif kind == "png":
                data = str(content.get("data", ""))
                if data.startswith("data:image/png;base64,"):
                    import base64

                    self._png = base64.b64decode(data.split(",", 1)[1])
        except ExploreError as err:  # shown in the widget instead of lost in the kernel log
            self.graph = {**self.graph, "notice": str(err)}

    def _on_view(self, change):
        if change["new"] not in VIEWS:
            self.view = change["old"]
            raise ExploreError(f"view {change['new']!r} is not known; use one of {', '.join(VIEWS)}")
        if self.model is not None and hasattr(self, "max_nodes"):
            self._refresh()

    def _on_select(self, change):
        ids = change["new"]
        if not ids or self._shown is None:
            return
        last = ids[-1]
        rows = self._shown[self._shown.id == last]
        if not len(rows):
            return
        row = rows.iloc[0]
        text = self.model.describe_node(row)
        if row.m:
            text += "\n\nThe transaction that made it:\n" + self.model.explain_tx(int(row.m[0]))
        self.details = {"id": last, "text": text}

    # ------------------------------------------------------------------ what a person calls
    def _coins_of(self, node_id: str) -> np.ndarray:
        if self._shown is None or node_id not in set(self._shown.id):
            shown = ", ".join(map(str, self._shown.id.head(3))) if self._shown is not None else ""
            raise ExploreError(
                f"node {node_id!r} is not on screen; use an id from explorer.nodes.id (for example {shown})"
            )
        m = self.model
        ann = m.annotate(m.nodes_)
        key = m.view_key(ann, self._shown_view) if self._shown_view != "aggregate" else None
        if key is None:
            raise ExploreError(
                "this view groups coins per colour and time column; choose a smaller view to open "
                "single nodes (double click to close some, or explore a smaller trace)"
            )
        return ann.id.to_numpy(dtype=object)[key == node_id]

    def expand(self, node: str, *, direction: str = "forward") -> pd.DataFrame:
        """Open one hop from ``node``: where its coins went (forward) or came from (backward).

        In the ``"addresses"`` view, every coin paid to the address is opened. Returns the coins added.
        """
        coins = self._coins_of(node)
        if self._shown_view == "addresses":
            m = self.model
            addr = self._shown[self._shown.id == node].address.iloc[0]
            if addr is not None and not pd.isna(addr):
                more = m.coins_at_addresses([addr])
                m.add(more, origin=coins[0] if len(coins) else None)
                coins = m.nodes_.id.to_numpy(dtype=object)[m.nodes_.address.to_numpy(dtype=object) == addr]
        added = self.model.expand(coins, direction)
        self._refresh()
        return added

    def collapse(self, node: str) -> int:
        """Close what clicks on ``node`` opened (and what those opened); returns how many coins went."""
        n = self.model.collapse(self._coins_of(node))
        self._refresh()
        return n

    def _btc_table(self, df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        for c in ("value", "traced"):
            if c in out:
                out[c + "_btc"] = pd.to_numeric(out.pop(c), errors="coerce") / SATS_PER_BTC
        return out

    @property
    def nodes(self) -> pd.DataFrame:
        """The nodes on screen: ``id, kind, n_coins, value_btc, traced_btc, share, address, cluster, tag ...``."""
        cols = [
            "id",
            "kind",
            "n_coins",
            "value",
            "traced",
            "share",
            "address",
            "cluster",
            "tag",
            "category",
            "confidence",
            "source",
            "group",
            "end_kind",
            "origin",
        ]
        return self._btc_table(self._shown[[c for c in cols if c in self._shown]]).reset_index(drop=True)

    @property
    def edges(self) -> pd.DataFrame:
        """The links on screen: ``source, target, txid`` (the first transaction), ``rule``, ``n_txs``."""
        txs = self.model.tx_table(
            np.concatenate([np.concatenate(self._shown.s.to_numpy()), np.concatenate(self._shown.m.to_numpy())])
            if len(self._shown)
            else []
        )
        return self.model.edges_of(self._shown, txs).drop(columns="tx")

    @property
    def coins(self) -> pd.DataFrame:
        """Every coin behind the nodes (``txid:vout`` level), whatever the view."""
        c = self.model.annotate(self.model.nodes_)
        cols = ["id", "txid", "vout", "address", "value", "traced", "cluster", "tag", "category", "group", "origin"]
        return self._btc_table(c[cols]).reset_index(drop=True)

    @property
    def selected(self) -> pd.DataFrame:
        """The nodes selected in the browser (a table like :attr:`nodes`)."""
        n = self.nodes
        return n[n.id.isin(list(self.selected_ids))].reset_index(drop=True)

    def select(self, ids) -> None:
        """Select nodes from Python (they light up in the browser)."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        unknown = [i for i in ids if i not in set(self._shown.id)]
        if unknown:
            raise ExploreError(f"node {unknown[0]!r} is not on screen; use ids from explorer.nodes.id")
        self.selected_ids = ids

    @property
    def notes(self) -> pd.DataFrame:
        """Notes per node: ``node, note``."""
        items = [(k, v) for k, v in dict(self._notes).items() if str(v).strip()]
        return pd.DataFrame(items, columns=["node", "note"])

    def add_note(self, node: str, text: str) -> None:
        """Write a note on a node (it shows in the side panel)."""
        self._coins_of(node)
        self._notes = {**dict(self._notes), node: str(text)}

    def add_to_case(self, node=None, *, note: str = "", finding: str = "") -> pd.DataFrame:
        """Keep nodes as evidence items for the case report; returns :attr:`case_items`.

        Each item records the node, its coins (``txid:vout``), addresses, BTC amounts, the tag with
        its confidence and source, the cluster, the view, the note and the time it was added (UTC),
        so a report can cite where each figure came from.

        Parameters
        ----------
        node : str or list of str, optional
            Node ids (default: the selected nodes).
        note : str
            What the investigator saw (default: the node's note, if any).
        finding : str
            A short heading for the item, e.g. ``"exchange deposit two hops after the CoinJoin"``.
        """
        ids = list(self.selected_ids) if node is None else ([node] if isinstance(node, str) else list(node))
        if not ids:
            raise ExploreError("nothing to add: select a node in the graph first, or pass node='txid:vout'")
        notes = dict(self._notes)
        now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        for i in ids:
            coins = self._coins_of(i)
            row = self._shown[self._shown.id == i].iloc[0]
            self._case.append(
                {
                    "item": len(self._case) + 1,
                    "finding": finding,
                    "node": i,
                    "kind": row.kind,
                    "coins": list(map(str, coins)),
                    "address": _py(row.address),
                    "value_btc": int(row.value) / SATS_PER_BTC,
                    "traced_btc": None if pd.isna(row.traced) else float(row.traced) / SATS_PER_BTC,
                    "cluster": _py(row.cluster),
                    "tag": _py(row.tag),
                    "category": _py(row.category),
                    "confidence": _py(row.confidence),
                    "source": _py(row.source),
                    "view": self._shown_view,
                    "note": note or notes.get(i, ""),
                    "added": now,
                }
            )
        return self.case_items

    @property
    def case_items(self) -> pd.DataFrame:
        """The evidence items kept with :meth:`add_to_case` (one row each)."""
        cols = [
            "item",
            "finding",
            "node",
            "kind",
            "coins",
            "address",
            "value_btc",
            "traced_btc",
            "cluster",
            "tag",
            "category",
            "confidence",
            "source",
            "view",
            "note",
            "added",
        ]
        return pd.DataFrame(self._case, columns=cols)

    def to_trace(self, *, policy: str | None = None, direction: str | None = None, **kwargs):
        """The graph on screen as a :class:`~cryptotrace.Trace` the report can use.

        Traces from the coins you started with (or, without a trace, the first coins shown) through
        exactly the transactions on screen (a ``chain.subset``), so the trace follows your clicks.
        ``policy`` and ``direction`` default to the trace you explored (else haircut, forward);
        other keyword arguments go to :func:`cryptotrace.trace`.
        """
        from ..tracing import trace

        m = self.model
        nodes = m.nodes_
        if not len(nodes):
            raise ExploreError("the graph is empty: nothing to trace")
        p = getattr(m.trace, "params", {}) or {}
        policy = policy or p.get("policy", "haircut")
        direction = direction or p.get("direction", "forward")
        roots = nodes[nodes.origin.isna()]
        ann = m.annotate(roots)
        if ann.start.any():
            roots = roots[ann.start.to_numpy(bool)]
        roots = roots[~roots.external.to_numpy(bool)]
        if not len(roots):
            raise ExploreError("the first coins on screen are outside the data; start from a coin the chain holds")
        tx = np.unique(np.concatenate([nodes.made.to_numpy(), nodes.spent.to_numpy()]))
        if direction == "forward":  # a coin's spending tx counts only if a coin it made is on screen
            tx = np.unique(np.concatenate([nodes.made.to_numpy(), roots.made.to_numpy()]))
        else:
            tx = np.unique(np.concatenate([nodes.spent.to_numpy(), roots.made.to_numpy()]))
        tx = tx[tx >= 0]
        sub = m.chain.subset(txids=list(m._txids[tx]))
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_hops", max(1, len(tx)))
        kwargs.setdefault("stop_at", None)
        return trace(sub, list(roots.id), policy=policy, direction=direction, **kwargs)

    # ------------------------------------------------------------------ files
    def to_html(self, *, title: str | None = None) -> str:
        """The graph as one standalone HTML page: data and JavaScript inside, no network requests."""
        data = self._payload(self._shown, self._shown_view, self.graph.get("notice", ""), explain=True, reserve=True)
        data["notes"] = dict(self._notes)
        title = title or self.title or "cryptotrace explorer"
        # every "<" escaped: no text in the data (a tag label, a note) can close the script element
        blob = json.dumps(data, ensure_ascii=False, default=_py).replace("<", "\\u003c")
        js = _read("explorer.js")
        csp = (
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "img-src data: blob:; connect-src 'none'"
        )
        saved = html.escape(_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{html.escape(title)}</title></head>
<body style="margin:8px">
<p style="font:12px system-ui,sans-serif;color:#444">{html.escape(title)} &middot; saved {saved} by cryptotrace &middot;
works offline: pan, zoom, hover, click a node to open its saved neighbours (one step), double click to close.</p>
<pre style="font:11px monospace;white-space:pre-wrap">{html.escape(self.summary)}</pre>
<div id="ct-explorer"></div>
<script>
{_defang_comments(cytoscape_source())}
</script>
<script type="application/json" id="ct-data">{blob}</script>
<script type="module">
{js}
const data = JSON.parse(document.getElementById("ct-data").textContent);
window.__ctStore = standaloneStore(data);
mount(document.getElementById("ct-explorer"), window.__ctStore);
</script>
</body></html>
"""

    def save_html(self, path) -> Path:
        """Write :meth:`to_html` to ``path`` (a colleague can open it in a browser without Python)."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ExploreError(
                f"save_html writes an .html file; {str(path)!r} has another ending (use e.g. 'trace.html')"
            )
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def save_png(self, path) -> Path | None:
        """Write the picture the browser last made (the widget's PNG button) to ``path``.

        The picture is drawn by the browser, so it arrives after the cell ends: if none has arrived
        yet, this asks the browser for one and says to run the cell again.
        """
        path = Path(path)
        if self._png is None:
            if anywidget is not None:
                self.send({"type": "png_request"})
            raise ExploreError(
                "the browser is drawing the picture now; run this cell again in a moment "
                "(or click the widget's PNG button)"
            )
        path.write_bytes(self._png)
        return path

    def __repr__(self) -> str:
        n = 0 if self._shown is None else len(self._shown)
        return (
            f"<Explorer {self._shown_view}: {n:,} nodes, {len(self.model.nodes_):,} coins; "
            f"{len(self._case)} case items>"
        )
