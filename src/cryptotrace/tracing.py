"""Follow the money: taint policies, traces and seizure candidates.

A *trace* starts from some coins (an output ``txid:vout``, an address, a
transaction or a cluster) and follows them hop by hop through the
transactions that spend them (``direction="forward"``: where did the money
go?) or that created them (``direction="backward"``: where did it come from?).

When a transaction mixes traced ("tainted") coins with other ("clean") coins,
a *taint policy* decides how much of each output is tainted. Worked example
(DESIGN.md): inputs 3 BTC stolen, then 7 BTC clean; outputs 1, 6 and 3 BTC;
no fee.

=========  =================================================  ================
policy     rule                                               tainted outputs
=========  =================================================  ================
poison     any taint taints every output completely           1 / 6 / 3
haircut    every output gets the transaction's taint ratio     0.3 / 1.8 / 0.9
fifo       first in, first out: inputs in order pay outputs    1 / 2 / 0
           in order (Clayton's case)
lifo       last in, first out: the last input pays first       0 / 0 / 3
tiho       tainted in, highest out: the taint goes to the      0 / 3 / 0
           largest outputs first
=========  =================================================  ================

Conventions (all amounts are exact integer satoshis):

* **haircut rounding**: a transaction's taint is split in proportion to the
  output values by the *largest-remainder* method: every output first gets
  the whole satoshis of its exact share, then the satoshis left over go one
  each to the outputs with the largest fractional parts (ties: lower output
  number first). The shares add up exactly to the taint that came in.
* **haircut against BlockSci**: BlockSci's haircut (``citp/BlockSci``
  ``src/heuristics/taint.cpp``, master 14ccc93) gives each output
  ``trunc(value / (outputs + fee) * taint)`` in floating point and the fee
  what is left (at most the fee); the truncated satoshis go to the fee, or
  are lost when there is no fee, so the shares can add up to less than the
  taint (its own tests say "-1 for rounding error"). Its 2018 version
  (commit 4e42e43) used integer division per output, ``value * taint //
  outputs``, which loses up to one satoshi per output and gives the fee no
  taint. Here the shares are exact and always add up.
* **fee** (``fee_policy``, forward traces): the fee is what the inputs bring
  in beyond the outputs. ``"proportional"``: the fee carries the
  transaction's taint ratio, like one more output (largest-remainder);
  ``"clean_first"``: the fee is paid from clean coins first (taint stays in
  the outputs as far as possible); ``"tainted_first"``: the fee is paid from
  tainted coins first; ``"last"``: the fee is the last place in the policy's
  order (FIFO/LIFO: after the last output; TIHO: after the smallest output,
  i.e. like ``clean_first``; haircut: like ``"proportional"``). Whatever
  taint the fee takes is an endpoint of kind ``"fee"`` (paid to the miner).
  Backward traces have no choice to make: the fee funds nothing.
  **Default: each policy's published convention** (:data:`DEFAULT_FEE_POLICY`):

  =========  ==============  ================================================
  policy     default fee     published implementation it follows
  =========  ==============  ================================================
  poison     (no choice)     BlockSci ``getPoisonTainted``: the fee in full
  haircut    proportional    BlockSci ``getHaircutTainted`` (the fee is one
                             more share); zkokelj ``HaircutTainting.cpp``
  fifo       last            BlockSci ``getFifoTainted`` (2018, commit
                             4e42e43), TaintChain ``RustyTaintChain`` ("the
                             outputs get paid first ... then the rest is
                             given to the miners"), zkokelj ``FIFOTainting.cpp``
  lifo       last            zkokelj ``LIFOTainting.cpp`` (see below)
  tiho       last            zkokelj ``TIHOTainting.cpp``: taint fills the
                             largest outputs; only what they cannot hold is
                             left for the fee
  =========  ==============  ================================================

  BlockSci's ``taint_fee`` switch decides what happens *after* the fee: with
  ``True`` the fee's taint flows into the block's coinbase outputs (the
  miner's reward), with ``False`` it is dropped. cryptotrace stops at the
  fee: its taint is an endpoint of kind ``"fee"``, so the totals match
  BlockSci with ``taint_fee=True`` (nothing is lost) without following the
  miner. Until issue 16 the default was ``"proportional"`` for every policy,
  so FIFO disagreed with every published FIFO (inputs 4 stolen + 6 clean,
  outputs 5 and 4, fee 1: they give 4 / 0 / fee 0; the old default gave
  3.6 / 0 / fee 0.4). ``fee_policy="proportional"`` still gives that.
* **where the taint sits inside one coin** (``fifo_order``, FIFO, forward):
  ``"tainted_first"`` (default) reads a partly tainted coin as its tainted
  part, then its clean part (as BlockSci's 2018 FIFO did for its inputs);
  ``"keep"`` keeps the order in which the parts were paid into the coin:
  every coin carries its ordered list of tainted and clean parts (as
  TaintChain's ``VecDeque<TaintPart>`` and zkokelj's ``TaintVector`` do);
  :meth:`Trace.coin_parts` shows it. Example: a coin paid 2 clean, then 3
  stolen, split into 2 and 3: ``"keep"`` gives 0 and 3, ``"tainted_first"``
  2 and 1. LIFO and TIHO read coins tainted part first.
* **what courts have seen** (for the expert's report; checked in public
  sources, not legal advice): first in, first out is the rule in *Clayton's
  case* (Devaynes v Noble (1816) 1 Mer 572), a rebuttable presumption of
  English law for withdrawals from a running account. The Court of Appeal in
  Barlow Clowes v Vaughan [1992] 4 All ER 22 kept it as the default between
  equally innocent claimants but set it aside where it is impracticable or
  unjust, sharing rateably (pari passu; the "North American" rolling charge is
  proportional, i.e. haircut-like) instead; Commerzbank v IMB Morgan [2004]
  EWHC 2771 (Ch) also disapplied it. Against a wrongdoing fiduciary the
  presumption is different: Re Hallett's Estate (1879) 13 Ch D 696 (the
  wrongdoer spends his own money first) and, in the US, the "lowest
  intermediate balance" rule; some US bankruptcy courts apply FIFO to mixed
  accounts (e.g. In re Tydings, W.D. Mo. 2020). TaintChain's authors chose
  FIFO because of Clayton's case. For crypto, D'Aloia v Persons Unknown
  [2024] EWHC 2342 (Ch) rejected tracing evidence whose method could not be
  explained and checked; the commentaries found do not show it endorsing one
  rule. Not established: no decision was found on the order of the parts
  *inside* one bitcoin output. Clayton's case orders deposits in time, which
  ``"keep"`` carries through each coin; ``"tainted_first"`` is a modelling
  choice of the software. Say which one you used.
* **LIFO**: here the last input pays the first output, coins read tainted
  part first, and with ``"last"`` the fee comes after the last output, so it
  is paid from the *first* inputs. zkokelj ``LIFOTainting.cpp`` lays the
  inputs out in order and fills the outputs from the last one, so its fee is
  paid from the *last* inputs and a coin's parts keep their order. Read as
  an account, cryptotrace treats the fee as the last withdrawal (as TaintChain
  does for FIFO: "the outputs get paid first ... then the rest is given to
  the miners"), so under LIFO it takes the earliest deposits; zkokelj's
  layout amounts to paying the fee first. Without a fee and with whole coins
  the two agree; with a fee they differ (inputs 4
  stolen + 6 clean, outputs 5 and 4, fee 1: here 0 / 3 / fee 1, zkokelj 0 /
  4 / fee 0), and over several hops the differences carry on
  (``tests/test_taint_reference.py`` has the hand-worked tables).
* **TIHO ties**: outputs of equal value take taint in output order (lower
  number first, as in haircut rounding); zkokelj ``TIHOTainting.cpp`` sorts
  ``(value, index)`` descending, so the *higher* output number goes first.
  The totals agree; which of two equal outputs is tainted differs.
* **hops**: the start outputs are hop 0; a transaction spending them is hop
  1, and so on. A transaction is followed when it is at most ``max_hops``
  away and at least one of its traced inputs carries ``min_value`` or more.
  If more taint reaches a followed transaction later along a longer path,
  it is recomputed, so every followed transaction obeys the policy exactly.
* **conservation**: for every policy except poison, the tainted value at
  the endpoints (outputs where the trace stops, fees, and so on) adds up
  exactly to the traced start value.

The engine works on whole hops at once with numpy over ``chain.index``
(CSR offsets, ``output_of_input``, ``input_of_output``); there is no Python
loop per transaction.

Examples
--------
>>> from cryptotrace.tracing import trace, worked_example_chain
>>> chain = worked_example_chain()
>>> stolen = chain.outputs.txid[0] + ":0"
>>> t = trace(chain, stolen, policy="fifo", max_hops=1, min_value=0)
>>> [int(v) for v in t.flows.query("hop == 1").tainted_value]
[100000000, 200000000, 0]
"""

from __future__ import annotations

import html
import json
import re
import weakref
from collections.abc import Iterable
from functools import cached_property

import numpy as np
import pandas as pd

from .errors import NotInChainError, TraceError
from .tags import STOP_CATEGORIES, category_role
from .units import format_btc

__all__ = [
    "DIRECTIONS",
    "ENDPOINT_KINDS",
    "DEFAULT_FEE_POLICY",
    "FEE_POLICIES",
    "FIFO_ORDERS",
    "POLICIES",
    "SEIZURE_CLASSES",
    "SeizureCandidates",
    "Trace",
    "seizure_candidates",
    "trace",
    "worked_example_chain",
]

