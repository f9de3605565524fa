"""CoinJoin detectors, the PayJoin caveat, multi-input, and per-transaction explanations."""

from __future__ import annotations

import pytest

from cryptotrace import heuristics as H
from cryptotrace.errors import HeuristicError, NotInChainError
from cryptotrace.heuristics import coinjoin as CJ
from cryptotrace.testing import toy_chain


def mix(n_in, outs, *, fund=10_000_000):
    """A chain: n_in coinbases to p0..p{n-1}, then one tx spending all of them into ``outs``."""
    txs = [{"out": [(f"p{i}", fund)]} for i in range(n_in)]
    txs.append({"in": [f"{i}:0" for i in range(n_in)], "out": outs})
    return toy_chain(txs)


def flags_of_last(chain):
    return {h.name: bool(h(chain).iloc[-1]) for h in (*H.COINJOIN, CJ.coinjoin, *H.CAVEATS)}


def test_whirlpool_5x5_at_a_pool_size():
    # new entrants bring the pool size plus a miner-fee margin (here 0.0001 BTC)
    chain, _ = mix(5, [(f"o{i}", 5_000_000) for i in range(5)], fund=5_010_000)
    f = flags_of_last(chain)
    assert f["whirlpool"] and f["coinjoin"]
    # same shape at a non-pool amount: not Whirlpool (the generic rule still sees equal outputs)
    chain, _ = mix(5, [(f"o{i}", 4_000_000) for i in range(5)], fund=4_010_000)
    f = flags_of_last(chain)
    assert not f["whirlpool"] and f["equal_output"]
    # inputs of 0.1 BTC are no Whirlpool premix coins
    chain, _ = mix(5, [(f"o{i}", 5_000_000) for i in range(5)], fund=10_000_000)
    assert not flags_of_last(chain)["whirlpool"]


def test_equal_output_rule_blocksci_form():
    # 3 participants: 3 equal outputs + 2 change outputs = 5 outputs, (5+1)/2 = 3 <= 3 inputs
    outs = [("a", 2_000_000), ("b", 2_000_000), ("c", 2_000_000), ("x", 7_990_000), ("y", 7_990_001)]
    chain, _ = mix(3, outs)
    assert flags_of_last(chain)["equal_output"]
    # equal outputs at a dust amount (or below 5,000 sats: token markers) do not count
    for dust in (546, 2_730, 4_999):
        outs = [("a", dust), ("b", dust), ("c", dust), ("x", 7_990_000), ("y", 7_990_001)]
        chain, _ = mix(3, outs)
        assert not flags_of_last(chain)["equal_output"]


def test_wasabi1_ten_equal_outputs_of_about_a_tenth():
    outs = [(f"o{i}", 10_000_000) for i in range(12)] + [("chg", 9_000_000), ("coord", 123_456)]
    chain, _ = mix(14, outs, fund=10_100_000)
    f = flags_of_last(chain)
    assert f["wasabi1"] and f["coinjoin"]
    outs = [(f"o{i}", 1_000_000) for i in range(12)] + [("chg", 9_000_000), ("coord", 123_456)]
    chain, _ = mix(14, outs, fund=10_100_000)
    assert not flags_of_last(chain)["wasabi1"]
    # fewer inputs than equal outputs: a payer's batch, not a Wasabi round (Dumplings: inputs >= equal outputs)
    outs = [(f"o{i}", 10_000_000) for i in range(12)] + [("chg", 9_000_000), ("coord", 123_456)]
    chain, _ = mix(6, outs, fund=30_000_000)
    assert not flags_of_last(chain)["wasabi1"]


def test_wasabi2_many_inputs_standard_denominations():
    denoms = CJ.wasabi2_denominations()
    assert 100_000 in denoms and 131_072 in denoms and 1_594_323 in denoms and 200_000 in denoms
    assert 123_456 not in denoms
    # Wasabi 2 lists outputs largest first
    outs = [(f"o{i}", int(v)) for i, v in enumerate([1_000_000] * 15 + [131_072] * 20 + [100_000] * 20)]
    chain, _ = mix(55, outs, fund=1_000_000)
    assert flags_of_last(chain)["wasabi2"]
    chain, _ = mix(19, outs, fund=3_000_000)  # fewer than 20 inputs
    assert not flags_of_last(chain)["wasabi2"]
    chain, _ = mix(55, outs[::-1], fund=1_000_000)  # smallest first: not the coordinator's order
    assert not flags_of_last(chain)["wasabi2"]


