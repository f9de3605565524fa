"""Where the tests find real mainnet records (see tests/data/real/README.md)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: real records copied into the repository (licences allow it; see tests/data/real/README.md)
IN_REPO = ROOT / "tests" / "data" / "real"
#: the shared folder beside the project: the GPL-3.0 Esplora records and the 31 MB TagPack collection
SHARED = ROOT.parent / "shared" / "data" / "real"
OUTSIDE = ("esplora-cases", "graphsense-tagpacks")


def real_path(*parts: str) -> Path:
    """A real-data file or folder: from tests/data/real, or for the two outside collections from ../shared."""
    base = SHARED if parts and parts[0] in OUTSIDE else IN_REPO
    path = base.joinpath(*parts)
    assert path.exists(), f"{path} is missing. " + (
        f"The {parts[0]} records stay outside the repository: put the project's shared folder "
        "(shared/data/real) beside it"
        if base is SHARED
        else "tests/data/real is part of the repository"
    )
    return path
