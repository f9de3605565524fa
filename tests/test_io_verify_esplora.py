"""Esplora answers checked against their own raw bytes, and strict field types.

The recorded Esplora cases are JSON only. Their raw bytes are rebuilt here from
the JSON fields (the serialization every node uses; the rebuilt bytes must hash
to the recorded txid, which the first test checks for all 16 transactions) and
served by a real local HTTP server as ``/tx/:txid/hex``. A whole block is served
from the recorded Bitcoin Core answers of block 50001 (JSON in Esplora's layout,
and ``/block/:hash/raw`` made of the header fields and every transaction's hex).
"""

from __future__ import annotations

import copy
import json
import math
import struct
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import errors as E
from cryptotrace.io.esplora import _chain_from_esplora

from ._esplora_bytes import serialize
from ._esplora_bytes import sha256d as _sha256d
from ._esplora_bytes import varint as _varint
from ._local_server import EsploraReplay, serve

SEIZURE = "943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a"
RANSOM_PAY = "6a798026d44af27dbacd28ea21462808df8deca51794cec80c1b59e07ef924a2"
FBI = "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"
BLOCK_50001 = "000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141"
SPENDER = "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a"


def _core_to_esplora(t: dict, block: dict, prev: dict) -> dict:
    """A Bitcoin Core getblock transaction in Esplora's layout (prevouts from getrawtransaction answers)."""

    def sats(v):
        return int(Decimal(str(v)) * 100_000_000)

    def out(o):
        spk = o["scriptPubKey"]
        d = {"scriptpubkey": spk["hex"], "scriptpubkey_type": spk["type"], "value": sats(o["value"])}
        if spk["type"] == "pubkeyhash":
            d["scriptpubkey_address"] = spk["addresses"][0]
        return d

    vin = []
    for v in t["vin"]:
        if "coinbase" in v:
            vin.append(
                {
                    "txid": "0" * 64,
                    "vout": 0xFFFFFFFF,
                    "prevout": None,
                    "scriptsig": v["coinbase"],
                    "is_coinbase": True,
                    "sequence": v["sequence"],
                }
            )
        else:
            vin.append(
                {
                    "txid": v["txid"],
                    "vout": v["vout"],
                    "prevout": out(prev[v["txid"]]["vout"][v["vout"]]),
                    "scriptsig": v["scriptSig"]["hex"],
                    "is_coinbase": False,
                    "sequence": v["sequence"],
                }
            )
    return {
        "txid": t["txid"],
        "version": t["version"],
        "locktime": t["locktime"],
        "vin": vin,
        "vout": [out(o) for o in t["vout"]],
        "size": t["size"],
        "weight": 4 * t["size"],
        "status": {
            "confirmed": True,
            "block_height": block["height"],
            "block_hash": block["hash"],
            "block_time": block["time"],
        },
    }


class VerifyingReplay(EsploraReplay):
    """EsploraReplay plus ``/tx/:txid/hex`` and ``/block/:hash/raw`` (bytes made before any test edits the JSON)."""

    def __init__(self, folder, *, extra_txs=(), raw_blocks=None, headers=None, **kw):
        super().__init__(folder, **kw)
        for t in extra_txs:
            self.txs[t["txid"]] = t
            self.blocks.setdefault(t["status"]["block_hash"], []).append(t["txid"])
        self.hex = {txid: serialize(t).hex() for txid, t in self.txs.items()}
        self.raw_blocks = dict(raw_blocks or {})
        self.headers = dict(headers or {})  # full GET /block/:hash answers

    def __call__(self, method, path, headers, body):
        parts = path[len(self.prefix) + 1 :].split("/")
        if len(parts) == 3 and parts[0] == "tx" and parts[2] == "hex" and parts[1] in self.hex:
            return 200, {"Content-Type": "text/plain"}, self.hex[parts[1]].encode()
        if len(parts) == 3 and parts[0] == "block" and parts[2] == "raw" and parts[1] in self.raw_blocks:
            return 200, {"Content-Type": "application/octet-stream"}, self.raw_blocks[parts[1]]
        if len(parts) == 3 and parts[0] == "block" and parts[2] == "txids" and parts[1] in self.blocks:
            return 200, {"Content-Type": "application/json"}, json.dumps(self.blocks[parts[1]]).encode()
        if len(parts) == 2 and parts[0] == "block" and parts[1] in self.headers:
            return 200, {"Content-Type": "application/json"}, json.dumps(self.headers[parts[1]]).encode()
        return super().__call__(method, path, headers, body)


