"""Questions an investigator asks of a chain, one plain call each.

* :func:`address_summary`: the history of an address, one row per transaction, with the balance after each;
* :func:`payments_from`: who was paid by the transactions spending from an address (and which output was change);
* :func:`where_from`: which earlier coins a transaction spends;
* :func:`inputs_by_address`: a transaction's inputs added up per address;
* :func:`paths`: evidence paths, with amounts, from one address (or cluster) to another;
* :func:`find_services`: the tagged services (exchanges ...) the money reaches within N hops;
* :func:`trace_transactions`, :func:`first_coinjoin`, :func:`peel_chain`: a trace's transactions,
  its CoinJoins and the peel chain it runs through;
* :func:`wallet_addresses`: the addresses an account public key (xpub/zpub) shows, with their coins.

Every table is in satoshis (``ct.show(table)`` shows BTC). The walks go hop by hop over
whole frontiers (numpy), never one transaction at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import CryptotraceError

__all__ = [
    "SearchError",
    "address_summary",
    "amount_paid",
    "coinjoin_entry",
    "find_services",
    "first_coinjoin",
    "inputs_by_address",
    "paths",
    "payments_from",
    "peel_chain",
    "trace_transactions",
    "wallet_addresses",
    "where_from",
]


class SearchError(CryptotraceError, ValueError):
    """A search was given something it cannot search from (an unknown address, no CoinJoin, ...)."""


# ---------------------------------------------------------------------------------------------- helpers
def _address_code(chain, address: str, where: str) -> int:
    a = str(address).strip()
    try:
        code = chain.index.addresses.get_loc(a)
    except KeyError:
        raise SearchError(
            f"{where}: the address {a!r} does not appear in this chain; check it (copy it from the "
            "evidence), or load records that include it"
        ) from None
    return int(code)


def _start_rows(chain, start, clustering, where: str) -> np.ndarray:
    """Output rows to start from: addresses (or their clusters), ``txid:vout`` outpoints, or cluster ids."""
    items = [start] if isinstance(start, (str, int, np.integer)) else list(start)
    if not items:
        raise SearchError(f"{where}: give at least one address to start from")
    ix = chain.index
    codes, rows = [], []
    for it in items:
        if isinstance(it, (int, np.integer)) and not isinstance(it, bool):
            if clustering is None:
                raise SearchError(f"{where}: {it} is a cluster number; give clustering= too, or give an address")
            codes += [_address_code(chain, a, where) for a in clustering.members(int(it))]
        elif isinstance(it, str) and ":" in it and len(it.split(":")[0]) == 64:
            txid, vout = it.rsplit(":", 1)
            pos = chain.tx_position(txid)
            lo, hi = ix.out_start[pos], ix.out_start[pos + 1]
            if not vout.isdigit() or int(vout) >= hi - lo:
                raise SearchError(f"{where}: transaction {txid[:16]}... has no output {vout!r} (it has {hi - lo})")
            rows.append(lo + int(vout))
        else:
            code = _address_code(chain, it, where)
            if clustering is not None:
                cid = clustering.cluster_of(str(it).strip())
                codes += [_address_code(chain, a, where) for a in clustering.members(cid)]
            else:
                codes.append(code)
    if codes:
        rows += np.flatnonzero(np.isin(ix.address_of_output, np.asarray(codes, dtype=np.int64))).tolist()
    return np.unique(np.asarray(rows, dtype=np.int64))


def _walk(chain, rows: np.ndarray, max_hops: int, stop: np.ndarray | None = None):
    """Follow outputs forward, hop by hop: the hop at which each output is first reached and the output
    it was reached from (``-1``: not reached / a start). ``stop`` marks outputs not followed further."""
    ix = chain.index
    n = len(ix.tx_of_output)
    hop = np.full(n, -1, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    hop[rows] = 0
    frontier = rows
    for h in range(1, int(max_hops) + 1):
        if stop is not None:
            frontier = frontier[~stop[frontier]]
        spender = ix.input_of_output[frontier]
        ok = spender >= 0
        if not ok.any():
            break
        src, tx = frontier[ok], ix.tx_of_input[spender[ok]]
        tx, first = np.unique(tx, return_index=True)
        lo, hi = ix.out_start[tx], ix.out_start[tx + 1]
        lens = hi - lo
        outs = np.repeat(lo, lens) + np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        par = np.repeat(src[first], lens)
        new = hop[outs] < 0
        outs, par = outs[new], par[new]
        hop[outs], parent[outs] = h, par
        frontier = outs
        if not len(frontier):
            break
    return hop, parent


def _outputs_table(chain, rows: np.ndarray) -> pd.DataFrame:
    o = chain.outputs
    return pd.DataFrame(
        {
            "txid": o.txid.take(rows).to_numpy(dtype=object),
            "vout": o.vout.to_numpy(np.int64)[rows],
            "address": o.address.take(rows).to_numpy(dtype=object),
            "value": o.value.to_numpy(np.int64)[rows],
        }
    )


# ---------------------------------------------------------------------------------------------- addresses
def address_summary(chain, address: str, *, after_block: int | None = None, only: str | None = None) -> pd.DataFrame:
    """The history of one address: one row per transaction, with what came in, went out, and the balance after.

    Parameters
    ----------
    chain : Chain
    address : str
    after_block : int, optional
        Keep only the transactions in blocks after this height (the balance still counts all).
    only : {"received", "sent"}, optional
        Keep only the transactions that paid the address, or only those that spent from it.

    Returns
    -------
    DataFrame
        ``block_height``, ``time``, ``received``, ``sent``, ``balance_after`` (satoshis, in these
        records) and ``txid``, oldest first.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> early = ct.load_sample("hal_finney")
    >>> history = ct.address_summary(early, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S")
    >>> ct.format_btc(history.received.iloc[0])
    '50.00000000 BTC'
    """
    _address_code(chain, address, "address_summary")
    if only not in (None, "received", "sent"):
        raise SearchError(f"address_summary: only={only!r}; use only='received', only='sent' or leave it out")
    t = chain.address(str(address).strip()).transactions
    t = t.sort_values(["block_height", "time"], kind="stable").reset_index(drop=True)
    t["balance_after"] = (t.received - t.sent).cumsum().astype("int64")
    t = t[["block_height", "time", "received", "sent", "balance_after", "txid"]]
    keep = np.ones(len(t), dtype=bool)
    if after_block is not None:
        keep &= (t.block_height > int(after_block)).to_numpy()
    if only == "sent":
        keep &= (t.sent > 0).to_numpy()
    elif only == "received":
        keep &= (t.received > 0).to_numpy()
    return t[keep].reset_index(drop=True)


def payments_from(chain, address: str) -> pd.DataFrame:
    """Every output of the transactions that spend from ``address``: who was paid, and what was change.

    An output paid back to ``address`` itself is marked ``change (back to the sender)``; the
    others ``payment``.

    Returns
    -------
    DataFrame
        ``block_height``, ``role``, ``address``, ``value`` (satoshis), ``txid``, ``vout``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> early = ct.load_sample("hal_finney")
    >>> paid = ct.payments_from(early, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S")
    >>> "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3" in set(paid.address)
    True
    """
    code = _address_code(chain, address, "payments_from")
    ix = chain.index
    txs = np.unique(ix.tx_of_input[ix.address_of_input == code])
    lo, hi = ix.out_start[txs], ix.out_start[txs + 1]
    lens = hi - lo
    rows = np.repeat(lo, lens) + np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    out = _outputs_table(chain, rows)
    out.insert(0, "block_height", chain.txs.block_height.to_numpy()[ix.tx_of_output[rows]])
    back = ix.address_of_output[rows] == code
    out.insert(1, "role", np.where(back, "change (back to the sender)", "payment"))
    return out[["block_height", "role", "address", "value", "txid", "vout"]]


def where_from(chain, txid: str, *, trace=None) -> pd.DataFrame:
    """The coins a transaction spends: for each input, the earlier transaction and output it comes from.

    Parameters
    ----------
    chain : Chain
    txid : str
    trace : Trace, optional
        Add a column ``followed``: whether the trace followed the earlier transaction.

    Returns
    -------
    DataFrame
        ``vin``, ``address``, ``value`` (satoshis), ``from_txid``, ``from_vout``, ``from_block``,
        ``newly_mined`` (the earlier transaction is a coinbase), ``outside_data``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> early = ct.load_sample("hal_finney")
    >>> src = ct.where_from(early, "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
    >>> bool(src.newly_mined.iloc[0]), int(src.from_block.iloc[0])
    (True, 9)
    """
    pos = chain.tx_position(txid)
    ix = chain.index
    lo, hi = ix.in_start[pos], ix.in_start[pos + 1]
    i = chain.inputs.iloc[lo:hi].reset_index(drop=True)
    src = ix.output_of_input[lo:hi]
    src_tx = np.where(src >= 0, ix.tx_of_output[np.maximum(src, 0)], -1)
    heights = chain.txs.block_height.to_numpy()
    cb = chain.txs.is_coinbase.to_numpy()
    out = pd.DataFrame(
        {
            "vin": i.vin.to_numpy(np.int64),
            "address": i.address.to_numpy(dtype=object),
            "value": i.value.to_numpy(),
            "from_txid": i.prev_txid.to_numpy(dtype=object),
            "from_vout": i.prev_vout.to_numpy(),
            "from_block": pd.array(np.where(src_tx >= 0, heights[np.maximum(src_tx, 0)], pd.NA), dtype="Int64"),
            "newly_mined": np.where(src_tx >= 0, cb[np.maximum(src_tx, 0)], False).astype(bool),
            "outside_data": src_tx < 0,
        }
    )
    if trace is not None:
        followed = set(trace.transactions.txid)
        out["followed"] = [t in followed for t in out.from_txid]
    return out


def inputs_by_address(chain, txid: str) -> pd.DataFrame:
    """A transaction's inputs added up per address: how many inputs each brought, and their value.

    Returns
    -------
    DataFrame
        Indexed by ``address``: ``inputs`` (count) and ``value`` (satoshis), largest value first.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.tracing import worked_example_chain
    >>> ex = worked_example_chain()
    >>> t = ct.inputs_by_address(ex, ex.txs.txid.iloc[1])
    >>> int(t.inputs.sum()), int(t.value.sum())
    (2, 1000000000)
    """
    tx = chain.tx(txid)
    i = tx.inputs
    table = pd.DataFrame(
        {
            "address": i.address.fillna("(no address)").to_numpy(dtype=object),
            "value": i.value.fillna(0).to_numpy(np.int64),
        }
    )
    g = table.groupby("address", sort=False)
    out = pd.DataFrame({"inputs": g.size(), "value": g.value.sum().astype("int64")})
    return out.sort_values(["value", "inputs"], ascending=False, kind="stable")


# ---------------------------------------------------------------------------------------------- paths
def paths(chain, source, target, *, max_hops: int = 10, clustering=None, limit: int = 20) -> pd.DataFrame:
    """Evidence paths, with amounts, along which coins went from ``source`` to ``target``.

    Walks forward from every output paid to ``source`` (hop by hop, each output spent by one
    transaction leading to that transaction's outputs) and keeps, for each output reaching
    ``target``, the shortest chain of outputs from the source to it.

    Parameters
    ----------
    chain : Chain
    source, target : str, list of str or int
        Addresses, ``txid:vout`` outpoints, or (with ``clustering``) cluster numbers. With
        ``clustering``, an address stands for its whole cluster.
    max_hops : int
        How many transactions a path may pass through.
    clustering : Clustering, optional
    limit : int
        At most this many paths (the shortest first).

    Returns
    -------
    DataFrame
        One row per step: ``path`` (number), ``step`` (0 = the coins at the source), ``txid`` and
        ``vout`` of the output, its ``address`` and ``value`` (satoshis), and ``at_target``. An empty
        table when no path exists within ``max_hops``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.tracing import worked_example_chain
    >>> ex = worked_example_chain()
    >>> a, b = ex.outputs.address.iloc[0], ex.outputs.address.iloc[4]
    >>> p = ct.paths(ex, a, b, max_hops=2)
    >>> p.step.tolist(), ct.format_btc(p.value.iloc[-1])
    ([0, 1], '3.00000000 BTC')
    """
    if int(max_hops) < 1:
        raise SearchError(f"paths: max_hops={max_hops}; give at least 1")
    rows = _start_rows(chain, source, clustering, "paths (source)")
    goal = np.zeros(len(chain.index.tx_of_output), dtype=bool)
    goal[_start_rows(chain, target, clustering, "paths (target)")] = True
    hop, parent = _walk(chain, rows, max_hops)
    ends = np.flatnonzero(goal & (hop > 0))
    ends = ends[np.lexsort((ends, hop[ends]))][: int(limit)]
    pieces = []
    for k, end in enumerate(ends):  # one short loop per path found (at most `limit`), not per transaction
        chain_rows = [end]
        while parent[chain_rows[-1]] >= 0:
            chain_rows.append(parent[chain_rows[-1]])
        r = np.asarray(chain_rows[::-1], dtype=np.int64)
        t = _outputs_table(chain, r)
        t.insert(0, "step", np.arange(len(r)))
        t.insert(0, "path", k + 1)
        t["at_target"] = goal[r]
        pieces.append(t)
    if not pieces:
        return pd.DataFrame(
            {
                "path": pd.Series(dtype="int64"),
                "step": pd.Series(dtype="int64"),
                "txid": pd.Series(dtype=object),
                "vout": pd.Series(dtype="int64"),
                "address": pd.Series(dtype=object),
                "value": pd.Series(dtype="int64"),
                "at_target": pd.Series(dtype=bool),
            }
        )
    return pd.concat(pieces, ignore_index=True)


def _tag_lookup(chain, tags, clustering) -> tuple[np.ndarray, pd.DataFrame]:
    """For each address code of the chain, the row of its tag in the returned table (-1: untagged).

    With ``clustering``, an untagged address gets the tag of a tagged address in its cluster.
    """
    best = tags.best_per_address()
    codes = chain.index.addresses.get_indexer(best.index)
    keep = codes >= 0
    cols = ["label", "category", "jurisdiction"] + [c for c in ("account_holder",) if c in best.columns]
    table = best.loc[keep, cols].reset_index(drop=True)
    codes = codes[keep]
    row = np.full(chain.index.n_addresses, -1, dtype=np.int64)
    if clustering is not None and len(codes):
        labels = clustering.labels_.reindex(chain.index.addresses).to_numpy(np.int64)
        of_cluster = np.full(labels.max() + 1, -1, dtype=np.int64)
        of_cluster[labels[codes][::-1]] = np.arange(len(codes))[::-1]  # the first tag of each cluster
        row = of_cluster[labels]
    row[codes] = np.arange(len(codes))
    return row, table


def find_services(chain, start, *, tags=None, within: int = 5, categories=None, clustering=None) -> pd.DataFrame:
    """The tagged services the money from ``start`` reaches within ``within`` hops, nearest first.

    Answers "which exchange is nearest, within 5 hops?": walks forward from every output paid
    to ``start`` and stops at each output whose address is tagged (with ``clustering``: whose
    cluster holds a tagged address), so a service's own later payments are not walked through
    (any tagged service stops the walk, also one of a category not asked for).

    Parameters
    ----------
    chain : Chain
    start : str, list of str or int
        Addresses, ``txid:vout`` outpoints or cluster numbers (see :func:`paths`).
    tags : TagStore
        The attribution (``ct.load_tags(...)``).
    within : int
        The most hops (transactions) from the start.
    categories : list of str, optional
        Keep only these categories (e.g. ``["exchange"]``); default all.
    clustering : Clustering, optional

    Returns
    -------
    DataFrame
        ``hops``, ``service`` (the tag's label), ``category``, ``jurisdiction``, ``address``,
        ``value`` (satoshis), ``txid``, ``vout`` (and ``account_holder`` when the tags are an exchange's
        answers to a production order); nearest first, then largest value.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> import pandas as pd
    >>> from cryptotrace.tracing import worked_example_chain
    >>> ex = worked_example_chain()
    >>> tags = ct.TagStore.from_frame(pd.DataFrame({"address": [ex.outputs.address.iloc[3]],
    ...                                             "label": ["Kryptohaus hot wallet"], "category": ["exchange"]}))
    >>> found = ct.find_services(ex, ex.outputs.address.iloc[0], tags=tags, within=5)
    >>> found.service.tolist(), found.hops.tolist()
    (['Kryptohaus hot wallet'], [1])
    """
    if tags is None:
        raise SearchError(
            "find_services needs the tags that say which addresses are services: "
            "find_services(chain, start, tags=ct.load_tags(case.path), within=5)"
        )
    if isinstance(within, bool) or not isinstance(within, (int, np.integer)):
        raise SearchError(f"within is a whole number of hops, not {within!r}; e.g. within=5")
    if int(within) < 1:
        raise SearchError(f"find_services: within={within}; give at least 1 hop")
    rows = _start_rows(chain, start, clustering, "find_services")
    row, table = _tag_lookup(chain, tags, clustering)
    wanted = np.ones(len(table), dtype=bool)
    if categories is not None:
        want = {str(c).lower() for c in ([categories] if isinstance(categories, str) else categories)}
        wanted = table.category.astype("string").str.lower().isin(want).fillna(False).to_numpy(bool)
    codes = chain.index.address_of_output
    tag_row = np.where(codes >= 0, row[np.maximum(codes, 0)], -1)
    stop = tag_row >= 0  # every tagged service stops the walk (its payments are its own) ...
    keep = stop.copy()  # ... and those of the asked-for categories are listed
    keep[stop] = wanted[tag_row[stop]]
    hop, _ = _walk(chain, rows, within, stop=stop)
    hit = np.flatnonzero(keep & (hop > 0))
    t = _outputs_table(chain, hit)
    look = table.iloc[tag_row[hit]].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "hops": hop[hit],
            "service": look.label.to_numpy(),
            "category": look.category.to_numpy(),
            "jurisdiction": look.jurisdiction.to_numpy(),
            "address": t.address,
            "value": t.value,
            "txid": t.txid,
            "vout": t.vout,
        }
    )
    if "account_holder" in look:  # the tags are an exchange's answer to a production order
        out["account_holder"] = look.account_holder.to_numpy()
    return out.sort_values(["hops", "value"], ascending=[True, False], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- traces
def trace_transactions(trace, *, coinjoin: bool | None = None) -> pd.DataFrame:
    """The transactions a trace followed, with a ``coinjoin`` column (the CoinJoin detectors' verdict).

    Parameters
    ----------
    trace : Trace
    coinjoin : bool, optional
        ``True``: only the CoinJoins; ``False``: only the other transactions; default all.

    Returns
    -------
    DataFrame
        ``hop``, ``txid``, ``tainted_in``, ``tainted_out``, ``fee_taint`` (satoshis) and ``coinjoin``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.tracing import worked_example_chain
    >>> ex = worked_example_chain()
    >>> t = ct.trace(ex, ex.txs.txid.iloc[0] + ":0", policy="fifo", max_hops=1, min_value=0)
    >>> ct.trace_transactions(t).coinjoin.tolist()
    [False]
    """
    t = trace.transactions.copy()
    chain = trace.chain
    flags = trace.coinjoin_flags[0]  # the trace's own CoinJoin detection (run once per trace)
    pos = chain.index.txids.get_indexer(t.txid.to_numpy(dtype=object))
    t["coinjoin"] = flags[pos]
    if coinjoin is not None:
        t = t[t.coinjoin == bool(coinjoin)].reset_index(drop=True)
    return t


def first_coinjoin(trace):
    """The first CoinJoin (fewest hops from the start) the trace passed through, as ``chain.tx`` shows it.

    Raises
    ------
    SearchError
        When the trace passed through no CoinJoin.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("nps_vendor")
    >>> refund = case.evidence.address("nps_vendor_market_listing.md")
    >>> trail = ct.trace(case.chain, refund, policy="fifo", tags=ct.load_tags(case.tags_path), max_hops=30)
    >>> len(ct.first_coinjoin(trail).outputs) >= 5
    True
    """
    mixes = trace_transactions(trace, coinjoin=True)
    if not len(mixes):
        raise SearchError(
            "first_coinjoin: the trace passed through no CoinJoin (none of the detectors flags "
            "a transaction it followed)"
        )
    return trace.chain.tx(mixes.txid.iloc[0])


def coinjoin_entry(trace):
    """The transaction the trace followed into its first CoinJoin (for Whirlpool: the suspect's tx0).

    Raises
    ------
    SearchError
        When the trace passed through no CoinJoin, or followed none of the transactions that fed it.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("nps_vendor")
    >>> refund = case.evidence.address("nps_vendor_market_listing.md")
    >>> trail = ct.trace(case.chain, refund, policy="fifo", tags=ct.load_tags(case.tags_path), max_hops=30)
    >>> tx0 = ct.coinjoin_entry(trail)
    >>> tx0.txid in set(ct.first_coinjoin(trail).inputs.prev_txid)
    True
    """
    mix = first_coinjoin(trace)
    followed = trace.transactions
    fed = followed[followed.txid.isin(set(mix.inputs.prev_txid.dropna()))]
    if not len(fed):
        raise SearchError(
            f"coinjoin_entry: the trace followed none of the transactions that fed the CoinJoin {mix.txid[:16]}..."
        )
    return trace.chain.tx(fed.txid.iloc[0])


def amount_paid(chain, txid: str, *, to) -> int:
    """What one transaction paid to an address (or to any of a list of addresses), in satoshis.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> early = ct.load_sample("hal_finney")
    >>> ct.format_btc(ct.amount_paid(early, "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
    ...                              to="1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"))
    '10.00000000 BTC'
    """
    targets = {to.strip()} if isinstance(to, str) else {str(a).strip() for a in to}
    for a in targets:
        _address_code(chain, a, "amount_paid")
    out = chain.tx(txid).outputs
    return int(out.value[out.address.isin(targets)].sum())


def peel_chain(trace) -> pd.DataFrame:
    """The peel chain(s) the trace runs through: one row per hop, with what the trace carried into it.

    Returns
    -------
    DataFrame
        ``peel_id``, ``hop`` (within the peel chain), ``txid``, ``peeled`` and ``remaining`` (satoshis, as
        :func:`cryptotrace.heuristics.peel_chains` finds them), ``payment_address`` and ``tainted_in``
        (what the trace carried into the hop).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("nps_vendor")
    >>> refund = case.evidence.address("nps_vendor_market_listing.md")
    >>> trail = ct.trace(case.chain, refund, policy="fifo", tags=ct.load_tags(case.tags_path), max_hops=30)
    >>> len(ct.peel_chain(trail)) > 2
    True
    """
    from .heuristics import peel_chains

    followed = trace.transactions
    peels = peel_chains(trace.chain)
    peel = peels[peels.txid.isin(followed.txid)].reset_index(drop=True)
    carried = followed.set_index("txid").tainted_in
    peel["tainted_in"] = carried.reindex(peel.txid).to_numpy(np.int64)
    return peel


def wallet_addresses(chain, xpub: str, *, count: int = 20) -> pd.DataFrame:
    """The first ``count`` receive addresses of an account public key (xpub/ypub/zpub) that this chain knows.

    Returns
    -------
    DataFrame
        Indexed by address: ``received``, ``sent``, ``balance`` (satoshis), ``first_seen``, ``last_seen``.
        Addresses the key shows but the chain never saw are left out.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("nps_vendor")
    >>> zpub = case.evidence.xpub("nps_vendor_seized_phone.md")
    >>> int(ct.wallet_addresses(case.chain, zpub, count=10).balance.sum()) > 0
    True
    """
    from .cases.keys import derive_addresses

    try:
        derived = derive_addresses(str(xpub).strip(), int(count))
    except CryptotraceError:
        raise
    except Exception as exc:  # noqa: BLE001  (bitcoinlib raises its own errors: say what to give instead)
        raise SearchError(
            f"wallet_addresses: {str(xpub)[:16]}... is not an account public key (xpub, ypub or "
            f"zpub) ({type(exc).__name__}); copy the whole key from the evidence"
        ) from None
    table = chain.addresses.reindex(derived).dropna(subset=["received"])
    return table[["received", "sent", "balance", "first_seen", "last_seen"]].astype(
        {"received": "int64", "sent": "int64", "balance": "int64"}
    )
