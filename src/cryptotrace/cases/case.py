"""``Case``: a case pack as a trainee opens it (``load_case(PACK)``)."""

from __future__ import annotations

import html
import re
from functools import cached_property
from pathlib import Path

import pandas as pd

from .._yaml import load_file
from ..errors import CaseError
from .checking import CheckResult, check_answer

__all__ = ["Case", "Evidence", "load_case"]

_ADDRESS_LIKE = re.compile(
    r"\b(?:bc1|tb1|bcrt1)[02-9ac-hj-np-z]{8,87}\b|\b[123mn2][1-9A-HJ-NP-Za-km-z]{25,34}\b", re.IGNORECASE
)
_XPUB_LIKE = re.compile(r"\b[xyztuvYZUV]pub[1-9A-HJ-NP-Za-km-z]{100,112}\b")


class Evidence(dict):
    """The evidence of a case: file name -> text, with what an investigator pulls out of it.

    ``case.evidence`` shows every file as formatted text in a notebook;
    ``case.evidence.addresses()`` lists the Bitcoin addresses written in the files (checked:
    a string that only looks like an address is left out), ``case.evidence.xpubs()`` the
    account public keys. A file name can be given to read one file only.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("ransomware")
    >>> len(case.evidence.addresses("ransomware_ransom_notes.md")) >= 3
    True
    """

    def _texts(self, name) -> list[tuple[str, str]]:
        if name is None:
            return list(self.items())
        if name not in self:
            import difflib

            near = difflib.get_close_matches(str(name), list(self), n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"the files are {', '.join(self) or '(none)'}"
            raise CaseError(f"the evidence has no file {name!r}; {hint}")
        return [(name, self[name])]

    def addresses(self, name: str | None = None) -> list[str]:
        """The Bitcoin addresses written in the evidence (or in file ``name``), in the order they appear, once each."""
        from ..addresses import is_valid_address

        found: list[str] = []
        for _, text in self._texts(name):
            for m in _ADDRESS_LIKE.findall(text):
                a = m.lower() if m.lower().startswith(("bc1", "tb1", "bcrt1")) else m
                if a not in found and is_valid_address(a):
                    found.append(a)
        return found

    def address(self, name: str) -> str:
        """The one address written in file ``name`` (an error naming them if there are several or none)."""
        found = self.addresses(name)
        if len(found) != 1:
            listed = ", ".join(found) if found else "none"
            raise CaseError(
                f"evidence file {name!r} holds {len(found)} addresses ({listed}); use "
                "case.evidence.addresses(...) to get them all as a list"
            )
        return found[0]

    def xpubs(self, name: str | None = None) -> list[str]:
        """The account public keys (xpub, ypub, zpub ...) written in the evidence (or in file ``name``)."""
        found: list[str] = []
        for _, text in self._texts(name):
            for m in _XPUB_LIKE.findall(text):
                if m not in found:
                    found.append(m)
        return found

    def xpub(self, name: str) -> str:
        """The one account public key written in file ``name``."""
        found = self.xpubs(name)
        if len(found) != 1:
            raise CaseError(
                f"evidence file {name!r} holds {len(found)} account public keys; use "
                "case.evidence.xpubs(...) to get them all as a list"
            )
        return found[0]

    def show(self, name: str | None = None):
        """The evidence (or one file) as formatted text for a notebook."""
        from ..display import Markdown

        return Markdown("\n\n---\n\n".join(f"**{n}**\n\n{t}" for n, t in self._texts(name)))

    def _repr_markdown_(self) -> str:
        return str(self.show())

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self.show()))


def _mapping(obj, path) -> dict:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise CaseError(
            f"{path} should hold named fields (a YAML mapping), not a {type(obj).__name__}; the file "
            "was damaged or edited. Use the pack as it was handed out"
        )
    return obj