@pytest.fixture(scope="module")
def cases(real_data):
    return real_data / "esplora-cases"


@pytest.fixture(scope="module")
def recorded(cases):
    txs = {}
    for f in sorted(cases.glob("*.json")):
        obj = json.loads(f.read_text())
        for t in obj if isinstance(obj, list) else [obj]:
            if isinstance(t, dict) and "txid" in t:
                txs.setdefault(t["txid"], t)
    return txs


@pytest.fixture(scope="module")
def block_50001(real_data):
    rpc = real_data / "core-rpc"
    block = json.loads((rpc / "block_with_transactions" / f"rpc_response_getblock_{BLOCK_50001}_2.json").read_text())
    prev = {}
    for p in (rpc / "stream_50001_50002").glob("rpc_response_getrawtransaction_*"):
        t = json.loads(p.read_text())
        prev[t["txid"]] = t
    for t in block["tx"]:
        prev[t["txid"]] = t
    txs = [_core_to_esplora(t, block, prev) for t in block["tx"]]
    info = {
        "id": block["hash"],
        "height": block["height"],
        "version": block["version"],
        "timestamp": block["time"],
        "tx_count": len(block["tx"]),
        "size": block["size"],
        "weight": block["weight"],
        "merkle_root": block["merkleroot"],
        "previousblockhash": block["previousblockhash"],
        "nonce": block["nonce"],
        "bits": int(block["bits"], 16),
    }
    header = struct.pack(
        "<i32s32sIII",
        block["version"],
        bytes.fromhex(block["previousblockhash"])[::-1],
        bytes.fromhex(block["merkleroot"])[::-1],
        block["time"],
        int(block["bits"], 16),
        block["nonce"],
    )
    raw = header + _varint(len(block["tx"])) + b"".join(bytes.fromhex(t["hex"]) for t in block["tx"])
    return txs, raw, info


def _client(url, **kw):
    return ct.EsploraClient(url + "/api", rate_limit=None, page_size=2, progress=False, **kw)


@pytest.fixture()
def app(cases, block_50001):
    txs, raw, info = block_50001
    return VerifyingReplay(
        cases, extra_txs=copy.deepcopy(txs), raw_blocks={BLOCK_50001: raw}, headers={BLOCK_50001: copy.deepcopy(info)}
    )


# ---------------------------------------------------------------------- the rebuilt bytes are the real ones
def test_every_recorded_esplora_tx_serializes_to_bytes_hashing_to_its_txid(recorded, block_50001):
    assert len(recorded) == 16
    for txid, t in list(recorded.items()) + [(t["txid"], t) for t in block_50001[0]]:
        raw = serialize(t)
        no_witness = serialize({**t, "vin": [{**v, "witness": []} for v in t["vin"]]})
        assert _sha256d(no_witness)[::-1].hex() == txid
        assert len(raw) == t["size"] and len(no_witness) * 3 + len(raw) == t["weight"]
    assert _sha256d(block_50001[1][:80])[::-1].hex() == BLOCK_50001


