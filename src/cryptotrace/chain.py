"""The :class:`Chain`: a piece of the Bitcoin ledger as four tables.

Every data source (the bundled sample, a scenario, Esplora, Bitcoin Core,
raw blocks, blockchain-etl exports, saved datasets) ends in
:meth:`Chain.from_tables`, the one constructor. It puts the tables in the
schema below, fills what can be derived, checks every rule a Bitcoin ledger
keeps, and builds integer ids so the analysis can be vectorised.

Tables (amounts are integer satoshis everywhere; BTC only on display):

* ``blocks``: height, hash, time, n_tx
* ``txs``: txid, block_height, time, version, locktime, size, vsize, fee,
  is_coinbase, n_in, n_out
* ``outputs``: txid, vout, address, value, script_type, spent_by_txid, spent_by_vin
* ``inputs``: txid, vin, prev_txid, prev_vout, address, value, sequence, is_external

A *partial* chain (a slice from an API) is normal: an input whose spent
output lies outside the slice keeps the address and value the source gave
and is marked ``is_external``.

Memory: every txid and address is stored once. The id columns are pandas
Categoricals over one sorted txid dictionary and one address dictionary
(``index.addresses``, whose codes they share), the index arrays are int32;
about 460 bytes per transaction instead of 1,560 with plain strings. The
columns read as text; dataset files hold plain text (:meth:`Chain.saved_tables`).

:meth:`Chain.from_tables` runs named steps, each a small function below
(``_step_factorise_txids``, ``_step_order_txs``, ``_step_order_rows``,
``_step_link_inputs``, ``_step_fill_inputs``, ``_step_fill_spenders``,
``_step_script_types``, ``_step_tx_totals``, ``_step_compact``) over one
``_Draft`` of what is known so far.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._groups import group_sum
from ._strings import take_strings
from . import errors as E
from .units import MAX_SATS, format_btc

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Chain", "ChainIndex", "SCHEMA"]

#: Column name -> pandas dtype for each table (the DESIGN.md schema).
SCHEMA: dict[str, dict[str, str]] = {
    "blocks": {"height": "int64", "hash": "str", "time": "datetime64[s, UTC]", "n_tx": "int64"},
    "txs": {
        "txid": "str",
        "block_height": "Int64",
        "time": "datetime64[s, UTC]",
        "version": "Int64",
        "locktime": "Int64",
        "size": "Int64",
        "vsize": "Int64",
        "fee": "Int64",
        "is_coinbase": "bool",
        "n_in": "int64",
        "n_out": "int64",
    },
    "outputs": {
        "txid": "str",
        "vout": "int64",
        "address": "str",
        "value": "int64",
        "script_type": "str",
        "spent_by_txid": "str",
        "spent_by_vin": "Int64",
    },
    "inputs": {
        "txid": "str",
        "vin": "int64",
        "prev_txid": "str",
        "prev_vout": "Int64",
        "address": "str",
        "address_source": "str",
        "value": "Int64",
        "sequence": "Int64",
        "is_external": "bool",
    },
}
_REQUIRED = {
    "txs": ["txid"],
    "outputs": ["txid", "vout", "value"],
    "inputs": ["txid", "vin", "prev_txid", "prev_vout"],
    "blocks": ["height"],
}
_NULL_TXID = "0" * 64
_SHOW = 3  # how many offending rows an error message names


@dataclass(frozen=True)
class ChainIndex:
    """Integer ids behind the string ids, for fast (numpy) analysis.

    Rows of ``inputs`` and ``outputs`` are grouped by transaction in the order
    of ``txs``, so the rows of transaction ``t`` are
    ``in_start[t]:in_start[t+1]`` and ``out_start[t]:out_start[t+1]``.
    Every array uses ``-1`` for "none".

    The arrays are read-only and hold int32 (int64 only for a chain of more
    than 2**31 rows): cast to int64 (``a.astype(np.int64)``) before computing
    keys such as ``tx * n_addresses + address`` that can exceed 2**31.
    ``txids`` is a CategoricalIndex over the chain's sorted txid dictionary
    (the same codes as ``txs.txid``); ``addresses`` is a plain string Index.
    """

    txids: pd.Index  #: txid of each tx row
    addresses: pd.Index  #: the distinct addresses; codes below index into it
    tx_of_input: np.ndarray
    tx_of_output: np.ndarray
    in_start: np.ndarray  #: length n_txs + 1
    out_start: np.ndarray  #: length n_txs + 1
    output_of_input: np.ndarray  #: output row spent by each input (-1 external or coinbase)
    input_of_output: np.ndarray  #: input row spending each output (-1 unspent in this chain)
    address_of_input: np.ndarray
    address_of_output: np.ndarray

    @property
    def n_txs(self) -> int:
        return len(self.txids)

    @property
    def n_addresses(self) -> int:
        return len(self.addresses)


def _fail(cls, problem: str, rows: list[str], fix: str, total: int | None = None):
    total = len(rows) if total is None else total
    shown = "; ".join(rows[:_SHOW])
    more = f" (and {total - _SHOW} more)" if total > _SHOW else ""
    raise cls(f"{problem}: {shown}{more}. {fix}")


def _as_str(s: pd.Series) -> pd.Series:
    """A column as pandas' string dtype (Arrow-backed) with missing values as NA."""
    if isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(s.cat.categories.dtype):
        s = pd.Series(take_strings(s.cat.categories, s.cat.codes.to_numpy()), index=s.index)  # a chain's id column
    elif not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow" and s.dtype.na_value is pd.NA):
        s = s.astype("string")
    empty = (s == "").to_numpy(dtype=bool, na_value=False)
    return s.mask(empty) if empty.any() else s


def _as_int(s: pd.Series, nullable: bool, table: str, column: str) -> pd.Series:
    if s.dtype == ("Int64" if nullable else "int64"):
        return s
    if nullable and s.dtype == "int64":
        return s.astype("Int64")
    try:
        out = pd.to_numeric(s, errors="raise")
    except (ValueError, TypeError):
        bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
        raise E.TableSchemaError(
            f"column {table}.{column} must hold whole numbers, but holds {bad.iloc[0]!r}; "
            "give amounts in integer satoshis (BTC x 100,000,000)"
        ) from None
    if out.dtype.kind == "f":
        frac = out.notna() & (out != np.floor(out.fillna(0)))
        if frac.any():
            raise E.TableSchemaError(
                f"column {table}.{column} must hold whole numbers, but holds {out[frac].iloc[0]!r}; "
                "give amounts in integer satoshis (BTC x 100,000,000), not BTC"
            )
    if out.dtype.kind == "f":
        too_big = (out.abs() >= 2.0**63).fillna(False).to_numpy(dtype=bool)
    elif out.dtype == object:  # whole numbers too large for 64 bits stay Python ints
        too_big = np.array([isinstance(v, int) and not -(2**63) <= v < 2**63 for v in out], dtype=bool)
    else:
        too_big = np.zeros(len(out), dtype=bool)
    if too_big.any():
        raise E.TableSchemaError(
            f"column {table}.{column} holds {out[too_big].iloc[0]!r}, far larger than any count or amount in "
            "Bitcoin (more than 64 bits); the data is damaged or the column is the wrong one"
        )
    if nullable:
        return out.astype("Int64")
    if out.isna().any():
        raise E.TableSchemaError(f"column {table}.{column} has missing values; every row needs one")
    return out.astype("int64")


def _as_time(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = pd.to_datetime(s, unit="s", utc=True)
    else:
        out = pd.to_datetime(s, utc=True)
    return out.astype("datetime64[s, UTC]")


def _normalise(df: pd.DataFrame | None, table: str, derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """Copy a table into the schema's columns and dtypes (missing optional columns become NA).

    Columns in ``derived`` may be absent even when required (the caller fills them).
    """
    schema = SCHEMA[table]
    if df is None:
        df = pd.DataFrame({c: [] for c in _REQUIRED[table]})
    if not isinstance(df, pd.DataFrame):
        raise E.TableSchemaError(f"the {table} table must be a pandas DataFrame, not {type(df).__name__}")
    missing = [c for c in _REQUIRED[table] if c not in df.columns and c not in derived]
    if missing:
        raise E.TableSchemaError(
            f"the {table} table lacks the column(s) {', '.join(missing)}; "
            f"it needs at least {', '.join(_REQUIRED[table])} (see cryptotrace.chain.SCHEMA)"
        )
    df = df.reset_index(drop=True)
    out = {}
    for col, dtype in schema.items():
        if col in derived and col not in df.columns:  # a placeholder the caller replaces (1 byte a row)
            out[col] = pd.Categorical.from_codes(np.full(len(df), -1, dtype=np.int8), categories=[])
            continue
        if col not in df.columns:  # an optional column not given: typed and empty (derived later if it can be)
            out[col] = _missing_column(dtype, len(df), df.index)
            continue
        src = df[col]
        if dtype == "str":
            out[col] = _as_str(src)
        elif dtype.startswith("datetime"):
            out[col] = _as_time(src) if src.notna().any() else pd.Series(pd.NaT, index=df.index, dtype=dtype)
        elif dtype == "bool":
            out[col] = src.fillna(False).astype(bool) if col in df.columns else pd.Series(False, index=df.index)
        else:
            out[col] = _as_int(src, nullable=(dtype == "Int64"), table=table, column=col)
    return pd.DataFrame(out, index=df.index)


def _missing_column(dtype: str, n: int, index) -> pd.Series:
    """A column of ``n`` missing values of the schema ``dtype`` (0 for int64 columns, which are derived)."""
    if dtype == "int64":
        return pd.Series(np.zeros(n, dtype=np.int64), index=index)
    if dtype == "Int64":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)), index=index)
    if dtype == "bool":
        return pd.Series(np.zeros(n, dtype=bool), index=index)
    if dtype.startswith("datetime"):
        return pd.Series(pd.NaT, index=index, dtype=dtype)
    import pyarrow as pa

    return pd.Series(pd.arrays.ArrowStringArray(pa.nulls(n, type=pa.large_string())), index=index)


