"""Answer checking: amounts, numbers, text and lists, from salted memory-hard hashes only.

Most tests build check blocks with a tiny scrypt cost (``FAST``) so that hypothesis can try
many answers; the production cost is asserted on its parameters and its speed is measured and
printed (``-s`` shows it), never asserted.
"""

from __future__ import annotations

import hashlib
import time
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cryptotrace.cases import checking
from cryptotrace.cases.checking import check_answer, hash_question, parse_amount
from cryptotrace.errors import CaseError, CryptotraceError

FAST = {"n": 16, "r": 1, "p": 1}  # tests only: 2 KiB scrypt, microseconds a hash
SALT = "ab" * 16


def question(kind, answer, *, exam=False, **extra):
    return {"id": "q", "kind": kind, "check": hash_question(kind, answer, SALT, exam=exam, **FAST, **extra)}


def test_parse_amount_units():
    assert parse_amount("0.5 BTC") == 50_000_000
    assert parse_amount("1,250 sats") == 1_250
    assert parse_amount(0.001) == 100_000
    assert parse_amount(2) == 200_000_000
    assert parse_amount("2.5 mBTC") == 250_000
    assert parse_amount("1.234,50 EUR", unit="EUR") == 123_450  # euro cents
    for bad in ("lots", True, "0.5 eth"):
        with pytest.raises(CaseError, match="not an amount"):
            parse_amount(bad)
    with pytest.raises(CaseError, match="wants BTC, not euros"):
        parse_amount("250 EUR")
    with pytest.raises(CaseError, match="wants euros"):
        parse_amount("0.1 BTC", unit="EUR")


def test_decimal_comma_and_missing_answer_read_as_a_trainee_means_them():
    assert parse_amount("2,76 BTC") == parse_amount("2.76 BTC") == 276_000_000
    assert parse_amount("25,000,000 sats") == 25_000_000  # groups of three stay thousands
    with pytest.raises(CaseError, match="replace None with your answer"):
        parse_amount(None)


