"""Benchmark: our in-memory union-find against the Rust union-find of ``graphsense-clustering`` and scipy,
on the multi-input links of the 1,000,000-transaction store benchmark, from the same per-transaction lists.

The store is the one ``benchmarks/bench_store.py`` measures (``_synth_store.write_synthetic_store``,
1M transactions). Its multi-input transactions (2+ distinct input addresses) minus the CoinJoins the
project's detector flags (``store.coinjoin_ids()``, what ``store.cluster`` skips) give one list of
input address ids per transaction. Every contender starts from those lists (CSR: offsets + ids):

* ours: ``cryptotrace.clustering.union_find`` on links built inside the timing (each address to
  its transaction's first address);
* Rust: ``gs_clustering.Clustering.process_transactions_arrow`` (PyPI ``graphsense-clustering``,
  the union-find GraphSense uses; Arrow list array, zero-copy) then ``get_mapping()``;
* scipy: ``scipy.sparse.csgraph.connected_components`` on the same links (the kept-library baseline).

Runs are interleaved (ours, Rust, scipy, ours, ...), 7 rounds, best and median of each; the
three partitions are checked to be the same. Run: ``nice python benchmarks/bench_unionfind_store.py``
(``--txs 200000`` for a quick run).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def lists_from_store(store) -> tuple[int, np.ndarray, np.ndarray]:
    """(n_addresses, offsets, address ids): the input addresses of each multi-input, non-CoinJoin transaction."""
    import pandas as pd

    cj = store.coinjoin_ids(progress=False)
    r = store.query(
        "SELECT tx_id, address_id FROM (SELECT DISTINCT tx_id, address_id FROM inputs "
        "WHERE address_id IS NOT NULL) WHERE tx_id NOT IN (SELECT tx_id FROM cj) "
        "QUALIFY count(*) OVER (PARTITION BY tx_id) >= 2 ORDER BY tx_id, address_id",
        cj=pd.DataFrame({"tx_id": cj}),
    )
    tx = r.tx_id.to_numpy(np.int64)
    addr = r.address_id.to_numpy(np.int64)
    starts = np.flatnonzero(np.r_[True, tx[1:] != tx[:-1]]) if len(tx) else np.zeros(0, np.int64)
    offsets = np.r_[starts, len(tx)].astype(np.int32)
    return int(store.manifest["next_address_id"]), offsets, addr


def same_partition(x: np.ndarray, y: np.ndarray) -> bool:
    pairs = np.unique(np.stack([x, y]), axis=1)
    return pairs.shape[1] == len(np.unique(x)) == len(np.unique(y))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--txs", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=7)
    a = p.parse_args()

    import pyarrow as pa
    from _synth_store import write_synthetic_store
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from cryptotrace.clustering import union_find

    tmp = tempfile.mkdtemp(prefix="bench_uf_", dir="/work/tmp" if Path("/work/tmp").is_dir() else None)
    try:
        store = write_synthetic_store(Path(tmp) / "store", a.txs)
        n, offsets, addr = lists_from_store(store)
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts = np.diff(offsets)
    print(
        f"{a.txs:,}-tx store: {len(counts):,} multi-input transactions (CoinJoins skipped), "
        f"{len(addr):,} input addresses, {n:,} address ids"
    )

    def ours():
        anchor = np.repeat(addr[offsets[:-1]], counts)
        return union_find(n, anchor, addr)[1]

    lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(addr.astype(np.uint32)))

    def rust():
        from gs_clustering import Clustering

        g = Clustering(max_address_id=n)
        g.process_transactions_arrow(lists)
        return g.get_mapping()

    def scipy_cc():
        anchor = np.repeat(addr[offsets[:-1]], counts).astype(np.int32)
        g = coo_matrix((np.ones(len(addr), dtype=np.int8), (anchor, addr.astype(np.int32))), shape=(n, n)).tocsr()
        return connected_components(g, directed=True, connection="weak")[1]

    fns = {"ours": ours, "scipy": scipy_cc}
    try:
        import gs_clustering  # noqa: F401
    except ImportError:
        print("graphsense-clustering is not installed (pip install graphsense-clustering): Rust skipped")
    else:
        fns["Rust"] = rust
    times: dict[str, list[float]] = {k: [] for k in fns}
    out = {}
    for _ in range(a.rounds):
        for k, fn in fns.items():
            gc.collect()
            t = time.perf_counter()
            out[k] = fn()
            times[k].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    med = {k: float(np.median(v)) for k, v in times.items()}
    for k in fns:
        print(f"{k:6s} best {best[k]:.3f} s, median {med[k]:.3f} s (of {a.rounds}, interleaved)")
    print(f"scipy gives the same clusters as ours: {same_partition(out['ours'], out['scipy'])}")
    if "Rust" in out:
        gs = out["Rust"].column("cluster_id").to_numpy()[:n]
        print(f"Rust gives the same clusters as ours: {same_partition(out['ours'], gs)}")
        print(
            f"RATIO ours / Rust: {best['ours'] / best['Rust']:.2f}x the time (best of each; median "
            f"{med['ours'] / med['Rust']:.2f}x; target <= 2x)"
        )
    print(
        f"RATIO ours / scipy: {best['ours'] / best['scipy']:.2f}x the time (median {med['ours'] / med['scipy']:.2f}x)"
    )


if __name__ == "__main__":
    main()
