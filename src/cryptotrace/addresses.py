"""Bitcoin addresses: encode, decode, and read them from output scripts.

An *address* is a short text form of the script that locks an output.
Four families exist on mainnet:

=============  ===========================  ======================
script type    looks like                   encoding
=============  ===========================  ======================
``p2pkh``      ``1...``                     Base58Check, version 0x00
``p2sh``       ``3...``                     Base58Check, version 0x05
``p2wpkh``     ``bc1q...`` (42 characters)  bech32, witness v0
``p2wsh``      ``bc1q...`` (62 characters)  bech32, witness v0
``p2tr``       ``bc1p...``                  bech32m, witness v1
=============  ===========================  ======================

An old *pay-to-public-key* (``p2pk``) output has no address of its own;
like block explorers, cryptotrace shows it as the ``1...`` address of the
key's hash, so Satoshi's coins can be followed like any others.

This module is small and fast on purpose: validating the millions of
addresses of a large chain with bitcoinlib would take minutes, so the
decoder is written here from BIP 173 / BIP 350 / Base58Check and the tests
check that it agrees with bitcoinlib.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from .errors import InvalidAddressError

__all__ = [
    "SCRIPT_TYPES",
    "address_from_script",
    "classify_addresses",
    "decode_address",
    "encode_address",
    "encode_addresses",
    "hash160",
    "invalid_addresses",
    "is_valid_address",
    "random_addresses",
    "script_type_of_address",
]

#: The script types cryptotrace knows, with a plain description of each.
SCRIPT_TYPES = {
    "p2pk": "pay to public key (the oldest form, used by early miners)",
    "p2pkh": "pay to public key hash (legacy '1...' address)",
    "p2sh": "pay to script hash ('3...' address; multisig or wrapped segwit)",
    "p2wpkh": "pay to witness public key hash (native segwit 'bc1q...')",
    "p2wsh": "pay to witness script hash (native segwit 'bc1q...', long)",
    "p2tr": "pay to taproot ('bc1p...')",
    "multisig": "bare multisig (no address)",
    "nulldata": "OP_RETURN data (no address, carries no spendable value)",
    "nonstandard": "a script of no standard form (no address)",
    "witness_unknown": "a future segwit version",
}

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_VERSIONS = {0x00: "p2pkh", 0x05: "p2sh"}
_VERSION_OF = {"p2pkh": 0x00, "p2sh": 0x05}


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    """RIPEMD-160 of SHA-256: the hash inside ``1...`` and ``bc1q...`` addresses."""
    sha = hashlib.sha256(data).digest()
    try:
        return hashlib.new("ripemd160", sha).digest()
    except ValueError:  # OpenSSL without RIPEMD-160: fall back to bitcoinlib's own
        from ._bcl import bitcoinlib_encoding

        return bitcoinlib_encoding().ripemd160(sha)


# --- Base58Check ---------------------------------------------------------------
def _b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def _b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        n = n * 58 + _B58_INDEX[c]  # KeyError for a bad character
    pad = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


# --- bech32 / bech32m ----------------------------------------------------------
def _polymod(values: Iterable[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        b = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (b >> i) & 1:
                chk ^= gen[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _convertbits(data: Iterable[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    acc = bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return ret


def _segwit_encode(hrp: str, witver: int, program: bytes) -> str:
    data = [witver] + _convertbits(program, 8, 5, True)
    const = _BECH32_CONST if witver == 0 else _BECH32M_CONST
    values = _hrp_expand(hrp) + data
    pm = _polymod(values + [0] * 6) ^ const
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def _segwit_decode(addr: str) -> tuple[int, bytes]:
    if addr.lower() != addr and addr.upper() != addr:
        raise ValueError("mixes upper and lower case")
    addr = addr.lower()
    pos = addr.rfind("1")
    if pos < 1 or pos + 7 > len(addr) or len(addr) > 90:
        raise ValueError("has no valid separator or a bad length")
    hrp = addr[:pos]
    if hrp != "bc":
        raise ValueError(f"is not a mainnet address (prefix {hrp!r}, expected 'bc')")
    try:
        data = [_BECH32_INDEX[c] for c in addr[pos + 1 :]]
    except KeyError as exc:
        raise ValueError(f"holds the character {exc.args[0]!r}, which bech32 does not use") from None
    const = _polymod(_hrp_expand(hrp) + data)
    witver = data[0]
    if const != (_BECH32_CONST if witver == 0 else _BECH32M_CONST):
        raise ValueError("has a wrong checksum (a typing error?)")
    prog = _convertbits(data[1:-6], 5, 8, False)
    if prog is None or not 2 <= len(prog) <= 40 or witver > 16:
        raise ValueError("has a witness program of the wrong size")
    if witver == 0 and len(prog) not in (20, 32):
        raise ValueError("has a version-0 witness program that is neither 20 nor 32 bytes")
    return witver, bytes(prog)


# --- public API ----------------------------------------------------------------
def encode_address(script_type: str, payload: bytes) -> str:
    """Encode a hash (or taproot key) as a mainnet address.

    Parameters
    ----------
    script_type : {"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"}
    payload : bytes
        20 bytes for p2pkh, p2sh and p2wpkh; 32 bytes for p2wsh and p2tr.

    Examples
    --------
    >>> encode_address("p2pkh", bytes(20))
    '1111111111111111111114oLvT2'
    """
    sizes = {"p2pkh": 20, "p2sh": 20, "p2wpkh": 20, "p2wsh": 32, "p2tr": 32}
    if script_type not in sizes:
        raise InvalidAddressError(
            f"cannot encode an address of script type {script_type!r}; use one of {', '.join(sizes)}"
        )
    if len(payload) != sizes[script_type]:
        raise InvalidAddressError(f"a {script_type} address needs {sizes[script_type]} bytes, got {len(payload)}")
    if script_type in _VERSION_OF:
        raw = bytes([_VERSION_OF[script_type]]) + payload
        return _b58encode(raw + _sha256d(raw)[:4])
    return _segwit_encode("bc", 1 if script_type == "p2tr" else 0, payload)


def decode_address(address: str) -> tuple[str, bytes]:
    """Decode a mainnet address into ``(script_type, payload)``.

    Raises
    ------
    InvalidAddressError
        If the text is not a valid mainnet Bitcoin address; the message says why.

    Examples
    --------
    >>> decode_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")[0]
    'p2pkh'
    """
    if not isinstance(address, str) or not address:
        raise InvalidAddressError(f"address {address!r} is empty or not text; give the address as text")
    why = None
    if address[:3].lower() == "bc1":
        try:
            witver, prog = _segwit_decode(address)
        except ValueError as exc:
            why = str(exc)
        else:
            if witver == 0:
                return ("p2wpkh" if len(prog) == 20 else "p2wsh"), prog
            if witver == 1 and len(prog) == 32:
                return "p2tr", prog
            return "witness_unknown", prog
    else:
        try:
            raw = _b58decode(address)
        except KeyError as exc:
            why = f"holds the character {exc.args[0]!r}, which Base58 does not use"
        else:
            if len(raw) != 25:
                why = "has the wrong length for a '1...' or '3...' address"
            elif _sha256d(raw[:21])[:4] != raw[21:]:
                why = "has a wrong checksum (a typing error?)"
            elif raw[0] not in _VERSIONS:
                why = f"has version byte {raw[0]}, which is not a mainnet address"
            else:
                return _VERSIONS[raw[0]], raw[1:21]
    raise InvalidAddressError(
        f"address {address!r} does not decode: it {why}. Copy it again from its source, "
        "and check it is a Bitcoin mainnet address."
    )


def is_valid_address(address: str) -> bool:
    """True if ``address`` is a valid mainnet Bitcoin address.

    Examples
    --------
    >>> is_valid_address("bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls")
    True
    >>> is_valid_address("not an address")
    False
    """
    try:
        decode_address(address)
    except InvalidAddressError:
        return False
    return True


def script_type_of_address(address: str) -> str:
    """The script type an address pays to (``"p2pkh"``, ``"p2wpkh"`` ...)."""
    return decode_address(address)[0]


def invalid_addresses(addresses: Iterable[str | None]) -> list[str]:
    """The distinct addresses in ``addresses`` that do not decode (missing values are skipped)."""
    uniq = [a for a in dict.fromkeys(addresses) if isinstance(a, str)]
    _, valid = classify_addresses(uniq)
    return [a for a, ok in zip(uniq, valid) if not ok]


def random_addresses(rng: np.random.Generator, n: int, script_type: str = "p2wpkh") -> list[str]:
    """``n`` distinct, valid addresses made from random hashes (fast; no keys exist for them).

    Synthetic datasets use these: they decode like real addresses, but nobody
    holds a key for them. Tens of thousands are made per second.

    >>> rng = np.random.default_rng(1)
    >>> all(is_valid_address(a) for a in random_addresses(rng, 3, "p2pkh"))
    True
    """
    size = 32 if script_type in ("p2wsh", "p2tr") else 20
    raw = rng.bytes(size * n)
    return [encode_address(script_type, raw[i * size : (i + 1) * size]) for i in range(n)]


# --- scripts -------------------------------------------------------------------
def address_from_script(script: bytes) -> tuple[str | None, str]:
    """Read the address and script type from an output script (scriptPubKey).

    Returns ``(address, script_type)``; ``address`` is ``None`` for bare
    multisig, OP_RETURN data and nonstandard scripts. A pay-to-public-key
    output is given the ``1...`` address of its key's hash.

    >>> address_from_script(bytes.fromhex("0014" + "00" * 20))[1]
    'p2wpkh'
    """
    n = len(script)
    if n == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac":
        return encode_address("p2pkh", script[3:23]), "p2pkh"
    if n == 23 and script[:2] == b"\xa9\x14" and script[22] == 0x87:
        return encode_address("p2sh", script[2:22]), "p2sh"
    if n == 22 and script[:2] == b"\x00\x14":
        return encode_address("p2wpkh", script[2:]), "p2wpkh"
    if n == 34 and script[:2] == b"\x00\x20":
        return encode_address("p2wsh", script[2:]), "p2wsh"
    if n == 34 and script[:2] == b"\x51\x20":
        return encode_address("p2tr", script[2:]), "p2tr"
    if (n == 67 and script[0] == 65 and script[-1] == 0xAC) or (n == 35 and script[0] == 33 and script[-1] == 0xAC):
        return encode_address("p2pkh", hash160(script[1:-1])), "p2pk"
    if n >= 1 and script[0] == 0x6A:
        return None, "nulldata"
    if 4 <= n <= 42 and 0x51 <= script[0] <= 0x60 and script[1] == n - 2:
        # a future segwit version (a version-0 program of another size is unspendable: nonstandard)
        return _segwit_encode("bc", script[0] - 0x50, script[2:]), "witness_unknown"
    if n >= 37 and script[-1] == 0xAE and 0x51 <= script[0] <= 0x60 and 0x51 <= script[-2] <= 0x60:
        return None, "multisig"
    return None, "nonstandard"


# --- many addresses at once ------------------------------------------------------
_LUT32 = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(_BECH32):
    _LUT32[ord(_c)] = _i
_LUT58 = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(_B58):
    _LUT58[ord(_c)] = _i
_GEN = np.array([0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3], dtype=np.uint32)
#: the bech32 checksum state after the mainnet prefix "bc" (BIP 173 ``hrp_expand``)
HRP_CHECKSUM = np.uint32(_polymod(_hrp_expand("bc")))
_CHUNK = 1 << 17  # addresses checked per numpy pass (bounds memory: ~100 MB per pass)


#: the BIP 173 generator folded into a 32-entry table: one lookup per 5-bit step instead of five tests
_TAB = np.array(
    [np.bitwise_xor.reduce([int(g) for i, g in enumerate(_GEN) if b >> i & 1] or [0]) for b in range(32)],
    dtype=np.uint32,
)
_CHARSET32 = np.frombuffer(_BECH32.encode("ascii"), dtype=np.uint8)
_CHARSET58 = np.frombuffer(_B58.encode("ascii"), dtype=np.uint8)
_WITNESS_VERSION = {"p2wpkh": 0, "p2wsh": 0, "p2tr": 1}
_PAYLOAD_SIZE = {"p2pkh": 20, "p2sh": 20, "p2wpkh": 20, "p2wsh": 32, "p2tr": 32}


def polymod_columns(chk: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Carry the bech32 checksum ``chk`` (one per row) on over the 5-bit columns of ``data``.

    Vectorised BIP 173 polymod: many addresses at once, column by column.
    Start from ``np.full(n, HRP_CHECKSUM)`` for the mainnet prefix "bc".
    """
    chk = chk.astype(np.uint32, copy=True)
    for j in range(data.shape[1]):
        chk = ((chk & np.uint32(0x1FFFFFF)) << np.uint32(5)) ^ data[:, j].astype(np.uint32) ^ _TAB[chk >> np.uint32(25)]
    return chk