#: The taint policies, with a plain-language rule for each (the published implementation each
#: follows, and where cryptotrace differs from it, are in the module notes).
POLICIES = {
    # BlockSci getPoisonTainted (citp/BlockSci src/heuristics/taint.cpp)
    "poison": "any taint taints every output of the transaction completely (the widest net; not conserved)",
    # BlockSci getHaircutTainted; zkokelj HaircutTainting.cpp (cryptotrace splits exactly, largest remainder)
    "haircut": "every output gets the transaction's share of taint, in proportion to its value",
    # BlockSci getFifoTainted (2018, 4e42e43); TaintChain/RustyTaintChain; zkokelj FIFOTainting.cpp
    "fifo": "first in, first out: inputs in order pay the outputs in order (Clayton's case)",
    # zkokelj LIFOTainting.cpp (which end pays the fee differs: module notes)
    "lifo": "last in, first out: the last input pays the first outputs",
    # zkokelj TIHOTainting.cpp (ties between equal outputs differ: module notes)
    "tiho": "tainted in, highest out: the taint goes to the largest outputs first",
}
#: How the fee takes taint (forward traces).
FEE_POLICIES = {
    "proportional": "the fee carries the transaction's taint ratio, like one more output",
    "clean_first": "the fee is paid from clean coins first",
    "tainted_first": "the fee is paid from tainted coins first",
    "last": "the fee comes last in the policy's order (FIFO/LIFO: after the last output; TIHO: after the smallest)",
}
#: Each policy's fee convention when ``fee_policy`` is not given: the one its published
#: implementations use (see the module notes for the sources and the differences).
DEFAULT_FEE_POLICY = {
    "poison": "last",  # no choice to make: poison taints the fee in full (BlockSci getPoisonTainted)
    "haircut": "proportional",  # BlockSci getHaircutTainted; zkokelj HaircutTainting.cpp
    "fifo": "last",  # BlockSci getFifoTainted (2018); TaintChain/RustyTaintChain; zkokelj FIFOTainting.cpp
    "lifo": "last",  # zkokelj LIFOTainting.cpp: the outputs take their share, the rest is the fee
    "tiho": "last",  # zkokelj TIHOTainting.cpp: taint fills the largest outputs, only the rest is fee
}
#: Where the taint sits inside a partly tainted coin (FIFO, forward traces).
FIFO_ORDERS = {
    "tainted_first": "a partly tainted coin is read as its tainted part, then its clean part",
    "keep": "a coin keeps the order of its tainted and clean parts from the transaction that made it "
            "(TaintChain, zkokelj/bitcoin_tainting_methods)",
}
DIRECTIONS = ("forward", "backward")
#: Kinds of endpoint (where traced value stops), with what each means.
ENDPOINT_KINDS = {
    "unspent": "still unspent: the coins sit at this address",
    "end_of_data": "not spent in these records; the records (a partial chain) may simply end here",
    "spent_outside": "spent by a transaction that is not in these records",
    "service": "reached a tagged service (e.g. an exchange): the trace stops there",
    "stopped": "reached an address you asked the trace to stop at",
    "fee": "paid to the miner as a transaction fee",
    "below_threshold": "too small to follow (below min_value)",
    "hop_limit": "the trace reached max_hops here; it could go further",
    "back_to_start": "came back to where the trace started",
    "external": "came from a transaction outside these records",
    "coinbase": "newly mined coins (a block reward)",
    "unknown_source": "came from an input whose value these records do not give",
}
_KIND_CODE = {k: i for i, k in enumerate(ENDPOINT_KINDS)}
_OUTPOINT = re.compile(r"^\s*([0-9a-fA-F]{64})\s*:\s*(\d+)\s*$")
_TXID = re.compile(r"^\s*[0-9a-fA-F]{64}\s*$")


# ====================================================================== helpers
def _expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``starts[g]:ends[g]`` for every group g, and the group of each row."""
    lens = (ends - starts).astype(np.int64)
    total = int(lens.sum())
    grp = np.repeat(np.arange(len(starts), dtype=np.int64), lens)
    first = np.cumsum(lens) - lens
    rows = np.arange(total, dtype=np.int64) - first[grp] + starts.astype(np.int64)[grp]
    return rows, grp


def _distinct(values: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct values of ``values`` (ids below ``n``); a bitmap when there are many."""
    if len(values) * 64 < n:
        return np.unique(values)
    mark = np.zeros(n, dtype=bool)
    mark[values] = True
    return np.flatnonzero(mark)


def _gstart(grp: np.ndarray, n: int) -> np.ndarray:
    """CSR offsets of a sorted group array."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(grp, minlength=n), out=out[1:])
    return out


def _gsum(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Exact int64 sum per CSR group."""
    csum = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    return csum[start[1:]] - csum[start[:-1]]


def _muldiv(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _largest_remainder(grp, start, weight, amount, total, pos) -> np.ndarray:
    """Split ``amount[g]`` over the items of group g in proportion to ``weight``.

    Exact integers adding up to ``amount[g]`` (largest-remainder method; ties
    go to the item with the lower ``pos``). ``total[g]`` is the sum of the
    weights of group g, and ``amount[g] <= total[g]``.
    """
    if len(grp) == 0:
        return np.zeros(0, dtype=np.int64)
    q, r = _muldiv(amount[grp], weight, total[grp])
    left = amount - _gsum(q, start)
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


def _suffix_before(values, grp, start):
    """Per item: the sum of the items after it in its group."""
    csum = np.cumsum(values, dtype=np.int64)
    group_end = csum[start[1:] - 1] if len(values) else np.zeros(0, dtype=np.int64)
    ends = np.where(start[1:] > start[:-1], group_end, 0)
    return ends[grp] - csum


def _prefix_before(values, grp, start):
    """Per item: the sum of the items before it in its group."""
    csum = np.cumsum(values, dtype=np.int64) - values
    base = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])[start[:-1]]
    return csum - base[grp]


def _pair_segments(s_val, s_taint):
    """Segments of sources read "tainted part first": (values, tainted flags, owning source)."""
    n = len(s_val)
    seg = np.empty(2 * n, dtype=np.int64)
    seg[0::2] = s_taint
    seg[1::2] = s_val - s_taint
    tainted = np.zeros(2 * n, dtype=bool)
    tainted[0::2] = True
    return seg, tainted, np.repeat(np.arange(n, dtype=np.int64), 2)


def _cut(seg, tainted, t_val, pieces=False):
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
    k, owner = _expand(k0, k0 + cnt)
    val = np.minimum(ends[k], b[owner]) - np.maximum(starts[k], a[owner])
    kind = tainted[k]
    ok = val > 0
    k, owner, val, kind = k[ok], owner[ok], val[ok], kind[ok]
    new_run = np.ones(len(k), dtype=bool)
    new_run[1:] = (owner[1:] != owner[:-1]) | (kind[1:] != kind[:-1])
    r_val = np.add.reduceat(val, np.flatnonzero(new_run)) if len(val) else np.zeros(0, dtype=np.int64)
    r_kind = kind[new_run]
    r_owner = owner[new_run]
    return taint, (_gstart(r_owner, len(t_val)), r_val, r_kind)


def _stream(s_grp, s_val, s_taint, t_val):
    """FIFO-style matching of a source stream to a target stream (both already in order).

    Each source is read as its tainted part, then its clean part; the targets
    take consecutive pieces of the stream. Returns the taint of each target.
    Groups are laid end to end; every group's sources and targets have the
    same total, so the pieces line up.
    """
    seg, tainted, _ = _pair_segments(s_val, s_taint)
    return _cut(seg, tainted, t_val)


def _allocate(policy, fee_policy, n, s_grp, s_val, s_taint, t_grp, t_val, t_fee, t_pos, segs=None):
    """The taint of every target item of ``n`` transactions under one policy.

    Sources and targets are sorted by group and, within it, in stream order
    (pseudo items last). ``t_fee`` marks the fee pseudo-target (forward).
    ``segs`` (FIFO/LIFO only): the sources' ordered tainted/clean segments
    ``(values, tainted, source)``; by default each source is its tainted part,
    then its clean part. Returns ``(target_taint, tainted_in_per_group)``, and
    with ``segs`` also the pieces each target receives (see :func:`_cut`).
    """
    s_start = _gstart(s_grp, n)
    t_start = _gstart(t_grp, n)
    T = _gsum(s_taint, s_start)
    if policy == "poison":
        return np.where(T[t_grp] > 0, t_val, 0).astype(np.int64), T
    Vt = _gsum(t_val, t_start)
    fee_val = np.where(t_fee, t_val, 0)
    F = _gsum(fee_val, t_start)
    real_val = t_val - fee_val
    lo = np.maximum(T - (Vt - F), 0)  # the fee must take at least this (outputs are full)
    hi = np.minimum(T, F)

    natural = (policy == "haircut" and fee_policy in ("proportional", "last")) or (
        policy in ("fifo", "lifo") and fee_policy == "last")
    want = segs is not None
    if policy in ("fifo", "lifo"):
        seg, seg_t, seg_src = segs if want else _pair_segments(s_val, s_taint)
    if natural or not F.any():
        if policy == "haircut":
            return _largest_remainder(t_grp, t_start, t_val, T, Vt, t_pos), T
        if policy in ("fifo", "lifo"):
            res = _cut(seg, seg_t, t_val, want)
            return (res[0], T, res[1]) if want else (res, T)
        fee_t = lo  # tiho without a fee (or fee_policy irrelevant)
    elif fee_policy == "proportional":
        share = _largest_remainder(t_grp, t_start, t_val, T, Vt, t_pos)
        fee_t = _gsum(np.where(t_fee, share, 0), t_start)
    elif fee_policy == "tainted_first":
        fee_t = hi
    else:  # clean_first, or "last" for tiho
        fee_t = lo
    fee_t = np.clip(fee_t, lo, hi)
    D = T - fee_t
    if policy == "haircut":
        out = _largest_remainder(t_grp, t_start, real_val, D, Vt - F, t_pos)
    elif policy == "tiho":
        order = np.lexsort((t_pos, -real_val, t_grp))
        v = real_val[order]
        before = _prefix_before(v, t_grp[order], t_start)
        out = np.empty(len(t_grp), dtype=np.int64)
        out[order] = np.clip(D[t_grp[order]] - before, 0, v)
    else:  # fifo / lifo: take the fee out of the end of the source stream (tainted and clean parts), then match
        fee_clean = F - fee_t
        g = s_grp[seg_src]
        g_start = _gstart(g, n)
        tv = np.where(seg_t, seg, 0)
        cv = seg - tv
        rm_t = np.clip(fee_t[g] - _suffix_before(tv, g, g_start), 0, tv)
        rm_c = np.clip(fee_clean[g] - _suffix_before(cv, g, g_start), 0, cv)
        res = _cut(seg - rm_t - rm_c, seg_t, real_val, want)
        out = res[0] if want else res
        out = np.where(t_fee, fee_t[t_grp], out).astype(np.int64)
        return (out, T, res[1]) if want else (out, T)
    out = np.where(t_fee, fee_t[t_grp], out)
    return out.astype(np.int64), T


