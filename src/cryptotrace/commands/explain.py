"""cryptotrace explain DATASET A B: why two addresses are in one cluster (or what heuristics say about a tx)."""

from __future__ import annotations

NAME = "explain"
HELP = "say why two addresses are clustered together, or what every heuristic says about a transaction"
ORDER = 41
DESCRIPTION = (
    "With two addresses: the shortest chain of transactions (and the heuristic used at each) that puts them "
    "in one cluster, or that they are not linked. With one txid: which heuristics fire on that transaction "
    "and what each concludes."
)


def add_arguments(p):
    p.add_argument("dataset", help="a dataset folder, or the name of a bundled dataset such as 'sample'")
    p.add_argument("first", metavar="ADDR_A_OR_TXID", help="an address, or a txid to explain one transaction")
    p.add_argument("second", metavar="ADDR_B", nargs="?", help="the second address")
    p.add_argument(
        "--heuristics", default="multi_input", help="comma-separated heuristic names, or 'all' (default: multi_input)"
    )
    p.add_argument(
        "--no-skip-coinjoin", dest="skip_coinjoin", action="store_false", help="also use CoinJoin transactions"
    )


def run(args) -> int:
    import re

    from ..clustering import Clustering
    from ..errors import ClusteringError
    from ..heuristics import explain
    from ._common import load_chain, shown_warnings

    chain = load_chain(args.dataset)
    if args.second is None:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", args.first):
            raise ClusteringError(
                f"{args.first!r} is not a txid (64 hex characters); to explain a link give two "
                "addresses: cryptotrace explain DATASET ADDR_A ADDR_B"
            )
        print(explain(chain, args.first))
        return 0
    with shown_warnings():
        c = Clustering(args.heuristics, skip_coinjoin=args.skip_coinjoin).fit(chain)
    e = c.explain(args.first, args.second)
    print(e)
    return 0 if e.linked else 1
