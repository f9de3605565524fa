"""The synthetic custodial mixer pays out in different coins; a "badly run" (leaky) mixer is a scenario option."""

from __future__ import annotations

import pytest

from cryptotrace.cases.generate import run_scenario
from cryptotrace.cases.scenario import Scenario
from cryptotrace.errors import ScenarioError

THEFT = {
    "id": "theft",
    "title": "a theft laundered through the mixer",
    "start_day": 0.3,
    "suspect": {"name": "thief", "wallet": "taproot"},
    "events": [
        {"theft": {"btc": 20, "outputs": 2}},
        {"wait": {"days": 0.2}},
        {"mixer": {"share": "rest", "outputs": 3, "delay_days": 0.3}},
    ],
}


def scenario(mixer) -> Scenario:
    return Scenario.from_dict(
        {"name": "mixer_test", "seed": 3, "days": 2, "background": {"txs": 2500, "mixer": mixer}, "cases": [THEFT]}
    )


def test_mixer_option_is_read_and_checked():
    assert scenario(True).background.mixer and not scenario(True).background.mixer_leaky
    leaky = scenario({"leaky": True}).background
    assert leaky.mixer and leaky.mixer_leaky
    assert not scenario({"leaky": False}).background.mixer_leaky
    # written back as it was given, and read again the same
    d = scenario({"leaky": True}).to_dict()
    assert d["background"]["mixer"] == {"leaky": True} and "mixer_leaky" not in d["background"]
    assert Scenario.from_dict(d).background == leaky
    assert scenario(True).to_dict()["background"]["mixer"] is True
    with pytest.raises(ScenarioError, match=r"background\.mixer\.leakey.*did you mean 'leaky'"):
        scenario({"leakey": True})
    with pytest.raises(ScenarioError, match=r"background\.mixer.*true, false or \{leaky: true\}"):
        scenario("yes")
    with pytest.raises(ScenarioError, match=r"background\.mixer\.leaky.*true or false"):
        scenario({"leaky": 3})


@pytest.mark.parametrize("leaky", [False, True])
def test_payouts_never_hold_the_depositors_own_coin_unless_leaky(leaky):
    chain, key, eco, _ = run_scenario(scenario({"leaky": leaky}))
    s = eco.mixer.stats
    assert s["payouts"] >= 10
    if not leaky:
        # "different coins": no payout spends a reserve coin holding any of the same deposit
        assert s["draws_on_own_deposit"] == 0 and s["only_own_deposit"] == 0
    else:
        # the badly run mixer (the old behaviour): some payouts draw on the depositor's own coin
        assert s["draws_on_own_deposit"] > 0
    # the same, read from the chain for the case's own payout (the answer key's facts): one hop back
    # from the payout's inputs (the reserve consolidation) reaches the case's deposit only when leaky
    ev = next(e for e in key.facts["theft"]["events"] if e["event"] == "mixer")
    assert ev["payout_txids"], "the case was paid out"
    ins = chain.inputs
    funding = set(ins.prev_txid[ins.txid.isin(ev["payout_txids"])])
    upstream = funding | set(ins.prev_txid[ins.txid.isin(funding)])
    assert (ev["deposit_txid"] in upstream) == leaky
