"""Attribution tags: TagPack/CSV reading, validation, the store, export, clusters and the CLI."""

from __future__ import annotations

import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import tags as T
from cryptotrace.addresses import random_addresses
from cryptotrace.errors import CryptotraceError, InvalidAddressError, TagError

RNG = np.random.default_rng(7)
A = random_addresses(RNG, 12, "p2pkh") + random_addresses(RNG, 4, "p2wpkh")
HYDRA = "16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T"
GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


PACK = f"""\
title: Test pack
creator: Course team
description: two services and a ransomware wallet
lastmod: 2024-01-02
source: https://example.org/list
confidence: forensic
currency: BTC
tags:
- address: {A[0]}
  label: Kraken
  category: exchange
  actor: kraken
  confidence: service_data
- address: {A[1]}
  label: Hydra Market
  category: market
  confidence: authority_data
  source: https://home.treasury.gov/x
- address: {A[2]}
  label: WannaCry
  abuse: ransomware
- label: Mixer first
  address: {A[3]}
  category: mixing_service
  confidence: 70
- address: {A[4]}
  label: Some fraction
  confidence: 0.8
  is_cluster_definer: true
- address: 0x9a1f1e3985bd94c128e065584f66c9f26593f958
  label: An Ethereum wallet
  currency: ETH
- tx_hash: {"ab" * 32}
  label: Ransom payment
  abuse: ransomware
"""


@pytest.fixture()
def pack(tmp_path) -> Path:
    return write(tmp_path / "test.yaml", PACK)


# --------------------------------------------------------------------------- constants
def test_taxonomy_constants():
    for name in (
        "exchange",
        "market",
        "mixing_service",
        "ransomware",
        "scam",
        "sanction",
        "miner",
        "gambling",
        "wallet_service",
        "payment_processor",
        "coinjoin",
        "user",
        "organization",
        "service",
    ):
        assert name in T.CATEGORIES and len(T.CATEGORIES[name]) > 10
    assert T.ENTITY_CATEGORIES | T.ABUSE_CATEGORIES <= set(T.CATEGORIES)
    assert not T.ENTITY_CATEGORIES & T.ABUSE_CATEGORIES
    assert T.CUSTODIAL_CATEGORIES <= T.ENTITY_CATEGORIES
    assert T.CUSTODIAL_CATEGORIES <= T.STOP_CATEGORIES <= set(T.CATEGORIES)
    assert {
        "exchange",
        "market",
        "gambling",
        "wallet_service",
        "payment_processor",
        "mixing_service",
    } <= T.CUSTODIAL_CATEGORIES
    assert "coinjoin" not in T.CUSTODIAL_CATEGORIES and "coinjoin" in T.STOP_CATEGORIES
    assert "ransomware" not in T.STOP_CATEGORIES and "miner" not in T.CUSTODIAL_CATEGORIES
    assert T.CONFIDENCE_LEVELS["authority_data"] == 60 and T.CONFIDENCE_LEVELS["ownership"] == 100
    assert T.CONFIDENCE_LEVELS["forensic"] == 50 and T.CONFIDENCE_LEVELS["web_crawl"] == 20
    assert T.CONFIDENCE_LEVELS["unknown"] == 5
    assert set(T.CONFIDENCE_DESCRIPTIONS) == set(T.CONFIDENCE_LEVELS)
    scores = list(T.CONFIDENCE_LEVELS.values())
    assert scores == sorted(scores, reverse=True)
    assert ct.TagStore is T.TagStore and ct.load_tags is T.load_tags


def test_confidence_name_of():
    assert T.confidence_name_of(60) == "authority_data"
    assert T.confidence_name_of(100) == "override"
    assert T.confidence_name_of(75) == "service_api"
    assert T.confidence_name_of(3) == "unknown"


def test_next_step_wording():
    s = T.next_step("exchange", label="Kraken", jurisdiction="US")
    assert "Kraken" in s and "US" in s and "production order" in s
    assert "production order" in T.next_step("market", label="Hydra")
    assert "will not answer" in T.next_step("market", label="Hydra")
    assert T.next_step("miner", label="F2Pool") == ""
    assert "sanctions" in T.next_step("user", abuse="sanction")


# --------------------------------------------------------------------------- YAML
def test_load_yaml_pack_fields_and_defaults(pack):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an ETH tag is not a problem worth a warning
        store = T.load_tags(pack)
    assert len(store) == 6  # 5 addresses + 1 transaction; the ETH tag is left out
    assert list(store.problems.kind) == ["other currency"]
    assert "ETH" in store.problems.problem.iloc[0]
    assert int(store.problems.line.iloc[0]) == 30

    k = store.for_address(A[0])
    assert len(k) == 1
    k = k[0]
    assert (k.label, k.category, k.actor, k.confidence, k.confidence_name) == (
        "Kraken",
        "exchange",
        "kraken",
        50,
        "service_data",
    )
    assert k.source == "https://example.org/list"  # from the header
    assert k.lastmod == "2024-01-02" and k.line == 9 and k.pack == str(pack)
    assert k.is_custodial and "production order" in k.next_step
    h = store.for_address(A[1])[0]
    assert (h.confidence, h.source) == (60, "https://home.treasury.gov/x")  # the tag overrides the header
    w = store.for_address(A[2])[0]
    assert (w.category, w.abuse, w.kind, w.confidence_name) == (None, "ransomware", "ransomware", "forensic")
    m = store.for_address(A[3])[0]
    assert (m.confidence, m.confidence_name, m.line) == (70, "service_api", 22)
    f = store.for_address(A[4])[0]
    assert (f.confidence, f.is_cluster_definer) == (80, True)
    tx = store.for_tx("AB" * 32)
    assert [t.label for t in tx] == ["Ransom payment"] and tx[0].address is None


def test_to_frame_columns_and_types(pack):
    df = T.load_tags(pack).to_frame()
    assert list(df.columns[:10]) == [
        "address",
        "label",
        "category",
        "abuse",
        "actor",
        "confidence",
        "confidence_name",
        "source",
        "jurisdiction",
        "pack",
    ]
    assert df.confidence.dtype == np.int64
    assert df.confidence.between(0, 100).all()
    assert df.label.notna().all()
    assert (df.address == A[0]).sum() == 1


