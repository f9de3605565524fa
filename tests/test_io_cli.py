"""`cryptotrace import` and `cryptotrace fetch` on real data, the fetch against a local Esplora server."""

from __future__ import annotations

import json

import cryptotrace as ct
from cryptotrace.cli import main

from ._local_server import EsploraReplay, serve

SEIZURE = "943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a"
FBI = "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"
BLOCK_702861 = "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae"


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_every_format(tmp_path, real_data, capsys):
    cases = real_data / "esplora-cases"
    rpc = real_data / "core-rpc"
    jobs = {
        "esplora": (
            [cases / "colonial_fbi_txs.json", cases / "colonial_anchor_txs.json"],
            ct.load_esplora([cases / "colonial_fbi_txs.json", cases / "colonial_anchor_txs.json"]),
        ),
        "core-rpc": ([rpc / "block_0", rpc / "block_1"], ct.load_core_json([rpc / "block_0", rpc / "block_1"])),
        "blk": (
            [real_data / "blocks" / "mainnet_blk_0-256.dat"],
            ct.load_blk_files(real_data / "blocks" / "mainnet_blk_0-256.dat"),
        ),
        "etl": (
            [rpc / "stream_50001_50002" / "expected_transactions.json"],
            ct.load_etl(rpc / "stream_50001_50002" / "expected_transactions.json"),
        ),
        "raw": ([real_data / "blocks" / f"mainnet_block_{BLOCK_702861}.raw"], None),
    }
    for fmt, (inputs, want) in jobs.items():
        out = tmp_path / fmt
        code, text, err = run(["import", "--format", fmt, *map(str, inputs), "-o", str(out)], capsys)
        assert code == 0, err
        assert "transactions" in text
        got = ct.load_dataset(out)
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["extra"]["source"] == fmt
        if want is not None:
            assert got.content_hash == want.content_hash
        else:
            assert len(got.txs) == 2500 and got.blocks.hash.tolist() == [BLOCK_702861]
    # an existing dataset is not replaced without --overwrite
    code, _, err = run(
        ["import", "-f", "etl", str(rpc / "block_0" / "expected_transactions.json"), "-o", str(tmp_path / "etl")],
        capsys,
    )
    assert code == 2 and "overwrite" in err


def test_import_raw_transactions_and_wrong_formats(tmp_path, real_data, capsys):
    from cryptotrace.io import _wire as wire
    from cryptotrace.io import raw

    recs = [r for _, r in raw.read_blk_records(real_data / "blocks" / "mainnet_blk_0-256.dat")]
    block9 = raw.parse_block(recs[9])["txs"].txid.tolist()
    f = tmp_path / "block9.hex"
    f.write_text(recs[9].hex())
    code, text, err = run(["import", "-f", "raw", str(f), "-o", str(tmp_path / "b9")], capsys)
    assert code == 2 and "--height" in err  # an old block alone has no known height
    code, text, err = run(["import", "-f", "raw", str(f), "--height", "9", "-o", str(tmp_path / "b9")], capsys)
    assert code == 0, err
    assert ct.load_dataset(tmp_path / "b9").txs.block_height.tolist() == [9]
    code, _, err = run(
        ["import", "-f", "raw", str(real_data / "blocks" / "mainnet_blk_0-256.dat"), "-o", str(tmp_path / "x")], capsys
    )
    assert code == 2 and "--format blk" in err
    code, _, err = run(
        ["import", "-f", "esplora", str(real_data / "core-rpc" / "block_0"), "-o", str(tmp_path / "y")], capsys
    )
    assert code == 2 and "error:" in err and not (tmp_path / "y").exists()
    # a file of raw transaction hex
    tx_hex = tmp_path / "tx.hex"
    start = 81
    end, _, _ = wire.parse_txs(recs[9], start, 1, wire.Columns(), 0, "t")
    tx_hex.write_text(recs[9][start:end].hex() + "\n")
    code, text, err = run(["import", "-f", "raw", str(tx_hex), "-o", str(tmp_path / "tx")], capsys)
    assert code == 0, err
    assert ct.load_dataset(tmp_path / "tx").txs.txid.tolist() == block9


