"""Evidence strength of seizure candidates: what each one rests on, how strong that is, what a defence will say.

A seizure candidate (:func:`cryptotrace.tracing.seizure_candidates`) is the end of a chain of
inferences: the start the investigator named, each transaction hop of the trace, the CoinJoins,
mixers and PayJoin-like transactions on the way, the clustering links that put an address in the
suspect's cluster or gave it a service's tag (each made by a heuristic whose precision was
*measured*), the tags and their confidence, and the taint policy that shared the value out.
:func:`assess` reads that chain for every candidate and grades it:

``strong``
    a direct path of ledger facts: no CoinJoin, mixer, PayJoin-like or STONEWALL-like transaction
    crossed, every clustering link made by a rule measured at least 99 % precise, every tag relied
    on of confidence 50 (``service_data`` / ``forensic``) or more, at least ``min_share`` of the coin
    traced, and still material under poison, haircut and FIFO alike;
``moderate``
    nothing breaks the link, but something can be questioned: a PayJoin-like or STONEWALL-like
    transaction, a clustering link measured 90-99 % precise or not explained, a weak or unknown
    tag, a traced share from 10 % to ``min_share``, or material under only two of the three policies;
``weak``
    the link is probabilistic: it crossed a CoinJoin or a mixer, rests on a clustering link measured
    under 90 % precise, under 10 % of the coin is traced, or it is material under at most one policy.

The measured precisions are data, not code: ``cryptotrace/data/heuristic_precision.json``, with
the chain, seed and date they were measured on (:func:`measured_precisions`;
:func:`measure_precisions` measures them again on any chain with an answer key).
"""

from __future__ import annotations

import html
import json
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CryptotraceError, TraceError
from .units import format_btc

__all__ = [
    "ALTERNATIVES",
    "GRADES",
    "POLICIES_CHECKED",
    "Evidence",
    "assess",
    "grade_accuracy",
    "link_precision",
    "measure_precisions",
    "measured_precisions",
]

#: The grades, strongest first, and what each means.
GRADES = {
    "strong": (
        "a direct path of ledger facts: no CoinJoin, mixer, PayJoin-like or STONEWALL-like transaction "
        "crossed, clustering links only by rules measured at least 99% precise, tags of confidence 50 or "
        "more, at least min_share of the coin traced, material under poison, haircut and FIFO"
    ),
    "moderate": (
        "nothing breaks the link, but something can be questioned: a PayJoin-like or STONEWALL-like "
        "transaction, a clustering link measured 90-99% precise or not explained, a weak or unknown tag, "
        "10% to min_share of the coin traced, or material under only two of the three policies"
    ),
    "weak": (
        "the link is probabilistic: it crossed a CoinJoin or mixer, rests on a clustering link measured under "
        "90% precise, under 10% of the coin is traced, or it is material under at most one policy"
    ),
}
#: The taint policies every candidate is re-traced with (each with its published fee convention).
POLICIES_CHECKED = ("poison", "haircut", "fifo")
STRONG_PRECISION = 0.99  # a clustering link at least this precise (measured) does not weaken a candidate
WEAK_PRECISION = 0.90  # below this, a link makes the candidate weak
STRONG_CONFIDENCE = 50  # tags of this confidence or more (service_data, forensic, authority_data ...)
WEAK_SHARE = 0.10  # under this share of the coin traced, a candidate is weak
POOL_PAYERS = 3  # untraced coins of this many other payers swept in with the traced ones: a pooled wallet

_DATA = Path(__file__).parent / "data" / "heuristic_precision.json"
_POLICY_NAMES = {"poison": "poison", "haircut": "haircut", "fifo": "FIFO", "lifo": "LIFO", "tiho": "TIHO"}

#: Alternative explanations a defence may raise, and what each means.
ALTERNATIVES = {
    "missed CoinJoin": (
        "a transaction on the path has several inputs and equal outputs but no detector called it a "
        "CoinJoin: if it was one, the path through it is a guess among its participants"
    ),
    "PayJoin": (
        "a transaction on the path (or a clustering link) looks like a PayJoin: the receiver may have added "
        "a coin of their own, so the amounts and the common-input link may mislead"
    ),
    "shared custody": (
        "the link rests on addresses spent together (common-input ownership): one signer, not "
        "necessarily one owner; a custodian (a web wallet, an exchange, an escrow) signs for many "
        "people"
    ),
    "exchange sweep": (
        "the coin sits in (or the path passed through) a service's pooled wallet, where customers' "
        "coins are swept together: the traced part is a policy's share of a pool, not identifiable "
        "money of the suspect"
    ),
    "STONEWALL": (
        "a transaction on the path has the shape of a STONEWALL (two equal outputs): it may be a two-person "
        "CoinJoin (STONEWALLx2), so which output is whose is uncertain"
    ),
}