def _layout(grp, n, pseudo, reverse):
    """Positions that lay out grouped items with one optional pseudo item at each group's end.

    ``grp`` (sorted) gives the group of each real item; ``pseudo[g]`` says whether group g
    gets a pseudo item. With ``reverse`` the real items of each group are laid out in
    reverse order. Returns ``((real_positions, pseudo_positions), total)``.
    """
    start = _gstart(grp, n)
    real_len = start[1:] - start[:-1]
    size = real_len + pseudo
    new_start = np.concatenate([[0], np.cumsum(size)])
    local = np.arange(len(grp), dtype=np.int64) - start[grp]
    if reverse:
        local = real_len[grp] - 1 - local
    real_pos = new_start[grp] + local
    pseudo_pos = (new_start[:-1] + real_len)[pseudo]
    return (real_pos, pseudo_pos), int(new_start[-1])


# ====================================================================== the engine
_ARRAYS: dict[int, tuple] = {}


def _chain_arrays(chain) -> tuple[np.ndarray, np.ndarray]:
    """Output and input values as int64 arrays (inputs of unknown value: 0), cached per chain."""
    hit = _ARRAYS.get(id(chain))
    if hit is not None and hit[0]() is chain:
        return hit[1], hit[2]
    out_value = chain.outputs.value.to_numpy(np.int64)
    in_value = chain.inputs.value.fillna(0).to_numpy(np.int64)
    for k in [k for k, v in _ARRAYS.items() if v[0]() is None]:
        del _ARRAYS[k]
    _ARRAYS[id(chain)] = (weakref.ref(chain), out_value, in_value)
    return out_value, in_value


class _Engine:
    """Propagates taint hop by hop over a chain's integer index."""

    def __init__(self, chain, *, direction, policy, fee_policy, max_hops, min_value, stopped_out,
                 fifo_order="tainted_first"):
        ix = chain.index
        self.ix = ix
        self.forward = direction == "forward"
        self.policy = policy
        self.fee_policy = fee_policy
        # FIFO keeping the order inside coins: every coin the trace writes gets its ordered list of
        # tainted/clean segments, stored CSR-style (seg_off, seg_len) in one append-only pool
        self.keep = policy == "fifo" and fifo_order == "keep" and self.forward
        self.max_hops = max_hops
        self.threshold = max(int(min_value), 1)
        self.out_value, self.in_value = _chain_arrays(chain)
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
        k, src = _expand(off, off + n_seg)
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
        k, owner = _expand(lo, hi)
        m = len(k)
        val, tt = p_val[k], p_t[k]
        if self.pool_n + m > len(self.pool_val):
            size = max(2 * len(self.pool_val), self.pool_n + m)
            self.pool_val = np.concatenate([self.pool_val, np.zeros(size - len(self.pool_val), dtype=np.int64)])
            self.pool_t = np.concatenate([self.pool_t, np.zeros(size - len(self.pool_t), dtype=bool)])
        self.pool_val[self.pool_n:self.pool_n + m] = val
        self.pool_t[self.pool_n:self.pool_n + m] = tt
        cnt = hi - lo
        first = np.cumsum(cnt) - cnt
        gs = _gstart(owner, len(ti))
        at = _prefix_before(val, owner, gs)  # where each piece starts inside its coin
        with np.errstate(over="ignore"):
            h = np.where(tt, at * np.int64(2654435761) + val * np.int64(40503) + 1, 0)
            fp = _gsum(h, gs)
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
            return [("tainted" if t else "clean", int(v))
                    for v, t in zip(self.pool_val[o:o + n].tolist(), self.pool_t[o:o + n].tolist())]
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
        in_rows, in_grp = _expand(ix.in_start[batch], ix.in_start[batch + 1])
        out_rows, out_grp = _expand(ix.out_start[batch], ix.out_start[batch + 1])
        in_val = self.in_value[in_rows]
        out_val = self.out_value[out_rows]
        Vin = _gsum(in_val, _gstart(in_grp, B))
        Vout = _gsum(out_val, _gstart(out_grp, B))
        fee = np.maximum(Vin - Vout, 0)
        short = np.maximum(Vout - Vin, 0)
        groups = np.arange(B, dtype=np.int64)
        rev = self.policy == "lifo"
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
        s_pos, s_n = _layout(src_grp, B, ps_val > 0, rev and self.forward)
        s = dict(grp=np.empty(s_n, dtype=np.int64), val=np.empty(s_n, dtype=np.int64),
                 taint=np.zeros(s_n, dtype=np.int64), row=np.full(s_n, -1, dtype=np.int64))
        s["grp"][s_pos[0]], s["val"][s_pos[0]], s["taint"][s_pos[0]] = src_grp, src_val, src_taint
        if self.keep:  # the coins each source spends, to read their stored parts
            s["row"][s_pos[0]] = self.ix.output_of_input[in_rows]
        s["grp"][s_pos[1]], s["val"][s_pos[1]] = groups[ps_val > 0], ps_val[ps_val > 0]
        t_pos, t_n = _layout(tgt_grp, B, pt_val > 0, rev and not self.forward)
        t = dict(grp=np.empty(t_n, dtype=np.int64), val=np.empty(t_n, dtype=np.int64),
                 row=np.empty(t_n, dtype=np.int64), pseudo=np.zeros(t_n, dtype=bool))
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
            rows, grp = _expand(ix.in_start[cand], ix.in_start[cand + 1])
            src = ix.output_of_input[rows]
        else:
            src, grp = _expand(ix.out_start[cand], ix.out_start[cand + 1])
        big = np.iinfo(np.int64).max
        q = self._eff(src) >= self.threshold
        hop = np.where(q, self.hop[np.maximum(src, 0)], big)
        start = _gstart(grp, len(cand))
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
                raise TraceError("the transactions spend each other in a loop, which no valid chain does; "
                                 "load the data with validation on (Chain.from_tables(..., validate=True))")
            f = frontier[~self.stopped[frontier]]
            if self.forward:
                sp = ix.input_of_output[f]
                cand = _distinct(ix.tx_of_input[sp[sp >= 0]], ix.n_txs)
            else:
                cand = _distinct(ix.tx_of_output[f], ix.n_txs)
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
        args = (self.policy, self.fee_policy, len(batch), s["grp"], s["val"], s["taint"],
                t["grp"], t["val"], t["fee"], t["key"])
        if self.keep:
            alloc, _T, pieces = _allocate(*args, segs=self._source_segments(s))
        else:
            alloc, _T = _allocate(*args)
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


# ====================================================================== inputs
def _resolve_start(chain, start, clustering) -> tuple[np.ndarray, str, np.ndarray]:
    """Output rows a trace starts from, a short description, and the rows named explicitly.

    Rows named explicitly (an output, an address, a cluster) are followed even when they sit at a
    service; the outputs of a start *transaction* that pay a service stop there like any others.
    """
    ix = chain.index
    if isinstance(start, (str, tuple, int, np.integer)) or hasattr(start, "txid") or hasattr(start, "address"):
        items = [start]
    elif isinstance(start, Iterable):
        items = list(start)
    else:
        raise TraceError(f"cannot start a trace from {start!r}; give an output 'txid:vout', an address, "
                         "a txid, a cluster id (with clustering=...), or a list of these")
    if not items:
        raise TraceError("the start is empty; give at least one output 'txid:vout', address, txid or cluster")
    out_addr = ix.address_of_output
    parts, names, named = [], [], []
    for item in items:
        if hasattr(item, "txid") and hasattr(item, "outputs") and not isinstance(item, str):  # TxView
            item = item.txid
        elif hasattr(item, "address") and hasattr(item, "stats") and not isinstance(item, str):  # AddressView
            item = item.address
        if isinstance(item, tuple) and len(item) == 2:
            item = f"{item[0]}:{item[1]}"
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            labels = _labels(clustering)
            if labels is None:
                raise TraceError(f"start {item!r} looks like a cluster id, but no clustering was given; "
                                 "pass clustering=Clustering(...).fit(chain), or start from an address")
            addrs = labels.index[labels.to_numpy() == item]
            if not len(addrs):
                raise TraceError(f"cluster {item!r} is not in the clustering; check the id (see clustering.labels_)")
            codes = ix.addresses.get_indexer(pd.Index(addrs))
            parts.append(np.flatnonzero(np.isin(out_addr, codes[codes >= 0])))
            named.append(parts[-1])
            names.append(f"cluster {item}")
            continue
        if not isinstance(item, str):
            raise TraceError(f"cannot start a trace from {item!r}; give 'txid:vout', an address, a txid "
                             "or a cluster id")
        m = _OUTPOINT.match(item)
        if m:
            pos = chain.tx_position(m.group(1))
            vout = int(m.group(2))
            n = int(ix.out_start[pos + 1] - ix.out_start[pos])
            if vout >= n:
                raise NotInChainError(f"output {item!r} does not exist: transaction {m.group(1)[:16]}... has "
                                      f"{n} output(s), numbered 0 to {n - 1}")
            parts.append(np.array([ix.out_start[pos] + vout]))
            named.append(parts[-1])
            names.append(f"{m.group(1)[:12]}...:{vout}")
        elif _TXID.match(item):
            pos = chain.tx_position(item)
            parts.append(np.arange(ix.out_start[pos], ix.out_start[pos + 1]))
            names.append(f"tx {item.strip()[:12]}...")
        else:
            code = ix.addresses.get_indexer([item.strip()])[0]
            if code < 0:
                from .addresses import is_valid_address

                hint = ("it is a valid address, but does not appear in this chain" if is_valid_address(item.strip())
                        else "it is not an output 'txid:vout', a 64-character txid, or a valid address")
                raise NotInChainError(f"cannot start a trace from {item!r}: {hint}")
            rows = np.flatnonzero(out_addr == code)
            if not len(rows):
                raise TraceError(f"address {item!r} never receives coins in this chain (it only spends), "
                                 "so a trace has nothing to start from; start from one of its transactions")
            parts.append(rows)
            named.append(rows)
            names.append(item.strip())
    rows = np.unique(np.concatenate(parts)).astype(np.int64)
    desc = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
    named_rows = np.unique(np.concatenate(named)).astype(np.int64) if named else np.zeros(0, dtype=np.int64)
    return rows, desc, named_rows


