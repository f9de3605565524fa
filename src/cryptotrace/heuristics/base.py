"""The :class:`Heuristic` object, the combinators, and the per-chain numbers heuristics share.

A heuristic is a named rule of thumb with a plain-words ``rationale`` and a
``reference`` (BlockSci, papers). It is run on a whole :class:`~cryptotrace.Chain`
at once and answers for every transaction:

* a **change heuristic** (``kind == "change"``) returns, per transaction, the
  output number (``vout``) it believes is the sender's change, or ``<NA>`` when
  it makes no call. Inside, it marks the *candidate* outputs
  (:meth:`ChangeHeuristic.candidates`); it makes a call only when exactly one
  output of a transaction is a candidate.
* a **transaction flag** (``kind == "tx_flag"``, e.g. CoinJoin detection)
  returns ``True``/``False`` per transaction.
* the **link** heuristic (``kind == "link"``, common-input ownership) flags the
  transactions whose input addresses it joins.

Combine heuristics of the same kind with :func:`all_of`, :func:`any_of`,
:func:`but_not` (or ``&``, ``|``, ``-``). Writing ``h1 and h2`` raises an
error on purpose: Python's ``and`` would silently give back ``h2``.
"""

from __future__ import annotations

import html
import weakref
from functools import cached_property

import numpy as np
import pandas as pd

from .._groups import group_reduce
from ..errors import HeuristicError

__all__ = [
    "Heuristic",
    "ChangeHeuristic",
    "TxFlag",
    "CombinedFlag",
    "all_of",
    "any_of",
    "but_not",
    "unique_change",
    "features",
    "check_chain",
    "sorted_unique",
]

#: script types in a fixed order; codes index into this tuple (-1 unknown)
SCRIPT_TYPES = (
    "p2pkh",
    "p2sh",
    "p2wpkh",
    "p2wsh",
    "p2tr",
    "p2pk",
    "multisig",
    "witness_unknown",
    "nulldata",
    "nonstandard",
)


# --------------------------------------------------------------------------- shared per-chain numbers
def _script_type_of_text(addresses: pd.Index) -> np.ndarray:
    """Script type codes read from the address text alone (prefix and length), vectorised."""
    s = pd.Series(addresses.to_numpy(dtype=object), dtype="string")
    low = s.str.lower()
    n = s.str.len()
    code = np.full(len(s), -1, dtype=np.int8)
    code[(s.str.startswith("1")).fillna(False).to_numpy(bool)] = 0
    code[(s.str.startswith("3")).fillna(False).to_numpy(bool)] = 1
    bc1q = low.str.startswith("bc1q").fillna(False).to_numpy(bool)
    code[bc1q & (n == 42).fillna(False).to_numpy(bool)] = 2
    code[bc1q & (n == 62).fillna(False).to_numpy(bool)] = 3
    code[(low.str.startswith("bc1p")).fillna(False).to_numpy(bool)] = 4
    return code


def isin_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin`` for a small sorted set (binary search; no sort of ``values``)."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[pos] == values


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a diff: faster than np.unique's hash path for big int arrays)."""
    k = np.sort(keys)
    return k[np.r_[True, k[1:] != k[:-1]]] if len(k) else k


