"""The numpy union-find behind clustering: exactly the partition (and numbering) of the old scipy path."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace import Clustering
from cryptotrace.clustering import _forest, _relabel_by_size, _union_find_scipy, union_find
from cryptotrace.errors import ClusteringError
from cryptotrace.testing.strategies import spending_chains


def same_as_scipy(n, a, b):
    k_new, lab_new = union_find(n, a, b)
    k_old, lab_old = _union_find_scipy(n, a, b)
    assert k_new == k_old
    assert lab_new.dtype == lab_old.dtype  # int32, as scipy gives
    np.testing.assert_array_equal(lab_new, lab_old)  # the same numbering, not only the same partition
    return k_new, lab_new


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 60))
    node = st.integers(0, n - 1)
    links = draw(st.lists(st.tuples(node, node), max_size=150))
    a = np.array([x for x, _ in links], dtype=np.int64)
    b = np.array([y for _, y in links], dtype=np.int64)
    return n, a, b


@settings(max_examples=150)
@given(graphs(), st.integers(1, 8))
def test_equals_scipy_and_networkx_in_any_batching(g, first):
    n, a, b = g
    k, lab = same_as_scipy(n, a, b)
    # small first batches exercise the batch-by-batch path (the default batch is larger than these graphs)
    p, _ = _forest(n, a.astype(np.intp), b.astype(np.intp), first=first)
    assert (p <= np.arange(n)).all() and (p[p] == p).all()  # pointers go down and end at roots
    comps = list(nx.connected_components(_nx(n, a, b)))
    assert k == len(comps)
    for comp in comps:
        comp = sorted(comp)
        assert (p[comp] == comp[0]).all()  # the root of a component is its lowest node
        assert len(set(lab[comp].tolist())) == 1


def _nx(n, a, b):
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(a.tolist(), b.tolist()))
    return g


def co_spend_chains():
    """Random chains with multi-input spends (up to 5 inputs) and reused names, so clusters grow and merge."""
    return spending_chains(max_names=20, max_txs=25, max_inputs=5)


@settings(max_examples=40, deadline=None)
@given(co_spend_chains(), st.sampled_from([("multi_input",), "all"]))
def test_clustering_labels_equal_the_old_scipy_path(chain, heuristics):
    c = Clustering(heuristics, skip_coinjoin=False).fit(chain)
    _, _, a, b = c._ev
    n = chain.index.n_addresses
    k_old, lab_old = same_as_scipy(n, a, b)
    # what fit() gave before the change: scipy's labels renumbered by size
    expected = _relabel_by_size(lab_old, k_old) if n else lab_old.astype(np.int64)
    np.testing.assert_array_equal(c.labels_.to_numpy(), expected)
    assert c.n_clusters_ == k_old


@pytest.mark.parametrize("order", ["up", "down"])
def test_unlucky_stars_and_paths_take_few_rounds(order):
    # A star whose centre is the highest node, leaves in rising order, is the worst case for
    # "last writer wins" hooking (one leaf per round); hooking to the lowest neighbour needs 2-3 rounds.
    n = 20_000
    leaves = np.arange(n - 1) if order == "up" else np.arange(n - 2, -1, -1)
    centre = np.full(n - 1, n - 1)
    _, rounds = _forest(n, centre, leaves)
    assert rounds <= 6
    assert same_as_scipy(n, centre, leaves)[0] == 1
    # a long path, links given in a scrambled order
    path = np.random.default_rng(1).permutation(n)
    a, b = path[:-1], path[1:]
    _, rounds = _forest(n, a, b)
    assert rounds <= 2 * int(np.log2(n)) + 2
    assert same_as_scipy(n, a, b)[0] == 1


def test_batches_on_a_random_graph_with_a_giant_component():
    # more links than nodes: several batches, most links of the later ones already inside the giant component
    rng = np.random.default_rng(7)
    n, m = 5_000, 12_000
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    for first in (None, 100, 2_500):
        p, _ = _forest(n, a, b, first=first)
        np.testing.assert_array_equal(np.unique(p, return_inverse=True)[1], _union_find_scipy(n, a, b)[1])
    k, lab = same_as_scipy(n, a, b)
    assert np.bincount(lab).max() > n // 2  # the giant component is there


def test_edge_cases():
    assert union_find(0, [], [])[0] == 0 and union_find(0, [], [])[1].size == 0
    k, lab = union_find(4, np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert k == 4 and lab.tolist() == [0, 1, 2, 3]
    k, lab = union_find(3, [2, 2, 1], [2, 1, 2])  # self-links and repeated links
    assert k == 2 and lab.tolist() == [0, 1, 1]
    k, lab = union_find(np.int64(3), np.array([0], dtype=np.uint16), np.array([2], dtype=np.int8))
    assert k == 2 and lab.tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    "args, match",
    [
        ((3, [0, 3], [1, 1]), "node 3 in a is outside 0..2"),
        ((3, [0, 1], [-1, 1]), "node -1 in b is outside 0..2"),
        ((3, [0, 1], [1]), "same length"),
        ((3, [0.0, 1.0], [1, 2]), "integers"),
        ((3, [[0, 1]], [[1, 2]]), "1-D"),
        ((3, [True], [False]), "integers"),
        ((-1, [], []), "n=-1"),
        ((2.5, [0], [1]), "n=2.5"),
    ],
)
def test_bad_input_names_the_value(args, match):
    with pytest.raises(ClusteringError, match=match):
        union_find(*args)
