"""Raw blocks, blk*.dat files and raw transactions: facts from real mainnet bytes, plus properties."""

from __future__ import annotations

import hashlib
import random
import struct

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import errors as E
from cryptotrace.addresses import address_from_script, encode_address
from cryptotrace.io import _wire as wire
from cryptotrace.io import raw
from cryptotrace.io._script import addresses_of_scripts, script_address

HAL_TX = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
HAL = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"  # Hal Finney's key, shown as its hash160 address
SATOSHI_170 = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"  # the key of block 9's coinbase
GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
BLOCK_702861 = "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae"
SATS = 100_000_000


@pytest.fixture(scope="module")
def blk_path(real_data):
    return real_data / "blocks" / "mainnet_blk_0-256.dat"


@pytest.fixture(scope="module")
def blk_chain(blk_path):
    return ct.load_blk_files(blk_path)


@pytest.fixture(scope="module")
def records(blk_path):
    return [rec for _, rec in raw.read_blk_records(blk_path)]


@pytest.fixture(scope="module")
def block_702861(real_data):
    return (real_data / "blocks" / f"mainnet_block_{BLOCK_702861}.raw").read_bytes()


@pytest.fixture(scope="module")
def chain_702861(block_702861):
    return ct.load_raw_blocks(block_702861)


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def write_blk(path, recs, magic=raw.MAINNET_MAGIC):
    path.write_bytes(b"".join(magic + struct.pack("<I", len(r)) + r for r in recs))
    return path


# ---------------------------------------------------------------------- the first blocks
def test_blk_file_holds_the_first_256_blocks_and_263_transactions(blk_chain):
    # The README and the issue say "blocks 0..256, 257 blocks"; the file holds 256 records,
    # hash-linked from genesis: heights 0..255. The 263 transactions match.
    assert len(blk_chain.blocks) == 256
    assert blk_chain.blocks.height.tolist() == list(range(256))
    assert blk_chain.blocks.hash.iloc[0] == GENESIS
    assert len(blk_chain.txs) == 263
    assert int(blk_chain.txs.is_coinbase.sum()) == 256
    assert blk_chain.summary()["external_inputs"] == 0  # every spend is inside these blocks
    assert blk_chain.blocks.time.iloc[0] == pd.Timestamp("2009-01-03 18:15:05", tz="UTC")


def test_block_170_pays_hal_finney_10_btc_and_40_back(blk_chain):
    tx = blk_chain.tx(HAL_TX)
    assert tx.block_height == 170
    assert tx.outputs.value.tolist() == [10 * SATS, 40 * SATS]
    assert tx.outputs.address.tolist() == [HAL, SATOSHI_170]
    assert tx.outputs.script_type.tolist() == ["p2pk", "p2pk"]
    assert tx.inputs.prev_txid.iloc[0].startswith("0437cd7f")  # block 9's coinbase
    assert int(tx.inputs.value.iloc[0]) == 50 * SATS and tx.inputs.address.iloc[0] == SATOSHI_170
    assert tx.fee == 0 and not bool(tx.inputs.is_external.iloc[0])
    assert blk_chain.txs.set_index("txid").block_height[tx.inputs.prev_txid.iloc[0]] == 9


def test_the_change_chain_after_block_170_is_a_peel_chain_back_to_the_same_key(blk_chain):
    o = blk_chain.outputs.set_index(["txid", "vout"])
    nxt = o.loc[(HAL_TX, 1), "spent_by_txid"]
    heights = []
    txh = blk_chain.txs.set_index("txid").block_height
    while not pd.isna(nxt):
        heights.append(int(txh[nxt]))
        outs = blk_chain.outputs[blk_chain.outputs.txid == nxt]
        back = outs[outs.address == SATOSHI_170]
        nxt = back.spent_by_txid.iloc[0] if len(back) else pd.NA
    assert heights == [181, 182, 183, 248]  # 40 -> 30 -> 29 -> 28 -> 18 BTC back to the same key
    # the peeled-off 1 BTC outputs of blocks 182 and 183 move on in blocks 221 and 187
    peeled = blk_chain.outputs[(blk_chain.outputs.value == SATS) & blk_chain.outputs.spent_by_txid.notna()]
    assert sorted(int(txh[t]) for t in peeled.spent_by_txid) == [187, 221]


