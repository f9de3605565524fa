"""Benchmark: build + validate a Chain from columnar tables, save it, load it back; its memory.

Targets: 1,000,000 txs (~2.5M inputs, ~2.7M outputs) built and validated in
<= 15 s and <= 4 GB peak memory (issue 2); the saved dataset loads in <= 5 s;
a loaded chain holds at most 500 bytes per transaction (issue 19: 0.5 GB at 1M).

Every time is printed beside a baseline measured in the same run: plain
``pandas.read_parquet`` of the same tables. ``bytes/tx`` counts every buffer
the chain's tables and index hold, once (a dictionary shared by several
columns counts once); ``resident`` is the process's memory growth while
loading, after the libraries are imported. Run::

    python benchmarks/bench_chain.py            # 1,000,000 txs
    python benchmarks/bench_chain.py 100000     # quicker
    python benchmarks/bench_chain.py 1000000 --compare /path/to/older/src
        # the same figures for another cryptotrace source tree (e.g. `git archive` of an
        # older commit), on the same tables in the same run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import gc, json, os, resource, sys, time
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet
import cryptotrace as ct
import cryptotrace.io.files

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def chain_bytes(chain):
    # every buffer of the tables and the index, each counted once
    seen = {}
    def add(a):
        if a is None:
            return
        if isinstance(a, np.ndarray):
            base = a
            while isinstance(base.base, np.ndarray):
                base = base.base
            seen[base.__array_interface__["data"][0]] = base.nbytes
        elif isinstance(a, pd.Categorical):
            add(a.codes); add(a.categories.array)
        elif hasattr(a, "_pa_array"):
            for ch in a._pa_array.chunks:
                for b in ch.buffers():
                    if b is not None:
                        seen[b.address] = b.size
        elif hasattr(a, "_data") and hasattr(a, "_mask"):
            add(a._data); add(a._mask)
        elif hasattr(a, "_ndarray"):
            add(a._ndarray)
        else:
            add(np.asarray(a))
    for name in ("blocks", "txs", "inputs", "outputs"):
        df = getattr(chain, name)
        for c in df.columns:
            add(df[c].array)
    ix = chain.index
    for f in ix.__dataclass_fields__:
        v = getattr(ix, f)
        add(v if isinstance(v, np.ndarray) else v.array)
    return sum(seen.values())

src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
gc.collect()
before = rss()
t = time.perf_counter()
if mode == "build":
    tables = {n: pd.read_parquet(f"{src}/{n}.parquet") for n in ("txs", "inputs", "outputs", "blocks")}
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    chain = ct.Chain.from_tables(**tables)
    t_build = time.perf_counter() - t
    del tables
    t = time.perf_counter()
    chain.save(dst, overwrite=True)
    t_save = time.perf_counter() - t
    out = {"read": t_read, "build": t_build, "save": t_save, "txs": len(chain.txs),
           "inputs": len(chain.inputs), "outputs": len(chain.outputs), "addresses": chain.index.n_addresses,
           "bytes": chain_bytes(chain)}
elif mode == "baseline":
    tables = {n: pd.read_parquet(f"{dst}/{n}.parquet") for n in ("txs", "inputs", "outputs", "blocks")}
    out = {"read": time.perf_counter() - t}
else:
    chain = ct.load_dataset(dst)
    out = {"load": time.perf_counter() - t}
    gc.collect()
    out["resident_gb"] = (rss() - before) / 1024**3
    out["bytes"] = chain_bytes(chain)
out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
print(json.dumps(out))
"""


def child(*args, src_path: str | None = None) -> dict:
    env = dict(os.environ)
    if src_path:
        env["PYTHONPATH"] = src_path
    proc = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(label: str, b: dict, load: dict, base: dict, n: int) -> None:
    print(f"--- {label}")
    print(
        f"build + validate (Chain.from_tables):       {b['build']:.2f} s  "
        f"= {b['build'] / base['read']:.1f} x baseline   (target <= 15 s), peak {b['peak_gb']:.2f} GB "
        f"(target <= 4 GB, includes reading the tables)"
    )
    print(f"save (Parquet + SHA-256, atomic):           {b['save']:.2f} s  = {b['save'] / base['read']:.1f} x baseline")
    print(
        f"load_dataset (hash check + index):          {load['load']:.2f} s  "
        f"= {load['load'] / base['read']:.1f} x baseline   (target <= 5 s), peak {load['peak_gb']:.2f} GB, "
        f"resident +{load['resident_gb']:.2f} GB"
    )
    print(
        f"loaded chain: {load['bytes'] / 1e9:.2f} GB = {load['bytes'] / n:,.0f} bytes/tx (target <= 500); "
        f"as built: {b['bytes'] / n:,.0f} bytes/tx"
    )


def main(n: int, compare: str | None) -> None:
    sys.path.insert(0, str(HERE))
    from _synth import synthetic_tables

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "tables", Path(tmp) / "dataset"
        src.mkdir()
        t = time.perf_counter()
        txs, inputs, outputs, blocks = synthetic_tables(n, seed=1)
        for name, df in (("txs", txs), ("inputs", inputs), ("outputs", outputs), ("blocks", blocks)):
            df.to_parquet(src / f"{name}.parquet", index=False)
        del txs, inputs, outputs, blocks
        print(f"made synthetic tables of {n:,} txs in {time.perf_counter() - t:.1f} s (setup, not measured)")
        runs = [("this cryptotrace", None)] + ([(f"cryptotrace at {compare}", compare)] if compare else [])
        results = []
        for label, path in runs:
            b = child(src, dst, "build", src_path=path)
            base = child(src, dst, "baseline", src_path=path)
            load = child(src, dst, "load", src_path=path)
            results.append((label, b, load, base))
        b = results[0][1]
        print(
            f"chain: {b['txs']:,} txs, {b['inputs']:,} inputs, {b['outputs']:,} outputs, {b['addresses']:,} addresses"
        )
        for label, b, load, base in results:
            print(f"baseline  pd.read_parquet of the 4 tables:   {base['read']:.2f} s  ({label})")
            report(label, b, load, base, n)
        if compare:
            (_, b1, l1, _), (_, b0, l0, _) = results
            print(
                f"--- this / {compare}: build {b1['build'] / b0['build']:.2f}x, load {l1['load'] / l0['load']:.2f}x, "
                f"bytes/tx {l1['bytes'] / l0['bytes']:.2f}x, load peak {l1['peak_gb'] / l0['peak_gb']:.2f}x, "
                f"build peak {b1['peak_gb'] / b0['peak_gb']:.2f}x"
            )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--compare", help="another cryptotrace src folder to measure on the same tables")
    a = ap.parse_args()
    main(a.n, a.compare)
