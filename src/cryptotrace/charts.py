"""Simple pictures of tables, one call each (``ct.charts.bars(table, value="precision")``).

Every function returns a matplotlib Figure that shows itself in a notebook (no ``plt``
needed). Amount columns in satoshis are drawn in BTC; share columns (0..1) in percent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .display import BTC_COLUMNS, PERCENT_COLUMNS, ShowError, as_frame
from .units import SATS_PER_BTC

__all__ = ["bars", "histogram", "line", "per_day", "timeline"]

_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999"]


def _figure(width: float, height: float, ncols: int = 1):
    from .plot import new_figure

    fig = new_figure(width, height)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        raise ShowError(
            f"ct.charts.{what}: the table has no column {name!r}; its columns are {', '.join(map(str, df.columns))}"
        )
    s = pd.to_numeric(df[name], errors="coerce")
    return s


def _scaled(name: str, s: pd.Series) -> tuple[pd.Series, str]:
    if name in BTC_COLUMNS:
        return s / SATS_PER_BTC, f"{name} (BTC)"
    if name in PERCENT_COLUMNS:
        return s * 100, f"{name} (%)"
    return s, name.replace("_", " ")


def bars(
    table,
    *,
    value,
    label: str | None = None,
    title: str = "",
    horizontal: bool = False,
    log: bool = False,
    sort: bool = False,
):
    """A bar chart of one or more columns of a table: one bar per row, one panel per column.

    Parameters
    ----------
    table : DataFrame, Series or a cryptotrace result with ``to_frame()``
    value : str or list of str
        The column(s) to draw. Satoshi columns are drawn in BTC, shares in percent.
    label : str, optional
        The column naming each bar (default: the table's index).
    title : str
        The picture's title.
    horizontal, log, sort : bool
        Horizontal bars; a log scale; bars sorted by the (first) value.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"precision": [0.9, 0.6]}, index=["rule A", "rule B"])
    >>> fig = ct.charts.bars(scores, value="precision", title="Share of right calls")
    >>> fig.axes[0].get_ylabel()
    'precision (%)'
    """
    df = as_frame(table)
    values = [value] if isinstance(value, str) else list(value)
    if sort:
        df = df.sort_values(values[0])
    names = df[label].astype(str).tolist() if label else [str(i) for i in df.index]
    fig, axes = _figure(max(4.5, 3.5 * len(values)), max(2.5, 0.35 * len(df) + 1) if horizontal else 3.2, len(values))
    for k, (ax, col) in enumerate(zip(axes, values)):
        s, axis_label = _scaled(col, _column(df, col, "bars"))
        colours = _COLOURS[k % len(_COLOURS)] if len(values) > 1 else _COLOURS[: len(s)] * (len(s) // 8 + 1)
        if horizontal:
            ax.barh(names, s.to_numpy(), color=colours if len(values) > 1 else colours[: len(s)])
            ax.set_xlabel(axis_label)
            if log:
                ax.set_xscale("log")
        else:
            ax.bar(names, s.to_numpy(), color=colours if len(values) > 1 else colours[: len(s)])
            ax.set_ylabel(axis_label)
            if log:
                ax.set_yscale("log")
            ax.tick_params(axis="x", labelrotation=15 if max(map(len, names), default=0) > 12 else 0)
        for i, v in enumerate(s.to_numpy()):
            if np.isfinite(v):
                text = f"{v:,.1f}%" if col in PERCENT_COLUMNS else (f"{v:,.4g}")
                if horizontal:
                    ax.annotate(text, (v, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
                else:
                    ax.annotate(text, (i, v), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8)
        top = np.nanmax(s.to_numpy(dtype=float)) if len(s) else 0
        if np.isfinite(top) and top > 0 and not log:  # room for the numbers beside the bars
            (ax.set_xlim if horizontal else ax.set_ylim)(0, top * 1.15)
        if len(values) > 1:
            ax.set_title(axis_label, fontsize=10)
    fig.suptitle(title)
    return fig


def histogram(
    table, *, value: str, title: str = "", xlabel: str | None = None, ylabel: str = "number of rows", log: bool = False
):
    """How many rows have each value of a column (whole numbers: one bar per number).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> import pandas as pd
    >>> fig = ct.charts.histogram(pd.DataFrame({"inputs": [1, 1, 2, 5]}), value="inputs", title="Inputs")
    >>> fig.axes[0].get_ylabel()
    'number of rows'
    """
    df = as_frame(table)
    s = _column(df, value, "histogram").dropna()
    fig, (ax,) = _figure(8, 3)
    top = int(s.max()) if len(s) else 1
    ax.hist(
        s.to_numpy(), bins=range(int(s.min()) if len(s) else 0, top + 2), color=_COLOURS[0], edgecolor="white", log=log
    )
    ax.set_xlabel(xlabel or value.replace("_", " "))
    ax.set_ylabel(ylabel + (" (log scale)" if log else ""))
    ax.set_title(title)
    return fig


def line(table, *, value: str, label: str | None = None, title: str = ""):
    """One point per row, joined by a line (e.g. the amount carried on at each hop of a peel chain).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> import pandas as pd
    >>> fig = ct.charts.line(pd.DataFrame({"hop": [0, 1], "remaining": [2e8, 1e8]}), value="remaining",
    ...                      label="hop")
    >>> fig.axes[0].get_ylabel()
    'remaining (BTC)'
    """
    df = as_frame(table)
    s, axis_label = _scaled(value, _column(df, value, "line"))
    names = [f"{label} {v}" for v in df[label]] if label else [str(i) for i in df.index]
    fig, (ax,) = _figure(8, 3)
    ax.plot(range(len(s)), s.to_numpy(), marker="o", color=_COLOURS[0])
    ax.set_xticks(range(len(s)), names, rotation=30 if len(s) > 8 else 0)
    ax.set_ylabel(axis_label)
    ax.set_title(title)
    return fig


def per_day(chain, *, title: str = "Transactions per day"):
    """How many transactions each day of the chain has (dates with the year).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.tracing import worked_example_chain
    >>> fig = ct.charts.per_day(worked_example_chain())
    >>> fig.axes[0].get_ylabel()
    'transactions'
    """
    days = (
        chain.txs.time.dt.tz_localize(None).dt.normalize()
        if chain.txs.time.dt.tz is not None
        else chain.txs.time.dt.normalize()
    )
    counts = days.value_counts().sort_index()
    fig, (ax,) = _figure(8, 3)
    ax.bar(counts.index, counts.to_numpy(), color=_COLOURS[0], width=0.8)
    ax.set_ylabel("transactions")
    ax.set_title(title)
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    fig.autofmt_xdate()
    return fig


def timeline(chain, *, txids, paid_to, labels, gap=None, title: str = ""):
    """The steps of a story in time: one bar per transaction, as high as what it paid to one address.

    Parameters
    ----------
    chain : Chain
    txids : list of str
        The transactions of the story, one per step.
    paid_to : list of str
        For each step, the address whose received amount the bar shows.
    labels : list of str
        For each step, a few words under the amount.
    gap : (str, str), optional
        Two txids: the time between them is shaded as "not in our records".

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.tracing import worked_example_chain
    >>> ex = worked_example_chain()
    >>> t1 = ex.txs.txid.iloc[1]
    >>> fig = ct.charts.timeline(ex, txids=[t1], paid_to=[ex.outputs.address.iloc[4]], labels=["paid"])
    >>> fig.axes[0].get_ylabel()
    'BTC'
    """
    txids, paid_to, labels = list(txids), list(paid_to), list(labels)
    if not (len(txids) == len(paid_to) == len(labels)):
        raise ShowError(
            "ct.charts.timeline: give as many paid_to addresses and labels as txids "
            f"(got {len(txids)} txids, {len(paid_to)} addresses, {len(labels)} labels)"
        )
    from .search import amount_paid

    when = [chain.tx(t).time for t in txids]
    amount = [amount_paid(chain, t, to=a) / SATS_PER_BTC for t, a in zip(txids, paid_to)]
    fig, (ax,) = _figure(9, 3.5)
    if gap is not None:
        a, b = (chain.tx(t).time for t in gap)
        ax.axvspan(a, b, color="#DDDDDD", label="not in our records")
        ax.legend(loc="upper center")
    width = max((max(when) - min(when)) / pd.Timedelta(days=1) / 25, 0.05) if when else 1
    ax.bar(when, amount, width=width, color=_COLOURS[: len(when)])
    for w, v, lab in zip(when, amount, labels):
        ax.annotate(f"{lab}\n{v:,.2f} BTC", (w, v), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
    if when:
        pad = max((max(when) - min(when)) / 10, pd.Timedelta(days=1))
        ax.set_xlim(min(when) - pad, max(when) + pad)
        ax.set_ylim(0, max(amount) * 1.3 if max(amount) > 0 else 1)
    ax.set_ylabel("BTC")
    ax.set_title(title)
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    fig.autofmt_xdate()
    return fig