def test_repr_and_html(pack):
    store = T.load_tags(pack)
    r = repr(store)
    assert "\n" not in r and "6 tags" in r and "1 left out" in r
    assert "<table" in store._repr_html_()
    t = store.for_address(A[1])[0]
    assert "\n" not in repr(t) and "Hydra Market" in repr(t) and "line 14" in repr(t)
    assert "authority" in str(t) and "next step" in str(t)
    assert "market" in store.describe()
    assert store.summary().loc["exchange", "tags"] == 1


def test_untagged_and_mistyped_address(pack):
    store = T.load_tags(pack)
    assert store.for_address(GENESIS) == []
    assert GENESIS not in store and A[0] in store
    with pytest.raises(InvalidAddressError, match="1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"):
        store.for_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")


def test_bech32_address_is_case_insensitive(tmp_path):
    p = write(tmp_path / "p.yaml", f"title: t\ncreator: c\ntags:\n- address: {A[12].upper()}\n  label: Upper\n")
    store = T.load_tags(p)
    assert store.for_address(A[12])[0].label == "Upper"
    assert store.for_address(A[12].upper())[0].label == "Upper"


def test_unknown_category_names_file_and_line(tmp_path):
    p = write(
        tmp_path / "bad.yaml",
        f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n"
        f"- address: {A[1]}\n  label: y\n  category: mixer\n",
    )
    # by default the tag is kept without the unknown category, and the problem is listed with its line
    with pytest.warns(T.TagWarning, match=r"1 problem\(s\) noted on tags kept \(1 unknown concept\)"):
        store = T.load_tags(p)
    assert len(store) == 2 and store.for_address(A[1])[0].category is None
    prob = store.problems
    assert list(prob.kind) == ["unknown concept"] and int(prob.line.iloc[0]) == 8 and prob.address.iloc[0] == A[1]
    assert "'mixer'" in prob.problem.iloc[0] and "mixing_service" in prob.problem.iloc[0]
    with pytest.raises(TagError) as e:
        T.load_tags(p, strict=True)
    msg = str(e.value)
    assert "bad.yaml, line 8" in msg and "'mixer'" in msg and "mixing_service" in msg
    assert isinstance(e.value, CryptotraceError)


def test_unknown_category_in_header_names_header_line(tmp_path):
    p = write(
        tmp_path / "bad.yaml", f"title: t\ncreator: c\ncategory: exchnage\ntags:\n- address: {A[0]}\n  label: x\n"
    )
    with pytest.raises(TagError, match=r"bad.yaml, line 3: unknown category 'exchnage'.*'exchange'"):
        T.load_tags(p, strict=True)
    with pytest.warns(T.TagWarning):
        store = T.load_tags(p)
    # a header problem is listed once, at the header's line (not once per tag)
    assert list(zip(store.problems.kind, store.problems.line)) == [("unknown concept", 3)]


def test_unknown_confidence_and_bad_numbers(tmp_path):
    for conf, pat in (("certain", "unknown confidence 'certain'"), ("140", "outside 0-100"), ("true", "not a level")):
        p = write(
            tmp_path / "c.yaml", f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n  confidence: {conf}\n"
        )
        with pytest.raises(TagError, match=pat) as e:
            T.load_tags(p, strict=True)
        assert "c.yaml, line 6" in str(e.value)
        with pytest.warns(T.TagWarning, match="bad field"):
            store = T.load_tags(p)
        assert store.for_address(A[0])[0].confidence_name == "unknown"  # kept, with the default confidence
        assert list(zip(store.problems.kind, store.problems.line)) == [("bad field", 6)]


def test_invalid_address_reported_or_strict(tmp_path):
    bad = A[0][:-1] + ("2" if A[0][-1] != "2" else "3")
    p = write(
        tmp_path / "p.yaml",
        f"title: t\ncreator: c\ntags:\n- address: {A[1]}\n  label: ok\n- address: {bad}\n  label: broken\n",
    )
    with pytest.warns(T.TagWarning, match="p.yaml, line 6"):
        store = T.load_tags(p)
    assert len(store) == 1 and store.for_address(A[1])[0].label == "ok"
    prob = store.problems
    assert list(prob.kind) == ["invalid address"] and prob.address.iloc[0] == bad
    assert int(prob.line.iloc[0]) == 6 and "checksum" in prob.problem.iloc[0]
    with pytest.raises(TagError, match=r"p.yaml, line 6: address .* does not decode"):
        T.load_tags(p, strict=True)


def test_conflicting_duplicates_are_problems_or_raise(tmp_path):
    p = write(
        tmp_path / "dup.yaml",
        f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: Kraken\n"
        f"  category: exchange\n- address: {A[0]}\n  label: Kraken\n"
        "  category: market\n",
    )
    with pytest.raises(
        TagError,
        match=r"dup.yaml, line 7: .* same source with conflicting category "
        r"\(exchange / market\) \(line 4 and line 7\)",
    ):
        T.load_tags(p, strict=True)
    with pytest.warns(T.TagWarning, match="1 conflict"):
        store = T.load_tags(p)
    assert sorted(t.category for t in store.for_address(A[0])) == ["exchange", "market"]  # both claims kept
    prob = store.problems
    assert list(zip(prob.kind, prob.line, prob.address)) == [("conflict", 7, A[0])]
    assert "(line 4 and line 7)" in prob.problem.iloc[0]
    # two sources may disagree: both claims are kept
    p = write(
        tmp_path / "two.yaml",
        f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: Kraken\n"
        f"  category: exchange\n  source: a\n- address: {A[0]}\n  label: Kraken\n"
        "  category: market\n  source: b\n",
    )
    assert len(T.load_tags(p)) == 2


def test_same_duplicate_kept_once_and_complementary_tags_kept(tmp_path):
    # the real hacks.yaml lists Flexcoin's address as a wallet service and as a hack: both are kept
    p = write(
        tmp_path / "d.yaml",
        f"title: t\ncreator: c\ntags:\n"
        f"- address: {A[0]}\n  label: Flexcoin\n  category: wallet_service\n"
        f"- address: {A[0]}\n  label: Flexcoin hack\n  abuse: service_hack\n"
        f"- address: {A[1]}\n  label: Same\n"
        f"- address: {A[1]}\n  label: Same\n",
    )
    store = T.load_tags(p)
    assert len(store) == 3
    assert sorted(t.label for t in store.for_address(A[0])) == ["Flexcoin", "Flexcoin hack"]
    assert list(store.problems.kind) == ["duplicate"] and int(store.problems.line.iloc[0]) == 12


