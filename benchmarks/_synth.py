"""Fast synthetic chain tables for benchmarks (not realistic economics: just valid, big, quick to make).

``synthetic_tables(n_txs, seed=0)`` returns ``(txs, inputs, outputs, blocks)``
DataFrames that pass :meth:`cryptotrace.Chain.from_tables`: about 2.5 inputs
and 2.7 outputs per transaction, every output spent at most once, value
conserved, blocks of 2,000 transactions ten minutes apart.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from cryptotrace.addresses import random_addresses


def _txids(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return np.array([r.tobytes().hex() for r in raw], dtype=object)


def synthetic_tables(n_txs: int, *, seed: int = 0, n_addresses: int | None = None, chunk: int = 2000):
    rng = np.random.default_rng(seed)
    n_addresses = n_addresses or max(n_txs // 2, 10)
    kinds = ["p2wpkh", "p2pkh", "p2sh", "p2tr"]
    per = n_addresses // len(kinds) + 1
    pool = np.array(sum((random_addresses(rng, per, k) for k in kinds), []), dtype=object)[:n_addresses]
    txids = _txids(n_txs, seed + 1)
    n_out = rng.choice([1, 2, 2, 2, 3, 3, 4, 5], size=n_txs)  # mean ~2.75
    out_tx = np.repeat(np.arange(n_txs), n_out)
    n_outputs = len(out_tx)
    out_start = np.concatenate([[0], np.cumsum(n_out)])
    vout = np.arange(n_outputs) - out_start[out_tx]
    # each output is spent (90%) by a tx in one of the next 3 chunks
    chunk_of_out = out_tx // chunk
    spend = rng.random(n_outputs) < 0.9
    target_chunk = chunk_of_out + rng.integers(1, 4, size=n_outputs)
    n_chunks = (n_txs + chunk - 1) // chunk
    spend &= target_chunk < n_chunks
    spender = np.full(n_outputs, -1, dtype=np.int64)
    lo = target_chunk[spend] * chunk
    hi = np.minimum(lo + chunk, n_txs)
    spender[spend] = lo + (rng.random(spend.sum()) * (hi - lo)).astype(np.int64)
    # inputs: group spent outputs by spender
    s_idx = np.flatnonzero(spender >= 0)
    order = np.lexsort((s_idx, spender[s_idx]))
    s_idx = s_idx[order]
    in_tx = spender[s_idx]
    n_in = np.bincount(in_tx, minlength=n_txs)
    coinbase = n_in == 0
    in_start = np.concatenate([[0], np.cumsum(n_in)])
    values = np.zeros(n_outputs, dtype=np.int64)
    weights = rng.random(n_outputs) + 0.05
    reward = 625_000_000
    for c in range(n_chunks):  # chunk by chunk: inputs always come from earlier chunks
        t0, t1 = c * chunk, min((c + 1) * chunk, n_txs)
        o0, o1 = out_start[t0], out_start[t1]
        i0, i1 = in_start[t0], in_start[t1]
        in_sum = np.zeros(t1 - t0, dtype=np.int64)
        np.add.at(in_sum, in_tx[i0:i1] - t0, values[s_idx[i0:i1]])
        budget = np.where(coinbase[t0:t1], reward, in_sum - np.minimum(in_sum // 1000, 50_000))
        w = weights[o0:o1]
        wsum = np.zeros(t1 - t0)
        np.add.at(wsum, out_tx[o0:o1] - t0, w)
        share = np.floor(budget[out_tx[o0:o1] - t0] * (w / wsum[out_tx[o0:o1] - t0])).astype(np.int64)
        given = np.zeros(t1 - t0, dtype=np.int64)
        np.add.at(given, out_tx[o0:o1] - t0, share)
        last = out_start[t0 + 1 : t1 + 1] - 1
        share[last - o0] += budget - given
        values[o0:o1] = share
    height = np.arange(n_txs) // chunk
    times = 1_600_000_000 + height * 600
    txs = pd.DataFrame(
        {"txid": txids, "block_height": height, "time": times, "version": 2, "locktime": 0, "size": 250, "vsize": 170}
    )
    outputs = pd.DataFrame(
        {"txid": txids[out_tx], "vout": vout, "address": pool[rng.integers(0, len(pool), n_outputs)], "value": values}
    )
    cb = np.flatnonzero(coinbase)
    inputs = pd.DataFrame(
        {
            "txid": np.concatenate([txids[in_tx], txids[cb]]),
            "vin": np.concatenate([np.arange(len(in_tx)) - in_start[in_tx], np.zeros(len(cb), dtype=np.int64)]),
            "prev_txid": np.concatenate([txids[out_tx[s_idx]], np.full(len(cb), None)]),
            "prev_vout": pd.array(np.concatenate([vout[s_idx], np.zeros(len(cb), dtype=np.int64)]), dtype="Int64"),
            "sequence": 0xFFFFFFFD,
        }
    )
    inputs.loc[len(in_tx) :, "prev_vout"] = pd.NA
    blocks = pd.DataFrame(
        {
            "height": np.arange(n_chunks),
            "hash": [hashlib.sha256(str(h).encode()).hexdigest() for h in range(n_chunks)],
            "time": 1_600_000_000 + np.arange(n_chunks) * 600,
        }
    )
    return txs, inputs, outputs, blocks