def _runs(col: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Run-length view of a string column: (run number of each row, the value of each run).

    Inputs and outputs are listed transaction by transaction, so their txid
    columns repeat each value several times in a row; hashing one value per
    run instead of per row is several times faster.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(col)
    if n < 2:
        return np.arange(n), col
    arr = pa.array(col.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    same = pc.fill_null(pc.equal(arr.slice(1), arr.slice(0, n - 1)), False).to_numpy(zero_copy_only=False)
    heads = np.concatenate([[True], ~same])
    run = np.cumsum(heads) - 1
    return run, col[heads]


def _factorize(cols: list[pd.Series], grouped: tuple[int, ...] = ()) -> tuple[list[np.ndarray], pd.Index]:
    """Integer codes for the values of several string columns at once (-1 for missing).

    Columns whose positions are in ``grouped`` usually repeat values in runs
    (a txid once per input of its transaction) and are hashed run by run.
    """
    runs = [_runs(c) if i in grouped else (np.arange(len(c)), c) for i, c in enumerate(cols)]
    allv = pd.concat([r[1] for r in runs], ignore_index=True)
    codes, uniq = pd.factorize(allv, use_na_sentinel=True)
    out, start = [], 0
    for run, heads in runs:
        out.append(codes[start : start + len(heads)].astype(np.int64)[run])
        start += len(heads)
    return out, pd.Index(uniq, dtype="string")


_MAX_POSITION = (1 << 32) - 1  # vout, vin and prev_vout are 32-bit unsigned numbers in Bitcoin's format


def _outpoint_key(tx: np.ndarray, n: np.ndarray) -> np.ndarray:
    """One int64 per (transaction, output or input number) pair, unique for every pair.

    ``n`` is a 32-bit number in Bitcoin's format (0 .. 2**32-1), so ``tx * 2**32 + n``
    never collides while ``tx`` stays below 2**31 (far more transactions than
    fit in memory). Negative ``tx`` (none) gives negative keys, which match no output.
    """
    return tx.astype(np.int64) * np.int64(1 << 32) + n


ADDRESS_SOURCES = ("prevout", "script", "unknown")


def _address_sources(given: pd.Series, found, coinbase, has_address, validate: bool) -> pd.Series:
    """How each input's address is known: ``prevout``, ``script`` or ``unknown`` (missing for a coinbase).

    ``prevout``: from the output it spends (inside the chain, or as the source
    reported it); ``script``: derived from the input's own scriptSig or
    witness (raw data without the spent output); ``unknown``: not known.
    """
    g = given.to_numpy(dtype=object, na_value=None)
    if validate:
        bad = ~pd.isna(given).to_numpy() & ~given.isin(ADDRESS_SOURCES).to_numpy(dtype=bool, na_value=False)
        if bad.any():
            _fail(
                E.TableSchemaError,
                "inputs.address_source holds values other than " + ", ".join(ADDRESS_SOURCES),
                sorted({repr(v) for v in g[bad]}),
                "Leave the column out (it is derived) or use one of those words",
            )
    script = g == "script"
    out = np.where(found, "prevout", np.where(~has_address, "unknown", np.where(script, "script", "prevout")))
    res = pd.array(out, dtype="string")
    res[np.asarray(coinbase, dtype=bool)] = pd.NA
    return pd.Series(res, index=given.index)


def _check_positions(outputs, inputs, vout, vin, prev_vout, has_prev) -> None:
    """vout, vin and prev_vout must be Bitcoin's 32-bit unsigned numbers.

    ``prev_vout`` is missing (-1) exactly for coinbase inputs (no ``prev_txid``).
    """
    if (has_prev & (prev_vout < 0)).any():
        bad = has_prev & (prev_vout < 0)
        _fail(
            E.TableSchemaError,
            "inputs name the transaction they spend but no output number (prev_vout)",
            [
                f"{t} input {v} spends {p}:?"
                for t, v, p in zip(inputs.txid[bad], inputs.vin[bad], inputs.prev_txid[bad])
            ],
            "Give prev_vout for every input that is not a coinbase",
            total=int(bad.sum()),
        )
    for name, df, col, num in (
        ("outputs", outputs, "vout", vout),
        ("inputs", inputs, "vin", vin),
        ("inputs", inputs, "prev_vout", np.where(has_prev, prev_vout, 0)),
    ):
        bad = (num > _MAX_POSITION) | (num < 0)
        if bad.any():
            rows = [f"{t} {col} {x}" for t, x in zip(df.txid[bad], df[col][bad])]
            _fail(
                E.TableSchemaError,
                f"{name}.{col} numbers outside 0 .. 4,294,967,295",
                rows,
                f"{col} is a position (0, 1, 2 ...) within a transaction; check the column was not "
                "shifted or filled with amounts",
                total=int(bad.sum()),
            )


# ---------------------------------------------------------------------- the build, step by step
def _code_dtype(n: int):
    """int32 for row numbers and codes while they fit (any chain that fits in memory), else int64."""
    return np.int32 if n < np.iinfo(np.int32).max else np.int64


def _frozen(a: np.ndarray, dtype) -> np.ndarray:
    """``a`` as ``dtype``, read-only: index arrays are shared with the tables' id columns, never edited."""
    a = np.ascontiguousarray(a, dtype=dtype)
    a.flags.writeable = False
    return a


@dataclass
class _Draft:
    """What :meth:`Chain.from_tables` knows so far; each ``_step`` below fills a few fields.

    ``c_*`` are txid codes into ``uniq`` (-1 none); ``*_tx`` are tx rows.
    """

    txs: pd.DataFrame
    inputs: pd.DataFrame
    outputs: pd.DataFrame
    uniq: pd.Index | None = None  #: distinct txids (lower case)
    c_tx: np.ndarray | None = None
    c_out: np.ndarray | None = None
    c_in: np.ndarray | None = None
    c_prev: np.ndarray | None = None
    c_spent: np.ndarray | None = None
    pos_of: np.ndarray | None = None  #: txid code -> tx row (-1 none; code -1 -> -1)
    out_tx: np.ndarray | None = None
    in_tx: np.ndarray | None = None
    vout: np.ndarray | None = None
    vin: np.ndarray | None = None
    prev_vout: np.ndarray | None = None
    okey: np.ndarray | None = None
    out_start: np.ndarray | None = None
    in_start: np.ndarray | None = None
    found: np.ndarray | None = None  #: input spends an output of this chain
    coinbase_in: np.ndarray | None = None
    output_of_input: np.ndarray | None = None
    input_of_output: np.ndarray | None = None
    addr_index: pd.Index | None = None
    a_out: np.ndarray | None = None
    a_in: np.ndarray | None = None
    in_val: np.ndarray | None = None
    in_val_known: np.ndarray | None = None


def _step_factorise_txids(d: _Draft, validate: bool) -> None:
    """Every txid-like column becomes an integer code (one hashing pass); upper-case hex merges with lower."""
    t, i, o = d.txs, d.inputs, d.outputs
    codes, uniq = _factorize(
        [t.txid, o.txid, i.txid, i.prev_txid, o.spent_by_txid], grouped=(1, 2)
    )  # outputs.txid, inputs.txid come in runs
    if len(uniq) and uniq.str.contains("[A-Z]", regex=True).any():  # rare: upper-case hex
        remap, uniq = pd.factorize(uniq.str.lower())
        uniq = pd.Index(uniq, dtype="string")
        codes = [np.where(c >= 0, remap[np.maximum(c, 0)], -1) for c in codes]
    d.c_tx, d.c_out, d.c_in, d.c_prev, d.c_spent = codes
    # (compared, not looked up: a lookup would keep a hash table of every txid as Python strings)
    null_hits = np.flatnonzero(np.asarray(uniq == _NULL_TXID, dtype=bool))
    if len(null_hits):  # the coinbase's "previous txid" of zeros means none
        d.c_prev = np.where(d.c_prev == null_hits[0], -1, d.c_prev)
    d.uniq = uniq
    if validate:
        _check_txid_format(uniq, t, i, o)


def _step_order_txs(d: _Draft) -> None:
    """Sort txs by height (unconfirmed last, stable); find each input's and output's tx row.

    Raises DuplicateTxidError for a tx listed twice, TableSchemaError for rows of no tx.
    """
    n = len(d.txs)
    height_key = d.txs.block_height.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).max)
    if n > 1 and (np.diff(height_key) < 0).any():
        order = np.argsort(height_key, kind="stable")
        d.txs = d.txs.iloc[order].reset_index(drop=True)
        d.c_tx = d.c_tx[order]
    d.pos_of = np.full(len(d.uniq) + 1, -1, dtype=np.int64)  # last slot: code -1 -> -1
    d.pos_of[d.c_tx] = np.arange(n)
    if len(np.unique(d.c_tx)) != n:
        dup = d.txs.txid[pd.Series(d.c_tx).duplicated().to_numpy()].unique().tolist()
        _fail(
            E.DuplicateTxidError,
            "these transactions appear more than once",
            dup,
            "Remove the repeated rows (a tx is listed once, whichever source it came from)",
        )
    d.out_tx = d.pos_of[d.c_out]
    d.in_tx = d.pos_of[d.c_in]
    for name, df, pos in (("output", d.outputs, d.out_tx), ("input", d.inputs, d.in_tx)):
        orphan = pos < 0
        if orphan.any():
            _fail(
                E.TableSchemaError,
                f"these {name}s belong to no transaction in the txs table",
                df.txid[orphan].unique().tolist(),
                "Add the transactions to txs, or drop the rows",
            )


