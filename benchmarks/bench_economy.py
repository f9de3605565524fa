"""Benchmark: how fast the economy simulator makes a chain (cryptotrace.cases.generate).

Prints each figure as a ratio against a baseline run in the same process:

* the per-transaction cost of a 100,000-tx economy against a 10,000-tx one (1.0 = perfectly linear),
  and its time against the 20 s budget;
* with ``--full``: a 1,000,000-tx economy against the 4-minute budget, and its peak memory (RSS,
  for the whole process) against the 4 GB budget;
* the numpy bech32 encoder (cases/_fastaddr.py) against the one-at-a-time reference encoder.

Run: ``python benchmarks/bench_economy.py [--full]``
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also run the 1,000,000-tx economy (a few minutes)")
    args = ap.parse_args()

    from cryptotrace.addresses import random_addresses
    from cryptotrace.cases import generate
    from cryptotrace.cases._fastaddr import fast_random_addresses

    rng = np.random.default_rng(0)
    _, t_ref = timed(random_addresses, rng, 50_000, "p2wpkh")
    _, t_fast = timed(fast_random_addresses, rng, 50_000, "p2wpkh")
    print(
        f"address encoding, 50,000 p2wpkh: reference {t_ref:.2f} s, numpy {t_fast:.2f} s -> "
        f"{t_ref / t_fast:.1f}x faster"
    )

    (c10, _), t10 = timed(generate, 10_000, seed=1)
    (c100, _), t100 = timed(generate, 100_000, seed=1)
    per10, per100 = t10 / len(c10), t100 / len(c100)
    print(f"generate 10,000 txs: {t10:.1f} s ({per10 * 1e6:.0f} us/tx)")
    print(
        f"generate 100,000 txs: {t100:.1f} s ({per100 * 1e6:.0f} us/tx) -> per-tx cost {per100 / per10:.2f}x the "
        f"10,000-tx baseline; {t100 / 20:.2f} of the 20 s budget"
    )
    if args.full:
        del c10, c100
        (c1m, _), t1m = timed(generate, 1_000_000, seed=1)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # bytes (Linux reports KiB)
        print(
            f"generate 1,000,000 txs: {t1m:.0f} s ({t1m / len(c1m) * 1e6:.0f} us/tx) -> {t1m / 240:.2f} of the "
            f"4-minute budget; peak memory {peak / 1e9:.2f} GB ({peak / 2**30:.2f} GiB) -> {peak / 4e9:.2f} of "
            "the 4 GB budget (counted as 4,000,000,000 bytes, the stricter reading)"
        )


if __name__ == "__main__":
    main()
