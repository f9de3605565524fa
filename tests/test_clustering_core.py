"""Clustering on hand-built chains: labels, evidence, explain(a, b), collapse, parameters, errors, properties."""

from __future__ import annotations

import itertools
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace import heuristics as H
from cryptotrace.cases.answer_key import AnswerKey
from cryptotrace.clustering import ClusterCollapseWarning, Clustering, cluster, evaluate, union_find
from cryptotrace.errors import ClusteringError, NotInChainError
from cryptotrace.testing import toy_chain
from cryptotrace.testing.strategies import spending_chains


def story():
    """A and B pay a shop together (C is the round-amount change); C peels to D/E; X and Y spend together."""
    return toy_chain(
        [
            {"out": [("A", 100_000_000)]},  # 0
            {"out": [("B", 50_000_000)]},  # 1
            {"in": ["0:0", "1:0"], "out": [("shop", 120_000_000), ("C", 29_990_000)]},  # 2
            {"in": ["2:1"], "out": [("D", 10_000_000), ("E", 19_980_000)]},  # 3
            {"in": [("X", 7_000_000), ("Y", 8_000_000)], "out": [("shop", 14_990_000)]},  # 4 (outside coins)
        ]
    )


def test_default_is_multi_input_only():
    chain, a = story()
    c = Clustering().fit(chain)
    assert c.params_["heuristics"] == ["multi_input"]
    assert c.cluster_of(a["A"]) == c.cluster_of(a["B"])
    assert c.cluster_of(a["X"]) == c.cluster_of(a["Y"])
    assert c.cluster_of(a["A"]) != c.cluster_of(a["C"])  # change is opt-in
    assert c.cluster_of(a["A"]) != c.cluster_of(a["X"])


def test_labels_clusters_and_members():
    chain, a = story()
    c = Clustering(["multi_input", "round_amount"]).fit(chain)
    lab = c.labels_
    assert lab.dtype == np.int64 and lab.index.equals(chain.index.addresses)
    assert set(lab) == set(range(c.n_clusters_))
    payer = c.cluster_of(a["A"])
    assert sorted(c.members(payer)) == sorted([a["A"], a["B"], a["C"], a["E"]])
    assert payer == 0  # the largest cluster is number 0
    cl = c.clusters_
    assert list(cl.columns) == ["size", "balance", "first_seen", "last_seen"]
    assert cl["size"].sum() == len(lab)
    # the payer cluster still holds E's unspent 0.1998 BTC (A, B, C are spent)
    assert int(cl.loc[payer, "balance"]) == 19_980_000
    assert int(cl.balance.sum()) == int(chain.utxos.value.sum())
    assert cl.loc[payer, "first_seen"] == chain.txs.time.iloc[0]
    assert cl.loc[payer, "last_seen"] == chain.txs.time.iloc[3]


def test_evidence_records_every_merge():
    chain, a = story()
    c = Clustering(["multi_input", "round_amount"]).fit(chain)
    ev = c.evidence_
    assert list(ev.columns[:4]) == ["txid", "heuristic", "address_a", "address_b"]
    mi = ev[ev.heuristic == "multi_input"]
    assert set(mi.txid) == {chain.txs.txid.iloc[2], chain.txs.txid.iloc[4]}
    ch = ev[ev.heuristic == "round_amount"].set_index("txid")
    assert ch.loc[chain.txs.txid.iloc[2], "address_b"] == a["C"]
    assert ch.loc[chain.txs.txid.iloc[3], "address_b"] == a["E"]
    lab = c.labels_
    assert (lab[ev.address_a].to_numpy() == lab[ev.address_b].to_numpy()).all()


def test_explain_gives_the_shortest_evidence_path():
    chain, a = story()
    c = Clustering(["multi_input", "round_amount"]).fit(chain)
    e = c.explain(a["B"], a["E"])
    assert e.linked and len(e) == 3
    steps = e.to_frame()
    assert steps.txid.tolist() == chain.txs.txid.iloc[[2, 2, 3]].tolist()
    assert steps.heuristic.tolist() == ["multi_input", "round_amount", "round_amount"]
    assert steps.address_a.iloc[0] == a["B"] and steps.address_b.iloc[-1] == a["E"]
    # consecutive steps share an address: a real chain from B to E
    assert (steps.address_b.iloc[:-1].to_numpy() == steps.address_a.iloc[1:].to_numpy()).all()
    text = str(e)
    assert "linked in 3 step(s)" in text and "change" in text and "signed" in text
    assert "not linked" in repr(c.explain(a["A"], a["X"]))
    not_linked = c.explain(a["A"], a["shop"])
    assert not not_linked.linked and len(not_linked) == 0 and "NOT linked" in str(not_linked)
    assert "same address" in str(c.explain(a["A"], a["A"]))