def _step_order_rows(d: _Draft, validate: bool) -> None:
    """Group inputs and outputs per tx in tx order (CSR starts); check they are numbered 0, 1, 2 ..."""
    n = len(d.txs)
    d.vout = d.outputs.vout.to_numpy(np.int64)
    d.vin = d.inputs.vin.to_numpy(np.int64)
    d.prev_vout = d.inputs.prev_vout.to_numpy(dtype=np.int64, na_value=-1)
    if validate:
        _check_positions(d.outputs, d.inputs, d.vout, d.vin, d.prev_vout, d.c_prev >= 0)
    d.okey = _outpoint_key(d.out_tx, d.vout)
    if len(d.okey) > 1 and (np.diff(d.okey) <= 0).any():
        o = np.argsort(d.okey, kind="stable")
        d.outputs = d.outputs.iloc[o].reset_index(drop=True)
        d.out_tx, d.vout, d.okey, d.c_spent = d.out_tx[o], d.vout[o], d.okey[o], d.c_spent[o]
    ikey = _outpoint_key(d.in_tx, d.vin)
    if len(ikey) > 1 and (np.diff(ikey) <= 0).any():
        o = np.argsort(ikey, kind="stable")
        d.inputs = d.inputs.iloc[o].reset_index(drop=True)
        d.in_tx, d.vin, d.c_prev, d.prev_vout = d.in_tx[o], d.vin[o], d.c_prev[o], d.prev_vout[o]
    d.out_start = np.concatenate([[0], np.cumsum(np.bincount(d.out_tx, minlength=n))]).astype(np.int64)
    d.in_start = np.concatenate([[0], np.cumsum(np.bincount(d.in_tx, minlength=n))]).astype(np.int64)
    if validate:
        for name, df, pos, num, start, col in (
            ("output", d.outputs, d.out_tx, d.vout, d.out_start, "vout"),
            ("input", d.inputs, d.in_tx, d.vin, d.in_start, "vin"),
        ):
            bad = num != (np.arange(len(df)) - start[pos])
            if bad.any():
                dup = df.duplicated(["txid", col]).to_numpy()
                problem = (
                    f"{name}s repeat the same (txid, {col})"
                    if dup.any()
                    else f"{name} numbers must run 0, 1, 2 ... within each transaction, but do not in"
                )
                _fail(
                    E.TableSchemaError,
                    problem,
                    df.txid[dup if dup.any() else bad].unique().tolist(),
                    f"Number each transaction's {name}s from 0 without gaps or repeats, once each",
                )


def _step_link_inputs(d: _Draft, validate: bool) -> None:
    """Join each input to the output it spends (outpoint keys, one sorted search); no output spent twice."""
    inputs, okey = d.inputs, d.okey
    d.coinbase_in = d.c_prev < 0
    prev_tx = d.pos_of[d.c_prev]
    internal = prev_tx >= 0
    want = _outpoint_key(prev_tx, d.prev_vout)
    pos = np.searchsorted(okey, want)
    pos_c = np.minimum(pos, max(len(okey) - 1, 0))
    found = internal & (okey[pos_c] == want) if len(okey) else np.zeros(len(inputs), dtype=bool)
    if validate and (internal & ~found).any():
        bad = internal & ~found
        rows = [
            f"{t} input {v} spends {p}:{q}"
            for t, v, p, q in zip(inputs.txid[bad], inputs.vin[bad], inputs.prev_txid[bad], inputs.prev_vout[bad])
        ]
        _fail(
            E.PrevoutMismatchError,
            "inputs spend an output that its transaction does not have",
            rows,
            "Check prev_vout: the spent transaction is loaded but has no output with that number",
        )
    d.found = found
    d.output_of_input = np.where(found, pos_c, -1).astype(np.int64)
    if validate:
        _check_double_spends(d)


def _check_double_spends(d: _Draft) -> None:
    """An output is spent once: inside the chain (two inputs on one output) or outside (one outpoint twice)."""
    inputs, outputs = d.inputs, d.outputs
    fidx = np.flatnonzero(d.found)
    o_idx = d.output_of_input[fidx]
    counts = np.bincount(o_idx, minlength=len(outputs))
    ext = ~d.found & ~d.coinbase_in
    ext_key = _outpoint_key(d.c_prev[ext], d.prev_vout[ext])
    if (counts > 1).any() or len(np.unique(ext_key)) != len(ext_key):
        rows = [
            f"{outputs.txid[o]}:{outputs.vout[o]} is spent by "
            + " and by ".join(f"{inputs.txid[i]} input {inputs.vin[i]}" for i in fidx[o_idx == o])
            for o in np.flatnonzero(counts > 1)[:_SHOW]
        ]
        if not rows:
            k = pd.Series(ext_key)
            for i in np.flatnonzero(ext)[k.duplicated(keep=False).to_numpy()][:_SHOW]:
                rows.append(
                    f"{inputs.prev_txid[i]}:{inputs.prev_vout[i]} spent by {inputs.txid[i]} input {inputs.vin[i]}"
                )
        _fail(
            E.DoubleSpendError,
            "an output is spent twice",
            rows,
            "An output can be spent once only: drop the transaction that conflicts "
            "(often a replaced or unconfirmed one)",
        )


def _step_fill_inputs(d: _Draft, validate: bool) -> None:
    """Code every address; give each input the value and address of the output it spends.

    An input's own claim must agree with that output (PrevoutMismatchError);
    ``address_source`` and ``is_external`` are derived here.
    """
    inputs, outputs = d.inputs, d.outputs
    (d.a_out, a_in), d.addr_index = _factorize([outputs.address, inputs.address])
    fidx = np.flatnonzero(d.found)
    o_idx = d.output_of_input[fidx]
    out_val = outputs.value.to_numpy(np.int64)
    in_val_arr = inputs.value.array
    in_val = in_val_arr.to_numpy(dtype=np.int64, na_value=0)
    known = ~in_val_arr.isna()
    if validate:
        vbad = known[fidx] & (in_val[fidx] != out_val[o_idx])
        abad = (a_in[fidx] >= 0) & (a_in[fidx] != d.a_out[o_idx])
        for bad, what in ((vbad, "value"), (abad, "address")):
            if bad.any():
                fi = fidx[bad]
                rows = [
                    f"{inputs.txid[i]} input {inputs.vin[i]} says {inputs[what][i]!r}, "
                    f"output {outputs.txid[o]}:{outputs.vout[o]} says {outputs[what][o]!r}"
                    for i, o in zip(fi, d.output_of_input[fi])
                ]
                _fail(
                    E.PrevoutMismatchError,
                    f"inputs disagree on the {what} of the output they spend",
                    rows,
                    "Reload both transactions from one source; one of them was edited or mis-parsed",
                )
    in_val[fidx] = out_val[o_idx]
    known = known.copy()
    known[fidx] = True
    a_in = a_in.copy()
    a_in[fidx] = d.a_out[o_idx]
    d.a_in, d.in_val, d.in_val_known = a_in, in_val, known
    inputs["value"] = pd.arrays.IntegerArray(in_val, ~known)
    inputs["address_source"] = _address_sources(inputs.address_source, d.found, d.coinbase_in, a_in >= 0, validate)
    inputs["is_external"] = ~d.found & ~d.coinbase_in


def _step_fill_spenders(d: _Draft) -> None:
    """Who spends each output: the input inside the chain wins over the source's claim."""
    outputs = d.outputs
    d.input_of_output = np.full(len(outputs), -1, dtype=np.int64)
    d.input_of_output[d.output_of_input[d.found]] = np.flatnonzero(d.found)
    sp = d.input_of_output >= 0
    if sp.any():
        spender = np.maximum(d.input_of_output, 0)
        d.c_spent = np.where(sp, d.c_tx[d.in_tx[spender]], d.c_spent)
        sb_vin = outputs.spent_by_vin.array.to_numpy(dtype=np.int64, na_value=-1)
        sb_vin = np.where(sp, d.vin[spender], sb_vin)
        outputs["spent_by_vin"] = pd.arrays.IntegerArray(sb_vin, sb_vin < 0)


