"""Many synthetic addresses at once: a numpy bech32/bech32m encoder.

:func:`cryptotrace.addresses.random_addresses` encodes one address at a time
(about 40,000 bech32 addresses a second). A million-transaction economy needs
millions of addresses, so this module computes the bech32 checksums of all
addresses of one kind together, column by column, with numpy. The results are
the same strings ``encode_address`` gives (the tests check it).
"""

from __future__ import annotations

import numpy as np

from ..addresses import _HRP_CHK, encode_address, polymod_columns

_CHARSET = np.frombuffer(b"qpzry9x8gf2tvdw0s3jn54khce6mua7l", dtype=np.uint8)
_SIZES = {"p2pkh": 20, "p2sh": 20, "p2wpkh": 20, "p2wsh": 32, "p2tr": 32}


def _to5(payload: np.ndarray) -> np.ndarray:
    """(n, k) bytes -> (n, ceil(8k/5)) 5-bit groups (padded), vectorised."""
    n, k = payload.shape
    bits = np.unpackbits(payload, axis=1)  # (n, 8k)
    pad = (-bits.shape[1]) % 5
    if pad:
        bits = np.concatenate([bits, np.zeros((n, pad), dtype=np.uint8)], axis=1)
    groups = bits.reshape(n, -1, 5)
    w = np.array([16, 8, 4, 2, 1], dtype=np.uint8)
    return (groups * w).sum(axis=2).astype(np.uint32)


def _bech32_chars(witver: int, payload: np.ndarray) -> np.ndarray:
    """The addresses as an ``(n, width)`` uint8 matrix of ASCII characters (all have one width)."""
    n = payload.shape[0]
    data = np.concatenate([np.full((n, 1), witver, dtype=np.uint32), _to5(payload)], axis=1)
    chk = polymod_columns(np.full(n, _HRP_CHK, dtype=np.uint32),
                          np.concatenate([data, np.zeros((n, 6), dtype=np.uint32)], axis=1))
    chk = chk ^ np.uint32(1 if witver == 0 else 0x2BC830A3)
    checksum = np.stack([(chk >> (5 * (5 - i))) & 31 for i in range(6)], axis=1)
    full = np.concatenate([data, checksum], axis=1)
    chars = _CHARSET[full]  # (n, L) uint8
    prefix = np.frombuffer(b"bc1", dtype=np.uint8)
    return np.ascontiguousarray(np.concatenate([np.broadcast_to(prefix, (n, 3)), chars], axis=1))


def fixed_width_strings(chars: np.ndarray):
    """An ``(n, width)`` uint8 matrix of ASCII text as an Arrow string array, without a Python string per row."""
    import pyarrow as pa

    n, width = chars.shape
    offsets = np.arange(n + 1, dtype=np.int64) * width
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets),
                                                        pa.py_buffer(np.ascontiguousarray(chars))])


def address_array(script_type: str, payload: np.ndarray):
    """Encode an ``(n, size)`` uint8 array of hashes as an Arrow string array of mainnet addresses.

    The compact form the economy simulator keeps millions of addresses in
    (bech32 kinds never become Python strings; base58 ones are encoded one by one).
    """
    import pyarrow as pa

    payload = np.ascontiguousarray(payload, dtype=np.uint8)
    if payload.shape[0] == 0:
        return pa.array([], type=pa.large_string())
    if script_type in ("p2wpkh", "p2wsh", "p2tr"):
        return fixed_width_strings(_bech32_chars(1 if script_type == "p2tr" else 0, payload))
    raw = payload.tobytes()
    size = payload.shape[1]
    return pa.array([encode_address(script_type, raw[i * size:(i + 1) * size]) for i in range(payload.shape[0])],
                    type=pa.large_string())


def addresses_from_payloads(script_type: str, payload: np.ndarray) -> list[str]:
    """Encode an ``(n, size)`` uint8 array of hashes as mainnet addresses of one script type."""
    return address_array(script_type, payload).to_pylist()


def fast_random_addresses(rng: np.random.Generator, n: int, script_type: str) -> list[str]:
    """``n`` valid random addresses of ``script_type`` (duplicates are astronomically unlikely)."""
    size = _SIZES[script_type]
    payload = np.frombuffer(rng.bytes(size * n), dtype=np.uint8).reshape(n, size)
    return addresses_from_payloads(script_type, payload)
