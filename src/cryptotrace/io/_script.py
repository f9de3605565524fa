"""Output scripts to addresses, for many scripts at once (private helper of the loaders).

:func:`cryptotrace.addresses.address_from_script` is the rule for one
script; this module gives the same answers for whole columns of scripts,
fast: repeated scripts are decoded once, and Base58Check and bech32 are
computed with numpy over all addresses of a kind at once (a block of
6,000 outputs takes milliseconds instead of a tenth of a second). The
tests check it agrees with ``address_from_script`` on real blocks and on
random scripts.

One deliberate difference: a version-0 witness program of a size other
than 20 or 32 bytes has no valid address, so it is reported as
``nonstandard`` (no address) instead of an address that does not decode.
"""

from __future__ import annotations

import hashlib


from ..addresses import address_from_script, encode_addresses, hash160

__all__ = ["TYPE_NAMES", "addresses_of_scripts", "script_address"]

#: Script-type names other tools use, mapped to cryptotrace's names (Core RPC, Esplora, blockchain-etl).
TYPE_NAMES = {
    "pubkey": "p2pk",
    "p2pk": "p2pk",
    "pubkeyhash": "p2pkh",
    "p2pkh": "p2pkh",
    "scripthash": "p2sh",
    "p2sh": "p2sh",
    "witness_v0_keyhash": "p2wpkh",
    "v0_p2wpkh": "p2wpkh",
    "p2wpkh": "p2wpkh",
    "witness_v0_scripthash": "p2wsh",
    "v0_p2wsh": "p2wsh",
    "p2wsh": "p2wsh",
    "witness_v1_taproot": "p2tr",
    "v1_p2tr": "p2tr",
    "p2tr": "p2tr",
    "multisig": "multisig",
    "nulldata": "nulldata",
    "op_return": "nulldata",
    "witness_unknown": "witness_unknown",
    "nonstandard": "nonstandard",
}


def script_address(script: bytes) -> tuple[str | None, str]:
    """``(address, script_type)`` of one output script (see :func:`address_from_script`)."""
    addr, kind = address_from_script(script)
    if kind == "witness_unknown" and script[0] == 0:  # v0 programs other than 20/32 bytes have no address
        return None, "nonstandard"
    return addr, kind


def addresses_of_scripts(scripts) -> tuple[list, list]:
    """Addresses and script types of a list of output scripts (bytes).

    Gives exactly what :func:`script_address` gives for each script, computed in bulk.
    """
    n = len(scripts)
    addrs: list = [None] * n
    kinds: list = ["nonstandard"] * n
    # script type -> (rows, payloads)
    todo: dict[str, tuple[list, list]] = {}

    def add(key, i, payload):
        rows, pays = todo.get(key) or todo.setdefault(key, ([], []))
        rows.append(i)
        pays.append(payload)

    for i, s in enumerate(scripts):
        ln = len(s)
        if ln == 22 and s[0] == 0 and s[1] == 20:
            kinds[i] = "p2wpkh"
            add("p2wpkh", i, s[2:])
        elif ln == 23 and s[0] == 0xA9 and s[1] == 0x14 and s[22] == 0x87:
            kinds[i] = "p2sh"
            add("p2sh", i, s[2:22])
        elif ln == 25 and s[0] == 0x76 and s[1] == 0xA9 and s[2] == 0x14 and s[23] == 0x88 and s[24] == 0xAC:
            kinds[i] = "p2pkh"
            add("p2pkh", i, s[3:23])
        elif ln == 34 and s[0] == 0 and s[1] == 32:
            kinds[i] = "p2wsh"
            add("p2wsh", i, s[2:])
        elif ln == 34 and s[0] == 0x51 and s[1] == 32:
            kinds[i] = "p2tr"
            add("p2tr", i, s[2:])
        elif (ln == 67 and s[0] == 65 and s[66] == 0xAC) or (ln == 35 and s[0] == 33 and s[34] == 0xAC):
            kinds[i] = "p2pk"
            add("p2pkh", i, hash160(s[1:-1]))
        elif ln >= 1 and s[0] == 0x6A:
            kinds[i] = "nulldata"
        else:
            addrs[i], kinds[i] = script_address(bytes(s))
    for script_type, (rows, pays) in todo.items():
        uniq = list(dict.fromkeys(pays))
        texts = encode_addresses(script_type, uniq)
        lookup = dict(zip(uniq, texts))
        for i, p in zip(rows, pays):
            addrs[i] = lookup[p]
    return addrs, kinds


