"""Money in euros and dollars at the time (issue 17 §2): the bundled price table, user tables, add_fiat.

Known values are checked against outside references: yearly opening prices of another exchange
(Coinbase BTC/USD and BTC/EUR, 00:00 CET) published in GitHub tomwijnroks/peildatum
(sources/coinbase.md, commit 3fc32dca), well-known prices of the history
of bitcoin, and the Colonial Pipeline ransom (75 BTC, reported as about 4.4 million USD).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace.errors import CryptotraceError, PriceTableError
from cryptotrace.prices import (
    PriceTable,
    add_fiat,
    fiat_columns,
    for_chain,
    load_prices,
    register,
)

DATA = Path(ct.__file__).parent / "data"


def day(d):
    return pd.Timestamp(d, tz="UTC")


# ------------------------------------------------------------------ the bundled table
def test_bundled_files_match_their_provenance_checksums():
    text = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in ("btc_usd_bitstamp.csv", "eur_usd_ecb.csv"):
        digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert digest in text, f"{name}: sha256 {digest} is not the one PROVENANCE.md names"


# (date, USD, EUR or None, relative tolerance, source of the reference value)
KNOWN = [
    ("2016-01-01", 431.49, 397.00, 0.05, "Coinbase opening price (peildatum)"),
    ("2017-01-01", 971.00, 924.96, 0.05, "Coinbase opening price (peildatum)"),
    # Coinbase's EUR market was dearer in the 2017 bubble: its 13,947 / 12,261 = 1.1375 USD per EUR
    # against the ECB's 1.1993, so BTC/EUR from BTC/USD and the ECB rate is 5.9 % below it that day
    ("2018-01-01", 13947.00, 12261.02, 0.07, "Coinbase opening price (peildatum)"),
    ("2019-01-01", 3676.68, 3237.10, 0.05, "Coinbase opening price (peildatum)"),
    ("2020-01-01", 7178.00, 6402.79, 0.05, "Coinbase opening price (peildatum)"),
    ("2021-01-01", 29158.66, 23860.66, 0.05, "Coinbase opening price (peildatum)"),
    ("2013-11-27", 1000.0, None, 0.15, "first time about 1,000 USD"),
    ("2017-12-17", 19000.0, None, 0.08, "the peak of 2017, about 19,000 USD"),
    ("2021-11-10", 69000.0, None, 0.08, "the peak of 2021, about 69,000 USD"),
]


@pytest.mark.parametrize("d,usd,eur,tol,why", KNOWN)
def test_known_prices(d, usd, eur, tol, why):
    p = load_prices()
    got_usd = p.lookup(day(d), "usd")[0]
    assert got_usd == pytest.approx(usd, rel=tol), why
    if eur is not None:
        assert p.lookup(day(d), "eur")[0] == pytest.approx(eur, rel=tol), why


def test_colonial_pipeline_ransom_in_dollars():
    """75 BTC paid on 2021-05-08 was reported as about 4.4 million USD."""
    t = pd.DataFrame({"value": [75 * 10**8], "time": [pd.Timestamp("2021-05-08 12:00", tz="UTC")]})
    out = add_fiat(t, load_prices())
    assert out.value_usd.iloc[0] == pytest.approx(4.4e6, rel=0.05)
    assert 3.0e6 < out.value_eur.iloc[0] < out.value_usd.iloc[0]  # the euro was worth more than a dollar
    assert out.price_note.iloc[0] == ""


def test_table_has_every_day_and_a_plausible_eur_usd_ratio():
    p = load_prices()
    t = p.table
    assert t.time.iloc[0] == day("2012-01-01")
    assert (t.time.diff().dropna() == pd.Timedelta(days=1)).all()
    assert not t.filled.any()
    ratio = t.btc_usd / t.btc_eur  # the ECB's USD per EUR: between 0.95 and 1.60 since 2010
    assert ratio.between(0.95, 1.60).all()


def test_before_any_market_price_the_table_says_so():
    p = load_prices()
    pizza = day("2010-05-22")  # 10,000 BTC for two pizzas: no exchange existed yet
    assert np.isnan(p.lookup(pizza, "usd")[0]) and np.isnan(p.lookup(pizza, "eur")[0])
    note = p.notes(pizza)[0]
    assert "no market price" in note and "2010-07-17" in note
    out = add_fiat(pd.DataFrame({"value": [10_000 * 10**8], "time": [pizza]}))
    assert np.isnan(out.value_eur.iloc[0]) and out.value_eur.iloc[0] != 0
    assert "no market price" in out.price_note.iloc[0]


def test_between_the_first_market_and_the_bundled_table_the_note_says_why_and_what_to_do():
    p = load_prices()
    first_year = day("2011-06-01")  # Mt.Gox traded, but no freely licensed daily record is bundled
    assert np.isnan(p.lookup(first_year, "usd")[0])
    note = p.notes(first_year)[0]
    assert "2012-01-01" in note and "from_csv" in note and "no market price" not in note
    assert not (DATA / "btc_usd_coinmetrics_2010_2011.csv").exists()  # the non-commercial file is not shipped


def test_after_the_table_ends_it_says_so():
    p = load_prices()
    later = p.end + pd.Timedelta(days=30)
    assert np.isnan(p.lookup(later, "eur")[0])
    assert "ends on" in p.notes(later)[0]


def test_lookup_is_vectorised_and_agrees_with_a_per_day_dictionary():
    p = load_prices()
    rng = np.random.default_rng(7)
    secs = rng.integers(int(day("2010-01-01").timestamp()), int(day("2026-12-31").timestamp()), 5000)
    times = pd.to_datetime(secs, unit="s", utc=True)
    got = p.lookup(times, "usd")
    by_day = dict(zip(p.table.time.dt.strftime("%Y-%m-%d"), p.table.btc_usd))
    want = np.array([by_day.get(t.strftime("%Y-%m-%d"), np.nan) for t in times])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)])


# ------------------------------------------------------------------ an instructor's own table
def write(tmp_path, text):
    f = tmp_path / "prices.csv"
    f.write_text(text, encoding="utf-8")
    return f


def test_user_table_round_trip(tmp_path):
    f = write(tmp_path, "date,btc_eur,btc_usd\n2024-01-01,40000,44000\n2024-01-02,41000,45000\n")
    p = PriceTable.from_csv(f, source="course table", licence="CC0")
    assert p.lookup(day("2024-01-02 23:59"), "eur")[0] == 41000
    assert np.isnan(p.lookup(day("2024-01-03"), "eur")[0])
    assert "course table" in p.describe() and "CC0" in p.describe()


@pytest.mark.parametrize(
    "text,words",
    [
        ("date,btc_eur\n2024-01-02,1\n2024-01-01,2\n", ["row 3", "2024-01-01", "Sort the rows"]),
        ("date,btc_eur\n2024-01-01,1\n2024-01-01,2\n", ["row 3", "repeats", "one row per day"]),
        ("date,btc_eur\n2024-01-01,1\n2024-01-02,-5\n", ["row 3", "-5", "positive price"]),
        ("date,btc_eur\n2024-01-01,1\n2024-01-02,abc\n", ["row 3", "abc", "positive price"]),
        ("date,btc_eur\n2024-01-01,1\n2024-01-02,0\n", ["row 3", "positive price"]),
        ("date,btc_eur\n2024-01-01,1\nyesterday,2\n", ["row 3", "yesterday", "not a date"]),
        ("day,btc_eur\n2024-01-01,1\n", ["no 'date' column", "day"]),
        ("date,price\n2024-01-01,1\n", ["no price column", "btc_eur"]),
        ("date,btc_eur\n2024-01-01,1\n2024-02-01,2\n", ["row 3", "30 days are missing", "add the missing"]),
    ],
)
def test_bad_user_tables_name_the_row_and_the_fix(tmp_path, text, words):
    with pytest.raises(PriceTableError) as e:
        PriceTable.from_csv(write(tmp_path, text))
    assert isinstance(e.value, CryptotraceError)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_a_short_gap_is_filled_from_the_day_before_and_flagged(tmp_path):
    p = PriceTable.from_csv(write(tmp_path, "date,btc_usd\n2024-01-01,100\n2024-01-04,130\n"))
    assert len(p) == 4
    assert p.table.filled.tolist() == [False, True, True, False]
    assert p.lookup(day("2024-01-03"), "usd")[0] == 100
    assert "day before" in p.notes(day("2024-01-03"))[0]
    assert p.notes(day("2024-01-04"))[0] == ""


def test_a_table_without_usd_says_so(tmp_path):
    p = PriceTable.from_csv(write(tmp_path, "date,btc_eur\n2024-01-01,100\n"))
    out = add_fiat(pd.DataFrame({"value": [10**8], "time": [day("2024-01-01")]}), p)
    assert out.value_eur.iloc[0] == 100 and np.isnan(out.value_usd.iloc[0])
    assert "no USD" in out.price_note.iloc[0]


def test_missing_file_and_bad_arguments_are_cryptotrace_errors(tmp_path):
    with pytest.raises(PriceTableError, match="no such file"):
        PriceTable.from_csv(tmp_path / "nope.csv")
    p = load_prices()
    with pytest.raises(PriceTableError, match="currency"):
        p.lookup(day("2020-01-01"), "gbp")
    with pytest.raises(PriceTableError, match="no 'when' column"):
        add_fiat(pd.DataFrame({"value": [1]}), p, time_col="when")
    with pytest.raises(PriceTableError, match="unit"):
        add_fiat(pd.DataFrame({"value": [1], "time": [day("2020-01-01")]}), p, unit="mBTC")


# ------------------------------------------------------------------ the fiat columns
def hand_made_prices():
    return PriceTable.from_frame(
        pd.DataFrame(
            {"date": ["2024-03-01", "2024-03-02"], "btc_eur": [50_000.0, 60_000.0], "btc_usd": [54_000.0, 65_000.0]}
        ),
        source="hand-made",
    )


def test_fiat_columns_on_a_hand_made_table():
    coins = pd.DataFrame(
        {
            "txid": ["a", "b", "c"],
            "value": [100_000_000, 50_000_000, 1],
            "traced_value": [25_000_000, 0, 1],
            "time": pd.to_datetime(["2024-03-01 10:00", "2024-03-02 23:59", "2024-02-01 00:00"], utc=True),
        }
    )
    out = add_fiat(coins, hand_made_prices())
    assert list(out.columns) == [
        "txid",
        "value",
        "value_eur",
        "value_usd",
        "traced_value",
        "tainted_value_eur",
        "tainted_value_usd",
        "time",
        "price_note",
    ]
    assert out.value_eur.tolist()[:2] == [50_000.0, 30_000.0]
    assert out.value_usd.tolist()[:2] == [54_000.0, 32_500.0]
    assert out.tainted_value_eur.tolist()[:2] == [12_500.0, 0.0]
    assert out.tainted_value_usd.tolist()[:2] == [13_500.0, 0.0]
    assert np.isnan(out.value_eur.iloc[2]) and "starts on 2024-03-01" in out.price_note.iloc[2]
    assert coins.columns.tolist() == ["txid", "value", "traced_value", "time"]  # the input is left as it was
    assert fiat_columns() == ["value_eur", "value_usd", "tainted_value_eur", "tainted_value_usd"]


def test_btc_unit_and_missing_columns_are_skipped():
    t = pd.DataFrame({"amount": [0.5], "time": [day("2024-03-01")]})
    out = add_fiat(t, hand_made_prices(), value_cols=("amount", "value"), unit="BTC")
    assert out.amount_eur.iloc[0] == 25_000.0 and "value_eur" not in out


@given(
    a=st.integers(0, 21_000_000 * 10**8),
    b=st.integers(0, 21_000_000 * 10**8),
    price=st.floats(0.01, 1e7),
    factor=st.floats(1.0, 100.0),
)
def test_fiat_is_linear_in_sats_and_monotone_in_price(a, b, price, factor):
    def worth(sats, p):
        pt = PriceTable.from_frame(pd.DataFrame({"date": ["2024-01-01"], "btc_eur": [p]}), source="x")
        return add_fiat(pd.DataFrame({"value": [sats], "time": [day("2024-01-01")]}), pt).value_eur.iloc[0]

    whole = worth(a + b, price)
    # to the cent, except where the amount (up to 7e13 EUR: all bitcoin at 10 million EUR) leaves float64
    # fewer than 2 decimal places: then to its last digits (rel 1e-14)
    assert whole == pytest.approx(worth(a, price) + worth(b, price), abs=0.02, rel=1e-14)
    assert worth(a, price * factor) >= worth(a, price)


# ------------------------------------------------------------------ synthetic cases use their own prices
def test_a_case_uses_its_own_price_series(tmp_path):
    from cryptotrace.io.sample import sample_data_dir

    pack = ct.make_case(sample_data_dir() / "scenarios" / "nps_vendor.yaml", tmp_path / "pack")
    assert (pack / "prices.csv").exists()
    case = ct.load_case(pack)
    chain = case.chain
    p = for_chain(chain)
    assert p.synthetic and p is case.prices and for_chain(case) is p
    assert "simulated economy" in p.describe()
    # every transaction of the case has a price, read from the case's series, not the market's
    out = add_fiat(chain.txs[["time", "fee"]].rename(columns={"fee": "value"}), chain=chain)
    assert (out.price_note == "").all()
    own = p.lookup(chain.txs.time, "eur")
    assert np.isfinite(own).all()
    assert not np.allclose(own, load_prices().lookup(chain.txs.time, "eur"), rtol=1e-3)
    # the same scenario and seed give the same series
    again = ct.make_case(sample_data_dir() / "scenarios" / "nps_vendor.yaml", tmp_path / "again")
    assert (again / "prices.csv").read_bytes() == (pack / "prices.csv").read_bytes()


def test_a_chain_without_a_case_gets_the_real_table():
    chain = ct.load_sample("hal_finney")
    assert for_chain(chain) is load_prices()
    register(chain, hand_made_prices())  # kept in the chain's own cache, gone with the chain
    assert for_chain(chain).source == "hand-made" and chain.cache["prices"].source == "hand-made"
    assert for_chain(ct.load_sample("hal_finney")) is load_prices()  # another chain: the real table
    with pytest.raises(PriceTableError):
        register(chain, "not a table")
    with pytest.raises(PriceTableError, match="give a Chain"):
        register(object(), hand_made_prices())


def test_colonial_ransom_from_the_real_ledger_slice():
    """The ransom outputs of the real Colonial Pipeline slice (75 BTC, 2021-05-08), priced with for_chain."""
    chain = ct.load_sample("colonial")
    paid = chain.outputs[chain.outputs.address == "15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"].merge(
        chain.txs[["txid", "time"]], on="txid"
    )
    paid = paid[paid.time.dt.strftime("%Y-%m-%d") == "2021-05-08"]
    assert paid.value.sum() == pytest.approx(75 * 10**8, rel=1e-4)  # the 75 BTC ransom (and the test payment)
    out = add_fiat(paid, for_chain(chain))  # a real chain: the real table
    assert out.value_usd.sum() == pytest.approx(4.4e6, rel=0.05)
    assert (out.price_note == "").all()
