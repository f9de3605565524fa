"""Tracing on cases: the sample chain's embedded cases (answer key) and the real Colonial Pipeline records."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cryptotrace as ct
from cryptotrace.testing import case_start as _case_start
from cryptotrace.tracing import seizure_candidates, trace

CASES = ["exchange_theft", "nps_vendor", "ransomware"]
_CATEGORY = {"exchange": "exchange", "mixer": "mixing_service", "market": "market", "mining_pool": "miner"}


@pytest.fixture(scope="module")
def sample():
    from cryptotrace.cases import load_answer_key

    return ct.load_sample(), load_answer_key("sample")


class _Owners:
    """The answer key's true owners as a clustering (a perfect clustering: labels_ address -> entity)."""

    def __init__(self, key):
        self.labels_ = key.addresses.entity


def _perfect_tags(key) -> pd.DataFrame:
    """Every address of a service, tagged with its entity's name and jurisdiction (perfect attribution)."""
    a = key.addresses[key.addresses.entity_type.isin(list(_CATEGORY))]
    ents = key.entities
    return pd.DataFrame(
        {
            "label": ents.name.reindex(a.entity).to_numpy(),
            "category": a.entity_type.map(_CATEGORY).to_numpy(),
            "jurisdiction": ents.jurisdiction.reindex(a.entity).to_numpy(),
        },
        index=a.index.rename("address"),
    )


@pytest.mark.parametrize("case", CASES)
def test_sample_cases_find_the_answer_keys_seizable_amounts(sample, case):
    chain, key = sample
    f = key.facts[case]
    t = trace(
        chain,
        _case_start(chain, key, case),
        policy="poison",
        max_hops=60,
        min_value=0,
        tags=_perfect_tags(key),
        clustering=_Owners(key),
    )
    sc = seizure_candidates(t, coinjoins=key.coinjoin_txids).table
    # every deposit the suspect made at an exchange is a candidate, in full, naming the exchange
    found = sc.set_index(["txid", "address"])
    total = 0
    for d in f["exchange_deposits"]:
        row = found.loc[(d["txid"], d["address"])]
        row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
        assert row.value == d["sats"]
        assert row.service == d["exchange"]
        assert row.classification in ("at_service", "mixed")  # after a CoinJoin the link is uncertain
        total += int(row.value)
    assert total == f["seizable_sats"]["at_exchanges"] == f["deposited_sats"]
    # the suspect's own unspent coins (e.g. cold storage whose xpub is on a seized phone)
    mine = sc[sc.classification == "suspect_unspent"]
    assert int(mine.value.sum()) == f["seizable_sats"]["suspect_wallets"]
    # exchanges are named with their jurisdiction in the action
    at = sc[sc.classification == "at_service"]
    juris = {n: x["jurisdiction"] for n, x in key.facts["economy"]["exchanges"].items()}
    for r in at.itertuples():
        if r.service in juris:
            assert r.jurisdiction == juris[r.service] and r.service in r.action
    # every candidate's evidence path starts at a start output and ends at the candidate
    starts = set(_case_start(chain, key, case))
    for r in sc.head(20).itertuples():
        assert r.evidence_path[0] in starts and r.evidence_path[-1] == f"{r.txid}:{r.vout}"


def test_sample_case_haircut_conserves_and_reaches_the_exchanges(sample):
    chain, key = sample
    f = key.facts["exchange_theft"]
    t = trace(
        chain,
        _case_start(chain, key, "exchange_theft"),
        policy="haircut",
        max_hops=60,
        min_value=0,
        tags=_perfect_tags(key),
        clustering=_Owners(key),
    )
    s = t.summary()
    assert s["conserved"] and s["start_value"] == f["income_sats"]
    sc = seizure_candidates(t, coinjoins=key.coinjoin_txids)
    reached = set(sc.table.loc[sc.table.classification == "at_service", "service"])
    assert set(f["exchanges_reached"]) <= reached