# ====================================================================== measured precisions
@lru_cache(maxsize=1)
def measured_precisions() -> dict:
    """The measured precision of each clustering heuristic's links, with where it was measured.

    Returns the parsed ``cryptotrace/data/heuristic_precision.json``: ``provenance`` (chain,
    content hash, scenario, seed, date, how to reproduce) and ``links``: per setting
    (``"coinjoins_skipped"``, ``"coinjoins_used"``) per heuristic ``precision``, ``links``
    and ``correct`` (of the links the heuristic made, the share joining two addresses of one
    true owner).
    """
    return json.loads(_DATA.read_text(encoding="utf-8"))


def link_precision(heuristic: str, *, skip_coinjoin: bool = True) -> float | None:
    """The measured precision of one heuristic's clustering links, or None when it was not measured.

    >>> link_precision("multi_input") >= 0.99
    True
    """
    table = measured_precisions()["links"]["coinjoins_skipped" if skip_coinjoin else "coinjoins_used"]
    row = table.get(str(heuristic))
    return None if row is None or row.get("precision") is None else float(row["precision"])


def measure_precisions(chain, answer_key, *, heuristics=None, date: str | None = None) -> dict:
    """Measure every clustering heuristic's link precision on a chain whose true owners are known.

    For multi-input alone and multi-input plus each change heuristic (CoinJoins skipped and used),
    the links the heuristic made are checked against the answer key's owners: ``precision`` is
    the share joining two addresses of one owner. The result has the layout of
    :func:`measured_precisions` (write it with ``json.dumps(..., indent=1)`` to refresh the data file).
    """
    import datetime as _dt
    import warnings

    from . import __version__
    from . import heuristics as H
    from .clustering import ClusterCollapseWarning, Clustering

    hs = list(H.CHANGE) if heuristics is None else H.resolve(heuristics)
    owner = answer_key.addresses.entity.reindex(chain.index.addresses).to_numpy(dtype=object)
    out = {}
    for skip, key in ((True, "coinjoins_skipped"), (False, "coinjoins_used")):
        rows = {}
        for h in [None, *hs]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ClusterCollapseWarning)
                c = Clustering(["multi_input"] + ([h] if h is not None else []), skip_coinjoin=skip).fit(chain)
            _, code, a, b = c._ev
            name = "multi_input" if h is None else h.name
            pick = np.flatnonzero(code == c._names.index(name))
            same = owner[a[pick]] == owner[b[pick]]
            n, k = len(pick), int(same.sum())
            rows[name] = {"precision": round(k / n, 4) if n else None, "links": n, "correct": k}
        out[key] = rows
    facts = getattr(answer_key, "facts", {}) or {}
    eco = facts.get("economy", {}) if isinstance(facts, dict) else {}
    return {
        "provenance": {
            "chain": eco.get("scenario", "unknown"),
            "content_sha256": chain.content_hash,
            "seed": eco.get("seed"),
            "transactions": len(chain.txs),
            "measured": date or _dt.date.today().isoformat(),
            "cryptotrace_version": __version__,
            "what": (
                "of the clustering links each heuristic made (multi-input alone, or multi-input plus that change "
                "heuristic), the share joining two addresses of one true owner (answer key)"
            ),
            "reproduce": (
                "cryptotrace.evidence.measure_precisions(cryptotrace.load_sample(), "
                "cryptotrace.cases.load_answer_key('sample'))"
            ),
        },
        "links": out,
    }


