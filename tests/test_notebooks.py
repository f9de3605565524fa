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
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=_kernel_available(),
        resources={"metadata": {"path": str(cwd)}},
        allow_errors=False,
    )
    # The kernel inherits this environment: quiet the debugger warning, and point every HTTP(S)
    # proxy at a closed port so a notebook that tried to use the network would fail here.
    offline = {
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "HTTP_PROXY": DEAD_PROXY,
        "HTTPS_PROXY": DEAD_PROXY,
        "ALL_PROXY": DEAD_PROXY,
        "http_proxy": DEAD_PROXY,
        "https_proxy": DEAD_PROXY,
        "all_proxy": DEAD_PROXY,
        "NO_PROXY": "",
        "no_proxy": "",
    }
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
    return "\n".join(
        o.get("data", {}).get("text/plain", "") if o.output_type != "stream" else o.text for o in _outputs(cell)
    )


#: what a trainee must not see in an output: Python reprs of paths, dicts, arrays; a quoted string
REPR_MARKS = ("PosixPath(", "WindowsPath(", "{'", "['", "array(", "dtype=", "<cryptotrace.", " object at 0x", "<NA>")
TRAINEE = [n for n in NAMES if not n.startswith(("08_", "09_"))]  # 08 and 09 are for instructors


def _bad_outputs(nb) -> list[str]:
    """Outputs a trainee would read as Python rather than as a result (issue 17: tables, not reprs).

    Only what the notebook shows is checked: an output with HTML, Markdown or a picture shows
    that, so its text/plain fallback is not read; printed text and plain-text results are.
    """
    bad = []
    for i, c in enumerate(_code_cells(nb)):
        for o in _outputs(c):
            if o.output_type == "stream":
                text = o.text
            elif o.output_type in ("execute_result", "display_data"):
                data = o.get("data", {})
                if {"text/html", "text/markdown", "image/png"} & set(data):
                    continue
                text = data.get("text/plain", "")
                if text[:1] in ("'", '"'):
                    bad.append(f"cell {i}: a quoted string {text[:60]!r} (print it instead)")
            else:
                continue
            bad += [f"cell {i}: {m!r} in {text[:80]!r}" for m in REPR_MARKS if m in text]
    return bad


# --------------------------------------------------------------------------- execution
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_trainee_notebook_runs_with_an_exercise_and_a_picture(name, workdir):
    nb, elapsed = _execute(workdir / f"{name}.ipynb", workdir)
    assert not _errors(nb), _errors(nb)
    assert elapsed <= NOTEBOOK_BUDGET, f"{name} took {elapsed:.0f} s (budget {NOTEBOOK_BUDGET} s)"
    if name in TRAINEE:
        assert not _bad_outputs(nb), f"{name} shows Python reprs: {_bad_outputs(nb)}"
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
    if name in TRAINEE:  # the worked answers print a quoted answer on purpose; other outputs must read well
        answers = {i for i, c in enumerate(_code_cells(nb)) if "answer" in c.metadata.get("tags", [])}
        bad = [b for b in _bad_outputs(nb) if int(b.split(":")[0].split()[1]) not in answers]
        assert not bad, f"{name} shows Python reprs: {bad}"


# --------------------------------------------------------------------------- no solutions for trainees
def _answer_cells(nb):
    return [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]


def _trainee_sources() -> dict[str, str]:
    return {n: "\n".join(c.source for c in nbformat.read(NOTEBOOKS / f"{n}.ipynb", as_version=4).cells) for n in NAMES}


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
            wrong = {
                "amount": "123.456",
                "number": 987654,
                "text": "no such thing",
                "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "txid": "ab" * 32,
            }[q["kind"]]
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


# --------------------------------------------------------------------------- the clicking exercise
def test_clicking_exercise_has_one_answer_that_the_explorer_reaches_in_two_clicks():
    """Notebook 05, exercise 3: "five outputs of the first CoinJoin are spent together; which
    deposit address received that money?" Drive the explorer from Python as the trainee's clicks
    would (``explorer.expand``) and check that every one of the five leads, in one click, to the
    same single address, and in a second click to an exchange's tagged hot wallet; that this
    address is the cash-out deposit of the case's scenario (its instructor answer key); and that
    the course's answer and check agree with it."""
    import json

    import cryptotrace as ct
    from cryptotrace.io.sample import sample_data_dir

    case = ct.load_case("ransomware")
    chain, tags = case.chain, ct.load_tags(case.tags_path)
    trail = ct.trace(
        chain, case.evidence.addresses("ransomware_ransom_notes.md"), policy="fifo", tags=tags, max_hops=20
    )  # as notebook 05 traces it
    mix = ct.first_coinjoin(trail)
    outs = mix.outputs
    spent_together = outs.spent_by_txid.dropna().value_counts()
    assert list(spent_together[spent_together >= 3]) == [5], spent_together.head()  # "five", and only once
    five = outs[outs.spent_by_txid == spent_together.index[0]].address.tolist()

    deposits = set()
    for address in five:
        explorer = ct.explore(mix.txid, chain=chain, tags=tags, view="addresses")
        shown = set(explorer.nodes.id)
        assert set(outs.address) <= shown and address in shown
        explorer.expand(address)  # click 1: one single new address ...
        new = set(explorer.nodes.id) - shown
        assert len(new) == 1, new
        deposit = new.pop()
        edges = explorer.edges
        into = edges[edges.target == deposit]
        assert sorted(into.source) == sorted(five)  # ... with five lines running into it
        shown = set(explorer.nodes.id)
        explorer.expand(deposit)  # click 2: an exchange's hot wallet
        nodes = explorer.nodes
        after = nodes[~nodes.id.isin(shown)]
        assert len(after) == 1 and after.category.iloc[0] == "exchange", after
        assert "hot wallet" in after.tag.iloc[0]
        deposits.add(deposit)
    assert len(deposits) == 1
    deposit = deposits.pop()

    # the scenario's truth: the suspect cashed out the mixed coins to this deposit address
    facts = json.loads(
        (sample_data_dir() / "cases" / "ransomware" / "instructor" / "answer_key" / "facts.json").read_text(
            encoding="utf-8"
        )
    )["ransomware"]
    events = [e["event"] for e in facts["events"]]
    cash_out = facts["events"][events.index("cash_out")]
    assert events.index("coinjoin") < events.index("cash_out")
    assert mix.txid in facts["events"][events.index("coinjoin")]["coinjoin_txids"]
    assert [d["address"] for d in cash_out["deposits"]] == [deposit]
    assert cash_out["deposits"][0]["txid"] == spent_together.index[0]

    spec = yaml.safe_load((SOLUTIONS / "answers.yaml").read_text(encoding="utf-8"))
    (q,) = [q for q in spec["packs"]["coinjoin"]["questions"] if q["id"] == "deposit_after_coinjoin"]
    assert q["answer"] == deposit
    questions = ct.load_case(NOTEBOOKS / "exercises" / "coinjoin")
    assert questions.check("coinjoin.deposit_after_coinjoin", deposit).correct
    assert not questions.check("coinjoin.deposit_after_coinjoin", five[0]).correct  # a CoinJoin output is not it
    solution = nbformat.read(SOLUTIONS / "05_mixers_and_coinjoins.ipynb", as_version=4)
    worked = "\n".join(c.source for c in _answer_cells(solution))
    assert f'answer = "{deposit}"' in worked and f'explorer.expand("{deposit}")' in worked


