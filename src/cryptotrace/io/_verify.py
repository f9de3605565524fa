"""Strict field checks and raw-bytes verification for node and API answers (private helper).

Used by the Esplora and Bitcoin Core loaders:

* ``need_*`` functions check one JSON field and raise
  :class:`~cryptotrace.errors.FieldTypeError` naming where the answer came
  from (file or URL), the transaction, the field, the bad value and the fix;
  JSON ``true`` is never a number and ``"false"`` is never a boolean.
* :func:`raw_rows` parses raw transactions (all in one call of the raw
  parser) and gives, per transaction, the txid recomputed from the bytes
  and the fields the bytes say; the loaders compare them with the JSON.
* :func:`header_hash` and :func:`merkle_root_hex` recompute a block's hash
  from its header fields and the merkle root from its txids.
"""

from __future__ import annotations

import math
import re
import struct
from decimal import Decimal, InvalidOperation

from .. import errors as E
from ..units import MAX_SATS, SATS_PER_BTC
from ._wire import merkle_root, parse_transactions, sha256d

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _shown(v) -> str:
    r = repr(v)
    return r if len(r) <= 100 else r[:97] + "..."


def _kind(v) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, str):
        return "text"
    if isinstance(v, (int, float, Decimal)):
        return "a number"
    if isinstance(v, dict):
        return "an object {...}"
    if isinstance(v, list):
        return "a list [...]"
    if v is None:
        return "null"
    return type(v).__name__


def bad(where: str, subject: str, field: str, value, want: str, fix: str) -> E.FieldTypeError:
    """The error for one bad field (returned, to be raised by the caller)."""
    subj = f" {subject}:" if subject else ""
    return E.FieldTypeError(
        f"{where}:{subj} field {field!r} is {_shown(value)} ({_kind(value)}), but it must be {want}. {fix}"
    )


FIX = "The answer was edited or damaged, or does not come from this kind of server; save or fetch it again unchanged"


