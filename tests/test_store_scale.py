"""The chain store at scale: the synthetic store writer, the look-up indexes, the real blk file, and 10M transactions.

* The benchmark's direct writer (``benchmarks/_synth_store.py``) must write exactly the store that
  ``ChainStore.import_chain`` makes from the same transactions as text, so the benchmark measures
  real stores.
* Extraction through the look-up indexes must equal a breadth-first search written as plain SQL
  over the base tables (no index), and the real ``blk`` store must answer with the published facts
  of those blocks.
* ``slow``: a 10,000,000-transaction synthetic store answers the same queries (a few minutes).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cryptotrace as ct
from cryptotrace.chain import Chain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _synth_store import synthetic_chain_batches, write_synthetic_store  # noqa: E402

BLK = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "blocks" / "mainnet_blk_0-256.dat"
HAL = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
SATOSHI = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"  # paid by block 9's coinbase, spent in block 170


def _bfs_sql(store, seeds_tx: np.ndarray, hops: int) -> set:
    """The ``hops``-step neighbourhood (both directions) by plain SQL over ``inputs`` and ``txs`` (no index)."""
    sel = {int(x) for x in seeds_tx}
    frontier = sel
    for _ in range(hops):
        w = pd.DataFrame({"tx_id": np.array(sorted(frontier), dtype=np.int64)})
        fwd = store.query("SELECT DISTINCT tx_id FROM inputs WHERE prev_tx_id IN (SELECT tx_id FROM w)", w=w)
        back = store.query(
            "SELECT DISTINCT t.tx_id FROM txs t JOIN inputs i ON t.tx_id = i.prev_tx_id "
            "WHERE i.tx_id IN (SELECT tx_id FROM w)",
            w=w,
        )
        nxt = set(fwd.tx_id.astype(np.int64)) | set(back.tx_id.astype(np.int64))
        frontier = nxt - sel
        sel |= frontier
    return sel


def _address_txs_sql(store, address: str) -> np.ndarray:
    r = store.query(
        "SELECT DISTINCT tx_id FROM (SELECT tx_id, address_id FROM outputs UNION ALL "
        "SELECT tx_id, address_id FROM inputs) JOIN addresses USING (address_id) WHERE address = $a".replace(
            "$a", "'" + address + "'"
        )
    )
    return r.tx_id.to_numpy(np.int64)


def _txids(store, tx_ids) -> set:
    w = pd.DataFrame({"tx_id": np.asarray(sorted(tx_ids), dtype=np.int64)})
    return set(store.query("SELECT txid FROM txids SEMI JOIN w USING (tx_id)", w=w).txid)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return write_synthetic_store(tmp_path_factory.mktemp("synth") / "s", 30_000, batch_txs=6_000)


def test_direct_writer_equals_import_chain_of_the_same_transactions(synth, tmp_path):
    imported = ct.ChainStore(tmp_path / "imported")
    for txs, inputs, outputs, blocks in synthetic_chain_batches(30_000, 6_000):
        # inputs carry only their outpoints: the store finds every spent coin's value and address
        assert inputs.columns.tolist() == ["txid", "vin", "prev_txid", "prev_vout", "sequence"]
        imported.import_chain(
            Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs, blocks=blocks, check_addresses=False),
            progress=False,
        )
    assert imported.n_batches == synth.n_batches == 5
    for t in ct.store.STORE_TABLES:
        cols = "* REPLACE (epoch(time)::BIGINT AS time)" if t in ("txs", "blocks") else "*"
        a = synth.query(f"SELECT {cols} FROM {t} ORDER BY ALL")
        b = imported.query(f"SELECT {cols} FROM {t} ORDER BY ALL")
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=t)
    keys = ("n_txs", "n_inputs", "n_outputs", "tx_id_min", "tx_id_max", "txids_from", "addresses_from")
    assert [{k: x[k] for k in keys} for x in synth.manifest["batches"]] == [
        {k: x[k] for k in keys} for x in imported.manifest["batches"]
    ]
    # value is conserved and every spend is resolved
    r = synth.query(
        "SELECT count(*) FILTER (WHERE prev_tx_id IS NOT NULL AND value IS NULL) AS unresolved, "
        "sum(value) AS spent FROM inputs"
    )
    assert r.unresolved[0] == 0
    fees = synth.query("SELECT sum(fee) AS f, min(fee) AS lo FROM txs")
    outs = synth.query("SELECT sum(value) AS v FROM outputs").v[0]
    coinbase = synth.query("SELECT count(*) AS n FROM txs WHERE is_coinbase").n[0]
    assert outs == coinbase * 312_500_000 + r.spent[0] - fees.f[0] and fees.lo[0] >= 0


def test_indexes_agree_with_the_base_tables(synth):
    # address_txs: exactly the (address, tx) pairs of inputs and outputs
    got = synth.query(
        "SELECT count(*) AS n FROM (SELECT * FROM address_txs EXCEPT "
        "(SELECT address_id, tx_id FROM inputs WHERE address_id IS NOT NULL UNION "
        "SELECT address_id, tx_id FROM outputs))"
    ).n[0]
    pairs = synth.query(
        "SELECT count(*) AS n FROM (SELECT DISTINCT address_id, tx_id FROM (SELECT address_id, tx_id "
        "FROM inputs UNION ALL SELECT address_id, tx_id FROM outputs) WHERE address_id IS NOT NULL)"
    ).n[0]
    assert got == 0 and synth.query("SELECT count(*) AS n FROM address_txs").n[0] == pairs
    # spenders: one row per spending input; dictionaries by id hold the same rows as by text
    assert (
        synth.query("SELECT count(*) AS n FROM spenders").n[0]
        == synth.query("SELECT count(*) AS n FROM inputs WHERE prev_tx_id IS NOT NULL").n[0]
    )
    for a, b in (("txids", "txids_by_id"), ("addresses", "addresses_by_id")):
        assert synth.query(f"SELECT count(*) AS n FROM (SELECT * FROM {a} EXCEPT SELECT * FROM {b})").n[0] == 0


@pytest.mark.parametrize("k", [0, 1, 2])
def test_two_hop_extraction_from_an_address_equals_plain_sql(synth, k):
    # busy, middling and quiet addresses
    counts = synth.query(
        "SELECT address_id, count(*) AS n FROM address_txs GROUP BY address_id ORDER BY n DESC, address_id"
    )
    aid = int(counts.address_id.iloc[[0, len(counts) // 3, len(counts) - 1][k]])
    address = synth.query(f"SELECT address FROM addresses WHERE address_id = {aid}").address[0]
    seeds = _address_txs_sql(synth, address)
    want = _txids(synth, _bfs_sql(synth, seeds, 2))
    got = synth.extract(address, hops=2)
    assert set(got.txs.txid) == want and len(want) >= len(seeds) >= 1
    view = synth.address(address)
    bal = synth.query(
        f"SELECT (SELECT coalesce(sum(value), 0) FROM outputs WHERE address_id = {aid}) - "
        f"(SELECT coalesce(sum(value), 0) FROM inputs WHERE address_id = {aid}) AS b"
    ).b[0]
    assert view.balance == bal


def test_real_blk_store_answers_with_the_published_facts(tmp_path):
    s = ct.ChainStore(tmp_path / "blk")
    s.import_blk_files([BLK], batch_txs=100, progress=False)
    blocks = s.query("SELECT height, hash FROM blocks ORDER BY height")
    # published block hashes: the genesis block and block 170 (the first payment between people)
    assert blocks.hash[0] == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    assert blocks.set_index("height").hash[170] == "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee"
    # the genesis coinbase pays 50 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
    g = s.address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    assert g.balance == 50 * 10**8 and len(g.transactions) == 1
    # Satoshi -> Hal Finney: 10 BTC to Hal, 40 BTC change, spending block 9's coinbase
    v = s.tx(HAL)
    assert v.block_height == 170 and v.inputs.value.tolist() == [50 * 10**8]
    assert v.outputs.address.tolist() == ["1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", SATOSHI]
    # the change chain onward from block 170 (blocks 181, 182, 183, 187, 221, 248; see the data's README)
    fwd = s.extract(HAL, hops=6, direction="forward")
    assert sorted(fwd.txs.block_height.astype(int)) == [170, 181, 182, 183, 187, 221, 248]
    assert "a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be" in set(fwd.txs.txid)  # block 181
    # the 40 BTC change traced forward: the whole coin stays accounted for along that chain
    t = s.trace(f"{HAL}:1", max_hops=6)
    ends = t.endpoints
    assert int(ends.tainted_value.sum()) == t.start_value == 40 * 10**8 and t.records_complete
    # block 181 pays 10 BTC to 1DUDsfc23Dv9sPMEk5RsrtfzCw5ofi5sVW (the second person-to-person payment)
    first = ends[ends.txid == "a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be"]
    assert first.address.tolist() == ["1DUDsfc23Dv9sPMEk5RsrtfzCw5ofi5sVW"] and first.value.tolist() == [10 * 10**8]
    # clustering: no transaction in these blocks has two inputs, so every address is its own cluster
    res = s.cluster(progress=False)
    assert res.n_clusters_ == s.summary()["addresses"]
    assert s.cluster_of(SATOSHI) != s.cluster_of("1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3")


@pytest.mark.slow
@pytest.mark.long
def test_ten_million_transaction_store_answers_the_queries(tmp_path):
    n = 10_000_000
    s = write_synthetic_store(tmp_path / "big", n)
    assert s.n_txs == n and s.n_batches == 50
    # a transaction near the end, with its inputs resolved from earlier batches
    t = s.query(
        f"SELECT d.txid FROM txs t JOIN txids_by_id d USING (tx_id) WHERE t.tx_id = {n - 5} AND NOT is_coinbase"
    )
    if len(t):
        v = s.tx(t.txid[0])
        assert v.inputs.value.notna().all() and v.fee >= 0
    # an address: history and balance equal plain SQL; a 2-hop neighbourhood equals the SQL search
    aid = n // 3
    address = s.query(f"SELECT address FROM addresses_by_id WHERE address_id = {aid}").address[0]
    view = s.address(address)
    assert len(view.transactions) == len(_address_txs_sql(s, address))
    got = s.extract(address, hops=2)
    assert set(got.txs.txid) == _txids(s, _bfs_sql(s, _address_txs_sql(s, address), 2))
    # clustering: co-inputs of a multi-input, non-CoinJoin transaction share a cluster
    res = s.cluster(progress=False)
    assert res.n_clusters_ > 0 and res.n_skipped_ > 0
    multi = s.query(
        "SELECT i.tx_id, a.address FROM inputs i JOIN addresses_by_id a USING (address_id) "
        f"WHERE i.tx_id BETWEEN {n - 2000} AND {n - 1} QUALIFY count(*) OVER (PARTITION BY i.tx_id) = 2 "
        "ORDER BY i.tx_id LIMIT 2"
    )
    if len(multi) == 2 and multi.tx_id.nunique() == 1:
        assert s.cluster_of(multi.address[0]) == s.cluster_of(multi.address[1])