def _labels(clustering) -> pd.Series | None:
    """address -> cluster id from a fitted clustering (anything with ``labels_``), or None."""
    if clustering is None:
        return None
    if isinstance(clustering, pd.Series):
        return clustering
    labels = getattr(clustering, "labels_", None)
    if labels is None:
        raise TraceError(f"the clustering {type(clustering).__name__} has no labels_; fit it first: "
                         "clustering = Clustering(...).fit(chain)")
    return labels if isinstance(labels, pd.Series) else pd.Series(labels)


def tags_by_address(tags) -> pd.DataFrame:
    """One tag per address (label, category in lower case, jurisdiction ...), indexed by address.

    ``tags`` is a :class:`~cryptotrace.tags.TagStore` (its strongest tag per
    address is used) or a DataFrame of address -> label, category, jurisdiction.
    """
    if isinstance(tags, pd.DataFrame):
        df = tags
    elif hasattr(tags, "best_per_address"):
        df = tags.best_per_address()
    else:
        raise TraceError(f"tags must be a TagStore (from load_tags) or a DataFrame indexed by address, "
                         f"not {type(tags).__name__}")
    if "address" in df.columns and df.index.name != "address":
        df = df.set_index("address")
    df = df.copy()
    for c in ("label", "category", "jurisdiction"):
        if c not in df.columns:
            df[c] = pd.NA
    df["category"] = df["category"].astype("string").str.lower()
    return df[~df.index.duplicated()]


def _tag_table(tags, labels: pd.Series | None = None) -> pd.DataFrame | None:
    """One tag per address (DataFrame indexed by address: label, category, jurisdiction), or None.

    With cluster ``labels``, an untagged address in a cluster whose tagged addresses all
    carry the same label inherits that tag (column ``via_cluster`` True): an exchange's
    deposit addresses are known as the exchange once clustering joins them to its hot
    wallet. Clusters whose tags disagree are left alone (a likely false merge).
    """
    if tags is None:
        return None
    df = tags_by_address(tags)
    df["via_cluster"] = False
    if labels is not None and len(df):
        cl = labels.reindex(df.index)
        known = df[cl.notna().to_numpy()].assign(_c=cl.dropna().to_numpy())
        n_labels = known.groupby("_c")["label"].nunique(dropna=False)
        good = n_labels.index[n_labels.to_numpy() == 1]
        first = known[known._c.isin(good)].drop_duplicates("_c").set_index("_c")
        members = labels[labels.isin(first.index) & ~labels.index.isin(df.index)]
        if len(members):
            add = first.reindex(members.to_numpy()).set_axis(members.index)
            add["via_cluster"] = True
            add.index.name = df.index.name
            df = pd.concat([df, add[df.columns]])
    return df


def _stop_mask(chain, stop_at, tagtab) -> tuple[np.ndarray, str]:
    """Per output row: does the trace stop there? And a description of the rule."""
    ix = chain.index
    stop_addr = np.zeros(ix.n_addresses + 1, dtype=bool)  # last slot: outputs without address
    cats = STOP_CATEGORIES
    desc = []
    if isinstance(stop_at, str) and stop_at == "services":
        wanted_cats, addrs = set(cats), []
        desc.append("tagged services")
    elif stop_at is None or stop_at is False:
        wanted_cats, addrs = set(), []
        desc.append("nothing")
    else:
        items = [stop_at] if isinstance(stop_at, str) else list(stop_at)
        known_cats = set(cats) | (set(tagtab.category.dropna()) if tagtab is not None else set())
        wanted_cats, addrs = set(), []
        for it in items:
            it = str(it).strip()
            if it == "services":
                wanted_cats |= set(cats)
            elif it.lower() in known_cats:
                wanted_cats.add(it.lower())
            elif ix.addresses.get_indexer([it])[0] >= 0:
                addrs.append(it)
            else:
                raise TraceError(f"stop_at item {it!r} is neither an address in this chain nor a tag category "
                                 f"(known categories: {', '.join(sorted(known_cats))})")
        desc.append(", ".join(items) if items else "nothing")
    if tagtab is not None and wanted_cats:
        hit = tagtab.index[tagtab.category.isin(list(wanted_cats)).fillna(False).to_numpy(bool)]
        codes = ix.addresses.get_indexer(pd.Index(hit))
        stop_addr[codes[codes >= 0]] = True
    if addrs:
        stop_addr[ix.addresses.get_indexer(addrs)] = True
    if not stop_addr.any():
        return np.zeros(len(ix.address_of_output), dtype=bool), "; ".join(desc)
    return stop_addr[ix.address_of_output], "; ".join(desc)


# ====================================================================== public API
def trace(chain, start, *, direction: str = "forward", policy: str = "haircut", max_hops: int = 10,
          min_value: int = 546, stop_at="services", tags=None, clustering=None,
          fee_policy: str | None = None, fifo_order: str = "tainted_first") -> Trace:
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
    if policy not in POLICIES:
        raise TraceError(f"policy {policy!r} is not known; use one of {', '.join(POLICIES)}")
    if fee_policy is None:
        fee_policy = DEFAULT_FEE_POLICY[policy]
    if fee_policy not in FEE_POLICIES:
        raise TraceError(f"fee_policy {fee_policy!r} is not known; use one of {', '.join(FEE_POLICIES)}, "
                         f"or leave it out for the policy's usual one ({DEFAULT_FEE_POLICY[policy]!r} for {policy})")
    if fifo_order not in FIFO_ORDERS:
        raise TraceError(f"fifo_order {fifo_order!r} is not known; use one of {', '.join(FIFO_ORDERS)}")
    if fifo_order == "keep" and (policy != "fifo" or direction != "forward"):
        raise TraceError("fifo_order='keep' applies to forward FIFO traces only "
                         f"(this trace is {direction} {policy}); leave fifo_order out")
    if isinstance(max_hops, bool) or not isinstance(max_hops, (int, np.integer)) or max_hops < 0:
        raise TraceError(f"max_hops must be a whole number 0 or more, not {max_hops!r}")
    if isinstance(min_value, bool) or not isinstance(min_value, (int, np.integer)) or min_value < 0:
        raise TraceError(f"min_value must be a whole number of satoshis 0 or more, not {min_value!r} "
                         "(use cryptotrace.btc_to_sats to convert BTC)")
    rows, start_desc, named = _resolve_start(chain, start, clustering)
    labels = _labels(clustering)
    tagtab = _tag_table(tags, labels)
    stopped, stop_desc = _stop_mask(chain, stop_at, tagtab)
    eng = _Engine(chain, direction=direction, policy=policy, fee_policy=fee_policy, max_hops=int(max_hops),
                  min_value=int(min_value), stopped_out=stopped, fifo_order=fifo_order)
    eng.run(rows, named)
    params = {
        "start": start_desc,
        "direction": direction,
        "policy": policy,
        "max_hops": int(max_hops),
        "min_value": int(min_value),
        "fee_policy": fee_policy,
        **({"fifo_order": fifo_order} if policy == "fifo" else {}),
        "stop_at": stop_desc,
        "tags": None if tagtab is None else (f"{int((~tagtab.via_cluster).sum()):,} tagged addresses"
                                             + (f", {int(tagtab.via_cluster.sum()):,} more through their clusters"
                                                if tagtab.via_cluster.any() else "")),
        "clustering": None if labels is None else type(clustering).__name__,
    }
    return Trace(chain, eng, rows, params, labels, tagtab)