def _step_script_types(d: _Draft, validate: bool, check_addresses: bool) -> None:
    """Fill missing script types from the addresses, and check every distinct address decodes."""
    from .addresses import classify_addresses

    outputs = d.outputs
    need = outputs.script_type.isna().to_numpy()
    if not (need.any() or (validate and check_addresses)):
        return
    kinds, valid = classify_addresses(d.addr_index)
    if need.any():
        known = np.append(np.asarray(kinds, dtype=object), "nonstandard")  # code -1 (no address) -> last
        st = known[np.where(d.a_out >= 0, d.a_out, len(known) - 1)]
        outputs["script_type"] = outputs.script_type.mask(need, pd.Series(st, dtype="string"))
    if validate and check_addresses and not valid.all():
        bad = d.addr_index[~valid].tolist()
        where = dict(zip(outputs.address.dropna(), outputs.txid[outputs.address.notna()]))
        _fail(
            E.InvalidAddressError,
            "addresses that do not decode as Bitcoin mainnet addresses",
            [f"{a!r} (in tx {where.get(a, 'an input')})" for a in bad],
            "Fix the address text (copy it again from its source), or leave it empty for outputs without an address",
            total=len(bad),
        )


def _step_tx_totals(d: _Draft, validate: bool) -> None:
    """Per-tx counts, coinbase flag and fee (inputs minus outputs); check amounts and fees."""
    txs, n = d.txs, len(d.txs)
    n_in, n_out = np.diff(d.in_start), np.diff(d.out_start)
    is_cb = (np.bincount(d.in_tx[d.coinbase_in], minlength=n) > 0) | (n_in == 0)
    unknown_in = np.bincount(d.in_tx[~d.in_val_known & ~d.coinbase_in], minlength=n)
    in_sum = group_sum(np.where(d.coinbase_in, 0, d.in_val), d.in_start)
    out_sum = group_sum(d.outputs.value.to_numpy(np.int64), d.out_start)
    fee = np.where(is_cb, 0, in_sum - out_sum)
    given_fee = txs.fee
    txs["is_coinbase"] = is_cb
    txs["n_in"] = n_in.astype(np.int64)
    txs["n_out"] = n_out.astype(np.int64)
    txs["fee"] = pd.arrays.IntegerArray(fee, (unknown_in > 0) & ~is_cb)
    if validate:
        _check_values(txs, d.inputs, d.outputs, is_cb, unknown_in, in_sum, out_sum, given_fee)


def _fill_tx_times(txs: pd.DataFrame, blocks: pd.DataFrame) -> None:
    """A tx without a time takes its block's time."""
    if txs.time.isna().any() and len(blocks):
        bt = blocks.set_index("height").time
        fill = txs.time.isna() & txs.block_height.notna()
        txs.loc[fill, "time"] = txs.block_height[fill].map(bt).to_numpy()


# ---------------------------------------------------------------------- compact id columns
def _arrow_str(values) -> pa.Array:
    """A pandas string Index/array/Series (or Arrow array) as one Arrow ``large_string`` array."""
    import pyarrow as pa

    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.Index):
        values = values.array
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], type=arr.type)
    return arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr


def _categorical(codes: np.ndarray, dtype: pd.CategoricalDtype, like: pd.DataFrame) -> pd.Series:
    """A Categorical column for table ``like`` over ``codes``, without copying them when their dtype fits
    (int32 codes for 32,768 categories or more: they stay shared with the index)."""
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False), index=like.index, copy=False)


def _string_categories(arr) -> pd.CategoricalDtype:
    """A CategoricalDtype over distinct strings (an Arrow array or pandas Index), as pandas' Arrow strings.

    The values are distinct by construction (a factorisation or a dictionary),
    so pandas' uniqueness check, which would hash every string and keep the
    hash table, is skipped when pandas offers the fast path.
    """
    cats = arr if isinstance(arr, pd.Index) else pd.Index(pd.arrays.ArrowStringArray(_arrow_str(arr)))
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    return fast(cats, ordered=False) if fast is not None else pd.CategoricalDtype(cats)


def _small_categorical(col: pd.Series) -> pd.Categorical:
    """A column of few distinct words (script_type, address_source) as a Categorical, categories sorted."""
    import pyarrow.compute as pc

    if isinstance(col.dtype, pd.CategoricalDtype):
        words = [str(w) for w in col.cat.categories]
        idx = col.cat.codes.to_numpy().astype(np.int64)
    else:
        enc = pc.dictionary_encode(_arrow_str(col))
        words = enc.dictionary.to_pylist()
        idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    order = sorted(set(words))
    remap = np.array([order.index(w) for w in words] + [-1], dtype=np.int8)
    dtype = pd.CategoricalDtype(pd.Index(order, dtype="string"))
    return pd.Categorical.from_codes(remap[idx], dtype=dtype)


_HEX_VALUE = np.full(256, 255, dtype=np.uint8)  # ASCII byte -> value of a lower-case hex digit (255: not one)
_HEX_VALUE[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)


def _txid_order(values: pa.Array) -> np.ndarray | None:
    """Sorting order of txids (64 lower-case hex characters each, no nulls), or None if they are not.

    The first 16 hex digits make a 64-bit number whose order is the text's
    order; one integer argsort then sorts a million txids in a fraction of the
    time a string sort takes. Equal numbers are checked on the whole text.
    """
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + n + 1]
    if n == 0 or values.null_count or not (np.diff(offsets) == 64).all():
        return None
    text = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(n, 64)
    digits = _HEX_VALUE[text[:, :16]]
    if (digits == 255).any():
        return None
    packed = np.ascontiguousarray((digits[:, 0::2] << 4) | digits[:, 1::2])  # 8 bytes, big-endian
    key = packed.view(">u8").ravel().astype(np.uint64)  # native byte order sorts several times faster
    order = np.argsort(key)  # equal keys are (checked to be) equal txids: their order does not matter
    ks = key[order]
    tie = np.flatnonzero(ks[1:] == ks[:-1])
    if len(tie):
        whole = text.view("S64").ravel()[order]
        if (whole[tie] != whole[tie + 1]).any():  # same first 16 digits, different txids: sort on the text
            return np.argsort(text.view("S64").ravel(), kind="stable")
    return order


