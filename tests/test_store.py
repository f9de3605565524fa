"""The chain store (Parquet + DuckDB): import in batches, prevouts across batches, extract, cluster, trace.

Expectations are computed independently from the in-memory Chain (its numpy index), not from the store.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cryptotrace as ct
from cryptotrace import store as store_mod
from cryptotrace.chain import Chain
from cryptotrace.errors import StoreError

BATCHES = [(850000, 851300), (851301, 852700), (852701, 860000)]
SMALL = [(850000, 850400), (850401, 850800), (850801, 851200)]  # about 10,000 txs: for the slower scenarios
BLK = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "blocks" / "mainnet_blk_0-256.dat"
HAL = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"


@pytest.fixture(scope="module")
def chain():
    return ct.load_sample()


def _stripped(chain, sub, earlier: set) -> Chain:
    """``sub`` with the value and address of inputs spending earlier batches' coins removed.

    The store must fill them in.
    """
    ins = sub.inputs.drop(columns=["is_external"])
    hit = ins.prev_txid.isin(earlier).to_numpy(bool)
    value = ins.value.copy()
    value[hit] = pd.NA
    address = ins.address.copy()
    address[hit] = pd.NA
    source = ins.address_source.copy()
    source[hit] = pd.NA
    ins = ins.assign(value=value, address=address, address_source=source)
    return Chain.from_tables(txs=sub.txs, inputs=ins, outputs=sub.outputs, blocks=sub.blocks, validate=False)


def _closed(sub) -> Chain:
    """``sub`` as if nothing after it existed: outputs spent by transactions outside it are unspent."""
    o = sub.outputs
    outside = (~o.spent_by_txid.isin(set(sub.txs.txid))).to_numpy(bool)
    by, vin = o.spent_by_txid.copy(), o.spent_by_vin.copy()
    by[outside] = pd.NA
    vin[outside] = pd.NA
    return Chain.from_tables(
        txs=sub.txs,
        inputs=sub.inputs.drop(columns=["is_external"]),
        outputs=o.assign(spent_by_txid=by, spent_by_vin=vin),
        blocks=sub.blocks,
        validate=False,
    )


def _import_batches(store, chain, batches=BATCHES):
    earlier: set = set()
    n_stripped = 0
    for lo, hi in batches:
        sub = chain.subset(heights=(lo, hi))
        part = _stripped(chain, sub, earlier)
        n_stripped += int(part.inputs.value.isna().sum() - sub.inputs.value.isna().sum())
        store.import_chain(part, progress=False)
        earlier |= set(sub.txs.txid)
    return n_stripped


@pytest.fixture(scope="module")
def store(chain, tmp_path_factory):
    s = ct.ChainStore(tmp_path_factory.mktemp("store") / "sample")
    n_stripped = _import_batches(s, chain)
    assert n_stripped > 1000  # many inputs really depend on the cross-batch look-up
    return s


def _store_tables(s):
    txs = s.query("SELECT d.txid, t.* EXCLUDE (tx_id) FROM txs t JOIN txids d USING (tx_id)")
    ins = s.query(
        "SELECT d.txid, i.vin, p.txid AS prev_txid, i.prev_vout, a.address, i.value FROM inputs i "
        "JOIN txids d USING (tx_id) LEFT JOIN txids p ON p.tx_id = i.prev_tx_id "
        "LEFT JOIN addresses a ON a.address_id = i.address_id"
    )
    outs = s.query(
        "SELECT d.txid, o.vout, a.address, o.value, o.script_type FROM outputs o JOIN txids d USING (tx_id) "
        "LEFT JOIN addresses a ON a.address_id = o.address_id"
    )
    return txs, ins, outs


def _norm(df, keys):
    df = df.sort_values(keys).reset_index(drop=True)
    return df.astype({c: "object" for c in df.columns}).where(df.notna(), None)


def test_store_tables_equal_the_chain(store, chain):
    assert store.n_batches == 3 and store.n_txs == len(chain) == len(ct.load_sample().txs) > 30_000
    txs, ins, outs = _store_tables(store)
    cols = ["txid", "block_height", "fee", "is_coinbase", "n_in", "n_out", "size", "vsize", "locktime"]
    pd.testing.assert_frame_equal(_norm(txs[cols], ["txid"]), _norm(chain.txs[cols], ["txid"]))
    icols = ["txid", "vin", "prev_txid", "prev_vout", "address", "value"]
    pd.testing.assert_frame_equal(_norm(ins[icols], ["txid", "vin"]), _norm(chain.inputs[icols], ["txid", "vin"]))
    ocols = ["txid", "vout", "address", "value", "script_type"]
    pd.testing.assert_frame_equal(_norm(outs[ocols], ["txid", "vout"]), _norm(chain.outputs[ocols], ["txid", "vout"]))
    blocks = store.query("SELECT height, hash, n_tx FROM blocks ORDER BY height")
    pd.testing.assert_frame_equal(
        _norm(blocks, ["height"]), _norm(chain.blocks[["height", "hash", "n_tx"]], ["height"])
    )
    s = store.summary()
    assert s["addresses"] == chain.index.n_addresses and s["inputs"] == len(chain.inputs)


def test_input_spending_batch_one_gets_value_and_address(store, chain):
    first = set(chain.subset(heights=BATCHES[0]).txs.txid)
    third = chain.subset(heights=BATCHES[2])
    rows = third.inputs[third.inputs.prev_txid.isin(first)]
    assert len(rows) > 50
    r = rows.iloc[0]
    view = store.tx(r.txid)
    got = view.inputs.set_index("vin").loc[int(r.vin)]
    assert int(got.value) == int(r.value) and got.address == r.address
    assert bool(got.is_external)  # spent coin outside the one-transaction extract, but still carries its value


def _expected_tx_set(chain, seed_pos: np.ndarray, hops: int, direction: str) -> set:
    """BFS over the chain's own index (numpy), independent of the store's SQL."""
    ix = chain.index
    sel = np.zeros(ix.n_txs, dtype=bool)
    sel[seed_pos] = True
    frontier = np.unique(seed_pos)
    for _ in range(hops):
        nxt = []
        for t in frontier:
            if direction in ("forward", "both"):
                outs = np.arange(ix.out_start[t], ix.out_start[t + 1])
                spent = ix.input_of_output[outs]
                nxt.append(ix.tx_of_input[spent[spent >= 0]])
            if direction in ("backward", "both"):
                ins = np.arange(ix.in_start[t], ix.in_start[t + 1])
                src = ix.output_of_input[ins]
                nxt.append(ix.tx_of_output[src[src >= 0]])
        nxt = np.unique(np.concatenate(nxt)) if nxt else np.zeros(0, np.int64)
        frontier = nxt[~sel[nxt]]
        sel[frontier] = True
    return set(ix.txids[np.flatnonzero(sel)])


def _compare_chains(got: Chain, want: Chain):
    assert set(got.txs.txid) == set(want.txs.txid)
    icols = ["txid", "vin", "prev_txid", "prev_vout", "address", "value", "is_external"]
    pd.testing.assert_frame_equal(_norm(got.inputs[icols], ["txid", "vin"]), _norm(want.inputs[icols], ["txid", "vin"]))
    ocols = ["txid", "vout", "address", "value", "spent_by_txid", "spent_by_vin"]
    pd.testing.assert_frame_equal(
        _norm(got.outputs[ocols], ["txid", "vout"]), _norm(want.outputs[ocols], ["txid", "vout"])
    )
    assert got.txs.set_index("txid").fee.sort_index().equals(want.txs.set_index("txid").fee.sort_index())


@pytest.mark.parametrize("hops,direction", [(1, "both"), (2, "both"), (2, "forward"), (2, "backward")])
def test_extract_neighbourhood_equals_independent_expectation(store, chain, hops, direction):
    pos = 20_000  # the first transaction from here with a few neighbours each way
    while min(len(_expected_tx_set(chain, np.array([pos]), 1, d)) for d in ("forward", "backward")) < 3:
        pos += 1
    seed = chain.txs.txid[pos]
    want_ids = _expected_tx_set(chain, np.array([chain.tx_position(seed)]), hops, direction)
    got = store.extract(seed, hops=hops, direction=direction)
    assert isinstance(got, Chain)
    assert set(got.txs.txid) == want_ids and len(want_ids) > 3
    _compare_chains(got, chain.subset(sorted(want_ids)))


def test_extract_from_an_address(store, chain):
    addr = chain.addresses.sort_values("tx_count").index[-5]  # a busy address
    ix = chain.index
    code = ix.addresses.get_loc(addr)
    seeds = np.unique(np.r_[ix.tx_of_output[ix.address_of_output == code], ix.tx_of_input[ix.address_of_input == code]])
    want = _expected_tx_set(chain, seeds, 1, "both")
    got = store.extract([addr], hops=1)
    _compare_chains(got, chain.subset(sorted(want)))
    view = store.address(addr)
    assert view.balance == chain.address(addr).balance
    assert len(view.transactions) == len(chain.address(addr).transactions)


def test_store_clustering_equals_in_memory_clustering(store, chain):
    from cryptotrace.heuristics.coinjoin import coinjoin
    from cryptotrace.heuristics.multi_input import multi_input

    res = store.cluster(engine="duckdb", progress=False)
    mem = ct.Clustering().fit(chain)
    assert res.n_clusters_ == mem.n_clusters_
    got = res.to_frame()
    assert list(got.columns) == list(mem.to_frame().columns) == ["address", "cluster_id"]
    want = mem.labels_.reindex(got.address).to_numpy()
    assert not pd.isna(want).any()
    pairs = pd.DataFrame({"mem": want, "store": got.cluster_id.to_numpy()}).drop_duplicates()
    assert pairs["mem"].is_unique and pairs["store"].is_unique  # the same partition (a one-to-one contingency)
    # the same CoinJoins were skipped: the detector's flags among multi-input transactions
    assert res.n_skipped_ == int((np.asarray(coinjoin(chain)) & np.asarray(multi_input(chain))).sum()) > 0
    big = int(mem.clusters_["size"].idxmax())
    a = mem.members(big)[:2]
    assert store.cluster_of(a[0]) == store.cluster_of(a[1]) == 0  # both number the largest cluster 0


@pytest.mark.parametrize("policy", ["haircut", "fifo"])
def test_store_trace_equals_in_memory_trace(store, chain, policy):
    # an output of a mid-sample transaction whose coins travel a few hops
    ix = chain.index
    pos = 15_000
    while ix.input_of_output[ix.out_start[pos]] < 0:
        pos += 1
    start = f"{chain.txs.txid[pos]}:0"
    want = ct.trace(chain, start, policy=policy, max_hops=4, min_value=0)
    got = store.trace(start, policy=policy, max_hops=4, min_value=0)
    key = ["txid", "vout"]
    wf = want.flows.sort_values(key).reset_index(drop=True)
    gf = got.flows.sort_values(key).reset_index(drop=True)
    assert len(wf) > 5
    pd.testing.assert_frame_equal(
        gf[["hop", "txid", "vout", "value", "tainted_value"]].astype(object),
        wf[["hop", "txid", "vout", "value", "tainted_value"]].astype(object),
    )
    we = want.endpoints.sort_values(key).reset_index(drop=True)
    ge = got.endpoints.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        ge[key + ["kind", "tainted_value"]].astype(object), we[key + ["kind", "tainted_value"]].astype(object)
    )


def test_interrupted_import_leaves_store_as_before_and_resumes(chain, tmp_path, monkeypatch):
    s = ct.ChainStore(tmp_path / "s")
    _import_batches(s, chain, SMALL[:2])
    before = json.loads((tmp_path / "s" / "manifest.json").read_text())
    counts = (
        s.query("SELECT (SELECT count(*) FROM txs) t, (SELECT count(*) FROM inputs) i, (SELECT count(*) FROM txids) d")
        .iloc[0]
        .tolist()
    )
    calls = {"n": 0}
    real = store_mod._write_parquet

    def failing(df, path, schema, **kw):
        calls["n"] += 1
        if calls["n"] == 4:  # blocks, txs, inputs written; the outputs file fails
            raise OSError("disk full (simulated)")
        return real(df, path, schema, **kw)

    monkeypatch.setattr(store_mod, "_write_parquet", failing)
    third = chain.subset(heights=SMALL[2])
    whole = _closed(chain.subset(heights=(SMALL[0][0], SMALL[2][1])))
    with pytest.raises(OSError, match="simulated"):
        s.import_chain(third, progress=False)
    monkeypatch.setattr(store_mod, "_write_parquet", real)
    again = ct.ChainStore(tmp_path / "s")
    assert json.loads((tmp_path / "s" / "manifest.json").read_text()) == before
    assert (
        again.query(
            "SELECT (SELECT count(*) FROM txs) t, (SELECT count(*) FROM inputs) i, (SELECT count(*) FROM txids) d"
        )
        .iloc[0]
        .tolist()
        == counts
    )
    # the next run completes; importing everything again adds nothing (already stored)
    assert again.import_chain(third, progress=False) == len(third)
    assert again.import_chain(whole, progress=False) == 0
    assert again.n_txs == len(whole)
    assert sorted(p.name for p in (tmp_path / "s" / "txs").iterdir()) == [
        "b000001.parquet",
        "b000002.parquet",
        "b000003.parquet",
    ]
    pos = len(whole) - 500  # in the third batch
    got = again.extract(whole.txs.txid[pos], hops=1)
    _compare_chains(got, whole.subset(sorted(_expected_tx_set(whole, np.array([pos]), 1, "both"))))


def test_import_chain_in_batches_by_size(chain, tmp_path):
    sub = chain.subset(heights=(850000, 850300))
    s = ct.ChainStore(tmp_path / "s")
    assert s.import_chain(sub, batch_txs=800, progress=False) == len(sub)
    assert s.n_batches >= 3
    hs = [(b["first_height"], b["last_height"]) for b in s.manifest["batches"]]
    assert all(a[1] < b[0] for a, b in zip(hs, hs[1:]))  # whole blocks, in height order


def test_real_blk_file_satoshi_to_hal_finney(tmp_path):
    s = ct.ChainStore(tmp_path / "blk")
    s.import_chain(ct.load_blk_files(BLK), batch_txs=100, progress=False)
    assert s.n_batches >= 2
    v = s.tx(HAL)
    assert v.block_height == 170
    assert v.inputs.address.tolist() == ["12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"]
    assert v.inputs.value.tolist() == [50 * 10**8]  # block 9's coinbase, from an earlier batch
    assert v.outputs.address.tolist() == ["1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"]
    assert v.outputs.value.tolist() == [10 * 10**8, 40 * 10**8]


def test_errors_are_store_errors(store, tmp_path):
    with pytest.raises(StoreError, match="not in the store"):
        store.tx("00" * 32)
    with pytest.raises(StoreError, match="not in the store"):
        store.address("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    with pytest.raises(StoreError, match="64 hex"):
        store.tx("abc")
    with pytest.raises(StoreError, match="direction"):
        store.extract(store.query("SELECT txid FROM txids LIMIT 1").txid[0], direction="sideways")
    with pytest.raises(StoreError, match="max_txs"):
        store.extract(
            store.query("SELECT txid FROM txids d JOIN txs USING (tx_id) LIMIT 1").txid[0], hops=6, max_txs=10
        )
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "junk.txt").write_text("hello")
    with pytest.raises(StoreError, match="not a cryptotrace store"):
        ct.ChainStore(tmp_path / "x")
    with pytest.raises(StoreError, match="no clustering|empty"):
        ct.ChainStore(tmp_path / "empty").cluster_of("x")


def test_out_of_order_import_still_extracts_complete_chains(chain, tmp_path):
    """Batch 3 first: its inputs spending batches 1 and 2 are unknown at import and are looked up on extract."""
    s = ct.ChainStore(tmp_path / "s")
    first, second, third = (chain.subset(heights=h) for h in SMALL)
    chain = _closed(chain.subset(heights=(SMALL[0][0], SMALL[2][1])))
    earlier = set(first.txs.txid) | set(second.txs.txid)
    s.import_chain(_stripped(chain, third, earlier), progress=False)
    s.import_chain(first, progress=False)
    s.import_chain(_stripped(chain, second, set(first.txs.txid)), progress=False)
    unknown = int(s.query("SELECT count(*) AS n FROM inputs WHERE value IS NULL AND prev_tx_id IS NOT NULL").n[0])
    assert unknown > 300  # batch 3's look-ups really were left for later
    hit = third.inputs[third.inputs.prev_txid.isin(set(first.txs.txid))].txid
    for txid in hit.iloc[:3]:
        pos = chain.tx_position(txid)
        for direction in ("both", "backward"):
            got = s.extract(txid, hops=1, direction=direction)
            _compare_chains(got, chain.subset(sorted(_expected_tx_set(chain, np.array([pos]), 1, direction))))
    # clustering reads the late-found addresses too
    res = s.cluster(progress=False).to_frame()
    mem = ct.Clustering().fit(chain).labels_.reindex(res.address).to_numpy()
    pairs = pd.DataFrame({"mem": mem, "store": res.cluster_id.to_numpy()}).drop_duplicates()
    assert not pd.isna(mem).any() and pairs["mem"].is_unique and pairs["store"].is_unique
    # and the spending side: a batch-1 coin spent in batch 3 shows its spender
    txid = third.inputs[third.inputs.prev_txid.isin(set(first.txs.txid))].prev_txid.iloc[0]
    got = s.extract(txid, hops=1, direction="forward")
    want = chain.subset(sorted(_expected_tx_set(chain, np.array([chain.tx_position(txid)]), 1, "forward")))
    _compare_chains(got, want)


def test_overlapping_imports_store_each_transaction_once(chain, tmp_path):
    s = ct.ChainStore(tmp_path / "s")
    a, b = chain.subset(heights=(850000, 850150)), chain.subset(heights=(850100, 850250))
    s.import_chain(a, progress=False)
    added = s.import_chain(b, progress=False)
    both = chain.subset(heights=(850000, 850250))
    assert added == len(both) - len(a) and s.n_txs == len(both)
    txs, ins, outs = _store_tables(s)
    assert txs.txid.is_unique and set(txs.txid) == set(both.txs.txid)
    n_ids = int(s.query("SELECT count(*) AS n, max(tx_id) AS m FROM txids").n[0])
    assert n_ids == s.manifest["next_tx_id"] == int(s.query("SELECT max(tx_id) AS m FROM txids").m[0]) + 1  # dense ids
    icols = ["txid", "vin", "prev_txid", "prev_vout", "address", "value"]
    pd.testing.assert_frame_equal(_norm(ins[icols], ["txid", "vin"]), _norm(both.inputs[icols], ["txid", "vin"]))


def test_one_writer_at_a_time(chain, tmp_path):
    import fcntl

    s = ct.ChainStore(tmp_path / "s")
    s.import_chain(chain.subset(heights=(850000, 850010)), progress=False)
    with open(tmp_path / "s" / ".lock", "a+") as other:  # another process holding the lock
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        s2 = ct.ChainStore(tmp_path / "s")
        with pytest.raises(StoreError, match="another import"):
            s2.import_chain(chain.subset(heights=(850011, 850020)), progress=False)


def test_upper_case_txids_are_stored_in_lower_case(chain, tmp_path):
    c = chain.subset(heights=(850000, 850003))
    up = Chain.from_tables(
        c.txs.assign(txid=c.txs.txid.str.upper()),
        c.inputs.drop(columns=["is_external"]).assign(
            txid=c.inputs.txid.str.upper(), prev_txid=c.inputs.prev_txid.str.upper()
        ),
        c.outputs.assign(txid=c.outputs.txid.str.upper(), spent_by_txid=c.outputs.spent_by_txid.str.upper()),
        validate=False,
    )
    s = ct.ChainStore(tmp_path / "s")
    s.import_chain(up, progress=False)
    txid = c.txs.txid.iloc[-1]
    assert s.tx(txid.upper()).txid == txid
    assert s.import_chain(c, progress=False) == 0  # the same transactions, whatever the case


def test_extract_a_transaction_without_addresses(tmp_path):
    """A coinbase paying only an OP_RETURN-like output: no address to look up, still a valid extract."""
    txid = "ab" * 32
    txs = pd.DataFrame({"txid": [txid], "block_height": [1], "time": [1_300_000_000], "is_coinbase": [True]})
    ins = pd.DataFrame({"txid": [txid], "vin": [0], "prev_txid": [None], "prev_vout": pd.array([pd.NA], dtype="Int64")})
    outs = pd.DataFrame({"txid": [txid], "vout": [0], "address": [None], "value": [0], "script_type": ["nulldata"]})
    s = ct.ChainStore(tmp_path / "s")
    s.import_chain(Chain.from_tables(txs, ins, outs), progress=False)
    sub = s.extract(txid, hops=2)
    assert sub.txs.txid.tolist() == [txid] and sub.outputs.address.isna().all()


def test_blk_files_one_at_a_time_resolve_across_files(tmp_path):
    """The real file cut in two (blocks 0-127, 128-255): block 170 spends block 9's coinbase in the other file."""
    from cryptotrace.io.raw import read_blk_records

    recs = list(read_blk_records(BLK))
    magic = bytes.fromhex("f9beb4d9")
    for name, part in (("blk00000.dat", recs[:128]), ("blk00001.dat", recs[128:])):
        (tmp_path / name).write_bytes(b"".join(magic + len(r).to_bytes(4, "little") + r for _, r in part))
    s = ct.ChainStore(tmp_path / "two")
    # the second file first: its blocks' heights still come from the first file's headers
    added = s.import_blk_files([tmp_path / "blk00001.dat", tmp_path / "blk00000.dat"], progress=False)
    whole = ct.load_blk_files(BLK)
    assert added == len(whole) and s.n_batches == 2
    v = s.tx(HAL)
    assert v.block_height == 170 and v.inputs.value.tolist() == [50 * 10**8]
    assert v.inputs.address.tolist() == ["12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"]
    blocks = s.query("SELECT height, hash FROM blocks ORDER BY height")
    assert blocks.height.tolist() == list(range(256)) and blocks.hash.tolist() == whole.blocks.hash.tolist()
    # a third import of the same files adds nothing
    assert s.import_blk_files([tmp_path / "blk00000.dat", tmp_path / "blk00001.dat"], progress=False) == 0


