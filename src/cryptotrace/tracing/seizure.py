"""Seizure candidates: where the traced value can be frozen or seized, ranked, read from ``Trace.coins``.

:func:`seizure_candidates` classifies each endpoint of a forward trace (``Trace.coins`` rows
with an ``endpoint_kind``) by the coin table's own columns: ``role`` (custodial, mixing ...,
from :func:`cryptotrace.tags.category_role`), ``mixer``, ``coinjoin_on_path``, ``cluster``;
it runs no detector and reads no category of its own.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..errors import TraceError
from ..units import format_btc
from ._inputs import labels_of, tag_table

__all__ = [
    "DEFAULT_MIN_SHARE",
    "DEFAULT_MIN_VALUE",
    "SEIZURE_CLASSES",
    "SeizureCandidates",
    "coinjoin_txids",
    "seizure_candidates",
]


#: Classes of seizure candidate, best prospects first, with the action each suggests.
SEIZURE_CLASSES = {
    "at_service": "at a custodial service: ask for a freeze and a production order",
    "suspect_unspent": "unspent in the suspect's cluster: seizable if the keys are obtained "
    "(e.g. an xpub or seed on a seized device)",
    "unspent_unknown": "unspent at an address of unknown owner: identify the owner, then act",
    "mixed": "dissipated through a mixer or CoinJoin: uncertain, the link is probabilistic",
    "spent_unknown": "moved on to unknown hands (or beyond the traced hops): trace further",
    "end_of_records": "the records end here (a partial chain): fetch the next transactions and trace further",
}


#: Default materiality thresholds of :func:`seizure_candidates`.
DEFAULT_MIN_VALUE = 100_000  # satoshis (0.001 BTC): below this a candidate has no action line of its own
DEFAULT_MIN_SHARE = 0.5  # traced share of the coin: below this, ask for details, not a freeze
DEFAULT_MAX_ROWS = 25  # material candidates with a line of their own (one printed page)


class SeizureCandidates:
    """Where the traced value can be frozen or seized, ranked (see :func:`seizure_candidates`).

    Displays the *material* candidates (traced value at least ``min_value``)
    and one line for the immaterial tail; :attr:`table` (or
    ``to_frame()``) keeps every candidate.

    Attributes
    ----------
    table : DataFrame
        ``rank, classification, action, txid, vout, address, cluster, value,
        tainted_value`` (and, unless ``fiat=False``, ``tainted_value_eur, tainted_value_usd, value_eur,
        value_usd, time, price_note``), ``share, material, custodial, service, category,
        jurisdiction, kind, evidence_path``; every candidate, largest traced
        value first.
    params : dict
        The thresholds, the suspects and the trace's own parameters
        (``trace_params``: policy, fee convention, hops ...).
    """

    def __init__(self, table: pd.DataFrame, params: dict, assessment=None):
        self.table = table
        self.params = params
        self._assessment = assessment

    def _shown(self) -> np.ndarray:
        """Rows with a line of their own: material, and among the ``max_rows`` largest of them."""
        m = self.table.material.to_numpy(bool)
        return m & (np.cumsum(m) <= int(self.params.get("max_rows", DEFAULT_MAX_ROWS)))

    def to_frame(self, *, all: bool = True) -> pd.DataFrame:
        """The ranked table (satoshis): every candidate, or with ``all=False`` only those with a line of their own."""
        return (self.table if all else self.table[self._shown()]).copy()

    @property
    def material(self) -> pd.DataFrame:
        """The candidates worth acting on one by one: traced value at least ``min_value``, the ``max_rows`` largest."""
        return self.to_frame(all=False)

    def evidence(self, which):
        """The chain of inferences behind one candidate (a rank, an address or ``"txid:vout"``).

        Returns a :class:`cryptotrace.evidence.Evidence`: print it for the text, ``.steps`` for the table.
        """
        if self._assessment is None:
            raise TraceError("these candidates carry no evidence assessment; make them with seizure_candidates(trace)")
        return self._assessment.evidence(which)

    def tail(self) -> dict:
        """The candidates folded into one line: ``{"count": n, "tainted_value": satoshis, "material": n}``
        (``material``: how many of them reach ``min_value`` but fall beyond ``max_rows``)."""
        shown = self._shown()
        t = self.table[~shown]
        return {
            "count": len(t),
            "tainted_value": int(t.tainted_value.sum()),
            "material": int((self.table.material.to_numpy(bool) & ~shown).sum()),
        }

    def tail_line(self) -> str:
        """``"704 more, 0.0023 BTC in all (each under 0.001 BTC)"``, or ``""`` when there is no tail."""
        t = self.tail()
        if not t["count"]:
            return ""
        under = t["count"] - t["material"]
        if not t["material"]:
            return (
                f"{t['count']:,} more, {format_btc(t['tainted_value'])} in all "
                f"(each under {format_btc(self.params['min_value'])} traced)"
            )
        return (
            f"{t['count']:,} more, {format_btc(t['tainted_value'])} in all ({t['material']:,} smaller material "
            f"one(s) beyond the first {self.params.get('max_rows', DEFAULT_MAX_ROWS)} and {under:,} each under "
            f"{format_btc(self.params['min_value'])} traced)"
        )

    def totals(self) -> pd.Series:
        """Traced satoshis per classification."""
        return self.table.groupby("classification", sort=False).tainted_value.sum().astype("int64")

    def to_records(self) -> list[dict]:
        """The table as JSON-ready dicts (satoshis as int, evidence path as a list)."""
        out = []
        for r in self.table.itertuples(index=False):
            out.append(
                {
                    k: (
                        None
                        if (not isinstance(v, list) and pd.isna(v))
                        else (
                            bool(v)
                            if isinstance(v, (bool, np.bool_))
                            else (
                                int(v)
                                if isinstance(v, (np.integer, int))
                                else (
                                    float(v) if isinstance(v, np.floating) else (v if isinstance(v, list) else str(v))
                                )
                            )
                        )
                    )
                    for k, v in r._asdict().items()
                }
            )
        return out

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        t = self.totals()
        parts = ", ".join(f"{k} {format_btc(v)}" for k, v in t.items())
        n_mat = int(self.table.material.sum())
        return f"<SeizureCandidates: {len(self.table):,} candidates, {n_mat:,} material ({parts or 'none'})>"

    def _repr_html_(self) -> str:
        t = self.material.drop(columns=["evidence_path"]).copy()
        for c in ("value", "tainted_value"):
            t[c] = t[c].map(lambda v: format_btc(v, unit=False))
        t["share"] = t["share"].map(lambda v: f"{v:.2%}")
        for c in ("tainted_value_eur", "tainted_value_usd", "value_eur", "value_usd"):
            if c in t.columns:
                t[c] = t[c].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
        t = t.rename(
            columns={
                "value": "value (BTC)",
                "tainted_value": "traced (BTC)",
                "tainted_value_eur": "traced (EUR)",
                "tainted_value_usd": "traced (USD)",
                "value_eur": "value (EUR)",
                "value_usd": "value (USD)",
            }
        )
        tail = self.tail_line()
        return (
            f"<div><b>Seizure candidates</b>{t.to_html(index=False)}"
            + (f"<p>{html.escape(tail)}</p>" if tail else "")
            + "</div>"
        )


def _next_step(category, label, jurisdiction) -> str:
    """What to do about funds at a tagged service that is not custodial (cryptotrace.tags.next_step)."""
    from ..tags import next_step

    return next_step(category, label=label, jurisdiction=jurisdiction)


def _share_text(share: float) -> str:
    """3.00%, or 0.0026% for a small share (never a misleading 0.00%)."""
    p = 100 * float(share)
    return f"{p:.2f}%" if p >= 1 or p == 0 else f"{p:.2g}%"


def _custodial_action(label, category, jurisdiction, tainted: int, value: int, share: float, min_share: float) -> str:
    """The request to a custodial service, worded by the traced amount and its share of the coin.

    A freeze is asked for only when the traced part is at least ``min_share``
    of the coin; otherwise the traced part is a small slice of someone's
    balance (an exchange's hot wallet, say) and the request is for the
    account holder's details, with the traced amount stated.
    """
    who = f"{label or category or 'the service'} ({category or 'service'}, {jurisdiction or 'jurisdiction unknown'})"
    if share >= min_share:
        return f"{who}: ask them to freeze {format_btc(tainted)} and send a production order for the account holder"
    return (
        f"{who}: ask for the account holder's details (production order); the traced part is "
        f"{format_btc(tainted)} ({_share_text(share)} of the {format_btc(value)} coin), too small a share to ask "
        "for a freeze of the funds"
    )


def _derive(xpubs, gap: int) -> dict[str, str]:
    """address -> "xpub.../branch/index" for the first ``gap`` receive and change addresses of each key."""
    if not xpubs:
        return {}
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or not 0 < gap <= 10_000:
        raise TraceError(f"gap must be a whole number from 1 to 10,000, not {gap!r}")
    from ..cases.keys import derive_addresses

    out = {}
    for x in [xpubs] if isinstance(xpubs, str) else list(xpubs):
        x = str(x).strip()
        for branch in (0, 1):
            try:
                addrs = derive_addresses(x, int(gap), change=bool(branch))
            except Exception as exc:  # bitcoinlib raises several kinds of errors for a bad key
                raise TraceError(
                    f"{x[:16]}... is not an extended public key (xpub, ypub or zpub) "
                    f"that can be read ({exc}); copy it again from the device"
                ) from None
            for i, a in enumerate(addrs):
                out[a] = f"{x[:12]}.../{branch}/{i}"
    return out


def _priced(ep: pd.DataFrame, chain) -> pd.DataFrame:
    """The money columns of coin-table rows from a trace made with ``fiat=False``."""
    from ..prices import add_fiat, for_chain

    return add_fiat(ep[["value", "traced_value", "time"]].reset_index(drop=True), for_chain(chain))


def coinjoin_txids(chain, coinjoins) -> set:
    """The txids of ``coinjoins`` (txids, or a detector called once with the chain) as a set."""
    if callable(coinjoins):
        res = coinjoins(chain)
        if isinstance(res, (pd.Series, np.ndarray)) and np.asarray(res).dtype == bool:
            flags = np.asarray(res, dtype=bool)
            if isinstance(res, pd.Series) and res.index.isin(chain.txs.txid).any():
                return {str(t) for t in res.index[flags]}
            if len(flags) != len(chain.txs):
                raise TraceError(
                    "the CoinJoin detector returned a flag per transaction of a different chain "
                    f"({len(flags)} flags for {len(chain.txs)} transactions)"
                )
            return set(chain.txs.txid[flags])
        return {str(t).lower() for t in res}
    if isinstance(coinjoins, str):
        coinjoins = [coinjoins]
    return {str(t).lower() for t in coinjoins}


def seizure_candidates(
    trace,
    clustering=None,
    tags=None,
    *,
    coinjoins=None,
    suspects=None,
    xpubs=None,
    gap: int = 20,
    min_value: int = DEFAULT_MIN_VALUE,
    min_share: float = DEFAULT_MIN_SHARE,
    max_rows: int = DEFAULT_MAX_ROWS,
    fiat: bool = True,
) -> SeizureCandidates:
    """Rank and classify where the traced value can be frozen or seized.

    Each endpoint of a forward trace (except fees) becomes a candidate in
    one of :data:`SEIZURE_CLASSES`:

    * ``at_service``: the value reached a tagged custodial service; ask it to
      freeze the funds and produce its records (the service and its
      jurisdiction are named when the tags know them);
    * ``suspect_unspent``: unspent in one of the suspect's clusters (the
      start's clusters, or ``suspects``): seizable when the keys are found;
    * ``unspent_unknown``: unspent, owner unknown;
    * ``mixed``: the path crossed a CoinJoin, or ended at a mixer: uncertain;
    * ``spent_unknown``: moved on to unknown hands, or the trace ended (hop
      limit, too small);
    * ``end_of_records``: the data ends here (a partial chain): fetch more.

    Parameters
    ----------
    trace : Trace
        A forward trace.
    clustering : fitted Clustering, optional
        Defaults to the trace's clustering. Decides who the suspect is.
    tags : TagStore or DataFrame, optional
        Defaults to the trace's tags.
    coinjoins : set of txids, or callable(chain) -> txids or bool Series, optional
        CoinJoin transactions. By default the trace's coin table says
        (column ``coinjoin_on_path``, from the detectors of
        :mod:`cryptotrace.heuristics.coinjoin`, run once per trace); pass
        ``set()`` to treat no transaction as one.
    suspects : iterable of cluster ids or addresses, optional
        The suspect's clusters; by default the clusters of the start outputs.
    xpubs : str or list of str, optional
        Account public keys (xpub / ypub / zpub) found on a seized device:
        the first ``gap`` receive and change addresses of each are derived,
        and coins there (and in their clusters) count as the suspect's.
    gap : int, default 20
        How many addresses of each branch to derive (the usual wallet gap limit).
    min_value : int, default 100_000 (0.001 BTC)
        Materiality threshold in satoshis. A candidate whose traced value is
        below it gets no action of its own: it is folded into one tail line
        ("704 more, 0.0023 BTC in all").
    min_share : float, default 0.5
        At a custodial service (exchange, wallet provider ...), a freeze of
        the traced amount is asked for only when the traced value is at
        least this share of the coin; below it the action asks for the
        account holder's details and states the traced amount and share
        (a hot wallet holding 99 BTC of which 0.00007 BTC is traced is not
        "freeze the funds").
    max_rows : int, default 25
        At most this many material candidates (the largest) get a line of their
        own in the display, the report and ``.material``, so the table fits on
        one printed page; the rest are folded into the tail line with the
        immaterial ones (every row stays in ``.table`` and the CSV).
    fiat : bool, default True
        Add the worth in euros and dollars at the time the coin was made: ``tainted_value_eur``,
        ``tainted_value_usd`` (the traced part), ``value_eur``, ``value_usd`` (the whole coin), ``time``
        and ``price_note`` (why a row has no price). Priced like the trace's coin table
        (:func:`cryptotrace.prices.for_chain`); ``fiat=False`` leaves them out.

    Returns
    -------
    SeizureCandidates
        Ranked by traced value, largest first (ties: the class order of
        :data:`SEIZURE_CLASSES`). ``tainted_value`` is the policy's share,
        ``share`` its fraction of the coin (output) it sits in,
        ``material`` whether it reaches ``min_value``, ``custodial`` whether
        it sits at a service that can freeze it, and ``evidence_path`` the
        outputs from start to candidate. Evidence strength
        (:mod:`cryptotrace.evidence`): ``strength`` (strong / moderate / weak),
        ``strength_reason``, ``holds_under`` (the policies among poison,
        haircut and FIFO under which it still receives ``min_value``),
        ``alternatives`` (what a defence may say) and ``hops``;
        ``.evidence(address)`` gives the whole chain of inferences.

    Notes
    -----
    A coin at a custodial service that was reached through a CoinJoin or
    mixer keeps the classification ``mixed`` (the link is probabilistic),
    but ``custodial`` is True and its action says the service can freeze
    it, so the chance to freeze is not hidden behind the word "mixed".

    Examples
    --------
    >>> import pandas as pd
    >>> from cryptotrace.tracing import trace, worked_example_chain
    >>> chain = worked_example_chain()
    >>> six = chain.outputs.address[3]          # the address paid 6 BTC
    >>> tags = pd.DataFrame({"label": ["Kraken"], "category": ["exchange"], "jurisdiction": ["US"]},
    ...                     index=pd.Index([six], name="address"))
    >>> t = trace(chain, chain.outputs.txid[0] + ":0", policy="tiho", tags=tags)
    >>> sc = seizure_candidates(t)
    >>> row = sc.table.iloc[0]
    >>> row.classification, int(row.tainted_value), row.service
    ('at_service', 300000000, 'Kraken')
    """
    _check_arguments(trace, min_value, min_share, fiat, max_rows)
    chain = trace.chain
    labels = labels_of(clustering) if clustering is not None else trace.clusters
    ep = _endpoint_coins(trace, tags, clustering)
    sus, derived, in_suspect = _suspects(trace, ep, labels, suspects, xpubs, gap)
    paths = trace.evidence_paths(ep.txid, ep.vout)
    crossed, cj, cj_known = _crossed_coinjoins(trace, ep, paths, coinjoins)
    cls, role = _classify(ep, in_suspect, crossed)
    table = _candidate_table(ep, cls, role, paths, derived, int(min_value), float(min_share))
    if fiat:  # the worth at the time: the coin table's own columns (priced once), or priced here
        money = ep if "value_eur" in ep.columns else _priced(ep, chain)
        at = table.columns.get_loc("tainted_value") + 1
        for i, col in enumerate(
            ("tainted_value_eur", "tainted_value_usd", "value_eur", "value_usd", "time", "price_note")
        ):
            table.insert(at + i, col, money[col].to_numpy())
    table = _ranked(table, cls)
    # evidence strength (cryptotrace.evidence): strength, strength_reason, holds_under, alternatives, hops
    from ..evidence import assess

    cj_set = cj if coinjoins is not None else set(chain.txs.txid.to_numpy()[trace.coinjoin_flags[0]])
    tagtab = tag_table(tags, labels) if tags is not None else trace.tags
    extra, assessment = assess(
        table,
        trace,
        clustering=clustering,
        labels=labels,
        tagtab=tagtab,
        coinjoins=cj_set,
        min_value=int(min_value),
        min_share=float(min_share),
        suspects=sus,
        derived=derived,
    )
    table = pd.concat([table, extra], axis=1)
    params = {
        "trace": repr(trace),
        "trace_params": dict(trace.params),
        "min_value": int(min_value),
        "min_share": float(min_share),
        "suspects": sorted(map(str, sus)),
        "coinjoins_known": cj_known,
        "xpub_addresses": len(derived),
        "max_rows": int(max_rows),
        "fiat": bool(fiat),
    }
    return SeizureCandidates(table, params, assessment)


# ---------------------------------------------------------------------- the steps of seizure_candidates
def _check_arguments(trace, min_value, min_share, fiat, max_rows) -> None:
    """Refuse what is not a forward Trace or not a valid threshold, with the fix."""
    if not (hasattr(trace, "coins_with") and hasattr(trace, "params")):  # a Trace
        raise TraceError(f"seizure_candidates needs a Trace (from cryptotrace.trace), not {type(trace).__name__}")
    if trace.params["direction"] != "forward":
        raise TraceError(
            "seizure candidates come from a forward trace (where the money went); run trace(..., direction='forward')"
        )
    if isinstance(min_value, bool) or not isinstance(min_value, (int, np.integer)) or min_value < 0:
        raise TraceError(
            f"min_value is a whole number of satoshis (0 or more), not {min_value!r}; "
            "e.g. min_value=100_000 for 0.001 BTC"
        )
    if isinstance(min_share, bool) or not isinstance(min_share, (int, float, np.number)) or not 0 <= min_share <= 1:
        raise TraceError(
            f"min_share is a fraction from 0 to 1, not {min_share!r}; e.g. min_share=0.5 for half the coin"
        )
    if not isinstance(fiat, (bool, np.bool_)):
        raise TraceError(f"fiat must be True (amounts in EUR and USD too) or False, not {fiat!r}")
    if isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1:
        raise TraceError(
            f"max_rows is how many candidates get a line of their own (1 or more), not {max_rows!r}; "
            "e.g. max_rows=25 for one printed page"
        )


def _endpoint_coins(trace, tags, clustering) -> pd.DataFrame:
    """The rows of the trace's coin table where traced value ended (fees left out), in ``trace.endpoints`` order."""
    coins = trace.coins_with(tags=tags, clustering=clustering)  # the trace's coin table (other tags: re-annotated)
    kind_all = coins.endpoint_kind
    keep = (kind_all.notna() & (kind_all != "fee")).to_numpy(dtype=bool, na_value=False)
    keep &= coins.traced_value.to_numpy() > 0
    sel = np.flatnonzero(keep)
    sel = sel[np.lexsort((-coins.traced_value.to_numpy()[sel], coins.hop.to_numpy()[sel]))]
    return coins.take(sel).reset_index(drop=True)


def _suspects(trace, ep, labels, suspects, xpubs, gap):
    """The suspect's clusters (those of the start coins, or given) and the addresses derived from seized xpubs;
    and, per endpoint, whether it is the suspect's."""
    ix = trace.chain.index
    codes = ix.address_of_output[trace.start_rows]
    start_addr = set(ix.addresses[codes[codes >= 0]].tolist())
    if suspects is not None:
        sus = {s for s in ([suspects] if isinstance(suspects, str) else suspects)}
    elif labels is not None:
        sus = set(labels.reindex(list(start_addr)).dropna().tolist())
    else:
        sus = set()
    derived = _derive(xpubs, gap)
    if derived and labels is not None:
        sus |= set(labels.reindex(list(derived)).dropna().tolist())
    sus |= set(derived)
    cluster = pd.Series(ep.cluster.to_numpy(), dtype=object)
    in_suspect = np.array(
        [
            (c is not pd.NA and c is not None and c in sus) or (a in sus) or (labels is None and a in start_addr)
            for c, a in zip(cluster.tolist(), ep.address.tolist())
        ],
        dtype=bool,
    )
    return sus, derived, in_suspect


def _crossed_coinjoins(trace, ep, paths, coinjoins):
    """Whether each endpoint's evidence path crossed a CoinJoin: the coin table's flag, or the txids given."""
    if coinjoins is None:
        return ep.coinjoin_on_path.to_numpy(bool), None, int(trace.coinjoin_flags[0].sum())
    cj = coinjoin_txids(trace.chain, coinjoins)
    crossed = np.array([any(p.split(":")[0] in cj for p in path[1:]) for path in paths], dtype=bool)
    return crossed, cj, len(cj)


def _classify(ep, in_suspect, crossed):
    """Each endpoint's class (:data:`SEIZURE_CLASSES`) from its endpoint kind, the taxonomy's role and the path."""
    kind = ep.endpoint_kind.to_numpy(dtype=object)
    role = ep.role.fillna("").to_numpy(dtype=object)  # one taxonomy: cryptotrace.tags.category_role
    cls = np.full(len(ep), "spent_unknown", dtype=object)
    cls[np.isin(kind, ["end_of_data", "spent_outside"])] = "end_of_records"
    unspent = kind == "unspent"
    cls[unspent] = "unspent_unknown"
    cls[unspent & in_suspect] = "suspect_unspent"
    at_service = (kind == "service") | (np.isin(kind, ["stopped"]) & (role == "custodial"))
    cls[at_service] = "at_service"
    cls[crossed | ep.mixer.to_numpy(bool)] = "mixed"
    return cls, role


def _candidate_table(ep, cls, role, paths, derived, min_value: int, min_share: float) -> pd.DataFrame:
    """One row per endpoint: class, the action in words (by share and amount), amounts and the evidence path."""
    service, category, juris, addr = ep.label, ep.category, ep.jurisdiction, ep.address
    cat = category.fillna("").str.lower().to_numpy(dtype=object)
    value = ep.value.to_numpy(np.int64)
    tainted = ep.traced_value.to_numpy(np.int64)
    share = np.where(value > 0, tainted / np.maximum(value, 1), 0.0)
    material = tainted >= min_value
    custodial = role == "custodial"
    action = []
    for i, (c, s, j, k) in enumerate(zip(cls, service.tolist(), juris.tolist(), cat.tolist())):
        s = None if s is pd.NA or not s else s
        j = None if j is pd.NA or not j else j
        ad = addr.iloc[i]
        if not material[i]:
            action.append(f"none on its own: under {format_btc(min_value)} traced (see the tail line)")
            continue
        a = SEIZURE_CLASSES[c]
        if custodial[i] and c in ("at_service", "mixed"):
            a = _custodial_action(s, k or None, j, int(tainted[i]), int(value[i]), float(share[i]), min_share)
            if c == "mixed":
                a += "; the link to the start is probabilistic (the path crossed a CoinJoin or mixer)"
        elif c in ("at_service", "mixed") and (s or k):
            a = _next_step(k or None, s, j) or a
        elif c == "suspect_unspent" and ad in derived:
            a = (
                f"unspent at {derived[ad]} of the seized wallet's public key: seizable with that wallet's "
                "seed or private keys"
            )
        action.append(a)
    return pd.DataFrame(
        {
            "classification": pd.array(cls, dtype="string"),
            "action": pd.array(action, dtype="string"),
            "txid": ep.txid.to_numpy(),
            "vout": ep.vout.to_numpy(),
            "address": addr.to_numpy(),
            "cluster": pd.Series(ep.cluster.to_numpy(), dtype=object).to_numpy(),
            "value": value,
            "tainted_value": tainted,
            "share": share,
            "material": material,
            "custodial": custodial,
            "service": service.to_numpy(),
            "category": category.to_numpy(),
            "jurisdiction": juris.to_numpy(),
            "kind": ep.endpoint_kind.to_numpy(),
            "evidence_path": paths,
        }
    )


def _ranked(table: pd.DataFrame, cls) -> pd.DataFrame:
    """Largest traced value first (ties: the class order of :data:`SEIZURE_CLASSES`), numbered from 1."""
    rank_of = {k: i for i, k in enumerate(SEIZURE_CLASSES)}
    table["_r"] = [rank_of[c] for c in cls]
    table = table.sort_values(["tainted_value", "_r"], ascending=[False, True], kind="stable").drop(columns="_r")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)
