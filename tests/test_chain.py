"""The Chain: building, derived views, lookups, and every validation rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import errors as E
from cryptotrace.units import MAX_SATS

from cryptotrace.testing import ADDRESS_POOL, txid_of
from cryptotrace.testing import small_tables as small
from cryptotrace.testing.strategies import chain_tables

A, B, C = ADDRESS_POOL[:3]


def test_small_chain_derived_columns():
    chain = ct.Chain.from_tables(*small())
    assert list(chain.txs.is_coinbase) == [True, False, False]
    assert list(chain.txs.fee) == [0, 10000, 10000]
    assert list(chain.txs.n_out) == [1, 2, 1]
    # input values and addresses come from the spent outputs
    assert list(chain.inputs.value[1:]) == [50 * 10**8, 30 * 10**8]
    assert list(chain.inputs.address[1:]) == [A, B]
    assert not chain.inputs.is_external.any()
    # spent_by is filled from the inputs
    assert chain.outputs.spent_by_txid.iloc[0] == txid_of(1)
    assert chain.outputs.spent_by_txid.isna().sum() == 2
    assert len(chain.blocks) == 3 and list(chain.blocks.n_tx) == [1, 1, 1]
    assert str(chain.outputs.script_type.iloc[0]) == "p2wpkh"


def test_addresses_view_and_utxos():
    chain = ct.Chain.from_tables(*small())
    a = chain.addresses.loc[A]
    assert a.received == 50 * 10**8 + 19_99990000
    assert a.sent == 50 * 10**8
    assert a.balance == 19_99990000
    assert a.tx_count == 2
    assert chain.addresses.loc[C].balance == 29_99990000
    assert chain.addresses.balance.sum() == chain.utxos.value.sum()
    assert set(chain.utxos.address) == {A, C}


def test_tx_and_address_summaries_are_readable():
    chain = ct.Chain.from_tables(*small())
    view = chain.tx(txid_of(1).upper())  # txids are case-insensitive
    text = str(view)
    assert "30.00000000 BTC" in text and "fee: 0.00010000 BTC" in text
    assert view.to_frame().shape == (3, 4)
    assert "<table" in view._repr_html_()
    addr = chain.address(A)
    assert addr.balance == 19_99990000
    assert "balance  19.99990000 BTC" in str(addr)
    assert len(addr.transactions) == 2


def test_unknown_lookups_say_what_to_do():
    chain = ct.Chain.from_tables(*small())
    with pytest.raises(E.NotInChainError, match="64 hex characters; this one has 3"):
        chain.tx("abc")
    with pytest.raises(E.NotInChainError, match="not a valid Bitcoin address"):
        chain.address("1NotAnAddress")


def test_repr_and_html():
    chain = ct.Chain.from_tables(*small())
    r = repr(chain)
    assert r.startswith("<Chain: 3 transactions in 3 blocks") and "\n" not in r
    assert "value paid out" in chain._repr_html_()


def test_partial_chain_marks_external_inputs():
    txs, inputs, outputs = small()
    # drop the coinbase: t1 now spends an output from outside the data
    keep = ~txs.txid.eq(txid_of(0))
    inputs = inputs[inputs.txid != txid_of(0)].assign(address=[A, None], value=[50 * 10**8, None])
    chain = ct.Chain.from_tables(txs=txs[keep], inputs=inputs, outputs=outputs[outputs.txid != txid_of(0)])
    assert list(chain.inputs.is_external) == [True, False]
    assert chain.txs.fee.iloc[0] == 10000  # known: the source gave the external value


def test_external_input_without_value_has_unknown_fee():
    txs, inputs, outputs = small()
    keep = ~txs.txid.eq(txid_of(0))
    chain = ct.Chain.from_tables(
        txs=txs[keep], inputs=inputs[inputs.txid != txid_of(0)], outputs=outputs[outputs.txid != txid_of(0)]
    )
    assert pd.isna(chain.txs.fee.iloc[0])
    assert "unknown" in str(chain.tx(txid_of(1)))


def test_subset_keeps_chosen_and_makes_prevouts_external():
    chain = ct.Chain.from_tables(*small())
    sub = chain.subset([txid_of(2)])
    assert len(sub) == 1 and sub.inputs.is_external.all()
    assert sub.inputs.value.iloc[0] == 30 * 10**8
    assert len(chain.subset(heights=(2, 3))) == 2
    assert set(chain.subset(addresses=[C]).txs.txid) == {txid_of(2)}
    assert len(chain.subset(start="2020-09-13T12:36:00Z")) == 2


# --------------------------------------------------------------------- validation
def corrupt(kind):
    txs, inputs, outputs = small()
    if kind == "txid":
        txs.loc[1, "txid"] = "xyz"
        inputs.loc[1, "txid"] = "xyz"
        outputs.loc[[1, 2], "txid"] = "xyz"
    elif kind == "duplicate":
        txs = pd.concat([txs, txs.iloc[[1]]])
    elif kind == "double_spend":
        inputs = pd.concat(
            [inputs, pd.DataFrame({"txid": [txid_of(2)], "vin": [1], "prev_txid": [txid_of(0)], "prev_vout": [0]})]
        )
    elif kind == "negative":
        outputs.loc[3, "value"] = -1
    elif kind == "too_big":
        outputs.loc[0, "value"] = MAX_SATS + 1
    elif kind == "overspend":
        outputs.loc[3, "value"] = 31 * 10**8
    elif kind == "prevout_value":
        inputs["value"] = [None, 49 * 10**8, None]
    elif kind == "prevout_address":
        inputs["address"] = [None, C, None]
    elif kind == "address":
        outputs.loc[3, "address"] = C[:-1] + ("q" if C[-1] != "q" else "p")
    elif kind == "block_time":
        txs["time"] = [1_600_000_000, 1_500_000_000, 1_500_000_100]
    elif kind == "missing_vout":
        inputs.loc[2, "prev_vout"] = 5
    return txs, inputs, outputs


@pytest.mark.parametrize(
    "kind, error, words",
    [
        ("txid", E.InvalidTxidError, "'xyz' (3 characters)"),
        ("duplicate", E.DuplicateTxidError, txid_of(1)),
        ("double_spend", E.DoubleSpendError, "spent twice"),
        ("negative", E.ValueRangeError, "below 0"),
        ("too_big", E.ValueRangeError, "21,000,000 BTC"),
        ("overspend", E.OverspendError, "pays out 31.00000000 BTC from 30.00000000 BTC"),
        ("prevout_value", E.PrevoutMismatchError, "value"),
        ("prevout_address", E.PrevoutMismatchError, "address"),
        ("address", E.InvalidAddressError, "do not decode"),
        ("block_time", E.BlockTimeError, "backwards"),
        ("missing_vout", E.PrevoutMismatchError, "does not have"),
    ],
)
def test_each_corruption_raises_its_own_error(kind, error, words):
    with pytest.raises(error) as info:
        ct.Chain.from_tables(*corrupt(kind))
    assert words in str(info.value)
    assert isinstance(info.value, E.CryptotraceError)


def test_amounts_in_btc_are_refused_with_a_hint():
    txs, inputs, outputs = small()
    outputs["value"] = outputs.value / 1e8
    with pytest.raises(E.TableSchemaError, match="satoshis"):
        ct.Chain.from_tables(txs, inputs, outputs)


def test_missing_column_is_named():
    txs, inputs, outputs = small()
    with pytest.raises(E.TableSchemaError, match="lacks the column\\(s\\) value"):
        ct.Chain.from_tables(txs, inputs, outputs.drop(columns=["value"]))


def test_chain_cannot_be_made_unchecked():
    with pytest.raises(E.CryptotraceError, match="from_tables"):
        ct.Chain(None, None, None, None, None)


@given(chain_tables())
def test_random_valid_chains_pass_and_conserve_value(tables):
    txs, inputs, outputs, blocks = tables
    chain = ct.Chain.from_tables(txs, inputs, outputs, blocks)
    assert len(chain.txs) == len(txs)
    # value is conserved: inputs = outputs + fee for every non-coinbase tx
    nc = ~chain.txs.is_coinbase
    in_sum = chain.inputs.groupby("txid").value.sum()
    out_sum = chain.outputs.groupby("txid").value.sum()
    t = chain.txs[nc].set_index("txid")
    assert (in_sum.reindex(t.index) == out_sum.reindex(t.index) + t.fee).all()
    # the UTXO set equals the addresses' balances
    assert chain.addresses.balance.sum() == chain.utxos.value.sum()
    # every output spent at most once, every spender known
    assert chain.inputs.dropna(subset=["prev_txid"]).duplicated(["prev_txid", "prev_vout"]).sum() == 0
    assert (
        chain.outputs.spent_by_txid.notna().sum() == (~chain.inputs.is_external & chain.inputs.prev_txid.notna()).sum()
    )


CORRUPTIONS = {
    "double_spend": E.DoubleSpendError,
    "overspend": E.OverspendError,
    "negative": E.ValueRangeError,
    "txid": E.InvalidTxidError,
    "duplicate": E.DuplicateTxidError,
    "prevout_value": E.PrevoutMismatchError,
}


@given(chain_tables(), st.sampled_from(sorted(CORRUPTIONS)), st.randoms(use_true_random=False))
def test_random_corruptions_raise_their_own_error(tables, kind, rnd):
    txs, inputs, outputs, blocks = (t.copy() for t in tables)
    spending = inputs[inputs.prev_txid.notna()]
    if kind == "double_spend":
        if spending.empty:
            return
        row = spending.iloc[rnd.randrange(len(spending))]
        last = txs.txid.iloc[-1]
        nvin = int((inputs.txid == last).sum())
        inputs = pd.concat(
            [
                inputs,
                pd.DataFrame(
                    {"txid": [last], "vin": [nvin], "prev_txid": [row.prev_txid], "prev_vout": [row.prev_vout]}
                ),
            ],
            ignore_index=True,
        )
        if row.txid == last:  # spending the same output twice in one tx is still a double spend
            pass
    elif kind == "overspend":
        nc = txs.txid[txs.txid.isin(spending.txid)]
        if nc.empty:
            return
        t = nc.iloc[rnd.randrange(len(nc))]
        i = outputs.index[outputs.txid == t][0]
        outputs.loc[i, "value"] += 10**9 + 10_000
    elif kind == "negative":
        outputs.loc[outputs.index[rnd.randrange(len(outputs))], "value"] = -rnd.randint(1, 10**8)
    elif kind == "txid":
        i = rnd.randrange(len(txs))
        old = txs.txid.iloc[i]
        new = old[: rnd.randrange(1, 63)]
        for df, col in ((txs, "txid"), (inputs, "txid"), (outputs, "txid"), (inputs, "prev_txid")):
            df.loc[df[col] == old, col] = new
    elif kind == "duplicate":
        txs = pd.concat([txs, txs.iloc[[rnd.randrange(len(txs))]]], ignore_index=True)
    elif kind == "prevout_value":
        if spending.empty:
            return
        i = spending.index[rnd.randrange(len(spending))]
        inputs["value"] = pd.array([None] * len(inputs), dtype="Int64")
        inputs.loc[i, "value"] = 21 * 10**14 + 1
    with pytest.raises(CORRUPTIONS[kind]):
        ct.Chain.from_tables(txs, inputs, outputs, blocks)


def test_index_arrays_are_consistent():
    chain = ct.Chain.from_tables(*small())
    ix = chain.index
    assert ix.n_txs == 3 and ix.n_addresses == 3
    assert list(ix.in_start) == [0, 1, 2, 3] and list(ix.out_start) == [0, 1, 3, 4]
    assert list(ix.output_of_input) == [-1, 0, 1]
    assert list(ix.input_of_output) == [1, 2, -1, -1]
    names = ix.addresses.to_numpy()
    assert list(names[ix.address_of_output]) == list(chain.outputs.address)
    assert np.all(ix.tx_of_output == np.repeat(np.arange(3), [1, 2, 1]))


# ------------------------------------------------ outpoints outside the chain (issue: valid blocks refused)
_OUTSIDE_TXIDS = [txid_of(900 + k, "outside") for k in range(4)]


def _spender(outpoints, inside_vouts: int = 1):
    """One chain: a coinbase with ``inside_vouts`` outputs, and one tx spending ``outpoints`` (all outside)."""
    cb, t = txid_of(0, "cb"), txid_of(1, "spender")
    txs = pd.DataFrame({"txid": [cb, t]})
    inputs = pd.DataFrame(
        {
            "txid": [cb] + [t] * len(outpoints),
            "vin": [0] + list(range(len(outpoints))),
            "prev_txid": [None] + [p for p, _ in outpoints],
            "prev_vout": [None] + [v for _, v in outpoints],
        }
    )
    outputs = pd.DataFrame(
        {
            "txid": [cb] * inside_vouts + [t],
            "vout": list(range(inside_vouts)) + [0],
            "address": [A] * inside_vouts + [B],
            "value": [1000] * inside_vouts + [500],
        }
    )
    return txs, inputs, outputs


def test_outside_outpoints_with_high_output_numbers_load():
    """The minimal case from a real mainnet block: bb..bb:2 and aa..aa:0 spent, only output 0 inside."""
    txs, inputs, outputs = _spender([("bb" * 32, 2), ("aa" * 32, 0)])
    chain = ct.Chain.from_tables(txs, inputs, outputs)
    assert chain.inputs.is_external.sum() == 2


_OUTPOINTS = st.lists(st.tuples(st.sampled_from(_OUTSIDE_TXIDS), st.integers(0, 2**32 - 1)), min_size=1, max_size=8)


@given(outpoints=_OUTPOINTS.filter(lambda ps: len(set(ps)) == len(ps)), inside=st.integers(1, 4))
def test_any_distinct_outside_outpoints_load(outpoints, inside):
    chain = ct.Chain.from_tables(*_spender(outpoints, inside))
    assert int(chain.inputs.is_external.sum()) == len(outpoints)
    got = set(zip(chain.inputs.prev_txid.dropna(), chain.inputs.prev_vout.dropna().astype(int)))
    assert got == set(outpoints)


@given(outpoints=_OUTPOINTS.filter(lambda ps: len(set(ps)) == len(ps)), repeat=st.data(), inside=st.integers(1, 4))
def test_a_repeated_outside_outpoint_is_refused(outpoints, repeat, inside):
    again = repeat.draw(st.sampled_from(outpoints))
    where = repeat.draw(st.integers(0, len(outpoints)))
    with pytest.raises(E.DoubleSpendError, match=again[0][:16]):
        ct.Chain.from_tables(*_spender(outpoints[:where] + [again] + outpoints[where:], inside))


@given(vout=st.integers(1, 2**32 - 1))
def test_an_internal_spend_of_a_missing_high_output_is_a_mismatch_not_another_output(vout):
    """tx*2**32+vout is unique: spending cb:vout (absent) never finds another transaction's output."""
    cb, t, u = txid_of(0, "cb"), txid_of(1, "t"), txid_of(2, "u")
    txs = pd.DataFrame({"txid": [cb, t, u]})
    inputs = pd.DataFrame(
        {"txid": [cb, t, u], "vin": [0, 0, 0], "prev_txid": [None, cb, cb], "prev_vout": [None, 0, vout]}
    )
    outputs = pd.DataFrame({"txid": [cb, t, u], "vout": [0, 0, 0], "address": [A, B, C], "value": [1000, 900, 0]})
    with pytest.raises(E.PrevoutMismatchError, match=f"{cb}:{vout}"):
        ct.Chain.from_tables(txs, inputs, outputs)