def test_store_trace_with_tags_and_the_store_clustering(store, chain):
    """Tags stop the trace at services, and reach whole clusters, as in memory (the store's clustering)."""
    tags = ct.load_tags(Path(__file__).resolve().parents[1] / "sample_data" / "cases" / "sample" / "tags.yaml")
    mem_clusters = ct.Clustering().fit(chain)
    store.cluster(progress=False)
    ix = chain.index
    for pos in range(15_000, 34_000, 97):  # the first start (every 97th tx) whose coins reach a tagged service
        start = f"{chain.txs.txid[pos]}:0"
        want = ct.trace(chain, start, max_hops=4, tags=tags, clustering=mem_clusters)
        if (want.endpoints.kind == "service").any() and ix.input_of_output[ix.out_start[pos]] >= 0:
            break
    else:
        pytest.fail("no start in the sample reaches a tagged service in 4 hops")
    got = store.trace(start, max_hops=4, tags=tags, clustering="store")
    key = ["txid", "vout"]
    cols = key + ["hop", "value", "tainted_value", "tag"]
    pd.testing.assert_frame_equal(
        got.flows.sort_values(key).reset_index(drop=True)[cols].astype(object),
        want.flows.sort_values(key).reset_index(drop=True)[cols].astype(object),
    )
    cols = key + ["kind", "tainted_value"]
    pd.testing.assert_frame_equal(
        got.endpoints.sort_values(key).reset_index(drop=True)[cols].astype(object),
        want.endpoints.sort_values(key).reset_index(drop=True)[cols].astype(object),
    )
    # the cluster column is the store's clustering
    f = got.flows.dropna(subset=["address"]).head(5)
    assert [store.cluster_of(a) for a in f.address] == f.cluster.tolist()


