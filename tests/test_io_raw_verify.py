"""Verify what the node verifies (proof of work, links, witness commitments, blk framing), and ``prevouts=``.

Outside references: the real mainnet blocks in ``../shared/data/real/blocks`` (their headers carry
real proof of work and block 702861 a real BIP 141 commitment), the rules of BIP 141 and Bitcoin
Core's ``CheckProofOfWork`` (hash <= target decoded from ``bits``, target <= ``powLimit``), the
Esplora indexer's resolved prevouts and blockchain-etl's export of Bitcoin Core answers.
"""

from __future__ import annotations

import hashlib
import json
import struct

import pandas as pd
import pytest

import cryptotrace as ct
from cryptotrace import errors as E
from cryptotrace.io import _wire as wire
from cryptotrace.io import raw
from cryptotrace.io.core_rpc import CoreRPCClient
from cryptotrace.io.esplora import EsploraClient

from ._local_server import CoreReplay, EsploraReplay, serve
from ._esplora_bytes import serialize

BLOCK = "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw"
MAGIC = raw.MAINNET_MAGIC


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


@pytest.fixture(scope="module")
def block(real_data) -> bytes:
    return (real_data / "blocks" / BLOCK).read_bytes()


@pytest.fixture(scope="module")
def records(real_data) -> list[bytes]:
    return [rec for _, rec in raw.read_blk_records(real_data / "blocks" / "mainnet_blk_0-256.dat")]


def _blk(path, recs) -> object:
    path.write_bytes(b"".join(MAGIC + struct.pack("<I", len(r)) + r for r in recs))
    return path


# ------------------------------------------------------------------ proof of work
def test_bits_decode_as_bitcoin_core_does():
    assert wire.target_of_bits(0x1D00FFFF) == 0xFFFF << 208  # difficulty 1, mainnet's powLimit
    assert wire.target_of_bits(0x1B0404CB) == 0x0404CB << 8 * (0x1B - 3)  # the example in Bitcoin's developer docs
    assert wire.target_of_bits(0x01003456) == 0  # mantissa shifted out
    assert wire.target_of_bits(0x04923456) == 0  # the sign bit: a negative target is invalid


@pytest.mark.parametrize(
    "field,offset,size", [("version", 0, 4), ("prev_hash", 4, 32), ("time", 68, 4), ("nonce", 76, 4)]
)
def test_an_edited_header_has_no_proof_of_work(block, field, offset, size):
    edited = bytearray(block)
    edited[offset] ^= 0x01
    with pytest.raises(E.ProofOfWorkError, match="above the target") as err:
        ct.load_raw_blocks(bytes(edited))
    assert sha256d(bytes(edited[:80]))[::-1].hex() in str(err.value)  # names the block


def test_bits_made_easier_than_mainnet_allows_are_refused(block):
    edited = bytearray(block)
    edited[72:76] = struct.pack("<I", 0x207FFFFF)  # regtest's limit: almost any hash would do
    with pytest.raises(E.ProofOfWorkError, match="no valid target"):
        ct.load_raw_blocks(bytes(edited))


def test_every_real_header_has_its_proof_of_work(records, block):
    for rec in records + [block]:
        digest = sha256d(rec[:80])
        bits = struct.unpack_from("<I", rec, 72)[0]
        assert int.from_bytes(digest, "little") <= wire.target_of_bits(bits) <= raw.MAINNET_POW_LIMIT


# ------------------------------------------------------------------ links between blocks
def test_a_block_whose_parent_link_was_edited_does_not_link(records):
    edited = bytearray(records[100])
    edited[4:36] = bytes(range(32))
    new_hash = sha256d(bytes(edited[:80]))[::-1].hex()
    with pytest.raises(E.ProofOfWorkError):
        ct.load_raw_blocks(records[:100] + [bytes(edited)])
    # even without the proof-of-work check, block 100 must be the child of block 99
    with pytest.raises(E.BlockLinkError, match=f"block {new_hash} at height 100"):
        ct.load_raw_blocks(records[:100] + [bytes(edited)], heights={new_hash: 100}, check_pow=False)