class Trace:
    """The result of :func:`trace`: where the traced coins went (or came from).

    Attributes
    ----------
    flows : DataFrame
        One row per output a followed transaction pays (forward) or spends
        (backward), plus the start: ``hop, txid, vout, address, cluster,
        value, tainted_value, tag`` (satoshis; ``tainted_value`` may be 0,
        which shows where the policy sent no traced value).
    endpoints : DataFrame
        Where traced value stops: ``txid, vout, address, value,
        tainted_value, kind, service, category, jurisdiction, hop`` (see
        :data:`ENDPOINT_KINDS`; a fee has no ``vout``).
    transactions : DataFrame
        The transactions followed: ``hop, txid, tainted_in, tainted_out, fee_taint``.
    params : dict
        The settings that made this trace.
    start_value : int
        Satoshis traced from the start.
    """

    def __init__(self, chain, engine: _Engine, start_rows, params, labels, tagtab):
        self.chain = chain
        self._e = engine
        self.start_rows = start_rows
        self.params = params
        self._labels = labels
        self._tags = tagtab
        self.start_value = int(engine.out_value[start_rows].sum())

    @cached_property
    def records_complete(self) -> bool:
        """Do the records hold every block between their first and last (so "unspent" is certain)?

        A slice fetched from an API (a few transactions from scattered blocks) is not: an output
        it shows as unspent may well have been spent in a block it does not hold. Its outputs that
        nothing in the records spends are endpoints of kind ``"end_of_data"``, not ``"unspent"``.
        """
        h = self.chain.blocks.height
        if not len(h):
            return not bool(self.chain.inputs.is_external.any())
        return int(h.max()) - int(h.min()) + 1 == int(h.nunique())

    # -------------------------------------------------------------- tables
    @cached_property
    def _address_array(self) -> np.ndarray:
        return np.append(self.chain.index.addresses.to_numpy(dtype=object), None)

    def _addr(self, codes) -> np.ndarray:
        """Address text (object array, None where there is none) of address codes."""
        codes = np.asarray(codes, dtype=np.int64)
        return self._address_array[np.where(codes >= 0, codes, len(self._address_array) - 1)]

    def _cluster_of(self, addresses) -> np.ndarray:
        addresses = pd.Index(addresses, dtype=object) if not isinstance(addresses, pd.Series) else addresses
        if self._labels is None:
            return np.full(len(addresses), None, dtype=object)
        return self._labels.reindex(addresses).to_numpy(dtype=object, na_value=None)

    def _tag_cols(self, addresses) -> dict:
        """label, category, jurisdiction (string arrays) of each address."""
        cols = ["label", "category", "jurisdiction"]
        n = len(addresses)
        if self._tags is None:
            return {c: pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="string") for c in cols}
        t = self._tags[cols].reindex(pd.Index(addresses))
        return {c: pd.array(t[c].to_numpy(dtype=object, na_value=None), dtype="string") for c in cols}

    @cached_property
    def flows(self) -> pd.DataFrame:
        e, ix = self._e, self.chain.index
        tx = np.flatnonzero(e.txdist >= 0)
        if e.forward:  # every output of a followed transaction, tainted or not
            touched, grp = _expand(ix.out_start[tx], ix.out_start[tx + 1])
        else:  # every output a followed transaction spends
            touched, grp = _expand(ix.in_start[tx], ix.in_start[tx + 1])
            touched, grp = ix.output_of_input[touched], grp
            grp = grp[touched >= 0]
            touched = touched[touched >= 0]
        hop = e.hop.copy()
        fill = hop[touched] < 0
        hop[touched[fill]] = e.txdist[tx[grp[fill]]]
        rows = np.union1d(np.flatnonzero(e.taint > 0), touched)
        rows = rows[np.lexsort((rows, hop[rows]))]
        o = self.chain.outputs
        addr = o.address.take(rows).reset_index(drop=True)
        tags = self._tag_cols(addr)
        return pd.DataFrame({
            "hop": hop[rows],
            "txid": o.txid.take(rows).reset_index(drop=True),
            "vout": o.vout.to_numpy(np.int64)[rows],
            "address": addr,
            "cluster": self._cluster_of(addr),
            "value": e.out_value[rows],
            "tainted_value": e.taint[rows],
            "tag": tags["label"],
        })

    @cached_property
    def endpoints(self) -> pd.DataFrame:
        e, ix, ch = self._e, self.chain.index, self.chain
        # 1. tainted outputs whose value is not passed on
        out = np.flatnonzero(e.taint > 0)
        if e.forward:
            sp = ix.input_of_output[out]
            passed = (sp >= 0) & ~e.stopped[out]
            passed[passed] = e.txdist[ix.tx_of_input[sp[passed]]] >= 0
        else:
            passed = ~e.stopped[out] & (e.txdist[ix.tx_of_output[out]] >= 0)
        out = out[~passed]
        K = _KIND_CODE
        kind = np.full(len(out), K["below_threshold"], dtype=np.int8)
        kind[e.hop[out] + 1 > e.max_hops] = K["hop_limit"]
        if e.forward:
            sp = ix.input_of_output[out]
            spent_known = ch.outputs.spent_by_txid.take(out).notna().to_numpy(bool)
            kind[(sp < 0) & spent_known] = K["spent_outside"]
            kind[(sp < 0) & ~spent_known] = K["unspent" if self.records_complete else "end_of_data"]
        stopped = e.stopped[out]
        kind[stopped] = K["stopped"]
        if self._tags is not None:
            tagged = ch.outputs.address.take(out).isin(self._tags.index).to_numpy(bool)
            kind[stopped & tagged] = K["service"]
        # 2. start outputs that value came back to
        back = np.flatnonzero(e.returned > 0)
        # 3. fees (forward) or the unfunded part of a transaction (backward: newly mined / unknown inputs)
        p = np.flatnonzero(e.pseudo > 0)
        ir, ig = _expand(ix.in_start[p], ix.in_start[p + 1])
        orow, og = _expand(ix.out_start[p], ix.out_start[p + 1])
        vin = _gsum(e.in_value[ir], _gstart(ig, len(p)))
        vout = _gsum(e.out_value[orow], _gstart(og, len(p)))
        if e.forward:
            pkind, pvalue = np.full(len(p), K["fee"], dtype=np.int8), np.maximum(vin - vout, 0)
        else:
            cb = ch.txs.is_coinbase.to_numpy(bool)[p]
            pkind, pvalue = np.where(cb, K["coinbase"], K["unknown_source"]).astype(np.int8), np.maximum(vout - vin, 0)
        # 4. backward: inputs from outside the data
        x = np.flatnonzero(e.ext > 0)
        cb_row = ch.inputs.prev_txid.take(x).isna().to_numpy(bool)
        ext_vout = ch.inputs.prev_vout.take(x).to_numpy(dtype=np.float64, na_value=np.nan)

        o, inp = ch.outputs, ch.inputs

        def take(col, rows):
            return col.take(rows).reset_index(drop=True)

        ext_txid = take(inp.prev_txid, x).fillna(take(inp.txid, x))  # a coinbase input: the coinbase tx
        txid = pd.concat([take(o.txid, out), take(o.txid, back), take(ch.txs.txid, p), ext_txid],
                         ignore_index=True)
        addr = pd.concat([take(o.address, out), take(o.address, back),
                          pd.Series(pd.array(np.full(len(p), None, dtype=object), dtype="string")),
                          take(inp.address, x)], ignore_index=True)
        ov = o.vout.to_numpy(np.int64)
        vout_col = np.concatenate([ov[out], ov[back], np.full(len(p), -1), np.nan_to_num(ext_vout, nan=-1)
                                   ]).astype(np.int64)
        value = np.concatenate([e.out_value[out], e.out_value[back], pvalue, e.in_value[x]]).astype(np.int64)
        tainted = np.concatenate([e.taint[out], e.returned[back], e.pseudo[p], e.ext[x]]).astype(np.int64)
        kinds = np.concatenate([kind, np.full(len(back), K["back_to_start"], dtype=np.int8), pkind,
                                np.where(cb_row, K["coinbase"], K["external"]).astype(np.int8)])
        hop = np.concatenate([e.hop[out], e.hop[back], e.txdist[p], e.txdist[ix.tx_of_input[x]]]).astype(np.int64)
        order = np.lexsort((-tainted, hop))
        addr = addr.take(order).reset_index(drop=True)
        tags = self._tag_cols(addr)
        vout_col = pd.array(vout_col[order], dtype="Int64")
        vout_col[vout_col < 0] = pd.NA
        kind_col = _codes_to_strings(kinds[order], list(ENDPOINT_KINDS))
        return pd.DataFrame({
            "txid": txid.take(order).reset_index(drop=True),
            "vout": vout_col,
            "address": addr,
            "value": value[order],
            "tainted_value": tainted[order],
            "kind": kind_col,
            "service": tags["label"],
            "category": tags["category"],
            "jurisdiction": tags["jurisdiction"],
            "hop": hop[order],
        })

    @cached_property
    def transactions(self) -> pd.DataFrame:
        e, ix = self._e, self.chain.index
        tx = np.flatnonzero(e.txdist >= 0)
        in_rows, in_grp = _expand(ix.in_start[tx], ix.in_start[tx + 1])
        out_rows, out_grp = _expand(ix.out_start[tx], ix.out_start[tx + 1])
        src = ix.output_of_input[in_rows]
        in_t = np.where(src >= 0, e.taint[np.maximum(src, 0)], e.ext[in_rows])
        out_t = np.where(e.is_start[out_rows], e.returned[out_rows], e.taint[out_rows])
        if e.forward:
            in_t = e._eff(src)
        else:
            out_t = np.where(e.stopped[out_rows], 0, e.taint[out_rows])
        df = pd.DataFrame({
            "hop": e.txdist[tx],
            "txid": self.chain.txs.txid.take(tx).reset_index(drop=True),
            "tainted_in": _gsum(in_t, _gstart(in_grp, len(tx))),
            "tainted_out": _gsum(out_t, _gstart(out_grp, len(tx))),
            "fee_taint": e.pseudo[tx] if e.forward else np.zeros(len(tx), dtype=np.int64),
        })
        return df.sort_values(["hop", "txid"], kind="stable").reset_index(drop=True)

    def coin_parts(self, output) -> list[tuple[str, int]]:
        """The parts of one output in order: ``[("tainted" | "clean", satoshis), ...]``.

        With ``fifo_order="keep"`` this is the coin's ordered layout (what the
        next FIFO transaction reads first); otherwise a partly tainted coin is
        read as its tainted part, then its clean part.
        """
        rows, _, _ = _resolve_start(self.chain, output, None)
        if len(rows) != 1:
            raise TraceError(f"coin_parts needs one output 'txid:vout', not {output!r}")
        return self._e.segments(int(rows[0]))

    # -------------------------------------------------------------- evidence paths
    def evidence_path(self, txid: str, vout=None) -> list[str]:
        """The chain of outputs (``txid:vout``) that links the start to an endpoint.

        For a fee (``vout`` None) the last item is ``"txid (fee)"``.
        """
        ix, e = self.chain.index, self._e
        pos = self.chain.tx_position(txid)
        if vout is None or pd.isna(vout):
            return self._path(int(e.txpred[pos])) + [f"{ix.txids[pos]} (fee)"]
        return self._path(int(ix.out_start[pos] + int(vout)))

    def _path(self, row: int) -> list[str]:
        ix, e = self.chain.index, self._e
        txids = ix.txids
        path = []
        seen = 0
        while row >= 0 and seen <= len(e.hop):
            t = ix.tx_of_output[row]
            path.append(f"{txids[t]}:{row - ix.out_start[t]}")
            row = int(e.pred[row])
            seen += 1
        return path[::-1] if e.forward else path

    def _paths(self, rows: np.ndarray) -> list[list[str]]:
        """Evidence paths of many output rows (pointer-chasing vectorised over the rows)."""
        ix, e = self.chain.index, self._e
        steps = [rows]
        cur = rows
        for _ in range(int(e.hop.max(initial=0)) + 2):
            cur = np.where(cur >= 0, e.pred[np.maximum(cur, 0)], -1)
            if not (cur >= 0).any():
                break
            steps.append(cur)
        mat = np.stack(steps, axis=1) if steps else np.zeros((0, 0), dtype=np.int64)
        txids = ix.txids.to_numpy(dtype=object)
        flat = mat[mat >= 0]
        t = ix.tx_of_output[flat]
        labels = np.array([f"{a}:{b}" for a, b in zip(txids[t], flat - ix.out_start[t])], dtype=object)
        lookup = dict(zip(flat.tolist(), labels.tolist()))
        out = []
        for r in mat:
            p = [lookup[x] for x in r.tolist() if x >= 0]
            out.append(p[::-1] if e.forward else p)
        return out

    # -------------------------------------------------------------- entity view
    def entity_flows(self, *, include_internal: bool = False) -> pd.DataFrame:
        """Traced value moving between entities (clusters), summed over the followed transactions.

        Each followed transaction moves value from the entity of its largest
        traced input to the entities of its traced outputs. An address
        without a cluster (or a trace without ``clustering``) is its own entity.

        Returns
        -------
        DataFrame
            ``from_entity, to_entity, tainted_value, n_txs, first_hop``;
            moves inside one entity (e.g. change) are left out unless
            ``include_internal=True``.
        """
        e, ix = self._e, self.chain.index
        tx = np.flatnonzero(e.txdist >= 0)
        cols = ["from_entity", "to_entity", "tainted_value", "n_txs", "first_hop"]
        if not len(tx):
            return pd.DataFrame({c: [] for c in cols})
        in_rows, in_grp = _expand(ix.in_start[tx], ix.in_start[tx + 1])
        src = ix.output_of_input[in_rows]
        in_t = np.where(src >= 0, e.taint[np.maximum(src, 0)], e.ext[in_rows])
        order = np.lexsort((-in_t, in_grp))
        start = _gstart(in_grp, len(tx))
        has = start[1:] > start[:-1]
        first = order[np.minimum(start[:-1], max(len(order) - 1, 0))]
        from_code = np.where(has, ix.address_of_input[in_rows[first]] if len(order) else -1, -1)
        out_rows, out_grp = _expand(ix.out_start[tx], ix.out_start[tx + 1])
        out_t = e.taint[out_rows]
        if e.forward:
            out_t = np.where(e.is_start[out_rows], e.returned[out_rows], out_t)
        keep = out_t > 0
        from_addr = self._addr(from_code[out_grp[keep]])
        to_addr = self._addr(ix.address_of_output[out_rows[keep]])

        def entity(addr):
            cl = self._cluster_of(addr)
            return np.where(pd.isna(cl), addr, cl).astype(object)

        df = pd.DataFrame({
            "from_entity": entity(from_addr), "to_entity": entity(to_addr),
            "tainted_value": out_t[keep], "tx": tx[out_grp[keep]], "hop": e.txdist[tx[out_grp[keep]]],
        })
        if not include_internal:
            df = df[df.from_entity.astype(str) != df.to_entity.astype(str)]
        g = df.groupby(["from_entity", "to_entity"], sort=False, dropna=False).agg(
            tainted_value=("tainted_value", "sum"), n_txs=("tx", "nunique"), first_hop=("hop", "min"))
        return g.reset_index().sort_values(["first_hop", "tainted_value"], ascending=[True, False],
                                           kind="stable").reset_index(drop=True)[cols]

    # -------------------------------------------------------------- summaries
    def summary(self) -> dict:
        """The trace in figures (satoshis): start value, what was followed, where the value ended."""
        ep = self.endpoints
        by_kind = {str(k): int(v) for k, v in ep.groupby("kind", sort=True, observed=True).tainted_value.sum().items()}
        total = int(ep.tainted_value.sum())
        e = self._e
        conserved = None if self.params["policy"] == "poison" else total == self.start_value
        return {
            **self.params,
            "start_outputs": int(len(self.start_rows)),
            "start_value": self.start_value,
            "txs_followed": int((e.txdist >= 0).sum()),
            "hops_reached": int(e.txdist.max(initial=0)),
            "outputs_tainted": int((e.taint > 0).sum()),
            "endpoints": int(len(ep)),
            "endpoint_value": total,
            "records_complete": self.records_complete,
            "by_kind": by_kind,
            "conserved": conserved,
        }

    def describe(self) -> str:
        """A few plain sentences about the trace."""
        s = self.summary()
        way = "forward (where the coins went)" if s["direction"] == "forward" else \
            "backward (where the coins came from)"
        conv = []
        if s["direction"] == "forward" and s["policy"] != "poison":
            conv.append(f"fee {s['fee_policy']}: {FEE_POLICIES[s['fee_policy']]}")
        if "fifo_order" in s:
            conv.append(f"coins read {s['fifo_order']}: {FIFO_ORDERS[s['fifo_order']]}")
        lines = [f"Traced {format_btc(s['start_value'])} from {s['start']} {way}, policy {s['policy']}: "
                 f"{POLICIES[s['policy']]}.", *[f"Convention: {c}." for c in conv],
                 f"Followed {s['txs_followed']:,} transaction(s) over {s['hops_reached']} hop(s) "
                 f"(limit {s['max_hops']}); the value ended in {s['endpoints']:,} place(s):"]
        for k, v in sorted(s["by_kind"].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {format_btc(v):>22}  {k}: {ENDPOINT_KINDS.get(k, k)}")
        if not s["records_complete"]:
            lines.append("These records are a partial chain (blocks are missing between the first and last), "
                         "so where they end is not where the coins stopped: fetch the next transactions to go on.")
        if s["conserved"] is False:
            lines.append("Warning: the endpoint total differs from the start value; please report this.")
        elif s["policy"] == "poison":
            lines.append("Poison counts every touched coin in full, so these amounts add up to more than the start.")
        return "\n".join(lines)

    __str__ = describe

    def plot(self, **kwargs):
        """The trace as a flow picture, left to right (:func:`cryptotrace.plot.trace_flow`)."""
        from .plot import trace_flow

        return trace_flow(self, **kwargs)

    def plot_summary(self, candidates=None, **kwargs):
        """Where the money went, as bars (:func:`cryptotrace.plot.money_summary`)."""
        from .plot import money_summary

        return money_summary(self, candidates, **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """The flows table (one row per output carrying traced value), in satoshis."""
        return self.flows.copy()

    def to_dict(self) -> dict:
        """Parameters, summary and endpoints as plain Python (satoshis as int)."""
        ep = self.endpoints
        recs = []
        for r in ep.itertuples(index=False):
            recs.append({
                "txid": r.txid, "vout": None if pd.isna(r.vout) else int(r.vout),
                "address": None if pd.isna(r.address) else str(r.address), "value": int(r.value),
                "tainted_value": int(r.tainted_value), "kind": str(r.kind),
                "service": None if pd.isna(r.service) else str(r.service),
                "category": None if pd.isna(r.category) else str(r.category),
                "jurisdiction": None if pd.isna(r.jurisdiction) else str(r.jurisdiction), "hop": int(r.hop),
            })
        return {"params": dict(self.params), "summary": self.summary(), "endpoints": recs}

    def to_json(self, **kwargs) -> str:
        """:meth:`to_dict` as JSON text (the CLI's ``--json`` output)."""
        return json.dumps(self.to_dict(), default=_json_default, **({"indent": 2} | kwargs))

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<Trace {s['direction']} {s['policy']} from {s['start']} ({format_btc(s['start_value'])}): "
                f"{s['txs_followed']:,} txs over {s['hops_reached']} hops, {s['endpoints']:,} endpoints>")

    def _repr_html_(self) -> str:
        s = self.summary()
        head = html.escape(self.describe()).replace("\n", "<br>")
        ep = self.endpoints.head(20).copy()
        for c in ("value", "tainted_value"):
            ep[c] = ep[c].map(lambda v: format_btc(v, unit=False))
        ep = ep.rename(columns={"value": "value (BTC)", "tainted_value": "traced (BTC)"})
        more = f"<p>showing 20 of {s['endpoints']:,} endpoints</p>" if s["endpoints"] > 20 else ""
        return f"<div><b>Trace</b><p>{head}</p>{ep.to_html(index=False)}{more}</div>"


def _codes_to_strings(codes: np.ndarray, names: list[str]) -> pd.Series:
    """A string column from small integer codes (through an Arrow dictionary: no Python loop)."""
    try:
        import pyarrow as pa

        arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(names)).cast(pa.large_string())
        return pd.Series(pd.arrays.ArrowStringArray(arr))
    except (ImportError, TypeError, ValueError):  # pragma: no cover - pyarrow is a dependency
        return pd.Series(pd.array(np.array(names, dtype=object)[codes], dtype="string"))


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if o is pd.NA:
        return None
    return str(o)


