"""cryptotrace.testing: its checks fail on what they must catch."""

from __future__ import annotations

import pytest

from cryptotrace.cases import generate
from cryptotrace.testing import assert_ledger_invariants, shown_case, toy_chain


def test_ledger_invariants_pass_on_a_generated_economy_and_catch_a_key_that_disagrees():
    chain, key = generate(600, seed=2, days=1)
    assert_ledger_invariants(chain, key)
    key.addresses = key.addresses.iloc[1:]  # an address the key forgot
    with pytest.raises(AssertionError, match="different addresses"):
        assert_ledger_invariants(chain, key)


def test_ledger_invariants_catch_a_transaction_without_a_fee():
    chain, _ = toy_chain([{"out": [("alice", 100_000)]}, {"in": ["0:0"], "out": [("bob", 100_000)]}])
    with pytest.raises(AssertionError, match="no fee"):
        assert_ledger_invariants(chain)


def test_shown_case_has_the_documented_shape():
    chain, tags, a, txids = shown_case()
    assert len(chain) == 4 and len(txids) == 4
    assert chain.outputs.value.sum() - chain.inputs.value.sum() == 10 * 100_000_000 - 3 * 10_000  # mined minus fees
