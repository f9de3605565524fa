"""Bitcoin Core RPC: saved answers and the real client against a local JSON-RPC server."""

from __future__ import annotations

import copy
import hashlib
import struct
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import errors as E

from ._local_server import CoreReplay, garbage, serve, stalling

FOLDERS = ["block_0", "block_1", "block_without_transactions", "block_with_transactions", "stream_50001_50002"]
SPENDER = "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a"


@pytest.fixture(scope="module")
def rpc(real_data):
    return real_data / "core-rpc"


@pytest.fixture(scope="module")
def node(rpc):
    app = CoreReplay([rpc / f for f in FOLDERS])
    with serve(app) as (url, log):
        yield url, log, app


def expected(rpc, folder):
    return [json.loads(ln) for ln in (rpc / folder / "expected_transactions.json").read_text().splitlines() if ln]


def files_for(rpc, folder):
    if folder == "stream_50001_50002":  # its blocks are saved in the neighbouring folder
        return [rpc / "block_with_transactions", rpc / folder]
    return [rpc / folder]


@pytest.mark.parametrize("folder", FOLDERS)
def test_saved_answers_give_the_values_in_expected_transactions(rpc, folder):
    chain = ct.load_core_json(files_for(rpc, folder))
    exp = expected(rpc, folder)
    assert sorted(chain.txs.txid) == sorted(t["hash"] for t in exp)
    for t in exp:
        tx = chain.tx(t["hash"])
        assert tx.block_height == t["block_number"]
        assert int(tx.time.timestamp()) == t["block_timestamp"]
        assert tx.outputs.value.tolist() == [o["value"] for o in t["outputs"]]
        assert tx.outputs.address.tolist() == [o["addresses"][0] for o in t["outputs"]]
        real_inputs = tx.inputs[tx.inputs.prev_txid.notna()]
        assert [(r.prev_txid, int(r.prev_vout)) for r in real_inputs.itertuples()] == [
            (i["spent_transaction_hash"], i["spent_output_index"]) for i in t["inputs"]
        ]
        if all(i["value"] is not None for i in t["inputs"]):
            assert [int(v) for v in real_inputs.value] == [i["value"] for i in t["inputs"]]
            assert real_inputs.address.tolist() == [i["addresses"][0] for i in t["inputs"]]
            assert tx.fee == t["fee"]
        assert bool(tx.is_coinbase) == t["is_coinbase"]
        assert int(chain.txs.set_index("txid").loc[t["hash"], "size"]) == t["size"]


def test_genesis_and_the_first_spend_of_block_50001(rpc):
    g = ct.load_core_json(rpc / "block_0")
    assert g.outputs.address.tolist() == ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]
    assert g.outputs.value.tolist() == [50 * 100_000_000] and g.outputs.script_type.tolist() == ["p2pk"]
    s = ct.load_core_json(files_for(rpc, "stream_50001_50002")).tx(SPENDER)
    assert s.inputs.value.astype(int).tolist() == [5_000_000_000, 5_000_000_000]
    assert s.inputs.is_external.all()  # two older coinbases, known from getrawtransaction
    assert s.outputs.address.tolist() == ["1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ"] and s.fee == 0


def _block_file(rpc, folder):
    return next((rpc / folder).glob("rpc_response_getblock_*"))


def _to_v22(obj):
    """Core 22+ layout: scriptPubKey.address instead of addresses/reqSigs."""
    obj = copy.deepcopy(obj)
    for t in obj["tx"]:
        for o in t["vout"]:
            spk = o["scriptPubKey"]
            addrs = spk.pop("addresses", None)
            spk.pop("reqSigs", None)
            if addrs and spk["type"] != "pubkey":  # v22 dropped addresses of bare public keys
                spk["address"] = addrs[0]
    return obj


