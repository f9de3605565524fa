"""HTTP clients with real bounds (issue 15 §2): deadlines, size limits, capped waits, Core warm-up.

Every test talks to a real HTTP server on 127.0.0.1 that misbehaves on purpose
(tests/_local_server.py); no other network.
"""

from __future__ import annotations

import email.utils
import json
import time
import tracemalloc

import pytest

import cryptotrace as ct
from cryptotrace import errors as E
from cryptotrace.io._http import DEFAULT_MAX_BYTES, Http, _retry_after

from ._local_server import (
    CoreReplay,
    EsploraReplay,
    Flaky,
    WarmingUp,
    dripping,
    drops_first,
    gzip_bomb,
    self_signed_tls,
    serve,
    serve_raw,
)

CORE_FOLDERS = ["block_0", "block_1", "block_without_transactions", "block_with_transactions"]
SEIZURE = "943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a"
MiB = 2**20


def http(**kw):
    opts = dict(timeout=2.0, max_retries=0, backoff=0.01, rate_limit=None)
    opts.update(kw)
    return Http(**opts)


@pytest.fixture(scope="module")
def core_app(real_data):
    return lambda: CoreReplay([real_data / "core-rpc" / f for f in CORE_FOLDERS])


@pytest.fixture(scope="module")
def esplora_cases(real_data):
    return real_data / "esplora-cases"


# ---------------------------------------------------------------------- the deadline
@pytest.mark.parametrize("in_headers", [False, True], ids=["body drips", "headers drip"])
def test_a_dripping_server_is_cut_off_at_the_deadline(in_headers):
    # 40 bytes, one every 0.5 s: 20 s of answer, yet no single read waits longer than 0.5 s
    with serve_raw(dripping(40, every=0.5, in_headers=in_headers)) as (url, conns):
        t = time.monotonic()
        with pytest.raises(E.FetchTimeoutError) as err:
            http(timeout=2.0).request("GET", url + "/slow", what="test")
        elapsed = time.monotonic() - t
    assert elapsed < 2.0 * 3, elapsed  # the promise: about timeout, never the 20 s the server wanted
    assert elapsed >= 1.9
    msg = str(err.value)
    assert url in msg and "timeout=" in msg and "not complete within 2 s" in msg
    assert isinstance(err.value, E.FetchError)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    made = self_signed_tls(tmp_path_factory.mktemp("tls"))
    assert made is not None, "the openssl tool (Debian's openssl package) is needed to make a test certificate"
    return made


def test_https_answers_and_the_deadline_holds_under_tls(tls, esplora_cases):
    ctx, cert = tls
    with serve_raw(drops_first(EsploraReplay(esplora_cases), drops=0), tls=ctx) as (url, conns):
        r = http().request("GET", f"{url}/api/tx/{SEIZURE}", what="test", verify=str(cert))
        assert url.startswith("https://") and r.json()["fee"] == 3454
    with serve_raw(dripping(40, every=0.5), tls=ctx) as (url, conns):
        t = time.monotonic()
        with pytest.raises(E.FetchTimeoutError):
            http(timeout=2.0).request("GET", url, what="test", verify=str(cert))
        assert time.monotonic() - t < 2.0 * 3


def test_the_deadline_is_per_try_and_tries_are_counted():
    with serve_raw(dripping(40, every=0.3)) as (url, conns):
        h = http(timeout=1.0, max_retries=1, max_wait=0.1)
        t = time.monotonic()
        with pytest.raises(E.FetchTimeoutError, match="2 tries"):
            h.request("GET", url, what="test")
        elapsed = time.monotonic() - t
    assert len(conns) == 2 and h.n_requests == 2
    assert elapsed < 2 * 1.0 * 3, elapsed


def test_a_fast_answer_is_untouched_and_finished_deadlines_never_fire_later(esplora_cases):
    with serve(EsploraReplay(esplora_cases)) as (url, log):
        h = http()
        for _ in range(3):
            r = h.request("GET", f"{url}/api/tx/{SEIZURE}", what="test")
            assert r.status_code == 200 and r.json()["fee"] == 3454
        time.sleep(2.3)  # past the 2 s deadline of the finished tries: their watchdogs must not fire
        assert h.request("GET", f"{url}/api/tx/{SEIZURE}", what="test").json()["txid"] == SEIZURE