# --- the spender's side: which output script an input spends, from what the input reveals ----------------
#
# Rules (facts from BIP 16 (P2SH), BIP 141 (segregated witness: P2WPKH, P2WSH and their P2SH-wrapped
# forms), BIP 341 (taproot) and the standard script templates of Bitcoin Core's ``script/solver.cpp``):
#
# * P2PKH: scriptSig = <signature> <public key>; the output is OP_DUP OP_HASH160 hash160(key) ...
# * P2SH: scriptSig = <arguments ...> <redeem script>; the output is OP_HASH160 hash160(redeem) OP_EQUAL.
#   A wrapped witness program (P2SH-P2WPKH, P2SH-P2WSH) is a redeem script of its own: 0014{20} or 0020{32}.
# * P2WPKH: empty scriptSig, witness = <signature> <public key>; the output is 0014 hash160(key).
# * P2WSH: empty scriptSig, witness = <arguments ...> <witness script>; the output is 0020 sha256(script).
# * P2TR: key path (one 64/65-byte signature) and script path (last item a control block) do not reveal
#   the output key without elliptic-curve arithmetic; P2PK (a signature alone), bare multisig and
#   nonstandard scripts reveal nothing. These need the spent output itself (``prevouts=``).
#
# An address is only claimed when the input's own bytes prove it; everything else stays unknown.

_CHECKS = frozenset((0xAC, 0xAD, 0xAE, 0xAF, 0x68, 0x87, 0x69, 0xB1, 0xB2))  # ends of a redeem script we accept


def _pushes(script: bytes) -> list | None:
    """The data pushes of a push-only script (OP_1..OP_16 give their number as one byte); None otherwise."""
    out, pos, n = [], 0, len(script)
    while pos < n:
        op = script[pos]
        pos += 1
        if op <= 0x4B:
            size = op
        elif op == 0x4C:
            if pos + 1 > n:
                return None
            size = script[pos]
            pos += 1
        elif op == 0x4D:
            if pos + 2 > n:
                return None
            size = int.from_bytes(script[pos : pos + 2], "little")
            pos += 2
        elif op == 0x4E:
            if pos + 4 > n:
                return None
            size = int.from_bytes(script[pos : pos + 4], "little")
            pos += 4
        elif op == 0x4F or 0x51 <= op <= 0x60:
            out.append(bytes([op]))
            continue
        else:
            return None
        if pos + size > n:
            return None
        out.append(script[pos : pos + size])
        pos += size
    return out


def _parses(script: bytes) -> bool:
    """True when every push in ``script`` fits inside it (any opcodes allowed)."""
    pos, n = 0, len(script)
    while pos < n:
        op = script[pos]
        pos += 1
        if op <= 0x4B:
            pos += op
        elif op == 0x4C:
            pos += 1 + (script[pos] if pos < n else 0)
        elif op == 0x4D:
            pos += 2 + int.from_bytes(script[pos : pos + 2], "little")
        elif op == 0x4E:
            pos += 4 + int.from_bytes(script[pos : pos + 4], "little")
        if pos > n:
            return False
    return True


def _is_pubkey(b: bytes) -> bool:
    return (len(b) == 33 and b[0] in (2, 3)) or (len(b) == 65 and b[0] in (4, 6, 7))


