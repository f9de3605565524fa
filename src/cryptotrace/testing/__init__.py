"""Chain builders and checks for tests, examples and exercises (``cryptotrace.testing``).

Every test of the project builds its chains with these, and so can an instructor writing an
exercise or an engineer writing a test of their own:

* :func:`toy_chain`: a checked Chain from short descriptions (``{"in": ["0:0"], "out": [("bob", 30_000)]}``);
* :func:`shown_case`: a four-transaction case with tags, for pictures, reports and exports;
* :func:`assert_ledger_invariants`: the ledger's rules (and an answer key's agreement with them);
* :mod:`cryptotrace.testing.strategies`: hypothesis strategies for random valid chains (needs hypothesis).
"""

from .chains import ADDRESS_POOL, BTC, FORMULA, HOSTILE, assert_ledger_invariants, shown_case, toy_chain, txid_of

__all__ = ["ADDRESS_POOL", "BTC", "FORMULA", "HOSTILE", "assert_ledger_invariants", "shown_case", "toy_chain",
           "txid_of"]
