"""Ruff, configured in pyproject.toml: the code passes its lint rules and is formatted (CI runs this)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "notebooks/_cells", "notebooks/_build.py", "sample_data"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    return subprocess.run([exe, *args, *PATHS], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_check_finds_nothing():
    run = _ruff("check", "--no-cache")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_the_code_is_ruff_formatted():
    run = _ruff("format", "--check", "--no-cache")
    assert run.returncode == 0, "run `ruff format` on:\n" + run.stdout[-4000:] + run.stderr[-2000:]