def _sorted_dictionary(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of ``values`` in sorted (text) order, and each value's code among them (-1 null).

    Categoricals sort, compare and group by their codes, so sorted categories
    make ``sort_values("txid")`` give the same order as plain text would.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    codes = np.full(len(values), -1, dtype=np.int64)
    valid = np.flatnonzero(values.is_valid().to_numpy(zero_copy_only=False)) if len(values) else codes[:0]
    vals = _arrow_str(values.filter(values.is_valid())) if values.null_count else _arrow_str(values)
    order = _txid_order(vals) if len(vals) else np.zeros(0, dtype=np.int64)
    if order is None:  # not txids: a hash pass, then a string sort of the distinct values
        enc = pc.dictionary_encode(vals)
        dorder = pc.sort_indices(enc.dictionary).to_numpy()
        rank = np.empty(len(dorder), dtype=np.int64)
        rank[dorder] = np.arange(len(dorder))
        codes[valid] = rank[enc.indices.to_numpy(zero_copy_only=False)]
        return _arrow_str(enc.dictionary).take(pa.array(dorder)), codes
    srt = vals.take(pa.array(order))
    offsets = np.frombuffer(srt.buffers()[1], dtype=np.int64)[srt.offset : srt.offset + len(srt) + 1]
    whole = np.frombuffer(srt.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].view("S64")
    new = np.r_[True, whole[1:] != whole[:-1]] if len(whole) else np.zeros(0, dtype=bool)
    codes[valid[order]] = np.cumsum(new) - 1
    return (srt if new.all() else srt.take(pa.array(np.flatnonzero(new)))), codes


def _txid_codes(tx_txids: pa.Array, prev: pa.Array, spent: pa.Array):
    """One sorted txid dictionary for a chain, and codes into it.

    ``tx_txids``: the chain's txids in row order; ``prev`` / ``spent``: the
    txids of spent and spending transactions that the index cannot give
    (coins from outside the chain, spenders outside it; nulls allowed).
    Returns ``(dictionary, tx codes, prev codes, spent codes)``.
    """
    n, k = len(tx_txids), len(prev)
    cats, codes = _sorted_dictionary(_concat_str([tx_txids, prev, spent]))
    return cats, codes[:n], codes[n : n + k], codes[n + k :]


def _step_compact(d: _Draft):
    """Finish: the tables with compact id columns, and the index (see :func:`_compact`)."""
    uniq = _arrow_str(d.uniq)
    prev_tx, spent_tx = d.pos_of[d.c_prev], d.pos_of[d.c_spent]  # tx rows, or -1
    prev_rest, spent_rest = np.flatnonzero(prev_tx < 0), np.flatnonzero(spent_tx < 0)
    cats, tx_code, p_code, s_code = _txid_codes(
        uniq.take(d.c_tx), _take_arrow(uniq, d.c_prev[prev_rest]), _take_arrow(uniq, d.c_spent[spent_rest])
    )
    prev_code = np.full(len(prev_tx), -1, dtype=np.int64)
    prev_code[prev_tx >= 0] = tx_code[prev_tx[prev_tx >= 0]]
    prev_code[prev_rest] = p_code
    spent_code = np.full(len(spent_tx), -1, dtype=np.int64)
    spent_code[spent_tx >= 0] = tx_code[spent_tx[spent_tx >= 0]]
    spent_code[spent_rest] = s_code
    return _compact(
        d.txs,
        d.inputs,
        d.outputs,
        cats,
        tx_code,
        prev_code,
        spent_code,
        d.addr_index,
        d.a_in,
        d.a_out,
        d.in_tx,
        d.out_tx,
        d.output_of_input,
        d.input_of_output,
        d.in_start,
        d.out_start,
    )


def _take_arrow(strings: pa.Array, codes: np.ndarray) -> pa.Array:
    """``strings[codes]`` as Arrow (-1: null)."""
    import pyarrow as pa

    return (
        strings.take(pa.array(np.maximum(codes, 0), mask=codes < 0))
        if len(strings)
        else pa.nulls(len(codes), type=pa.large_string())
    )


def _concat_str(parts: list) -> pa.Array:
    import pyarrow as pa

    return pa.concat_arrays([_arrow_str(p) for p in parts])


def _compact(
    txs,
    inputs,
    outputs,
    txids,
    tx_code,
    prev_code,
    spent_code,
    addresses,
    a_in,
    a_out,
    tx_of_input,
    tx_of_output,
    output_of_input,
    input_of_output,
    in_start,
    out_start,
):
    """The finished tables and their :class:`ChainIndex`, with every id column stored compactly.

    * txids: one sorted dictionary ``txids`` of every txid the chain names;
      the five txid columns (``txs.txid``, ``inputs.txid``, ``prev_txid``,
      ``outputs.txid``, ``spent_by_txid``) are Categoricals over it (4-byte codes,
      ``tx_code`` etc.), and ``index.txids`` is a CategoricalIndex of ``txs.txid``;
    * addresses: Categoricals over ``index.addresses`` (the chain's addresses
      in order of first appearance, the order clustering numbers them in),
      codes shared with ``index.address_of_input`` / ``address_of_output``:
      sorting or grouping by address follows that order, not the alphabet;
    * ``script_type`` and ``address_source``: Categoricals of a few words;
    * the index: int32 rows and codes (int64 beyond 2**31 rows), read-only.

    Txid categories are sorted, so txid columns read, compare, sort, group and
    merge as the text they stand for (``chain.txs.txid == "ab.."``, ``isin``);
    dataset files hold plain text (see :meth:`Chain.saved_tables`).
    """
    ct = _code_dtype(max(len(inputs), len(outputs), len(txids), len(addresses)) + 1)
    tx_of_input, tx_of_output = _frozen(tx_of_input, ct), _frozen(tx_of_output, ct)
    a_in, a_out = _frozen(a_in, ct), _frozen(a_out, ct)
    tx_code = np.asarray(tx_code, dtype=ct)
    txid_dtype = _string_categories(txids)
    txs["txid"] = _categorical(tx_code, txid_dtype, txs)
    outputs["txid"] = _categorical(tx_code[tx_of_output], txid_dtype, outputs)
    inputs["txid"] = _categorical(tx_code[tx_of_input], txid_dtype, inputs)
    inputs["prev_txid"] = _categorical(np.asarray(prev_code, dtype=ct), txid_dtype, inputs)
    outputs["spent_by_txid"] = _categorical(np.asarray(spent_code, dtype=ct), txid_dtype, outputs)
    addr_dtype = _string_categories(addresses)
    inputs["address"] = _categorical(a_in, addr_dtype, inputs)
    outputs["address"] = _categorical(a_out, addr_dtype, outputs)
    inputs["address_source"] = _small_categorical(inputs.address_source)
    outputs["script_type"] = _small_categorical(outputs.script_type)
    index = ChainIndex(
        txids=pd.CategoricalIndex(txs.txid.array),
        addresses=addr_dtype.categories,
        tx_of_input=tx_of_input,
        tx_of_output=tx_of_output,
        in_start=_frozen(in_start, ct),
        out_start=_frozen(out_start, ct),
        output_of_input=_frozen(output_of_input, ct),
        input_of_output=_frozen(input_of_output, ct),
        address_of_input=a_in,
        address_of_output=a_out,
    )
    return txs, inputs, outputs, index


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """A table with its Categorical id columns as plain text (pandas' Arrow string dtype): the file schema."""
    cols = {
        c: take_strings(df[c].cat.categories, df[c].cat.codes.to_numpy())
        for c in df.columns
        if isinstance(df[c].dtype, pd.CategoricalDtype)
    }
    return df.assign(**cols) if cols else df


def _rows_as_arrow(col: pd.Series, rows: np.ndarray) -> pa.Array:
    """Some rows of a text column (plain or Categorical; None: all null) as an Arrow string array."""
    import pyarrow as pa

    if col is None:
        return pa.nulls(len(rows), type=pa.large_string())
    if isinstance(col.dtype, pd.ArrowDtype):  # as read from a dataset file: dictionary-encoded chunks
        # chunk by chunk: a take across chunks would first unify their dictionaries (slow)
        chunks = col.array._pa_array.chunks
        starts = np.cumsum([0] + [len(ch) for ch in chunks])
        which = np.searchsorted(starts, rows, side="right") - 1
        parts = [
            ch.take(pa.array(rows[which == k] - starts[k], type=pa.int64())).cast(pa.large_string())
            for k, ch in enumerate(chunks)
            if (which == k).any()
        ]
        return pa.concat_arrays(parts) if parts else pa.array([], type=pa.large_string())
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()[rows]
        return _arrow_str(col.cat.categories).take(pa.array(np.maximum(codes, 0), mask=codes < 0))
    return _arrow_str(col).take(pa.array(rows, type=pa.int64()))


class Chain:
    """A piece of the Bitcoin ledger: blocks, transactions, inputs and outputs.

    Make one with :meth:`from_tables`, a ``load_*`` function, or
    :func:`cryptotrace.load_sample`; never by calling ``Chain(...)`` with
    unchecked tables.

    Examples
    --------
    >>> import pandas as pd
    >>> txs = pd.DataFrame({"txid": ["aa" * 32, "bb" * 32]})
    >>> inputs = pd.DataFrame({"txid": ["aa" * 32, "bb" * 32], "vin": [0, 0],
    ...                        "prev_txid": [None, "aa" * 32], "prev_vout": [None, 0]})
    >>> outputs = pd.DataFrame({"txid": ["aa" * 32, "bb" * 32], "vout": [0, 0],
    ...     "address": ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"],
    ...     "value": [5_000_000_000, 4_999_990_000]})
    >>> chain = Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)
    >>> chain
    <Chain: 2 transactions, 2 inputs, 2 outputs, 2 addresses>
    >>> int(chain.txs.fee.iloc[1])
    10000
    """

    def __init__(self, blocks, txs, inputs, outputs, index: ChainIndex, *, _checked: bool = False):
        if not _checked:
            raise E.CryptotraceError(
                "make a Chain with Chain.from_tables(txs=..., inputs=..., outputs=...), "
                "which checks the tables, not with Chain(...)"
            )
        self.blocks = blocks
        self.txs = txs
        self.inputs = inputs
        self.outputs = outputs
        self.index = index
        #: Results derived from this chain that analyses share (e.g. the heuristics' ``Features``
        #: under ``"features"``). A chain's tables are never edited, so entries stay valid; they
        #: go when the chain does.
        self.cache: dict = {}

    # ------------------------------------------------------------------ build
    @classmethod
    def from_tables(
        cls,
        txs: pd.DataFrame,
        inputs: pd.DataFrame,
        outputs: pd.DataFrame,
        blocks: pd.DataFrame | None = None,
        *,
        validate: bool = True,
        check_addresses: bool = True,
    ) -> Chain:
        """Build a checked Chain from tables in the DESIGN.md schema.

        Parameters
        ----------
        txs, inputs, outputs : pandas.DataFrame
            At least ``txs.txid``; ``outputs.txid, vout, value``; ``inputs.txid,
            vin, prev_txid, prev_vout``. Coinbase inputs have an empty
            ``prev_txid``. Other columns of :data:`SCHEMA` are filled when
            missing (fees, input values and addresses from the outputs they
            spend, counts, block table).
        blocks : pandas.DataFrame, optional
            ``height`` (and ideally ``hash``, ``time``). Derived from ``txs`` if omitted.
        validate : bool, default True
            Check the ledger rules (see :mod:`cryptotrace.errors`). Only turn
            off for data that was checked before, e.g. a dataset whose hash matches.
        check_addresses : bool, default True
            Decode every distinct address (part of validation).

        Raises
        ------
        ChainValidationError
            A subclass naming the first offending transaction and the fix.
        """
        d = _Draft(_normalise(txs, "txs"), _normalise(inputs, "inputs"), _normalise(outputs, "outputs"))
        _step_factorise_txids(d, validate)
        _step_order_txs(d)
        _step_order_rows(d, validate)
        _step_link_inputs(d, validate)
        _step_fill_inputs(d, validate)
        _step_fill_spenders(d)
        _step_script_types(d, validate, check_addresses)
        _step_tx_totals(d, validate)
        blocks = _derive_blocks(blocks, d.txs, validate)
        _fill_tx_times(d.txs, blocks)
        txs, inputs, outputs, index = _step_compact(d)
        return cls(blocks, txs, inputs, outputs, index, _checked=True)

    @classmethod
    def from_saved_tables(cls, tables: dict[str, pd.DataFrame]) -> Chain:
        """Restore a chain that passed :meth:`from_tables` when it was saved (used by ``load_dataset``).

        ``tables`` holds the dataset's files by name (``txs``, ``inputs_index`` ...),
        read once every file's SHA-256 matched its manifest. The saved integer
        index is reused instead of being rebuilt, and the id columns of
        ``inputs`` and ``outputs`` are rebuilt from it (only the ``prev_txid`` and
        ``spent_by_txid`` of coins outside the chain are read), which makes
        loading several times faster. ``inputs.txid``, ``address``, ``outputs.txid``
        and ``address`` may be left out of ``tables``.
        """
        derived = {"inputs": ("txid", "prev_txid", "address"), "outputs": ("txid", "address", "spent_by_txid")}
        raw_in, raw_out = tables["inputs"], tables["outputs"]
        txs = _normalise(tables["txs"], "txs")
        inputs = _normalise(
            raw_in.drop(columns=list(derived["inputs"]), errors="ignore"), "inputs", derived=derived["inputs"]
        )
        outputs = _normalise(
            raw_out.drop(columns=list(derived["outputs"]), errors="ignore"), "outputs", derived=derived["outputs"]
        )
        blocks = _normalise(tables["blocks"], "blocks")
        ii, oi = tables["inputs_index"], tables["outputs_index"]
        if len(ii) != len(inputs) or len(oi) != len(outputs):
            raise E.DatasetIntegrityError("the saved index does not match the tables; re-create the dataset")
        n = len(txs)
        in_tx, out_tx = ii["tx"].to_numpy(np.int64), oi["tx"].to_numpy(np.int64)
        output_of_input, input_of_output = ii["output"].to_numpy(np.int64), oi["input"].to_numpy(np.int64)
        # txids of spent and spending transactions: tx rows through the index, the rest read from the file
        prev_rest, spent_rest = np.flatnonzero(output_of_input < 0), np.flatnonzero(input_of_output < 0)
        cats, tx_code, p_code, s_code = _txid_codes(
            _arrow_str(txs.txid),
            _rows_as_arrow(raw_in.get("prev_txid"), prev_rest),
            _rows_as_arrow(raw_out.get("spent_by_txid"), spent_rest),
        )
        prev_code = np.full(len(inputs), -1, dtype=np.int64)
        prev_code[output_of_input >= 0] = tx_code[out_tx[output_of_input[output_of_input >= 0]]]
        prev_code[prev_rest] = p_code
        spent_code = np.full(len(outputs), -1, dtype=np.int64)
        spent_code[input_of_output >= 0] = tx_code[in_tx[input_of_output[input_of_output >= 0]]]
        spent_code[spent_rest] = s_code
        if inputs.address_source.isna().all() and len(inputs):  # saved before address_source existed
            inputs["address_source"] = _address_sources(
                inputs.address_source, output_of_input >= 0, prev_code < 0, ii["address"].to_numpy(np.int64) >= 0, False
            )
        txs, inputs, outputs, index = _compact(
            txs,
            inputs,
            outputs,
            cats,
            tx_code,
            prev_code,
            spent_code,
            _as_str(tables["addresses"]["address"]).array,
            ii["address"].to_numpy(np.int64),
            oi["address"].to_numpy(np.int64),
            in_tx,
            out_tx,
            output_of_input,
            input_of_output,
            np.concatenate([[0], np.cumsum(np.bincount(in_tx, minlength=n))]),
            np.concatenate([[0], np.cumsum(np.bincount(out_tx, minlength=n))]),
        )
        return cls(blocks, txs, inputs, outputs, index, _checked=True)

    def saved_tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """``(name, table)`` of every file a dataset holds, in the file schema, one at a time.

        The four tables with their id columns as plain text, then the integer
        index (``inputs_index``, ``outputs_index``, ``addresses``: int64 rows and
        codes) that makes loading fast.
        """
        for name in ("blocks", "txs", "inputs", "outputs"):
            yield name, _plain(getattr(self, name))
        ix = self.index
        i64 = np.int64
        yield (
            "inputs_index",
            pd.DataFrame(
                {
                    "tx": ix.tx_of_input.astype(i64),
                    "output": ix.output_of_input.astype(i64),
                    "address": ix.address_of_input.astype(i64),
                }
            ),
        )
        yield (
            "outputs_index",
            pd.DataFrame(
                {
                    "tx": ix.tx_of_output.astype(i64),
                    "input": ix.input_of_output.astype(i64),
                    "address": ix.address_of_output.astype(i64),
                }
            ),
        )
        yield "addresses", pd.DataFrame({"address": pd.Series(ix.addresses.array, dtype="string")})

    # ------------------------------------------------------------------ views
    @cached_property
    def addresses(self) -> pd.DataFrame:
        """One row per address: first/last seen, received, sent, balance (sats), tx count.

        ``received`` sums the outputs paid to the address in this chain;
        ``sent`` sums its inputs (including ones spending outputs from outside
        the chain); ``balance`` is the value of its outputs not yet spent.
        """
        ix = self.index
        n = ix.n_addresses
        oa, ia = ix.address_of_output, ix.address_of_input
        ov = self.outputs.value.to_numpy(np.int64)
        iv = self.inputs.value.fillna(0).to_numpy(np.int64)
        unspent = self.outputs.spent_by_txid.isna().to_numpy()
        om, im = oa >= 0, ia >= 0
        received = np.bincount(oa[om], weights=ov[om], minlength=n)
        sent = np.bincount(ia[im], weights=iv[im], minlength=n)
        balance = np.bincount(oa[om & unspent], weights=ov[om & unspent], minlength=n)
        n_received = np.bincount(oa[om], minlength=n)
        n_spent = np.bincount(ia[im], minlength=n)
        pairs = pd.DataFrame(
            {
                "a": np.concatenate([oa[om], ia[im]]),
                "t": np.concatenate([ix.tx_of_output[om], ix.tx_of_input[im]]),
            }
        ).drop_duplicates()
        tx_count = np.bincount(pairs.a.to_numpy(), minlength=n)
        times = self.txs.time.iloc[pairs.t.to_numpy()].reset_index(drop=True)
        tdf = pd.DataFrame({"a": pairs.a.to_numpy(), "time": times})
        g = tdf.groupby("a").time
        first = g.min().reindex(range(n))
        last = g.max().reindex(range(n))
        st = self.outputs.script_type.to_numpy(dtype=object)
        stype = pd.Series(pd.NA, index=range(n), dtype="object")
        if om.any():
            stype.iloc[oa[om]] = st[om]
        df = pd.DataFrame(
            {
                "address": ix.addresses.to_numpy(),
                "script_type": stype.astype("string").to_numpy(),
                "first_seen": first.reset_index(drop=True).astype("datetime64[s, UTC]"),
                "last_seen": last.reset_index(drop=True).astype("datetime64[s, UTC]"),
                "received": received.astype(np.int64),
                "sent": sent.astype(np.int64),
                "balance": balance.astype(np.int64),
                "n_received": n_received,
                "n_spent": n_spent,
                "tx_count": tx_count,
            }
        )
        return df.set_index("address")

    @property
    def utxos(self) -> pd.DataFrame:
        """The unspent outputs (the UTXO set) of this chain: coins that can still move."""
        return self.outputs[self.outputs.spent_by_txid.isna() & (self.outputs.value > 0)].drop(
            columns=["spent_by_txid", "spent_by_vin"]
        )

    @cached_property
    def total_output_value(self) -> int:
        """Sum of all outputs, in satoshis."""
        return int(self.outputs.value.sum())

    def tx_position(self, txid: str) -> int:
        """Row number of a transaction in ``txs`` (raises a clear error if absent)."""
        key = str(txid).strip().lower()
        pos = self.index.txids.get_indexer([key])[0]
        if pos < 0:
            hint = ""
            if len(key) != 64:
                hint = f" (a txid has 64 hex characters; this one has {len(key)})"
            raise E.NotInChainError(
                f"transaction {txid!r} is not in this chain{hint}. Check the txid, or load data that holds it "
                "(e.g. fetch it from an Esplora server)."
            )
        return int(pos)

    def tx(self, txid: str) -> TxView:
        """A readable summary of one transaction: inputs, outputs, fee, time."""
        return TxView(self, self.tx_position(txid))

    def address(self, address: str) -> AddressView:
        """A readable summary of one address: totals and its transactions."""
        if address not in self.addresses.index:
            from .addresses import is_valid_address

            why = "" if is_valid_address(address) else " (and it is not a valid Bitcoin address: check its spelling)"
            raise E.NotInChainError(f"address {address!r} does not appear in this chain{why}.")
        return AddressView(self, address)

    def subset(
        self, txids=None, *, heights: tuple[int, int] | None = None, start=None, end=None, addresses=None
    ) -> Chain:
        """A smaller chain holding only the chosen transactions.

        Criteria combine with "and". Inputs whose spent outputs fall outside
        the subset become external (they keep their value and address).

        Parameters
        ----------
        txids : iterable of str, optional
            Keep these transactions.
        heights : (first, last), optional
            Keep transactions in blocks ``first..last`` (inclusive).
        start, end : date or timestamp, optional
            Keep transactions from ``start`` (inclusive) to ``end`` (exclusive).
        addresses : iterable of str, optional
            Keep transactions that pay to or spend from these addresses.
        """
        keep = np.ones(len(self.txs), dtype=bool)
        if txids is not None:
            want = pd.Index([str(t).lower() for t in ([txids] if isinstance(txids, str) else txids)])
            keep &= self.txs.txid.isin(want).to_numpy()
        if heights is not None:
            lo, hi = heights
            h = self.txs.block_height
            keep &= (h.notna() & (h >= lo) & (h <= hi)).fillna(False).to_numpy(bool)
        if start is not None:
            keep &= (self.txs.time >= pd.Timestamp(start, tz="UTC")).fillna(False).to_numpy(bool)
        if end is not None:
            keep &= (self.txs.time < pd.Timestamp(end, tz="UTC")).fillna(False).to_numpy(bool)
        if addresses is not None:
            addrs = [addresses] if isinstance(addresses, str) else list(addresses)
            codes = self.index.addresses.get_indexer(addrs)
            codes = codes[codes >= 0]
            hit = np.zeros(len(self.txs), dtype=bool)
            hit[self.index.tx_of_output[np.isin(self.index.address_of_output, codes)]] = True
            hit[self.index.tx_of_input[np.isin(self.index.address_of_input, codes)]] = True
            keep &= hit
        txs = self.txs[keep]
        inputs = self.inputs[keep[self.index.tx_of_input]].drop(columns=["is_external"])
        outputs = self.outputs[keep[self.index.tx_of_output]]
        heights_kept = txs.block_height.dropna().unique()
        blocks = self.blocks[self.blocks.height.isin(heights_kept)].drop(columns=["n_tx"])
        return Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs, blocks=blocks, validate=False)

    # ------------------------------------------------------------------ summary
    def summary(self) -> dict:
        """Counts and totals, as a dict (the figures ``cryptotrace info`` prints)."""
        h = self.txs.block_height.dropna()
        t = self.txs.time.dropna()
        spends = self.inputs.prev_txid.notna().to_numpy()
        return {
            "blocks": int(len(self.blocks)),
            "txs": int(len(self.txs)),
            "inputs": int(len(self.inputs)),
            "outputs": int(len(self.outputs)),
            "addresses": int(self.index.n_addresses),
            "total_output_value": self.total_output_value,
            "first_height": int(h.min()) if len(h) else None,
            "last_height": int(h.max()) if len(h) else None,
            "first_time": t.min().isoformat() if len(t) else None,
            "last_time": t.max().isoformat() if len(t) else None,
            "coinbase_txs": int(self.txs.is_coinbase.sum()),
            "external_inputs": int(self.inputs.is_external.sum()),
            "inputs_without_address": int((spends & self.inputs.address.isna().to_numpy()).sum()),
            "inputs_without_value": int((spends & self.inputs.value.isna().to_numpy()).sum()),
            "addresses_from_scripts": int((self.inputs.address_source == "script").sum()),
            "unspent_outputs": int(self.outputs.spent_by_txid.isna().sum()),
        }

    def describe(self) -> str:
        """A few plain sentences about what this chain holds."""
        s = self.summary()
        lines = [
            f"{s['txs']:,} transactions with {s['inputs']:,} inputs and {s['outputs']:,} outputs, "
            f"touching {s['addresses']:,} addresses.",
        ]
        if s["blocks"]:
            lines.append(
                f"Blocks {s['first_height']:,} to {s['last_height']:,} ({s['blocks']:,} blocks), "
                f"{s['first_time'][:10]} to {s['last_time'][:10]}."
            )
        lines.append(
            f"{format_btc(s['total_output_value'])} paid out in all; "
            f"{s['unspent_outputs']:,} outputs are still unspent."
        )
        if s["external_inputs"]:
            lines.append(f"{s['external_inputs']:,} inputs spend coins from outside this data (a partial chain).")
        if s["addresses_from_scripts"]:
            lines.append(
                f"{s['addresses_from_scripts']:,} input addresses were read from the inputs' own "
                "scripts (public keys, redeem and witness scripts), not from the coins they spend."
            )
        fill = (
            "Load the data again with prevouts= (an earlier chain or dataset, a Bitcoin Core node or an "
            "Esplora server) to fill them in."
        )
        if s["inputs_without_value"]:
            lines.append(
                f"{s['inputs_without_value']:,} inputs have no value: the coins they spend are outside "
                "this data (raw blocks do not repeat them), so their transactions have no fee. " + fill
            )
        if s["inputs_without_address"]:
            lines.append(
                f"{s['inputs_without_address']:,} inputs have no address: the coins they spend are "
                "outside this data and their own scripts do not reveal it (pay-to-public-key, "
                "taproot, bare multisig). " + fill
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        s = self.summary()
        span = ""
        if s["blocks"]:
            span = f" in {s['blocks']:,} blocks ({s['first_time'][:10]} to {s['last_time'][:10]})"
        return (
            f"<Chain: {s['txs']:,} transactions{span}, {s['inputs']:,} inputs, "
            f"{s['outputs']:,} outputs, {s['addresses']:,} addresses>"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in [
                ("transactions", f"{s['txs']:,}"),
                ("inputs / outputs", f"{s['inputs']:,} / {s['outputs']:,}"),
                ("addresses", f"{s['addresses']:,}"),
                (
                    "blocks",
                    f"{s['blocks']:,}"
                    + (f" (heights {s['first_height']:,} to {s['last_height']:,})" if s["blocks"] else ""),
                ),
                ("time span", f"{(s['first_time'] or '')[:10]} to {(s['last_time'] or '')[:10]}"),
                ("value paid out", format_btc(s["total_output_value"])),
                ("unspent outputs", f"{s['unspent_outputs']:,}"),
                ("inputs from outside", f"{s['external_inputs']:,}"),
            ]
        )
        return f"<div><b>Chain</b><table>{rows}</table></div>"

    def __len__(self) -> int:
        return len(self.txs)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Chain):
            return NotImplemented
        return all(getattr(self, t).equals(getattr(other, t)) for t in ("blocks", "txs", "inputs", "outputs"))

    __hash__ = None

    # ------------------------------------------------------------------ conversions
    def save(self, path, *, overwrite: bool = False):
        """Save as a dataset folder (see :func:`cryptotrace.io.files.save_dataset`)."""
        from .dataset_format import save_dataset

        return save_dataset(self, path, overwrite=overwrite)

    def to_tx_graph(self):
        """The transaction graph (see :func:`cryptotrace.graph.tx_graph`)."""
        from .graph import tx_graph

        return tx_graph(self)

    def to_address_graph(self):
        """The address graph (see :func:`cryptotrace.graph.address_graph`)."""
        from .graph import address_graph

        return address_graph(self)

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the dataset content (the same hash ``save`` writes in the manifest)."""
        from .dataset_format import content_hash

        return content_hash(self)


# ---------------------------------------------------------------------- checks
def _check_txid_format(uniq: pd.Index, txs, inputs, outputs) -> None:
    """Every distinct txid (of any column) must be 64 hex characters."""
    ok = uniq.str.fullmatch(r"[0-9a-f]{64}").to_numpy(dtype=bool, na_value=True)
    if ok.all():
        return
    bad = set(uniq[~ok])
    for name, s in (
        ("txs.txid", txs.txid),
        ("outputs.txid", outputs.txid),
        ("inputs.txid", inputs.txid),
        ("inputs.prev_txid", inputs.prev_txid),
        ("outputs.spent_by_txid", outputs.spent_by_txid),
    ):
        hits = [b for b in s.dropna().unique() if b in bad or b.lower() in bad]
        if hits:
            _fail(
                E.InvalidTxidError,
                f"txids in {name} are not 64 hex characters",
                [f"{b!r} ({len(b)} characters)" for b in hits],
                "Copy the full txid (64 characters of 0-9 and a-f) from the source",
                total=len(hits),
            )


def _check_values(txs, inputs, outputs, is_cb, unknown_in, in_sum, out_sum, given_fee) -> None:
    for name, df in (("output", outputs), ("input", inputs)):
        v = df.value
        bad = (v < 0) | (v > MAX_SATS)
        bad = bad.fillna(False).to_numpy(bool)
        if bad.any():
            rows = [
                f"{t} {name} {i}: {x} sats"
                for t, i, x in zip(df.txid[bad], df["vout" if name == "output" else "vin"][bad], df.value[bad])
            ]
            _fail(
                E.ValueRangeError,
                f"{name} values are below 0 or above 21,000,000 BTC",
                rows,
                "Amounts are integer satoshis (1 BTC = 100,000,000 sats) between 0 and 2.1e15",
            )
    over = ~is_cb & (unknown_in == 0) & (out_sum > in_sum)
    if over.any():
        idx = np.flatnonzero(over)
        rows = [f"{txs.txid[i]} pays out {format_btc(out_sum[i])} from {format_btc(in_sum[i])}" for i in idx]
        _fail(
            E.OverspendError,
            "transactions pay out more than their inputs bring in",
            rows,
            "Check the input and output values; only a coinbase (mining) transaction creates new coins",
        )
    gf = given_fee.notna().to_numpy() & txs.fee.notna().to_numpy() & ~is_cb
    if gf.any():
        diff = gf & (given_fee.fillna(0).to_numpy(np.int64) != txs.fee.fillna(0).to_numpy(np.int64))
        if diff.any():
            rows = [
                f"{txs.txid[i]} says fee {given_fee[i]}, inputs - outputs = {txs.fee[i]}" for i in np.flatnonzero(diff)
            ]
            _fail(
                E.PrevoutMismatchError,
                "transaction fees disagree with inputs minus outputs",
                rows,
                "Leave the fee column empty to have it computed, or fix the input values",
            )


def _derive_blocks(blocks, txs, validate: bool) -> pd.DataFrame:
    from_txs = (
        txs[txs.block_height.notna()]
        .groupby("block_height")
        .agg(time=("time", "min"), n_tx=("txid", "size"))
        .reset_index()
        .rename(columns={"block_height": "height"})
    )
    if blocks is None or len(blocks) == 0:
        b = pd.DataFrame(
            {
                "height": from_txs.height.astype("int64"),
                "hash": pd.NA,
                "time": from_txs.time,
                "n_tx": from_txs.n_tx.astype("int64"),
            }
        )
    else:
        b = _normalise(blocks, "blocks").drop(columns=["n_tx"])
        if validate and b.height.duplicated().any():
            _fail(
                E.ChainValidationError,
                "blocks repeat the same height",
                [str(h) for h in b.height[b.height.duplicated()]],
                "Keep one block per height",
            )
        b = b.merge(from_txs[["height", "n_tx"]], on="height", how="left")
        b["n_tx"] = b.n_tx.fillna(0).astype("int64")
        if b.time.isna().any():
            t = from_txs.set_index("height").time
            fill = b.time.isna()
            b.loc[fill, "time"] = b.height[fill].map(t).to_numpy()
        missing = set(from_txs.height) - set(b.height)
        if missing:
            extra = from_txs[from_txs.height.isin(missing)]
            b = pd.concat(
                [b, pd.DataFrame({"height": extra.height, "hash": pd.NA, "time": extra.time, "n_tx": extra.n_tx})],
                ignore_index=True,
            )
    b = b.sort_values("height", kind="stable").reset_index(drop=True)
    b["height"] = b.height.astype("int64")
    b["hash"] = _as_str(b["hash"])
    b["time"] = b.time.astype("datetime64[s, UTC]")
    if validate and len(b) > 1 and b.time.notna().all():
        _check_block_times(b)
    return b[list(SCHEMA["blocks"])]


def _check_block_times(b: pd.DataFrame) -> None:
    """Bitcoin's rule: a block's time must exceed the median time of the 11 blocks before it.

    Clocks differ, so times may step back a little; going back past that
    median is what no valid chain does (and what a shuffled or edited table shows).
    Only blocks with consecutive heights are compared.
    """
    t = b.time.astype("int64")
    h = b.height.to_numpy()
    mtp = t.rolling(11, min_periods=1).median().shift(1)
    consecutive = np.r_[False, np.diff(h) == 1]
    sparse_back = np.r_[False, np.diff(t.to_numpy()) < 0] & ~consecutive
    bad = ((t < mtp).to_numpy() & consecutive) | sparse_back
    if bad.any():
        idx = np.flatnonzero(bad)
        rows = [f"block {h[i]} at {b.time[i]} after block {h[i - 1]} at {b.time[i - 1]}" for i in idx]
        _fail(
            E.BlockTimeError,
            "block times go backwards across heights",
            rows,
            "Check the block heights and times: a block cannot be older than the blocks before it "
            "(beyond the median of the previous 11)",
        )


# ---------------------------------------------------------------------- views
def _when(t) -> str:
    """A time as people read it: ``2021-05-08 16:35:07 UTC`` (``unknown`` when there is none)."""
    return "unknown" if t is None or pd.isna(t) else pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


def _readable(df: pd.DataFrame) -> pd.DataFrame:
    """A table for display: times in UTC words, empty cells instead of ``<NA>``, heights as whole numbers."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            out[c] = [_when(v) for v in col]
        elif c in ("block_height", "prev_vout", "vin", "vout"):
            out[c] = ["" if pd.isna(v) else f"{int(v)}" for v in col]
        else:
            out[c] = col.astype(object).where(col.notna(), "")
    return out