def test_skip_coinjoin():
    txs = [{"out": [(f"p{i}", 5_010_000)]} for i in range(5)]
    txs.append({"in": [f"{i}:0" for i in range(5)], "out": [(f"o{i}", 5_000_000) for i in range(5)]})
    chain, a = toy_chain(txs)
    skipped = Clustering().fit(chain)
    assert skipped.n_skipped_ == 1 and skipped.n_clusters_ == 10
    used = Clustering(skip_coinjoin=False).fit(chain)
    assert used.cluster_of(a["p0"]) == used.cluster_of(a["p4"])
    assert used.n_clusters_ == 6


def two_groups_and_a_bridge():
    """Group K (4 addresses spent together); then group G (4 addresses) pays 0.3 BTC with a wrong-looking
    "change" output to k1, one of K's addresses: a bad round-amount call between two big clusters."""
    txs = [{"out": [(f"g{i}", 10_000_000) for i in range(4)] + [(f"k{i}", 10_000_000) for i in range(4)]}]
    txs.append({"in": ["0:4", "0:5", "0:6", "0:7"], "out": [("k_out", 39_990_000)]})
    txs.append({"in": ["0:0", "0:1", "0:2", "0:3"], "out": [("k1", 9_980_001), ("outsider", 30_000_000)]})
    return toy_chain(txs)


