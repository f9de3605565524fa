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


def test_trace_flow_limits_nodes_but_never_hides_an_end_point(case):
    t = case[-1]
    # above max_nodes the default is the entity view: one box per owner, service or CoinJoin
    fig = P.trace_flow(t, max_nodes=2)
    txt = texts(fig)
    assert "one box per owner" in txt and "Northbridge Exchange" in txt and "Still unspent" in txt
    assert_not_blank(fig)
    # the coin view draws every end point and the coins linking it to the start, whatever max_nodes says
    txt = texts(P.trace_flow(t, max_nodes=2, view="coins"))
    assert "5 of 5 traced coins shown" in txt and "not drawn" not in txt
    with pytest.raises(TraceError, match="view='pie'"):
        P.trace_flow(t, view="pie")
    with pytest.raises(TraceError, match="needs the coin view"):
        P.trace_flow(t, view="entities", x="time")


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
    tags = pd.DataFrame(
        {"label": ["FBI seizure address (DOJ, 2021-06-07)"], "category": ["organization"], "jurisdiction": ["US"]},
        index=pd.Index([FBI], name="address"),
    )
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
    from cryptotrace.reporting import findings

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
    assert "tagged as" in fig.axes[0].get_title(loc="left")


# ------------------------------------------------------- the capstone (notebook 06): the vendor's refund address
@pytest.fixture(scope="module")
def capstone():
    """The trace of notebook 06: everything paid to the vendor's refund address, FIFO, 30 hops."""
    import re
    import warnings

    from cryptotrace.reporting import findings

    case = ct.load_case("nps_vendor")
    refund = re.findall(r"`(bc1[0-9a-z]+)`", case.evidence["nps_vendor_market_listing.md"])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clusters = ct.Clustering().fit(case.chain)
    tags = ct.load_tags(case.tags_path)
    trail = ct.trace(case.chain, refund, policy="fifo", tags=tags, clustering=clusters, max_hops=30)
    cands = ct.seizure_candidates(trail, clusters, tags)
    said = findings(trail, cands, tags=tags)
    services = sorted({m for line in said for m in re.findall(r"BTC reached (.+?) in ", line)})
    return trail, tags, clusters, refund, said, services


def test_capstone_flow_shows_where_the_money_went(capstone):
    """Before: 25 start coins and the peel chain, every exchange, the CoinJoin and the cold storage hidden."""
    trail, tags, clusters, refund, said, services = capstone
    assert len(services) >= 3  # Kryptohaus, CoinHarbor, Northbridge Exchange
    fig = P.trace_flow(trail, tags=tags)  # the default: max_nodes=30, more coins than that
    assert_not_blank(fig)
    txt = texts(fig)
    assert "one box per owner" in txt  # the entity view
    for name in services:
        assert name in txt, name
    assert "CoinJoin" in txt and "Still unspent" in txt  # the mix and the cold storage
    # the 25 start coins of the one refund address: one box
    n_start = len(trail.start_rows)
    assert n_start == 25
    boxes = [t.get_text() for t in fig.findobj(Text) if P._short(refund) in t.get_text()]
    assert len(boxes) == 1 and f"in {n_start} coins" in boxes[0]
    # the hops the picture states are the hops the trace's text states
    hops = trail.summary()["hops_reached"]
    assert f"over {hops} hop(s)" in trail.describe() and f"through {hops} steps to" in " ".join(txt.split())


def test_capstone_coin_view_draws_every_end_point(capstone):
    trail, tags, clusters, refund, said, services = capstone
    fig = P.trace_flow(trail, tags=tags, view="coins", max_nodes=30)
    assert_not_blank(fig)
    txt = texts(fig)
    for name in services:
        assert name in txt, name
    assert sum(t.get_text().startswith("start: 25 coins at") for t in fig.findobj(Text)) == 1
    assert "Whirlpool" in txt  # the CoinJoin's coordinator fee, an end point
    steps = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text().startswith("step ")]
    assert steps[-1] == f"step {trail.summary()['hops_reached']}"
    assert "not drawn (the smallest; every service, CoinJoin and unspent end point is drawn)" in " ".join(txt.split())


def test_time_view_has_dates_with_the_year_and_room_for_the_peel_chain(capstone):
    """The payments came in over 14 days, the peel chain ran in hours: in time order both get room."""
    import re

    trail, tags, *_ = capstone
    fig = P.trace_flow(trail, tags=tags, x="time", max_nodes=60)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(re.match(r"^20\d\d-\d\d-\d\d", lab) for lab in labels)
    from matplotlib.colors import to_hex

    start_colour = P.GROUP_COLOURS["start (traced coins)"]
    rest = [
        c.get_offsets()[:, 0]
        for c in ax.collections
        if len(c.get_offsets()) and to_hex(c.get_facecolors()[0]).upper() != start_colour.upper()
    ]
    xs = np.concatenate(rest)
    lo, hi = ax.get_xlim()
    # the coins after the start fill most of the width (on a linear time axis they were a sliver at the right)
    assert (xs.max() - xs.min()) / (hi - lo) > 0.6


def test_balance_dates_have_the_year(capstone, case):
    """A balance over a day (toy) or two weeks (the capstone's refund address): every date has its year."""
    import re

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    trail, tags, clusters, refund, *_ = capstone
    chain, _, a, _, _ = case
    for fig in (P.balance_timeline(trail.chain, refund), P.balance_timeline(chain, a["D"])):
        FigureCanvasAgg(fig).draw()
        labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
        assert len(labels) >= 3 and all(re.match(r"^20\d\d-\d\d-\d\d", lab) for lab in labels), labels


def test_cluster_picture_says_what_it_shows(capstone):
    trail, tags, clusters, refund, *_ = capstone
    cid = clusters.cluster_of(refund)
    title = P.cluster_picture(clusters, cid, tags=tags, highlight=refund).axes[0].get_title(loc="left")
    n = len(clusters.members(cid))
    assert f"Cluster {cid}: {n} addresses that one owner is likely to control" in title
    assert "each line is a transaction that joined two of them" in title
    assert f"ringed in red: {P._short(refund)}" in title


def test_entity_view_of_a_very_big_trace_stays_readable():
    """17,000 coins through services and 481 CoinJoins (stop_at=None): about 16 boxes, every service named."""
    case = ct.load_case("sample")
    chain = case.chain
    tags = ct.load_tags(case.tags_path)
    busiest = chain.outputs.address.value_counts().index[0]
    t = ct.trace(chain, busiest, max_hops=20, stop_at=None, tags=tags)
    fig = P.trace_flow(t, tags=tags)
    boxes = [x for x in fig.axes[0].texts if x.get_bbox_patch() is not None]
    assert 5 <= len(boxes) <= 16
    from cryptotrace.tags import category_role
    from cryptotrace.tracing import tags_by_address

    # the exchanges and markets whose tagged addresses the money went through
    f = t.flows
    tb = tags_by_address(tags).reindex(f[f.tainted_value > 0].address.dropna().unique()).dropna(subset=["label"])
    tb = tb[[category_role(c) in ("custodial", "market") for c in tb.category]]
    names = {P._SERVICE_SUFFIX.sub("", x) for x in tb.label.astype(str)}
    txt = texts(fig)
    assert names and all(n in txt for n in names), names - {n for n in names if n in txt}
