"""Speed of cryptotrace.trace on a 1,000,000-transaction synthetic chain.

Targets (issue 6): a 10-hop haircut trace from one output <= 2 s; a 50-hop
poison trace <= 5 s. Each figure is printed beside a baseline run in the
same process: a plain numpy breadth-first reachability pass over the same
index arrays for the same number of hops (no amounts, no policy), i.e. the
least any hop-by-hop trace has to do; and one plain numpy pass over all
outputs (value paid out per transaction), the cost of touching the chain once.

With ``--baseline REV`` (a git revision, e.g. ``main`` or a commit), the
tracing code of that revision (the module ``tracing.py``, or the package
``tracing/``) is loaded beside the current one and the same traces are timed with
both in the same run, so a change to the engine is measured as a ratio
(new / old; below 1 is faster).

Run:  python benchmarks/bench_tracing.py [--txs 1000000] [--repeat 3] [--baseline REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cryptotrace.addresses import random_addresses
from cryptotrace.chain import Chain
from cryptotrace.tracing import trace


def make_chain(n: int, *, seed: int = 0, gap: int = 1000, mean_wait: int = 3000) -> Chain:
    """A valid random chain of ``n`` transactions, built with numpy in chunks.

    Every output is spent (90 %) by a transaction at least ``gap`` positions
    later, so the values of a chunk of ``gap`` transactions depend only on
    earlier chunks and can be computed together. Transactions that receive no
    input are newly mined coins.
    """
    rng = np.random.default_rng(seed)
    n_out = rng.choice([1, 2, 3], size=n, p=[0.2, 0.6, 0.2]).astype(np.int64)
    out_tx = np.repeat(np.arange(n, dtype=np.int64), n_out)
    out_start = np.concatenate([[0], np.cumsum(n_out)])
    vout = np.arange(len(out_tx)) - out_start[out_tx]
    m = len(out_tx)
    spender = out_tx + gap + rng.geometric(1 / mean_wait, size=m)
    spender[(spender >= n) | (rng.random(m) > 0.9)] = -1
    spent = np.flatnonzero(spender >= 0)
    spent = spent[np.lexsort((rng.random(len(spent)), spender[spent]))]  # inputs grouped by spender
    in_tx = spender[spent]
    n_in = np.bincount(in_tx, minlength=n)
    in_start = np.concatenate([[0], np.cumsum(n_in)])
    value = np.zeros(m, dtype=np.int64)
    weight = rng.random(m) + 0.05
    for a in range(0, n, gap):
        b = min(a + gap, n)
        lo, hi = in_start[a], in_start[b]
        in_sum = np.bincount(in_tx[lo:hi] - a, weights=value[spent[lo:hi]], minlength=b - a).astype(np.int64)
        cb = n_in[a:b] == 0
        in_sum[cb] = rng.integers(10**8, 5 * 10**9, size=int(cb.sum()))
        fee = np.where(cb, 0, np.minimum(in_sum // 100, rng.integers(1000, 20000, size=b - a)))
        rest = in_sum - fee
        o0, o1 = out_start[a], out_start[b]
        g = out_tx[o0:o1] - a
        w = weight[o0:o1]
        wsum = np.bincount(g, weights=w, minlength=b - a)
        v = np.floor(rest[g] * (w / wsum[g])).astype(np.int64)
        last = out_start[a + 1 : b + 1] - 1 - o0
        v[last] += rest - np.bincount(g, weights=v, minlength=b - a).astype(np.int64)
        value[o0:o1] = v
    raw = rng.bytes(32 * n).hex()
    txids = np.array([raw[i * 64 : (i + 1) * 64] for i in range(n)], dtype=object)
    pool = np.array(random_addresses(rng, 20_000), dtype=object)
    txs = pd.DataFrame(
        {"txid": txids, "block_height": np.arange(n) // 2000, "time": 1_500_000_000 + (np.arange(n) // 2000) * 600}
    )
    outputs = pd.DataFrame(
        {"txid": txids[out_tx], "vout": vout, "value": value, "address": pool[rng.integers(0, len(pool), size=m)]}
    )
    vin = np.arange(len(in_tx)) - in_start[in_tx]
    inputs = pd.DataFrame(
        {"txid": txids[in_tx], "vin": vin, "prev_txid": txids[out_tx[spent]], "prev_vout": vout[spent]}
    )
    return Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs, validate=False)


def reachability(chain: Chain, start_row: int, hops: int) -> int:
    """Baseline: plain numpy BFS over the same index arrays (outputs reachable in ``hops``)."""
    ix = chain.index
    seen_tx = np.zeros(ix.n_txs, dtype=bool)
    frontier = np.array([start_row])
    reached = 0
    for _ in range(hops):
        sp = ix.input_of_output[frontier]
        tx = np.unique(ix.tx_of_input[sp[sp >= 0]])
        tx = tx[~seen_tx[tx]]
        if not len(tx):
            break
        seen_tx[tx] = True
        lens = ix.out_start[tx + 1] - ix.out_start[tx]
        frontier = np.repeat(ix.out_start[tx], lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
        reached += len(frontier)
    return reached


def full_pass(chain: Chain) -> int:
    """Second baseline: one plain numpy pass over the whole index (value paid out per transaction)."""
    ix = chain.index
    v = chain.outputs.value.to_numpy(np.int64)
    csum = np.concatenate([[0], np.cumsum(v)])
    return int((csum[ix.out_start[1:]] - csum[ix.out_start[:-1]]).max())


def load_baseline(rev: str):
    """The ``trace`` function of cryptotrace's tracing code at git revision ``rev``.

    Before the split that is the module ``src/cryptotrace/tracing.py``; after it the package
    ``src/cryptotrace/tracing/``. Either is loaded as ``cryptotrace._tracing_baseline`` (inside the
    package, so its relative imports resolve).
    """
    root = Path(__file__).resolve().parents[1]
    name = "cryptotrace._tracing_baseline"
    tmp = Path(tempfile.mkdtemp())
    files = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "src/cryptotrace/tracing/"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if files:  # a package: copy its files, the relative imports one level deeper resolve as before
        pkg = tmp / "_tracing_baseline"
        pkg.mkdir()
        for f in files:
            text = subprocess.run(
                ["git", "show", f"{rev}:{f}"], cwd=root, check=True, capture_output=True, text=True
            ).stdout
            (pkg / Path(f).name).write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, pkg / "__init__.py", submodule_search_locations=[str(pkg)])
    else:
        text = subprocess.run(
            ["git", "show", f"{rev}:src/cryptotrace/tracing.py"], cwd=root, check=True, capture_output=True, text=True
        ).stdout
        path = tmp / "_tracing_baseline.py"
        path.write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod.trace


def compare(chain, start, wide, old_trace, repeat):
    """Time the same traces with the current and the baseline engine; print new / old.

    FIFO, LIFO and TIHO send one coin's taint down few paths, so they start from ``wide``
    (many outputs) to have work to time."""
    runs = [
        ("10-hop haircut", dict(policy="haircut", max_hops=10), dict(policy="haircut", max_hops=10)),
        ("50-hop poison", dict(policy="poison", max_hops=50), dict(policy="poison", max_hops=50)),
        ("50-hop haircut", dict(policy="haircut", max_hops=50), dict(policy="haircut", max_hops=50)),
        (
            "50-hop fifo, fee proportional (same work)",
            dict(policy="fifo", fee_policy="proportional"),
            dict(policy="fifo", fee_policy="proportional"),
        ),
        ("50-hop fifo, each default (new: fee last)", dict(policy="fifo"), dict(policy="fifo")),
        ("50-hop fifo, fifo_order='keep' (new only)", dict(policy="fifo", fifo_order="keep"), dict(policy="fifo")),
        (
            "50-hop lifo, fee proportional (same work)",
            dict(policy="lifo", fee_policy="proportional"),
            dict(policy="lifo", fee_policy="proportional"),
        ),
        (
            "50-hop tiho, fee proportional (same work)",
            dict(policy="tiho", fee_policy="proportional"),
            dict(policy="tiho", fee_policy="proportional"),
        ),
    ]
    for _, new_kw, old_kw in runs[3:]:  # FIFO/LIFO/TIHO: follow everything, so there is work to time
        for kw in (new_kw, old_kw):
            kw.update(max_hops=50, min_value=0, start=wide)
    print("baseline comparison (same chain, same start, best of each; ratio new / old):")
    for label, new_kw, old_kw in runs:
        new_kw, old_kw = dict(new_kw), dict(old_kw)
        s_new, s_old = new_kw.pop("start", start), old_kw.pop("start", start)
        new_s = old_s = float("inf")
        for _ in range(repeat):  # alternate, so that load from other work hits both alike
            new_s = min(new_s, best(lambda: trace(chain, s_new, **new_kw).endpoints, 1)[0])
            old_s = min(old_s, best(lambda: old_trace(chain, s_old, **old_kw).endpoints, 1)[0])
        t_new, t_old = trace(chain, s_new, **new_kw), old_trace(chain, s_old, **old_kw)
        n_new, n_old = t_new.summary()["txs_followed"], t_old.summary()["txs_followed"]
        same = ""
        if new_kw == old_kw:  # the same trace: the tables must be the same too
            same = (
                "; flows and endpoints identical"
                if (t_new.endpoints.equals(t_old.endpoints) and t_new.flows.equals(t_old.flows))
                else "; TABLES DIFFER"
            )
        print(
            f"  {label}: new {new_s:.3f} s ({n_new:,} txs), old {old_s:.3f} s ({n_old:,} txs): "
            f"ratio {new_s / old_s:.2f}{same}"
        )


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--txs", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default=None, help="git revision whose tracing.py to time beside this one")
    args = ap.parse_args()
    old_trace = load_baseline(args.baseline) if args.baseline else None
    t0 = time.perf_counter()
    chain = make_chain(args.txs)
    print(f"built {chain!r} in {time.perf_counter() - t0:.1f} s")
    ix = chain.index
    # start: a spent output of an early, ordinary transaction (lots of future to follow)
    rows = np.flatnonzero((ix.input_of_output >= 0) & (ix.tx_of_output > 5000) & (ix.tx_of_output < 6000))
    start_row = int(rows[0])
    t = ix.tx_of_output[start_row]
    start = f"{ix.txids[t]}:{start_row - ix.out_start[t]}"
    print(f"start output {start}")
    pass_s, _ = best(lambda: full_pass(chain), args.repeat)
    for label, policy, hops, target in (("10-hop haircut", "haircut", 10, 2.0), ("50-hop poison", "poison", 50, 5.0)):
        base_s, reached = best(lambda: reachability(chain, start_row, hops), args.repeat)
        tr_s, tr = best(lambda: trace(chain, start, policy=policy, max_hops=hops), args.repeat)
        full_s, _ = best(lambda: trace(chain, start, policy=policy, max_hops=hops).endpoints, args.repeat)
        s = tr.summary()
        print(
            f"{label}: {s['txs_followed']:,} txs followed, {s['endpoints']:,} endpoints "
            f"({reached:,} outputs reachable in {hops} hops)"
        )
        print(
            f"  trace {tr_s:.3f} s; with the endpoints table {full_s:.3f} s (target <= {target} s: "
            f"{'met' if full_s <= target else 'MISSED'})"
        )
        print(
            f"  baseline numpy reachability {base_s:.3f} s; trace / baseline = {tr_s / base_s:.1f}x, "
            f"with table {full_s / base_s:.1f}x"
        )
        print(
            f"  baseline one numpy pass over all {len(chain.outputs):,} outputs {pass_s:.3f} s; "
            f"trace / pass = {tr_s / pass_s:.1f}x"
        )
    # no target, for information: haircut over the same 50 hops (taint spreads thin; recomputation when
    # more taint arrives later), with the default dust threshold and with none at all
    for mv in (546, 0):
        base_s, _ = best(lambda: reachability(chain, start_row, 50), args.repeat)
        tr_s, tr = best(lambda: trace(chain, start, policy="haircut", max_hops=50, min_value=mv).endpoints, args.repeat)
        t1 = trace(chain, start, policy="haircut", max_hops=50, min_value=mv)
        print(
            f"50-hop haircut, min_value={mv}: {t1.summary()['txs_followed']:,} txs followed in "
            f"{t1._e.iterations} rounds; {tr_s:.3f} s with the endpoints table "
            f"= {tr_s / base_s:.1f}x the 50-hop reachability pass"
        )
    # the annotated coin table, without and with the money columns (EUR and USD at the time, issue 17):
    # the same trace, timed alternately; the ratio is the cost of pricing every coin
    for label, policy, hops in (("10-hop haircut", "haircut", 10), ("50-hop poison", "poison", 50)):
        bare_s = fiat_s = float("inf")
        for _ in range(args.repeat):
            bare_s = min(
                bare_s, best(lambda: trace(chain, start, policy=policy, max_hops=hops, fiat=False).coins, 1)[0]
            )
            fiat_s = min(fiat_s, best(lambda: trace(chain, start, policy=policy, max_hops=hops).coins, 1)[0])
        n = len(trace(chain, start, policy=policy, max_hops=hops, fiat=False).coins)
        ep_bare, _ = best(lambda: trace(chain, start, policy=policy, max_hops=hops, fiat=False).endpoints, args.repeat)
        ep_fiat, _ = best(lambda: trace(chain, start, policy=policy, max_hops=hops).endpoints, args.repeat)
        print(
            f"{label} coin table ({n:,} rows): fiat=False {bare_s:.3f} s, with EUR/USD {fiat_s:.3f} s: "
            f"ratio {fiat_s / bare_s:.2f}; endpoints {ep_bare:.3f} s -> {ep_fiat:.3f} s: "
            f"ratio {ep_fiat / ep_bare:.2f}"
        )
    if old_trace is not None:
        wide = [f"{ix.txids[ix.tx_of_output[r]]}:{r - ix.out_start[ix.tx_of_output[r]]}" for r in rows[:2000]]
        print(f"wide start for FIFO/LIFO/TIHO: {len(wide):,} outputs")
        compare(chain, start, wide, old_trace, args.repeat)


if __name__ == "__main__":
    main()