class Features:
    """Numbers about every transaction and output that several heuristics need (computed once per chain)."""

    def __init__(self, chain):
        self._chain_ref = weakref.ref(chain)
        ix = chain.index
        self.ix = ix
        self.n_txs = ix.n_txs
        self.n_addr = ix.n_addresses
        self.n_in = np.diff(ix.in_start)
        self.n_out = np.diff(ix.out_start)
        self.is_coinbase = chain.txs.is_coinbase.to_numpy(bool)
        # the index keeps int32 rows and codes (compact); heuristics compute keys in int64
        self.in_addr = ix.address_of_input.astype(np.int64)
        self.out_addr = ix.address_of_output.astype(np.int64)
        self.out_value = chain.outputs.value.to_numpy(np.int64)
        self.in_value = chain.inputs.value.fillna(-1).to_numpy(np.int64)
        self.out_tx = ix.tx_of_output.astype(np.int64)
        self.in_tx = ix.tx_of_input.astype(np.int64)
        self.out_vout = np.arange(len(self.out_tx), dtype=np.int64) - ix.out_start[self.out_tx]

    @property
    def chain(self):
        c = self._chain_ref()
        if c is None:  # pragma: no cover - the chain was garbage-collected
            raise HeuristicError("the chain these numbers belong to no longer exists; run the heuristic again")
        return c

    # -- per tx --------------------------------------------------------------
    @cached_property
    def in_value_known(self) -> np.ndarray:
        """True for transactions whose every input value is known."""
        unknown = np.bincount(self.in_tx[self.in_value < 0], minlength=self.n_txs)
        return unknown == 0

    @cached_property
    def min_in_value(self) -> np.ndarray:
        big = np.iinfo(np.int64).max
        return group_reduce(np.where(self.in_value < 0, big, self.in_value), self.ix.in_start, np.minimum, big)

    @cached_property
    def sum_in_value(self) -> np.ndarray:
        return group_reduce(np.maximum(self.in_value, 0), self.ix.in_start, np.add, 0)

    @cached_property
    def max_out_value(self) -> np.ndarray:
        return group_reduce(self.out_value, self.ix.out_start, np.maximum, -1)

    @cached_property
    def min_out_value(self) -> np.ndarray:
        return group_reduce(self.out_value, self.ix.out_start, np.minimum, -1)

    @cached_property
    def fee(self) -> np.ndarray:
        return self.chain.txs.fee.fillna(-1).to_numpy(np.int64)

    @cached_property
    def input_pairs(self) -> np.ndarray:
        """Sorted unique keys ``tx * n_addr + address`` of every (tx, input address)."""
        ok = self.in_addr >= 0
        keys = self.in_tx[ok].astype(np.int64) * max(self.n_addr, 1) + self.in_addr[ok]
        return sorted_unique(keys)

    @cached_property
    def n_in_addr(self) -> np.ndarray:
        """How many distinct addresses the inputs of each transaction come from."""
        return np.bincount(self.input_pairs // max(self.n_addr, 1), minlength=self.n_txs)

    @cached_property
    def anchor(self) -> np.ndarray:
        """One input address per transaction (the first input with an address; -1 if none)."""
        big = np.iinfo(np.int64).max
        rows = np.where(self.in_addr >= 0, np.arange(len(self.in_addr), dtype=np.int64), big)
        first = group_reduce(rows, self.ix.in_start, np.minimum, big)
        return np.where(first < big, self.in_addr[np.minimum(first, max(len(self.in_addr) - 1, 0))], -1)

    @cached_property
    def addr_script_type(self) -> np.ndarray:
        """Script type code of every address (from output rows, else from the address text)."""
        code = np.full(self.n_addr, -1, dtype=np.int8)
        ok = self.out_addr >= 0
        code[self.out_addr[ok]] = self.out_script_type[ok]
        missing = code < 0
        if missing.any():
            code[missing] = _script_type_of_text(self.ix.addresses[missing])
        return code

    @cached_property
    def out_script_type(self) -> np.ndarray:
        codes, uniques = pd.factorize(self.chain.outputs.script_type)
        lut = np.array([SCRIPT_TYPES.index(u) if u in SCRIPT_TYPES else -1 for u in uniques] + [-1], dtype=np.int8)
        return lut[codes]  # code -1 (missing) picks the trailing -1

    @cached_property
    def in_script_type(self) -> np.ndarray:
        return np.where(self.in_addr >= 0, self.addr_script_type[np.maximum(self.in_addr, 0)], -1).astype(np.int8)

    @cached_property
    def input_script_type(self) -> np.ndarray:
        """The one script type all inputs of a tx share, or -1 when they differ or are unknown."""
        st = self.in_script_type.astype(np.int16)
        lo = group_reduce(st, self.ix.in_start, np.minimum, -1)
        hi = group_reduce(st, self.ix.in_start, np.maximum, -1)
        return np.where((lo == hi) & (lo >= 0), lo, -1)

    @cached_property
    def first_tx_of_address(self) -> np.ndarray:
        """The first transaction (row of ``txs``) in which each address appears."""
        big = np.iinfo(np.int64).max
        first = np.full(self.n_addr, big, dtype=np.int64)
        ok = self.out_addr >= 0
        np.minimum.at(first, self.out_addr[ok], self.out_tx[ok])
        ok = self.in_addr >= 0
        np.minimum.at(first, self.in_addr[ok], self.in_tx[ok])
        return first

    @cached_property
    def spender_tx(self) -> np.ndarray:
        """The transaction spending each output inside this chain (-1 if unspent here)."""
        io_ = self.ix.input_of_output
        return np.where(io_ >= 0, self.in_tx[np.maximum(io_, 0)], -1)

    @cached_property
    def fingerprint(self) -> np.ndarray:
        """A small integer per tx combining version, whether locktime is set, and the sequence style."""
        txs = self.chain.txs
        version = txs.version.fillna(-1).to_numpy(np.int64)
        lock = (txs.locktime.fillna(0).to_numpy(np.int64) > 0).astype(np.int64)
        seq = self.chain.inputs.sequence.fillna(-1).to_numpy(np.int64)
        first_seq = np.full(self.n_txs, -1, dtype=np.int64)
        has = self.n_in > 0
        if len(seq):
            first_seq[has] = seq[self.ix.in_start[:-1][has]]
        # 0: final (0xffffffff), 1: locktime-enabled (0xfffffffe), 2: replace-by-fee (<= 0xfffffffd), 3: unknown
        seq_class = np.select([first_seq == 0xFFFFFFFF, first_seq == 0xFFFFFFFE, first_seq >= 0], [0, 1, 2], 3)
        vcode = np.clip(version, -1, 1000) + 1
        return (vcode * 4 + seq_class) * 2 + lock

    @cached_property
    def mode_output(self) -> tuple[np.ndarray, np.ndarray]:
        """Per tx: (how many outputs share the most common value, that value); (0, -1) with no outputs.

        Counted exactly for transactions with 2+ inputs and 3+ outputs (the only ones a CoinJoin rule can
        match); others get 2 if their two outputs are equal, else 1 (with their largest output value).
        """
        count = np.zeros(self.n_txs, dtype=np.int64)
        value = np.full(self.n_txs, -1, dtype=np.int64)
        one = self.n_out >= 1
        count[one] = 1
        value[one] = self.max_out_value[one]
        two = (self.n_out == 2) & (self.min_out_value == self.max_out_value)
        count[two] = 2
        sel = ((self.n_out >= 3) & (self.n_in >= 2))[self.out_tx]
        t, v = self.out_tx[sel], self.out_value[sel]
        if len(t):
            order = np.argsort(v)
            vs = v[order]
            step = np.r_[True, vs[1:] != vs[:-1]]
            value_of_rank = vs[step]
            rank = np.empty(len(v), dtype=np.int64)
            rank[order] = np.cumsum(step) - 1
            nv = len(value_of_rank)
            key = np.sort(t.astype(np.int64) * nv + rank)
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            run = np.diff(np.r_[starts, len(key)])
            run_key = key[starts]
            run_t = run_key // nv
            run_v = value_of_rank[run_key % nv]
            # per tx the longest run (ties: the larger value; runs of a tx come in rising value order)
            gstart = np.flatnonzero(np.r_[True, run_t[1:] != run_t[:-1]])
            glen = np.diff(np.r_[gstart, len(run_t)])
            best = np.repeat(np.maximum.reduceat(run, gstart), glen)
            idx = np.flatnonzero(run == best)
            sel = idx[np.r_[run_t[idx][1:] != run_t[idx][:-1], True]]
            count[run_t[sel]] = run[sel]
            value[run_t[sel]] = run_v[sel]
        return count, value

    @cached_property
    def base_change(self) -> np.ndarray:
        """Outputs that could be change at all: in a non-coinbase tx with 2+ outputs, paid to an address."""
        t = self.out_tx
        return (~self.is_coinbase[t]) & (self.n_out[t] >= 2) & (self.out_addr >= 0)

    @cached_property
    def is_self_payment(self) -> np.ndarray:
        """Outputs paid back to an address that is also an input of the same transaction."""
        ok = self.out_addr >= 0
        keys = self.out_tx.astype(np.int64) * max(self.n_addr, 1) + np.maximum(self.out_addr, 0)
        pos = np.searchsorted(self.input_pairs, keys)
        pos = np.minimum(pos, max(len(self.input_pairs) - 1, 0))
        hit = (self.input_pairs[pos] == keys) if len(self.input_pairs) else np.zeros(len(keys), bool)
        return ok & hit


def features(chain) -> Features:
    """The shared :class:`Features` of ``chain`` (computed once, kept in ``chain.cache``, dropped with it)."""
    check_chain(chain, "heuristic")
    f = chain.cache.get("features")
    if f is None:
        f = chain.cache["features"] = Features(chain)
    return f


def check_chain(chain, who: str) -> None:
    """Refuse anything but a :class:`~cryptotrace.Chain` with a message naming ``who`` asked."""
    from ..chain import Chain

    if not isinstance(chain, Chain):
        raise HeuristicError(
            f"heuristic {who!r} runs on a Chain, not on {type(chain).__name__}; "
            "load one first, e.g. chain = cryptotrace.load_sample(), then call it as heuristic(chain)"
        )


# --------------------------------------------------------------------------- the objects
class Heuristic:
    """A named rule of thumb run on a whole chain at once.

    Attributes
    ----------
    name : str
        Short name, used in tables and on the command line.
    rationale : str
        Why the rule works, in plain words.
    reference : str
        Where it comes from (BlockSci, papers).
    kind : {"change", "tx_flag", "link"}
    """

    kind = "heuristic"
    name = "heuristic"
    rationale = ""
    reference = ""

    def __bool__(self):
        raise HeuristicError(
            f"a heuristic ({self.name!r}) has no truth value. To combine heuristics write "
            "all_of(h1, h2), any_of(h1, h2), but_not(h1, h2) or h1 & h2, h1 | h2, h1 - h2 "
            "(Python's 'and'/'or' would silently keep only one of them)"
        )

    def __and__(self, other):
        return all_of(self, other)

    def __or__(self, other):
        return any_of(self, other)

    def __sub__(self, other):
        return but_not(self, other)

    def __call__(self, chain) -> pd.Series:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.kind.replace('_', ' ')} heuristic {self.name!r}: {self.rationale.split('. ')[0].rstrip('.')}>"

    def _repr_html_(self) -> str:
        return (
            f"<div><b>{html.escape(self.name)}</b> ({html.escape(self.kind.replace('_', ' '))} heuristic)"
            f"<p>{html.escape(self.rationale)}</p><p><i>Source:</i> {html.escape(self.reference)}</p></div>"
        )

    def describe(self) -> str:
        """Name, rationale and reference as a short paragraph."""
        return f"{self.name} ({self.kind.replace('_', ' ')} heuristic): {self.rationale} Source: {self.reference}"

    def to_frame(self) -> pd.DataFrame:
        """One row: name, kind, rationale, reference."""
        return pd.DataFrame(
            [{"name": self.name, "kind": self.kind, "rationale": self.rationale, "reference": self.reference}]
        )

    def explain_tx(self, chain, pos: int) -> tuple[bool, str]:  # pragma: no cover - overridden
        """(fired, plain sentence) for transaction row ``pos``."""
        raise NotImplementedError