# ------------------------------------------------------------------ BIP 141 witness commitment
def test_block_702861_witness_commitment_is_checked(block):
    cols = wire.Columns()
    wire.parse_block_into(block, cols, 0, "block", check_merkle=True)
    sig = next(w[0] for w in cols.witness[1:] if w and len(w[0]) > 60)  # some signature in the block
    at = block.find(sig)
    assert at > 0 and block.find(sig, at + 1) == -1
    edited = bytearray(block)
    edited[at + 20] ^= 0xFF  # a witness byte: the txids and the merkle root stay the same
    parsed = raw.parse_block(bytes(edited), check_merkle=False)
    assert parsed["txs"].txid.tolist() == raw.parse_block(block)["txs"].txid.tolist()
    with pytest.raises(E.WitnessCommitmentError, match="does not match the commitment"):
        ct.load_raw_blocks(bytes(edited))


def test_a_segwit_block_without_a_commitment_is_refused(block):
    """Blank the coinbase's commitment and recompute the merkle root (so only BIP 141 can catch it)."""
    marker = bytes.fromhex("6a24aa21a9ed")
    at = block.find(marker)
    assert 80 < at < 400  # inside the coinbase
    edited = bytearray(block)
    edited[at + 2 : at + 6] = b"\x00\x00\x00\x00"  # no longer the commitment header
    parsed = raw.parse_block(bytes(edited), check_merkle=False, check_pow=False)
    ids = [bytes.fromhex(t)[::-1] for t in parsed["txs"].txid]
    edited[36:68] = wire.merkle_root(ids)
    with pytest.raises(E.WitnessCommitmentError, match="no witness commitment"):
        ct.load_raw_blocks(bytes(edited), check_pow=False)


# ------------------------------------------------------------------ blk framing
def test_a_damaged_marker_in_the_middle_skips_to_the_next_block_and_says_so(tmp_path, records):
    full = ct.load_blk_files(_blk(tmp_path / "full.dat", records))
    # a second copy of block 50 in the middle (Core re-downloads), with its marker zeroed
    recs = records[:100] + [records[50]] + records[100:]
    p = _blk(tmp_path / "blk00000.dat", recs)
    data = bytearray(p.read_bytes())
    at = sum(8 + len(r) for r in records[:100])
    assert data[at : at + 4] == MAGIC
    data[at : at + 4] = b"\0\0\0\0"
    p.write_bytes(bytes(data))
    with pytest.warns(E.SkippedDataWarning, match=f"at byte {at:,}.*skipped bytes {at:,} to"):
        chain = ct.load_blk_files(p)
    assert chain == full  # before: the zeros ended the file and 100 of 256 blocks loaded, silently
    with pytest.raises(E.InputFormatError, match=f"at byte {at:,}"):
        ct.load_blk_files(p, strict=True)


def test_garbage_after_the_last_block_is_reported(tmp_path, records):
    p = _blk(tmp_path / "blk00000.dat", records[:5])
    p.write_bytes(p.read_bytes() + b"\x00" * 100 + b"\x07" * 50)  # not just Core's zero padding
    with pytest.warns(E.SkippedDataWarning, match="rest of the file is left out"):
        chain = ct.load_blk_files(p)
    assert len(chain.blocks) == 5
    p.write_bytes(p.read_bytes()[:-150] + bytes(4096))  # zero padding alone is normal: no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(ct.load_blk_files(p).blocks) == 5


# ------------------------------------------------------------------ prevouts=
def test_a_slice_gets_values_and_addresses_from_an_earlier_chain(tmp_path, records):
    full = ct.load_blk_files(_blk(tmp_path / "full.dat", records))
    bare = ct.load_raw_blocks(records[170:], heights=170)
    assert bare.summary()["inputs_without_value"] > 0
    for source in (full, full.save(tmp_path / "earlier")):
        part = ct.load_raw_blocks(records[170:], heights=170, prevouts=source)
        s = part.summary()
        assert s["inputs_without_value"] == 0 and s["inputs_without_address"] == 0
        mine = part.inputs.set_index(["txid", "vin"])[["address", "value"]]
        theirs = full.inputs.set_index(["txid", "vin"]).loc[mine.index, ["address", "value"]]
        pd.testing.assert_frame_equal(mine, theirs, check_categorical=False)  # two chains: two dictionaries
        assert set(part.inputs.address_source.dropna()) == {"prevout"}
        assert part.txs.fee.notna().all()