def _to_5bit(payload: np.ndarray) -> np.ndarray:
    """(n, k) bytes -> (n, ceil(8k/5)) 5-bit groups, zero-padded (BIP 173 ``convertbits`` for many rows)."""
    n = payload.shape[0]
    bits = np.unpackbits(payload, axis=1)
    pad = (-bits.shape[1]) % 5
    if pad:
        bits = np.concatenate([bits, np.zeros((n, pad), dtype=np.uint8)], axis=1)
    return bits.reshape(n, -1, 5).astype(np.uint32) @ np.array([16, 8, 4, 2, 1], dtype=np.uint32)


def bech32_chars(witness_version: int, payload: np.ndarray) -> np.ndarray:
    """Mainnet segwit addresses of equal-length witness programs as an ``(n, width)`` uint8 ASCII matrix.

    bech32 for version 0 (BIP 173), bech32m from version 1 on (BIP 350); the same text
    :func:`encode_address` gives, for a whole column of programs at once.
    """
    payload = np.ascontiguousarray(payload, dtype=np.uint8)
    n = payload.shape[0]
    data = np.concatenate([np.full((n, 1), witness_version, dtype=np.uint32), _to_5bit(payload)], axis=1)
    chk = polymod_columns(
        np.full(n, HRP_CHECKSUM, dtype=np.uint32), np.concatenate([data, np.zeros((n, 6), dtype=np.uint32)], axis=1)
    )
    chk ^= np.uint32(1 if witness_version == 0 else 0x2BC830A3)
    checksum = np.stack([(chk >> np.uint32(5 * (5 - i))) & np.uint32(31) for i in range(6)], axis=1)
    chars = _CHARSET32[np.concatenate([data, checksum], axis=1)]
    return np.ascontiguousarray(
        np.concatenate([np.broadcast_to(np.frombuffer(b"bc1", np.uint8), (n, 3)), chars], axis=1)
    )


