"""Issue 16 section 3: seizure candidates ranked by traced value, worded by amount and share, tail folded."""

from __future__ import annotations

import pytest

from cryptotrace.addresses import encode_address
from cryptotrace.errors import TraceError
from cryptotrace.tracing import seizure_candidates, trace

from cryptotrace.testing import BTC
from cryptotrace.testing import ClustersStandIn as Clusters
from cryptotrace.testing import TagsStandIn as Tags
from cryptotrace.testing import hop_chain as make_chain
from cryptotrace.testing import hop_txid as txid

A, B, C, D, E, F, G, H = (encode_address("p2wpkh", bytes([i]) * 20) for i in range(40, 48))


@pytest.fixture(scope="module")
def case():
    """10 BTC stolen (tx1:0) is split by tx3: 3 to Kraken (C), 4 unspent (B), 2.999 on (F) and two crumbs of
    0.0005 (D, E). tx4 pays F's 2.999 together with 97 clean BTC (H, from tx2) into one 99.999 BTC coin of an
    exchange's hot wallet (G). Haircut: G's coin is 2.999 / 99.999 = 2.999 % traced."""
    chain = make_chain(
        [
            {"outs": [(A, 10)]},
            {"outs": [(H, 97)]},
            {"ins": [(0, 0)], "outs": [(C, 3), (B, 4), (F, 2.999), (D, 0.0005), (E, 0.0005)]},
            {"ins": [(2, 2), (1, 0)], "outs": [(G, 99.999)]},
        ]
    )
    tags = Tags([(C, "Kraken", "exchange", "US"), (G, "CoinHarbor hot wallet", "exchange", "MT")])
    cl = Clusters({A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8})
    return trace(chain, f"{txid(1)}:0", policy="haircut", tags=tags, clustering=cl, min_value=0)


def test_ranked_by_traced_value_with_the_traced_share(case):
    sc = seizure_candidates(case, coinjoins=set())
    t = sc.table
    assert t.address.tolist() == [B, C, G, D, E]
    assert t.tainted_value.tolist() == [4 * BTC, 3 * BTC, 299_900_000, 50_000, 50_000]
    assert t["rank"].tolist() == [1, 2, 3, 4, 5]
    share = t.set_index("address").share
    assert share[C] == 1.0 and share[B] == 1.0
    assert share[G] == pytest.approx(2.999 / 99.999, rel=1e-12)


def test_hot_wallet_small_share_asks_for_details_not_a_freeze(case):
    tab = seizure_candidates(case, coinjoins=set()).table.set_index("address")
    g, c = tab.loc[G], tab.loc[C]
    assert g.classification == "at_service" and bool(g.custodial) and bool(g.material)
    assert "freeze 2.99900000 BTC" not in g.action and "freeze the funds" not in g.action
    assert "account holder's details" in g.action
    assert "2.99900000 BTC" in g.action and "3.00% of the 99.99900000 BTC coin" in g.action
    assert "ask them to freeze 3.00000000 BTC" in c.action and "Kraken" in c.action
    # the share threshold decides: with min_share=0.01 the hot wallet is asked to freeze the traced part
    g1 = seizure_candidates(case, coinjoins=set(), min_share=0.01).table.set_index("address").loc[G]
    assert "ask them to freeze 2.99900000 BTC" in g1.action


def test_immaterial_tail_is_folded_and_the_thresholds_change_it(case):
    sc = seizure_candidates(case, coinjoins=set())
    assert sc.params["min_value"] == 100_000 and sc.params["min_share"] == 0.5
    assert sc.tail() == {"count": 2, "tainted_value": 100_000, "material": 0}
    assert sc.tail_line().startswith("2 more, 0.00100000 BTC in all")
    assert len(sc.material) == 3 and len(sc.to_frame()) == len(sc.table) == 5
    assert sc.to_frame(all=False).address.tolist() == [B, C, G]
    assert all(a.startswith("none on its own") for a in sc.table.action[~sc.table.material])
    html = sc._repr_html_()
    assert "2 more, 0.00100000 BTC in all" in html and D not in html and B in html
    assert "3 material" in repr(sc)
    # thresholds
    assert seizure_candidates(case, coinjoins=set(), min_value=10_000).tail() == {
        "count": 0,
        "tainted_value": 0,
        "material": 0,
    }
    big = seizure_candidates(case, coinjoins=set(), min_value=4 * BTC)
    assert big.tail() == {"count": 4, "tainted_value": 6 * BTC, "material": 0}
    assert big.material.address.tolist() == [B]
    with pytest.raises(TraceError, match="min_value"):
        seizure_candidates(case, min_value=-1)
    with pytest.raises(TraceError, match="min_share"):
        seizure_candidates(case, min_share=2)


def test_params_copy_the_trace_params(case):
    sc = seizure_candidates(case, coinjoins=set())
    tp = sc.params["trace_params"]
    assert tp["policy"] == "haircut" and tp["fee_policy"] == case.params["fee_policy"]
    assert tp == case.params and tp is not case.params


def test_mixed_at_an_exchange_still_says_the_exchange_can_freeze(case):
    # tx4 counted as a CoinJoin: the hot wallet's coin is "mixed", but it sits at an exchange
    tab = seizure_candidates(case, coinjoins={txid(4)}, min_share=0.01).table.set_index("address")
    g = tab.loc[G]
    assert g.classification == "mixed" and bool(g.custodial)
    assert "CoinHarbor hot wallet" in g.action and "ask them to freeze 2.99900000 BTC" in g.action
    assert "probabilistic" in g.action
    assert not bool(tab.loc[B, "custodial"])


def test_findings_ask_a_hot_wallet_for_details_not_a_freeze(case):
    from cryptotrace.reporting import findings

    sc = seizure_candidates(case, coinjoins=set())
    lines = findings(case, sc)
    hot = next(line for line in lines if "CoinHarbor" in line)
    kraken = next(line for line in lines if "Kraken" in line)
    assert "account holder's details" in hot and "freeze" not in hot.replace("too small to ask for a freeze", "")
    assert "ask Kraken to freeze it" in kraken
