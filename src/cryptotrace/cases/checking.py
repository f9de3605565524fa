"""Checking a trainee's answer without handing them the answer.

``questions.yaml`` (which trainees have) stores, for each question, salted
**memory-hard** hashes (scrypt, 16 MiB and about 0.07 s each) of the answer,
never the answer itself. Nothing in it is quicker to attack than trying
answers one by one with ``case.check``:

* an **amount** is cut into cells as wide as the question's tolerance
  (``grid``); the hashes of the answer's cell and of its two neighbours are
  stored, in no particular order. A trainee's amount is right when its cell is
  one of them: always when it is within the tolerance, never when it is twice
  the tolerance off. There is no ladder of coarser roundings to climb digit by
  digit: each try costs one slow hash and says only "within the tolerance" or
  not;
* a tutorial (not exam) amount question also stores three **close** hashes:
  the answer's bucket on a scale whose buckets are 5 % wide (and never
  narrower than the tolerance) and its two neighbours. "Close" therefore means
  within about 10 %, says too low or too high where it can, and never tells
  more than the tolerance;
* a **number** and a **text**, **txid** or **address** answer are one hash of
  the normalised answer;
* a **list** (exchanges, addresses) is one hash of the normalised set (case,
  spaces and order do not matter); a tutorial list also stores one hash per
  item, so the check can say how many items are right (of at most two items
  at a time: each item costs a slow hash).

An **exam** question (or ``check(..., exam=True)``) gives no hints at all: right
or not right. The salts come from a random per-pack secret kept in the
instructor's answer key, so neither the scenario nor its seed gives them away.
The plain answers live only in the instructor folder (``instructor/answers.yaml``).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ..errors import CaseError
from ..units import MAX_SATS, SATS_PER_BTC, format_btc

SCHEME = "scrypt"
#: scrypt cost: N * r * 128 bytes = 16 MiB of memory per hash (about 0.07 s on one core of the
#: course machine). A list check hashes each item the trainee gives (two at a time), so this is
#: as slow as one check of a six-item list can afford and stay under half a second.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
#: a "close" bucket is this much wider than the one below it (5 %): close means within about 10 %
CLOSE_STEP = Decimal("0.05")
KINDS = ("amount", "number", "text", "txid", "address", "list")
#: units an amount answer may be written in, and how many of the base unit (sats, cents) each is
BTC_UNITS = {"btc": SATS_PER_BTC, "mbtc": 100_000, "sat": 1, "sats": 1, "satoshi": 1, "satoshis": 1}
EUR_UNITS = {"eur": 100, "euro": 100, "euros": 100, "€": 100, "cent": 1, "cents": 1}
#: the largest number a "number" answer may be (more is certainly not a count in a case)
MAX_NUMBER = 10**15
#: a list check hashes at most this many of the trainee's items one by one (one check stays quick)
MAX_ITEM_HASHES = 2

# legacy packs (PBKDF2 with a ladder of roundings) are still checked, with a note
_LEGACY_NOTE = (
    " (this pack uses the old self-check, which gives answers away to a program; "
    "instructor: remake it with 'cryptotrace case upgrade PACK')"
)

__all__ = [
    "CheckResult",
    "check_answer",
    "hash_question",
    "parse_amount",
    "question_salt",
    "strip_hints",
    "SCRYPT_N",
    "SCRYPT_R",
    "SCRYPT_P",
]


# --------------------------------------------------------------------------- hashing
def _h(chk: dict, text: str) -> str:
    n, r, p = int(chk["n"]), int(chk["r"]), int(chk["p"])
    return hashlib.scrypt(
        text.encode("utf-8"),
        salt=bytes.fromhex(chk["salt"]),
        n=n,
        r=r,
        p=p,
        maxmem=n * r * 128 * p + (1 << 24),
        dklen=16,
    ).hex()


def _hashes(chk: dict, texts: list[str]) -> list[str]:
    """Hash several texts on two threads (scrypt releases the GIL)."""
    if len(texts) <= 1:
        return [_h(chk, t) for t in texts]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda t: _h(chk, t), texts))


def normalise(kind: str, value) -> str:
    """The text form of an answer that is hashed (case, spaces and punctuation do not matter where they cannot)."""
    s = str(value).strip()
    if kind in ("txid",):
        return s.lower()
    if kind == "address":
        return s.lower() if s.lower().startswith("bc1") else s
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"[^0-9a-z]+", " ", s.lower()).strip()
    return s


def _set_text(items) -> str:
    return "set:" + "\n".join(sorted({normalise("list", x) for x in items} - {""}))


# --------------------------------------------------------------------------- amounts
def _unit_name(unit: str) -> str:
    return "EUR" if str(unit).upper() == "EUR" else "BTC"


def _example(unit: str) -> str:
    return (
        "euros like 1250.50 or '1,250.50 EUR'"
        if _unit_name(unit) == "EUR"
        else "BTC like 0.25, '0.25 BTC', '250 mBTC' or '25,000,000 sats'"
    )


def format_amount(base: int, unit: str = "BTC") -> str:
    """Base units (sats, or cents for a question in euros) as text."""
    if _unit_name(unit) == "EUR":
        sign = "-" if base < 0 else ""
        whole, cents = divmod(abs(int(base)), 100)
        return f"{sign}{whole:,}.{cents:02d} EUR"
    return format_btc(base)


def parse_amount(value, unit: str = "BTC") -> int:
    """A trainee's amount in satoshis (or euro cents when ``unit="EUR"``).

    Plain numbers are in the question's unit (BTC); text may name the unit:
    ``BTC``, ``mBTC`` or ``sats`` (``EUR`` or ``€`` for a question in euros).
    A comma followed by other than groups of three digits is a decimal comma,
    as many European trainees write it: ``"2,76 BTC"`` is 2.76 BTC.

    Raises :class:`CaseError` (never a raw Python error) for anything that is
    not a plausible amount: no answer (``None``), ``True``, NaN, infinity,
    negative amounts, more than 21 million BTC, or a unit the question does not use.

    >>> parse_amount("0.5 BTC"), parse_amount("1,250 sats"), parse_amount(0.001), parse_amount("2,76 BTC")
    (50000000, 1250, 100000, 276000000)
    >>> parse_amount("2.5 mBTC"), parse_amount("1.234,50 EUR", unit="EUR")
    (250000, 123450)
    """
    eur = _unit_name(unit) == "EUR"
    units = EUR_UNITS if eur else BTC_UNITS
    if value is None:
        raise CaseError(f"no answer yet: replace None with your answer ({_example(unit)})")
    if isinstance(value, bool) or isinstance(value, (list, tuple, set, dict)):
        raise CaseError(f"{_short(value)} is not an amount; give {_example(unit)}")
    if isinstance(value, int) and abs(value) > 10**30:
        raise CaseError(f"{_short(value)} is far more than the 21 million BTC that can exist; give {_example(unit)}")
    try:
        text = str(value)
    except Exception:  # a hostile object's str
        raise CaseError(f"{_short(value)} is not an amount; give {_example(unit)}") from None
    text = text.strip().lower().replace("_", "").replace(" ", "").replace("\u00a0", "")
    if len(text) > 60:
        raise CaseError(f"{_short(value)} is too long to be an amount; give {_example(unit)}")
    m = re.fullmatch(r"(.*?)([a-z€]*)", text, re.S)
    number, word = m.group(1), m.group(2)
    if word in ("nan", "inf", "infinity") or number.endswith(("nan", "inf")):
        raise CaseError(f"{_short(value)} is not a number of {'euros' if eur else 'BTC'}; give {_example(unit)}")
    if word and word not in units:
        other = "BTC or sats" if eur else "euros"
        if word in (EUR_UNITS if not eur else BTC_UNITS):
            raise CaseError(f"this question wants {'euros' if eur else 'BTC'}, not {other}; give {_example(unit)}")
        raise CaseError(f"{_short(value)} is not an amount ('{word}' is not a unit here); give {_example(unit)}")
    if number.startswith("€"):
        number, word = number[1:], word or "€"
        if not eur:
            raise CaseError(f"this question wants BTC, not euros; give {_example(unit)}")
    per = units[word] if word else units["eur" if eur else "btc"]
    number = _decimal_text(number)
    try:
        d = Decimal(number)
    except (InvalidOperation, ValueError):
        raise CaseError(f"{_short(value)} is not an amount; give {_example(unit)}") from None
    if not d.is_finite():
        raise CaseError(f"{_short(value)} is not a number of {'euros' if eur else 'BTC'}; give {_example(unit)}")
    if d < 0:
        raise CaseError(
            f"{_short(value)} is negative; an amount paid or held is never below zero. Give it without the minus sign"
        )
    if d.adjusted() > 20:  # more than 10**20 of any unit: far beyond 21 million BTC (2.1e15 sats)
        raise CaseError(
            f"{_short(value)} is far more than the 21 million BTC that can ever exist; give {_example(unit)}"
        )
    base = int((d * per).to_integral_value())
    if not eur and base > MAX_SATS:
        raise CaseError(
            f"{_short(value)} is more than the 21 million BTC that can ever exist. If you meant "
            "satoshis, write '... sats'"
        )
    return base


def _decimal_text(text: str) -> str:
    # "1.234,50" (European thousands and decimal comma), "2,76" (decimal comma), "1,250" (thousands)
    if "," in text and "." in text and text.rfind(",") > text.rfind("."):
        return text.replace(".", "").replace(",", ".")
    if re.fullmatch(r"[^,]*\d,\d+", text) and not re.search(r"\d,\d{3}$", text):
        return text.replace(",", ".")
    return text.replace(",", "")


def _short(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return f"a number with about {int(abs(value).bit_length() * 0.30103) + 1:,} digits"
    try:
        s = repr(value)
    except Exception:  # a hostile object's repr
        s = f"a {type(value).__name__}"
    return s if len(s) <= 40 else s[:30] + f"... ({len(s)} characters)"


class _Scale:
    """The "close" buckets: as wide as the tolerance grid up to 20 cells, then each 5 % wider.

    Bucket ``j >= 20`` holds amounts ``a`` with ``L * 1.05**(j-20) <= a < L * 1.05**(j-19)``,
    ``L = 20 * grid``; computed with whole numbers, so every computer agrees on the edges.
    """

    NUM, DEN = 21, 20  # 1.05 as a fraction

    def __init__(self, grid: int):
        self.grid = max(1, int(grid))
        self.n_lin = int(1 / CLOSE_STEP)
        self.L = self.n_lin * self.grid

    def bucket(self, a: int) -> int:
        if a < self.L:
            return a // self.grid
        j = int(math.log(a / self.L) / math.log(self.NUM / self.DEN))
        while j > 0 and a * self.DEN**j < self.L * self.NUM**j:
            j -= 1
        while a * self.DEN ** (j + 1) >= self.L * self.NUM ** (j + 1):
            j += 1
        return self.n_lin + j

    def low(self, b: int) -> int:
        """The smallest amount in bucket ``b``."""
        if b <= self.n_lin:
            return max(b, 0) * self.grid
        j = b - self.n_lin
        return -((-self.L * self.NUM**j) // self.DEN**j)  # ceil

    def high(self, b: int) -> int:
        """One more than the largest amount in bucket ``b``."""
        return self.low(b + 1)


def _round_up(x: int) -> int:
    """``x`` rounded up to two significant digits (an honest "about")."""
    if x < 100:
        return x
    step = 10 ** (len(str(x)) - 2)
    return -(-x // step) * step


# --------------------------------------------------------------------------- building
def hash_question(
    kind: str,
    answer,
    salt: str,
    *,
    tolerance: int = 0,
    unit: str = "BTC",
    exam: bool = False,
    n: int | None = None,
    r: int | None = None,
    p: int | None = None,
    iterations: int | None = None,
) -> dict:
    """The ``check`` block stored in questions.yaml for one answer.

    Parameters
    ----------
    kind : str
        One of ``amount, number, text, txid, address, list``.
    answer
        The plain answer (amounts in satoshis, or euro cents when ``unit="EUR"``).
    salt : str
        Hex text, unique per question and pack and unguessable (see :func:`question_salt`).
    tolerance : int, default 0
        Amounts: how far off (sats or cents) an answer may be and still be right; 0 means exactly.
    exam : bool, default False
        Store nothing that gives hints ("close", "2 of 3 right").
    n, r, p : int, optional
        The scrypt cost (memory ``n * r * 128`` bytes); default :data:`SCRYPT_N`, :data:`SCRYPT_R`,
        :data:`SCRYPT_P`. Only tests use smaller values.
    iterations : ignored
        The PBKDF2 cost of the old scheme; accepted so that old callers keep working.
    """
    n, r, p = n or SCRYPT_N, r or SCRYPT_R, p or SCRYPT_P
    if kind not in KINDS:
        raise CaseError(f"unknown question kind {kind!r}; use one of {', '.join(KINDS)}")
    try:
        bytes.fromhex(salt)
    except (TypeError, ValueError):
        raise CaseError(f"salt {salt!r} is not hex text") from None
    out = {"scheme": SCHEME, "salt": salt, "n": int(n), "r": int(r), "p": int(p)}
    if kind == "amount":
        a, tol = int(answer), int(tolerance)
        if a < 0 or tol < 0:
            raise CaseError(f"an amount answer and its tolerance are never negative (got {a}, {tol})")
        g = max(tol, 1)
        k = a // g
        cells = [k] if tol == 0 else [c for c in (k - 1, k, k + 1) if c >= 0]
        out["unit"] = _unit_name(unit)
        out["grid"] = g
        out["exact"] = tol == 0
        out["hashes"] = sorted(_hashes(out, [f"amount:{g}:{c}" for c in cells]))
        if not exam:
            sc = _Scale(g)
            b = sc.bucket(a)
            sides = [(b - 1, "low"), (b, "near"), (b + 1, "high")]
            hs = _hashes(out, [f"close:{g}:{c}" for c, _ in sides])
            out["close"] = sorted(
                ({"hash": h, "side": s} for h, (c, s) in zip(hs, sides) if c >= 0), key=lambda e: e["hash"]
            )
    elif kind == "list":
        items = sorted({normalise("list", x) for x in answer} - {""})
        out["hash"] = _h(out, _set_text(items))
        if not exam:
            out["items"] = sorted(_hashes(out, [f"item:{x}" for x in items]))
    else:
        text = str(_number(answer, "answer")) if kind == "number" else normalise(kind, answer)
        out["hash"] = _h(out, f"{kind}:{text}")
    return out


def question_salt(secret: bytes, question_id: str) -> str:
    """A question's salt: HMAC of its id under the pack's random secret (16 bytes as hex)."""
    import hmac

    return hmac.new(secret, f"cryptotrace-question:{question_id}".encode(), "sha256").hexdigest()[:32]


def strip_hints(question: dict) -> dict:
    """The question without the hashes that give hints (for an exam handout)."""
    q = dict(question)
    chk = dict(q.get("check", {}))
    if chk.get("scheme") == SCHEME:
        chk.pop("close", None)
        chk.pop("items", None)
        chk["exam"] = True
    q["check"] = chk
    return q


# --------------------------------------------------------------------------- checking
@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer: ``correct`` and a plain message (for amounts, how far off)."""

    question_id: str
    correct: bool
    message: str
    within_sats: int | None = None  # amounts: how far off the answer can be at most, if the check says so

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return f"<{'RIGHT' if self.correct else 'NOT YET'} {self.question_id}: {self.message}>"

    def __str__(self) -> str:
        return f"{'Right' if self.correct else 'Not yet'}: {self.message}"

    def _repr_html_(self) -> str:
        import html

        colour = "#1a7f37" if self.correct else "#b35900"
        return (
            f"<div style='color:{colour}'><b>{'Right' if self.correct else 'Not yet'}</b> "
            f"({html.escape(self.question_id)}): {html.escape(self.message)}</div>"
        )


