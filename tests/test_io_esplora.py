"""Esplora: recorded real cases loaded from files and through the real client from a local server."""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import errors as E

from ._local_server import EsploraReplay, Flaky, garbage, serve, stalling

RANSOM = "15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"
ANCHOR = "bc1qq2euq8pw950klpjcawuy4uj39ym43hs6cfsegq"
FBI = "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"
SEIZURE = "943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a"
RANSOM_PAY = "6a798026d44af27dbacd28ea21462808df8deca51794cec80c1b59e07ef924a2"
SWEEP = "915fb4f0a030937f2c1d2210996e8eb32b5a41b331965c7ec78961923775bd62"
CONSOLIDATE = "daf38c7b38eb0a587cf843f47000d5c294affb4f56017370ad48c5147f5e69d9"
BFX_WALLET = "1CGA4srJbPWhtJb7ezgY6GQf4PKhFuzD9w"
BFX_SEIZED_TO = "bc1qazcm763858nkj2dj986etajv6wquslv8uxwczt"
HYDRA = "16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T"
SATS = 100_000_000


@pytest.fixture(scope="module")
def cases(real_data):
    return real_data / "esplora-cases"


@pytest.fixture(scope="module")
def colonial(cases):
    return ct.load_esplora(sorted(cases.glob("colonial_*")))


@pytest.fixture(scope="module")
def bitfinex(cases):
    return ct.load_esplora([cases / "bitfinex_theft_tx.json", cases / "bitfinex_seizure_tx.json"])


@pytest.fixture(scope="module")
def server(cases):
    app = EsploraReplay(cases, page_size=2)
    with serve(app) as (url, log):
        yield url + "/api", log


def client(url, **kw):
    kw.setdefault("rate_limit", None)
    kw.setdefault("page_size", 2)
    kw.setdefault("progress", False)
    return ct.EsploraClient(url, **kw)


def txid_starting(chain, prefix):
    return chain.txs.txid[chain.txs.txid.str.startswith(prefix)].iloc[0]


# ---------------------------------------------------------------------- facts from the files
def test_colonial_seizure_sends_63_69996546_btc_to_the_fbi_address(colonial):
    tx = colonial.tx(SEIZURE)
    assert tx.block_height == 686683 and str(tx.time.date()) == "2021-06-07"
    fbi = tx.outputs[tx.outputs.address == FBI]
    assert fbi.value.tolist() == [6_369_996_546]
    assert ct.format_btc(int(fbi.value.iloc[0])) == "63.69996546 BTC"
    assert tx.outputs[tx.outputs.address == ANCHOR].value.tolist() == [590_422_177]  # change back
    assert tx.inputs.prev_txid.tolist() == [CONSOLIDATE] and tx.input_value == 6_960_422_177
    assert tx.fee == 3454
    assert len(colonial.txs) == 10  # 3 + 4 + 4 recorded, the seizure tx in two files


def test_colonial_ransom_path(colonial):
    pay = colonial.tx(RANSOM_PAY)
    assert str(pay.time.date()) == "2021-05-08"
    assert pay.outputs[pay.outputs.address == RANSOM].value.tolist() == [7_500_030_000]
    sweep = colonial.tx(SWEEP)
    assert sorted(sweep.inputs.value.astype(int)) == [20_000, 7_500_030_000]
    assert not sweep.inputs.is_external.any()  # both spends joined inside the data
    assert sweep.outputs[sweep.outputs.address == "1DToN8Q6y31TGAz75Df729Bnujk6Xg7q5X"].value.tolist() == [
        7_500_034_246
    ]


@pytest.mark.parametrize("case", ["colonial_ransom", "colonial_anchor", "colonial_fbi", "hydra_anchor"])
def test_address_histories_add_up_to_the_recorded_address_stats(cases, case):
    stats = json.loads((cases / f"{case}_stats.json").read_text())
    chain = ct.load_esplora(cases / f"{case}_txs.json")
    a = chain.address(stats["address"])
    cs = stats["chain_stats"]
    assert a.stats.received == cs["funded_txo_sum"] and a.stats.n_received == cs["funded_txo_count"]
    assert a.stats.sent == cs["spent_txo_sum"] and a.stats.n_spent == cs["spent_txo_count"]
    assert a.stats.tx_count == cs["tx_count"]


