"""cryptotrace import: turn public Bitcoin data files into a dataset folder."""

from __future__ import annotations

NAME = "import"
HELP = "load Esplora, Bitcoin Core, raw block, blk*.dat or blockchain-etl files into a dataset"
DESCRIPTION = (
    "Read public Bitcoin data saved from an explorer or a node and write a cryptotrace dataset folder "
    "(checked tables plus a SHA-256 manifest).\n\n"
    "formats:\n"
    "  esplora   saved Esplora API answers (GET /tx/:txid, /address/:a/txs ...), or a client cache folder\n"
    "  core-rpc  saved Bitcoin Core answers: getblock (verbosity 2/3), getrawtransaction (verbose)\n"
    "  raw       raw blocks (binary or hex), or raw transactions (hex, one per line)\n"
    "  blk       Bitcoin Core blk*.dat files\n"
    "  etl       blockchain-etl / BigQuery crypto_bitcoin JSON lines"
)
ORDER = 20
FORMATS = ("esplora", "core-rpc", "raw", "blk", "etl")


def add_arguments(p):
    import argparse

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to read")
    p.add_argument("--format", "-f", required=True, choices=FORMATS, help="what the input files are")
    p.add_argument("-o", "--output", required=True, metavar="DATASET", help="dataset folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset folder")
    p.add_argument(
        "--height",
        type=int,
        metavar="N",
        help="raw/blk only: height of the first block, when it cannot be worked out "
        "(a block from before 2012 whose parent is not in the input)",
    )
    p.add_argument(
        "--prevouts",
        metavar="SOURCE",
        help="raw/blk only: where to look up the coins the inputs spend from outside the input "
        "(their values): an earlier DATASET folder, esplora:URL (e.g. "
        "esplora:https://blockstream.info/api) or core:http://USER:PASSWORD@HOST:8332",
    )


def prevouts_source(text: str | None):
    """The ``--prevouts`` text as a source for :func:`cryptotrace.io.prevouts.resolve_prevouts`."""
    if text is None:
        return None
    from urllib.parse import urlsplit, urlunsplit

    from ..errors import InputFormatError

    kind, _, url = text.partition(":")
    if kind == "esplora" and url:
        from ..io.esplora import EsploraClient

        return EsploraClient(url)
    if kind == "core" and url:
        from ..io.core_rpc import CoreRPCClient

        parts = urlsplit(url)
        bare = (
            urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), parts.path, "", ""))
            if parts.hostname
            else url
        )
        return CoreRPCClient(bare, user=parts.username, password=parts.password)
    from pathlib import Path

    from ._common import dataset_path

    path = dataset_path(text)
    if not Path(path).is_dir():
        raise InputFormatError(f"--prevouts {text!r} is not a dataset folder, esplora:URL or core:URL")
    return path


def run(args) -> int:
    from ..io.files import save_dataset
    from ._common import load_raw

    fmt = args.format
    height = getattr(args, "height", None)
    prevouts_text = getattr(args, "prevouts", None)
    for flag, value in (("--height", height), ("--prevouts", prevouts_text)):
        if value is not None and fmt not in ("raw", "blk"):
            from ..errors import InputFormatError

            raise InputFormatError(f"{flag} is for raw blocks and blk files; {fmt} data carries it already")
    prevouts = prevouts_source(prevouts_text)
    if fmt == "esplora":
        from ..io.esplora import load_esplora as load
    elif fmt == "core-rpc":
        from ..io.core_rpc import load_core_json as load
    elif fmt == "blk":
        from ..io.raw import load_blk_files

        def load(paths):
            return load_blk_files(paths, heights=height, prevouts=prevouts)
    elif fmt == "etl":
        from ..io.etl import load_etl as load
    else:

        def load(paths):
            return load_raw(paths, height, prevouts)

    chain = load(list(args.inputs))
    path = save_dataset(
        chain, args.output, overwrite=args.overwrite, extra={"source": fmt, "inputs": [str(x) for x in args.inputs]}
    )
    print(f"Imported {fmt} data into {path}:")
    print(chain.describe())
    return 0