class ChangeHeuristic(Heuristic):
    """A heuristic that names the change output of a transaction.

    Subclasses implement :meth:`candidates`. Calling the heuristic gives, per
    transaction (indexed like ``chain.txs``), the ``vout`` of the one candidate
    output, or ``<NA>`` when there are none or several.
    """

    kind = "change"
    #: completes "output N is probably change: ..." in explanations
    because = "this heuristic picks it"

    def candidates(self, chain) -> np.ndarray:  # pragma: no cover - overridden
        """Boolean array over the rows of ``chain.outputs``: could this output be change?"""
        raise NotImplementedError

    def _candidates(self, chain) -> np.ndarray:
        check_chain(chain, self.name)
        cand = np.asarray(self.candidates(chain), dtype=bool)
        if cand.shape != (len(chain.outputs),):
            raise HeuristicError(
                f"change heuristic {self.name!r} gave {cand.shape} candidates for "
                f"{len(chain.outputs)} outputs; it must mark every output row"
            )
        return cand

    def calls(self, chain) -> np.ndarray:
        """The change vout per transaction as an int64 array, -1 for no call."""
        f = features(chain)
        cand = self._candidates(chain)
        return _unique_vout(cand, f)

    def __call__(self, chain) -> pd.Series:
        out = self.calls(chain)
        s = pd.Series(out, index=chain.txs.index, name=self.name).astype("Int64")
        return s.mask(s < 0)

    def explain_tx(self, chain, pos: int) -> tuple[bool, str]:
        from ..units import format_btc

        f = features(chain)
        cand = self._candidates(chain)
        lo, hi = f.ix.out_start[pos], f.ix.out_start[pos + 1]
        c = np.flatnonzero(cand[lo:hi])
        if len(c) == 1:
            row = lo + c[0]
            addr = chain.outputs.address.iloc[row]
            addr = "no address" if pd.isna(addr) else addr
            return True, (
                f"output {c[0]} ({addr}, {format_btc(int(f.out_value[row]))}) is probably the "
                f"sender's change: {self.because}"
            )
        if len(c) == 0:
            return False, "no call: no output fits this rule"
        return False, f"no call: {len(c)} outputs ({', '.join(map(str, c))}) fit this rule, so it cannot choose"