def test_bitfinex_seizure_has_562_inputs_from_166_addresses(bitfinex):
    tx = bitfinex.tx(txid_starting(bitfinex, "c49ff6bd"))
    assert len(tx.inputs) == 562
    assert tx.inputs.address.nunique() == 166
    assert int((tx.inputs.address == BFX_WALLET).sum()) == 22
    assert tx.outputs[tx.outputs.address == BFX_SEIZED_TO].value.tolist() == [15_000 * SATS]
    theft = bitfinex.tx(txid_starting(bitfinex, "5c7134d4"))
    assert str(theft.time.date()) == "2016-08-02" and len(theft.inputs) == 32
    assert theft.inputs.address.nunique() == 4
    assert theft.outputs.value.iloc[0] == 56_748_055_857 and theft.outputs.address.iloc[0] == BFX_WALLET
    # the seizure spends the theft output directly
    assert theft.outputs.spent_by_txid.iloc[0] == tx.txid


def test_coinjoin_and_hydra_records(cases):
    cj = ct.load_esplora([cases / "coinjoin_tx.json", cases / "coinjoin_tx0.json"])
    mix = cj.tx(txid_starting(cj, "323df21f"))
    assert len(mix.inputs) == 5 and mix.outputs.value.tolist() == [5_000_000] * 5
    tx0 = cj.tx(txid_starting(cj, "333f4543"))
    assert len(tx0.inputs) == 1 and len(tx0.outputs) == 19
    assert int((~mix.inputs.is_external).sum()) >= 1  # the mix spends a premix output
    hydra = ct.load_esplora(cases / "hydra_anchor_txs.json")
    fund, spend = hydra.tx(txid_starting(hydra, "e5015b6e")), hydra.tx(txid_starting(hydra, "c41de249"))
    assert HYDRA in set(fund.outputs.address) and HYDRA in set(spend.inputs.address)
    assert not spend.inputs.is_external.any()


@settings(max_examples=10)
@given(st.permutations(range(4)), st.sampled_from(["list", "lines", "objects"]))
def test_file_layouts_and_order_do_not_change_the_chain(tmp_path_factory, cases, colonial, order, layout):
    txs = {}
    for f in sorted(cases.glob("colonial_*_txs.json")):
        for t in json.loads(f.read_text()):
            txs.setdefault(t["txid"], t)
    objs = list(txs.values())
    d = tmp_path_factory.mktemp("esplora")
    parts = [objs[i::4] for i in order]
    files = []
    for k, part in enumerate(parts):
        p = d / f"part{k}.json"
        if layout == "list":
            p.write_text(json.dumps(part))
        elif layout == "lines":
            p.write_text("\n".join(json.dumps(t) for t in part) + "\n")
        else:
            for j, t in enumerate(part):
                q = d / f"part{k}_{j}.json"
                q.write_text(json.dumps(t))
                files.append(q)
            continue
        files.append(p)
    (d / "stats.json").write_text((cases / "colonial_fbi_stats.json").read_text())  # skipped in a folder
    assert ct.load_esplora(d) == colonial