# ---------------------------------------------------------------------- verify=True through the local server
def test_verified_fetch_gives_the_same_chain_with_one_more_request_per_tx(app, cases):
    with serve(app) as (url, log):
        plain = ct.fetch_neighborhood(_client(url), [SEIZURE, RANSOM_PAY], hops=1, direction="forward")
        n_plain = len(log)
        checked = _client(url, verify=True)
        assert "verify" in repr(checked)
        again = ct.fetch_neighborhood(checked, [SEIZURE, RANSOM_PAY], hops=1, direction="forward")
        hexes = [p for _, p in log[n_plain:] if p.endswith("/hex")]
    assert again == plain
    assert len(hexes) == len(plain.txs) and len(log) - n_plain == n_plain + len(plain.txs)


def test_a_flipped_byte_or_an_edited_json_field_is_refused_naming_url_and_txid(app):
    with serve(app) as (url, log):
        c = _client(url, verify=True)
        assert c.tx(SEIZURE)["fee"] == 3454

        good_hex = app.hex[SEIZURE]
        app.hex[SEIZURE] = good_hex[:20] + ("1" if good_hex[20] != "1" else "2") + good_hex[21:]  # in vin[0].txid
        with pytest.raises(E.TxidMismatchError, match=rf"/tx/{SEIZURE}/hex: transaction {SEIZURE}: its raw bytes"):
            c.tx(SEIZURE)
        assert _client(url).tx(SEIZURE)["fee"] == 3454  # without verify nothing looks at the bytes
        app.hex[SEIZURE] = good_hex

        good = copy.deepcopy(app.txs[SEIZURE])
        app.txs[SEIZURE]["vout"][0]["value"] += 100_000_000  # the JSON pays one more BTC than the bytes
        with pytest.raises(E.SourceMismatchError, match=rf"{SEIZURE}: the JSON says vout\[0\].value = "):
            c.tx(SEIZURE)
        app.txs[SEIZURE] = copy.deepcopy(good)
        app.txs[SEIZURE]["vin"][0]["vout"] += 1  # the JSON spends another coin
        with pytest.raises(E.SourceMismatchError, match=r"vin\[0\] \(the coin it spends"):
            c.tx(SEIZURE)
        app.txs[SEIZURE] = copy.deepcopy(good)
        fbi_out = next(o for o in app.txs[SEIZURE]["vout"] if o.get("scriptpubkey_address") == FBI)
        fbi_out["scriptpubkey_address"] = "bc1qq2euq8pw950klpjcawuy4uj39ym43hs6cfsegq"  # names another address
        with pytest.raises(E.SourceMismatchError, match=r"scriptpubkey_address = 'bc1qq2eu.*say 'bc1qpx7v"):
            c.tx(SEIZURE)
        app.txs[SEIZURE] = copy.deepcopy(good)
        app.txs[SEIZURE]["vin"][0]["is_coinbase"] = True
        app.txs[SEIZURE]["vin"][0]["prevout"] = None
        with pytest.raises(E.SourceMismatchError, match=r"vin\[0\].is_coinbase = True"):
            c.tx(SEIZURE)
        app.txs[SEIZURE] = good

        app.txs[SEIZURE], real = app.txs[RANSOM_PAY], app.txs[SEIZURE]  # the server answers another transaction
        with pytest.raises(E.SourceMismatchError, match=f"asked for transaction {SEIZURE}"):
            _client(url).tx(SEIZURE)  # checked with or without verify
        app.txs[SEIZURE] = real


