"""Output that cannot be turned against its reader (issue 15 §4).

CSV (formula cells, line breaks), GraphML/GEXF (characters XML 1.0 forbids),
pictures (matplotlib mathtext), the case briefing (Markdown/HTML) and the
HTML report, each fed hostile text.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import matplotlib
import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import export as X
from cryptotrace._safe import (
    FORMULA_START,
    csv_cell,
    csv_text,
    frame_csv_text,
    md_block,
    md_code,
    md_inline,
    one_line,
    unguard,
    xml_text,
)

from cryptotrace.testing import shown_case as toy

matplotlib.use("Agg")

TRIGGERS = tuple(FORMULA_START)
# text with everything that ever caused trouble: formula starts, quotes, separators, every line break
HOSTILE_CHARS = st.sampled_from(list("=+-@'\t\r\n\x0b\x0c\x1c\x85\u2028\u2029 ,;\"aZ0€₿$<>&\x00\x1f\x7f"))
hostile_text = st.text(HOSTILE_CHARS, max_size=10) | st.text(max_size=16)
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def starts_formula(cell: str) -> bool:
    return cell.startswith(TRIGGERS) and not NUMBER.fullmatch(cell)


# ---------------------------------------------------------------------- CSV
@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(hostile_text, min_size=1, max_size=4), min_size=1, max_size=6))
def test_any_text_gives_one_row_per_record_and_no_formula(records):
    width = max(len(r) for r in records)
    records = [r + [""] * (width - len(r)) for r in records]
    for term in ("\r\n", "\n"):
        text = csv_text(records, header=[f"c{i}" for i in range(width)], lineterminator=term)
        assert len(text.split(term)) == len(records) + 2  # one line per record (+ header, + final empty)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len(rows) == len(records) + 1
        for row, rec in zip(rows[1:], records):
            assert len(row) == width
            assert not any(starts_formula(c) for c in row)
            assert [unguard(c) for c in row] == [one_line(c) for c in rec]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_text, min_size=1, max_size=6))
def test_export_to_csv_of_any_text(tmp_path, cells):
    p = X.to_csv(pd.DataFrame({"label": cells, "n": range(len(cells))}), tmp_path / "t.csv")
    raw = p.read_bytes()[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert len(rows) == len(cells) + 1 and len(raw.split("\r\n")) == len(cells) + 2
    assert not any(starts_formula(c) for r in rows for c in r)
    assert X.read_csv(p).label.tolist() == [one_line(c) for c in cells]


def test_negative_numbers_stay_numbers_and_formulas_do_not():
    assert [csv_cell(v) for v in (-5, "-5", "-0.25", "-1e-8", 3.5, "0")] == ["-5", "-5", "-0.25", "-1e-8", "3.5", "0"]
    for bad in ("-2+3", "=1+1", "+1", "@SUM(A1)", "\tx", "\r=cmd|' /C calc'!A0", "-", "－1+1", "＝1", "-٣"):
        assert csv_cell(bad).startswith("'"), bad
    assert csv_cell("'=x") == "''=x" and unguard(csv_cell("'=x")) == "'=x"
    assert csv_cell("Anna\rBerg\nKowalski\r\nX") == "Anna Berg Kowalski X"


def test_a_cr_in_a_name_cannot_add_a_row_to_a_legal_response():
    rows = [
        (
            "bc1qexample",
            "Kryptohaus deposit address",
            "exchange",
            "DE",
            "Anna Berg\r1BadAddr,injected label,exchange,DE,Mallory,forged",
            "reply",
        )
    ]
    text = csv_text(
        rows, header=["address", "label", "category", "jurisdiction", "account_holder", "source"], lineterminator="\n"
    )
    assert "\r" not in text and text.count("\n") == 2
    back = list(csv.DictReader(io.StringIO(text)))
    assert len(back) == 1 and back[0]["source"] == "reply"


def test_frame_csv_text_is_shaped_like_to_csv():
    df = pd.DataFrame({"label": ["=cmd", "ok", None], "n": [1, -2, 3]}, index=pd.Index(["a", "b", "c"], name="address"))
    text = frame_csv_text(df)
    assert text.splitlines() == ["address,label,n", "a,'=cmd,1", "b,ok,-2", "c,,3"]
    back = pd.read_csv(io.StringIO(text), index_col=0)
    assert back.index.tolist() == ["a", "b", "c"]


def test_tags_command_csv_guards_hostile_labels(tmp_path):
    from cryptotrace.cli import main

    chain, tags, a, txids = toy()
    ds = tmp_path / "ds"
    chain.save(ds)
    pack = tmp_path / "tags.csv"
    hostile = pd.DataFrame(
        [
            {"address": a["X"], "label": '=HYPERLINK("http://evil")\rextra,row', "category": "exchange"},
            {"address": a["Y"], "label": "@SUM(1)", "category": "exchange"},
        ]
    )
    pack.write_text(hostile.to_csv(index=False))
    out = tmp_path / "out.csv"
    assert main(["tags", str(ds), "--tagpack", str(pack), "--per-address", "--csv", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(), newline="")))
    assert len(out.read_text().splitlines()) == len(rows) == 3
    assert not any(starts_formula(c) for r in rows for c in r)
    assert any(c.startswith("'=HYPERLINK") for r in rows for c in r)


# ---------------------------------------------------------------------- GraphML / GEXF
FORBIDDEN_XML = "\x00\x01\x08\x0b\x0c\x1f\ud800\udfff\ufffe\uffff"


def write_and_parse(g, tmp_path):
    for writer, reader, name in ((X.to_graphml, nx.read_graphml, "g.graphml"), (X.to_gexf, nx.read_gexf, "g.gexf")):
        p = writer(g, tmp_path / name)
        ET.parse(p)  # strict XML 1.0
        back = reader(p)
        yield name, back


def newlines_as_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")  # what any XML parser does with line ends


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    label=st.text(st.sampled_from(list(FORBIDDEN_XML + "<>&\"'\t\r\n aZ€")), max_size=12) | st.text(max_size=12),
    node=st.text(min_size=1, max_size=8),
)
def test_xml_exports_parse_for_any_label(tmp_path, label, node):
    g = nx.DiGraph()
    g.add_node("n1", label=label, tags=[label, "x"])
    g.add_node(node, label="plain")
    g.add_edge("n1", node, txid=label)
    for name, back in write_and_parse(g, tmp_path):
        assert back.number_of_nodes() == len({"n1", xml_text(node)})
        got = back.nodes["n1"].get("label", "")
        assert newlines_as_lf(got) == newlines_as_lf(xml_text(label)), name


def test_trace_graph_with_control_characters_in_a_tag_parses(tmp_path):
    chain, tags, a, txids = toy()
    evil = "Exchange\x00\x1b[31m\uffff\x0c end"  # (pandas' text columns cannot hold lone surrogates)
    tags = ct.TagStore.from_frame(
        pd.DataFrame([{"address": a["X"], "label": evil, "category": "exchange"}]), pack="evil"
    )
    t = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0)
    for name, back in write_and_parse(t, tmp_path):
        labels = {d.get("label") for _, d in back.nodes(data=True)}
        assert xml_text(evil) in labels, name


# ---------------------------------------------------------------------- pictures (mathtext)
MATH_LABELS = ["$\\frac{a}{", "$x$", "cost $5 and $10", "a\\$b", "$$", "$\\undefinedcommand$"]


def svg_text(fig) -> str:
    """The picture as SVG with its text kept as text (not glyph outlines), unescaped."""
    import html

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    drawn = re.sub(r"<!--.*?-->", "", buf.getvalue(), flags=re.S)  # the SVG backend copies texts into comments
    return html.unescape(drawn)


@pytest.mark.parametrize("label", MATH_LABELS)
def test_pictures_draw_dollar_labels_literally(label):
    from matplotlib import cbook

    chain, tags, a, txids = toy()
    tags = ct.TagStore.from_frame(
        pd.DataFrame(
            [
                {"address": a["X"], "label": label, "category": "exchange", "jurisdiction": "NL"},
                {"address": a["Y"], "label": label + " 2", "category": "exchange"},
            ]
        ),
        pack="math",
    )
    t = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0)
    figs = {
        "flow": ct.plot.trace_flow(t, title=label),
        "summary": ct.plot.money_summary(t, title=label),
        "balance": ct.plot.balance_timeline(chain, a["X"], title=label),
    }
    for name, fig in figs.items():
        fig.canvas.draw()  # renders every text: mathtext would raise on "$\\frac{a}{"
        for txt in (x for ax in fig.axes for x in ax.findobj(matplotlib.text.Text)):
            assert not cbook.is_math_text(txt.get_text()), (name, txt.get_text())  # never typeset as math
        shown = svg_text(fig)
        assert label in shown, name  # the reader sees the label itself: every $ and backslash
    assert label + " 2" in svg_text(figs["summary"])  # a service name on the bar chart's axis


def test_cluster_picture_with_a_math_label():
    chain, tags, a, txids = toy()
    c = ct.Clustering().fit(chain)
    label, title = "$x^2$ wallet", "$\\frac{a}{b}$ cluster"
    tags = ct.TagStore.from_frame(
        pd.DataFrame([{"address": a["S"], "label": label, "category": "exchange"}]), pack="math"
    )
    fig = ct.plot.cluster_picture(c, c.cluster_of(a["S"]), tags=tags, title=title)
    fig.canvas.draw()
    shown = svg_text(fig)
    assert label in shown and title in shown


# ---------------------------------------------------------------------- briefing.md
HOSTILE_SCENARIO = "Op <script>alert(1)</script> [click](javascript:alert(1))\n# Fake heading\n---\n`code` ![i](x)"


def hostile_scenario():
    from cryptotrace.cases import Scenario

    return (
        Scenario.builder("hostile", title=HOSTILE_SCENARIO, seed=5, days=6)
        .background(txs=600, users=80, exchanges=3, vendors=2, buyers_share=0.2)
        .case(
            "thief",
            title="a theft\n## injected",
            briefing=HOSTILE_SCENARIO + "\n\n    indented code\n1. list",
            suspect={"name": "x", "real_name": '=HYPERLINK("http://evil")\rMallory,extra'},
            start_day=1,
        )
        .theft(btc=5, exchange="Kryptohaus", outputs=2)
        .cash_out(share="rest", exchanges=1)
        .build()
    )


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory):
    from cryptotrace.cases import make_case

    return make_case(hostile_scenario(), tmp_path_factory.mktemp("h") / "hostile")


def test_briefing_escapes_hostile_scenario_text(hostile_pack):
    md = (hostile_pack / "briefing.md").read_text()
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "](javascript" not in md.replace("\\](javascript", "")  # the link is broken
    headings = [ln for ln in md.splitlines() if ln.startswith("#")]
    # only the pack's own headings: the title, the case, "What you have" (injected ones stay inside a line)
    assert len(headings) == 3 and headings[0].startswith("# Op ") and headings[1].startswith("## a theft")
    for ln in md.splitlines():
        assert not ln.startswith(("---", "    indented", "1. list", "<")), ln
    assert "1\\. list" in md
    assert "\\# Fake heading" in md


def test_legal_responses_of_a_hostile_scenario(hostile_pack):
    files = list((hostile_pack / "legal_responses").glob("*.csv"))
    assert files
    for f in files:
        text = f.read_text()
        assert "\r" not in text
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len(rows) == len(text.splitlines())
        assert all(len(r) == 6 for r in rows)
        assert not any(starts_formula(c) for r in rows for c in r)
    holders = [r["account_holder"] for f in files for r in csv.DictReader(io.StringIO(f.read_text()))]
    assert '\'=HYPERLINK("http://evil") Mallory,extra' in holders


def test_markdown_helpers():
    assert md_inline("a\nb\r\nc") == "a b c"
    assert md_inline("<b>&") == "&lt;b&gt;&amp;"
    assert md_block("ok\n# h\n> q\n- l\n12. n\n| t |") == "ok\n\\# h\n&gt; q\n\\- l\n12\\. n\n\\| t |"
    assert md_code("x`y") == "``x`y``" and md_code("`") == "`` ` ``"


# ---------------------------------------------------------------------- the HTML report
def test_report_escapes_a_hostile_tag_label():
    chain, tags, a, txids = toy()
    evil = "<img src=x onerror=alert(1)>"
    tags = ct.TagStore.from_frame(
        pd.DataFrame(
            [
                {
                    "address": a["X"],
                    "label": evil,
                    "category": "exchange",
                    "jurisdiction": "<b>NL</b>",
                    "source": "<a href='javascript:x'>src</a>",
                }
            ]
        ),
        pack="evil",
    )
    t = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0)
    html_text = ct.report(t, tags=tags, figures=True, title="<script>t</script>", notes="<i>n</i>")
    for raw in (evil, "<b>NL</b>", "<script>", "<a href", "<i>n</i>", "onerror=alert(1)>"):
        assert raw not in html_text, raw
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_text
