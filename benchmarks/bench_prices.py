"""Benchmark: add_fiat (EUR and USD at the time) on a large coin table.

Baseline in the same run: ``pandas.merge_asof`` of the same times against the same daily
table (the usual pandas way to look up "the price of that day"). Run::

    python benchmarks/bench_prices.py            # 2,000,000 rows
    python benchmarks/bench_prices.py 200000     # quicker
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from cryptotrace.prices import add_fiat, load_prices


def main(n: int = 2_000_000) -> None:
    rng = np.random.default_rng(1)
    prices = load_prices()
    lo = int(pd.Timestamp("2009-06-01", tz="UTC").timestamp())
    hi = int(pd.Timestamp("2026-12-31", tz="UTC").timestamp())
    coins = pd.DataFrame(
        {
            "value": rng.integers(1, 10**9, n),
            "traced_value": rng.integers(0, 10**9, n),
            "time": pd.to_datetime(rng.integers(lo, hi, n), unit="s", utc=True),
        }
    )
    t = time.perf_counter()
    out = add_fiat(coins, prices)
    ours = time.perf_counter() - t

    t = time.perf_counter()
    left = coins.sort_values("time")
    right = prices.table[["time", "btc_eur", "btc_usd"]]
    base = pd.merge_asof(left, right, on="time", direction="backward")
    base["value_eur"] = base.value / 1e8 * base.btc_eur
    base["value_usd"] = base.value / 1e8 * base.btc_usd
    base["tainted_value_eur"] = base.traced_value / 1e8 * base.btc_eur
    base["tainted_value_usd"] = base.traced_value / 1e8 * base.btc_usd
    baseline = time.perf_counter() - t
    with_price = int(np.isfinite(out.value_eur).sum())
    print(
        f"add_fiat, {n:,} rows ({with_price:,} with a price): {ours:.2f} s; "
        f"baseline merge_asof (no notes, no bounds): {baseline:.2f} s; ratio {ours / baseline:.2f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)