def test_prevouts_that_disagree_with_the_inputs_own_scripts_are_refused(block):
    parsed = raw.parse_block(block)
    ins = parsed["inputs"]
    ext = ins[ins.prev_txid.notna()].head(3)
    lie = pd.DataFrame(
        {
            "txid": ext.prev_txid,
            "vout": ext.prev_vout.astype(int),
            "value": 1000,
            "address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        }
    )
    with pytest.raises(E.PrevoutMismatchError, match="another chain or was altered"):
        ct.load_raw_blocks(block, prevouts=lie)


def test_prevouts_from_a_bitcoin_core_node(real_data):
    """Tx 7940cdde... of block 50001 spends two coins; the node gives their raw bytes (checked by txid)."""
    folder = real_data / "core-rpc"
    got = json.loads(
        (
            folder / "block_with_transactions" / "rpc_response_getblock_"
            "000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141_2.json"
        ).read_text()
    )
    tx = next(t for t in (got.get("result") or got)["tx"] if t["txid"].startswith("7940cdde"))
    expected = next(
        t
        for t in map(
            json.loads, (folder / "stream_50001_50002" / "expected_transactions.json").read_text().splitlines()
        )
        if t["hash"] == tx["txid"]
    )
    with serve(CoreReplay([folder / "stream_50001_50002"])) as (url, log):
        node = CoreRPCClient(url, user="alice", password="secret")
        chain = ct.load_raw_transactions(tx["hex"], prevouts=node)
    ins = chain.inputs
    assert ins.value.tolist() == [i["value"] for i in expected["inputs"]]  # blockchain-etl's resolved values
    assert [[a] for a in ins.address] == [i["addresses"] for i in expected["inputs"]]
    assert chain.txs.fee.iloc[0] == expected["fee"]


def test_prevouts_from_an_esplora_server(real_data):
    """Colonial Pipeline: the spends of the ransom, their coins looked up on a (replayed) Esplora server."""
    txs = json.loads((real_data / "esplora-cases" / "colonial_ransom_txs.json").read_text())
    known = {
        t["txid"] for f in (real_data / "esplora-cases").glob("colonial_*_txs.json") for t in json.loads(f.read_text())
    }
    spends = [t for t in txs if all(v["txid"] in known for v in t["vin"])]
    assert spends
    hexes = [serialize(t).hex() for t in spends]
    bare = ct.load_raw_transactions(hexes)
    assert bare.txs.txid.tolist() == [t["txid"] for t in spends]  # the serialization is exact
    with serve(EsploraReplay(real_data / "esplora-cases")) as (url, log):
        chain = ct.load_raw_transactions(hexes, prevouts=EsploraClient(url + "/api", rate_limit=None))
    for t in spends:
        rows = chain.inputs[chain.inputs.txid == t["txid"]]
        assert rows.value.tolist() == [v["prevout"]["value"] for v in t["vin"]]
        assert rows.address.tolist() == [v["prevout"]["scriptpubkey_address"] for v in t["vin"]]
        assert int(chain.tx(t["txid"]).fee) == t["fee"]


def test_prevouts_of_the_wrong_kind_say_what_to_give():
    with pytest.raises(E.InputFormatError, match="CoreRPCClient or an EsploraClient"):
        ct.load_raw_transactions(
            "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0704ffff001d0104"
            "ffffffff0100f2052a0100000043410496b538e853519c726a2c91e61ec11600ae1390813a627c66fb8be7947be63c52da"
            "7589379515d4e0a604f8141781e62294721166bf621e73a82cbf2342c858eeac00000000",
            prevouts=42,
        )


def test_prevouts_from_a_chain_store(tmp_path, records):
    """The chain store of the scale issue answers prevouts= with one SQL join (DuckDB over Parquet)."""
    full = ct.load_blk_files(_blk(tmp_path / "full.dat", records))
    store = ct.ChainStore(tmp_path / "store")
    store.import_chain(full.subset(heights=(0, 169)), progress=False)
    part = ct.load_raw_blocks(records[170:], heights=170, prevouts=store)
    assert part.summary()["inputs_without_value"] == 0
    mine = part.inputs.set_index(["txid", "vin"])[["address", "value"]]
    pd.testing.assert_frame_equal(
        mine, full.inputs.set_index(["txid", "vin"]).loc[mine.index, ["address", "value"]], check_categorical=False
    )  # two chains: two dictionaries