def test_a_whole_block_is_checked_against_its_raw_bytes(app, block_50001):
    txs, raw, _ = block_50001
    with serve(app) as (url, log):
        c = _client(url, verify=True)
        got = c.block_txs(BLOCK_50001)
        assert [t["txid"] for t in got] == [t["txid"] for t in txs]
        assert sum(p.endswith("/raw") for _, p in log) == 1 and not any(p.endswith("/hex") for _, p in log)
        chain = c.chain(blocks=[BLOCK_50001])
        assert chain.tx(SPENDER).outputs.value.tolist() == [10_000_000_000]

        ids = app.blocks[BLOCK_50001]
        ids[1], ids[2] = ids[2], ids[1]  # the pages list the block's transactions in another order
        with pytest.raises(E.SourceMismatchError, match=f"transaction 1 of block {BLOCK_50001} is f8476145"):
            c.block_txs(BLOCK_50001)
        assert len(_client(url).block_txs(BLOCK_50001)) == 3  # without verify: nothing to compare with
        ids[1], ids[2] = ids[2], ids[1]

        head, n = raw[:81], raw[81:]
        t0, t1, t2 = (bytes.fromhex(t) for t in (app.hex[x] for x in ids))
        assert n == t0 + t1 + t2
        app.raw_blocks[BLOCK_50001] = head + t0 + t2 + t1  # the raw block itself reordered
        with pytest.raises(E.MerkleRootError, match=f"/block/{BLOCK_50001}/raw: .*merkle root"):
            c.block_txs(BLOCK_50001)
        app.raw_blocks[BLOCK_50001] = raw
        app.txs[SPENDER]["vout"][0]["value"] = 1  # one JSON field of the block's pages edited
        with pytest.raises(E.SourceMismatchError, match=rf"{SPENDER}: the JSON says vout\[0\].value = 1,"):
            c.block_txs(BLOCK_50001)


# ---------------------------------------------------------------------- strict field types
MUTATIONS = [  # (path in the seizure tx 943f2d57, new value, field named in the error)
    (("vin", 0, "is_coinbase"), "false", "vin[0].is_coinbase"),
    (("vin", 0, "is_coinbase"), 0, "vin[0].is_coinbase"),
    (("vin", 0, "is_coinbase"), None, "vin[0].is_coinbase"),
    (("vout", 0, "value"), "6369996546", "vout[0].value"),
    (("vout", 0, "value"), 6369996546.0, "vout[0].value"),
    (("vout", 0, "value"), 63.69996546, "vout[0].value"),
    (("vout", 0, "value"), True, "vout[0].value"),
    (("vout", 0, "value"), -1, "vout[0].value"),
    (("vout", 0, "value"), 21_000_000 * 100_000_000 + 1, "vout[0].value"),
    (("vin", 0, "prevout", "value"), "6960422177", "vin[0].prevout.value"),
    (("vin", 0, "prevout"), None, "vin[0].prevout"),
    (("vin", 0, "prevout"), [], "vin[0].prevout"),
    (("vin", 0, "txid"), "daf38c7b", "vin[0].txid"),
    (("vin", 0, "txid"), "x" * 64, "vin[0].txid"),
    (("vin", 0, "vout"), "0", "vin[0].vout"),
    (("vin", 0, "vout"), 1.0, "vin[0].vout"),
    (("vin", 0, "sequence"), None, "vin[0].sequence"),
    (("vin", 0, "witness"), "3044", "vin[0].witness"),
    (("vin", 0, "witness", 0), 5, "vin[0].witness[...]"),
    (("vout", 0, "scriptpubkey"), "0014zz", "vout[0].scriptpubkey"),
    (("vout", 0, "scriptpubkey"), None, "vout[0].scriptpubkey"),
    (("vout", 0, "scriptpubkey_address"), 7, "vout[0].scriptpubkey_address"),
    (("vout",), {}, "vout"),
    (("vin",), 5, "vin"),
    (("vin",), [], "vin"),
    (("txid",), SEIZURE[:-1], "txid"),
    (("txid",), 12, "txid"),
    (("status",), None, "status"),
    (("status", "confirmed"), "true", "status.confirmed"),
    (("status", "block_height"), "686683", "status.block_height"),
    (("status", "block_height"), None, "status.block_height"),
    (("status", "block_hash"), "00" * 31, "status.block_hash"),
    (("version",), "2", "version"),
    (("locktime",), -1, "locktime"),
    (("weight",), 561.5, "weight"),
    (("fee",), "3454", "fee"),
]