def base58check_many(version: int, payload: np.ndarray) -> list[str]:
    """Base58Check text of ``version + payload`` for each row of an ``(n, k)`` uint8 array.

    The base conversion runs on all rows together (32-bit limbs, long division by 58); only the
    double-SHA-256 checksums are computed row by row, by hashlib.
    """
    payload = np.ascontiguousarray(payload, dtype=np.uint8)
    n, k = payload.shape
    if n == 0:
        return []
    sha = hashlib.sha256
    raw = payload.tobytes()
    full = b"".join(
        v + sha(sha(v).digest()).digest()[:4] for v in (bytes([version]) + raw[i * k : (i + 1) * k] for i in range(n))
    )
    size = k + 5
    mat = np.frombuffer(full, dtype=np.uint8).reshape(n, size)
    pad = (-size) % 4
    limbs = np.concatenate([np.zeros((n, pad), np.uint8), mat], axis=1).astype(np.uint64)
    limbs = limbs.reshape(n, -1, 4) @ np.array([1 << 24, 1 << 16, 1 << 8, 1], dtype=np.uint64)  # big-endian u32
    ndig = int(np.ceil(size * 8 / np.log2(58))) + 1
    digits = np.zeros((n, ndig), dtype=np.uint8)
    f58, sh = np.uint64(58), np.uint64(32)
    for d in range(ndig - 1, -1, -1):
        rem = np.zeros(n, dtype=np.uint64)
        for j in range(limbs.shape[1]):
            cur = (rem << sh) | limbs[:, j]
            limbs[:, j] = cur // f58
            rem = cur % f58
        digits[:, d] = rem
    zeros = (mat == 0).cumprod(axis=1).sum(axis=1)  # leading zero bytes become leading '1's
    nz = digits != 0
    first = np.where(nz.any(axis=1), nz.argmax(axis=1), ndig)
    text = _CHARSET58[digits].tobytes().decode("ascii")
    return ["1" * int(z) + text[i * ndig + int(f) : (i + 1) * ndig] for i, (z, f) in enumerate(zip(zeros, first))]