def _number(answer, qid: str) -> int:
    if answer is None:
        raise CaseError(f"question {qid}: no answer yet: replace None with a whole number, like 4")
    if isinstance(answer, bool):
        raise CaseError(f"question {qid} wants a whole number, like 4, not {answer!r}")
    if isinstance(answer, int):
        if abs(answer) > MAX_NUMBER:
            raise CaseError(
                f"question {qid} wants a whole number of things in the case; that number is far too "
                "big to be the answer"
            )
        return answer
    try:
        text = None if isinstance(answer, (list, tuple, set, dict)) else str(answer)
    except Exception:  # a hostile object's str
        text = None
    if text is None:
        raise CaseError(f"question {qid} wants one whole number, like 4, not {_short(answer)}")
    text = text.strip().replace(",", "").replace("_", "").replace(" ", "")
    if len(text) > 40:
        raise CaseError(f"question {qid} wants a whole number, like 4, not {_short(answer)}")
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        raise CaseError(f"question {qid} wants a whole number, like 4, not {_short(answer)}") from None
    if not d.is_finite() or d.adjusted() > 15 or d != d.to_integral_value():
        raise CaseError(f"question {qid} wants a whole number, like 4, not {_short(answer)}")
    return int(d)


def check_answer(question: dict, answer, *, exam: bool = False) -> CheckResult:
    """Check ``answer`` against one question entry of questions.yaml.

    ``exam=True`` (or an exam question) says only right or not right.
    Anything that is not an answer of the question's kind raises :class:`CaseError`
    naming the question and how to write the answer.
    """
    qid = question["id"]
    kind = question["kind"]
    chk = question["check"]
    if chk.get("scheme") != SCHEME:
        return _check_legacy(question, answer)
    exam = bool(exam or chk.get("exam") or question.get("exam"))
    if answer is None:
        raise CaseError(f"question {qid}: no answer yet: replace None with your answer")
    if kind == "amount":
        return _check_amount(qid, chk, answer, exam)
    if kind == "list":
        return _check_list(qid, chk, answer, exam)
    if kind == "number":
        n = _number(answer, qid)
        ok = _h(chk, f"number:{n}") == chk["hash"]
        return CheckResult(qid, ok, f"{n} is the answer" if ok else f"{n} is not the answer")
    if isinstance(answer, (bool, int, float, list, tuple, set, dict)) and kind != "text":
        raise CaseError(f"question {qid} wants a {kind} (text), not {_short(answer)}")
    try:
        text = str(answer)
    except Exception:  # e.g. an int of more than 4,300 digits
        raise CaseError(f"question {qid} wants a short {kind}, not {_short(answer)}") from None
    if len(text) > 500:
        raise CaseError(f"question {qid}: that answer is {len(text):,} characters long; give a short {kind}")
    ok = _h(chk, f"{kind}:{normalise(kind, text)}") == chk["hash"]
    return CheckResult(qid, ok, "that is the answer" if ok else f"that {kind} is not the answer")