def test_blocks_out_of_order_give_the_same_chain(tmp_path, records, blk_chain):
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    assert shuffled != records
    chain = ct.load_blk_files(write_blk(tmp_path / "blk00000.dat", shuffled))
    assert chain == blk_chain


@settings(max_examples=5)
@given(st.integers(1, 255))
def test_blocks_split_over_two_files_give_the_same_chain(tmp_path_factory, records, cut):
    recs = records
    d = tmp_path_factory.mktemp("blk")
    a = write_blk(d / "blk00001.dat", recs[cut:])  # the later blocks first
    b = write_blk(d / "blk00000.dat", recs[:cut])
    chain = ct.load_blk_files([a, b])
    assert len(chain.blocks) == 256 and chain.blocks.height.tolist() == list(range(256))


def test_zero_padding_and_xor_obfuscation_of_core_28(tmp_path, records, blk_chain):
    p = write_blk(tmp_path / "blk00000.dat", records)
    p.write_bytes(p.read_bytes() + bytes(4096))  # Core pre-allocates files with zeros
    assert ct.load_blk_files(p) == blk_chain
    key = bytes.fromhex("a1b2c3d4e5f60718")
    data = np.frombuffer(p.read_bytes(), np.uint8)
    (tmp_path / "xor.dat").write_bytes(key)
    p.write_bytes((data ^ np.resize(np.frombuffer(key, np.uint8), len(data))).tobytes())
    assert ct.load_blk_files(p) == blk_chain


def test_altered_transaction_fails_the_merkle_check(tmp_path, records):
    rec = bytearray(records[170])
    pos = bytes(rec).find(struct.pack("<Q", 10 * SATS))  # Hal's 10 BTC output
    assert pos > 80
    rec[pos : pos + 8] = struct.pack("<Q", 100 * SATS)  # a forger pays Hal 100 BTC instead
    p = write_blk(tmp_path / "blk00000.dat", records[:170] + [bytes(rec)] + records[171:])
    with pytest.raises(E.MerkleRootError, match="merkle root") as err:
        ct.load_blk_files(p)
    assert sha256d(records[170][:80])[::-1].hex() in str(err.value)
    # the check can be switched off (and then the 100 BTC is what the bytes say)
    forged = ct.load_blk_files(p, check_merkle=False, validate=False)
    assert (
        int(
            forged.outputs.set_index(["txid", "vout"]).value.loc[
                forged.txs.txid[forged.txs.block_height == 170].iloc[1], 0
            ]
        )
        == 100 * SATS
    )


def test_bad_magic_and_truncated_records_give_clear_errors(tmp_path, records):
    p = write_blk(tmp_path / "blk00000.dat", records[:3], magic=bytes.fromhex("0b110907"))
    with pytest.raises(E.InputFormatError, match="block marker f9beb4d9"):
        ct.load_blk_files(p)
    good = write_blk(tmp_path / "blk00001.dat", records[:3])
    good.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(E.InputFormatError, match="truncated"):
        ct.load_blk_files(good)
    with pytest.raises(E.InputFormatError, match="no file"):
        ct.load_blk_files(tmp_path / "missing.dat")
    with pytest.raises(E.InputFormatError, match="blk"):
        ct.load_raw_blocks(good)  # a blk file is not one raw block


@settings(max_examples=40)
@given(st.data())
def test_any_truncated_block_is_an_input_format_error(records, data):
    rec = records[170]
    cut = data.draw(st.integers(0, len(rec) - 1))
    with pytest.raises(E.InputFormatError):
        ct.load_raw_blocks(rec[:cut], heights=170)


