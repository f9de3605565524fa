"""The economy simulator: valid chains, ground truth that agrees with them, realistic behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace.addresses import encode_address, is_valid_address
from cryptotrace.cases import generate
from cryptotrace.cases._fastaddr import addresses_from_payloads
from cryptotrace.chain import Chain
from cryptotrace.testing import assert_ledger_invariants


@pytest.fixture(scope="module")
def small():
    return generate(3_000, seed=11)


def test_fast_encoder_matches_reference_encoder():
    rng = np.random.default_rng(5)
    for t, size in (("p2wpkh", 20), ("p2wsh", 32), ("p2tr", 32), ("p2pkh", 20), ("p2sh", 20)):
        p = np.frombuffer(rng.bytes(size * 40), dtype=np.uint8).reshape(40, size)
        got = addresses_from_payloads(t, p)
        assert got == [encode_address(t, bytes(r)) for r in p]
        assert all(is_valid_address(a) for a in got)


def test_hex_strings_are_the_hex_of_each_value():
    from cryptotrace.cases.ledger import _draw, _hex_strings

    raw = np.random.default_rng(3).bytes(32 * 7)
    assert _hex_strings(raw, 32).to_pylist() == [raw[i * 32 : (i + 1) * 32].hex() for i in range(7)]
    assert _hex_strings(b"", 32).to_pylist() == []
    # drawing none still advances the random stream by one value, as the simulator always did
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    assert _draw(a, 32, 0) == b"" and a.bytes(4) == b.bytes(36)[32:]


def test_generated_tables_come_in_chain_order_and_build_without_reordering():
    """The simulator hands over its tables already in the Chain's row order (nothing is copied to sort)."""
    from cryptotrace.cases.economy import Economy

    eco = Economy(seed=4, n_blocks=12, target_txs=400, users=60)
    eco.run()
    tables, truth = eco.build()
    pos = {t: i for i, t in enumerate(tables["txs"].txid)}
    for name, num in (("outputs", "vout"), ("inputs", "vin")):
        df = tables[name]
        key = df.txid.map(pos).to_numpy() * 10_000 + df[num].to_numpy()
        assert (np.diff(key) > 0).all(), name
    chain = Chain.from_tables(**tables)
    assert chain.txs.txid.tolist() == tables["txs"].txid.tolist()
    # the ledger's txids and addresses, by ledger id, are text like any other column
    assert set(truth["txids"]) == set(chain.txs.txid)
    assert set(chain.outputs.address.dropna()) <= set(truth["addr_str"])
    assert isinstance(truth["addr_str"][0], str) and len(truth["txids"][0]) == 64


_invariants = assert_ledger_invariants  # cryptotrace.testing: the same rules for every test and instructor


def test_small_economy_is_a_valid_chain(small):
    chain, key = small
    # re-validate from the raw tables with every check, addresses included
    again = Chain.from_tables(
        txs=chain.txs,
        inputs=chain.inputs.drop(columns=["is_external"]),
        outputs=chain.outputs,
        blocks=chain.blocks,
        validate=True,
        check_addresses=True,
    )
    assert len(again) == len(chain)
    _invariants(chain, key)
    assert key.dataset_sha256 == chain.content_hash


@settings(max_examples=6)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(300, 900))
def test_invariants_hold_for_any_seed(seed, n):
    chain, key = generate(n, seed=seed, days=1)
    _invariants(chain, key)


def test_same_seed_same_chain():
    a, ka = generate(800, seed=4, days=1)
    b, kb = generate(800, seed=4, days=1)
    c, _ = generate(800, seed=5, days=1)
    assert a.content_hash == b.content_hash
    assert ka.txs.equals(kb.txs)
    assert a.content_hash != c.content_hash


def test_economy_has_its_actors_and_ground_truth(small):
    chain, key = small
    types = set(key.addresses.entity_type)
    assert {"user", "exchange", "market", "mining_pool", "merchant", "coinjoin_coordinator"} <= types
    purposes = key.txs.purpose
    assert purposes.str.contains("CoinJoin").any()
    assert purposes.str.contains("sweeps customer deposits").any()
    assert purposes.str.contains("pays customer withdrawals").any()
    assert purposes.str.contains("Nightshade Market").any()
    # Whirlpool-like mixes: 5 inputs, 5 equal outputs at a pool size
    wp = key.txs.index[purposes.str.contains("Whirlpool-like")]
    assert len(wp) > 0
    tx = chain.txs.set_index("txid").loc[wp]
    assert (tx.n_in == 5).all() and (tx.n_out == 5).all()
    outs = chain.outputs[chain.outputs.txid.isin(wp)]
    assert set(outs.value.unique()) <= {100_000, 1_000_000, 5_000_000, 50_000_000}
    assert (outs.groupby("txid").value.nunique() == 1).all()
    assert key.txs.loc[wp, "is_coinjoin"].all()


def test_blocks_are_ten_minutes_apart_and_coinbase_first(small):
    chain, _ = small
    gaps = chain.blocks.time.astype("int64").diff().dropna()
    assert 400 < gaps.mean() < 800
    assert (gaps >= 0).all()
    first = chain.txs.groupby("block_height").head(1)
    assert first.is_coinbase.all()
    assert chain.txs.is_coinbase.sum() == len(chain.blocks)


def test_wallet_fingerprints_are_varied(small):
    chain, key = small
    t = chain.txs[~chain.txs.is_coinbase]
    assert set(t.version.unique()) == {1, 2}
    assert (t.locktime > 0).mean() > 0.1 and (t.locktime == 0).mean() > 0.1
    af = t[t.locktime > 0]
    assert (af.locktime <= af.block_height - 1).all()
    seq = set(chain.inputs.sequence.dropna().unique())
    assert {0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFF} <= seq
    st_ = set(chain.outputs.script_type.unique())
    assert {"p2pkh", "p2sh", "p2wpkh", "p2tr", "p2wsh", "nulldata"} <= st_
    # change is sometimes first, sometimes last: position heuristics must not be perfect
    cv = key.txs.change_vout.dropna()
    n_out = chain.txs.set_index("txid").n_out.loc[cv.index]
    last = (cv.to_numpy() == n_out.to_numpy() - 1).mean()
    assert 0.2 < last < 0.95
    # some change goes back to an address already used as an input (reused change)
    c = key.change_outputs.merge(chain.outputs, on=["txid", "vout"])
    ins = chain.inputs[["txid", "address"]]
    reused = c.merge(ins, on=["txid", "address"])
    assert 0 < len(reused) < len(c)


def test_fees_follow_fee_rate_times_size(small):
    chain, _ = small
    t = chain.txs[~chain.txs.is_coinbase]
    rate = t.fee.astype(float) / t.vsize.astype(float)
    assert rate.min() >= 0.9
    assert rate.median() < 60
    assert (t.size >= t.vsize).all()


def test_generate_rejects_bad_arguments():
    from cryptotrace.errors import CaseError

    with pytest.raises(CaseError, match="at least 100"):
        generate(5)
    with pytest.raises(CaseError):
        generate([1, 2])


def test_sample_and_its_answer_key_agree(sample_chain):
    from cryptotrace.cases import load_answer_key

    key = load_answer_key("sample")
    assert len(sample_chain) >= 30_000
    assert key.dataset_sha256 == sample_chain.content_hash
    assert set(sample_chain.txs.txid) == set(key.txs.index)
    assert set(sample_chain.index.addresses) == set(key.addresses.index)