def encode_addresses(script_type: str, payload) -> list[str]:
    """Mainnet addresses of one script type for many hashes at once (the bulk twin of :func:`encode_address`).

    ``payload`` is an ``(n, size)`` uint8 array or a list of equal-length ``bytes``: key or script
    hashes (20 bytes for ``p2pkh``, ``p2sh``, ``p2wpkh``), witness programs (32 bytes for ``p2wsh``,
    ``p2tr``).

    Examples
    --------
    >>> encode_addresses("p2wpkh", [bytes(20)]) == [encode_address("p2wpkh", bytes(20))]
    True
    >>> encode_addresses("p2pkh", [bytes(20)])
    ['1111111111111111111114oLvT2']
    """
    if script_type not in _PAYLOAD_SIZE:
        raise InvalidAddressError(f"cannot encode script type {script_type!r}; known: {sorted(_PAYLOAD_SIZE)}")
    if isinstance(payload, np.ndarray):
        mat = np.ascontiguousarray(payload, dtype=np.uint8).reshape(len(payload), -1)
    else:
        items = list(payload)
        mat = (
            np.frombuffer(b"".join(items), dtype=np.uint8).reshape(len(items), -1)
            if items
            else np.zeros((0, _PAYLOAD_SIZE[script_type]), np.uint8)
        )
    if mat.shape[0] and mat.shape[1] != _PAYLOAD_SIZE[script_type]:
        raise InvalidAddressError(
            f"a {script_type} address needs {_PAYLOAD_SIZE[script_type]}-byte hashes, not {mat.shape[1]} bytes"
        )
    if script_type in _WITNESS_VERSION:
        if not mat.shape[0]:
            return []
        chars = bech32_chars(_WITNESS_VERSION[script_type], mat)
        width = chars.shape[1]
        text = chars.tobytes().decode("ascii")
        return [text[i * width : (i + 1) * width] for i in range(chars.shape[0])]
    return base58check_many(_VERSION_OF[script_type], mat)