@pytest.mark.parametrize("column,value", [("vout", 2**32), ("vout", -1), ("prev_vout", 2**32), ("vin", -3)])
def test_positions_outside_32_bits_are_refused(column, value):
    txs, inputs, outputs = small()
    table = outputs if column == "vout" else inputs
    table.loc[table.index[-1], column] = value
    with pytest.raises(E.TableSchemaError, match=column):
        ct.Chain.from_tables(txs, inputs, outputs)


def test_a_prevout_without_its_output_number_is_refused():
    txs, inputs, outputs = small()
    inputs["prev_vout"] = inputs.prev_vout.astype("Int64")
    inputs.loc[2, "prev_vout"] = pd.NA
    with pytest.raises(E.TableSchemaError, match="prev_vout"):
        ct.Chain.from_tables(txs, inputs, outputs)


# --------------------------------------------------------------------------- compact id columns (issue 19)
_HEX = "0123456789abcdef"
# txids that often share their first 16 hex digits (the integer sort key) but differ after them
_TXIDS = st.lists(
    st.tuples(
        st.sampled_from(["0" * 16, "f" * 16, "0123456789abcdef", "00000000ffffffff"]),
        st.text(_HEX, min_size=48, max_size=48),
    ).map(lambda t: t[0] + t[1]),
    min_size=1,
    max_size=12,
    unique=True,
)