def _check_amount(qid: str, chk: dict, answer, exam: bool) -> CheckResult:
    unit = chk.get("unit", "BTC")
    try:
        a = parse_amount(answer, unit)
    except CaseError as e:
        raise CaseError(f"question {qid}: {e}") from None
    g = int(chk["grid"])
    shown = format_amount(a, unit)
    if _h(chk, f"amount:{g}:{a // g}") in chk["hashes"]:
        if chk.get("exact"):
            return CheckResult(qid, True, f"exactly the answer ({shown})", 0)
        return CheckResult(qid, True, f"within {format_amount(g, unit)} of the answer ({shown})", 2 * g)
    if exam or "close" not in chk:
        return CheckResult(qid, False, f"{shown} is not the answer")
    sc = _Scale(g)
    b = sc.bucket(a)
    side = {e["hash"]: e["side"] for e in chk["close"]}.get(_h(chk, f"close:{g}:{b}"))
    if side == "low":  # the answer's bucket is just below the truth's
        far = _round_up(sc.high(b + 1) - a)
        return CheckResult(
            qid,
            False,
            f"close, but too low: the answer is less than about {format_amount(far, unit)} more than {shown}",
            far,
        )
    if side == "high":
        far = _round_up(a - sc.low(b - 1))
        return CheckResult(
            qid,
            False,
            f"close, but too high: the answer is less than about {format_amount(far, unit)} below {shown}",
            far,
        )
    if side == "near":
        far = _round_up(sc.high(b) - sc.low(b))  # both in one bucket
        return CheckResult(
            qid,
            False,
            f"close: within about {format_amount(far, unit)} of the answer, but not "
            "right yet. Check fees and every output",
            far,
        )
    slip = _unit_slip(chk, a, g, unit)
    if slip:
        return CheckResult(qid, False, f"{shown} is not the answer, but {slip}", None)
    off = "about 5%" if b > sc.n_lin else format_amount(g, unit)
    return CheckResult(
        qid,
        False,
        f"{shown} is not close (more than {off} off). Check the unit "
        f"({'euros or cents' if unit == 'EUR' else 'BTC, mBTC or sats'}) and which "
        "amounts the question asks about",
        None,
    )


