"""investigate(): the whole case in one call gives what the steps give one by one."""

from __future__ import annotations

import pytest

import cryptotrace as ct
from cryptotrace import errors as E


@pytest.fixture(scope="module")
def ransom():
    return ct.investigate("sample", story="ransomware")


def test_the_pipeline_equals_the_steps_done_by_hand(ransom):
    case = ct.load_case("sample")
    clusters = ct.Clustering().fit(case.chain)
    tags = ct.load_tags([case.tags_path, *case.legal_responses.values()])
    pays = case.answer_key.facts["ransomware"]["events"][0]["payments"]
    start = [
        f"{p['txid']}:{v}"
        for p in pays
        for v in case.chain.outputs.vout[
            (case.chain.outputs.txid == p["txid"]) & (case.chain.outputs.address == p["address"])
        ]
    ]
    t = ct.trace(case.chain, start, policy="haircut", max_hops=12, tags=tags, clustering=clusters)
    by_hand = ct.seizure_candidates(t, clusters, tags)
    assert ransom.trace.summary() == t.summary()
    assert ransom.candidates.table.equals(by_hand.table)
    # the answer key's ransom total is what was traced
    total = case.answer_key.facts["ransomware"]["answers"]["ransomware.ransom_total"]
    assert ct.format_btc(total) in ransom.describe() or ransom.trace.summary()["start_value"] == total


def test_save_writes_the_report_pictures_and_csv(ransom, tmp_path):
    files = ransom.save(tmp_path / "out")
    assert {"report.html", "seizure_candidates.csv", "flow.png", "summary.png"} <= set(files)
    assert all(p.exists() and p.stat().st_size > 0 for p in files.values())
    assert files["report.html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no half-written files


def test_a_chain_without_an_answer_key_needs_a_start_and_says_so():
    chain = ct.load_sample("colonial")
    with pytest.raises(E.CaseError, match="start="):
        ct.investigate(chain)
    case = ct.investigate(chain, "15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr", max_hops=3)
    assert case.start_addresses() == ["15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"]
    assert case.trace.summary()["start_value"] > 75 * 100_000_000  # the ransom and the test payment


def test_unknown_story_and_wrong_input_are_clear_errors():
    with pytest.raises(E.CaseError, match="no story 'heist'"):
        ct.investigate("sample", story="heist")
    with pytest.raises(E.CaseError, match="Chain"):
        ct.investigate(42)
