"""Dataset files: round trip, tamper detection, atomic writes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import cryptotrace as ct
from cryptotrace import errors as E
from cryptotrace import dataset_format as files

from cryptotrace.testing.strategies import chain_tables


def make_chain(tables):
    return ct.Chain.from_tables(*tables)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chain_tables())
def test_round_trip_gives_the_same_chain_and_hash(tmp_path, tables):
    chain = make_chain(tables)
    path = tmp_path / f"ds-{abs(hash(tuple(tables[0].txid)))}"
    chain.save(path, overwrite=True)
    back = ct.load_dataset(path, validate=True)  # rebuilt and re-checked from the four tables
    fast = ct.load_dataset(path)  # restored from the saved index after the hash check
    assert back == chain and fast == chain
    for field in (
        "tx_of_input",
        "tx_of_output",
        "in_start",
        "out_start",
        "output_of_input",
        "input_of_output",
        "address_of_input",
        "address_of_output",
    ):
        assert np.array_equal(getattr(fast.index, field), getattr(chain.index, field)), field
        assert np.array_equal(getattr(back.index, field), getattr(chain.index, field)), field
    assert list(fast.index.addresses) == list(chain.index.addresses)
    assert fast.addresses.equals(chain.addresses)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["sha256"] == back.content_hash == chain.content_hash
    assert manifest["counts"] == {
        "blocks": len(chain.blocks),
        "txs": len(chain.txs),
        "inputs": len(chain.inputs),
        "outputs": len(chain.outputs),
    }


def small_chain():
    from cryptotrace.testing import small_tables as small

    return ct.Chain.from_tables(*small())


def test_saving_twice_gives_identical_bytes(tmp_path):
    chain = small_chain()
    a, b = chain.save(tmp_path / "a"), chain.save(tmp_path / "b")
    for name in ("blocks", "txs", "inputs", "outputs", "inputs_index", "outputs_index", "addresses", "manifest"):
        ext = "json" if name == "manifest" else "parquet"
        assert (a / f"{name}.{ext}").read_bytes() == (b / f"{name}.{ext}").read_bytes()


def test_tampered_table_is_named(tmp_path):
    path = small_chain().save(tmp_path / "ds")
    data = bytearray((path / "outputs.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (path / "outputs.parquet").write_bytes(bytes(data))
    with pytest.raises(E.DatasetIntegrityError, match="outputs.parquet was changed after the dataset was saved"):
        ct.load_dataset(path)


def test_edited_manifest_hash_is_caught(tmp_path):
    path = small_chain().save(tmp_path / "ds")
    m = json.loads((path / "manifest.json").read_text())
    m["sha256"] = "0" * 64
    (path / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(E.DatasetIntegrityError, match="does not match"):
        ct.load_dataset(path)


def test_missing_and_foreign_folders_get_clear_errors(tmp_path):
    with pytest.raises(E.DatasetError, match="does not exist"):
        ct.load_dataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(E.DatasetError, match="no manifest.json"):
        ct.load_dataset(tmp_path / "empty")


def test_refuses_to_overwrite_without_permission(tmp_path):
    chain = small_chain()
    chain.save(tmp_path / "ds")
    with pytest.raises(E.DatasetError, match="overwrite=True"):
        chain.save(tmp_path / "ds")
    chain.save(tmp_path / "ds", overwrite=True)
    assert ct.load_dataset(tmp_path / "ds") == chain


def test_interrupted_save_leaves_nothing_that_loads(tmp_path):
    """Kill a save half-way (in a child process): the target is absent or the old complete dataset."""
    chain = small_chain()
    old = chain.save(tmp_path / "ds")
    old_hash = json.loads((old / "manifest.json").read_text())["sha256"]
    script = f"""
import os, cryptotrace as ct
from cryptotrace import dataset_format as files
real = files._parquet_bytes
calls = []
def dying(df):
    calls.append(1)
    if len(calls) == 3:
        os._exit(9)   # the power goes out while writing the third table
    return real(df)
files._parquet_bytes = dying
chain = ct.load_dataset({str(old)!r})
chain.save({str(tmp_path / "new")!r})
chain.save({str(old)!r}, overwrite=True)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert not (tmp_path / "new").exists()
    assert ct.load_dataset(old).content_hash == old_hash
    # leftovers are hidden temp folders only, never a loadable dataset
    for p in tmp_path.iterdir():
        assert p.name in ("ds",) or p.name.startswith(".")


def test_atomic_write_bytes_replaces_whole_file(tmp_path):
    target = tmp_path / "f.json"
    files.atomic_write_text(target, "one")
    files.atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
