"""The course notebooks: each runs top to bottom, has an exercise and a picture, and hides its solutions.

Every notebook is executed with nbclient on the ``python3`` kernel of this interpreter
(ipykernel in the same environment; no ``ipykernel install`` needed), from a temporary
copy of ``notebooks/`` so nothing is written into the repository. The worked solutions in
``notebooks/solutions/`` are executed too, and every one of their answers must pass
``case.check``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
NAMES = [
    "00_welcome",
    "01_transactions_utxos_addresses",
    "02_common_input_ownership",
    "03_change_detection",
    "04_following_the_money",
    "05_mixers_and_coinjoins",
    "06_capstone_nps_vendor",
    "07_real_case_colonial_pipeline",
    "08_for_instructors",
    "09_instructors_store",
]
CELL_TIMEOUT = 60  # seconds per cell
NOTEBOOK_BUDGET = 60  # seconds for a whole notebook, top to bottom
#: check cells that show a wrong answer on purpose (to teach what "Not yet" looks like)
DELIBERATE_WRONG = {("00_welcome", 'case.check("welcome.sats_to_btc", 2.5)')}
#: no network while the notebooks run: every proxy points at a closed local port
DEAD_PROXY = "http://127.0.0.1:9"


def _kernel_available() -> str:
    """The kernel name to use: python3, provided by ipykernel in this environment."""
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager

    import ipykernel  # noqa: F401  (the python3 kernel must come from this environment)

    ksm = KernelSpecManager()
    spec = ksm.get_kernel_spec(NATIVE_KERNEL_NAME)
    assert spec.language == "python"
    return NATIVE_KERNEL_NAME


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A throw-away copy of notebooks/: notebooks run there, so the repository stays untouched."""
    dst = tmp_path_factory.mktemp("course") / "notebooks"
    shutil.copytree(NOTEBOOKS, dst, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return dst


def _execute(path: Path, cwd: Path) -> tuple[nbformat.NotebookNode, float]:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=_kernel_available(),
                            resources={"metadata": {"path": str(cwd)}}, allow_errors=False)
    # The kernel inherits this environment: quiet the debugger warning, and point every HTTP(S)
    # proxy at a closed port so a notebook that tried to use the network would fail here.
    offline = {"PYDEVD_DISABLE_FILE_VALIDATION": "1", "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY,
               "ALL_PROXY": DEAD_PROXY, "http_proxy": DEAD_PROXY, "https_proxy": DEAD_PROXY,
               "all_proxy": DEAD_PROXY, "NO_PROXY": "", "no_proxy": ""}
    saved = {k: os.environ.get(k) for k in offline}
    os.environ.update(offline)
    try:
        t0 = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - t0
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb, elapsed


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _outputs(cell):
    return cell.get("outputs", [])


def _has_png(nb) -> bool:
    return any("image/png" in o.get("data", {}) for c in _code_cells(nb) for o in _outputs(c))


def _errors(nb) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in _code_cells(nb) for o in _outputs(c) if o.output_type == "error"]


def _check_cells(nb) -> list:
    return [c for c in _code_cells(nb) if re.search(r"\.check\(\s*\"[a-z_]+\.[a-z_0-9]+\"", c.source)]


def _plain(cell) -> str:
    return "\n".join(o.get("data", {}).get("text/plain", "") if o.output_type != "stream" else o.text
                     for o in _outputs(cell))


# --------------------------------------------------------------------------- execution
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_trainee_notebook_runs_with_an_exercise_and_a_picture(name, workdir):
    nb, elapsed = _execute(workdir / f"{name}.ipynb", workdir)
    assert not _errors(nb), _errors(nb)
    assert elapsed <= NOTEBOOK_BUDGET, f"{name} took {elapsed:.0f} s (budget {NOTEBOOK_BUDGET} s)"
    assert _has_png(nb), f"{name} draws no picture"
    checks = _check_cells(nb)
    assert checks, f"{name} has no exercise (no case.check call)"
    answers = [c for c in _code_cells(nb) if "answer" in c.metadata.get("tags", [])]
    assert answers, f"{name} has no 'your answer here' cell"
    # unanswered, a check cell asks for an answer instead of failing
    unanswered = [c for c in checks if (name, c.source.strip()) not in DELIBERATE_WRONG]
    assert all("Type your answer" in _plain(c) for c in unanswered), [c.source for c in unanswered]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_worked_solutions_pass_every_check(name, workdir):
    nb, elapsed = _execute(workdir / "solutions" / f"{name}.ipynb", workdir)
    assert not _errors(nb), _errors(nb)
    assert elapsed <= NOTEBOOK_BUDGET
    assert _has_png(nb)
    checks = _check_cells(nb)
    assert checks
    for c in checks:
        text = _plain(c)
        if (name, c.source.strip()) in DELIBERATE_WRONG:
            assert "NOT YET" in text, text
        else:
            assert text.startswith("<RIGHT"), f"{name}: {c.source.strip()} -> {text}"