#: the slips of a unit conversion: (factor, what the trainee did) -- the answer times factor is the truth
_SLIPS = {
    "BTC": [
        (10, "it is 10 times too small: check where the decimal point goes"),
        (Fraction(1, 10), "it is 10 times too big: check where the decimal point goes"),
        (1000, "it is 1,000 times too small: perhaps divided by 1,000 once too often (1 BTC = 1,000 mBTC)"),
        (Fraction(1, 1000), "it is 1,000 times too big: perhaps mBTC were given as BTC (1 BTC = 1,000 mBTC)"),
        (
            Fraction(1, 10**8),
            ('it is the answer in satoshis given as BTC: divide by 100,000,000 (or write "... sats")'),
        ),
    ],
    "EUR": [
        (10, "it is 10 times too small: check where the decimal point goes"),
        (Fraction(1, 10), "it is 10 times too big: check where the decimal point goes"),
        (Fraction(1, 100), "it is the answer in cents given as euros: divide by 100"),
    ],
}


def _unit_slip(chk: dict, a: int, g: int, unit: str) -> str | None:
    """The conversion slip that turns answer ``a`` (base units) into the truth, if one does.

    A wrong amount that is the truth written in another unit (sats as BTC) or with the decimal
    point moved deserves that hint, not "check the transactions". Each candidate is one more
    hash of the same kind the check already stores, so the hint reveals nothing a trainee could
    not learn by typing the scaled answer.
    """
    slips = [(f, text) for f, text in _SLIPS.get(unit, []) if (a * f) == int(a * f) and 0 < int(a * f) <= MAX_SATS]
    if not slips:
        return None
    found = _hashes(chk, [f"amount:{g}:{int(a * f) // g}" for f, _ in slips])
    for (_, text), h in zip(slips, found):
        if h in chk["hashes"]:
            return text
    return None