@settings(max_examples=8)
@given(
    st.sampled_from(["block_0", "block_1", "block_without_transactions"]),
    st.sampled_from(["bare", "envelope", "batch", "lines"]),
    st.booleans(),
)
def test_layouts_and_wrappers_give_the_same_chain(tmp_path_factory, rpc, folder, wrap, v22):
    obj = json.loads(_block_file(rpc, folder).read_text(), parse_float=Decimal)
    if v22:
        obj = _to_v22(obj)
    text = json.dumps(
        {"result": obj, "error": None, "id": 1}
        if wrap == "envelope"
        else [{"result": obj, "error": None, "id": 1}]
        if wrap == "batch"
        else obj,
        default=float,
    )
    if wrap == "lines":  # JSON lines; the same block twice counts once
        text = text + "\n" + text + "\n"
    d = tmp_path_factory.mktemp("core")
    (d / "b.json").write_text(text)
    assert ct.load_core_json(d / "b.json") == ct.load_core_json(_block_file(rpc, folder))


def test_verbosity_3_prevouts_need_no_getrawtransaction(tmp_path, rpc):
    blocks = [
        json.loads(p.read_text(), parse_float=Decimal)
        for p in (rpc / "block_with_transactions").glob("rpc_response_getblock_*")
    ]
    raw = {
        json.loads(p.read_text())["txid"]: json.loads(p.read_text(), parse_float=Decimal)
        for p in (rpc / "stream_50001_50002").glob("rpc_response_getrawtransaction_*")
    }
    for b in blocks:
        for t in b["tx"]:
            for v in t["vin"]:
                if "coinbase" not in v:
                    src = raw[v["txid"]]["vout"][v["vout"]]
                    v["prevout"] = {
                        "generated": True,
                        "height": 1,
                        "value": src["value"],
                        "scriptPubKey": src["scriptPubKey"],
                    }
    (tmp_path / "v3.json").write_text(json.dumps(blocks, default=float))
    v3 = ct.load_core_json(tmp_path / "v3.json")
    assert v3 == ct.load_core_json(files_for(rpc, "stream_50001_50002"))


def test_an_etl_file_or_verbosity_1_is_refused_with_a_hint(tmp_path, rpc):
    with pytest.raises(E.InputFormatError, match="load_etl"):
        ct.load_core_json(rpc / "block_0" / "expected_transactions.json")
    obj = json.loads(_block_file(rpc, "block_1").read_text())
    obj["tx"] = [t["txid"] for t in obj["tx"]]
    (tmp_path / "v1.json").write_text(json.dumps(obj))
    with pytest.raises(E.InputFormatError, match="verbosity 2 or 3"):
        ct.load_core_json(tmp_path / "v1.json")
    (tmp_path / "err.json").write_text('{"result": null, "error": {"code": -5, "message": "nope"}, "id": 1}')
    with pytest.raises(E.InputFormatError, match="RPC error"):
        ct.load_core_json(tmp_path / "err.json")


def test_getrawtransaction_answers_alone_are_transactions(rpc):
    chain = ct.load_core_json(sorted((rpc / "stream_50001_50002").glob("rpc_response_getrawtransaction_*")))
    assert len(chain.txs) == 3 and chain.txs.is_coinbase.all()
    assert chain.txs.block_height.isna().all()  # heights are not in getrawtransaction answers
    assert chain.txs.time.notna().all()


# ---------------------------------------------------------------------- the client
def test_client_gives_the_same_chain_as_the_saved_answers(node, rpc):
    url, log, app = node
    c = ct.CoreRPCClient(url, user="alice", password="secret", progress=False)
    assert c.fetch_chain(50001, 50002) == ct.load_core_json(files_for(rpc, "stream_50001_50002"))
    assert c.fetch_chain(0, 1) == ct.load_core_json([rpc / "block_0", rpc / "block_1"])
    assert c.fetch_chain(50000) == ct.load_core_json(rpc / "block_without_transactions")
    assert ("getrawtransaction", (SPENDER, True)) not in app.calls
    assert (
        "getrawtransaction",
        ("76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea", True),
    ) in app.calls


def test_batches_and_cookie_login(node, rpc, tmp_path):
    url, log, app = node
    cookie = tmp_path / ".cookie"
    cookie.write_text("alice:secret")
    c = ct.CoreRPCClient(url, cookie_file=cookie, batch_size=1, progress=False)
    n = len(log)
    chain = c.fetch_chain(50001, 50002)
    assert len(log) - n == 2 + 2 + 3  # one POST per call with batch_size=1
    wide = ct.CoreRPCClient(url, user="alice", password="secret", batch_size=50, progress=False)
    n = len(log)
    assert wide.fetch_chain(50001, 50002) == chain
    assert len(log) - n == 3  # hashes, blocks, prevouts
    assert c.getblockhash(1) == "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"
    assert c.getrawtransaction("0d37522b89f991f8433b80f709ad31862a54435cd003f25732fe405e9db93216")["vout"][0][
        "value"
    ] == Decimal("50.00000000")
    with pytest.raises(E.FetchError, match="no cookie file"):
        ct.CoreRPCClient(url, cookie_file=tmp_path / "missing")


