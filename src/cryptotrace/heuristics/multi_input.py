"""Common-input ownership (the multi-input heuristic).

To spend a coin you must sign for it. A transaction spending coins from
several addresses was therefore, almost always, signed by one person who
holds the keys of all those addresses: they belong to the same wallet.
This is the workhorse of address clustering; it is wrong for CoinJoins
(many people sign one transaction) and PayJoins, which is why clustering
skips CoinJoins by default.
"""

from __future__ import annotations

from .base import TxFlag, features

__all__ = ["MultiInput", "multi_input"]


class MultiInput(TxFlag):
    kind = "link"
    name = "multi_input"
    rationale = (
        "All the inputs of a transaction had to be signed by their owners. When the inputs come from "
        "several addresses, one wallet almost always holds the keys of all of them, so the addresses "
        "belong to the same owner (common-input ownership). Wrong for CoinJoins and PayJoins."
    )
    reference = (
        "Nakamoto, Bitcoin whitepaper section 10 (2008); Reid & Harrigan (2011); Meiklejohn et al. (2013); "
        "BlockSci and GraphSense multi-input clustering"
    )
    because = "joins its input addresses: they all signed this transaction, so one owner is assumed"

    def flags(self, chain):
        f = features(chain)
        return ~f.is_coinbase & (f.n_in_addr >= 2)

    def explain_tx(self, chain, pos):
        f = features(chain)
        k = int(f.n_in_addr[pos])
        if bool(f.is_coinbase[pos]):
            return False, "no call: a coinbase (mining) transaction has no real inputs"
        if k < 2:
            return False, f"no call: all {int(f.n_in[pos])} input(s) come from one address"
        return True, (
            f"its {int(f.n_in[pos])} inputs come from {k} addresses; all had to sign, so one owner "
            "is assumed for all of them (common-input ownership)"
        )


multi_input = MultiInput()