def _unique_vout(cand: np.ndarray, f: Features) -> np.ndarray:
    count = np.bincount(f.out_tx[cand], minlength=f.n_txs)
    vout_sum = np.bincount(f.out_tx[cand], weights=f.out_vout[cand], minlength=f.n_txs)
    return np.where(count == 1, vout_sum, -1).astype(np.int64)


class TxFlag(Heuristic):
    """A heuristic that flags whole transactions (CoinJoin, PayJoin ...)."""

    kind = "tx_flag"
    #: completes "this transaction ..." in explanations when the flag is set
    because = "matches this rule"

    def flags(self, chain) -> np.ndarray:  # pragma: no cover - overridden
        """Boolean array over the rows of ``chain.txs``."""
        raise NotImplementedError

    def _flags(self, chain) -> np.ndarray:
        check_chain(chain, self.name)
        fl = np.asarray(self.flags(chain), dtype=bool)
        if fl.shape != (len(chain.txs),):
            raise HeuristicError(f"heuristic {self.name!r} gave {fl.shape} flags for {len(chain.txs)} transactions")
        return fl

    def __call__(self, chain) -> pd.Series:
        return pd.Series(self._flags(chain), index=chain.txs.index, name=self.name)

    def explain_tx(self, chain, pos: int) -> tuple[bool, str]:
        fired = bool(self._flags(chain)[pos])
        return fired, (self.because if fired else "does not match")


