"""Peel chains: a large sum paid out little by little.

A *peel chain* starts with a big amount at one address. Each transaction
"peels off" a small payment and sends the rest, the change, to a new
address, which does the same again: one input, two outputs, over and over.
Thieves and ransomware gangs use it to cash out; exchanges use it for
withdrawals.

* :data:`peel_chain` is a change heuristic: in a one-input, two-output
  transaction, the output spent by another one-input, two-output transaction
  is the change (it continues the chain).
* :func:`peel_chains` finds whole chains and lists their hops in order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import HeuristicError
from .base import ChangeHeuristic, check_chain, features

__all__ = ["PeelChain", "peel_chain", "peel_chains"]


class PeelChain(ChangeHeuristic):
    name = "peel_chain"
    rationale = (
        "In a peel chain every transaction has one input and two outputs: a small payment, and the "
        "rest going on to the next hop. The output that is itself spent by a one-input, two-output "
        "transaction continues the chain, so it is the change."
    )
    reference = "BlockSci change.peeling_chain; Meiklejohn et al., A Fistful of Bitcoins (2013)"
    because = "it is spent by the next one-input, two-output transaction, continuing a peel chain"

    def candidates(self, chain):
        f = features(chain)
        t = f.out_tx
        sp = f.spender_tx
        shape = (f.n_in == 1) & (f.n_out == 2) & ~f.is_coinbase
        nxt = np.zeros(len(sp), dtype=bool)
        ok = sp >= 0
        nxt[ok] = shape[sp[ok]]
        return f.base_change & shape[t] & nxt


peel_chain = PeelChain()


def peel_chains(chain, *, min_hops: int = 3) -> pd.DataFrame:
    """Find peel chains: runs of one-input, two-output transactions linked by their change.

    Parameters
    ----------
    chain : Chain
    min_hops : int, default 3
        Report chains with at least this many transactions.

    Returns
    -------
    DataFrame
        One row per transaction in a chain, in order: ``peel_id`` (0 is the
        longest chain), ``hop`` (0, 1, 2 ...), ``txid``, ``peeled`` (the
        payment output's value, sats), ``remaining`` (the change carried on, sats),
        ``payment_address``.
    """
    check_chain(chain, "peel_chains")
    if not isinstance(min_hops, (int, np.integer)) or min_hops < 2:
        raise HeuristicError(f"peel_chains(min_hops={min_hops!r}): give a whole number of 2 or more")
    f = features(chain)
    vout = peel_chain.calls(chain)
    has = np.flatnonzero(vout >= 0)
    change_row = f.ix.out_start[has] + vout[has]
    nxt = f.spender_tx[change_row]
    # a hop's link: tx -> the tx that spends its change (also peel-shaped by construction)
    n = f.n_txs
    g = coo_matrix((np.ones(len(has), dtype=np.int8), (has, nxt)), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    in_chain = np.zeros(n, dtype=bool)
    in_chain[has] = True
    in_chain[nxt] = True
    members = np.flatnonzero(in_chain)
    sizes = np.bincount(comp[members], minlength=n)
    keep = members[sizes[comp[members]] >= min_hops]
    cols = ["peel_id", "hop", "txid", "peeled", "remaining", "payment_address"]
    if not len(keep):
        return pd.DataFrame({c: [] for c in cols})
    comp_k = comp[keep]
    # order each chain by position in txs (a hop always comes after the one it spends)
    order = np.lexsort((keep, comp_k))
    keep, comp_k = keep[order], comp_k[order]
    starts = np.r_[0, np.flatnonzero(np.diff(comp_k)) + 1]
    hop = np.arange(len(keep)) - np.repeat(starts, np.diff(np.r_[starts, len(keep)]))
    length = sizes[comp_k]
    # renumber chains: longest first
    uniq, first = np.unique(comp_k, return_index=True)
    rank = np.lexsort((first, -sizes[uniq]))
    new_id = np.empty(len(uniq), dtype=np.int64)
    new_id[rank] = np.arange(len(uniq))
    pid = new_id[np.searchsorted(uniq, comp_k)]
    v = vout[keep]
    o0 = f.ix.out_start[keep]
    remaining = np.where(v >= 0, f.out_value[o0 + np.maximum(v, 0)], -1)
    pay_row = np.where(v >= 0, o0 + (1 - np.maximum(v, 0)), o0)  # the other of the two outputs
    peeled = np.where(v >= 0, f.out_value[pay_row], -1)
    addr = chain.outputs.address.to_numpy(dtype=object)[pay_row]
    out = pd.DataFrame(
        {
            "peel_id": pid,
            "hop": hop,
            "txid": f.ix.txids[keep].to_numpy(),
            "peeled": pd.array(np.where(peeled >= 0, peeled, 0), dtype="Int64"),
            "remaining": pd.array(np.where(remaining >= 0, remaining, 0), dtype="Int64"),
            "payment_address": pd.array(np.where(v >= 0, addr, None), dtype="string"),
            "_len": length,
        }
    )
    # the last hop makes no call of its own (its change is not spent by a peel tx): values unknown
    last = v < 0
    out.loc[last, ["peeled", "remaining"]] = pd.NA
    return out.sort_values(["peel_id", "hop"], kind="stable").drop(columns="_len").reset_index(drop=True)
