"""Exports: CSV that Excel opens cleanly, GraphML/GEXF that Gephi (networkx) reads, JSON."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import cryptotrace as ct
from cryptotrace import export as X
from cryptotrace._safe import one_line
from cryptotrace.errors import CryptotraceError

from cryptotrace.testing import BTC, FORMULA, HOSTILE
from cryptotrace.testing import shown_case as toy


@pytest.fixture(scope="module")
def case():
    chain, tags, a, txids = toy()
    t = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0)
    return chain, tags, a, txids, t


def raw_cells(path) -> list[list[str]]:
    data = path.read_bytes()
    assert data[:3] == b"\xef\xbb\xbf", "Excel needs the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def test_candidates_csv_for_excel(case, tmp_path):
    chain, tags, a, txids, t = case
    cands = ct.seizure_candidates(t)
    p = X.to_csv(cands, tmp_path / "c.csv")
    rows = raw_cells(p)
    head = rows[0]
    for col in ("tainted_value_btc", "tainted_value_sats", "value_btc", "value_sats", "evidence_path"):
        assert col in head
    assert "tainted_value" not in head
    df = X.read_csv(p)
    assert len(df) == 3
    traced = [int(v) for v in df.tainted_value_sats]
    assert traced == sorted(traced, reverse=True)  # candidates come largest traced value first
    first = df[df.tainted_value_sats == "100000000"].iloc[0]  # the 1 BTC exchange deposit
    assert first.tainted_value_btc == "1.00000000"
    assert first.evidence_path == f"{txids[0]}:0 > {txids[1]}:0"
    # the hostile label comes back unchanged, and no raw cell could start a formula
    assert f"{HOSTILE} {FORMULA}" in set(df.service)
    for r in rows:
        for cell in r:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_formula_injection_guard_and_round_trip(tmp_path):
    df = pd.DataFrame(
        {"label": [FORMULA, "+SUM(A1)", "-2+3", "@cmd", "plain", "Kryptohaus – Zürich ₿"], "n": [1, -5, 0, 2, 3, 4]}
    )
    p = X.to_csv(df, tmp_path / "f.csv")
    rows = raw_cells(p)
    assert [r[0] for r in rows[1:5]] == ["'" + FORMULA, "'+SUM(A1)", "'-2+3", "'@cmd"]
    assert X.excel_safe("'=already quoted") == "''=already quoted"
    assert X.excel_safe("'plain") == "'plain"
    assert rows[2][1] == "-5"  # numbers stay numbers
    back = X.read_csv(p)
    assert back.label.tolist() == df.label.tolist()


def test_btc_columns_are_exact_for_large_amounts():
    df = pd.DataFrame({"value": [2_099_999_997_690_000, 1, 0]})
    text = X.to_csv(df)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["value_btc", "value_sats"]
    assert rows[1] == ["20999999.97690000", "2099999997690000"]
    assert rows[2] == ["0.00000001", "1"]


@settings(max_examples=40)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("'=+-@\t\r\n ,\"aZ€₿"), max_size=6) | st.text(max_size=12),
        min_size=1,
        max_size=8,
    )
)
def test_any_text_round_trips_and_never_starts_a_formula(cells):
    import tempfile
    from pathlib import Path

    df = pd.DataFrame({"label": cells})
    with tempfile.TemporaryDirectory() as d:
        p = X.to_csv(df, Path(d) / "t.csv")
        raw = raw_cells(p)
        assert all(not r[0].startswith(("=", "+", "-", "@", "\t", "\r")) for r in raw[1:] if r)
        back = X.read_csv(p)
    assert [str(x) for x in back.label] == [one_line(c) for c in cells]  # line breaks read back as spaces


def test_graphml_and_gexf_read_back(case, tmp_path):
    chain, tags, a, txids, t = case
    flows = t.flows[t.flows.tainted_value > 0]
    for writer, reader, name in ((X.to_graphml, nx.read_graphml, "t.graphml"), (X.to_gexf, nx.read_gexf, "t.gexf")):
        p = writer(t, tmp_path / name)
        g = reader(p)
        assert g.number_of_nodes() == len(flows)
        assert g.number_of_edges() == 4
        start = g.nodes[f"{txids[0]}:0"]
        assert int(start["tainted_sats"]) == 3 * BTC
        assert start["group"] == "start (traced coins)"
        dep = g.nodes[f"{txids[1]}:0"]
        assert dep["label"] == "Northbridge Exchange deposit address" and dep["jurisdiction"] == "NL"
        assert g.nodes[f"{txids[2]}:0"]["label"] == f"{HOSTILE} {FORMULA}"
        e = g.edges[f"{txids[1]}:1", f"{txids[2]}:1"]
        assert int(e["tainted_sats"]) == 149_980_000 and e["txid"] == txids[2]


def test_any_networkx_graph_is_sanitised(tmp_path):
    g = nx.DiGraph()
    g.add_node(1, when=pd.Timestamp("2024-01-01", tz="UTC"), missing=None, n=3)
    g.add_node(2, n=2.5)
    g.add_edge(1, 2, path=["a", "b"])
    back = nx.read_graphml(X.to_graphml(g, tmp_path / "g.graphml"))
    assert back.nodes["1"]["when"].startswith("2024-01-01")
    assert back.edges["1", "2"]["path"] == "a > b"
    assert float(back.nodes["2"]["n"]) == 2.5 and float(back.nodes["1"]["n"]) == 3.0
    nx.read_gexf(X.to_gexf(g, tmp_path / "g.gexf"))


def test_json(case, tmp_path):
    chain, tags, a, txids, t = case
    data = json.loads((X.to_json(t, tmp_path / "t.json")).read_text(encoding="utf-8"))
    assert data["summary"]["start_value"] == 3 * BTC
    assert data["dataset_sha256"] == chain.content_hash
    assert len(data["flows"]) == len(t.flows)
    top = next(c for c in data["seizure_candidates"] if c["tainted_value"] == BTC)  # the 1 BTC exchange deposit
    assert top["tainted_value_btc"] == "1.00000000"
    assert top["evidence_path"] == [f"{txids[0]}:0", f"{txids[1]}:0"]
    tbl = json.loads(X.to_json(ct.seizure_candidates(t)))
    assert len(tbl["candidates"]) == 3


def test_unsupported_objects(tmp_path):
    with pytest.raises(CryptotraceError, match="cannot export"):
        X.to_csv(42, tmp_path / "x.csv")
    with pytest.raises(CryptotraceError, match="as a graph"):
        X.to_graphml("graph", tmp_path / "x.graphml")
    assert not (tmp_path / "x.csv").exists()
