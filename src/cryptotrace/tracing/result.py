"""The result of a trace: :class:`Trace`, and its one annotated table of coins.

``Trace.coins`` is the table every reader reads: one row for every coin on the way (and for each
fee, returned value and outside input where value stops), with its hop, amounts, cluster, tag,
the role of its category (:func:`cryptotrace.tags.category_role`), CoinJoin and mixer flags, the
endpoint kind where the trace stops, and the time. :data:`COIN_COLUMNS` says what each column
means (``Trace.columns_explained()`` shows it as a table). ``Trace.flows``, ``Trace.endpoints``,
``Trace.transactions``, the seizure candidates, the pictures, the report and the exports are
views of it; none re-runs CoinJoin detection or re-derives categories.
"""

from __future__ import annotations

import html
import json
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import TraceError
from ..tags import category_role
from ..units import SATS_PER_BTC, format_btc
from ._inputs import FIFO_ORDERS, labels_of, resolve_start, tag_table
from .._groups import group_sum
from ._kernels import expand, group_starts
from .policies import FEE_POLICIES, get_policy

__all__ = ["COIN_COLUMNS", "COIN_ENTRIES", "ENDPOINT_KINDS", "FIAT_COLUMNS", "Trace"]

#: Kinds of endpoint (where traced value stops), with what each means.
ENDPOINT_KINDS = {
    "unspent": "still unspent: the coins sit at this address",
    "end_of_data": "not spent in these records; the records (a partial chain) may simply end here",
    "spent_outside": "spent by a transaction that is not in these records",
    "service": "reached a tagged service (e.g. an exchange): the trace stops there",
    "stopped": "reached an address you asked the trace to stop at",
    "fee": "paid to the miner as a transaction fee",
    "below_threshold": "too small to follow (below min_value)",
    "hop_limit": "the trace reached max_hops here; it could go further",
    "back_to_start": "came back to where the trace started",
    "external": "came from a transaction outside these records",
    "coinbase": "newly mined coins (a block reward)",
    "unknown_source": "came from an input whose value these records do not give",
}
_KIND_CODE = {k: i for i, k in enumerate(ENDPOINT_KINDS)}
_STOPPED = np.array([_KIND_CODE["stopped"], _KIND_CODE["service"]], dtype=np.int8)

#: What a row of the coin table is (column ``entry``).
COIN_ENTRIES = {
    "coin": "an output on the way: the start, or an output a followed transaction pays (forward) or spends (backward)",
    "returned": "traced value that came back to a start output (a second row for that output)",
    "fee": "the fee of a followed transaction (forward): no vout, no address",
    "unfunded": "the part of a followed transaction no input in these records pays for (backward: newly mined "
    "coins, or inputs of unknown value): no vout, no address",
    "input": "an input of a followed transaction that spends a coin outside these records (backward); txid and "
    "vout name that outside coin",
}
_ENTRY_NAMES = list(COIN_ENTRIES)
_ENTRY = {k: i for i, k in enumerate(_ENTRY_NAMES)}

#: The columns of :attr:`Trace.coins`, with what each means. Amounts are whole satoshis unless
#: the name ends in ``_btc``.
COIN_COLUMNS = {
    "entry": "what the row is: " + "; ".join(f"{k} = {v}" for k, v in COIN_ENTRIES.items()),
    "hop": "transactions between the start and this coin (the start is hop 0)",
    "txid": "the transaction that made the coin (for a fee: the transaction paying it)",
    "vout": "the output number within that transaction (empty for a fee or an unfunded part)",
    "address": "the address the coin was paid to (empty when there is none)",
    "value": "the coin's value, in satoshis",
    "value_btc": "the coin's value, in BTC",
    "traced_value": "the part of the coin the taint policy counts as coming from the start, in satoshis",
    "traced_value_btc": "the traced part, in BTC",
    "traced_share": "traced_value / value (0 for a coin of no value)",
    "value_eur": "the coin's value in euros at the time (column time), from the price table of the chain "
    "(cryptotrace.prices.for_chain: a synthetic case's own series, else the bundled daily table); empty "
    "where there is no price (see price_note). Absent with trace(..., fiat=False)",
    "value_usd": "the coin's value in US dollars at the time, as value_eur",
    "tainted_value_eur": "the traced part (traced_value) in euros at the time",
    "tainted_value_usd": "the traced part (traced_value) in US dollars at the time",
    "price_note": "why a row has no price (e.g. before 2010-07-17 no market price existed, or the price table does "
    "not reach that day); empty where it has one",
    "is_start": "the coin is one of the start coins",
    "endpoint_kind": "where the trace stops at this coin (see ENDPOINT_KINDS: unspent, service, stopped, fee, "
    "hop_limit ...); empty where the trace went on",
    "spent_by": "the transaction (txid) that spends the coin in these records; empty if none does",
    "cluster": "the cluster (entity) of the address, from the clustering the trace was given",
    "label": "who the address belongs to, from the tags (e.g. an exchange's name)",
    "category": "the tag's category (exchange, mixing_service, market ...), lower case",
    "role": "what the category means for following money (cryptotrace.tags.category_role): mixing, market, "
    "custodial, stop, other; empty without a category",
    "jurisdiction": "the country of the tagged service",
    "confidence": "the tag's confidence score (0-100, GraphSense scale)",
    "confidence_name": "the tag's confidence level in words",
    "source": "where the tag comes from",
    "account_holder": "the account holder a service named for this address (from a production order answer)",
    "tag_via_cluster": "the address has no tag of its own: it took its cluster's tag (all the cluster's tags agree)",
    "mixer": "the address is tagged as a mixer or CoinJoin coordinator (role mixing)",
    "time": "when the transaction that made the coin was mined (UTC; for an outside input, the transaction "
    "spending it)",
    "coinjoin": "the transaction that made the coin is recognised as a CoinJoin",
    "coinjoin_detector": "which CoinJoin detector(s) recognised it (e.g. whirlpool, wasabi2)",
    "coinjoin_on_path": "the path from the start to this coin went through a CoinJoin (the start coin's own "
    "transaction not counted): the link to the start is probabilistic",
}
#: The money columns (:func:`cryptotrace.prices.add_fiat`) the coin table, the endpoints and the seizure
#: candidates carry unless the trace was made with ``fiat=False``.
FIAT_COLUMNS = ["value_eur", "value_usd", "tainted_value_eur", "tainted_value_usd", "price_note"]
_TAG_COLUMNS = ["label", "category", "jurisdiction", "confidence", "confidence_name", "source", "account_holder"]


