"""The annotated coin table (Trace.coins) is the one thing the readers read.

Seizure candidates, the pictures, the exports and the report take categories and CoinJoin flags
from ``trace.coins``; the CoinJoin detector runs once per trace; flows, endpoints and
transactions are views of the same table; a new taint policy is one class in policies.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace import export
from cryptotrace.heuristics import coinjoin as CJ
from cryptotrace.tags import category_role
from cryptotrace.tracing import (
    COIN_COLUMNS,
    ENDPOINT_KINDS,
    POLICIES,
    TAINT_POLICIES,
    seizure_candidates,
    trace,
    worked_example_chain,
)
from cryptotrace.tracing import policies as P

from cryptotrace.testing import BTC, HOP_ADDRESSES
from cryptotrace.testing import ClustersStandIn as Clusters
from cryptotrace.testing import TagsStandIn as Tags
from cryptotrace.testing import hop_chain as make_chain
from cryptotrace.testing import hop_txid as txid
from cryptotrace.testing import pick_output as _start
from cryptotrace.testing.strategies import random_chains as chains


def case():
    # thief A: 10 BTC; tx1 pays 3 to Kraken (C), 4 to B (own wallet), 3 to F; tx2 (a "CoinJoin") pays F's 3 to G
    a, b, c, _, _, f, g = HOP_ADDRESSES

    chain = make_chain(
        [
            {"outs": [(a, 10)]},
            {"ins": [(0, 0)], "outs": [(c, 3), (b, 4), (f, 3)]},
            {"ins": [(1, 2)], "outs": [(g, 3)]},
        ]
    )
    tags = Tags([(c, "Kraken", "exchange", "US")])
    cl = Clusters({a: 1, b: 1, c: 2, f: 3, g: 4})
    return chain, tags, cl, (a, b, c, f, g)


class Flag:
    """A CoinJoin detector that flags the given transactions and counts its runs."""

    name = "test_detector"

    def __init__(self, txids):
        self.txids, self.calls = set(txids), 0

    def __call__(self, chain):
        self.calls += 1
        return chain.txs.txid.isin(self.txids).to_numpy()


def test_every_column_is_explained_and_the_worked_example_reads_right():
    chain = worked_example_chain()
    t = trace(chain, chain.outputs.txid[0] + ":0", policy="fifo", min_value=0)
    assert list(t.coins.columns) == list(COIN_COLUMNS)
    assert t.columns_explained().column.tolist() == list(COIN_COLUMNS)
    c = t.coins
    coin = c[c.entry == "coin"]
    # DESIGN.md worked example, FIFO: outputs 1, 6, 3 BTC get 1, 2, 0 traced
    assert coin.traced_value.tolist() == [3 * BTC, 1 * BTC, 2 * BTC, 0]
    assert coin.traced_value_btc.tolist() == [3.0, 1.0, 2.0, 0.0]
    assert coin.traced_share.round(6).tolist() == [1.0, 1.0, round(2 / 6, 6), 0.0]
    assert coin.is_start.tolist() == [True, False, False, False]
    assert coin.spent_by.iloc[0] == chain.txs.txid[1] and coin.spent_by.iloc[1:].isna().all()
    assert (coin.time.iloc[1:] == pd.Timestamp(1_600_000_600, unit="s", tz="UTC")).all()
    # the endpoints are exactly the rows with an endpoint kind
    ep = c[c.endpoint_kind.notna()]
    assert set(ep.endpoint_kind) <= set(ENDPOINT_KINDS)
    assert ep.traced_value.sum() == t.endpoints.tainted_value.sum() == t.start_value


def test_seizure_totals_are_sums_over_the_coin_table():
    chain, tags, cl, (a, b, c, f, g) = case()
    t = trace(chain, f"{txid(1)}:0", tags=tags, clustering=cl, min_value=0)
    t.coinjoin_detector = Flag({txid(3)})
    sc = seizure_candidates(t)
    coins = t.coins
    ends = coins[coins.endpoint_kind.notna() & (coins.endpoint_kind != "fee") & (coins.traced_value > 0)]
    assert int(sc.table.tainted_value.sum()) == int(ends.traced_value.sum()) == 10 * BTC
    by_address = sc.table.set_index("address")
    for r in ends.itertuples():
        assert by_address.loc[r.address, "tainted_value"] == r.traced_value
        got = by_address.loc[r.address, "category"]
        assert (pd.isna(got) and pd.isna(r.category)) or got == r.category
    # the CoinJoin comes from the coin table: G's path went through tx 3
    assert coins.set_index("address").loc[g, "coinjoin_on_path"]
    assert coins.set_index("address").loc[g, "coinjoin_detector"] == "test_detector"
    assert by_address.loc[g, "classification"] == "mixed"
    assert sc.totals().to_dict() == {"suspect_unspent": 4 * BTC, "at_service": 3 * BTC, "mixed": 3 * BTC}


def test_a_changed_coin_table_changes_what_the_readers_show():
    chain, tags, cl, (a, b, c, f, g) = case()
    t = trace(chain, f"{txid(1)}:0", tags=tags, clustering=cl, min_value=0)
    t.coinjoin_detector = Flag(set())
    before = seizure_candidates(t).table.set_index("address")
    assert before.loc[g, "classification"] == "unspent_unknown"
    groups = dict(export.trace_graph(t).nodes(data="group"))
    assert groups[f"{txid(3)}:0"] == "unknown owner" or groups[f"{txid(3)}:0"] == "unspent"
    # the readers take the category, role and mixer flag from the table, not from the tags
    coins = t.coins
    at_g = (coins.address == g).to_numpy()
    coins.loc[at_g, "category"] = "mixing_service"
    coins.loc[at_g, "role"] = category_role("mixing_service")
    coins.loc[at_g, "mixer"] = True
    coins.loc[at_g, "label"] = "Some Mixer"
    after = seizure_candidates(t).table.set_index("address")
    assert after.loc[g, "classification"] == "mixed" and after.loc[g, "service"] == "Some Mixer"
    assert dict(export.trace_graph(t).nodes(data="group"))[f"{txid(3)}:0"] == "mixer / CoinJoin"
    assert dict(export.trace_graph(t).nodes(data="label"))[f"{txid(3)}:0"] == "Some Mixer"


def test_the_coinjoin_detector_runs_once_per_trace(monkeypatch):
    calls = []
    real = CJ.Whirlpool.flags

    def counted(self, chain):
        calls.append(id(chain))
        return real(self, chain)

    monkeypatch.setattr(CJ.Whirlpool, "flags", counted)
    chain, tags, cl, _ = case()
    t = trace(chain, f"{txid(1)}:0", tags=tags, clustering=cl, min_value=0)
    assert calls == []  # nothing runs until the coin table is read
    t.coins
    sc = seizure_candidates(t)
    seizure_candidates(t, tags=tags)
    export.trace_graph(t)
    export.to_json(t)
    ct.plot.trace_flow(t)
    ct.plot.money_summary(t, sc)
    ct.report(t, figures=False)
    assert len(calls) == 1
    t2 = trace(chain, f"{txid(1)}:0", min_value=0)
    seizure_candidates(t2)
    ct.plot.trace_flow(t2)
    assert len(calls) == 2  # once more for the second trace


def test_other_tags_re_annotate_the_same_table():
    chain, tags, cl, (a, b, c, f, g) = case()
    t = trace(chain, f"{txid(1)}:0", clustering=cl, min_value=0)
    assert t.coins.label.isna().all()
    other = t.coins_with(tags=Tags([(g, "Bitstamp", "exchange", "LU")]))
    row = other.set_index("address").loc[g]
    assert row.label == "Bitstamp" and row.role == "custodial" and row.jurisdiction == "LU"
    assert other.traced_value.tolist() == t.coins.traced_value.tolist()  # amounts are the trace's own


@settings(max_examples=25, deadline=None)
@given(
    chain=chains,
    pick=st.integers(0, 1000),
    policy=st.sampled_from(list(POLICIES)),
    direction=st.sampled_from(["forward", "backward"]),
)
def test_transactions_add_up_from_the_coin_table_as_from_the_engine(chain, pick, policy, direction):
    t = trace(chain, _start(chain, pick), policy=policy, direction=direction, max_hops=100, min_value=0)
    e, ix = t._e, chain.index
    tx = np.flatnonzero(e.txdist >= 0)
    # the engine's own arrays, summed per transaction (the definition of tainted_in / tainted_out)
    exp_in, exp_out = [], []
    for k in tx:
        ins = np.arange(ix.in_start[k], ix.in_start[k + 1])
        outs = np.arange(ix.out_start[k], ix.out_start[k + 1])
        src = ix.output_of_input[ins]
        if e.forward:
            tin = sum(int(e.taint[s]) for s in src if s >= 0 and not e.stopped[s])
            tout = sum(int(e.returned[o] if e.is_start[o] else e.taint[o]) for o in outs)
        else:
            tin = sum(int(e.taint[s]) if s >= 0 else int(e.ext[i]) for s, i in zip(src, ins))
            tout = sum(0 if e.stopped[o] else int(e.taint[o]) for o in outs)
        exp_in.append(tin)
        exp_out.append(tout)
    got = t.transactions.set_index("txid")
    want = pd.DataFrame({"txid": chain.txs.txid.to_numpy()[tx], "tainted_in": exp_in, "tainted_out": exp_out})
    want = want.set_index("txid").loc[got.index]
    assert got.tainted_in.tolist() == want.tainted_in.tolist()
    assert got.tainted_out.tolist() == want.tainted_out.tolist()


def test_every_policy_object_names_its_rule_fee_convention_and_source():
    for name, pol in TAINT_POLICIES.items():
        assert pol.name == name and pol.rule and pol.reference
        assert pol.default_fee in P.FEE_POLICIES
        assert POLICIES[name] == pol.rule and P.DEFAULT_FEE_POLICY[name] == pol.default_fee
    assert not TAINT_POLICIES["poison"].conserved and TAINT_POLICIES["fifo"].keeps_coin_order


def test_a_sixth_policy_is_one_class(monkeypatch):
    class HalfHaircut(P.Haircut):
        """Haircut under another name: enough to show that nothing else needs to change."""

        name = "haircut_copy"
        rule = "the same as haircut (a test policy)"
        reference = "the haircut policy of this module"

    monkeypatch.setitem(P.TAINT_POLICIES, "haircut_copy", HalfHaircut())
    chain = worked_example_chain()
    start = chain.outputs.txid[0] + ":0"
    new = trace(chain, start, policy="haircut_copy", min_value=0)
    old = trace(chain, start, policy="haircut", min_value=0)
    assert (
        new.coins.traced_value.tolist()
        == old.coins.traced_value.tolist()
        == [3 * BTC, 30_000_000, 180_000_000, 90_000_000]
    )
    assert "the same as haircut" in new.describe()
    with pytest.raises(ct.CryptotraceError, match="not known"):
        trace(chain, start, policy="nonesuch")


def test_no_import_cycles_through_tracing_or_the_readers():
    import runpy
    from pathlib import Path

    mod = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "import_cycles.py"))
    eager, every = mod["graphs"]()
    assert mod["cycles"](eager) == []
    readers = ("cryptotrace.tracing", "cryptotrace.plot", "cryptotrace.reporting", "cryptotrace.export")
    tangled = [c for c in mod["cycles"](every) if any(m.startswith(readers) for m in c)]
    assert tangled == []


def test_the_json_export_carries_the_coin_table():
    import json

    chain, tags, cl, (a, b, c, f, g) = case()
    t = trace(chain, f"{txid(1)}:0", tags=tags, clustering=cl, min_value=0)
    data = json.loads(export.to_json(t))
    assert len(data["coins"]) == len(t.coins)
    kraken = next(r for r in data["coins"] if r["address"] == c)
    assert kraken["label"] == "Kraken" and kraken["role"] == "custodial" and kraken["endpoint_kind"] == "service"
    assert kraken["traced_value"] == 3 * BTC and kraken["traced_value_btc"] == "3.00000000"


@settings(max_examples=25, deadline=None)
@given(
    chain=chains,
    pick=st.integers(0, 1000),
    policy=st.sampled_from(list(POLICIES)),
    direction=st.sampled_from(["forward", "backward"]),
)
def test_flows_and_endpoints_are_rows_of_the_coin_table(chain, pick, policy, direction):
    t = trace(chain, _start(chain, pick), policy=policy, direction=direction, max_hops=100, min_value=0)
    c = t.coins
    coin = c[c.entry == "coin"]
    assert coin.txid.tolist() == t.flows.txid.tolist() and coin.vout.tolist() == t.flows.vout.tolist()
    assert coin.traced_value.tolist() == t.flows.tainted_value.tolist()
    ends = c[c.endpoint_kind.notna()]
    key = ["hop", "txid", "traced_value", "endpoint_kind"]
    mine = sorted(map(tuple, ends[key].astype(str).to_numpy().tolist()))
    theirs = sorted(map(tuple, t.endpoints[["hop", "txid", "tainted_value", "kind"]].astype(str).to_numpy().tolist()))
    assert mine == theirs
    if t.policy.conserved:
        assert int(ends.traced_value.sum()) == t.start_value