def _btc_table(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df[cols].copy()
    if "value" in out:
        out["value"] = out.value.map(lambda v: "" if pd.isna(v) else format_btc(v, unit=False))
        out = out.rename(columns={"value": "value (BTC)"})
    return _readable(out)


class TxView:
    """A readable summary of one transaction (``chain.tx(txid)``)."""

    def __init__(self, chain: Chain, pos: int):
        self._chain = chain
        self.pos = pos
        row = chain.txs.iloc[pos]
        self.txid = row.txid
        self.block_height = None if pd.isna(row.block_height) else int(row.block_height)
        self.time = row.time
        self.fee = None if pd.isna(row.fee) else int(row.fee)
        self.is_coinbase = bool(row.is_coinbase)
        ix = chain.index
        self.inputs = chain.inputs.iloc[ix.in_start[pos] : ix.in_start[pos + 1]].reset_index(drop=True)
        self.outputs = chain.outputs.iloc[ix.out_start[pos] : ix.out_start[pos + 1]].reset_index(drop=True)

    @property
    def input_value(self) -> int:
        return int(self.inputs.value.fillna(0).sum())

    @property
    def output_value(self) -> int:
        return int(self.outputs.value.sum())

    def to_frame(self) -> pd.DataFrame:
        """Inputs and outputs in one table (side 'in' or 'out'), values in satoshis."""
        i = self.inputs.assign(side="in", n=self.inputs.vin)[["side", "n", "address", "value"]]
        o = self.outputs.assign(side="out", n=self.outputs.vout)[["side", "n", "address", "value"]]
        return pd.concat([i, o], ignore_index=True)

    def _lines(self) -> list[str]:
        when = "unconfirmed" if self.block_height is None else f"block {self.block_height:,}, {_when(self.time)}"
        lines = [f"Transaction {self.txid}", f"  {when}"]
        if self.is_coinbase:
            lines.append("  coinbase: newly mined coins (block reward and fees)")
        lines.append(f"  {len(self.inputs)} input(s), {format_btc(self.input_value)}:")
        for r in self.inputs.itertuples():
            src = "newly mined" if pd.isna(r.prev_txid) else f"from {r.prev_txid[:12]}...:{r.prev_vout}"
            lines.append(
                f"    {r.vin}: {r.address if not pd.isna(r.address) else '(no address)'}  "
                f"{format_btc(r.value)}  {src}{'  (outside this data)' if r.is_external else ''}"
            )
        lines.append(f"  {len(self.outputs)} output(s), {format_btc(self.output_value)}:")
        for r in self.outputs.itertuples():
            spent = "unspent" if pd.isna(r.spent_by_txid) else f"spent in {r.spent_by_txid[:12]}..."
            lines.append(
                f"    {r.vout}: {r.address if not pd.isna(r.address) else '(' + r.script_type + ')'}  "
                f"{format_btc(r.value)}  {spent}"
            )
        lines.append(f"  fee: {format_btc(self.fee) if self.fee is not None else 'unknown (inputs from outside)'}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        return (
            f"<Tx {self.txid[:16]}...: {len(self.inputs)} in, {len(self.outputs)} out, {format_btc(self.output_value)}>"
        )

    def _repr_html_(self) -> str:
        head = html.escape("\n".join(self._lines()[:3]))
        ins = _btc_table(self.inputs, ["vin", "address", "value", "prev_txid", "prev_vout"]).to_html(index=False)
        outs = _btc_table(self.outputs, ["vout", "address", "value", "script_type", "spent_by_txid"]).to_html(
            index=False
        )
        fee = html.escape(format_btc(self.fee)) if self.fee is not None else "unknown"
        return f"<pre>{head}</pre><b>Inputs</b>{ins}<b>Outputs</b>{outs}<p>fee: {fee}</p>"


class AddressView:
    """A readable summary of one address (``chain.address(addr)``)."""

    def __init__(self, chain: Chain, address: str):
        self._chain = chain
        self.address = address
        self.stats = chain.addresses.loc[address]
        code = chain.index.addresses.get_loc(address)
        ix = chain.index
        out_rows = np.flatnonzero(ix.address_of_output == code)
        in_rows = np.flatnonzero(ix.address_of_input == code)
        rec = pd.DataFrame({"tx": ix.tx_of_output[out_rows], "received": chain.outputs.value.to_numpy()[out_rows]})
        snt = pd.DataFrame({"tx": ix.tx_of_input[in_rows], "sent": chain.inputs.value.fillna(0).to_numpy()[in_rows]})
        agg = rec.groupby("tx").sum().join(snt.groupby("tx").sum(), how="outer").fillna(0).astype("int64")
        t = chain.txs.iloc[agg.index.to_numpy()]
        self.transactions = pd.DataFrame(
            {
                "txid": t.txid.to_numpy(),
                "block_height": t.block_height.to_numpy(),
                "time": t.time.to_numpy(),
                "received": agg.received.to_numpy(),
                "sent": agg.sent.to_numpy(),
            }
        )

    @property
    def balance(self) -> int:
        return int(self.stats.balance)

    def __str__(self) -> str:
        s = self.stats
        return "\n".join(
            [
                f"Address {self.address} ({s.script_type})",
                f"  seen {_when(s.first_seen)} to {_when(s.last_seen)} in {s.tx_count:,} transaction(s)",
                f"  received {format_btc(s.received)} in {s.n_received:,} output(s)",
                f"  sent     {format_btc(s.sent)} in {s.n_spent:,} input(s)",
                f"  balance  {format_btc(s.balance)} (unspent in this data)",
            ]
        )

    def __repr__(self) -> str:
        return f"<Address {self.address}: {self.stats.tx_count:,} txs, balance {format_btc(self.stats.balance)}>"

    def _repr_html_(self) -> str:
        t = self.transactions.copy()
        for c in ("received", "sent"):
            t[c] = t[c].map(lambda v: format_btc(v, unit=False))
        t = _readable(t.rename(columns={"received": "received (BTC)", "sent": "sent (BTC)"}))
        return f"<pre>{html.escape(str(self))}</pre>" + t.to_html(index=False)
