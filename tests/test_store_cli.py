"""The ``cryptotrace store`` command: import, info, cluster, extract, trace, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cryptotrace as ct
from cryptotrace.cli import main

BLK = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "blocks" / "mainnet_blk_0-256.dat"
HAL = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A dataset of the sample's first 600 blocks, and a store made from it by the command."""
    d = tmp_path_factory.mktemp("cli")
    chain = ct.load_sample().subset(heights=(850000, 850599))
    chain.save(d / "ds")
    assert main(["store", "import", "--format", "dataset", "--batch-txs", "2000", str(d / "ds"), str(d / "st")]) == 0
    return chain, d


def test_import_and_info(small, capsys):
    chain, d = small
    capsys.readouterr()
    assert main(["store", "info", str(d / "st")]) == 0
    out = capsys.readouterr().out
    assert f"{len(chain):,} transactions" in out and "bytes per transaction" in out
    # importing the same dataset again adds nothing
    assert main(["store", "import", "--format", "dataset", str(d / "ds"), str(d / "st")]) == 0
    assert "Added 0 transactions" in capsys.readouterr().out


def test_cluster_csv_matches_cluster_command(small, tmp_path, capsys):
    chain, d = small
    assert main(["store", "cluster", str(d / "st"), "-o", str(tmp_path / "s.csv")]) == 0
    chain.save(tmp_path / "ds")
    assert main(["cluster", str(tmp_path / "ds"), "-o", str(tmp_path / "m.csv")]) == 0
    s, m = pd.read_csv(tmp_path / "s.csv"), pd.read_csv(tmp_path / "m.csv")
    assert s.columns.tolist() == m.columns.tolist() == ["address", "cluster_id"]
    assert set(s.address) == set(m.address)
    pairs = s.merge(m, on="address")[["cluster_id_x", "cluster_id_y"]].drop_duplicates()
    assert pairs.cluster_id_x.is_unique and pairs.cluster_id_y.is_unique


def test_extract_and_trace(small, tmp_path, capsys):
    chain, d = small
    txid = chain.txs.txid.iloc[len(chain) // 2]
    assert main(["store", "extract", str(d / "st"), "--from", txid, "--hops", "2", "-o", str(tmp_path / "x")]) == 0
    sub = ct.load_dataset(tmp_path / "x")
    assert txid in set(sub.txs.txid) and len(sub) > 1
    capsys.readouterr()
    assert main(["store", "trace", str(d / "st"), "--from", f"{txid}:0", "--max-hops", "3", "--min-value", "0"]) == 0
    out = capsys.readouterr().out
    assert "Endpoints" in out
    assert main(["store", "cluster", str(d / "st"), "-o", str(tmp_path / "c.csv")]) == 0
    tags = Path(__file__).resolve().parents[1] / "sample_data" / "cases" / "sample" / "tags.yaml"
    capsys.readouterr()
    assert (
        main(
            [
                "store",
                "trace",
                str(d / "st"),
                "--from",
                f"{txid}:0",
                "--max-hops",
                "3",
                "--tagpack",
                str(tags),
                "--clusters",
                "--json",
            ]
        )
        == 0
    )
    import json

    got = json.loads(capsys.readouterr().out)
    assert got["params"]["tags"] and got["params"]["clustering"]
    # the store's trace takes the same options as `cryptotrace trace`: FIFO pays the fee last (the published
    # convention), exactly as a trace of the dataset does
    chain.save(tmp_path / "ds")
    runs = []
    for cmd in (["store", "trace", str(d / "st")], ["trace", str(tmp_path / "ds")]):
        capsys.readouterr()
        args = [*cmd, "--from", f"{txid}:0", "--policy", "fifo", "--max-hops", "3", "--min-value", "0", "--json"]
        assert main(args) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0]["params"]["fee_policy"] == runs[1]["params"]["fee_policy"] == "last"
    assert runs[0]["summary"]["endpoints"] == runs[1]["summary"]["endpoints"]


def test_blk_import_and_errors(tmp_path, capsys):
    st = str(tmp_path / "blk")
    assert main(["store", "import", "--format", "blk", str(BLK), st]) == 0
    assert "263 transactions" in capsys.readouterr().out
    assert main(["store", "extract", st, "--from", HAL, "--hops", "0", "-o", str(tmp_path / "hal")]) == 0
    hal = ct.load_dataset(tmp_path / "hal")
    assert hal.tx(HAL).outputs.value.tolist() == [10 * 10**8, 40 * 10**8]
    capsys.readouterr()
    # errors: one line, exit code 2
    assert main(["store", "info", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no chain store") and err.count("\n") == 1
    assert main(["store", "extract", st, "--from", "00" * 32, "-o", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "not in the store" in err and err.count("\n") == 1
    assert not (tmp_path / "y").exists()
    assert main(["store", "import", "--format", "etl", "--height", "3", str(BLK), st]) == 2