def _check_list(qid: str, chk: dict, answer, exam: bool) -> CheckResult:
    if isinstance(answer, (list, tuple, set, frozenset)):
        items = list(answer)
    elif isinstance(answer, (bool, int, float)):
        raise CaseError(f"question {qid} wants a list, like ['a', 'b'] or 'a, b', not {_short(answer)}")
    else:
        items = re.split(r"[,;\n]+", str(answer))
    texts = []
    for x in items:
        try:
            text = None if x is None or isinstance(x, (bool, list, tuple, set, dict)) else str(x)
        except Exception:  # e.g. an int of more than 4,300 digits
            text = None
        if text is None or len(text) > 500:
            raise CaseError(f"question {qid} wants a list of names or addresses; {_short(x)} is not one")
        texts.append(text)
    got = sorted({normalise("list", x) for x in texts} - {""})
    if not got:
        raise CaseError(f"question {qid}: the list is empty; give the items like ['a', 'b'] or 'a, b'")
    if exam or "items" not in chk:
        ok = _h(chk, _set_text(got)) == chk["hash"]
        return CheckResult(qid, ok, "that is the answer" if ok else "not the answer")
    want, m = set(chk["items"]), len(chk["items"])
    if len(got) <= MAX_ITEM_HASHES:  # every item hashed: that alone says whether the set is right
        hits = sum(h in want for h in _hashes(chk, [f"item:{x}" for x in got]))
        extra = len(got) - hits
        if hits == m and extra == 0:
            return CheckResult(qid, True, f"all {hits} right")
        return CheckResult(qid, False, f"{hits} of {m} right" + (f", {extra} not in the answer" if extra else ""))
    # a long list: one hash of the set says right or not (one check stays under half a second)
    if _h(chk, _set_text(got)) == chk["hash"]:
        return CheckResult(qid, True, f"all {len(got)} right")
    return CheckResult(
        qid,
        False,
        f"not all right (the answer has {m} items). To hear how many items are right, "
        f"check {MAX_ITEM_HASHES} or fewer at a time",
    )


