"""Dataset folders to a :class:`~cryptotrace.Chain` and back (the format itself: :mod:`cryptotrace.dataset_format`).

``chain.save(path)`` / :func:`save_dataset` write a folder of Parquet tables
and a ``manifest.json`` with the SHA-256 of every file; :func:`load_dataset`
checks every hash and builds the Chain. The writing, hashing and atomic-folder
helpers live in :mod:`cryptotrace.dataset_format` (below the Chain, so the
Chain can save itself without an import cycle) and are re-exported here.
"""

from __future__ import annotations

from pathlib import Path

from ..chain import Chain
from ..dataset_format import (  # noqa: F401  (re-exported: the public home of the dataset functions)
    FORMAT_NAME,
    INDEX_TABLES,
    READABLE_VERSIONS,
    SCHEMA_VERSION,
    STALE_SECONDS,
    TABLES,
    combine_digests,
    atomic_folder,
    atomic_write_bytes,
    atomic_write_text,
    content_hash,
    read_dataset_tables,
    read_manifest,
    recover_folder,
    save_dataset,
    verify_dataset,
)

__all__ = [
    "FORMAT_NAME",
    "SCHEMA_VERSION",
    "content_hash",
    "load_dataset",
    "read_manifest",
    "save_dataset",
    "verify_dataset",
    "atomic_folder",
    "atomic_write_bytes",
    "atomic_write_text",
    "expand_paths",
]


def expand_paths(
    paths, suffixes: tuple[str, ...], what: str, *, recursive: bool = False
) -> tuple[list[Path], set[Path]]:
    """Files named in ``paths``, with folders searched for files ending in ``suffixes``.

    Returns ``(files, found_in_folders)``: loaders may skip a file of another
    kind found in a folder, but not one the user named. A missing path is an
    :class:`InputFormatError` naming ``what`` was expected there.
    """
    from ..errors import InputFormatError

    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    in_folder: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            pattern = p.rglob("*") if recursive else p.iterdir()
            found = sorted(x for x in pattern if x.is_file() and x.suffix in suffixes)
            files.extend(found)
            in_folder.update(found)
        elif p.exists():
            files.append(p)
        else:
            raise InputFormatError(f"no file or folder at {p}; check the path of {what}")
    return files, in_folder


def load_dataset(path, *, validate: bool = False, verify_hash: bool = True) -> Chain:
    """Load a dataset folder written by :meth:`Chain.save` (or ``cryptotrace import``).

    The SHA-256 of every table is checked against the manifest first: a
    file changed after saving gives :class:`DatasetIntegrityError` naming it.

    Parameters
    ----------
    path : str or Path
    validate : bool, default False
        Re-run every ledger check. Not needed for a dataset whose hash
        matches: it was checked when it was made.
    verify_hash : bool, default True

    Returns
    -------
    Chain

    Examples
    --------
    >>> import cryptotrace as ct, tempfile
    >>> chain = ct.load_sample("colonial")
    >>> folder = ct.save_dataset(chain, tempfile.mkdtemp() + "/colonial")
    >>> again = ct.load_dataset(folder)                   # every file's SHA-256 checked on the way in
    >>> again.content_hash == chain.content_hash
    True
    """
    import pyarrow as pa

    tables, manifest = read_dataset_tables(path, use_index=not validate, verify_hash=verify_hash)
    # the saved index is used only when the dataset hash covers it (version 2); otherwise it is rebuilt
    if not validate and verify_hash and manifest.get("schema_version") >= 2 and all(n in tables for n in INDEX_TABLES):
        chain = Chain.from_saved_tables(tables)
    else:
        inputs = tables["inputs"].drop(columns=["is_external"], errors="ignore")
        chain = Chain.from_tables(
            txs=tables["txs"], inputs=inputs, outputs=tables["outputs"], blocks=tables["blocks"], validate=validate
        )
    del tables
    pa.default_memory_pool().release_unused()  # the decoded files' memory goes back to the system
    return chain
