"""Benchmark: clustering and heuristics on a 1,000,000-transaction synthetic chain.

Prints, in one run and as ratios:

* multi-input clustering vs the Rust union-find of the PyPI package
  ``graphsense-clustering`` (``gs_clustering``) on the same inputs (the input
  address ids of every multi-input, non-CoinJoin transaction): our core
  union-find (``union_find``), the same starting from the per-transaction lists
  (building the links inside the timing), the previous scipy path
  (``_union_find_scipy``, for the before/after figure), and our whole
  ``Clustering().fit``. The union-find runs are interleaved (ours, old, Rust,
  ours, ...) and each keeps its best of 7, so a noisy neighbour on the machine
  hits them alike; the median ratio is printed too;
* all change heuristics together (target: <= 15 s); every CoinJoin detector and caveat; and all
  heuristics together (multi-input, change, CoinJoin, caveats; target: <= 15 s);
* our multi-input clustering vs networkx connected components on the same graph (target: >= 10x faster).

Run: ``python benchmarks/bench_clustering.py`` (``BENCH_TXS=200000`` for a quicker run;
``BENCH_HEURISTICS_ONLY=1`` stops after the heuristic timings).
The chain comes from ``benchmarks/_synth.py`` (valid, value-conserving, random spending; not an economy,
so most addresses end in one giant multi-input component: the hard case for union-find).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import synthetic_tables  # noqa: E402

from cryptotrace import Chain  # noqa: E402
from cryptotrace import heuristics as H  # noqa: E402
from cryptotrace.clustering import Clustering, _union_find_scipy, union_find  # noqa: E402
from cryptotrace.heuristics import base  # noqa: E402

N = int(os.environ.get("BENCH_TXS", 1_000_000))


def timed(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def interleaved(fns: dict, repeat=7):
    """Run the functions in turn, ``repeat`` rounds; returns ``({name: sorted times}, {name: last result})``."""
    times, out = {k: [] for k in fns}, {}
    for _ in range(repeat):
        for k, fn in fns.items():
            gc.collect()
            t = time.perf_counter()
            out[k] = fn()
            times[k].append(time.perf_counter() - t)
    return {k: sorted(v) for k, v in times.items()}, out


def load() -> str:
    """The machine's load averages (1, 5, 15 min) and core count, printed with the timings."""
    try:
        a = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {a[0]:.2f} / {a[1]:.2f} / {a[2]:.2f} on {os.cpu_count()} cores"


