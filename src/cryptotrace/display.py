"""Show results the way an investigator reads them: tables in BTC, text not cut, simple charts.

``ct.show(table)`` turns any result (a table, a trace's parameters, seizure candidates,
a Series of amounts) into a table with every satoshi column in BTC (8 decimals, the unit in
the column name), fractions as percentages, long text wrapped (never cut mid-sentence) and
no Python reprs. ``ct.charts`` draws the pictures of the course with one call each.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CryptotraceError
from .units import format_btc

__all__ = ["BTC_COLUMNS", "Markdown", "Table", "show"]

#: columns that hold satoshis in cryptotrace tables (shown as BTC by :func:`show`)
BTC_COLUMNS = frozenset(
    {
        "value",
        "received",
        "sent",
        "balance",
        "balance_after",
        "tainted_value",
        "tainted_in",
        "tainted_out",
        "fee_taint",
        "input_value",
        "output_value",
        "fee",
        "peeled",
        "remaining",
        "start_value",
        "endpoint_value",
        "traced_start",
        "at_services",
        "at_exchanges",
        "suspect_unspent",
        "unspent_unknown",
        "mixed",
        "spent_unknown",
        "at_service",
        "amount",
        "paid",
        "value_in",
        "value_out",
        # a trace's endpoint kinds (tracing.ENDPOINT_KINDS), as columns of ct.compare_policies(...)
        "unspent",
        "end_of_data",
        "spent_outside",
        "stopped",
        "below_threshold",
        "hop_limit",
        "back_to_start",
        "external",
        "coinbase",
        "unknown_source",
    }
)
#: columns that hold fractions 0..1 (shown as percentages)
PERCENT_COLUMNS = frozenset(
    {"precision", "coverage", "pairwise_precision", "pairwise_recall", "purity", "share", "tainted_share"}
)


class ShowError(CryptotraceError, ValueError):
    """``ct.show`` was given something it cannot show, or a column the table does not have."""


class Markdown(str):
    """Text that a notebook shows as formatted Markdown (and prints as itself)."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


def _plain(v) -> str:
    """One cell as words: no quotes, no reprs, lists joined with commas, paths as text."""
    if isinstance(v, (list, tuple, set, frozenset, np.ndarray)):
        return ", ".join(_plain(x) for x in v)
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {_plain(x)}" for k, x in v.items())
    if isinstance(v, Path):
        return str(v)
    if v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return str(v)


def as_frame(obj, names=None) -> pd.DataFrame:
    """``obj`` (a DataFrame, Series or what the show functions accept) as a DataFrame, for tables and charts."""
    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, pd.Series):
        return obj.to_frame(obj.name if obj.name is not None else "value")
    if isinstance(obj, Mapping):
        key, value = (list(names) + ["", ""])[:2] if names else ("", "value")
        return pd.DataFrame({key: list(obj), value: [_plain(v) for v in obj.values()]}).set_index(key)
    if isinstance(obj, (list, tuple)):
        return pd.DataFrame({(list(names) or [""])[0] if names else "": [_plain(v) for v in obj]})
    for attr in ("to_frame", "frame"):
        f = getattr(obj, attr, None)
        if callable(f):
            out = f()
            if isinstance(out, (pd.DataFrame, pd.Series)):
                return as_frame(out)
    raise ShowError(
        f"ct.show cannot show a {type(obj).__name__}; give it a table (DataFrame), a Series, a dict "
        "or a cryptotrace result with to_frame()"
    )


class Table:
    """A table ready to read: BTC amounts, percentages, whole text. Shown as HTML in a notebook."""

    def __init__(self, frame: pd.DataFrame, title: str | None = None):
        self.frame = frame
        self.title = title

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def __len__(self) -> int:
        return len(self.frame)

    def __str__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", 200, "display.max_columns", None):
            body = self.frame.to_string(index=not isinstance(self.frame.index, pd.RangeIndex))
        return f"{self.title}\n{body}" if self.title else body

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        with pd.option_context("display.max_colwidth", None):
            body = self.frame.to_html(
                index=not isinstance(self.frame.index, pd.RangeIndex),
                escape=True,
                border=0,
                classes="cryptotrace-table",
            )
        style = (
            "<style>.cryptotrace-table td{white-space:normal;max-width:40em;text-align:left}"
            ".cryptotrace-table td.num{text-align:right}</style>"
        )
        head = f"<b>{html.escape(self.title)}</b>" if self.title else ""
        return f"<div>{style}{head}{body}</div>"


def show(obj, *, columns=None, rows: int | None = None, title: str | None = None) -> Table:
    """Show a result as a readable table: amounts in BTC, shares in %, text whole.

    Parameters
    ----------
    obj : DataFrame, Series, dict, list or a cryptotrace result
        What to show. A dict (e.g. ``trace.params``) becomes a two-column table, a list a
        one-column table; a result with ``to_frame()`` (seizure candidates, tags, clusterings)
        shows its table.
    columns : list of str, optional
        The columns to show, in this order (default: all). For a dict or a list: the names of
        its columns (``ct.show(POLICIES, columns=["policy", "rule"])``).
    rows : int, optional
        Show only the first ``rows`` rows (the table says how many it left out).
    title : str, optional
        A line above the table.

    Returns
    -------
    Table
        Shows as HTML in a notebook and as text with ``print``; ``.to_frame()`` gives the
        shown table back.

    Raises
    ------
    ShowError
        For a column the table does not have (naming the columns it has).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> import pandas as pd
    >>> print(ct.show(pd.DataFrame({"address": ["bc1q..."], "value": [150_000_000]})))
    address    value (BTC)
    bc1q... 1.50000000 BTC
    """
    if isinstance(obj, (Mapping, list, tuple)):  # the columns name a dict's keys and values, or a list
        df, columns = as_frame(obj, [columns] if isinstance(columns, str) else columns), None
    else:
        df = as_frame(obj).copy()
    btc = BTC_COLUMNS | set(df.attrs.get("btc_columns", ()))
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ShowError(
                f"ct.show: the table has no column {missing[0]!r}; its columns are {', '.join(map(str, df.columns))}"
            )
        df = df[columns]
    more = 0
    if rows is not None and len(df) > rows:
        more = len(df) - int(rows)
        df = df.head(int(rows))
    out = {}
    for c in df.columns:
        s = df[c]
        name = str(c)
        if name in btc and (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            out[f"{name} (BTC)"] = [format_btc(int(v)) if pd.notna(v) else "" for v in s]
        elif name in PERCENT_COLUMNS and pd.api.types.is_float_dtype(s):
            out[name] = [f"{v:.1%}" if pd.notna(v) else "" for v in s]
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[name] = [v.strftime("%Y-%m-%d %H:%M") if pd.notna(v) else "" for v in s]
        elif pd.api.types.is_float_dtype(s):
            out[name] = [f"{v:,.4g}" if pd.notna(v) else "" for v in s]
        else:
            out[name] = [_plain(v) for v in s]
    table = pd.DataFrame(out, index=df.index)
    if more:
        title = f"{title + ': ' if title else ''}the first {rows:,} rows ({more:,} more not shown)"
    return Table(table, title)
