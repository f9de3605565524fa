"""cryptotrace course DIR: the trainee's copy of the course (notebooks and question packs, no solutions)."""

from __future__ import annotations

import shutil
from pathlib import Path

NAME = "course"
HELP = "copy the course for a trainee: notebooks 00-07 and their question packs, without the solutions"
ORDER = 45
DESCRIPTION = """Writes DIR with the trainee notebooks (00 to 07), the course's question packs
(exercises/, salted hashes only) and a short README. The worked solutions (notebooks/solutions/)
and the instructor notebook 08 stay behind. Start Jupyter in DIR: the notebooks find their
questions there and the sample data where cryptotrace is installed."""

README = """# The cryptotrace course

Open the notebooks in order (Jupyter Lab or Notebook, kernel **Python 3**) and run them from top
to bottom (Shift + Enter). An exercise is a cell `answer = None  # <- your answer here`: replace
`None` with your answer, run it, then run the check cell below it. It says **Right** or
**Not yet** (for amounts, also how far off you are). The check never shows the answer.

Start Jupyter in this folder (`jupyter lab`): the notebooks read their questions from
`exercises/`.
"""


def add_arguments(p):
    p.add_argument("dir", help="the folder to create for the trainee")
    p.add_argument("--overwrite", action="store_true", help="replace the notebooks in an existing folder")


def course_source() -> Path:
    """The course's notebooks folder (beside the sample data: a source checkout or an editable install)."""
    from ..errors import CryptotraceError
    from ..io.sample import sample_data_dir

    src = sample_data_dir().parent / "notebooks"
    if not (src / "exercises").is_dir():
        raise CryptotraceError(
            f"the course notebooks are not where the sample data is ({src} has no exercises/); "
            "run this from a cryptotrace source checkout installed with 'pip install -e .'"
        )
    return src


def make_course(out, *, overwrite: bool = False) -> list[Path]:
    """Copy the trainee notebooks 00-07 and ``exercises/`` to ``out``; return the files written."""
    from ..errors import CryptotraceError

    src, out = course_source(), Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise CryptotraceError(f"{out} already exists and is not empty; choose another folder or pass --overwrite")
    notebooks = sorted(p for p in src.glob("0[0-7]_*.ipynb"))
    if len(notebooks) != 8:
        raise CryptotraceError(f"expected the 8 trainee notebooks 00-07 in {src}, found {len(notebooks)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in notebooks:
        shutil.copyfile(nb, out / nb.name)
        written.append(out / nb.name)
    ex = out / "exercises"
    if ex.exists():
        shutil.rmtree(ex)
    shutil.copytree(src / "exercises", ex, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "answers.yaml"))
    written += sorted(p for p in ex.rglob("*") if p.is_file())
    (out / "README.md").write_text(README, encoding="utf-8")
    written.append(out / "README.md")
    return written


def run(args) -> int:
    written = make_course(args.dir, overwrite=args.overwrite)
    n = sum(p.suffix == ".ipynb" for p in written)
    print(
        f"wrote {args.dir}: {n} trainee notebooks and their question packs (no solutions). "
        f"Start Jupyter there: cd {args.dir} && jupyter lab"
    )
    return 0