def main():
    print(f"start: {load()}")
    t0 = time.perf_counter()
    txs, inputs, outputs, blocks = synthetic_tables(N, seed=7)
    t1 = time.perf_counter()
    chain = Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs, blocks=blocks, validate=False)
    t2 = time.perf_counter()
    del txs, inputs, outputs, blocks
    print(
        f"chain: {len(chain.txs):,} txs, {len(chain.inputs):,} inputs, {len(chain.outputs):,} outputs, "
        f"{chain.index.n_addresses:,} addresses (tables {t1 - t0:.1f} s, Chain.from_tables {t2 - t1:.1f} s)"
    )

    # --- all change heuristics together, from a cold start (shared numbers computed inside the timing)
    base._FEATURES.clear()
    t_change, _ = timed(lambda: [h.calls(chain) for h in H.CHANGE])
    print(
        f"all {len(H.CHANGE)} change heuristics together: {t_change:.2f} s (target <= 15 s): "
        f"{'OK' if t_change <= 15 else 'TOO SLOW'}"
    )

    # --- every CoinJoin detector and caveat, then every heuristic together, each from a cold start
    cj_dets = (*H.COINJOIN, H.coinjoin.coinjoin, *H.CAVEATS)
    base._FEATURES.clear()
    t_cj, _ = timed(lambda: [h._flags(chain) for h in cj_dets])
    print(f"all {len(cj_dets)} CoinJoin detectors and caveats together: {t_cj:.2f} s")
    base._FEATURES.clear()
    t_every, _ = timed(
        lambda: ([h.calls(chain) for h in H.CHANGE], [h._flags(chain) for h in (H.multi_input, *cj_dets)])
    )
    print(
        f"every heuristic together (multi-input, {len(H.CHANGE)} change, {len(cj_dets)} CoinJoin/caveat): "
        f"{t_every:.2f} s (target <= 15 s): {'OK' if t_every <= 15 else 'TOO SLOW'}; {load()}"
    )
    if os.environ.get("BENCH_HEURISTICS_ONLY"):
        return

    # --- the same inputs for everyone: input address ids of multi-input, non-CoinJoin transactions
    f = base.features(chain)
    skip = H.coinjoin.coinjoin._flags(chain)
    keys = f.input_pairs
    n_addr = f.n_addr
    tx, addr = keys // n_addr, keys % n_addr
    use = H.multi_input._flags(chain)[tx] & ~skip[tx]
    tx, addr = tx[use], addr[use]
    counts = np.bincount(tx, minlength=f.n_txs)
    counts = counts[counts > 0]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    anchor = np.repeat(addr[offsets[:-1]], counts)
    star = addr != anchor
    ea, eb = anchor[star], addr[star]
    print(f"multi-input evidence: {len(counts):,} transactions, {len(addr):,} input addresses, {len(ea):,} links")

    def links_from_lists():  # each address of a tx linked to the tx's first address (self-links are harmless)
        return np.repeat(addr[offsets[:-1]], counts), addr

    fns = {
        "ours": lambda: union_find(n_addr, ea, eb),
        "ours from lists": lambda: union_find(n_addr, *links_from_lists()),
        "old scipy path": lambda: _union_find_scipy(n_addr, ea, eb),
    }
    try:
        import pyarrow as pa
        from gs_clustering import Clustering as GSClustering
    except ImportError:
        print("graphsense-clustering is not installed (pip install graphsense-clustering): comparison skipped")
    else:
        lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(addr.astype(np.uint32)))

        def run_gs():
            g = GSClustering(max_address_id=n_addr)
            g.process_transactions_arrow(lists)
            return g.get_mapping()

        fns["Rust"] = run_gs
    times, out = interleaved(fns)
    n_ours, lab_ours = out["ours"]
    n_old, lab_old = out["old scipy path"]
    assert n_ours == n_old and np.array_equal(lab_ours, lab_old), "new and old union-find disagree"
    assert out["ours from lists"][0] == n_ours and np.array_equal(out["ours from lists"][1], lab_ours)
    t_uf = times["ours"][0]
    for k, v in times.items():
        print(f"{k + ':':18s} best {v[0]:.3f} s, median {v[len(v) // 2]:.3f} s (of {len(v)}, interleaved)")

    base._FEATURES.clear()
    t_fit, c = timed(lambda: Clustering().fit(chain))
    print(
        f"ours: Clustering().fit(chain) {t_fit:.3f} s (cold, incl. CoinJoin "
        f"detection); {c.n_clusters_:,} clusters, largest {int(np.bincount(c._labels).max()):,}"
    )

    if "Rust" in out:
        gs_cluster = out["Rust"].column("cluster_id").to_numpy()[:n_addr]
        # same partition? each of our clusters maps to exactly one of theirs and back
        pairs = np.unique(np.stack([lab_ours, gs_cluster]), axis=1)
        same = pairs.shape[1] == n_ours == len(np.unique(gs_cluster))
        print(f"graphsense-clustering (Rust) gives the same clusters as ours: {same}")
        best = {k: v[0] for k, v in times.items()}
        med = {k: v[len(v) // 2] for k, v in times.items()}
        for k, label in [
            ("ours", "core union-find, ours / Rust:      "),
            ("ours from lists", "ours from the same lists / Rust:  "),
            ("old scipy path", "before (old scipy path) / Rust:   "),
        ]:
            print(
                f"RATIO {label} {best[k] / best['Rust']:.2f}x the time (best of each; median "
                f"{med[k] / med['Rust']:.2f}x; target <= 2x)"
            )
        print(f"RATIO whole Clustering().fit, ours / Rust core: {t_fit / best['Rust']:.2f}x the time")
        print(f"RATIO old scipy path / ours (same process):   {best['old scipy path'] / t_uf:.1f}x faster now")

    # networkx on the same graph
    import networkx as nx

    def run_nx():
        g = nx.Graph()
        g.add_nodes_from(range(n_addr))
        g.add_edges_from(zip(ea.tolist(), eb.tolist()))
        return sum(1 for _ in nx.connected_components(g))

    t_nx, n_nx = timed(run_nx)
    assert n_nx == n_ours, (n_nx, n_ours)
    print(f"networkx connected components: {t_nx:.2f} s ({n_nx:,} components, same count)")
    print(f"RATIO networkx / ours (core union-find):     {t_nx / t_uf:.1f}x faster (target >= 10x)")
    print(f"RATIO networkx / ours (whole fit):           {t_nx / t_fit:.1f}x faster")

    base._FEATURES.clear()
    t_all, c_all = timed(lambda: Clustering("all").fit(chain))
    print(
        f"Clustering('all') (multi-input + {len(H.CHANGE)} change heuristics): {t_all:.2f} s, "
        f"{c_all.n_clusters_:,} clusters"
    )


if __name__ == "__main__":
    main()
