"""One address codec: the bulk encoder agrees with the one-at-a-time encoder and with bitcoinlib."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptotrace import errors as E
from cryptotrace.addresses import decode_address, encode_address, encode_addresses

SIZES = {"p2pkh": 20, "p2sh": 20, "p2wpkh": 20, "p2wsh": 32, "p2tr": 32}


@given(st.sampled_from(sorted(SIZES)), st.data())
def test_bulk_encoding_is_the_single_encoding_and_decodes_back(script_type, data):
    size = SIZES[script_type]
    payloads = data.draw(st.lists(st.binary(min_size=size, max_size=size), min_size=1, max_size=12))
    bulk = encode_addresses(script_type, payloads)
    assert bulk == [encode_address(script_type, p) for p in payloads]
    assert encode_addresses(script_type, np.frombuffer(b"".join(payloads), np.uint8).reshape(-1, size)) == bulk
    assert [decode_address(a) for a in bulk] == [(script_type, p) for p in payloads]


@given(st.sampled_from(["p2pkh", "p2sh"]), st.integers(0, 20), st.binary(min_size=20, max_size=20))
def test_base58_leading_zero_bytes_become_leading_ones(script_type, zeros, tail):
    payload = bytes(zeros) + tail[zeros:]
    assert encode_addresses(script_type, [payload]) == [encode_address(script_type, payload)]


def test_against_bitcoinlib_the_outside_reference():
    from cryptotrace._bcl import bitcoinlib_encoding

    enc = bitcoinlib_encoding()
    rng = np.random.default_rng(7)
    for script_type, size in SIZES.items():
        payloads = [rng.bytes(size) for _ in range(25)]
        ours = encode_addresses(script_type, payloads)
        if script_type in ("p2pkh", "p2sh"):
            theirs = [
                enc.pubkeyhash_to_addr(p, prefix=b"\x00" if script_type == "p2pkh" else b"\x05") for p in payloads
            ]
        else:
            theirs = [
                enc.pubkeyhash_to_addr_bech32(p, prefix="bc", witver=1 if script_type == "p2tr" else 0)
                for p in payloads
            ]
        assert ours == theirs, script_type


def test_wrong_sizes_and_kinds_are_refused_with_the_fix():
    with pytest.raises(E.InvalidAddressError, match="20-byte"):
        encode_addresses("p2wpkh", [bytes(32)])
    with pytest.raises(E.InvalidAddressError, match="known"):
        encode_addresses("p2pk", [bytes(20)])
    assert encode_addresses("p2tr", []) == []
