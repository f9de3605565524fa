"""`cryptotrace demo`: a whole case, end to end, in a fresh folder, in under a minute."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from cryptotrace.cases import load_case
from cryptotrace.reporting import COUNTRIES
from cryptotrace.units import format_btc


@pytest.fixture(scope="module")
def ransom_facts():
    facts = load_case("sample").answer_key.facts["ransomware"]
    return {e["event"]: e for e in facts["events"]}


@pytest.fixture(scope="module")
def economy():
    return load_case("sample").answer_key.facts["economy"]


def run_demo(out, *extra, env=None):
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "cryptotrace", "demo", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(out.parent),
    )
    return res, time.perf_counter() - t0


def test_demo_runs_a_whole_case(tmp_path, ransom_facts, economy):
    out = tmp_path / "demo out"
    res, seconds = run_demo(out)
    assert res.returncode == 0, res.stderr[-2000:]
    assert seconds <= 60, f"the demo took {seconds:.1f} s (limit 60 s)"
    # files
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html
    for name in ("flow", "summary", "cluster", "balance"):
        data = (out / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert (out / "seizure_candidates.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    # it says where the files are
    assert str(out / "report.html") in res.stdout
    # progress bars go to stderr
    assert "investigate the case" in res.stderr and "2/2" in res.stderr
    # amounts in euros and dollars beside BTC, with the price source named
    assert "Money at the time: price source: the case's simulated economy" in res.stdout
    assert re.search(r"Can be frozen at exchanges: \d+\.\d{8} BTC \([\d,]+\.\d\d EUR / [\d,]+\.\d\d USD\)", res.stdout)
    # no raw Python warning text (file:line: UserWarning): the pipeline's warnings are readable lines
    assert "UserWarning" not in res.stderr and "warnings.warn" not in res.stderr
    # findings in plain words, checked against the answer key: the peel chain's deposits are what
    # the exchanges can freeze, in the exchanges and countries the ransom reached
    s = res.stdout
    assert "Operation Lockpick" in s
    deposits = ransom_facts["peel_chain"]["deposits"]
    assert f"Can be frozen at exchanges: {format_btc(sum(d['sats'] for d in deposits))}" in s
    countries = {name: info["jurisdiction"] for name, info in economy["exchanges"].items()}
    for exchange in {d["exchange"] for d in deposits}:
        country = COUNTRIES.get(countries[exchange], countries[exchange])
        assert re.search(rf"\d+\.\d{{8}} BTC reached {re.escape(exchange)} in {re.escape(country)} ", s), exchange
    paid = sum(p["sats"] for p in ransom_facts["ransom_payments"]["payments"])
    assert f"Traced {format_btc(paid)} from" in s
    assert "Its records name: Anton Mirov" in s  # from the exchanges' legal responses
    # the candidate table: the material candidates (at most ~25 of the sample's ~680) and one tail line
    m = re.search(
        r"Seizure candidates: ([\d,]+) in all, ([\d,]+) with at least 0\.00100000 BTC traced; "
        r"the largest (\d+)",
        s,
    )
    assert m, s[-3000:]
    n_all, n_material, n_mat = (int(m.group(i).replace(",", "")) for i in (1, 2, 3))
    rows = re.findall(r"^ +\d+\. \d+\.\d{8} BTC \(.*(strong|moderate|weak) evidence: ", s, re.MULTILINE)
    assert len(rows) == n_mat == min(n_material, 25) < n_all  # one printed page (max_rows=25)
    tail = re.search(r"^ +([\d,]+) more, (\d+\.\d{8}) BTC in all", s, re.MULTILINE)
    assert tail and int(tail.group(1).replace(",", "")) == n_all - n_mat
    assert float(tail.group(2)) < 0.001 * (n_all - n_mat)
    # a big hot-wallet coin with a small traced part is not "freeze the funds"
    for line in s.splitlines():
        if "hot wallet" in line and re.search(r"\((0\.\d+|\d)(\.\d+)?%\)", line):
            assert "ask them to freeze" not in line and "account holder's details" in line, line


def test_demo_without_a_case_pack(tmp_path, project_root, ransom_facts):
    """With only the bundled chain and its answer key (no pack), the demo still runs the ransom case."""
    data = tmp_path / "sample_data"
    for sub in ("datasets", "answer_keys"):
        (data / sub).mkdir(parents=True)
        os.symlink(project_root / "sample_data" / sub / "sample", data / sub / "sample")
    env = {**os.environ, "CRYPTOTRACE_SAMPLE_DATA": str(data)}
    res, _ = run_demo(tmp_path / "out", env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    s = res.stdout
    assert "tags for the sample economy's known services" in s and "from the sample's answer key" in s
    # without the exchanges' legal responses only their hot wallets are known: the trace stops when the
    # deposits are swept there, so the same exchanges are found, but no account holder is named
    for exchange in {d["exchange"] for d in ransom_facts["peel_chain"]["deposits"]}:
        assert re.search(rf"\d+\.\d{{8}} BTC reached {re.escape(exchange)} in ", s), exchange
    assert "Its records name" not in s
    assert (tmp_path / "out" / "report.html").exists()


def test_demo_unknown_story(tmp_path):
    res, _ = run_demo(tmp_path / "o", "--story", "nosuch")
    assert res.returncode != 0 and "invalid choice" in res.stderr
