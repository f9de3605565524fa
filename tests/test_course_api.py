"""The plain calls of the course (issue 17): search, comparisons, evidence, tags.search, show, charts.

Unit tests on small hand-made chains, and on the sample cases where a call answers a question of
the case's answer key (checked with ``case.check``, so the truth comes from the pack, not from here).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptotrace as ct
from cryptotrace.addresses import encode_address
from cryptotrace.chain import Chain
from cryptotrace.errors import CaseError, CryptotraceError
from cryptotrace.tracing import worked_example_chain

BTC = 100_000_000


def _addr(i: int) -> str:
    return encode_address("p2wpkh", bytes([i]) * 20)


def line_chain(n: int, *, branch_to: dict[int, int] | None = None) -> Chain:
    """tx0 mints 10 BTC to address 1; tx k (1..n) spends output 0 of tx k-1 and pays 1 BTC to a side address
    (100 + k) and the rest to address k + 1. ``branch_to`` replaces side addresses: {k: address number}."""
    branch_to = branch_to or {}
    txids = [f"{k + 16:02x}" * 32 for k in range(n + 1)]
    txs = pd.DataFrame(
        {"txid": txids, "block_height": range(1, n + 2), "time": [1_600_000_000 + 600 * k for k in range(n + 1)]}
    )
    ins = {"txid": [txids[0]], "vin": [0], "prev_txid": [None], "prev_vout": [None]}
    outs = {"txid": [txids[0]], "vout": [0], "address": [_addr(1)], "value": [10 * BTC]}
    left = 10 * BTC
    for k in range(1, n + 1):
        ins["txid"].append(txids[k]), ins["vin"].append(0), ins["prev_txid"].append(txids[k - 1])
        ins["prev_vout"].append(0)
        left -= BTC
        outs["txid"] += [txids[k], txids[k]]
        outs["vout"] += [0, 1]
        outs["address"] += [_addr(k + 1), _addr(branch_to.get(k, 100 + k))]
        outs["value"] += [left, BTC]
    return Chain.from_tables(txs=txs, inputs=pd.DataFrame(ins), outputs=pd.DataFrame(outs))


# ------------------------------------------------------------------------------------------ paths
def test_paths_follow_the_coins_with_their_amounts_and_respect_max_hops():
    chain = line_chain(4)
    p = ct.paths(chain, _addr(1), _addr(103), max_hops=5)
    assert p.step.tolist() == [0, 1, 2, 3]
    assert p.address.tolist() == [_addr(1), _addr(2), _addr(3), _addr(103)]
    assert p.value.tolist() == [10 * BTC, 9 * BTC, 8 * BTC, BTC]
    assert p.at_target.tolist() == [False, False, False, True]
    assert len(ct.paths(chain, _addr(1), _addr(103), max_hops=2)) == 0  # three hops away
    assert len(ct.paths(chain, _addr(103), _addr(1), max_hops=5)) == 0  # never backwards


def test_paths_between_clusters_and_bad_input():
    chain = line_chain(2)
    clusters = ct.Clustering().fit(chain)
    p = ct.paths(chain, _addr(1), _addr(102), max_hops=3, clustering=clusters)
    assert p.at_target.iloc[-1] and p.address.iloc[-1] == _addr(102)
    with pytest.raises(CryptotraceError, match="does not appear in this chain"):
        ct.paths(chain, _addr(77), _addr(102))
    with pytest.raises(CryptotraceError, match="max_hops"):
        ct.paths(chain, _addr(1), _addr(102), max_hops=0)


def test_paths_on_the_capstone_end_at_a_deposit_the_exchange_named():
    case = ct.load_case("nps_vendor")
    refund = case.evidence.address("nps_vendor_market_listing.md")
    legal = ct.load_tags(case.path / "legal_responses")
    found = ct.find_services(case.chain, refund, tags=legal, within=10)
    p = ct.paths(case.chain, refund, found.address.iloc[-1], max_hops=10)
    assert p.address.iloc[0] == refund and p.address.iloc[-1] == found.address.iloc[-1]
    assert p.step.iloc[-1] == found.hops.iloc[-1]  # the shortest path has as many hops as find_services says


# ------------------------------------------------------------------------------------------ find_services
def test_find_services_nearest_first_stops_at_a_service_and_filters_categories():
    # hop 2 pays the exchange Kryptohaus (1 BTC) and moves 8 BTC on to address 3; hop 4 pays the market
    chain = line_chain(4, branch_to={2: 50, 4: 60})
    tags = ct.TagStore.from_frame(
        pd.DataFrame(
            {
                "address": [_addr(50), _addr(60)],
                "label": ["Kryptohaus hot wallet", "Nightshade Market"],
                "category": ["exchange", "market"],
            }
        )
    )
    found = ct.find_services(chain, _addr(1), tags=tags, within=5)
    assert found.service.tolist() == ["Kryptohaus hot wallet", "Nightshade Market"]
    assert found.hops.tolist() == [2, 4] and found.value.tolist() == [BTC, BTC]
    only_market = ct.find_services(chain, _addr(1), tags=tags, within=5, categories=["market"])
    assert only_market.service.tolist() == ["Nightshade Market"]
    assert len(ct.find_services(chain, _addr(1), tags=tags, within=3, categories=["market"])) == 0
    # a tagged address on the main line stops the walk: nothing behind the service is its customer's money
    tags3 = ct.TagStore.from_frame(
        pd.DataFrame(
            {
                "address": [_addr(3), _addr(60)],
                "label": ["Balticoin hot wallet", "Nightshade Market"],
                "category": ["exchange", "market"],
            }
        )
    )
    stopped = ct.find_services(chain, _addr(1), tags=tags3, within=5)
    assert stopped.service.tolist() == ["Balticoin hot wallet"] and stopped.value.tolist() == [8 * BTC]


def test_find_services_on_the_capstone_answers_the_case_questions():
    case = ct.load_case("nps_vendor")
    chain = case.chain
    refund = case.evidence.address("nps_vendor_market_listing.md")
    tags, clusters = ct.load_tags(case.tags_path), ct.Clustering().fit(chain)
    exchanges = ct.find_services(chain, refund, tags=tags, clustering=clusters, within=10, categories=["exchange"])
    names = sorted({s.replace(" hot wallet", "") for s in exchanges.service})
    assert case.check("nps_vendor.exchanges_reached", names).correct
    legal = ct.load_tags(case.path / "legal_responses")  # the exchanges' answers tag the deposit addresses
    deposits = ct.find_services(chain, refund, tags=legal, within=10)
    assert case.check("nps_vendor.peel_deposit_addresses", deposits.address.tolist()).correct
    assert case.check("nps_vendor.deposited_total", ct.format_btc(int(deposits.value.sum()))).correct
    assert case.check("nps_vendor.account_holder", ", ".join(deposits.account_holder.unique())).correct


# ------------------------------------------------------------------------------------------ compare
def test_compare_policies_matches_the_worked_example_of_the_design():
    """DESIGN.md's example: 3 BTC stolen first, 7 clean; outputs 1, 6, 3 BTC. Haircut 30 % each, FIFO
    pays the first 3 BTC out (1 + 2), poison taints all."""
    ex = worked_example_chain()
    side = ct.compare_policies(
        ex, ex.txs.txid.iloc[0] + ":0", policies=["poison", "haircut", "fifo"], max_hops=1, min_value=0
    )
    t = side.by_output(hop=1)
    assert t.poison.tolist() == [1 * BTC, 6 * BTC, 3 * BTC]
    assert t.haircut.tolist() == [30_000_000, 180_000_000, 90_000_000]
    assert t.fifo.tolist() == [1 * BTC, 2 * BTC, 0]
    s = side.summary()
    assert s.loc["fifo", "start_value"] == 3 * BTC and list(s.index) == ["poison", "haircut", "fifo"]
    assert side.trace("fifo").params["policy"] == "fifo"
    with pytest.raises(CryptotraceError, match="no policy"):
        side.trace("lifo")


def test_compare_clusterings_names_the_heuristics_it_picked():
    chain, key = ct.load_sample(), ct.load_answer_key("sample")
    grade = ct.evaluate(ct.Clustering().fit(chain), key)
    worst = grade.change.precision.dropna().idxmin()
    t = ct.compare_clusterings(chain, key, add_change=["least_reliable"])
    assert t.index.tolist() == ["common-input only", f"+ {worst} (least reliable)"]
    assert t.pairwise_precision.iloc[1] < t.pairwise_precision.iloc[0]  # a weak heuristic merges strangers
    assert t.largest_cluster.iloc[1] >= t.largest_cluster.iloc[0]
    with pytest.raises(CryptotraceError, match="one of"):
        ct.compare_clusterings(chain, key)


def test_coinjoin_detectors_on_a_real_whirlpool_mix():
    w = ct.load_sample("whirlpool")
    t = ct.coinjoin_detectors(w)
    mix = "323df21f0b0756f98336437aa3d2fb87e02b59f1946b714a7b09df04d429dec2"
    assert t.index[t.whirlpool].tolist() == [mix]
    totals = ct.coinjoin_detectors(w, totals=True)
    assert totals.loc["whirlpool", "transactions_flagged"] == 1


# ------------------------------------------------------------------------------------------ traces
def test_trace_transactions_and_first_coinjoin_answer_the_ransomware_question():
    case = ct.load_case("ransomware")
    trail = ct.trace(
        case.chain,
        case.evidence.addresses("ransomware_ransom_notes.md"),
        policy="fifo",
        tags=ct.load_tags(case.tags_path),
        max_hops=20,
    )
    mixes = ct.trace_transactions(trail, coinjoin=True)
    assert len(mixes) >= 1 and mixes.coinjoin.all()
    assert case.check("ransomware.coinjoin_txid", mixes.txid.iloc[0]).correct
    assert ct.first_coinjoin(trail).txid == mixes.txid.iloc[0]
    every = ct.trace_transactions(trail)
    assert len(every) == len(trail.transactions) and every.coinjoin.sum() == len(mixes)
    # the same as methods of the trace (one readable call per step)
    assert trail.followed(coinjoin=True).equals(mixes) and trail.followed().equals(every)
    assert len(trail.followed(coinjoin=False)) == len(every) - len(mixes)
    assert trail.first_coinjoin().txid == mixes.txid.iloc[0]


def test_peel_chain_wallet_and_where_from_answer_the_capstone():
    case = ct.load_case("nps_vendor")
    chain = case.chain
    refund = case.evidence.address("nps_vendor_market_listing.md")
    trail = ct.trace(chain, refund, policy="fifo", tags=ct.load_tags(case.tags_path), max_hops=30)
    assert case.check("nps_vendor.peel_hops", len(ct.peel_chain(trail))).correct
    assert trail.peel_chain().equals(ct.peel_chain(trail))
    mix = ct.first_coinjoin(trail)
    src = ct.where_from(chain, mix.txid, trace=trail)
    tx0 = src.from_txid[src.followed].iloc[0]
    assert case.check("nps_vendor.coinjoin_entry_amount", ct.format_btc(chain.tx(tx0).input_value)).correct
    wallet = ct.wallet_addresses(chain, case.evidence.xpub("nps_vendor_seized_phone.md"), count=10)
    assert case.check("nps_vendor.cold_storage_balance", ct.format_btc(int(wallet.balance.sum()))).correct
    with pytest.raises(CryptotraceError, match="account public key"):
        ct.wallet_addresses(chain, "zpubnotakey")


def test_first_coinjoin_says_when_there_is_none():
    ex = worked_example_chain()
    t = ct.trace(ex, ex.txs.txid.iloc[0] + ":0", policy="fifo", max_hops=1, min_value=0)
    with pytest.raises(CryptotraceError, match="no CoinJoin"):
        ct.first_coinjoin(t)
    with pytest.raises(CryptotraceError, match="no CoinJoin"):
        t.first_coinjoin()


# ------------------------------------------------------------------------------------------ addresses
def test_address_summary_payments_from_and_where_from_on_block_170():
    early = ct.load_sample("hal_finney")
    satoshi, hal = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
    history = ct.address_summary(early, satoshi)
    assert history.block_height.iloc[0] == 9 and history.received.iloc[0] == 50 * BTC
    assert history.balance_after.iloc[-1] == early.address(satoshi).balance  # the running balance ends right
    sent = ct.address_summary(early, satoshi, only="sent")
    assert (sent.sent > 0).all() and len(sent) == int((history.sent > 0).sum())
    assert ct.address_summary(early, satoshi, after_block=170, only="sent").block_height.min() > 170
    paid = ct.payments_from(early, satoshi)
    to_hal = paid[paid.address == hal]
    assert to_hal.value.tolist() == [10 * BTC] and to_hal.block_height.tolist() == [170]
    assert set(paid.role[paid.address == satoshi]) == {"change (back to the sender)"}
    src = ct.where_from(early, "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
    assert src.from_block.tolist() == [9] and src.newly_mined.tolist() == [True]
    with pytest.raises(CryptotraceError, match="only="):
        ct.address_summary(early, satoshi, only="both")


def test_inputs_by_address_adds_up_to_the_transaction():
    b = ct.load_sample("bitfinex")
    txid = "c49ff6bd054fb386cd02fc94ca34b8773229ed8a5538e023ef7bea772d70c17a"
    t = ct.inputs_by_address(b, txid)
    tx = b.tx(txid)
    assert int(t.inputs.sum()) == len(tx.inputs) and int(t.value.sum()) == tx.input_value
    assert len(t) == tx.inputs.address.nunique() and t.value.is_monotonic_decreasing


# ------------------------------------------------------------------------------------------ evidence, tags
def test_evidence_addresses_are_checked_and_xpubs_found():
    case = ct.load_case("ransomware")
    found = case.evidence.addresses("ransomware_ransom_notes.md")
    assert len(found) >= 3 and all(ct.is_valid_address(a) for a in found)
    assert all(f"`{a}`" in case.evidence["ransomware_ransom_notes.md"] for a in found)
    with pytest.raises(CaseError, match="addresses"):
        case.evidence.address("ransomware_ransom_notes.md")  # several: the message says so
    with pytest.raises(CaseError, match="did you mean"):
        case.evidence.addresses("ransomware_ransom_note.md")
    from cryptotrace.cases.case import Evidence

    good = found[0]
    broken = good[:-1] + ("q" if good[-1] != "q" else "p")  # one character off: the checksum fails
    ev = Evidence({"note.md": f"pay to {broken} or to {good}"})
    assert ev.addresses() == [good]
    assert Evidence({"phone.md": "no key here"}).xpubs() == []


def test_tags_search_and_hot_wallets_carry_their_service_jurisdiction(tmp_path):
    pack = tmp_path / "tags.yaml"
    pack.write_text(
        "title: t\ncreator: c\ncurrency: BTC\ntags:\n"
        f"- address: {_addr(1)}\n  label: Kryptohaus hot wallet\n  category: exchange\n  actor: kryptohaus\n"
        f"- address: {_addr(2)}\n  label: Kryptohaus deposit address\n  category: exchange\n  actor: kryptohaus\n"
        "  jurisdiction: DE\n"
        f"- address: {_addr(3)}\n  label: Balticoin hot wallet\n  category: exchange\n  actor: balticoin\n"
        f"- address: {_addr(4)}\n  label: Balticoin deposit\n  category: exchange\n  actor: balticoin\n"
        "  jurisdiction: LT\n"
        f"- address: {_addr(5)}\n  label: Balticoin deposit\n  category: exchange\n  actor: balticoin\n"
        "  jurisdiction: LV\n",
        encoding="utf-8",
    )
    tags = ct.load_tags(pack)
    hot = tags.for_address(_addr(1))[0]
    assert hot.jurisdiction == "DE"  # from the other tag of the same service
    assert tags.for_address(_addr(3))[0].jurisdiction is None  # two countries named: which one is unknown
    found = tags.search("kryptohaus")
    assert set(found.address) == {_addr(1), _addr(2)}
    assert set(tags.search("LV").address) == {_addr(5)}  # the jurisdiction is searched too
    assert len(tags.search("no such service")) == 0
    with pytest.raises(CryptotraceError, match="word"):
        tags.search("")


# ------------------------------------------------------------------------------------------ show, charts, check
def test_show_gives_btc_whole_text_and_no_reprs():
    long = "Ask the exchange to freeze the account and to produce its records. " * 5
    t = ct.show(pd.DataFrame({"value": [123_456_789], "next_step": [long], "precision": [0.4567]}))
    html = t._repr_html_()
    assert "1.23456789 BTC" in html and long.strip() in html and "45.7%" in html
    text = str(ct.show({"policy": "fifo", "heuristics": ["multi_input", "change"], "path": ct.load_case}))
    assert "multi_input, change" in text and "['" not in text and "{'" not in text
    with pytest.raises(CryptotraceError, match="no column"):
        ct.show(pd.DataFrame({"a": [1]}), columns=["b"])
    assert "more not shown" in str(ct.show(pd.DataFrame({"a": range(20)}), rows=5))


def test_charts_draw_what_they_are_given():
    scores = pd.DataFrame({"precision": [0.9, 0.6], "calls": [10, 20]}, index=["a", "b"])
    fig = ct.charts.bars(scores, value=["precision", "calls"], title="t")
    assert [ax.get_ylabel() for ax in fig.axes] == ["precision (%)", "calls"]
    assert [round(p.get_height(), 6) for p in fig.axes[0].patches] == [90.0, 60.0]
    with pytest.raises(CryptotraceError, match="no column"):
        ct.charts.bars(scores, value="recall")
    ex = worked_example_chain()
    fig = ct.charts.timeline(ex, txids=[ex.txs.txid.iloc[1]], paid_to=[ex.outputs.address.iloc[3]], labels=["x"])
    assert [p.get_height() for p in fig.axes[0].patches] == [6.0]


def test_a_check_before_an_answer_asks_for_one():
    case = ct.load_case("nps_vendor")
    r = case.check("nps_vendor.peel_hops", None)
    assert not r.correct and "Type your answer" in repr(r)
    with pytest.raises(CaseError):
        case.check("nps_vendor.no_such_question", None)


def test_course_command_copies_the_trainee_notebooks_without_solutions(tmp_path, capsys):
    import nbformat

    from cryptotrace.cli import main

    out = tmp_path / "course"
    assert main(["course", str(out)]) == 0
    assert "8 trainee notebooks" in capsys.readouterr().out
    names = sorted(p.name for p in out.glob("*.ipynb"))
    assert len(names) == 8 and names[0].startswith("00_") and names[-1].startswith("07_")
    for p in out.glob("*.ipynb"):
        assert nbformat.read(p, as_version=4).metadata["cryptotrace"]["version"] == "trainee"
    every = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert not [p for p in every if "solution" in p or "answers.yaml" in p or p.startswith("08_")], every
    assert (out / "exercises" / "welcome" / "questions.yaml").exists()
    assert ct.load_case(out / "exercises" / "welcome").check("welcome.sats_to_btc", 0.25).correct
    assert main(["course", str(out)]) != 0  # an existing folder is not overwritten without --overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(["course", str(out), "--overwrite"]) == 0


def test_notebook_04s_two_fifo_figures_share_one_definition():
    """The policy table's "at_services" (value whose trace stopped at a tagged service) equals the seizure
    candidates at a service: at_service plus the mixed ones that reached a service after a CoinJoin."""
    case = ct.load_case("ransomware")
    chain = case.chain
    claims = ct.compare_policies(
        chain,
        case.evidence.addresses("ransomware_ransom_notes.md"),
        policies=["fifo"],
        tags=ct.load_tags(case.tags_path),
        clustering=ct.Clustering().fit(chain),
        max_hops=20,
    )
    cands = ct.seizure_candidates(claims.trace("fifo")).to_frame()
    at_service = cands.tainted_value[cands.classification == "at_service"].sum()
    mixed_at_a_service = cands.tainted_value[(cands.classification == "mixed") & cands.service.notna()].sum()
    assert mixed_at_a_service > 0  # the case has both kinds, so the notebook's explanation is needed
    assert claims.summary().at_services.loc["fifo"] == at_service + mixed_at_a_service


def test_amount_paid_and_coinjoin_entry():
    ex = worked_example_chain()
    t1 = ex.txs.txid.iloc[1]
    assert ct.amount_paid(ex, t1, to=ex.outputs.address.iloc[3]) == 6 * BTC
    assert ct.amount_paid(ex, t1, to=list(ex.outputs.address.iloc[2:5])) == 10 * BTC
    with pytest.raises(CryptotraceError, match="does not appear"):
        ct.amount_paid(ex, t1, to=_addr(77))
    case = ct.load_case("nps_vendor")
    refund = case.evidence.address("nps_vendor_market_listing.md")
    trail = ct.trace(case.chain, refund, policy="fifo", tags=ct.load_tags(case.tags_path), max_hops=30)
    assert case.check("nps_vendor.coinjoin_entry_amount", ct.format_btc(ct.coinjoin_entry(trail).input_value)).correct


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 8),
    branches=st.dictionaries(st.integers(1, 8), st.integers(40, 45), min_size=1, max_size=4),
    within=st.integers(1, 8),
)
def test_find_services_and_paths_agree_on_the_hops(n, branches, within):
    """Every service find_services reports within N hops has a path of exactly that many hops, and no
    service closer than N hops is missed (a plain walk over the line chain gives the truth)."""
    branches = {k: v for k, v in branches.items() if k <= n}
    chain = line_chain(n, branch_to=branches)
    services = sorted(set(branches.values()))
    tags = ct.TagStore.from_frame(
        pd.DataFrame(
            {
                "address": [_addr(a) for a in services],
                "label": [f"service {a}" for a in services],
                "category": "exchange",
            }
        )
    )
    found = ct.find_services(chain, _addr(1), tags=tags, within=within)
    truth = sorted((k, branches[k]) for k in branches if k <= within)  # tx k pays the service at hop k
    assert sorted(zip(found.hops, [int(s.split()[1]) for s in found.service])) == truth
    for hops, address in zip(found.hops, found.address):
        p = ct.paths(chain, _addr(1), address, max_hops=within)
        ends = p[p.at_target]
        assert hops in set(ends.step) and set(ends.value) == {BTC}


def test_find_services_without_tags_or_with_a_bad_hop_count_says_what_to_give():
    case = ct.load_case("sample")
    start = case.evidence.addresses("ransomware_ransom_notes.md")[0]
    with pytest.raises(ct.CryptotraceError, match=r"tags=ct.load_tags\(case.path\)"):
        ct.find_services(case.chain, start, within=5)
    with pytest.raises(ct.CryptotraceError, match="whole number of hops"):
        ct.find_services(case.chain, start, tags=ct.load_tags(case.path), within="five")