# --------------------------------------------------------------------------- combinators
def _as_heuristics(parts, op: str) -> list[Heuristic]:
    parts = list(parts)
    if len(parts) == 1 and isinstance(parts[0], (list, tuple)):
        parts = list(parts[0])
    if not parts:
        raise HeuristicError(f"{op}() needs at least one heuristic, e.g. {op}(change.round_amount, change.script_type)")
    for p in parts:
        if not isinstance(p, Heuristic):
            raise HeuristicError(
                f"{op}() combines heuristics, but got {p!r} ({type(p).__name__}); "
                "use the objects in cryptotrace.heuristics, e.g. heuristics.change.round_amount"
            )
    kinds = {p.kind if p.kind != "link" else "tx_flag" for p in parts}
    if len(kinds) > 1:
        raise HeuristicError(
            f"{op}() cannot mix change heuristics with transaction flags ({', '.join(p.name for p in parts)}); "
            "combine change heuristics with change heuristics, and flags with flags"
        )
    return parts


class _CombinedChange(ChangeHeuristic):
    def __init__(self, op: str, parts: list[ChangeHeuristic]):
        self.op, self.parts = op, parts
        self.name = f"{op}({', '.join(p.name for p in parts)})"
        word = {"all_of": "all of", "any_of": "any of", "but_not": "the first but not the others of"}[op]
        self.rationale = f"Combines {word}: " + " | ".join(f"{p.name}: {p.rationale}" for p in parts)
        self.reference = "; ".join(sorted({p.reference for p in parts}))
        joiner = {"all_of": " and ", "any_of": " or ", "but_not": ", but not: "}[op]
        self.because = joiner.join(p.because for p in parts) if op != "but_not" else parts[0].because

    def candidates(self, chain):
        c = [p._candidates(chain) for p in self.parts]
        if self.op == "all_of":
            return np.logical_and.reduce(c)
        if self.op == "any_of":
            return np.logical_or.reduce(c)
        out = c[0].copy()
        for x in c[1:]:
            out &= ~x
        return out