def _questions(items, path) -> list[dict]:
    """The question list, each with text fields id, case, kind, text (a damaged file is a CaseError)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise CaseError(f"{path}: 'questions' should be a list, not a {type(items).__name__}")
    for k, q in enumerate(items):
        if not isinstance(q, dict) or not all(isinstance(q.get(f), str) for f in ("id", "case", "kind", "text")):
            raise CaseError(
                f"{path}: question {k + 1} lacks one of id, case, kind, text (each a text); the file "
                "was damaged or edited. Use the pack as it was handed out"
            )
    return items


def load_case(path) -> Case:
    """Open a case pack folder (made by ``cryptotrace case new`` or :func:`make_case`).

    A bundled pack can be named: ``load_case("nps_vendor")`` opens
    ``sample_data/cases/nps_vendor``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("nps_vendor")
    >>> case.questions.loc["nps_vendor.peel_hops", "kind"]
    'number'
    """
    p = Path(path)
    if not (p / "case.yaml").exists() and isinstance(path, str) and "/" not in path and "\\" not in path:
        from ..io.sample import sample_data_dir

        q = sample_data_dir() / "cases" / path
        if (q / "case.yaml").exists():
            p = q
    return Case(p)


class Case:
    """A case pack: the chain, the briefing, the evidence, the questions, and a self-check.

    Attributes
    ----------
    path : Path
    name, title : str
    briefing : str
        The text of ``briefing.md``.
    questions : DataFrame
        One row per question (index ``id``): ``case``, ``kind``, ``text``.
    evidence : dict
        File name -> text of each evidence artefact.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("nps_vendor")
    >>> "nps_vendor.peel_hops" in case.questions.index
    True
    """

    def __init__(self, path):
        self.path = Path(path)
        meta = self.path / "case.yaml"
        if not meta.exists():
            raise CaseError(
                f"{self.path} is not a case pack (no case.yaml). Make one with "
                "'cryptotrace case new SCENARIO.yaml -o FOLDER'"
            )
        self._meta = _mapping(load_file(meta, CaseError), meta)
        self.name = str(self._meta.get("name", self.path.name))
        self.title = str(self._meta.get("title", self.name))
        qf = self.path / "questions.yaml"
        self._questions = _questions(_mapping(load_file(qf, CaseError), qf).get("questions"), qf) if qf.exists() else []
        self._by_id = {q["id"]: q for q in self._questions}
        #: an exam pack: ``check`` says only right or not right (set by ``make_case(exam=True)`` or an exam handout)
        self.exam = bool(self._meta.get("exam", False))

    # ------------------------------------------------------------------ contents
    @cached_property
    def chain(self):
        """The case's chain (loaded on first use)."""
        from ..errors import DatasetIntegrityError
        from ..io.files import load_dataset, read_manifest

        name = self._meta.get("dataset", "dataset")
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
            raise CaseError(
                f"{self.path / 'case.yaml'}: dataset {name!r} must be the name of a folder inside the "
                "pack (normally 'dataset'); the file was edited. Use the pack as it was handed out"
            )
        chain = load_dataset(self.path / name)  # checks every file against the dataset's manifest
        want, have = self._meta.get("dataset_sha256"), read_manifest(self.path / name).get("sha256")
        if want is not None and want != have:
            raise DatasetIntegrityError(
                f"{self.path / name}: its SHA-256 is {str(have)[:16]}..., but case.yaml says {str(want)[:16]}... "
                "The pack's dataset was replaced or edited after the pack was made; use the pack as it was handed "
                "out (answers checked against another dataset would be wrong)"
            )
        if (self.path / "prices.csv").exists():
            from ..prices import register

            register(chain, self.prices)  # amounts in this case are worth the simulated economy's prices
        return chain

    @cached_property
    def prices(self):
        """The case's own BTC/EUR and BTC/USD price series (``prices.csv``), or the real daily table
        for a pack made before cases recorded their prices (its amounts then use market prices)."""
        from ..prices import load_case_prices, load_prices

        p = self.path / "prices.csv"
        return load_case_prices(p) if p.exists() else load_prices()

    @property
    def briefing(self) -> str:
        """The briefing (``briefing.md``): a text that a notebook shows formatted (Markdown)."""
        from ..display import Markdown

        f = self.path / "briefing.md"
        return Markdown(f.read_text(encoding="utf-8") if f.exists() else "")

    @property
    def questions(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"id": q["id"], "case": q["case"], "kind": q["kind"], "text": q["text"]} for q in self._questions],
            columns=["id", "case", "kind", "text"],
        ).set_index("id")

    @property
    def evidence(self) -> Evidence:
        """File name -> text of each evidence file (an :class:`Evidence`: ``.addresses()``, ``.xpubs()``)."""
        d = self.path / "evidence"
        return Evidence({p.name: p.read_text(encoding="utf-8") for p in sorted(d.glob("*"))} if d.exists() else {})

    @property
    def tags_path(self) -> Path:
        """The pack's TagPack of public attribution (load it with ``cryptotrace.load_tags``)."""
        return self.path / "tags.yaml"

    @property
    def legal_responses(self) -> dict[str, Path]:
        """Exchange name (file stem) -> CSV of its answer to a production order."""
        d = self.path / "legal_responses"
        return {p.stem: p for p in sorted(d.glob("*.csv"))} if d.exists() else {}

    @property
    def answer_key(self):
        """The ground truth (instructors only: it is absent from packs handed to trainees)."""
        from .answer_key import AnswerKey

        p = self.path / "instructor" / "answer_key"
        if not (p / "manifest.json").exists():
            raise CaseError(
                f"this pack has no answer key ({p} is missing); it is the trainee version. "
                "Ask your instructor, or check answers with case.check(...)"
            )
        return AnswerKey.load(p)

    # ------------------------------------------------------------------ checking
    def check(self, question_id: str, answer, *, exam: bool = False) -> CheckResult:
        """Say whether ``answer`` to a question is right (and, outside an exam, how close it is).

        Parameters
        ----------
        question_id : str
            An id from :attr:`questions`, e.g. ``"nps_vendor.peel_hops"``.
        answer
            Amounts in BTC (``0.25``, ``"0.25 BTC"``, ``"250 mBTC"`` or ``"25,000,000 sats"``;
            ``"2,76 BTC"`` with a decimal comma is 2.76 BTC), numbers, text, a txid or address,
            or a list (for list questions; any order, case does not matter).
        exam : bool, default False
            Say only right or not right, with no hint. An exam pack (:attr:`exam`) always does.

        Returns
        -------
        CheckResult
            Right or not yet, with a message. ``answer=None`` (the exercise cell not filled in yet)
            gives "no answer yet. Type your answer in the cell above ...", so a check cell can be
            just ``case.check("...", answer)``.

        Raises
        ------
        CaseError
            For an unknown question id, and for an answer that cannot be of the question's kind
            (NaN, a negative amount, a unit the question does not use ...): the message
            names the question and says how to write the answer.

        Examples
        --------
        >>> import cryptotrace as ct
        >>> ct.load_case("nps_vendor").check("nps_vendor.peel_hops", 99)
        <NOT YET nps_vendor.peel_hops: 99 is not the answer>
        """
        q = self._by_id.get(question_id)
        if q is None:
            import difflib

            near = difflib.get_close_matches(str(question_id), list(self._by_id), n=1)
            hint = f"did you mean {near[0]!r}?" if near else "see case.questions for the ids"
            raise CaseError(f"this case has no question {question_id!r}; {hint}")
        if answer is None:  # the exercise cell still says "answer = None": ask for an answer, do not fail
            return CheckResult(
                question_id,
                False,
                "no answer yet. Type your answer in the cell above (replace "
                "None), run that cell, then run this one again",
            )
        try:
            return check_answer(q, answer, exam=exam or self.exam)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise CaseError(
                f"{self.path / 'questions.yaml'}: the self-check data of {question_id!r} is damaged "
                f"({type(exc).__name__}: {exc}); use the pack as it was handed out, or ask your "
                "instructor for a fresh copy"
            ) from None

    # ------------------------------------------------------------------ display
    def to_frame(self) -> pd.DataFrame:
        return self.questions

    def __repr__(self) -> str:
        return f"<Case {self.name!r}: {self.title}, {len(self._questions)} questions{' (exam)' if self.exam else ''}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(i)}</code></td><td>{html.escape(r.text)}</td></tr>"
            for i, r in self.questions.iterrows()
        )
        return (
            f"<div><b>{html.escape(self.title)}</b> ({html.escape(self.name)})"
            f"<table><tr><th>question</th><th></th></tr>{rows}</table></div>"
        )
