"""The cryptotrace dataset format: a folder of Parquet tables plus ``manifest.json``.

This module writes, hashes and checks dataset folders and knows nothing of
:class:`~cryptotrace.Chain` beyond its :meth:`~cryptotrace.Chain.saved_tables`;
:func:`cryptotrace.io.files.load_dataset` turns a folder back into a Chain.

::

    my-case/
      manifest.json     format name, schema version, row counts, SHA-256 of each table and of the whole
      blocks.parquet    height, hash, time, n_tx
      txs.parquet       txid, block_height, time, version, locktime, size, vsize, fee, is_coinbase, n_in, n_out
      inputs.parquet    txid, vin, prev_txid, prev_vout, address, value, sequence, is_external
      outputs.parquet   txid, vout, address, value, script_type, spent_by_txid, spent_by_vin

    inputs_index.parquet, outputs_index.parquet, addresses.parquet
                      the integer index (tx row, spent/spending row, address code) that makes
                      loading fast; derived from the four tables, checked by hash, rebuilt if absent

Amounts are integer satoshis; times are UTC. The ``sha256`` in the manifest is
the SHA-256 of the four tables' own SHA-256 digests, one ``name digest`` line
each in the order above, so a dataset's identity can be quoted in a report
and checked by anyone.

Saving is atomic: the tables are written into a hidden folder beside the
target and renamed into place only when complete, so an interrupted save
never leaves a dataset that loads half-written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._safe import loads_json
from .errors import DatasetError, DatasetIntegrityError

FORMAT_NAME = "cryptotrace-dataset"
#: 2: the dataset SHA-256 covers the saved index too (version 1 datasets load, their index rebuilt)
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
TABLES = ("blocks", "txs", "inputs", "outputs")
#: derived integer index, saved so that loading needs no re-indexing. It is part of the dataset
#: SHA-256: everything an analysis reads is covered by the hash a report quotes.
INDEX_TABLES = ("inputs_index", "outputs_index", "addresses")
#: a temporary folder this old is left over from an interrupted save, not one being written
STALE_SECONDS = 600

__all__ = [
    "FORMAT_NAME",
    "SCHEMA_VERSION",
    "content_hash",
    "read_dataset_tables",
    "read_manifest",
    "save_dataset",
    "verify_dataset",
    "atomic_folder",
    "atomic_write_bytes",
    "atomic_write_text",
    "recover_folder",
]


def _parquet_bytes(df):
    """The table as Parquet (zstd), in a buffer that supports the buffer protocol (no extra copy)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _table_bytes(chain, with_index: bool = False):
    """(name, Parquet bytes) of each file, one at a time (only one table's bytes are in memory at once)."""
    for name, df in chain.saved_tables():
        if with_index or name in TABLES:
            yield name, _parquet_bytes(df)


def combine_digests(digests: dict[str, str], version: int = SCHEMA_VERSION) -> str:
    names = TABLES if version == 1 else TABLES + INDEX_TABLES
    lines = "".join(f"{name} {digests[name]}\n" for name in names)
    return hashlib.sha256(lines.encode()).hexdigest()