class CombinedFlag(TxFlag):
    """Several transaction flags joined by ``any_of`` / ``all_of`` / ``but_not`` (see :func:`any_of`)."""

    def __init__(self, op: str, parts: list[TxFlag]):
        self.op, self.parts = op, parts
        self.name = f"{op}({', '.join(p.name for p in parts)})"
        word = {"all_of": "all of", "any_of": "any of", "but_not": "the first but not the others of"}[op]
        self.rationale = f"Combines {word}: " + " | ".join(f"{p.name}: {p.rationale}" for p in parts)
        self.reference = "; ".join(sorted({p.reference for p in parts}))
        self.because = f"matches {word} " + ", ".join(p.name for p in parts)

    def flags(self, chain):
        c = [p._flags(chain) for p in self.parts]
        if self.op == "all_of":
            return np.logical_and.reduce(c)
        if self.op == "any_of":
            return np.logical_or.reduce(c)
        out = c[0].copy()
        for x in c[1:]:
            out &= ~x
        return out

    def explain_tx(self, chain, pos):
        fired = bool(self._flags(chain)[pos])
        if not fired:
            return False, "does not match"
        hits = [p for p in self.parts if bool(p._flags(chain)[pos])]
        return True, "; ".join(f"{p.name}: {p.because}" for p in hits) or self.because


def _combine(op, parts):
    parts = _as_heuristics(parts, op)
    if op == "but_not" and len(parts) < 2:
        raise HeuristicError("but_not(h1, h2) needs two heuristics: what h1 says, except where h2 says the same")
    cls = _CombinedChange if parts[0].kind == "change" else CombinedFlag
    return cls(op, parts)


def all_of(*heuristics) -> Heuristic:
    """A heuristic that holds where every one of ``heuristics`` holds (``h1 & h2``).

    For change heuristics an output is a candidate only if every heuristic
    marks it; for transaction flags a transaction is flagged only if all flag it.
    """
    return _combine("all_of", heuristics)


def any_of(*heuristics) -> Heuristic:
    """A heuristic that holds where at least one of ``heuristics`` holds (``h1 | h2``).

    For change heuristics the candidates are pooled: if two heuristics point
    at different outputs, there are two candidates and no call is made.
    """
    return _combine("any_of", heuristics)


def but_not(first, *others) -> Heuristic:
    """What ``first`` says, except where any of ``others`` says the same (``h1 - h2``)."""
    return _combine("but_not", (first, *others))


class _UniqueChange(ChangeHeuristic):
    def __init__(self, parts):
        self.parts = parts
        self.name = f"unique_change({', '.join(p.name for p in parts)})"
        self.rationale = (
            "Asks each change heuristic for its call and keeps a call only where every heuristic "
            "that makes one names the same output (no disagreement). "
            + " | ".join(f"{p.name}: {p.rationale}" for p in parts)
        )
        self.reference = "BlockSci unique_change; " + "; ".join(sorted({p.reference for p in parts}))
        self.because = "every heuristic that makes a call names this output"

    def calls(self, chain):
        calls = np.stack([p.calls(chain) for p in self.parts])
        hi = calls.max(axis=0)
        lo = np.where(calls < 0, np.iinfo(np.int64).max, calls).min(axis=0)
        return np.where((hi >= 0) & (lo == hi), hi, -1)

    def candidates(self, chain):
        f = features(chain)
        call = self.calls(chain)
        return call[f.out_tx] == f.out_vout


def unique_change(*heuristics) -> ChangeHeuristic:
    """Consensus of several change heuristics.

    Each heuristic makes its own call (one output or none); a transaction gets
    a change call only where all heuristics that call name the same output.
    Where two of them disagree, no call is made.
    """
    parts = _as_heuristics(heuristics, "unique_change")
    if parts[0].kind != "change":
        raise HeuristicError("unique_change() takes change heuristics (from cryptotrace.heuristics.change)")
    return _UniqueChange(parts)