@pytest.mark.parametrize(
    "path, value, field", MUTATIONS, ids=[f"{'.'.join(map(str, m[0]))}={m[1]!r}"[:40] for m in MUTATIONS]
)
def test_strict_types_each_mutation_is_a_clear_field_error(tmp_path, recorded, path, value, field):
    t = copy.deepcopy(recorded[SEIZURE])
    target = t
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    (tmp_path / "seizure.json").write_text(json.dumps(t))
    with pytest.raises(E.FieldTypeError) as err:
        ct.load_esplora(tmp_path / "seizure.json")
    msg = str(err.value)
    assert "seizure.json" in msg and f"field {field!r}" in msg and "must be" in msg, msg
    if path != ("txid",):
        assert f"transaction {SEIZURE}" in msg


def test_strict_types_through_the_client(app):
    with serve(app) as (url, log):
        app.txs[SEIZURE]["vin"][0]["is_coinbase"] = "false"
        with pytest.raises(
            E.FieldTypeError,
            match=rf"GET {url}/api/tx/{SEIZURE}: transaction {SEIZURE}: "
            r"field 'vin\[0\].is_coinbase' is 'false' \(text\)",
        ):
            _client(url).tx(SEIZURE)
        with pytest.raises(E.FieldTypeError, match=r"/address/bc1qq2eu\w+/txs/chain/280c5f96\w+: transaction 943f2d57"):
            _client(url).address_txs("bc1qq2euq8pw950klpjcawuy4uj39ym43hs6cfsegq")