def _is_signature(b: bytes) -> bool:
    """A DER signature with its sighash byte (lax: pre-BIP 66 encodings too)."""
    return 9 <= len(b) <= 73 and b[0] == 0x30


def _is_witness_program(b: bytes) -> bool:
    return 4 <= len(b) <= 42 and (b[0] == 0 or 0x51 <= b[0] <= 0x60) and b[1] == len(b) - 2


def _is_redeem_script(b: bytes) -> bool:
    return len(b) >= 2 and b[-1] in _CHECKS and not _is_signature(b) and not _is_pubkey(b) and _parses(b)


def spent_script(script_sig: bytes, witness: list | None) -> tuple[bytes | None, str | None]:
    """The output script an input spends, as far as the input's own bytes prove it.

    Returns ``(script, how)``: ``how`` names the template (``p2pkh``, ``p2sh``,
    ``p2sh-p2wpkh``, ``p2sh-p2wsh``, ``p2wpkh``, ``p2wsh``), or ``(None, why)``
    with ``why`` one of ``p2pk-or-bare``, ``p2tr``, ``nonstandard``.

    >>> key = bytes.fromhex("02" + "11" * 32)
    >>> spent_script(bytes([72]) + b"\\x30" + b"\\x45" * 71 + bytes([33]) + key, None)[1]
    'p2pkh'
    >>> spent_script(b"", [b"\\x30" + b"\\x44" * 70, key])[0].hex()[:4]
    '0014'
    """
    if witness:
        w = witness
        if script_sig:
            p = _pushes(script_sig)
            if p is not None and len(p) == 1 and _is_witness_program(p[0]):
                how = {22: "p2sh-p2wpkh", 34: "p2sh-p2wsh"}.get(len(p[0]), "p2sh")
                return b"\xa9\x14" + hash160(p[0]) + b"\x87", how
            return None, "nonstandard"
        if len(w) == 2 and _is_pubkey(w[1]) and _is_signature(w[0]):
            return b"\x00\x14" + hash160(w[1]), "p2wpkh"
        if len(w) >= 2 and w[-1][:1] == b"\x50":
            w = w[:-1]  # a taproot annex (BIP 341)
        if len(w) == 1 and len(w[0]) in (64, 65):
            return None, "p2tr"  # key-path spend
        last = w[-1]
        if len(w) >= 2 and len(last) >= 33 and (len(last) - 33) % 32 == 0 and last[0] & 0xFE == 0xC0:
            return None, "p2tr"  # script-path spend: a control block
        if last:
            return b"\x00\x20" + hashlib.sha256(last).digest(), "p2wsh"
        return None, "nonstandard"
    p = _pushes(script_sig)
    if not p:
        return None, "nonstandard"
    if len(p) == 2 and _is_pubkey(p[1]) and _is_signature(p[0]):
        return b"\x76\xa9\x14" + hash160(p[1]) + b"\x88\xac", "p2pkh"
    if _is_redeem_script(p[-1]):
        return b"\xa9\x14" + hash160(p[-1]) + b"\x87", "p2sh"
    if all(_is_signature(x) or x == b"" for x in p):
        return None, "p2pk-or-bare"
    return None, "nonstandard"


def spender_addresses(script_sigs: list, witnesses: list) -> tuple[list, list]:
    """Addresses of the outputs that inputs spend, from their scriptSigs and witnesses.

    ``script_sigs[i]`` is input i's scriptSig (``None`` for a coinbase),
    ``witnesses[i]`` its witness stack (a list of bytes, empty or ``None`` when
    it has none). Returns ``(addresses, how)``; see :func:`spent_script`.
    """
    n = len(script_sigs)
    scripts: list = [b""] * n
    hows: list = [None] * n
    for i in range(n):
        ss = script_sigs[i]
        if ss is None:
            continue
        s, hows[i] = spent_script(ss, witnesses[i])
        if s is not None:
            scripts[i] = s
    addrs, _kinds = addresses_of_scripts(scripts)
    return addrs, hows
