"""Every step of the trainee course is one readable call (issue 17, section 1).

The trainees are investigators, not programmers. Every code cell of the trainee notebooks
00-07 (as built by ``notebooks/_build.py``, with the "your answer here" exercise cells), and
every worked answer in ``notebooks/solutions/``, is parsed with :mod:`ast` and must not use
(the instructor notebook 08 is exempt):

* indexing or slicing (``x[0]``, ``df[mask]``, ``df[["a", "b"]]``). The one form allowed is a
  plain string key on a name or attribute (``case.evidence["notes.md"]``): it reads like a
  label, not like code;
* ``.loc``, ``.iloc``, ``.at``, ``.iat``;
* ``lambda``, comprehensions (list, set, dict, generator), ``for`` and ``while`` loops;
* ``groupby``, ``agg``, ``apply``, ``map``, ``applymap``, ``pivot_table``, ``query``;
* the ``re`` module (or any regular expression call), ``numpy``/``np``, ``pandas``/``pd``,
  ``matplotlib``/``plt``, ``warnings``;
* more than :data:`MAX_LINES` lines of code in one cell (blank lines, comments and the
  ``%matplotlib`` magic do not count).

The executed outputs are checked in ``tests/test_notebooks.py`` (they need a kernel).
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TRAINEE = [
    "00_welcome",
    "01_transactions_utxos_addresses",
    "02_common_input_ownership",
    "03_change_detection",
    "04_following_the_money",
    "05_mixers_and_coinjoins",
    "06_capstone_nps_vendor",
    "07_real_case_colonial_pipeline",
]
MAX_LINES = 6
BANNED_ATTRIBUTES = {"loc", "iloc", "at", "iat"}
BANNED_METHODS = {
    "groupby",
    "agg",
    "aggregate",
    "apply",
    "map",
    "applymap",
    "pivot_table",
    "query",
    "findall",
    "search",
    "match",
    "fullmatch",
    "sub",
    "compile",
    "finditer",
}
BANNED_MODULES = {"re", "numpy", "np", "pandas", "pd", "matplotlib", "plt", "warnings", "regex"}
#: method names in BANNED_METHODS that are plain calls on these objects (``tags.search("Kryptohaus")``)
ALLOWED_RECEIVERS = {("search", "tags")}


def _code(source: str) -> list[str]:
    """The lines of a cell that are Python (IPython magics and comments left out)."""
    return [line for line in source.splitlines() if line.strip() and not line.strip().startswith(("#", "%", "!"))]


def _receiver(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else (node.attr if isinstance(node, ast.Attribute) else None)


def problems(source: str) -> list[str]:
    """What makes one cell a programmer's cell (empty when the cell is plain calls)."""
    lines = _code(source)
    found = []
    if len(lines) > MAX_LINES:
        found.append(f"{len(lines)} lines of code (at most {MAX_LINES})")
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as e:
        return [*found, f"not Python: {e.msg}"]
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Subscript):
            key = node.slice
            plain = (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and isinstance(node.value, (ast.Name, ast.Attribute))
            )
            if not plain:
                found.append(f"line {line}: indexing {ast.unparse(node)!r}")
        elif isinstance(node, ast.Attribute) and node.attr in BANNED_ATTRIBUTES:
            found.append(f"line {line}: .{node.attr}")
        elif isinstance(node, ast.Lambda):
            found.append(f"line {line}: lambda")
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            found.append(f"line {line}: comprehension {ast.unparse(node)!r}")
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            found.append(f"line {line}: {type(node).__name__.lower()} loop")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [a.asname for a in node.names if a.asname]
            mods = names if isinstance(node, ast.Import) else [node.module or "", *names]
            bad = sorted({m.split(".")[0] for m in mods} & BANNED_MODULES)
            if bad:
                found.append(f"line {line}: import of {', '.join(bad)}")
        elif isinstance(node, ast.Name) and node.id in BANNED_MODULES:
            found.append(f"line {line}: uses {node.id}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in BANNED_METHODS
            and (node.func.attr, _receiver(node.func.value)) not in ALLOWED_RECEIVERS
        ):
            found.append(f"line {line}: .{node.func.attr}(...)")
    return found


def _cells(name: str) -> list[tuple[int, str]]:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


@pytest.mark.parametrize("name", TRAINEE)
def test_worked_solutions_are_plain_calls_too(name):
    """The worked answers (notebooks/solutions/) are what a trainee reads after trying: the same rules."""
    nb = nbformat.read(NOTEBOOKS / "solutions" / f"{name}.ipynb", as_version=4)
    bad = [
        f"{name} solution cell {i}: {p}\n    {(_code(c.source) or [''])[0]}"
        for i, c in enumerate(nb.cells)
        if "answer" in c.metadata.get("tags", [])
        for p in problems(c.source)
    ]
    assert not bad, "programmer's code in a worked solution:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", TRAINEE)
def test_every_trainee_cell_is_plain_calls(name):
    bad = [f"{name} cell {i}: {p}\n    {(_code(src) or [''])[0]}" for i, src in _cells(name) for p in problems(src)]
    assert not bad, "programmer's code in a trainee notebook:\n" + "\n".join(bad)


def test_the_rules_catch_each_construct():
    """Each rule fires on a cell that breaks it, and plain calls pass (so the test above can fail)."""
    assert problems('trail = ct.trace(chain, REFUND, policy="fifo", max_hops=30)\nprint(trail.describe())') == []
    assert problems('print(case.evidence["notes.md"])') == []
    assert problems("%matplotlib inline\nimport cryptotrace as ct\n# a comment") == []
    assert problems('found = tags.search("Kryptohaus")') == []
    cases = {
        "x = t.txid[0]": "indexing",
        "x = t[t.hop > 2]": "indexing",
        'x = t[["a", "b"]]': "indexing",
        'x = f()["a"]': "indexing",
        "x = t.loc[1, 'a']": ".loc",
        "x = t.iloc[0]": ".iloc",
        "f = lambda v: v": "lambda",
        "x = [a for a in b]": "comprehension",
        "x = {a: 1 for a in b}": "comprehension",
        "x = sum(a for a in b)": "comprehension",
        "for a in b:\n    print(a)": "for loop",
        "while x:\n    x = 0": "while loop",
        "x = t.groupby('a').value.sum()": ".groupby",
        "x = t.agg(n=('a', 'size'))": ".agg",
        "x = t.value.map(str)": ".map",
        "x = t.apply(str)": ".apply",
        "import re": "import of re",
        "x = re.findall('a', s)": "uses re",
        "import pandas as pd": "import of pandas, pd",
        "import numpy as np": "import of np, numpy",
        "import matplotlib.pyplot as plt": "import of matplotlib, plt",
        "from matplotlib import pyplot": "import of matplotlib",
        "plt.show()": "uses plt",
        "\n".join(f"x{i} = {i}" for i in range(MAX_LINES + 1)): "lines of code",
    }
    for src, what in cases.items():
        got = problems(src)
        assert any(what in p for p in got), (src, got)
