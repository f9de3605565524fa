"""cryptotrace fetch: download a transaction neighbourhood from an Esplora server into a dataset."""

from __future__ import annotations

NAME = "fetch"
HELP = "download transactions around addresses or txids from an Esplora server into a dataset"
DESCRIPTION = (
    "Ask an Esplora server (Blockstream, mempool.space or your own) for the history of some addresses "
    "and/or some transactions, follow the money --hops steps, and save the result as a dataset folder. "
    "Example: cryptotrace fetch --esplora https://blockstream.info/api --address 15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr "
    "--hops 1 -o colonial"
)
ORDER = 21


def add_arguments(p):
    p.add_argument("--esplora", required=True, metavar="URL", help="API root, e.g. https://blockstream.info/api")
    p.add_argument("--address", action="append", default=[], metavar="A", help="start from this address (repeatable)")
    p.add_argument("--tx", action="append", default=[], metavar="TXID", help="start from this transaction (repeatable)")
    p.add_argument("--hops", type=int, default=0, help="how many steps to follow the money (default 0)")
    p.add_argument(
        "--direction",
        choices=("forward", "backward", "both"),
        default="forward",
        help="forward: where the money went; backward: where it came from (default forward)",
    )
    p.add_argument("--max-txs", type=int, default=500, help="stop after this many transactions (default 500)")
    p.add_argument("--cache", metavar="DIR", help="keep every answer in this folder (re-runs need no network)")
    p.add_argument("--offline", action="store_true", help="use only the --cache folder, no network")
    p.add_argument("--rate-limit", type=float, default=4.0, help="requests per second at most (default 4)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each answer (default 30)")
    p.add_argument("-o", "--output", required=True, metavar="DATASET", help="dataset folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset folder")


def run(args) -> int:
    from ..errors import FetchError
    from ..io.esplora import EsploraClient, fetch_neighborhood
    from ..io.files import save_dataset

    seeds = list(args.address) + list(args.tx)
    if not seeds:
        raise FetchError("give at least one --address or --tx to start from")
    client = EsploraClient(
        args.esplora,
        cache_dir=args.cache,
        offline=args.offline,
        timeout=args.timeout,
        rate_limit=args.rate_limit or None,
    )
    chain = fetch_neighborhood(client, seeds, hops=args.hops, direction=args.direction, max_txs=args.max_txs)
    path = save_dataset(
        chain,
        args.output,
        overwrite=args.overwrite,
        extra={
            "source": "esplora",
            "server": args.esplora,
            "seeds": seeds,
            "hops": args.hops,
            "direction": args.direction,
        },
    )
    print(f"Fetched {len(chain):,} transactions ({client.n_requests} requests) into {path}:")
    print(chain.describe())
    return 0
