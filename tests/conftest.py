"""Shared test fixtures.

* ``real_data``: verified mainnet records: ``tests/data/real`` plus, from ``../shared/data/real`` beside
  the project, the two collections that stay outside (see tests/data/real/README.md).
* ``sample_chain``: the bundled sample chain, loaded once per session.
* Hypothesis: no deadline (CI machines are noisy), a moderate number of examples,
  derandomized when ``CI`` is set.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# bitcoinlib must never write into the real home directory during tests
os.environ.setdefault("BCL_DATA_DIR", str(Path(tempfile.gettempdir()) / "cryptotrace-tests-bitcoinlib"))

# In CI (CI=true) the examples are derandomized, so a landing is judged on a reproducible run;
# on developers' machines every run explores new examples.
settings.register_profile(
    "cryptotrace",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "cryptotrace"))

ROOT = Path(__file__).resolve().parents[1]

from ._real import IN_REPO, OUTSIDE, SHARED  # noqa: E402  (the real-data paths, shared with test modules)


@pytest.fixture(scope="session")
def real_data(tmp_path_factory) -> Path:
    """One folder of verified mainnet records: the repository's copies and the shared outside ones."""
    view = tmp_path_factory.mktemp("real")
    for sub in IN_REPO.iterdir():
        if sub.is_dir():
            (view / sub.name).symlink_to(sub, target_is_directory=True)
    for name in OUTSIDE:
        if (SHARED / name).exists():
            (view / name).symlink_to(SHARED / name, target_is_directory=True)
    return view


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_chain():
    import cryptotrace as ct

    return ct.load_sample()


def pytest_collection_modifyitems(config, items):
    """Leave the ``long`` tests (minutes, gigabytes) out of the default run; CRYPTOTRACE_LONG=1 runs them.

    They are deselected (reported as such), not skipped: nothing is hidden as a pass.
    """
    if os.environ.get("CRYPTOTRACE_LONG") == "1" or "long" in (config.getoption("-m") or ""):
        return
    long_ = [item for item in items if item.get_closest_marker("long")]
    if long_:
        config.hook.pytest_deselected(items=long_)
        items[:] = [item for item in items if not item.get_closest_marker("long")]
