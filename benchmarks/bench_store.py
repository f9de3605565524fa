"""Benchmark: the chain store (Parquet + DuckDB) at 1,000,000 transactions (10,000,000 with ``--txs 10000000``).

A streaming synthetic generator makes the chain one batch at a time (it never holds the whole
chain), each batch is checked as a Chain (``Chain.from_tables``, addresses not decoded) and
appended with ``ChainStore.import_chain``. The inputs are given *without* the value and address
of the coins they spend (as raw blocks are): the store looks every one up across the batches
already stored, so the import measures that look-up too.

Each phase runs in its own process so that its peak memory (``ru_maxrss``) is its own:

* import: transactions per second, peak RSS, bytes per transaction on disk;
* clustering (``store.cluster(engine="duckdb")``): seconds and peak RSS;
* 2-hop extraction around random transactions: median and 90th-percentile latency.

Run: ``python benchmarks/bench_store.py`` (``--txs 200000`` for a quick run; ``--keep DIR`` keeps the store).

The synthetic chain: blocks of 2,000 transactions, the first of each a coinbase; about 2 inputs and
2.2 outputs per transaction; inputs spend random coins of the previous two batches (so every spend
crosses a batch boundary); 70% of outputs pay a fresh address, 30% an earlier one; 0.5% of the
transactions are JoinMarket-shaped CoinJoins (3 inputs, 3 equal outputs and 2 change) that
clustering must skip. Addresses are
address-shaped strings, not decodable addresses (the store never decodes them). Not an economy.
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
import pandas as pd

BLOCK_TXS = 2000


def _addr(i: np.ndarray) -> np.ndarray:
    h = (i.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(0xD1B54A32D192ED03)
    return np.array([f"bc1q{int(a):016x}{int(b):020x}" for a, b in zip(h, i)], dtype=object)


def synthetic_batches(n_txs: int, batch_txs: int, *, seed: int = 0):
    """Yield (txs, inputs, outputs, blocks) tables in the Chain schema, one batch of whole blocks at a time."""
    rng = np.random.default_rng(seed)
    pools: list[dict] = []  # unspent outputs of the last two batches
    next_addr = 0
    made = 0
    height = 0
    while made < n_txs:
        b = min(batch_txs, n_txs - made)
        b -= b % BLOCK_TXS if b > BLOCK_TXS else 0
        blk = np.arange(b) // BLOCK_TXS + height
        n_blocks = int(blk[-1] - height + 1)
        hx = rng.bytes(32 * b).hex()
        txid = np.array([hx[i:i + 64] for i in range(0, 64 * b, 64)], dtype=object)
        pool = {k: np.concatenate([p[k] for p in pools]) for k in ("txid", "vout", "value", "addr")} if pools else None
        cb = np.zeros(b, dtype=bool)
        cb[np.r_[0:b:BLOCK_TXS]] = True
        n_in = np.where(cb, 1, rng.choice([1, 1, 1, 2, 2, 3, 4], size=b))
        # 0.5% CoinJoins of the JoinMarket form (BlockSci's rule): 3 inputs, 3 equal outputs + 2 change
        cj = ~cb & (rng.random(b) < 0.005)
        n_in[cj] = 3
        if pool is None:
            cb[:] = True
            n_in[:] = 1
        else:  # as many spending txs as the pool allows; the rest become coinbases
            need = np.cumsum(np.where(cb, 0, n_in))
            short = need > len(pool["value"])
            cb |= short
            n_in = np.where(cb, 1, n_in)
        cj &= ~cb
        n_out = rng.choice([1, 2, 2, 2, 3], size=b)
        n_out[cj] = 5
        # inputs
        spend_tx = np.repeat(np.flatnonzero(~cb), n_in[~cb])
        k = len(spend_tx)
        if k:
            pick = rng.choice(len(pool["value"]), size=k, replace=False)
            in_value = pool["value"][pick]
        else:
            pick = np.zeros(0, dtype=np.int64)
            in_value = np.zeros(0, dtype=np.int64)
        in_sum = np.bincount(spend_tx, weights=in_value, minlength=b).astype(np.int64)
        budget = np.where(cb, 312_500_000, in_sum - np.minimum(in_sum // 1000, 20_000))
        # outputs: budget split by random weights (integer, exact)
        out_tx = np.repeat(np.arange(b), n_out)
        w = rng.random(len(out_tx)) + 0.05
        wsum = np.bincount(out_tx, weights=w, minlength=b)
        share = np.floor(budget[out_tx] * (w / wsum[out_tx])).astype(np.int64)
        out_start = np.r_[0, np.cumsum(n_out)]
        share[out_start[1:] - 1] += budget - np.bincount(out_tx, weights=share, minlength=b).astype(np.int64)
        for t in np.flatnonzero(cj):  # few: 3 equal outputs, two unequal change outputs, nothing lost
            v = budget[t] // 4
            c1 = (budget[t] - 3 * v) // 3
            share[out_start[t]:out_start[t] + 5] = [v, v, v, c1, budget[t] - 3 * v - c1]
        fresh = rng.random(len(out_tx)) < 0.7
        addr_i = np.where(fresh, next_addr + np.cumsum(fresh) - 1,
                          rng.integers(0, max(next_addr, 1), size=len(out_tx)))
        next_addr += int(fresh.sum())
        vout = np.arange(len(out_tx)) - out_start[out_tx]
        # tables
        t_time = 1_600_000_000 + blk * 600
        txs = pd.DataFrame({"txid": txid, "block_height": blk, "time": t_time, "version": 2, "locktime": 0,
                            "size": 250, "vsize": 170})
        order = np.lexsort((np.arange(k), spend_tx))
        cb_rows = np.flatnonzero(cb)
        in_tx = np.r_[spend_tx[order], cb_rows]
        prev_txid = np.r_[pool["txid"][pick][order] if k else np.zeros(0, object), np.full(len(cb_rows), None)]
        prev_vout = pd.array(np.r_[pool["vout"][pick][order] if k else np.zeros(0, np.int64),
                                   np.zeros(len(cb_rows), np.int64)], dtype="Int64")
        prev_vout[k:] = pd.NA
        srt = np.argsort(in_tx, kind="stable")
        in_tx, prev_txid, prev_vout = in_tx[srt], prev_txid[srt], prev_vout[srt]
        in_start = np.r_[0, np.cumsum(np.bincount(in_tx, minlength=b))]
        inputs = pd.DataFrame({"txid": txid[in_tx], "vin": np.arange(len(in_tx)) - in_start[in_tx],
                               "prev_txid": prev_txid, "prev_vout": prev_vout, "sequence": 0xFFFFFFFD})
        addrs = _addr(addr_i)
        outputs = pd.DataFrame({"txid": txid[out_tx], "vout": vout, "address": addrs, "value": share,
                                "script_type": "p2wpkh"})
        blocks = pd.DataFrame({"height": np.arange(height, height + n_blocks),
                               "hash": [f"{h:064x}" for h in range(height + 1, height + n_blocks + 1)],
                               "time": 1_600_000_000 + np.arange(height, height + n_blocks) * 600})
        yield txs, inputs, outputs, blocks
        # the pool: what is left of the previous batch plus this batch's outputs
        if pools:
            keep = np.ones(len(pool["value"]), dtype=bool)
            keep[pick] = False
            n_prev = len(pools[-1]["value"])
            last = {k2: v[-n_prev:][keep[-n_prev:]] for k2, v in pool.items()}
            pools = [last]
        pools.append({"txid": txid[out_tx], "vout": vout, "value": share, "addr": addrs})
        made += b
        height += n_blocks


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def phase_import(store_dir: str, n_txs: int, batch_txs: int) -> dict:
    import cryptotrace as ct
    from cryptotrace.chain import Chain

    store = ct.ChainStore(store_dir, threads=2)
    t0 = time.perf_counter()
    gen_s = check_s = 0.0
    it = synthetic_batches(n_txs, batch_txs)
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
    s = store.summary()
    return {"txs": s["transactions"], "inputs": s["inputs"], "outputs": s["outputs"], "addresses": s["addresses"],
            "batches": s["batches"], "wall_s": wall, "generate_s": gen_s, "chain_check_s": check_s,
            "store_s": wall - gen_s - check_s, "tx_per_s": s["transactions"] / wall,
            "tx_per_s_store_only": s["transactions"] / (wall - gen_s - check_s),
            "bytes_on_disk": s["bytes_on_disk"], "bytes_per_tx": s["bytes_on_disk"] / s["transactions"],
            "peak_rss_mb": _rss_mb()}


def phase_cluster(store_dir: str) -> dict:
    import cryptotrace as ct

    store = ct.ChainStore(store_dir, threads=2)
    t0 = time.perf_counter()
    res = store.cluster(engine="duckdb", progress=False)
    wall = time.perf_counter() - t0
    sizes = res.sizes()["size"]
    return {"cluster_s": wall, "n_clusters": res.n_clusters_, "largest": int(sizes.max()),
            "addresses": int(sizes.sum()), "coinjoins_skipped": res.n_skipped_, "peak_rss_mb": _rss_mb()}


def phase_extract(store_dir: str, n: int = 20) -> dict:
    import cryptotrace as ct

    store = ct.ChainStore(store_dir, threads=2)
    seeds = store.query(f"SELECT d.txid FROM txs t JOIN txids d USING (tx_id) USING SAMPLE {n} ROWS").txid.tolist()
    lat, sizes = [], []
    for s in seeds:
        t0 = time.perf_counter()
        sub = store.extract(s, hops=2)
        lat.append(time.perf_counter() - t0)
        sizes.append(len(sub))
    return {"extract_2hop_median_s": float(np.median(lat)), "extract_2hop_p90_s": float(np.percentile(lat, 90)),
            "extract_2hop_first_s": lat[0], "extract_median_txs": float(np.median(sizes)), "peak_rss_mb": _rss_mb()}


def _child(phase: str, *args) -> dict:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, "--phase", phase, *map(str, args)], env=env,
                         capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"phase {phase} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--txs", type=int, default=1_000_000)
    p.add_argument("--batch-txs", type=int, default=100_000)
    p.add_argument("--keep", metavar="DIR", help="build the store here and keep it")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.phase:
        fn = {"import": phase_import, "cluster": phase_cluster, "extract": phase_extract}[a.phase]
        args = [a.rest[0]] + [int(x) for x in a.rest[1:]]
        print(json.dumps(fn(*args)))
        return
    tmp = None
    if a.keep:
        store_dir = Path(a.keep)
        if store_dir.exists():
            shutil.rmtree(store_dir)
    else:
        tmp = tempfile.mkdtemp(prefix="bench_store_")
        store_dir = Path(tmp) / "store"
    try:
        imp = _child("import", store_dir, a.txs, a.batch_txs)
        print(f"import: {imp['txs']:,} txs ({imp['inputs']:,} inputs, {imp['outputs']:,} outputs, "
              f"{imp['addresses']:,} addresses) in {imp['batches']} batches")
        print(f"  {imp['wall_s']:.1f} s = {imp['tx_per_s']:,.0f} tx/s end to end (generate {imp['generate_s']:.1f} s, "
              f"Chain check {imp['chain_check_s']:.1f} s, store {imp['store_s']:.1f} s = "
              f"{imp['tx_per_s_store_only']:,.0f} tx/s)")
        print(f"  peak RSS {imp['peak_rss_mb']:,.0f} MB; on disk {imp['bytes_on_disk'] / 1e6:,.1f} MB = "
              f"{imp['bytes_per_tx']:.0f} bytes per tx")
        cl = _child("cluster", store_dir)
        print(f"cluster (duckdb): {cl['cluster_s']:.1f} s, peak RSS {cl['peak_rss_mb']:,.0f} MB; "
              f"{cl['n_clusters']:,} clusters over {cl['addresses']:,} addresses (largest {cl['largest']:,}), "
              f"{cl['coinjoins_skipped']:,} CoinJoins skipped")
        ex = _child("extract", store_dir)
        print(f"extract 2 hops: median {ex['extract_2hop_median_s'] * 1000:,.0f} ms, p90 "
              f"{ex['extract_2hop_p90_s'] * 1000:,.0f} ms (first {ex['extract_2hop_first_s'] * 1000:,.0f} ms; "
              f"median {ex['extract_median_txs']:,.0f} txs), peak RSS {ex['peak_rss_mb']:,.0f} MB")
        print(json.dumps({"import": imp, "cluster": cl, "extract": ex}))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
