"""cryptotrace cluster DATASET: group addresses by owner and write address,cluster_id for every address."""

from __future__ import annotations

from ._common import load_chain

NAME = "cluster"
HELP = "group addresses by owner (multi-input, optional change heuristics) and write a CSV"
ORDER = 40
DESCRIPTION = (
    "Group the addresses of a dataset by owner. The default uses common-input ownership only "
    "(addresses spent together belong together) and skips CoinJoins. Add change heuristics with "
    "--heuristics multi_input,round_amount or --heuristics all. Writes address,cluster_id for every "
    "address (cluster 0 is the largest)."
)


def add_arguments(p):
    p.add_argument("dataset", help="a dataset folder, or the name of a bundled dataset such as 'sample'")
    p.add_argument(
        "--heuristics",
        default="multi_input",
        help="comma-separated heuristic names, or 'all' (default: multi_input). "
        "Names: multi_input, address_reuse, fresh_address, round_amount, script_type, "
        "optimal_change, wallet_fingerprint, peel_chain",
    )
    p.add_argument(
        "--no-skip-coinjoin",
        dest="skip_coinjoin",
        action="store_false",
        help="also use CoinJoin transactions (not advised: their inputs belong to many people)",
    )
    p.add_argument(
        "--refuse-collapse", action="store_true", help="drop change links that would merge two large clusters"
    )
    p.add_argument("-o", "--output", required=True, help="CSV file to write (address,cluster_id)")


def run(args) -> int:
    import sys
    import warnings

    from ..clustering import Clustering
    from .._safe import frame_csv_text
    from ..io.files import atomic_write_text

    chain = load_chain(args.dataset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = Clustering(args.heuristics, skip_coinjoin=args.skip_coinjoin, refuse_collapse=args.refuse_collapse).fit(
            chain
        )
    atomic_write_text(args.output, frame_csv_text(c.to_frame(), index=False))
    sizes = c.clusters_["size"]
    print(
        f"{len(c.labels_):,} addresses in {c.n_clusters_:,} clusters; largest {int(sizes.max()):,} addresses; "
        f"{int((sizes > 1).sum()):,} clusters with 2 or more addresses."
    )
    print(
        f"Heuristics: {', '.join(c.params_['heuristics'])}; "
        f"{'skipped' if args.skip_coinjoin else 'used'} {c.n_skipped_ if args.skip_coinjoin else 0:,} CoinJoin "
        "transaction(s)."
    )
    from ._common import print_warnings

    print_warnings([w for w in caught if issubclass(w.category, UserWarning)], sys.stdout)
    print(f"Wrote {args.output}")
    return 0