# ====================================================================== the assessment
class Evidence:
    """The chain of inferences behind one seizure candidate (``candidates.evidence(address)``).

    Attributes
    ----------
    steps : DataFrame
        ``step, kind, what, txid, heuristic, measured`` (plain words; ``measured`` is a rule's
        measured precision or a tag's confidence, 0-1).
    grade, reason : str
    holds_under : dict
        policy -> traced satoshis under it.
    alternatives : list of str
        The alternative explanations a defence may raise (:data:`ALTERNATIVES`).
    """

    def __init__(self, row: dict, steps: list[dict], traced_under: dict, min_value: int):
        self.candidate = row
        self.steps = pd.DataFrame(steps, columns=["step", "kind", "what", "txid", "heuristic", "measured"])
        self.grade = row["strength"]
        self.reason = row["strength_reason"]
        self.traced_under = traced_under
        self.holds = row["holds_under"]
        self.alternatives = [a for a in str(row["alternatives"] or "").split("; ") if a]
        self.min_value = min_value

    def to_frame(self) -> pd.DataFrame:
        return self.steps.copy()

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        c = self.candidate
        lines = [
            (
                f"Seizure candidate {c['rank']}: {c['address']} ({c['txid']}:{c['vout']}), "
                f"{format_btc(int(c['tainted_value']))} traced ({100 * float(c['share']):.3g}% of the coin), "
                f"{c['classification']}"
            ),
            f"Strength: {self.grade.upper()}: {self.reason}",
            "Chain of inferences:",
        ]
        lines += [f"  {r.step}. {r.what}" for r in self.steps.itertuples()]
        pol = ", ".join(f"{_POLICY_NAMES[p]} {format_btc(v)}" for p, v in self.traced_under.items())
        lines.append(
            f"Under other policies (material from {format_btc(self.min_value)}): {pol}; "
            f"holds under: {self.holds or 'none of them'}"
        )
        if self.alternatives:
            lines.append("A defence may say:")
            lines += [f"  - {a}: {ALTERNATIVES[a]}" for a in self.alternatives]
        else:
            lines.append(
                "Alternative explanations: none of missed CoinJoin, PayJoin, shared custody or exchange sweep "
                "applies to this path."
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Evidence for {self.candidate['address']}: {self.grade}, {len(self.steps)} inferences, "
            f"holds under {self.holds or 'none'}>"
        )

    def _repr_html_(self) -> str:
        return f"<div><pre>{html.escape(str(self))}</pre>{self.steps.drop(columns=['step']).to_html(index=False)}</div>"


class _Assessment:
    """Every candidate's evidence, built on demand (held by SeizureCandidates)."""

    def __init__(self, table, ctx):
        self.table, self.ctx = table, ctx

    def evidence(self, which) -> Evidence:
        t = self.table
        if isinstance(which, (int, np.integer)) and not isinstance(which, bool):
            hit = t.index[t["rank"] == int(which)]
            what = f"rank {which}"
        else:
            s = str(which).strip()
            if ":" in s:
                tx, _, v = s.partition(":")
                hit = t.index[(t.txid == tx.lower()) & (t.vout.astype("string") == v.strip())]
            else:
                hit = t.index[t.address == s]
            what = repr(which)
        if not len(hit):
            raise TraceError(
                f"no seizure candidate {what}: give a rank (1 to {len(t)}), an address or a 'txid:vout' "
                "from the candidates table"
            )
        i = int(hit[0])
        row = t.loc[i].to_dict()
        steps = self.ctx.steps(i, row)
        return Evidence(row, steps, {p: int(v[i]) for p, v in self.ctx.under.items()}, self.ctx.min_value)