# ====================================================================== seizure candidates
#: Classes of seizure candidate, best prospects first, with the action each suggests.
SEIZURE_CLASSES = {
    "at_service": "at a custodial service: ask for a freeze and a production order",
    "suspect_unspent": "unspent in the suspect's cluster: seizable if the keys are obtained "
                       "(e.g. an xpub or seed on a seized device)",
    "unspent_unknown": "unspent at an address of unknown owner: identify the owner, then act",
    "mixed": "dissipated through a mixer or CoinJoin: uncertain, the link is probabilistic",
    "spent_unknown": "moved on to unknown hands (or beyond the traced hops): trace further",
    "end_of_records": "the records end here (a partial chain): fetch the next transactions and trace further",
}


#: Default materiality thresholds of :func:`seizure_candidates`.
DEFAULT_MIN_VALUE = 100_000        # satoshis (0.001 BTC): below this a candidate has no action line of its own
DEFAULT_MIN_SHARE = 0.5            # traced share of the coin: below this, ask for details, not a freeze
DEFAULT_MAX_ROWS = 25              # material candidates with a line of their own (one printed page)


class SeizureCandidates:
    """Where the traced value can be frozen or seized, ranked (see :func:`seizure_candidates`).

    Displays the *material* candidates (traced value at least ``min_value``)
    and one line for the immaterial tail; :attr:`table` (or
    ``to_frame()``) keeps every candidate.

    Attributes
    ----------
    table : DataFrame
        ``rank, classification, action, txid, vout, address, cluster, value,
        tainted_value, share, material, custodial, service, category,
        jurisdiction, kind, evidence_path``; every candidate, largest traced
        value first.
    params : dict
        The thresholds, the suspects and the trace's own parameters
        (``trace_params``: policy, fee convention, hops ...).
    """

    def __init__(self, table: pd.DataFrame, params: dict, assessment=None):
        self.table = table
        self.params = params
        self._assessment = assessment

    def _shown(self) -> np.ndarray:
        """Rows with a line of their own: material, and among the ``max_rows`` largest of them."""
        m = self.table.material.to_numpy(bool)
        return m & (np.cumsum(m) <= int(self.params.get("max_rows", DEFAULT_MAX_ROWS)))

    def to_frame(self, *, all: bool = True) -> pd.DataFrame:
        """The ranked table (satoshis): every candidate, or with ``all=False`` only those with a line of their own."""
        return (self.table if all else self.table[self._shown()]).copy()

    @property
    def material(self) -> pd.DataFrame:
        """The candidates worth acting on one by one: traced value at least ``min_value``, the ``max_rows`` largest."""
        return self.to_frame(all=False)

    def evidence(self, which):
        """The chain of inferences behind one candidate (a rank, an address or ``"txid:vout"``).

        Returns a :class:`cryptotrace.evidence.Evidence`: print it for the text, ``.steps`` for the table.
        """
        if self._assessment is None:
            raise TraceError("these candidates carry no evidence assessment; make them with seizure_candidates(trace)")
        return self._assessment.evidence(which)

    def tail(self) -> dict:
        """The candidates folded into one line: ``{"count": n, "tainted_value": satoshis, "material": n}``
        (``material``: how many of them reach ``min_value`` but fall beyond ``max_rows``)."""
        shown = self._shown()
        t = self.table[~shown]
        return {"count": len(t), "tainted_value": int(t.tainted_value.sum()),
                "material": int((self.table.material.to_numpy(bool) & ~shown).sum())}

    def tail_line(self) -> str:
        """``"704 more, 0.0023 BTC in all (each under 0.001 BTC)"``, or ``""`` when there is no tail."""
        t = self.tail()
        if not t["count"]:
            return ""
        under = t["count"] - t["material"]
        if not t["material"]:
            return (f"{t['count']:,} more, {format_btc(t['tainted_value'])} in all "
                    f"(each under {format_btc(self.params['min_value'])} traced)")
        return (f"{t['count']:,} more, {format_btc(t['tainted_value'])} in all ({t['material']:,} smaller material "
                f"one(s) beyond the first {self.params.get('max_rows', DEFAULT_MAX_ROWS)} and {under:,} each under "
                f"{format_btc(self.params['min_value'])} traced)")

    def totals(self) -> pd.Series:
        """Traced satoshis per classification."""
        return self.table.groupby("classification", sort=False).tainted_value.sum().astype("int64")

    def to_records(self) -> list[dict]:
        """The table as JSON-ready dicts (satoshis as int, evidence path as a list)."""
        out = []
        for r in self.table.itertuples(index=False):
            out.append({k: (None if (not isinstance(v, list) and pd.isna(v)) else
                            (bool(v) if isinstance(v, (bool, np.bool_)) else
                             (int(v) if isinstance(v, (np.integer, int)) else
                              (float(v) if isinstance(v, np.floating) else (v if isinstance(v, list) else str(v))))))
                        for k, v in r._asdict().items()})
        return out

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        t = self.totals()
        parts = ", ".join(f"{k} {format_btc(v)}" for k, v in t.items())
        n_mat = int(self.table.material.sum())
        return (f"<SeizureCandidates: {len(self.table):,} candidates, {n_mat:,} material "
                f"({parts or 'none'})>")

    def _repr_html_(self) -> str:
        t = self.material.drop(columns=["evidence_path"]).copy()
        for c in ("value", "tainted_value"):
            t[c] = t[c].map(lambda v: format_btc(v, unit=False))
        t["share"] = t["share"].map(lambda v: f"{v:.2%}")
        t = t.rename(columns={"value": "value (BTC)", "tainted_value": "traced (BTC)"})
        tail = self.tail_line()
        return (f"<div><b>Seizure candidates</b>{t.to_html(index=False)}"
                + (f"<p>{html.escape(tail)}</p>" if tail else "") + "</div>")