def test_cluster_collapse_warns_and_can_refuse():
    chain, a = two_groups_and_a_bridge()
    with pytest.warns(ClusterCollapseWarning, match="collapse"):
        c = Clustering(["multi_input", "round_amount"], collapse_size=4).fit(chain)
    assert c.cluster_of(a["g0"]) == c.cluster_of(a["k0"])
    assert len(c.collapse_) == 1 and not c.collapse_.refused.iloc[0]
    assert c.collapse_.size_a.iloc[0] >= 4 and c.collapse_.size_b.iloc[0] >= 4
    with pytest.warns(ClusterCollapseWarning, match="refused"):
        r = Clustering(["multi_input", "round_amount"], collapse_size=4, refuse_collapse=True).fit(chain)
    assert r.cluster_of(a["g0"]) != r.cluster_of(a["k0"])
    assert bool(r.collapse_.refused.iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = Clustering(["multi_input", "round_amount"], collapse_size=50).fit(chain)  # groups too small
    assert quiet.collapse_.empty


def test_change_conflicts_skip_or_keep():
    chain, a = toy_chain(
        [
            {"out": [("A", 100_000_000)]},
            # round_amount calls output 0 (not round), script_type calls output 1 (p2wpkh like the input)
            {"in": ["0:0"], "out": [("legacy", 3_333_333), ("w", 60_000_000)]},
        ],
        types={"legacy": "p2pkh"},
    )
    hs = ["multi_input", "round_amount", "script_type"]
    skip = Clustering(hs).fit(chain)
    assert skip.conflicts_ == 1 and skip.evidence_.empty
    keep = Clustering(hs, change_conflicts="keep").fit(chain)
    assert keep.cluster_of(a["A"]) == keep.cluster_of(a["legacy"]) == keep.cluster_of(a["w"])


def test_params_and_function_twin():
    chain, _ = story()
    c = Clustering(["multi_input", H.change.round_amount], skip_coinjoin=False)
    assert c.get_params()["skip_coinjoin"] is False
    assert repr(c).startswith("<Clustering (not fitted)")
    c.fit(chain)
    assert c.params_["heuristics"] == ["multi_input", "round_amount"]
    assert c.params_["chain"] == {"txs": 5, "addresses": chain.index.n_addresses}
    twin = cluster(chain, ["multi_input", "round_amount"], skip_coinjoin=False)
    assert twin.labels_.equals(c.labels_)
    c.set_params(heuristics="multi_input").fit(chain)
    assert c.params_["heuristics"] == ["multi_input"]
    assert c.to_frame().columns.tolist() == ["address", "cluster_id"]
    assert "addresses in" in repr(c) and "<table" in c._repr_html_()


def test_clear_errors():
    chain, a = story()
    with pytest.raises(ClusteringError, match="not fitted"):
        Clustering().labels_
    # as scikit-learn's NotFittedError: a fitted attribute is absent until fit(), present after
    unfitted = Clustering()
    assert not hasattr(unfitted, "labels_") and not hasattr(unfitted, "evidence_")
    assert hasattr(unfitted.fit(chain), "labels_")
    with pytest.raises(ClusteringError, match="Chain"):
        Clustering().fit(pd.DataFrame())
    with pytest.raises(ClusteringError, match="Known names"):
        Clustering(["multi_input", "magic"]).fit(chain)
    with pytest.raises(ClusteringError, match="coinjoin="):
        Clustering(["multi_input", "whirlpool"]).fit(chain)
    with pytest.raises(ClusteringError, match="change_conflicts"):
        Clustering(change_conflicts="maybe").fit(chain)
    with pytest.raises(ClusteringError, match="no parameter"):
        Clustering().set_params(colour="red")
    c = Clustering().fit(chain)
    with pytest.raises(NotInChainError, match="not even a valid"):
        c.cluster_of("nonsense")
    with pytest.raises(NotInChainError, match="does not appear"):
        c.explain(a["A"], "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    with pytest.raises(ClusteringError, match="no cluster 999"):
        c.members(999)
    with pytest.raises(ClusteringError, match="AnswerKey"):
        evaluate(c, {"addresses": []})


def test_union_find_matches_networkx():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 300, 200), rng.integers(0, 300, 200)
    n, lab = union_find(300, a, b)
    g = nx.Graph()
    g.add_nodes_from(range(300))
    g.add_edges_from(zip(a.tolist(), b.tolist()))
    comps = list(nx.connected_components(g))
    assert n == len(comps)
    for comp in comps:
        assert len({lab[i] for i in comp}) == 1


# ---------------------------------------------------------------------- evaluation on a toy answer key
def brute_force(labels: pd.Series, owner: pd.Series):
    same_c = same_e = both = 0
    for x, y in itertools.combinations(labels.index, 2):
        c, e = labels[x] == labels[y], owner[x] == owner[y]
        same_c += c
        same_e += e
        both += c and e
    return both / same_c if same_c else 1.0, both / same_e if same_e else 1.0


def test_evaluate_against_a_hand_made_answer_key():
    chain, a = story()
    inv = {v: k for k, v in a.items()}
    owner_of = {
        "A": "alice",
        "B": "alice",
        "C": "alice",
        "D": "dave",
        "E": "alice",
        "shop": "shop",
        "X": "xena",
        "Y": "yuri",
    }  # X and Y are different people who co-spent (a PayJoin, say)
    addrs = pd.DataFrame(
        {"address": list(a.values()), "entity": [owner_of[inv[v]] for v in a.values()], "entity_type": "user"}
    )
    change_vout = [None, None, 1, 1, None]
    key = AnswerKey(
        addresses=addrs, txs=pd.DataFrame({"txid": chain.txs.txid, "is_coinjoin": False, "change_vout": change_vout})
    )
    c = Clustering(["multi_input", "round_amount"]).fit(chain)
    ev = evaluate(c, key)
    p, r = brute_force(c.labels_, key.addresses.entity.reindex(c.labels_.index))
    assert ev.pairwise_precision == pytest.approx(p) and ev.pairwise_recall == pytest.approx(r)
    assert ev.pairwise_precision < 1  # X and Y wrongly joined
    assert ev.change.loc["round_amount", "calls"] == 2
    assert ev.change.loc["round_amount", "precision"] == 1.0 and ev.change.loc["round_amount", "used"]
    assert ev.metrics["n_entities"] == 5
    # purity: alice's cluster is pure, {X, Y} has a majority of 1 of 2
    assert ev.purity == pytest.approx((4 + 1 + 1 + 1) / 8)
    assert "pairwise precision" in str(ev) and repr(ev).startswith("<Evaluation")
    assert ev.to_frame().shape[0] == 1


# ---------------------------------------------------------------------- properties
@settings(max_examples=40)
@given(spending_chains())
def test_multi_input_clusters_equal_networkx_components(chain):
    c = Clustering(skip_coinjoin=False).fit(chain)
    g = nx.Graph()
    g.add_nodes_from(chain.index.addresses)
    for txid, grp in chain.inputs.groupby("txid"):
        addrs = grp.address.dropna().unique().tolist()
        g.add_edges_from(zip(addrs, addrs[1:]))
    comps = list(nx.connected_components(g))
    assert c.n_clusters_ == len(comps)
    for comp in comps:
        assert c.labels_[list(comp)].nunique() == 1
    # every explain path is a real chain of co-spends
    for comp in comps:
        comp = sorted(comp)
        if len(comp) > 1:
            e = c.explain(comp[0], comp[-1])
            assert e.linked
            for r in e.steps.itertuples():
                ins = set(chain.inputs.address[chain.inputs.txid == r.txid])
                assert {r.address_a, r.address_b} <= ins
            break


def test_empty_and_tiny_chains():
    from cryptotrace import Chain

    empty = Chain.from_tables(
        txs=pd.DataFrame({"txid": []}),
        inputs=pd.DataFrame({"txid": [], "vin": [], "prev_txid": [], "prev_vout": []}),
        outputs=pd.DataFrame({"txid": [], "vout": [], "value": []}),
    )
    c = Clustering("all").fit(empty)
    assert c.n_clusters_ == 0 and c.labels_.empty and c.clusters_.empty and c.evidence_.empty
    assert H.peel_chains(empty).empty
    one, a = toy_chain([{"out": [("A", 5)]}])
    c = Clustering("all").fit(one)
    assert c.members(0) == [a["A"]] and int(c.clusters_.balance.iloc[0]) == 5


@settings(max_examples=30)
@given(spending_chains(), st.integers(1, 5), st.integers(0, 10_000))
def test_evaluate_equals_brute_force_pair_counting(chain, n_owners, seed):
    rng = np.random.default_rng(seed)
    addrs = chain.index.addresses
    owner = pd.Series(rng.integers(0, n_owners, len(addrs)).astype(str), index=addrs)
    key = AnswerKey(
        addresses=pd.DataFrame({"address": addrs, "entity": owner.to_numpy()}),
        txs=pd.DataFrame({"txid": chain.txs.txid, "is_coinjoin": False, "change_vout": None}),
    )
    c = Clustering(["multi_input", "round_amount"], skip_coinjoin=False).fit(chain)
    ev = evaluate(c, key)
    p, r = brute_force(c.labels_, owner)
    assert ev.pairwise_precision == pytest.approx(p) and ev.pairwise_recall == pytest.approx(r)
    majority = pd.DataFrame({"c": c.labels_, "e": owner}).groupby("c").e.agg(lambda s: s.value_counts().iloc[0])
    assert ev.purity == pytest.approx(majority.sum() / len(addrs))
    # change_vout is empty in this key, so every round_amount call counts as wrong
    assert ev.change.loc["round_amount", "correct"] == 0


@settings(max_examples=30)
@given(spending_chains(), st.integers(2, 4))
def test_refuse_collapse_leaves_no_big_to_big_change_link(chain, size):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusterCollapseWarning)
        c = Clustering("all", skip_coinjoin=False, collapse_size=size, refuse_collapse=True).fit(chain)
    mi = Clustering(skip_coinjoin=False).fit(chain)
    sizes = mi.labels_.map(mi.labels_.value_counts())
    ch = c.evidence_[c.evidence_.kind == "change"]
    la, lb = mi.labels_[ch.address_a].to_numpy(), mi.labels_[ch.address_b].to_numpy()
    big = (sizes[ch.address_a].to_numpy() >= size) & (sizes[ch.address_b].to_numpy() >= size)
    assert not (big & (la != lb)).any()
    assert len(c.collapse_) == 0 or c.collapse_.refused.all()


