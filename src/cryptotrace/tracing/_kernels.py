"""Numeric kernels of the taint engine: exact integer arithmetic over CSR groups, with numpy.

Every function works on whole arrays (no Python loop per transaction). A *group* is one
transaction's items (its inputs or outputs); groups are laid out CSR-style: the items of
group ``g`` are ``start[g]:start[g + 1]`` of a flat array, and ``grp`` gives each item's group.
All amounts are int64 satoshis and every split is exact (the parts add up to the whole).

The plain reductions over groups (``group_sum``, ``group_reduce``), which the chain and the
heuristics use too, live in :mod:`cryptotrace._groups`.
"""

from __future__ import annotations

import numpy as np

from .._groups import group_sum

__all__ = [
    "cut",
    "distinct",
    "expand",
    "group_starts",
    "largest_remainder",
    "layout",
    "muldiv",
    "pair_segments",
    "prefix_before",
    "suffix_before",
]


def expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``starts[g]:ends[g]`` for every group g, and the group of each row."""
    lens = (ends - starts).astype(np.int64)
    total = int(lens.sum())
    grp = np.repeat(np.arange(len(starts), dtype=np.int64), lens)
    first = np.cumsum(lens) - lens
    rows = np.arange(total, dtype=np.int64) - first[grp] + starts.astype(np.int64)[grp]
    return rows, grp


def distinct(values: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct values of ``values`` (ids below ``n``); a bitmap when there are many."""
    if len(values) * 64 < n:
        return np.unique(values)
    mark = np.zeros(n, dtype=bool)
    mark[values] = True
    return np.flatnonzero(mark)


def group_starts(grp: np.ndarray, n: int) -> np.ndarray:
    """CSR offsets of a sorted group array."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(grp, minlength=n), out=out[1:])
    return out


def muldiv(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``floor(a*b/c)`` and the remainder, exactly, for ``0 <= a, b <= c < 2**53``.

    ``a*b`` can exceed 64 bits (up to about 2**102 for bitcoin amounts), so the
    quotient is estimated in floating point and corrected with the remainder,
    which is computed modulo 2**64 (numpy integer arrays wrap) and is small
    enough to be exact.
    """
    c = np.maximum(c, 1)
    q = np.floor(a.astype(np.float64) * b.astype(np.float64) / c.astype(np.float64)).astype(np.int64)
    with np.errstate(over="ignore"):
        r = a * b - q * c
    for _ in range(4):
        neg = r < 0
        big = r >= c
        if not (neg.any() or big.any()):
            break
        q = q - neg + big
        r = r + np.where(neg, c, 0) - np.where(big, c, 0)
    return q, r


_SMALL_GROUP = 8  # groups up to this size are ranked by comparing neighbours instead of sorting


def largest_remainder(grp, start, weight, amount, total, pos) -> np.ndarray:
    """Split ``amount[g]`` over the items of group g in proportion to ``weight``.

    Exact integers adding up to ``amount[g]`` (largest-remainder method; ties
    go to the item with the lower ``pos``). ``total[g]`` is the sum of the
    weights of group g, and ``amount[g] <= total[g]``.
    """
    if len(grp) == 0:
        return np.zeros(0, dtype=np.int64)
    q, r = muldiv(amount[grp], weight, total[grp])
    left = amount - group_sum(q, start)
    # only items with a fraction, in groups with satoshis left over, can get one
    cand = np.flatnonzero((r > 0) & (left[grp] > 0))
    if not len(cand):
        return q
    g, rc, pc = grp[cand], r[cand], pos[cand]
    # rank of each candidate in its group: larger fraction first, then lower position
    first = np.concatenate([[0], np.flatnonzero(g[1:] != g[:-1]) + 1])
    size = np.diff(np.append(first, len(cand)))
    gsize = np.repeat(size, size)
    rank = np.zeros(len(cand), dtype=np.int64)
    small = gsize <= _SMALL_GROUP
    n = len(cand)
    for d in range(1, min(_SMALL_GROUP, int(size.max()))):  # small groups: compare with neighbours
        same = np.zeros(n, dtype=bool)
        same[:-d] = g[d:] == g[:-d]
        later_beats = np.zeros(n, dtype=bool)  # item i+d beats item i
        later_beats[:-d] = same[:-d] & ((rc[d:] > rc[:-d]) | ((rc[d:] == rc[:-d]) & (pc[d:] < pc[:-d])))
        earlier_beats = np.zeros(n, dtype=bool)  # item i-d beats item i
        earlier_beats[d:] = same[:-d] & ~((rc[d:] > rc[:-d]) | ((rc[d:] == rc[:-d]) & (pc[d:] < pc[:-d])))
        rank += later_beats.astype(np.int64) + earlier_beats.astype(np.int64)
    big = np.flatnonzero(~small)
    if len(big):  # large groups (e.g. a batch payout): sort them
        order = big[np.lexsort((pc[big], -rc[big], g[big]))]
        og = g[order]
        f2 = np.concatenate([[0], np.flatnonzero(og[1:] != og[:-1]) + 1])
        rank[order] = np.arange(len(order)) - np.repeat(f2, np.diff(np.append(f2, len(order))))
    q[cand[rank < left[g]]] += 1
    return q


