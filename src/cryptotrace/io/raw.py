"""Raw Bitcoin data: serialized blocks, Bitcoin Core ``blk*.dat`` files, raw transactions.

This is the data a Bitcoin node keeps on disk, byte for byte. cryptotrace
reads it with its own parser (no node, no bitcoinlib):

* every **txid** is computed from the bytes (double SHA-256 of the
  transaction without its witness data), never taken on trust;
* every **block** is checked: its transactions must hash to the merkle root
  in its header, or :class:`~cryptotrace.errors.MerkleRootError` says which
  block is damaged;
* **blk files** hold records ``magic (f9beb4d9) + length + block``, not
  necessarily in height order; heights are worked out from the links
  between block headers (and the height BIP 34 puts in each coinbase);
* output scripts become addresses (P2PK, P2PKH, P2SH, P2WPKH, P2WSH, P2TR;
  bare multisig and OP_RETURN have none);
* inputs spending an output inside the loaded data are joined to it; the
  others are *external* (their value and address are not in raw data).

Example (needs the files or a server, so not run as a test)::

    import cryptotrace as ct
    chain = ct.load_blk_files("blk00000.dat")
    chain.tx("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BlockLinkError, InputFormatError, SkippedDataWarning
from ._wire import (
    MAINNET_POW_LIMIT,
    Columns,
    parse_all_txs,
    parse_block,
    parse_block_into,
    parse_transactions,
    tables_of,
    target_of_bits,
)

__all__ = [
    "load_blk_files",
    "load_raw_blocks",
    "load_raw_transactions",
    "parse_block",
    "parse_transactions",
    "read_blk_records",
    "MAINNET_MAGIC",
]

MAINNET_MAGIC = bytes.fromhex("f9beb4d9")
_U32 = struct.Struct("<I")
_GENESIS_PREV = "0" * 64
_BIP34_HEIGHT = 227_931  # from this height on, every coinbase starts with its block's height


def _fill_prevouts(inputs: pd.DataFrame, txids: pd.Series, prevouts) -> pd.DataFrame:
    """Value and address of the coins spent from outside the data, from ``prevouts`` (see :mod:`.prevouts`)."""
    from ..errors import PrevoutMismatchError
    from .prevouts import resolve_prevouts

    ext = (inputs.prev_txid.notna() & ~inputs.prev_txid.isin(txids)).to_numpy()
    got = resolve_prevouts(prevouts, inputs.prev_txid[ext], inputs.prev_vout[ext].astype("int64"))
    known = got.value.notna().to_numpy()
    derived = inputs.address[ext].reset_index(drop=True).astype("string")
    clash = (
        known
        & derived.notna().to_numpy()
        & got.address.notna().to_numpy()
        & (derived != got.address).fillna(False).to_numpy()
    )
    if clash.any():
        rows = inputs[ext].reset_index(drop=True)[clash]
        shown = "; ".join(
            f"{t} input {v}: its scripts say {d}, the spent coin {p}:{q} says {a}"
            for t, v, p, q, d, a in zip(
                rows.txid, rows.vin, rows.prev_txid, rows.prev_vout, derived[clash], got.address[clash]
            )
        )
        raise PrevoutMismatchError(
            f"{int(clash.sum())} inputs disagree with the coins prevouts= gives for them "
            f"({shown[:600]}). The prevouts source is for another chain or was altered"
        )
    rows = np.flatnonzero(ext)[known]
    value = pd.array([pd.NA] * len(inputs), dtype="Int64")
    value[rows] = got.value[known].to_numpy(dtype=np.int64)
    address = inputs.address.astype("string").copy()
    has = got.address.notna().to_numpy() & known
    address.iloc[np.flatnonzero(ext)[has]] = got.address[has].to_numpy()
    source = inputs.address_source.copy()
    source.iloc[rows] = pd.NA  # from the spent coin now: Chain.from_tables marks it 'prevout'
    return inputs.assign(value=value, address=address, address_source=source)


def _chain(cols: Columns, heads: list[dict], heights: np.ndarray | None, *, validate: bool, prevouts=None):
    from ..chain import Chain

    txs, inputs, outputs = tables_of(cols)
    blocks = None
    if heads:
        bno = np.asarray(cols.tx_block, dtype=np.int64)
        keep_blocks = heights >= 0
        keep_tx = keep_blocks[bno]
        if not keep_tx.all():
            kept = set(txs.txid[keep_tx])
            txs = txs[keep_tx]
            inputs = inputs[inputs.txid.isin(kept)]
            outputs = outputs[outputs.txid.isin(kept)]
            bno = bno[keep_tx]
        txs = txs.assign(
            block_height=heights[bno],
            time=np.asarray([heads[b]["time"] for b in range(len(heads))], dtype=np.int64)[bno],
        )
        hb = [h for h, k in zip(heads, keep_blocks) if k]
        blocks = pd.DataFrame(
            {"height": heights[keep_blocks], "hash": [h["hash"] for h in hb], "time": [h["time"] for h in hb]}
        )
    if prevouts is not None:
        inputs = _fill_prevouts(inputs, txs.txid, prevouts)
    # addresses come from our own encoder, so they are valid by construction: skip re-decoding them
    return Chain.from_tables(
        txs=txs, inputs=inputs, outputs=outputs, blocks=blocks, validate=validate, check_addresses=False
    )


def _assign_heights(heads: list[dict], given: dict | int | None, where: str) -> np.ndarray:
    """Height of each parsed block from the header links (forks: the longest branch wins)."""
    n = len(heads)
    by_hash: dict[str, int] = {}
    for i, h in enumerate(heads):
        if h["hash"] in by_hash:
            h["dup"] = True  # the same block twice (e.g. two copies of a file): keep the first
            continue
        by_hash[h["hash"]] = i
    children: dict[int, list[int]] = {}
    roots = []
    for i, h in enumerate(heads):
        if h.get("dup"):
            continue
        p = by_hash.get(h["prev"])
        if p is None:
            roots.append(i)
        else:
            children.setdefault(p, []).append(i)
    # depth of the longest branch below each block (iterative, children before parents)
    order = []
    stack = list(roots)
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(children.get(i, []))
    depth = np.zeros(n, dtype=np.int64)
    for i in reversed(order):
        kids = children.get(i)
        if kids:
            depth[i] = 1 + max(depth[k] for k in kids)
    heights = np.full(n, -1, dtype=np.int64)
    stale = []
    for r in roots:
        h = heads[r]
        if isinstance(given, dict) and h["hash"] in given:
            root_h = int(given[h["hash"]])
        elif isinstance(given, int) and len(roots) == 1:
            root_h = given
        elif h["prev"] == _GENESIS_PREV:
            root_h = 0
        elif h["bip34"] is not None and h["bip34"] >= _BIP34_HEIGHT:
            root_h = h["bip34"]
        else:
            raise InputFormatError(
                f"{where}: cannot tell the height of block {h['hash']}: its parent {h['prev']} is not in the "
                "data and it is older than BIP 34 (no height in its coinbase). Load the blocks before it too, "
                "or give heights={block_hash: height} (--height on the command line)"
            )
        heights[r] = root_h
        stack = [r]
        while stack:
            i = stack.pop()
            kids = children.get(i, [])
            if len(kids) > 1:
                kids = sorted(kids, key=lambda k: -depth[k])
                stale.extend(heads[k]["hash"] for k in kids[1:])
                kids = kids[:1]
            for k in kids:
                heights[k] = heights[i] + 1
                stack.append(k)
    if stale:
        warnings.warn(
            f"{where}: left out {len(stale)} stale block(s) that lost a fork (not in the main chain): "
            f"{', '.join(stale[:3])}",
            stacklevel=3,
        )
    kept = heights[heights >= 0]
    if len(set(kept.tolist())) != len(kept):
        raise InputFormatError(
            f"{where}: two separate runs of blocks claim the same heights; load one chain of blocks at a time"
        )
    at_height = {int(heights[i]): i for i in range(n) if heights[i] >= 0}
    for r in roots:  # a run's first block must link to the block before it, when that one is loaded
        before = at_height.get(int(heights[r]) - 1)
        if before is not None and heads[r]["prev"] != heads[before]["hash"]:
            raise BlockLinkError(
                f"{where}: block {heads[r]['hash']} at height {heights[r]:,} says its parent is {heads[r]['prev']}, "
                f"but the block at height {heights[r] - 1:,} is {heads[before]['hash']}. A header was edited or "
                "the blocks come from different chains; get fresh copies from a node or explorer"
            )
    return heights


def _as_paths(inputs) -> list:
    if isinstance(inputs, (str, Path, bytes, bytearray, memoryview)):
        return [inputs]
    return list(inputs)


def _block_bytes(item) -> tuple[bytes, str]:
    """Bytes of a raw block given as bytes, a hex string, or a file (binary or hex text)."""
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item), "block bytes"
    if isinstance(item, str) and len(item) > 160 and all(c in "0123456789abcdefABCDEF" for c in item[:200]):
        try:
            return bytes.fromhex(item.strip()), "block hex"
        except ValueError:
            raise InputFormatError("the block hex text holds characters that are not hexadecimal") from None
    path = Path(item)
    if not path.exists():
        raise InputFormatError(f"no file at {path}; check the path to the raw block")
    data = path.read_bytes()
    head = data[:200].strip()
    if head and all(c in b"0123456789abcdefABCDEF" for c in head):
        try:
            data = bytes.fromhex(data.decode("ascii").strip())
        except (ValueError, UnicodeDecodeError):
            raise InputFormatError(f"{path} looks like hex text but does not decode as hex") from None
    if data[:4] == MAINNET_MAGIC:
        raise InputFormatError(
            f"{path} starts with the blk-file magic f9beb4d9: it is a Bitcoin Core blk*.dat "
            "file, not one raw block. Use load_blk_files (or --format blk)"
        )
    return data, str(path)


def load_raw_blocks(
    blocks, *, heights=None, prevouts=None, check_merkle: bool = True, check_pow: bool = True, validate: bool = True
):
    """Load serialized blocks (bytes, hex text or files) into a :class:`~cryptotrace.Chain`.

    Parameters
    ----------
    blocks : bytes, str, Path, or a list of them
        Each item is one block: raw bytes, a hex string, or a file holding
        the block in binary or hex (as ``bitcoin-cli getblock HASH 0`` prints).
    heights : dict or int, optional
        Heights are read from the block links, the genesis block and the
        height BIP 34 writes in every coinbase since 2012. For older blocks
        whose parent is not loaded, give ``{block_hash: height}`` (or one
        int for a single run of blocks).
    prevouts : Chain, dataset folder, table, CoreRPCClient or EsploraClient, optional
        Where to look up the coins that inputs spend from outside the loaded
        blocks (their value, and the address where the input's own scripts do
        not reveal it); see :mod:`cryptotrace.io.prevouts`. Without it, every
        input still gets the address its scriptSig or witness proves
        (``inputs.address_source == "script"``), but no value.
    check_merkle : bool, default True
        Check every block's transactions against its merkle root, and its
        witness data against the coinbase's commitment (BIP 141).
    check_pow : bool, default True
        Check every header's proof of work: its hash is at or below the
        target its ``bits`` encode, within mainnet's limit. Consecutive
        blocks must always link (``prev_hash``).
    validate : bool, default True
        Run :meth:`Chain.from_tables` checks.

    Raises
    ------
    MerkleRootError, WitnessCommitmentError
        A block's transactions or witness data do not match its header or coinbase.
    ProofOfWorkError, BlockLinkError
        A header was edited (time, version, nonce, previous hash ...).
    InputFormatError
        The bytes are not a block (truncated, garbage, a blk file ...).
    Examples
    --------
    Mainnet block 702861 (September 2021), as ``bitcoin-cli getblock HASH 0`` gives it (the shared
    real records in ``tests/data/real``): every input gets the address its own
    scripts prove, even though the coins it spends are older than the block.

    >>> import cryptotrace as ct
    >>> chain = ct.load_raw_blocks("tests/data/real/blocks/"
    ...     "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw")
    >>> len(chain.txs), int(chain.blocks.height.iloc[0])
    (2500, 702861)
    >>> chain.inputs.address_source.value_counts().to_dict()
    {'script': 6190, 'prevout': 327}
    """
    cols = Columns()
    heads = []
    limit = MAINNET_POW_LIMIT if check_pow else None
    for item in _as_paths(blocks):
        data, where = _block_bytes(item)
        heads.append(parse_block_into(data, cols, len(heads), where, check_merkle=check_merkle, pow_limit=limit))
    if not heads:
        raise InputFormatError("no blocks given; pass raw block bytes, hex text or files")
    return _chain(cols, heads, _assign_heights(heads, heights, "raw blocks"), validate=validate, prevouts=prevouts)


def read_blk_records(path, *, magic: bytes = MAINNET_MAGIC, xor_key: bytes | None = None, strict: bool = False):
    """Yield ``(offset, block_bytes)`` for each record of a Bitcoin Core ``blk*.dat`` file.

    Bitcoin Core 28+ scrambles its block files with the 8-byte key in
    ``blocks/xor.dat``; it is read from beside the file when present (or
    give ``xor_key``). The zero padding Core leaves at the end of a file is skipped.

    A damaged record marker (zeros or other bytes where ``magic`` belongs)
    with block data after it does not end the file: the bytes up to the next
    marker are skipped with a :class:`~cryptotrace.errors.SkippedDataWarning`
    saying where (as Bitcoin Core does when it re-indexes). ``strict=True``
    refuses the file instead.
    """
    path = Path(path)
    if not path.exists():
        raise InputFormatError(f"no file at {path}; give the path of a blk*.dat file (Bitcoin Core's blocks folder)")
    data = path.read_bytes()
    if xor_key is None and (path.parent / "xor.dat").exists():
        xor_key = (path.parent / "xor.dat").read_bytes()
    if xor_key and any(xor_key):
        key = np.frombuffer(xor_key, dtype=np.uint8)
        arr = np.frombuffer(data, dtype=np.uint8) ^ np.resize(key, len(data))
        data = arr.tobytes()
    pos, n = 0, len(data)
    while pos + 8 <= n:
        m = data[pos : pos + 4]
        if m != magic:
            if not any(data[pos:]):
                break  # pre-allocated, unused end of the file
            nxt = data.find(magic, pos + 1)
            what = "zeros" if m == b"\0\0\0\0" else m.hex()
            skipped = (nxt if nxt >= 0 else n) - pos
            problem = (
                f"{path}: at byte {pos:,} expected the block marker {magic.hex()} but found {what}, and "
                f"{skipped:,} bytes that are not all zeros follow"
            )
            if strict or pos == 0 and nxt < 0:
                raise InputFormatError(
                    f"{problem}. The file is damaged, is not a blk*.dat file, or belongs to another network "
                    "(testnet's marker is 0b110907); for one raw block use load_raw_blocks"
                )
            where_next = (
                f"reading on from the next block marker at byte {nxt:,}"
                if nxt >= 0
                else "no block marker follows, so the rest of the file is left out"
            )
            warnings.warn(
                f"{problem}: skipped bytes {pos:,} to {pos + skipped:,} ({where_next}). The file is "
                "damaged there; blocks in the skipped part are missing (strict=True refuses such a file)",
                SkippedDataWarning,
                stacklevel=3,
            )
            if nxt < 0:
                break
            pos = nxt
            continue
        length = _U32.unpack_from(data, pos + 4)[0]
        if pos + 8 + length > n:
            raise InputFormatError(
                f"{path}: the block record at byte {pos:,} says {length:,} bytes but the file "
                f"ends after {n - pos - 8:,}; the file is truncated (copy it again)"
            )
        yield pos, data[pos + 8 : pos + 8 + length]
        pos += 8 + length


#: The easiest proof-of-work target of each network, by its blk-file marker (Bitcoin Core's ``powLimit``).
POW_LIMITS = {
    MAINNET_MAGIC: MAINNET_POW_LIMIT,
    bytes.fromhex("0b110907"): MAINNET_POW_LIMIT,  # testnet3
    bytes.fromhex("0a03cf40"): target_of_bits(0x1E0377AE),  # signet
    bytes.fromhex("fabfb5da"): target_of_bits(0x207FFFFF),  # regtest
}


def load_blk_files(
    paths,
    *,
    heights=None,
    prevouts=None,
    magic: bytes = MAINNET_MAGIC,
    xor_key: bytes | None = None,
    check_merkle: bool = True,
    check_pow: bool = True,
    strict: bool = False,
    validate: bool = True,
):
    """Load Bitcoin Core ``blk*.dat`` files into a :class:`~cryptotrace.Chain`.

    Blocks may be stored out of order (a node saves them as they arrive);
    they are put in height order by following each header's link to its
    parent. Stale blocks of a fork are left out with a warning.

    Parameters
    ----------
    paths : str, Path or list of them
        ``blk*.dat`` files; give several to load a longer stretch.
    heights, prevouts, check_merkle, validate
        As for :func:`load_raw_blocks`.
    check_pow : bool, default True
        As for :func:`load_raw_blocks`, within the limit of the network ``magic`` names.
    magic : bytes
        The network marker (mainnet ``f9beb4d9``).
    xor_key : bytes, optional
        Bitcoin Core 28+ key; read from ``xor.dat`` beside the files when present.
    strict : bool, default False
        Refuse a file with a damaged record marker instead of skipping to the
        next block with a :class:`~cryptotrace.errors.SkippedDataWarning`.

    Examples
    --------
    The first 256 mainnet blocks, as a node stores them (real records in ``tests/data/real``):

    >>> import cryptotrace as ct
    >>> chain = ct.load_blk_files("tests/data/real/blocks/mainnet_blk_0-256.dat")
    >>> len(chain.blocks), len(chain.txs)
    (256, 263)
    >>> chain.outputs.value[chain.outputs.txid.str.startswith("f4184fc5")].tolist()   # Satoshi -> Hal Finney
    [1000000000, 4000000000]
    """
    cols = Columns()
    heads = []
    files = _as_paths(paths)
    if not files:
        raise InputFormatError("no blk files given")
    limit = POW_LIMITS.get(bytes(magic), 1 << 256) if check_pow else None
    for path in files:
        for off, rec in read_blk_records(path, magic=magic, xor_key=xor_key, strict=strict):
            heads.append(
                parse_block_into(
                    rec, cols, len(heads), f"{path} at byte {off:,}", check_merkle=check_merkle, pow_limit=limit
                )
            )
    if not heads:
        raise InputFormatError(f"{', '.join(map(str, files))} hold no blocks")
    return _chain(cols, heads, _assign_heights(heads, heights, str(files[0])), validate=validate, prevouts=prevouts)


def _tx_items(item) -> list[tuple[bytes, str]]:
    """The raw transactions in one item: bytes, a hex string, or a file of hex lines (or binary)."""
    if isinstance(item, (bytes, bytearray, memoryview)):
        return [(bytes(item), "transaction bytes")]
    if isinstance(item, str) and len(item) >= 120 and all(c in "0123456789abcdefABCDEF" for c in item.strip()[:400]):
        try:
            return [(bytes.fromhex(item.strip()), f"transaction hex {item[:16]}...")]
        except ValueError:
            raise InputFormatError(
                f"the transaction hex {item[:24]!r}... holds characters that are not "
                "hexadecimal; copy the whole raw transaction again"
            ) from None
    path = Path(item)
    if not path.exists():
        raise InputFormatError(f"{str(item)[:40]!r} is neither a file nor raw transaction hex")
    data = path.read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return [(data, str(path))]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    out = []
    for k, ln in enumerate(lines):
        try:
            out.append((bytes.fromhex(ln), f"{path} line {k + 1}"))
        except ValueError:
            raise InputFormatError(
                f"{path} line {k + 1} is not hex; the file should hold one raw transaction in hex per line"
            ) from None
    return out


def load_raw_transactions(transactions, *, prevouts=None, validate: bool = True):
    """Load raw transactions (hex strings, bytes, or files with one hex transaction per line).

    The transactions carry no block, so heights and times are unknown; an
    input spending an output of another given transaction is joined to it,
    the others are external with unknown value unless ``prevouts`` (as for
    :func:`load_raw_blocks`) knows them.

    Examples
    --------
    >>> genesis_cb = ("01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04"
    ...   "ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272"
    ...   "696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000"
    ...   "434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f355"
    ...   "04e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000")
    >>> load_raw_transactions(genesis_cb).txs.txid[0]
    '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'
    """
    cols = Columns()
    items = _as_paths(transactions)
    for item in items:
        for data, where in _tx_items(item):
            parse_all_txs(data, cols, where)
    if not cols.txid:
        raise InputFormatError("no transactions given; pass raw transaction hex, bytes or files")
    return _chain(cols, [], None, validate=validate, prevouts=prevouts)