class _Context:
    """What the grading reads: the chain's flags, the tags, the clustering, the other policies' taint."""

    def __init__(
        self, table, trace, clustering, labels, tagtab, coinjoins, min_value, min_share, suspects, derived, rows
    ):
        from . import heuristics as H
        from .tags import category_role

        self.trace, self.chain = trace, trace.chain
        self.clustering = clustering if hasattr(clustering, "explain") else None
        self.labels, self.tagtab = labels, tagtab
        self.min_value, self.min_share = int(min_value), float(min_share)
        self.suspects, self.derived = suspects, derived
        ix = self.chain.index
        self.ix = ix
        # flags of the transactions on the paths only
        path_txs = sorted({p.split(":")[0] for path in table.evidence_path for p in path[1:]})
        self.pos = {t: int(i) for t, i in zip(path_txs, ix.txids.get_indexer(pd.Index(path_txs)))}
        self.cj = set(coinjoins)
        # the CoinJoin family of each transaction on a path: the trace's own detection (run once per trace)
        _flags, who = trace.coinjoin_flags
        self.family = {t: str(who[i]).split(", ")[0] for t, i in self.pos.items() if i >= 0 and who[i]}
        pj = np.asarray(H.coinjoin.payjoin_likely(self.chain), dtype=bool)
        sw = np.asarray(H.coinjoin.stonewall_like(self.chain), dtype=bool)
        self.payjoin_flags = pj
        self.payjoin = {t for t, i in self.pos.items() if i >= 0 and pj[i]}
        self.stonewall = {t for t, i in self.pos.items() if i >= 0 and sw[i]}
        self.equal_outs = {
            t for t, i in self.pos.items() if i >= 0 and t not in self.cj and _equal_outputs(self.chain, i)
        }
        # roles of tagged addresses
        if tagtab is not None and len(tagtab):
            cats = tagtab.category.astype("string").fillna("")
            roles = {c: category_role(c) for c in set(cats.tolist())}
            self.role = dict(zip(tagtab.index.tolist(), (roles[c] for c in cats.tolist())))
        else:
            self.role = {}
        # traced value along the paths (the trace's flows) and under the other policies
        fl = trace.flows
        self.flow = {
            (t, v): (a, val, tv)
            for t, v, a, val, tv in zip(
                fl.txid.tolist(),
                fl.vout.astype("int64").tolist(),
                fl.address.astype(object).tolist(),
                fl.value.astype("int64").tolist(),
                fl.tainted_value.astype("int64").tolist(),
            )
        }
        self.rows = rows
        self.pooled = {t: n for t, i in self.pos.items() if i >= 0 and (n := self._other_payers(i)) >= POOL_PAYERS}
        self.under = {p: _taint_at(trace, p, rows) for p in POLICIES_CHECKED}
        self.start_addrs = {a for a in trace._addr(ix.address_of_output[trace.start_rows]) if a is not None}
        self._explained: dict = {}

    @cached_property
    def _txids(self) -> np.ndarray:
        return self.ix.txids.to_numpy(dtype=object)

    @cached_property
    def _addresses(self) -> np.ndarray:
        return self.ix.addresses.to_numpy(dtype=object)

    @cached_property
    def _label_of(self) -> dict:
        return {} if self.labels is None else dict(zip(self.labels.index.tolist(), self.labels.tolist()))

    # -------------------------------------------------------------- clustering links
    def links(self, a: str, b: str):
        """The clustering steps joining a and b: [(heuristic, txid, address_a, address_b, precision)] or None."""
        if self.clustering is None:
            return None
        key = (a, b)
        if key not in self._explained:
            try:
                ex = self.clustering.explain(a, b)
            except CryptotraceError:  # an address outside the clustered chain: unexplained
                self._explained[key] = None
                return None
            skip = bool(self.clustering.params_.get("skip_coinjoin", True))
            self._explained[key] = [
                (r.heuristic, r.txid, r.address_a, r.address_b, link_precision(r.heuristic, skip_coinjoin=skip))
                for r in ex.steps.itertuples()
            ]
        return self._explained[key]

    def tag_of(self, address):
        if self.tagtab is None or address is None or address not in self.tagtab.index:
            return None
        return self.tagtab.loc[address]

    def tag_source(self, address, cluster):
        """A directly tagged address of the same cluster with the same label (what a via-cluster tag came from)."""
        t = self.tagtab
        if t is None or self.labels is None or cluster is None or pd.isna(cluster):
            return None
        label = t.loc[address, "label"]
        direct = t[~t.via_cluster.astype(bool)] if "via_cluster" in t.columns else t
        members = self.labels.index[self.labels.to_numpy() == cluster]
        cand = direct.index.intersection(members)
        cand = [x for x in cand if direct.loc[x, "label"] == label]
        return cand[0] if cand else None

    # -------------------------------------------------------------- one candidate
    def facts(self, i, row) -> dict:
        """Everything the grade of one candidate rests on."""
        path = list(row["evidence_path"])
        hops = [p for p in path[1:]]
        txs = [p.split(":")[0] for p in hops]
        f = {
            "hops": len(hops),
            "coinjoin": [(t, self.family.get(t, "coinjoin")) for t in txs if t in self.cj],
            "payjoin": [t for t in txs if t in self.payjoin],
            "stonewall": [t for t in txs if t in self.stonewall],
            "equal": [t for t in txs if t in self.equal_outs],
            "mixer": [],
            "custodial_on_path": [],
            "pooled": [(k, t, self.pooled[t]) for k, t in enumerate(txs, 1) if t in self.pooled],
            "links": [],
            "link_note": None,
            "tags": [],
            "share": float(row["share"]),
        }
        for p in path[:-1]:
            t, _, v = p.partition(":")
            a = self.flow.get((t, int(v)), (None,))[0]
            r = self.role.get(a) if a is not None else None
            if r == "mixing":
                f["mixer"].append(a)
            elif r == "custodial":
                f["custodial_on_path"].append(a)
        addr = row["address"]
        role = self.role.get(addr)
        if role == "mixing":
            f["mixer"].append(addr)
        tag = self.tag_of(addr)
        cls = row["classification"]
        if tag is not None and (cls in ("at_service", "mixed") or bool(row["custodial"])):
            via = bool(tag.get("via_cluster", False))
            f["tags"].append((addr, tag, via))
            if via:
                src = self.tag_source(addr, row["cluster"])
                ln = self.links(addr, src) if src is not None else None
                if ln is None:
                    f["link_note"] = (
                        f"{addr} takes the tag of its cluster {row['cluster']}; the links are not "
                        "explained (give seizure_candidates the fitted Clustering to see them)"
                    )
                else:
                    f["links"] += ln
                    f["tag_from"] = src
        if cls == "suspect_unspent":
            if addr in self.derived:
                f["derived"] = self.derived[addr]
            elif addr in self.start_addrs:
                f["own_start"] = True
            else:
                same = [s for s in sorted(self.start_addrs) if self._label_of.get(s) == row["cluster"]]
                if same:
                    ln = self.links(same[0], addr)
                    if ln is None:
                        f["link_note"] = (
                            f"{addr} is in the suspect's cluster {row['cluster']}; the links are not "
                            "explained (give seizure_candidates the fitted Clustering to see them)"
                        )
                    else:
                        f["links"] += ln
                        f["suspect_from"] = same[0]
                else:
                    f["named_suspect"] = True
        f["under"] = {p: int(v[i]) for p, v in self.under.items()}
        f["holds"] = [p for p in POLICIES_CHECKED if f["under"][p] >= self.min_value]
        f["custodial"] = bool(row["custodial"])
        return f

    def grade(self, f) -> tuple[str, str, list[str]]:
        weak, moderate, alts = [], [], []
        if f["coinjoin"]:
            fams = sorted({fam for _, fam in f["coinjoin"]})
            weak.append(f"crossed {len(f['coinjoin'])} CoinJoin(s) ({', '.join(fams)})")
        if f["mixer"]:
            weak.append("went through a mixer")
        through = [(k, t, n) for k, t, n in f["pooled"] if k < f["hops"]]
        last = [(k, t, n) for k, t, n in f["pooled"] if k == f["hops"]]
        if through:
            k, _, n = through[0]
            weak.append(
                f"passed through a pooled wallet at hop {k} (the traced coins swept together with coins of "
                f"{n} other payers): what left it is the pool's money"
            )
        if last:
            moderate.append(f"the coin pools the traced value with coins of {last[0][2]} other payers")
        low = [(h, p) for h, _, _, _, p in f["links"] if p is not None and p < WEAK_PRECISION]
        mid = [(h, p) for h, _, _, _, p in f["links"] if p is not None and WEAK_PRECISION <= p < STRONG_PRECISION]
        unknown = [h for h, _, _, _, p in f["links"] if p is None]
        if low:
            h, p = min(low, key=lambda x: x[1])
            weak.append(f"rests on a {h} clustering link measured {p:.0%} precise")
        if mid:
            h, p = min(mid, key=lambda x: x[1])
            moderate.append(f"rests on a {h} clustering link measured {p:.1%} precise")
        if unknown or f["link_note"]:
            moderate.append("rests on clustering links whose precision is not measured or not shown")
        for addr, tag, via in f["tags"]:
            conf = tag.get("confidence") if hasattr(tag, "get") else None
            if conf is None or pd.isna(conf):
                moderate.append("relies on a tag of unknown confidence")
            elif float(conf) < STRONG_CONFIDENCE:
                moderate.append(f"relies on a tag of confidence {int(conf)}/100")
        share = f["share"]
        if share < WEAK_SHARE:
            weak.append(f"only {_pct(share)} of the coin is traced")
        elif share < self.min_share:
            moderate.append(f"{_pct(share)} of the coin is traced")
        n_hold = len(f["holds"])
        names = [_POLICY_NAMES[p] for p in f["holds"]]
        if n_hold <= 1:
            weak.append("material under " + (f"{names[0]} only" if names else "none of poison, haircut and FIFO"))
        elif n_hold < len(POLICIES_CHECKED):
            moderate.append(f"material under {' and '.join(names)} only")
        if f["payjoin"]:
            moderate.append(f"crossed {len(f['payjoin'])} PayJoin-like transaction(s)")
        if f["stonewall"]:
            moderate.append(f"crossed {len(f['stonewall'])} STONEWALL-like transaction(s)")
        if f["equal"] and not f["stonewall"]:
            moderate.append(
                f"crossed {len(f['equal'])} transaction(s) with equal outputs that no detector called a CoinJoin"
            )
        # alternative explanations
        if f["equal"] or f["stonewall"]:
            alts.append("missed CoinJoin")
        if f["payjoin"] or any(self._payjoin_tx(t) for _, t, _, _, _ in f["links"]):
            alts.append("PayJoin")
        if f["stonewall"]:
            alts.append("STONEWALL")
        if any(h == "multi_input" for h, *_ in f["links"]) or f.get("link_note"):
            alts.append("shared custody")
        if f["custodial_on_path"] or f["pooled"] or (f["custodial"] and share < self.min_share):
            alts.append("exchange sweep")
        if weak:
            g, why = "weak", weak
        elif moderate:
            g, why = "moderate", moderate
        else:
            g = "strong"
            parts = [
                f"{f['hops']} hop(s) of ledger facts, no CoinJoin, mixer or PayJoin-like transaction",
                f"{_pct(share)} of the coin traced",
                "material under poison, haircut and FIFO",
            ]
            if f["links"]:
                parts.insert(
                    1,
                    f"{len(f['links'])} clustering link(s), each by a rule measured at least "
                    f"{STRONG_PRECISION:.0%} precise",
                )
            if f["tags"]:
                parts.insert(1, "tag of confidence 50 or more")
            why = parts
        return g, "; ".join(why), alts

    def _other_payers(self, i: int) -> int:
        """How many different payers funded the untraced inputs of transaction ``i``.

        A payer is the cluster (or, without a clustering, the address) of the first input of the
        transaction that made the coin. Traced coins merged with coins of several other payers is
        the shape of a sweep into a pooled wallet (an exchange's hot wallet, a mixer's reserve, a
        merchant's takings): what leaves it is the pool's money.
        """
        ix = self.ix
        prev = ix.output_of_input[ix.in_start[i] : ix.in_start[i + 1]]
        prev = prev[prev >= 0]
        if len(prev) < 2:
            return 0
        txids = self._txids
        payers = set()
        for r in prev.tolist():
            t = int(ix.tx_of_output[r])
            if self.flow.get((txids[t], r - int(ix.out_start[t])), (None, 0, 0))[2] > 0:
                continue  # a traced coin
            a0 = int(ix.address_of_input[ix.in_start[t]]) if ix.in_start[t + 1] > ix.in_start[t] else -1
            if a0 < 0:
                payers.add(("tx", t))
                continue
            addr = self._addresses[a0]
            lab = self._label_of.get(addr)
            payers.add(("c", lab) if lab is not None and not pd.isna(lab) else ("a", addr))
        return len(payers)

    def _payjoin_tx(self, txid) -> bool:
        i = self.ix.txids.get_indexer([txid])[0]
        return bool(i >= 0 and self.payjoin_flags[i])

    # -------------------------------------------------------------- the readable chain
    def steps(self, i, row) -> list[dict]:
        f = self.facts(i, row)
        p = self.trace.params
        out = []

        def add(kind, what, txid=None, heuristic=None, measured=None):
            out.append(
                {
                    "step": len(out) + 1,
                    "kind": kind,
                    "what": what,
                    "txid": txid,
                    "heuristic": heuristic,
                    "measured": measured,
                }
            )

        add(
            "start",
            f"Start: {p['start']}, named by the investigator; traced forward with the {p['policy']} policy "
            f"(fee: {p['fee_policy']}), up to {p['max_hops']} hops",
        )
        path = list(row["evidence_path"])
        for k, item in enumerate(path[1:], 1):
            t, _, v = item.partition(":")
            a, val, tv = self.flow.get((t, int(v)), (None, 0, 0))
            what = (
                f"Hop {k}: transaction {t} paid output {v} ({a or 'no address'}, {format_btc(val)}), "
                f"{format_btc(tv)} of it traced"
            )
            if t in self.cj:
                what += (
                    f"; a CoinJoin ({self.family.get(t, 'coinjoin')} detector): the path through it is one "
                    "guess among its participants"
                )
                add("coinjoin", what, t, self.family.get(t, "coinjoin"))
            elif t in self.payjoin:
                add(
                    "payjoin",
                    what + "; PayJoin-like (an input the payer did not need: the receiver may have added a coin)",
                    t,
                    "payjoin_likely",
                )
            elif t in self.stonewall:
                add(
                    "stonewall",
                    what + "; STONEWALL-like (two equal outputs: maybe a two-person CoinJoin)",
                    t,
                    "stonewall_like",
                )
            elif t in self.pooled:
                add(
                    "pooled",
                    what + f"; the traced coins were swept together with coins of {self.pooled[t]} other "
                    "payers (a pooled wallet: an exchange's, a mixer's or a merchant's)",
                    t,
                )
            else:
                add("hop", what + " (a fact of the ledger)", t)
            if a is not None and self.role.get(a) == "mixing":
                add("mixer", f"{a} is a mixer's address (tag): what comes out is other coins", t)
        for addr, tag, via in f["tags"]:
            conf = tag.get("confidence")
            cname = tag.get("confidence_name") if "confidence_name" in tag else None
            src = tag.get("source") if "source" in tag else None
            c = "unknown" if conf is None or pd.isna(conf) else f"{cname or ''} ({int(conf)}/100)".strip()
            origin = (
                f"inherited from {f.get('tag_from') or 'its cluster'} through the clustering" if via else "its own tag"
            )
            where = tag.get("jurisdiction") if not pd.isna(tag.get("jurisdiction")) else "jurisdiction unknown"
            add(
                "tag",
                f"Tag of {addr}: {tag.get('label')!s} ({tag.get('category')!s}, {where}); "
                f"{origin}; confidence {c}" + (f"; source {src}" if src and not pd.isna(src) else ""),
                measured=None if conf is None or pd.isna(conf) else float(conf) / 100,
            )
        if f.get("derived"):
            add(
                "owner",
                f"{row['address']} is derived from the account key found on the seized device "
                f"({f['derived']}): a cryptographic fact",
            )
        if f.get("own_start"):
            add("owner", f"{row['address']} is one of the start's own addresses")
        if f.get("named_suspect"):
            add("owner", f"{row['address']} is in cluster {row['cluster']}, named as the suspect's by the investigator")
        if f.get("suspect_from"):
            add(
                "owner",
                f"{row['address']} is in the suspect's cluster {row['cluster']} with the start address "
                f"{f['suspect_from']}, joined by {len(f['links'])} link(s):",
            )
        for h, t, a, b, prec in f["links"]:
            m = "not measured" if prec is None else f"measured precision {prec:.3f}"
            add("cluster_link", f"  {a} and {b} joined in transaction {t} by {h} ({m})", t, h, prec)
        if f["link_note"]:
            add("cluster_link", f["link_note"])
        g, why, _ = self.grade(f)
        pol = ", ".join(f"{_POLICY_NAMES[q]} {format_btc(v)}" for q, v in f["under"].items())
        add(
            "policies",
            f"Traced under each policy: {pol}; material (at least {format_btc(self.min_value)}) under "
            f"{', '.join(_POLICY_NAMES[q] for q in f['holds']) or 'none'}",
        )
        add("grade", f"{g.upper()}: {why}")
        return out