@pytest.mark.parametrize("case", ["exchange_theft", "nps_vendor"])
def test_sample_cases_with_real_clustering_and_the_packs_tags(sample, case):
    """What a trainee would do: multi-input clustering and the case pack's tags (exchange hot wallets only).

    The trace passes the (untagged) deposit addresses and stops at the exchanges' hot wallets, where
    haircut leaves the deposits less their share of the sweeps' fees: within 2 % of the answer key.
    Where the suspect mixed part of the money in the custodial mixer and spent the payouts (different
    coins, by design) together with the rest, haircut can only credit the deposits with the unmixed
    share: income less what went into the mixer, over income (the exchange thief: 60 %).
    """
    import warnings

    from cryptotrace.clustering import Clustering
    from cryptotrace.io.sample import sample_data_dir
    from cryptotrace.tags import load_tags

    chain, key = sample
    f = key.facts[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clusters = Clustering().fit(chain)
        tags = load_tags(sample_data_dir() / "cases" / "sample" / "tags.yaml")
    t = trace(chain, _case_start(chain, key, case), policy="haircut", max_hops=60, tags=tags, clustering=clusters)
    assert t.summary()["conserved"]
    sc = seizure_candidates(t).table
    at = sc[sc.classification == "at_service"]
    mixed = sum(e.get("sats_in", 0) for e in f["events"] if e["event"] == "mixer")
    expected = f["seizable_sats"]["at_exchanges"] * (f["income_sats"] - mixed) / f["income_sats"]
    assert 0.98 * expected <= int(at.tainted_value.sum()) <= 1.02 * expected
    named = " ".join(at.service.dropna())
    assert all(x in named for x in f["exchanges_reached"])


# ---------------------------------------------------------------- the real Colonial Pipeline records
RANSOM_ADDR = "15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"
SWEEP_ADDR = "1DToN8Q6y31TGAz75Df729Bnujk6Xg7q5X"
ANCHOR = "bc1qq2euq8pw950klpjcawuy4uj39ym43hs6cfsegq"
FBI = "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"


@pytest.fixture(scope="module")
def colonial(real_data):
    from cryptotrace.io.esplora import load_esplora

    d = real_data / "esplora-cases"
    chain = load_esplora([d / "colonial_ransom_txs.json", d / "colonial_anchor_txs.json", d / "colonial_fbi_txs.json"])
    full = {}
    for name in ("colonial_ransom_txs.json", "colonial_anchor_txs.json", "colonial_fbi_txs.json"):
        for tx in json.loads((d / name).read_text()):
            full[tx["txid"][:8]] = tx["txid"]
    return chain, full


def test_colonial_ransom_is_followed_to_where_the_records_end(colonial):
    chain, txid = colonial
    ransom = f"{txid['6a798026']}:3"
    assert chain.outputs.set_index(["txid", "vout"]).loc[(txid["6a798026"], 3), "address"] == RANSOM_ADDR
    t = trace(chain, ransom, policy="haircut", max_hops=20)
    assert t.start_value == 7_500_030_000  # 75.0003 BTC
    assert t.records_complete is False and t.summary()["conserved"]
    ep = t.endpoints
    # the sweep 915fb4f0 (hop 1) pays 75.00034246 BTC to 1DToN8...; the records hold nothing after it
    sweep = ep[ep.address == SWEEP_ADDR].iloc[0]
    assert sweep.txid == txid["915fb4f0"] and sweep.vout == 1 and sweep.value == 7_500_034_246
    assert sweep.kind == "end_of_data" and sweep.hop == 1
    assert set(ep.kind) == {"end_of_data", "fee"}
    assert t.summary()["txs_followed"] == 1
    # poison counts the whole sweep output
    p = trace(chain, ransom, policy="poison", max_hops=20).endpoints
    assert int(p.loc[p.address == SWEEP_ADDR, "tainted_value"].iloc[0]) == 7_500_034_246
    # the seizure candidate says the records end there
    sc = seizure_candidates(t).table
    assert sc.iloc[0].address == SWEEP_ADDR and sc.iloc[0].classification == "end_of_records"


def test_colonial_seizure_traced_forward_and_backward(colonial):
    chain, txid = colonial
    # forward from the 69.60 BTC consolidation at the anchor address: the seizure pays 63.69996546 BTC to the FBI
    t = trace(chain, f"{txid['daf38c7b']}:0", policy="fifo", max_hops=5)
    fl = t.flows.set_index(["txid", "vout"])
    fbi = fl.loc[(txid["943f2d57"], 1)]
    assert fbi.address == FBI and fbi.value == 6_369_996_546 and fbi.tainted_value == 6_369_996_546
    ep = t.endpoints.set_index("txid")
    # the FBI output moves on in 6f8fcc22 and the anchor's change in 280c5f96; the records end after both
    assert ep.loc[txid["6f8fcc22"]].query("vout == 1").value.iloc[0] == 6_369_984_900
    assert txid["280c5f96"] in ep.index
    assert set(t.endpoints.kind) <= {"end_of_data", "fee"} and t.summary()["conserved"]
    # backward from the FBI's 63.7 BTC: it came from the 24 inputs of the consolidation, all outside the records
    b = trace(chain, f"{txid['943f2d57']}:1", direction="backward", policy="haircut", max_hops=5, min_value=0)
    bep = b.endpoints
    assert set(bep.kind) == {"external"} and len(bep) == 24
    assert int(bep.tainted_value.sum()) == 6_369_996_546


def test_hydra_market_stops_the_trace_with_a_real_tagpack(real_data):
    import warnings

    from cryptotrace.io.esplora import load_esplora
    from cryptotrace.tags import load_tags

    d = real_data / "esplora-cases"
    chain = load_esplora(d / "hydra_anchor_txs.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tags = load_tags(d / "hydra_tagpack.yaml")
    fund = next(t for t in chain.txs.txid if t.startswith("e5015b6e"))
    t = trace(chain, fund, tags=tags, min_value=0)
    ep = t.endpoints.set_index("address")
    hydra = ep.loc["16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T"]
    assert hydra.kind == "service" and hydra.service == "Hydra Market" and hydra.category == "market"
    assert hydra.tainted_value == hydra.value == 1_152_977
    # the spend of the market's coins (c41de249) is not followed: the trace stops at the market
    assert not t.flows.txid.str.startswith("c41de249").any()
    assert trace(chain, fund, tags=tags, stop_at=None, min_value=0).flows.txid.str.startswith("c41de249").any()
    # ranked by traced value: the Hydra deposit is not the largest, but it is found and told apart
    top = seizure_candidates(t).table.set_index("address").loc["16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T"]
    assert top.classification == "at_service" and "criminal service" in top.action


def test_xpub_from_a_seized_phone_makes_the_cold_storage_seizable(sample):
    """nps_vendor: the cold-storage wallet is not in the start's cluster; its zpub (on the phone) finds it."""
    import warnings

    from cryptotrace.clustering import Clustering
    from cryptotrace.io.sample import sample_data_dir
    from cryptotrace.tags import load_tags

    chain, key = sample
    f = key.facts["nps_vendor"]
    cold = next(e for e in f["events"] if e["event"] == "cold_storage")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clusters = Clustering().fit(chain)
        tags = load_tags(sample_data_dir() / "cases" / "sample" / "tags.yaml")
    t = trace(
        chain, _case_start(chain, key, "nps_vendor"), policy="poison", max_hops=60, tags=tags, clustering=clusters
    )
    before = seizure_candidates(t).table
    assert (
        int(before.loc[before.classification == "suspect_unspent", "value"].sum())
        < f["seizable_sats"]["suspect_wallets"]
    )
    sc = seizure_candidates(t, xpubs=cold["xpub"])
    mine = sc.table[sc.table.classification == "suspect_unspent"]
    assert int(mine.value.sum()) == f["seizable_sats"]["suspect_wallets"] == cold["unspent_sats"]
    assert set(mine.address) <= set(cold["derived_addresses"]) | set(cold["addresses"])
    assert mine.action.str.contains("seed or private keys").any()
    assert sc.params["xpub_addresses"] == 40
    from cryptotrace.errors import TraceError

    with pytest.raises(TraceError, match="extended public key"):
        seizure_candidates(t, xpubs="zpub-not-a-key")