def test_fast_reader_handles_unusual_yaml(tmp_path):
    # anchors, merge keys, numbers, dates, booleans, quoted text, flow style, a nested context field
    text = f"""\
title: "Odd: pack"
creator: c
lastmod: 2024-02-03
defaults: &d
  category: exchange
  confidence: 60
tags:
- <<: *d
  address: {A[0]}
  label: 'merged'
- {{address: {A[1]}, label: "flow", is_cluster_definer: yes, confidence: 0.25}}
- address: {A[2]}
  label: '123'
  lastmod: 2020-01-01
  context: {{refs: [a, b], note: "x"}}
"""
    p = write(tmp_path / "odd.yaml", text)
    assert T._fast_read(text.encode()) is None  # this layout goes through PyYAML
    header, _, lines, tags, _ = T._read_yaml(p)
    assert {**header, "tags": tags} == yaml.safe_load(text)
    assert lines == [8, 11, 12]
    store = T.load_tags(p)
    a, b, c = (store.for_address(x)[0] for x in A[:3])
    assert (a.label, a.category, a.confidence) == ("merged", "exchange", 60)
    assert (b.label, b.is_cluster_definer, b.confidence, b.confidence_name) == ("flow", True, 25, "web_crawl")
    assert (c.label, c.lastmod) == ("123", "2020-01-01") and '"refs"' in c.extra["context"]
    assert "defaults" in c.extra  # an unknown header field is a default for every tag, kept as text