# ---------------------------------------------------------------------- the size limit
def test_a_gzip_bomb_stops_at_the_limit_with_memory_bounded():
    bomb = gzip_bomb(512 * MiB)  # about 0.5 MB on the wire
    assert bomb.packed_size < MiB
    with serve(bomb) as (url, log):
        tracemalloc.start()
        try:
            with pytest.raises(E.ResponseTooLargeError) as err:
                http(max_retries=3).request("GET", url + "/api/tx/x", what="test")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(log) == 1  # a too-large answer is not tried again
    assert peak < DEFAULT_MAX_BYTES + 20 * MiB, peak  # not 512 MiB: the limit and one decoded piece
    msg = str(err.value)
    assert url in msg and f"{DEFAULT_MAX_BYTES:,} bytes" in msg and "max_bytes=" in msg


def test_a_single_gzip_member_bomb_and_a_small_limit():
    with serve(gzip_bomb(40 * MiB, member_bytes=40 * MiB)) as (url, log):
        tracemalloc.start()
        try:
            with pytest.raises(E.ResponseTooLargeError):
                http(max_bytes=MiB).request("GET", url, what="test")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 4 * MiB, peak


def test_an_announced_oversized_answer_is_refused_before_reading():
    big = b"[" + b"0," * (3 * MiB) + b"0]"
    with serve(lambda *a: (200, {"Content-Type": "application/json"}, big)) as (url, log):
        with pytest.raises(E.ResponseTooLargeError, match=f"announces {len(big):,} bytes"):
            http(max_bytes=MiB).request("GET", url, what="test")
        r = http(max_bytes=8 * MiB).request("GET", url, what="test")
        assert r.content == big


def test_gzip_and_deflate_answers_within_the_limit_are_decoded():
    import gzip
    import zlib

    doc = json.dumps({"txid": SEIZURE, "fee": 3454}).encode() * 50
    for enc, packed in [
        ("gzip", gzip.compress(doc)),
        ("deflate", zlib.compress(doc)),
        ("deflate", zlib.compress(doc)[2:-4]),
    ]:  # raw deflate, as some servers send it
        with serve(lambda *a, e=enc, p=packed: (200, {"Content-Encoding": e}, p)) as (url, log):
            assert http().request("GET", url, what="test").content == doc


def test_a_gzip_bomb_leaves_no_cache_file(tmp_path, esplora_cases):
    tx = json.dumps(EsploraReplay(esplora_cases).txs[SEIZURE]).encode()
    with serve(gzip_bomb(128 * MiB, tail=tx)) as (url, log):  # valid JSON: without a limit it is cached
        c = ct.EsploraClient(url + "/api", cache_dir=tmp_path / "cache", max_retries=0, rate_limit=None)
        with pytest.raises(E.ResponseTooLargeError):
            c.tx(SEIZURE)
        with serve(gzip_bomb(8 * MiB, tail=tx)) as (small_url, _):  # within the limit: read, parsed, cached
            ok = ct.EsploraClient(small_url + "/api", cache_dir=tmp_path / "ok", rate_limit=None)
            assert ok.tx(SEIZURE)["fee"] == 3454
    cache = tmp_path / "cache"
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))  # before: a 128 MiB file
    assert sum(p.stat().st_size for p in (tmp_path / "ok").rglob("*") if p.is_file()) > 8 * MiB - len(tx)


# ---------------------------------------------------------------------- waits between tries
def test_a_huge_retry_after_is_refused_at_once_with_the_time_to_come_back(esplora_cases):
    for told in ["3600", email.utils.formatdate(time.time() + 3600, usegmt=True), "1e30", "inf"]:
        app = Flaky(EsploraReplay(esplora_cases), fails=1, status=429, retry_after=told)
        with serve(app) as (url, log):
            h = http(max_retries=4)
            t = time.monotonic()
            with pytest.raises(E.FetchError, match=r"asks to wait (3,[56]\d\d|[\d,]{20,}|inf) s") as err:
                h.request("GET", f"{url}/api/tx/{SEIZURE}", what="test")
            assert time.monotonic() - t < 2.0
        assert len(app.times) == 1 and h.waits == []
        assert "max_wait=" in str(err.value) and "Try again after" in str(err.value)


def test_retry_after_as_an_http_date_is_honoured_within_the_cap(esplora_cases):
    app = Flaky(
        EsploraReplay(esplora_cases),
        fails=1,
        status=503,
        retry_after=email.utils.formatdate(time.time() + 2, usegmt=True),
    )
    with serve(app) as (url, log):
        h = http(max_retries=2)
        assert h.request("GET", f"{url}/api/tx/{SEIZURE}", what="test").json()["fee"] == 3454
    assert len(app.times) == 2
    assert 0.5 <= app.times[1] - app.times[0] <= 2.5  # the date has whole seconds


