"""Side-by-side comparisons, one call each: taint policies, clustering set-ups, CoinJoin detectors.

* :func:`compare_policies`: the same start traced under several taint policies;
* :func:`compare_clusterings`: clusters graded against an answer key with and without a change
  heuristic, or with and without CoinJoins skipped;
* :func:`coinjoin_detectors`: what each CoinJoin detector says about each transaction.
"""

from __future__ import annotations

import warnings

import pandas as pd

from .errors import CryptotraceError

__all__ = ["CompareError", "PolicyComparison", "coinjoin_detectors", "compare_clusterings", "compare_policies"]


class CompareError(CryptotraceError, ValueError):
    """A comparison was asked for with settings that cannot be compared."""


class PolicyComparison:
    """One start traced under several taint policies (made by :func:`compare_policies`)."""

    def __init__(self, traces: dict):
        self.traces = traces

    def trace(self, policy: str):
        """The trace made with ``policy``."""
        if policy not in self.traces:
            raise CompareError(f"this comparison has no policy {policy!r}; it has {', '.join(self.traces)}")
        return self.traces[policy]

    def summary(self) -> pd.DataFrame:
        """One row per policy: transactions followed, hops, the traced start, and where the value ended (satoshis).

        The endpoint columns are the trace's own endpoint kinds (``service``: reached a tagged
        service; ``unspent``; ...), the same figures ``trace.describe()`` prints.
        """
        rows = {}
        for policy, t in self.traces.items():
            s = t.summary()
            rows[policy] = {
                "transactions_followed": s["txs_followed"],
                "hops_reached": s["hops_reached"],
                "start_value": s["start_value"],
                **{f"at_{k}" if k == "service" else k: v for k, v in s["by_kind"].items()},
            }
        df = pd.DataFrame(rows).T.fillna(0)
        df.index.name = "policy"
        return df.astype("int64").rename(columns={"at_service": "at_services"})

    def by_output(self, *, hop: int = 1) -> pd.DataFrame:
        """The traced value of every output reached at ``hop``, one column per policy (satoshis).

        Rows are named ``output N (X BTC)`` after the output's number and value.
        """
        cols = {}
        label = None
        for policy, t in self.traces.items():
            f = t.flows
            f = f[f.hop == int(hop)]
            if label is None:
                from .units import format_btc

                label = [f"output {v} ({format_btc(x)})" for v, x in zip(f.vout, f.value)]
            cols[policy] = f.tainted_value.to_numpy()
        if not label:
            reached = max(t.summary()["hops_reached"] for t in self.traces.values())
            raise CompareError(f"no outputs at hop {hop}: the traces reached {reached} hop(s)")
        out = pd.DataFrame(cols, index=pd.Index(label, name="output"))
        out.attrs["btc_columns"] = list(cols)  # every column is satoshis: ct.show shows BTC
        return out

    def chart(self, *, title: str = "The same start, one picture per policy"):
        """Two bar charts: the value each policy says reached services, and the transactions it followed."""
        from .charts import bars

        s = self.summary()
        if "at_services" not in s.columns:
            s["at_services"] = 0
        return bars(s, value=["at_services", "transactions_followed"], title=title)

    def to_frame(self) -> pd.DataFrame:
        return self.summary()

    def _repr_html_(self) -> str:
        from .display import show

        return show(self.summary())._repr_html_()

    def _repr_pretty_(self, p, cycle) -> None:
        from .display import show

        p.text(str(show(self.summary())))


def compare_policies(chain, start, *, policies=("poison", "haircut", "fifo"), **trace_options) -> PolicyComparison:
    """Trace the same start under several taint policies, to compare what each one claims.

    Parameters
    ----------
    chain : Chain
    start
        What :func:`cryptotrace.trace` accepts: addresses, ``txid:vout`` outpoints ...
    policies : list of str
        The policies to compare (see ``cryptotrace.tracing.POLICIES``).
    **trace_options
        Passed to every :func:`cryptotrace.trace` call (``tags=``, ``clustering=``, ``max_hops=``, ...).

    Returns
    -------
    PolicyComparison
        Shows a table (one row per policy); ``.by_output(hop=1)`` gives the value per output,
        ``.trace("fifo")`` one trace, ``.chart()`` a picture.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.tracing import worked_example_chain
    >>> ex = worked_example_chain()
    >>> side = ct.compare_policies(ex, ex.txs.txid.iloc[0] + ":0", policies=["haircut", "fifo"],
    ...                            max_hops=1, min_value=0)
    >>> side.by_output(hop=1).fifo.tolist()
    [100000000, 200000000, 0]
    """
    from .tracing import trace

    policies = [policies] if isinstance(policies, str) else list(policies)
    if not policies:
        raise CompareError("compare_policies: give at least one policy, e.g. policies=['haircut', 'fifo']")
    if "policy" in trace_options:
        raise CompareError("compare_policies: give the policies as policies=[...], not policy=")
    return PolicyComparison({p: trace(chain, start, policy=p, **trace_options) for p in policies})