def _classify_bech32(addrs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised BIP 173/350 check of lower-case 'bc1...' strings of one length."""
    n, length = len(addrs), len(addrs[0])
    mat = np.frombuffer("".join(addrs).encode("ascii", "replace"), dtype=np.uint8).reshape(n, length)
    data = _LUT32[mat[:, 3:]]
    ok = ~(data == 255).any(axis=1)
    data = np.where(data == 255, 0, data).astype(np.uint32)
    chk = polymod_columns(np.full(n, HRP_CHECKSUM, dtype=np.uint32), data)
    witver = data[:, 0]
    ok &= chk == np.where(witver == 0, _BECH32_CONST, _BECH32M_CONST).astype(np.uint32)
    groups = data.shape[1] - 7
    bits = groups * 5
    nbytes, pad = divmod(bits, 8)
    ok &= pad < 5 and 2 <= nbytes <= 40
    if pad:
        ok &= (data[:, groups] & np.uint32((1 << pad) - 1)) == 0
    ok &= witver <= 16
    kinds = np.full(n, "witness_unknown", dtype=object)
    if nbytes == 20:
        kinds[witver == 0] = "p2wpkh"
    elif nbytes == 32:
        kinds[witver == 0] = "p2wsh"
        kinds[witver == 1] = "p2tr"
    else:
        ok &= witver != 0
    return kinds, ok


def _classify_base58(addrs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Base58Check decode of strings of one length (checksums via hashlib)."""
    n, length = len(addrs), len(addrs[0])
    mat = np.frombuffer("".join(addrs).encode("ascii", "replace"), dtype=np.uint8).reshape(n, length)
    digits = _LUT58[mat]
    ok = ~(digits == 255).any(axis=1)
    digits = np.where(digits == 255, 0, digits).astype(np.uint64)
    limbs = np.zeros((n, 8), dtype=np.uint64)  # little-endian 32-bit limbs: 256 bits
    mask = np.uint64(0xFFFFFFFF)
    for j in range(length):
        carry = digits[:, j]
        for k in range(8):
            x = limbs[:, k] * np.uint64(58) + carry
            limbs[:, k] = x & mask
            carry = x >> np.uint64(32)
        ok &= carry == 0
    raw = limbs[:, ::-1].astype(">u4").view(np.uint8).reshape(n, 32)  # big-endian bytes
    not_one = mat != ord("1")
    zeros = np.where(not_one.any(axis=1), not_one.argmax(axis=1), length)  # leading '1's = leading zero bytes
    nz = raw != 0
    first = np.where(nz.any(axis=1), nz.argmax(axis=1), 32)
    ok &= (zeros + (32 - first)) == 25
    body = raw[:, 7:]
    kinds = np.full(n, "nonstandard", dtype=object)
    version = body[:, 0]
    ok &= (version == 0) | (version == 5)
    kinds[version == 0] = "p2pkh"
    kinds[version == 5] = "p2sh"
    for i in np.flatnonzero(ok):
        b = body[i].tobytes()
        if _sha256d(b[:21])[:4] != b[21:]:
            ok[i] = False
    return kinds, ok


def classify_addresses(addresses) -> tuple[np.ndarray, np.ndarray]:
    """Script type and validity of many addresses at once (fast, vectorised).

    Returns ``(script_types, valid)``: arrays as long as ``addresses``;
    ``script_types`` holds ``"nonstandard"`` where ``valid`` is False.
    Gives the same answers as :func:`decode_address`, about 50 times faster.

    >>> classify_addresses(["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qbad"])[1].tolist()
    [True, False]
    """
    if not hasattr(addresses, "__getitem__") or isinstance(addresses, str):
        addresses = list(addresses)
    n = len(addresses)
    kinds = np.full(n, "nonstandard", dtype=object)
    valid = np.zeros(n, dtype=bool)
    for lo in range(0, n, _CHUNK):  # in slices: Python strings and work matrices stay small
        part = addresses[lo : lo + _CHUNK]
        part = part.to_numpy(dtype=object) if hasattr(part, "to_numpy") else part
        kinds[lo : lo + len(part)], valid[lo : lo + len(part)] = _classify_slice(list(part))
    return kinds, valid


def _classify_slice(arr: list) -> tuple[np.ndarray, np.ndarray]:
    n = len(arr)
    kinds = np.full(n, "nonstandard", dtype=object)
    valid = np.zeros(n, dtype=bool)
    groups: dict[tuple[str, int], list[int]] = {}
    texts: list[str] = [""] * n
    for i, a in enumerate(arr):
        if not isinstance(a, str) or not a or not a.isascii():
            continue
        low = a.lower()
        if low.startswith("bc1"):
            if a != low and a != a.upper():
                continue
            texts[i] = low
            groups.setdefault(("b32", len(a)), []).append(i)
        else:
            texts[i] = a
            if 26 <= len(a) <= 35:
                groups.setdefault(("b58", len(a)), []).append(i)
    for (kind, length), idx in groups.items():
        if kind == "b32" and not 14 <= length <= 90:
            continue
        fn = _classify_bech32 if kind == "b32" else _classify_base58
        k, ok = fn([texts[i] for i in idx])
        idx = np.asarray(idx)
        kinds[idx] = np.where(ok, k, "nonstandard")
        valid[idx] = ok
    return kinds, valid
