"""Benchmark: attribution tags.

1. Load all 40 real GraphSense TagPacks (../shared/data/real/tagpacks, 18,295 address entries)
   with ``load_tags`` (parse, header defaults, address checks, line numbers, table) against a
   plain ``yaml.load`` with the C loader (``yaml.CSafeLoader``) of the same files. Target
   (issue 7): <= 2 s. Best of 5, each run cold (the reader's scalar cache cleared).
2. ``cluster_tags`` on a clustering of N addresses (default 1,000,000; the real tags' addresses
   plus synthetic ones) against a plain pandas baseline (map address -> cluster, sort by
   confidence, first row per cluster).
3. ``store.for_address`` lookups against a plain dict lookup.
4. The whole current GraphSense collection (../shared/data/real/graphsense-tagpacks, commit 29ff93c:
   86 packs, 524,170 address entries, 30 MB, and the ActorPack) with ``load_tags``, against a plain
   ``yaml.load`` (C loader) of the same files and against ``load_tags`` with every pack read by the
   C loader (issue 13: what dropping the line reader would cost). Also the tags per second of the
   40 packs of 1. and of the whole collection (target: no worse than half the 40 packs' rate).
   Skipped with ``--no-current``.

Run::

    python benchmarks/bench_tags.py            # 1,000,000-address clustering
    python benchmarks/bench_tags.py 100000     # quicker
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cryptotrace import tags as T

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT.parent / "shared" / "data" / "real" / "tagpacks"
CURRENT = ROOT.parent / "shared" / "data" / "real" / "graphsense-tagpacks"


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(n_addresses: int = 1_000_000) -> float:
    files = sorted(PACKS.glob("*.yaml"))
    if not files:
        sys.exit(f"no TagPacks in {PACKS}: the shared real-data folder must sit beside the project")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    print(f"YAML loader for the baseline: {loader.__name__}")

    def baseline():
        for f in files:
            with open(f, "rb") as fh:
                yaml.load(fh, Loader=loader)

    def ours():
        T._scalar_cache.clear()  # no help from an earlier run: every run starts cold
        T._PLAIN_KEYS.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", T.TagWarning)
            return T.load_tags(files)

    store = ours()
    t_base = best_of(baseline, 5)
    t_ours = best_of(ours, 5)
    verdict = "PASS" if t_ours <= 2.0 else "FAIL"
    print(f"\n1. load {len(files)} real TagPacks ({len(store):,} Bitcoin tags, {len(store.problems):,} left out)")
    print(f"   yaml.load ({loader.__name__}) only : {t_base:6.3f} s")
    print(
        f"   load_tags                       : {t_ours:6.3f} s   ratio {t_ours / t_base:4.2f}x the bare parse"
        f"   target <= 2 s: {verdict}"
    )

    # 2. cluster_tags
    rng = np.random.default_rng(1)
    real = store.addresses.to_numpy(dtype=object)
    n_syn = max(n_addresses - len(real), 0)
    addrs = np.concatenate([real, np.array([f"synthetic-{i}" for i in range(n_syn)], dtype=object)])
    n_clusters = max(len(addrs) // 3, 1)
    labels = pd.Series(rng.integers(0, n_clusters, len(addrs)), index=pd.Index(addrs, name="address"))
    frame = store.to_frame()

    def plain():
        df = frame[["address", "label", "confidence"]].copy()
        df["cluster_id"] = df.address.map(labels)
        df = df.dropna(subset=["cluster_id"]).sort_values("confidence", ascending=False, kind="stable")
        return df.drop_duplicates("cluster_id").set_index("cluster_id")

    out = T.cluster_tags(labels, store)
    t_plain = best_of(plain, 3)
    t_ct = best_of(lambda: T.cluster_tags(labels, store), 3)
    print(
        f"\n2. cluster_tags: {len(addrs):,} addresses in {n_clusters:,} clusters, {len(out):,} tagged clusters, "
        f"{int(out.likely_false_merge.sum()):,} flagged"
    )
    print(f"   plain pandas (best tag only)    : {t_plain:6.3f} s")
    print(f"   cluster_tags (+ counts, conflicts, jurisdiction, advice): {t_ct:6.3f} s   ratio {t_ct / t_plain:4.2f}x")

    # 3. lookups
    sample = list(rng.choice(real, 20_000))
    plain_dict = {}
    for a in frame.address:
        plain_dict.setdefault(a, []).append(a)
    store.for_address(sample[0])  # builds the index
    t_dict = best_of(lambda: [plain_dict.get(a) for a in sample], 3)
    t_look = best_of(lambda: [store.for_address(a) for a in sample], 1)
    print(f"\n3. for_address: {len(sample):,} lookups returning Tag objects")
    print(f"   dict lookup (no Tag objects)    : {t_dict:6.3f} s")
    print(
        f"   store.for_address               : {t_look:6.3f} s   ({len(sample) / t_look:,.0f} lookups/s, "
        f"ratio {t_look / t_dict:,.0f}x a bare dict)"
    )
    return len(store) / t_ours


def current(rate_40: float, repeat: int = 2) -> None:
    files = sorted(CURRENT.rglob("*.yaml"))
    if not files:
        print(f"\n4. skipped: no {CURRENT}")
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def ours():
        T._scalar_cache.clear()
        T._PLAIN_KEYS.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", T.TagWarning)
            return T.load_tags(CURRENT)

    def c_loader_only():
        real = T._fast_read
        T._fast_read = lambda data: None  # every pack through yaml's C parser (nodes, for line numbers)
        try:
            return ours()
        finally:
            T._fast_read = real

    def baseline():
        for f in files:
            with open(f, "rb") as fh:
                yaml.load(fh, Loader=loader)

    store = ours()
    t_ours, t_c, t_base = (best_of(f, repeat) for f in (ours, c_loader_only, baseline))
    entries = len(store) + int(store.problems.kind.isin(["other currency", "invalid address"]).sum())
    rate = len(store) / t_ours
    print(
        f"\n4. the current collection: {len(store.packs)} packs, {entries:,} address entries, {len(store):,} "
        f"Bitcoin tags, {len(store.actors):,} actors"
    )
    print(f"   yaml.load ({loader.__name__}) only : {t_base:6.2f} s")
    print(f"   load_tags, every pack via the C loader: {t_c:6.2f} s   ratio {t_c / t_base:4.2f}x the bare parse")
    print(f"   load_tags (line reader)         : {t_ours:6.2f} s   ratio {t_ours / t_base:4.2f}x the bare parse")
    verdict = "PASS" if rate >= rate_40 / 2 else "FAIL"
    print(
        f"   {rate:,.0f} tags/s against {rate_40:,.0f} tags/s for the 40 packs in this run (target >= half: {verdict})"
    )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rate_40 = main(int(args[0]) if args else 1_000_000)
    if "--no-current" not in sys.argv:
        current(rate_40)
