"""Pieces shared by several commands: finding a dataset, the options and steps of a trace, and the
library's warnings shown as readable lines (never silenced)."""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

#: how a kind of warning is introduced on its line (others: "warning")
_WARNING_WORDS = {"TagWarning": "note", "SkippedDataWarning": "note", "ClusterCollapseWarning": "warning"}


def warning_lines(caught) -> list[str]:
    """Readable lines for warnings: ``"note: ..."`` (tags, skipped data), ``"warning: ..."``; repeats are
    shown once with a count.

    ``caught`` holds recorded warnings (``warnings.catch_warnings(record=True)``) or texts
    ``"Kind: message"`` (as :attr:`cryptotrace.Investigation.warnings` keeps them).
    """
    counts: dict[str, int] = {}
    for w in caught:
        if isinstance(w, str):
            kind, _, msg = w.partition(": ")
            if not msg:
                kind, msg = "", w
        else:
            kind, msg = w.category.__name__, str(w.message)
        line = f"{_WARNING_WORDS.get(kind, 'warning')}: {' '.join(msg.split())}"
        counts[line] = counts.get(line, 0) + 1
    return [line if n == 1 else f"{line} ({n} times)" for line, n in counts.items()]


def print_warnings(caught, file=None) -> None:
    """Print :func:`warning_lines` (to stderr by default, so a command's ``--json`` output stays clean)."""
    for line in warning_lines(caught):
        print(line, file=file if file is not None else sys.stderr)


@contextmanager
def shown_warnings(file=None):
    """Collect the library's warnings (TagWarning, ClusterCollapseWarning ...) inside the block and print
    them after it as readable lines, instead of Python's ``file:line: UserWarning`` form or silence.
    Warnings from other libraries (deprecations ...) pass on to Python's own handling."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    ours = [w for w in caught if issubclass(w.category, UserWarning)]
    for w in caught:
        if not issubclass(w.category, UserWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    print_warnings(ours, file)


def dataset_path(dataset: str) -> Path:
    """A dataset folder, or the folder of a bundled dataset given by name ('sample', 'colonial' ...)."""
    from ..errors import DatasetError
    from ..io.sample import sample_data_dir, sample_names

    if Path(dataset).exists():
        return Path(dataset)
    if dataset in sample_names():
        return sample_data_dir() / "datasets" / dataset
    raise DatasetError(
        f"no dataset folder {dataset!r} (and no bundled dataset by that name; bundled: "
        f"{', '.join(sample_names()) or 'none'}). Give the folder made by 'cryptotrace import' "
        "or chain.save(...)"
    )


def load_chain(dataset: str):
    """Load a dataset folder, or a bundled dataset by name."""
    from ..io.files import load_dataset

    return load_dataset(dataset_path(dataset))


def load_raw(inputs, height=None, prevouts=None):
    """A chain from raw data: raw blocks if the inputs parse as blocks, else raw transactions.

    Used by ``cryptotrace import --format raw`` and ``cryptotrace store import --format raw``.
    Blocks that parse but fail a check (merkle root, proof of work, witness commitment, links)
    are refused, not re-read as transactions.
    """
    from ..errors import BlockLinkError, InputFormatError, MerkleRootError, ProofOfWorkError, WitnessCommitmentError
    from ..io.raw import load_raw_blocks, load_raw_transactions

    try:
        return load_raw_blocks(inputs, heights=height, prevouts=prevouts)
    except (MerkleRootError, ProofOfWorkError, WitnessCommitmentError, BlockLinkError):
        raise  # blocks that were altered: not to be read as anything else
    except InputFormatError as block_error:
        try:
            return load_raw_transactions(inputs, prevouts=prevouts)
        except InputFormatError:
            raise block_error from None


def add_trace_arguments(p) -> None:
    """The options of ``cryptotrace trace``: dataset, start, the trace options, clustering, xpubs."""
    p.add_argument("dataset", help="a dataset folder, or the name of a bundled dataset such as 'sample'")
    add_trace_options(p)
    p.add_argument(
        "--heuristics",
        default="multi_input",
        help="clustering heuristics for the cluster column and the suspect's wallets: "
        "comma-separated, 'all', or 'none' (default: multi_input)",
    )
    p.add_argument(
        "--xpub",
        action="append",
        default=[],
        metavar="KEY",
        help="an account public key (xpub/ypub/zpub) from a seized device: coins at its addresses "
        "count as the suspect's (repeat for several)",
    )


def add_trace_options(p) -> None:
    """Start, policy, direction, limits and tags: the same for a trace of a dataset and of a chain store."""
    from ..tracing import FEE_POLICIES, POLICIES

    p.add_argument(
        "--from",
        dest="start",
        action="append",
        required=True,
        metavar="TXID:VOUT|ADDRESS",
        help="where the trace starts: an output txid:vout, an address or a txid (repeat for several)",
    )
    p.add_argument("--policy", default="haircut", choices=list(POLICIES), help="taint policy (default haircut)")
    p.add_argument(
        "--direction",
        default="forward",
        choices=("forward", "backward"),
        help="forward: where did the coins go (default); backward: where did they come from",
    )
    p.add_argument("--max-hops", type=int, default=10, help="how many transactions to follow (default 10)")
    p.add_argument(
        "--min-value",
        type=int,
        default=546,
        help="satoshis below which a coin is not followed (default 546, the dust limit)",
    )
    p.add_argument(
        "--fee-policy",
        default=None,
        choices=list(FEE_POLICIES),
        help="how the fee takes taint (default: the policy's published convention: proportional "
        "for haircut, last for FIFO, LIFO and TIHO)",
    )
    p.add_argument(
        "--tagpack",
        action="extend",
        nargs="+",
        default=[],
        metavar="FILE",
        help="tag files (GraphSense TagPack YAML or CSV, e.g. a case pack's tags.yaml and "
        "legal_responses/*.csv; folders are searched); the trace stops at tagged services",
    )
    p.add_argument("--no-stop", action="store_true", help="do not stop at tagged services")


def run_trace(args):
    """Load, tag, cluster and trace as the options say; returns (chain, tags, clustering, trace, candidates).

    ``candidates`` (the seizure candidates) is None for backward traces.
    """
    from ..tracing import seizure_candidates, trace

    chain = load_chain(args.dataset)
    tags = None
    if args.tagpack:
        from ..tags import load_tags

        with shown_warnings():
            tags = load_tags(args.tagpack)
    clustering = None
    if args.heuristics.strip().lower() != "none":
        from ..clustering import Clustering

        with shown_warnings():
            clustering = Clustering(heuristics=args.heuristics).fit(chain)
    start = args.start[0] if len(args.start) == 1 else args.start
    t = trace(
        chain,
        start,
        direction=args.direction,
        policy=args.policy,
        max_hops=args.max_hops,
        min_value=args.min_value,
        fee_policy=args.fee_policy,
        tags=tags,
        clustering=clustering,
        stop_at=None if args.no_stop else "services",
    )
    cands = seizure_candidates(t, clustering, tags, xpubs=args.xpub or None) if args.direction == "forward" else None
    return chain, tags, clustering, t, cands