def _next_step(category, label, jurisdiction) -> str:
    """What to do about funds at a tagged service that is not custodial (cryptotrace.tags.next_step)."""
    from .tags import next_step

    return next_step(category, label=label, jurisdiction=jurisdiction)


def _share_text(share: float) -> str:
    """3.00%, or 0.0026% for a small share (never a misleading 0.00%)."""
    p = 100 * float(share)
    return f"{p:.2f}%" if p >= 1 or p == 0 else f"{p:.2g}%"


def _custodial_action(label, category, jurisdiction, tainted: int, value: int, share: float,
                      min_share: float) -> str:
    """The request to a custodial service, worded by the traced amount and its share of the coin.

    A freeze is asked for only when the traced part is at least ``min_share``
    of the coin; otherwise the traced part is a small slice of someone's
    balance (an exchange's hot wallet, say) and the request is for the
    account holder's details, with the traced amount stated.
    """
    who = f"{label or category or 'the service'} ({category or 'service'}, {jurisdiction or 'jurisdiction unknown'})"
    if share >= min_share:
        return (f"{who}: ask them to freeze {format_btc(tainted)} and send a production order for the "
                "account holder")
    return (f"{who}: ask for the account holder's details (production order); the traced part is "
            f"{format_btc(tainted)} ({_share_text(share)} of the {format_btc(value)} coin), too small a share to ask "
            "for a freeze of the funds")


def _derive(xpubs, gap: int) -> dict[str, str]:
    """address -> "xpub.../branch/index" for the first ``gap`` receive and change addresses of each key."""
    if not xpubs:
        return {}
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or not 0 < gap <= 10_000:
        raise TraceError(f"gap must be a whole number from 1 to 10,000, not {gap!r}")
    from .cases.keys import derive_addresses

    out = {}
    for x in [xpubs] if isinstance(xpubs, str) else list(xpubs):
        x = str(x).strip()
        for branch in (0, 1):
            try:
                addrs = derive_addresses(x, int(gap), change=bool(branch))
            except Exception as exc:  # bitcoinlib raises several kinds of errors for a bad key
                raise TraceError(f"{x[:16]}... is not an extended public key (xpub, ypub or zpub) "
                                 f"that can be read ({exc}); copy it again from the device") from None
            for i, a in enumerate(addrs):
                out[a] = f"{x[:12]}.../{branch}/{i}"
    return out


def _coinjoin_set(chain, coinjoins) -> set:
    if coinjoins is None:  # the project's CoinJoin detectors (equal-output, Whirlpool, Wasabi 1 and 2)
        from .heuristics.coinjoin import coinjoin as coinjoins
    if callable(coinjoins):
        res = coinjoins(chain)
        if isinstance(res, (pd.Series, np.ndarray)) and np.asarray(res).dtype == bool:
            flags = np.asarray(res, dtype=bool)
            if isinstance(res, pd.Series) and res.index.isin(chain.txs.txid).any():
                return {str(t) for t in res.index[flags]}
            if len(flags) != len(chain.txs):
                raise TraceError("the CoinJoin detector returned a flag per transaction of a different chain "
                                 f"({len(flags)} flags for {len(chain.txs)} transactions)")
            return set(chain.txs.txid[flags])
        return {str(t).lower() for t in res}
    if isinstance(coinjoins, str):
        coinjoins = [coinjoins]
    return {str(t).lower() for t in coinjoins}