def content_hash(chain) -> str:
    """The dataset SHA-256 that :func:`save_dataset` would write for ``chain``.

    It covers the four tables and the integer index saved beside them (every
    file :func:`load_dataset` reads), so no saved file can change an analysis
    without changing this hash.
    """
    return combine_digests({k: hashlib.sha256(v).hexdigest() for k, v in _table_bytes(chain, with_index=True)})


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write a file so that it is either complete or absent: write aside, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_text(path, text: str) -> Path:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def atomic_folder(path) -> Iterator[Path]:
    """Write a whole folder atomically.

    Yields an empty hidden folder beside ``path`` to write into. When the
    ``with`` block ends without an error, that folder replaces ``path`` (an old
    ``path`` stays intact until then); on an error or an interruption it is
    removed and ``path`` is untouched.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with atomic_folder(target) as tmp:
    ...     _ = (tmp / "a.txt").write_text("complete")
    >>> (target / "a.txt").read_text()
    'complete'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        yield tmp
        _fsync_dir(tmp)
        if path.exists():
            old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def recover_folder(path) -> bool:
    """Undo what an interrupted :func:`atomic_folder` left beside ``path``; True if ``path`` was restored.

    * ``path`` missing but its previous version kept aside (``.NAME.old-*``): the
      save was interrupted between its two renames, so the previous version is
      put back (with a warning);
    * previous versions left beside a complete ``path`` are removed;
    * temporary folders (``.NAME.tmp-*``) untouched for :data:`STALE_SECONDS`
      are half-written saves: removed.
    """
    import time
    import warnings

    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        return False
    restored = False
    olds = sorted(parent.glob(f".{path.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not path.exists():
        os.replace(olds.pop(), path)
        _fsync_dir(parent)
        restored = True
        warnings.warn(
            f"{path} was being replaced when the program stopped; its previous version has been "
            "restored. Save again if you meant to replace it",
            stacklevel=3,
        )
    if path.exists():
        for old in olds:
            shutil.rmtree(old, ignore_errors=True)
    now = time.time()
    for tmp in parent.glob(f".{path.name}.tmp-*"):
        try:
            if now - tmp.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink()
        except OSError:
            continue
    return restored


def save_dataset(chain, path, *, overwrite: bool = False, extra: dict | None = None) -> Path:
    """Save ``chain`` as a dataset folder at ``path`` (atomically).

    Parameters
    ----------
    chain : Chain
    path : str or Path
        The folder to create.
    overwrite : bool, default False
        Replace an existing dataset at ``path``. The old one stays intact
        until the new one is complete.
    extra : dict, optional
        More fields for the manifest (e.g. ``{"source": "esplora"}``).

    Returns
    -------
    Path of the dataset folder.

    Examples
    --------
    >>> import cryptotrace as ct, json, pathlib, tempfile
    >>> folder = ct.save_dataset(ct.load_sample("hal_finney"), pathlib.Path(tempfile.mkdtemp()) / "blocks",
    ...                          extra={"source": "btcd test data"})
    >>> json.loads((folder / "manifest.json").read_text())["extra"]
    {'source': 'btcd test data'}
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise DatasetError(
            f"{path} already exists; choose another folder, or pass overwrite=True "
            "(--overwrite on the command line) to replace it"
        )
    if path.exists() and not (path / "manifest.json").exists() and any(path.iterdir()):
        raise DatasetError(
            f"{path} exists and is not a cryptotrace dataset; refusing to replace it. Choose an empty or new folder."
        )
    with atomic_folder(path) as tmp:
        digests = {}
        for name, data in _table_bytes(chain, with_index=True):
            with open(tmp / f"{name}.parquet", "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            digests[name] = hashlib.sha256(data).hexdigest()
        manifest = {
            "format": FORMAT_NAME,
            "schema_version": SCHEMA_VERSION,
            "counts": {name: int(len(getattr(chain, name))) for name in TABLES},
            "files": {name: {"path": f"{name}.parquet", "sha256": digests[name]} for name in TABLES + INDEX_TABLES},
            "sha256": combine_digests(digests),
        }
        if extra:
            manifest["extra"] = extra
        # the manifest is written last: a folder without it is never a dataset
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def read_manifest(path) -> dict:
    """Read and check a dataset's ``manifest.json``."""
    path = Path(path)
    if not path.exists() and not recover_folder(path):
        raise DatasetError(
            f"no dataset at {path}: the folder does not exist. Check the path "
            "(cryptotrace.load_sample() loads the bundled sample)"
        )
    mpath = path / "manifest.json"
    if not mpath.exists():
        raise DatasetError(
            f"{path} is not a cryptotrace dataset: it has no manifest.json. "
            "Make datasets with chain.save(path) or `cryptotrace import`"
        )
    try:
        manifest = loads_json(mpath.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DatasetIntegrityError(
            f"{mpath} is not valid JSON ({exc}); the dataset is damaged. Save or download it again"
        ) from None
    if manifest.get("format") != FORMAT_NAME:
        raise DatasetError(f"{mpath} does not describe a {FORMAT_NAME} (format is {manifest.get('format')!r})")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise DatasetError(f"{mpath} does not describe a {FORMAT_NAME}")
    if manifest.get("schema_version") not in READABLE_VERSIONS:
        raise DatasetError(
            f"{path} uses schema version {manifest.get('schema_version')!r}; this cryptotrace reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}. Upgrade cryptotrace or re-create "
            "the dataset"
        )
    files = manifest.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(e, dict) for e in files.values()):
        raise DatasetIntegrityError(f"{mpath}: its 'files' entry is damaged; use an untouched copy of the dataset")
    for name, entry in files.items():
        rel = entry.get("path", f"{name}.parquet")
        if (
            not isinstance(rel, str)
            or len(rel) > 200
            or "\x00" in rel
            or Path(rel).is_absolute()
            or Path(rel).name != rel
            or rel in ("", ".", "..")
        ):
            raise DatasetIntegrityError(
                f"{mpath}: the {name} table's path {rel!r} leads outside the dataset folder; a dataset's files "
                "are plain names inside its folder. The manifest was edited: use an untouched copy"
            )
    return manifest


def _file_names(manifest: dict) -> tuple[str, ...]:
    """The files a dataset of this manifest's version must hold (and its hash covers)."""
    if manifest.get("schema_version", 1) >= 2:
        return TABLES + INDEX_TABLES
    return TABLES + tuple(n for n in INDEX_TABLES if n in manifest.get("files", {}))


def _dataset_files(path: Path, manifest: dict):
    """``(name, manifest entry, file path)`` of every file the dataset must hold (a missing one: DatasetError)."""
    for name in _file_names(manifest):
        entry = manifest.get("files", {}).get(name)
        fpath = path / (entry or {}).get("path", f"{name}.parquet")
        if not fpath.exists():
            raise DatasetError(
                f"dataset {path} lacks its {name} table ({fpath.name}); it is incomplete. Save or download it again"
            )
        yield name, entry, fpath


def _check_digest(path: Path, name: str, entry, digest: str) -> None:
    if entry and digest != entry.get("sha256"):
        raise DatasetIntegrityError(
            f"{path} was changed after the dataset was saved: its SHA-256 is {digest[:16]}..., "
            f"the manifest says {str(entry.get('sha256'))[:16]}... Use an untouched copy of the dataset "
            "(evidence must not be edited), or re-create it from its source"
        )


def verify_dataset(path) -> dict:
    """Check every file of a dataset folder against its manifest without loading it; return the manifest.

    Files are hashed in 16 MiB pieces (memory stays small whatever the dataset's size), each
    against its own line of the manifest, then all together against the dataset SHA-256.
    :func:`load_dataset` does the same checks on the bytes it loads.
    """
    path = Path(path)
    manifest = read_manifest(path)
    digests = {}
    for name, entry, fpath in _dataset_files(path, manifest):
        h = hashlib.sha256()
        with open(fpath, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 24), b""):
                h.update(block)
        digests[name] = h.hexdigest()
        _check_digest(fpath, name, entry, digests[name])
    if combine_digests(digests, manifest.get("schema_version", 1)) != manifest.get("sha256"):
        raise DatasetIntegrityError(
            f"{path}/manifest.json: the dataset hash does not match its tables. Use an untouched copy of the dataset"
        )
    return manifest


