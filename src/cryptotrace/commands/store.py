"""cryptotrace store ...: a chain store (Parquet on disk, DuckDB to query) for data larger than memory."""

from __future__ import annotations

import json

NAME = "store"
HELP = "keep large data in a chain store (Parquet + DuckDB): import, info, cluster, extract, trace"
ORDER = 25
DESCRIPTION = (
    "A chain store keeps the four tables as Parquet files, one batch of blocks per file, and queries them "
    "with DuckDB, so the data may be larger than memory. Import into it, then take out the small chain "
    "you need (a neighbourhood, a trace) as an ordinary dataset.\n\n"
    "  cryptotrace store import --format blk blk00000.dat blk00001.dat my-store\n"
    "  cryptotrace store info my-store\n"
    "  cryptotrace store cluster my-store -o clusters.csv\n"
    "  cryptotrace store extract my-store --from ADDRESS --hops 2 -o case-slice\n"
    "  cryptotrace store trace my-store --from TXID:VOUT --max-hops 6"
)
FORMATS = ("dataset", "blk", "raw", "etl", "core-rpc", "esplora")


def add_arguments(p):
    import argparse

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = p.add_subparsers(dest="store_command", metavar="STEP", title="steps")
    sub.required = True

    q = sub.add_parser(
        "import",
        help="append data to a store (created if new), in atomic batches",
        description="Append data to a store (created if new). Each batch of blocks is written "
        "completely or not at all; run the same import again after an interruption "
        "and it skips what is stored and goes on. Dataset, etl, esplora and core-rpc "
        "and blk inputs are read one file at a time (blk: the block headers of all files "
        "are read first, for the heights); raw inputs are read together.",
    )
    q.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to read")
    q.add_argument("store", metavar="STORE", help="the store folder (the last argument)")
    q.add_argument("--format", "-f", required=True, choices=FORMATS, help="what the input files are")
    q.add_argument(
        "--batch-txs",
        type=int,
        default=200_000,
        help="about how many transactions per batch (whole blocks; default 200,000)",
    )
    q.add_argument("--height", type=int, metavar="N", help="raw/blk only: height of the first block, if needed")
    q.set_defaults(_step=_import)

    q = sub.add_parser("info", help="what a store holds")
    q.add_argument("store", metavar="STORE")
    q.add_argument("--json", action="store_true", help="print machine-readable JSON")
    q.set_defaults(_step=_info)

    q = sub.add_parser("cluster", help="multi-input clustering over the whole store; writes address,cluster_id")
    q.add_argument("store", metavar="STORE")
    q.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"), help="default duckdb")
    q.add_argument(
        "--no-skip-coinjoin",
        dest="skip_coinjoin",
        action="store_false",
        help="also use CoinJoin transactions (not advised)",
    )
    q.add_argument("-o", "--output", required=True, help="CSV file to write (address,cluster_id)")
    q.set_defaults(_step=_cluster)

    q = sub.add_parser("extract", help="take the transactions around addresses or txids out as a dataset")
    q.add_argument("store", metavar="STORE")
    q.add_argument(
        "--from",
        dest="seeds",
        action="append",
        required=True,
        metavar="ADDRESS|TXID",
        help="where to start (repeat for several)",
    )
    q.add_argument("--hops", type=int, default=1, help="how many transactions away (default 1)")
    q.add_argument("--direction", default="both", choices=("both", "forward", "backward"))
    q.add_argument("--max-txs", type=int, default=200_000, help="refuse a larger extract (default 200,000)")
    q.add_argument("-o", "--output", required=True, metavar="DATASET", help="dataset folder to write")
    q.add_argument("--overwrite", action="store_true", help="replace an existing dataset folder")
    q.set_defaults(_step=_extract)

    from ._common import add_trace_options

    q = sub.add_parser("trace", help="follow coins through the store (extracts what the trace can reach)")
    q.add_argument("store", metavar="STORE")
    add_trace_options(q)  # the same options, defaults and published fee conventions as `cryptotrace trace`
    q.add_argument("--max-txs", type=int, default=200_000, help="refuse a larger extract (default 200,000)")
    q.add_argument(
        "--clusters",
        action="store_true",
        help="use the store's clustering ('store cluster' first) for the cluster column and for tags "
        "that reach a whole cluster",
    )
    q.add_argument("--limit", type=int, default=20, help="endpoints to print (default 20)")
    q.add_argument("--json", action="store_true", help="print machine-readable JSON (amounts in satoshis)")
    q.set_defaults(_step=_trace)


