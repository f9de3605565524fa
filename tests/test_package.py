"""Packaging promises: fast import, bitcoinlib kept out of the home directory, CLI, graphs, addresses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import addresses as ad
from cryptotrace import errors as E


def run_py(code: str, env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("BCL_DATA_DIR",)}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_import_is_quick_and_lazy():
    code = (
        "import time, sys; t = time.perf_counter(); import cryptotrace; d = time.perf_counter() - t; "
        "print(d); "
        "print(sorted(m for m in ('pandas', 'bitcoinlib', 'matplotlib', 'networkx') if m in sys.modules))"
    )
    best = min(float(run_py(code, {}).stdout.split()[0]) for _ in range(3))
    out = run_py(code, {}).stdout.splitlines()
    assert best < 0.5, f"import cryptotrace took {best:.2f} s"
    assert out[1] == "[]"  # no heavy module imported


def test_home_directory_untouched_even_when_bitcoinlib_is_used(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code = (
        "import cryptotrace, cryptotrace._bcl as b; k = b.bitcoinlib_keys(); "
        "print(k.Address.parse('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa').address)"
    )
    proc = run_py(code, {"HOME": str(home), "CRYPTOTRACE_BITCOINLIB_DIR": str(tmp_path / "bcl")})
    assert proc.returncode == 0, proc.stderr
    assert "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" in proc.stdout
    assert list(home.iterdir()) == []
    assert (tmp_path / "bcl").exists()  # bitcoinlib wrote into its box instead


REAL_ADDRESSES = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls",
    "bc1qq2euq8pw950klpjcawuy4uj39ym43hs6cfsegq",
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
]


@pytest.mark.parametrize("address", REAL_ADDRESSES)
def test_decoder_agrees_with_bitcoinlib_on_real_addresses(address):
    from cryptotrace._bcl import bitcoinlib_keys

    ours_type, payload = ad.decode_address(address)
    theirs = bitcoinlib_keys().deserialize_address(address)
    assert payload.hex() in theirs["raw"].hex() if "raw" in theirs else True
    assert theirs["public_key_hash"] == payload.hex()
    assert ad.encode_address(ours_type, payload) == address


@given(st.sampled_from(["p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"]), st.integers(0, 2**32 - 1))
def test_random_addresses_round_trip_and_bitcoinlib_accepts_them(kind, seed):
    from cryptotrace._bcl import bitcoinlib_keys

    addr = ad.random_addresses(np.random.default_rng(seed), 1, kind)[0]
    assert ad.decode_address(addr)[0] == kind
    assert bitcoinlib_keys().deserialize_address(addr)["public_key_hash"] == ad.decode_address(addr)[1].hex()


@given(st.sampled_from(REAL_ADDRESSES), st.data())
def test_one_changed_character_is_rejected(address, data):
    i = data.draw(st.integers(4, len(address) - 1))
    alphabet = (
        "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
        if address.startswith("bc1")
        else "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    )
    c = data.draw(st.sampled_from([x for x in alphabet if x != address[i]]))
    typo = address[:i] + c + address[i + 1 :]
    with pytest.raises(E.InvalidAddressError, match="does not decode"):
        ad.decode_address(typo)


def test_scripts_decode_to_addresses():
    pk = bytes.fromhex("04" + "11" * 64)
    addr, kind = ad.address_from_script(bytes([65]) + pk + b"\xac")
    assert kind == "p2pk" and addr == ad.encode_address("p2pkh", ad.hash160(pk))
    assert ad.address_from_script(b"\x6a\x04abcd") == (None, "nulldata")
    assert ad.address_from_script(bytes.fromhex("a914" + "22" * 20 + "87"))[1] == "p2sh"
    assert ad.address_from_script(bytes.fromhex("5120" + "33" * 32))[0].startswith("bc1p")


def test_cli_help_lists_commands_with_descriptions():
    proc = subprocess.run([sys.executable, "-m", "cryptotrace", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for name in ("demo", "info"):
        assert name in proc.stdout


def test_cli_info_takes_a_bundled_name():
    proc = subprocess.run(
        [sys.executable, "-m", "cryptotrace", "info", "hal_finney", "--json"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["txs"] == 263  # blocks 0-255 of mainnet


def test_cli_info_json_has_exactly_the_promised_keys(tmp_path):
    from cryptotrace.testing import small_tables as small

    chain = ct.Chain.from_tables(*small())
    path = chain.save(tmp_path / "ds")
    proc = subprocess.run(
        [sys.executable, "-m", "cryptotrace", "info", str(path), "--json"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert set(info) == {
        "blocks",
        "txs",
        "inputs",
        "outputs",
        "addresses",
        "total_output_value",
        "sha256",
        "inputs_without_address",
        "inputs_without_value",
    }
    assert info["inputs_without_value"] == 0 == info["inputs_without_address"]
    assert info["txs"] == 3 and info["total_output_value"] == chain.total_output_value
    assert info["sha256"] == chain.content_hash


def test_cli_bad_dataset_gives_a_clear_error_and_exit_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "cryptotrace", "info", str(tmp_path / "missing")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no dataset folder") and "Traceback" not in proc.stderr
    assert "bundled: " in proc.stderr and "sample" in proc.stderr  # it names what does exist


def test_graph_views():
    from cryptotrace.testing import ADDRESS_POOL, txid_of
    from cryptotrace.testing import small_tables as small

    A, B, C = ADDRESS_POOL[:3]

    chain = ct.Chain.from_tables(*small())
    g = ct.tx_graph(chain)
    assert g.number_of_nodes() == 3
    assert g[txid_of(0)][txid_of(1)]["value"] == 50 * 10**8
    assert g[txid_of(1)][txid_of(2)]["value"] == 30 * 10**8
    a = ct.address_graph(chain)
    assert a[A][B] == {"value": 30 * 10**8, "tx_count": 1}
    assert a[B][C]["value"] == 29_99990000
    assert a.nodes[C]["balance"] == 29_99990000


def test_odd_witness_programs():
    # version 0 with a 25-byte program cannot be spent: no address
    assert ad.address_from_script(bytes([0, 25]) + bytes(25)) == (None, "nonstandard")
    # a future version (2) gets its bech32m address, which decodes again
    addr, kind = ad.address_from_script(bytes([0x52, 16]) + bytes(range(16)))
    assert kind == "witness_unknown" and ad.decode_address(addr) == ("witness_unknown", bytes(range(16)))


def test_bulk_address_check_in_slices_agrees_with_one_pass(monkeypatch):
    rng = np.random.default_rng(3)
    addrs = sum((ad.random_addresses(rng, 7, k) for k in ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr")), [])
    addrs += [a[:-1] + ("x" if a[-1] != "x" else "y") for a in addrs[::3]] + ["", "not an address"]
    kinds, valid = ad.classify_addresses(addrs)
    monkeypatch.setattr(ad, "_CHUNK", 4)
    kinds4, valid4 = ad.classify_addresses(addrs)
    assert list(kinds4) == list(kinds) and list(valid4) == list(valid)
    assert list(valid) == [ad.is_valid_address(a) for a in addrs]


def test_cli_bug_gives_one_line_and_exit_3_never_a_traceback(tmp_path, monkeypatch, capsys):
    """An unexpected exception (a bug) still prints one line; CRYPTOTRACE_DEBUG=1 shows the traceback."""
    from cryptotrace import cli
    from cryptotrace.commands import info

    def broken(args):
        return {}["no such key"]

    monkeypatch.setattr(info, "run", broken)
    monkeypatch.delenv("CRYPTOTRACE_DEBUG", raising=False)
    assert cli.main(["info", "sample"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KeyError" in err and "CRYPTOTRACE_DEBUG=1" in err
    assert "Traceback" not in err
    monkeypatch.setenv("CRYPTOTRACE_DEBUG", "1")
    with pytest.raises(KeyError):
        cli.main(["info", "sample"])