def test_not_a_tagpack_and_bad_yaml(tmp_path):
    p = write(tmp_path / "s.yaml", "name: a scenario\nsteps: []\n")
    with pytest.raises(TagError, match="is not a TagPack"):
        T.load_tags(p)
    p = write(tmp_path / "b.yaml", f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n label: x\n  : :\n")
    with pytest.raises(TagError, match=r"b.yaml, line \d+: not valid YAML"):
        T.load_tags(p)
    with pytest.raises(TagError, match="does not exist"):
        T.load_tags(tmp_path / "missing.yaml")
    p = write(tmp_path / "n.yaml", f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n- address: {A[1]}\n  label: y\n")
    with pytest.raises(TagError, match="n.yaml, line 4: .* has no label"):
        T.load_tags(p, strict=True)
    with pytest.warns(T.TagWarning, match="1 tag\\(s\\) left out"):
        store = T.load_tags(p)
    assert len(store) == 1 and list(zip(store.problems.kind, store.problems.line)) == [("missing field", 4)]
    p = write(tmp_path / "x.yaml", "title: t\ncreator: c\ntags:\n- label: nobody\n- 42\n")
    with pytest.raises(TagError, match="x.yaml, line 4: this tag has no address"):
        T.load_tags(p, strict=True)
    with pytest.warns(T.TagWarning):
        store = T.load_tags(p)
    assert len(store) == 0
    assert list(zip(store.problems.kind, store.problems.line)) == [("missing field", 4), ("bad tag", 5)]


# --------------------------------------------------------------------------- CSV and case packs
def test_csv_with_extra_columns(tmp_path):
    p = write(
        tmp_path / "tags.csv",
        "address,label,category,abuse,actor,confidence,source,jurisdiction,note\n"
        f"{A[0]},Kraken,exchange,,kraken,service_data,subpoena 12,US,first\n"
        f'{A[1]},"Hydra, the market",market,,,60,OFAC,RU,\n'
        f"{A[2]},WannaCry,,ransomware,,,paper,,\n",
    )
    store = T.load_tags(p)
    assert len(store) == 3
    df = store.to_frame().set_index("address")
    assert df.loc[A[0], "jurisdiction"] == "US" and df.loc[A[0], "note"] == "first"
    assert df.loc[A[1], "label"] == "Hydra, the market" and df.loc[A[1], "confidence"] == 60
    assert df.loc[A[2], "confidence_name"] == "unknown" and df.loc[A[2], "abuse"] == "ransomware"
    assert pd.isna(df.loc[A[1], "note"])
    assert store.for_address(A[0])[0].extra == {"note": "first"}
    assert store.for_address(A[0])[0].line == 2


def test_table_saved_as_csv_reads_back(tmp_path, pack):
    store = T.load_tags(pack)
    path = tmp_path / "saved.csv"
    store.to_frame().to_csv(path, index=False)
    again = T.load_tags(path)
    cols = [
        "address",
        "label",
        "category",
        "abuse",
        "actor",
        "confidence",
        "confidence_name",
        "source",
        "jurisdiction",
        "tx_hash",
        "lastmod",
        "is_cluster_definer",
    ]
    pd.testing.assert_frame_equal(again.to_frame()[cols], store.to_frame()[cols])
    assert list(again.to_frame().columns) == T.COLUMNS and set(again.to_frame().pack) == {str(path)}


def test_csv_errors_name_line(tmp_path):
    p = write(tmp_path / "t.csv", f"address,label,category\n{A[0]},a,exchange\n{A[1]},b,shopp\n")
    with pytest.raises(TagError, match=r"t.csv, line 3: unknown category 'shopp'.*'shop'"):
        T.load_tags(p, strict=True)
    p = write(tmp_path / "u.csv", "wallet,label\nx,y\n")
    with pytest.raises(TagError, match="needs an 'address' column"):
        T.load_tags(p)


def test_case_pack_legal_responses(tmp_path):
    case = tmp_path / "case"
    write(
        case / "legal_responses" / "Coinbase.csv",
        "address,label,category,jurisdiction,account_holder,source\n"
        f"{A[5]},Coinbase,exchange,US,Jane Roe,production order 2024-17\n"
        f"{A[6]},Coinbase,exchange,US,John Doe,production order 2024-17\n",
    )
    write(
        case / "legal_responses" / "bitstamp.csv",
        f"address,category,jurisdiction,account_holder\n{A[7]},exchange,LU,Max Mustermann\n",
    )
    write(case / "answer_key.csv", "question,answer\nq1,42\n")  # not tags: ignored in a folder
    write(case / "scenario.yaml", "name: x\nsteps: []\n")  # not a TagPack: ignored in a folder
    store = T.load_tags(case)
    assert len(store) == 3
    t = store.for_address(A[5])[0]
    assert (t.label, t.category, t.jurisdiction, t.extra["account_holder"]) == (
        "Coinbase",
        "exchange",
        "US",
        "Jane Roe",
    )
    assert t.confidence_name == "service_data"
    assert "Coinbase (exchange, US): send a production order" in t.next_step
    b = store.for_address(A[7])[0]
    assert (b.label, b.jurisdiction, b.extra["account_holder"]) == ("bitstamp", "LU", "Max Mustermann")
    df = store.to_frame()
    assert "account_holder" in df.columns and df.account_holder.notna().all()
    assert set(store.packs.n_tags) == {2, 1}


# --------------------------------------------------------------------------- store operations
def test_best_per_address_and_merge(tmp_path, pack):
    other = write(
        tmp_path / "sanctions.yaml",
        f"title: OFAC\ncreator: c\nlabel: OFAC listed\ncategory: user\n"
        f"abuse: sanction\ntags:\n- address: {A[1]}\n- address: {A[0]}\n"
        "  confidence: ownership\n",
    )
    s1, s2 = T.load_tags(pack), T.load_tags(other)
    both = s1 + s2
    assert len(both) == len(s1) + len(s2) == 8
    assert len(both + s1) == len(both)  # the same tags are not counted twice
    assert len(sum([s1, s2])) == 8
    assert len(T.load_tags([pack, other])) == 8
    best = both.best_per_address()
    assert best.index.is_unique and best.loc[A[1], "label"] == "Hydra Market"  # 60 beats 5
    assert best.loc[A[0], "label"] == "OFAC listed"  # ownership (100) beats service_data
    assert best.loc[A[1], "n_tags"] == 2 and best.loc[A[2], "n_tags"] == 1
    assert [t.label for t in both.for_address(A[1])] == ["Hydra Market", "OFAC listed"]
    with pytest.raises(TagError):
        s1.merge("not a store")


def test_from_frame_validates():
    store = T.TagStore.from_frame(
        pd.DataFrame(
            {"address": [A[0], A[1]], "label": ["a", "b"], "category": ["exchange", None], "confidence": [60, None]}
        )
    )
    assert len(store) == 2 and store.for_address(A[0])[0].confidence_name == "authority_data"
    with pytest.raises(TagError, match="line 2: unknown category"):
        T.TagStore.from_frame(
            pd.DataFrame({"address": [A[0], A[1]], "label": ["a", "b"], "category": ["exchange", "bank"]})
        )
    assert len(T.TagStore()) == 0


def test_to_tagpack_round_trip(tmp_path, pack):
    store = T.load_tags(pack)
    out = store.to_tagpack(
        tmp_path / "out" / "export.yaml", title="Case 1 tags", creator="Instructor", lastmod="2024-01-02"
    )
    doc = yaml.safe_load(out.read_text())
    assert doc["title"] == "Case 1 tags" and doc["creator"] == "Instructor" and doc["currency"] == "BTC"
    assert len(doc["tags"]) == len(store)
    again = T.load_tags(out)
    cols = [
        "address",
        "label",
        "category",
        "abuse",
        "actor",
        "confidence",
        "confidence_name",
        "source",
        "jurisdiction",
        "tx_hash",
        "lastmod",
        "is_cluster_definer",
    ]
    pd.testing.assert_frame_equal(again.to_frame()[cols], store.to_frame()[cols])


def test_to_tagpack_header_defaults_and_no_personal_data(tmp_path):
    case = tmp_path / "case"
    write(
        case / "legal_responses" / "Kraken.csv",
        "address,label,category,jurisdiction,account_holder\n"
        f"{A[0]},Kraken,exchange,US,Jane Roe\n{A[1]},Kraken,exchange,US,John Doe\n",
    )
    store = T.load_tags(case)
    text = store.to_tagpack(tmp_path / "p.yaml", title="t", creator="c").read_text()
    doc = yaml.safe_load(text)
    assert doc["label"] == "Kraken" and doc["category"] == "exchange" and doc["jurisdiction"] == "US"
    assert doc["confidence"] == "service_data"
    assert [t["account_holder"] for t in doc["tags"]] == ["Jane Roe", "John Doe"]
    public = store.to_tagpack(tmp_path / "public.yaml", title="t", creator="c", extra_fields=False).read_text()
    assert "Jane" not in public and "jurisdiction" not in public
    assert len(T.load_tags(tmp_path / "public.yaml")) == 2
    with pytest.raises(TagError, match="title and a creator"):
        store.to_tagpack(tmp_path / "x.yaml", title="", creator="c")


def test_to_tagpack_is_atomic(tmp_path, pack, monkeypatch):
    import cryptotrace.dataset_format as files  # where the atomic writes live

    store = T.load_tags(pack)
    target = tmp_path / "published.yaml"
    target.write_text("old content\n")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError):
        store.to_tagpack(target, title="t", creator="c")
    assert target.read_text() == "old content\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --------------------------------------------------------------------------- clusters
def stand_in(mapping: dict[str, int]):
    """A tiny object shaped like a fitted Clustering (only labels_ is used)."""
    return types.SimpleNamespace(labels_=pd.Series(mapping, name="cluster_id"))


def test_cluster_tags(pack, tmp_path):
    extra = write(
        tmp_path / "e.yaml",
        f"title: t\ncreator: c\ntags:\n"
        f"- address: {A[8]}\n  label: Kraken deposit\n  category: exchange\n"
        "  actor: kraken\n  jurisdiction: US\n  confidence: web_crawl\n"
        f"- address: {A[9]}\n  label: Sanctioned person\n  category: user\n"
        "  abuse: sanction\n",
    )
    store = T.load_tags([pack, extra])
    # cluster 0: Kraken + Hydra (false merge); 1: Kraken + its deposit; 2: ransomware + sanctioned user;
    # 3: nothing tagged
    clustering = stand_in({A[0]: 0, A[1]: 0, A[10]: 0, A[8]: 1, A[2]: 2, A[9]: 2, A[11]: 3, GENESIS: 3})
    ct_ = T.cluster_tags(clustering, store)
    assert list(ct_.index) == [0, 1, 2] and ct_.index.name == "cluster_id"
    assert ct_.loc[0, "label"] == "Hydra Market" and ct_.loc[0, "confidence"] == 60
    assert bool(ct_.loc[0, "likely_false_merge"]) and "exchange, market" in ct_.loc[0, "conflicts"]
    assert ct_.loc[0, "n_tags"] == 2 and ct_.loc[0, "n_addresses"] == 3
    assert ct_.loc[0, "labels"] == "Hydra Market; Kraken"
    assert ct_.loc[1, "label"] == "Kraken deposit" and ct_.loc[1, "jurisdiction"] == "US"
    assert not ct_.loc[1, "likely_false_merge"] and ct_.loc[1, "conflicts"] == ""
    assert "production order" in ct_.loc[1, "next_step"]
    # a ransomware tag and a sanctioned user in one cluster are not a false merge
    assert not ct_.loc[2, "likely_false_merge"]
    assert ct_.loc[2, "label"] == "WannaCry"  # forensic (50) beats unknown (5)
    # a Series works as well as an object with labels_
    pd.testing.assert_frame_equal(T.cluster_tags(clustering.labels_, store), ct_)


def test_label_addresses(pack):
    store = T.load_tags(pack)
    labels = pd.Series({A[0]: 0, A[10]: 0, A[11]: 0, A[2]: 1, GENESIS: 2})
    out = T.label_addresses(types.SimpleNamespace(labels_=labels), store)
    assert set(out.index) == {A[0], A[10], A[11], A[2]}  # GENESIS's cluster has no tag
    assert (out.loc[[A[0], A[10], A[11]], "label"] == "Kraken").all()
    assert list(out.loc[[A[0], A[10]], "tagged_directly"]) == [True, False]
    assert out.loc[A[10], "cluster_id"] == 0 and out.loc[A[10], "category"] == "exchange"
    assert out.loc[A[2], "abuse"] == "ransomware"


def test_empty_inputs(tmp_path):
    empty = T.load_tags([])
    assert len(empty) == 0 and "0 tags" in repr(empty) and len(empty.best_per_address()) == 0
    (tmp_path / "nothing").mkdir()
    with pytest.warns(T.TagWarning, match="no TagPack"):
        assert len(T.load_tags(tmp_path / "nothing")) == 0


def test_same_file_twice_is_read_once(pack, tmp_path):
    assert len(T.load_tags([pack, pack, tmp_path])) == len(T.load_tags(pack))


def test_cluster_tags_actor_conflict_and_empty(tmp_path):
    p = write(
        tmp_path / "a.yaml",
        f"title: t\ncreator: c\ncategory: exchange\ntags:\n"
        f"- address: {A[0]}\n  label: Binance\n  actor: binance\n"
        f"- address: {A[1]}\n  label: Huobi\n  actor: huobi\n",
    )
    store = T.load_tags(p)
    out = T.cluster_tags(stand_in({A[0]: 5, A[1]: 5}), store)
    assert bool(out.loc[5, "likely_false_merge"]) and "actors binance, huobi" in out.loc[5, "conflicts"]
    # one business, two kinds of tag (the real packs tag Huobi as an exchange and as a mining pool)
    same = write(
        tmp_path / "h.yaml",
        f"title: t\ncreator: c\nactor: huobi\ntags:\n"
        f"- address: {A[2]}\n  label: Huobi\n  category: exchange\n"
        f"- address: {A[3]}\n  label: Huobi pool\n  category: miner\n",
    )
    out = T.cluster_tags(stand_in({A[2]: 1, A[3]: 1}), T.load_tags(same))
    assert not out.loc[1, "likely_false_merge"] and out.loc[1, "labels"] == "Huobi; Huobi pool"
    empty = T.cluster_tags(stand_in({GENESIS: 0}), store)
    assert len(empty) == 0 and "label" in empty.columns
    with pytest.raises(TagError, match="fitted clustering"):
        T.cluster_tags(object(), store)


def test_cluster_tags_keeps_account_holder(tmp_path):
    case = tmp_path / "case"
    write(
        case / "legal_responses" / "Kraken.csv",
        f"address,label,category,jurisdiction,account_holder\n{A[0]},Kraken,exchange,US,Jane Roe\n",
    )
    out = T.cluster_tags(stand_in({A[0]: 1, A[1]: 1}), T.load_tags(case))
    assert out.loc[1, "account_holder"] == "Jane Roe" and out.loc[1, "jurisdiction"] == "US"


# --------------------------------------------------------------------------- properties
ENTITY = sorted(T.ENTITY_CATEGORIES)
ABUSE = sorted(T.ABUSE_CATEGORIES)
POOL = random_addresses(np.random.default_rng(11), 40, "p2pkh") + random_addresses(
    np.random.default_rng(12), 10, "p2wpkh"
)
words = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-_'/:", min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
tag_rows = st.lists(
    st.fixed_dictionaries(
        {
            "address": st.sampled_from(POOL),
            "label": words,
            "category": st.none() | st.sampled_from(ENTITY),
            "abuse": st.none() | st.sampled_from(ABUSE),
            "actor": st.none() | st.sampled_from(["binance", "kraken", "hydramarket"]),
            "confidence": st.none() | st.sampled_from(list(T.CONFIDENCE_LEVELS)) | st.integers(0, 100),
            "source": st.none() | words,
            "jurisdiction": st.none() | st.sampled_from(["US", "DE", "RU", "LU"]),
        }
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda r: r["address"],
)


@settings(max_examples=30)
@given(rows=tag_rows)
def test_property_tagpack_round_trip(tmp_path_factory, rows):
    store = T.TagStore.from_frame(pd.DataFrame(rows))
    path = tmp_path_factory.mktemp("rt") / "pack.yaml"
    store.to_tagpack(path, title="round trip", creator="hypothesis", lastmod="2024-05-06")
    again = T.load_tags(path)
    cols = ["address", "label", "category", "abuse", "actor", "confidence", "confidence_name", "source", "jurisdiction"]
    pd.testing.assert_frame_equal(again.to_frame()[cols], store.to_frame()[cols])


@settings(max_examples=30)
@given(a=tag_rows, b=tag_rows, groups=st.lists(st.integers(0, 4), min_size=len(POOL), max_size=len(POOL)))
def test_property_best_tag_and_clusters(a, b, groups):
    store = T.TagStore.from_frame(pd.DataFrame(a), pack="a") + T.TagStore.from_frame(pd.DataFrame(b), pack="b")
    df = store.to_frame()
    best = store.best_per_address()
    assert set(best.index) == set(df.address)
    assert (best.confidence == df.groupby("address").confidence.max().reindex(best.index)).all()
    assert best.n_tags.sum() == len(df)
    labels = pd.Series(groups, index=POOL)
    out = T.cluster_tags(labels, store)
    cid = df.address.map(labels)
    assert out.n_tags.sum() == len(df)
    assert (out.confidence == df.groupby(cid).confidence.max().reindex(out.index)).all()
    for k, row in out.iterrows():
        sub = df[cid == k]
        assert row.label in set(sub[sub.confidence == row.confidence].label)
        spec = sub[sub.category.notna() & ~sub.category.isin(T._GENERIC)]
        one_actor = spec.actor.notna().all() and spec.actor.nunique() == 1
        cat_conflict = spec.category.nunique() > 1 and not one_actor
        assert bool(row.likely_false_merge) == (cat_conflict or sub.actor.dropna().nunique() > 1)


# --------------------------------------------------------------------------- CLI
def small_chain():
    """Two coinbases spent together (one owner by multi-input), paying a third address."""
    cb1, cb2, spend = "11" * 32, "22" * 32, "33" * 32
    txs = pd.DataFrame({"txid": [cb1, cb2, spend], "block_height": [1, 2, 3]})
    inputs = pd.DataFrame(
        {
            "txid": [cb1, cb2, spend, spend],
            "vin": [0, 0, 0, 1],
            "prev_txid": [None, None, cb1, cb2],
            "prev_vout": [None, None, 0, 0],
        }
    )
    outputs = pd.DataFrame(
        {
            "txid": [cb1, cb2, spend],
            "vout": [0, 0, 0],
            "address": [A[0], A[1], A[2]],
            "value": [5_000_000_000, 5_000_000_000, 9_999_990_000],
        }
    )
    return ct.Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)


def test_cli_tags(tmp_path, pack, capsys):
    from cryptotrace.cli import main

    ds = tmp_path / "ds"
    small_chain().save(ds)
    assert main(["tags", str(ds), "--tagpack", str(pack), "--per-address", "--csv", str(tmp_path / "t.csv")]) == 0
    out = capsys.readouterr().out
    assert "3 tagged address(es)" in out and "Hydra Market" in out and "WannaCry" in out
    assert "Kraken" in out and "ETH" not in out and "1 other currency" in out
    table = pd.read_csv(tmp_path / "t.csv", index_col=0)
    assert set(table.index) == {A[0], A[1], A[2]}

    assert main(["tags", str(ds), "--tagpack", str(pack)]) == 0
    out = capsys.readouterr().out
    assert "Hydra Market" in out
    try:
        import cryptotrace.clustering  # noqa: F401
    except ImportError:
        assert "listing tagged addresses instead" in out
    else:  # A[0] and A[1] are spent together: one cluster holding an exchange and a market
        assert "2 tagged cluster(s); 1 with conflicting tags" in out and "likely a false merge" in out


def test_for_chain_and_tag_views(pack):
    store = T.load_tags(pack)
    chain = small_chain()
    on = store.for_chain(chain)
    assert list(on.index) == [A[1], A[0], A[2]]  # by confidence, then label
    assert on.loc[A[1], "label"] == "Hydra Market" and on.confidence.is_monotonic_decreasing
    t = store.for_address(A[0])[0]
    d = t.to_dict()
    assert d["label"] == "Kraken" and d["confidence"] == 50 and list(d)[:3] == ["address", "label", "category"]
    assert t._repr_html_().startswith("<pre>") and "Kraken" in t._repr_html_()


def test_cli_tags_errors(tmp_path, capsys):
    from cryptotrace.cli import main

    ds = tmp_path / "ds"
    small_chain().save(ds)
    bad = write(
        tmp_path / "bad.yaml", f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n  category: bank\n"
    )
    assert main(["tags", str(ds), "--tagpack", str(bad), "--strict"]) == 2
    assert "bad.yaml, line 6: unknown category 'bank'" in capsys.readouterr().err
    # without --strict the tag is kept (without the category) and the problem is shown as a note
    assert main(["tags", str(ds), "--tagpack", str(bad)]) == 0
    out = capsys.readouterr().out
    assert "note:" in out and "line 6): unknown category 'bank'" in out


# the fast TagPack reader must read exactly what YAML reads, or step aside (return None)
_values = st.sampled_from(
    [
        "plain text",
        "yes",
        "no",
        "null",
        "~",
        "123",
        "-7",
        "1.5",
        ".inf",
        "0x1f",
        "2020-01-01",
        "2020-01-01 10:00:00",
        "it's",
        "'single ''quoted'''",
        "'unterminated",
        '"double"',
        '"esc \\" aped"',
        "a: b",
        "x #comment",
        "x#y",
        "https://example.org/a#frag",
        "-dash",
        "? q",
        "[flow]",
        "{flow: map}",
        "&anchor",
        "*alias",
        "!tag x",
        "|",
        ">",
        "trailing:",
        "  padded  ",
        "ünïcode ✓",
        "@at",
        "`tick",
        "%pct",
        "true",
        "False",
        "on",
        "=",
        "<<",
        "0o17",
        "1_000",
    ]
)
_keys = st.sampled_from(["label", "source", "category", "note", "yes", "null", "on", "x-y", "_k"])
_docs = st.lists(st.lists(st.tuples(_keys, _values), min_size=1, max_size=4), min_size=1, max_size=4)


@settings(max_examples=60)
@given(
    header=st.lists(
        st.tuples(st.sampled_from(["title", "creator", "lastmod", "confidence"]), _values),
        max_size=3,
        unique_by=lambda kv: kv[0],
    ),
    items=_docs,
    indent=st.sampled_from([0, 2]),
    comment=st.booleans(),
)
def test_property_fast_reader_equals_yaml(header, items, indent, comment):
    lines = [f"{k}: {v}" for k, v in header] + ["tags:"]
    for item in items:
        for j, (k, v) in enumerate(item):
            lines.append(" " * indent + (f"- {k}: {v}" if j == 0 else f"  {k}: {v}"))
        if comment:
            lines.append(" " * indent + "  # a comment line")
    text = "\n".join(lines) + "\n"
    fast = T._fast_read(text.encode())
    if fast is None:
        return
    expected = yaml.safe_load(text)  # the fast reader accepted it, so YAML must read it the same way
    assert fast[0] == {k: v for k, v in expected.items() if k != "tags"}
    assert fast[3] == expected["tags"]
    assert fast[2] == [i + 1 for i, ln in enumerate(lines) if ln.lstrip().startswith("- ")]


# --------------------------------------------------------------------------- the current TagPack schema
CURRENT = f"""\
title: Current schema
creator: Course team
source: https://example.org/current
currency: BTC
tags:
- address: {A[0]}
  label: Deposit address of an exchange
  concepts:
  - exchange
  - deposit_wallet
  tag_type: actor
  confidence: forensic_investigation
- address: {A[1]}
  label: A drug market
  concepts: [service, market, dark_web, drugs, weapons]
  confidence: ledger_immanent
- address: {A[2]}
  label: A vendor
  abuse: drugs
  tag_type: event
- address: {A[3]}
  label: Old and new together
  category: wallet_service
  concepts: [exchange]
"""


def test_current_schema_concepts_confidence_and_tag_type(tmp_path):
    p = write(tmp_path / "cur.yaml", CURRENT)
    with pytest.warns(T.TagWarning, match="1 unknown concept"):
        store = T.load_tags(p)
    (a,), (b,), (c,), (d,) = (store.for_address(x) for x in A[:4])
    # the first concept that is a category decides; all concepts are kept as written
    assert (a.category, a.abuse, a.concepts, a.tag_type) == ("exchange", None, ("exchange", "deposit_wallet"), "actor")
    assert (a.confidence_name, a.confidence) == ("forensic_investigation", 70)
    assert a.category in T.STOP_CATEGORIES and a.is_custodial and "production order" in a.next_step
    # the most specific: market (under service), drugs (under abuse; dark_web is a 'source' concept)
    assert (b.category, b.abuse, b.confidence_name, b.confidence) == ("market", "drugs", "ledger_immanent", 100)
    assert b.confidence == T.CONFIDENCE_LEVELS["ownership"] == max(T.CONFIDENCE_LEVELS.values())
    assert (c.category, c.abuse, c.concepts, c.tag_type) == (None, "drugs", (), "event")
    assert d.category == "wallet_service" and d.concepts == ("exchange",)  # a written category wins
    # deposit_wallet is not in GraphSense's concepts taxonomy: listed with its line, the tag kept
    prob = store.problems
    assert list(zip(prob.kind, prob.line, prob.address)) == [("unknown concept", 8, A[0])]
    assert "'deposit_wallet'" in prob.problem.iloc[0]
    with pytest.raises(TagError, match=r"cur.yaml, line 8: unknown concept 'deposit_wallet'"):
        T.load_tags(p, strict=True)
    assert "concepts:   exchange, deposit_wallet" in str(a)
    df = store.to_frame()
    assert list(df.columns) == T.COLUMNS and df.concepts.iloc[0] == "exchange, deposit_wallet"


def test_current_schema_bad_tag_type_and_round_trip(tmp_path):
    p = write(
        tmp_path / "t.yaml",
        f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n"
        "  tag_type: rumour\n  concepts: [market, drugs]\n",
    )
    with pytest.warns(T.TagWarning):
        store = T.load_tags(p)
    assert store.for_address(A[0])[0].tag_type is None
    assert list(zip(store.problems.kind, store.problems.line)) == [("bad field", 6)]
    out = store.to_tagpack(tmp_path / "out.yaml", title="t", creator="c", lastmod="2020-01-01")
    assert yaml.safe_load(out.read_text())["concepts"] == ["market", "drugs"]  # written as a list
    again = T.load_tags(out).for_address(A[0])[0]
    assert (again.category, again.abuse, again.concepts) == ("market", "drugs", ("market", "drugs"))


# the mapping of concepts to category and abuse, as a table (GraphSense concepts.yaml, see tags._BROADER)
@pytest.mark.parametrize(
    "concepts, category, abuse",
    [
        (["exchange"], "exchange", None),
        (["exchange", "deposit_wallet"], "exchange", None),
        (["deposit_wallet"], None, None),
        (["service", "exchange"], "exchange", None),  # exchange is more specific than service
        (["exchange", "service"], "exchange", None),
        (["market", "drugs"], "market", "drugs"),
        (["dark_web", "market"], "market", "dark_web"),
        (["weapons", "dark_web"], None, "weapons"),
        (["abuse", "ransomware"], None, "ransomware"),  # ransomware < extortion < abuse
        (["pyramid_scheme", "scam"], None, "pyramid_scheme"),
        (["scam", "pyramid_scheme"], None, "scam"),
        (["investment_fraud", "pyramid_scheme"], None, "pyramid_scheme"),
        (["defi", "defi_dex_pair"], "defi_dex_pair", None),
        (["coinjoin"], "coinjoin", None),
        (["mixing_service", "coinjoin"], "mixing_service", None),  # unrelated: the first written
        (["coinjoin", "mixing_service"], "coinjoin", None),
        (["user", "miner"], "miner", None),
        (["miner", "user"], "miner", None),
        (["wallet_service", "exchange", "escrow_wallet"], "escrow_wallet", None),
        (["entity", "behaviour", "source"], None, None),
        (["unknown"], None, None),
        ([], None, None),
    ],
)
def test_concepts_to_category_table(tmp_path, concepts, category, abuse):
    p = write(
        tmp_path / "c.yaml",
        f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n  concepts: [{', '.join(concepts)}]\n",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", T.TagWarning)
        (t,) = T.load_tags(p).for_address(A[0])
    assert (t.category, t.abuse, t.concepts) == (category, abuse, tuple(concepts))
    role = t.category in T.STOP_CATEGORIES
    assert role == (category in {"exchange", "market", "defi_dex_pair", "coinjoin", "mixing_service", "escrow_wallet"})


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(sorted(T.CONCEPTS)), min_size=1, max_size=5, unique=True))
def test_property_old_and_new_schema_agree(tmp_path_factory, concepts):
    # one concept written as the old 'category'/'abuse' field or as the new 'concepts' list gives
    # the same category and abuse; with several, the deepest of each kind wins
    d = tmp_path_factory.mktemp("schema")
    first = concepts[0]
    field_ = "abuse" if first in T.ABUSE_CATEGORIES else "category"
    old = write(d / "old.yaml", f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n  {field_}: {first}\n")
    new = write(
        d / "new.yaml",
        f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n  concepts: [{', '.join(concepts)}]\n",
    )
    (n,) = T.load_tags(new).for_address(A[0])
    assert n.concepts == tuple(concepts)
    if first in T.CATEGORIES:
        (o,) = T.load_tags(old).for_address(A[0])
        (n1,) = T.load_tags(
            write(
                d / "one.yaml", f"title: t\ncreator: c\ntags:\n- address: {A[0]}\n  label: x\n  concepts: [{first}]\n"
            )
        ).for_address(A[0])
        if first in T.ENTITY_CATEGORIES or first in T.ABUSE_CATEGORIES:
            assert (n1.category, n1.abuse) == (o.category, o.abuse)
    for got, kind in ((n.category, T.ENTITY_CATEGORIES), (n.abuse, T.ABUSE_CATEGORIES)):
        mine = [c for c in concepts if c in kind]
        if kind is T.ABUSE_CATEGORIES and [c for c in mine if c != "dark_web"]:
            mine = [c for c in mine if c != "dark_web"]  # a 'source' concept, used only when alone
        if not mine:
            assert got is None
            continue
        assert got in mine
        assert got == mine[0] or T._is_narrower(got, mine[0])  # the first, or narrower than the first
        assert not any(T._is_narrower(c, got) for c in mine)  # nothing more specific was listed


def test_taxonomy_facts_from_graphsense():
    # concepts.yaml of graphsense-tagpack-tool (b20fe62): the INTERPOL-derived concepts are known
    for c in (
        "drugs",
        "weapons",
        "dark_web",
        "counterfeit",
        "human_trafficking",
        "hacking",
        "malware",
        "defi_dex_pair",
        "nameservice",
        "sextortion",
    ):
        assert c in T.CONCEPTS and c in T._BROADER
    assert set(T._BROADER) <= set(T.CONCEPTS) and set(T.CONCEPTS) - set(T._BROADER) == {"concept"}
    assert "deposit_wallet" not in T.CONCEPTS and "black_list" not in T.CONCEPTS
    assert T.CONFIDENCE_LEVELS["ledger_immanent"] == 100 and T.CONFIDENCE_LEVELS["forensic_investigation"] == 70
    assert set(T.TAG_TYPES) == {"actor", "event", "mention"}
    assert T.confidence_name_of(70) == "service_api" and T.confidence_name_of(100) == "override"


# --------------------------------------------------------------------------- ActorPacks
ACTORS = """\
title: Actors
creator: Course team
lastmod: '2024-01-01'
actors:
- id: kraken
  label: Kraken
  uri: kraken.com
  jurisdictions: [US]
  categories: [organization, exchange]
- id: omgomg
  label: OMG!OMG! Market
  uri: example.onion
  jurisdictions:
  - RU
  categories:
  - market
  - drugs
  - cartel
  aliases: [omg]
- id: kraken
  label: Kraken again
  uri: kraken.com
  categories: [exchange]
"""


def test_actorpack_jurisdictions_reach_tags(tmp_path):
    write(tmp_path / "actors" / "a.actorpack.yaml", ACTORS)
    write(
        tmp_path / "packs" / "p.yaml",
        f"title: t\ncreator: c\ntags:\n"
        f"- address: {A[0]}\n  label: Kraken\n  category: exchange\n  actor: kraken\n"
        f"- address: {A[1]}\n  label: OMG\n  concepts: [market, drugs]\n  actor: omg\n"
        f"- address: {A[2]}\n  label: K\n  actor: kraken\n  jurisdiction: GB\n"
        f"- address: {A[3]}\n  label: Someone\n  actor: nobody\n",
    )
    with pytest.warns(T.TagWarning):
        store = T.load_tags(tmp_path)
    assert list(store.actors.index) == ["kraken", "omgomg"]
    assert store.actors.loc["omgomg", "categories"] == "market, drugs, cartel"
    assert store.actors.loc["kraken", "label"] == "Kraken"  # the first definition
    k, o, g, n = (store.for_address(x)[0] for x in A[:4])
    assert (k.jurisdiction, o.jurisdiction, g.jurisdiction, n.jurisdiction) == ("US", "RU", "GB", None)
    assert (o.category, o.abuse) == ("market", "drugs")  # 'omg' is an alias of omgomg
    prob = store.problems.assign(pack=store.problems.pack.map(lambda p: Path(p).name))
    assert set(zip(prob.pack, prob.line, prob.kind)) == {
        ("a.actorpack.yaml", 10, "unknown concept"),  # 'cartel'
        ("a.actorpack.yaml", 20, "duplicate actor"),
        ("p.yaml", 16, "unknown actor"),
    }
    # the ActorPack given on its own, beside a tag file
    with pytest.warns(T.TagWarning, match="1 duplicate actor"):
        alone = T.load_tags(tmp_path / "packs" / "p.yaml", actors=tmp_path / "actors")
    assert alone.for_address(A[0])[0].jurisdiction == "US"
    with pytest.raises(TagError, match=r"a.actorpack.yaml, line 10: actor 'omgomg': unknown category 'cartel'"):
        T.load_tags(tmp_path, strict=True)
    merged = T.load_tags(tmp_path / "packs" / "p.yaml") + alone
    assert len(merged.actors) == 2


# --------------------------------------------------------------------------- YAML aliases are bounded
def _laughs(levels: int, where: str) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    last = chr(ord("a") + levels - 1)
    body = "\n".join(lines)
    if where == "header":
        return f"title: t\ncreator: c\n{body}\ntags:\n- address: {A[0]}\n  label: x\n"
    return f"title: t\ncreator: c\n{body}\ntags:\n- address: {A[0]}\n  label: x\n  context: *{last}\n"


@pytest.mark.parametrize("where", ["header", "tag"])
def test_billion_laughs_is_refused_quickly(tmp_path, where):
    import time

    p = write(tmp_path / "lol.yaml", _laughs(9, where))  # 10**9 'lol's if written out
    t = time.perf_counter()
    with pytest.raises(TagError, match=r"lol.yaml|the header") as e:
        T.load_tags(p)
    assert time.perf_counter() - t < 5 and "aliases" in str(e.value) and "billion laughs" in str(e.value)
    # a few aliases (a merge key, a repeated value) are fine
    ok = write(tmp_path / "ok.yaml", _laughs(2, where))
    assert len(T.load_tags(ok)) == 1


def test_self_referring_alias_is_refused(tmp_path):
    p = write(tmp_path / "loop.yaml", f"title: t\ncreator: c\nx: &x [1, *x]\ntags:\n- address: {A[0]}\n  label: y\n")
    with pytest.raises(TagError, match="self-referring"):
        T.load_tags(p)