def codes_to_strings(codes: np.ndarray, names: list[str]) -> pd.Series:
    """A string column from small integer codes (through an Arrow dictionary: no Python loop)."""
    try:
        import pyarrow as pa

        arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(names)).cast(pa.large_string())
        return pd.Series(pd.arrays.ArrowStringArray(arr))
    except (ImportError, TypeError, ValueError):  # pragma: no cover - pyarrow is a dependency
        return pd.Series(pd.array(np.array(names, dtype=object)[codes], dtype="string"))


def na_strings(n: int) -> pd.api.extensions.ExtensionArray:
    """``n`` missing values as a string array (built by Arrow directly, not from Python objects)."""
    try:
        import pyarrow as pa

        return pd.arrays.ArrowStringArray(pa.nulls(n, pa.large_string()))
    except (ImportError, TypeError, ValueError):  # pragma: no cover - pyarrow is a dependency
        return pd.array(np.full(n, None, dtype=object), dtype="string")


def _default_coinjoin_detector():
    from ..heuristics.coinjoin import coinjoin

    return coinjoin


class Trace:
    """The result of :func:`~cryptotrace.tracing.trace`: where the traced coins went (or came from).

    Attributes
    ----------
    coins : DataFrame
        The annotated table of every coin on the way: hop, txid, vout,
        address, value, traced value and share, cluster, tag (label,
        category, role, jurisdiction, confidence, source), mixer and
        CoinJoin flags, endpoint kind, time. :data:`COIN_COLUMNS` (or
        :meth:`columns_explained`) says what each column means. The tables
        below and every reader (seizure candidates, pictures, report,
        exports) are views of it.
    flows : DataFrame
        One row per output a followed transaction pays (forward) or spends
        (backward), plus the start: ``hop, txid, vout, address, cluster,
        value, tainted_value, tag`` (satoshis; ``tainted_value`` may be 0,
        which shows where the policy sent no traced value).
    endpoints : DataFrame
        Where traced value stops: ``txid, vout, address, value,
        tainted_value, kind, service, category, jurisdiction, hop`` (see
        :data:`ENDPOINT_KINDS`; a fee has no ``vout``).
    transactions : DataFrame
        The transactions followed: ``hop, txid, tainted_in, tainted_out, fee_taint``.
    params : dict
        The settings that made this trace.
    fiat : bool
        Whether :attr:`coins`, :attr:`endpoints`, :meth:`to_frame` and the seizure candidates carry
        the worth in EUR and USD at the time (:data:`FIAT_COLUMNS`; ``trace(..., fiat=False)`` turns it
        off). :attr:`prices` is the price table used; ``prices.describe()`` names its source.
    start_value : int
        Satoshis traced from the start.
    coinjoin_detector : heuristic
        The CoinJoin detector whose flags fill the ``coinjoin`` columns of
        :attr:`coins` (default: :data:`cryptotrace.heuristics.coinjoin.coinjoin`,
        the equal-output, Whirlpool, Wasabi 1 and 2 and JoinMarket detectors).
        It runs once per trace, the first time :attr:`coins` is read; set
        another detector before that to use it instead.

    Examples
    --------
    >>> from cryptotrace.tracing import trace, worked_example_chain
    >>> chain = worked_example_chain()
    >>> t = trace(chain, chain.outputs.txid[0] + ":0", policy="haircut", min_value=0)
    >>> t.coins[["hop", "vout", "value_btc", "traced_value_btc", "endpoint_kind"]]
       hop  vout  value_btc  traced_value_btc endpoint_kind
    0    0     0        3.0               3.0          <NA>
    1    1     0        1.0               0.3       unspent
    2    1     1        6.0               1.8       unspent
    3    1     2        3.0               0.9       unspent
    """

    def __init__(self, chain, engine, start_rows, params, labels, tagtab, *, fiat: bool = True):
        self.chain = chain
        self.fiat = bool(fiat)
        self._e = engine
        self.start_rows = start_rows
        self.params = params
        self._labels = labels
        self._tags = tagtab
        self.start_value = int(engine.out_value[start_rows].sum())
        self.coinjoin_detector = None

    @property
    def engine(self):
        """The engine that ran this trace (:class:`cryptotrace.tracing.engine.Engine`): taint per output row,
        hops, what was stopped. Readers such as :mod:`cryptotrace.evidence` re-run it under other policies."""
        return self._e

    @property
    def prices(self):
        """The price table the money columns use (:func:`cryptotrace.prices.for_chain` of the chain: a synthetic
        case's own series, else the bundled daily BTC/EUR and BTC/USD table); ``.describe()`` names its source."""
        from ..prices import for_chain

        return for_chain(self.chain)

    def _fiat(self, value: np.ndarray, traced: np.ndarray, tx: np.ndarray) -> pd.DataFrame:
        """:data:`FIAT_COLUMNS` for amounts (satoshis) made by the transactions ``tx`` (rows), priced at their time."""
        from ..prices import add_fiat

        base = pd.DataFrame(
            {"value": value, "traced_value": traced, "time": self.chain.txs.time.take(tx).reset_index(drop=True)}
        )
        return add_fiat(base, self.prices)[FIAT_COLUMNS]

    @property
    def policy(self):
        """The taint policy object (:mod:`cryptotrace.tracing.policies`): rule, fee convention, reference."""
        return get_policy(self.params["policy"])

    @property
    def tags(self) -> pd.DataFrame | None:
        """The tag of each address the trace was given (one row per address), or None."""
        return self._tags

    @property
    def clusters(self) -> pd.Series | None:
        """address -> cluster id from the clustering the trace was given, or None."""
        return self._labels

    @cached_property
    def records_complete(self) -> bool:
        """Do the records hold every block between their first and last (so "unspent" is certain)?

        A slice fetched from an API (a few transactions from scattered blocks) is not: an output
        it shows as unspent may well have been spent in a block it does not hold. Its outputs that
        nothing in the records spends are endpoints of kind ``"end_of_data"``, not ``"unspent"``.
        """
        h = self.chain.blocks.height
        if not len(h):
            return not bool(self.chain.inputs.is_external.any())
        return int(h.max()) - int(h.min()) + 1 == int(h.nunique())

    # -------------------------------------------------------------- the coin table
    @cached_property
    def _address_array(self) -> np.ndarray:
        return np.append(self.chain.index.addresses.to_numpy(dtype=object), None)

    def _addr(self, codes) -> np.ndarray:
        """Address text (object array, None where there is none) of address codes."""
        codes = np.asarray(codes, dtype=np.int64)
        return self._address_array[np.where(codes >= 0, codes, len(self._address_array) - 1)]

    def _cluster_of(self, addresses, labels=None) -> np.ndarray:
        labels = self._labels if labels is None else labels
        addresses = pd.Index(addresses, dtype=object) if not isinstance(addresses, pd.Series) else addresses
        if labels is None:
            return np.full(len(addresses), None, dtype=object)
        return labels.reindex(addresses).to_numpy(dtype=object, na_value=None)

    @cached_property
    def _stops(self) -> dict:
        """Where value stops, as integer arrays: the endpoint rows of the coin table.

        ``out`` (output rows, ascending) and ``kind``; ``back`` (start outputs value came back to);
        ``p``, ``pkind``, ``pvalue`` (fees forward, unfunded parts backward, by transaction row);
        ``x``, ``x_tx``, ``x_kind``, ``x_vout`` (backward: inputs fed from outside the records).
        """
        e, ix, ch = self._e, self.chain.index, self.chain
        K = _KIND_CODE
        # 1. tainted outputs whose value is not passed on
        out = np.flatnonzero(e.taint > 0)
        if e.forward:
            sp = ix.input_of_output[out]
            passed = (sp >= 0) & ~e.stopped[out]
            passed[passed] = e.txdist[ix.tx_of_input[sp[passed]]] >= 0
        else:
            passed = ~e.stopped[out] & (e.txdist[ix.tx_of_output[out]] >= 0)
        out = out[~passed]
        kind = np.full(len(out), K["below_threshold"], dtype=np.int8)
        kind[e.hop[out] + 1 > e.max_hops] = K["hop_limit"]
        if e.forward:
            sp = ix.input_of_output[out]
            spent_known = ch.outputs.spent_by_txid.take(out).notna().to_numpy(bool)
            kind[(sp < 0) & spent_known] = K["spent_outside"]
            kind[(sp < 0) & ~spent_known] = K["unspent" if self.records_complete else "end_of_data"]
        stopped = e.stopped[out]
        kind[stopped] = K["stopped"]
        if self._tags is not None:
            tagged = ch.outputs.address.take(out).isin(self._tags.index).to_numpy(bool)
            kind[stopped & tagged] = K["service"]
        # 2. start outputs that value came back to
        back = np.flatnonzero(e.returned > 0)
        # 3. fees (forward) or the unfunded part of a transaction (backward: newly mined / unknown inputs)
        p = np.flatnonzero(e.pseudo > 0)
        ir, ig = expand(ix.in_start[p], ix.in_start[p + 1])
        orow, og = expand(ix.out_start[p], ix.out_start[p + 1])
        vin = group_sum(e.in_value[ir], group_starts(ig, len(p)))
        vout = group_sum(e.out_value[orow], group_starts(og, len(p)))
        if e.forward:
            pkind, pvalue = np.full(len(p), K["fee"], dtype=np.int8), np.maximum(vin - vout, 0)
        else:
            cb = ch.txs.is_coinbase.to_numpy(bool)[p]
            pkind, pvalue = np.where(cb, K["coinbase"], K["unknown_source"]).astype(np.int8), np.maximum(vout - vin, 0)
        # 4. backward: inputs from outside the data
        x = np.flatnonzero(e.ext > 0)
        cb_row = ch.inputs.prev_txid.take(x).isna().to_numpy(bool)
        x_vout = ch.inputs.prev_vout.take(x).to_numpy(dtype=np.float64, na_value=np.nan)
        return {
            "out": out,
            "kind": kind,
            "back": back,
            "p": p,
            "pkind": pkind,
            "pvalue": pvalue,
            "x": x,
            "x_tx": ix.tx_of_input[x],
            "x_kind": np.where(cb_row, K["coinbase"], K["external"]).astype(np.int8),
            "x_vout": np.nan_to_num(x_vout, nan=-1).astype(np.int64),
        }

    @cached_property
    def _core(self) -> dict:
        """The coin table as integer arrays, in table order (built once; see :attr:`coins`).

        ``entry`` (code of :data:`COIN_ENTRIES`), ``row`` (output row, -1 for none), ``tx`` (the row
        of the transaction in ``txid``; for an outside input, of the transaction spending it),
        ``hop``, ``vout`` (-1 for none), ``value``, ``traced``, ``kind`` (code of
        :data:`ENDPOINT_KINDS`, -1 where the trace went on), ``x`` (input rows of the outside
        inputs, the last entries). The entries where value stops are those of :attr:`_stops`.
        """
        e, ix, ch = self._e, self.chain.index, self.chain
        s = self._stops
        # coins: every output a followed transaction pays (forward) or spends (backward), and the start
        tx = np.flatnonzero(e.txdist >= 0)
        if e.forward:  # every output of a followed transaction, tainted or not
            touched, grp = expand(ix.out_start[tx], ix.out_start[tx + 1])
        else:  # every output a followed transaction spends
            touched, grp = expand(ix.in_start[tx], ix.in_start[tx + 1])
            touched = ix.output_of_input[touched]
            grp = grp[touched >= 0]
            touched = touched[touched >= 0]
        mark = e.taint > 0  # tainted outputs and every output touched (a bitmap: no sort)
        mark[touched] = True
        rows = np.flatnonzero(mark)
        row_hop = e.hop[rows]
        fill = e.hop[touched] < 0  # touched but never tainted: the hop of the transaction that touched it
        row_hop[np.searchsorted(rows, touched[fill])] = e.txdist[tx[grp[fill]]]
        small = row_hop.max(initial=0) < 2**15  # a stable sort of small ints is a radix sort
        order = np.argsort(row_hop.astype(np.int16) if small else row_hop, kind="stable")
        rows, row_hop = rows[order], row_hop[order]
        where = np.full(len(e.taint), -1, dtype=np.int64)
        where[rows] = np.arange(len(rows))
        coin_kind = np.full(len(rows), -1, dtype=np.int8)
        coin_kind[where[s["out"]]] = s["kind"]
        back, p, x = s["back"], s["p"], s["x"]
        ov = ch.outputs.vout.to_numpy(np.int64)
        n = (len(rows), len(back), len(p), len(x))

        def cat(parts, dtype=np.int64):  # one copy, straight into the column's type
            return np.concatenate(parts, dtype=dtype, casting="unsafe")

        return {
            "entry": np.repeat(
                np.array(
                    [_ENTRY["coin"], _ENTRY["returned"], _ENTRY["fee" if e.forward else "unfunded"], _ENTRY["input"]],
                    dtype=np.int8,
                ),
                n,
            ),
            "row": cat([rows, back, np.full(n[2] + n[3], -1)]),
            "tx": cat([ix.tx_of_output[rows], ix.tx_of_output[back], p, s["x_tx"]]),
            "hop": cat([row_hop, e.hop[back], e.txdist[p], e.txdist[s["x_tx"]]]),
            "vout": cat([ov[rows], ov[back], np.full(n[2], -1), s["x_vout"]]),
            "value": cat([e.out_value[rows], e.out_value[back], s["pvalue"], e.in_value[x]]),
            "traced": cat([e.taint[rows], e.returned[back], e.pseudo[p], e.ext[x]]),
            "kind": cat([coin_kind, np.full(n[1], _KIND_CODE["back_to_start"]), s["pkind"], s["x_kind"]], np.int8),
            "x": x,
        }

    @cached_property
    def _core_links(self) -> dict:
        """More integer columns of the coin table, built when a reader needs them (not for ``endpoints``).

        ``spender`` (transaction row spending the coin, -1 for none; an outside input: the transaction
        it feeds) and ``is_start``.
        """
        c, e, ix = self._core, self._e, self.chain.index
        row = c["row"]
        has = row >= 0
        spender = np.full(len(row), -1, dtype=np.int64)
        sp_in = ix.input_of_output[row[has]]
        spender[np.flatnonzero(has)[sp_in >= 0]] = ix.tx_of_input[sp_in[sp_in >= 0]]
        is_x = c["entry"] == _ENTRY["input"]
        spender[is_x] = c["tx"][is_x]
        is_start = np.zeros(len(row), dtype=bool)
        is_start[has] = e.is_start[row[has]]
        return {"spender": spender, "is_start": is_start}

    def _txid_column(self, c: dict, sel: np.ndarray) -> pd.Series:
        """The txid of the selected entries (an outside input: the coin it spends; a coinbase input: its tx)."""
        ch = self.chain
        is_x = c["entry"][sel] == _ENTRY["input"]
        own = ch.txs.txid.take(c["tx"][sel][~is_x]).reset_index(drop=True)
        if not is_x.any():
            return own
        xr = c["x"][sel[is_x] - (len(c["entry"]) - len(c["x"]))]  # outside inputs are the last entries
        prev = ch.inputs.prev_txid.take(xr).reset_index(drop=True)
        ext = prev.fillna(ch.inputs.txid.take(xr).reset_index(drop=True))
        both = pd.concat([own, ext], ignore_index=True)
        at = np.concatenate([np.flatnonzero(~is_x), np.flatnonzero(is_x)])
        return both.take(np.argsort(at, kind="stable")).reset_index(drop=True)

    def _address_column(self, c: dict, sel: np.ndarray) -> pd.Series:
        """The address of the selected entries, taken from the chain's own string columns (no conversion)."""
        ch = self.chain
        row = c["row"][sel]
        is_x = c["entry"][sel] == _ENTRY["input"]
        has = row >= 0
        parts = [ch.outputs.address.take(row[has]).reset_index(drop=True)]
        at = [np.flatnonzero(has)]
        if is_x.any():
            xr = c["x"][sel[is_x] - (len(c["entry"]) - len(c["x"]))]
            parts.append(ch.inputs.address.take(xr).reset_index(drop=True))
            at.append(np.flatnonzero(is_x))
        none = ~has & ~is_x
        if none.any():
            parts.append(pd.Series(pd.array(np.full(int(none.sum()), None, dtype=object), dtype="string")))
            at.append(np.flatnonzero(none))
        if len(parts) == 1:
            return parts[0].astype("string")
        both = pd.concat(parts, ignore_index=True).astype("string")
        return both.take(np.argsort(np.concatenate(at), kind="stable")).reset_index(drop=True)

    def _tag_columns(self, addr: np.ndarray, tagtab, only=None) -> dict:
        """Tag columns (label, category, role, jurisdiction, confidence ...) of each address."""
        n = len(addr)
        want = list(only) if only is not None else _TAG_COLUMNS
        if tagtab is None and only is not None:  # no tags: missing values, made without a Python object each
            return {c: na_strings(n) for c in want}
        none = np.full(n, None, dtype=object)
        cols = {}
        t = None
        if tagtab is not None:
            have = [c for c in want + ["via_cluster"] if c in tagtab.columns]
            t = tagtab[have].reindex(pd.Index(addr, dtype=object))
        for c in want:
            v = t[c].to_numpy(dtype=object, na_value=None) if t is not None and c in t else none
            if c == "confidence":
                cols[c] = pd.array(
                    pd.to_numeric(pd.Series(v, dtype=object), errors="coerce").to_numpy(dtype=object, na_value=None),
                    dtype="Int64",
                )
            else:
                cols[c] = pd.array(v, dtype="string")
        if only is not None:
            return cols
        via = t["via_cluster"] if t is not None and "via_cluster" in t else pd.Series(False, index=range(n))
        cols["tag_via_cluster"] = via.fillna(False).to_numpy(dtype=bool)
        cat = pd.Series(cols["category"]).fillna("").to_numpy(dtype=object).astype(str)
        kinds, which = np.unique(cat, return_inverse=True)  # one taxonomy: cryptotrace.tags.category_role
        role = np.array([category_role(k) for k in kinds], dtype=object)[which.reshape(-1)]
        cols["role"] = pd.array(role, dtype="string")
        return cols

    def _table(self, sel: np.ndarray, *, tagtab=None, labels=None, own: bool = True) -> pd.DataFrame:
        """The coin table's columns (without the CoinJoin ones) for the entries ``sel`` (positions, in order)."""
        c = self._core
        ch = self.chain
        tagtab = self._tags if own else tagtab
        labels = self._labels if own else labels
        value, traced = c["value"][sel], c["traced"][sel]
        addr = self._address_column(c, sel)
        vout = pd.array(c["vout"][sel], dtype="Int64")
        vout[c["vout"][sel] < 0] = pd.NA
        kind = c["kind"][sel]
        tags = self._tag_columns(addr.to_numpy(dtype=object, na_value=None), tagtab)
        spender = self._core_links["spender"][sel]
        spent_by = ch.txs.txid.take(np.maximum(spender, 0)).reset_index(drop=True).astype("string")
        spent_by[spender < 0] = pd.NA
        times = ch.txs.time.take(c["tx"][sel]).reset_index(drop=True)
        return pd.DataFrame(
            {
                "entry": codes_to_strings(c["entry"][sel], _ENTRY_NAMES),
                "hop": c["hop"][sel],
                "txid": self._txid_column(c, sel),
                "vout": vout,
                "address": addr,
                "value": value,
                "value_btc": value / SATS_PER_BTC,
                "traced_value": traced,
                "traced_value_btc": traced / SATS_PER_BTC,
                "traced_share": np.where(value > 0, traced / np.maximum(value, 1), 0.0),
                "is_start": self._core_links["is_start"][sel],
                "endpoint_kind": _kind_strings(kind),
                "spent_by": spent_by,
                "cluster": self._cluster_of(addr.to_numpy(dtype=object, na_value=None), labels),
                "label": tags["label"],
                "category": tags["category"],
                "role": tags["role"],
                "jurisdiction": tags["jurisdiction"],
                "confidence": tags["confidence"],
                "confidence_name": tags["confidence_name"],
                "source": tags["source"],
                "account_holder": tags["account_holder"],
                "tag_via_cluster": tags["tag_via_cluster"],
                "mixer": (pd.Series(tags["role"]) == "mixing").fillna(False).to_numpy(bool),
                "time": times,
            }
        )

    @cached_property
    def _coins(self) -> pd.DataFrame:
        return self._table(np.arange(len(self._core["entry"])))

    @property
    def coins(self) -> pd.DataFrame:
        """The annotated table of every coin on the way (satoshis and BTC); see :data:`COIN_COLUMNS`.

        Built once per trace; the CoinJoin columns run :attr:`coinjoin_detector` once, and the money
        columns (EUR and USD, :data:`FIAT_COLUMNS`) are priced in one vectorised lookup, the first
        time this is read. Rows: the start and every output on the way (``entry == "coin"``, in
        hop order), then values that came back to the start, fees (forward) or unfunded parts
        (backward), and inputs from outside the records (backward). ``endpoint_kind`` is set
        where value stops (the rows of :attr:`endpoints`).
        """
        t = self._coins
        if "coinjoin" not in t.columns:
            flags, names = self.coinjoin_flags
            tx = self._core["tx"]
            own = self._core["entry"] != _ENTRY["input"]
            cj = np.where(own, flags[tx], False) if len(tx) else np.zeros(0, dtype=bool)
            t["coinjoin"] = cj
            t["coinjoin_detector"] = pd.array(np.where(cj, names[tx] if len(tx) else names[:0], None), dtype="string")
            t["coinjoin_on_path"] = self._on_path(flags)
        if self.fiat and "value_eur" not in t.columns:
            self._insert_fiat(t, self._fiat(self._core["value"], self._core["traced"], self._core["tx"]))
        return t

    @staticmethod
    def _insert_fiat(t: pd.DataFrame, fiat: pd.DataFrame, after: str = "traced_share") -> None:
        pos = t.columns.get_loc(after) + 1
        for i, col in enumerate(FIAT_COLUMNS):
            t.insert(pos + i, col, fiat[col].to_numpy())

    def coins_with(self, *, tags=None, clustering=None) -> pd.DataFrame:
        """:attr:`coins` with the tag and cluster columns from other ``tags`` or ``clustering``.

        For tags or a clustering made after the trace ran; the amounts, hops, endpoint kinds and
        CoinJoin columns stay the trace's own. With neither, the table itself.
        """
        if tags is None and clustering is None:
            return self.coins
        labels = labels_of(clustering) if clustering is not None else self._labels
        tagtab = tag_table(tags, labels) if tags is not None else self._tags
        new = self._table(np.arange(len(self._core["entry"])), tagtab=tagtab, labels=labels, own=False)
        base = self.coins
        for col in ("coinjoin", "coinjoin_detector", "coinjoin_on_path"):
            new[col] = base[col].to_numpy()
        if "value_eur" in base.columns:
            self._insert_fiat(new, base)
        return new

    @staticmethod
    def columns_explained() -> pd.DataFrame:
        """What each column of :attr:`coins` means (a table: column, meaning)."""
        return pd.DataFrame({"column": list(COIN_COLUMNS), "meaning": list(COIN_COLUMNS.values())})

    @cached_property
    def coinjoin_flags(self) -> tuple[np.ndarray, np.ndarray]:
        """Per transaction of the chain: recognised as a CoinJoin?, and by which detector(s).

        Runs :attr:`coinjoin_detector` once for this trace (a combined detector such as the
        default runs each of its parts once, to name the one that fired).
        """
        det = self.coinjoin_detector if self.coinjoin_detector is not None else _default_coinjoin_detector()
        n = len(self.chain.txs)
        parts = getattr(det, "parts", None)
        if parts and getattr(det, "op", None) == "any_of":
            each = [np.asarray(part(self.chain), dtype=bool) for part in parts]
            names = [str(getattr(part, "name", "coinjoin")) for part in parts]
        else:
            each = [_flags_of(det, self.chain)]
            names = [str(getattr(det, "name", "coinjoin"))]
        flags = np.logical_or.reduce(each) if each else np.zeros(n, dtype=bool)
        who = np.full(n, None, dtype=object)
        for i in np.flatnonzero(flags):  # only the flagged transactions, usually few
            who[i] = ", ".join(nm for nm, f in zip(names, each) if f[i])
        return flags, who

    def _on_path(self, flags: np.ndarray) -> np.ndarray:
        """Per entry: did the path from the start to it go through a CoinJoin (the start's own tx not counted)?"""
        c, e, ix = self._core, self._e, self.chain.index
        row = c["row"]
        cross = np.zeros(len(row), dtype=bool)
        if not flags.any():
            return cross
        # a coin's path: the coin, its predecessor, ... back to a start coin (pred -1); every coin but the
        # last one on it (the start) counts with the transaction that made it
        cur = np.where(row >= 0, row, -1)
        for _ in range(int(e.hop.max(initial=0)) + 2):
            ok = cur >= 0
            if not ok.any():
                break
            nxt = np.where(ok, e.pred[np.maximum(cur, 0)], -1)
            counts = ok & (nxt >= 0)  # not the start end of the path
            cross |= counts & flags[ix.tx_of_output[np.maximum(cur, 0)]]
            cur = nxt
        fee = c["entry"] == _ENTRY["fee"]  # a fee: the path to the transaction, and the transaction itself
        if fee.any():
            pred = e.txpred[c["tx"][fee]]
            sub = self._on_path_rows(pred, flags)
            cross[fee] = sub | flags[c["tx"][fee]]
        return cross

    def _on_path_rows(self, rows: np.ndarray, flags: np.ndarray) -> np.ndarray:
        e, ix = self._e, self.chain.index
        cross = np.zeros(len(rows), dtype=bool)
        cur = rows.copy()
        for _ in range(int(e.hop.max(initial=0)) + 2):
            ok = cur >= 0
            if not ok.any():
                break
            nxt = np.where(ok, e.pred[np.maximum(cur, 0)], -1)
            cross |= ok & (nxt >= 0) & flags[ix.tx_of_output[np.maximum(cur, 0)]]
            cur = nxt
        return cross

    # -------------------------------------------------------------- views of the coin table
    @cached_property
    def flows(self) -> pd.DataFrame:
        c = self._core
        sel = np.flatnonzero(c["entry"] == _ENTRY["coin"])
        addr = self._address_column(c, sel)
        plain = (
            addr.to_numpy(dtype=object, na_value=None)
            if (self._tags is not None or self._labels is not None)
            else np.zeros(len(sel))
        )
        return pd.DataFrame(
            {
                "hop": c["hop"][sel],
                "txid": self._txid_column(c, sel),
                "vout": c["vout"][sel],
                "address": addr,
                "cluster": self._cluster_of(plain),
                "value": c["value"][sel],
                "tainted_value": c["traced"][sel],
                "tag": self._tag_columns(plain, self._tags, only=("label",))["label"],
            }
        )

    @cached_property
    def endpoints(self) -> pd.DataFrame:
        """The rows of the coin table where value stops (built from the same arrays, without the other coins)."""
        e, ch, s = self._e, self.chain, self._stops
        out, back, p, x = s["out"], s["back"], s["p"], s["x"]
        o, inp = ch.outputs, ch.inputs

        def take(col, rows):
            return col.take(rows).reset_index(drop=True)

        ext_txid = take(inp.prev_txid, x).fillna(take(inp.txid, x))  # a coinbase input: the coinbase tx
        txid = pd.concat([take(o.txid, out), take(o.txid, back), take(ch.txs.txid, p), ext_txid], ignore_index=True)
        addr = pd.concat(
            [take(o.address, out), take(o.address, back), pd.Series(na_strings(len(p))), take(inp.address, x)],
            ignore_index=True,
        )
        ov = o.vout.to_numpy(np.int64)
        vout_col = np.concatenate([ov[out], ov[back], np.full(len(p), -1), s["x_vout"]]).astype(np.int64)
        value = np.concatenate([e.out_value[out], e.out_value[back], s["pvalue"], e.in_value[x]]).astype(np.int64)
        tainted = np.concatenate([e.taint[out], e.returned[back], e.pseudo[p], e.ext[x]]).astype(np.int64)
        kinds = np.concatenate(
            [s["kind"], np.full(len(back), _KIND_CODE["back_to_start"], dtype=np.int8), s["pkind"], s["x_kind"]]
        )
        hop = np.concatenate([e.hop[out], e.hop[back], e.txdist[p], e.txdist[s["x_tx"]]]).astype(np.int64)
        ix = self.chain.index
        made = np.concatenate([ix.tx_of_output[out], ix.tx_of_output[back], p, s["x_tx"]]).astype(np.int64)
        order = np.lexsort((-tainted, hop))
        addr = addr.take(order).reset_index(drop=True)
        plain = addr.to_numpy(dtype=object, na_value=None) if self._tags is not None else np.zeros(len(addr))
        tags = self._tag_columns(plain, self._tags, only=("label", "category", "jurisdiction"))
        vout_col = pd.array(vout_col[order], dtype="Int64")
        vout_col[vout_col < 0] = pd.NA
        out = pd.DataFrame(
            {
                "txid": txid.take(order).reset_index(drop=True),
                "vout": vout_col,
                "address": addr,
                "value": value[order],
                "tainted_value": tainted[order],
                "kind": codes_to_strings(kinds[order], list(ENDPOINT_KINDS)),
                "service": tags["label"],
                "category": tags["category"],
                "jurisdiction": tags["jurisdiction"],
                "hop": hop[order],
            }
        )
        if self.fiat:  # the worth at the time the coin was made (the time column), in EUR and USD
            out["time"] = self.chain.txs.time.take(made[order]).reset_index(drop=True)
            self._insert_fiat(out, self._fiat(value[order], tainted[order], made[order]), after="tainted_value")
        return out

    @cached_property
    def transactions(self) -> pd.DataFrame:
        """Per followed transaction, the traced value in and out, summed over the coin table."""
        e, c = self._e, self._core
        tx = np.flatnonzero(e.txdist >= 0)
        n = self.chain.index.n_txs
        entry, traced = c["entry"], c["traced"]
        coin = entry == _ENTRY["coin"]
        stopped = np.isin(c["kind"], _STOPPED)
        if e.forward:
            made = (coin & ~self._core_links["is_start"]) | (entry == _ENTRY["returned"])
            passes = coin & ~stopped  # a coin at a stop passes nothing on
        else:
            made = coin & ~stopped
            passes = coin | (entry == _ENTRY["input"])
        spender = self._core_links["spender"]
        into = passes & (spender >= 0)
        t_out = np.bincount(c["tx"][made], weights=traced[made], minlength=n)
        t_in = np.bincount(spender[into], weights=traced[into], minlength=n)
        df = pd.DataFrame(
            {
                "hop": e.txdist[tx],
                "txid": self.chain.txs.txid.take(tx).reset_index(drop=True),
                "tainted_in": np.rint(t_in[tx]).astype(np.int64),
                "tainted_out": np.rint(t_out[tx]).astype(np.int64),
                "fee_taint": e.pseudo[tx] if e.forward else np.zeros(len(tx), dtype=np.int64),
            }
        )
        return df.sort_values(["hop", "txid"], kind="stable").reset_index(drop=True)

    def coin_parts(self, output) -> list[tuple[str, int]]:
        """The parts of one output in order: ``[("tainted" | "clean", satoshis), ...]``.

        With ``fifo_order="keep"`` this is the coin's ordered layout (what the
        next FIFO transaction reads first); otherwise a partly tainted coin is
        read as its tainted part, then its clean part.
        """
        rows, _, _ = resolve_start(self.chain, output, None)
        if len(rows) != 1:
            raise TraceError(f"coin_parts needs one output 'txid:vout', not {output!r}")
        return self._e.segments(int(rows[0]))

    # -------------------------------------------------------------- evidence paths
    def evidence_path(self, txid: str, vout=None) -> list[str]:
        """The chain of outputs (``txid:vout``) that links the start to an endpoint.

        For a fee (``vout`` None) the last item is ``"txid (fee)"``.
        """
        ix, e = self.chain.index, self._e
        pos = self.chain.tx_position(txid)
        if vout is None or pd.isna(vout):
            return self._path(int(e.txpred[pos])) + [f"{ix.txids[pos]} (fee)"]
        return self._path(int(ix.out_start[pos] + int(vout)))

    def _path(self, row: int) -> list[str]:
        ix, e = self.chain.index, self._e
        txids = ix.txids
        path = []
        seen = 0
        while row >= 0 and seen <= len(e.hop):
            t = ix.tx_of_output[row]
            path.append(f"{txids[t]}:{row - ix.out_start[t]}")
            row = int(e.pred[row])
            seen += 1
        return path[::-1] if e.forward else path

    def evidence_paths(self, txids, vouts) -> list[list[str]]:
        """The evidence paths (lists of ``txid:vout``, start first) of many coins at once.

        ``txids`` and ``vouts`` are columns of :attr:`coins` (or :attr:`endpoints`); a row without a
        vout (a fee) gets an empty path.
        """
        ix = self.chain.index
        pos = ix.txids.get_indexer(pd.Index(pd.Series(txids).to_numpy(dtype=object)))
        vout = pd.Series(vouts).to_numpy(dtype=np.float64, na_value=np.nan)
        ok = (pos >= 0) & ~np.isnan(vout)
        rows = np.where(ok, ix.out_start[np.maximum(pos, 0)] + np.nan_to_num(vout).astype(np.int64), -1)
        return self._paths(rows) if len(rows) else []

    def _paths(self, rows: np.ndarray) -> list[list[str]]:
        """Evidence paths of many output rows (pointer-chasing vectorised over the rows)."""
        ix, e = self.chain.index, self._e
        steps = [rows]
        cur = rows
        for _ in range(int(e.hop.max(initial=0)) + 2):
            cur = np.where(cur >= 0, e.pred[np.maximum(cur, 0)], -1)
            if not (cur >= 0).any():
                break
            steps.append(cur)
        mat = np.stack(steps, axis=1) if steps else np.zeros((0, 0), dtype=np.int64)
        txids = ix.txids.to_numpy(dtype=object)
        flat = mat[mat >= 0]
        t = ix.tx_of_output[flat]
        labels = np.array([f"{a}:{b}" for a, b in zip(txids[t], flat - ix.out_start[t])], dtype=object)
        lookup = dict(zip(flat.tolist(), labels.tolist()))
        out = []
        for r in mat:
            p = [lookup[x] for x in r.tolist() if x >= 0]
            out.append(p[::-1] if e.forward else p)
        return out

    # -------------------------------------------------------------- entity view
    def entity_flows(self, *, include_internal: bool = False) -> pd.DataFrame:
        """Traced value moving between entities (clusters), summed over the followed transactions.

        Each followed transaction moves value from the entity of its largest
        traced input to the entities of its traced outputs. An address
        without a cluster (or a trace without ``clustering``) is its own entity.

        Returns
        -------
        DataFrame
            ``from_entity, to_entity, tainted_value, n_txs, first_hop``;
            moves inside one entity (e.g. change) are left out unless
            ``include_internal=True``.
        """
        e, ix = self._e, self.chain.index
        tx = np.flatnonzero(e.txdist >= 0)
        cols = ["from_entity", "to_entity", "tainted_value", "n_txs", "first_hop"]
        if not len(tx):
            return pd.DataFrame({c: [] for c in cols})
        in_rows, in_grp = expand(ix.in_start[tx], ix.in_start[tx + 1])
        src = ix.output_of_input[in_rows]
        in_t = np.where(src >= 0, e.taint[np.maximum(src, 0)], e.ext[in_rows])
        order = np.lexsort((-in_t, in_grp))
        start = group_starts(in_grp, len(tx))
        has = start[1:] > start[:-1]
        first = order[np.minimum(start[:-1], max(len(order) - 1, 0))]
        from_code = np.where(has, ix.address_of_input[in_rows[first]] if len(order) else -1, -1)
        out_rows, out_grp = expand(ix.out_start[tx], ix.out_start[tx + 1])
        out_t = e.taint[out_rows]
        if e.forward:
            out_t = np.where(e.is_start[out_rows], e.returned[out_rows], out_t)
        keep = out_t > 0
        from_addr = self._addr(from_code[out_grp[keep]])
        to_addr = self._addr(ix.address_of_output[out_rows[keep]])

        def entity(addr):
            cl = self._cluster_of(addr)
            return np.where(pd.isna(cl), addr, cl).astype(object)

        df = pd.DataFrame(
            {
                "from_entity": entity(from_addr),
                "to_entity": entity(to_addr),
                "tainted_value": out_t[keep],
                "tx": tx[out_grp[keep]],
                "hop": e.txdist[tx[out_grp[keep]]],
            }
        )
        if not include_internal:
            df = df[df.from_entity.astype(str) != df.to_entity.astype(str)]
        g = df.groupby(["from_entity", "to_entity"], sort=False, dropna=False).agg(
            tainted_value=("tainted_value", "sum"), n_txs=("tx", "nunique"), first_hop=("hop", "min")
        )
        return (
            g.reset_index()
            .sort_values(["first_hop", "tainted_value"], ascending=[True, False], kind="stable")
            .reset_index(drop=True)[cols]
        )

    # -------------------------------------------------------------- summaries
    def summary(self) -> dict:
        """The trace in figures (satoshis): start value, what was followed, where the value ended."""
        ep = self.endpoints
        by_kind = {str(k): int(v) for k, v in ep.groupby("kind", sort=True, observed=True).tainted_value.sum().items()}
        total = int(ep.tainted_value.sum())
        e = self._e
        conserved = total == self.start_value if self.policy.conserved else None
        return {
            **self.params,
            "start_outputs": int(len(self.start_rows)),
            "start_value": self.start_value,
            "txs_followed": int((e.txdist >= 0).sum()),
            "hops_reached": int(e.txdist.max(initial=0)),
            "outputs_tainted": int((e.taint > 0).sum()),
            "endpoints": int(len(ep)),
            "endpoint_value": total,
            "records_complete": self.records_complete,
            "by_kind": by_kind,
            "conserved": conserved,
        }

    def describe(self) -> str:
        """A few plain sentences about the trace."""
        s = self.summary()
        way = (
            "forward (where the coins went)" if s["direction"] == "forward" else "backward (where the coins came from)"
        )
        conv = []
        if s["direction"] == "forward" and self.policy.has_fee_choice:
            conv.append(f"fee {s['fee_policy']}: {FEE_POLICIES[s['fee_policy']]}")
        if "fifo_order" in s:
            conv.append(f"coins read {s['fifo_order']}: {FIFO_ORDERS[s['fifo_order']]}")
        lines = [
            f"Traced {format_btc(s['start_value'])} from {s['start']} {way}, policy {s['policy']}: {self.policy.rule}.",
            *[f"Convention: {c}." for c in conv],
            f"Followed {s['txs_followed']:,} transaction(s) over {s['hops_reached']} hop(s) "
            f"(limit {s['max_hops']}); the value ended in {s['endpoints']:,} place(s):",
        ]
        for k, v in sorted(s["by_kind"].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {format_btc(v):>22}  {k}: {ENDPOINT_KINDS.get(k, k)}")
        if not s["records_complete"]:
            lines.append(
                "These records are a partial chain (blocks are missing between the first and last), "
                "so where they end is not where the coins stopped: fetch the next transactions to go on."
            )
        if s["conserved"] is False:
            lines.append("Warning: the endpoint total differs from the start value; please report this.")
        elif not self.policy.conserved:
            lines.append("Poison counts every touched coin in full, so these amounts add up to more than the start.")
        return "\n".join(lines)

    __str__ = describe

    def plot(self, **kwargs):
        """The trace as a flow picture, left to right (:func:`cryptotrace.plot.trace_flow`)."""
        from ..plot import trace_flow

        return trace_flow(self, **kwargs)

    def seizure_candidates(self, clustering=None, tags=None, **kwargs):
        """Where the traced value can be frozen or seized (:func:`cryptotrace.tracing.seizure_candidates`)."""
        from .seizure import seizure_candidates

        return seizure_candidates(self, clustering, tags, **kwargs)

    def followed(self, *, coinjoin: bool | None = None) -> pd.DataFrame:
        """The transactions this trace followed, with a ``coinjoin`` column
        (:func:`cryptotrace.search.trace_transactions`); ``coinjoin=True`` keeps only the CoinJoins,
        ``False`` only the others."""
        from ..search import trace_transactions

        return trace_transactions(self, coinjoin=coinjoin)

    def first_coinjoin(self):
        """The first CoinJoin (fewest hops from the start) this trace passed through
        (:func:`cryptotrace.search.first_coinjoin`)."""
        from ..search import first_coinjoin

        return first_coinjoin(self)

    def peel_chain(self) -> pd.DataFrame:
        """The peel chain(s) this trace runs through, one row per hop (:func:`cryptotrace.search.peel_chain`)."""
        from ..search import peel_chain

        return peel_chain(self)

    def plot_summary(self, candidates=None, **kwargs):
        """Where the money went, as bars (:func:`cryptotrace.plot.money_summary`)."""
        from ..plot import money_summary

        return money_summary(self, candidates, **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """The flows table (one row per output a followed transaction pays, and the start), in satoshis, with
        the worth in EUR and USD at the time (:data:`FIAT_COLUMNS`, unless the trace was made with ``fiat=False``):
        what ``cryptotrace.export.to_csv(trace)`` writes."""
        f = self.flows.copy()
        if self.fiat:
            c = self._core
            sel = np.flatnonzero(c["entry"] == _ENTRY["coin"])  # the flows are the coin rows, in the same order
            f["time"] = self.chain.txs.time.take(c["tx"][sel]).reset_index(drop=True)
            self._insert_fiat(f, self._fiat(c["value"][sel], c["traced"][sel], c["tx"][sel]), after="tainted_value")
        return f

    def to_dict(self) -> dict:
        """Parameters, summary and endpoints as plain Python (satoshis as int)."""
        ep = self.endpoints
        recs = []
        for r in ep.itertuples(index=False):
            recs.append(
                {
                    "txid": r.txid,
                    "vout": None if pd.isna(r.vout) else int(r.vout),
                    "address": None if pd.isna(r.address) else str(r.address),
                    "value": int(r.value),
                    "tainted_value": int(r.tainted_value),
                    "kind": str(r.kind),
                    "service": None if pd.isna(r.service) else str(r.service),
                    "category": None if pd.isna(r.category) else str(r.category),
                    "jurisdiction": None if pd.isna(r.jurisdiction) else str(r.jurisdiction),
                    "hop": int(r.hop),
                }
            )
            if self.fiat:
                recs[-1].update(
                    {c: (None if pd.isna(getattr(r, c)) else float(getattr(r, c))) for c in FIAT_COLUMNS[:4]}
                )
                recs[-1]["price_note"] = str(r.price_note) or None
                recs[-1]["time"] = None if pd.isna(r.time) else r.time.isoformat()
        return {"params": dict(self.params), "summary": self.summary(), "endpoints": recs}

    def to_json(self, **kwargs) -> str:
        """:meth:`to_dict` as JSON text (the CLI's ``--json`` output)."""
        return json.dumps(self.to_dict(), default=_json_default, **({"indent": 2} | kwargs))

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<Trace {s['direction']} {s['policy']} from {s['start']} ({format_btc(s['start_value'])}): "
            f"{s['txs_followed']:,} txs over {s['hops_reached']} hops, {s['endpoints']:,} endpoints>"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        head = html.escape(self.describe()).replace("\n", "<br>")
        ep = self.endpoints.head(20).copy()
        for c in ("value", "tainted_value"):
            ep[c] = ep[c].map(lambda v: format_btc(v, unit=False))
        ep = ep.rename(columns={"value": "value (BTC)", "tainted_value": "traced (BTC)"})
        more = f"<p>showing 20 of {s['endpoints']:,} endpoints</p>" if s["endpoints"] > 20 else ""
        return f"<div><b>Trace</b><p>{head}</p>{ep.to_html(index=False)}{more}</div>"


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if o is pd.NA:
        return None
    return str(o)


def _kind_strings(codes: np.ndarray) -> pd.Series:
    """Endpoint kind names from their codes (-1: not an endpoint, missing)."""
    try:
        import pyarrow as pa

        idx = pa.array(np.maximum(codes, 0).astype(np.int8), mask=codes < 0)
        arr = pa.DictionaryArray.from_arrays(idx, pa.array(list(ENDPOINT_KINDS))).cast(pa.large_string())
        return pd.Series(pd.arrays.ArrowStringArray(arr))
    except (ImportError, TypeError, ValueError):  # pragma: no cover - pyarrow is a dependency
        names = np.array(list(ENDPOINT_KINDS), dtype=object)
        return pd.Series(pd.array(np.where(codes >= 0, names[np.maximum(codes, 0)], None), dtype="string"))


def _flags_of(detector, chain) -> np.ndarray:
    """A transaction flag (anything called with the chain giving one bool per transaction) as an array."""
    res = detector(chain)
    flags = np.asarray(res, dtype=bool)
    if flags.shape != (len(chain.txs),):
        raise TraceError(
            f"the CoinJoin detector {getattr(detector, 'name', detector)!r} gave {flags.shape} flags "
            f"for {len(chain.txs)} transactions; give a transaction flag such as "
            "cryptotrace.heuristics.coinjoin.coinjoin"
        )
    return flags
