"""The taint engine: follows taint hop by hop over a chain's integer index, and ``trace``.

The engine works on whole hops at once with numpy over ``chain.index`` (CSR offsets,
``output_of_input``, ``input_of_output``); there is no Python loop per transaction. Each hop it
lays the frontier's transactions out as one :class:`~cryptotrace.tracing.policies.Batch` and
asks the policy object for the split (:mod:`cryptotrace.tracing.policies`).
"""

from __future__ import annotations

import numpy as np

from ..errors import TraceError
from ._inputs import DIRECTIONS, FIFO_ORDERS, labels_of, resolve_start, stop_mask, tag_table
from .._groups import group_sum
from ._kernels import distinct, expand, group_starts, layout, prefix_before
from .policies import DEFAULT_FEE_POLICY, FEE_POLICIES, TAINT_POLICIES, Batch, get_policy
from .result import Trace

__all__ = ["Engine", "InputValues", "trace"]


class InputValues:
    """The values of a chain's inputs as int64 (0 where the records do not give one), read row by row.

    Indexing (``values[rows]``) converts only the rows asked for, so a short trace does not pay for
    converting every input of a large chain; nothing is cached outside the engine.
    """

    def __init__(self, chain):
        self._arr = chain.inputs.value.array

    def __getitem__(self, rows) -> np.ndarray:
        return self._arr[rows].to_numpy(np.int64, na_value=0)

    def __len__(self) -> int:
        return len(self._arr)


