"""cryptotrace info DATASET: what a dataset holds."""

from __future__ import annotations

import json

NAME = "info"
HELP = "show what a dataset holds (counts, value, SHA-256)"
ORDER = 10


def add_arguments(p):
    p.add_argument(
        "dataset",
        help="a dataset folder (made by 'cryptotrace import', 'case new' or chain.save), "
        "or a bundled name such as 'sample'",
    )
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args) -> int:
    from ..io.files import load_dataset, read_manifest
    from ._common import dataset_path

    path = dataset_path(args.dataset)
    chain = load_dataset(path)
    sha = read_manifest(path)["sha256"]
    s = chain.summary()
    if args.json:
        keys = [
            "blocks",
            "txs",
            "inputs",
            "outputs",
            "addresses",
            "total_output_value",
            "inputs_without_address",
            "inputs_without_value",
        ]
        print(json.dumps({**{k: s[k] for k in keys}, "sha256": sha}, indent=2))
    else:
        print(f"Dataset {args.dataset}")
        print(chain.describe())
        print(f"SHA-256: {sha}")
    return 0
