"""The standalone explorer file in a real browser (headless Chromium): it draws, a click opens the right
number of coins, a double click closes them, hover shows the amount, the PNG button gives a PNG, and
the page asks nothing of any host but 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import cryptotrace as ct

sys.path.insert(0, str(Path(__file__).parent))
from _browser import (
    N_NODES,
    NODE_XY,
    chromium,
    outside_requests,
    screenshot,
    serve_folder,
)

sys.path.pop(0)


@pytest.fixture(scope="module")
def chain():
    return ct.load_sample()


def _a_coin_to_open(chain):
    """A transaction with an output that a transaction in the chain spends into >= 3 outputs."""
    o = chain.outputs
    big = chain.txs.txid[chain.txs.n_out >= 3]
    row = o[o.spent_by_txid.isin(big)].iloc[0]
    return row.txid, f"{row.txid}:{row.vout}", row.spent_by_txid


def test_standalone_file_opens_clicks_and_stays_offline(chain, tmp_path):
    txid, coin, spender = _a_coin_to_open(chain)
    ex = ct.explore(txid, chain=chain)
    before = len(ex.nodes)
    # what a click must open, by the chain's own tables (outputs of the spending transaction)
    expected = int((chain.outputs.txid == spender).sum())
    check = ct.explore(txid, chain=chain)
    assert len(check.expand(coin)) == expected  # the Python model agrees with the chain

    site = tmp_path / "site"
    site.mkdir()
    ex.save_html(site / "view.html")
    requests, errors = [], []
    with serve_folder(site) as base, chromium() as browser:
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/view.html")
        page.wait_for_function(f"() => window.__ctExplorers && ({N_NODES})() === {before}", timeout=15_000)
        screenshot(page, "standalone_before", tmp_path)

        # hover: the amount in BTC and the address
        x, y = page.evaluate(NODE_XY, coin)
        page.mouse.move(x, y)
        page.wait_for_selector(".ctx-tip", state="visible", timeout=5_000)
        tip = page.inner_text(".ctx-tip")
        value = int(
            chain.outputs.value[(chain.outputs.txid == txid) & (chain.outputs.vout == int(coin.split(":")[1]))].iloc[0]
        )
        assert f"{value / 1e8:.8f} BTC" in tip

        # click: the graph grows by the outputs of the spending transaction, to the right
        page.mouse.click(x, y)
        page.wait_for_function(f"() => ({N_NODES})() === {before + expected}", timeout=10_000)
        xs = page.evaluate(
            """(coin) => { const cy = window.__ctExplorers[0];
            const x0 = cy.getElementById(coin).position().x;
            return cy.nodes().filter(n => n.data('origin') === coin).map(n => n.position().x - x0); }""",
            coin,
        )
        assert len(xs) == expected and min(xs) > 0
        side = page.inner_text(".ctx-side")
        assert coin in side
        screenshot(page, "standalone_clicked", tmp_path)

        # double click: closed again
        x, y = page.evaluate(NODE_XY, coin)
        page.mouse.dblclick(x, y)
        page.wait_for_function(f"() => ({N_NODES})() === {before}", timeout=10_000)

        # the PNG button downloads a PNG made in the browser
        with page.expect_download() as dl:
            page.click(".ctx-png")
        png = Path(dl.value.path()).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        page.close()
    assert errors == []
    assert any(u.endswith("/view.html") for u in requests)
    assert outside_requests(requests) == []


def test_a_500_coin_trace_view_draws(tmp_path):
    """A bigger view: every node is drawn and laid out left to right (a link never goes left)."""
    case = ct.load_case("ransomware")
    import re

    addrs = re.findall(r"`(bc1[0-9a-z]+)`", case.evidence["ransomware_ransom_notes.md"])
    t = ct.trace(case.chain, addrs, policy="fifo", max_hops=20)
    ex = ct.explore(t)
    n = len(ex.nodes)
    assert n >= 500
    ex.save_html(tmp_path / "trace.html")
    with serve_folder(tmp_path) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/trace.html")
        page.wait_for_function(f"() => window.__ctExplorers && ({N_NODES})() === {n}", timeout=30_000)
        back = page.evaluate("""() => { const cy = window.__ctExplorers[0];
            return cy.edges().filter(e => e.target().position().x <= e.source().position().x).length; }""")
        n_edges = page.evaluate("() => window.__ctExplorers[0].edges().length")
        screenshot(page, "standalone_trace", tmp_path)
    assert back == 0
    assert n_edges == len(ex.edges)
