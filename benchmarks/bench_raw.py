"""Benchmark: parsing a real raw block (mainnet block 702861, 2,500 txs, 1.38 MB).

Target (issue 3): >= 10,000 tx/s; bitcoinlib's ``Block.parse_bytes`` manages about
1,000-2,000 tx/s on this block. Both run here, in the same process, on the same bytes.

Three figures for cryptotrace:

* ``parse``: bytes -> tables (txids by double SHA-256, merkle root check, every
  output script decoded to an address): what bitcoinlib's parse also does;
* ``load``: ``load_raw_blocks`` all the way to a checked :class:`Chain`
  (adds ``Chain.from_tables``: ledger checks, integer ids);
* ``blk``: ``load_blk_files`` on the first 256 mainnet blocks (263 txs, mostly
  one-tx blocks: the per-block overhead).

Run::

    python benchmarks/bench_raw.py          # best of 5 runs each
    python benchmarks/bench_raw.py 3
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real" / "blocks"
BLOCK = REAL / "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw"
BLK = REAL / "mainnet_blk_0-256.dat"


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(repeat: int = 5) -> dict:
    from cryptotrace._bcl import configure
    from cryptotrace.io import raw

    configure()
    from bitcoinlib.blocks import Block

    data = BLOCK.read_bytes()
    n = len(raw.parse_block(data)["txs"])
    t_bcl = best(lambda: Block.parse_bytes(data, parse_transactions=True), max(2, repeat // 2))
    t_parse = best(lambda: raw.parse_block(data), repeat)
    t_load = best(lambda: raw.load_raw_blocks(data), repeat)
    n_blk = len(raw.load_blk_files(BLK).txs)
    t_blk = best(lambda: raw.load_blk_files(BLK), repeat)
    res = {
        "txs": n,
        "bitcoinlib_tx_per_s": n / t_bcl,
        "parse_tx_per_s": n / t_parse,
        "load_tx_per_s": n / t_load,
        "blk_tx_per_s": n_blk / t_blk,
    }
    print(f"block 702861: {n:,} transactions, {len(data):,} bytes")
    print(f"  bitcoinlib Block.parse_bytes      {res['bitcoinlib_tx_per_s']:>9,.0f} tx/s  (baseline)")
    print(
        f"  cryptotrace parse (bytes->tables)  {res['parse_tx_per_s']:>9,.0f} tx/s  "
        f"= {res['parse_tx_per_s'] / res['bitcoinlib_tx_per_s']:.1f}x bitcoinlib"
    )
    print(
        f"  cryptotrace load_raw_blocks->Chain {res['load_tx_per_s']:>9,.0f} tx/s  "
        f"= {res['load_tx_per_s'] / res['bitcoinlib_tx_per_s']:.1f}x bitcoinlib"
    )
    print(
        f"blk file, blocks 0-255: {n_blk} txs, load_blk_files {res['blk_tx_per_s']:,.0f} tx/s "
        f"({256 / t_blk:,.0f} blocks/s)"
    )
    target = 10_000
    print(
        f"target >= {target:,} tx/s: parse {'met' if res['parse_tx_per_s'] >= target else 'MISSED'}, "
        f"full load {'met' if res['load_tx_per_s'] >= target else 'MISSED'}"
    )
    return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
