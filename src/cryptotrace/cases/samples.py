"""Rebuild the bundled sample data from its scenario files.

``python -m cryptotrace.cases.samples`` writes, from ``sample_data/scenarios/*.yaml``,
one case pack per scenario into ``sample_data/cases/<name>/`` and copies the
``sample`` pack's dataset and answer key to ``sample_data/datasets/sample`` and
``sample_data/answer_keys/sample`` (what :func:`cryptotrace.load_sample` and
``load_answer_key("sample")`` read). The same scenario files give the same bytes: a rebuild keeps
each pack's check secret (the random bytes its self-check salts come from).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from ..io.files import atomic_folder
from ..io.sample import sample_data_dir
from .pack import make_case


def _copy_tree(src: Path, dst: Path) -> None:
    with atomic_folder(dst) as tmp:
        shutil.copytree(src, tmp, dirs_exist_ok=True)


def build_samples(root: Path | None = None, names: list[str] | None = None) -> list[Path]:
    """Regenerate the sample case packs (and the sample chain) from the scenario files."""
    root = Path(root) if root else sample_data_dir()
    made = []
    for sc in sorted((root / "scenarios").glob("*.yaml")):
        if names and sc.stem not in names:
            continue
        out = root / "cases" / sc.stem
        # keep each pack's check secret, so a rebuild gives the same bytes (a new pack gets a random one)
        key = out / "instructor" / "answer_key" / "manifest.json"
        secret = json.loads(key.read_text()).get("check_secret") if key.exists() else None
        pack = make_case(sc, out, overwrite=True, secret=secret)
        made.append(pack)
        if sc.stem == "sample":
            _copy_tree(pack / "dataset", root / "datasets" / "sample")
            _copy_tree(pack / "instructor" / "answer_key", root / "answer_keys" / "sample")
    return made


if __name__ == "__main__":  # pragma: no cover
    for p in build_samples(names=sys.argv[1:] or None):
        print("wrote", p)
