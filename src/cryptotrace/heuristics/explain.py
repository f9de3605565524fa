"""Which heuristics fire on one transaction, and what each concludes, in plain words."""

from __future__ import annotations

import html

import pandas as pd

from ..errors import HeuristicError
from ..units import format_btc
from .base import Heuristic, check_chain

__all__ = ["TxExplanation", "explain"]


class TxExplanation:
    """The verdict of every heuristic on one transaction.

    Attributes
    ----------
    txid : str
    table : DataFrame
        One row per heuristic: ``heuristic``, ``kind``, ``fired`` (bool), ``conclusion`` (plain words).
    """

    def __init__(self, txid: str, header: str, table: pd.DataFrame, notes: list[str]):
        self.txid, self.header, self.table, self.notes = txid, header, table, notes

    @property
    def fired(self) -> list[str]:
        """Names of the heuristics that made a call on this transaction."""
        return self.table.heuristic[self.table.fired].tolist()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __str__(self) -> str:
        lines = [self.header]
        for r in self.table.itertuples():
            mark = "FIRES" if r.fired else "  -  "
            lines.append(f"  [{mark}] {r.heuristic}: {r.conclusion}")
        lines += [f"  Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<TxExplanation {self.txid[:16]}...: {len(self.fired)} of {len(self.table)} heuristics fire>"

    def _repr_html_(self) -> str:
        notes = "".join(f"<p><b>Note:</b> {html.escape(n)}</p>" for n in self.notes)
        return f"<div><p>{html.escape(self.header)}</p>{self.table.to_html(index=False)}{notes}</div>"


def explain(chain, txid: str, *, heuristics=None) -> TxExplanation:
    """Run every heuristic on one transaction and say, in plain words, which fired and what each concluded.

    Parameters
    ----------
    chain : Chain
    txid : str
    heuristics : list of Heuristic or names, optional
        Default: multi-input, every change heuristic, every CoinJoin detector and the caveats (PayJoin,
        STONEWALL, Whirlpool tx0).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> chain = ct.load_sample()
    >>> e = ct.heuristics.explain(chain, chain.txs.txid.iloc[-1])
    >>> "multi_input" in e.table.heuristic.tolist()
    True
    """
    from . import resolve, default_explain_set

    check_chain(chain, "explain")
    pos = chain.tx_position(txid)
    hs = default_explain_set() if heuristics is None else resolve(heuristics)
    rows = []
    for h in hs:
        if not isinstance(h, Heuristic):  # pragma: no cover - resolve guarantees it
            raise HeuristicError(f"{h!r} is not a heuristic")
        fired, words = h.explain_tx(chain, pos)
        rows.append({"heuristic": h.name, "kind": h.kind, "fired": bool(fired), "conclusion": words})
    table = pd.DataFrame(rows, columns=["heuristic", "kind", "fired", "conclusion"])
    t = chain.txs.iloc[pos]
    ix = chain.index
    n_in = int(ix.in_start[pos + 1] - ix.in_start[pos])
    n_out = int(ix.out_start[pos + 1] - ix.out_start[pos])
    value = int(chain.outputs.value.iloc[ix.out_start[pos] : ix.out_start[pos + 1]].sum())
    header = f"Transaction {t.txid}: {n_in} input(s), {n_out} output(s), {format_btc(value)} paid out" + (
        "" if pd.isna(t.block_height) else f", block {int(t.block_height):,}"
    )
    notes = []
    fired = dict(zip(table.heuristic, table.fired))
    cj = [n for n in ("coinjoin", "equal_output", "whirlpool", "wasabi1", "wasabi2", "joinmarket") if fired.get(n)]
    if cj:
        notes.append(
            "this looks like a CoinJoin: its inputs belong to different people, so common-input "
            "ownership and change calls are not trusted here (clustering skips it by default)."
        )
    if fired.get("payjoin_likely"):
        notes.append("this may be a PayJoin: joining its input addresses could merge two different people.")
    if fired.get("stonewall_like"):
        notes.append(
            "this may be a STONEWALL: two equal outputs and changes, made by one wallet to look like two "
            "people (or by two people, STONEWALLx2); neither the payment nor the owners are certain."
        )
    if fired.get("whirlpool_tx0"):
        notes.append(
            "this is a Whirlpool tx0: one wallet splits its coins into premix coins for a CoinJoin that "
            "follows; its inputs are that wallet's."
        )
    change = table[(table.kind == "change") & table.fired]
    if len(change):
        called = change.conclusion.str.extract(r"^output (\d+)")[0]
        if called.nunique() > 1:
            notes.append(
                "the change heuristics disagree about which output is the change "
                f"(outputs {', '.join(sorted(called.dropna().unique()))}); treat every call with care."
            )
    return TxExplanation(str(t.txid), header, table, notes)
