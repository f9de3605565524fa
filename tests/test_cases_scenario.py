"""Scenario files and the Python builder: checked, with errors naming the line and the field."""

from __future__ import annotations

import textwrap

import pytest

from cryptotrace.cases import Scenario, load_scenario
from cryptotrace.errors import ScenarioError

GOOD = """\
name: demo
title: "Demo case"
seed: 5
days: 10
background:
  txs: 2000
  exchanges: 4
cases:
  - id: nps
    title: "a vendor"
    suspect: {name: "GreenChem", real_name: "Dirk V.", wallet: electrum}
    events:
      - market_sales: {orders: 10, days: 2, price_eur: [40, 400]}
      - peel_chain: {share: 30%, hops: 4, exchanges: [Kryptohaus, CoinHarbor]}
      - coinjoin: {share: 0.5, kind: whirlpool}
      - cold_storage: {share: rest}
"""


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_good_file_loads_with_defaults(tmp_path):
    sc = load_scenario(write(tmp_path, GOOD))
    assert sc.name == "demo" and sc.seed == 5 and sc.days == 10.0
    assert sc.background.txs == 2000 and sc.background.exchanges == 4
    (case,) = sc.cases
    assert [e for e, _ in case.events] == ["market_sales", "peel_chain", "coinjoin", "cold_storage"]
    peel = dict(case.events)["peel_chain"]
    assert peel["share"] == 0.3 and peel["hops"] == 4 and peel["exchanges"] == ("Kryptohaus", "CoinHarbor")
    assert peel["peel"] == (0.05, 0.2)  # default filled in
    assert dict(case.events)["cold_storage"]["xpub_on_phone"] is True
    assert "demo" in repr(sc)


def test_builder_equals_file(tmp_path):
    built = (
        Scenario.builder("demo", title="Demo case", seed=5, days=10)
        .background(txs=2000, exchanges=4)
        .case(
            "nps",
            title="a vendor",
            suspect={"name": "GreenChem", "real_name": "Dirk V.", "wallet": "electrum"},
            start_day=0.5,
        )
        .market_sales(orders=10, days=2, price_eur=[40, 400])
        .peel_chain(share="30%", hops=4, exchanges=["Kryptohaus", "CoinHarbor"])
        .coinjoin(share=0.5, kind="whirlpool")
        .cold_storage(share="rest")
        .build()
    )
    assert built == load_scenario(write(tmp_path, GOOD))
    # and a scenario written out as YAML reads back the same
    again = load_scenario(write(tmp_path, built.to_yaml(), "again.yaml"))
    assert again == built


def test_builder_rejects_unknown_event():
    b = Scenario.builder("x").case("c")
    with pytest.raises(AttributeError, match="no event 'peelchain'"):
        b.peelchain(hops=3)


@pytest.mark.parametrize(
    "old,new,line,field,words",
    [
        ("hops: 4", "hopz: 4", 14, "cases[0].events[1].peel_chain.hopz", "did you mean 'hops'"),
        ("hops: 4", "hops: four", 14, "cases[0].events[1].peel_chain.hops", "whole number"),
        ("share: 0.5", "share: 1.5", 15, "cases[0].events[2].coinjoin.share", "share"),
        ("Kryptohaus, CoinHarbor", "Kryptohaus, Binance", 14, "cases[0].events[1].peel_chain.exchanges", "Binance"),
        ("kind: whirlpool", "kind: joinmarket", 15, "cases[0].events[2].coinjoin.kind", "joinmarket"),
        ("txs: 2000", "txs: 5", 6, "background.txs", "out of range"),
        ("wallet: electrum", "wallet: trezor", 11, "cases[0].suspect.wallet", "trezor"),
        (
            "- cold_storage: {share: rest}",
            "- cold_storagee: {share: rest}",
            16,
            "cases[0].events[3].cold_storagee",
            "did you mean 'cold_storage'",
        ),
        ("days: 10\n", "dayz: 10\n", 4, "dayz", "unknown field"),
    ],
)
def test_bad_field_names_line_and_field(tmp_path, old, new, line, field, words):
    assert old in GOOD
    p = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    msg = str(ei.value)
    assert f"line {line}" in msg, msg
    assert repr(field) in msg, msg
    assert words in msg, msg
    assert str(p) in msg


def test_first_event_must_bring_money_in(tmp_path):
    bad = GOOD.replace("      - market_sales: {orders: 10, days: 2, price_eur: [40, 400]}\n", "")
    with pytest.raises(ScenarioError, match=r"line 13.*first event must bring the money in"):
        load_scenario(write(tmp_path, bad))


def test_yaml_syntax_error_names_line(tmp_path):
    bad = GOOD.replace("  exchanges: 4", "  exchanges: [4")
    with pytest.raises(ScenarioError, match=r"line \d+: this is not valid YAML"):
        load_scenario(write(tmp_path, bad))


def test_duplicate_key_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"line 4.*'seed' appears twice"):
        load_scenario(write(tmp_path, GOOD.replace("days: 10\n", "seed: 6\n")))
    with pytest.raises(ScenarioError, match="no scenario file"):
        load_scenario(tmp_path / "nope.yaml")


def test_builder_errors_name_the_field():
    with pytest.raises(ScenarioError, match=r"'cases\[0\].events\[0\].theft.btc'.*out of range"):
        Scenario.builder("t").case("c").theft(btc=10_000).build()
    with pytest.raises(ScenarioError, match="background.vendors"):
        Scenario.builder("t").background(vendors=0).case("c").market_sales(orders=3).build()


def test_bundled_scenarios_load(project_root):
    names = {p.stem for p in (project_root / "sample_data" / "scenarios").glob("*.yaml")}
    assert {"sample", "nps_vendor", "ransomware", "exchange_theft"} <= names
    sample = load_scenario(project_root / "sample_data" / "scenarios" / "sample.yaml")
    assert sample.background.txs >= 30_000
    assert {c.id for c in sample.cases} == {"nps_vendor", "ransomware", "exchange_theft"}
