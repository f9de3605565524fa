"""blockchain-etl exports: the schema of Google BigQuery's public ``crypto_bitcoin`` dataset.

The whole Bitcoin ledger is a public BigQuery dataset
(``bigquery-public-data.crypto_bitcoin``), made with the open-source
`bitcoin-etl <https://github.com/blockchain-etl/bitcoin-etl>`_ tool. An
instructor can select a slice there (one address's transactions, a range
of blocks) and export it as JSON lines; :func:`load_etl` turns the export
into a :class:`~cryptotrace.Chain`. Files written by ``bitcoinetl
export_blocks_and_transactions`` load the same way.

A ``transactions`` record holds its inputs and outputs nested::

    {"hash": "...", "block_number": 170, "block_timestamp": "2009-01-12 03:30:25 UTC",
     "is_coinbase": false, "fee": 0, "size": 275, "virtual_size": 275, ...,
     "inputs":  [{"index": 0, "spent_transaction_hash": "...", "spent_output_index": 0,
                  "addresses": ["12cbQ..."], "value": 5000000000, "sequence": 4294967295, ...}],
     "outputs": [{"index": 0, "script_hex": "4104...ac", "type": "pubkey",
                  "addresses": ["1Q2TW..."], "value": 1000000000, ...}]}

``blocks`` records (``number``, ``hash``, ``timestamp``, ...) may sit in the
same or separate files. Values are satoshis (BigQuery's NUMERIC may come as
text: it is read exactly); times are Unix seconds or BigQuery timestamps.
A coinbase transaction, which the export lists without inputs, gets the one
coinbase input every other source shows. Addresses are read from the
output scripts when the export has them (``script_hex``), like every other
loader; bitcoin-etl's made-up ``nonstandard...`` addresses are left empty.

Example (needs the files or a server, so not run as a test)::

    import cryptotrace as ct
    chain = ct.load_etl(["transactions.json", "blocks.json"])
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from .._safe import loads_json
from .. import errors as E
from ..addresses import is_valid_address
from ..units import MAX_SATS
from ._script import TYPE_NAMES, addresses_of_scripts

_U32 = 0xFFFFFFFF

__all__ = ["load_etl", "etl_tables"]


def _int(v, what: str, *, lo: int | None = None, hi: int | None = None):
    """A whole number from a JSON number or text (BigQuery's NUMERIC may come as text); None/"" is unknown."""
    if v is None or v == "":
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise E.FieldTypeError(f"{what} is {v!r}, not a number; export the column unchanged")
    if isinstance(v, int):
        n = v
    else:
        try:
            d = Decimal(v.strip() if isinstance(v, str) else repr(v))
        except InvalidOperation:
            raise E.FieldTypeError(
                f"{what} is {v!r}, which is not a number; a blockchain-etl export gives amounts as whole satoshis"
            ) from None
        if not d.is_finite() or d.adjusted() > 30 or d != d.to_integral_value():  # 30: no int of 1e999999999
            raise E.FieldTypeError(
                f"{what} is {v!r}, not a whole number of satoshis; was the value exported "
                "in BTC? Export the raw 'value' column"
            )
        n = int(d)
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        rng = f"from {lo:,} to {hi:,}" if hi is not None else f"{lo:,} or more"
        raise E.FieldTypeError(f"{what} is {v!r}, but it must be {rng}; export the column unchanged")
    return n


def _sats(v, what: str):
    return _int(v, what, lo=0, hi=MAX_SATS)


def _time(v, what: str = "a time"):
    if v is None or v == "":
        return None
    try:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise TypeError
        if isinstance(v, (int, float)) or v.strip().lstrip("-").isdigit():
            return pd.Timestamp(int(v), unit="s", tz="UTC")
        return pd.Timestamp(v.replace(" UTC", "Z"))
    except (TypeError, ValueError, OverflowError):
        raise E.FieldTypeError(
            f"{what} is {v!r}, which is not a time; blockchain-etl gives Unix seconds, "
            "BigQuery a timestamp like '2009-01-12 03:30:25 UTC'"
        ) from None


def _hex64(v, what: str, *, optional: bool = True):
    if v is None and optional:
        return None
    if not isinstance(v, str) or len(v) != 64 or not all(c in "0123456789abcdefABCDEF" for c in v):
        raise E.FieldTypeError(
            f"{what} is {v!r}, but it must be 64 hexadecimal characters (a txid or block "
            "hash); export the column unchanged"
        )
    return v.lower()


def _list(v, what: str) -> list:
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise E.FieldTypeError(
            f"{what} is {str(v)[:60]!r}, but it must be a list of objects (the nested "
            "records of the transactions table); export it as JSON, not as text"
        )
    return v


def _addresses(v, what: str):
    """The ``addresses`` field: null, text, or a list of texts (anything else is refused)."""
    if v is None or isinstance(v, str) or (isinstance(v, list) and all(isinstance(a, str) for a in v)):
        return v
    raise E.FieldTypeError(
        f"{what} is {str(v)[:60]!r}, but it must be a list of addresses (texts); export the column unchanged"
    )


def _one_address(addrs) -> str | None:
    if isinstance(addrs, str):
        addrs = [addrs]
    if isinstance(addrs, list) and len(addrs) == 1 and isinstance(addrs[0], str) and is_valid_address(addrs[0]):
        return addrs[0]
    return None


def etl_tables(records, *, where_of: dict | None = None) -> dict[str, pd.DataFrame]:
    """The four Chain tables from blockchain-etl transaction and block records (dicts).

    Field types are checked (:class:`~cryptotrace.errors.FieldTypeError`):
    ``"is_coinbase": "false"`` is text, not a boolean, and is refused; amounts
    must be whole satoshis from 0 to 21 million BTC (as numbers or text).
    ``where_of`` maps ``id(record)`` to the file it came from, named in errors.
    """
    tx_rows, in_rows, out_rows, out_scripts, out_fallback, block_rows = [], [], [], [], [], {}
    seen: set[str] = set()
    where_of = where_of or {}
    for k, r in enumerate(records):
        if not isinstance(r, dict):
            raise E.InputFormatError(f"record {k + 1} is {type(r).__name__}, not a JSON object")
        src = where_of.get(id(r), "the export")
        kind = r.get("type")
        if kind == "block" or ("number" in r and "merkle_root" in r):
            h = _int(r.get("number"), f"{src}: block record {k + 1} number", lo=0)
            block_rows[h] = {
                "height": h,
                "hash": _hex64(r.get("hash"), f"{src}: block {h} hash"),
                "time": _time(r.get("timestamp"), f"{src}: block {h} timestamp"),
            }
            continue
        if "hash" not in r or "outputs" not in r:
            raise E.InputFormatError(
                f"record {k + 1} is neither a blockchain-etl transaction (hash, inputs, outputs) nor a block "
                f"(number, hash, timestamp); its keys are {sorted(r)[:8]}"
            )
        txid = _hex64(r["hash"], f"{src}: record {k + 1} hash (the txid)", optional=False)
        if txid in seen:
            continue
        seen.add(txid)
        where = f"{src}: transaction {txid}"
        tx_rows.append(
            {
                "txid": txid,
                "block_height": _int(r.get("block_number"), f"{where} block_number", lo=0),
                "time": _time(r.get("block_timestamp"), f"{where} block_timestamp"),
                "version": _int(r.get("version"), f"{where} version"),
                "locktime": _int(r.get("lock_time"), f"{where} lock_time", lo=0, hi=_U32),
                "size": _int(r.get("size"), f"{where} size", lo=0),
                "vsize": _int(r.get("virtual_size"), f"{where} virtual_size", lo=0),
                "fee": None,
            }
        )
        block_hash = _hex64(r.get("block_hash"), f"{where} block_hash")
        if r.get("block_number") is not None and block_hash:
            h = tx_rows[-1]["block_height"]
            block_rows.setdefault(h, {"height": h, "hash": block_hash, "time": tx_rows[-1]["time"]})
        inputs = _list(r.get("inputs", []), f"{where} inputs")
        outputs = _list(r["outputs"], f"{where} outputs")
        coinbase = r.get("is_coinbase", False)
        if not isinstance(coinbase, bool):
            raise E.FieldTypeError(
                f"{where} is_coinbase is {coinbase!r}, but it must be true or false (a JSON "
                "boolean, not text or a number); export the column unchanged"
            )
        if coinbase and not any(i.get("spent_transaction_hash") is None for i in inputs):
            in_rows.append(
                {
                    "txid": txid,
                    "vin": 0,
                    "prev_txid": None,
                    "prev_vout": None,
                    "value": None,
                    "sequence": None,
                    "address": None,
                }
            )
        indexed = []
        for n, i in enumerate(inputs):
            vin = _int(i.get("index"), f"{where} inputs[{n}].index", lo=0)
            if vin is None:
                raise E.FieldTypeError(f"{where} inputs[{n}] has no index; export the column unchanged")
            indexed.append((vin, i))
        for vin, i in sorted(indexed, key=lambda x: x[0]):
            in_rows.append(
                {
                    "txid": txid,
                    "vin": vin,
                    "prev_txid": _hex64(i.get("spent_transaction_hash"), f"{where} input {vin} spent_transaction_hash"),
                    "prev_vout": _int(
                        i.get("spent_output_index"), f"{where} input {vin} spent_output_index", lo=0, hi=_U32
                    ),
                    "value": _sats(i.get("value"), f"{where} input {vin} value"),
                    "sequence": _int(i.get("sequence"), f"{where} input {vin} sequence", lo=0, hi=_U32),
                    "address": _one_address(_addresses(i.get("addresses"), f"{where} input {vin} addresses")),
                }
            )
        for n, o in enumerate(outputs):
            vout = _int(o.get("index"), f"{where} outputs[{n}].index", lo=0)
            if vout is None:
                raise E.FieldTypeError(f"{where} outputs[{n}] has no index; export the column unchanged")
            out_rows.append(
                {"txid": txid, "vout": vout, "value": _sats(o.get("value"), f"{where} output {vout} value")}
            )
            sh = o.get("script_hex")
            if sh is not None and not isinstance(sh, str):
                raise E.FieldTypeError(f"{where} output {vout} script_hex is {sh!r}, but it must be hexadecimal text")
            try:
                out_scripts.append(bytes.fromhex(sh) if sh else None)
            except ValueError:
                raise E.FieldTypeError(
                    f"{where} output {vout} script_hex is {sh[:40]!r}, which is not hexadecimal; "
                    "export the column unchanged"
                ) from None
            named = _one_address(_addresses(o.get("addresses"), f"{where} output {vout} addresses"))
            out_fallback.append((named, TYPE_NAMES.get(str(o.get("type")), None)))
    have = [i for i, s in enumerate(out_scripts) if s is not None]
    addrs = [a for a, _ in out_fallback]
    kinds = [t for _, t in out_fallback]
    if have:
        a, t = addresses_of_scripts([out_scripts[i] for i in have])
        for i, x, y in zip(have, a, t):
            addrs[i], kinds[i] = x, y
    outputs = pd.DataFrame(out_rows, columns=["txid", "vout", "value"])
    outputs["address"] = pd.Series(addrs, dtype=object)
    outputs["script_type"] = pd.Series(kinds, dtype=object)
    return {
        "txs": pd.DataFrame(
            tx_rows, columns=["txid", "block_height", "time", "version", "locktime", "size", "vsize", "fee"]
        ),
        "inputs": pd.DataFrame(
            in_rows, columns=["txid", "vin", "prev_txid", "prev_vout", "value", "sequence", "address"]
        ),
        "outputs": outputs,
        "blocks": pd.DataFrame(list(block_rows.values()), columns=["height", "hash", "time"]),
    }


def _is_record(r) -> bool:
    return isinstance(r, dict) and (("hash" in r and "outputs" in r) or ("number" in r and "merkle_root" in r))


def _read_records(path: Path) -> list:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text = data.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            return loads_json(text)
        except json.JSONDecodeError as exc:
            raise E.InputFormatError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    out = []
    for n, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            out.append(loads_json(line))
        except json.JSONDecodeError as exc:
            raise E.InputFormatError(
                f"{path} line {n + 1} is not JSON ({exc.msg}); a blockchain-etl export has "
                "one JSON object per line (BigQuery: export as 'JSON (newline delimited)')"
            ) from None
    return out


def load_etl(paths, *, validate: bool = True):
    """Load a blockchain-etl / BigQuery ``crypto_bitcoin`` export into a :class:`~cryptotrace.Chain`.

    Parameters
    ----------
    paths : str, Path or list of them
        JSON-lines files (optionally gzip-compressed, as BigQuery writes them)
        or JSON arrays of transaction records, and optionally block records;
        folders are searched for ``*.json``, ``*.jsonl`` and ``*.gz`` files of
        blockchain-etl records (other files there are skipped).
    validate : bool, default True
        Run every ledger check; the fees in the export are checked against
        inputs minus outputs.

    Examples
    --------
    blockchain-etl's own export of mainnet blocks 50001-50002 (its test data, in ``tests/data/real/core-rpc``):

    >>> import cryptotrace as ct
    >>> chain = ct.load_etl("tests/data/real/core-rpc/stream_50001_50002")
    >>> int(chain.txs.n_in.sum()), len(chain.txs)
    (5, 4)
    """
    from ..chain import Chain

    from .files import expand_paths

    files, in_folder = expand_paths(paths, (".json", ".jsonl", ".gz"), "the blockchain-etl export")
    records, where_of = [], {}
    for f in files:
        try:
            got = _read_records(f)
        except E.InputFormatError:
            if f in in_folder:
                continue  # another kind of file in the same folder (e.g. saved RPC answers)
            raise
        if f in in_folder and got and not _is_record(got[0]):
            continue
        where_of.update((id(r), str(f)) for r in got)
        records.extend(got)
    t = etl_tables(records, where_of=where_of)
    if t["txs"].empty:
        raise E.InputFormatError(
            f"no transaction records in {', '.join(map(str, files))}; export the "
            "transactions table (with its nested inputs and outputs)"
        )
    fees = {
        r["hash"].lower(): (r.get("fee"), where_of.get(id(r), "the export"))
        for r in records
        if isinstance(r, dict) and "outputs" in r and r.get("is_coinbase") is False
    }
    txs = t["txs"]
    # not range-checked: bitcoin-etl writes a negative fee when it could not resolve the inputs' values
    txs["fee"] = [_int(fees[x][0], f"{fees[x][1]}: transaction {x} fee") if x in fees else None for x in txs.txid]
    return Chain.from_tables(txs=txs, inputs=t["inputs"], outputs=t["outputs"], blocks=t["blocks"], validate=validate)