def test_rpc_errors_are_clear(node):
    url, log, app = node
    c = ct.CoreRPCClient(url, user="alice", password="secret", progress=False)
    with pytest.raises(E.NotFoundError, match="out of range"):
        c.fetch_chain(7)
    with pytest.raises(E.NotFoundError, match="txindex"):
        c.getrawtransaction("ab" * 32)
    with pytest.raises(E.FetchError, match="Method not found"):
        c.call("stop")
    with pytest.raises(E.FetchError, match="401"):
        ct.CoreRPCClient(url, user="alice", password="wrong").getblockcount()
    with pytest.raises(E.FetchError, match="not a range"):
        c.fetch_chain(5, 2)


def test_broken_nodes():
    with serve(garbage) as (url, log):
        with pytest.raises(E.FetchError, match="not JSON-RPC"):
            ct.CoreRPCClient(url, user="a", password="b").getblockcount()
    with serve(stalling(2.0)) as (url, log):
        with pytest.raises(E.FetchError, match="timeout"):
            ct.CoreRPCClient(url, user="a", password="b", timeout=0.3, max_retries=0).getblockcount()


# ---------------------------------------------------------------------- verify what the node verifies
def _sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def _answers(rpc):
    """Every recorded getblock / getrawtransaction answer: (path, parsed JSON)."""
    return [
        (p, json.loads(p.read_text(), parse_float=Decimal))
        for p in sorted(rpc.glob("*/rpc_response_get*.json"))
        if "getblockhash" not in p.name
    ]


