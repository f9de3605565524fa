"""The answer key: the ground truth of a synthetic dataset.

It lives *beside* a trainee's dataset (in the instructor's part of a case
pack), never inside it. Heuristics are graded against it
(:func:`cryptotrace.evaluate`) and trainees' answers are checked with it.

On disk, an answer key is a folder::

    answer_key/
      manifest.json     format name, version, dataset sha256 it belongs to, and the pack's
                        check secret (the random bytes the self-check salts come from)
      addresses.csv     address, entity, entity_type
      txs.csv           txid, purpose, entity, is_coinjoin, change_vout
      entities.csv      entity, entity_type, name, jurisdiction (and any extra columns)
      facts.json        per-case facts (seizable amounts, suspects' entities ...), free-form JSON

``change_vout`` is the output number of the sender's change, empty when the
transaction has none (or the notion does not apply, e.g. a coinbase).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CaseError

FORMAT_NAME = "cryptotrace-answer-key"
VERSION = 2  # 2: the manifest may hold ``check_secret``; version 1 keys load unchanged (no secret)

__all__ = ["AnswerKey", "ENTITY_TYPES"]

#: Entity types the simulator uses (free text is allowed, these are the usual ones).
ENTITY_TYPES = (
    "user",
    "exchange",
    "merchant",
    "mining_pool",
    "cold_storage",
    "market",
    "vendor",
    "buyer",
    "mixer",
    "coinjoin_coordinator",
    "ransomware",
    "thief",
    "victim",
    "law_enforcement",
)


@dataclass
class AnswerKey:
    """Ground truth for a synthetic chain.

    Attributes
    ----------
    addresses : DataFrame
        Index ``address``; columns ``entity``, ``entity_type``. Every address of the chain has one owner.
    txs : DataFrame
        Index ``txid``; columns ``purpose`` (plain words), ``entity`` (who made the transaction),
        ``is_coinjoin`` (bool), ``change_vout`` (Int64; NA when there is no change).
    entities : DataFrame
        Index ``entity``; columns ``entity_type``, ``name``, ``jurisdiction`` and extras.
    facts : dict
        Per-case facts, e.g. ``{"nps_vendor": {"seizable_sats": ..., "suspect_entities": [...]}}``.
    dataset_sha256 : str or None
        The content hash of the dataset this key belongs to.
    check_secret : str or None
        Hex text of the random per-pack secret the self-check salts of ``questions.yaml`` come
        from (never derived from the scenario or its seed). Only the instructor has it: give it
        back to :func:`~cryptotrace.cases.make_case` (``secret=``) to remake the same pack byte
        for byte. None for keys not made with a case pack, and for keys older than version 2.

    Examples
    --------
    >>> from cryptotrace.cases import load_answer_key
    >>> key = load_answer_key("sample")                  # instructors only: the truth behind the sample
    >>> len(key.coinjoin_txids) > 0                     # it knows every CoinJoin it made
    True
    """

    addresses: pd.DataFrame
    txs: pd.DataFrame
    entities: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["entity_type", "name", "jurisdiction"]).rename_axis("entity")
    )
    facts: dict = field(default_factory=dict)
    dataset_sha256: str | None = None
    check_secret: str | None = None

    def __post_init__(self):
        self.addresses = _indexed(self.addresses, "address", ["entity", "entity_type"])
        self.txs = _indexed(self.txs, "txid", ["purpose", "entity", "is_coinjoin", "change_vout"])
        self.txs["is_coinjoin"] = self.txs.is_coinjoin.fillna(False).astype(bool)
        self.txs["change_vout"] = pd.to_numeric(self.txs.change_vout, errors="coerce").astype("Int64")
        self.entities = _indexed(self.entities, "entity", ["entity_type", "name", "jurisdiction"])

    # ------------------------------------------------------------------ lookups
    @property
    def owner(self) -> pd.Series:
        """address -> entity (who really controls each address)."""
        return self.addresses.entity

    @property
    def coinjoin_txids(self) -> set[str]:
        """The txids that are CoinJoins."""
        return set(self.txs.index[self.txs.is_coinjoin])

    @property
    def change_outputs(self) -> pd.DataFrame:
        """``txid, vout`` of every known change output."""
        c = self.txs.change_vout.dropna()
        return pd.DataFrame({"txid": c.index.to_numpy(), "vout": c.to_numpy(dtype="int64")})

    def __repr__(self) -> str:
        return (
            f"<AnswerKey: {len(self.addresses):,} addresses of {self.addresses.entity.nunique():,} entities, "
            f"{len(self.txs):,} txs ({int(self.txs.is_coinjoin.sum()):,} CoinJoins)>"
        )

    # ------------------------------------------------------------------ files
    def save(self, path) -> Path:
        """Write the answer key folder atomically (see the module docstring for the layout)."""
        from ..io.files import atomic_folder

        path = Path(path)
        with atomic_folder(path) as tmp:
            self.addresses.reset_index().to_csv(tmp / "addresses.csv", index=False, lineterminator="\n")
            self.txs.reset_index().to_csv(tmp / "txs.csv", index=False, lineterminator="\n")
            self.entities.reset_index().to_csv(tmp / "entities.csv", index=False, lineterminator="\n")
            (tmp / "facts.json").write_text(json.dumps(self.facts, indent=2, sort_keys=True, default=int) + "\n")
            manifest = {"format": FORMAT_NAME, "version": VERSION, "dataset_sha256": self.dataset_sha256}
            if self.check_secret:
                manifest["check_secret"] = self.check_secret
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path) -> AnswerKey:
        """Read an answer key folder written by :meth:`save`."""
        path = Path(path)
        m = path / "manifest.json"
        if not m.exists():
            raise CaseError(
                f"{path} is not an answer key folder (no manifest.json). Answer keys sit in the "
                "instructor part of a case pack, e.g. PACK/instructor/answer_key"
            )
        manifest = json.loads(m.read_text())
        if manifest.get("format") != FORMAT_NAME:
            raise CaseError(f"{m} is not a {FORMAT_NAME} manifest")
        if int(manifest.get("version", 1)) > VERSION:
            raise CaseError(
                f"{m} is an answer key of version {manifest['version']}, newer than this cryptotrace "
                f"reads (version {VERSION}); update cryptotrace ('pip install -U cryptotrace')"
            )

        def csv(name):
            return pd.read_csv(io.StringIO((path / name).read_text()), dtype=str, keep_default_na=False, na_values=[""])

        txs = csv("txs.csv")
        txs["is_coinjoin"] = txs.is_coinjoin.map({"True": True, "False": False})
        return cls(
            addresses=csv("addresses.csv"),
            txs=txs,
            entities=csv("entities.csv"),
            facts=json.loads((path / "facts.json").read_text()),
            dataset_sha256=manifest.get("dataset_sha256"),
            check_secret=manifest.get("check_secret"),
        )


def _indexed(df: pd.DataFrame, key: str, columns: list[str]) -> pd.DataFrame:
    df = df.copy()
    if df.index.name != key:
        if key not in df.columns:
            raise CaseError(f"answer key table needs a {key!r} column")
        df = df.set_index(key)
    for c in columns:
        if c not in df.columns:
            df[c] = pd.NA
    return df
