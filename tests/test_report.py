"""The HTML case report: self-contained, escaped, complete."""

from __future__ import annotations

import base64
import html
import re

import pandas as pd
import pytest

import cryptotrace as ct
from cryptotrace.errors import TraceError
from cryptotrace.reporting import findings, report
from cryptotrace.tracing import POLICIES

from cryptotrace.testing import shown_case as toy


@pytest.fixture(scope="module")
def case():
    chain, tags, a, txids = toy()
    t = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0)
    return chain, tags, a, txids, t


@pytest.fixture(scope="module")
def html_text(case):
    chain, tags, a, txids, t = case
    return report(t, tags=tags, title="Operation <Toy> & friends")


def test_hostile_labels_render_as_text(html_text):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "<script" not in html_text.lower()
    assert "Operation &lt;Toy&gt; &amp; friends" in html_text


def test_self_contained(html_text):
    # no asset is fetched from anywhere: every src is inline data, no stylesheet or script links
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html_text, re.IGNORECASE)
    assert "<link" not in html_text.lower()
    srcs = re.findall(r"src='([^']*)'", html_text)
    assert len(srcs) >= 3
    for s in srcs:
        assert s.startswith("data:image/png;base64,")
        assert base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_contents(case, html_text):
    chain, tags, a, txids, t = case
    # what matters first: findings, then what to freeze or seize, the pictures, the summary; the long
    # per-coin tables and the method in the appendix
    headings = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html_text)]
    assert headings == [
        "Findings",
        "Seizure candidates (3 material of 3)",
        "Pictures",
        "Case summary",
        "Data and parameters",
        "Appendix",
        "A. Evidence paths",
        "B. Flows (5 outputs carrying traced value)",
        "C. Tags reached",
        "D. Method and caveats",
    ]
    assert chain.content_hash in html_text
    assert "1.00000000" in html_text and "0.50000000" in html_text and "1.49980000" in html_text
    # the evidence path of the second exchange deposit: start -> change -> deposit
    path = [f"{txids[0]}:0", f"{txids[1]}:1", f"{txids[2]}:0"]
    assert all(f"<code>{p}</code>" in html_text for p in path)
    assert html_text.index(path[0]) < html_text.index(path[2])
    assert html_text.count("<details><summary>#") == len(ct.seizure_candidates(t)) == 3  # one path each
    # method: the policy's rule, escaped
    assert POLICIES["haircut"].replace("'", "&#x27;") in html_text
    assert "max_hops" in html_text and "fee_policy" in html_text


def test_heuristics_method_comes_from_their_rationale(case):
    from cryptotrace import heuristics as H

    chain, tags, a, txids, t = case
    c = ct.Clustering().fit(chain)
    text = report(t, clustering=c, tags=tags, figures=False)
    assert "<h3>Clustering heuristics</h3>" in text
    assert H.multi_input.name in text
    import html

    assert html.escape(H.multi_input.rationale) in text
    assert "Clustering parameters" in text


def test_findings_in_plain_words(case):
    chain, tags, a, txids, t = case
    lines = findings(t)
    assert lines[0].startswith("Traced 3.00000000 BTC from")
    # the worth in EUR and USD at the time beside BTC (the toy chain is dated 2024: the bundled prices)
    assert re.search(
        r"1\.00000000 BTC reached Northbridge Exchange in the Netherlands \(1 deposit; [\d,]+\.\d\d EUR / "
        r"[\d,]+\.\d\d USD at the time\): ask Northbridge Exchange to freeze it",
        "\n".join(lines),
    )
    assert any("in Germany" in x for x in lines)
    assert any(x.startswith("1.49980000 BTC is still unspent") for x in lines)
    assert any(x.startswith("0.00020000 BTC was paid to miners") for x in lines)


def test_writes_atomically_and_replaces(case, tmp_path):
    chain, tags, a, txids, t = case
    out = tmp_path / "r.html"
    out.write_text("old")
    p = report(t, out, figures=False)
    assert p == out
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.html"]  # no temporary file left behind


def test_ct_report_stays_the_function_after_importing_the_module(case):
    import inspect

    import cryptotrace.reporting as mod

    chain, tags, a, txids, t = case
    assert inspect.isfunction(ct.report) and ct.report is mod.report  # no module-class swap (issue 13)
    assert type(mod) is type(inspect)  # a plain module
    assert ct.report(t, figures=False).startswith("<!DOCTYPE html>")


def test_backward_trace_report(case):
    chain, tags, a, txids, t = case
    back = ct.trace(chain, f"{txids[2]}:1", direction="backward", min_value=0)
    text = report(back, figures=False)
    assert "Seizure candidates" not in text
    assert "backward" in text