def seizure_candidates(trace: Trace, clustering=None, tags=None, *, coinjoins=None,
                       suspects=None, xpubs=None, gap: int = 20, min_value: int = DEFAULT_MIN_VALUE,
                       min_share: float = DEFAULT_MIN_SHARE, max_rows: int = DEFAULT_MAX_ROWS) -> SeizureCandidates:
    """Rank and classify where the traced value can be frozen or seized.

    Each endpoint of a forward trace (except fees) becomes a candidate in
    one of :data:`SEIZURE_CLASSES`:

    * ``at_service``: the value reached a tagged custodial service; ask it to
      freeze the funds and produce its records (the service and its
      jurisdiction are named when the tags know them);
    * ``suspect_unspent``: unspent in one of the suspect's clusters (the
      start's clusters, or ``suspects``): seizable when the keys are found;
    * ``unspent_unknown``: unspent, owner unknown;
    * ``mixed``: the path crossed a CoinJoin, or ended at a mixer: uncertain;
    * ``spent_unknown``: moved on to unknown hands, or the trace ended (hop
      limit, too small);
    * ``end_of_records``: the data ends here (a partial chain): fetch more.

    Parameters
    ----------
    trace : Trace
        A forward trace.
    clustering : fitted Clustering, optional
        Defaults to the trace's clustering. Decides who the suspect is.
    tags : TagStore or DataFrame, optional
        Defaults to the trace's tags.
    coinjoins : set of txids, or callable(chain) -> txids or bool Series, optional
        CoinJoin transactions. By default the detectors of
        :mod:`cryptotrace.heuristics.coinjoin` (equal-output, Whirlpool,
        Wasabi 1 and 2) are run; pass ``set()`` to treat no transaction as one.
    suspects : iterable of cluster ids or addresses, optional
        The suspect's clusters; by default the clusters of the start outputs.
    xpubs : str or list of str, optional
        Account public keys (xpub / ypub / zpub) found on a seized device:
        the first ``gap`` receive and change addresses of each are derived,
        and coins there (and in their clusters) count as the suspect's.
    gap : int, default 20
        How many addresses of each branch to derive (the usual wallet gap limit).
    min_value : int, default 100_000 (0.001 BTC)
        Materiality threshold in satoshis. A candidate whose traced value is
        below it gets no action of its own: it is folded into one tail line
        ("704 more, 0.0023 BTC in all").
    min_share : float, default 0.5
        At a custodial service (exchange, wallet provider ...), a freeze of
        the traced amount is asked for only when the traced value is at
        least this share of the coin; below it the action asks for the
        account holder's details and states the traced amount and share
        (a hot wallet holding 99 BTC of which 0.00007 BTC is traced is not
        "freeze the funds").
    max_rows : int, default 25
        At most this many material candidates (the largest) get a line of their
        own in the display, the report and ``.material``, so the table fits on
        one printed page; the rest are folded into the tail line with the
        immaterial ones (every row stays in ``.table`` and the CSV).

    Returns
    -------
    SeizureCandidates
        Ranked by traced value, largest first (ties: the class order of
        :data:`SEIZURE_CLASSES`). ``tainted_value`` is the policy's share,
        ``share`` its fraction of the coin (output) it sits in,
        ``material`` whether it reaches ``min_value``, ``custodial`` whether
        it sits at a service that can freeze it, and ``evidence_path`` the
        outputs from start to candidate. Evidence strength
        (:mod:`cryptotrace.evidence`): ``strength`` (strong / moderate / weak),
        ``strength_reason``, ``holds_under`` (the policies among poison,
        haircut and FIFO under which it still receives ``min_value``),
        ``alternatives`` (what a defence may say) and ``hops``;
        ``.evidence(address)`` gives the whole chain of inferences.

    Notes
    -----
    A coin at a custodial service that was reached through a CoinJoin or
    mixer keeps the classification ``mixed`` (the link is probabilistic),
    but ``custodial`` is True and its action says the service can freeze
    it, so the chance to freeze is not hidden behind the word "mixed".

    Examples
    --------
    >>> import pandas as pd
    >>> from cryptotrace.tracing import worked_example_chain
    >>> chain = worked_example_chain()
    >>> six = chain.outputs.address[3]          # the address paid 6 BTC
    >>> tags = pd.DataFrame({"label": ["Kraken"], "category": ["exchange"], "jurisdiction": ["US"]},
    ...                     index=pd.Index([six], name="address"))
    >>> t = trace(chain, chain.outputs.txid[0] + ":0", policy="tiho", tags=tags)
    >>> sc = seizure_candidates(t)
    >>> row = sc.table.iloc[0]
    >>> row.classification, int(row.tainted_value), row.service
    ('at_service', 300000000, 'Kraken')
    """
    if not isinstance(trace, Trace):
        raise TraceError(f"seizure_candidates needs a Trace (from cryptotrace.trace), not {type(trace).__name__}")
    if trace.params["direction"] != "forward":
        raise TraceError("seizure candidates come from a forward trace (where the money went); "
                         "run trace(..., direction='forward')")
    if isinstance(min_value, bool) or not isinstance(min_value, (int, np.integer)) or min_value < 0:
        raise TraceError(f"min_value is a whole number of satoshis (0 or more), not {min_value!r}; "
                         "e.g. min_value=100_000 for 0.001 BTC")
    if isinstance(min_share, bool) or not isinstance(min_share, (int, float, np.number)) or not 0 <= min_share <= 1:
        raise TraceError(f"min_share is a fraction from 0 to 1, not {min_share!r}; e.g. min_share=0.5 for half the coin")
    if isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1:
        raise TraceError(f"max_rows is how many candidates get a line of their own (1 or more), not {max_rows!r}; "
                         "e.g. max_rows=25 for one printed page")
    chain, ix = trace.chain, trace.chain.index
    labels = _labels(clustering) if clustering is not None else trace._labels
    tagtab = _tag_table(tags, labels) if tags is not None else trace._tags
    ep = trace.endpoints
    ep = ep[(ep.kind != "fee") & (ep.tainted_value > 0)].reset_index(drop=True)
    addr = ep.address
    # tags
    if tagtab is not None:
        t = tagtab[["label", "category", "jurisdiction"]].reindex(addr.to_numpy(dtype=object))
        service = pd.Series(t.label.to_numpy(), dtype="string")
        category = pd.Series(t.category.to_numpy(), dtype="string")
        juris = pd.Series(t.jurisdiction.to_numpy(), dtype="string")
    else:
        service = ep.service.reset_index(drop=True)
        category = ep.category.reset_index(drop=True)
        juris = ep.jurisdiction.reset_index(drop=True)
    # clusters and suspects
    if labels is not None:
        cluster = pd.Series(labels.reindex(addr.to_numpy(dtype=object)).to_numpy(), dtype=object)
    else:
        cluster = pd.Series([pd.NA] * len(ep), dtype=object)
    start_addr = {a for a in trace._addr(ix.address_of_output[trace.start_rows]) if a is not None}
    if suspects is not None:
        sus = {s for s in ([suspects] if isinstance(suspects, str) else suspects)}
    elif labels is not None:
        sus = set(labels.reindex(list(start_addr)).dropna().tolist())
    else:
        sus = set()
    derived = _derive(xpubs, gap)
    if derived and labels is not None:
        sus |= set(labels.reindex(list(derived)).dropna().tolist())
    sus |= set(derived)
    in_suspect = pd.Series([
        (c is not pd.NA and c is not None and c in sus) or (a in sus) or (labels is None and a in start_addr)
        for c, a in zip(cluster.tolist(), addr.tolist())], dtype=bool)
    # evidence paths and coinjoin crossings
    pos = ix.txids.get_indexer(pd.Index(ep.txid.to_numpy(dtype=object)))
    vout = ep.vout.to_numpy(dtype=np.float64, na_value=np.nan)
    ok = (pos >= 0) & ~np.isnan(vout)
    rows = np.where(ok, ix.out_start[np.maximum(pos, 0)] + np.nan_to_num(vout).astype(np.int64), -1)
    paths = trace._paths(rows) if len(rows) else []
    cj = _coinjoin_set(chain, coinjoins)
    crossed = [any(p.split(":")[0] in cj for p in path[1:]) for path in paths]
    kind = ep.kind.to_numpy(dtype=object)
    cat = category.fillna("").str.lower().to_numpy(dtype=object)
    cls = np.full(len(ep), "spent_unknown", dtype=object)
    cls[np.isin(kind, ["end_of_data", "spent_outside"])] = "end_of_records"
    unspent = kind == "unspent"
    cls[unspent] = "unspent_unknown"
    cls[unspent & in_suspect.to_numpy()] = "suspect_unspent"
    kinds_of, which = np.unique(cat.astype(str), return_inverse=True)  # one taxonomy: cryptotrace.tags
    role = np.array([category_role(c) for c in kinds_of], dtype=object)[which.reshape(-1)]
    at_service = (kind == "service") | (np.isin(kind, ["stopped"]) & (role == "custodial"))
    cls[at_service] = "at_service"
    cls[np.array(crossed, dtype=bool) | (role == "mixing")] = "mixed"
    rank_of = {k: i for i, k in enumerate(SEIZURE_CLASSES)}
    value = ep.value.to_numpy(np.int64)
    tainted = ep.tainted_value.to_numpy(np.int64)
    share = np.where(value > 0, tainted / np.maximum(value, 1), 0.0)
    material = tainted >= int(min_value)
    custodial = role == "custodial"
    action = []
    for i, (c, s, j, k) in enumerate(zip(cls, service.tolist(), juris.tolist(), cat.tolist())):
        s = None if s is pd.NA or not s else s
        j = None if j is pd.NA or not j else j
        ad = addr.iloc[i]
        if not material[i]:
            action.append(f"none on its own: under {format_btc(int(min_value))} traced (see the tail line)")
            continue
        a = SEIZURE_CLASSES[c]
        if custodial[i] and c in ("at_service", "mixed"):
            a = _custodial_action(s, k or None, j, int(tainted[i]), int(value[i]), float(share[i]), min_share)
            if c == "mixed":
                a += "; the link to the start is probabilistic (the path crossed a CoinJoin or mixer)"
        elif c in ("at_service", "mixed") and (s or k):
            a = _next_step(k or None, s, j) or a
        elif c == "suspect_unspent" and ad in derived:
            a = (f"unspent at {derived[ad]} of the seized wallet's public key: seizable with that wallet's "
                 "seed or private keys")
        action.append(a)
    table = pd.DataFrame({
        "classification": pd.array(cls, dtype="string"),
        "action": pd.array(action, dtype="string"),
        "txid": ep.txid.to_numpy(), "vout": ep.vout.to_numpy(), "address": addr.to_numpy(),
        "cluster": cluster.to_numpy(), "value": value, "tainted_value": tainted,
        "share": share, "material": material, "custodial": custodial,
        "service": service.to_numpy(), "category": category.to_numpy(), "jurisdiction": juris.to_numpy(),
        "kind": ep.kind.to_numpy(), "evidence_path": paths,
    })
    table["_r"] = [rank_of[c] for c in cls]
    table = table.sort_values(["tainted_value", "_r"], ascending=[False, True], kind="stable").drop(columns="_r")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    from .evidence import assess  # evidence strength: strength, strength_reason, holds_under, alternatives, hops
    extra, assessment = assess(table.reset_index(drop=True), trace, clustering=clustering, labels=labels,
                               tagtab=tagtab, coinjoins=cj, min_value=int(min_value), min_share=float(min_share),
                               suspects=sus, derived=derived)
    table = pd.concat([table.reset_index(drop=True), extra], axis=1)
    params = {"trace": repr(trace), "trace_params": dict(trace.params), "min_value": int(min_value),
              "min_share": float(min_share), "suspects": sorted(map(str, sus)), "coinjoins_known": len(cj),
              "xpub_addresses": len(derived), "max_rows": int(max_rows)}
    return SeizureCandidates(table.reset_index(drop=True), params, assessment)


# ====================================================================== teaching helper
def worked_example_chain():
    """The DESIGN.md worked example as a tiny Chain.

    Transaction 0 (newly mined) pays 3 BTC (the stolen coins, output 0) and
    7 BTC (clean, output 1); transaction 1 spends both, stolen first, and
    pays 1, 6 and 3 BTC with no fee. Trace from output ``<tx0>:0``.
    """
    from .addresses import encode_address
    from .chain import Chain

    addrs = [encode_address("p2wpkh", bytes([i]) * 20) for i in range(1, 6)]
    t0, t1 = "a0" * 32, "b1" * 32
    btc = 100_000_000
    txs = pd.DataFrame({"txid": [t0, t1], "block_height": [1, 2], "time": [1_600_000_000, 1_600_000_600]})
    inputs = pd.DataFrame({"txid": [t0, t1, t1], "vin": [0, 0, 1], "prev_txid": [None, t0, t0],
                           "prev_vout": [None, 0, 1]})
    outputs = pd.DataFrame({"txid": [t0, t0, t1, t1, t1], "vout": [0, 1, 0, 1, 2],
                            "address": [addrs[0], addrs[1], addrs[2], addrs[3], addrs[4]],
                            "value": [3 * btc, 7 * btc, 1 * btc, 6 * btc, 3 * btc]})
    return Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)