# --------------------------------------------------------------------------- cost of a hash
def test_production_hashes_are_memory_hard_and_one_check_is_measured():
    assert checking.SCRYPT_N * checking.SCRYPT_R * 128 >= 16 * 2**20  # >= 16 MiB per hash
    chk = hash_question("amount", 123_456_789, SALT)
    assert (chk["n"], chk["r"], chk["p"]) == (checking.SCRYPT_N, checking.SCRYPT_R, checking.SCRYPT_P)
    q = {"id": "q", "kind": "amount", "check": chk}
    lst = {"id": "l", "kind": "list", "check": hash_question("list", list("abcdef"), SALT)}
    timings = {}
    for name, qq, ans in (
        ("amount, right", q, "1.23456789"),
        ("amount, close (2 hashes)", q, 1.2),
        ("list of 6, 5 right (1 hash)", lst, "a, b, c, d, e, x"),
        ("list of 2, 1 right (2 hashes on 2 threads)", lst, "a, x"),
    ):
        t0 = time.perf_counter()
        check_answer(qq, ans)
        timings[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    checking._h(chk, "amount:1:0")
    per_hash = time.perf_counter() - t0
    print(
        f"\nscrypt N={checking.SCRYPT_N} r={checking.SCRYPT_R}: one hash {per_hash:.3f} s; "
        + "; ".join(f"{k}: {v:.3f} s" for k, v in timings.items())
    )
    # brute force of an exact amount (tolerance 0) known to within a factor of two: t/2..2t at 1 sat a try
    print(
        f"brute force of a 1 BTC exact answer: {1.5e8 * per_hash / 3600:,.0f} core-hours; "
        f"at a 0.001 BTC tolerance: {1.5e8 / 3 / 1e5 * per_hash / 60:,.1f} core-minutes"
    )


# --------------------------------------------------------------------------- the ladder is gone
def ladder_attack(chk: dict, top: int = 100 * 10**8):
    """What a program can get from a handout's check block alone, one digit at a time.

    It hashes ``amount:G:K`` (the form the check uses) at the granularities 1 BTC, 0.1 BTC
    ... 1 sat, keeping a prefix, as one would climb a ladder of roundings. Returns the amount
    it confirmed (or None) and how many hashes it spent.
    """
    if "levels" in chk:  # the old scheme: PBKDF2 per level

        def h(text):
            return hashlib.pbkdf2_hmac(
                "sha256", text.encode(), bytes.fromhex(chk["salt"]), int(chk["iterations"])
            ).hex()[:32]

        targets = {lv["hash"] for lv in chk["levels"]}
    else:

        def h(text):
            return checking._h(chk, text)

        targets = set(chk.get("hashes", [])) | {e["hash"] for e in chk.get("close", [])}
    spent, prefix, confirmed = 0, 0, None
    g = 10**8
    while g >= 1:
        found = False
        for d in range(0, (top // g + 1) if g == 10**8 else 10):
            k = (prefix + d * g) // g
            spent += 1
            if h(f"amount:{g}:{k}") in targets:
                prefix, found = k * g, True
                break
        if not found:
            return confirmed, spent
        confirmed = prefix
        g //= 10
    return confirmed, spent


def test_a_ladder_over_the_handout_confirms_no_digit(monkeypatch):
    # production-shaped blocks at a tiny cost; on the old scheme this attack finds the exact amount
    monkeypatch.setattr(checking, "SCRYPT_N", 16, raising=False)
    monkeypatch.setattr(checking, "SCRYPT_R", 1, raising=False)
    monkeypatch.setattr(checking, "ITERATIONS", 1, raising=False)
    truth = 276_543_219
    for tol in (0, 1_000, 100_000):
        chk = hash_question("amount", truth, SALT, **({"tolerance": tol} if tol else {}))
        got, spent = ladder_attack(chk)
        assert got is None, f"the handout gave away {got} sats in {spent} hashes (truth {truth})"


# --------------------------------------------------------------------------- amounts
@settings(max_examples=200, deadline=None)
@given(
    truth=st.integers(0, 10**13),
    tol=st.sampled_from([0, 1, 50, 1_000, 100_000, 10**6, 10**8]),
    off=st.integers(-(10**12), 10**12) | st.integers(-(10**6), 10**6) | st.integers(-3, 3),
)
def test_right_means_within_tolerance(truth, tol, off):
    a = truth + off
    assume(a >= 0)
    r = check_answer(question("amount", truth, tolerance=tol), f"{a} sats")
    if abs(off) <= tol:
        assert r.correct, r
    if r.correct:
        assert (a == truth) if tol == 0 else abs(off) < 2 * tol


@settings(max_examples=300, deadline=None)
@given(
    truth=st.integers(0, 10**13),
    tol=st.sampled_from([0, 1, 50, 1_000, 100_000, 10**6, 10**8]),
    ratio=st.floats(0, 3),
    jitter=st.integers(-(10**6), 10**6),
)
def test_hints_are_true_and_never_narrower_than_the_tolerance(truth, tol, ratio, jitter):
    a = max(0, int(truth * ratio) + jitter)
    r = check_answer(question("amount", truth, tolerance=tol), f"{a} sats")
    g = max(tol, 1)
    if r.message.startswith("close"):
        assert r.within_sats is not None and r.within_sats >= g  # no finer than the tolerance
        assert abs(a - truth) <= r.within_sats  # and true
        assert ("too low" not in r.message or a < truth) and ("too high" not in r.message or a > truth)
    if abs(a - truth) >= max(0.42 * truth, 2 * g):
        assert not r.message.startswith("close"), r  # a 42% miss is not "close"


def test_close_and_far_messages_fit_the_question():
    q = question("amount", 25_000_000)  # "How many BTC are 25,000,000 satoshis?"
    assert check_answer(q, 0.25).correct
    low = check_answer(q, 0.24)
    assert not low.correct and "too low" in low.message
    with pytest.raises(CaseError, match="21 million BTC.*sats"):
        check_answer(q, 25_000_000)  # sats typed as BTC: says how to write satoshis
    miss = check_answer(q, 0.355)  # 42 % too high
    assert not miss.correct and "not close" in miss.message
    assert "first transaction" not in miss.message + low.message


def test_a_unit_slip_gets_a_unit_hint_not_a_tracing_hint():
    q = question("amount", 25_000_000)  # 0.25 BTC
    for answer, says in (
        (2.5, "10 times too big"),
        (0.025, "10 times too small"),
        (250, "1,000 times too big"),
        ("25 mBTC", "10 times too small"),
    ):
        r = check_answer(q, answer)
        assert not r.correct and says in r.message and "transaction" not in r.message, (answer, r)
    small = question("amount", 5_000)  # 5,000 sats
    r = check_answer(small, 5_000)  # the number of sats typed as BTC
    assert not r.correct and "satoshis given as BTC" in r.message
    far = check_answer(q, 0.7)  # no slip explains it: the general hint
    assert "not close" in far.message and "times" not in far.message
    assert check_answer(q, 2.5, exam=True).message.endswith("is not the answer")  # an exam gives no hint
    eur = question("amount", 8_500_000, unit="EUR")  # EUR 85,000.00 in cents
    assert "cents given as euros" in check_answer(eur, "8,500,000 EUR").message


def test_exam_mode_gives_no_hints():
    tutorial = question("amount", 123_456_789, tolerance=1_000)
    exam_q = question("amount", 123_456_789, tolerance=1_000, exam=True)
    assert "close" not in exam_q["check"] and "items" not in exam_q["check"]
    for q, exam in ((tutorial, True), (exam_q, False), (exam_q, True)):
        for ans in (1.2345, 1.2, 1.3, 0.1, 50):
            r = check_answer(q, ans, exam=exam)
            assert not r.correct and r.message.endswith("is not the answer") and r.within_sats is None
        assert check_answer(q, "1.23456789", exam=exam).correct
    assert check_answer(tutorial, 1.2).message.startswith("close")  # the same answer outside the exam
    lst = question("list", ["Kryptohaus", "CoinHarbor"], exam=True)
    assert set(lst["check"]) >= {"hash"} and "items" not in lst["check"]
    assert check_answer(lst, "coinharbor , KRYPTOHAUS").correct
    assert check_answer(lst, "Kryptohaus").message == "not the answer"  # no "1 of 2"
    tut_list = question("list", ["Kryptohaus", "CoinHarbor"])
    assert check_answer(tut_list, "Kryptohaus", exam=True).message == "not the answer"
    stripped = checking.strip_hints(tutorial)
    assert "close" not in stripped["check"] and "close" in tutorial["check"]
    assert check_answer(stripped, 1.2).message.endswith("is not the answer")


def test_text_number_txid_and_list():
    assert check_answer(question("text", "Dirk Verhoeven"), "  dirk  VERHOEVEN ").correct
    assert not check_answer(question("text", "Dirk Verhoeven"), "Dirk").correct
    assert check_answer(question("number", 6), "6").correct
    assert check_answer(question("number", 6), 6.0).correct
    assert not check_answer(question("number", 6), 7).correct
    with pytest.raises(CaseError, match="whole number"):
        check_answer(question("number", 6), "six")
    with pytest.raises(CaseError, match="whole number"):
        check_answer(question("number", 6), "6.5")  # not read as 6
    tx = "ab" * 32
    assert check_answer(question("txid", tx), tx.upper()).correct
    q = question("list", ["Kryptohaus", "CoinHarbor"])
    assert check_answer(q, "coinharbor, kryptohaus").correct
    assert check_answer(q, {"  CoinHarbor ", "KRYPTOHAUS"}).correct
    r = check_answer(q, ["Kryptohaus", "Balticoin"])
    assert not r.correct and r.message == "1 of 2 right, 1 not in the answer"
    long = question("list", list("abcdefg"))
    assert check_answer(long, "g, f, e, d, c, b, a").correct
    r = check_answer(long, "a, b, c, d, e, f, x")  # more items than are hashed one by one
    assert not r.correct and r.message.startswith("not all right (the answer has 7 items)")
    r = check_answer(long, "x, b")
    assert r.message == "1 of 7 right, 1 not in the answer"
    assert "kryptohaus" not in str(q["check"]).lower()
    with pytest.raises(CaseError, match="unknown question kind"):
        hash_question("colour", "red", "00" * 16)


def test_an_old_pack_still_checks_and_says_it_is_old():
    def h(text):
        return hashlib.pbkdf2_hmac("sha256", text.encode(), bytes.fromhex(SALT), 1).hex()[:32]

    levels = [{"sats": g, "hash": h(f"amount:{g}:{123_456_789 // g}")} for g in (1, 1_000, 100_000_000)]
    q = {"id": "old", "kind": "amount", "tolerance_sats": 1, "check": {"salt": SALT, "iterations": 1, "levels": levels}}
    r = check_answer(q, "1.23456789")
    assert r.correct and "upgrade" in r.message
    r = check_answer(q, "1.2345")
    assert not r.correct and not r.message.startswith("close")  # the old ladder's hints are no longer given
    qn = {"id": "old_n", "kind": "number", "check": {"salt": SALT, "iterations": 1, "hash": h("number:6")}}
    assert check_answer(qn, 6).correct


# --------------------------------------------------------------------------- hostile answers
HUGE = "<an int of 5,001 digits>"
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(HUGE),
    st.floats(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    st.sampled_from(
        [
            "1e999999999",
            "9" * 5000,
            "-1 BTC",
            "2,76 BTC",
            "NaN",
            "inf",
            "-0",
            "1e-999999999",
            "5 EUR",
            "€ 12",
            "250 mBTC",
            "12,500 sats",
            "0x10",
            "1_000",
            "١٢٣",
            "\x00",
            "1e999999999 sats",
        ]
    ),
    st.lists(st.one_of(st.none(), st.text(max_size=10), st.integers(), st.just(HUGE)), max_size=5),
)


def unmask(answer):
    # hypothesis cannot print ints of more than 4,300 digits, so they are made here
    if answer == HUGE:
        return 10**5000 + 7
    if isinstance(answer, list):
        return [unmask(x) for x in answer]
    return answer


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(checking.KINDS), answer=HOSTILE)
def test_hostile_answers_give_a_verdict_or_a_clear_error(kind, answer):
    truth = {
        "amount": 276_000_000,
        "number": 4,
        "text": "Dirk Verhoeven",
        "txid": "ab" * 32,
        "address": "bc1qexample",
        "list": ["Kryptohaus", "CoinHarbor"],
    }[kind]
    extra = {"tolerance": 1_000} if kind == "amount" else {}
    q = {**question(kind, truth, **extra), "id": "case.q7"}
    try:
        r = check_answer(q, unmask(answer))
    except CaseError as e:
        assert isinstance(e, CryptotraceError)
        assert "case.q7" in str(e), str(e)  # names the question
        assert len(str(e)) < 400
    else:
        assert isinstance(r, checking.CheckResult) and isinstance(r.message, str)
        assert len(r.message) < 400


def test_hostile_amounts_named_in_the_brief():
    q = {**question("amount", 276_000_000, tolerance=1_000), "id": "case.q7"}
    assert check_answer(q, "2,76 BTC").correct  # decimal comma
    assert check_answer(q, "2760 mBTC").correct
    assert check_answer(q, "276,000,000 sats").correct
    assert check_answer(q, Decimal("2.76")).correct
    for bad, says in (
        (float("nan"), "not a number"),
        (float("inf"), "not a number"),
        ("1e999999999", "21 million"),
        ("9" * 5000, "too long"),
        (10**5000, "21 million"),
        (-2.76, "negative"),
        (True, "not an amount"),
        (None, "replace None"),
        ("2.76 EUR", "wants BTC, not euros"),
    ):
        with pytest.raises(CaseError, match=says) as e:
            check_answer(q, bad)
        assert "case.q7" in str(e.value)
