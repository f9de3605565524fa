"""How often each evidence-strength grade is right on the sample case (the answer key knows the owners).

For each story of the bundled case pack (ransomware, nps_vendor, exchange_theft), each clustering a
trainee might fit (multi-input; multi-input plus every change heuristic) and each policy (haircut,
poison, FIFO), trace forward 12 hops as the demo does, grade the seizure candidates and count how
often each grade is right (:func:`cryptotrace.evidence.grade_accuracy`). Prints the table the
README's "Evidence strength" section quotes.

    python benchmarks/measure_evidence.py
"""

from __future__ import annotations

import time
import warnings

import pandas as pd

import cryptotrace as ct
from cryptotrace.cases import load_case
from cryptotrace.clustering import Clustering
from cryptotrace.investigation import story_start as _pick_start  # the one pipeline's starts
from cryptotrace.evidence import grade_accuracy
from cryptotrace.tracing import seizure_candidates, trace

STORIES = ("ransomware", "nps_vendor", "exchange_theft")
CLUSTERINGS = {"multi-input": ["multi_input"], "all heuristics": "all"}
POLICIES = ("haircut", "poison", "fifo")


def runs(pack=None):
    """(story, clustering, policy, candidates, suspect entity) for every combination."""
    pack = pack or load_case("sample")
    chain, key = pack.chain, pack.answer_key
    tags = ct.load_tags([pack.tags_path] + list(pack.legal_responses.values()))
    for cname, hs in CLUSTERINGS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cl = Clustering(hs).fit(chain)
        for story in STORIES:
            picked = _pick_start(chain, key.facts, story)
            if picked is None:
                continue
            for policy in POLICIES:
                t = trace(chain, picked[1], policy=policy, max_hops=12, tags=tags, clustering=cl)
                yield story, cname, policy, seizure_candidates(t, cl, tags), key.facts[story]["suspect_entity"]


def packs(seeds):
    """The bundled sample pack, then fresh packs of the sample scenario with other seeds (out of sample)."""
    yield "bundled sample", load_case("sample")
    if seeds:
        import tempfile
        from pathlib import Path

        from cryptotrace.cases import make_case
        from cryptotrace.io.sample import sample_data_dir

        with tempfile.TemporaryDirectory() as tmp:
            for s in seeds:
                out = Path(tmp) / f"seed{s}"
                make_case(sample_data_dir() / "scenarios" / "sample.yaml", out, seed=s)
                yield f"sample scenario, seed {s}", load_case(str(out))


def main():
    import sys

    seeds = [int(x) for x in sys.argv[1:]]  # e.g. 101 102 103: fresh packs of the sample scenario
    t0 = time.perf_counter()
    for name, pack in packs(seeds):
        print(f"\n=== {name}: chain {pack.chain.content_hash[:12]}...")
        report(pack)
    print(f"\n{time.perf_counter() - t0:.1f} s")


def report(pack):
    key = pack.answer_key
    rows = list(runs(pack))
    pd.set_option("display.width", 200)
    for material_only in (True, False):
        parts = [
            grade_accuracy(c, key, s, material_only=material_only).assign(story=st, clustering=cn, policy=p)
            for st, cn, p, c, s in rows
        ]
        d = pd.concat(parts).reset_index()
        tot = d.groupby("strength", sort=False)[["candidates", "right"]].sum()
        tot["error_rate"] = 1 - tot.right / tot.candidates
        by_value = []
        for g in tot.index:
            x = d[d.strength == g]
            tv = x.traced_btc.sum()
            by_value.append((x.traced_btc * x.error_rate_by_value.fillna(0)).sum() / tv if tv else float("nan"))
        tot["error_rate_by_value"] = by_value
        what = "material candidates (at least 0.001 BTC traced)" if material_only else "every candidate"
        print(f"\n{what}, {len(rows)} runs (3 stories x 2 clusterings x 3 policies):")
        print(tot.round(3).to_string())
        print("\nper story (haircut, multi-input):")
        one = d[(d.policy == "haircut") & (d.clustering == "multi-input") & (d.strength != "all")]
        print(
            one.pivot_table(index="story", columns="strength", values=["candidates", "right"], aggfunc="sum")
            .fillna(0)
            .astype(int)
            .to_string()
        )


if __name__ == "__main__":
    main()