# --------------------------------------------------------------------------- legacy (format 1)
def _check_legacy(question: dict, answer) -> CheckResult:
    """Packs made before the memory-hard scheme: PBKDF2 and a ladder of roundings. Checked, with a note."""
    qid, kind, chk = question["id"], question["kind"], question["check"]
    salt, it = chk["salt"], int(chk["iterations"])

    def h(text):
        return hashlib.pbkdf2_hmac("sha256", text.encode("utf-8"), bytes.fromhex(salt), it).hex()[:32]

    if answer is None:
        raise CaseError(f"question {qid}: no answer yet: replace None with your answer")
    if kind == "amount":
        try:
            a = parse_amount(answer)
        except CaseError as e:
            raise CaseError(f"question {qid}: {e}") from None
        tol = max(int(question.get("tolerance_sats", 1)), 1)
        for lv in chk["levels"]:
            g = int(lv["sats"])
            if g <= tol and h(f"amount:{g}:{a // g}") == lv["hash"]:
                return CheckResult(qid, True, f"right ({format_btc(a)})" + _LEGACY_NOTE, g)
        return CheckResult(qid, False, f"{format_btc(a)} is not the answer" + _LEGACY_NOTE)
    if kind == "list":
        items = answer if isinstance(answer, (list, tuple, set)) else re.split(r"[,;\n]+", str(answer))
        got = {normalise("list", x) for x in items if str(x).strip()}
        want = set(chk["items"])
        ok = len(got) == len(want) and all(h(f"item:{x}") in want for x in got)
        return CheckResult(qid, ok, ("that is the answer" if ok else "not the answer") + _LEGACY_NOTE)
    text = normalise(kind, _number(answer, qid) if kind == "number" else answer)
    ok = h(f"{kind}:{text}") == chk["hash"]
    return CheckResult(qid, ok, ("that is the answer" if ok else "not the answer") + _LEGACY_NOTE)
