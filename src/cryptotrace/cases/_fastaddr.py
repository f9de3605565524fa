"""Many synthetic addresses at once, kept as Arrow strings.

The economy simulator makes millions of addresses; :func:`cryptotrace.addresses.encode_addresses`
encodes a whole column of hashes at once (bech32 checksums and Base58 digits computed with numpy),
and this module keeps bech32 addresses as one Arrow buffer instead of a Python string each.
"""

from __future__ import annotations

import numpy as np

from ..addresses import bech32_chars, encode_addresses

_SIZES = {"p2pkh": 20, "p2sh": 20, "p2wpkh": 20, "p2wsh": 32, "p2tr": 32}


def fixed_width_strings(chars: np.ndarray):
    """An ``(n, width)`` uint8 matrix of ASCII text as an Arrow string array, without a Python string per row."""
    import pyarrow as pa

    n, width = chars.shape
    offsets = np.arange(n + 1, dtype=np.int64) * width
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))]
    )


def address_array(script_type: str, payload: np.ndarray):
    """Encode an ``(n, size)`` uint8 array of hashes as an Arrow string array of mainnet addresses.

    The compact form the economy simulator keeps millions of addresses in (bech32 kinds never
    become Python strings).
    """
    import pyarrow as pa

    payload = np.ascontiguousarray(payload, dtype=np.uint8)
    if payload.shape[0] == 0:
        return pa.array([], type=pa.large_string())
    if script_type in ("p2wpkh", "p2wsh", "p2tr"):
        return fixed_width_strings(bech32_chars(1 if script_type == "p2tr" else 0, payload))
    return pa.array(encode_addresses(script_type, payload), type=pa.large_string())


def addresses_from_payloads(script_type: str, payload: np.ndarray) -> list[str]:
    """Encode an ``(n, size)`` uint8 array of hashes as mainnet addresses of one script type."""
    return address_array(script_type, payload).to_pylist()


def fast_random_addresses(rng: np.random.Generator, n: int, script_type: str) -> list[str]:
    """``n`` valid random addresses of ``script_type`` (duplicates are astronomically unlikely)."""
    size = _SIZES[script_type]
    payload = np.frombuffer(rng.bytes(size * n), dtype=np.uint8).reshape(n, size)
    return addresses_from_payloads(script_type, payload)
