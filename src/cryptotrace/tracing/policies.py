"""The taint policies: one small object per policy, with its rule, fee convention and sources.

A policy decides, for a batch of transactions at once, how much of each output (forward) or
input (backward) is tainted. Every policy object carries

* ``name`` -- what ``trace(..., policy=name)`` accepts;
* ``rule`` -- the rule in one plain sentence (what the report and ``Trace.describe`` print);
* ``default_fee`` -- the fee convention of its published implementations (``fee_policy``
  when none is given; see :data:`FEE_POLICIES`);
* ``reference`` -- the published implementations it follows, and where cryptotrace differs;
* :meth:`TaintPolicy.split` -- the allocation itself (exact integer satoshis, vectorised).

Adding a policy: subclass :class:`TaintPolicy` here, give it the four fields and the two
``split`` methods, and add an instance to :data:`TAINT_POLICIES`. Nothing else changes:
``trace``, the engine, ``Trace.describe`` and the report read this registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._groups import group_sum
from ._kernels import cut, group_starts, largest_remainder, pair_segments, prefix_before, suffix_before

__all__ = [
    "Batch",
    "DEFAULT_FEE_POLICY",
    "FEE_POLICIES",
    "Fifo",
    "Haircut",
    "Lifo",
    "POLICIES",
    "Poison",
    "TAINT_POLICIES",
    "TaintPolicy",
    "Tiho",
    "get_policy",
]

#: How the fee takes taint (forward traces).
FEE_POLICIES = {
    "proportional": "the fee carries the transaction's taint ratio, like one more output",
    "clean_first": "the fee is paid from clean coins first",
    "tainted_first": "the fee is paid from tainted coins first",
    "last": "the fee comes last in the policy's order (FIFO/LIFO: after the last output; TIHO: after the smallest)",
}


@dataclass
class Batch:
    """The items of ``n`` transactions, as the engine lays them out for a policy.

    Sources (inputs forward, outputs backward) and targets (outputs forward, inputs backward)
    are sorted by group (transaction) and, within it, in stream order, with pseudo items last.
    ``t_fee`` marks the fee pseudo-target (forward); ``t_pos`` is each target's stream position
    (ties in rounding go to the earlier one). ``segs`` (FIFO/LIFO with ``fifo_order="keep"``):
    the sources' ordered tainted/clean segments ``(values, tainted, source)``.
    """

    n: int
    s_grp: np.ndarray
    s_val: np.ndarray
    s_taint: np.ndarray
    t_grp: np.ndarray
    t_val: np.ndarray
    t_fee: np.ndarray
    t_pos: np.ndarray
    segs: tuple | None = None

    @cached_property
    def s_start(self):
        return group_starts(self.s_grp, self.n)

    @cached_property
    def t_start(self):
        return group_starts(self.t_grp, self.n)

    @cached_property
    def taint_in(self):
        """Tainted satoshis coming into each transaction."""
        return group_sum(self.s_taint, self.s_start)

    @cached_property
    def target_total(self):
        return group_sum(self.t_val, self.t_start)

    @cached_property
    def fee_value(self):
        """Each target's value if it is the fee pseudo-target, else 0."""
        return np.where(self.t_fee, self.t_val, 0)

    @cached_property
    def fee_total(self):
        return group_sum(self.fee_value, self.t_start)

    @cached_property
    def fee_bounds(self):
        """The least and most taint the fee can take (the outputs can hold only their value)."""
        T, F = self.taint_in, self.fee_total
        return np.maximum(T - (self.target_total - F), 0), np.minimum(T, F)

    def segments(self):
        """The sources as a stream of segments: stored ones, or each source's tainted part, then its clean part."""
        return self.segs if self.segs is not None else pair_segments(self.s_val, self.s_taint)


class TaintPolicy:
    """One taint policy: its name, rule, published fee convention and reference, and its allocation.

    Subclasses implement :meth:`split` (the policy's own treatment of the fee, used when the
    fee convention is the policy's natural one or there is no fee) and :meth:`split_after_fee`
    (the outputs' share once the fee's taint is fixed by another convention).
    """

    name: str = ""
    rule: str = ""
    default_fee: str = "last"
    reference: str = ""
    #: False for a policy whose endpoint total can exceed the start value (poison)
    conserved: bool = True
    #: False when the fee convention makes no difference (poison taints the fee in full)
    has_fee_choice: bool = True
    #: the sources are read as a stream of tainted and clean segments (FIFO, LIFO)
    streams: bool = False
    #: the inputs are laid out last first (LIFO)
    reverse_inputs: bool = False
    #: ``fifo_order="keep"`` applies (a coin keeps the order of its parts)
    keeps_coin_order: bool = False

    def natural_fee(self, fee_policy: str) -> bool:
        """Does ``fee_policy`` amount to this policy's own treatment of the fee?"""
        return False

    def split(self, b: Batch, pieces: bool = False):
        """Target taints (and with ``pieces`` the pieces each target receives) under the policy's own fee rule."""
        lo, _ = b.fee_bounds
        return self.split_after_fee(b, lo, pieces)

    def split_after_fee(self, b: Batch, fee_taint: np.ndarray, pieces: bool = False):  # pragma: no cover
        raise NotImplementedError

    def allocate(self, b: Batch, fee_policy: str, pieces: bool = False):
        """The taint of every target item of the batch: ``(target_taint, taint_in)``, and the pieces.

        ``fee_policy`` (:data:`FEE_POLICIES`) fixes how much taint the fee takes, within what
        the outputs leave for it; the policy then splits the rest over the outputs.
        """
        if self.natural_fee(fee_policy) or not b.fee_total.any():
            res = self.split(b, pieces)
        else:
            lo, hi = b.fee_bounds
            if fee_policy == "proportional":
                share = largest_remainder(b.t_grp, b.t_start, b.t_val, b.taint_in, b.target_total, b.t_pos)
                fee_t = group_sum(np.where(b.t_fee, share, 0), b.t_start)
            elif fee_policy == "tainted_first":
                fee_t = hi
            else:  # clean_first, or "last" where it is not the policy's own rule
                fee_t = lo
            res = self.split_after_fee(b, np.clip(fee_t, lo, hi), pieces)
        if pieces:
            taint, p = res
            return taint.astype(np.int64), b.taint_in, p
        return res.astype(np.int64), b.taint_in

    def __repr__(self) -> str:
        return f"<taint policy {self.name}: {self.rule}>"


