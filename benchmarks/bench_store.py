"""Benchmark: the chain store (Parquet + DuckDB, and Spark local mode) at 1M, 10M and 50M transactions.

For each size, a streaming synthetic generator (``benchmarks/_synth_store.py``: random spending,
not an economy) writes the store straight into its Parquet layout, one batch of 200,000
transactions at a time, through the store's own atomic commit. Then, each phase in its own
process so that its peak memory (``ru_maxrss``; for Spark also the JVM's ``VmHWM``) is its own:

* write: transactions per second, peak memory, bytes per transaction on disk;
* import (the store's own path, ``ChainStore.import_chain`` of checked Chains of the *same*
  transactions as text, each input looked up across the store; at the sizes in ``--import-sizes``);
* clustering with DuckDB (``store.cluster(engine="duckdb")``): seconds, peak memory, and that
  memory per address (it should follow the addresses, not the transactions);
* 2-hop extraction around random addresses (``store.extract(address, hops=2)``, a warm
  connection, as an investigator's session has): median and 90th percentile;
* Spark local mode clustering (``engine="spark"``, 2 cores) at the sizes in ``--spark-sizes``.

Then a table projecting each figure to the whole ledger (1.1 billion transactions) from the
growth measured between the sizes: a power law fitted through the points (figure ~ size^k) for
rates, times and sizes; a straight line (a fixed part plus a part per transaction) for memory.

Run: ``nice python benchmarks/bench_store.py`` (``--sizes 1000000`` for one size; ``--dir`` where
the stores go, default a temporary folder under /work/tmp or /tmp, deleted at the end unless
``--keep``). Needs about 230 bytes per transaction of disk (11.5 GB at 50M).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
LEDGER = 1_100_000_000


def _cpu_s() -> float:
    """CPU seconds of this process so far, every thread (less sensitive than wall time to a busy machine)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def phase_write(store_dir: str, n_txs: int, batch_txs: int) -> dict:
    from _synth_store import write_synthetic_store

    t0, c0 = time.perf_counter(), _cpu_s()
    store = write_synthetic_store(store_dir, n_txs, batch_txs=batch_txs)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    s = store.summary()
    per_table = {
        t: sum(p.stat().st_size for p in (Path(store_dir) / t).glob("*.parquet"))
        for t in __import__("cryptotrace").store.STORE_TABLES
    }
    return {
        "txs": s["transactions"],
        "inputs": s["inputs"],
        "outputs": s["outputs"],
        "addresses": s["addresses"],
        "batches": s["batches"],
        "write_s": wall,
        "write_cpu_s": cpu,
        "tx_per_s": s["transactions"] / wall,
        "bytes_on_disk": s["bytes_on_disk"],
        "bytes_per_tx": s["bytes_on_disk"] / s["transactions"],
        "bytes_per_tx_by_table": {k: v / s["transactions"] for k, v in per_table.items()},
        "peak_rss_mb": _rss_mb(),
    }


def phase_import(store_dir: str, n_txs: int, batch_txs: int) -> dict:
    import cryptotrace as ct
    from _synth_store import synthetic_chain_batches
    from cryptotrace.chain import Chain

    store = ct.ChainStore(store_dir, threads=2)
    t0, c0 = time.perf_counter(), _cpu_s()
    gen_s = check_s = 0.0
    it = synthetic_chain_batches(n_txs, batch_txs)
    while True:
        a = time.perf_counter()
        try:
            txs, inputs, outputs, blocks = next(it)
        except StopIteration:
            break
        b = time.perf_counter()
        chain = Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs, blocks=blocks, check_addresses=False)
        c = time.perf_counter()
        store.import_chain(chain, batch_txs=batch_txs, progress=False)
        gen_s += b - a
        check_s += c - b
        del chain, txs, inputs, outputs, blocks
    wall = time.perf_counter() - t0
    n = store.n_txs
    return {
        "import_s": wall,
        "tx_per_s": n / wall,
        "import_cpu_s": _cpu_s() - c0,
        "store_s": wall - gen_s - check_s,
        "tx_per_s_store_only": n / (wall - gen_s - check_s),
        "generate_s": gen_s,
        "chain_check_s": check_s,
        "peak_rss_mb": _rss_mb(),
    }


