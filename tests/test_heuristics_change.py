"""Change heuristics, combinators and the Heuristic object, on small hand-built chains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace import heuristics as H
from cryptotrace.errors import HeuristicError
from cryptotrace.heuristics import change
from cryptotrace.testing import toy_chain


def calls(h, chain):
    return h(chain).tolist()


NA = pd.NA


# ---------------------------------------------------------------------- each heuristic on its own case
def test_address_reuse_calls_the_output_back_to_an_input_address():
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            {"in": ["0:0"], "out": [("shop", 30_000_000), ("A", 69_990_000)]},
        ]
    )
    assert calls(change.address_reuse, chain) == [NA, 1]


def test_fresh_address_calls_the_only_never_seen_address():
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            {"out": [("shop", 1_000)]},  # the shop's address is already known
            {"in": ["0:0"], "out": [("shop", 30_000_000), ("newchange", 69_990_000)]},
            {"in": ["2:1"], "out": [("x", 10_000_000), ("y", 59_980_000)]},  # both fresh: no call
        ]
    )
    assert calls(change.fresh_address, chain) == [NA, NA, 1, NA]


@pytest.mark.parametrize(
    "values, expect",
    [
        ((50_000_000, 49_990_000), 1),  # 0.5 BTC is round
        ((12_345_678, 20_000_000), 0),  # change first
        ((12_345_678, 22_222_222), NA),  # nothing round: no call
        ((10_000_000, 20_000_000), NA),  # everything round: no call
    ],
)
def test_round_amount(values, expect):
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            {"in": ["0:0"], "out": [("p", values[0]), ("q", values[1])]},
        ]
    )
    assert calls(change.round_amount, chain)[1] is expect or calls(change.round_amount, chain)[1] == expect


def test_round_amount_digits_changes_what_counts_as_round():
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            {"in": ["0:0"], "out": [("p", 1_200_000), ("q", 98_790_001)]},
        ]
    )
    assert calls(change.round_amount, chain)[1] == 1  # 0.012 BTC is a multiple of 0.001 BTC
    assert pd.isna(calls(change.RoundAmount(digits=6), chain)[1])  # but not of 0.01
    assert change.RoundAmount(digits=6).name == "round_amount(digits=6)"
    with pytest.raises(HeuristicError, match="digits"):
        change.RoundAmount(digits=0)


def test_fiat_round_amount_uses_the_days_price():
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            {"in": ["0:0"], "out": [("p", 1_000_000), ("q", 98_123_457)]},  # 0.01 BTC at 25,000 USD = 250 USD
        ]
    )
    h = change.FiatRoundAmount(price=25_000.0, unit=10)
    assert calls(h, chain)[1] == 1
    days = pd.Series([33_333.0], index=[chain.txs.time.iloc[0].floor("D")])
    assert pd.isna(calls(change.FiatRoundAmount(price=days, unit=10), chain)[1])  # 333.33 USD: not round
    with pytest.raises(HeuristicError, match="price"):
        change.FiatRoundAmount(price="a lot")


def test_script_type_match():
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            {"in": ["0:0"], "out": [("legacy", 30_000_000), ("B", 69_990_000)]},
            {"in": ["1:1"], "out": [("C", 30_000_000), ("D", 39_980_000)]},  # both p2wpkh: no call
        ],
        types={"legacy": "p2pkh"},
    )
    assert calls(change.script_type, chain) == [NA, 1, NA]


def test_optimal_change_output_smaller_than_every_input():
    chain, _ = toy_chain(
        [
            {"out": [("A", 60_000_000), ("B", 50_000_000)]},
            {"in": ["0:0", "0:1"], "out": [("shop", 100_000_000), ("C", 9_990_000)]},
            {"in": ["1:0"], "out": [("D", 70_000_000), ("E", 29_990_000)]},  # no output below the input? both are
        ]
    )
    assert calls(change.optimal_change, chain)[1] == 1
    assert pd.isna(calls(change.optimal_change, chain)[2])  # both outputs smaller than the one input


def test_wallet_fingerprint_follows_the_spender_built_the_same_way():
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)], "version": 1},
            {
                "in": ["0:0"],
                "out": [("P", 30_000_000), ("C", 69_990_000)],
                "version": 2,
                "locktime": 5,
                "sequence": 0xFFFFFFFD,
            },
            {"in": ["1:0"], "out": [("X", 29_990_000)], "version": 1},  # the payee's wallet: other fingerprint
            {"in": ["1:1"], "out": [("Y", 69_980_000)], "version": 2, "locktime": 7, "sequence": 0xFFFFFFFD},
        ]
    )
    assert calls(change.wallet_fingerprint, chain)[1] == 1


def test_peel_chain_and_peel_chains():
    txs = [{"out": [("start", 100_000_000)]}]
    prev = "0:0"
    for k in range(5):
        txs.append({"in": [prev], "out": [(f"pay{k}", 1_000_000), (f"rest{k}", 98_000_000 - k * 2_000_000)]})
        prev = f"{k + 1}:1"
    chain, addr = toy_chain(txs)
    got = calls(H.peel_chain, chain)
    assert got[1:5] == [1, 1, 1, 1] and pd.isna(got[5])  # the last hop's change is unspent
    chains = H.peel_chains(chain, min_hops=3)
    assert chains.peel_id.unique().tolist() == [0]
    assert chains.hop.tolist() == [0, 1, 2, 3, 4]
    assert chains.txid.tolist() == chain.txs.txid.iloc[1:6].tolist()
    assert chains.payment_address.iloc[0] == addr["pay0"]
    assert int(chains.peeled.iloc[0]) == 1_000_000
    assert H.peel_chains(chain, min_hops=6).empty
    with pytest.raises(HeuristicError):
        H.peel_chains(chain, min_hops=1)


def test_no_call_on_coinbase_or_single_output():
    chain, _ = toy_chain(
        [
            {"out": [("A", 50_000_000), ("B", 12_345)]},
            {"in": ["0:0"], "out": [("C", 49_990_000)]},
        ]
    )
    for h in H.CHANGE:
        assert h(chain).isna().all(), h.name


# ---------------------------------------------------------------------- the object and combinators
def small_chain():
    return toy_chain(
        [
            {"out": [("A", 60_000_000), ("B", 50_000_000)]},
            {"in": ["0:0", "0:1"], "out": [("shop", 100_000_000), ("C", 9_990_000)]},
            {"in": ["1:1"], "out": [("legacy", 5_000_000), ("D", 4_980_000)]},
        ],
        types={"legacy": "p2pkh"},
    )


def test_result_shape_and_dtype():
    chain, _ = small_chain()
    s = change.round_amount(chain)
    assert s.dtype == "Int64" and s.name == "round_amount"
    assert s.index.equals(chain.txs.index)


def test_bool_raises_so_and_cannot_silently_drop_a_heuristic():
    with pytest.raises(HeuristicError, match="all_of"):
        bool(change.round_amount)
    with pytest.raises(HeuristicError):
        change.round_amount and change.script_type  # noqa: B015


def test_operators_build_named_combinations():
    h = change.round_amount & change.script_type
    assert h.name == "all_of(round_amount, script_type)"
    assert (change.round_amount | change.script_type).name == "any_of(round_amount, script_type)"
    assert (change.round_amount - change.script_type).name == "but_not(round_amount, script_type)"
    assert "round" in h.rationale and h.reference


def test_combinator_semantics_on_candidates():
    chain, _ = small_chain()
    r, s = change.round_amount, change.script_type
    cr, cs = r.candidates(chain), s.candidates(chain)
    np.testing.assert_array_equal((r & s).candidates(chain), cr & cs)
    np.testing.assert_array_equal((r | s).candidates(chain), cr | cs)
    np.testing.assert_array_equal((r - s).candidates(chain), cr & ~cs)


def test_cannot_mix_change_and_flags_or_non_heuristics():
    with pytest.raises(HeuristicError, match="mix"):
        change.round_amount & H.coinjoin.whirlpool
    with pytest.raises(HeuristicError, match="combines heuristics"):
        H.all_of(change.round_amount, "script_type")
    with pytest.raises(HeuristicError):
        H.but_not(change.round_amount)


def test_heuristic_needs_a_chain():
    with pytest.raises(HeuristicError, match="runs on a Chain"):
        change.round_amount(pd.DataFrame())


def test_unique_change_keeps_only_agreement():
    chain, _ = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            # round says 1 (0.3 BTC round); optimal says nothing (both outputs < input): agreement of the callers
            {"in": ["0:0"], "out": [("p", 30_000_000), ("c", 69_990_000)]},
            # round says 1; script type says 0 (legacy change): they disagree
            {"in": ["1:1"], "out": [("q", 3_333_333), ("same", 60_000_000)]},
        ],
        types={"q": "p2pkh"},
    )
    u = H.unique_change(change.round_amount, change.script_type)
    r = change.round_amount(chain).fillna(-1).tolist()
    s = change.script_type(chain).fillna(-1).tolist()
    got = u(chain).fillna(-1).tolist()
    assert (r[1], s[1]) == (1, -1) and (r[2], s[2]) == (0, 1)  # one caller in tx 1, disagreement in tx 2
    assert got == [-1, 1, -1]


def test_describe_and_repr_are_plain():
    assert repr(change.optimal_change).startswith("<change heuristic 'optimal_change':")
    assert "BlockSci" in change.optimal_change.describe()
    frame = H.describe_all()
    assert {"multi_input", "round_amount", "whirlpool", "payjoin_likely"} <= set(frame.name)
    assert "<b>optimal_change</b>" in change.optimal_change._repr_html_()


def test_get_and_resolve():
    assert H.get("Round-Amount") is change.round_amount
    with pytest.raises(HeuristicError, match="Known names"):
        H.get("magic")
    assert [h.name for h in H.resolve("multi_input, round_amount")] == ["multi_input", "round_amount"]
    assert len(H.resolve("all")) == 1 + len(H.CHANGE)


# ---------------------------------------------------------------------- properties
@st.composite
def random_chains(draw):
    """A random chain of 2..12 txs: each spends some unspent outputs, pays 1..4 outputs, reuses names."""
    n_tx = draw(st.integers(2, 12))
    names = [f"n{i}" for i in range(draw(st.integers(2, 10)))]
    unspent = []
    txs = []
    for t in range(n_tx):
        k = draw(st.integers(0, min(3, len(unspent))))
        picks = draw(st.lists(st.sampled_from(range(len(unspent))), min_size=k, max_size=k, unique=True)) if k else []
        spend = [unspent[i] for i in picks]
        unspent = [u for i, u in enumerate(unspent) if i not in picks]
        total = sum(v for _, v in spend) if spend else 50_000_000
        n_out = draw(st.integers(1, 4))
        vals = draw(
            st.lists(st.sampled_from([1_000_000, 1_234_567, 500_000, 777, 10_000_000]), min_size=n_out, max_size=n_out)
        )
        scale = max(1, sum(vals))
        outs = [(draw(st.sampled_from(names)), max(0, v * (total - 1_000) // scale)) for v in vals]
        tx = {"out": outs, "version": draw(st.sampled_from([1, 2]))}
        if spend:
            tx["in"] = [ref for ref, _ in spend]
        txs.append(tx)
        unspent += [(f"{t}:{v}", val) for v, (_, val) in enumerate(outs)]
    types = {n: draw(st.sampled_from(["p2wpkh", "p2pkh"])) for n in names}
    return toy_chain(txs, types=types)[0]


@settings(max_examples=40)
@given(random_chains())
def test_calls_are_valid_output_numbers(chain):
    n_out = chain.txs.n_out.to_numpy()
    for h in H.CHANGE:
        c = h(chain)
        made = c.notna().to_numpy()
        v = c.fillna(-1).to_numpy()
        assert ((v[made] >= 0) & (v[made] < n_out[made])).all(), h.name
        assert not (made & chain.txs.is_coinbase.to_numpy()).any()


@settings(max_examples=40)
@given(random_chains())
def test_combinator_laws(chain):
    a, b = change.round_amount, change.optimal_change
    both = (a & b)(chain)
    # a call of all_of is a call both heuristics could make: the output is a candidate of each
    f = H.base.features(chain)
    rows = chain.index.out_start[:-1] + both.fillna(0).to_numpy(np.int64)
    made = both.notna().to_numpy()
    assert a.candidates(chain)[rows[made]].all() and b.candidates(chain)[rows[made]].all()
    # but_not never calls an output the second heuristic marks
    minus = (a - b)(chain)
    rows = chain.index.out_start[:-1] + minus.fillna(0).to_numpy(np.int64)
    assert not b.candidates(chain)[rows[minus.notna().to_numpy()]].any()
    # unique_change agrees with every heuristic that calls
    u = H.unique_change(a, b)(chain)
    for h in (a, b):
        c = h(chain)
        m = u.notna() & c.notna()
        assert (u[m] == c[m]).all()
    assert f.n_txs == len(chain.txs)