def test_a_damaged_file_is_a_store_error(chain, tmp_path):
    s = ct.ChainStore(tmp_path / "s")
    sub = chain.subset(heights=(850000, 850005))
    s.import_chain(sub, progress=False)
    f = tmp_path / "s" / "outputs" / "b000001.parquet"
    f.write_bytes(f.read_bytes()[:200])
    with pytest.raises(StoreError, match="could not be read"):
        ct.ChainStore(tmp_path / "s").extract(sub.txs.txid.iloc[0], hops=1)
    (tmp_path / "s" / "inputs" / "b000001.parquet").unlink()
    with pytest.raises(StoreError, match="missing"):
        ct.ChainStore(tmp_path / "s")


def test_import_dataset_streams_in_batches_and_checks_hashes(chain, tmp_path):
    sub = chain.subset(heights=(850000, 850700))
    sub.save(tmp_path / "ds")
    s = ct.ChainStore(tmp_path / "s")
    assert s.import_dataset(tmp_path / "ds", batch_txs=2500, progress=False) == len(sub)
    assert s.n_batches >= 3
    hs = [(b["first_height"], b["last_height"]) for b in s.manifest["batches"]]
    assert all(a[1] < b[0] for a, b in zip(hs, hs[1:]))  # whole blocks
    txs, ins, outs = _store_tables(s)
    icols = ["txid", "vin", "prev_txid", "prev_vout", "address", "value"]
    pd.testing.assert_frame_equal(_norm(ins[icols], ["txid", "vin"]), _norm(sub.inputs[icols], ["txid", "vin"]))
    ocols = ["txid", "vout", "address", "value", "script_type"]
    pd.testing.assert_frame_equal(_norm(outs[ocols], ["txid", "vout"]), _norm(sub.outputs[ocols], ["txid", "vout"]))
    assert s.import_dataset(tmp_path / "ds", progress=False) == 0
    # a changed table is refused before anything is written
    from cryptotrace.errors import DatasetIntegrityError

    f = tmp_path / "ds" / "outputs.parquet"
    f.write_bytes(f.read_bytes() + b"x")
    with pytest.raises(DatasetIntegrityError, match="changed"):
        ct.ChainStore(tmp_path / "s2").import_dataset(tmp_path / "ds", progress=False)
    assert not (tmp_path / "s2" / "manifest.json").exists()


def test_union_batches_equals_one_union_find_over_all_links():
    from cryptotrace.clustering import union_find
    from cryptotrace.store import union_batches

    rng = np.random.default_rng(7)
    for n, m, k in [(50, 40, 7), (2000, 1500, 30), (500, 2000, 3), (1, 0, 1)]:
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        cuts = np.sort(rng.integers(0, m + 1, k))
        got = union_batches(n, zip(np.split(a, cuts), np.split(b, cuts)))
        _, want = union_find(n, a, b)
        low = np.full(n, n)
        np.minimum.at(low, want, np.arange(n))
        assert got.tolist() == low[want].tolist()  # each node labelled by its component's smallest node