def _pct(x: float) -> str:
    p = 100 * float(x)
    return f"{p:.0f}%" if p >= 10 else (f"{p:.2g}%" if p > 0 else "0%")


def _equal_outputs(chain, i: int) -> bool:
    """Does transaction ``i`` have 2+ inputs and two or more outputs of one value (a CoinJoin's mark)?"""
    ix = chain.index
    if ix.in_start[i + 1] - ix.in_start[i] < 2:
        return False
    v = chain.outputs.value.to_numpy()[ix.out_start[i] : ix.out_start[i + 1]]
    v = v[v >= 5_000]
    return len(v) >= 2 and len(np.unique(v)) < len(v)


def _taint_at(trace, policy: str, rows: np.ndarray) -> np.ndarray:
    """Traced satoshis at each output row when the same trace is run with ``policy`` (its published fee rule).

    The same start, hops, follow threshold and stops; coins the trace was started on are followed
    even at a service, as in the original trace.
    """
    from .tracing.policies import DEFAULT_FEE_POLICY

    p = trace.params
    e = trace.engine
    Engine = type(e)  # the engine class that ran the trace (importing it here would make a cycle with seizure)
    same_order = p.get("fifo_order", "tainted_first") == "tainted_first"
    if p["policy"] == policy and p["fee_policy"] == DEFAULT_FEE_POLICY[policy] and same_order:
        taint = e.taint
    else:
        eng = Engine(
            trace.chain,
            direction="forward",
            policy=policy,
            fee_policy=DEFAULT_FEE_POLICY[policy],
            max_hops=int(p["max_hops"]),
            min_value=int(p["min_value"]),
            stopped_out=e.stopped,
        )
        eng.run(trace.start_rows)
        taint = eng.taint
    r = np.asarray(rows, dtype=np.int64)
    return np.where(r >= 0, taint[np.maximum(r, 0)], 0).astype(np.int64)


