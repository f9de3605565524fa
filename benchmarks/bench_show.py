"""How long the pictures, the report and the exports take, next to the trace they show.

Baseline (same process, same data): ``trace()`` (with its flows and endpoints tables) of the ransom in
the bundled sample case
(3 payments, haircut, 12 hops, about 1,250 traced outputs). Every figure is printed as a
ratio to that baseline, plus the wall time of the whole ``cryptotrace demo`` (limit 60 s).

    python benchmarks/bench_show.py
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
import warnings


def best(fn, n=3):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    import cryptotrace as ct
    from cryptotrace import export as X
    from cryptotrace import plot as P
    from cryptotrace.cases import load_case
    from cryptotrace.reporting import report

    case = load_case("sample")
    chain = case.chain
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cl = ct.Clustering().fit(chain)
    tags = ct.load_tags(list(case.legal_responses.values()))
    facts = case.answer_key.facts["ransomware"]
    pay = [p["address"] for e in facts["events"] if e["event"] == "ransom_payments" for p in e["payments"]]

    def run_trace():
        t = ct.trace(chain, pay, tags=tags, clustering=cl, max_hops=12)
        t.flows, t.endpoints  # the tables every picture reads  # noqa: B018
        return t

    base = best(run_trace)
    t = run_trace()
    cands = ct.seizure_candidates(t)
    print(f"baseline trace() + flows + endpoints: {base * 1000:.0f} ms ({len(t.flows):,} flow rows)")

    def png(fig):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)

    with tempfile.TemporaryDirectory() as d:
        items = {
            "trace_flow (draw + PNG)": lambda: png(P.trace_flow(t)),
            "money_summary (draw + PNG)": lambda: png(P.money_summary(t, cands)),
            "cluster_picture (draw + PNG)": lambda: png(P.cluster_picture(cl, cl.cluster_of(pay[0]))),
            "balance_timeline (draw + PNG)": lambda: png(P.balance_timeline(chain, pay)),
            "report (no figures)": lambda: report(t, f"{d}/r.html", clustering=cl, candidates=cands, figures=False),
            "report (with figures)": lambda: report(t, f"{d}/r.html", clustering=cl, candidates=cands),
            "to_csv (candidates)": lambda: X.to_csv(cands, f"{d}/c.csv"),
            "to_graphml (trace)": lambda: X.to_graphml(t, f"{d}/t.graphml"),
            "to_json (trace)": lambda: X.to_json(t, f"{d}/t.json"),
        }
        for name, fn in items.items():
            s = best(fn, n=2)
            print(f"{name:<32} {s * 1000:8.0f} ms   {s / base:6.1f}x the trace")
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cryptotrace", "demo", "--out", d],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        demo = time.perf_counter() - t0
    print(
        f"{'cryptotrace demo (whole case)':<32} {demo * 1000:8.0f} ms   {demo / base:6.1f}x the trace "
        f"({demo / 60:.0%} of the 60 s limit)"
    )


if __name__ == "__main__":
    main()