# --------------------------------------------------------------------------- what the prose claims
def test_notebook_04_at_services_is_at_service_plus_mixed_with_a_service():
    """Notebook 04's "two numbers, one definition": the FIFO row's at_services figure equals the
    at_service candidates plus the mixed candidates that have a service (its prose says so)."""
    import cryptotrace as ct

    case = ct.load_case("ransomware")
    tags = ct.load_tags(case.tags_path)
    clusters = ct.Clustering().fit(case.chain)
    claims = ct.compare_policies(
        case.chain,
        case.evidence.addresses("ransomware_ransom_notes.md"),
        policies=["fifo"],
        tags=tags,
        clustering=clusters,
        max_hops=20,
    )
    fifo = claims.trace("fifo")
    table = ct.seizure_candidates(fifo).to_frame()
    at_service = table[table.classification == "at_service"].tainted_value.sum()
    mixed_at_a_service = table[(table.classification == "mixed") & table.service.notna()].tainted_value.sum()
    assert at_service > 0 and mixed_at_a_service > 0  # both kinds occur, so the sentence has something to say
    assert at_service + mixed_at_a_service == fifo.endpoints[fifo.endpoints.kind == "service"].tainted_value.sum()


def test_numbers_the_prose_quotes_from_real_records():
    """The amounts and counts the prose states about the real records are what the records hold."""
    import cryptotrace as ct
    from cryptotrace.units import btc_to_sats

    prose = {
        n: "\n".join(
            c.source for c in nbformat.read(NOTEBOOKS / f"{n}.ipynb", as_version=4).cells if c.cell_type == "markdown"
        )
        for n in NAMES
    }

    early = ct.load_sample("hal_finney")  # 01: "256 blocks, so 256 coinbase transactions"
    assert "256 blocks, so 256 coinbase" in prose["01_transactions_utxos_addresses"]
    assert int(early.txs.is_coinbase.sum()) == 256 == early.txs.block_height.nunique()

    bitfinex = ct.load_sample("bitfinex")  # 02: the theft pays "about 567 BTC, to one address: 1CGA4s..."
    assert "about 567 BTC, to one address: `1CGA4s...`" in prose["02_common_input_ownership"]
    theft = bitfinex.tx("5c7134d4dd030402a9d1315e2f34f46a7e6ace6bbfb572974a83359e3b8fa700").outputs
    to_1cga4s = theft[theft.address == "1CGA4srJbPWhtJb7ezgY6GQf4PKhFuzD9w"].value.sum()
    assert round(to_1cga4s / 1e8) == 567 and to_1cga4s > 0.99 * theft.value.sum()

    whirlpool = ct.load_sample("whirlpool")  # 05: "5 inputs, 5 equal outputs"
    assert "**5 inputs, 5 equal outputs**" in prose["05_mixers_and_coinjoins"]
    mix = whirlpool.tx("323df21f0b0756f98336437aa3d2fb87e02b59f1946b714a7b09df04d429dec2")
    assert len(mix.inputs) == 5 and len(mix.outputs) == 5 and mix.outputs.value.nunique() == 1

    colonial = ct.load_sample("colonial")  # 07: "about 75 BTC" paid, "63.7 BTC" seized, "69.6 BTC" gathered
    text = prose["07_real_case_colonial_pipeline"]
    assert "about **75 BTC**" in text and "**63.7 BTC**" in text and "**69.6 BTC**" in text
    assert "**63.69996546 BTC**" in text and "63.7 BTC seized" in prose["00_welcome"]
    ransom = colonial.address("15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr").stats.received
    assert round(ransom / 1e8) == 75
    seized = colonial.tx("943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a").outputs
    to_fbi = seized[seized.address == "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"].value.sum()
    assert to_fbi == btc_to_sats("63.69996546") and round(to_fbi / 1e7) == 637
    gathered = colonial.tx("daf38c7b38eb0a587cf843f47000d5c294affb4f56017370ad48c5147f5e69d9")
    assert round(gathered.output_value / 1e7) == 696