def test_bad_esplora_files(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(E.InputFormatError, match="does not hold Esplora transactions"):
        ct.load_esplora(tmp_path / "x.json")
    (tmp_path / "y.json").write_text('{"txid": "ab"\n')
    with pytest.raises(E.InputFormatError, match="neither JSON nor JSON lines"):
        ct.load_esplora(tmp_path / "y.json")
    with pytest.raises(E.InputFormatError, match="no file or folder"):
        ct.load_esplora(tmp_path / "missing.json")


# ---------------------------------------------------------------------- the client, against a real local server
def test_client_gives_the_same_chain_as_the_files(server, cases, colonial, bitfinex):
    url, log = server
    c = client(url)
    chain = ct.fetch_neighborhood(c, [RANSOM, ANCHOR, FBI], hops=0)
    assert chain == colonial
    pages = [p for _, p in log if "/txs/chain/" in p]
    assert pages, "the 4-tx histories must have been read in pages of 2"
    assert c.chain(txids=bitfinex.txs.txid.tolist()) == bitfinex
    cj_files = ct.load_esplora([cases / "coinjoin_tx.json", cases / "coinjoin_tx0.json"])
    assert c.chain(txids=cj_files.txs.txid.tolist()[::-1]) == cj_files


def test_neighborhood_follows_the_money(server, colonial):
    url, _ = server
    c = client(url)
    fwd = ct.fetch_neighborhood(c, RANSOM_PAY, hops=2, direction="forward")
    assert set(fwd.txs.txid) == {RANSOM_PAY, SWEEP}  # the sweep's outputs are unspent in the records
    back = ct.fetch_neighborhood(c, [SEIZURE], hops=1, direction="backward")
    assert CONSOLIDATE in set(back.txs.txid) and len(back.txs) == 2
    both = ct.fetch_neighborhood(c, [SEIZURE], hops=1, direction="both")
    onward = {t for t in colonial.outputs[colonial.outputs.txid == SEIZURE].spent_by_txid}
    assert set(both.txs.txid) == {SEIZURE, CONSOLIDATE} | onward
    only = ct.fetch_neighborhood(c, [SEIZURE], hops=0)
    assert only.txs.txid.tolist() == [SEIZURE]
    with pytest.warns(UserWarning, match="max_txs"):
        small = ct.fetch_neighborhood(c, [SEIZURE], hops=1, direction="both", max_txs=2)
    assert len(small.txs) == 2
    with pytest.raises(E.FetchError, match="direction"):
        ct.fetch_neighborhood(c, [SEIZURE], direction="sideways")
    with pytest.raises(E.InvalidAddressError):
        ct.fetch_neighborhood(c, ["not-an-address"])


def test_endpoints(server):
    url, log = server
    c = client(url)
    assert c.tx(SEIZURE)["fee"] == 3454
    spends = c.outspends(SEIZURE)
    assert [s["spent"] for s in spends] == [True, True]
    assert c.outspend(CONSOLIDATE, 0)["txid"] == SEIZURE
    assert c.address_stats(FBI)["chain_stats"]["funded_txo_sum"] == 6_370_059_652
    assert c.block_hash(686683) == c.tx(SEIZURE)["status"]["block_hash"]
    assert [t["txid"] for t in c.block_txs(686683)] == [SEIZURE]
    n = c.n_requests
    assert c.tip_height() == 955918 and c.tip_height() == 955918
    assert c.n_requests == n + 2


def test_unknown_txid_is_not_found_and_bad_input_is_refused(server):
    url, log = server
    c = client(url)
    with pytest.raises(E.NotFoundError, match="404") as err:
        c.tx("ab" * 32)
    assert isinstance(err.value, KeyError)  # a NotInChainError too
    n = len(log)
    with pytest.raises(E.InvalidTxidError, match="64 hex"):
        c.tx("943f2d57")
    assert len(log) == n  # refused before asking the server
    with pytest.raises(E.FetchError, match="not a web address"):
        ct.EsploraClient("blockstream.info/api")


# ---------------------------------------------------------------------- cache and offline
def test_cache_then_offline_gives_the_same_chain_without_requests(server, tmp_path, colonial):
    url, log = server
    online = client(url, cache_dir=tmp_path / "cache")
    first = ct.fetch_neighborhood(online, [RANSOM, ANCHOR, FBI], hops=0)
    assert online.n_requests > 0
    n = len(log)
    offline = client(url, cache_dir=tmp_path / "cache", offline=True)
    again = ct.fetch_neighborhood(offline, [RANSOM, ANCHOR, FBI], hops=0)
    assert again == first == colonial
    assert len(log) == n and offline.n_requests == 0
    assert ct.load_esplora(tmp_path / "cache") == colonial  # the cache folder is a set of saved answers
    with pytest.raises(E.OfflineCacheMissError, match=f"/tx/{'ab' * 32}"):
        offline.tx("ab" * 32)
    with pytest.raises(E.FetchError, match="cache_dir"):
        ct.EsploraClient(url, offline=True)


def test_interrupted_cache_write_leaves_no_entry(server, tmp_path, monkeypatch):
    url, _ = server
    cache = tmp_path / "cache"
    c = client(url, cache_dir=cache)
    real_fsync = os.fsync

    def power_cut(fd):
        raise KeyboardInterrupt("power cut while writing")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(KeyboardInterrupt):
        c.tx(SEIZURE)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert not cache.exists() or list(cache.iterdir()) == []  # no half-written file, no temp file
    offline = client(url, cache_dir=cache, offline=True)
    with pytest.raises(E.OfflineCacheMissError):
        offline.tx(SEIZURE)
    assert c.tx(SEIZURE)["txid"] == SEIZURE
    assert [p.name for p in cache.iterdir()] == [f"tx__{SEIZURE}.json"]
    assert offline.tx(SEIZURE)["fee"] == 3454


def test_damaged_cache_entry_is_fetched_again(server, tmp_path):
    url, _ = server
    c = client(url, cache_dir=tmp_path)
    c.tx(SEIZURE)
    entry = tmp_path / f"tx__{SEIZURE}.json"
    entry.write_bytes(entry.read_bytes()[:100])  # damaged by hand or by a full disk
    n = c.n_requests
    with pytest.warns(UserWarning, match="damaged"):
        assert c.tx(SEIZURE)["fee"] == 3454
    assert c.n_requests == n + 1
    assert json.loads(entry.read_text())["txid"] == SEIZURE


# ---------------------------------------------------------------------- servers that misbehave
def test_429_then_200_waits_as_told_by_retry_after(cases):
    app = Flaky(EsploraReplay(cases), fails=1, status=429, retry_after="1")
    with serve(app) as (url, log):
        c = client(url + "/api", backoff=0.01)
        assert c.tx(SEIZURE)["fee"] == 3454
    assert len(app.times) == 2
    assert app.times[1] - app.times[0] >= 0.95  # honoured Retry-After: 1, not the 0.01 s backoff


def test_5xx_is_retried_with_backoff_then_gives_up_clearly(cases):
    app = Flaky(EsploraReplay(cases), fails=2, status=503, retry_after=None)
    with serve(app) as (url, log):
        assert client(url + "/api", backoff=0.05).tx(SEIZURE)["fee"] == 3454
        assert len(app.times) == 3
        app.fails = 10
        with pytest.raises(E.FetchError, match=r"3 tries: HTTP 503"):
            client(url + "/api", backoff=0.01, max_retries=2).tx(SEIZURE)


def test_a_stalling_server_times_out_with_a_clear_error():
    with serve(stalling(2.0)) as (url, log):
        c = client(url, timeout=0.3, max_retries=1, backoff=0.01)
        t = time.monotonic()
        with pytest.raises(E.FetchError, match="timeout"):
            c.tx(SEIZURE)
        assert time.monotonic() - t < 1.8
        assert len(log) == 2  # tried twice


def test_garbage_answers_are_a_fetch_error_and_are_not_cached(tmp_path):
    with serve(garbage) as (url, log):
        c = client(url, cache_dir=tmp_path)
        with pytest.raises(E.FetchError, match="not JSON"):
            c.tx(SEIZURE)
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_for_long_fetches(server, capsys):
    url, _ = server
    client(url, progress=True).txs([SEIZURE, CONSOLIDATE, SWEEP])
    err = capsys.readouterr().err
    assert "transactions:" in err and "/3 [" in err  # a tqdm bar over the 3 requests
    client(url, progress=False).txs([SEIZURE])
    assert capsys.readouterr().err == ""


def test_rate_limit_spaces_requests(server):
    url, _ = server
    c = client(url, rate_limit=20)
    t = time.monotonic()
    for _ in range(5):
        c.tx(SEIZURE)
    assert time.monotonic() - t >= 4 / 20 * 0.95
