"""Heuristics: named, explained rules of thumb for reading Bitcoin transactions.

* :mod:`~cryptotrace.heuristics.multi_input` -- common-input ownership (``multi_input``)
* :mod:`~cryptotrace.heuristics.change` -- which output is the change (``address_reuse``,
  ``fresh_address``, ``round_amount``, ``fiat_round_amount``, ``script_type``, ``optimal_change``,
  ``wallet_fingerprint``, ``peel_chain``)
* :mod:`~cryptotrace.heuristics.coinjoin` -- CoinJoin detectors and the PayJoin caveat
* :mod:`~cryptotrace.heuristics.peel` -- peel chains
* :func:`explain` -- what every heuristic says about one transaction

Every heuristic has a ``name``, a ``rationale`` in plain words and a
``reference``; run it on a whole chain with ``h(chain)``. Combine with
:func:`all_of`, :func:`any_of`, :func:`but_not` (``&``, ``|``, ``-``) and
:func:`unique_change`.

Examples
--------
>>> from cryptotrace import heuristics as H
>>> H.get("round_amount").name
'round_amount'
>>> combined = H.change.round_amount & H.change.script_type
>>> combined.name
'all_of(round_amount, script_type)'
"""

from __future__ import annotations

from ..errors import HeuristicError
from . import change, coinjoin, peel
from .base import ChangeHeuristic, Heuristic, TxFlag, all_of, any_of, but_not, unique_change
from .explain import TxExplanation, explain
from .multi_input import multi_input
from .peel import peel_chain, peel_chains

__all__ = [
    "Heuristic",
    "ChangeHeuristic",
    "TxFlag",
    "all_of",
    "any_of",
    "but_not",
    "unique_change",
    "multi_input",
    "change",
    "coinjoin",
    "peel",
    "peel_chain",
    "peel_chains",
    "explain",
    "TxExplanation",
    "get",
    "resolve",
    "CHANGE",
    "COINJOIN",
    "CAVEATS",
    "REGISTRY",
    "describe_all",
]

#: every change heuristic that needs no extra data, in a fixed order
CHANGE = (
    change.address_reuse,
    change.fresh_address,
    change.round_amount,
    change.script_type,
    change.optimal_change,
    change.wallet_fingerprint,
    peel_chain,
)
#: the CoinJoin detectors (and their union, ``coinjoin``)
COINJOIN = (coinjoin.equal_output, coinjoin.whirlpool, coinjoin.wasabi1, coinjoin.wasabi2, coinjoin.joinmarket)
#: caveats about a transaction's inputs (not CoinJoin findings; clustering does not skip them)
CAVEATS = (coinjoin.payjoin_likely, coinjoin.stonewall_like, coinjoin.whirlpool_tx0)
#: name -> heuristic, for the command line and for names given as text
REGISTRY = {h.name: h for h in (multi_input, *CHANGE, *COINJOIN, coinjoin.coinjoin, *CAVEATS)}


def get(name: str) -> Heuristic:
    """The heuristic called ``name`` (see :data:`REGISTRY` for the names)."""
    if isinstance(name, Heuristic):
        return name
    key = str(name).strip().lower().replace("-", "_")
    if key not in REGISTRY:
        raise HeuristicError(f"no heuristic called {name!r}. Known names: {', '.join(REGISTRY)}")
    return REGISTRY[key]


def resolve(heuristics) -> list[Heuristic]:
    """Turn names, ``"all"``, a comma-separated string or heuristic objects into a list of heuristics.

    ``"all"`` means multi-input and every change heuristic in :data:`CHANGE`.
    """
    if heuristics is None:
        return [multi_input]
    if isinstance(heuristics, Heuristic):
        return [heuristics]
    if isinstance(heuristics, str):
        heuristics = [p for p in heuristics.split(",") if p.strip()]
    out = []
    for h in heuristics:
        if isinstance(h, str) and h.strip().lower() == "all":
            out += [multi_input, *CHANGE]
        else:
            if not isinstance(h, (str, Heuristic)):
                raise HeuristicError(
                    f"{h!r} is neither a heuristic nor a heuristic's name; known names: {', '.join(REGISTRY)}"
                )
            out.append(get(h))
    seen, uniq = set(), []
    for h in out:
        if id(h) not in seen:
            seen.add(id(h))
            uniq.append(h)
    return uniq


def default_explain_set() -> list[Heuristic]:
    return [multi_input, *CHANGE, coinjoin.coinjoin, *COINJOIN, *CAVEATS]


def describe_all(kind: str | None = None):
    """A table of every named heuristic (or of one ``kind``: "change", "coinjoin" ...): name, kind, rationale,
    reference."""
    import pandas as pd

    table = pd.concat([h.to_frame() for h in REGISTRY.values()], ignore_index=True)
    if kind is None:
        return table
    if kind not in set(table.kind):
        from ..errors import HeuristicError

        raise HeuristicError(
            f"describe_all: no heuristic of kind {kind!r}; the kinds are {', '.join(sorted(set(table.kind)))}"
        )
    return table[table.kind == kind].reset_index(drop=True)