def test_every_recorded_answer_hashes_to_its_own_txids_merkle_roots_and_block_hashes(rpc):
    """Recomputed here with hashlib alone (not with the library's helpers)."""
    n_tx = n_block = 0
    for path, obj in _answers(rpc):
        txs = obj["tx"] if "tx" in obj else [obj]
        for t in txs:
            assert _sha256d(bytes.fromhex(t["hex"]))[::-1].hex() == t["txid"], (path, t["txid"])
            n_tx += 1
        if "tx" in obj:
            level = [bytes.fromhex(t["txid"])[::-1] for t in txs]
            while len(level) > 1:
                level = level + level[-1:] if len(level) % 2 else level
                level = [_sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
            assert level[0][::-1].hex() == obj["merkleroot"], path
            head = struct.pack(
                "<i32s32sIII",
                obj["version"],
                bytes.fromhex(obj.get("previousblockhash", "0" * 64))[::-1],
                bytes.fromhex(obj["merkleroot"])[::-1],
                obj["time"],
                int(obj["bits"], 16),
                obj["nonce"],
            )
            assert _sha256d(head)[::-1].hex() == obj["hash"], path
            n_block += 1
    assert (n_tx, n_block) == (7 + 3, 5)  # 7 txs in 5 blocks, 3 getrawtransaction answers
    for folder in FOLDERS:  # and the loader agrees: verifying changes nothing in a true answer
        assert ct.load_core_json(files_for(rpc, folder), verify=True) == ct.load_core_json(
            files_for(rpc, folder), verify=False
        )


def _block(rpc, folder="block_with_transactions", height=50001):
    path = next(
        p for p in (rpc / folder).glob("rpc_response_getblock_*") if json.loads(p.read_text())["height"] == height
    )
    return json.loads(path.read_text(), parse_float=Decimal)


def _dump(obj):
    return json.dumps(obj, default=lambda d: float(d) if isinstance(d, Decimal) else str(d))


def _load(tmp_path, *objs, verify=True):
    paths = []
    for k, o in enumerate(objs):
        p = tmp_path / f"answer{k}.json"
        p.write_text(_dump(o))
        paths.append(p)
    return ct.load_core_json(paths, verify=verify)


@settings(max_examples=30)
@given(st.data())
def test_a_flipped_byte_in_any_hex_is_refused_naming_the_transaction(tmp_path_factory, rpc, data):
    obj = _block(rpc)
    k = data.draw(st.integers(0, len(obj["tx"]) - 1), label="tx")
    raw = bytearray.fromhex(obj["tx"][k]["hex"])
    pos = data.draw(st.integers(0, len(raw) - 1), label="byte")
    raw[pos] ^= data.draw(st.integers(1, 255), label="xor")
    obj["tx"][k]["hex"] = raw.hex()
    d = tmp_path_factory.mktemp("flip")
    with pytest.raises(E.SourceMismatchError) as err:  # TxidMismatchError, or bytes that no longer parse
        _load(d, obj)
    assert obj["tx"][k]["txid"] in str(err.value) and "answer0.json" in str(err.value)


def test_edited_hex_txid_value_prevout_or_address_are_each_refused(tmp_path, rpc):
    base = _block(rpc)
    spender = base["tx"][1]
    assert spender["txid"] == SPENDER
    _load(tmp_path, base)  # the true answer loads

    obj = copy.deepcopy(base)  # one byte of a signature flipped
    h = obj["tx"][1]["hex"]
    obj["tx"][1]["hex"] = h[:100] + ("0" if h[100] != "0" else "1") + h[101:]
    with pytest.raises(E.TxidMismatchError, match=f"transaction {SPENDER}: its raw bytes .* hash to txid"):
        _load(tmp_path, obj)
    assert _load(tmp_path, obj, verify=False).txs.txid.tolist()  # without verify it loads (the user chose so)

    obj = copy.deepcopy(base)  # the txid edited, the bytes true
    obj["tx"][1]["txid"] = SPENDER[:-1] + "b"
    with pytest.raises(E.TxidMismatchError, match=f"hash to txid {SPENDER}"):
        _load(tmp_path, obj)

    obj = copy.deepcopy(base)  # the JSON claims another amount than the bytes
    obj["tx"][1]["vout"][0]["value"] = Decimal("99.00000000")
    with pytest.raises(
        E.SourceMismatchError,
        match=rf"{SPENDER}: the JSON says vout\[0\].value .* = 9900000000, "
        r"but its raw bytes .* say 10000000000",
    ):
        _load(tmp_path, obj)

    obj = copy.deepcopy(base)  # the JSON says it spends another coin
    obj["tx"][1]["vin"][0]["vout"] = 1
    with pytest.raises(
        E.SourceMismatchError,
        match=r"vin\[0\] \(the coin it spends, txid:vout\) = '76a8d70a\w+:1', "
        r"but .* say '76a8d70a\w+:0'",
    ):
        _load(tmp_path, obj)
    obj = copy.deepcopy(base)
    obj["tx"][1]["vin"][1]["txid"] = "0d37522b89f991f8433b80f709ad31862a54435cd003f25732fe405e9db93216"
    with pytest.raises(E.SourceMismatchError, match=r"vin\[1\] .* = '0d37522b\w+:0', but .* say '0dd0394c\w+:0'"):
        _load(tmp_path, obj)

    obj = copy.deepcopy(base)  # the named address is not the one the script pays
    obj["tx"][1]["vout"][0]["scriptPubKey"]["addresses"] = ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]
    with pytest.raises(E.SourceMismatchError, match=r"vout\[0\] address = '1A1zP1"):
        _load(tmp_path, obj)
    obj = copy.deepcopy(base)  # the script hex edited (it pays someone else)
    spk = obj["tx"][1]["vout"][0]["scriptPubKey"]
    spk["hex"] = spk["hex"][:10] + "00" * 20 + spk["hex"][50:]
    with pytest.raises(E.SourceMismatchError, match=r"scriptPubKey.hex pays to"):
        _load(tmp_path, obj)


