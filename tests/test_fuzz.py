"""Mutation fuzzing: every loader answers a damaged real file with a load or a CryptotraceError, quickly.

Starts from the real files in ``../shared/data/real`` and the bundled samples, applies seeded
mutations (``tests/_mutate.py``: bit flips, truncation, inserted bytes, repeated slices; for JSON
and YAML also type swaps, huge and non-finite numbers, deleted keys, deep nesting, alias bombs) and
loads each result. Any other exception, or a load slower than the time bound, fails the test and
names the target, the case number and the mutation (re-run it with the same seed).

Deterministic: the seed is fixed. ``CRYPTOTRACE_FUZZ_CASES=2000 python -m pytest tests/test_fuzz.py``
runs a longer campaign on demand (default: a few dozen cases per target, well under a minute in all).
"""

from __future__ import annotations

import faulthandler
import os
import random
import shutil
import signal
import time
import warnings
from pathlib import Path

import pytest

import cryptotrace as ct
from cryptotrace.errors import CryptotraceError

from ._real import real_path

from ._mutate import mutate

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"
CASES = int(os.environ.get("CRYPTOTRACE_FUZZ_CASES", "0"))
TIME_BOUND = 20.0  # seconds per load: a hang, not a slow machine, trips it


class Hang(BaseException):  # not an Exception: a loader's own "except Exception" must not swallow it
    pass


def _alarm(signum, frame):
    raise Hang()


def _load_dataset_with(path: Path, tmp: Path, name: str, data: bytes):
    folder = tmp / "ds"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(path, folder)
    (folder / name).write_bytes(data)
    return ct.load_dataset(folder)


def _case_with(path: Path, tmp: Path, name: str, data: bytes):
    folder = tmp / "pack"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(path, folder, ignore=shutil.ignore_patterns("dataset", "instructor"))
    (folder / name).write_bytes(data)
    return ct.load_case(folder)


# name -> (seed files, kind, default cases, how to load one mutated file)
def _targets():
    blocks = real_path("blocks")
    esplora = sorted(p for p in (real_path("esplora-cases")).glob("*.json") if p.stat().st_size < 200_000)
    core = sorted((real_path("core-rpc")).glob("*/rpc_response_*.json"))
    etl = sorted((real_path("core-rpc")).glob("*/expected_transactions.json"))
    packs = sorted((real_path("tagpacks")).glob("*.yaml"), key=lambda p: p.stat().st_size)[:12]
    scenarios = sorted((SAMPLES / "scenarios").glob("*.yaml"))
    hydra = SAMPLES / "datasets" / "hydra"
    return {
        "raw block": (
            [blocks / "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw"],
            "bytes",
            12,
            lambda p: ct.load_raw_blocks(p),
        ),
        "blk file": ([blocks / "mainnet_blk_0-256.dat"], "bytes", 40, lambda p: ct.load_blk_files(p)),
        "raw transactions": ([blocks / "mainnet_blk_0-256.dat"], "txhex", 40, lambda p: ct.load_raw_transactions(p)),
        "esplora json": (esplora, "json", 60, lambda p: ct.load_esplora(p)),
        "core rpc json": (core, "json", 60, lambda p: ct.load_core_json(p)),
        "blockchain-etl json": (etl, "jsonl", 40, lambda p: ct.load_etl(p)),
        "tagpack yaml": (packs, "yaml", 60, lambda p: ct.load_tags(p)),
        "scenario yaml": (scenarios, "yaml", 40, lambda p: ct.load_scenario(p)),
        "tag csv (legal responses)": (
            sorted((SAMPLES / "cases" / "sample" / "legal_responses").glob("*.csv")),
            "csv",
            40,
            lambda p: ct.load_tags(p),
        ),
        "case pack yaml": (
            [SAMPLES / "cases" / "nps_vendor" / "case.yaml", SAMPLES / "cases" / "nps_vendor" / "questions.yaml"],
            "yaml",
            40,
            "case",
        ),
        "dataset manifest": ([hydra / "manifest.json"], "json", 30, None),
        "dataset table": ([hydra / "txs.parquet", hydra / "addresses.parquet"], "bytes", 20, None),
    }


TARGETS = _targets()


def _seed_bytes(path: Path, kind: str, rng: random.Random) -> bytes:
    data = path.read_bytes()
    if kind == "txhex":  # a few raw transactions of the blk file, as hex lines
        from cryptotrace.io import _wire as wire
        from cryptotrace.io import raw

        recs = [r for _, r in raw.read_blk_records(path)]
        lines = []
        for rec in rng.sample(recs[160:], 3):
            end, _, _ = wire.parse_txs(rec, 81, 1, wire.Columns(), 0, "t")
            lines.append(rec[81:end].hex())
        return ("\n".join(lines) + "\n").encode()
    return data


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_mutated_files_load_or_fail_clearly(target, tmp_path):
    seeds, kind, default_cases, load = TARGETS[target]
    assert seeds, f"no seed files for {target}"
    rng = random.Random(f"cryptotrace-fuzz-{target}")
    failures = []
    loaded = refused = 0
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for case in range(CASES or default_cases):
            seed = rng.choice(seeds)
            original = _seed_bytes(seed, kind, rng)
            mkind = kind if kind in ("json", "yaml", "csv") else "bytes"
            if kind == "jsonl":  # mutate one line as JSON
                lines = original.splitlines()
                k = rng.randrange(len(lines))
                lines[k] = mutate(lines[k], "json", rng)
                data = b"\n".join(lines)
            else:
                data = mutate(original, mkind, rng)
            path = tmp_path / f"case{case}{seed.suffix}"
            path.write_bytes(data)
            start = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, TIME_BOUND)
            # a hang inside C code (no Python bytecode runs, so no signal handler): end the run, with tracebacks
            faulthandler.dump_traceback_later(TIME_BOUND * 4, exit=True)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if load is None:  # one file of a dataset folder replaced
                        _load_dataset_with(seed.parent, tmp_path, seed.name, data)
                    elif load == "case":  # one file of a case pack replaced; open it and check an answer
                        pack = _case_with(seed.parent, tmp_path, seed.name, data)
                        pack.check("nps_vendor.peel_hops", 3)
                    else:
                        load(path)
                loaded += 1
            except CryptotraceError:
                refused += 1
            except Hang:
                failures.append(f"case {case} ({seed.name}): no answer within {TIME_BOUND:.0f} s")
            except Exception as exc:  # the finding: anything else escaped
                failures.append(f"case {case} ({seed.name}): {type(exc).__name__}: {str(exc)[:160]}")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                faulthandler.cancel_dump_traceback_later()
            if time.monotonic() - start > TIME_BOUND:
                failures.append(f"case {case} ({seed.name}): took {time.monotonic() - start:.1f} s")
    finally:
        signal.signal(signal.SIGALRM, old)
    print(
        f"fuzz {target}: {loaded + refused + len(failures)} cases, {loaded} loaded, {refused} refused with a "
        f"CryptotraceError, {len(failures)} other outcomes"
    )
    assert not failures, f"{target}: {len(failures)} of {loaded + refused + len(failures)} cases:\n" + "\n".join(
        failures[:15]
    )
    assert refused > 0  # the mutations did reach the checks