def test_ordinary_payment_is_no_coinjoin():
    chain, _ = mix(2, [("shop", 15_000_000), ("change", 4_990_000)])
    f = flags_of_last(chain)
    assert not any(f[n] for n in ("equal_output", "whirlpool", "wasabi1", "wasabi2", "coinjoin"))


def test_payjoin_likely_flags_an_unnecessary_input():
    # the rule: inputs minus the smallest one still pay the largest output and the fee
    chain, _ = mix(2, [("a", 8_000_000), ("b", 11_990_000)])  # 10M left < 11.99M: every input needed
    assert not flags_of_last(chain)["payjoin_likely"]
    chain, _ = mix(3, [("a", 2_000_000), ("b", 27_990_000)])  # 20M left < 27.99M
    assert not flags_of_last(chain)["payjoin_likely"]
    chain, _ = mix(3, [("a", 15_000_000), ("b", 14_990_000)])  # 20M left >= 15M + fee: one input spare
    assert flags_of_last(chain)["payjoin_likely"]


def test_multi_input_flags_only_several_input_addresses():
    chain, _ = toy_chain(
        [
            {"out": [("A", 10_000_000), ("A", 5_000_000), ("B", 1_000_000)]},
            {"in": ["0:0", "0:1"], "out": [("C", 14_990_000)]},  # two inputs, one address
            {"in": ["0:2", "1:0"], "out": [("D", 15_980_000)]},  # two addresses
        ]
    )
    assert H.multi_input(chain).tolist() == [False, False, True]
    fired, words = H.multi_input.explain_tx(chain, 1)
    assert not fired and "one address" in words
    fired, words = H.multi_input.explain_tx(chain, 2)
    assert fired and "2 addresses" in words


def test_flag_combinators():
    # a 5x5 Whirlpool mix has no changes, so it is not JoinMarket's shape (which has at least one)
    chain, _ = mix(5, [(f"o{i}", 5_000_000) for i in range(5)], fund=5_010_000)
    last = lambda h: bool(h(chain).iloc[-1])  # noqa: E731
    assert last(CJ.whirlpool) and not last(CJ.joinmarket) and last(CJ.equal_output)
    assert not last(CJ.whirlpool & CJ.joinmarket)
    assert last(CJ.whirlpool | CJ.joinmarket)
    assert last(CJ.whirlpool - CJ.joinmarket) and not last(CJ.joinmarket - CJ.whirlpool)
    with pytest.raises(HeuristicError):
        bool(CJ.coinjoin)


def test_explain_one_transaction_in_words():
    chain, addr = toy_chain(
        [
            {"out": [("A", 60_000_000), ("B", 50_000_000)]},
            {"in": ["0:0", "0:1"], "out": [("shop", 100_000_000), ("C", 9_990_000)]},
        ]
    )
    e = H.explain(chain, chain.txs.txid.iloc[1])
    t = e.to_frame().set_index("heuristic")
    assert t.loc["multi_input", "fired"]
    assert t.loc["round_amount", "fired"]
    assert t.loc["round_amount", "conclusion"].startswith(f"output 1 ({addr['C']}")
    assert not t.loc["coinjoin", "fired"]
    assert "multi_input" in e.fired and "round_amount" in e.fired
    text = str(e)
    assert "[FIRES] round_amount" in text and "sender's change" in text
    assert repr(e).startswith("<TxExplanation ")
    assert "<table" in e._repr_html_()


def test_explain_notes_a_coinjoin_and_errors():
    chain, _ = mix(5, [(f"o{i}", 5_000_000) for i in range(5)], fund=5_010_000)
    e = H.explain(chain, chain.txs.txid.iloc[-1])
    assert any("CoinJoin" in n for n in e.notes)
    with pytest.raises(NotInChainError, match="64 hex"):
        H.explain(chain, "abc")
    e = H.explain(chain, chain.txs.txid.iloc[-1], heuristics=["whirlpool"])
    assert e.table.heuristic.tolist() == ["whirlpool"] and e.fired == ["whirlpool"]
