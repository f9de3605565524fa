"""Money in euros and dollars at the time: BTC/EUR and BTC/USD prices and the fiat columns.

An amount an investigator reads ("0.75 BTC") also needs its worth on the day it moved
("about 43,000 EUR on 2021-05-08"). This module holds the price of one bitcoin in euros
and dollars over time and adds the fiat columns to any table of amounts.

* :func:`load_prices` -- the bundled daily table for real data (see
  ``cryptotrace/data/PROVENANCE.md``: sources, licences, SHA-256 of every file).
* :meth:`PriceTable.from_csv` -- an instructor's own table (checked row by row).
* :func:`for_chain` -- the right table for a chain: a synthetic case's own price series
  (recorded in its pack as ``prices.csv``), the real table otherwise.
* :func:`add_fiat` -- ``value`` -> ``value_eur``, ``value_usd``; ``traced_value`` (or
  ``tainted_value``) -> ``tainted_value_eur``, ``tainted_value_usd``; plus ``price_note``,
  which says why a row has no price (before 2010-07-17 no market price existed).

A price table is a step function: row *i* gives the price from its ``time`` up to the next
row's time (for a daily table: from 00:00 UTC for the whole day). Looking a time up is one
``numpy.searchsorted`` over the whole column, never a loop per row.

Examples
--------
>>> import pandas as pd
>>> p = load_prices()
>>> round(float(p.lookup(pd.Timestamp("2021-05-08", tz="UTC"), "usd")[0]), -3)
57000.0
>>> p.notes(pd.Timestamp("2010-05-22", tz="UTC"))[0]  # the pizza day: no market price yet
'no market price before 2010-07-17: bitcoin was not traded on an exchange yet (Mt.Gox opened on 2010-07-17)'
>>> coins = pd.DataFrame({"value": [75 * 10**8], "time": [pd.Timestamp("2021-05-08", tz="UTC")]})
>>> add_fiat(coins)[["value_eur", "value_usd"]]  # the Colonial Pipeline ransom, 75 BTC
    value_eur  value_usd
0  3568369.27  4303096.5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import PriceTableError

__all__ = [
    "MARKET_START",
    "MAX_GAP_DAYS",
    "PriceTable",
    "add_fiat",
    "fiat_columns",
    "for_chain",
    "load_case_prices",
    "load_prices",
    "register",
    "synthetic_price_csv",
    "usd_per_eur",
]

DATA = Path(__file__).parent / "data"

#: The first day a market price for bitcoin was published (Mt.Gox opened on 2010-07-17;
#: before it bitcoins changed hands by private deals, such as 10,000 BTC for two pizzas).
MARKET_START = pd.Timestamp("2010-07-17", tz="UTC")

#: A user table may miss at most this many days in a row; each missing day takes the price of
#: the day before and is flagged ``filled``. A longer hole is refused (the price may have moved a lot).
MAX_GAP_DAYS = 7

_DAY = 86_400


def _note_before(first: pd.Timestamp) -> str:
    if first <= MARKET_START + pd.Timedelta(days=2):
        return (
            f"no market price before {first:%Y-%m-%d}: bitcoin was not traded on an exchange yet "
            "(Mt.Gox opened on 2010-07-17)"
        )
    if first == REAL_START:
        return (
            f"no price: the bundled price table starts on {first:%Y-%m-%d} (the daily records of "
            "2010-07-17 to 2011-12-31 found so far may not be redistributed freely; load your own "
            "with PriceTable.from_csv)"
        )
    return f"no price: the price table starts on {first:%Y-%m-%d}"


@dataclass(frozen=True)
class PriceTable:
    """The price of one bitcoin in EUR and USD over time (a step function).

    Attributes
    ----------
    table : DataFrame
        Columns ``time`` (UTC), ``btc_eur``, ``btc_usd`` (NaN where that currency is not
        known) and ``filled`` (True where the price was carried over from the row before).
    end : Timestamp
        The last row is valid up to (not including) this time.
    source, licence : str
        Named in reports and exports ("price source: ...").
    synthetic : bool
        A made-up price series of a simulated economy (a case pack), not market prices.
    """

    table: pd.DataFrame
    end: pd.Timestamp
    source: str
    licence: str = ""
    synthetic: bool = False
    _secs: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_secs", _seconds(self.table["time"]))

    # ------------------------------------------------------------------ building
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        source: str,
        licence: str = "",
        daily: bool = True,
        synthetic: bool = False,
        where: str = "the price table",
    ) -> PriceTable:
        """Check a table of prices and build a PriceTable (see :meth:`from_csv` for the rules)."""
        if not isinstance(df, pd.DataFrame):
            raise PriceTableError(
                f"{where}: give a table (DataFrame) with columns date, btc_eur and/or btc_usd, not {type(df).__name__}"
            )
        cols = {str(c).strip().lower(): c for c in df.columns}
        tcol = cols.get("date", cols.get("time"))
        if tcol is None:
            raise PriceTableError(
                f"{where}: no 'date' column (found: {', '.join(map(str, df.columns)) or 'none'}). "
                "Name the first column 'date' and write days as 2021-05-08"
            )
        have = [c for c in ("btc_eur", "btc_usd") if c in cols]
        if not have:
            raise PriceTableError(
                f"{where}: no price column; give 'btc_eur' and/or 'btc_usd' (the price of one bitcoin in that currency)"
            )
        if len(df) == 0:
            raise PriceTableError(f"{where}: the table has no rows; give at least one day with a price")
        times = pd.to_datetime(df[tcol], utc=True, errors="coerce", format="ISO8601")
        bad = np.flatnonzero(times.isna().to_numpy())
        if len(bad):
            i = int(bad[0])
            raise PriceTableError(
                f"{where}, row {i + 2}: {df[tcol].iloc[i]!r} is not a date. Write days as 2021-05-08 (year-month-day)"
            )
        if daily:
            times = times.dt.floor("D")
        out = pd.DataFrame({"time": times.reset_index(drop=True)})
        for cur in ("btc_eur", "btc_usd"):
            if cur not in have:
                out[cur] = np.nan
                continue
            raw = df[cols[cur]].reset_index(drop=True)
            vals = pd.to_numeric(raw, errors="coerce")
            bad = np.flatnonzero((vals.isna() | ~np.isfinite(vals) | (vals <= 0)).to_numpy())
            if len(bad):
                i = int(bad[0])
                raise PriceTableError(
                    f"{where}, row {i + 2} ({times.iloc[i]:%Y-%m-%d}): {cur} = {raw.iloc[i]!r} is "
                    "not a positive price. Give the price of one bitcoin as a number above 0 "
                    "(e.g. 57374.62), or leave the day out"
                )
            out[cur] = vals.to_numpy(float)
        step = np.diff(_seconds(out["time"]))
        if (step <= 0).any():
            i = int(np.flatnonzero(step <= 0)[0]) + 1
            what = "repeats" if step[i - 1] == 0 else "comes before"
            raise PriceTableError(
                f"{where}, row {i + 2}: {out.time.iloc[i]:%Y-%m-%d} {what} the row above "
                f"({out.time.iloc[i - 1]:%Y-%m-%d}). Sort the rows by date, oldest first, "
                "one row per day"
            )
        out["filled"] = False
        if daily:
            gaps = step // _DAY - 1
            if (gaps > MAX_GAP_DAYS).any():
                i = int(np.flatnonzero(gaps > MAX_GAP_DAYS)[0]) + 1
                raise PriceTableError(
                    f"{where}, row {i + 2}: {int(gaps[i - 1])} days are missing between "
                    f"{out.time.iloc[i - 1]:%Y-%m-%d} and {out.time.iloc[i]:%Y-%m-%d}. Up to "
                    f"{MAX_GAP_DAYS} missing days are filled from the day before (and flagged); "
                    "add the missing days' prices"
                )
            if gaps.any():  # fill from the previous day, flagged (vectorised: reindex on the full day range)
                full = pd.date_range(out.time.iloc[0], out.time.iloc[-1], freq="D")
                out = out.set_index("time").reindex(full)
                out["filled"] = out["filled"].isna()
                out[["btc_eur", "btc_usd"]] = out[["btc_eur", "btc_usd"]].ffill()
                out = out.rename_axis("time").reset_index()
            end = out.time.iloc[-1] + pd.Timedelta(days=1)
        else:
            end = out.time.iloc[-1] + pd.Timedelta(seconds=int(np.median(step)) if len(step) else _DAY)
        return cls(out, end, source, licence, synthetic)

    @classmethod
    def from_csv(cls, path, *, source: str | None = None, licence: str = "", daily: bool = True) -> PriceTable:
        """An instructor's own price table.

        The CSV has a ``date`` column (2021-05-08) and ``btc_eur`` and/or ``btc_usd`` (the
        price of one bitcoin). Rules, each checked with a message that names the row:

        * rows sorted by date, oldest first, one row per day;
        * every price a number above 0;
        * at most :data:`MAX_GAP_DAYS` missing days in a row: a missing day takes the price of
          the day before and is flagged ``filled`` (a longer gap is refused).

        ``daily=False`` reads ``date`` as exact times (a price series per block, as a case pack
        records it).
        """
        p = Path(path)
        if not p.is_file():
            raise PriceTableError(f"{p}: no such file. Give the path of a CSV with columns date, btc_eur, btc_usd")
        try:
            df = pd.read_csv(p, dtype=str, comment="#")
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise PriceTableError(
                f"{p} cannot be read as CSV ({exc}); save it as comma-separated text "
                "with a header row date,btc_eur,btc_usd"
            ) from None
        return cls.from_frame(df, source=source or p.name, licence=licence, daily=daily, where=str(p))

    # ------------------------------------------------------------------ looking up
    @property
    def start(self) -> pd.Timestamp:
        return self.table.time.iloc[0]

    def lookup(self, times, currency: str = "eur", *, _where=None) -> np.ndarray:
        """The price of one bitcoin at each time (NaN where the table has none; see :meth:`notes`)."""
        col = _currency_col(currency)
        _secs, _nat, idx, ok = _where if _where is not None else self._where(times)
        prices = self.table[col].to_numpy(float)
        out = np.full(len(idx), np.nan)
        out[ok] = prices[idx[ok]]
        return out

    def notes(self, times, *, _where=None) -> np.ndarray:
        """Why a time has no price (empty text where it has one, or a filled day's note)."""
        secs, nat, idx, ok = _where if _where is not None else self._where(times)
        out = np.full(len(secs), "", dtype=object)
        out[nat] = "no time (unconfirmed transaction): no price"
        before = (secs < self._secs[0]) & ~nat
        out[before] = _note_before(self.start)
        out[before & (secs < _ts_seconds(MARKET_START))] = _note_before(MARKET_START)
        out[secs >= _ts_seconds(self.end)] = (
            f"no price: the price table ends on {(self.end - pd.Timedelta(seconds=1)):%Y-%m-%d}"
        )
        filled = np.zeros(len(secs), bool)
        filled[ok] = self.table["filled"].to_numpy(bool)[idx[ok]]
        out[filled] = "price of the day before (this day is missing from the price table)"
        return out

    def _where(self, times):
        """Seconds, no-time mask, row of the table and has-a-price mask of each time (one searchsorted)."""
        t = _to_utc(times)
        nat = np.asarray(t.isna(), bool)
        secs = np.where(nat, np.iinfo(np.int64).min, t.as_unit("ns").asi8 // 1_000_000_000)
        idx = np.searchsorted(self._secs, secs, side="right") - 1
        ok = (idx >= 0) & (secs < _ts_seconds(self.end)) & ~nat
        return secs, nat, idx, ok

    # ------------------------------------------------------------------ showing
    def describe(self) -> str:
        """One line for a report: ``price source: ... (licence ...), 2012-01-01 to 2026-08-22``."""
        kind = "synthetic price series of the case" if self.synthetic else "daily prices"
        last = self.end - pd.Timedelta(seconds=1)
        lic = f"; licence: {self.licence}" if self.licence else ""
        return f"price source: {self.source} ({kind}, {self.start:%Y-%m-%d} to {last:%Y-%m-%d}{lic})"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"<PriceTable {len(self)} rows; {self.describe()}>"


def _currency_col(currency: str) -> str:
    c = str(currency).strip().lower()
    if c in ("eur", "euro", "euros", "€"):
        return "btc_eur"
    if c in ("usd", "dollar", "dollars", "$"):
        return "btc_usd"
    raise PriceTableError(f"currency {currency!r} is not known; use 'eur' or 'usd'")


def _ts_seconds(t: pd.Timestamp) -> int:
    return int(pd.Timestamp(t).tz_convert("UTC").value // 1_000_000_000)


def _to_utc(times) -> pd.DatetimeIndex:
    if isinstance(times, (pd.Timestamp, str)) or np.isscalar(times):
        times = [times]
    try:
        t = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    except (ValueError, TypeError) as exc:
        raise PriceTableError(f"cannot read the times to price ({exc}); give dates or timestamps") from None
    return t


def _seconds(times) -> np.ndarray:
    t = _to_utc(times)
    s = t.as_unit("ns").asi8 // 1_000_000_000
    return np.where(t.isna(), np.iinfo(np.int64).min, s)


# ---------------------------------------------------------------------- the bundled table
REAL_SOURCE = (
    "Bitstamp BTC/USD daily (via Kaggle 'Bitcoin Historical Data' by Zielak); EUR from the ECB euro reference rates"
)
REAL_LICENCE = (
    "Bitstamp prices CC BY-SA 4.0; ECB rates free to reuse with the source named (see cryptotrace/data/PROVENANCE.md)"
)
#: the first day of the bundled table (Bitstamp's daily series)
REAL_START = pd.Timestamp("2012-01-01", tz="UTC")


@lru_cache(maxsize=1)
def load_prices() -> PriceTable:
    """The bundled daily BTC/EUR and BTC/USD table for real data (2012-01-01 onwards).

    BTC/USD: Bitstamp's price at 00:00 UTC from 2012-01-01. Before 2010-07-17 no market price
    existed; for 2010-07-17 to 2011-12-31 the only daily records found (Coin Metrics) are licensed for
    non-commercial use, so they are not bundled: those days say so (bring a table with
    :meth:`PriceTable.from_csv`). BTC/EUR: BTC/USD divided by the ECB's euro reference rate (USD per EUR) of the
    same day; on weekends and TARGET holidays, when the ECB publishes no rate, the last rate
    before. Sources, licences and checksums: ``cryptotrace/data/PROVENANCE.md``.
    """
    usd = pd.read_csv(DATA / "btc_usd_bitstamp.csv")
    usd["btc_eur"] = usd.btc_usd.to_numpy(float) / usd_per_eur(usd.date)
    return PriceTable.from_frame(
        usd[["date", "btc_eur", "btc_usd"]], source=REAL_SOURCE, licence=REAL_LICENCE, where=str(DATA / "btc_usd_*.csv")
    )


def usd_per_eur(times) -> np.ndarray:
    """The ECB reference rate (USD per EUR) of each time's day (the last rate before on days without one)."""
    ecb = _ecb()
    days = _seconds(times) // _DAY
    i = np.searchsorted(ecb[0], days, side="right") - 1
    return np.where(i >= 0, ecb[1][np.maximum(i, 0)], np.nan)


@lru_cache(maxsize=1)
def _ecb():
    ecb = pd.read_csv(DATA / "eur_usd_ecb.csv")
    return _seconds(ecb.date) // _DAY, ecb.usd_per_eur.to_numpy(float)


SYNTHETIC_HEADER = (
    "# The simulated economy's own price of one bitcoin, per block: a seeded geometric random walk "
    "in EUR (cryptotrace.cases.economy); btc_usd = btc_eur x the ECB reference rate of the day. "
    "Not market prices.\n"
)


def synthetic_price_csv(block_times, prices_eur) -> str:
    """The text of a case pack's ``prices.csv``: one row per block (time in UTC, btc_eur, btc_usd)."""
    t = pd.to_datetime(np.asarray(block_times, np.int64), unit="s", utc=True)
    eur = np.asarray(prices_eur, float)
    df = pd.DataFrame(
        {
            "date": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "btc_eur": np.round(eur, 2),
            "btc_usd": np.round(eur * usd_per_eur(t), 2),
        }
    )
    return SYNTHETIC_HEADER + df.to_csv(index=False, lineterminator="\n")


def load_case_prices(path) -> PriceTable:
    """A case pack's own price series (``PACK/prices.csv``)."""
    p = PriceTable.from_csv(path, source="the case's simulated economy", licence="", daily=False)
    return PriceTable(p.table, p.end, p.source, p.licence, synthetic=True)


# ---------------------------------------------------------------------- which table for a chain
def register(chain, prices: PriceTable) -> None:
    """Tie a price table to a chain (a case pack does this for its chain when it loads it).

    Kept in the chain's own ``cache`` (it lives and dies with the chain).
    """
    if not isinstance(prices, PriceTable):
        raise PriceTableError(f"register(chain, prices): prices must be a PriceTable, not {type(prices).__name__}")
    cache = getattr(chain, "cache", None)
    if not isinstance(cache, dict):
        raise PriceTableError(f"register: a {type(chain).__name__} cannot carry a price table; give a Chain")
    cache["prices"] = prices


def for_chain(chain) -> PriceTable:
    """The price table for a chain or case: a synthetic case's own price series, else the real table.

    ``chain`` may be a Chain (a case's chain, as ``load_case(...).chain`` returns it, carries its
    pack's series) or a Case.
    """
    own = getattr(chain, "prices", None)
    if isinstance(own, PriceTable):  # a Case
        return own
    cache = getattr(chain, "cache", None)
    if isinstance(cache, dict) and isinstance(cache.get("prices"), PriceTable):
        return cache["prices"]
    return load_prices()


# ---------------------------------------------------------------------- fiat columns
def fiat_columns(value_cols=("value", "traced_value")) -> list[str]:
    """The names :func:`add_fiat` gives: ``value`` -> ``value_eur``, ``value_usd``; ``traced_value``
    and ``tainted_value`` -> ``tainted_value_eur``, ``tainted_value_usd``."""
    out = []
    for c in value_cols:
        base = "tainted_value" if c in ("traced_value", "tainted_value") else c
        out += [f"{base}_eur", f"{base}_usd"]
    return out


def add_fiat(
    table,
    prices: PriceTable | None = None,
    *,
    value_cols=("value", "traced_value"),
    time_col: str = "time",
    unit: str = "sats",
    chain=None,
) -> pd.DataFrame:
    """Add the worth in euros and dollars at the time of each row.

    Parameters
    ----------
    table : DataFrame
        Amounts (``value_cols``, satoshis unless ``unit="BTC"``) and a time column (UTC).
    prices : PriceTable, optional
        Default: :func:`for_chain` of ``chain`` (the real table without a chain).
    value_cols : columns to convert; those missing from the table are skipped.
    time_col : str, default "time"
    unit : "sats" or "BTC"
    chain : Chain or Case, optional
        Chooses the price table when ``prices`` is not given.

    Returns
    -------
    DataFrame
        A copy with ``<col>_eur`` and ``<col>_usd`` after each value column (``traced_value``
        gives ``tainted_value_eur`` / ``tainted_value_usd``), rounded to cents, and
        ``price_note``: empty where the row has a price, else why not ("no market price before
        2010-07-17 ...").

    Examples
    --------
    >>> import pandas as pd
    >>> coins = pd.DataFrame({"value": [10**8], "traced_value": [5 * 10**7],
    ...                       "time": [pd.Timestamp("2017-01-01", tz="UTC")]})
    >>> out = add_fiat(coins)
    >>> round(out.value_usd.iloc[0]) == round(2 * out.tainted_value_usd.iloc[0])   # half the coin is traced
    True
    """
    if not isinstance(table, pd.DataFrame):
        raise PriceTableError(f"add_fiat takes a table (DataFrame), not {type(table).__name__}")
    if prices is None:
        prices = for_chain(chain) if chain is not None else load_prices()
    if not isinstance(prices, PriceTable):
        raise PriceTableError(f"prices must be a PriceTable (ct.prices.load_prices()), not {type(prices).__name__}")
    if time_col not in table.columns:
        raise PriceTableError(
            f"the table has no {time_col!r} column to date its amounts (columns: "
            f"{', '.join(map(str, table.columns))}); pass time_col='...'"
        )
    u = str(unit).strip().lower()
    if u not in ("sats", "btc"):
        raise PriceTableError(f"unit={unit!r}: use 'sats' (whole satoshis) or 'BTC'")
    per_btc = 1e8 if u == "sats" else 1.0
    out = table.copy()
    where = prices._where(out[time_col])  # one lookup for both currencies and the notes
    eur = prices.lookup(None, "eur", _where=where)
    usd = prices.lookup(None, "usd", _where=where)
    for c in value_cols:
        if c not in out.columns:
            continue
        amount = pd.to_numeric(out[c], errors="coerce").to_numpy(float) / per_btc
        name_eur, name_usd = fiat_columns((c,))
        pos = out.columns.get_loc(c) + 1
        out.insert(pos, name_eur, np.round(amount * eur, 2))
        out.insert(pos + 1, name_usd, np.round(amount * usd, 2))
    note = prices.notes(None, _where=where)
    if prices.table.btc_usd.isna().all():
        note = np.where(note == "", "the price table has no USD prices", note)
    out["price_note"] = note
    return out