def test_a_block_without_its_parent_needs_a_height(records):
    with pytest.raises(E.InputFormatError, match="heights="):
        ct.load_raw_blocks(records[170])
    chain = ct.load_raw_blocks(records[170], heights=170)
    assert chain.tx(HAL_TX).block_height == 170
    assert chain.tx(HAL_TX).inputs.is_external.all()  # block 9 is not loaded
    assert chain.tx(HAL_TX).fee is None


def _block(prev_hash_hex: str, txs: list[bytes], time: int) -> bytes:
    ids = [sha256d(t) for t in txs]
    merkle = wire.merkle_root(ids)
    header = struct.pack("<i32s32sIII", 1, bytes.fromhex(prev_hash_hex)[::-1], merkle, time, 0x1D00FFFF, 0)
    return header + bytes([len(txs)]) + b"".join(txs)


def _coinbase(tag: bytes, value: int, script: bytes) -> bytes:
    sig = bytes([len(tag)]) + tag
    return (
        struct.pack("<i", 1)
        + b"\x01"
        + bytes(32)
        + b"\xff\xff\xff\xff"
        + bytes([len(sig)])
        + sig
        + b"\xff\xff\xff\xff"
        + b"\x01"
        + struct.pack("<Q", value)
        + bytes([len(script)])
        + script
        + struct.pack("<I", 0)
    )


def test_a_stale_fork_block_is_left_out_with_a_warning(tmp_path, records):
    parent = sha256d(records[1][:80])[::-1].hex()
    script = bytes.fromhex("76a914") + bytes(20) + bytes.fromhex("88ac")
    stale = _block(parent, [_coinbase(b"stale", 50 * SATS, script)], 1231470000)
    p = write_blk(tmp_path / "blk00000.dat", records[:4] + [stale])
    with pytest.raises(E.ProofOfWorkError, match=sha256d(stale[:80])[::-1].hex()):
        ct.load_blk_files(p)  # a made-up block carries no proof of work ...
    with pytest.warns(UserWarning, match="stale"):
        chain = ct.load_blk_files(p, check_pow=False)  # ... so this test switches that check off
    assert chain.blocks.height.tolist() == [0, 1, 2, 3]
    assert sha256d(stale[:80])[::-1].hex() not in set(chain.blocks.hash)


# ---------------------------------------------------------------------- block 702861
def test_block_702861_facts(block_702861, chain_702861):
    c = chain_702861
    assert c.blocks.height.tolist() == [702861]  # from the BIP 34 height in the coinbase
    assert c.blocks.hash.iloc[0] == BLOCK_702861
    assert len(c.txs) == 2500
    assert int((c.txs.vsize < c.txs["size"]).sum()) == 2065  # segwit transactions
    # the sizes add up to the whole block: 80-byte header + 3-byte count + every tx
    assert 80 + 3 + int(c.txs["size"].sum()) == len(block_702861)
    cb = c.txs[c.txs.is_coinbase]
    assert len(cb) == 1
    assert int(c.outputs[c.outputs.txid == cb.txid.iloc[0]].value.sum()) >= 625_000_000  # 6.25 BTC subsidy
    assert c.blocks.time.iloc[0].strftime("%Y-%m") == "2021-09"
    header = raw.parse_block(block_702861)["header"]
    assert header.hash.iloc[0] == BLOCK_702861


def test_block_702861_merkle_root_is_checked(block_702861):
    # swap two transactions: same bytes, wrong order, so the merkle root no longer matches
    p = raw.parse_block(block_702861)
    assert len(p["txs"]) == 2500
    merkle = bytes.fromhex(wire._HEADER.unpack_from(block_702861, 0)[2][::-1].hex())[::-1]
    ids = [bytes.fromhex(t)[::-1] for t in p["txs"].txid]
    assert wire.merkle_root(ids) == merkle
    assert wire.merkle_root(ids[:1] + ids[2:3] + ids[1:2] + ids[3:]) != merkle