def _open(path, *, must_exist: bool = True):
    from pathlib import Path

    from ..errors import StoreError
    from ..store import ChainStore

    if must_exist and not (Path(path) / "manifest.json").exists():
        raise StoreError(f"no chain store at {str(path)!r}; make one with 'cryptotrace store import'")
    return ChainStore(path)


def _import(args) -> int:
    from tqdm.auto import tqdm

    from ..errors import InputFormatError

    fmt = args.format
    if args.height is not None and fmt not in ("raw", "blk"):
        raise InputFormatError(f"--height is for raw blocks and blk files; {fmt} data carries it already")
    store = _open(args.store, must_exist=False)
    before = store.n_txs
    if fmt == "blk":
        store.import_blk_files(list(args.inputs), height=args.height, batch_txs=args.batch_txs)
    elif fmt == "raw":
        from ._common import load_raw

        store.import_chain(load_raw(list(args.inputs), args.height), batch_txs=args.batch_txs)
    else:
        if fmt == "dataset":
            from ._common import dataset_path

            items = [dataset_path(x) for x in args.inputs]
            for item in tqdm(items, desc="inputs", unit="input", leave=False, disable=len(items) < 2 or None):
                store.import_dataset(item, batch_txs=args.batch_txs)
            items = []
        else:
            if fmt == "esplora":
                from ..io.esplora import load_esplora as load
            elif fmt == "core-rpc":
                from ..io.core_rpc import load_core_json as load
            else:
                from ..io.etl import load_etl as load
            items = list(args.inputs)
        for item in tqdm(items, desc="inputs", unit="input", leave=False, disable=len(items) < 2 or None):
            store.import_chain(load(item), batch_txs=args.batch_txs)
    print(f"Added {store.n_txs - before:,} transactions ({fmt}).")
    print(store.describe())
    return 0


def _info(args) -> int:
    store = _open(args.store)
    if args.json:
        print(json.dumps(store.summary(), indent=2))
    else:
        print(store.describe())
    return 0


def _cluster(args) -> int:
    store = _open(args.store)
    res = store.cluster(engine=args.engine, skip_coinjoin=args.skip_coinjoin)
    res.to_csv(args.output)
    sizes = res.sizes()["size"]
    print(
        f"{int(sizes.sum()):,} addresses in {res.n_clusters_:,} clusters; largest {int(sizes.max()):,} addresses; "
        f"{int((sizes > 1).sum()):,} clusters with 2 or more addresses."
    )
    print(
        f"Heuristics: multi_input ({args.engine}); "
        f"{'skipped' if args.skip_coinjoin else 'used'} {res.n_skipped_:,} multi-input CoinJoin transaction(s)."
    )
    print(f"Wrote {args.output}")
    return 0


def _extract(args) -> int:
    from ..io.files import save_dataset

    store = _open(args.store)
    chain = store.extract(args.seeds, hops=args.hops, direction=args.direction, max_txs=args.max_txs)
    path = save_dataset(
        chain,
        args.output,
        overwrite=args.overwrite,
        extra={
            "source": "store",
            "store": str(store.path),
            "seeds": args.seeds,
            "hops": args.hops,
            "direction": args.direction,
        },
    )
    print(f"Extracted {args.hops}-hop ({args.direction}) neighbourhood into {path}:")
    print(chain.describe())
    return 0


def _trace(args) -> int:
    import pandas as pd

    from ..units import format_btc

    store = _open(args.store)
    start = args.start[0] if len(args.start) == 1 else args.start
    tags = None
    if args.tagpack:
        from ..tags import load_tags
        from ._common import shown_warnings

        with shown_warnings():
            tags = load_tags(args.tagpack)
    t = store.trace(
        start,
        direction=args.direction,
        policy=args.policy,
        max_hops=args.max_hops,
        min_value=args.min_value,
        fee_policy=args.fee_policy,
        max_txs=args.max_txs,
        tags=tags,
        clustering="store" if args.clusters else None,
        stop_at=None if args.no_stop else "services",
    )
    if args.json:
        print(json.dumps(t.to_dict(), indent=2, default=str))
        return 0
    print(t.describe())
    ep = t.endpoints
    print(f"\nEndpoints (largest first; {len(ep):,} in all):")
    for r in ep.sort_values("tainted_value", ascending=False, kind="stable").head(args.limit).itertuples():
        where = r.txid if pd.isna(r.vout) else f"{r.txid}:{r.vout}"
        addr = "" if r.address is None or pd.isna(r.address) else r.address
        who = "" if r.service is None or pd.isna(r.service) else f"  [{r.service}]"
        print(f"  {format_btc(r.tainted_value):>22}  {r.kind:<15} {where}  {addr}{who}")
    return 0


def run(args) -> int:
    return int(args._step(args) or 0)