def test_fetch_from_a_local_esplora_server(tmp_path, real_data, capsys):
    app = EsploraReplay(real_data / "esplora-cases", page_size=25)
    with serve(app) as (url, log):
        api = url + "/api"
        code, text, err = run(
            [
                "fetch",
                "--esplora",
                api,
                "--address",
                FBI,
                "--tx",
                SEIZURE,
                "--hops",
                "1",
                "--direction",
                "forward",
                "--rate-limit",
                "0",
                "--cache",
                str(tmp_path / "cache"),
                "-o",
                str(tmp_path / "case"),
            ],
            capsys,
        )
        assert code == 0, err
        assert "requests" in text
        chain = ct.load_dataset(tmp_path / "case")
        fbi_hist = ct.load_esplora(real_data / "esplora-cases" / "colonial_fbi_txs.json")
        assert set(fbi_hist.txs.txid) <= set(chain.txs.txid)
        # one hop forward from the seizure: the anchor's change moving on (280c5f96, 2021-06-07)
        assert "280c5f96397b9502b99703842712b78fda84f1a0faabf826f683448082f46369" in set(chain.txs.txid)
        assert "daf38c7b38eb0a587cf843f47000d5c294affb4f56017370ad48c5147f5e69d9" not in set(chain.txs.txid)
        manifest = json.loads((tmp_path / "case" / "manifest.json").read_text())
        assert manifest["extra"]["seeds"] == [FBI, SEIZURE] and manifest["extra"]["hops"] == 1
        n = len(log)
        code, _, err = run(
            [
                "fetch",
                "--esplora",
                api,
                "--address",
                FBI,
                "--tx",
                SEIZURE,
                "--hops",
                "1",
                "--direction",
                "forward",
                "--offline",
                "--cache",
                str(tmp_path / "cache"),
                "-o",
                str(tmp_path / "again"),
            ],
            capsys,
        )
        assert code == 0, err
        assert len(log) == n  # answered from the cache
        assert ct.load_dataset(tmp_path / "again").content_hash == chain.content_hash
    code, _, err = run(
        [
            "fetch",
            "--esplora",
            api,
            "--tx",
            "ab" * 32,
            "--offline",
            "--cache",
            str(tmp_path / "cache"),
            "-o",
            str(tmp_path / "z"),
        ],
        capsys,
    )
    assert code == 2 and "offline" in err and f"/tx/{'ab' * 32}" in err
    code, _, err = run(["fetch", "--esplora", api, "-o", str(tmp_path / "z")], capsys)
    assert code == 2 and "--address or --tx" in err


def test_import_a_slice_of_raw_blocks_with_prevouts_from_an_earlier_dataset(tmp_path, real_data, capsys):
    from cryptotrace.io import raw

    blk = real_data / "blocks" / "mainnet_blk_0-256.dat"
    recs = [r for _, r in raw.read_blk_records(blk)]
    code, _, err = run(["import", "-f", "blk", str(blk), "-o", str(tmp_path / "early")], capsys)
    assert code == 0, err
    files = []
    for h in range(170, 190):
        files.append(tmp_path / f"{h}.raw")
        files[-1].write_bytes(recs[h])
    code, text, err = run(
        ["import", "-f", "raw", *map(str, files), "--height", "170", "-o", str(tmp_path / "bare")], capsys
    )
    assert code == 0, err
    assert "inputs have no value" in text and "prevouts=" in text
    code, text, err = run(
        [
            "import",
            "-f",
            "raw",
            *map(str, files),
            "--height",
            "170",
            "--prevouts",
            str(tmp_path / "early"),
            "-o",
            str(tmp_path / "slice"),
        ],
        capsys,
    )
    assert code == 0, err
    assert "no value" not in text
    sliced = ct.load_dataset(tmp_path / "slice")
    assert sliced.inputs.value[sliced.inputs.prev_txid.notna()].notna().all() and sliced.txs.fee.notna().all()
    code, _, err = run(
        [
            "import",
            "-f",
            "etl",
            str(real_data / "core-rpc" / "block_0" / "expected_transactions.json"),
            "--prevouts",
            str(tmp_path / "early"),
            "-o",
            str(tmp_path / "z"),
        ],
        capsys,
    )
    assert code == 2 and "--prevouts is for raw blocks" in err
    code, _, err = run(
        [
            "import",
            "-f",
            "raw",
            *map(str, files),
            "--height",
            "170",
            "--prevouts",
            str(tmp_path / "nowhere"),
            "-o",
            str(tmp_path / "w"),
        ],
        capsys,
    )
    assert code == 2 and "nowhere" in err