def need_int(v, where, subject, field, *, lo: int = 0, hi: int | None = None, fix: str = FIX) -> int:
    """A whole number (JSON true/false and text are refused), ``lo <= v <= hi``."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise bad(where, subject, field, v, "a whole number", fix)
    if v < lo or (hi is not None and v > hi):
        rng = f"between {lo:,} and {hi:,}" if hi is not None else f"{lo:,} or more"
        raise bad(where, subject, field, v, f"a whole number {rng}", fix)
    return v


def need_bool(v, where, subject, field, fix: str = FIX) -> bool:
    if not isinstance(v, bool):
        raise bad(where, subject, field, v, "true or false (a JSON boolean, not text or a number)", fix)
    return v


def need_str(v, where, subject, field, fix: str = FIX) -> str:
    if not isinstance(v, str):
        raise bad(where, subject, field, v, "text", fix)
    return v


def need_hex64(v, where, subject, field, fix: str = FIX) -> str:
    """A txid or block hash: 64 hexadecimal characters; returned in lower case."""
    if not isinstance(v, str) or not _HEX64.fullmatch(v):
        n = f"; it has {len(v)} characters" if isinstance(v, str) else ""
        raise bad(where, subject, field, v, f"64 hexadecimal characters (a txid or block hash){n}", fix)
    return v.lower()


def need_hex(v, where, subject, field, fix: str = FIX) -> str:
    """Hex-encoded bytes (an even number of hexadecimal characters)."""
    ok = isinstance(v, str)
    if ok:
        try:  # far faster than a regular expression on a whole transaction
            ok = len(bytes.fromhex(v)) * 2 == len(v)  # fromhex skips spaces: a length check refuses them
        except ValueError:
            ok = False
    if not ok:
        raise bad(where, subject, field, v, "hexadecimal text (bytes as pairs of 0-9a-f)", fix)
    return v


def need_dict(v, where, subject, field, fix: str = FIX) -> dict:
    if not isinstance(v, dict):
        raise bad(where, subject, field, v, "an object {...}", fix)
    return v


def need_list(v, where, subject, field, *, nonempty: bool = False, fix: str = FIX) -> list:
    if not isinstance(v, list):
        raise bad(where, subject, field, v, "a list [...]", fix)
    if nonempty and not v:
        raise bad(where, subject, field, v, "a list with at least one entry", fix)
    return v


def sats(v, where, subject, field) -> int:
    """An amount in whole satoshis (Esplora): an integer from 0 to 21 million BTC."""
    return need_int(
        v,
        where,
        subject,
        field,
        lo=0,
        hi=MAX_SATS,
        fix="Esplora gives amounts as whole satoshis; save or fetch the answer again unchanged",
    )


def btc_to_sats(v, where, subject, field) -> int:
    """A BTC amount (Bitcoin Core RPC) as exact satoshis.

    A JSON number (read as Decimal, int or float) with at most 8 decimals,
    from 0 to 21 million; text, true/false, NaN and fractions of a satoshi are refused.
    """
    fix = (
        "Bitcoin Core gives amounts as JSON numbers in BTC with at most 8 decimals; "
        "save or fetch the answer again unchanged"
    )
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        raise bad(where, subject, field, v, "a number of BTC (a JSON number, not text)", fix)
    if isinstance(v, float) and not math.isfinite(v):
        raise bad(where, subject, field, v, "a finite number of BTC", fix)
    try:
        d = v if isinstance(v, Decimal) else Decimal(str(v))
        if not d.is_finite() or d.adjusted() > 15:  # 1e999999999 would take minutes to turn into an int
            raise bad(where, subject, field, v, "a finite number of BTC up to 21,000,000", fix)
        s = d * SATS_PER_BTC
        if s != s.to_integral_value():
            raise bad(where, subject, field, v, "a number of BTC with at most 8 decimals (whole satoshis)", fix)
        out = int(s)
    except (InvalidOperation, ValueError, OverflowError):
        raise bad(where, subject, field, v, "a number of BTC", fix) from None
    if out < 0 or out > MAX_SATS:
        raise bad(where, subject, field, v, "an amount from 0 to 21,000,000 BTC", fix)
    return out


# ---------------------------------------------------------------------- raw bytes
class RawTx:
    """What one transaction's bytes say (txid recomputed, inputs, outputs)."""

    __slots__ = ("txid", "version", "locktime", "size", "vsize", "ins", "outs")

    def __init__(self, txid, version, locktime, size, vsize):
        self.txid, self.version, self.locktime, self.size, self.vsize = txid, version, locktime, size, vsize
        self.ins: list[tuple] = []  # (prev_txid or None for a coinbase, prev_vout or None, sequence)
        self.outs: list[tuple] = []  # (value in sats, address or None, script type)


def rows_from_tables(t: dict) -> list[RawTx]:
    """Per-transaction :class:`RawTx` from the raw parser's ``txs``/``inputs``/``outputs`` tables."""
    txs = t["txs"]
    out = [RawTx(*r) for r in zip(*(txs[c].tolist() for c in ("txid", "version", "locktime", "size", "vsize")))]
    ins, outs = t["inputs"], t["outputs"]
    k = -1
    for vin, prev, pv, seq in zip(*(ins[c].tolist() for c in ("vin", "prev_txid", "prev_vout", "sequence"))):
        if vin == 0:  # every transaction has at least one input: vin 0 starts the next one
            k += 1
        if not isinstance(prev, str):  # a coinbase (None, or NaN in a pandas string column)
            out[k].ins.append((None, None, int(seq)))
        else:
            out[k].ins.append((prev, int(pv), int(seq)))
    k = -1
    txid_of = [r.txid for r in out]
    for txid, vout, value, addr, kind in zip(
        *(outs[c].tolist() for c in ("txid", "vout", "value", "address", "script_type"))
    ):
        if vout == 0:
            k += 1
            while k < len(out) and txid_of[k] != txid:  # a transaction without outputs
                k += 1
        out[k].outs.append((int(value), addr if isinstance(addr, str) else None, kind))
    return out


