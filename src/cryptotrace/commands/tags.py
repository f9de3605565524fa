"""cryptotrace tags DATASET --tagpack FILE...: which clusters (or addresses) of a dataset are tagged."""

from __future__ import annotations

NAME = "tags"
HELP = "list the tagged clusters of a dataset (exchanges, markets, mixers, ransomware ...)"
DESCRIPTION = (
    "Read attribution tags (GraphSense TagPack YAML, tag CSV files, or folders such as a case pack with "
    "legal_responses/) and list the clusters of DATASET that hold tagged addresses: the strongest tag's "
    "label, category, confidence and jurisdiction, and conflicts that suggest a false merge. Without the "
    "clustering module, tagged addresses are listed instead."
)
ORDER = 40


def add_arguments(p):
    p.add_argument("dataset", help="a dataset folder (made by 'cryptotrace import', 'case new' or chain.save)")
    p.add_argument(
        "--tagpack",
        "-t",
        nargs="+",
        required=True,
        metavar="FILE",
        help="TagPack .yaml, tag .csv files, or folders of them (e.g. a case pack)",
    )
    p.add_argument("--per-address", action="store_true", help="list tagged addresses instead of clusters")
    p.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first problem: an unknown category or concept, a bad field, a conflict, an "
        "address that does not decode (default: list it, say so, and go on)",
    )
    p.add_argument("--limit", type=int, default=50, metavar="N", help="show at most N rows (default 50; 0 = all)")
    p.add_argument("--csv", metavar="OUT", help="also write the full table to this CSV file")


def _show(df, limit: int) -> str:
    import pandas as pd

    shown = df if not limit or len(df) <= limit else df.head(limit)
    shown = shown.astype(object).where(shown.notna(), "")  # blanks, not <NA>, for readers
    with pd.option_context("display.max_colwidth", 40, "display.width", 200, "display.max_columns", 20):
        text = shown.to_string()
    if len(shown) < len(df):
        text += f"\n... {len(df) - len(shown):,} more rows (use --limit 0 to see all, or --csv FILE)"
    return text


def run(args) -> int:
    import sys
    import warnings

    from ..io.files import atomic_write_text
    from ..tags import cluster_tags, load_tags
    from ._common import load_chain, print_warnings

    chain = load_chain(args.dataset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = load_tags(args.tagpack, strict=args.strict)
    print(f"Tags: {store.describe()}")
    print_warnings([w for w in caught if issubclass(w.category, UserWarning)], sys.stdout)
    addresses = chain.index.addresses
    in_chain = store.addresses.intersection(addresses)
    print(f"Dataset {args.dataset}: {len(addresses):,} addresses, {len(in_chain):,} of them tagged")

    table = None
    if not args.per_address:
        try:
            from ..clustering import Clustering
        except ImportError:
            print(
                "The clustering module is not available in this installation: listing tagged addresses "
                "instead of clusters."
            )
        else:
            clustering = Clustering().fit(chain)
            table = cluster_tags(clustering, store)
            table = table.sort_values(
                ["likely_false_merge", "confidence", "n_addresses"], ascending=[False, False, False]
            )
            cols = [
                "label",
                "category",
                "abuse",
                "confidence_name",
                "jurisdiction",
                "n_addresses",
                "n_tagged_addresses",
                "n_tags",
                "conflicts",
            ]
            print(
                f"{len(table):,} tagged cluster(s); {int(table['likely_false_merge'].sum()):,} with conflicting "
                "tags (likely false merges)"
            )
            if len(table):
                print(_show(table[cols], args.limit))
    if table is None:
        table = store.for_chain(chain)
        cols = ["label", "category", "abuse", "confidence_name", "jurisdiction", "n_tags", "source"]
        print(f"{len(table):,} tagged address(es)")
        if len(table):
            print(_show(table[cols], args.limit))
    if args.csv:
        from .._safe import frame_csv_text

        atomic_write_text(args.csv, frame_csv_text(table))  # formula cells guarded, one line per row
        print(f"wrote {args.csv}")
    return 0
