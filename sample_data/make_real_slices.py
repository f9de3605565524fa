"""Rebuild the real-case teaching datasets in sample_data/datasets/ from the verified mainnet records.

The records live in ``../shared/data/real`` beside the project (see its README
and PROVENANCE files). Each slice is loaded with cryptotrace's own loaders
(every txid recomputed or cross-checked, every merkle root checked) and saved
in the cryptotrace dataset format with its source noted in the manifest::

    python sample_data/make_real_slices.py                 # all slices
    python sample_data/make_real_slices.py colonial hydra  # some
    python sample_data/make_real_slices.py --real /path/to/shared/data/real

Loading them: ``cryptotrace.load_sample("colonial")``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_REAL = HERE.parent.parent / "shared" / "data" / "real"

#: name -> (loader, files relative to the real-data folder, what it is)
SLICES = {
    "hal_finney": (
        "blk",
        ["blocks/mainnet_blk_0-256.dat"],
        "mainnet blocks 0-255 from a Bitcoin Core blk file (btcd test data, ISC); block 170 holds "
        "f4184fc5..., Satoshi -> Hal Finney 10 BTC, 40 BTC change, and the peel chain after it",
    ),
    "colonial": (
        "esplora",
        [
            "esplora-cases/colonial_ransom_txs.json",
            "esplora-cases/colonial_anchor_txs.json",
            "esplora-cases/colonial_fbi_txs.json",
        ],
        "Colonial Pipeline / DarkSide ransom (75 BTC, 2021-05-08) and the FBI seizure of 63.69996546 BTC "
        "(943f2d57..., 2021-06-07); address histories as recorded in 2026 (with later dust)",
    ),
    "bitfinex": (
        "esplora",
        ["esplora-cases/bitfinex_theft_tx.json", "esplora-cases/bitfinex_seizure_tx.json"],
        "Bitfinex 2016 theft tx 5c7134d4... (567.48 BTC to 1CGA4s...) and the 2022 seizure consolidation "
        "c49ff6bd... (562 inputs from 166 addresses)",
    ),
    "whirlpool": (
        "esplora",
        ["esplora-cases/coinjoin_tx.json", "esplora-cases/coinjoin_tx0.json"],
        "a Samourai Whirlpool-style CoinJoin 323df21f... (5 inputs, 5 x 0.05 BTC) and its premix tx0 "
        "333f4543... (1 input, 19 outputs)",
    ),
    "hydra": (
        "esplora",
        ["esplora-cases/hydra_anchor_txs.json"],
        "the OFAC-listed Hydra market address 16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T: the tx funding it "
        "(e5015b6e..., 2020-08-19) and the tx spending it (c41de249...)",
    ),
}
SOURCES = {
    "blk": "github.com/btcsuite/btcd (ISC), via shared/data/real/blocks",
    "esplora": "Blockstream Esplora API answers recorded in github.com/troyfol/Blockchain_Investigation_Hub "
    "(GPL-3.0 repository; raw public-ledger responses), via shared/data/real/esplora-cases",
}


def build(name: str, real: Path):
    """The Chain of one slice, loaded from the real records."""
    import cryptotrace as ct

    kind, files, _ = SLICES[name]
    paths = [real / f for f in files]
    return ct.load_blk_files(paths) if kind == "blk" else ct.load_esplora(paths)


def main(argv=None) -> int:
    from cryptotrace.io.files import save_dataset

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "names", nargs="*", default=list(SLICES), help=f"slices to build (default all: {', '.join(SLICES)})"
    )
    ap.add_argument("--real", type=Path, default=DEFAULT_REAL, help="the shared/data/real folder")
    ap.add_argument("--out", type=Path, default=HERE / "datasets", help="where the dataset folders go")
    args = ap.parse_args(argv)
    for name in args.names:
        if name not in SLICES:
            ap.error(f"unknown slice {name!r}; choose from {', '.join(SLICES)}")
        kind, files, what = SLICES[name]
        chain = build(name, args.real)
        path = save_dataset(
            chain,
            args.out / name,
            overwrite=True,
            extra={
                "source": SOURCES[kind],
                "records": files,
                "about": what,
                "made_by": "sample_data/make_real_slices.py",
            },
        )
        print(f"{name}: {chain!r} -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