def assess(
    table: pd.DataFrame,
    trace,
    *,
    clustering=None,
    labels=None,
    tagtab=None,
    coinjoins=(),
    min_value: int,
    min_share: float,
    suspects=(),
    derived=None,
    rows=None,
):
    """Grade every seizure candidate of ``table`` (the ranked table of ``seizure_candidates``).

    Parameters
    ----------
    table : DataFrame
        The candidates (``address, txid, vout, classification, share, custodial, cluster,
        evidence_path`` ...), one row each.
    trace : Trace
        The forward trace they come from (re-run with each of :data:`POLICIES_CHECKED`).
    clustering : fitted Clustering, optional
        Explains the clustering links (their heuristics and measured precisions); with only
        ``labels`` the links are named but not explained.
    labels, tagtab : the cluster labels and the tag table the candidates were classified with.
    coinjoins : set of txids
        The CoinJoins (as classified).
    min_value, min_share : the materiality thresholds of ``seizure_candidates``.
    suspects, derived : the suspect's clusters, and the addresses derived from seized xpubs.
    rows : array of int, optional
        Each candidate's output row in ``trace.chain`` (computed when left out).

    Returns
    -------
    (DataFrame, _Assessment)
        The new columns, aligned with ``table``: ``strength`` (strong / moderate / weak),
        ``strength_reason`` (in words), ``holds_under`` (``"poison, haircut, FIFO"``: the policies
        under which the candidate still receives at least ``min_value``), ``alternatives`` (what a
        defence may say, ``"; "``-separated), ``hops``; and the object that gives each
        candidate's full chain of inferences (``.evidence(address)``).
    """
    table = table.reset_index(drop=True)
    ix = trace.chain.index
    if rows is None:
        pos = ix.txids.get_indexer(pd.Index(table.txid.to_numpy(dtype=object)))
        vout = pd.to_numeric(table.vout, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        ok = (pos >= 0) & ~np.isnan(vout)
        rows = np.where(ok, ix.out_start[np.maximum(pos, 0)] + np.nan_to_num(vout).astype(np.int64), -1)
    ctx = _Context(
        table,
        trace,
        clustering,
        labels,
        tagtab,
        coinjoins,
        min_value,
        min_share,
        set(suspects or ()),
        dict(derived or {}),
        rows,
    )
    grade, reason, holds, alts, hops = [], [], [], [], []
    for i, row in enumerate(table.to_dict("records")):
        f = ctx.facts(i, row)
        g, why, al = ctx.grade(f)
        grade.append(g)
        reason.append(why)
        holds.append(", ".join(_POLICY_NAMES[p] for p in f["holds"]))
        alts.append("; ".join(al))
        hops.append(f["hops"])
    cols = pd.DataFrame(
        {
            "strength": pd.array(grade, dtype="string"),
            "strength_reason": pd.array(reason, dtype="string"),
            "holds_under": pd.array(holds, dtype="string"),
            "alternatives": pd.array(alts, dtype="string"),
            "hops": np.asarray(hops, dtype=np.int64),
        },
        index=table.index,
    )
    return cols, _Assessment(pd.concat([table, cols], axis=1), ctx)


# ====================================================================== measuring the grades
def grade_accuracy(candidates, answer_key, suspect_entities, *, material_only: bool = False) -> pd.DataFrame:
    """How often each grade is right, on a chain whose truth is known (a generated case).

    A candidate is **right** when the suspect really put the money there or really holds it: the
    transaction that made the candidate's coin was made by one of ``suspect_entities`` (the
    answer key's ``txs.entity``), or the coin's address belongs to one of them. A coin of an
    exchange's pooled hot wallet, another CoinJoin participant's coin or a stranger's coin reached
    by a wrong clustering link is wrong.

    Parameters
    ----------
    candidates : SeizureCandidates or DataFrame (its ``table``), or a list of them
    answer_key : AnswerKey
    suspect_entities : str or iterable of str
        e.g. ``answer_key.facts["ransomware"]["suspect_entity"]``.
    material_only : bool
        Count only the candidates that reach ``min_value``.

    Returns
    -------
    DataFrame
        Index ``strength`` (and ``all``): ``candidates``, ``right``, ``error_rate`` (share wrong),
        ``traced_btc`` and ``error_rate_by_value`` (share of the traced value on wrong candidates).
    """
    tabs = candidates if isinstance(candidates, list) else [candidates]
    sus = {suspect_entities} if isinstance(suspect_entities, str) else set(suspect_entities)
    parts = []
    for c in tabs:
        t = c.table if hasattr(c, "table") else c
        if material_only:
            t = t[t.material]
        maker = answer_key.txs.entity.reindex(t.txid.to_numpy(dtype=object)).to_numpy(dtype=object)
        owner = answer_key.addresses.entity.reindex(t.address.to_numpy(dtype=object)).to_numpy(dtype=object)
        right = np.array([(m in sus) or (o in sus) for m, o in zip(maker, owner)], dtype=bool)
        parts.append(
            pd.DataFrame(
                {
                    "strength": t.strength.to_numpy(dtype=object),
                    "right": right,
                    "traced": t.tainted_value.to_numpy(np.int64),
                }
            )
        )
    d = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["strength", "right", "traced"])
    rows = []
    for g in [*GRADES, "all"]:
        s = d if g == "all" else d[d.strength == g]
        n, k = len(s), int(s.right.sum()) if len(s) else 0
        tv = int(s.traced.sum()) if n else 0
        wrong_v = int(s.traced[~s.right.astype(bool)].sum()) if n else 0
        rows.append(
            {
                "strength": g,
                "candidates": n,
                "right": k,
                "error_rate": (n - k) / n if n else np.nan,
                "traced_btc": tv / 1e8,
                "error_rate_by_value": wrong_v / tv if tv else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("strength")