# ---------------------------------------------------------------------- property: a correct load or a clear error
def _paths(obj, prefix=()):
    """Every field path in a JSON value (dict keys and list positions), leaves and containers."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


def _json_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


OTHER_TYPES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.5,
    0.1,
    10**30,
    math.nan,
    "",
    "false",
    "true",
    "0",
    "zz",
    "0" * 64,
    [],
    [0],
    {},
    {"value": 1},
]


def _mutants(original):
    """Values of another JSON type than ``original`` (its text form included)."""
    kind = _json_kind(original)
    pool = [v for v in OTHER_TYPES if _json_kind(v) != kind]
    if kind in ("number", "bool"):
        pool.append(json.dumps(original))  # e.g. 5000 -> "5000"
    return pool


SMALL = ["323df21f0b0756f98336437aa3d2fb87e02b59f1946b714a7b09df04d429dec2", SEIZURE]  # coinjoin mix, seizure


@settings(max_examples=300)
@given(st.data())
def test_any_single_field_type_mutation_loads_correctly_or_is_a_cryptotrace_error(tmp_path_factory, recorded, data):
    txid = data.draw(st.sampled_from(SMALL), label="tx")
    t = copy.deepcopy(recorded[txid])
    path = data.draw(st.sampled_from(sorted(_paths(t), key=repr)), label="field")
    target = t
    for k in path[:-1]:
        target = target[k]
    value = data.draw(st.sampled_from(_mutants(target[path[-1]])), label="value")
    target[path[-1]] = value
    d = tmp_path_factory.mktemp("mut")
    (d / "tx.json").write_text(json.dumps(t))
    try:
        chain = ct.load_esplora(d / "tx.json")
    except E.CryptotraceError:
        return
    # it loaded: then the field was one the loader does not use, and the chain is the true one
    (d / "true.json").write_text(json.dumps(recorded[txid]))
    assert chain == ct.load_esplora(d / "true.json"), (path, value)


@pytest.fixture(scope="module")
def shared_app(cases, block_50001):
    return VerifyingReplay(cases, extra_txs=copy.deepcopy(block_50001[0]), raw_blocks={BLOCK_50001: block_50001[1]})


@settings(max_examples=25)
@given(st.data())
def test_served_mutations_give_a_correct_answer_or_a_cryptotrace_error(shared_app, recorded, data):
    app = shared_app
    t = copy.deepcopy(recorded[SEIZURE])
    path = data.draw(st.sampled_from(sorted(_paths(t), key=repr)), label="field")
    target = t
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = data.draw(st.sampled_from(_mutants(target[path[-1]])), label="value")
    app.txs[SEIZURE] = t
    try:
        with serve(app) as (url, log):
            try:
                chain = _client(url, verify=True).chain(txids=[SEIZURE])
            except E.CryptotraceError:
                return
    finally:
        app.txs[SEIZURE] = recorded[SEIZURE]
    assert chain == _chain_from_esplora([recorded[SEIZURE]]), path


def test_without_raw_blocks_txids_are_checked_against_the_header_and_each_tx_against_its_bytes(app, block_50001):
    del app.raw_blocks[BLOCK_50001]  # a server without /block/:hash/raw
    with serve(app) as (url, log):
        c = _client(url, verify=True)
        assert len(c.block_txs(BLOCK_50001)) == 3
        assert sum(p.endswith("/txids") for _, p in log) == 1 and sum(p.endswith("/hex") for _, p in log) == 3
        assert c.block_txids(BLOCK_50001) == [t["txid"] for t in block_50001[0]]

        ids = app.blocks[BLOCK_50001]
        ids.reverse()  # pages and txids reordered alike: only the merkle root can tell
        with pytest.raises(E.MerkleRootError, match=f"/block/{BLOCK_50001}/txids: the 3 txids, in the order given"):
            c.block_txs(BLOCK_50001)
        assert _client(url).block_txids(BLOCK_50001) == ids  # not checked without verify
        ids.reverse()
        app.headers[BLOCK_50001]["nonce"] += 1  # a header field edited
        with pytest.raises(E.SourceMismatchError, match="header fields .* hash to"):
            c.block_txids(BLOCK_50001)
        app.headers[BLOCK_50001]["nonce"] -= 1
        app.headers[BLOCK_50001]["bits"] = "1c2a1115"  # Esplora gives bits as a number
        with pytest.raises(E.FieldTypeError, match="field 'bits' is '1c2a1115' \\(text\\)"):
            c.block_txids(BLOCK_50001)
        del app.headers[BLOCK_50001]  # a server whose block answer has no header fields
        with pytest.raises(E.FetchError, match="has no 'merkle_root'"):
            c.block_txids(BLOCK_50001)


def test_a_verified_cache_is_checked_again_when_loaded(app, tmp_path):
    cache = tmp_path / "cache"
    with serve(app) as (url, log):
        c = _client(url, verify=True, cache_dir=cache)
        chain = c.chain(txids=[SEIZURE, RANSOM_PAY])
        n = len(log)
        offline = _client(url, verify=True, cache_dir=cache, offline=True)
        assert offline.chain(txids=[SEIZURE, RANSOM_PAY]) == chain and len(log) == n  # hex answered from the cache
    hex_file = cache / f"tx__{SEIZURE}__hex.txt"
    assert hex_file.exists() and ct.load_esplora(cache) == chain
    good = hex_file.read_text()
    hex_file.write_text(good[:20] + ("1" if good[20] != "1" else "2") + good[21:])
    with pytest.raises(E.TxidMismatchError, match=f"tx__{SEIZURE}.json and .*tx__{SEIZURE}__hex.txt"):
        ct.load_esplora(cache)
    assert ct.load_esplora(cache, verify=False) == chain
    with pytest.raises(E.TxidMismatchError):
        _client("http://127.0.0.1:9", verify=True, cache_dir=cache, offline=True).tx(SEIZURE)
    hex_file.write_text(good)
    entry = cache / f"tx__{SEIZURE}.json"
    t = json.loads(entry.read_text())
    t["vout"][0]["value"] += 1
    entry.write_text(json.dumps(t))
    with pytest.raises(E.SourceMismatchError, match=r"vout\[0\].value"):
        ct.load_esplora(cache)