def test_unconfirmed_transactions_have_no_time():
    chain, a = toy_chain(
        [
            {"out": [("A", 60_000_000), ("B", 50_000_000)]},
            {"in": ["0:0", "0:1"], "out": [("C", 109_990_000)]},
        ]
    )
    from cryptotrace import Chain

    txs = chain.txs.copy()
    txs.loc[1, ["block_height", "time"]] = [pd.NA, pd.NaT]
    c2 = Chain.from_tables(txs=txs, inputs=chain.inputs.drop(columns="is_external"), outputs=chain.outputs)
    cl = Clustering().fit(c2).clusters_
    ab = Clustering().fit(c2).cluster_of(a["A"])
    assert cl.loc[ab, "last_seen"] == c2.txs.time.iloc[0]  # the unconfirmed spend has no time
    assert cl.last_seen.isna().sum() == 1  # C appears only in the unconfirmed tx


def sequential_collapse(n, mi, ch, limit, refuse):
    """Reference: a plain union-find adding the change links one by one."""
    parent = list(range(n))
    size = [1] * n

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        a, b = find(a), find(b)
        if a != b:
            parent[b] = a
            size[a] += size[b]

    for a, b in mi:
        union(a, b)
    risky = []
    for a, b in ch:
        ra, rb = find(a), find(b)
        bad = ra != rb and min(size[ra], size[rb]) >= limit
        risky.append(bad)
        if not (bad and refuse):
            union(a, b)
    return risky


@settings(max_examples=60)
@given(st.integers(2, 40), st.data(), st.integers(2, 6), st.booleans(), st.integers(1, 8))
def test_collapse_scan_equals_sequential_union_find(n, data, limit, refuse, batches):
    from cryptotrace.clustering import _collapse_scan

    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    mi = data.draw(st.lists(pair, max_size=30))
    ch = data.draw(st.lists(pair, min_size=1, max_size=40))
    arr = lambda xs, i: np.array([p[i] for p in xs], dtype=np.int64)  # noqa: E731
    risky, _, _ = _collapse_scan(n, arr(mi, 0), arr(mi, 1), arr(ch, 0), arr(ch, 1), limit, refuse, batches)
    assert risky.tolist() == sequential_collapse(n, mi, ch, limit, refuse)
