"""Chain builders and checks for tests, examples and exercises (``cryptotrace.testing``).

Every test of the project builds its chains with these, and so can an instructor writing an
exercise or an engineer writing a test of their own:

* :func:`toy_chain`: a checked Chain from short descriptions (``{"in": ["0:0"], "out": [("bob", 30_000)]}``);
* :func:`shown_case`: a four-transaction case with tags, for pictures, reports and exports;
* :func:`hop_chain`, :func:`hop_txid`, :data:`HOP_ADDRESSES`: hand-worked tracing chains in BTC;
  :class:`TagsStandIn`, :class:`ClustersStandIn`: the tags and clusters a trace reads, without a pack;
* :func:`small_tables`: three transactions as tables; :func:`random_chain`: a random valid chain from a seed;
* :func:`pick_output`, :func:`case_start`: where a trace starts (any coin; a bundled case's answer key);
* :func:`assert_ledger_invariants`: the ledger's rules (and an answer key's agreement with them);
* :mod:`cryptotrace.testing.strategies`: hypothesis strategies for random valid chains (needs hypothesis).
"""

from .chains import (
    ADDRESS_POOL,
    BTC,
    FORMULA,
    HOP_ADDRESSES,
    HOSTILE,
    RANDOM_CHAIN_ADDRESSES,
    ClustersStandIn,
    TagsStandIn,
    assert_ledger_invariants,
    case_start,
    hop_chain,
    hop_txid,
    pick_output,
    random_chain,
    shown_case,
    small_tables,
    toy_chain,
    txid_of,
)

__all__ = [
    "ADDRESS_POOL",
    "BTC",
    "FORMULA",
    "HOP_ADDRESSES",
    "HOSTILE",
    "RANDOM_CHAIN_ADDRESSES",
    "ClustersStandIn",
    "TagsStandIn",
    "assert_ledger_invariants",
    "case_start",
    "hop_chain",
    "hop_txid",
    "pick_output",
    "random_chain",
    "shown_case",
    "small_tables",
    "toy_chain",
    "txid_of",
]