@given(own=_TXIDS, outside=_TXIDS)
def test_txid_columns_sort_compare_and_read_as_the_text(own, outside):
    """Categorical txid columns behave as plain text: Python's own str order and equality are the reference."""
    outside = [t for t in outside if t not in own]
    txs = pd.DataFrame({"txid": own})
    prev = [outside[i % len(outside)] if outside and i % 2 else None for i in range(len(own))]
    inputs = pd.DataFrame(
        {
            "txid": own,
            "vin": 0,
            "prev_txid": prev,
            "prev_vout": [i if p else None for i, p in enumerate(prev)],
            "value": [10_000 if p else None for p in prev],
            "address": [A if p else None for p in prev],
        }
    )
    outputs = pd.DataFrame({"txid": own, "vout": 0, "address": B, "value": 5_000})
    chain = ct.Chain.from_tables(txs, inputs, outputs)
    assert isinstance(chain.txs.txid.dtype, pd.CategoricalDtype)
    assert isinstance(chain.inputs.prev_txid.dtype, pd.CategoricalDtype)
    spent = dict(zip(chain.inputs.txid.astype(str), chain.inputs.prev_txid))
    assert [None if pd.isna(spent[t]) else spent[t] for t in own] == prev
    assert chain.txs.txid.sort_values().tolist() == sorted(own)
    assert chain.inputs.prev_txid.dropna().sort_values().tolist() == sorted(p for p in prev if p)
    for t in own:
        assert (chain.txs.txid == t).sum() == 1 and chain.outputs.txid.isin([t]).sum() == 1
    merged = chain.outputs.merge(pd.DataFrame({"txid": pd.array(own[:1], dtype="string"), "x": [1]}), on="txid")
    assert merged.txid.tolist() == own[:1]