def test_a_reordered_or_shortened_block_breaks_its_merkle_root(tmp_path, rpc):
    obj = _block(rpc)
    obj["tx"] = [obj["tx"][0], obj["tx"][2], obj["tx"][1]]
    with pytest.raises(E.MerkleRootError, match=f"block {obj['hash']}: its 3 transactions, in the order given"):
        _load(tmp_path, obj)
    obj["tx"] = obj["tx"][:2]
    with pytest.raises(E.MerkleRootError, match="its 2 transactions"):
        _load(tmp_path, obj)
    obj = _block(rpc)
    obj["nonce"] += 1  # a header field edited: the block hash no longer follows
    with pytest.raises(E.SourceMismatchError, match="header fields .* hash to"):
        _load(tmp_path, obj)
    obj = _block(rpc)
    obj["nTx"] = 4
    with pytest.raises(E.SourceMismatchError, match="nTx = 4 but lists 3"):
        _load(tmp_path, obj)


def test_a_prevout_answer_that_lies_about_the_spent_value_is_refused(tmp_path, rpc):
    """Input values come from getrawtransaction answers: their JSON is checked against their own bytes."""
    prev = json.loads(
        (
            rpc / "stream_50001_50002" / "rpc_response_getrawtransaction_"
            "76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea.json"
        ).read_text(),
        parse_float=Decimal,
    )
    prev["vout"][0]["value"] = Decimal("500.00000000")
    with pytest.raises(E.SourceMismatchError, match="76a8d70a.*vout\\[0\\].value"):
        _load(tmp_path, _block(rpc), prev)
    chain = _load(tmp_path, _block(rpc), prev, verify=False)
    assert 50_000_000_000 in chain.tx(SPENDER).inputs.value.dropna().astype(int).tolist()  # verify=False believes it


MUTATIONS = [  # (where in block 50001, new value, field named in the error)
    (("tx", 1, "vout", 0, "value"), "100.00000000", "vout[0].value"),
    (("tx", 1, "vout", 0, "value"), True, "vout[0].value"),
    (("tx", 1, "vout", 0, "value"), Decimal("-1"), "vout[0].value"),
    (("tx", 1, "vout", 0, "value"), Decimal("21000000.00000001"), "vout[0].value"),
    (("tx", 1, "vout", 0, "value"), Decimal("100.000000001"), "vout[0].value"),
    (("tx", 1, "vout", 0, "value"), None, "vout[0].value"),
    (("tx", 1, "vout", 0, "n"), "0", "vout[0].n"),
    (("tx", 1, "vout", 0, "n"), 1, "vout[0].n"),
    (("tx", 1, "vout", 0, "scriptPubKey"), "76a914", "vout[0].scriptPubKey"),
    (("tx", 1, "vout", 0, "scriptPubKey", "hex"), "76a9zz", "vout[0].scriptPubKey.hex"),
    (("tx", 1, "vout"), {}, "vout"),
    (("tx", 1, "vin"), 5, "vin"),
    (("tx", 1, "vin"), [], "vin"),
    (("tx", 1, "vin", 0), "76a8d70a", "vin[0]"),
    (("tx", 1, "vin", 0, "vout"), "0", "vin[0].vout"),
    (("tx", 1, "vin", 0, "vout"), False, "vin[0].vout"),
    (("tx", 1, "vin", 0, "vout"), -1, "vin[0].vout"),
    (("tx", 1, "vin", 0, "txid"), "76a8d70a", "vin[0].txid"),
    (("tx", 1, "vin", 0, "txid"), "g" * 64, "vin[0].txid"),
    (("tx", 1, "vin", 0, "sequence"), "4294967295", "vin[0].sequence"),
    (("tx", 1, "vin", 0, "sequence"), 2**32, "vin[0].sequence"),
    (("tx", 1, "txid"), 12345, "txid"),
    (("tx", 1, "txid"), SPENDER + "00", "txid"),
    (("tx", 1, "hex"), 5, "hex"),
    (("tx", 1, "hex"), "0100zz", "hex"),
    (("tx", 1, "version"), "1", "version"),
    (("tx", 1, "locktime"), 1.5, "locktime"),
    (("tx", 1, "size"), True, "size"),
    (("tx", 1), 7, "tx[...]"),
    (("hash",), "00" * 31, "hash"),
    (("height",), "50001", "height"),
    (("height",), True, "height"),
    (("time",), -5, "time"),
    (("merkleroot",), 17, "merkleroot"),
    (("bits",), 470428181, "bits"),
]


