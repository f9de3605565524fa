"""Raw transaction bytes rebuilt from an Esplora JSON answer, for the tests that serve or read them.

Test infrastructure, not a test: the Esplora fixtures are JSON only, and their raw bytes are rebuilt
with the serialization every node uses (BIP 144 layout when a transaction has witnesses).
"""

from __future__ import annotations

import hashlib
import struct


def sha256d(b: bytes) -> bytes:
    """Bitcoin's double SHA-256."""
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def varint(n: int) -> bytes:
    """Bitcoin's CompactSize length prefix (up to 2**32 - 1)."""
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def serialize(t: dict) -> bytes:
    """The raw bytes of an Esplora transaction object (BIP 144 layout when it has witnesses)."""
    segwit = any(v.get("witness") for v in t["vin"])
    out = struct.pack("<i", t["version"]) + (b"\x00\x01" if segwit else b"") + varint(len(t["vin"]))
    for v in t["vin"]:
        ss = bytes.fromhex(v["scriptsig"])
        out += bytes.fromhex(v["txid"])[::-1] + struct.pack("<I", v["vout"]) + varint(len(ss)) + ss
        out += struct.pack("<I", v["sequence"])
    out += varint(len(t["vout"]))
    for o in t["vout"]:
        spk = bytes.fromhex(o["scriptpubkey"])
        out += struct.pack("<Q", o["value"]) + varint(len(spk)) + spk
    if segwit:
        for v in t["vin"]:
            items = [bytes.fromhex(w) for w in v.get("witness") or []]
            out += varint(len(items)) + b"".join(varint(len(w)) + w for w in items)
    return out + struct.pack("<I", t["locktime"])