def test_sample_id_columns_are_compact_and_saved_as_before(tmp_path):
    """The shipped datasets (written before the change) give the reference file schema and hash."""
    import json
    from pathlib import Path

    import pyarrow.parquet as pq

    ds = Path(__file__).resolve().parents[1] / "sample_data" / "datasets" / "sample"
    chain = ct.load_dataset(ds)
    for table, col in (
        ("txs", "txid"),
        ("inputs", "txid"),
        ("inputs", "prev_txid"),
        ("inputs", "address"),
        ("outputs", "txid"),
        ("outputs", "address"),
        ("outputs", "spent_by_txid"),
    ):
        assert isinstance(getattr(chain, table)[col].dtype, pd.CategoricalDtype), (table, col)
    t = chain.txs.txid.iloc[5]
    assert isinstance(t, str) and len(t) == 64 and chain.tx(t).txid == t
    assert chain.index.tx_of_output.dtype == np.int32 and not chain.index.tx_of_output.flags.writeable
    with pytest.raises(ValueError):
        chain.index.address_of_input[0] = 7
    out = chain.save(tmp_path / "again")
    for name in ("blocks", "txs", "inputs", "outputs", "inputs_index", "outputs_index", "addresses"):
        assert pq.read_schema(out / f"{name}.parquet") == pq.read_schema(ds / f"{name}.parquet"), name
    assert (
        json.loads((out / "manifest.json").read_text())["sha256"]
        == json.loads((ds / "manifest.json").read_text())["sha256"]
        == chain.content_hash
    )