# --------------------------------------------------------------------------- no solutions for trainees
def _answer_cells(nb):
    return [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]


def _trainee_sources() -> dict[str, str]:
    return {n: "\n".join(c.source for c in nbformat.read(NOTEBOOKS / f"{n}.ipynb", as_version=4).cells)
            for n in NAMES}


def _answer_strings(value) -> list[str]:
    """The forms in which a plain answer would give itself away in a notebook's text."""
    from cryptotrace.units import btc_to_sats, format_btc

    if isinstance(value, dict) and "sats" in value:  # a case pack amount
        return [format_btc(int(value["sats"]), unit=False)]
    if isinstance(value, list):
        return [s for v in value for s in _answer_strings(v)]
    if isinstance(value, int):
        return []  # small numbers (4, 24 ...) appear in any text
    text = str(value)
    if re.fullmatch(r"[0-9.]+", text):
        return [format_btc(btc_to_sats(text), unit=False)]
    return [text]


def test_trainee_notebooks_do_not_contain_the_solutions():
    sources = _trainee_sources()
    for name in NAMES:
        trainee = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        solution = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
        t_cells, s_cells = _answer_cells(trainee), _answer_cells(solution)
        assert len(t_cells) == len(s_cells) >= 1
        for t, s in zip(t_cells, s_cells):
            assert "your answer here" in t.source and "answer = None" in t.source
            assert t.source != s.source
            worked = [line for line in s.source.splitlines() if line.strip() and line.strip() != "answer"]
            for line in worked:
                assert line not in sources[name], f"{name} shows solution line {line!r}"
        assert trainee.metadata["cryptotrace"]["version"] == "trainee"
        assert solution.metadata["cryptotrace"]["version"] == "solutions"
    # the plain answers of every pack a notebook loads (the course's own packs and the case packs)
    spec = yaml.safe_load((SOLUTIONS / "answers.yaml").read_text(encoding="utf-8"))
    from cryptotrace.io.sample import sample_data_dir

    def plain_answers(pack: str) -> list:
        if pack.startswith("exercises/"):
            return [q["answer"] for q in spec["packs"][pack.split("/", 1)[1]]["questions"]]
        key = sample_data_dir() / "cases" / pack / "instructor" / "answers.yaml"
        return list(yaml.safe_load(key.read_text(encoding="utf-8"))["answers"].values())

    n_secrets = 0
    for name, text in sources.items():
        packs = set(re.findall(r'load_case\("([a-z_/]+)"\)', text))
        assert packs or name == "08_for_instructors", f"{name} loads no questions"
        secrets = [s for p in packs for v in plain_answers(p) for s in _answer_strings(v) if len(s) >= 4]
        n_secrets += len(secrets)
        leaked = [s for s in secrets if s.lower() in text.lower()]
        assert not leaked, f"{name} shows answers: {leaked}"
    assert n_secrets >= 20


def test_exercise_packs_hold_hashes_not_answers():
    from cryptotrace import load_case

    spec = yaml.safe_load((SOLUTIONS / "answers.yaml").read_text(encoding="utf-8"))
    for pack, body in spec["packs"].items():
        folder = NOTEBOOKS / "exercises" / pack
        text = (folder / "questions.yaml").read_text(encoding="utf-8")
        case = load_case(folder)
        assert len(case.questions) == len(body["questions"])
        for q in body["questions"]:
            for s in _answer_strings(q["answer"]):
                assert s.lower() not in text.lower(), f"{pack}.{q['id']}: answer {s!r} readable in questions.yaml"
            assert case.check(f"{pack}.{q['id']}", q["answer"]).correct
            wrong = {"amount": "123.456", "number": 987654, "text": "no such thing"}[q["kind"]]
            assert not case.check(f"{pack}.{q['id']}", wrong).correct


# --------------------------------------------------------------------------- the files match the builder
def test_notebooks_are_built_from_the_cell_lists_and_have_no_outputs():
    sys.path.insert(0, str(NOTEBOOKS))
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # import the builder without leaving __pycache__ in notebooks/
    try:
        import importlib

        import _build

        importlib.reload(_build)
        for mod, title in _build.NOTEBOOKS:
            cells = importlib.import_module(f"_cells.{mod}").CELLS
            for solution, folder in ((False, NOTEBOOKS), (True, SOLUTIONS)):
                expected = nbformat.writes(_build.notebook(cells, solution=solution, title=title)) + "\n"
                on_disk = (folder / f"{title}.ipynb").read_text(encoding="utf-8")
                assert on_disk == expected, f"{folder.name}/{title}.ipynb is stale: run python notebooks/_build.py"
                nb = nbformat.reads(on_disk, as_version=4)
                assert all(not c.get("outputs") and c.get("execution_count") is None for c in _code_cells(nb))
        assert [t for _, t in _build.NOTEBOOKS] == NAMES
    finally:
        sys.dont_write_bytecode = dont_write
        sys.path.remove(str(NOTEBOOKS))
