"""Money in EUR and USD at the time on the trace's tables (issue 17 section 2): the coin table, the
endpoints, the flows (CSV), the seizure candidates; ``fiat=False`` turns them off."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace import export, prices
from cryptotrace.addresses import encode_address
from cryptotrace.chain import Chain
from cryptotrace.errors import CryptotraceError
from cryptotrace.tracing import FIAT_COLUMNS, seizure_candidates, trace

BTC = 100_000_000


def dated_chain(when: str) -> Chain:
    """The DESIGN.md worked example (3 BTC stolen + 7 clean -> 1, 6, 3 BTC), mined at ``when``."""
    addrs = [encode_address("p2wpkh", bytes([i]) * 20) for i in range(1, 6)]
    t0, t1 = "a0" * 32, "b1" * 32
    s = int(pd.Timestamp(when, tz="UTC").timestamp())
    txs = pd.DataFrame({"txid": [t0, t1], "block_height": [1, 2], "time": [s, s + 600]})
    inputs = pd.DataFrame(
        {"txid": [t0, t1, t1], "vin": [0, 0, 1], "prev_txid": [None, t0, t0], "prev_vout": [None, 0, 1]}
    )
    outputs = pd.DataFrame(
        {
            "txid": [t0, t0, t1, t1, t1],
            "vout": [0, 1, 0, 1, 2],
            "address": addrs,
            "value": [3 * BTC, 7 * BTC, 1 * BTC, 6 * BTC, 3 * BTC],
        }
    )
    return Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)


def test_coin_table_prices_every_coin_at_its_day_from_the_bundled_table():
    chain = dated_chain("2021-05-08 12:00")  # the Colonial Pipeline ransom day
    t = trace(chain, "a0" * 32 + ":0", policy="haircut", min_value=0)
    c = t.coins
    for col in FIAT_COLUMNS:
        assert col in c.columns
    # the bundled Bitstamp close of 2021-05-08 was about 57,400 USD (prices module, checked against Bitstamp)
    per_btc_usd = c.value_usd / c.value_btc
    assert per_btc_usd.between(55_000, 60_000).all()
    eur = prices.load_prices().lookup(pd.Timestamp("2021-05-08", tz="UTC"), "eur")[0]
    np.testing.assert_allclose(c.value_eur, np.round(c.value_btc * eur, 2))
    # haircut: the traced part's worth is the traced share of the coin's worth
    np.testing.assert_allclose(c.tainted_value_eur, c.value_eur * c.traced_share, atol=0.01)
    assert (c.price_note == "").all()
    assert t.prices.describe().startswith("price source: Bitstamp")


def test_endpoints_and_flows_carry_the_same_money_as_the_coin_table():
    chain = dated_chain("2017-12-17")
    t = trace(chain, "a0" * 32 + ":0", policy="fifo", min_value=0)
    ends = t.coins[t.coins.endpoint_kind.notna()].set_index(["txid", "vout"])
    ep = t.endpoints.set_index(["txid", "vout"])
    for col in ("value_eur", "value_usd", "tainted_value_eur", "tainted_value_usd"):
        np.testing.assert_allclose(ep[col], ends.loc[ep.index, col])
    # FIFO: 3 stolen pay the 1 and 2 of the 6 BTC coin; the value is conserved in euros too
    assert ep.tainted_value_eur.sum() == pytest.approx(t.coins.tainted_value_eur[t.coins.is_start].sum(), abs=0.02)
    f = t.to_frame()
    assert f.tainted_value_usd.sum() == pytest.approx(t.coins.tainted_value_usd.sum(), abs=0.01)


def test_before_any_market_price_the_row_says_so_and_shows_no_zero():
    chain = dated_chain("2009-06-01")
    t = trace(chain, "a0" * 32 + ":0", min_value=0)
    c = t.coins
    assert c.value_eur.isna().all() and c.tainted_value_usd.isna().all()  # never 0
    assert c.price_note.str.contains("no market price before 2010-07-17").all()
    sc = seizure_candidates(t)
    assert sc.table.price_note.str.contains("no market price").all() and sc.table.tainted_value_eur.isna().all()


def test_a_case_chain_uses_its_own_price_series():
    chain = dated_chain("2020-01-01")
    own = prices.PriceTable.from_frame(
        pd.DataFrame(
            {
                "date": ["2019-12-31", "2020-01-01", "2020-01-02"],
                "btc_eur": [1000.0, 1000.0, 1000.0],
                "btc_usd": [1100.0, 1100.0, 1100.0],
            }
        ),
        source="a test economy",
        synthetic=True,
    )
    prices.register(chain, own)
    t = trace(chain, "a0" * 32 + ":0", policy="haircut", min_value=0)
    assert t.coins.value_eur.tolist() == [3000.0, 1000.0, 6000.0, 3000.0]
    assert t.endpoints.tainted_value_usd.sum() == pytest.approx(3 * 1100.0)
    assert "a test economy" in t.prices.describe()


def test_seizure_candidates_carry_the_coins_money_and_fiat_false_turns_it_off():
    chain = dated_chain("2020-09-13")
    t = trace(chain, "a0" * 32 + ":0", policy="haircut", min_value=0)
    sc = seizure_candidates(t).table
    for col in ("tainted_value_eur", "tainted_value_usd", "value_eur", "value_usd", "price_note"):
        assert col in sc.columns
    c = t.coins.set_index(["txid", "vout"])
    got = sc.set_index(["txid", "vout"])
    np.testing.assert_allclose(got.tainted_value_eur, c.loc[got.index, "tainted_value_eur"])
    # a trace without money columns: the candidates price the same coins the same way
    bare = trace(chain, "a0" * 32 + ":0", policy="haircut", min_value=0, fiat=False)
    assert not set(FIAT_COLUMNS) & set(bare.coins.columns)
    assert not set(FIAT_COLUMNS) & set(bare.endpoints.columns)
    assert not set(FIAT_COLUMNS) & set(bare.to_frame().columns)
    again = seizure_candidates(bare).table
    np.testing.assert_allclose(again.tainted_value_eur, sc.tainted_value_eur)
    off = seizure_candidates(t, fiat=False).table
    assert not {"tainted_value_eur", "value_eur", "price_note"} & set(off.columns)
    with pytest.raises(CryptotraceError, match="fiat"):
        trace(chain, "a0" * 32 + ":0", fiat="yes")
    with pytest.raises(CryptotraceError, match="fiat"):
        seizure_candidates(t, fiat=1)


def test_the_csv_exports_carry_euros_and_dollars():
    chain = dated_chain("2020-09-13")
    t = trace(chain, "a0" * 32 + ":0", policy="haircut", min_value=0)
    flows = export.to_csv(t)
    head = flows.lstrip("\ufeff").splitlines()[0].split(",")
    assert {"value_eur", "value_usd", "tainted_value_eur", "tainted_value_usd", "price_note"} <= set(head)
    cands = export.to_csv(seizure_candidates(t))
    head = cands.lstrip("\ufeff").splitlines()[0].split(",")
    assert {"tainted_value_eur", "tainted_value_usd", "value_eur", "value_usd"} <= set(head)
    data = t.to_dict()["endpoints"][0]
    assert data["tainted_value_eur"] > 0 and data["time"].startswith("2020-09-13")


@settings(max_examples=25, deadline=None)
@given(day=st.integers(min_value=0, max_value=(pd.Timestamp("2026-08-01") - pd.Timestamp("2009-01-03")).days))
def test_any_day_has_a_positive_price_or_says_why_not(day):
    when = pd.Timestamp("2009-01-03") + pd.Timedelta(days=day)
    t = trace(dated_chain(str(when)), "a0" * 32 + ":0", policy="haircut", min_value=0)
    c = t.coins
    priced = c.value_eur.notna()
    assert (c.value_eur[priced] > 0).all() and (c.value_usd[priced] > 0).all()  # never 0 for a coin of value
    assert (c.price_note[~priced] != "").all()  # no price: the note says why
    if when < pd.Timestamp("2010-07-17"):
        assert not priced.any()
    rate = (c.value_usd / c.value_eur)[priced]
    assert rate.between(0.8, 1.7).all()  # USD per EUR, as the ECB has published it since 1999
