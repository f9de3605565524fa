"""Bitcoin's serialization format: blocks and transactions from bytes to tables.

The parser behind :mod:`cryptotrace.io.raw` (files, blk records, heights, prevouts) and the checks of
:mod:`cryptotrace.io._verify` and :mod:`cryptotrace.io.prevouts`: txids and merkle roots from the bytes,
proof of work, the BIP 141 witness commitment, and the addresses of output and input scripts.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pandas as pd

from ..errors import InputFormatError, MerkleRootError, ProofOfWorkError, WitnessCommitmentError
from ..units import MAX_SATS
from ._script import addresses_of_scripts, spender_addresses

__all__ = [
    "Columns",
    "MAINNET_POW_LIMIT",
    "check_witness_commitment",
    "merkle_root",
    "parse_all_txs",
    "parse_block",
    "parse_block_into",
    "parse_transactions",
    "parse_txs",
    "sha256d",
    "tables_of",
    "target_of_bits",
    "varint",
]
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_U16 = struct.Struct("<H")
_HEADER = struct.Struct("<i32s32sIII")


def sha256d(b) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


class Columns:
    """Column lists the parser appends to (one row per tx / input / output)."""

    __slots__ = (
        "txid",
        "version",
        "locktime",
        "size",
        "vsize",
        "tx_block",
        "in_tx",
        "vin",
        "prev_txid",
        "prev_vout",
        "sequence",
        "coinbase_script",
        "script_sig",
        "witness",
        "out_tx",
        "vout",
        "value",
        "script",
    )

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, [])


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Read a Bitcoin CompactSize integer at ``pos``; return it and the position after it."""
    n = buf[pos]
    if n < 0xFD:
        return n, pos + 1
    if n == 0xFD:
        return _U16.unpack_from(buf, pos + 1)[0], pos + 3
    if n == 0xFE:
        return _U32.unpack_from(buf, pos + 1)[0], pos + 5
    return _U64.unpack_from(buf, pos + 1)[0], pos + 9