def suffix_before(values, grp, start):
    """Per item: the sum of the items after it in its group."""
    csum = np.cumsum(values, dtype=np.int64)
    group_end = csum[start[1:] - 1] if len(values) else np.zeros(0, dtype=np.int64)
    ends = np.where(start[1:] > start[:-1], group_end, 0)
    return ends[grp] - csum


def prefix_before(values, grp, start):
    """Per item: the sum of the items before it in its group."""
    csum = np.cumsum(values, dtype=np.int64) - values
    base = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])[start[:-1]]
    return csum - base[grp]


def pair_segments(s_val, s_taint):
    """Segments of sources read "tainted part first": (values, tainted flags, owning source)."""
    n = len(s_val)
    seg = np.empty(2 * n, dtype=np.int64)
    seg[0::2] = s_taint
    seg[1::2] = s_val - s_taint
    tainted = np.zeros(2 * n, dtype=bool)
    tainted[0::2] = True
    return seg, tainted, np.repeat(np.arange(n, dtype=np.int64), 2)


def cut(seg, tainted, t_val, pieces=False):
    """Match a stream of segments to a stream of targets (both in order, laid end to end).

    The targets take consecutive pieces of the segment stream. Returns the taint of each
    target and, with ``pieces``, the pieces each target receives as CSR arrays
    ``(start, values, tainted)``: runs of equal kind merged, empty pieces dropped.
    """
    n = len(seg)
    ends = np.cumsum(seg)
    starts = ends - seg
    t_seg = np.where(tainted, seg, 0)
    t_before = np.cumsum(t_seg) - t_seg
    b = np.cumsum(t_val)
    a = b - t_val

    def f(x):
        if n == 0:
            return np.zeros_like(x)
        k = np.minimum(np.searchsorted(ends, x, side="left"), n - 1)
        return t_before[k] + np.where(tainted[k], np.clip(x - starts[k], 0, seg[k]), 0)

    taint = f(b) - f(a)
    if not pieces:
        return taint
    k0 = np.searchsorted(ends, a, side="right")  # first segment ending after the target starts
    k1 = np.searchsorted(ends, b, side="left")  # the segment in which the target ends
    cnt = np.where(t_val > 0, np.minimum(k1, n - 1) - k0 + 1, 0).clip(0)
    k, owner = expand(k0, k0 + cnt)
    val = np.minimum(ends[k], b[owner]) - np.maximum(starts[k], a[owner])
    kind = tainted[k]
    ok = val > 0
    k, owner, val, kind = k[ok], owner[ok], val[ok], kind[ok]
    new_run = np.ones(len(k), dtype=bool)
    new_run[1:] = (owner[1:] != owner[:-1]) | (kind[1:] != kind[:-1])
    r_val = np.add.reduceat(val, np.flatnonzero(new_run)) if len(val) else np.zeros(0, dtype=np.int64)
    r_kind = kind[new_run]
    r_owner = owner[new_run]
    return taint, (group_starts(r_owner, len(t_val)), r_val, r_kind)


def layout(grp, n, pseudo, reverse):
    """Positions that lay out grouped items with one optional pseudo item at each group's end.

    ``grp`` (sorted) gives the group of each real item; ``pseudo[g]`` says whether group g
    gets a pseudo item. With ``reverse`` the real items of each group are laid out in
    reverse order. Returns ``((real_positions, pseudo_positions), total)``.
    """
    start = group_starts(grp, n)
    real_len = start[1:] - start[:-1]
    size = real_len + pseudo
    new_start = np.concatenate([[0], np.cumsum(size)])
    local = np.arange(len(grp), dtype=np.int64) - start[grp]
    if reverse:
        local = real_len[grp] - 1 - local
    real_pos = new_start[grp] + local
    pseudo_pos = (new_start[:-1] + real_len)[pseudo]
    return (real_pos, pseudo_pos), int(new_start[-1])
