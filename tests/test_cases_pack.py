"""Case packs: layout, byte-identical for a seed, self-check without revealing answers, CLI."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
import yaml

import cryptotrace as ct
from cryptotrace.cases import Scenario, load_case, make_case
from cryptotrace.cli import main
from cryptotrace.errors import CaseError


def small_scenario(seed=3):
    return (
        Scenario.builder("mini", title="Mini case", seed=seed, days=12)
        .background(txs=2500, users=260, exchanges=4, vendors=3, buyers_share=0.2)
        .case("vendor", title="a vendor", suspect={"name": "GreenChem", "real_name": "Dirk Verhoeven"})
        .market_sales(orders=12, days=1.5, price_eur=[50, 300])
        .peel_chain(share=0.5, hops=3, exchanges=2)
        .coinjoin(share=0.5, kind="whirlpool")
        .cold_storage(share="rest", addresses=2)
        .case("thief", title="a theft", suspect={"name": "x", "real_name": "Viktor Sand"}, start_day=1)
        .theft(btc=5, exchange="Kryptohaus", outputs=3)
        .split(parts=3)
        .mixer(share=0.5, outputs=2, delay_days=0.2)
        .cash_out(share="rest", exchanges=2)
        .build()
    )


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return make_case(small_scenario(), tmp_path_factory.mktemp("p") / "mini")


def digest_tree(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_layout(pack):
    for rel in (
        "case.yaml",
        "briefing.md",
        "questions.yaml",
        "tags.yaml",
        "dataset/manifest.json",
        "evidence/vendor_market_listing.md",
        "evidence/vendor_seized_phone.md",
        "evidence/thief_incident_report.md",
        "instructor/answer_key/manifest.json",
        "instructor/answers.yaml",
        "instructor/solutions.md",
        "instructor/scenario.yaml",
    ):
        assert (pack / rel).exists(), rel
    responses = list((pack / "legal_responses").glob("*.csv"))
    assert responses
    for f in responses:
        rows = list(csv.DictReader(io.StringIO(f.read_text())))
        assert list(rows[0]) == ["address", "label", "category", "jurisdiction", "account_holder", "source"]
        assert all(r["category"] == "exchange" for r in rows)


def salts(pack):
    return {q["id"]: q["check"]["salt"] for q in yaml.safe_load((pack / "questions.yaml").read_text())["questions"]}


def test_same_seed_and_secret_give_a_byte_identical_pack(pack, tmp_path):
    secret = load_case(pack).answer_key.check_secret
    assert len(bytes.fromhex(secret)) == 32
    again = make_case(small_scenario(), tmp_path / "again", secret=secret)
    assert digest_tree(pack) == digest_tree(again)
    other = make_case(small_scenario(), tmp_path / "other", seed=4)
    assert digest_tree(pack)["dataset/manifest.json"] != digest_tree(other)["dataset/manifest.json"]


def test_the_seed_is_not_enough_to_recover_a_salt(pack, tmp_path):
    # the same scenario and seed, made again without the secret: same chain, unrelated salts
    again = make_case(small_scenario(), tmp_path / "again")
    assert digest_tree(pack)["dataset/manifest.json"] == digest_tree(again)["dataset/manifest.json"]
    mine, theirs = salts(pack), salts(again)
    assert set(mine) == set(theirs) and all(mine[q] != theirs[q] for q in mine)
    # nor does any seed near the scenario's, hashed the ways a seed could be (the old derivation among them)
    known = set(mine.values())
    for seed in range(0, 2_000):
        base = hashlib.sha256(f"cryptotrace-salt:mini:{seed}".encode()).hexdigest()
        for qid in mine:
            for cand in (
                hashlib.sha256(f"{base}:{qid}".encode()).hexdigest()[:32],
                hashlib.sha256(f"{seed}:{qid}".encode()).hexdigest()[:32],
            ):
                assert cand not in known, (seed, qid)
    # the salts' secret is in the instructor's answer key only
    secret = load_case(pack).answer_key.check_secret
    handout_text = "".join(
        p.read_text(errors="ignore") for p in pack.rglob("*") if p.is_file() and "instructor" not in p.parts
    )
    assert secret and secret not in handout_text


def test_every_answer_checks_right_and_near_misses_are_told(pack):
    case = load_case(pack)
    answers = yaml.safe_load((pack / "instructor" / "answers.yaml").read_text())["answers"]
    assert set(answers) == set(case.questions.index)
    kinds = set(case.questions.kind)
    assert {"amount", "number", "list", "text"} <= kinds
    for qid, ans in answers.items():
        kind = case.questions.kind[qid]
        if kind == "amount":
            assert case.check(qid, ans["btc"]).correct
            assert case.check(qid, f"{ans['sats']:,} sats").correct
            near = f"{ans['sats'] + ans['sats'] // 100} sats"  # 1% too much
            off = case.check(qid, near)
            assert not off.correct and off.message.startswith("close") and "too low" not in off.message, off
            far = case.check(qid, ans["sats"] / 1e8 + 500)
            assert not far.correct and "not close" in far.message
            assert case.check(qid, near, exam=True).message.endswith("is not the answer")
        elif kind == "list":
            assert case.check(qid, ans).correct
            if len(ans) > 1:
                part = case.check(qid, ans[:-1] + ["not-a-real-item"])
                assert not part.correct
                if len(ans) <= 2:
                    assert part.message == f"{len(ans) - 1} of {len(ans)} right, 1 not in the answer"
                else:
                    assert part.message.startswith(f"not all right (the answer has {len(ans)} items)")
                    two = case.check(qid, ans[:1] + ["not-a-real-item"])
                    assert two.message == f"1 of {len(ans)} right, 1 not in the answer"
        elif kind == "number":
            assert case.check(qid, ans).correct
            assert not case.check(qid, ans + 1).correct
        else:
            assert case.check(qid, str(ans).upper()).correct  # case does not matter for text
            assert not case.check(qid, "somebody else")
    with pytest.raises(CaseError, match="did you mean"):
        case.check("vendor.peel_hop", 3)


def test_trainee_files_do_not_reveal_the_answers(pack):
    answers = yaml.safe_load((pack / "instructor" / "answers.yaml").read_text())["answers"]
    qs = yaml.safe_load((pack / "questions.yaml").read_text())["questions"]
    # the check blocks hold only a salt, the scrypt cost, the tolerance grid and hashes
    for q in qs:
        chk = q["check"]
        assert set(chk) <= {
            "scheme",
            "salt",
            "n",
            "r",
            "p",
            "unit",
            "grid",
            "exact",
            "hashes",
            "close",
            "hash",
            "items",
        }
        assert chk["scheme"] == "scrypt" and chk["n"] * chk["r"] * 128 >= 16 * 2**20
        hashes = (
            [chk.get("hash")] + chk.get("hashes", []) + [e["hash"] for e in chk.get("close", [])] + chk.get("items", [])
        )
        assert all(len(h) == 32 and int(h, 16) >= 0 for h in hashes if h)
    visible = "".join(yaml.safe_dump({k: v for k, v in q.items() if k != "check"}) for q in qs)
    visible += "".join((pack / f).read_text() for f in ("briefing.md", "case.yaml"))
    for qid, ans in answers.items():
        if isinstance(ans, dict):
            assert str(ans["sats"]) not in visible and ans["btc"].split()[0] not in visible, qid
        elif isinstance(ans, list):
            assert not any(a in visible for a in ans if len(a) > 20), qid
        elif isinstance(ans, str) and len(ans) > 6:
            assert ans not in visible, qid
    assert "seed" not in (pack / "case.yaml").read_text()


def test_facts_and_evidence_agree_with_the_chain(pack):
    case = load_case(pack)
    chain = case.chain
    key = case.answer_key
    assert key.dataset_sha256 == chain.content_hash
    f = key.facts["vendor"]
    listing = case.evidence["vendor_market_listing.md"]
    market = next(e for e in f["events"] if e["event"] == "market_sales")
    assert market["refund_address"] in listing
    # the market's payouts to the refund address add up to the answer
    outs = chain.outputs[chain.outputs.address == market["refund_address"]]
    assert int(outs.value.sum()) == market["paid_out_sats"] > 0
    # the cold-storage addresses are the ones derived from the xpub on the phone (real keys, via bitcoinlib)
    from cryptotrace.cases.keys import derive_addresses

    cold = next(e for e in f["events"] if e["event"] == "cold_storage")
    assert cold["xpub"] in case.evidence["vendor_seized_phone.md"]
    derived = derive_addresses(cold["xpub"], 5)
    assert derived[:2] == cold["addresses"]
    held = chain.outputs[chain.outputs.address.isin(derived) & chain.outputs.spent_by_txid.isna()]
    assert int(held.value.sum()) == cold["unspent_sats"] > 0
    # peel chain deposits reach exchange deposit addresses owned by those exchanges in the key
    peel = next(e for e in f["events"] if e["event"] == "peel_chain")
    assert len(peel["hop_txids"]) == 3
    for d in peel["deposits"]:
        assert key.addresses.loc[d["address"], "entity_type"] == "exchange"
    # the legal responses name the suspect as the account holder of those deposit addresses
    rows = []
    for p in case.legal_responses.values():
        rows += list(csv.DictReader(io.StringIO(p.read_text())))
    holder = {r["address"]: r["account_holder"] for r in rows}
    for d in f["exchange_deposits"]:
        assert holder[d["address"]] == "Dirk Verhoeven"
    assert any(h != "Dirk Verhoeven" for h in holder.values())  # other customers' rows too
    # the theft
    t = key.facts["thief"]
    theft = t["events"][0]
    assert theft["txid"] in case.evidence["thief_incident_report.md"]
    tx = chain.tx(theft["txid"])
    paid = tx.outputs[tx.outputs.address.isin(theft["addresses"])]
    assert int(paid.value.sum()) == theft["sats"] == 5 * 100_000_000


def test_tags_are_a_graphsense_tagpack_of_known_services(pack):
    tp = yaml.safe_load((pack / "tags.yaml").read_text())
    assert {"title", "creator", "tags"} <= set(tp)
    cats = {t["category"] for t in tp["tags"]}
    assert {"exchange", "market", "coinjoin", "miner"} <= cats
    key = load_case(pack).answer_key
    for t in tp["tags"]:
        owner_type = key.addresses.loc[t["address"], "entity_type"]
        assert (
            owner_type
            in {
                "exchange": {"exchange"},
                "market": {"market"},
                "miner": {"mining_pool"},
                "coinjoin": {"coinjoin_coordinator"},
                "mixing_service": {"mixer"},
            }[t["category"]]
        )
    store = ct.load_tags(pack / "tags.yaml")
    assert len(store) == len(tp["tags"])


def test_variants_and_overwrite(tmp_path):
    sc = small_scenario()
    made = make_case(sc, tmp_path / "class", variants=2)
    assert [p.name for p in made] == ["variant_01", "variant_02"]
    a, b = (load_case(p) for p in made)
    assert a.chain.content_hash != b.chain.content_hash
    with pytest.raises(CaseError, match="already exists"):
        make_case(sc, made[0])


def test_cli_new_check_and_questions(tmp_path, capsys):
    scen = tmp_path / "mini.yaml"
    small_scenario(seed=9).to_yaml(scen)
    assert main(["case", "new", str(scen), "-o", str(tmp_path / "cli"), "--seed", "9"]) == 0
    out = capsys.readouterr().out
    assert "wrote case pack" in out and "instructor/" in out
    answers = yaml.safe_load((tmp_path / "cli" / "instructor" / "answers.yaml").read_text())["answers"]
    assert main(["case", "check", str(tmp_path / "cli"), "vendor.peel_hops", str(answers["vendor.peel_hops"])]) == 0
    assert "Right" in capsys.readouterr().out
    assert main(["case", "check", str(tmp_path / "cli"), "vendor.peel_hops", "99"]) == 1
    assert main(["case", "check", str(tmp_path / "cli"), "nope", "1"]) == 2
    assert "no question 'nope'" in capsys.readouterr().err
    assert main(["case", "questions", str(tmp_path / "cli")]) == 0
    assert "vendor.peel_hops" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(scen.read_text().replace("hops: 3", "hops: -3"))
    assert main(["case", "new", str(bad), "-o", str(tmp_path / "bad")]) == 2
    assert "hops" in capsys.readouterr().err


def test_answer_key_facts_hold_every_answer(pack):
    case = load_case(pack)
    answers = yaml.safe_load((pack / "instructor" / "answers.yaml").read_text())["answers"]
    in_key = {}
    for cid in ("vendor", "thief"):
        in_key.update(case.answer_key.facts[cid]["answers"])
    assert set(in_key) == set(answers)
    for qid, a in answers.items():
        if isinstance(a, dict):
            assert in_key[qid] == a["sats"]
        elif isinstance(a, list):
            assert sorted(in_key[qid]) == a
        else:
            assert in_key[qid] == a


def test_handout_copy_has_no_instructor_folder(pack, tmp_path, capsys):
    assert main(["case", "handout", str(pack), "-o", str(tmp_path / "trainee")]) == 0
    copy = tmp_path / "trainee"
    assert not (copy / "instructor").exists()
    assert (copy / "dataset" / "manifest.json").exists() and (copy / "questions.yaml").exists()
    case = load_case(copy)
    assert case.check("vendor.peel_hops", 3).correct
    with pytest.raises(CaseError, match="trainee version"):
        case.answer_key
    assert main(["case", "handout", str(pack), "-o", str(copy)]) == 2  # exists: refuse without --overwrite


def test_exam_handout_gives_no_hints(pack, tmp_path, capsys):
    assert main(["case", "handout", str(pack), "-o", str(tmp_path / "exam"), "--exam"]) == 0
    assert "exam" in capsys.readouterr().out
    exam = load_case(tmp_path / "exam")
    assert exam.exam and "(exam)" in repr(exam)
    text = (tmp_path / "exam" / "questions.yaml").read_text()
    assert "close:" not in text and "items:" not in text
    answers = yaml.safe_load((pack / "instructor" / "answers.yaml").read_text())["answers"]
    tutorial = load_case(pack)
    for qid, ans in answers.items():
        kind = exam.questions.kind[qid]
        right = ans["btc"] if kind == "amount" else ans
        assert exam.check(qid, right).correct
        if kind == "amount":
            near = f"{ans['sats'] + ans['sats'] // 100} sats"
            assert tutorial.check(qid, near).message.startswith("close")
            r = exam.check(qid, near, exam=False)  # an exam pack cannot be asked for hints
            assert not r.correct and r.message.endswith("is not the answer") and r.within_sats is None
        elif kind == "list" and len(ans) > 1:
            assert exam.check(qid, ans[:-1]).message == "not the answer"
            assert "of" in tutorial.check(qid, ans[:-1]).message
    # the CLI's per-check exam switch on a tutorial pack
    qid = next(q for q, k in tutorial.questions.kind.items() if k == "amount")
    assert main(["case", "check", str(pack), qid, f"{answers[qid]['sats'] * 2}", "sats", "--exam"]) == 1
    assert capsys.readouterr().out.strip().endswith("is not the answer")


def test_handout_of_a_folder_of_variants(tmp_path, capsys):
    made = make_case(small_scenario(), tmp_path / "class", variants=2)
    assert main(["case", "handout", str(tmp_path / "class"), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    for v in made:
        copy = tmp_path / "out" / v.name
        assert str(copy) in out and (copy / "case.yaml").exists() and not (copy / "instructor").exists()
    a, b = (load_case(p).answer_key.check_secret for p in made)
    assert a != b  # every variant has its own secret
    with pytest.raises(CaseError, match="folder of variants"):
        ct.trainee_copy(tmp_path / "out" / "variant_01" / "dataset", tmp_path / "nowhere")


def test_an_old_pack_is_upgraded_from_the_instructor_answers(pack, tmp_path, capsys):
    import shutil

    from cryptotrace.cases.pack import upgrade_pack

    old = tmp_path / "old"
    shutil.copytree(pack, old)
    answers = yaml.safe_load((old / "instructor" / "answers.yaml").read_text())["answers"]
    body = yaml.safe_load((old / "questions.yaml").read_text())
    for q in body["questions"]:  # write the old scheme's blocks (PBKDF2, a ladder of roundings)

        def h(text):
            return hashlib.pbkdf2_hmac("sha256", text.encode(), b"\x01" * 16, 1).hex()[:32]

        a = answers[q["id"]]
        if q["kind"] == "amount":
            q["check"] = {
                "salt": "01" * 16,
                "iterations": 1,
                "levels": [{"sats": g, "hash": h(f"amount:{g}:{a['sats'] // g}")} for g in (1, 10**8)],
            }
        else:
            q["check"] = {"salt": "01" * 16, "iterations": 1, "hash": "00" * 16, "items": []}
    (old / "questions.yaml").write_text(yaml.safe_dump(body))
    qid = next(q["id"] for q in body["questions"] if q["kind"] == "amount")
    r = load_case(old).check(qid, answers[qid]["btc"])
    assert r.correct and "upgrade" in r.message  # still checks, and says what to do
    with pytest.raises(CaseError, match="case upgrade"):
        ct.trainee_copy(old, tmp_path / "exam", exam=True)  # an exam handout of the old scheme would leak
    trainee = ct.trainee_copy(old, tmp_path / "trainee")
    with pytest.raises(CaseError, match="ask your instructor"):
        upgrade_pack(trainee)
    assert main(["case", "upgrade", str(old)]) == 0
    case = load_case(old)
    for q, a in answers.items():
        assert case.check(q, a["btc"] if isinstance(a, dict) else a).correct
    assert "upgrade" not in case.check(qid, answers[qid]["btc"]).message
    assert case.answer_key.check_secret != load_case(pack).answer_key.check_secret


def test_answer_keys_of_version_1_still_load_and_newer_ones_say_so(pack, tmp_path):
    import json
    import shutil

    key_dir = tmp_path / "key"
    shutil.copytree(pack / "instructor" / "answer_key", key_dir)
    m = json.loads((key_dir / "manifest.json").read_text())
    assert m["version"] == 2 and len(m["check_secret"]) == 64
    old = {k: v for k, v in m.items() if k != "check_secret"} | {"version": 1}
    (key_dir / "manifest.json").write_text(json.dumps(old))
    key = ct.load_answer_key(key_dir)
    assert key.check_secret is None and len(key.txs) == len(load_case(pack).answer_key.txs)
    (key_dir / "manifest.json").write_text(json.dumps(m | {"version": 3}))
    with pytest.raises(CaseError, match="newer than this cryptotrace"):
        ct.load_answer_key(key_dir)


def test_a_pack_whose_dataset_was_swapped_is_refused(tmp_path):
    """case.yaml records the dataset SHA-256: another (valid) dataset in its place is refused."""
    import shutil

    from cryptotrace import errors as E
    from cryptotrace.io.sample import sample_data_dir

    pack = tmp_path / "pack"
    shutil.copytree(sample_data_dir() / "cases" / "nps_vendor", pack)
    assert len(ct.load_case(pack).chain.txs) > 0
    shutil.rmtree(pack / "dataset")
    shutil.copytree(sample_data_dir() / "cases" / "ransomware" / "dataset", pack / "dataset")
    with pytest.raises(E.DatasetIntegrityError, match="case.yaml says"):
        ct.load_case(pack).chain


@pytest.mark.parametrize(
    "text", ["dataset: ../../elsewhere\n", "- a list\n", "a: &x [1]\nb: *x\n", "name: [" * 200 + "\n", "name: \x07\n"]
)
def test_a_damaged_case_yaml_gives_a_case_error(tmp_path, text):
    import shutil

    from cryptotrace.io.sample import sample_data_dir

    pack = tmp_path / "pack"
    shutil.copytree(sample_data_dir() / "cases" / "nps_vendor", pack, ignore=shutil.ignore_patterns("dataset"))
    (pack / "case.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ct.CryptotraceError):
        ct.load_case(pack).chain
