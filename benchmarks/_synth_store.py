"""A streaming synthetic chain written straight into a chain store's Parquet layout (bounded memory).

``write_synthetic_store(path, n_txs)`` makes a :class:`cryptotrace.ChainStore` of ``n_txs``
transactions one batch of whole blocks at a time, with integer ids throughout: it never builds a
``Chain``, never looks a txid or an address up (it knows every id it hands out), and holds only
the current batch and the unspent coins of the previous two. Memory is flat whatever ``n_txs``.

``synthetic_chain_batches(n_txs, batch_txs)`` yields *the same chain* as Chain-schema text tables
(txids, addresses; inputs without the value and address of the coins they spend, as raw blocks
are), for measuring the store's own import (:meth:`ChainStore.import_chain`); a store imported
from those batches has exactly the tables ``write_synthetic_store`` writes (the test
``tests/test_store_synth.py`` compares them).

The model (random spending, not an economy; like ``benchmarks/_synth.py``): blocks of 2,000
transactions, ten minutes apart, the first of each a coinbase; about 2 inputs and 2.2 outputs per
transaction; inputs spend random unspent coins of the previous two batches (so every spend crosses
a file boundary); 70% of outputs pay a fresh address, 30% a random earlier one; 0.5% of the
transactions are JoinMarket-shaped CoinJoins (3 inputs, 3 equal outputs and 2 change) that
clustering must skip. Addresses are address-shaped text (``bc1q`` + 36 hex digits), not decodable.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

BLOCK_TXS = 2000
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_T0 = 1_600_000_000


def _strings(chars: np.ndarray):
    """A pyarrow string array from an (n, width) uint8 array of ASCII characters (no Python loop)."""
    import pyarrow as pa

    n, w = chars.shape
    offsets = (np.arange(n + 1, dtype=np.int64) * w).astype(np.int32 if n * w < 2**31 else np.int64)
    typ = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    arr = pa.Array.from_buffers(typ, n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))])
    return arr.cast(pa.string())


def _hex_digits(x: np.ndarray, digits: int) -> np.ndarray:
    """(n, digits) hex characters of unsigned 64-bit numbers, most significant first."""
    x = x.astype(np.uint64)
    shifts = np.arange(digits - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    nib = (x[:, None] >> np.minimum(shifts, np.uint64(60))[None, :]) & np.uint64(15)
    nib[:, shifts >= 64] = 0
    return _HEX[nib.astype(np.intp)]


def address_text(address_id: np.ndarray):
    """The synthetic address of each id: ``bc1q`` + 16 hex digits of a hash of the id + the id in 20 hex digits."""
    i = np.asarray(address_id, dtype=np.uint64)
    h = (i * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(0xD1B54A32D192ED03)
    chars = np.empty((len(i), 40), dtype=np.uint8)
    chars[:, :4] = np.frombuffer(b"bc1q", dtype=np.uint8)
    chars[:, 4:20] = _hex_digits(h, 16)
    chars[:, 20:] = _hex_digits(i, 20)
    return _strings(chars)


def _txid_text(rng, n: int):
    raw = np.frombuffer(rng.bytes(32 * n), dtype=np.uint8).reshape(n, 32)
    chars = np.empty((n, 64), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 15]
    return _strings(chars)


def _arrow_col(arr) -> pd.arrays.ArrowStringArray:
    return pd.arrays.ArrowStringArray(arr)


def synthetic_store_batches(n_txs: int, batch_txs: int = 200_000, *, seed: int = 0):
    """Yield one batch at a time: a dict of the store's six tables (integer ids) and the batch's facts."""
    rng = np.random.default_rng(seed)
    pools: list[dict] = []  # unspent coins (tx_id, vout, value, address_id) of the last two batches
    next_addr = 0
    made = 0
    height = 0
    while made < n_txs:
        b = min(batch_txs, n_txs - made)
        b -= b % BLOCK_TXS if b > BLOCK_TXS else 0
        blk = np.arange(b) // BLOCK_TXS + height
        n_blocks = int(blk[-1] - height + 1)
        tx_id = made + np.arange(b, dtype=np.int64)
        txid = _txid_text(rng, b)
        pool = {k: np.concatenate([p[k] for p in pools]) for k in ("tx_id", "vout", "value", "addr")} if pools else None
        cb = np.zeros(b, dtype=bool)
        cb[np.r_[0:b:BLOCK_TXS]] = True
        n_in = np.where(cb, 1, rng.choice([1, 1, 1, 2, 2, 3, 4], size=b))
        cj = ~cb & (rng.random(b) < 0.005)  # JoinMarket form (BlockSci's rule): 3 inputs, 3 equal outputs + 2 change
        n_in[cj] = 3
        if pool is None:
            cb[:] = True
            n_in[:] = 1
        else:  # as many spending txs as the pool allows; the rest become coinbases
            need = np.cumsum(np.where(cb, 0, n_in))
            cb |= need > len(pool["value"])
            n_in = np.where(cb, 1, n_in)
        cj &= ~cb
        n_out = rng.choice([1, 2, 2, 2, 3], size=b)
        n_out[cj] = 5
        # inputs: each spending tx takes n_in random unspent coins of the pool
        spend_tx = np.repeat(np.flatnonzero(~cb), n_in[~cb])
        k = len(spend_tx)
        pick = rng.choice(len(pool["value"]), size=k, replace=False) if k else np.zeros(0, np.int64)
        in_value = pool["value"][pick] if k else np.zeros(0, np.int64)
        in_sum = np.bincount(spend_tx, weights=in_value, minlength=b).astype(np.int64)
        budget = np.where(cb, 312_500_000, in_sum - np.minimum(in_sum // 1000, 20_000))
        # outputs: the budget split by random weights (integer, exact)
        out_tx = np.repeat(np.arange(b), n_out)
        w = rng.random(len(out_tx)) + 0.05
        wsum = np.bincount(out_tx, weights=w, minlength=b)
        share = np.floor(budget[out_tx] * (w / wsum[out_tx])).astype(np.int64)
        out_start = np.r_[0, np.cumsum(n_out)]
        share[out_start[1:] - 1] += budget - np.bincount(out_tx, weights=share, minlength=b).astype(np.int64)
        t = np.flatnonzero(cj)  # 3 equal outputs, two unequal change outputs, nothing lost
        v = budget[t] // 4
        c1 = (budget[t] - 3 * v) // 3
        for j, val in enumerate((v, v, v, c1, budget[t] - 3 * v - c1)):
            share[out_start[t] + j] = val
        fresh = rng.random(len(out_tx)) < 0.7
        addr = np.where(fresh, next_addr + np.cumsum(fresh) - 1, rng.integers(0, max(next_addr, 1), size=len(out_tx)))
        new_addr = next_addr + np.arange(int(fresh.sum()), dtype=np.int64)
        vout = np.arange(len(out_tx)) - out_start[out_tx]
        fee = np.where(cb, 0, in_sum - np.bincount(out_tx, weights=share, minlength=b).astype(np.int64))
        # inputs in (tx, vin) order; the coinbase input of each coinbase tx
        order = np.lexsort((np.arange(k), spend_tx))
        cb_rows = np.flatnonzero(cb)
        in_tx = np.r_[spend_tx[order], cb_rows]
        coin = np.r_[pick[order], np.full(len(cb_rows), -1)]
        srt = np.argsort(in_tx, kind="stable")
        in_tx, coin = in_tx[srt], coin[srt]
        in_start = np.r_[0, np.cumsum(np.bincount(in_tx, minlength=b))]
        spends = coin >= 0

        def opt(src, coin=coin, spends=spends):  # a pool column for the spending inputs, NA for coinbase inputs
            out = pd.array(np.zeros(len(coin), np.int64), dtype="Int64")
            out[spends] = src[coin[spends]]
            out[~spends] = pd.NA
            return out

        times = pd.to_datetime(_T0 + blk * 600, unit="s", utc=True)
        tables = {
            "blocks": pd.DataFrame(
                {
                    "height": np.arange(height, height + n_blocks),
                    "hash": [f"{h:064x}" for h in range(height + 1, height + n_blocks + 1)],
                    "time": pd.to_datetime(_T0 + np.arange(height, height + n_blocks) * 600, unit="s", utc=True),
                    "n_tx": np.bincount(blk - height, minlength=n_blocks),
                }
            ),
            "txs": pd.DataFrame(
                {
                    "tx_id": tx_id,
                    "block_height": blk,
                    "time": times,
                    "version": 2,
                    "locktime": 0,
                    "size": 250,
                    "vsize": 170,
                    "fee": fee,
                    "is_coinbase": cb,
                    "n_in": n_in,
                    "n_out": n_out,
                }
            ),
            "inputs": pd.DataFrame(
                {
                    "tx_id": tx_id[in_tx],
                    "vin": np.arange(len(in_tx)) - in_start[in_tx],
                    "prev_tx_id": opt(pool["tx_id"]) if pool else opt(np.zeros(0, np.int64)),
                    "prev_vout": opt(pool["vout"]) if pool else opt(np.zeros(0, np.int64)),
                    "address_id": opt(pool["addr"]) if pool else opt(np.zeros(0, np.int64)),
                    "address_source": pd.array(np.where(spends, "prevout", None), dtype="string[pyarrow]"),
                    "value": opt(pool["value"]) if pool else opt(np.zeros(0, np.int64)),
                    "sequence": 0xFFFFFFFD,
                }
            ),
            "outputs": pd.DataFrame(
                {
                    "tx_id": tx_id[out_tx],
                    "vout": vout,
                    "address_id": addr,
                    "value": share,
                    "script_type": pd.array(np.full(len(out_tx), "p2wpkh"), dtype="string[pyarrow]"),
                }
            ),
            "txids": pd.DataFrame({"tx_id": tx_id, "txid": _arrow_col(txid)}),
            "addresses": pd.DataFrame({"address_id": new_addr, "address": _arrow_col(address_text(new_addr))}),
        }
        info = {
            "first_height": height,
            "last_height": height + n_blocks - 1,
            "n_new_txids": b,
            "n_new_addresses": len(new_addr),
            "n_unresolved": 0,
        }
        yield tables, info
        # the pool: what is left of the previous batch plus this batch's outputs
        if pools:
            keep = np.ones(len(pool["value"]), dtype=bool)
            keep[pick] = False
            n_prev = len(pools[-1]["value"])
            pools = [{k2: v2[-n_prev:][keep[-n_prev:]] for k2, v2 in pool.items()}]
        pools.append({"tx_id": tx_id[out_tx], "vout": vout, "value": share, "addr": addr})
        next_addr += len(new_addr)
        made += b
        height += n_blocks


def write_synthetic_store(
    path, n_txs: int, *, batch_txs: int = 200_000, seed: int = 0, progress: bool = False, memory_limit: str = "2GB"
):
    """Write a synthetic chain of ``n_txs`` transactions into a new chain store at ``path``; returns the store.

    Each batch goes through the store's own atomic commit (files aside, renamed, then the manifest).
    """
    import cryptotrace as ct

    store = ct.ChainStore(path, memory_limit=memory_limit)
    if store.n_batches:
        raise ValueError(f"{path} already holds a store; give a new folder")
    t0 = time.perf_counter()
    with store._writing():
        for tables, info in synthetic_store_batches(n_txs, batch_txs, seed=seed):
            store._commit(tables, **info)
            if progress:
                print(f"  {store.n_txs:>12,} txs  {time.perf_counter() - t0:7.1f} s", flush=True)
    return store


def _seconds(times: pd.Series) -> np.ndarray:
    return ((times - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)


def synthetic_chain_batches(n_txs: int, batch_txs: int = 200_000, *, seed: int = 0):
    """The same chain as Chain-schema text tables ``(txs, inputs, outputs, blocks)``, one batch at a time.

    Inputs carry only their outpoint (as in raw blocks): the store finds the spent coin's value and address.
    """
    recent: list[tuple[int, np.ndarray]] = []  # (first tx_id, txid text) of the last three batches
    for tables, _ in synthetic_store_batches(n_txs, batch_txs, seed=seed):
        t, i, o, blocks = tables["txs"], tables["inputs"], tables["outputs"], tables["blocks"]
        first = int(t.tx_id.iloc[0])
        text = tables["txids"].txid.to_numpy(dtype=object)
        recent = (recent + [(first, text)])[-3:]
        base = recent[0][0]
        lookup = np.concatenate([x for _, x in recent])

        def txid_of(ids, lookup=lookup, base=base):
            v = pd.array(ids, dtype="Int64")
            na = np.asarray(pd.isna(v), dtype=bool)
            out = np.full(len(v), None, dtype=object)
            out[~na] = lookup[v[~na].to_numpy(np.int64) - base]
            return out

        addr = address_text(o.address_id.to_numpy(np.int64)).to_numpy(zero_copy_only=False)
        txs = pd.DataFrame(
            {
                "txid": text,
                "block_height": t.block_height,
                "time": _seconds(t.time),
                "version": 2,
                "locktime": 0,
                "size": 250,
                "vsize": 170,
            }
        )
        inputs = pd.DataFrame(
            {
                "txid": txid_of(i.tx_id),
                "vin": i.vin,
                "prev_txid": txid_of(i.prev_tx_id),
                "prev_vout": i.prev_vout,
                "sequence": i.sequence,
            }
        )
        outputs = pd.DataFrame(
            {"txid": txid_of(o.tx_id), "vout": o.vout, "address": addr, "value": o.value, "script_type": "p2wpkh"}
        )
        yield txs, inputs, outputs, blocks.drop(columns=["n_tx"]).assign(time=_seconds(blocks.time))
