"""CoinJoin detectors measured per family on a generated economy with every variant (seeded).

The shapes the generator makes come from the same published descriptions the detectors implement, so
this measures the vectorised rules end to end (and the generator's bookkeeping), not their truth on
the real chain: that is what ``test_heuristics_coinjoin_published.py`` (published shapes, real data) is for.
"""

from __future__ import annotations

import numpy as np
import pytest

from cryptotrace.cases import Scenario, generate
from cryptotrace.cases.economy import coinjoin_family
from cryptotrace.cases.scenario import Background
from cryptotrace.heuristics import coinjoin as CJ


@pytest.fixture(scope="module")
def economy():
    sc = Scenario(seed=11, days=2.0, background=Background(txs=6_000, coinjoin_variants=True))
    chain, key = generate(sc)
    purpose = key.txs.loc[chain.txs.txid, "purpose"]
    return chain, key, np.array([coinjoin_family(p, variant=True) for p in purpose], dtype=object)


def test_scenario_option_parses():
    sc = Scenario.from_dict({"name": "x", "seed": 1, "days": 1, "background": {"txs": 500, "coinjoin_variants": True}})
    assert sc.background.coinjoin_variants is True
    plain = Scenario.from_dict({"name": "x", "seed": 1, "days": 1, "background": {"txs": 500}})
    assert plain.background.coinjoin_variants is False


def test_every_family_and_lookalike_is_generated(economy):
    _, key, fam = economy
    kinds = set(fam)
    for k in (
        "whirlpool: 5 x 5",
        "whirlpool: surge cycle (6-8)",
        "wasabi2: under 50 inputs",
        "wasabi2: 50+ inputs",
        "lookalike: stonewall",
        "lookalike: token transfer",
        "lookalike: equal-amount batch",
        "lookalike: 1-2-5 consolidation",
        "lookalike: whirlpool tx0",
    ):
        assert k in kinds, k
    assert any(k.startswith("joinmarket") for k in kinds) and any(k.startswith("wasabi1") for k in kinds)
    # the answer key's is_coinjoin agrees with the families
    is_cj = key.txs.loc[economy[0].txs.txid, "is_coinjoin"].to_numpy(bool)
    assert np.array_equal(is_cj, np.isin([f.split(":")[0] for f in fam], CJ.FAMILIES))


def test_recall_and_precision_per_family(economy):
    chain, _, fam = economy
    t = CJ.accuracy_table(chain, fam)
    own = {"whirlpool": "whirlpool", "wasabi1": "wasabi1", "wasabi2": "wasabi2", "joinmarket": "equal_output"}
    for row in t.index:
        f = row.split(":")[0]
        if f in own:
            assert t.loc[row, "coinjoin"] >= 0.9, (row, t.loc[row].to_dict())
            assert t.loc[row, own[f]] >= 0.9, (row, t.loc[row].to_dict())
        elif row.startswith("lookalike") or row == "other":
            assert t.loc[row, "coinjoin"] <= 0.02, (row, t.loc[row].to_dict())
    assert t.loc["precision", "coinjoin"] >= 0.97
    assert t.loc["lookalike: stonewall", "stonewall_like"] >= 0.9
    assert t.loc["lookalike: whirlpool tx0", "whirlpool_tx0"] >= 0.9


def test_default_economy_has_no_variants():
    chain, key = generate(1_000, seed=2)
    fam = {coinjoin_family(p) for p in key.txs.purpose}
    assert not fam & {"wasabi2", "joinmarket", "lookalike: stonewall", "lookalike: token transfer"}