#: id columns a Chain rebuilds from the saved index (not decoded when the index is used)
_FROM_INDEX = {"inputs": ("txid", "address"), "outputs": ("txid", "address")}
#: txid columns of which a Chain reads only some rows: kept as Arrow dictionaries, decoded row by row
_AS_DICTIONARY = {"inputs": ("prev_txid",), "outputs": ("spent_by_txid",)}


def _decode(data: bytes, name: str, use_index: bool, fpath: Path):
    """One Parquet file as a DataFrame.

    When the saved index is used (``use_index``), the id columns it rebuilds are
    not decoded, and ``prev_txid`` / ``spent_by_txid`` stay Arrow dictionaries
    (pandas ``ArrowDtype``) of which the Chain decodes only the rows it needs.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        names = pf.schema_arrow.names
        cols = [c for c in names if not (use_index and c in _FROM_INDEX.get(name, ()))]
        dicts = [c for c in _AS_DICTIONARY.get(name, ()) if c in cols] if use_index else []
        table = pq.read_table(io.BytesIO(data), columns=cols, read_dictionary=dicts, use_threads=False)
        df = table.drop_columns(dicts).to_pandas()
        for c in dicts:
            df[c] = pd.Series(pd.arrays.ArrowExtensionArray(table[c]), index=df.index)
        return df
    except Exception as exc:  # pyarrow raises several kinds
        raise DatasetIntegrityError(f"{fpath} is not a readable Parquet file ({exc}). Re-create the dataset") from None


def read_dataset_tables(path, *, use_index: bool = True, verify_hash: bool = True) -> tuple[dict, dict]:
    """``(tables by file name, manifest)`` of a dataset folder, every file checked against the manifest.

    The SHA-256 of every file is checked first: a file changed after saving
    gives :class:`DatasetIntegrityError` naming it. ``use_index`` is honoured only
    when the dataset hash covers the index (schema version 2); it says whether
    the tables were read for :meth:`Chain.from_saved_tables` (``"index"`` in the
    returned tables' keys tells).
    """
    path = Path(path)
    manifest = read_manifest(path)
    version = manifest.get("schema_version")
    use_index = use_index and verify_hash and version >= 2
    tables, digests = {}, {}
    for name, entry, fpath in _dataset_files(path, manifest):
        data = fpath.read_bytes()
        digests[name] = hashlib.sha256(data).hexdigest()
        if verify_hash:
            _check_digest(fpath, name, entry, digests[name])
        tables[name] = _decode(
            data, name, use_index and all(n in manifest.get("files", {}) for n in INDEX_TABLES), fpath
        )
        del data
    if verify_hash and combine_digests(digests, version) != manifest.get("sha256"):
        raise DatasetIntegrityError(
            f"{path}/manifest.json: the dataset hash does not match its tables. Use an untouched copy of the dataset"
        )
    return tables, manifest
