"""The explorer's graph, kept in Python: coins, how they are linked, and the view a person sees.

The model works on **coins** (transaction outputs, plus the coins from outside the data that an
input spends). Two coins are linked when one is spent in the transaction that made the other;
the link is that transaction. A view groups the coins: ``"coins"`` (one node per coin),
``"addresses"`` (per address) or ``"entities"`` (per cluster when a clustering is given). A
node's ``s`` (transactions its coins are spent in) and ``m`` (transactions that made its coins)
give the edges of any view the same way, in Python here and in the browser (``explorer.js``):
an edge A -> B for every transaction in ``A.s`` and ``B.m``.

Every step is vectorised over the coins (numpy over the chain's integer index), never a Python
loop per transaction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ExploreError
from ..tags import category_role
from ..units import format_btc

VIEWS = {
    "coins": "one node per coin (a transaction output)",
    "addresses": "one node per address (all its coins shown here)",
    "entities": "one node per entity (a cluster of addresses; an address without a cluster is its own)",
}
DIRECTIONS = ("forward", "backward")
DEFAULT_MAX_NODES = 2000
#: a transaction with more input x output links than this on screen is drawn as a node (see edges_of)
HUB_LINKS = 36

#: legend group -> (colour, what it means); colours as in cryptotrace.plot (Okabe-Ito, colour-blind safe)
GROUPS = {
    "start (traced coins)": ("#D55E00", "where you started"),
    "exchange / custodial service": ("#0072B2", "a service that holds customers' coins: it can freeze them"),
    "darknet market": ("#CC79A7", "a darknet market"),
    "mixer / CoinJoin": ("#E69F00", "a mixer, or a coin made by a CoinJoin: owners are hidden here"),
    "other tagged": ("#56B4E9", "tagged, with no special role for following money"),
    "unspent": ("#009E73", "not spent in these records: may still be there to seize"),
    "unknown owner": ("#999999", "nobody has tagged it"),
    "outside the data": ("#FFFFFF", "a coin from a transaction these records do not hold"),
}
#: shape -> what it means
SHAPES = {
    "diamond": "start",
    "round-rectangle": "end of the trace (service, unspent, fee, limit)",
    "ellipse": "a coin the money passed through",
    "hexagon": "several coins grouped (address, entity or aggregate)",
    "small black dot": f"a transaction with many coins on both sides (over {HUB_LINKS} links): links go through it",
}
_GROUP_PRIORITY = list(GROUPS)  # a group node shows its most telling member


#: what one node is, per view, in words (shown in the hover and in ``explorer.nodes.kind``)
NODE_KIND = {"coins": "coin", "addresses": "address", "entities": "entity", "aggregate": "aggregate"}


def _cluster_no(x):
    """A cluster number as a whole number ("cluster 27", not "cluster 27.0" when the column holds floats)."""
    return int(x) if isinstance(x, (float, np.floating)) and float(x).is_integer() else x


def _nan_to_none(a):
    return [None if (x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA) else x for x in a]


class GraphModel:
    """Coins on screen and the chain they come from (the explorer's state, no widget).

    Parameters
    ----------
    chain : Chain
    tags : TagStore or DataFrame indexed by address, optional
        Attribution (``label``, ``category``, ``confidence_name``, ``source``).
    clustering : fitted Clustering, optional
        Gives each address its cluster (entity view, hover).
    trace : Trace, optional
        Traced value per coin, the start and the endpoints.
    """

    def __init__(self, chain, *, tags=None, clustering=None, trace=None):
        self.chain = chain
        self.ix = ix = chain.index
        self.trace = trace
        txs = chain.txs
        n = len(txs)
        h = txs.block_height.to_numpy(dtype=np.float64, na_value=np.inf)
        order = np.lexsort((np.arange(n), h))
        self._tkey = np.empty(n, dtype=np.float64)
        self._tkey[order] = np.arange(n, dtype=np.float64)
        self._txids = ix.txids.to_numpy(dtype=object)
        self._time = txs.time
        self._height = txs.block_height
        self._value = chain.outputs.value.to_numpy(np.int64)
        self._spent_known = chain.outputs.spent_by_txid.notna().to_numpy(bool)
        self._labels = None
        if clustering is not None:
            labels = getattr(clustering, "labels_", None)
            if labels is None:
                raise ExploreError("the clustering is not fitted yet; use clustering=ct.Clustering().fit(chain)")
            self._labels = labels
        self._tags = self._tag_table(tags)
        if self._tags is not None and self._labels is not None and hasattr(tags, "best_per_address"):
            self._tags = self._with_cluster_tags(self._tags, tags, clustering, self._labels)
        self._cj = None
        self._traced = {}
        self._kind = {}
        self._trace_txs = set()
        if trace is not None:
            f = trace.flows
            ids = f.txid.astype(str) + ":" + f.vout.astype(str)
            self._traced = dict(zip(ids, f.tainted_value.astype(np.int64)))
            self._starts = set(ids[f.hop.to_numpy() == 0])
            ep = trace.endpoints
            ep = ep[ep.vout.notna()]
            self._kind = dict(zip(ep.txid.astype(str) + ":" + ep.vout.astype(str), ep.kind.astype(str)))
            self._trace_txs = set(trace.transactions.txid.astype(str))
        else:
            self._starts = set()
        self.nodes_ = self._empty()  # coin table (every coin on screen)
        self._counter = 0

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def _tag_table(tags):
        if tags is None:
            return None
        if hasattr(tags, "best_per_address"):
            t = tags.best_per_address()
        elif isinstance(tags, pd.DataFrame):
            t = tags
            if "address" in t.columns:
                t = t.set_index("address")
        else:
            raise ExploreError(
                f"tags= takes a TagStore (ct.load_tags(...)) or a table indexed by address, not {type(tags).__name__}"
            )
        cols = {}
        for c in ("label", "category", "confidence_name", "source"):
            cols[c] = t[c] if c in t.columns else pd.Series(pd.NA, index=t.index)
        out = pd.DataFrame(cols, index=t.index.astype(str))
        return out[~out.index.duplicated()]

    @staticmethod
    def _with_cluster_tags(direct: pd.DataFrame, store, clustering, labels: pd.Series) -> pd.DataFrame:
        """An untagged address takes its cluster's tag (cryptotrace.cluster_tags) when the cluster's
        tags do not conflict, marked in ``source`` as coming through the cluster."""
        from ..tags import cluster_tags

        ctags = cluster_tags(clustering, store)
        ok = ctags[(ctags["conflicts"].fillna("") == "") & ~ctags["likely_false_merge"].fillna(False).astype(bool)]
        members = labels[labels.isin(ok.index) & ~labels.index.isin(direct.index)]
        if not len(members):
            return direct
        add = ok.reindex(members.to_numpy())
        add = pd.DataFrame(
            {
                "label": add["label"].to_numpy(dtype=object),
                "category": add["category"].to_numpy(dtype=object),
                "confidence_name": add["confidence_name"].to_numpy(dtype=object),
                "source": [
                    f"{s} (through its cluster {c})"
                    for s, c in zip(add["source"].to_numpy(dtype=object), members.to_numpy())
                ],
            },
            index=members.index.astype(str),
        )
        return pd.concat([direct, add])

    @property
    def coinjoin(self) -> np.ndarray:
        """Is each transaction a CoinJoin (the library's combined detector), one flag per tx row."""
        if self._cj is None:
            from ..heuristics import coinjoin as CJ

            try:
                self._cj = CJ.coinjoin(self.chain).to_numpy(dtype=bool)
            except Exception:  # noqa: BLE001 - a chain too small for the detector: nothing flagged
                self._cj = np.zeros(len(self._txids), dtype=bool)
        return self._cj

    @staticmethod
    def _empty() -> pd.DataFrame:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in [
                    ("id", object),
                    ("txid", object),
                    ("vout", "Int64"),
                    ("address", object),
                    ("value", np.int64),
                    ("made", np.int64),
                    ("spent", np.int64),
                    ("external", bool),
                    ("origin", object),
                    ("order", np.int64),
                ]
            }
        )

    # ------------------------------------------------------------------ coins from the chain
    def coins_from_outputs(self, rows) -> pd.DataFrame:
        """Coin rows for output rows of the chain (vectorised)."""
        ix, o = self.ix, self.chain.outputs
        rows = np.asarray(rows, dtype=np.int64)
        made = ix.tx_of_output[rows]
        sp = ix.input_of_output[rows]
        spent = np.where(sp >= 0, ix.tx_of_input[np.maximum(sp, 0)], -1)
        txid = self._txids[made]
        vout = rows - ix.out_start[made]
        return pd.DataFrame(
            {
                "id": [f"{a}:{b}" for a, b in zip(txid, vout.tolist())],
                "txid": txid,
                "vout": pd.array(vout, dtype="Int64"),
                "address": o.address.to_numpy(dtype=object, na_value=None)[rows],
                "value": self._value[rows],
                "made": made.astype(np.int64),
                "spent": spent.astype(np.int64),
                "external": np.zeros(len(rows), dtype=bool),
            }
        )

    def coins_from_inputs(self, in_rows) -> pd.DataFrame:
        """Coins spent by input rows: outputs in the chain, or coins from outside it (or newly mined)."""
        ix, inp = self.ix, self.chain.inputs
        in_rows = np.asarray(in_rows, dtype=np.int64)
        src = ix.output_of_input[in_rows]
        inside = self.coins_from_outputs(src[src >= 0])
        x = in_rows[src < 0]
        spent = ix.tx_of_input[x]
        prev = inp.prev_txid.to_numpy(dtype=object, na_value=None)[x]
        pv = inp.prev_vout.to_numpy(dtype=object, na_value=None)[x]
        own = self._txids[spent]
        ids = [f"{t}:coinbase" if p is None else f"{p}:{v}" for p, v, t in zip(prev, pv, own)]
        outside = pd.DataFrame(
            {
                "id": ids,
                "txid": [t if p is None else p for p, t in zip(prev, own)],
                "vout": pd.array([None if p is None else v for p, v in zip(prev, pv)], dtype="Int64"),
                "address": inp.address.to_numpy(dtype=object, na_value=None)[x],
                "value": inp.value.to_numpy(dtype=np.float64, na_value=0).astype(np.int64)[x],
                "made": np.full(len(x), -1, dtype=np.int64),
                "spent": spent.astype(np.int64),
                "external": np.ones(len(x), dtype=bool),
            }
        )
        return pd.concat([inside, outside], ignore_index=True) if len(outside) else inside

    def coins_of_txs(self, tx, side: str) -> tuple[pd.DataFrame, np.ndarray]:
        """The outputs (side 'out') or spent coins (side 'in') of transactions; with the position in ``tx``."""
        ix = self.ix
        tx = np.asarray(tx, dtype=np.int64)
        start, end = (ix.out_start, ix.out_start) if side == "out" else (ix.in_start, ix.in_start)
        lens = end[tx + 1] - start[tx]
        grp = np.repeat(np.arange(len(tx)), lens)
        rows = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(start[tx], lens)
        if side == "out":
            return self.coins_from_outputs(rows), grp
        src = ix.output_of_input[rows]
        order = np.concatenate([np.flatnonzero(src >= 0), np.flatnonzero(src < 0)])
        return self.coins_from_inputs(rows), grp[order]  # coins_from_inputs puts inside coins first

    def coins_at_addresses(self, addresses) -> pd.DataFrame:
        codes = self.ix.addresses.get_indexer(pd.Index(list(addresses), dtype=object))
        codes = codes[codes >= 0]
        rows = np.flatnonzero(np.isin(self.ix.address_of_output, codes))
        return self.coins_from_outputs(rows)

    # ------------------------------------------------------------------ editing the coins on screen
    def add(self, coins: pd.DataFrame, origin=None) -> pd.DataFrame:
        """Add coins not yet on screen; returns the ones added (``origin``: the coin whose click brought them)."""
        coins = coins.drop_duplicates("id")
        new = coins[~coins.id.isin(self.nodes_.id)].copy()
        if isinstance(origin, (list, np.ndarray, pd.Series)):
            new["origin"] = np.asarray(origin, dtype=object)[new.index.to_numpy()] if len(new) else []
        else:
            new["origin"] = origin
        new["order"] = np.arange(self._counter, self._counter + len(new), dtype=np.int64)
        self._counter += len(new)
        if len(new):
            self.nodes_ = pd.concat([self.nodes_, new[self.nodes_.columns]], ignore_index=True)
        return new

    def neighbours(self, ids, direction: str) -> pd.DataFrame:
        """Coins one transaction away from the coins ``ids``: the outputs of the transaction that spends
        each (forward) or the coins spent by the transaction that made each (backward), with ``origin``."""
        if direction not in DIRECTIONS:
            raise ExploreError(f"direction {direction!r} is not known; use 'forward' or 'backward'")
        cur = self.nodes_.set_index("id").reindex(pd.Index(list(ids), dtype=object))
        col = "spent" if direction == "forward" else "made"
        tx = cur[col].to_numpy(dtype=np.float64, na_value=-1).astype(np.int64)
        keep = tx >= 0
        coins, grp = self.coins_of_txs(tx[keep], "out" if direction == "forward" else "in")
        coins["origin"] = cur.index.to_numpy(dtype=object)[keep][grp] if len(coins) else []
        return coins

    def expand(self, ids, direction: str = "forward") -> pd.DataFrame:
        """Add the neighbours of coins ``ids``; returns the coins added."""
        nb = self.neighbours(ids, direction)
        return self.add(nb.drop(columns="origin"), origin=nb.origin.to_numpy(dtype=object)) if len(nb) else nb

    def collapse(self, ids) -> int:
        """Remove the coins that clicks on ``ids`` (and on what those brought) added; returns how many."""
        ids = set(ids)
        drop = np.zeros(len(self.nodes_), dtype=bool)
        front = ids
        origin = self.nodes_.origin.to_numpy(dtype=object)
        node_ids = self.nodes_.id.to_numpy(dtype=object)
        for _ in range(len(self.nodes_) + 1):
            hit = pd.Series(origin).isin(front).to_numpy() & ~drop & ~np.isin(node_ids, list(ids))
            if not hit.any():
                break
            drop |= hit
            front = set(node_ids[hit])
        self.nodes_ = self.nodes_[~drop].reset_index(drop=True)
        return int(drop.sum())

    # ------------------------------------------------------------------ describing coins
    def annotate(self, coins: pd.DataFrame) -> pd.DataFrame:
        """Add cluster, tag, traced value, endpoint kind, group, shape and time to coin rows."""
        c = coins.copy()
        addr = pd.Index(c.address.to_numpy(dtype=object), dtype=object)
        c["cluster"] = (
            self._labels.reindex(addr).to_numpy(dtype=object, na_value=None) if self._labels is not None else None
        )
        if self._tags is not None:
            t = self._tags.reindex(addr)
            for col in ("label", "category", "confidence_name", "source"):
                c["tag" if col == "label" else ("confidence" if col == "confidence_name" else col)] = t[col].to_numpy(
                    dtype=object, na_value=None
                )
        else:
            c["tag"] = c["category"] = c["confidence"] = c["source"] = None
        c["traced"] = [self._traced.get(i) for i in c.id] if self._traced else None
        c["start"] = c.id.isin(self._starts).to_numpy(bool)
        c["end_kind"] = [self._kind.get(i) for i in c.id] if self._kind else None
        made = c.made.to_numpy(np.int64)
        spent = c.spent.to_numpy(np.int64)
        cj = np.where(made >= 0, self.coinjoin[np.maximum(made, 0)], False) if len(made) else np.zeros(0, bool)
        cats = pd.Series(c.category.to_numpy(dtype=object))
        roles = cats.map(lambda v: category_role(v) if isinstance(v, str) else None).to_numpy(dtype=object)
        group = np.full(len(c), "unknown owner", dtype=object)
        unspent = (spent < 0) & ~c.external.to_numpy(bool)
        if len(c):
            rows_known = np.zeros(len(c), dtype=bool)
            inside = made >= 0
            # an output whose spending tx the records name but do not hold is not unspent
            rr = self.ix.out_start[np.maximum(made, 0)] + c.vout.to_numpy(dtype=np.float64, na_value=0).astype(np.int64)
            rows_known[inside] = self._spent_known[rr[inside]]
            unspent &= ~rows_known
        group[unspent] = "unspent"
        group[c.external.to_numpy(bool)] = "outside the data"
        group[np.isin(roles, ["other", "stop"])] = "other tagged"
        group[roles == "custodial"] = "exchange / custodial service"
        group[roles == "market"] = "darknet market"
        group[(roles == "mixing") | cj] = "mixer / CoinJoin"
        group[c.start.to_numpy(bool)] = "start (traced coins)"
        c["group"] = group
        c["coinjoin_made"] = cj
        ends = c.end_kind.notna().to_numpy(bool) if self._kind else np.zeros(len(c), dtype=bool)
        c["shape"] = np.where(c.start.to_numpy(bool), "diamond", np.where(ends | unspent, "round-rectangle", "ellipse"))
        tk = (
            np.where(
                made >= 0,
                self._tkey[np.maximum(made, 0)],
                np.where(spent >= 0, self._tkey[np.maximum(spent, 0)] - 0.5, 0.0),
            )
            if len(c)
            else []
        )
        c["t"] = tk
        return c

    def tx_rule(self, tx) -> list[str]:
        """Why each transaction links its coins (the rule shown on an edge)."""
        tx = np.asarray(tx, dtype=np.int64)
        out = []
        cj = self.coinjoin[tx] if len(tx) else []
        for t, is_cj in zip(tx.tolist(), cj):
            txid = self._txids[t]
            if txid in self._trace_txs:
                p = self.trace.params
                words = f"followed by the trace ({p['direction']}, {p['policy']} policy)"
            else:
                words = "spends the coin (opened by a click)"
            if is_cj:
                words += "; a CoinJoin by the library's detector: its inputs belong to different people"
            out.append(words)
        return out

    def tx_table(self, tx) -> pd.DataFrame:
        tx = np.unique(np.asarray(tx, dtype=np.int64))
        tx = tx[tx >= 0]
        time = self._time.take(tx).reset_index(drop=True)
        return pd.DataFrame(
            {
                "tx": tx,
                "txid": self._txids[tx],
                "time": time.dt.strftime("%Y-%m-%d %H:%M UTC").to_numpy(dtype=object, na_value=None),
                "block_height": self._height.take(tx).to_numpy(dtype=object, na_value=None),
                "rule": self.tx_rule(tx),
                "t": self._tkey[tx] - 0.25,  # a transaction drawn as a node: just before the coins it makes
            }
        )

    # ------------------------------------------------------------------ views
    def view_key(self, c: pd.DataFrame, view: str) -> np.ndarray:
        ids = c.id.to_numpy(dtype=object)
        if view == "coins":
            return ids
        addr = c.address.to_numpy(dtype=object)
        by_addr = np.where(pd.isna(addr), ids, addr)
        if view == "addresses":
            return by_addr
        if view == "entities":
            cl = c.cluster.to_numpy(dtype=object)
            return np.where(pd.isna(cl), by_addr, np.array([f"cluster {_cluster_no(x)}" for x in cl], dtype=object))
        if view == "aggregate":
            return np.array([f"{g} @ column {int(t)}" for g, t in zip(c.group, c.tcol)], dtype=object)
        raise ExploreError(f"view {view!r} is not known; use one of {', '.join(VIEWS)}")

    def view_nodes(self, view: str, coins: pd.DataFrame | None = None) -> pd.DataFrame:
        """The nodes of a view: coins grouped by coin, address or entity (one row each)."""
        c = self.annotate(self.nodes_ if coins is None else coins)
        if view == "aggregate":
            c["tcol"] = pd.Series(c.t).rank(method="dense").to_numpy() // 10
        c["key"] = self.view_key(c, view)
        c["prio"] = [_GROUP_PRIORITY.index(g) for g in c.group]
        c["traced_f"] = pd.to_numeric(c.traced, errors="coerce")
        c = c.sort_values(["order", "prio"], kind="stable")
        g = c.groupby("key", sort=False)
        first = g.first()
        best = c.sort_values("prio", kind="stable").groupby("key", sort=False).first()
        agg = pd.DataFrame(
            {
                "id": first.index.to_numpy(dtype=object),
                "kind": NODE_KIND[view],
                "n_coins": g.size().to_numpy(np.int64),
                "value": g.value.sum().to_numpy(np.int64),
                "traced": g.traced_f.sum(min_count=1).to_numpy(),
                "address": first.address.to_numpy(dtype=object)
                if view != "entities"
                else np.where(g.address.nunique().to_numpy() == 1, first.address.to_numpy(dtype=object), None),
                "cluster": first.cluster.to_numpy(dtype=object),
                "tag": best.tag.reindex(first.index).to_numpy(dtype=object),
                "category": best.category.reindex(first.index).to_numpy(dtype=object),
                "confidence": best.confidence.reindex(first.index).to_numpy(dtype=object),
                "source": best.source.reindex(first.index).to_numpy(dtype=object),
                "group": best.group.reindex(first.index).to_numpy(dtype=object),
                "shape": first["shape"].to_numpy(dtype=object) if view == "coins" else "hexagon",
                "t": g.t.min().to_numpy(np.float64),
                "order": g.order.min().to_numpy(np.int64) if "order" in c else np.arange(len(first)),
                "origin": first.origin.to_numpy(dtype=object) if "origin" in c else None,
                "end_kind": first.end_kind.to_numpy(dtype=object),
                "start": g.start.any().to_numpy(bool),
            }
        )
        if view == "coins":
            agg["txid"] = first.txid.to_numpy(dtype=object)
            agg["vout"] = first.vout.to_numpy(dtype=object)
        agg["s"] = [sorted(set(x) - {-1}) for x in g.spent.agg(list)]
        agg["m"] = [sorted(set(x) - {-1}) for x in g.made.agg(list)]
        # the origin of a group: the group of the coin that brought its first coin
        if view != "coins" and "origin" in c:
            key_of = dict(zip(c.id, c.key))
            agg["origin"] = [key_of.get(o) if o is not None else None for o in agg.origin]
        agg["share"] = agg.traced / agg.value.where(agg.value > 0)
        return agg.sort_values("order", kind="stable").reset_index(drop=True)

    @staticmethod
    def edges_of(nodes: pd.DataFrame, txs: pd.DataFrame | None = None) -> pd.DataFrame:
        """Edges A -> B for every transaction that spends a coin of A and makes a coin of B.

        A transaction with at least two nodes on each side and more than :data:`HUB_LINKS` such
        pairs (a CoinJoin, a batch payment) is drawn as a small node of its own (id ``"tx <txid>"``):
        its inputs link to it and it links to its outputs (m + n links instead of m x n).
        explorer.js (``deriveEdges``) applies the same rule.
        """
        cols = ["source", "target", "tx", "txid", "rule", "n_txs"]
        if not len(nodes):
            return pd.DataFrame({c: [] for c in cols})
        s = nodes[["id", "s"]].explode("s").dropna().rename(columns={"id": "source", "s": "tx"})
        m = nodes[["id", "m"]].explode("m").dropna().rename(columns={"id": "target", "m": "tx"})
        s["tx"] = s.tx.astype(np.int64)
        m["tx"] = m.tx.astype(np.int64)
        ns, nm = s.groupby("tx").source.nunique(), m.groupby("tx").target.nunique()
        both = ns.index.intersection(nm.index)
        a, b = ns.reindex(both).to_numpy(), nm.reindex(both).to_numpy()
        hub_tx = both[(a >= 2) & (b >= 2) & (a * b > HUB_LINKS)]
        txid = dict(zip(txs.tx, txs.txid)) if txs is not None else {}
        hub_id = {k: f"tx {txid.get(k, f'#{k}')}" for k in hub_tx}
        sh, mh = s.tx.isin(hub_tx), m.tx.isin(hub_tx)
        e = s[~sh].merge(m[~mh], on="tx")
        e = e[e.source != e.target]
        hubs = pd.concat(
            [
                pd.DataFrame(
                    {
                        "source": s.source[sh].to_numpy(),
                        "target": s.tx[sh].map(hub_id).to_numpy(),
                        "tx": s.tx[sh].to_numpy(),
                    }
                ),
                pd.DataFrame(
                    {
                        "source": m.tx[mh].map(hub_id).to_numpy(),
                        "target": m.target[mh].to_numpy(),
                        "tx": m.tx[mh].to_numpy(),
                    }
                ),
            ],
            ignore_index=True,
        )
        e = pd.concat([e[["source", "target", "tx"]], hubs], ignore_index=True)
        g = e.groupby(["source", "target"], sort=False).tx.agg(list).reset_index()
        g["tx"] = g.tx.map(lambda x: sorted(set(x)))
        g["n_txs"] = g.tx.map(len)
        if txs is not None and len(g):
            rule = dict(zip(txs.tx, txs.rule))
            g["txid"] = g.tx.map(lambda x: txid.get(x[0]))
            g["rule"] = g.tx.map(lambda x: rule.get(x[0]))
        else:
            g["txid"] = g["rule"] = None
        return g[cols]

    def describe_node(self, node) -> str:
        """Plain sentences about one node of a view (the side panel); ``node`` is a row (Series or dict)."""

        def val(k):
            v = node.get(k)
            return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v

        lines = []
        kind = val("kind") or "coin"
        amount = format_btc(int(node["value"]))
        if kind == "coin":
            lines.append(f"Coin {node['id']}: {amount} paid to {val('address') or '(no address)'}.")
        else:
            lines.append(
                f"{str(kind).capitalize()} {node['id']}: {int(node['n_coins'])} coin(s) on screen, {amount} in all."
            )
        if val("traced") is not None:
            share = val("share")
            lines.append(
                f"Traced value: {format_btc(int(node['traced']))}"
                + (f" ({share:.0%} of the coin)." if share is not None else ".")
            )
        if val("cluster") is not None:
            lines.append(f"Cluster {node['cluster']} (addresses the clustering joined as one owner).")
        if val("tag") is not None:
            cat = val("category")
            role = category_role(cat) if isinstance(cat, str) else None
            lines.append(
                f"Tagged '{node['tag']}' ({cat or 'no category'}"
                + (f", role {role}" if role else "")
                + f"), confidence {val('confidence') or 'unknown'}, source {val('source') or 'unknown'}."
            )
        lines.append(f"Colour: {node['group']} — {GROUPS[node['group']][1]}.")
        if val("end_kind") is not None:
            from ..tracing import ENDPOINT_KINDS

            lines.append(f"The trace ends here: {node['end_kind']} ({ENDPOINT_KINDS.get(node['end_kind'], '')}).")
        if not len(node["s"]):
            lines.append("Not spent in these records: nothing to expand forward.")
        return "\n".join(lines)

    def explain_tx(self, tx: int, limit_lines: int = 8) -> str:
        """The library's plain-language explanation of one transaction (heuristics that fired)."""
        from ..heuristics import explain

        e = explain(self.chain, self._txids[tx])
        fired = e.table[e.table.fired]
        lines = [e.header] + [f"- {r.heuristic}: {r.conclusion}" for r in fired.itertuples()][:limit_lines]
        lines += [f"Note: {n}" for n in e.notes]
        if not len(fired):
            lines.append("No heuristic fires on this transaction.")
        return "\n".join(lines)
