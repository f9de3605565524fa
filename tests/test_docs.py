"""The documentation: every exported callable shows a runnable example, and the docs site builds.

The examples themselves run as doctests (``--doctest-modules`` in pyproject); this file checks that
they exist, and builds the MkDocs site (API reference from the docstrings) in strict mode, so a
broken link, a missing page or a docstring mkdocstrings cannot read fails CI.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import cryptotrace as ct

ROOT = Path(__file__).resolve().parents[1]


def _exported_callables():
    for name in ct.__all__:
        obj = getattr(ct, name)
        if callable(obj):
            yield name, obj


def test_every_exported_callable_has_a_numpydoc_examples_section_with_code():
    missing = []
    for name, obj in _exported_callables():
        doc = inspect.getdoc(obj) or ""
        if not re.search(r"^Examples\n-{8}\n", doc, re.M) or ">>>" not in doc.split("Examples\n--------", 1)[-1]:
            missing.append(name)
    assert not missing, f"exported without a numpydoc 'Examples' section holding a >>> example: {missing}"


def test_every_exported_name_is_in_the_api_reference():
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "api").glob("*.md"))
    documented = set(re.findall(r"^::: ([\w.]+)", pages, re.M))
    undocumented = []
    for name in ct.__all__:
        obj = getattr(ct, name)
        if isinstance(obj, type(ct)):  # a submodule such as ct.plot: documented whole or by its parts
            module = obj.__name__
            if not any(d == module or d.startswith(module + ".") for d in documented):
                undocumented.append(f"{name} ({module})")
            continue
        if not callable(obj):  # constants (__version__, SCHEMA ...) are described in the guides
            continue
        module = obj.__module__
        if not any(module == d or module.startswith(d + ".") or f"{module}.{name}" == d for d in documented):
            undocumented.append(f"{name} ({module})")
    assert not undocumented, f"not on any docs/api page: {undocumented}"


def test_the_docs_site_builds_in_strict_mode(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(ROOT / "src"))
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "cryptotrace" in index
    api = (tmp_path / "site" / "api" / "tracing" / "index.html").read_text(encoding="utf-8")
    assert 'id="cryptotrace.tracing.trace"' in api  # the reference is read from the docstrings
    # offline: no web fonts or scripts fetched from a CDN by the pages
    assert "fonts.googleapis.com" not in index


def test_the_readme_is_a_front_page_and_its_links_resolve():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 300  # the guides live in docs/guide, the numbers in docs/benchmarks.md
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
    guides = {p.name for p in (ROOT / "docs" / "guide").glob("*.md")}
    linked = {Path(t).name for t in re.findall(r"\]\(docs/guide/([^)#]+)", text)}
    assert guides <= linked, f"guides the README does not link: {sorted(guides - linked)}"