def raw_rows(items: list[tuple[str, str, str]]) -> list[RawTx]:
    """Parse raw transactions given as ``(hex, where, txid_given)``; one :class:`RawTx` each, in order.

    All are parsed in one call of the raw parser (a block's worth at once);
    a hex that is not one whole transaction raises an error naming it.
    """
    if not items:
        return []
    blobs = []
    for hx, where, txid in items:
        need_hex(hx, where, f"transaction {txid}", "hex")
        blobs.append(bytes.fromhex(hx))
    try:
        rows = rows_from_tables(parse_transactions(b"".join(blobs), where="raw transactions"))
    except E.InputFormatError:
        rows = None
    if rows is not None and len(rows) == len(blobs) and all(r.size == len(b) for r, b in zip(rows, blobs)):
        return rows
    # one of them is not exactly one transaction: find it (slow path, only on bad data)
    out = []
    for (hx, where, txid), b in zip(items, blobs):
        try:
            one = rows_from_tables(parse_transactions(b, where=f"{where}: transaction {txid} 'hex'"))
        except E.InputFormatError as exc:
            raise E.SourceMismatchError(
                f"{exc} The raw bytes ('hex') of transaction {txid} do not parse; the answer was altered or "
                "damaged, fetch it again"
            ) from None
        if len(one) != 1 or one[0].size != len(b):
            raise E.SourceMismatchError(
                f"{where}: the raw bytes ('hex') of transaction {txid} hold {len(b):,} bytes, which is not exactly "
                "one transaction; the answer was altered or damaged, fetch it again"
            )
        out.extend(one)
    return out


def txid_mismatch(where: str, given: str, computed: str) -> E.TxidMismatchError:
    return E.TxidMismatchError(
        f"{where}: transaction {given}: its raw bytes ('hex') hash to txid {computed}, not to the txid the answer "
        "gives. The answer was altered or damaged (or hex and txid belong to different transactions); do not use "
        "it as evidence, fetch it again from the node or explorer"
    )


def field_mismatch(where: str, txid: str, field: str, json_value, raw_value) -> E.SourceMismatchError:
    return E.SourceMismatchError(
        f"{where}: transaction {txid}: the JSON says {field} = {_shown(json_value)}, but its raw bytes ('hex'), "
        f"which hash to this txid, say {_shown(raw_value)}. The JSON fields were altered or damaged; the raw bytes "
        "are what the network signed. Fetch the answer again"
    )


def merkle_root_hex(txids: list[str]) -> str:
    """Merkle root (display order) of txids in block order."""
    return merkle_root([bytes.fromhex(t)[::-1] for t in txids])[::-1].hex()


def header_hash(version: int, prev: str | None, merkle: str, time: int, bits: int, nonce: int) -> str:
    """Block hash (display order) of the 80-byte header made from these fields."""
    head = struct.pack(
        "<i32s32sIII", version, bytes.fromhex(prev or "0" * 64)[::-1], bytes.fromhex(merkle)[::-1], time, bits, nonce
    )
    return sha256d(head)[::-1].hex()


def compare_inputs(vins: list, r, where, txid: str, is_coinbase, coinbase_field: str) -> None:
    """Each JSON input against the raw bytes: coinbase or not, the coin it spends, its sequence.

    ``is_coinbase(v)`` reads the source's own way of marking a coinbase input; ``coinbase_field``
    names it in the message (``"vin[{i}].is_coinbase"`` for Esplora, ``"vin[{i}] is a coinbase"`` for Core).
    """
    if len(vins) != len(r.ins):
        raise field_mismatch(where, txid, "the number of inputs", len(vins), len(r.ins))
    for i, (v, (prev, pv, seq)) in enumerate(zip(vins, r.ins)):
        cb = is_coinbase(v)
        if cb != (prev is None):
            raise field_mismatch(where, txid, coinbase_field.format(i=i), cb, prev is None)
        if prev is not None and (v["txid"].lower(), v["vout"]) != (prev, pv):
            raise field_mismatch(
                where, txid, f"vin[{i}] (the coin it spends, txid:vout)", f"{v['txid']}:{v['vout']}", f"{prev}:{pv}"
            )
        if v.get("sequence") is not None and v["sequence"] != seq:
            raise field_mismatch(where, txid, f"vin[{i}].sequence", v["sequence"], seq)