def test_heuristic_features_are_cached_on_the_chain():
    from cryptotrace.heuristics.base import features

    chain = ct.Chain.from_tables(*small())
    assert chain.cache == {}
    f = features(chain)
    assert chain.cache["features"] is f and features(chain) is f
    assert features(ct.Chain.from_tables(*small())) is not f


def test_chain_and_dataset_modules_import_without_a_cycle():
    """chain -> dataset_format only; io.files -> chain; neither imports the other back."""
    import ast
    from pathlib import Path

    src = Path(ct.__file__).parent

    def imported(path):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(("." * node.level) + node.module)
        return names

    assert not {m for m in imported(src / "chain.py") if "io" in m.split(".")}
    assert not {m for m in imported(src / "dataset_format.py") if "chain" in m or "io" in m.split(".")}


def test_a_chain_without_any_address_saves_and_loads(tmp_path):
    """A coinbase paying a bare script (no address at all) used to fail with an IndexError."""
    t = txid_of(5)
    chain = ct.Chain.from_tables(
        pd.DataFrame({"txid": [t]}),
        pd.DataFrame({"txid": [t], "vin": [0], "prev_txid": [None], "prev_vout": [None]}),
        pd.DataFrame({"txid": [t], "vout": [0], "value": [5]}),
    )
    assert chain.outputs.script_type.tolist() == ["nonstandard"] and chain.index.n_addresses == 0
    assert ct.load_dataset(chain.save(tmp_path / "ds")) == chain