def test_block_702861_agrees_with_bitcoinlib(block_702861, chain_702861):
    from cryptotrace._bcl import configure

    configure()
    from bitcoinlib.blocks import Block

    b = Block.parse_bytes(block_702861, parse_transactions=True)
    c = chain_702861
    assert len(b.transactions) == len(c.txs)
    assert sum(len(t.inputs) for t in b.transactions) == len(c.inputs)
    assert sum(len(t.outputs) for t in b.transactions) == len(c.outputs)
    assert sum(o.value for t in b.transactions for o in t.outputs) == c.total_output_value
    theirs = [(o.address or None) for t in b.transactions for o in t.outputs]
    ours = c.outputs.address.astype(object).where(c.outputs.address.notna(), None).tolist()
    agree = [a == x for a, x in zip(theirs, ours) if a is not None and x is not None]
    assert len(agree) > 5900 and all(agree)


# ---------------------------------------------------------------------- raw transactions
def _tx_bytes_from_block(rec: bytes, index: int) -> bytes:
    cols = wire.Columns()
    pos = 81
    for _ in range(index):
        pos, _, _ = wire.parse_txs(rec, pos, 1, cols, 0, "t")
    end, _, _ = wire.parse_txs(rec, pos, 1, cols, 0, "t")
    return rec[pos:end]


def test_raw_transactions_from_hex_and_files(tmp_path, records):
    hal = _tx_bytes_from_block(records[170], 1)
    cb9 = _tx_bytes_from_block(records[9], 0)
    assert sha256d(hal)[::-1].hex() == HAL_TX
    alone = ct.load_raw_transactions(hal.hex())
    assert alone.txs.txid.tolist() == [HAL_TX]
    assert alone.txs.block_height.isna().all() and alone.inputs.is_external.all()
    f = tmp_path / "txs.hex"
    f.write_text(f"# two raw transactions\n{cb9.hex()}\n{hal.hex()}\n")
    both = ct.load_raw_transactions(f)
    assert not both.tx(HAL_TX).inputs.is_external.any()  # joined to block 9's coinbase output
    assert both.tx(HAL_TX).fee == 0
    with pytest.raises(E.InputFormatError, match="line 2"):
        (tmp_path / "bad.hex").write_text(f"{hal.hex()}\nnot hex at all\n")
        ct.load_raw_transactions(tmp_path / "bad.hex")


# ---------------------------------------------------------------------- properties
def _varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    return b"\xfd" + struct.pack("<H", n)


scripts = st.one_of(
    st.binary(min_size=20, max_size=20).map(lambda h: b"\x76\xa9\x14" + h + b"\x88\xac"),
    st.binary(min_size=20, max_size=20).map(lambda h: b"\xa9\x14" + h + b"\x87"),
    st.binary(min_size=20, max_size=20).map(lambda h: b"\x00\x14" + h),
    st.binary(min_size=32, max_size=32).map(lambda h: b"\x00\x20" + h),
    st.binary(min_size=32, max_size=32).map(lambda h: b"\x51\x20" + h),
    st.binary(min_size=33, max_size=33).map(lambda k: b"\x21" + k + b"\xac"),
    st.binary(min_size=65, max_size=65).map(lambda k: b"\x41" + k + b"\xac"),
    st.binary(max_size=40).map(lambda d: b"\x6a" + d),
    st.lists(st.binary(min_size=33, max_size=33), min_size=1, max_size=3).map(  # bare multisig m-of-n
        lambda ks: bytes([0x51]) + b"".join(b"\x21" + k for k in ks) + bytes([0x50 + len(ks), 0xAE])
    ),
    st.binary(max_size=60),
)