def parse_txs(buf: bytes, pos: int, count: int, cols: Columns, block: int, where: str) -> tuple[int, list, list]:
    """Parse ``count`` transactions from ``buf`` at ``pos``; return the end, the txids and the wtxids.

    Both in internal byte order; a transaction without witness data has its txid as wtxid (BIP 141).

    Appends rows to ``cols``. Any malformed or truncated data raises
    :class:`InputFormatError` naming ``where`` and the byte offset.
    """
    u32 = _U32.unpack_from
    u64 = _U64.unpack_from
    i32 = _I32.unpack_from
    sha = hashlib.sha256
    end_buf = len(buf)
    txids = []
    wtxids = []
    c_txid, c_version, c_lock, c_size, c_vsize, c_block = (
        cols.txid,
        cols.version,
        cols.locktime,
        cols.size,
        cols.vsize,
        cols.tx_block,
    )
    c_in_tx, c_vin, c_prev, c_pvout, c_seq, c_cbs = (
        cols.in_tx,
        cols.vin,
        cols.prev_txid,
        cols.prev_vout,
        cols.sequence,
        cols.coinbase_script,
    )
    c_ss, c_wit = cols.script_sig, cols.witness
    c_out_tx, c_vout, c_value, c_script = cols.out_tx, cols.vout, cols.value, cols.script
    tx_no = len(c_txid)
    start = pos
    try:
        for _ in range(count):
            start = pos
            version = i32(buf, pos)[0]
            pos += 4
            segwit = buf[pos] == 0 and buf[pos + 1] == 1
            if segwit:
                pos += 2
            body = pos
            # --- inputs
            n = buf[pos]
            if n < 0xFD:  # one-byte count, the common case, inline for speed
                pos += 1
            else:
                n, pos = varint(buf, pos)
            n_in = n
            if n_in == 0:
                raise ValueError("a transaction with no inputs")
            for i in range(n_in):
                prev = buf[pos : pos + 32]
                pv = u32(buf, pos + 32)[0]
                pos += 36
                ln = buf[pos]
                if ln < 0xFD:  # one-byte count, the common case, inline for speed
                    pos += 1
                else:
                    ln, pos = varint(buf, pos)
                if pv == 0xFFFFFFFF and prev == b"\0" * 32:
                    c_prev.append(None)
                    c_pvout.append(-1)
                    c_cbs.append(buf[pos : pos + ln])
                    c_ss.append(None)
                else:
                    c_prev.append(prev[::-1].hex())
                    c_pvout.append(pv)
                    c_ss.append(buf[pos : pos + ln])
                pos += ln
                c_seq.append(u32(buf, pos)[0])
                pos += 4
                c_in_tx.append(tx_no)
                c_vin.append(i)
            # --- outputs
            n = buf[pos]
            if n < 0xFD:  # one-byte count, the common case, inline for speed
                pos += 1
            else:
                n, pos = varint(buf, pos)
            for i in range(n):
                value = u64(buf, pos)[0]
                if value > MAX_SATS:  # 8 bytes can say more than all the bitcoins there can be
                    raise ValueError(f"output {i} pays {value:,} sats, more than 21 million BTC")
                c_value.append(value)
                pos += 8
                ln = buf[pos]
                if ln < 0xFD:  # one-byte count, the common case, inline for speed
                    pos += 1
                else:
                    ln, pos = varint(buf, pos)
                c_script.append(buf[pos : pos + ln])
                pos += ln
                c_out_tx.append(tx_no)
                c_vout.append(i)
            body_end = pos
            # --- witnesses (one stack per input): kept, they reveal the spender's address
            if segwit:
                for _i in range(n_in):
                    k = buf[pos]
                    if k < 0xFD:  # one-byte count, the common case, inline for speed
                        pos += 1
                    else:
                        k, pos = varint(buf, pos)
                    stack = []
                    for _j in range(k):
                        ln = buf[pos]
                        if ln < 0xFD:  # one-byte count, the common case, inline for speed
                            pos += 1
                        else:
                            ln, pos = varint(buf, pos)
                        stack.append(buf[pos : pos + ln])
                        pos += ln
                    c_wit.append(stack)
            else:
                c_wit.extend([None] * n_in)
            locktime = u32(buf, pos)[0]
            pos += 4
            if pos > end_buf:
                raise IndexError
            size = pos - start
            if segwit:
                stripped = buf[start : start + 4] + buf[body:body_end] + buf[pos - 4 : pos]
                h = sha(sha(stripped).digest()).digest()
                wtxids.append(sha(sha(buf[start:pos]).digest()).digest())
                weight = len(stripped) * 3 + size
            else:
                h = sha(sha(buf[start:pos]).digest()).digest()
                wtxids.append(h)
                weight = size * 4
            txids.append(h)
            c_txid.append(h[::-1].hex())
            c_version.append(version)
            c_lock.append(locktime)
            c_size.append(size)
            c_vsize.append((weight + 3) // 4)
            c_block.append(block)
            tx_no += 1
    except (IndexError, struct.error, ValueError, OverflowError, MemoryError) as exc:
        why = (
            str(exc)
            if type(exc) is ValueError
            else "a length or count larger than the data"
            if isinstance(exc, (OverflowError, MemoryError))
            else "the data ends early"
        )
        raise InputFormatError(
            f"{where}: transaction {len(txids)} (at byte {start}) cannot be read ({why}). The data is "
            "truncated or is not a serialized Bitcoin transaction/block; download or export it again"
        ) from None
    return pos, txids, wtxids


def target_of_bits(bits: int) -> int:
    """The proof-of-work target a header's compact ``bits`` encode (negative or overflowing: 0)."""
    size, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000 or size > 34:
        return 0
    return mantissa >> 8 * (3 - size) if size <= 3 else mantissa << 8 * (size - 3)


#: The easiest target mainnet allows (Bitcoin Core's ``powLimit``, difficulty 1).
MAINNET_POW_LIMIT = target_of_bits(0x1D00FFFF)

_COMMITMENT = bytes.fromhex("6a24aa21a9ed")  # OP_RETURN, push 36, the BIP 141 commitment header


def check_witness_commitment(
    cols: Columns, first_out: int, first_in: int, wtxids: list, block_hash: str, where: str
) -> None:
    """BIP 141: a block with witness data commits to it in its coinbase (the last matching output counts)."""
    if all(w is None or not w for w in cols.witness[first_in + 1 :]):
        return  # no witness data in the block: no commitment needed
    first_tx = cols.out_tx[first_out] if first_out < len(cols.out_tx) else None
    commitment = None
    k = first_out
    while k < len(cols.out_tx) and cols.out_tx[k] == first_tx:
        sc = cols.script[k]
        if len(sc) >= 38 and sc[:6] == _COMMITMENT:
            commitment = sc[6:38]
        k += 1
    reserved = cols.witness[first_in] or []
    if commitment is None or len(reserved) != 1 or len(reserved[0]) != 32:
        raise WitnessCommitmentError(
            f"{where}: block {block_hash} holds witness data but its coinbase has no witness commitment "
            "(BIP 141) with a 32-byte reserved value; the block was altered or is not from a segwit chain"
        )
    root = merkle_root([b"\0" * 32] + wtxids[1:])
    if sha256d(root + reserved[0]) != commitment:
        raise WitnessCommitmentError(
            f"{where}: block {block_hash}: its witness data does not match the commitment in its coinbase "
            "(BIP 141). Signatures or other witness data were altered; do not use it as evidence; get a "
            "fresh copy from a node or explorer"
        )


def merkle_root(txids: list) -> bytes:
    level = txids
    if not level:
        return b"\0" * 32
    while len(level) > 1:
        if len(level) % 2:
            level = level + [level[-1]]
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def parse_block_into(
    buf: bytes,
    cols: Columns,
    block_no: int,
    where: str,
    *,
    check_merkle: bool,
    pow_limit: int | None = MAINNET_POW_LIMIT,
) -> dict:
    """Parse one serialized block (header + transactions) into ``cols``; return its header facts.

    ``pow_limit``: check the header's proof of work against the target its
    ``bits`` encode, and that target against this limit (``None``: no check).
    """
    if len(buf) < 81:
        raise InputFormatError(
            f"{where}: {len(buf)} bytes is too short for a block (an 80-byte header and "
            "transactions); the data is truncated or not a raw block"
        )
    version, prev, merkle, time, bits, nonce = _HEADER.unpack_from(buf, 0)
    digest = sha256d(buf[:80])
    block_hash = digest[::-1].hex()
    try:
        count, pos = varint(buf, 80)
    except (IndexError, struct.error):
        raise InputFormatError(f"{where}: block {block_hash} ends inside its transaction count") from None
    if count == 0 or count > len(buf) // 60:
        raise InputFormatError(
            f"{where}: block header says {count} transactions, which cannot be right for "
            f"{len(buf):,} bytes; this is not a raw Bitcoin block"
        )
    first_in = len(cols.in_tx)
    first_out = len(cols.out_tx)
    end, txids, wtxids = parse_txs(buf, pos, count, cols, block_no, f"{where} (block {block_hash})")
    if end != len(buf):
        raise InputFormatError(
            f"{where}: block {block_hash} has {len(buf) - end:,} unexpected bytes after its "
            f"{count} transactions; the record is damaged or holds more than one block"
        )
    if pow_limit is not None:
        target = target_of_bits(bits)
        if not 0 < target <= pow_limit:
            raise ProofOfWorkError(
                f"{where}: block {block_hash}: its difficulty bits {bits:08x} encode no valid target for this "
                "network. The header was edited or made up; get a fresh copy from a node or explorer"
            )
        if int.from_bytes(digest, "little") > target:
            raise ProofOfWorkError(
                f"{where}: block {block_hash}: the header's hash is above the target its bits {bits:08x} "
                "encode, so it carries no proof of work. Its time, version, nonce, previous hash or merkle "
                "root was edited; do not use it as evidence; get a fresh copy from a node or explorer"
            )
    if check_merkle:
        root = merkle_root(txids)
        if root != merkle:
            raise MerkleRootError(
                f"{where}: block {block_hash}: its {count} transactions hash to merkle root "
                f"{root[::-1].hex()}, but the header says {merkle[::-1].hex()}. The block was altered or "
                "damaged; do not use it as evidence; get a fresh copy from a node or explorer"
            )
        check_witness_commitment(cols, first_out, first_in, wtxids, block_hash, where)
    bip34 = None
    if version >= 2 and cols.coinbase_script and len(cols.in_tx) > first_in:
        cb = cols.coinbase_script[-1] if cols.prev_txid[first_in] is None else b""
        if cb and 1 <= cb[0] <= 8 and len(cb) > cb[0]:
            bip34 = int.from_bytes(cb[1 : 1 + cb[0]], "little")
    return {
        "hash": block_hash,
        "prev": prev[::-1].hex(),
        "time": time,
        "n_tx": count,
        "version": version,
        "bip34": bip34,
        "size": len(buf),
    }


def parse_block(data: bytes, *, check_merkle: bool = True, check_pow: bool = True) -> dict[str, pd.DataFrame]:
    """Parse one serialized block into plain tables (no heights, no prevout joining).

    Returns a dict with ``header`` (one row: hash, prev_hash, time, n_tx),
    ``txs``, ``inputs`` and ``outputs`` tables. Mostly useful for checking;
    :func:`load_raw_blocks` gives a :class:`~cryptotrace.Chain`.
    """
    cols = Columns()
    head = parse_block_into(
        bytes(data), cols, 0, "block", check_merkle=check_merkle, pow_limit=MAINNET_POW_LIMIT if check_pow else None
    )
    txs, inputs, outputs = tables_of(cols)
    header = pd.DataFrame(
        [{"hash": head["hash"], "prev_hash": head["prev"], "time": head["time"], "n_tx": head["n_tx"]}]
    )
    return {"header": header, "txs": txs, "inputs": inputs, "outputs": outputs}


def tables_of(cols: Columns) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    txid = np.array(cols.txid, dtype=object)
    txs = pd.DataFrame(
        {"txid": txid, "version": cols.version, "locktime": cols.locktime, "size": cols.size, "vsize": cols.vsize}
    )
    in_tx = np.asarray(cols.in_tx, dtype=np.int64)
    prev_vout = pd.array(np.asarray(cols.prev_vout, dtype=np.int64), dtype="Int64")
    prev_vout[prev_vout == -1] = pd.NA
    in_addrs, _how = spender_addresses(cols.script_sig, cols.witness)
    source = np.where(np.array([a is not None for a in in_addrs], dtype=bool), "script", "unknown")
    source = pd.array(source, dtype="string")
    source[np.asarray(cols.prev_vout, dtype=np.int64) == -1] = pd.NA  # coinbase: nothing is spent
    inputs = pd.DataFrame(
        {
            "txid": txid[in_tx] if len(in_tx) else np.array([], dtype=object),
            "vin": np.asarray(cols.vin, dtype=np.int64),
            "prev_txid": np.array(cols.prev_txid, dtype=object),
            "prev_vout": prev_vout,
            "address": np.array(in_addrs, dtype=object),
            "address_source": source,
            "sequence": np.asarray(cols.sequence, dtype=np.int64),
        }
    )
    out_tx = np.asarray(cols.out_tx, dtype=np.int64)
    addrs, kinds = addresses_of_scripts(cols.script)
    outputs = pd.DataFrame(
        {
            "txid": txid[out_tx] if len(out_tx) else np.array([], dtype=object),
            "vout": np.asarray(cols.vout, dtype=np.int64),
            "address": np.array(addrs, dtype=object),
            "value": np.asarray(cols.value, dtype=np.int64),
            "script_type": np.array(kinds, dtype=object),
        }
    )
    return txs, inputs, outputs


def parse_transactions(data: bytes, *, where: str = "transactions") -> dict[str, pd.DataFrame]:
    """Parse concatenated serialized transactions into ``txs``, ``inputs``, ``outputs`` tables."""
    cols = Columns()
    parse_all_txs(data, cols, where)
    txs, inputs, outputs = tables_of(cols)
    return {"txs": txs, "inputs": inputs, "outputs": outputs}


def parse_all_txs(data: bytes, cols: Columns, where: str) -> None:
    pos = 0
    while pos < len(data):
        pos, _, _ = parse_txs(data, pos, 1, cols, -1, where)
