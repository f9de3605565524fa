"""Unit tests of cryptotrace.tracing on small hand-made chains with hand-worked answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import cryptotrace as ct
from cryptotrace.chain import Chain
from cryptotrace.errors import CryptotraceError, NotInChainError, TraceError
from cryptotrace.testing import BTC, HOP_ADDRESSES
from cryptotrace.testing import ClustersStandIn as Clusters
from cryptotrace.testing import TagsStandIn as Tags
from cryptotrace.testing import hop_chain as make_chain
from cryptotrace.testing import hop_txid as txid
from cryptotrace.tracing import ENDPOINT_KINDS, SEIZURE_CLASSES, Trace, seizure_candidates, trace, worked_example_chain

A, B, C, D, E, F, G = HOP_ADDRESSES


# ---------------------------------------------------------------- DESIGN.md worked example
WORKED = {  # outputs 1, 6, 3 BTC
    "poison": [1, 6, 3],
    "haircut": [0.3, 1.8, 0.9],
    "fifo": [1, 2, 0],
    "lifo": [0, 0, 3],
    "tiho": [0, 3, 0],
}


@pytest.mark.parametrize("policy", list(WORKED))
def test_worked_example_gives_the_design_table(policy):
    chain = worked_example_chain()
    t = trace(chain, chain.outputs.txid[0] + ":0", policy=policy, min_value=0)
    hop1 = t.flows[t.flows.hop == 1].sort_values("vout")
    assert hop1.value.tolist() == [1 * BTC, 6 * BTC, 3 * BTC]
    assert hop1.tainted_value.tolist() == [round(x * BTC) for x in WORKED[policy]]
    assert t.flows.tainted_value.dtype == np.int64
    if policy != "poison":
        assert int(t.endpoints.tainted_value.sum()) == 3 * BTC
    assert set(t.endpoints.kind) == {"unspent"}


def test_worked_example_backward_fifo_splits_the_six():
    chain = worked_example_chain()
    t = trace(chain, chain.outputs.txid[2] + ":1", direction="backward", policy="fifo", min_value=0)
    fl = t.flows[t.flows.hop == 1].set_index("vout")
    # output 1 (6 BTC) is units 1..7 of the stream: 2 BTC of the stolen 3, 4 BTC of the clean 7
    assert fl.loc[0, "tainted_value"] == 2 * BTC and fl.loc[1, "tainted_value"] == 4 * BTC
    ep = t.endpoints
    assert ep.kind.tolist() == ["coinbase"] and int(ep.tainted_value.iloc[0]) == 6 * BTC


# ---------------------------------------------------------------- fee conventions
def fee_chain():
    # tx0: 4 BTC stolen to A, 6 BTC clean to B; tx1 spends both: 5 BTC to C, 4 BTC to D, fee 1 BTC
    return make_chain([{"outs": [(A, 4), (B, 6)]}, {"ins": [(0, 0), (0, 1)], "outs": [(C, 5), (D, 4)]}])


FEE_TABLE = {  # (policy, fee_policy): (C, D, fee) in sats, worked by hand
    ("haircut", "proportional"): (200_000_000, 160_000_000, 40_000_000),
    ("haircut", "last"): (200_000_000, 160_000_000, 40_000_000),
    ("haircut", "clean_first"): (222_222_222, 177_777_778, 0),
    ("haircut", "tainted_first"): (166_666_667, 133_333_333, 100_000_000),
    ("fifo", "last"): (400_000_000, 0, 0),
    ("fifo", "proportional"): (360_000_000, 0, 40_000_000),
    ("fifo", "tainted_first"): (300_000_000, 0, 100_000_000),
    ("fifo", "clean_first"): (400_000_000, 0, 0),
    ("lifo", "last"): (0, 300_000_000, 100_000_000),
    ("lifo", "proportional"): (0, 360_000_000, 40_000_000),
    ("lifo", "clean_first"): (0, 400_000_000, 0),
    ("tiho", "clean_first"): (400_000_000, 0, 0),
    ("tiho", "last"): (400_000_000, 0, 0),
    ("tiho", "tainted_first"): (300_000_000, 0, 100_000_000),
    ("tiho", "proportional"): (360_000_000, 0, 40_000_000),
    ("poison", "proportional"): (500_000_000, 400_000_000, 100_000_000),
}


@pytest.mark.parametrize(("policy", "fee_policy"), list(FEE_TABLE))
def test_fee_conventions(policy, fee_policy):
    chain = fee_chain()
    t = trace(chain, f"{txid(1)}:0", policy=policy, fee_policy=fee_policy, min_value=0)
    fl = t.flows[t.flows.hop == 1].sort_values("vout")
    ep = t.endpoints
    fee = int(ep.loc[ep.kind == "fee", "tainted_value"].sum())
    assert (*fl.tainted_value.tolist(), fee) == FEE_TABLE[(policy, fee_policy)]
    assert t.params["fee_policy"] == fee_policy
    if fee:
        row = ep[ep.kind == "fee"].iloc[0]
        assert row.txid == txid(2) and pd.isna(row.vout) and row.value == 1 * BTC


# ---------------------------------------------------------------- hops, thresholds, recomputation
def diamond():
    # tx0: 10 BTC stolen to A | tx1: A -> B 4, C 6 | tx2: C -> D 6 | tx3 (coinbase) 10 clean to E
    # tx4 spends tx1:0 (hop 2), tx2:0 (hop 3) and tx3:0 (clean): 10 to F, 10 to G
    return make_chain(
        [
            {"outs": [(A, 10)]},
            {"ins": [(0, 0)], "outs": [(B, 4), (C, 6)]},
            {"ins": [(1, 1)], "outs": [(D, 6)]},
            {"outs": [(E, 10)]},
            {"ins": [(1, 0), (2, 0), (3, 0)], "outs": [(F, 10), (G, 10)]},
        ]
    )


def test_taint_arriving_later_by_a_longer_path_is_counted():
    chain = diamond()
    t = trace(chain, f"{txid(1)}:0", policy="haircut", max_hops=2, min_value=0)
    fl = t.flows.set_index(["txid", "vout"])
    # tx4 is 2 hops away (through B); the 6 BTC reaching it through tx2 (3 hops) still count
    assert fl.loc[(txid(5), 0), "hop"] == 2
    assert fl.loc[(txid(5), 0), "tainted_value"] == 5 * BTC and fl.loc[(txid(5), 1), "tainted_value"] == 5 * BTC
    assert t.summary()["conserved"] and int(t.endpoints.tainted_value.sum()) == 10 * BTC
    assert t._e.iterations >= 3  # recomputed when the longer path arrived


def test_hop_limit_and_threshold_endpoints():
    chain = diamond()
    t = trace(chain, f"{txid(1)}:0", policy="haircut", max_hops=1, min_value=0)
    ep = t.endpoints.set_index("address")
    assert ep.loc[B, "kind"] == "hop_limit" and ep.loc[C, "kind"] == "hop_limit"
    assert ep.loc[B, "tainted_value"] == 4 * BTC
    t = trace(chain, f"{txid(1)}:0", policy="haircut", max_hops=5, min_value=7 * BTC)
    assert set(t.endpoints.kind) == {"below_threshold"} and len(t.endpoints) == 2
    t0 = trace(chain, f"{txid(1)}:0", max_hops=0)
    assert t0.endpoints.kind.tolist() == ["hop_limit"] and t0.summary()["txs_followed"] == 0


def test_backward_haircut_reaches_both_coinbases():
    chain = diamond()
    t = trace(chain, f"{txid(5)}:0", direction="backward", policy="haircut", min_value=0)
    ep = t.endpoints
    assert set(ep.kind) == {"coinbase"}
    got = dict(zip(ep.txid, ep.tainted_value))
    assert got == {txid(1): 5 * BTC, txid(4): 5 * BTC}
    fl = t.flows.set_index(["txid", "vout"])
    assert fl.loc[(txid(2), 0), "tainted_value"] == 2 * BTC and fl.loc[(txid(3), 0), "tainted_value"] == 3 * BTC


def test_value_returning_to_the_start_is_an_endpoint():
    # A receives 5 BTC, pays 2 to B and 3 back to A; trace from everything A received
    chain = make_chain([{"outs": [(A, 5)]}, {"ins": [(0, 0)], "outs": [(B, 2), (A, 3)]}])
    t = trace(chain, A, policy="haircut", min_value=0)
    assert t.start_value == 8 * BTC  # both outputs paid to A
    ep = t.endpoints
    back = ep[ep.kind == "back_to_start"]
    assert len(back) == 1 and int(back.tainted_value.iloc[0]) == 3 * BTC
    assert int(ep.tainted_value.sum()) == t.start_value


# ---------------------------------------------------------------- starts
def test_start_forms_are_equivalent():
    chain = diamond()
    by_output = trace(chain, f"{txid(1)}:0", min_value=0)
    by_tuple = trace(chain, (txid(1), 0), min_value=0)
    by_tx = trace(chain, txid(1), min_value=0)
    by_addr = trace(chain, A, min_value=0)
    by_view = trace(chain, chain.tx(txid(1)), min_value=0)
    cl = Clusters({A: 7, B: 8, C: 9})
    by_cluster = trace(chain, 7, clustering=cl, min_value=0)
    for t in (by_tuple, by_tx, by_addr, by_view, by_cluster):
        pd.testing.assert_frame_equal(t.flows, by_output.flows.assign(cluster=t.flows.cluster))
    both = trace(chain, [f"{txid(1)}:0", f"{txid(4)}:0"], min_value=0)
    assert both.start_value == 20 * BTC and both.params["start"].endswith("and 1 more")


@pytest.mark.parametrize(
    ("start", "err", "words"),
    [
        ("nonsense", NotInChainError, "not an output"),
        (f"{txid(1)}:5", NotInChainError, "numbered 0 to 0"),
        ("ff" * 32, NotInChainError, "not in this chain"),
        ("bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls", NotInChainError, "does not appear"),
        (3, TraceError, "no clustering"),
        ([], TraceError, "empty"),
        (3.5, TraceError, "cannot start"),
    ],
)
def test_bad_starts_say_what_to_do(start, err, words):
    with pytest.raises(err, match=words):
        trace(diamond(), start)


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"policy": "fair"}, "policy 'fair'"),
        ({"direction": "up"}, "direction 'up'"),
        ({"fee_policy": "none"}, "fee_policy"),
        ({"max_hops": -1}, "max_hops"),
        ({"max_hops": 2.5}, "max_hops"),
        ({"min_value": 0.5}, "min_value"),
        ({"stop_at": ["not-a-thing"]}, "neither an address"),
        ({"tags": 42}, "tags must be"),
        ({"clustering": object()}, "fit it first"),
    ],
)
def test_bad_options_raise_trace_errors(kw, words):
    with pytest.raises(TraceError, match=words) as info:
        trace(diamond(), f"{txid(1)}:0", **kw)
    assert isinstance(info.value, CryptotraceError)


# ---------------------------------------------------------------- services, clusters, candidates
def test_stops_at_tagged_services_and_names_them():
    chain = diamond()
    tags = Tags([(C, "Kraken", "exchange", "US"), (E, "a miner", "user", None)])
    t = trace(chain, f"{txid(1)}:0", tags=tags, min_value=0)
    ep = t.endpoints.set_index("address")
    assert ep.loc[C, "kind"] == "service" and ep.loc[C, "service"] == "Kraken" and ep.loc[C, "jurisdiction"] == "US"
    assert ep.loc[C, "tainted_value"] == 6 * BTC
    assert D not in ep.index  # never followed past the exchange
    assert t.flows.set_index("address").loc[C, "tag"] == "Kraken"
    # without stopping, the trace goes on through the exchange
    t2 = trace(chain, f"{txid(1)}:0", tags=tags, stop_at=None, min_value=0)
    assert "service" not in set(t2.endpoints.kind)
    # an explicit address stop
    t3 = trace(chain, f"{txid(1)}:0", stop_at=[B], min_value=0)
    assert t3.endpoints.set_index("address").loc[B, "kind"] == "stopped"


def test_a_start_at_a_service_is_still_followed():
    chain = diamond()
    tags = Tags([(C, "Kraken", "exchange", "US"), (A, "Binance", "exchange", None)])
    fwd = trace(chain, f"{txid(2)}:1", tags=tags, min_value=0)  # Kraken's 6 BTC: where did it go?
    assert fwd.summary()["txs_followed"] == 2 and "service" not in set(fwd.endpoints.kind)
    back = trace(chain, f"{txid(2)}:1", direction="backward", tags=tags, min_value=0)  # and where from?
    ep = back.endpoints
    assert ep.kind.tolist() == ["service"] and ep.address.tolist() == [A] and ep.service.tolist() == ["Binance"]
    assert int(ep.tainted_value.iloc[0]) == 6 * BTC


def test_tags_spread_through_clusters_unless_they_disagree():
    chain = diamond()
    tags = Tags([(E, "Kraken", "exchange", "US")])
    t = trace(chain, f"{txid(1)}:0", tags=tags, clustering=Clusters({C: 1, E: 1, A: 2, B: 2}), min_value=0)
    ep = t.endpoints.set_index("address")
    assert ep.loc[C, "kind"] == "service" and ep.loc[C, "service"] == "Kraken"
    assert "through their clusters" in t.params["tags"]
    both = Tags([(E, "Kraken", "exchange", "US"), (D, "Binance", "exchange", None)])
    t = trace(chain, f"{txid(1)}:0", tags=both, clustering=Clusters({C: 1, E: 1, D: 1}), min_value=0)
    assert t.endpoints.set_index("address").loc[D, "kind"] == "service"  # D's own tag
    assert pd.isna(t.flows.set_index("address").loc[C, "tag"])  # the cluster's tags disagree: C gets none
    assert C not in set(t.endpoints.address)  # so the trace goes on through C


def test_seizure_candidates_are_ranked_and_classified():
    # thief A: 10 BTC; tx1 pays 3 to Kraken (C), keeps 4 at B (own wallet), 3 to F (unknown)
    # tx2 spends F's 3 BTC in a "CoinJoin" to G
    chain = make_chain(
        [
            {"outs": [(A, 10)]},
            {"ins": [(0, 0)], "outs": [(C, 3), (B, 4), (F, 3)]},
            {"ins": [(1, 2)], "outs": [(G, 3)]},
        ]
    )
    tags = Tags([(C, "Kraken", "exchange", "US")])
    cl = Clusters({A: 1, B: 1, C: 2, F: 3, G: 4})
    t = trace(chain, f"{txid(1)}:0", tags=tags, clustering=cl, min_value=0)
    sc = seizure_candidates(t, coinjoins={txid(3)})
    tab = sc.table.set_index("address")
    assert tab.loc[C, "classification"] == "at_service" and "Kraken" in tab.loc[C, "action"]
    assert "US" in tab.loc[C, "action"] and tab.loc[C, "jurisdiction"] == "US"
    assert tab.loc[B, "classification"] == "suspect_unspent" and tab.loc[B, "tainted_value"] == 4 * BTC
    assert tab.loc[G, "classification"] == "mixed"
    assert sc.table["rank"].tolist() == [1, 2, 3]
    # ranked by traced value (4, 3, 3); equal values keep the class order (at a service before mixed)
    assert sc.table.classification.tolist() == ["suspect_unspent", "at_service", "mixed"]
    assert tab.loc[G, "evidence_path"] == [f"{txid(1)}:0", f"{txid(2)}:2", f"{txid(3)}:0"]
    assert tab.loc[C, "evidence_path"] == [f"{txid(1)}:0", f"{txid(2)}:0"]
    assert t.evidence_path(txid(3), 0) == tab.loc[G, "evidence_path"]
    assert sc.totals().to_dict() == {"at_service": 3 * BTC, "suspect_unspent": 4 * BTC, "mixed": 3 * BTC}
    # without the CoinJoin and the tags: unknown and "spent to unknown" after the hop limit
    t1 = trace(chain, f"{txid(1)}:0", clustering=cl, max_hops=1, min_value=0)
    sc1 = seizure_candidates(t1, coinjoins=set()).table.set_index("address")
    assert sc1.loc[F, "classification"] == "spent_unknown" and sc1.loc[C, "classification"] == "unspent_unknown"
    assert "Seizure" in sc._repr_html_() and repr(sc).startswith("<SeizureCandidates: 3 candidates")
    rec = sc.to_records()
    assert rec[0]["tainted_value"] == 4 * BTC and isinstance(rec[0]["evidence_path"], list)
    json.dumps(rec)
    # a callable CoinJoin detector (one flag per transaction) works too
    flags = seizure_candidates(t, coinjoins=lambda ch: pd.Series([False, False, True])).table
    assert flags.set_index("address").loc[G, "classification"] == "mixed"


def test_seizure_candidates_refuse_backward_traces_and_other_objects():
    chain = diamond()
    with pytest.raises(TraceError, match="forward"):
        seizure_candidates(trace(chain, f"{txid(5)}:0", direction="backward"))
    with pytest.raises(TraceError, match="needs a Trace"):
        seizure_candidates("not a trace")


def test_entity_flows_between_clusters():
    chain = diamond()
    cl = Clusters({A: "thief", B: "thief", C: "thief", D: "thief", E: "miner", F: "exchange", G: "exchange"})
    t = trace(chain, f"{txid(1)}:0", clustering=cl, min_value=0)
    ef = t.entity_flows()
    assert ef.from_entity.tolist() == ["thief"] and ef.to_entity.tolist() == ["exchange"]
    assert int(ef.tainted_value.iloc[0]) == 10 * BTC and ef.first_hop.iloc[0] == 2
    inner = t.entity_flows(include_internal=True)
    assert ("thief", "thief") in set(zip(inner.from_entity, inner.to_entity))
    assert t.flows.set_index("address").loc[F, "cluster"] == "exchange"
    # without clustering every address is its own entity
    assert set(trace(chain, f"{txid(1)}:0", min_value=0).entity_flows().from_entity) <= {A, B, C, D}


# ---------------------------------------------------------------- display and export
def test_result_explains_itself():
    chain = worked_example_chain()
    t = trace(chain, chain.outputs.txid[0] + ":0", policy="fifo", min_value=0)
    r = repr(t)
    assert r.startswith("<Trace forward fifo from") and "\n" not in r and "3.00000000 BTC" in r
    assert "<table" in t._repr_html_() and "fifo" in t._repr_html_()
    # to_frame (what the CSV writes) is the flows with the worth in EUR and USD at the time
    pd.testing.assert_frame_equal(t.to_frame()[list(t.flows.columns)], t.flows)
    assert {"value_eur", "value_usd", "tainted_value_eur", "tainted_value_usd", "price_note", "time"} <= set(
        t.to_frame().columns
    )
    assert list(t.flows.columns) == ["hop", "txid", "vout", "address", "cluster", "value", "tainted_value", "tag"]
    assert {"txid", "vout", "address", "value", "tainted_value", "kind", "service"} <= set(t.endpoints.columns)
    s = t.summary()
    assert s["policy"] == "fifo" and s["start_value"] == 3 * BTC and s["conserved"] is True
    assert s["by_kind"] == {"unspent": 3 * BTC}
    d = json.loads(t.to_json())
    assert d["params"]["policy"] == "fifo"
    assert {e["tainted_value"] for e in d["endpoints"]} == {1 * BTC, 2 * BTC}
    assert set(d["endpoints"][0]) >= {"txid", "vout", "address", "value", "tainted_value", "kind", "service"}
    assert "Clayton" in t.describe()
    assert set(t.endpoints.kind.astype(str)) <= set(ENDPOINT_KINDS)
    assert isinstance(t, Trace) and ct.trace is trace
    assert list(SEIZURE_CLASSES)[0] == "at_service"
    tx = t.transactions
    assert tx.tainted_in.tolist() == [3 * BTC] and tx.tainted_out.tolist() == [3 * BTC]


def test_partial_records_end_as_end_of_data():
    # blocks 1 and 5 only: records with a gap
    t_ = pd.DataFrame({"txid": [txid(1), txid(2)], "block_height": [1, 5]})
    i_ = pd.DataFrame({"txid": [txid(2)], "vin": [0], "prev_txid": [txid(1)], "prev_vout": [0]})
    o_ = pd.DataFrame({"txid": [txid(1), txid(2)], "vout": [0, 0], "address": [A, B], "value": [BTC, BTC]})
    chain = Chain.from_tables(txs=t_, inputs=i_, outputs=o_)
    t = trace(chain, f"{txid(1)}:0", min_value=0)
    assert t.records_complete is False
    assert t.endpoints.kind.tolist() == ["end_of_data"]
    assert "partial chain" in t.describe()
