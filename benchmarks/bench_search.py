"""Speed of the course's searches (ct.paths, ct.find_services) on a synthetic chain.

Each figure is printed beside a same-process baseline: a 10-hop haircut ``ct.trace`` from the
same start (the engine the course already uses for one step), so the ratio says what a search
costs compared with a trace. The searches walk hop by hop over whole frontiers (numpy).

Run:  python benchmarks/bench_search.py [--txs 300000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd

import cryptotrace as ct

_spec = importlib.util.spec_from_file_location("bench_tracing", Path(__file__).with_name("bench_tracing.py"))
bench_tracing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_tracing)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--txs", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    chain = bench_tracing.make_chain(a.txs)
    rng = np.random.default_rng(1)
    o = chain.outputs
    spent = o.spent_by_txid.notna().to_numpy()
    start_row = int(np.flatnonzero(spent)[len(o) // 10])
    start = f"{o.txid.iat[start_row]}:{int(o.vout.iat[start_row])}"
    addrs = chain.index.addresses.to_numpy()
    tagged = rng.choice(addrs, size=200, replace=False)
    tags = ct.TagStore.from_frame(
        pd.DataFrame({"address": tagged, "label": [f"exchange {i}" for i in range(200)], "category": "exchange"})
    )
    reach = ct.trace(chain, start, policy="haircut", max_hops=10, min_value=0)
    far = reach.flows
    target = far.address.iat[len(far) - 1]
    base = best(lambda: ct.trace(chain, start, policy="haircut", max_hops=10, min_value=0), a.repeat)
    t_paths = best(lambda: ct.paths(chain, start, target, max_hops=10), a.repeat)
    t_find = best(lambda: ct.find_services(chain, start, tags=tags, within=10), a.repeat)
    print(f"chain: {a.txs:,} transactions; a 10-hop trace reaches {len(far):,} outputs")
    print(f"baseline ct.trace haircut 10 hops: {base * 1000:8.1f} ms")
    print(f"ct.paths (10 hops):                {t_paths * 1000:8.1f} ms  ratio {t_paths / base:.2f}")
    print(f"ct.find_services (within 10):      {t_find * 1000:8.1f} ms  ratio {t_find / base:.2f}")


if __name__ == "__main__":
    main()
