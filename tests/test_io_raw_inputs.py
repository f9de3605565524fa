"""Every input has its address, also in a slice of blocks: the spender's address from its own bytes.

Outside references:
* Esplora's indexer (``esplora-cases/``): every input there carries its scriptSig, witness and the
  spent output's address, as the server resolved it from the ledger;
* blockchain-etl's export of Bitcoin Core answers (``core-rpc/*/expected_transactions.json``):
  input scripts with the spent output's addresses;
* the real blocks: inputs spending an output inside the same data (then both are known);
* bitcoinlib's address encoder for keys and scripts made up by hypothesis.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace.io import raw
from cryptotrace.io._script import spender_addresses, spent_script

BLOCK = "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw"
WASABI_702861 = "5c2f55fc17854a18f447d74e32356c9ff6faf43bf937ed13611857b2bb3fef3a"


def _esplora_inputs(real_data):
    """(scriptsig bytes, witness list, prevout address, prevout type) of every non-coinbase input."""
    rows = []
    for f in sorted((real_data / "esplora-cases").glob("*.json")):
        data = json.loads(f.read_text())
        for tx in data if isinstance(data, list) else [data]:
            if not isinstance(tx, dict) or "vin" not in tx:
                continue
            for v in tx["vin"]:
                if v.get("is_coinbase"):
                    continue
                rows.append(
                    (
                        bytes.fromhex(v["scriptsig"]),
                        [bytes.fromhex(w) for w in v.get("witness") or []],
                        v["prevout"].get("scriptpubkey_address"),
                        v["prevout"]["scriptpubkey_type"],
                    )
                )
    return rows


def test_esplora_inputs_all_derive_the_address_the_indexer_resolved(real_data):
    rows = _esplora_inputs(real_data)
    assert len(rows) == 671  # Colonial Pipeline, Bitfinex theft and seizure, Hydra, Whirlpool
    addrs, how = spender_addresses([r[0] for r in rows], [r[1] for r in rows])
    wrong = [(a, r[2]) for a, r in zip(addrs, rows) if a is not None and a != r[2]]
    assert wrong == []
    by_type = Counter((r[3], a is not None) for a, r in zip(addrs, rows))
    # every p2pkh, p2sh and p2wpkh input reveals its address
    assert by_type == Counter({("p2pkh", True): 568, ("p2sh", True): 57, ("v0_p2wpkh", True): 46})
    # the 2016 Bitfinex wallets were 2-of-3 P2SH multisig (BitGo): redeem scripts in the scriptSig
    assert Counter(how) == Counter({"p2pkh": 568, "p2sh": 56, "p2sh-p2wpkh": 1, "p2wpkh": 46})


def test_blockchain_etl_pay_to_public_key_spends_claim_no_address(real_data):
    """The 2010 inputs in the Core RPC exports spend pay-to-public-key coins: a signature alone.

    Claiming an address there would be a guess; it must stay unknown (the export, where it
    resolved the prevout, says ``type: pubkey``).
    """
    seen = Counter()
    for f in sorted((real_data / "core-rpc").glob("*/expected_transactions.json")):
        for line in f.read_text().splitlines():
            tx = json.loads(line)
            for i in tx["inputs"]:
                assert spent_script(bytes.fromhex(i["script_hex"]), None) == (None, "p2pk-or-bare")
                seen[i["type"]] += 1
    assert seen == Counter({"pubkey": 3, None: 3})


def test_block_702861_gives_every_input_an_address(real_data):
    chain = ct.load_raw_blocks(real_data / "blocks" / BLOCK)
    spends = chain.inputs[chain.inputs.prev_txid.notna()]
    assert len(spends) == 6517
    assert spends.address.notna().mean() >= 0.99
    assert spends.address.notna().all()  # measured: all 6,517 (no taproot yet in September 2021)
    assert dict(spends.address_source.value_counts()) == {"script": 6190, "prevout": 327}
    assert chain.inputs.address_source[chain.inputs.prev_txid.isna()].isna().all()  # the coinbase


def test_block_702861_derived_addresses_equal_the_spent_outputs(real_data):
    """Where the spent output is in the same block, the derived address must be its address."""
    parsed = raw.parse_block((real_data / "blocks" / BLOCK).read_bytes())
    inputs, outputs = parsed["inputs"], parsed["outputs"]
    joined = inputs.merge(
        outputs[["txid", "vout", "address"]],
        left_on=["prev_txid", "prev_vout"],
        right_on=["txid", "vout"],
        suffixes=("", "_prevout"),
    )
    assert len(joined) == 327
    assert joined.address.notna().all()
    assert (joined.address == joined.address_prevout).all()


def test_blk_file_derived_addresses_equal_the_spent_outputs(real_data):
    parsed = raw.parse_transactions(b"")  # an empty parse is an empty table, not an error
    assert len(parsed["inputs"]) == 0
    for off, rec in raw.read_blk_records(real_data / "blocks" / "mainnet_blk_0-256.dat"):
        p = raw.parse_block(rec)
        j = p["inputs"].merge(
            p["outputs"][["txid", "vout", "address"]],
            left_on=["prev_txid", "prev_vout"],
            right_on=["txid", "vout"],
            suffixes=("", "_prevout"),
        )
        known = j.address.notna()
        assert (j.address[known] == j.address_prevout[known]).all(), off
    chain = ct.load_blk_files(real_data / "blocks" / "mainnet_blk_0-256.dat")
    spends = chain.inputs[chain.inputs.prev_txid.notna()]
    # 2009: every coin is pay-to-public-key, and its spend shows a signature only; all are joined
    assert set(spends.address_source) == {"prevout"}


def test_the_real_wasabi_coinjoin_in_a_raw_block_is_now_found(real_data):
    from cryptotrace import heuristics as H

    chain = ct.load_raw_blocks(real_data / "blocks" / BLOCK)
    flags = H.coinjoin.coinjoin(chain)
    assert bool(flags.iloc[chain.tx_position(WASABI_702861)])
    clusters = ct.Clustering().fit(chain)
    assert len(clusters.evidence_) > 3000  # measured 3,231 links; 14 before addresses were derived


def test_describe_says_what_inputs_lack(real_data):
    chain = ct.load_raw_blocks(real_data / "blocks" / BLOCK)
    text = chain.describe()
    assert "6,190 inputs have no value" in text
    assert "address" in text and "prevouts=" in text
    s = chain.summary()
    assert s["inputs_without_address"] == 0 and s["inputs_without_value"] == 6190


# ------------------------------------------------------------------ properties against bitcoinlib
_SIG = b"\x30\x44" + b"\x02" * 68 + b"\x01"  # shape of a DER signature with its sighash byte


def _push(b: bytes) -> bytes:
    if len(b) < 0x4C:
        return bytes([len(b)]) + b
    if len(b) < 256:
        return b"\x4c" + bytes([len(b)]) + b
    return b"\x4d" + len(b).to_bytes(2, "little") + b


@st.composite
def _pubkeys(draw):
    from cryptotrace._bcl import bitcoinlib_keys

    secret = draw(st.integers(1, 2**255))
    compressed = draw(st.booleans())
    key = bitcoinlib_keys().Key(secret, compressed=compressed)
    return key.public_byte if compressed else key.public_uncompressed_byte


@given(pub=_pubkeys(), form=st.sampled_from(["p2pkh", "p2wpkh", "p2sh_p2wpkh"]))
def test_single_key_spends_match_bitcoinlib(pub, form):
    from cryptotrace._bcl import bitcoinlib_keys
    from cryptotrace.addresses import hash160

    Address = bitcoinlib_keys().Address
    if form == "p2pkh":
        ss, wit = _push(_SIG) + _push(pub), None
    elif form == "p2wpkh":
        if len(pub) != 33:
            return  # segwit keys are compressed (BIP 143 policy)
        ss, wit = b"", [_SIG, pub]
    else:
        if len(pub) != 33:
            return
        ss, wit = _push(b"\x00\x14" + hash160(pub)), [_SIG, pub]
    expected = Address(pub, script_type=form, encoding="bech32" if form == "p2wpkh" else "base58").address
    assert spender_addresses([ss], [wit])[0] == [expected]


@given(
    keys=st.lists(_pubkeys(), min_size=1, max_size=4),
    m=st.integers(1, 4),
    form=st.sampled_from(["p2sh", "p2wsh", "p2sh_p2wsh"]),
)
def test_multisig_spends_match_bitcoinlib(keys, m, form):
    import hashlib

    from cryptotrace._bcl import bitcoinlib_keys

    m = min(m, len(keys))
    redeem = bytes([0x50 + m]) + b"".join(_push(k) for k in keys) + bytes([0x50 + len(keys), 0xAE])
    if form == "p2sh":
        ss, wit = b"\x00" + b"".join(_push(_SIG) for _ in range(m)) + _push(redeem), None
    elif form == "p2wsh":
        ss, wit = b"", [b""] + [_SIG] * m + [redeem]
    else:
        ss, wit = _push(b"\x00\x20" + hashlib.sha256(redeem).digest()), [b""] + [_SIG] * m + [redeem]
    enc = "bech32" if form == "p2wsh" else "base58"
    expected = bitcoinlib_keys().Address(redeem, script_type=form, encoding=enc).address
    assert spender_addresses([ss], [wit])[0] == [expected]


@pytest.mark.parametrize(
    "ss,wit,why",
    [
        (_push(_SIG), None, "p2pk-or-bare"),  # pay-to-public-key: a signature alone
        (b"\x00" + _push(_SIG) + _push(_SIG), None, "p2pk-or-bare"),  # bare multisig
        (b"", [b"\x01" * 64], "p2tr"),  # taproot key path
        (b"", [b"\x01" * 64, b"\x50\x00"], "p2tr"),  # ... with an annex
        (b"", [b"\x01", b"\x51", b"\xc0" + b"\x02" * 32], "p2tr"),  # taproot script path (control block)
        (b"\x76\xa9", None, "nonstandard"),  # not push-only
        (b"\x4c", None, "nonstandard"),  # a push that runs past the end
    ],
)
def test_inputs_that_do_not_reveal_their_address_stay_unknown(ss, wit, why):
    assert spent_script(ss, wit) == (None, why)


@given(ss=st.binary(max_size=120), wit=st.none() | st.lists(st.binary(max_size=80), max_size=4))
def test_any_bytes_give_an_address_or_unknown_never_an_exception(ss, wit):
    (addr,), (how,) = spender_addresses([ss], [wit])
    assert (addr is None) or addr[0] in "13b"
    assert how in {
        "p2pkh",
        "p2sh",
        "p2sh-p2wpkh",
        "p2sh-p2wsh",
        "p2wpkh",
        "p2wsh",
        "p2pk-or-bare",
        "p2tr",
        "nonstandard",
    }