def phase_cluster(store_dir: str) -> dict:
    import cryptotrace as ct

    store = ct.ChainStore(store_dir, threads=2)
    store.query("SELECT count(*) FROM txs")  # DuckDB loaded: the memory before clustering
    base = _rss_mb()
    t0, c0 = time.perf_counter(), _cpu_s()
    res = store.cluster(engine="duckdb", progress=False)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    sizes = res.sizes()["size"]
    return {
        "cluster_s": wall,
        "cluster_cpu_s": cpu,
        "n_clusters": res.n_clusters_,
        "largest": int(sizes.max()),
        "addresses": int(sizes.sum()),
        "coinjoins_skipped": res.n_skipped_,
        "peak_rss_mb": _rss_mb(),
        "base_rss_mb": base,
    }


def phase_extract(store_dir: str, n: int = 30) -> dict:
    import cryptotrace as ct

    store = ct.ChainStore(store_dir, threads=2)
    rng = np.random.default_rng(5)
    ids = np.unique(rng.integers(0, int(store.manifest["next_address_id"]), size=n))
    seeds = store.query(
        f"SELECT address FROM addresses_by_id WHERE address_id IN ({', '.join(map(str, ids.tolist()))})"
    ).address.tolist()
    lat, cpu, sizes = [], [], []
    for s in seeds:
        t0, c0 = time.perf_counter(), _cpu_s()
        sub = store.extract(s, hops=2)
        lat.append(time.perf_counter() - t0)
        cpu.append(_cpu_s() - c0)
        sizes.append(len(sub))
    return {
        "extract_2hop_median_s": float(np.median(lat)),
        "extract_2hop_p90_s": float(np.percentile(lat, 90)),
        "extract_2hop_cpu_median_s": float(np.median(cpu)),
        "extract_2hop_cpu_p90_s": float(np.percentile(cpu, 90)),
        "extract_2hop_first_s": lat[0],
        "extract_median_txs": float(np.median(sizes)),
        "n": len(lat),
        "peak_rss_mb": _rss_mb(),
    }


def _children_hwm_mb() -> float:
    """Peak resident memory (VmHWM) of this process's child processes (the Spark JVM), in MB."""
    import psutil

    best = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return best


def phase_spark(store_dir: str) -> dict:
    import cryptotrace as ct
    from cryptotrace.store.spark import spark_session

    store = ct.ChainStore(store_dir, threads=2)
    t0 = time.perf_counter()
    spark = spark_session(cores=2, memory="6g")
    t1 = time.perf_counter()
    res = store.cluster(engine="spark", progress=False)
    wall = time.perf_counter() - t0
    jvm = _children_hwm_mb()
    spark.stop()
    return {
        "spark_s": wall,
        "spark_start_s": t1 - t0,
        "n_clusters": res.n_clusters_,
        "jvm_peak_mb": jvm,
        "peak_rss_mb": _rss_mb(),
    }


PHASES = {
    "write": phase_write,
    "import": phase_import,
    "cluster": phase_cluster,
    "extract": phase_extract,
    "spark": phase_spark,
}


def _child(phase: str, *args, timeout: float | None = None) -> dict | None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--phase", phase, *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"  phase {phase} did not finish in {timeout:.0f} s", flush=True)
        return None
    if out.returncode:
        sys.stderr.write(out.stderr[-3000:])
        print(f"  phase {phase} failed", flush=True)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def fit(sizes, values, model: str = "power"):
    """Growth and the projection to the ledger through the points (size, value).

    ``power``: value ~ size^k (returns k); ``linear``: value = a + b * size (memory: a fixed part plus a
    part per transaction or address; returns the local exponent at the largest size, b*n / value).
    """
    if len(sizes) < 2:
        return None, None
    if model == "linear":
        b, a = np.polyfit(np.asarray(sizes, float), np.asarray(values, float), 1)
        n = max(sizes)
        return float(b * n / (a + b * n)), float(a + b * LEDGER)
    x, y = np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float))
    k, c = np.polyfit(x, y, 1)
    return float(k), float(np.exp(c + k * np.log(LEDGER)))


