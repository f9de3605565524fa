"""Address clustering: which addresses belong to the same owner, and why we think so.

:class:`Clustering` joins addresses on *evidence* from heuristics: by
default only common-input ownership (addresses spent together in one
transaction), skipping CoinJoins; change heuristics can be added. Every
merge is kept (``evidence_``: which transaction, which heuristic), so
:meth:`Clustering.explain` can answer "why are these two addresses in one
cluster?" with the shortest chain of transactions that links them.

:func:`evaluate` grades a clustering against the ground truth of a
synthetic chain (an :class:`~cryptotrace.AnswerKey`): how many joined pairs
are right (precision), how many true pairs were found (recall), how pure
the clusters are, and how often each change heuristic names the right output.

Examples
--------
>>> import cryptotrace as ct
>>> chain = ct.load_sample()
>>> c = ct.Clustering().fit(chain)
>>> int(c.labels_.size) == chain.index.n_addresses
True
"""

from __future__ import annotations

import html
import warnings
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from . import errors as E
from .units import format_btc

__all__ = [
    "Clustering",
    "cluster",
    "evaluate",
    "Evaluation",
    "LinkExplanation",
    "ClusterCollapseWarning",
    "accuracy_table",
    "union_find",
]


class ClusterCollapseWarning(UserWarning):
    """A single change link would merge two large clusters (the "cluster collapse" BlockSci warns of)."""


def union_find(n: int, a, b) -> tuple[int, np.ndarray]:
    """Connected components of ``n`` nodes joined by the links ``a[i] -- b[i]``.

    Returns ``(number_of_components, label_of_each_node)``: exactly what
    scipy's ``connected_components`` gives (components numbered in the order
    of their lowest node), computed by a vectorised union-find (see
    :func:`_forest`) that is several times faster on a whole chain.

    Examples
    --------
    >>> n, labels = union_find(5, [0, 3], [1, 4])
    >>> n, labels.tolist()
    (3, [0, 0, 1, 2, 2])
    """
    n, a, b = _check_links(n, a, b)
    p, _ = _forest(n, a, b)
    root = p == np.arange(n, dtype=np.intp)
    ids = np.cumsum(root, dtype=np.int32 if n < 2**31 else np.int64) - 1
    return int(root.sum()), ids.take(p)