def test_bad_input(case):
    with pytest.raises(TraceError, match="needs a Trace"):
        report({"not": "a trace"})


def test_report_command(tmp_path):
    from cryptotrace.cases import load_case
    from cryptotrace.cli import main

    pack = load_case("sample")
    facts = pack.answer_key.facts["nps_vendor"]
    refund = next(e for e in facts["events"] if e["event"] == "market_sales")["refund_address"]
    out = tmp_path / "r.html"
    csv = tmp_path / "c.csv"
    rc = main(
        [
            "report",
            str(pack.path / "dataset"),
            "--from",
            refund,
            "--tagpack",
            *map(str, pack.legal_responses.values()),
            "--csv",
            str(csv),
            "--no-figures",
            "-o",
            str(out),
        ]
    )
    assert rc == 0
    text = out.read_text(encoding="utf-8")
    assert refund in text and pack.chain.content_hash in text
    # the vendor's deposits at exchanges (answer key) are among the candidates
    deposits = next(e for e in facts["events"] if e["event"] == "peel_chain")["deposits"]
    assert all(d["address"] in text for d in deposits)
    assert csv.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert main(["report", "sample", "--from", "nothere", "-o", str(tmp_path / "x.html")]) == 2
    assert not (tmp_path / "x.html").exists()


def test_real_colonial_report_and_graph(tmp_path):
    """Real records: the Colonial Pipeline ransom's consolidation and the FBI seizure of 63.69996546 BTC."""
    import networkx as nx

    from cryptotrace import export as X

    chain = ct.load_sample("colonial")
    cons = "daf38c7b38eb0a587cf843f47000d5c294affb4f56017370ad48c5147f5e69d9"
    seizure = "943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a"
    t = ct.trace(chain, f"{cons}:0", stop_at=None, min_value=0)
    text = report(t, figures=False)
    assert "69.60422177" in text and "63.69996546" in text
    assert f"<code>{seizure}:1</code>" in text  # in the evidence path of the FBI's coin
    assert chain.content_hash in text
    g = nx.read_graphml(X.to_graphml(t, tmp_path / "c.graphml"))
    node = g.nodes[f"{seizure}:1"]
    assert int(node["value_sats"]) == 6_369_996_546
    assert node["address"] == "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"


def test_every_heuristic_used_is_listed_composed_and_parameterised(case):
    """Clustering(["multi_input", round_amount & script_type, round_amount(digits=6)]): each one is named,
    with the parts of the composed one and the CoinJoin detector (before issue 16 only the detector was)."""
    import html

    from cryptotrace import heuristics as H
    from cryptotrace.heuristics.change import RoundAmount

    chain, tags, a, txids, t = case
    six = RoundAmount(digits=6)
    both = H.change.round_amount & H.change.script_type
    c = ct.Clustering(["multi_input", both, six]).fit(chain)
    text = report(t, clustering=c, tags=tags, figures=False)
    methods = text[text.index("<h3>Clustering heuristics</h3>") : text.index("<h3>Attribution (tags)</h3>")]
    for h in (H.multi_input, both, six, H.change.round_amount, H.change.script_type, H.coinjoin.coinjoin):
        assert f"<b>{html.escape(h.name)}</b>" in methods, h.name
    for h in (H.multi_input, six, H.change.script_type):
        assert html.escape(h.rationale) in methods and html.escape(h.reference) in methods


def test_parameters_in_words(case):
    """No Python reprs in the parameters: not ['multi_input'], not True, not a dict."""
    chain, tags, a, txids, t = case
    c = ct.Clustering().fit(chain)
    text = report(t, clustering=c, tags=tags, figures=False)
    params = text[text.index("<h2>Data and parameters</h2>") : text.index("<section class='appendix'>")]
    for raw in ("['", "True", "False", "None", "{'"):
        assert raw not in params, raw
    assert f"at most {t.params['max_hops']:,} transactions (hops) from the start" in params
    assert "<span class='key'>(max_hops)</span>" in params  # the name in the code, for whoever re-runs it
    assert "yes: their inputs belong to many people" in params  # skip_coinjoin=True
    assert f"{len(chain.txs):,} transactions, " in params  # the clustered data, not a dict


def _headings(html_text: str, start: str) -> list[str]:
    part = html_text[html_text.index(start) :]
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", part, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", re.split(r"<br>", h)[0]) for h in re.findall(r"<th>(.*?)</th>", head, re.S)]


