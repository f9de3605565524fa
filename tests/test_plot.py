"""Pictures: each is a non-blank PNG carrying the labels an investigator needs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Text

import cryptotrace as ct
from cryptotrace import plot as P
from cryptotrace.errors import ClusteringError, NotInChainError, TraceError

from cryptotrace.testing import BTC
from cryptotrace.testing import shown_case as toy


def png_pixels(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    buf.seek(0)
    return imread(buf)


def assert_not_blank(fig):
    px = png_pixels(fig)
    assert px.ndim == 3 and px.shape[0] > 100 and px.shape[1] > 100
    assert float(px[..., :3].var()) > 0.005, "the picture is (almost) blank"


def texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


@pytest.fixture(scope="module")
def case():
    chain, tags, a, txids = toy()
    t = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0)
    return chain, tags, a, txids, t


def test_palette_is_okabe_ito():
    assert set(P.GROUP_COLOURS.values()) <= set(P.OKABE_ITO.values())
    assert set(P.SUMMARY_COLOURS.values()) <= set(P.OKABE_ITO.values())
    assert len(set(P.GROUP_COLOURS.values())) == len(P.GROUP_COLOURS)  # one colour, one meaning


def test_trace_flow_draws_coins_labels_and_legend(case):
    chain, tags, a, txids, t = case
    fig = P.trace_flow(t)
    assert isinstance(fig, Figure)
    assert_not_blank(fig)
    txt = texts(fig)
    assert "Where the traced coins went" in txt
    assert "3.0000 BTC" in txt  # the start coin
    assert "1.0000 BTC" in txt  # the exchange deposit
    assert "Northbridge Exchange\ndeposit address (NL)" in txt  # long labels are wrapped
    assert P._short(a["D"]) in txt
    for legend in ("start (traced coins)", "exchange / custodial service", "unspent", "endpoint (trace stops)"):
        assert legend in txt
    assert "step 2" in txt
    # the hostile label is drawn as plain text, not interpreted
    assert "<script>alert(1)</script>" in txt


def test_trace_flow_edges_follow_the_money(case):
    chain, tags, a, txids, t = case
    e = P.flow_edges(t)
    pairs = set(zip(e.parent, e.child))
    assert (f"{txids[0]}:0", f"{txids[1]}:0") in pairs
    assert (f"{txids[1]}:1", f"{txids[2]}:1") in pairs
    # single-input transactions: the edge carries the child's whole traced value
    row = e[(e.parent == f"{txids[1]}:1") & (e.child == f"{txids[2]}:0")]
    assert int(row.tainted_value.iloc[0]) == 50_000_000


def test_trace_flow_limits_nodes_and_says_so(case):
    t = case[-1]
    fig = P.trace_flow(t, max_nodes=2)
    txt = texts(fig)
    assert "2 of 5 traced coins shown" in txt and "hidden" in txt
    assert_not_blank(fig)


def test_trace_flow_by_time_and_backward(case):
    chain, tags, a, txids, t = case
    assert_not_blank(P.trace_flow(t, x="time"))
    back = ct.trace(chain, f"{txids[2]}:1", direction="backward", min_value=0)
    fig = P.trace_flow(back)
    assert "came from" in texts(fig)
    assert_not_blank(fig)


def test_methods_on_the_objects(case):
    t = case[-1]
    assert isinstance(t.plot(), Figure)
    assert isinstance(t.plot_summary(), Figure)


def test_money_summary_adds_up(case):
    chain, tags, a, txids, t = case
    groups = P.where_the_money_went(t)
    assert int(groups.sum()) == 3 * BTC
    assert int(groups["exchanges and services"]) == 150_000_000
    assert int(groups["unspent (seizable?)"]) == 149_980_000
    assert int(groups["fees (to miners)"]) == 20_000
    fig = P.money_summary(t)
    assert_not_blank(fig)
    txt = texts(fig)
    assert "exchanges and services: 1.50000000 BTC (50.0%)" in txt
    assert "Northbridge Exchange (NL)" in txt  # the label without " deposit address"
    assert "Where the money went" in txt


@pytest.mark.parametrize("policy", ["haircut", "fifo", "lifo", "tiho"])
def test_money_summary_conserves_value_for_every_policy(case, policy):
    chain, tags, a, txids, _ = case
    t = ct.trace(chain, [f"{txids[0]}:0", f"{txids[0]}:1"], tags=tags, min_value=0, policy=policy)
    assert int(P.where_the_money_went(t).sum()) == t.start_value == 10 * BTC


def test_money_summary_without_tags_says_so(case):
    chain, tags, a, txids, _ = case
    t = ct.trace(chain, f"{txids[0]}:0", min_value=0)
    fig = P.money_summary(t)
    assert "No tagged service received traced value" in texts(fig)


def test_balance_timeline_matches_the_chain(case):
    chain, tags, a, txids, t = case
    fig = P.balance_timeline(chain, a["D"])
    assert_not_blank(fig)
    assert f"now {ct.format_btc(chain.address(a['D']).balance)}" in texts(fig)
    fig = P.balance_timeline(chain, a["S"])
    txt = texts(fig)
    assert "now 0.00000000 BTC" in txt and "received (1 payments, 3.00000000 BTC)" in txt
    assert "spent (1 coins, 3.00000000 BTC)" in txt


@pytest.fixture(scope="module")
def sample_clustering(sample_chain):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ct.Clustering().fit(sample_chain)


def test_cluster_picture_shows_the_evidence(sample_clustering):
    c = sample_clustering
    sizes = c.clusters_["size"]
    small = int(sizes[(sizes >= 3) & (sizes <= 5)].index[0])
    fig = c.plot_cluster(small)
    assert_not_blank(fig)
    txt = texts(fig)
    assert f"Cluster {small}: {int(sizes[small])} addresses" in txt
    assert "joined by multi_input" in txt
    ev = c.evidence_[c.evidence_.address_a.isin(c.members(small))]
    assert f"tx {ev.txid.iloc[0][:8]}…" in txt  # each link names its transaction
    big = P.cluster_picture(c, 0, max_nodes=10)
    assert "the 10 nearest the most linked one shown" in texts(big)


def test_cluster_balance_timeline(sample_clustering, sample_chain):
    c = sample_clustering
    fig = c.plot_balance(0)
    assert_not_blank(fig)
    assert f"now {ct.format_btc(int(c.clusters_.balance[0]))}" in texts(fig)


def test_bad_input_gives_clear_errors(case):
    chain, tags, a, txids, t = case
    with pytest.raises(TraceError, match="needs a Trace"):
        P.trace_flow("not a trace")
    with pytest.raises(TraceError, match="'hop' or by 'time'"):
        P.trace_flow(t, x="colour")
    with pytest.raises(NotInChainError):
        P.balance_timeline(chain, "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls")
    with pytest.raises(ClusteringError, match="clustering="):
        P.balance_timeline(chain, 3)
    back = ct.trace(chain, f"{txids[2]}:1", direction="backward", min_value=0)
    with pytest.raises(TraceError, match="forward"):
        P.where_the_money_went(back)


# ---------------------------------------------------------------- real records: the Colonial Pipeline seizure
CONSOLIDATION = "daf38c7b38eb0a587cf843f47000d5c294affb4f56017370ad48c5147f5e69d9"
SEIZURE = "943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a"
FBI = "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"


@pytest.fixture(scope="module")
def colonial():
    import pandas as pd

    chain = ct.load_sample("colonial")
    tags = pd.DataFrame({"label": ["FBI seizure address (DOJ, 2021-06-07)"], "category": ["organization"],
                         "jurisdiction": ["US"]}, index=pd.Index([FBI], name="address"))
    t = ct.trace(chain, f"{CONSOLIDATION}:0", stop_at=None, min_value=0, tags=tags)
    return chain, tags, t


def test_colonial_seizure_in_the_flow_picture(colonial):
    chain, tags, t = colonial
    e = P.flow_edges(t)
    seized = e[(e.parent == f"{CONSOLIDATION}:0") & (e.child == f"{SEIZURE}:1")]
    assert seized.tainted_value.tolist() == [6_369_996_546]  # the 63.69996546 BTC the FBI seized
    fig = P.trace_flow(t)
    assert_not_blank(fig)
    txt = texts(fig)
    assert "63.7000 BTC\nFBI seizure address\n(DOJ, 2021-06-07) (US)" in txt and "69.6042 BTC" in txt
    assert "other tagged" in txt


def test_colonial_fbi_address_balance(colonial):
    chain, tags, t = colonial
    fig = P.balance_timeline(chain, FBI)
    txt = texts(fig)
    # the seizure, then later unrelated dust (the records were taken in 2026)
    assert "received (3 payments, 63.70059652 BTC)" in txt
    assert "spent (1 coins, 63.69996546 BTC)" in txt
    assert "now 0.00063106 BTC" in txt


def test_colonial_partial_records_still_add_up():
    """Value leaving partial records (class end_of_records) is counted, so the bars add up to the start."""
    chain = ct.load_sample("colonial")
    t = ct.trace(chain, "bc1qq2euq8pw950klpjcawuy4uj39ym43hs6cfsegq", min_value=0)
    groups = P.where_the_money_went(t)
    assert int(groups.sum()) == t.start_value == 7_550_943_453
    assert int(groups["fees (to miners)"]) == 7_795
    from cryptotrace.report import findings

    assert any("leaves these records (a partial chain)" in x for x in findings(t))


def test_figures_show_themselves_in_jupyter_without_pyplot(case):
    """Jupyter displays an object through _repr_png_ when no pyplot backend registered a printer."""
    fig = case[-1].plot()
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cluster_picture_names_tagged_addresses():
    """The cluster picture labels an address with its tag (e.g. an exchange's hot wallet)."""
    import cryptotrace as ct

    case = ct.load_case("sample")
    tags = ct.load_tags(case.tags_path)
    clustering = ct.Clustering().fit(case.chain)
    tagged = ct.cluster_tags(clustering, tags)
    cid = int(tagged.index[0])
    fig = ct.plot.cluster_picture(clustering, cid, tags=tags)
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert str(tagged.label.iloc[0]) in texts