def projection(results: dict) -> list[tuple]:
    """Rows (figure, unit, {size: value}, exponent, projected) for the README table."""
    rows = []

    def add(name, unit, get, model="power"):
        pts = {n: get(r) for n, r in results.items()}
        pts = {n: v for n, v in pts.items() if v is not None}
        k, proj = fit(list(pts), list(pts.values()), model) if len(pts) >= 2 else (None, None)
        rows.append((name, unit, pts, k, proj))

    add("write (synthetic, straight to Parquet)", "tx/s", lambda r: r["write"] and r["write"]["tx_per_s"])
    add(
        "write, per CPU second",
        "tx/s",
        lambda r: r["write"] and r["write"].get("write_cpu_s") and r["write"]["txs"] / r["write"]["write_cpu_s"],
    )
    add("write: peak memory", "MB", lambda r: r["write"] and r["write"]["peak_rss_mb"], "linear")
    add("import_chain (the store's own import)", "tx/s", lambda r: r.get("import") and r["import"]["tx_per_s"])
    add("import_chain: peak memory", "MB", lambda r: r.get("import") and r["import"]["peak_rss_mb"], "linear")
    add("on disk", "bytes/tx", lambda r: r["write"] and r["write"]["bytes_per_tx"])
    add("cluster (DuckDB)", "s", lambda r: r.get("cluster") and r["cluster"]["cluster_s"])
    add("cluster (DuckDB), CPU time", "s", lambda r: r.get("cluster") and r["cluster"].get("cluster_cpu_s"))
    add("cluster (DuckDB): peak memory", "MB", lambda r: r.get("cluster") and r["cluster"]["peak_rss_mb"], "linear")
    add(
        "cluster: memory added per address",
        "bytes",
        lambda r: (
            r.get("cluster")
            and (r["cluster"]["peak_rss_mb"] - r["cluster"]["base_rss_mb"]) * 2**20 / r["cluster"]["addresses"]
        ),
    )
    add("2-hop extraction, median", "s", lambda r: r.get("extract") and r["extract"]["extract_2hop_median_s"])
    add("2-hop extraction, 90th percentile", "s", lambda r: r.get("extract") and r["extract"]["extract_2hop_p90_s"])
    add(
        "2-hop extraction, CPU time, median",
        "s",
        lambda r: r.get("extract") and r["extract"].get("extract_2hop_cpu_median_s"),
    )
    add(
        "2-hop extraction, CPU time, 90th percentile",
        "s",
        lambda r: r.get("extract") and r["extract"].get("extract_2hop_cpu_p90_s"),
    )
    add("cluster (Spark local, 2 cores)", "s", lambda r: r.get("spark") and r["spark"]["spark_s"])
    return rows