@st.composite
def transactions(draw):
    n_in = draw(st.integers(1, 4))
    ins = [
        (
            draw(st.binary(min_size=32, max_size=32)),
            draw(st.integers(0, 2**32 - 2)),
            draw(st.binary(max_size=80)),
            draw(st.integers(0, 2**32 - 1)),
        )
        for _ in range(n_in)
    ]
    outs = [(draw(st.integers(0, 21 * 10**14)), draw(scripts)) for _ in range(draw(st.integers(1, 4)))]
    wit = (
        [[draw(st.binary(max_size=80)) for _ in range(draw(st.integers(0, 3)))] for _ in range(n_in)]
        if draw(st.booleans())
        else None
    )
    return draw(st.integers(1, 2)), ins, outs, wit, draw(st.integers(0, 2**32 - 1))


def serialize(tx, witness: bool) -> bytes:
    version, ins, outs, wit, lock = tx
    body = _varint(len(ins)) + b"".join(
        p + struct.pack("<I", v) + _varint(len(s)) + s + struct.pack("<I", q) for p, v, s, q in ins
    )
    body += _varint(len(outs)) + b"".join(struct.pack("<Q", v) + _varint(len(s)) + s for v, s in outs)
    if witness and wit is not None:
        w = b"".join(_varint(len(stack)) + b"".join(_varint(len(i)) + i for i in stack) for stack in wit)
        return struct.pack("<i", version) + b"\x00\x01" + body + w + struct.pack("<I", lock)
    return struct.pack("<i", version) + body + struct.pack("<I", lock)


@settings(max_examples=60)
@given(st.lists(transactions(), min_size=1, max_size=4))
def test_parser_reads_back_what_was_serialized(txs):
    data = b"".join(serialize(t, witness=True) for t in txs)
    p = raw.parse_transactions(data)
    want_ids = [sha256d(serialize(t, witness=False))[::-1].hex() for t in txs]
    assert p["txs"].txid.tolist() == want_ids  # witness never enters the txid
    assert p["txs"]["size"].tolist() == [len(serialize(t, witness=True)) for t in txs]
    stripped = [len(serialize(t, witness=False)) for t in txs]
    assert p["txs"].vsize.tolist() == [-(-(s * 3 + len(serialize(t, True))) // 4) for s, t in zip(stripped, txs)]
    assert p["outputs"].value.tolist() == [v for t in txs for v, _ in t[2]]
    assert p["inputs"].prev_txid.tolist() == [h[::-1].hex() for t in txs for h, *_ in t[1]]
    assert p["inputs"].prev_vout.astype(int).tolist() == [v for t in txs for _, v, *_ in t[1]]
    assert p["txs"].locktime.tolist() == [t[4] for t in txs]
    want = [script_address(s) for t in txs for _, s in t[2]]
    got = [(None if pd.isna(a) else a, k) for a, k in zip(p["outputs"].address, p["outputs"].script_type)]
    assert got == want


@settings(max_examples=40)
@given(st.lists(scripts, min_size=1, max_size=30))
def test_bulk_script_decoding_equals_address_from_script(ss):
    addrs, kinds = addresses_of_scripts(ss)
    for s, a, k in zip(ss, addrs, kinds):
        ref = address_from_script(s)
        if ref[1] == "witness_unknown" and s[0] == 0:
            assert (a, k) == (None, "nonstandard")
        else:
            assert (a, k) == ref


def test_bare_multisig_and_op_return_have_no_address():
    keys = b"".join(b"\x21\x02" + bytes([i]) * 32 for i in range(3))
    multisig = b"\x52" + keys + b"\x53\xae"  # 2-of-3
    assert addresses_of_scripts([multisig, b"\x6a\x04abcd"]) == ([None, None], ["multisig", "nulldata"])


def test_bulk_script_decoding_on_a_real_block(block_702861):
    cols = wire.Columns()
    wire.parse_block_into(block_702861, cols, 0, "t", check_merkle=False)
    addrs, kinds = addresses_of_scripts(cols.script)
    assert list(zip(addrs, kinds)) == [address_from_script(s) for s in cols.script]
    assert encode_address("p2pkh", bytes(20)) in addresses_of_scripts([b"\x76\xa9\x14" + bytes(20) + b"\x88\xac"])[0]