@pytest.mark.parametrize(
    "path, value, field", MUTATIONS, ids=[f"{'.'.join(map(str, m[0]))}={m[1]!r}"[:50] for m in MUTATIONS]
)
def test_strict_types_each_mutation_is_a_clear_field_error(tmp_path, rpc, path, value, field):
    obj = _block(rpc)
    target = obj
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    for verify in (True, False):  # types are checked whether or not the bytes are verified
        with pytest.raises(E.FieldTypeError) as err:
            _load(tmp_path, obj, verify=verify)
        msg = str(err.value)
        assert "answer0.json" in msg and f"field {field!r}" in msg, msg
        assert "must be" in msg and ("fetch it again" in msg or "again unchanged" in msg), msg


def test_served_answers_are_verified_by_the_client_too(rpc):
    app = CoreReplay([rpc / f for f in FOLDERS])
    with serve(app) as (url, log):
        c = ct.CoreRPCClient(url, user="alice", password="secret", progress=False)
        good = c.fetch_chain(50001, 50002)
        block = app.results[("getblock", "000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141")]
        prev = app.results[("getrawtransaction", "76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea")]
        saved = copy.deepcopy((block, prev))

        prev["vout"][0]["value"] = 500.0  # the node lies about the value of a coin spent in block 50001
        with pytest.raises(E.SourceMismatchError, match=r"getrawtransaction\('76a8d70a.*vout\[0\].value"):
            c.fetch_chain(50001, 50002)
        assert c.fetch_chain(50001, 50002, verify=False) != good
        prev["vout"][0]["value"] = "50.00000000"  # strict types, through the client as well
        with pytest.raises(E.FieldTypeError, match=rf"{url} getrawtransaction.*'vout\[0\].value' is '50.00000000'"):
            c.fetch_chain(50001, 50002, verify=False)
        prev.update(copy.deepcopy(saved[1]))

        block["tx"].reverse()
        with pytest.raises(E.MerkleRootError, match=rf"{url} getblock\('000000001c920d49.*in the order given"):
            c.fetch_chain(50001, 50002)
        block["tx"].reverse()
        app.results[("getblockhash", 50002)] = "000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141"
        with pytest.raises(E.SourceMismatchError, match="asked for block .* at height 50002"):
            c.fetch_chain(50002)  # hash 50001's answered for height 50002
        assert (block, prev) == saved


def _paths(obj, prefix=()):
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
    if isinstance(v, (int, float, Decimal)):
        return "number"
    return type(v).__name__


_OTHER = [
    None,
    True,
    False,
    0,
    -1,
    Decimal("1.5"),
    Decimal("0.000000001"),
    10**30,
    float("nan"),
    "",
    "false",
    "0",
    "zz",
    "0" * 64,
    [],
    [0],
    {},
    {"value": 1},
]


@settings(max_examples=200)
@given(st.data())
def test_any_single_field_type_mutation_loads_the_true_chain_or_is_a_cryptotrace_error(tmp_path_factory, rpc, data):
    obj = _block(rpc)
    path = data.draw(st.sampled_from(sorted(_paths(obj), key=repr)), label="field")
    target = obj
    for k in path[:-1]:
        target = target[k]
    old = target[path[-1]]
    pool = [v for v in _OTHER if _json_kind(v) != _json_kind(old)]
    if _json_kind(old) in ("number", "bool"):
        pool.append(str(old))
    target[path[-1]] = data.draw(st.sampled_from(pool), label="value")
    d = tmp_path_factory.mktemp("mut")
    try:
        chain = _load(d, obj)
    except E.CryptotraceError:
        return
    assert chain == _load(d, _block(rpc)), path  # loaded: the field is one the loader does not use


def test_the_import_command_refuses_a_tampered_answer_with_a_plain_message(tmp_path, rpc, capsys):
    from cryptotrace.cli import main

    obj = _block(rpc)
    obj["tx"][1]["vout"][0]["value"] = Decimal("99.00000000")
    (tmp_path / "block.json").write_text(_dump(obj))
    code = main(["import", "--format", "core-rpc", str(tmp_path / "block.json"), "-o", str(tmp_path / "case")])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "case").exists()
    assert "Traceback" not in err and f"transaction {SPENDER}: the JSON says vout[0].value" in err, err