def print_table(results: dict) -> None:
    sizes = sorted(results)
    head = "| figure | " + " | ".join(f"{n / 1e6:g}M txs" for n in sizes) + " | growth k (~ size^k) | 1.1 billion txs |"
    print(head)
    print("|---" * (len(sizes) + 3) + "|")
    for name, unit, pts, k, proj in projection(results):
        cells = [f"{pts[n]:,.3g} {unit}" if n in pts else "-" for n in sizes]
        ks = f"{k:.2f}" if k is not None else "-"
        ps = f"{proj:,.3g} {unit}" if proj is not None else "-"
        print(f"| {name} | " + " | ".join(cells) + f" | {ks} | {ps} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000000,10000000,50000000")
    p.add_argument("--import-sizes", default="1000000", help="sizes at which to time the store's own import too")
    p.add_argument("--spark-sizes", default="1000000,10000000")
    p.add_argument("--spark-timeout", type=float, default=3600)
    p.add_argument("--batch-txs", type=int, default=200_000)
    p.add_argument("--dir", help="where to build the stores (default: a new folder under /work/tmp or /tmp)")
    p.add_argument("--keep", action="store_true", help="keep the stores")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.phase:
        args = [a.rest[0]] + [int(x) for x in a.rest[1:]]
        print(json.dumps(PHASES[a.phase](*args)))
        return
    base = (
        Path(a.dir)
        if a.dir
        else Path(tempfile.mkdtemp(prefix="bench_store_", dir="/work/tmp" if os.path.isdir("/work/tmp") else None))
    )
    base.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in a.sizes.split(",")]
    imp_sizes = {int(x) for x in a.import_sizes.split(",") if x}
    spark_sizes = {int(x) for x in a.spark_sizes.split(",") if x}
    results: dict[int, dict] = {}
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("PySpark is not installed (pip install -e '.[spark]'): Spark timings skipped")
        spark_sizes = set()
    try:
        for n in sizes:
            d = base / f"store_{n}"
            shutil.rmtree(d, ignore_errors=True)
            r = results[n] = {}
            print(f"== {n:,} transactions ({_load()})", flush=True)
            w = r["write"] = _child("write", d, n, a.batch_txs)
            print(
                f"write: {w['txs']:,} txs ({w['inputs']:,} inputs, {w['outputs']:,} outputs, {w['addresses']:,} "
                f"addresses, {w['batches']} batches) in {w['write_s']:.1f} s = {w['tx_per_s']:,.0f} tx/s; peak "
                f"{w['peak_rss_mb']:,.0f} MB; {w['bytes_on_disk'] / 1e9:,.2f} GB = {w['bytes_per_tx']:.0f} bytes/tx "
                f"({', '.join(f'{k} {v:.0f}' for k, v in w['bytes_per_tx_by_table'].items())}) ({_load()})",
                flush=True,
            )
            if n in imp_sizes:
                d2 = base / f"import_{n}"
                shutil.rmtree(d2, ignore_errors=True)
                im = r["import"] = _child("import", d2, n, a.batch_txs)
                if im:
                    print(
                        f"import_chain: {im['import_s']:.1f} s = {im['tx_per_s']:,.0f} tx/s end to end (store part "
                        f"{im['store_s']:.1f} s = {im['tx_per_s_store_only']:,.0f} tx/s); "
                        f"peak {im['peak_rss_mb']:,.0f} "
                        f"MB ({_load()})",
                        flush=True,
                    )
                shutil.rmtree(d2, ignore_errors=True)
            cl = r["cluster"] = _child("cluster", d)
            if cl:
                print(
                    f"cluster (duckdb): {cl['cluster_s']:.1f} s, peak {cl['peak_rss_mb']:,.0f} MB = "
                    f"{(cl['peak_rss_mb'] - cl['base_rss_mb']) * 2**20 / cl['addresses']:.0f} bytes per address "
                    f"above the {cl['base_rss_mb']:,.0f} MB before it; {cl['n_clusters']:,} "
                    f"clusters over {cl['addresses']:,} addresses (largest {cl['largest']:,}), "
                    f"{cl['coinjoins_skipped']:,} CoinJoins skipped ({_load()})",
                    flush=True,
                )
            ex = r["extract"] = _child("extract", d)
            if ex:
                print(
                    f"extract 2 hops from an address: median {ex['extract_2hop_median_s'] * 1000:,.0f} ms, p90 "
                    f"{ex['extract_2hop_p90_s'] * 1000:,.0f} ms (first {ex['extract_2hop_first_s'] * 1000:,.0f} ms; "
                    f"{ex['n']} addresses, median {ex['extract_median_txs']:,.0f} txs) ({_load()})",
                    flush=True,
                )
            if not a.keep and n not in spark_sizes:
                shutil.rmtree(d, ignore_errors=True)
            if a.json:
                Path(a.json).write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
        for n in sorted(spark_sizes & set(sizes)):  # last: slow, and the DuckDB figures come first
            d, r, cl = base / f"store_{n}", results[n], results[n].get("cluster")
            sp = r["spark"] = _child("spark", d, timeout=a.spark_timeout)
            if sp:
                same = sp["n_clusters"] == (cl or {}).get("n_clusters")
                print(
                    f"{n:,} txs: cluster (spark local[2]): {sp['spark_s']:.1f} s "
                    f"(JVM start {sp['spark_start_s']:.1f} s), "
                    f"JVM peak {sp['jvm_peak_mb']:,.0f} MB; {sp['n_clusters']:,} clusters "
                    f"({'same count as DuckDB' if same else 'DIFFERENT from DuckDB'}) ({_load()})",
                    flush=True,
                )
            if not a.keep:
                shutil.rmtree(d, ignore_errors=True)
            if a.json:
                Path(a.json).write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
        print()
        print_table(results)
        print(json.dumps({str(k): v for k, v in results.items()}))
    finally:
        if not a.keep and not a.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
