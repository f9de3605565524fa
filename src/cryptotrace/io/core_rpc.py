"""Bitcoin Core: its JSON-RPC interface, and saved RPC answers.

An investigator with their own full node can load any stretch of the chain
from it, without trusting an outside explorer:

* :class:`CoreRPCClient` talks to ``bitcoind`` (URL plus user/password or
  the node's cookie file), sends calls in batches, and
  :meth:`CoreRPCClient.fetch_chain` imports a range of heights into a
  :class:`~cryptotrace.Chain`, finding the address and value of every input
  (``getblock`` verbosity 3 carries them; with older nodes, or verbosity 2,
  they are looked up with ``getrawtransaction``, which needs ``-txindex``).
* :func:`load_core_json` reads saved answers of ``getblock`` (verbosity 2 or
  3) and ``getrawtransaction`` (verbose).

Both field layouts are read: ``scriptPubKey.addresses`` (before Core 22)
and ``scriptPubKey.address`` (22 and later); addresses are taken from the
script itself, so both give the same chain. Amounts (BTC in RPC answers)
are converted to satoshis exactly.

Example (needs the files or a server, so not run as a test)::

    import cryptotrace as ct
    node = ct.CoreRPCClient("http://127.0.0.1:8332", cookie_file="~/.bitcoin/.cookie")
    chain = node.fetch_chain(170, 181)     # blocks 170..181, every input resolved
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd

from .._safe import loads_json
from .. import errors as E
from . import _verify as V
from ._http import DEFAULT_MAX_BYTES, Http
from ._script import addresses_of_scripts, script_address

__all__ = ["CoreRPCClient", "load_core_json", "core_tables"]


_I32 = (-(2**31), 2**31 - 1)
_U32 = 0xFFFFFFFF


def _spk_address(spk: dict) -> tuple[str | None, bytes | None]:
    """Script bytes (if given) and the address the RPC answer names (either layout)."""
    h = spk.get("hex")
    script = bytes.fromhex(h) if isinstance(h, str) else None
    named = spk.get("address")
    if named is None and isinstance(spk.get("addresses"), list) and len(spk["addresses"]) == 1:
        named = spk["addresses"][0]
    return named, script


def _is_block(obj) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("tx"), list) and "hash" in obj


def _is_tx(obj) -> bool:
    return isinstance(obj, dict) and "txid" in obj and "vin" in obj and "vout" in obj


# ---------------------------------------------------------------------- strict field types
def _check_spk(spk, where, subj, field):
    V.need_dict(spk, where, subj, field)
    if "hex" in spk:
        V.need_hex(spk["hex"], where, subj, f"{field}.hex")
    if "address" in spk:
        V.need_str(spk["address"], where, subj, f"{field}.address")
    if "addresses" in spk:
        for a in V.need_list(spk["addresses"], where, subj, f"{field}.addresses"):
            V.need_str(a, where, subj, f"{field}.addresses[...]")


def _check_tx(t: dict, where: str) -> None:
    """Every field the loader reads has its Bitcoin Core type (FieldTypeError names the first that does not)."""
    txid = V.need_hex64(t.get("txid"), where, "a transaction", "txid")
    subj = f"transaction {txid}"
    for k, (lo, hi) in (
        ("version", _I32),
        ("locktime", (0, _U32)),
        ("size", (0, _U32)),
        ("vsize", (0, _U32)),
        ("weight", (0, _U32)),
        ("blocktime", (0, _U32)),
        ("time", (0, _U32)),
    ):
        if k in t:
            V.need_int(t[k], where, subj, k, lo=lo, hi=hi)
    if "hex" in t:
        V.need_hex(t["hex"], where, subj, "hex")
    if "blockhash" in t:
        V.need_hex64(t["blockhash"], where, subj, "blockhash")
    for i, v in enumerate(V.need_list(t["vin"], where, subj, "vin", nonempty=True)):
        f = f"vin[{i}]"
        V.need_dict(v, where, subj, f)
        if "sequence" in v:
            V.need_int(v["sequence"], where, subj, f"{f}.sequence", hi=_U32)
        if "coinbase" in v:
            V.need_hex(v["coinbase"], where, subj, f"{f}.coinbase")
            continue
        V.need_hex64(v.get("txid"), where, subj, f"{f}.txid")
        V.need_int(v.get("vout"), where, subj, f"{f}.vout", hi=_U32)
        if "prevout" in v:
            p = V.need_dict(v["prevout"], where, subj, f"{f}.prevout")
            V.btc_to_sats(p.get("value"), where, subj, f"{f}.prevout.value")
            _check_spk(p.get("scriptPubKey"), where, subj, f"{f}.prevout.scriptPubKey")
    for j, o in enumerate(V.need_list(t["vout"], where, subj, "vout")):
        f = f"vout[{j}]"
        V.need_dict(o, where, subj, f)
        V.btc_to_sats(o.get("value"), where, subj, f"{f}.value")
        if V.need_int(o.get("n"), where, subj, f"{f}.n") != j:
            raise V.bad(where, subj, f"{f}.n", o["n"], f"{j} (outputs are numbered in order from 0)", V.FIX)
        if "scriptPubKey" in o:
            _check_spk(o["scriptPubKey"], where, subj, f"{f}.scriptPubKey")


def _check_block(b: dict, where: str) -> None:
    h = V.need_hex64(b.get("hash"), where, "a block", "hash")
    subj = f"block {h}"
    for k in ("merkleroot", "previousblockhash"):
        if k in b:
            V.need_hex64(b[k], where, subj, k)
    for k, (lo, hi) in (
        ("height", (0, _I32[1])),
        ("time", (0, _U32)),
        ("nonce", (0, _U32)),
        ("version", _I32),
        ("nTx", (0, _U32)),
    ):
        if k in b:
            V.need_int(b[k], where, subj, k, lo=lo, hi=hi)
    if b.get("bits") is not None and (not isinstance(b["bits"], str) or len(b["bits"]) != 8):
        raise V.bad(where, subj, "bits", b["bits"], "8 hexadecimal characters (e.g. '1d00ffff')", V.FIX)
    if "bits" in b:
        V.need_hex(b["bits"], where, subj, "bits")
    for t in b["tx"]:
        if isinstance(t, str):
            raise E.InputFormatError(
                f"{where}: block {h} lists only txids (getblock verbosity 1); save it with verbosity 2 or 3 "
                "(bitcoin-cli getblock HASH 2)"
            )
        if not isinstance(t, dict):
            raise V.bad(where, subj, "tx[...]", t, "a transaction object (getblock verbosity 2 or 3)", V.FIX)
        _check_tx(t, where)


# ---------------------------------------------------------------------- raw-bytes verification
def _compare(t: dict, r: V.RawTx, where: str) -> None:
    """The JSON fields of one transaction against what its raw bytes say."""
    txid = t["txid"].lower()
    if r.txid != txid:
        raise V.txid_mismatch(where, txid, r.txid)
    for k, raw in (("version", r.version), ("locktime", r.locktime), ("size", r.size), ("vsize", r.vsize)):
        if t.get(k) is not None and t[k] != raw:
            raise V.field_mismatch(where, txid, k, t[k], raw)
    V.compare_inputs(t["vin"], r, where, txid, lambda v: "coinbase" in v, "vin[{i}] is a coinbase")
    if len(t["vout"]) != len(r.outs):
        raise V.field_mismatch(where, txid, "the number of outputs", len(t["vout"]), len(r.outs))
    for j, (o, (value, addr, _kind)) in enumerate(zip(t["vout"], r.outs)):
        sats = V.btc_to_sats(o["value"], where, f"transaction {txid}", f"vout[{j}].value")
        if sats != value:
            raise V.field_mismatch(where, txid, f"vout[{j}].value (in satoshis)", sats, value)
        named, script = _spk_address(o.get("scriptPubKey") or {})
        if script is not None and script_address(script)[0] != addr:
            raise V.field_mismatch(where, txid, f"vout[{j}].scriptPubKey.hex pays to", script_address(script)[0], addr)
        if named is not None and addr is not None and named != addr:
            raise V.field_mismatch(where, txid, f"vout[{j}] address", named, addr)


def _verify(blocks: list[dict], txs: list[dict], where_of: dict) -> int:
    """Recompute every txid from its ``hex``, compare the JSON with the bytes, check merkle roots and headers.

    Returns how many transactions were checked against their raw bytes.
    """
    todo = []
    for b in blocks:
        todo.extend((t, where_of.get(id(b), "the answers")) for t in b["tx"] if "hex" in t)
    todo.extend((t, where_of.get(id(t), "the answers")) for t in txs if "hex" in t)
    rows = V.raw_rows([(t["hex"], w, t["txid"]) for t, w in todo])
    for (t, w), r in zip(todo, rows):
        _compare(t, r, w)
    for b in blocks:
        w, h = where_of.get(id(b), "the answers"), b["hash"].lower()
        ids = [t["txid"].lower() for t in b["tx"]]
        if b.get("merkleroot") is not None:
            root = V.merkle_root_hex(ids)
            if root != b["merkleroot"].lower():
                raise E.MerkleRootError(
                    f"{w}: block {h}: its {len(ids)} transactions, in the order given, hash to merkle root {root}, "
                    f"but the block says {b['merkleroot']}. Transactions were left out, added, reordered or "
                    "altered; do not use the answer as evidence, fetch it again from the node"
                )
            if all(b.get(k) is not None for k in ("version", "time", "bits", "nonce")):
                got = V.header_hash(
                    b["version"], b.get("previousblockhash"), b["merkleroot"], b["time"], int(b["bits"], 16), b["nonce"]
                )
                if got != h:
                    raise E.SourceMismatchError(
                        f"{w}: block {h}: its header fields (version, previousblockhash, merkleroot, time, bits, "
                        f"nonce) hash to {got}, not to the block's hash. The answer was altered; fetch it again"
                    )
        if b.get("nTx") is not None and b["nTx"] != len(ids):
            raise E.SourceMismatchError(
                f"{w}: block {h} says nTx = {b['nTx']} but lists {len(ids)} transactions; "
                "the answer is incomplete or altered, fetch it again"
            )
    return len(rows)


def core_tables(
    blocks: list[dict],
    txs: list[dict] = (),
    prevout_txs: list[dict] = (),
    *,
    where: str = "the answers",
    check: bool = True,
) -> dict[str, pd.DataFrame]:
    """Chain tables from ``getblock`` (verbosity 2/3) and ``getrawtransaction`` answers.

    ``blocks`` give their transactions with heights; ``txs`` are extra
    transactions (placed in a loaded block when their ``blockhash`` is one,
    otherwise without a height); ``prevout_txs`` only supply the address and
    value of outputs the loaded transactions spend. Every field read is
    checked for its type first (``check=False`` when already done); a bad one
    raises :class:`~cryptotrace.errors.FieldTypeError` naming ``where``.
    """
    if check:
        for b in blocks:
            _check_block(b, where)
        for t in list(txs) + list(prevout_txs):
            _check_tx(t, where)
    height_of = {b["hash"]: b.get("height") for b in blocks}
    time_of = {b["hash"]: b.get("time") for b in blocks}
    tx_rows, in_rows, out_rows, out_scripts, out_named = [], [], [], [], []
    in_scripts: list = []
    seen: set[str] = set()
    block_rows = [{"height": b.get("height"), "hash": b["hash"], "time": b.get("time")} for b in blocks]
    prev_src = {t["txid"].lower(): t for t in prevout_txs}

    def add_tx(t: dict, height, time):
        txid = t["txid"].lower()
        if txid in seen:
            return
        seen.add(txid)
        tx_rows.append(
            {
                "txid": txid,
                "block_height": height,
                "time": time,
                "version": t.get("version"),
                "locktime": t.get("locktime"),
                "size": t.get("size"),
                "vsize": t.get("vsize"),
            }
        )
        for i, v in enumerate(t["vin"]):
            if "coinbase" in v:
                in_rows.append(
                    {
                        "txid": txid,
                        "vin": i,
                        "prev_txid": None,
                        "prev_vout": None,
                        "value": None,
                        "sequence": v.get("sequence"),
                    }
                )
                in_scripts.append(None)
                continue
            value, script = None, None
            prev = v["txid"].lower()
            p = v.get("prevout")
            if p is None and prev in prev_src:
                src = prev_src[prev]["vout"]
                p = src[v["vout"]] if v["vout"] < len(src) else None  # outputs are checked to be numbered in order
            if p is not None:
                value = V.btc_to_sats(p.get("value"), "the answers", f"transaction {txid}", f"vin[{i}] prevout value")
                named, script = _spk_address(p.get("scriptPubKey") or {})
                if script is None and named is not None:
                    script = named  # an address string: used as is
            in_rows.append(
                {
                    "txid": txid,
                    "vin": i,
                    "prev_txid": prev,
                    "prev_vout": v["vout"],
                    "value": value,
                    "sequence": v.get("sequence"),
                }
            )
            in_scripts.append(script)
        for j, o in enumerate(t["vout"]):
            named, script = _spk_address(o.get("scriptPubKey") or {})
            out_rows.append(
                {
                    "txid": txid,
                    "vout": j,
                    "value": V.btc_to_sats(o["value"], "the answers", f"transaction {txid}", f"vout[{j}].value"),
                }
            )
            out_scripts.append(script)
            out_named.append(named)

    for b in blocks:
        for t in b["tx"]:
            add_tx(t, b.get("height"), b.get("time"))
    for t in txs:
        bh = t.get("blockhash")
        add_tx(t, height_of.get(bh), time_of.get(bh, t.get("blocktime")))

    # addresses: from the script bytes when given (same rule as raw blocks), else the named address
    have = [i for i, s in enumerate(out_scripts) if s is not None]
    addrs, kinds = [None] * len(out_scripts), ["nonstandard"] * len(out_scripts)
    if have:
        a, k = addresses_of_scripts([out_scripts[i] for i in have])
        for i, x, y in zip(have, a, k):
            addrs[i], kinds[i] = x, y
    for i, s in enumerate(out_scripts):
        if s is None and out_named[i] is not None:
            addrs[i], kinds[i] = out_named[i], None
    in_addr = []
    for s in in_scripts:
        if s is None:
            in_addr.append(None)
        elif isinstance(s, str):
            in_addr.append(s)
        else:
            in_addr.append(script_address(s)[0])
    outputs = pd.DataFrame(out_rows, columns=["txid", "vout", "value"])
    outputs["address"] = pd.Series(addrs, dtype=object)
    outputs["script_type"] = pd.Series(kinds, dtype=object)
    inputs = pd.DataFrame(in_rows, columns=["txid", "vin", "prev_txid", "prev_vout", "value", "sequence"])
    inputs["address"] = pd.Series(in_addr, dtype=object)
    return {
        "txs": pd.DataFrame(tx_rows, columns=["txid", "block_height", "time", "version", "locktime", "size", "vsize"]),
        "inputs": inputs,
        "outputs": outputs,
        "blocks": pd.DataFrame(block_rows, columns=["height", "hash", "time"]),
    }


def _is_etl(v) -> bool:
    """A blockchain-etl record (flattened block or transaction), not an RPC answer."""
    return isinstance(v, dict) and (
        ("number" in v and "merkle_root" in v) or ("hash" in v and ("inputs" in v or "block_number" in v))
    )


def _split(values: list, where: str) -> tuple[list, list]:
    blocks, txs = [], []
    stack = list(values)
    while stack:
        v = stack.pop(0)
        if isinstance(v, dict) and "result" in v and ("error" in v or "id" in v):
            if v.get("error"):
                raise E.InputFormatError(f"{where} holds an RPC error answer: {v['error']}")
            stack.insert(0, v["result"])
        elif _is_block(v):
            blocks.append(v)
        elif _is_tx(v):
            txs.append(v)
        elif isinstance(v, list):
            stack[0:0] = v
        elif isinstance(v, (str, int)) or v is None:
            continue  # getblockhash / getblockcount answers
        elif _is_etl(v):
            raise E.InputFormatError(
                f"{where} is a blockchain-etl export, not Bitcoin Core RPC answers; "
                "load it with load_etl (--format etl)"
            )
        else:
            raise E.InputFormatError(
                f"{where} holds JSON that is neither a getblock nor a getrawtransaction "
                f"answer (keys {sorted(v)[:6] if isinstance(v, dict) else type(v).__name__})"
            )
    return blocks, txs


def load_core_json(paths, *, validate: bool = True, verify: bool = True):
    """Load saved Bitcoin Core RPC answers into a :class:`~cryptotrace.Chain`.

    Parameters
    ----------
    paths : str, Path or list of them
        Files (or folders of ``*.json`` files) holding ``getblock`` answers at
        verbosity 2 or 3 and/or ``getrawtransaction`` verbose answers: the bare
        result, the ``{"result": ..., "error": ..., "id": ...}`` envelope, a
        list (batch) of them, or JSON lines. ``getblockhash`` answers are skipped,
        and so are blockchain-etl exports found in a folder.

        A ``getrawtransaction`` answer is a transaction of the chain when its
        block is loaded too, or when no block is given at all; when blocks are
        given and its block is not among them, it only tells the address and
        value of the outputs the loaded transactions spend (just as
        :meth:`CoreRPCClient.fetch_chain` uses it).
    validate : bool, default True
        Run the :meth:`Chain.from_tables` checks.
    verify : bool, default True
        Check each answer against itself, the way a node checks what it is
        sent. Bitcoin Core puts every transaction's raw bytes in its answers
        (``hex``), so this costs no extra data: each txid is recomputed from
        the bytes (:class:`~cryptotrace.errors.TxidMismatchError` when it
        differs); the JSON fields (inputs' prev txid, vout and sequence,
        outputs' values and addresses, version, locktime, size) are compared
        with what the bytes say (:class:`~cryptotrace.errors.SourceMismatchError`);
        each block's txids, in the order given, must hash to its merkle root
        (:class:`~cryptotrace.errors.MerkleRootError`) and its header fields to
        its hash. Input values come from the spent transaction's own verified
        outputs when its ``getrawtransaction`` answer is loaded; the
        ``prevout`` objects of ``getblock`` verbosity 3 are not in the raw
        bytes and are taken as given. Field types are always checked
        strictly (:class:`~cryptotrace.errors.FieldTypeError`, naming the
        file, the transaction and the field), ``verify`` or not.

    Examples
    --------
    A saved ``getrawtransaction`` answer (the genesis coinbase) whose JSON
    was edited to claim 51 BTC, while its raw bytes say 50, is refused:

    >>> import json, pathlib, tempfile
    >>> raw = ("01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04"
    ...   "ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272"
    ...   "696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000"
    ...   "434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f355"
    ...   "04e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000")
    >>> answer = {"txid": "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", "hex": raw,
    ...           "version": 1, "locktime": 0, "vin": [{"coinbase": "04ffff001d01", "sequence": 4294967295}],
    ...           "vout": [{"value": 51, "n": 0}]}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "genesis_coinbase.json"
    >>> _ = path.write_text(json.dumps(answer))
    >>> load_core_json(path)
    Traceback (most recent call last):
    ...
    cryptotrace.errors.SourceMismatchError: ...json: transaction 4a5e...: the JSON says vout[0].value ... = ...
    >>> answer["vout"][0]["value"] = 50
    >>> _ = path.write_text(json.dumps(answer))
    >>> load_core_json(path).outputs.value.tolist()
    [5000000000]
    """
    from .files import expand_paths

    files, in_folder = expand_paths(paths, (".json",), "the saved RPC answers")
    blocks, txs, where_of = [], [], {}
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        try:
            values = [loads_json(text, parse_float=Decimal)]
        except json.JSONDecodeError:
            try:
                values = [loads_json(ln, parse_float=Decimal) for ln in text.splitlines() if ln.strip()]
            except json.JSONDecodeError as exc:
                raise E.InputFormatError(
                    f"{f} is not JSON ({exc.msg} at line {exc.lineno}); save the RPC "
                    "answer unchanged (bitcoin-cli ... > file.json)"
                ) from None
        if f in in_folder and values and _is_etl(values[0]):
            continue  # a blockchain-etl export lying in the same folder (load it with load_etl)
        b, t = _split(values, str(f))
        where_of.update((id(x), str(f)) for x in b + t)
        blocks.extend(b)
        txs.extend(t)
    return _build(blocks, txs, where_of, validate=validate, verify=verify)


def _build(blocks, txs, where_of=None, *, validate: bool, verify: bool):
    """Check every answer's field types, verify it against its raw bytes, and make the Chain."""
    from ..chain import Chain

    where_of = where_of or {}
    for b in blocks:
        _check_block(b, where_of.get(id(b), "the answers"))
    for t in txs:
        _check_tx(t, where_of.get(id(t), "the answers"))
    if not blocks and not txs:
        raise E.InputFormatError("no getblock or getrawtransaction answers found")
    uniq = {}
    for b in blocks:
        uniq.setdefault(b["hash"].lower(), b)
    blocks = sorted(uniq.values(), key=lambda b: b.get("height") or 0)
    if blocks:
        in_blocks = {t["txid"].lower() for b in blocks for t in b["tx"]}
        hashes = set(uniq)
        member = [t for t in txs if (t.get("blockhash") or "").lower() in hashes and t["txid"].lower() not in in_blocks]
        prevouts = [t for t in txs if (t.get("blockhash") or "").lower() not in hashes]
    else:
        member, prevouts = txs, []
    if verify:
        _verify(blocks, member + prevouts, where_of)
    t = core_tables(blocks, member, prevouts, check=False)
    return Chain.from_tables(
        txs=t["txs"], inputs=t["inputs"], outputs=t["outputs"], blocks=t["blocks"], validate=validate
    )


class CoreRPCClient:
    """Talk to your own Bitcoin Core node over JSON-RPC.

    Parameters
    ----------
    url : str, default "http://127.0.0.1:8332"
    user, password : str, optional
        ``rpcuser`` / ``rpcpassword`` from bitcoin.conf.
    cookie_file : str or Path, optional
        The node's ``.cookie`` file (``~/.bitcoin/.cookie``), used instead of a user and password.
    timeout : float, default 60
    max_retries : int, default 3
        Tries after timeouts, dropped connections, 429/502/503/504 or "node warming up".
    backoff : float, default 1.0
    batch_size : int, default 50
        Calls sent in one HTTP request.
    progress : bool or None
        Progress bar for long imports (``None``: only in a terminal).
    max_bytes : int, optional
        Largest answer accepted, after decompression (default: 16 MiB per call
        of a batch, at least 64 MiB); a larger one raises ``ResponseTooLargeError``.

    Examples
    --------
    Nothing is sent until a method asks the node; an unreachable node raises an error that says so:

    >>> from cryptotrace.io.core_rpc import CoreRPCClient
    >>> node = CoreRPCClient("http://127.0.0.1:9", user="alice", password="secret", max_retries=0, timeout=1)
    >>> node.call("getblockcount")
    Traceback (most recent call last):
    ...
    cryptotrace.errors.FetchError: RPC getblockcount: http://127.0.0.1:9 failed after 1 try: ...
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8332",
        *,
        user: str | None = None,
        password: str | None = None,
        cookie_file=None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        batch_size: int = 50,
        progress: bool | None = None,
        max_bytes: int | None = None,
    ):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise E.FetchError(f"url {url!r} is not a web address; give e.g. 'http://127.0.0.1:8332'")
        if cookie_file is not None:
            cpath = Path(cookie_file).expanduser()
            if not cpath.exists():
                raise E.FetchError(
                    f"no cookie file at {cpath}; it is in the node's data folder while bitcoind "
                    "runs (e.g. ~/.bitcoin/.cookie), or give user= and password="
                )
            user, _, password = cpath.read_text().strip().partition(":")
        self.url = url
        self.batch_size = max(1, int(batch_size))
        self.progress = progress
        # a batch of recent blocks at verbosity 3 is several MB of JSON per block: the default answer limit
        # grows with the batch (16 MiB a call) unless max_bytes says otherwise
        limit = max_bytes if max_bytes is not None else max(DEFAULT_MAX_BYTES, 16 * 2**20 * self.batch_size)
        self._http = Http(
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            rate_limit=None,
            auth=(user, password or "") if user else None,
            retry_statuses=(429, 502, 503, 504),
            max_bytes=int(limit),
        )
        self._id = 0

    def __repr__(self) -> str:
        return f"CoreRPCClient({self.url!r})"

    # -------------------------------------------------------------- calls
    def _post(self, payload, what: str):
        resp = self._http.request("POST", self.url, what=what, json=payload)
        if resp.status_code == 401:
            raise E.FetchError(
                f"{what}: the node at {self.url} refused the login (HTTP 401). Check user= and "
                "password= (rpcuser/rpcpassword) or use cookie_file="
            )
        if resp.status_code == 403:
            raise E.FetchError(
                f"{what}: the node at {self.url} does not allow this computer (HTTP 403); "
                "see rpcallowip in bitcoin.conf"
            )
        try:
            return resp.json(parse_float=Decimal)
        except ValueError:
            raise E.FetchError(
                f"{what}: the node answered HTTP {resp.status_code} with something that is not "
                f"JSON-RPC ({resp.text[:80]!r}). Is {self.url} a Bitcoin Core RPC port?"
            ) from None

    @staticmethod
    def _raise(err: dict, method: str, params) -> None:
        code, msg = err.get("code"), err.get("message", "")
        call = f"{method}({', '.join(map(repr, params))})"
        if code in (-5, -8):
            hint = ""
            if method == "getrawtransaction":
                hint = (
                    " A node finds old transactions only with -txindex=1 (restart bitcoind with it), "
                    "or use resolve_prevouts=False"
                )
            raise E.NotFoundError(f"the node does not know {call}: {msg} (code {code}).{hint}")
        raise E.FetchError(f"the node answered {call} with error {code}: {msg}")

    def call(self, method: str, *params):
        """One RPC call; returns its result."""
        self._id += 1
        ans = self._post({"jsonrpc": "1.0", "id": self._id, "method": method, "params": list(params)}, f"RPC {method}")
        if not isinstance(ans, dict):
            raise E.FetchError(f"RPC {method}: unexpected answer {str(ans)[:80]!r}")
        if ans.get("error"):
            self._raise(ans["error"], method, params)
        return ans.get("result")

    def batch(self, calls) -> list:
        """Many calls ``[(method, [params...]), ...]`` in batches; results in the same order."""
        calls = [(m, list(p)) for m, p in calls]
        results = []
        for k in range(0, len(calls), self.batch_size):
            chunk = calls[k : k + self.batch_size]
            base = self._id + 1
            self._id += len(chunk)
            payload = [{"jsonrpc": "1.0", "id": base + i, "method": m, "params": p} for i, (m, p) in enumerate(chunk)]
            ans = self._post(payload, f"RPC batch of {len(chunk)} ({chunk[0][0]} ...)")
            if not isinstance(ans, list):
                if isinstance(ans, dict) and ans.get("error"):
                    self._raise(ans["error"], chunk[0][0], chunk[0][1])
                raise E.FetchError(f"the node answered a batch with {str(ans)[:80]!r} instead of a list")
            by_id = {a.get("id"): a for a in ans}
            for i, (m, p) in enumerate(chunk):
                a = by_id.get(base + i)
                if a is None:
                    raise E.FetchError(f"the node's batch answer lacks the result of {m}{tuple(p)}")
                if a.get("error"):
                    self._raise(a["error"], m, p)
                results.append(a.get("result"))
        return results

    def getblockcount(self) -> int:
        return int(self.call("getblockcount"))

    def getblockhash(self, height: int) -> str:
        return self.call("getblockhash", int(height))

    def getblock(self, block_hash: str, verbosity: int = 3) -> dict:
        return self.call("getblock", block_hash, int(verbosity))

    def getrawtransaction(self, txid: str, verbose: bool = True) -> dict:
        return self.call("getrawtransaction", txid, bool(verbose))

    # -------------------------------------------------------------- chains
    def _bar(self, total, desc):
        from tqdm.auto import tqdm

        return tqdm(
            total=total,
            desc=desc,
            unit="block",
            leave=False,
            disable=None if self.progress is None else not self.progress,
        )

    def fetch_chain(
        self,
        first: int,
        last: int | None = None,
        *,
        verbosity: int = 3,
        resolve_prevouts: bool = True,
        validate: bool = True,
        verify: bool = True,
    ):
        """Import blocks ``first..last`` (inclusive) into a :class:`~cryptotrace.Chain`.

        Parameters
        ----------
        first, last : int
            Heights; ``last`` defaults to ``first``.
        verbosity : {3, 2}
            3 (Core 23+) returns each input's prevout; with 2, or an older node, the
            missing prevouts are looked up with ``getrawtransaction``.
        resolve_prevouts : bool, default True
            Look up the address and value of inputs spending coins from before
            ``first``; False leaves them unknown (external).
        validate : bool, default True
            Run the :meth:`Chain.from_tables` checks.
        verify : bool, default True
            Check every answer against its own raw bytes, which the node
            sends anyway (no extra calls): txids recomputed from ``hex``, the
            JSON fields compared with the bytes, each block's merkle root and
            header hash recomputed, and each block is the one asked for
            (hash and height). See :func:`load_core_json` for what is and is
            not covered. Field types are checked strictly in any case.
        """
        last = first if last is None else last
        if first < 0 or last < first:
            raise E.FetchError(f"heights {first}..{last} are not a range; give first <= last, both 0 or more")
        heights = list(range(int(first), int(last) + 1))
        hashes = self.batch([("getblockhash", [h]) for h in heights])
        where_of: dict = {}
        for height, h in zip(heights, hashes):
            V.need_hex64(h, f"{self.url} getblockhash({height})", "", "result")
        blocks = []
        with self._bar(len(hashes), "blocks") as bar:
            for k in range(0, len(hashes), self.batch_size):
                chunk = hashes[k : k + self.batch_size]
                got = self.batch([("getblock", [h, verbosity]) for h in chunk])
                for height, h, b in zip(heights[k : k + self.batch_size], chunk, got):
                    where = f"{self.url} getblock({h!r}, {verbosity})"
                    if not _is_block(b):
                        raise E.FetchError(
                            f"{where}: the node's answer is not a block (keys "
                            f"{sorted(b)[:6] if isinstance(b, dict) else type(b).__name__})"
                        )
                    _check_block(b, where)
                    if verify and (b["hash"].lower() != h.lower() or b.get("height", height) != height):
                        raise E.SourceMismatchError(
                            f"{where}: asked for block {h} at height {height}, the node answered block "
                            f"{b['hash']} at height {b.get('height')}; is something between you and the node?"
                        )
                    where_of[id(b)] = where
                    blocks.append(b)
                bar.update(len(chunk))
        prevouts = []
        if resolve_prevouts:
            inside = {t["txid"].lower() for b in blocks for t in b["tx"]}
            need = list(
                dict.fromkeys(
                    v["txid"].lower()
                    for b in blocks
                    for t in b["tx"]
                    for v in t["vin"]
                    if "coinbase" not in v and "prevout" not in v and v["txid"].lower() not in inside
                )
            )
            if need:
                prevouts = self.batch([("getrawtransaction", [t, True]) for t in need])
                for txid, t in zip(need, prevouts):
                    where = f"{self.url} getrawtransaction({txid!r}, True)"
                    if not _is_tx(t):
                        raise E.FetchError(f"{where}: the node's answer is not a transaction")
                    _check_tx(t, where)
                    if verify and t["txid"].lower() != txid:
                        raise E.SourceMismatchError(
                            f"{where}: asked for transaction {txid}, the node answered {t['txid']}"
                        )
                    where_of[id(t)] = where
        return _build(blocks, prevouts, where_of, validate=validate, verify=verify)