def test_the_total_of_waits_is_capped(esplora_cases):
    app = Flaky(EsploraReplay(esplora_cases), fails=100, status=503, retry_after="1")
    with serve(app) as (url, log):
        h = http(max_retries=50, max_wait=5, max_total_wait=2.5)
        t = time.monotonic()
        with pytest.raises(E.FetchError, match="max_total_wait=") as err:
            h.request("GET", f"{url}/api/tx/{SEIZURE}", what="test")
        elapsed = time.monotonic() - t
    assert h.waits == [1.0, 1.0] and len(app.times) == 3  # a third wait would pass 2.5 s
    assert elapsed < 2.5 + 1.0
    assert "HTTP 503" in str(err.value)


def test_backoff_waits_are_capped_by_max_wait(esplora_cases):
    app = Flaky(EsploraReplay(esplora_cases), fails=3, status=503, retry_after=None)
    with serve(app) as (url, log):
        h = http(max_retries=3, backoff=10.0, max_wait=0.2)
        assert h.request("GET", f"{url}/api/tx/{SEIZURE}", what="test").status_code == 200
    assert len(h.waits) == 3 and all(w <= 0.2 for w in h.waits)


def test_a_bad_url_is_not_tried_again():
    h = http(max_retries=3)
    with pytest.raises(E.FetchError, match="Check the URL"):
        h.request("GET", "http://exa mple.org:port/", what="test")
    assert h.n_requests == 1


def test_a_damaged_gzip_answer_is_a_clear_error():
    with serve(lambda *a: (200, {"Content-Encoding": "gzip"}, b"\x1f\x8b\x08\x00garbage-not-deflate")) as (url, log):
        with pytest.raises(E.FetchError, match="2 tries: the compressed answer is damaged"):
            http(max_retries=1).request("GET", url, what="test")
    assert len(log) == 2


def test_the_clients_keep_their_defaults_within_the_caps():
    c = ct.EsploraClient("http://127.0.0.1:9", rate_limit=None)
    assert c._http.max_bytes == DEFAULT_MAX_BYTES and c._http.max_total_wait >= c._http.max_wait > 0


@pytest.mark.parametrize(
    "value, expected",
    [
        ("5", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("nan", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: no wait
    ],
)
def test_retry_after_forms(value, expected):
    assert _retry_after(value) == expected


# ---------------------------------------------------------------------- Bitcoin Core: warm-up, dropped connections
def test_core_warming_up_is_retried(core_app):
    app = WarmingUp(core_app(), fails=2)
    with serve(app) as (url, log):
        c = ct.CoreRPCClient(url, user="alice", password="secret", backoff=0.01, max_retries=3)
        assert c.getblockcount() == c.getblockcount()
        assert len(app.times) == 4  # two "Loading block index...", then two answers
        app.fails = 1  # a batch: HTTP 200 with error -28 in each item
        assert len(c.batch([("getblockhash", [0]), ("getblockhash", [1])])) == 2
        app.fails = 10
        with pytest.raises(E.FetchError, match=r"4 tries: the node is still starting \(RPC error -28"):
            c.getblockcount()


def test_core_dropped_connection_is_retried(core_app):
    for midway in (False, True):
        with serve_raw(drops_first(core_app(), drops=1, midway=midway)) as (url, conns):
            c = ct.CoreRPCClient(url, user="alice", password="secret", backoff=0.01, max_retries=2)
            assert c.getblockcount() > 0
            assert len(conns) == 2


def test_a_connection_dropped_every_time_gives_a_clear_error(core_app):
    with serve_raw(drops_first(core_app(), drops=10)) as (url, conns):
        c = ct.CoreRPCClient(url, user="alice", password="secret", backoff=0.01, max_retries=2)
        with pytest.raises(E.FetchError, match="3 tries: the connection was lost"):
            c.getblockcount()
        assert len(conns) == 3


def test_esplora_dropped_connection_is_retried(esplora_cases):
    with serve_raw(drops_first(EsploraReplay(esplora_cases), drops=2)) as (url, conns):
        c = ct.EsploraClient(url + "/api", backoff=0.01, rate_limit=None)
        assert c.tx(SEIZURE)["fee"] == 3454
        assert len(conns) == 3