_CLUSTER_COLUMNS = ["pairwise_precision", "pairwise_recall", "largest_cluster", "n_clusters"]


def compare_clusterings(chain, key, *, add_change=None, skip_coinjoin=None) -> pd.DataFrame:
    """Grade clusters against an answer key, with one setting changed at a time.

    Parameters
    ----------
    chain : Chain
    key : AnswerKey
        The ground truth (``ct.load_answer_key("sample")``).
    add_change : list of str, optional
        Change heuristics to add, one at a time, to common-input ownership. Besides a
        heuristic's name, ``"most_reliable"`` and ``"least_reliable"`` pick the heuristic with the
        highest and the lowest measured precision on this chain. The first row is always
        common-input ownership alone.
    skip_coinjoin : list of bool, optional
        Compare clustering with CoinJoins skipped (``True``) and used (``False``).

    Returns
    -------
    DataFrame
        One row per set-up: ``pairwise_precision``, ``pairwise_recall`` (0..1), ``largest_cluster``,
        ``n_clusters`` and, for ``skip_coinjoin``, ``coinjoins_found``, ``coinjoins_true``.
        Warnings about large merges are not raised: the table shows the largest cluster instead.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> chain, key = ct.load_sample(), ct.load_answer_key("sample")
    >>> t = ct.compare_clusterings(chain, key, skip_coinjoin=[True, False])
    >>> bool(t.pairwise_precision.iloc[0] >= t.pairwise_precision.iloc[1])
    True
    """
    from .clustering import Clustering, evaluate

    if (add_change is None) == (skip_coinjoin is None):
        raise CompareError("compare_clusterings: give one of add_change=[...] or skip_coinjoin=[True, False]")
    setups = {}
    if add_change is not None:
        names = [add_change] if isinstance(add_change, str) else list(add_change)
        precision = None
        if {"most_reliable", "least_reliable"} & set(names):
            precision = evaluate(Clustering().fit(chain), key).change.precision.dropna()
        setups["common-input only"] = {"heuristics": ["multi_input"]}
        for n in names:
            if n in ("most_reliable", "least_reliable"):
                pick = precision.idxmax() if n == "most_reliable" else precision.idxmin()
                label = f"+ {pick} ({n.replace('_', ' ')})"
            else:
                pick, label = n, f"+ {n}"
            setups[label] = {"heuristics": ["multi_input", pick]}
    else:
        flags = [skip_coinjoin] if isinstance(skip_coinjoin, bool) else list(skip_coinjoin)
        for f in flags:
            setups["CoinJoins skipped" if f else "CoinJoins used"] = {"skip_coinjoin": bool(f)}
    rows = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ClusterCollapseWarning: the table's largest_cluster says it
        for label, params in setups.items():
            g = evaluate(Clustering(**params).fit(chain), key, change_heuristics=[])
            row = {c: g.metrics.get(c) for c in _CLUSTER_COLUMNS}
            if skip_coinjoin is not None:
                row["coinjoins_found"] = g.coinjoin.get("flagged")
                row["coinjoins_true"] = g.coinjoin.get("true")
            rows[label] = row
    df = pd.DataFrame(rows).T
    df.index.name = "set-up"
    ints = [c for c in df.columns if c not in ("pairwise_precision", "pairwise_recall")]
    return df.astype({c: "int64" for c in ints} | {"pairwise_precision": float, "pairwise_recall": float})


def coinjoin_detectors(chain, *, totals: bool = False) -> pd.DataFrame:
    """What each CoinJoin detector says about each transaction (or, with ``totals=True``, how many it flags).

    Returns
    -------
    DataFrame
        Indexed by ``txid``, one True/False column per detector (``equal_output``, ``whirlpool``,
        ``wasabi1``, ``wasabi2``, ``joinmarket``); with ``totals=True`` one row per detector with
        ``transactions_flagged``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> t = ct.coinjoin_detectors(ct.load_sample("whirlpool"))
    >>> int(t.whirlpool.sum())
    1
    """
    from .heuristics import COINJOIN

    flags = pd.DataFrame(
        {h.name: h(chain).to_numpy(bool) for h in COINJOIN},
        index=pd.Index(chain.txs.txid.to_numpy(dtype=object), name="txid"),
    )
    if totals:
        return flags.sum().astype("int64").to_frame("transactions_flagged").rename_axis("detector")
    return flags