class Engine:
    """Propagates taint hop by hop over a chain's integer index.

    After :meth:`run`, per output row: ``taint`` (satoshis), ``hop``, ``pred`` (the output it came
    from), ``is_start``, ``returned`` (taint that came back to a start output); per transaction:
    ``txdist`` (hop, -1 if not followed), ``txpred`` and ``pseudo`` (the fee's taint forward, the
    unfunded part backward); per input: ``ext`` (backward: taint reaching it from outside).
    """

    def __init__(
        self, chain, *, direction, policy, fee_policy, max_hops, min_value, stopped_out, fifo_order="tainted_first"
    ):
        ix = chain.index
        self.ix = ix
        self.forward = direction == "forward"
        self.policy = get_policy(policy)
        self.fee_policy = fee_policy
        # FIFO keeping the order inside coins: every coin the trace writes gets its ordered list of
        # tainted/clean segments, stored CSR-style (seg_off, seg_len) in one append-only pool
        self.keep = self.policy.keeps_coin_order and fifo_order == "keep" and self.forward
        self.max_hops = max_hops
        self.threshold = max(int(min_value), 1)
        self.out_value = chain.outputs.value.to_numpy(np.int64)  # a view: the column is int64
        self.in_value = InputValues(chain)
        self.stopped = stopped_out
        n_out, n_tx, n_in = len(self.out_value), ix.n_txs, len(self.in_value)
        self.taint = np.zeros(n_out, dtype=np.int64)
        self.hop = np.full(n_out, -1, dtype=np.int64)
        self.pred = np.full(n_out, -1, dtype=np.int64)
        self.is_start = np.zeros(n_out, dtype=bool)
        self.returned = np.zeros(n_out, dtype=np.int64)
        self.txdist = np.full(n_tx, -1, dtype=np.int64)
        self.txpred = np.full(n_tx, -1, dtype=np.int64)
        self.pseudo = np.zeros(n_tx, dtype=np.int64)  # fee (forward) or unfunded part (backward)
        self.ext = np.zeros(n_in, dtype=np.int64)  # backward: taint reaching inputs from outside
        self.iterations = 0
        if self.keep:
            self.seg_off = np.zeros(n_out, dtype=np.int64)
            self.seg_len = np.zeros(n_out, dtype=np.int64)  # 0: not written (read as tainted part first)
            self.seg_fp = np.zeros(n_out, dtype=np.int64)  # fingerprint of the layout (to notice a change)
            self.pool_val = np.zeros(1024, dtype=np.int64)
            self.pool_t = np.zeros(1024, dtype=bool)
            self.pool_n = 0

    # -------------------------------------------------------------- segments (fifo_order="keep")
    def _source_segments(self, s):
        """The ordered segments of a batch's sources: ``(values, tainted, source item)``."""
        row = s["row"]
        ok = row >= 0
        r = np.where(ok, row, 0)
        stored = ok & ~self.stopped[r] & (self.seg_len[r] > 0)
        n_seg = np.where(stored, self.seg_len[r], 2)  # not written: its tainted part, then its clean part
        off = np.where(stored, self.seg_off[r], 0)
        k, src = expand(off, off + n_seg)
        st = stored[src]
        kk = np.where(st, k, 0)
        taint = s["taint"][src]
        val = np.where(st, self.pool_val[kk], np.where(k == 0, taint, s["val"][src] - taint))
        tt = np.where(st, self.pool_t[kk], k == 0)
        keep = val > 0
        return val[keep], tt[keep], src[keep]

    def _store_segments(self, outs, start, p_val, p_t, ti):
        """Write the pieces that target items ``ti`` received as the segments of output rows ``outs``.

        Returns the rows whose layout changed (same taint, different order counts as a change).
        """
        lo, hi = start[ti], start[ti + 1]
        k, owner = expand(lo, hi)
        m = len(k)
        val, tt = p_val[k], p_t[k]
        if self.pool_n + m > len(self.pool_val):
            size = max(2 * len(self.pool_val), self.pool_n + m)
            self.pool_val = np.concatenate([self.pool_val, np.zeros(size - len(self.pool_val), dtype=np.int64)])
            self.pool_t = np.concatenate([self.pool_t, np.zeros(size - len(self.pool_t), dtype=bool)])
        self.pool_val[self.pool_n : self.pool_n + m] = val
        self.pool_t[self.pool_n : self.pool_n + m] = tt
        cnt = hi - lo
        first = np.cumsum(cnt) - cnt
        gs = group_starts(owner, len(ti))
        at = prefix_before(val, owner, gs)  # where each piece starts inside its coin
        with np.errstate(over="ignore"):
            h = np.where(tt, at * np.int64(2654435761) + val * np.int64(40503) + 1, 0)
            fp = group_sum(h, gs)
        changed = self.seg_fp[outs] != fp
        self.seg_fp[outs] = fp
        self.seg_off[outs] = self.pool_n + first
        self.seg_len[outs] = cnt
        self.pool_n += m
        return changed

    def segments(self, row: int) -> list[tuple[str, int]]:
        """The ordered parts of output ``row`` as ``[("tainted"|"clean", satoshis), ...]``."""
        if self.keep and self.seg_len[row] > 0:
            o, n = int(self.seg_off[row]), int(self.seg_len[row])
            return [
                ("tainted" if t else "clean", int(v))
                for v, t in zip(self.pool_val[o : o + n].tolist(), self.pool_t[o : o + n].tolist())
            ]
        t, v = int(self.taint[row]), int(self.out_value[row])
        return [(k, x) for k, x in (("tainted", t), ("clean", v - t)) if x > 0]

    # -------------------------------------------------------------- per batch
    def _eff(self, rows):
        """Taint that output rows pass on (0 for none, stopped outputs or outside)."""
        ok = rows >= 0
        r = np.where(ok, rows, 0)
        return np.where(ok & ~self.stopped[r], self.taint[r], 0)

    def _items(self, batch):
        """Source and target items of a batch of transactions, sorted for the policy."""
        ix = self.ix
        B = len(batch)
        in_rows, in_grp = expand(ix.in_start[batch], ix.in_start[batch + 1])
        out_rows, out_grp = expand(ix.out_start[batch], ix.out_start[batch + 1])
        in_val = self.in_value[in_rows]
        out_val = self.out_value[out_rows]
        Vin = group_sum(in_val, group_starts(in_grp, B))
        Vout = group_sum(out_val, group_starts(out_grp, B))
        fee = np.maximum(Vin - Vout, 0)
        short = np.maximum(Vout - Vin, 0)
        groups = np.arange(B, dtype=np.int64)
        rev = self.policy.reverse_inputs
        if self.forward:
            src_grp, src_val = in_grp, in_val
            src_taint = self._eff(self.ix.output_of_input[in_rows])
            ps_val = short  # inputs of unknown value: a clean pseudo-source
            tgt_rows, tgt_grp, tgt_val = out_rows, out_grp, out_val
            pt_val, pt_fee = fee, True
        else:
            src_grp, src_val = out_grp, out_val
            src_taint = self._eff(out_rows)
            ps_val = fee  # the fee funds nothing: a clean pseudo-source
            tgt_rows, tgt_grp, tgt_val = in_rows, in_grp, in_val
            pt_val, pt_fee = short, False  # coinbase / unknown-value inputs
        s_pos, s_n = layout(src_grp, B, ps_val > 0, rev and self.forward)
        s = dict(
            grp=np.empty(s_n, dtype=np.int64),
            val=np.empty(s_n, dtype=np.int64),
            taint=np.zeros(s_n, dtype=np.int64),
            row=np.full(s_n, -1, dtype=np.int64),
        )
        s["grp"][s_pos[0]], s["val"][s_pos[0]], s["taint"][s_pos[0]] = src_grp, src_val, src_taint
        if self.keep:  # the coins each source spends, to read their stored parts
            s["row"][s_pos[0]] = self.ix.output_of_input[in_rows]
        s["grp"][s_pos[1]], s["val"][s_pos[1]] = groups[ps_val > 0], ps_val[ps_val > 0]
        t_pos, t_n = layout(tgt_grp, B, pt_val > 0, rev and not self.forward)
        t = dict(
            grp=np.empty(t_n, dtype=np.int64),
            val=np.empty(t_n, dtype=np.int64),
            row=np.empty(t_n, dtype=np.int64),
            pseudo=np.zeros(t_n, dtype=bool),
        )
        t["grp"][t_pos[0]], t["val"][t_pos[0]], t["row"][t_pos[0]] = tgt_grp, tgt_val, tgt_rows
        tm = pt_val > 0
        t["grp"][t_pos[1]], t["val"][t_pos[1]], t["row"][t_pos[1]] = groups[tm], pt_val[tm], groups[tm]
        t["pseudo"][t_pos[1]] = True
        t["key"] = np.arange(t_n, dtype=np.int64)  # stream position: ties in rounding go to the earlier item
        t["fee"] = t["pseudo"] & pt_fee
        return s, t, (in_rows, in_grp, out_rows, out_grp)

    def _qualify(self, cand):
        """Which new candidate transactions are followed, their distance and predecessor."""
        ix = self.ix
        if self.forward:  # every candidate has at least one item (the frontier output it touches)
            rows, grp = expand(ix.in_start[cand], ix.in_start[cand + 1])
            src = ix.output_of_input[rows]
        else:
            src, grp = expand(ix.out_start[cand], ix.out_start[cand + 1])
        big = np.iinfo(np.int64).max
        q = self._eff(src) >= self.threshold
        hop = np.where(q, self.hop[np.maximum(src, 0)], big)
        start = group_starts(grp, len(cand))
        best = np.minimum.reduceat(hop, start[:-1]) if len(hop) else np.full(len(cand), big)
        ok = (best < big) & (best + 1 <= self.max_hops)
        at_best = np.flatnonzero((hop == best[grp]) & ok[grp])
        g, first = np.unique(grp[at_best], return_index=True)
        pred = np.full(len(cand), -1, dtype=np.int64)
        pred[g] = src[at_best[first]]
        return ok, np.where(ok, best + 1, -1), pred

    # -------------------------------------------------------------- main loop
    def run(self, start_rows: np.ndarray, named: np.ndarray | None = None) -> None:
        ix = self.ix
        if named is not None and len(named) and self.stopped[named].any():
            self.stopped = self.stopped.copy()  # coins you name are followed even at a service
            self.stopped[named] = False
        self.is_start[start_rows] = True
        self.taint[start_rows] = self.out_value[start_rows]
        self.hop[start_rows] = 0
        frontier = start_rows
        limit = ix.n_txs + 2  # no path through a valid chain is longer than its transactions
        while len(frontier):
            self.iterations += 1
            if self.iterations > limit:
                raise TraceError(
                    "the transactions spend each other in a loop, which no valid chain does; "
                    "load the data with validation on (Chain.from_tables(..., validate=True))"
                )
            f = frontier[~self.stopped[frontier]]
            if self.forward:
                sp = ix.input_of_output[f]
                cand = distinct(ix.tx_of_input[sp[sp >= 0]], ix.n_txs)
            else:
                cand = distinct(ix.tx_of_output[f], ix.n_txs)
            if not len(cand):
                break
            new = cand[self.txdist[cand] < 0]
            if len(new):
                ok, dist, pred = self._qualify(new)
                self.txdist[new[ok]] = dist[ok]
                self.txpred[new[ok]] = pred[ok]
            batch = cand[self.txdist[cand] >= 0]
            if not len(batch):
                break
            frontier = self._process(batch)

    def _process(self, batch) -> np.ndarray:
        ix = self.ix
        s, t, _ = self._items(batch)
        b = Batch(
            len(batch),
            s["grp"],
            s["val"],
            s["taint"],
            t["grp"],
            t["val"],
            t["fee"],
            t["key"],
            segs=self._source_segments(s) if self.keep else None,
        )
        if self.keep:
            alloc, _T, pieces = self.policy.allocate(b, self.fee_policy, pieces=True)
        else:
            alloc, _T = self.policy.allocate(b, self.fee_policy)
        tx = batch[t["grp"]]
        pseudo = t["pseudo"]
        self.pseudo[tx[pseudo]] = alloc[pseudo]
        real = ~pseudo
        ti = np.flatnonzero(real)
        rows = t["row"][real]
        a = alloc[real]
        txr = tx[real]
        if self.forward:
            outs = rows
        else:
            outs = ix.output_of_input[rows]
            ext = outs < 0
            self.ext[rows[ext]] = a[ext]
            outs, a, txr = outs[~ext], a[~ext], txr[~ext]
        st = self.is_start[outs]
        self.returned[outs[st]] = a[st]
        outs, a, txr = outs[~st], a[~st], txr[~st]
        changed = self.taint[outs] != a
        if self.keep:  # forward only, so the targets are these outputs
            changed |= self._store_segments(outs, *pieces, ti[~st])
        self.taint[outs] = a
        first = (self.hop[outs] < 0) & (a > 0)
        self.hop[outs[first]] = self.txdist[txr[first]]
        self.pred[outs[first]] = self.txpred[txr[first]]
        return outs[changed]