def _check_links(n, a, b):
    """Validate ``union_find`` arguments; returns ``(n, a, b)`` with ``a``, ``b`` as intp arrays."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
        raise E.ClusteringError(f"union_find: n={n!r} must be the number of nodes, a whole number of 0 or more")
    n = int(n)
    out = []
    for name, x in (("a", a), ("b", b)):
        x = np.asarray(x)
        if x.ndim != 1 or (x.size and (x.dtype == bool or not np.issubdtype(x.dtype, np.integer))):
            raise E.ClusteringError(
                f"union_find: {name} must be a 1-D array of node numbers (integers), not {x.dtype} with shape {x.shape}"
            )
        if x.size and (int(x.min()) < 0 or int(x.max()) >= n):
            bad = int(x.min()) if int(x.min()) < 0 else int(x.max())
            raise E.ClusteringError(
                f"union_find: node {bad} in {name} is outside 0..{n - 1}; give n larger than every node number"
            )
        out.append(x.astype(np.intp, copy=False))
    if len(out[0]) != len(out[1]):
        raise E.ClusteringError(
            f"union_find: a and b must be the same length (one link per position), not {len(out[0])} and {len(out[1])}"
        )
    return n, out[0], out[1]


def _forest(n: int, a: np.ndarray, b: np.ndarray, *, first: int | None = None) -> tuple[np.ndarray, int]:
    """Union-find in numpy: ``p[x]`` = the lowest node of ``x``'s component; also returns the rounds used.

    The links are taken in batches (``first`` links, default ``max(n // 2, 1024)``,
    then twice as many each time). Each batch is first looked up against the
    trees built so far and only links that join two different trees are kept,
    so once the big component has formed most links cost two look-ups.
    The kept links go to :func:`_hook`.
    """
    p = np.arange(n, dtype=np.intp)
    m = len(a)
    size = max(n // 2, 1024) if first is None else max(int(first), 1)
    start = rounds = 0
    while start < m:
        stop = min(m, start + size)
        x, y = a[start:stop], b[start:stop]
        if start:  # p is fully shortcut, so p[x] is x's root
            x, y = p.take(x), p.take(y)
            keep = x != y
            x, y = x.compress(keep), y.compress(keep)
        p, r = _hook(p, x, y)
        rounds += r
        start, size = stop, 2 * size
    return p, rounds


def _hook(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """Join the trees linked by ``a[i] -- b[i]`` (all roots of ``p``) until no link joins two trees.

    Shiloach-Vishkin style, all in numpy: every round hooks the root ``hi``
    of each link under the other, lower root ``lo`` (pointers only ever go down,
    so no cycle can form and the root of a component is its lowest node),
    shortcuts the hooked roots to their new roots, and keeps the links that still
    join two trees. The first round lets any lower neighbour win (a plain
    assignment, fastest); later rounds hook each root under its lowest neighbour
    (``np.minimum.at``): a tree that still has a link then merges with another
    within two rounds, so the rounds grow only like log(n) and a star or path in
    an unlucky order cannot take many rounds. ``p`` is fully shortcut on entry
    and on return (every node points at its root).
    """
    n = len(p)
    rounds = 0
    while len(a):
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        if rounds:
            np.minimum.at(p, hi, lo)
        else:
            p[hi] = lo
        rounds += 1
        if len(hi) > n // 2:  # most trees moved: jump every pointer
            p = _shortcut(p)
        else:  # only the hooked roots moved; the links' ends are roots or hooked roots
            h = hi
            while len(h):
                ph = p.take(h)
                pph = p.take(ph)
                moved = pph != ph
                if not moved.any():
                    break
                p[h] = pph
                h = h.compress(moved)
        a, b = p.take(hi), p.take(lo)
        keep = a != b
        a, b = a.compress(keep), b.compress(keep)
    return (_shortcut(p) if rounds else p), rounds


def _shortcut(p: np.ndarray) -> np.ndarray:
    """Pointer jumping: ``p = p[p]`` until every node points at its root."""
    while True:
        q = p.take(p)
        if np.array_equal(q, p):
            return q
        p = q


def _union_find_scipy(n: int, a, b) -> tuple[int, np.ndarray]:
    """The previous :func:`union_find` (sparse matrix + scipy ``connected_components``), kept for tests/benchmark."""
    a = np.asarray(a, dtype=np.int32 if n < 2**31 else np.int64)
    b = np.asarray(b, dtype=a.dtype)
    g = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    return connected_components(g, directed=True, connection="weak")


def relabel_by_size(labels) -> np.ndarray:
    """Any integer cluster labels renumbered so that 0 is the largest cluster (ties: the lowest position).

    >>> relabel_by_size([7, 3, 3, 9]).tolist()
    [1, 0, 0, 2]
    """
    labels = np.asarray(labels, dtype=np.int64)
    if not len(labels):
        return labels
    _, inv = np.unique(labels, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64)
    return _relabel_by_size(inv, int(inv.max()) + 1)


def _relabel_by_size(labels: np.ndarray, n_comp: int) -> np.ndarray:
    """Renumber components so that 0 is the largest (ties: the one holding the lowest address number)."""
    sizes = np.bincount(labels, minlength=n_comp)
    first = np.full(n_comp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(len(labels), dtype=np.int64))
    order = np.lexsort((first, -sizes))
    new = np.empty(n_comp, dtype=np.int64)
    new[order] = np.arange(n_comp, dtype=np.int64)
    return new[labels]


def _collapse_scan(n: int, mi_a, mi_b, ch_a, ch_b, limit: int, refuse: bool, batches: int = 32):
    """Find change links that join two clusters of ``limit``+ addresses, taking the links in the given order.

    Starts from the multi-input clusters and adds the change links in order,
    so a collapse grown over many links is caught too. Vectorised: links go in
    batches; a batch that could hide a collapse (in a group of clusters it
    merges, the clusters other than the largest hold ``limit``+ addresses) is
    split in halves, down to single links, which are judged exactly.
    Returns ``(risky, size_a, size_b)`` per change link.
    """
    n_comp, lab = union_find(n, mi_a, mi_b)
    size = np.bincount(lab, minlength=n_comp).astype(np.int64)  # valid at roots
    rep = np.arange(n_comp, dtype=np.int64)
    A, B = lab[ch_a], lab[ch_b]
    m = len(A)
    risky = np.zeros(m, dtype=bool)
    sa = np.zeros(m, dtype=np.int64)
    sb = np.zeros(m, dtype=np.int64)

    def find(x):
        root = rep[x]
        while True:
            nxt = rep[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        rep[x] = root  # shorten the paths just walked
        return root

    edges = np.linspace(0, m, min(batches, m) + 1).astype(np.int64)
    stack = [(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:])][::-1]
    while stack:
        lo, hi = stack.pop()
        if hi <= lo:
            continue
        ra, rb = find(A[lo:hi]), find(B[lo:hi])
        sza, szb = size[ra], size[rb]
        r = (ra != rb) & (np.minimum(sza, szb) >= limit)
        keep = ~r if refuse else np.ones(hi - lo, dtype=bool)
        keep &= ra != rb
        k = int(keep.sum())
        if k:
            nodes, inv = np.unique(np.concatenate([ra[keep], rb[keep]]), return_inverse=True)
            ng, grp = union_find(len(nodes), inv[:k], inv[k:])
            total = np.bincount(grp, weights=size[nodes], minlength=ng)
            biggest = np.zeros(ng, dtype=np.int64)
            np.maximum.at(biggest, grp, size[nodes])
            if hi - lo > 1 and ((total - biggest) >= limit).any():
                mid = (lo + hi) // 2
                stack += [(mid, hi), (lo, mid)]  # the first half goes first
                continue
            root = np.full(ng, len(nodes), dtype=np.int64)
            np.minimum.at(root, grp, np.arange(len(nodes), dtype=np.int64))
            rep[nodes] = nodes[root[grp]]
            size[nodes[root]] = total.astype(np.int64)
        risky[lo:hi], sa[lo:hi], sb[lo:hi] = r, sza, szb
    return risky, sa, sb


_PARAMS = (
    "heuristics",
    "skip_coinjoin",
    "coinjoin",
    "skip_payjoin",
    "change_conflicts",
    "collapse_size",
    "refuse_collapse",
)


class Clustering:
    """Group addresses by owner, keeping the evidence for every merge.

    Parameters
    ----------
    heuristics : list of heuristics or names, or "all", default ("multi_input",)
        Evidence to use. ``"multi_input"`` (common-input ownership) joins the
        input addresses of a transaction; a change heuristic (e.g.
        ``"round_amount"``) joins the change address to the payer's inputs.
        ``"all"`` is multi-input plus every change heuristic. Change
        heuristics are opt-in because one wrong call can merge two big
        clusters (cluster collapse).
    skip_coinjoin : bool, default True
        Ignore transactions the ``coinjoin`` detector flags: their inputs
        belong to many people.
    coinjoin : heuristic, default ``heuristics.coinjoin.coinjoin``
        The detector used when ``skip_coinjoin`` is on.
    skip_payjoin : bool, default False
        Also ignore transactions flagged as likely PayJoins.
    change_conflicts : {"skip", "keep"}, default "skip"
        With several change heuristics: where they name different outputs of
        one transaction, "skip" uses none of them there; "keep" uses all.
    collapse_size : int, default 50
        A change link joining two clusters that both have at least this many
        addresses raises a :class:`ClusterCollapseWarning`.
    refuse_collapse : bool, default False
        Drop such links instead of only warning. Change links are judged in
        time order against the clusters as grown so far, so a big cluster
        grown link by link is caught too.

    Attributes (after ``fit``)
    --------------------------
    labels_ : Series
        address -> cluster id (int64; 0 is the largest cluster), every address of the chain.
    clusters_ : DataFrame
        Index ``cluster_id``: ``size``, ``balance`` (sats), ``first_seen``, ``last_seen``.
    evidence_ : DataFrame
        Every merge: ``txid``, ``heuristic``, ``address_a`` (an input of the tx),
        ``address_b`` (another input, or the change address), ``kind``.
    collapse_ : DataFrame
        Change links that would have merged two large clusters, and whether they were refused.
    params_ : dict
        The parameters that made this clustering, and what it was run on.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> c = ct.Clustering(heuristics=["multi_input", "round_amount"]).fit(ct.load_sample())
    >>> c.params_["heuristics"]
    ['multi_input', 'round_amount']
    """

    def __init__(
        self,
        heuristics=("multi_input",),
        *,
        skip_coinjoin: bool = True,
        coinjoin=None,
        skip_payjoin: bool = False,
        change_conflicts: str = "skip",
        collapse_size: int = 50,
        refuse_collapse: bool = False,
    ):
        self.heuristics = heuristics
        self.skip_coinjoin = skip_coinjoin
        self.coinjoin = coinjoin
        self.skip_payjoin = skip_payjoin
        self.change_conflicts = change_conflicts
        self.collapse_size = collapse_size
        self.refuse_collapse = refuse_collapse

    # ------------------------------------------------------------------ params
    def get_params(self) -> dict:
        """The parameters given to the constructor, as a dict."""
        return {k: getattr(self, k) for k in _PARAMS}

    def set_params(self, **params) -> Clustering:
        """Change parameters (then ``fit`` again)."""
        for k, v in params.items():
            if k not in _PARAMS:
                raise E.ClusteringError(f"Clustering has no parameter {k!r}; it has {', '.join(_PARAMS)}")
            setattr(self, k, v)
        return self

    def _check_params(self):
        from . import heuristics as H

        if not isinstance(self.skip_coinjoin, bool) or not isinstance(self.skip_payjoin, bool):
            raise E.ClusteringError("skip_coinjoin and skip_payjoin must be True or False")
        if self.change_conflicts not in ("skip", "keep"):
            raise E.ClusteringError(f"change_conflicts={self.change_conflicts!r}: use 'skip' or 'keep'")
        if not isinstance(self.collapse_size, (int, np.integer)) or self.collapse_size < 2:
            raise E.ClusteringError(f"collapse_size={self.collapse_size!r}: give a whole number of 2 or more")
        try:
            hs = H.resolve(self.heuristics)
        except E.HeuristicError as exc:
            raise E.ClusteringError(str(exc)) from None
        bad = [h.name for h in hs if h.kind == "tx_flag"]
        if bad:
            raise E.ClusteringError(
                f"{', '.join(bad)} flag(s) transactions but join no addresses; give CoinJoin detectors as "
                "Clustering(coinjoin=...) and keep skip_coinjoin=True"
            )
        cj = H.coinjoin.coinjoin if self.coinjoin is None else H.get(self.coinjoin)
        if cj.kind != "tx_flag":
            raise E.ClusteringError(
                f"coinjoin={cj.name!r} must be a transaction flag such as heuristics.coinjoin.coinjoin"
            )
        return hs, cj

    # ------------------------------------------------------------------ fit
    def fit(self, chain) -> Clustering:
        """Cluster the addresses of ``chain``; returns ``self``."""
        from .chain import Chain
        from .heuristics import coinjoin as CJ
        from .heuristics.base import features

        if not isinstance(chain, Chain):
            raise E.ClusteringError(
                f"fit() takes a Chain, not {type(chain).__name__}; e.g. Clustering().fit(cryptotrace.load_sample())"
            )
        hs, cj = self._check_params()
        f = features(chain)
        n_addr = f.n_addr
        skip = np.zeros(f.n_txs, dtype=bool)
        if self.skip_coinjoin:
            skip |= cj._flags(chain)
        if self.skip_payjoin:
            skip |= CJ.payjoin_likely._flags(chain)
        names = [h.name for h in hs]
        ev_tx, ev_h, ev_a, ev_b = [], [], [], []

        # common-input ownership: each input address joined to the tx's anchor (its first input address)
        for code, h in enumerate(hs):
            if h.kind != "link":
                continue
            fl = h._flags(chain) & ~skip
            keys = f.input_pairs
            tx = keys // max(n_addr, 1)
            addr = keys % max(n_addr, 1)
            anc = f.anchor[tx]
            keep = fl[tx] & (addr != anc) & (anc >= 0)
            ev_tx.append(tx[keep])
            ev_a.append(anc[keep])
            ev_b.append(addr[keep])
            ev_h.append(np.full(int(keep.sum()), code, dtype=np.int16))

        # change: the change address joined to the payer's anchor input
        change = [(code, h) for code, h in enumerate(hs) if h.kind == "change"]
        calls = {code: h.calls(chain).copy() for code, h in change}
        n_conflicts = 0
        if len(change) > 1:
            stack = np.stack(list(calls.values()))
            hi = stack.max(axis=0)
            lo = np.where(stack < 0, np.iinfo(np.int64).max, stack).min(axis=0)
            conflict = (hi >= 0) & (lo != hi) & (lo < np.iinfo(np.int64).max)
            n_conflicts = int(conflict.sum())
            if self.change_conflicts == "skip":
                for c in calls.values():
                    c[conflict] = -1
        self.conflicts_ = n_conflicts
        ch_tx, ch_h, ch_a, ch_b = [], [], [], []
        for code, h in change:
            c = calls[code]
            c[skip | (f.anchor < 0)] = -1
            tx = np.flatnonzero(c >= 0)
            addr = f.out_addr[f.ix.out_start[tx] + c[tx]]
            anc = f.anchor[tx]
            keep = (addr >= 0) & (addr != anc)
            ch_tx.append(tx[keep])
            ch_a.append(anc[keep])
            ch_b.append(addr[keep])
            ch_h.append(np.full(int(keep.sum()), code, dtype=np.int16))

        cat = lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)  # noqa: E731
        mi = (cat(ev_tx, np.int64), cat(ev_h, np.int16), cat(ev_a, np.int64), cat(ev_b, np.int64))
        ch = (cat(ch_tx, np.int64), cat(ch_h, np.int16), cat(ch_a, np.int64), cat(ch_b, np.int64))

        # cluster collapse: a change link joining two clusters that are both large, as they have grown so far
        collapse = pd.DataFrame(columns=["txid", "heuristic", "address_a", "address_b", "size_a", "size_b", "refused"])
        if len(ch[0]):
            order = np.argsort(ch[0], kind="stable")  # in transaction (time) order
            ch = tuple(x[order] for x in ch)
            risky, sa, sb = _collapse_scan(
                n_addr, mi[2], mi[3], ch[2], ch[3], int(self.collapse_size), self.refuse_collapse
            )
            if risky.any():
                r = np.flatnonzero(risky)
                collapse = pd.DataFrame(
                    {
                        "txid": f.ix.txids[ch[0][r]].to_numpy(),
                        "heuristic": [names[i] for i in ch[1][r]],
                        "address_a": f.ix.addresses[ch[2][r]].to_numpy(),
                        "address_b": f.ix.addresses[ch[3][r]].to_numpy(),
                        "size_a": sa[r],
                        "size_b": sb[r],
                        "refused": self.refuse_collapse,
                    }
                )
                what = "refused them" if self.refuse_collapse else "kept them (refuse_collapse=True drops them)"
                warnings.warn(
                    f"cluster collapse risk: {len(r):,} change link(s) would each merge two clusters of "
                    f"{self.collapse_size}+ addresses (largest pair: {int(sa[r].max()):,} and "
                    f"{int(sb[r].max()):,}); one wrong change call is enough to fuse two owners. "
                    f"Clustering {what}; see collapse_.",
                    ClusterCollapseWarning,
                    stacklevel=2,
                )
                if self.refuse_collapse:
                    ch = tuple(x[~risky] for x in ch)
        self.collapse_ = collapse

        self._ev = tuple(np.concatenate([m, c]) for m, c in zip(mi, ch))
        n_comp, lab = union_find(n_addr, self._ev[2], self._ev[3])
        self._labels = _relabel_by_size(lab, n_comp) if n_addr else lab.astype(np.int64)
        self._n_clusters = int(n_comp)
        self._names = names
        self._kinds = [h.kind for h in hs]
        self._heuristics = hs
        self._skipped = skip
        self.chain_ = chain
        self.n_skipped_ = int(skip.sum())
        self.change_calls_ = {names[code]: int((calls[code] >= 0).sum()) for code, _ in change}
        from . import __version__

        self.params_ = {
            "heuristics": names,
            "skip_coinjoin": self.skip_coinjoin,
            "coinjoin": cj.name,
            "skip_payjoin": self.skip_payjoin,
            "change_conflicts": self.change_conflicts,
            "collapse_size": int(self.collapse_size),
            "refuse_collapse": self.refuse_collapse,
            "chain": {"txs": f.n_txs, "addresses": n_addr},
            "cryptotrace_version": __version__,
        }
        for k in ("labels_", "clusters_", "evidence_", "_graph"):
            self.__dict__.pop(k, None)
        return self

    # ------------------------------------------------------------------ results
    def _fitted(self):
        if "_labels" not in self.__dict__:
            raise E.NotFittedError(
                "this Clustering is not fitted yet: call .fit(chain) first, e.g. c = Clustering().fit(chain)"
            )

    @cached_property
    def labels_(self) -> pd.Series:
        self._fitted()
        return pd.Series(self._labels, index=self.chain_.index.addresses.rename("address"), name="cluster_id")

    @property
    def n_clusters_(self) -> int:
        self._fitted()
        return self._n_clusters

    @cached_property
    def clusters_(self) -> pd.DataFrame:
        self._fitted()
        chain, lab = self.chain_, self._labels
        ix = chain.index
        n = self._n_clusters
        size = np.bincount(lab, minlength=n)
        oa = ix.address_of_output
        unspent = chain.outputs.spent_by_txid.isna().to_numpy() & (oa >= 0)
        bal = np.bincount(lab[oa[unspent]], weights=chain.outputs.value.to_numpy(np.float64)[unspent], minlength=n)
        t = chain.txs.time  # unconfirmed transactions may have no time (NaT): they are left out of first/last seen
        tnum = (t - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
        ia = ix.address_of_input
        a = np.concatenate([oa[oa >= 0], ia[ia >= 0]])
        tx = np.concatenate([ix.tx_of_output[oa >= 0], ix.tx_of_input[ia >= 0]])
        df = pd.DataFrame({"c": lab[a], "t": np.asarray(tnum, dtype="float64")[tx]})
        g = df.groupby("c").t
        first = g.min().reindex(range(n))
        last = g.max().reindex(range(n))
        to_time = lambda s: pd.to_datetime(s, unit="s", utc=True).astype("datetime64[s, UTC]")  # noqa: E731
        out = pd.DataFrame(
            {
                "size": size.astype(np.int64),
                "balance": np.rint(bal).astype(np.int64),
                "first_seen": to_time(first.to_numpy()),
                "last_seen": to_time(last.to_numpy()),
            },
            index=pd.RangeIndex(n, name="cluster_id"),
        )
        return out

    @cached_property
    def evidence_(self) -> pd.DataFrame:
        self._fitted()
        tx, h, a, b = self._ev
        ix = self.chain_.index
        return pd.DataFrame(
            {
                "txid": pd.array(ix.txids[tx].to_numpy(), dtype="string"),
                "heuristic": pd.Categorical.from_codes(h.astype(np.int64), categories=self._names),
                "address_a": pd.array(ix.addresses[a].to_numpy(), dtype="string"),
                "address_b": pd.array(ix.addresses[b].to_numpy(), dtype="string"),
                "kind": pd.Categorical(np.asarray(self._kinds, dtype=object)[h.astype(np.int64)]),
            }
        )

    def _code(self, address) -> int:
        self._fitted()
        code = self.chain_.index.addresses.get_indexer([address])[0] if isinstance(address, str) else -1
        if code < 0:
            from .addresses import is_valid_address

            why = (
                ""
                if isinstance(address, str) and is_valid_address(address)
                else " (it is not even a valid Bitcoin address: check the spelling)"
            )
            raise E.NotInChainError(f"address {address!r} does not appear in the clustered chain{why}.")
        return int(code)

    def _ev_is_change_target(self, tx, h, y) -> bool:
        """True if address code ``y`` is the change address (address_b) of the evidence row (tx, h)."""
        etx, eh, _, eb = self._ev
        hit = (etx == tx) & (eh == h)
        return bool(np.any(eb[hit] == y))

    def cluster_of(self, address: str) -> int:
        """The cluster id of ``address``."""
        return int(self._labels[self._code(address)])

    def members(self, cluster_id: int) -> list[str]:
        """The addresses in cluster ``cluster_id`` (in the chain's address order)."""
        self._fitted()
        if not isinstance(cluster_id, (int, np.integer)) or not 0 <= int(cluster_id) < self._n_clusters:
            raise E.ClusteringError(
                f"there is no cluster {cluster_id!r}: cluster ids run from 0 to "
                f"{self._n_clusters - 1} (0 is the largest); find one with cluster_of(address)"
            )
        rows = np.flatnonzero(self._labels == int(cluster_id))
        return self.chain_.index.addresses[rows].tolist()

    # ------------------------------------------------------------------ explain
    @cached_property
    def _graph(self):
        """Addresses and evidence groups (one per tx and heuristic) as one undirected sparse graph."""
        tx, h, a, b = self._ev
        n_addr = len(self._labels)
        key = tx * (len(self._names) + 1) + h
        groups, gid = np.unique(key, return_inverse=True)
        g = n_addr + gid
        src = np.concatenate([a, g, b, g])
        dst = np.concatenate([g, a, g, b])
        n = n_addr + len(groups)
        m = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
        return m, groups

    def explain(self, a: str, b: str) -> LinkExplanation:
        """Why are ``a`` and ``b`` in one cluster? The shortest chain of evidence, or "not linked".

        Each step names a transaction and the heuristic that joined two
        addresses there, in plain words.
        """
        ia, ib = self._code(a), self._code(b)
        if ia == ib:
            return LinkExplanation(a, b, True, [], self)
        if self._labels[ia] != self._labels[ib]:
            return LinkExplanation(a, b, False, [], self)
        m, groups = self._graph
        _, pred = breadth_first_order(m, ia, directed=True, return_predecessors=True)
        path = [ib]
        while path[-1] != ia:
            path.append(int(pred[path[-1]]))
        path.reverse()
        n_addr = len(self._labels)
        k = len(self._names) + 1
        steps = []
        for i in range(0, len(path) - 2, 2):
            x, grp, y = path[i], path[i + 1] - n_addr, path[i + 2]
            tx, h = divmod(int(groups[grp]), k)
            steps.append((x, y, tx, h))
        return LinkExplanation(a, b, True, steps, self)

    # ------------------------------------------------------------------ display
    def plot_cluster(self, cluster_id: int, **kwargs):
        """Picture of one cluster and the evidence links that joined it (:func:`cryptotrace.plot.cluster_picture`)."""
        from .plot import cluster_picture

        return cluster_picture(self, cluster_id, **kwargs)

    def plot_balance(self, cluster_id: int, **kwargs):
        """A cluster's balance over time (:func:`cryptotrace.plot.balance_timeline`)."""
        from .plot import balance_timeline

        return balance_timeline(self.chain_, int(cluster_id), clustering=self, **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """``address, cluster_id`` for every address (what ``cryptotrace cluster`` writes)."""
        return self.labels_.reset_index()

    def __repr__(self) -> str:
        hs = ", ".join(
            str(getattr(h, "name", h))
            for h in ([self.heuristics] if isinstance(self.heuristics, str) else self.heuristics)
        )
        cj = "CoinJoins skipped" if self.skip_coinjoin else "CoinJoins used"
        if "_labels" not in self.__dict__:
            return f"<Clustering (not fitted): {hs}; {cj}>"
        sizes = np.bincount(self._labels, minlength=self._n_clusters)
        big = int(sizes.max()) if len(sizes) else 0
        return (
            f"<Clustering: {len(self._labels):,} addresses in {self._n_clusters:,} clusters "
            f"(largest {big:,}); {', '.join(self._names)}; {cj} ({self.n_skipped_:,} txs); "
            f"{len(self._ev[0]):,} links>"
        )

    def _repr_html_(self) -> str:
        if "_labels" not in self.__dict__:
            return f"<pre>{html.escape(repr(self))}</pre>"
        top = self.clusters_.head(10).copy()
        top["balance"] = top.balance.map(lambda v: format_btc(int(v), unit=False))
        top = top.rename(columns={"balance": "balance (BTC)"})
        params = "".join(
            f"<li>{html.escape(str(k).replace('_', ' '))}: {html.escape(_in_words(v))}</li>"
            for k, v in self.params_.items()
        )
        return (
            f"<div><p><b>Clustering</b>: {html.escape(repr(self)[13:-1])}</p><p>Largest clusters:</p>"
            f"{top.to_html()}<details><summary>parameters</summary><ul>{params}</ul></details></div>"
        )


def _in_words(value) -> str:
    """A parameter for people: lists as "a, b", tables as "txs 5, addresses 9", True/False as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')} {_in_words(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_in_words(v) for v in value) or "none"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return "none" if value is None else str(value)


def cluster(chain, heuristics=("multi_input",), **kw) -> Clustering:
    """Function twin of :class:`Clustering`: ``cluster(chain, ...)`` is ``Clustering(...).fit(chain)``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> chain = ct.load_sample("bitfinex")
    >>> clusters = ct.cluster(chain)
    >>> a = chain.inputs.address.iloc[0]
    >>> len(clusters.members(clusters.cluster_of(a))) > 1   # the theft tx's input addresses are one wallet
    True
    """
    return Clustering(heuristics, **kw).fit(chain)


# ---------------------------------------------------------------------- explanations
class LinkExplanation:
    """The chain of evidence joining two addresses (``Clustering.explain(a, b)``).

    Attributes
    ----------
    linked : bool
    steps : DataFrame
        ``step, address_a, address_b, txid, heuristic, reason`` (plain words).
    """

    def __init__(self, a, b, linked, steps, clustering: Clustering):
        self.a, self.b, self.linked = a, b, linked
        c = clustering
        ix = c.chain_.index
        rows = []
        for i, (x, y, tx, h) in enumerate(steps, 1):
            heur = c._heuristics[h]
            ax, ay, txid = ix.addresses[x], ix.addresses[y], ix.txids[tx]
            if heur.kind == "link":
                why = (
                    f"{ax} and {ay} both paid into transaction {txid} as inputs; all inputs had to be signed, so "
                    f"one owner is assumed ({heur.name})"
                )
            else:
                ch_addr, payer = (ay, ax) if c._ev_is_change_target(tx, h, y) else (ax, ay)
                why = (
                    f"in transaction {txid}, paid from {payer}, the output to {ch_addr} is taken as the "
                    f"payer's change ({heur.name}: {heur.because})"
                )
                etx, eh, _, eb = c._ev
                also = sorted(
                    {c._names[k] for k in eh[(etx == tx) & (eh != h) & (eb == ix.addresses.get_loc(ch_addr))]}
                )
                if also:
                    why += f"; also named by {', '.join(also)}"
            rows.append(
                {"step": i, "address_a": ax, "address_b": ay, "txid": txid, "heuristic": heur.name, "reason": why}
            )
        self.steps = pd.DataFrame(rows, columns=["step", "address_a", "address_b", "txid", "heuristic", "reason"])
        self.cluster_a = c.cluster_of(a)
        self.cluster_b = c.cluster_of(b)
        sizes = np.bincount(c._labels, minlength=c._n_clusters)
        self._sizes = (int(sizes[self.cluster_a]), int(sizes[self.cluster_b]))

    def __len__(self) -> int:
        return len(self.steps)

    def to_frame(self) -> pd.DataFrame:
        return self.steps.copy()

    def __str__(self) -> str:
        if not self.linked:
            return (
                f"{self.a} and {self.b} are NOT linked: they are in different clusters ({self.cluster_a}, "
                f"{self._sizes[0]:,} addresses, and {self.cluster_b}, {self._sizes[1]:,} addresses). No chain "
                "of evidence joins them with these heuristics."
            )
        if not len(self.steps):
            return f"{self.a} and {self.b} are the same address."
        lines = [f"{self.a} and {self.b} are in cluster {self.cluster_a}, linked in {len(self.steps)} step(s):"]
        lines += [f"  {r.step}. {r.reason}" for r in self.steps.itertuples()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        if not self.linked:
            return f"<LinkExplanation: {self.a[:12]}... and {self.b[:12]}... are not linked>"
        return (
            f"<LinkExplanation: {self.a[:12]}... and {self.b[:12]}... linked in {len(self.steps)} step(s) via "
            f"{', '.join(dict.fromkeys(self.steps.heuristic)) or 'nothing (same address)'}>"
        )

    def _repr_html_(self) -> str:
        return f"<div><pre>{html.escape(str(self))}</pre></div>"


# ---------------------------------------------------------------------- evaluation
class Evaluation:
    """How good a clustering is against the ground truth (see :func:`evaluate`).

    Attributes
    ----------
    pairwise_precision : float
        Of the address pairs put in one cluster, the share that truly have one owner.
    pairwise_recall : float
        Of the address pairs that truly have one owner, the share put in one cluster.
    purity : float
        Share of addresses whose cluster's main owner is their owner.
    change : DataFrame
        Per change heuristic: ``calls``, ``correct``, ``precision``, ``coverage``
        (share of the true change outputs it finds), ``used`` (in this clustering).
    coinjoin : dict
        Detection of CoinJoins: ``flagged``, ``true``, ``precision``, ``recall``.
    """

    def __init__(self, metrics: dict, change: pd.DataFrame, coinjoin: dict, params: dict):
        self.metrics, self.change, self.coinjoin, self.params = metrics, change, coinjoin, params
        for k, v in metrics.items():
            setattr(self, k, v)

    def to_frame(self) -> pd.DataFrame:
        """The headline metrics as one row."""
        return pd.DataFrame([self.metrics])

    def to_dict(self) -> dict:
        return {**self.metrics, "change": self.change.reset_index().to_dict("records"), "coinjoin": self.coinjoin}

    def __str__(self) -> str:
        m = self.metrics
        lines = [
            f"Clustering with {', '.join(self.params.get('heuristics', []))} "
            f"({'CoinJoins skipped' if self.params.get('skip_coinjoin') else 'CoinJoins used'}):",
            f"  pairwise precision {m['pairwise_precision']:.3f}: of the address pairs put together, this share "
            "truly has one owner",
            f"  pairwise recall    {m['pairwise_recall']:.3f}: of the pairs with one owner, this share was found",
            f"  purity             {m['purity']:.3f}: share of addresses whose cluster's main owner is theirs",
            f"  {m['n_clusters']:,} clusters for {m['n_entities']:,} true owners; largest cluster "
            f"{m['largest_cluster']:,} addresses",
        ]
        if len(self.change):
            lines.append("  change heuristics (precision of their calls):")
            for name, r in self.change.iterrows():
                p = "n/a" if pd.isna(r.precision) else f"{r.precision:.3f}"
                lines.append(f"    {name:<20} {int(r.calls):>7,} calls, precision {p}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"<Evaluation: precision {m['pairwise_precision']:.3f}, recall {m['pairwise_recall']:.3f}, "
            f"purity {m['purity']:.3f}, {m['n_clusters']:,} clusters / {m['n_entities']:,} owners>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<div><p>{html.escape(repr(self)[1:-1])}</p>{self.to_frame().to_html(index=False)}"
            f"<p>Change heuristics</p>{self.change.to_html()}</div>"
        )


def _pairs(counts: np.ndarray) -> float:
    c = counts.astype(np.float64)
    return float((c * (c - 1) / 2).sum())


def evaluate(clustering: Clustering, answer_key, *, change_heuristics=None) -> Evaluation:
    """Grade a fitted clustering against an answer key (the true owner of every address).

    Parameters
    ----------
    clustering : Clustering
        Fitted on a synthetic chain.
    answer_key : AnswerKey
        Its ground truth (``addresses.entity``, ``txs.change_vout``, ``txs.is_coinjoin``).
    change_heuristics : list, optional
        Change heuristics whose call precision to report; default every one in
        ``heuristics.CHANGE`` plus any the clustering used.

    Returns
    -------
    Evaluation
        Pairwise precision and recall, cluster purity, change-call precision, CoinJoin detection.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.cases import load_answer_key
    >>> grade = ct.evaluate(ct.Clustering().fit(ct.load_sample()), load_answer_key("sample"))
    >>> grade.pairwise_precision > 0.99                 # multi-input, CoinJoins skipped
    True
    """
    from . import heuristics as H

    if not isinstance(clustering, Clustering):
        raise E.ClusteringError(f"evaluate() takes a fitted Clustering first, not {type(clustering).__name__}")
    clustering._fitted()
    if not (hasattr(answer_key, "addresses") and hasattr(answer_key, "txs")):  # an AnswerKey, read by its tables
        raise E.ClusteringError(
            f"evaluate() takes an AnswerKey second, not {type(answer_key).__name__}; "
            "load one with cryptotrace.cases.load_answer_key(...) or AnswerKey.load(path)"
        )
    chain = clustering.chain_
    owner = answer_key.addresses.entity
    labels = clustering.labels_
    common = labels.index.intersection(owner.index)
    if len(common) == 0:
        raise E.ClusteringError(
            "the answer key names none of the clustered addresses: it belongs to another "
            "dataset (compare answer_key.dataset_sha256 with chain.content_hash)"
        )
    lab = labels.reindex(common).to_numpy()
    ent_codes, ents = pd.factorize(owner.reindex(common).astype("string").fillna("<unknown>"))
    ct = pd.DataFrame({"c": lab, "e": ent_codes}).value_counts()
    nij = ct.to_numpy()
    tp = _pairs(nij)
    pred = _pairs(np.bincount(lab))
    true = _pairs(np.bincount(ent_codes))
    top = ct.groupby(level="c").max()
    sizes = np.bincount(lab)
    metrics = {
        "pairwise_precision": tp / pred if pred else 1.0,
        "pairwise_recall": tp / true if true else 1.0,
        "purity": float(top.sum()) / len(common),
        "n_clusters": int((sizes > 0).sum()),
        "n_entities": int(len(ents)),
        "largest_cluster": int(sizes.max()),
        "addresses_scored": int(len(common)),
    }
    # change heuristics: precision of their calls against the true change output
    hs = list(H.CHANGE) if change_heuristics is None else H.resolve(change_heuristics)
    used = set(clustering._names)
    hs += [h for h in clustering._heuristics if h.kind == "change" and h not in hs]
    key_txs = answer_key.txs
    pos = chain.index.txids.get_indexer(key_txs.index.to_numpy(dtype=object))
    ok = pos >= 0
    pos = pos[ok]
    truth = key_txs.change_vout.to_numpy(dtype="float64", na_value=np.nan)[ok]
    truth = np.where(np.isnan(truth), -1, truth).astype(np.int64)
    n_true = int((truth >= 0).sum())
    rows = []
    for h in hs:
        call = h.calls(chain)[pos]
        made = call >= 0
        right = made & (call == truth)
        rows.append(
            {
                "heuristic": h.name,
                "calls": int(made.sum()),
                "correct": int(right.sum()),
                "precision": right.sum() / made.sum() if made.any() else np.nan,
                "coverage": right.sum() / n_true if n_true else np.nan,
                "used": h.name in used,
            }
        )
    change = pd.DataFrame(rows, columns=["heuristic", "calls", "correct", "precision", "coverage", "used"])
    change = change.set_index("heuristic")
    cj_true = key_txs.is_coinjoin.to_numpy(bool)[ok]
    cj_det = H.coinjoin.coinjoin if clustering.coinjoin is None else H.get(clustering.coinjoin)
    flagged = cj_det._flags(chain)[pos]
    tpc = int((flagged & cj_true).sum())
    coin = {
        "flagged": int(flagged.sum()),
        "true": int(cj_true.sum()),
        "precision": tpc / flagged.sum() if flagged.any() else np.nan,
        "recall": tpc / cj_true.sum() if cj_true.any() else np.nan,
    }
    return Evaluation(metrics, change, coin, dict(clustering.params_))


def accuracy_table(chain, answer_key, *, change_heuristics=None) -> pd.DataFrame:
    """The accuracy table: multi-input only, plus each change heuristic, plus all; with and without CoinJoin skipping.

    Returns
    -------
    DataFrame
        One row per configuration: ``heuristics``, ``skip_coinjoin``, ``pairwise_precision``,
        ``pairwise_recall``, ``purity``, ``n_clusters``, ``largest_cluster``, ``change_precision``
        (of the added change heuristic's own calls), ``collapse_links`` (change links that joined two
        clusters of ``collapse_size``+ addresses: the collapse warnings).
    """
    from . import heuristics as H

    hs = list(H.CHANGE) if change_heuristics is None else H.resolve(change_heuristics)
    configs = [("multi_input", ["multi_input"], None)]
    configs += [(f"multi_input + {h.name}", [H.multi_input, h], h.name) for h in hs]
    configs += [("all", [H.multi_input, *hs], None)]
    rows = []
    base_eval = None
    for skip in (True, False):
        for label, heur, added in configs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ClusterCollapseWarning)
                c = Clustering(heur, skip_coinjoin=skip).fit(chain)
            ev = evaluate(c, answer_key, change_heuristics=hs)
            if base_eval is None:
                base_eval = ev
            rows.append(
                {
                    "heuristics": label,
                    "skip_coinjoin": skip,
                    **{
                        k: ev.metrics[k]
                        for k in ("pairwise_precision", "pairwise_recall", "purity", "n_clusters", "largest_cluster")
                    },
                    "change_precision": ev.change.precision.get(added, np.nan) if added else np.nan,
                    "collapse_links": len(c.collapse_),
                }
            )
    return pd.DataFrame(rows)
