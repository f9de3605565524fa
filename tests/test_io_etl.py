"""blockchain-etl / BigQuery crypto_bitcoin exports: the real expected_*.json files of core-rpc/."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import errors as E

FOLDERS = ["block_0", "block_1", "block_without_transactions", "block_with_transactions", "stream_50001_50002"]


@pytest.fixture(scope="module")
def rpc(real_data):
    return real_data / "core-rpc"


def records(rpc, folder, name="expected_transactions.json"):
    return [json.loads(ln) for ln in (rpc / folder / name).read_text().splitlines() if ln]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_export_loads_with_its_facts(rpc, folder):
    chain = ct.load_etl([rpc / folder / "expected_transactions.json", rpc / folder / "expected_blocks.json"])
    exp = records(rpc, folder)
    blocks = records(rpc, folder, "expected_blocks.json")
    assert sorted(chain.blocks.hash) == sorted(b["hash"] for b in blocks)
    assert chain.blocks.height.tolist() == sorted(b["number"] for b in blocks)
    assert len(chain.txs) == len(exp)
    for t in exp:
        tx = chain.tx(t["hash"])
        assert tx.outputs.value.tolist() == [o["value"] for o in t["outputs"]]
        assert tx.outputs.address.tolist() == [o["addresses"][0] for o in t["outputs"]]
        assert tx.is_coinbase == t["is_coinbase"]
        assert len(tx.inputs) == max(t["input_count"], 1 if t["is_coinbase"] else 0)  # coinbase input added
        if all(i["value"] is not None for i in t["inputs"]):
            assert tx.fee == t["fee"]
        else:
            assert tx.fee is None  # export without prevouts: fee unknown, inputs external
            assert tx.inputs[tx.inputs.prev_txid.notna()].is_external.all()


def test_etl_and_core_rpc_give_the_same_ledger(rpc):
    etl = ct.load_etl(rpc / "stream_50001_50002")  # a folder: the RPC answers in it are skipped
    core = ct.load_core_json([rpc / "block_with_transactions", rpc / "stream_50001_50002"])
    cols = ["txid", "block_height", "time", "version", "locktime", "size", "vsize", "fee", "is_coinbase", "n_out"]
    assert etl.txs[cols].equals(core.txs[cols])
    icols = ["txid", "vin", "prev_txid", "prev_vout", "address", "value", "is_external"]
    assert etl.inputs[icols].equals(core.inputs[icols])
    assert etl.outputs.equals(core.outputs) and etl.blocks.equals(core.blocks)


def _bigquery_style(t: dict, *, text_numbers: bool, iso_time: bool, drop_scripts: bool) -> dict:
    t = json.loads(json.dumps(t))
    if text_numbers:  # BigQuery NUMERIC / INT64 exported as strings
        for k in ("size", "virtual_size", "version", "lock_time", "block_number", "fee", "input_value", "output_value"):
            if t.get(k) is not None:
                t[k] = str(t[k])
        for side in ("inputs", "outputs"):
            for x in t[side]:
                if x.get("value") is not None:
                    x["value"] = str(x["value"])
    if iso_time:
        t["block_timestamp"] = pd.Timestamp(t["block_timestamp"], unit="s").strftime("%Y-%m-%d %H:%M:%S UTC")
    if drop_scripts:
        for o in t["outputs"]:
            o.pop("script_hex", None)
    return t


@settings(max_examples=12)
@given(st.booleans(), st.booleans(), st.booleans(), st.sampled_from(["lines", "array", "gzip"]))
def test_bigquery_export_variants_give_the_same_chain(
    tmp_path_factory, rpc, text_numbers, iso_time, drop_scripts, container
):
    base = ct.load_etl(rpc / "stream_50001_50002" / "expected_transactions.json")
    recs = [
        _bigquery_style(t, text_numbers=text_numbers, iso_time=iso_time, drop_scripts=drop_scripts)
        for t in records(rpc, "stream_50001_50002")
    ]
    d = tmp_path_factory.mktemp("etl")
    if container == "array":
        p = d / "txs.json"
        p.write_text(json.dumps(recs))
    else:
        text = "".join(json.dumps(r) + "\n" for r in recs)
        p = d / ("txs.json.gz" if container == "gzip" else "txs.jsonl")
        p.write_bytes(gzip.compress(text.encode()) if container == "gzip" else text.encode())
    chain = ct.load_etl(p)
    cols = ["txid", "block_height", "time", "fee", "n_in", "n_out"]
    assert chain.txs[cols].equals(base.txs[cols])
    cols = ["txid", "vout", "address", "value"]
    assert chain.outputs[cols].equals(base.outputs[cols])
    assert chain.inputs.equals(base.inputs)


def test_bad_exports_are_named(tmp_path, rpc):
    t = records(rpc, "stream_50001_50002")[1]
    t["outputs"][0]["value"] = "100.5"
    (tmp_path / "frac.json").write_text(json.dumps(t) + "\n")
    with pytest.raises(E.InputFormatError, match="whole number of satoshis"):
        ct.load_etl(tmp_path / "frac.json")
    (tmp_path / "broken.json").write_text(json.dumps(records(rpc, "block_0")[0]) + "\n{oops\n")
    with pytest.raises(E.InputFormatError, match="line 2"):
        ct.load_etl(tmp_path / "broken.json")
    (tmp_path / "other.json").write_text('{"name": "not a record"}\n')
    with pytest.raises(E.InputFormatError, match="neither a blockchain-etl transaction"):
        ct.load_etl(tmp_path / "other.json")
    (tmp_path / "blocks_only.json").write_text((rpc / "block_0" / "expected_blocks.json").read_text())
    with pytest.raises(E.InputFormatError, match="no transaction records"):
        ct.load_etl(tmp_path / "blocks_only.json")


def test_wrong_fee_in_an_export_is_caught(tmp_path, rpc):
    recs = records(rpc, "stream_50001_50002")
    recs[1]["fee"] = 12345
    (tmp_path / "fee.json").write_text("".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(E.PrevoutMismatchError, match="fee"):
        ct.load_etl(tmp_path / "fee.json")


def test_nonstandard_pseudo_addresses_are_left_empty(tmp_path, rpc):
    t = records(rpc, "block_1")[0]
    o = t["outputs"][0]
    o.pop("script_hex")
    o["type"] = "nonstandard"
    o["addresses"] = ["nonstandard0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f"]  # how bitcoin-etl names them
    (tmp_path / "ns.json").write_text(json.dumps(t) + "\n")
    chain = ct.load_etl(tmp_path / "ns.json")
    assert chain.outputs.address.isna().all()
    assert chain.outputs.script_type.tolist() == ["nonstandard"]


ETL_MUTATIONS = [  # (field of the spending transaction 7940cdde..., new value, words in the error)
    (("is_coinbase",), "false", "is_coinbase is 'false'"),
    (("is_coinbase",), None, "is_coinbase is None"),
    (("hash",), "7940cdde", "hash (the txid)"),
    (("inputs",), 5, "inputs is '5'"),
    (("inputs",), None, "inputs is 'None'"),
    (("outputs",), {}, "outputs is '{}'"),
    (("outputs", 0), "x", "outputs is"),
    (("outputs", 0, "value"), [1], "output 0 value"),
    (("outputs", 0, "value"), 10**30, "output 0 value"),
    (("outputs", 0, "value"), -1, "output 0 value"),
    (("outputs", 0, "value"), "1e400", "output 0 value"),
    (("outputs", 0, "index"), None, "outputs[0] has no index"),
    (("outputs", 0, "script_hex"), "76a9zz", "script_hex"),
    (("outputs", 0, "addresses"), 5, "output 0 addresses"),
    (("inputs", 0, "index"), True, "inputs[0].index"),
    (("inputs", 0, "spent_transaction_hash"), 7, "spent_transaction_hash"),
    (("inputs", 0, "addresses"), {"a": 1}, "input 0 addresses"),
    (("block_timestamp",), "yesterday", "block_timestamp is 'yesterday'"),
    (("block_timestamp",), True, "block_timestamp is True"),
    (("block_hash",), 1, "block_hash is 1"),
]


@pytest.mark.parametrize(
    "path, value, words", ETL_MUTATIONS, ids=[f"{'.'.join(map(str, m[0]))}={m[1]!r}"[:40] for m in ETL_MUTATIONS]
)
def test_strict_types_each_mutation_is_a_clear_field_error(tmp_path, rpc, path, value, words):
    src = rpc / "stream_50001_50002" / "expected_transactions.json"
    recs = [json.loads(ln) for ln in src.read_text().splitlines() if ln.strip()]
    spender = next(r for r in recs if r["hash"].startswith("7940cdde"))
    target = spender
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    (tmp_path / "tx.json").write_text("\n".join(json.dumps(r) for r in recs))
    with pytest.raises(E.FieldTypeError) as err:
        ct.load_etl(tmp_path / "tx.json")
    assert "tx.json: " in str(err.value) and words in str(err.value), str(err.value)
