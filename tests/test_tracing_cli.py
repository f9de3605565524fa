"""The `cryptotrace trace` command."""

from __future__ import annotations

import json

import pytest

from cryptotrace.addresses import encode_address
from cryptotrace.cli import main
from cryptotrace.tracing import worked_example_chain

BTC = 100_000_000


@pytest.fixture()
def worked(tmp_path):
    chain = worked_example_chain()
    path = tmp_path / "worked"
    chain.save(path)
    return chain, str(path)


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("poison", {1 * BTC, 6 * BTC, 3 * BTC}),
        ("haircut", {30_000_000, 180_000_000, 90_000_000}),
        ("fifo", {1 * BTC, 2 * BTC}),
        ("lifo", {3 * BTC}),
        ("tiho", {3 * BTC}),
    ],
)
def test_trace_json_endpoints_per_policy(worked, capsys, policy, expected):
    chain, path = worked
    start = chain.outputs.txid[0] + ":0"
    out = _json(
        capsys,
        [
            "trace",
            path,
            "--from",
            start,
            "--policy",
            policy,
            "--max-hops",
            "3",
            "--min-value",
            "0",
            "--heuristics",
            "none",
            "--json",
        ],
    )
    eps = out["endpoints"]
    assert {e["tainted_value"] for e in eps} == expected
    for e in eps:
        assert set(e) >= {"txid", "vout", "address", "value", "tainted_value", "kind", "service"}
        assert isinstance(e["value"], int) and isinstance(e["tainted_value"], int) and e["kind"] == "unspent"
    assert out["params"]["policy"] == policy and out["params"]["max_hops"] == 3
    cands = out["seizure_candidates"]
    assert {c["tainted_value"] for c in cands} == expected
    assert all(c["evidence_path"][0] == start for c in cands)


def test_trace_with_a_tagpack_stops_at_the_service(worked, capsys, tmp_path):
    chain, path = worked
    six = chain.outputs.address[3]  # receives the 6 BTC output
    pack = tmp_path / "pack.yaml"
    pack.write_text(f"""title: test pack
creator: tests
source: https://example.org
currency: BTC
lastmod: 2024-01-01
tags:
- address: {six}
  label: Kraken
  category: exchange
  jurisdiction: US
""")
    out = _json(
        capsys,
        [
            "trace",
            path,
            "--from",
            chain.outputs.txid[0] + ":0",
            "--policy",
            "tiho",
            "--tagpack",
            str(pack),
            "--heuristics",
            "none",
            "--json",
        ],
    )
    ep = {e["address"]: e for e in out["endpoints"]}
    assert ep[six]["kind"] == "service" and ep[six]["service"] == "Kraken" and ep[six]["tainted_value"] == 3 * BTC
    c = out["seizure_candidates"][0]
    assert c["classification"] == "at_service" and "Kraken" in c["action"] and c["jurisdiction"] == "US"


def test_trace_backward_and_text_output(worked, capsys):
    chain, path = worked
    out = _json(
        capsys,
        [
            "trace",
            path,
            "--from",
            chain.outputs.address[3],
            "--direction",
            "backward",
            "--policy",
            "haircut",
            "--min-value",
            "0",
            "--json",
        ],
    )
    assert [e["kind"] for e in out["endpoints"]] == ["coinbase"]
    assert out["endpoints"][0]["tainted_value"] == 6 * BTC and out["seizure_candidates"] == []
    assert main(["trace", path, "--from", chain.outputs.txid[0] + ":0", "--policy", "fifo"]) == 0
    text = capsys.readouterr().out
    assert "Traced 3.00000000 BTC" in text and "Seizure candidates" in text and "2.00000000 BTC" in text


def test_trace_bad_start_is_a_clear_error(worked, capsys):
    _, path = worked
    bad = encode_address("p2wpkh", b"\x42" * 20)
    assert main(["trace", path, "--from", bad]) == 2
    err = capsys.readouterr().err
    assert "does not appear in this chain" in err and bad in err


def test_trace_on_the_bundled_colonial_slice(capsys):
    ransom = "6a798026d44af27dbacd28ea21462808df8deca51794cec80c1b59e07ef924a2:3"
    out = _json(capsys, ["trace", "colonial", "--from", ransom, "--json"])
    ends = {e["address"]: e for e in out["endpoints"]}
    assert ends["1DToN8Q6y31TGAz75Df729Bnujk6Xg7q5X"]["kind"] == "end_of_data"
    assert out["summary"]["start_value"] == 7_500_030_000 and out["summary"]["conserved"] is True


def test_trace_cli_takes_an_xpub(capsys):
    from cryptotrace.cases import load_answer_key

    key = load_answer_key("sample")
    f = key.facts["nps_vendor"]
    cold = next(e for e in f["events"] if e["event"] == "cold_storage")
    addr = next(a for a in cold["addresses"])
    out = _json(
        capsys,
        [
            "trace",
            "sample",
            "--from",
            addr,
            "--max-hops",
            "1",
            "--heuristics",
            "none",
            "--xpub",
            cold["xpub"],
            "--json",
        ],
    )
    at_cold = [c for c in out["seizure_candidates"] if c["address"] in cold["addresses"]]
    assert at_cold and all(c["classification"] == "suspect_unspent" for c in at_cold)
    assert all("seed or private keys" in c["action"] for c in at_cold)  # found through the xpub


def test_trace_shows_the_tag_warnings_as_readable_lines_and_keeps_json_clean(worked, capsys, tmp_path):
    """A tag left without its category is a note on stderr (not silenced, not Python's raw warning text)."""
    chain, path = worked
    pack = tmp_path / "bad.yaml"
    pack.write_text(
        f"title: t\ncreator: c\ntags:\n- address: {chain.outputs.address[3]}\n  label: x\n  category: bank\n"
    )
    assert (
        main(
            [
                "trace",
                path,
                "--from",
                chain.outputs.txid[0] + ":0",
                "--tagpack",
                str(pack),
                "--heuristics",
                "none",
                "--json",
            ]
        )
        == 0
    )
    res = capsys.readouterr()
    json.loads(res.out)  # stdout is still pure JSON
    notes = [line for line in res.err.splitlines() if line.startswith("note: ")]
    assert notes and "unknown category 'bank'" in notes[0] and "UserWarning" not in res.err


def test_warning_lines_are_readable_and_count_repeats():
    import warnings

    from cryptotrace.clustering import ClusterCollapseWarning
    from cryptotrace.commands._common import shown_warnings, warning_lines
    from cryptotrace.tags import TagWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            warnings.warn("two big\n clusters joined", ClusterCollapseWarning)
        warnings.warn("a tag left out", TagWarning)
    assert warning_lines(caught) == ["warning: two big clusters joined (2 times)", "note: a tag left out"]
    # the texts an Investigation keeps read the same way
    assert warning_lines(["TagWarning: a tag left out"]) == ["note: a tag left out"]
    import io

    err = io.StringIO()
    with shown_warnings(err):
        warnings.warn("a tag left out", TagWarning)
    assert err.getvalue() == "note: a tag left out\n"
