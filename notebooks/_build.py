"""Build the course notebooks from the cell lists in ``notebooks/_cells/``.

Run from the project folder (or anywhere)::

    python notebooks/_build.py

It writes, without outputs:

* ``notebooks/NN_name.ipynb``            the trainee notebooks (exercise cells say "your answer here");
* ``notebooks/solutions/NN_name.ipynb``  the same notebooks with the worked solutions filled in;
* ``notebooks/exercises/<pack>/``        small question packs (``case.yaml`` + ``questions.yaml``)
  for exercises on real data, where no case pack applies. They hold salted hashes of the answers
  only (made with :func:`cryptotrace.cases.checking.hash_question`); the plain answers live in
  ``notebooks/solutions/answers.yaml`` (instructors only).

Each notebook is a list of cells made with :func:`md`, :func:`code` and :func:`answer`.
``answer(trainee, solution)`` is an exercise cell: the trainee version holds ``trainee``
(a "your answer here" line), the solution version holds ``solution`` (the worked answer).
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent
SOLUTIONS = HERE / "solutions"
EXERCISES = HERE / "exercises"

#: the notebooks of the course, in order (module in _cells/ -> notebook file name)
NOTEBOOKS = [
    ("nb00", "00_welcome"),
    ("nb01", "01_transactions_utxos_addresses"),
    ("nb02", "02_common_input_ownership"),
    ("nb03", "03_change_detection"),
    ("nb04", "04_following_the_money"),
    ("nb05", "05_mixers_and_coinjoins"),
    ("nb06", "06_capstone_nps_vendor"),
    ("nb07", "07_real_case_colonial_pipeline"),
    ("nb08", "08_for_instructors"),
    ("nb09", "09_instructors_store"),
]

KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


class Cell:
    def __init__(self, kind: str, text: str, solution: str | None = None):
        self.kind, self.text, self.solution = kind, text.strip("\n"), None if solution is None else solution.strip("\n")


def md(text: str) -> Cell:
    """A markdown cell (plain words for investigators)."""
    return Cell("markdown", _dedent(text))


def code(src: str) -> Cell:
    """A code cell, the same in the trainee and solution notebooks."""
    return Cell("code", _dedent(src))


def answer(trainee: str, solution: str) -> Cell:
    """An exercise cell: "your answer here" for trainees, the worked answer in solutions/."""
    return Cell("answer", _dedent(trainee), _dedent(solution))


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


def notebook(cells: list[Cell], *, solution: bool, title: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["cryptotrace"] = {"title": title, "version": "solutions" if solution else "trainee"}
    out = []
    for c in cells:
        if c.kind == "markdown":
            out.append(nbformat.v4.new_markdown_cell(c.text))
        elif c.kind == "code":
            out.append(nbformat.v4.new_code_cell(c.text))
        else:
            cell = nbformat.v4.new_code_cell(c.solution if solution else c.text)
            cell.metadata["tags"] = ["answer"]
            out.append(cell)
    for i, cell in enumerate(out):  # stable ids: rebuilding gives identical files
        cell["id"] = f"{title[:2]}-{i:03d}"
    nb.cells = out
    return nb


def _salt(qid: str) -> str:
    return hashlib.sha256(f"cryptotrace-course:{qid}".encode()).hexdigest()[:32]


def build_exercises() -> list[Path]:
    """Write the question packs in exercises/ from solutions/answers.yaml (hashes only)."""
    from cryptotrace.cases.checking import hash_question
    from cryptotrace.units import btc_to_sats

    spec = yaml.safe_load((SOLUTIONS / "answers.yaml").read_text(encoding="utf-8"))
    written = []
    for pack, body in spec["packs"].items():
        d = EXERCISES / pack
        d.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": "cryptotrace-case-pack",
            "version": 1,
            "name": pack,
            "title": body["title"],
            "cases": [{"id": pack, "title": body["title"]}],
            "note": "Questions for the course notebooks (no dataset: the notebook loads it). "
            "Only salted hashes of the answers are kept here.",
        }
        qs = []
        for q in body["questions"]:
            qid = f"{pack}.{q['id']}"
            ans = q["answer"]
            if q["kind"] == "amount":
                ans = btc_to_sats(str(ans))
            entry = {
                "id": qid,
                "case": pack,
                "kind": q["kind"],
                "text": q["text"],
                "check": hash_question(q["kind"], ans, _salt(qid)),
            }
            if "tolerance_sats" in q:
                entry["tolerance_sats"] = int(q["tolerance_sats"])
            qs.append(entry)
        (d / "case.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
        (d / "questions.yaml").write_text(
            yaml.safe_dump({"questions": qs}, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
        )
        written.append(d)
    for old in EXERCISES.iterdir() if EXERCISES.exists() else []:  # packs whose questions were removed
        if old.is_dir() and old.name not in spec["packs"] and (old / "questions.yaml").exists():
            for f in old.iterdir():
                f.unlink()
            old.rmdir()
    return written


def build(names: list[str] | None = None) -> list[Path]:
    """Write the trainee and solution notebooks (and the exercise packs)."""
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the notebooks
    sys.path.insert(0, str(HERE))
    build_exercises()
    SOLUTIONS.mkdir(exist_ok=True)
    written = []
    for mod, title in NOTEBOOKS:
        if names and title not in names and mod not in names:
            continue
        cells = importlib.import_module(f"_cells.{mod}").CELLS
        for solution, folder in ((False, HERE), (True, SOLUTIONS)):
            nb = notebook(cells, solution=solution, title=title)
            nbformat.validate(nb)
            path = folder / f"{title}.ipynb"
            path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for p in build(sys.argv[1:] or None):
        print("wrote", p.relative_to(HERE.parent))