def test_table_columns_are_named_as_in_the_csv(case, html_text, tmp_path):
    from cryptotrace.export import to_csv

    chain, tags, a, txids, t = case
    csv_head = lambda obj, name: to_csv(obj, tmp_path / name).read_text(encoding="utf-8-sig").splitlines()[0].split(",")  # noqa: E731
    cands = _headings(html_text, "<h2 id='candidates'>")
    assert set(cands) <= set(csv_head(ct.seizure_candidates(t), "c.csv")), cands
    assert {"tainted_value_btc", "action", "address", "share"} <= set(cands)
    flows = _headings(html_text, "<h2>B. Flows")
    assert set(flows) <= set(csv_head(t, "f.csv")), flows
    assert {"txid", "vout", "tainted_value_btc", "value_btc"} <= set(flows)


def test_long_tables_are_cut_to_a_summary_pointing_to_the_csv(case):
    chain, tags, a, txids, t = case
    text = report(t, tags=tags, figures=False, max_rows=2)
    flows = text[text.index("<h2>B. Flows") : text.index("<h2>C. Tags reached")]
    assert "the full table is in the CSV" in flows and "Per step:" in flows
    # the per-coin table: the 2 largest flows only
    coin_table = flows[flows.index("largest of the") :]
    assert coin_table.count("<tr><td") == 2
    # short tables stay whole
    whole = report(t, tags=tags, figures=False)
    assert "the full table is in the CSV" not in whole[whole.index("<h2>B. Flows") :]


def test_print_rules(html_text):
    """A4 pages, pictures no higher than a page and never split, the appendix on a new page."""
    css = html_text[html_text.index("<style>") : html_text.index("</style>")]
    assert "@page{size:A4" in css
    printed = css[css.index("@media print") :]
    assert "figure{break-inside:avoid" in printed and "max-height:240mm" in printed
    assert ".appendix{break-before:page" in printed.replace(".pictures,", "")


def _candidate_rows(text: str) -> list[str]:
    part = text[text.index("<h2 id='candidates'>") :]
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_candidates_show_money_strength_and_count_every_material_one(case):
    chain, tags, a, txids, t = case
    sc = ct.seizure_candidates(t, tags=tags, max_rows=1)
    n_material = int(sc.table.material.sum())
    assert n_material >= 2  # so that one row listed differs from the material count
    text = report(t, tags=tags, candidates=sc, figures=False)
    head = re.search(
        r"<h2 id='candidates'>Seizure candidates \(([\d,]+) material of ([\d,]+); the largest 1 listed\)", text
    )
    assert head and int(head.group(1)) == n_material and int(head.group(2)) == len(sc.table)
    row = _candidate_rows(text)
    assert len(row) == 1
    top = sc.table.iloc[0]
    # EUR and USD beside BTC, as the candidate's own columns say (the price source named above)
    assert f"{top.tainted_value_eur:,.2f}" in row[0] and f"{top.tainted_value_usd:,.2f}" in row[0]
    assert html.escape(t.prices.describe()) in text
    # evidence strength: the grade with its reason as a title and a numbered note under the table, which
    # also says under which policies it holds and what a defence may answer (the row stays one line)
    assert f"<b title='{html.escape(top.strength_reason)}'>{top.strength}</b><sup>1</sup>" in row[0]
    notes = re.search(r"<ol class='footnotes'>(.*?)</ol>", text, re.S).group(1)
    assert html.escape(top.strength_reason) in notes
    assert f"Holds under {html.escape(top.holds_under)}." in notes
    if isinstance(top.alternatives, str) and top.alternatives:
        assert f"A defence may answer: {html.escape(top.alternatives)}." in notes


def test_report_without_money_columns_and_before_any_price(case):
    chain, tags, a, txids, _ = case
    bare = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0, fiat=False)
    text = report(bare, tags=tags, figures=False)
    assert "tainted_value_eur" not in text and "price source" not in text
    assert _candidate_rows(text)  # the table still renders, with its other columns
    # a chain from before any market price: the findings say so and never show 0 EUR
    from cryptotrace.addresses import encode_address

    addrs = [encode_address("p2wpkh", bytes([i]) * 20) for i in range(1, 4)]
    s = int(ct.prices.MARKET_START.timestamp()) - 400 * 86_400
    old = ct.Chain.from_tables(
        txs=pd.DataFrame({"txid": ["a0" * 32, "b1" * 32], "block_height": [1, 2], "time": [s, s + 600]}),
        inputs=pd.DataFrame(
            {"txid": ["a0" * 32, "b1" * 32], "vin": [0, 0], "prev_txid": [None, "a0" * 32], "prev_vout": [None, 0]}
        ),
        outputs=pd.DataFrame(
            {"txid": ["a0" * 32, "b1" * 32], "vout": [0, 0], "address": addrs[:2], "value": [50 * 10**8, 50 * 10**8]}
        ),
    )
    text = report(ct.trace(old, "a0" * 32 + ":0", min_value=0), figures=False)
    assert "no market price before 2010-07-17" in text and "0.00 EUR" not in text
    assert "no price</td>" in text
