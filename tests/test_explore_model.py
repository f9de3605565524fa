"""The explorer's Python model: expansion against the chain's own links, selection, notes, case items,
views, large-view grouping and the standalone export (no browser here; see test_explore_browser.py)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace.errors import CryptotraceError, ExploreError

STATIC = Path(ct.__file__).parent / "explorer" / "static"


@pytest.fixture(scope="module")
def chain():
    return ct.load_sample()


@pytest.fixture(scope="module")
def ransom():
    case = ct.load_case("ransomware")
    addrs = re.findall(r"`(bc1[0-9a-z]+)`", case.evidence["ransomware_ransom_notes.md"])
    tags = ct.load_tags(case.tags_path)
    clusters = ct.Clustering().fit(case.chain)
    t = ct.trace(case.chain, addrs, policy="fifo", tags=tags, clustering=clusters, max_hops=20)
    return t, tags, clusters


def _spent_inside(chain) -> pd.DataFrame:
    """Outputs whose spending transaction the chain holds (read from the outputs table, not the index)."""
    o = chain.outputs
    return o[o.spent_by_txid.notna() & o.spent_by_txid.isin(chain.txs.txid)].reset_index(drop=True)


# ---------------------------------------------------------------- expansion against the chain's links
@settings(max_examples=25)
@given(data=st.data())
def test_forward_expansion_adds_the_outputs_of_the_spending_tx(chain, data):
    spent = _spent_inside(chain)
    row = spent.iloc[data.draw(st.integers(0, len(spent) - 1))]
    coin = f"{row.txid}:{row.vout}"
    ex = ct.explore(coin, chain=chain)
    assert list(ex.nodes.id) == [coin]
    added = ex.expand(coin, direction="forward")
    want = chain.outputs[chain.outputs.txid == row.spent_by_txid]
    assert sorted(added.id) == sorted(want.txid.astype(str) + ":" + want.vout.astype(str))
    assert len(ex.nodes) == 1 + len(want)
    e = ex.edges
    assert len(e) == len(want) and set(e.source) == {coin} and set(e.txid) == {row.spent_by_txid}
    # double click: back to where we started
    assert ex.collapse(coin) == len(want)
    assert list(ex.nodes.id) == [coin]


@settings(max_examples=25)
@given(data=st.data())
def test_backward_expansion_adds_the_coins_the_making_tx_spent(chain, data):
    o = chain.outputs
    row = o.iloc[data.draw(st.integers(0, len(o) - 1))]
    coin = f"{row.txid}:{row.vout}"
    ex = ct.explore(coin, chain=chain)
    added = ex.expand(coin, direction="backward")
    ins = chain.inputs[chain.inputs.txid == row.txid]
    want = np.where(
        ins.prev_txid.isna(), row.txid + ":coinbase", ins.prev_txid.astype(str) + ":" + ins.prev_vout.astype(str)
    )
    assert sorted(added.id) == sorted(want)
    assert set(ex.edges.target) == {coin} and len(ex.edges) == len(ins)
    # the coins from outside the data are marked so
    outside = ex.nodes[ex.nodes.group == "outside the data"]
    assert len(outside) == int(ins.is_external.sum() + ins.prev_txid.isna().sum())


def test_a_transaction_shows_its_inputs_and_outputs_linked_pairwise(chain):
    tx = chain.txs[(chain.txs.n_in > 1) & (chain.txs.n_out > 1) & (chain.txs.n_in * chain.txs.n_out <= 36)].iloc[0]
    ex = ct.explore(tx.txid, chain=chain)
    assert len(ex.nodes) == tx.n_in + tx.n_out
    e = ex.edges
    assert len(e) == tx.n_in * tx.n_out and set(e.txid) == {tx.txid}
    # left to right in time: every link goes from an earlier column to a later one
    t = dict(zip(ex._shown.id, ex._shown.t))
    assert all(t[s] < t[d] for s, d in zip(e.source, e.target))


def test_collapse_removes_only_what_the_click_brought_and_its_descendants(chain):
    spent = _spent_inside(chain)
    coin = f"{spent.txid[0]}:{spent.vout[0]}"
    ex = ct.explore(coin, chain=chain)
    first = ex.expand(coin)
    second = pd.concat([ex.expand(c) for c in first.id if c in set(ex.nodes.id)], ignore_index=True)
    assert len(ex.nodes) == 1 + len(first) + len(second)
    ex.collapse(coin)
    assert list(ex.nodes.id) == [coin]


def test_address_view_opens_every_coin_of_the_address(chain):
    addrs = chain.outputs.address.value_counts()
    addr = addrs.index[(addrs >= 2).to_numpy()][0]
    ex = ct.explore(addr, chain=chain, view="addresses")
    assert list(ex.nodes.id) == [addr]
    assert ex.nodes.n_coins.iloc[0] == int(addrs[addr])
    assert ex.nodes.value_btc.iloc[0] == pytest.approx(chain.outputs.value[chain.outputs.address == addr].sum() / 1e8)


# ---------------------------------------------------------------- a trace
def test_trace_view_carries_the_traced_value_and_tags(ransom):
    t, tags, clusters = ransom
    ex = ct.explore(t, tags=tags, clustering=clusters)
    f = t.flows
    assert len(ex.nodes) == len(f)
    assert ex.nodes.traced_btc.sum() == pytest.approx(f.tainted_value.sum() / 1e8)
    assert (ex.nodes.group == "start (traced coins)").sum() == (f.hop == 0).sum()
    # the exchange deposits are coloured as custodial, as tags.category_role says
    svc = t.endpoints[t.endpoints.kind == "service"]
    ids = list(svc.txid.astype(str) + ":" + svc.vout.astype(str))
    groups = ex.nodes.set_index("id").group.reindex(ids)
    assert groups.notna().all() and len(ids) > 0
    roles = [ct.tags.category_role(c) for c in svc.category]
    assert all((g == "exchange / custodial service") == (r == "custodial") for g, r in zip(groups, roles))
    # every traced link is a transaction the trace followed
    assert set(ex.edges.txid) <= set(t.transactions.txid)


def test_to_trace_follows_the_screen_and_keeps_the_start(ransom):
    t, tags, clusters = ransom
    ex = ct.explore(t, tags=tags, clustering=clusters)
    again = ex.to_trace()
    assert again.start_value == t.start_value
    assert set(again.flows.txid) <= set(ex.coins.txid)


def test_large_views_are_grouped_and_say_so(ransom):
    t, tags, clusters = ransom
    ex = ct.explore(t, tags=tags, clustering=clusters, max_nodes=100)
    assert len(ex.nodes) <= 100
    assert ex.graph["view"] != "coins" and "grouped per" in ex.graph["notice"]
    # grouping keeps every satoshi
    assert ex.nodes.value_btc.sum() == pytest.approx(t.flows.value.sum() / 1e8)
    assert ex.nodes.n_coins.sum() == len(t.flows)


def test_entity_view_groups_by_cluster(ransom):
    t, tags, clusters = ransom
    ex = ct.explore(t, tags=tags, clustering=clusters, view="entities")
    lab = clusters.labels_.reindex(t.flows.address.dropna().unique())
    assert len(ex.nodes) <= lab.nunique() + t.flows.address.isna().sum()
    assert ex.nodes.n_coins.sum() == len(t.flows)


# ---------------------------------------------------------------- selection, notes, case items
def test_selection_notes_and_case_items(chain):
    tx = chain.txs[(chain.txs.n_out > 1)].iloc[0]
    ex = ct.explore(tx.txid, chain=chain)
    a, b = list(ex.nodes.id[-2:])
    ex.select([a, b])
    assert list(ex.selected.id) == [a, b]
    ex.add_note(a, "looks like change")
    assert ex.notes.to_dict("records") == [{"node": a, "note": "looks like change"}]
    items = ex.add_to_case(finding="two outputs")
    assert list(items.node) == [a, b] and list(items.note) == ["looks like change", ""]
    o = chain.outputs.set_index(chain.outputs.txid.astype(str) + ":" + chain.outputs.vout.astype(str))
    assert items.value_btc.tolist() == pytest.approx((o.value.reindex([a, b]) / 1e8).tolist())
    assert items["coins"].tolist() == [[a], [b]]
    with pytest.raises(ExploreError, match="not on screen"):
        ex.select("0" * 64 + ":0")


def test_bad_input_is_a_teaching_error(chain):
    with pytest.raises(ExploreError, match="chain="):
        ct.explore("bc1qxyz")
    with pytest.raises(ExploreError, match="not an address"):
        ct.explore("not-an-address", chain=chain)
    with pytest.raises(ExploreError, match="view"):
        ct.explore(chain.txs.txid[0], chain=chain, view="pixels")
    with pytest.raises(ExploreError, match="does not exist"):
        ct.explore(chain.txs.txid[0] + ":999", chain=chain)
    with pytest.raises(CryptotraceError, match="cannot show"):
        ct.explore(42, chain=chain)
    ex = ct.explore(chain.txs.txid[0], chain=chain)
    with pytest.raises(ExploreError, match="not on screen"):
        ex.expand("nope")
    with pytest.raises(ExploreError, match="html"):
        ex.save_html("x.txt")


def test_ct_explore_is_callable_even_after_importing_the_package():
    import inspect

    import cryptotrace.explorer
    import cryptotrace.explorer.model  # noqa: F401

    assert inspect.isfunction(ct.explore) and ct.explore is cryptotrace.explorer.explore  # no module-class swap
    assert type(cryptotrace.explorer) is type(inspect) and "explore" in ct.__all__


# ---------------------------------------------------------------- the standalone file
def test_standalone_html_has_no_links_and_carries_its_data(chain, tmp_path):
    tx = chain.txs[(chain.txs.n_out > 1)].iloc[0]
    ex = ct.explore(tx.txid, chain=chain)
    path = ex.save_html(tmp_path / "view.html")
    text = path.read_text(encoding="utf-8")
    urls = [u for u in re.findall(r"https?://[^\s\"'<>)]*", text) if not u.startswith("http://127.0.0.1")]
    assert urls == []
    # nothing loaded from another file: no element with a src or href
    assert re.findall(r"<(?:script|img|link|iframe|embed|object|source)\b[^>]*\b(?:src|href)\s*=", text) == []
    assert "default-src 'none'" in text
    data = json.loads(re.search(r'id="ct-data">(.*?)</script>', text, re.DOTALL).group(1))
    assert sorted(n["id"] for n in data["nodes"]) == sorted(ex.nodes.id)
    assert {t["txid"] for t in data["txs"].values()} >= {tx.txid}
    assert "cytoscape" in text and 'version="3.35.0"' in text


def test_vendored_cytoscape_matches_its_provenance():
    prov = (STATIC / "PROVENANCE.md").read_text()
    digest = hashlib.sha256((STATIC / "cytoscape.min.js").read_bytes()).hexdigest()
    assert f"`cytoscape.min.js` sha256 `{digest}`" in prov
    assert "Permission is hereby granted" in (STATIC / "cytoscape.LICENSE").read_text()


def test_the_view_switch_regroups_the_same_coins(chain):
    tx = chain.txs[(chain.txs.n_out > 2)].iloc[0]
    ex = ct.explore(tx.txid, chain=chain)
    coins = len(ex.nodes)
    ex.view = "addresses"  # what the widget's "nodes are" switch sets
    assert ex.graph["view"] == "addresses"
    assert ex.nodes.n_coins.sum() == coins
    assert len(ex.nodes) == ex.coins.address.fillna(ex.coins.id).nunique()
    with pytest.raises(ExploreError, match="view"):
        ex.view = "pixels"
    assert ex.view == "addresses"


def test_save_png_without_a_browser_says_what_to_do(chain, tmp_path):
    ex = ct.explore(chain.txs.txid[0], chain=chain)
    with pytest.raises(ExploreError, match="run this cell again"):
        ex.save_png(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_the_browser_messages_drive_the_model(chain, tmp_path, project_root):
    """What explorer.js sends (expand, collapse, add_to_case, png) does what the buttons say."""
    import base64

    spent = _spent_inside(chain)
    coin = f"{spent.txid[0]}:{spent.vout[0]}"
    n_out = int((chain.outputs.txid == spent.spent_by_txid[0]).sum())
    ex = ct.explore(coin, chain=chain)
    ex._on_msg(ex, {"type": "expand", "id": coin, "direction": "forward"})
    assert len(ex.nodes) == 1 + n_out and len(ex.graph["nodes"]) == 1 + n_out
    ex._on_msg(ex, {"type": "add_to_case", "id": coin, "note": "seen in the browser"})
    assert ex.case_items[["node", "note"]].values.tolist() == [[coin, "seen in the browser"]]
    ex._on_msg(ex, {"type": "collapse", "id": coin})
    assert list(ex.nodes.id) == [coin]
    ex._on_msg(ex, {"type": "expand", "id": "not-on-screen"})  # an error shows in the widget, not a crash
    assert "not on screen" in ex.graph["notice"]
    png = (project_root / "docs" / "explorer.png").read_bytes()
    ex._on_msg(ex, {"type": "png", "data": "data:image/png;base64," + base64.b64encode(png).decode()})
    assert ex.save_png(tmp_path / "view.png").read_bytes() == png


def test_a_big_transaction_is_drawn_as_a_node_its_links_go_through(chain):
    from cryptotrace.explorer.model import HUB_LINKS

    txs = chain.txs
    tx = txs[(txs.n_in >= 2) & (txs.n_out >= 2) & (txs.n_in * txs.n_out > HUB_LINKS)].iloc[0]
    ex = ct.explore(tx.txid, chain=chain)
    e = ex.edges
    hub = f"tx {tx.txid}"
    assert len(e) == tx.n_in + tx.n_out  # m + n links instead of m x n
    assert (e.target == hub).sum() == tx.n_in and (e.source == hub).sum() == tx.n_out
    assert hub not in set(ex.nodes.id)  # the nodes table keeps coins only


def test_hostile_text_cannot_break_out_of_the_saved_page(chain, tmp_path):
    tx = chain.txs[(chain.txs.n_out > 1)].iloc[0]
    ex = ct.explore(tx.txid, chain=chain)
    evil = "</script><script>alert(1)</script><!--<img src=x onerror=alert(2)>"
    ex.add_note(ex.nodes.id[0], evil)
    text = ex.to_html(title=evil)
    # the page's own three script elements and nothing else; the text only ever appears escaped
    assert text.count("<script") == 3 and text.count("</script>") == 3
    assert "<img" not in text and "<!--<" not in text
    data = json.loads(re.search(r'id="ct-data">(.*?)</script>', text, re.DOTALL).group(1))
    assert data["notes"][ex.nodes.id[0]] == evil  # kept exactly, only escaped


def test_a_cluster_and_hops(chain):
    clusters = ct.Clustering().fit(chain)
    big = (
        clusters.clusters_.sort_values("size", ascending=False).index[0]
        if "size" in clusters.clusters_
        else clusters.labels_.value_counts().index[0]
    )
    members = set(clusters.members(big))
    ex = ct.explore(clusters, cluster=big)
    assert ex.graph["view"] == "addresses"
    paid = chain.outputs[chain.outputs.address.isin(members)]
    assert set(ex.nodes.id) == set(paid.address) and ex.nodes.n_coins.sum() == len(paid)
    # hops=1 forward is one click on every coin
    spent = _spent_inside(chain)
    coin = f"{spent.txid[0]}:{spent.vout[0]}"
    one = ct.explore(coin, chain=chain, hops=1, direction="forward")
    clicked = ct.explore(coin, chain=chain)
    clicked.expand(coin)
    assert sorted(one.nodes.id) == sorted(clicked.nodes.id)