def trace(
    chain,
    start,
    *,
    direction: str = "forward",
    policy: str = "haircut",
    max_hops: int = 10,
    min_value: int = 546,
    stop_at="services",
    tags=None,
    clustering=None,
    fee_policy: str | None = None,
    fifo_order: str = "tainted_first",
    fiat: bool = True,
) -> Trace:
    """Follow coins forward (where did they go?) or backward (where did they come from?).

    Parameters
    ----------
    chain : Chain
        The transactions to follow the coins through.
    start : str, tuple, int, or a list of them
        What to trace: an output ``"txid:vout"`` (or ``(txid, vout)``), an
        address (everything paid to it), a txid (all its outputs), or a
        cluster id (all outputs paid to the cluster; needs ``clustering``).
        ``chain.tx(...)`` and ``chain.address(...)`` views work too. Coins
        you name (an output, address or cluster) are followed even when they
        sit at a service; the outputs of a start transaction that pay a
        service stop there, like any others.
    direction : {"forward", "backward"}
        Forward follows the spending transactions; backward follows the
        transactions that funded the start.
    policy : {"haircut", "poison", "fifo", "lifo", "tiho"}
        How taint is shared when traced and other coins are mixed (see
        :data:`POLICIES` and the module notes).
    max_hops : int, default 10
        How many transactions away from the start to follow.
    min_value : int, default 546
        Satoshis of taint below which an output is not followed on its own
        (546 sats is Bitcoin's usual dust limit). Use 0 to follow everything.
    stop_at : "services", None, or a list of addresses / tag categories
        Where the trace stops. ``"services"`` (default) stops at addresses
        that ``tags`` put in a service category (exchanges, mixers, markets
        ...: :data:`cryptotrace.tags.STOP_CATEGORIES`); ``None`` never stops.
    tags : TagStore or DataFrame, optional
        Attribution: anything with ``best_per_address()`` (a table indexed
        by address with ``label``, ``category``, ``jurisdiction``).
    clustering : fitted Clustering, optional
        Gives each address its cluster (``labels_``) for the cluster column
        and the entity view. With ``tags`` too, an untagged address takes its
        cluster's tag when all the cluster's tags agree (an exchange's deposit
        addresses are the exchange once clustering joins them to a tagged
        hot wallet).
    fee_policy : {"proportional", "clean_first", "tainted_first", "last"}, optional
        How the fee takes taint (forward traces; see the module notes). By
        default each policy's published convention (:data:`DEFAULT_FEE_POLICY`):
        ``"proportional"`` for haircut, ``"last"`` for FIFO, LIFO and TIHO.
    fifo_order : {"tainted_first", "keep"}
        FIFO only, forward only: how a partly tainted coin is read when it is
        spent again. ``"tainted_first"`` (default): its tainted part first;
        ``"keep"``: in the order its parts were paid into it (the coin
        carries its ordered list of tainted and clean parts, as in TaintChain).
        See :data:`FIFO_ORDERS` and the module notes.
    fiat : bool, default True
        Give every amount its worth in euros and dollars at the time too: the coin table, the
        endpoints, ``to_frame()`` (the CSV) and the seizure candidates carry ``value_eur``,
        ``value_usd``, ``tainted_value_eur``, ``tainted_value_usd`` and ``price_note`` (why a row has no
        price, e.g. before 2010-07-17), priced with :func:`cryptotrace.prices.for_chain` of the chain
        (a synthetic case's own series, else the bundled daily table). ``False`` leaves them out.

    Returns
    -------
    Trace
        Flows, endpoints, a summary and the parameters used.

    Examples
    --------
    >>> from cryptotrace.tracing import worked_example_chain
    >>> chain = worked_example_chain()
    >>> t = trace(chain, chain.outputs.txid[0] + ":0", policy="haircut", min_value=0)
    >>> t.flows.query("hop == 1").tainted_value.tolist()
    [30000000, 180000000, 90000000]
    >>> t.endpoints.kind.tolist()
    ['unspent', 'unspent', 'unspent']
    """
    if direction not in DIRECTIONS:
        raise TraceError(f"direction {direction!r} is not known; use 'forward' or 'backward'")
    policy = str(policy).lower()
    if policy not in TAINT_POLICIES:
        raise TraceError(f"policy {policy!r} is not known; use one of {', '.join(TAINT_POLICIES)}")
    pol = TAINT_POLICIES[policy]
    if fee_policy is None:
        fee_policy = pol.default_fee
    if fee_policy not in FEE_POLICIES:
        raise TraceError(
            f"fee_policy {fee_policy!r} is not known; use one of {', '.join(FEE_POLICIES)}, "
            f"or leave it out for the policy's usual one ({DEFAULT_FEE_POLICY[policy]!r} for {policy})"
        )
    if fifo_order not in FIFO_ORDERS:
        raise TraceError(f"fifo_order {fifo_order!r} is not known; use one of {', '.join(FIFO_ORDERS)}")
    if fifo_order == "keep" and (not pol.keeps_coin_order or direction != "forward"):
        raise TraceError(
            "fifo_order='keep' applies to forward FIFO traces only "
            f"(this trace is {direction} {policy}); leave fifo_order out"
        )
    if isinstance(max_hops, bool) or not isinstance(max_hops, (int, np.integer)) or max_hops < 0:
        raise TraceError(f"max_hops must be a whole number 0 or more, not {max_hops!r}")
    if isinstance(min_value, bool) or not isinstance(min_value, (int, np.integer)) or min_value < 0:
        raise TraceError(
            f"min_value must be a whole number of satoshis 0 or more, not {min_value!r} "
            "(use cryptotrace.btc_to_sats to convert BTC)"
        )
    rows, start_desc, named = resolve_start(chain, start, clustering)
    labels = labels_of(clustering)
    tagtab = tag_table(tags, labels)
    stopped, stop_desc = stop_mask(chain, stop_at, tagtab)
    eng = Engine(
        chain,
        direction=direction,
        policy=pol,
        fee_policy=fee_policy,
        max_hops=int(max_hops),
        min_value=int(min_value),
        stopped_out=stopped,
        fifo_order=fifo_order,
    )
    eng.run(rows, named)
    params = {
        "start": start_desc,
        "direction": direction,
        "policy": policy,
        "max_hops": int(max_hops),
        "min_value": int(min_value),
        "fee_policy": fee_policy,
        **({"fifo_order": fifo_order} if pol.keeps_coin_order else {}),
        "stop_at": stop_desc,
        "tags": None
        if tagtab is None
        else (
            f"{int((~tagtab.via_cluster).sum()):,} tagged addresses"
            + (f", {int(tagtab.via_cluster.sum()):,} more through their clusters" if tagtab.via_cluster.any() else "")
        ),
        "clustering": None if labels is None else _clustering_in_words(clustering),
    }
    if not isinstance(fiat, (bool, np.bool_)):
        raise TraceError(f"fiat must be True (amounts in EUR and USD too) or False, not {fiat!r}")
    return Trace(chain, eng, rows, params, labels, tagtab, fiat=bool(fiat))


def _clustering_in_words(clustering) -> str:
    """What the clustering the trace was given is, for its settings: heuristics, CoinJoins, size."""
    params = getattr(clustering, "params_", None)
    if not isinstance(params, dict):
        return type(clustering).__name__
    heur = ", ".join(map(str, params.get("heuristics", []))) or "no heuristics"
    cj = "CoinJoins skipped" if params.get("skip_coinjoin", True) else "CoinJoins used"
    n = getattr(clustering, "n_clusters_", None)
    return f"{heur}; {cj}" + (f"; {int(n):,} clusters" if n is not None else "")
