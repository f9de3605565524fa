"""Evidence integrity of dataset folders: the quoted SHA-256 covers everything read; nothing is lost on a kill."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cryptotrace as ct
from cryptotrace import errors as E
from cryptotrace.io import files


@pytest.fixture()
def saved(tmp_path, sample_chain):
    h0 = int(sample_chain.blocks.height.min())
    part = sample_chain.subset(heights=(h0, h0 + 60))
    assert len(part.txs) > 100
    return part, part.save(tmp_path / "ds")


def _rewrite(path, name, table):
    """Replace one Parquet file and update only its own line in the manifest (what a forger would do)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    (path / f"{name}.parquet").write_bytes(data)
    m = json.loads((path / "manifest.json").read_text())
    m["files"][name]["sha256"] = hashlib.sha256(data).hexdigest()
    (path / "manifest.json").write_text(json.dumps(m))
    return m


def _swap_two_addresses(path):
    t = pq.read_table(path / "addresses.parquet").to_pandas().reset_index(drop=True)
    first, second = t.address.iloc[0], t.address.iloc[1]
    t["address"] = t.address.replace({first: second, second: first})
    return pa.Table.from_pandas(t, preserve_index=False)


def test_an_edited_index_with_its_own_hash_updated_is_refused(saved):
    chain, path = saved
    _rewrite(path, "addresses", _swap_two_addresses(path))
    with pytest.raises(E.DatasetIntegrityError, match="dataset hash does not match"):
        ct.load_dataset(path)


def test_an_edited_index_with_every_hash_updated_quotes_another_hash(saved):
    chain, path = saved
    m = _rewrite(path, "addresses", _swap_two_addresses(path))
    digests = {n: e["sha256"] for n, e in m["files"].items()}
    m["sha256"] = files.combine_digests(digests)
    (path / "manifest.json").write_text(json.dumps(m))
    forged = ct.load_dataset(path)
    # the forger's manifest hash and the hash a report quotes both differ from the original's
    assert m["sha256"] != chain.content_hash and forged.content_hash != chain.content_hash


def test_the_dataset_hash_names_every_file_that_is_read(saved):
    chain, path = saved
    m = json.loads((path / "manifest.json").read_text())
    assert set(m["files"]) == set(files.TABLES + files.INDEX_TABLES)
    lines = "".join(f"{n} {m['files'][n]['sha256']}\n" for n in files.TABLES + files.INDEX_TABLES)
    assert m["sha256"] == hashlib.sha256(lines.encode()).hexdigest() == chain.content_hash


@pytest.mark.parametrize("bad", ["../outside.parquet", "/etc/passwd", "sub/txs.parquet", ".."])
def test_manifest_paths_stay_inside_the_folder(saved, bad):
    _, path = saved
    m = json.loads((path / "manifest.json").read_text())
    m["files"]["txs"]["path"] = bad
    (path / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(E.DatasetIntegrityError, match="outside the dataset folder"):
        ct.load_dataset(path)


def test_a_version_1_dataset_loads_with_its_index_rebuilt(saved):
    """Version 1 hashed the four tables only: its saved index is not trusted, it is rebuilt."""
    chain, path = saved
    _rewrite(path, "addresses", _swap_two_addresses(path))
    m = json.loads((path / "manifest.json").read_text())
    m["schema_version"] = 1
    m["sha256"] = files.combine_digests({n: e["sha256"] for n, e in m["files"].items()}, 1)
    (path / "manifest.json").write_text(json.dumps(m))
    back = ct.load_dataset(path)
    assert back == chain and back.content_hash == chain.content_hash


def test_an_overwrite_killed_between_its_two_renames_is_recovered(tmp_path, saved):
    chain, path = saved
    script = f"""
import os, cryptotrace as ct
real = os.replace
n = []
def dying(a, b):
    n.append(1)
    real(a, b)
    if len(n) == 1:
        os._exit(9)   # the old dataset is moved aside, the new one not yet in place
os.replace = dying
ct.load_sample().subset(heights=(0, 10**6)).save({str(path)!r}, overwrite=True)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert not path.exists()  # this is what the kill leaves: the target missing
    assert any(p.name.startswith(".ds.old-") for p in tmp_path.iterdir())
    with pytest.warns(UserWarning, match="previous version has been restored"):
        back = ct.load_dataset(path)
    assert back == chain
    assert not any(p.name.startswith(".ds.old-") for p in tmp_path.iterdir())


def test_stale_temporary_folders_are_cleaned_fresh_ones_kept(tmp_path, saved):
    chain, path = saved
    stale, fresh = tmp_path / ".ds.tmp-deadbeef", tmp_path / ".ds.tmp-cafecafe"
    for d in (stale, fresh):
        d.mkdir()
        (d / "txs.parquet").write_bytes(b"half")
    old = time.time() - files.STALE_SECONDS - 60
    os.utime(stale, (old, old))
    chain.save(path, overwrite=True)
    assert not stale.exists() and fresh.exists()  # a fresh one may belong to a save still running


def test_a_kill_at_any_step_of_an_overwrite_leaves_the_old_or_the_new_dataset(tmp_path):
    """Kill the saving process at each of its durable steps (every fsync and rename): the next load
    gives the complete old dataset or the complete new one, never a mix, never nothing."""
    old_chain = ct.load_sample("hydra")
    new_chain = ct.load_sample("whirlpool")
    script = """
import os, sys, cryptotrace as ct
stop = int(sys.argv[1]); n = [0]
def step(real):
    def f(*a):
        out = real(*a)
        n[0] += 1
        if n[0] == stop:
            os._exit(9)
        return out
    return f
os.fsync, os.replace = step(os.fsync), step(os.replace)
ct.load_sample("whirlpool").save(sys.argv[2], overwrite=True)
"""
    outcomes = []
    for stop in range(1, 12):  # a save of a dataset makes 11 durable steps (8 fsyncs, 2 renames, 1 fsync)
        target = tmp_path / f"ds{stop}"
        old_chain.save(target)
        proc = subprocess.run([sys.executable, "-c", script, str(stop), str(target)], capture_output=True, text=True)
        assert proc.returncode == 9, proc.stderr
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "previous version restored" where the kill fell between renames
            back = ct.load_dataset(target)
        assert back == old_chain or back == new_chain, stop
        outcomes.append("old" if back == old_chain else "new")
    assert outcomes[0] == "old" and outcomes[-1] == "new"  # the kills really fell before and after the switch