class Poison(TaintPolicy):
    name = "poison"
    rule = "any taint taints every output of the transaction completely (the widest net; not conserved)"
    default_fee = "last"  # no choice to make: poison taints the fee in full
    reference = "BlockSci getPoisonTainted (citp/BlockSci src/heuristics/taint.cpp): the fee in full"
    conserved = False
    has_fee_choice = False

    def natural_fee(self, fee_policy):
        return True

    def split(self, b, pieces=False):
        return np.where(b.taint_in[b.t_grp] > 0, b.t_val, 0)


class Haircut(TaintPolicy):
    name = "haircut"
    rule = "every output gets the transaction's share of taint, in proportion to its value"
    default_fee = "proportional"
    reference = (
        "BlockSci getHaircutTainted (the fee is one more share); zkokelj HaircutTainting.cpp. "
        "cryptotrace splits exactly (largest remainder), so the shares always add up"
    )

    def natural_fee(self, fee_policy):
        return fee_policy in ("proportional", "last")

    def split(self, b, pieces=False):
        return largest_remainder(b.t_grp, b.t_start, b.t_val, b.taint_in, b.target_total, b.t_pos)

    def split_after_fee(self, b, fee_taint, pieces=False):
        real = b.t_val - b.fee_value
        out = largest_remainder(b.t_grp, b.t_start, real, b.taint_in - fee_taint, b.target_total - b.fee_total, b.t_pos)
        return np.where(b.t_fee, fee_taint[b.t_grp], out)


class Fifo(TaintPolicy):
    name = "fifo"
    rule = "first in, first out: inputs in order pay the outputs in order (Clayton's case)"
    default_fee = "last"
    reference = (
        'BlockSci getFifoTainted (2018, commit 4e42e43); TaintChain RustyTaintChain ("the outputs get '
        'paid first ... then the rest is given to the miners"); zkokelj FIFOTainting.cpp'
    )
    streams = True
    keeps_coin_order = True

    def natural_fee(self, fee_policy):
        return fee_policy == "last"

    def split(self, b, pieces=False):
        seg, seg_t, _ = b.segments()
        return cut(seg, seg_t, b.t_val, pieces)

    def split_after_fee(self, b, fee_taint, pieces=False):
        """Take the fee out of the end of the source stream (tainted and clean parts), then match."""
        seg, seg_t, seg_src = b.segments()
        fee_clean = b.fee_total - fee_taint
        g = b.s_grp[seg_src]
        g_start = group_starts(g, b.n)
        tv = np.where(seg_t, seg, 0)
        cv = seg - tv
        rm_t = np.clip(fee_taint[g] - suffix_before(tv, g, g_start), 0, tv)
        rm_c = np.clip(fee_clean[g] - suffix_before(cv, g, g_start), 0, cv)
        res = cut(seg - rm_t - rm_c, seg_t, b.t_val - b.fee_value, pieces)
        out = res[0] if pieces else res
        out = np.where(b.t_fee, fee_taint[b.t_grp], out).astype(np.int64)
        return (out, res[1]) if pieces else out


class Lifo(Fifo):
    name = "lifo"
    rule = "last in, first out: the last input pays the first outputs"
    default_fee = "last"
    reference = (
        "zkokelj LIFOTainting.cpp (its fee is paid from the last inputs, here from the first: "
        "see the notes of cryptotrace.tracing)"
    )
    reverse_inputs = True
    keeps_coin_order = False


class Tiho(TaintPolicy):
    name = "tiho"
    rule = "tainted in, highest out: the taint goes to the largest outputs first"
    default_fee = "last"
    reference = (
        "zkokelj TIHOTainting.cpp: taint fills the largest outputs; only what they cannot hold is left "
        "for the fee (equal outputs: here the lower output number first, there the higher)"
    )

    def split_after_fee(self, b, fee_taint, pieces=False):
        real = b.t_val - b.fee_value
        order = np.lexsort((b.t_pos, -real, b.t_grp))
        v = real[order]
        before = prefix_before(v, b.t_grp[order], b.t_start)
        out = np.empty(len(b.t_grp), dtype=np.int64)
        out[order] = np.clip((b.taint_in - fee_taint)[b.t_grp[order]] - before, 0, v)
        return np.where(b.t_fee, fee_taint[b.t_grp], out)


#: Every taint policy, by name (the order is the order the documentation lists them in).
TAINT_POLICIES: dict[str, TaintPolicy] = {p.name: p for p in (Poison(), Haircut(), Fifo(), Lifo(), Tiho())}
#: The taint policies, with a plain-language rule for each.
POLICIES = {name: p.rule for name, p in TAINT_POLICIES.items()}
#: Each policy's fee convention when ``fee_policy`` is not given: the one its published
#: implementations use.
DEFAULT_FEE_POLICY = {name: p.default_fee for name, p in TAINT_POLICIES.items()}


def get_policy(name) -> TaintPolicy:
    """The policy object called ``name`` (case does not matter); KeyError if there is none."""
    if isinstance(name, TaintPolicy):
        return name
    return TAINT_POLICIES[str(name).lower()]
