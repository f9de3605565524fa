"""One pipeline for a whole case: load, cluster, attribute, trace, rank what can be seized, report.

:func:`investigate` is what ``cryptotrace demo``, the README's whole-case example and the capstone
notebook all call, so the three tell the same story the same way::

    import cryptotrace as ct
    case = ct.investigate("sample", story="ransomware")   # a bundled case pack, its ransom payments
    print(case.describe())                                 # what was found, in plain sentences
    case.save("out/")                                      # report.html, pictures, seizure_candidates.csv

Each step stays an ordinary object (``case.chain``, ``case.clustering``, ``case.tags``, ``case.trace``,
``case.candidates``), so a trainee can look at any of them, and an instructor can run the steps one
by one with the same functions.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from .errors import CaseError, CryptotraceError

__all__ = ["Investigation", "investigate", "STORIES"]

#: the stories of the bundled case packs :func:`investigate` can start by name, in the order it prefers them
STORIES = ("ransomware", "nps_vendor", "exchange_theft")


class Investigation:
    """A whole case, step by step: the data, the clusters, the tags, the trace and the seizure candidates.

    Made by :func:`investigate`. Attributes: ``chain``, ``clustering``, ``tags``, ``trace``,
    ``candidates``, ``title``, ``start_text`` (where the trace started, in words), ``evidence`` (the
    evidence file that names the start), ``tag_note`` (where the tags came from) and ``warnings``
    (what the library warned about on the way, as text: shown, never silenced).

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.investigate("sample", story="ransomware")
    >>> int(case.candidates.totals()["at_service"]) > 0      # some ransom reached an exchange
    True
    >>> "ransom" in case.start_text
    True
    """

    def __init__(self, *, chain, clustering, tags, trace, candidates, title, start_text, evidence, tag_note, caught):
        self.chain, self.clustering, self.tags = chain, clustering, tags
        self.trace, self.candidates = trace, candidates
        self.title, self.start_text, self.evidence, self.tag_note = title, start_text, evidence, tag_note
        self.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]

    # ------------------------------------------------------------------ reading
    def findings(self) -> list[str]:
        """The findings in plain sentences (the report's and the demo's)."""
        from .reporting import findings

        return findings(self.trace, self.candidates, tags=self.tags)

    def start_addresses(self) -> list[str]:
        """The addresses the trace started from, in order of first appearance."""
        ix = self.chain.index
        codes = ix.address_of_output[self.trace.start_rows]
        return list(dict.fromkeys(ix.addresses[codes[codes >= 0]].tolist()))

    def describe(self) -> str:
        """What was done and found, as a short text a trainee can read."""
        from .units import format_btc

        tot = self.candidates.totals()
        lines = [
            f"Case: {self.title}",
            f"Started from {self.start_text} ({self.evidence}).",
            f"Tags: {self.tag_note}.",
            "",
            "What was found:",
        ]
        lines += [f"  - {line}" for line in self.findings()]
        lines += [
            "",
            f"Can be frozen at exchanges: {format_btc(int(tot.get('at_service', 0)))}. "
            f"Seizable in the suspect's own wallets: {format_btc(int(tot.get('suspect_unspent', 0)))}.",
        ]
        if self.warnings:
            lines += ["", "Warnings on the way:"] + [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Investigation {self.title!r}: {len(self.chain):,} transactions, "
            f"{len(self.candidates):,} seizure candidates>"
        )

    # ------------------------------------------------------------------ writing
    def figures(self) -> dict:
        """The report's pictures: ``{name: (caption, matplotlib Figure)}``."""
        from . import plot as P

        figs = {
            "flow": (
                "How the traced coins moved (largest flows; width = traced BTC).",
                P.trace_flow(self.trace, tags=self.tags),
            ),
            "summary": ("Where the money went.", P.money_summary(self.trace, self.candidates)),
        }
        starts = self.start_addresses()
        if starts:
            cid = self.clustering.cluster_of(starts[0])
            figs["cluster"] = (
                f"The start's cluster ({cid}) and the evidence that joined it.",
                P.cluster_picture(self.clustering, cid, tags=self.tags, highlight=starts),
            )
            figs["balance"] = (
                f"Balance of the start's cluster ({cid}) over time.",
                P.balance_timeline(self.chain, cid, clustering=self.clustering),
            )
        return figs

    def report(self, path=None, *, figures=None, **kwargs):
        """Write the case report (one self-contained HTML file; see :func:`cryptotrace.reporting.report`)."""
        from .reporting import report

        return report(
            self.trace,
            path,
            clustering=self.clustering,
            tags=self.tags,
            candidates=self.candidates,
            figures=self.figures() if figures is None else figures,
            title=kwargs.pop("title", self.title),
            notes=kwargs.pop("notes", f"Started from {self.start_text} ({self.evidence}). Tags: {self.tag_note}."),
            **kwargs,
        )

    def save(self, folder, *, dpi: int = 110) -> dict[str, Path]:
        """Write ``report.html``, the pictures (PNG) and ``seizure_candidates.csv`` into ``folder``.

        Every file is written atomically. Returns ``{name: path}``.
        """
        import io

        from .export import to_csv
        from .io.files import atomic_write_bytes

        out = Path(folder).expanduser().resolve()
        out.mkdir(parents=True, exist_ok=True)
        figs = self.figures()
        written: dict[str, Path] = {}
        for name, (_, fig) in figs.items():
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi)
            written[f"{name}.png"] = Path(atomic_write_bytes(out / f"{name}.png", buf.getvalue()))
        written["report.html"] = Path(self.report(out / "report.html", figures=figs))
        written["seizure_candidates.csv"] = Path(to_csv(self.candidates, out / "seizure_candidates.csv"))
        return {"report.html": written.pop("report.html"), **written}


# ---------------------------------------------------------------------------------------- starts
def _outpoints(chain, txid: str, address: str) -> list[str]:
    out = chain.outputs
    rows = out[(out.txid == txid) & (out.address == address)]
    return [f"{txid}:{int(v)}" for v in rows.vout]


def story_start(chain, facts: dict, story: str | None = None):
    """Where a case pack's story starts, from its answer key's facts.

    Returns ``(story id, start for trace(), start in words, evidence file)`` or None when the facts
    name no story :func:`investigate` knows (:data:`STORIES`).
    """
    for sid in [story] if story else list(STORIES):
        ev = {e["event"]: e for e in (facts.get(sid) or {}).get("events", [])}
        if sid == "ransomware" and "ransom_payments" in ev:
            pays = ev["ransom_payments"]["payments"]
            start = [op for p in pays for op in _outpoints(chain, p["txid"], p["address"])]
            if start:
                return (
                    sid,
                    start,
                    f"the {len(pays)} ransom payments to the addresses in the ransom notes",
                    "evidence/ransomware_ransom_notes.md",
                )
        if sid == "nps_vendor" and "market_sales" in ev:
            addr = ev["market_sales"]["refund_address"]
            return (
                sid,
                addr,
                f"the vendor's refund address {addr} (from the market listing)",
                "evidence/nps_vendor_market_listing.md",
            )
        if sid == "exchange_theft" and "theft" in ev:
            e = ev["theft"]
            start = [op for a in e["addresses"] for op in _outpoints(chain, e["txid"], a)]
            if start:
                return (
                    sid,
                    start,
                    f"the {len(start)} outputs of the theft transaction {e['txid'][:16]}...",
                    "evidence/exchange_theft_incident_report.md",
                )
    if story:
        raise CaseError(
            f"this case pack has no story {story!r} that can be started by name; it has: "
            f"{', '.join(k for k in facts if k != 'economy') or 'none'}. Give start= instead"
        )
    return None


def economy_tags(facts: dict):
    """Tags for the known services of a synthetic economy (its answer key's public facts)."""
    import pandas as pd

    from .tags import TagStore

    eco = facts.get("economy", {})
    rows = []
    for name, info in eco.get("exchanges", {}).items():
        for a in info.get("hot_wallet_addresses", []):
            rows.append(
                {
                    "address": a,
                    "label": f"{name} hot wallet",
                    "category": "exchange",
                    "jurisdiction": info.get("jurisdiction"),
                    "confidence": "service_data",
                    "source": f"{name} proof-of-reserves page",
                }
            )
    m = eco.get("market") or {}
    for a in m.get("hot_wallet_addresses", []):
        rows.append(
            {
                "address": a,
                "label": m.get("name", "market"),
                "category": "market",
                "confidence": "authority_data",
                "source": "seizure of a market server",
            }
        )
    for name, info in eco.get("mining_pools", {}).items():
        rows.append(
            {
                "address": info["coinbase_address"],
                "label": name,
                "category": "miner",
                "confidence": "service_data",
                "source": "coinbase tag",
            }
        )
    return TagStore.from_frame(pd.DataFrame(rows), pack="sample economy (answer key)")


def _pack_tags(pack, facts):
    from .tags import load_tags

    files = ([pack.tags_path] if pack.tags_path is not None else []) + list(pack.legal_responses.values())
    if files:
        try:
            return load_tags(files), f"{len(files)} tag file(s) of the case pack"
        except CryptotraceError as exc:
            if not facts:
                raise
            tags = economy_tags(facts)
            legal = list(pack.legal_responses.values())
            if legal:
                tags = tags + load_tags(legal)
            return tags, (
                f"the pack's tags.yaml could not be read ({exc}); used the known exchanges from the "
                "answer key and the legal responses instead"
            )
    return economy_tags(facts), "the sample economy's known services"


# ---------------------------------------------------------------------------------------- the pipeline
def investigate(
    data="sample",
    start=None,
    *,
    story: str | None = None,
    policy: str = "haircut",
    max_hops: int = 12,
    clustering=None,
    tags=None,
    title: str | None = None,
) -> Investigation:
    """Run a whole case: cluster the addresses, load the tags, trace the money, rank the seizure candidates.

    Parameters
    ----------
    data : Case, str or Chain, default "sample"
        A case pack (:func:`cryptotrace.load_case`), the name or folder of one, or a Chain.
    start : address, txid, "txid:vout", or a list of them, optional
        Where the money starts (e.g. the addresses in the evidence). For a case pack with an answer
        key it may be left out: the pack's story (``story=``) names it.
    story : {"ransomware", "nps_vendor", "exchange_theft"}, optional
        Which story of the pack to follow when ``start`` is not given (default: the first it has).
    policy, max_hops
        As for :func:`cryptotrace.trace`.
    clustering : Clustering, optional
        Default: common-input ownership with CoinJoins skipped (``Clustering().fit(chain)``).
    tags : TagStore, optional
        Default: the pack's ``tags.yaml`` and its legal responses.

    Returns
    -------
    Investigation
        Every step's result, the findings in words and ``save(folder)`` for the report and files.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.investigate("sample", story="nps_vendor")
    >>> case.trace.params["policy"]
    'haircut'
    >>> len(case.findings()) > 0
    True
    """
    from .cases import Case, load_case
    from .chain import Chain
    from .clustering import Clustering
    from .tracing import seizure_candidates, trace

    pack = None
    if isinstance(data, Chain):
        chain = data
    elif isinstance(data, Case):
        pack, chain = data, data.chain
    elif isinstance(data, (str, Path)):
        pack = load_case(data)
        chain = pack.chain
    else:
        raise CaseError(
            f"investigate() takes a case pack, its name or folder, or a Chain, not "
            f"{type(data).__name__}; e.g. investigate('sample', story='ransomware')"
        )
    facts = {}
    if pack is not None:
        try:
            facts = pack.answer_key.facts
        except CryptotraceError:
            facts = {}  # a trainee's copy has no answer key: start= says where to begin
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if clustering is None:
            clustering = Clustering().fit(chain)
        tag_note = "given"
        if tags is None:
            if pack is not None:
                tags, tag_note = _pack_tags(pack, facts)
            elif facts:
                tags, tag_note = economy_tags(facts), "the economy's known services"
        start_text, evidence = "the given start", "given"
        if start is None:
            picked = story_start(chain, facts, story) if facts else None
            if picked is None:
                raise CaseError(
                    "investigate() needs start= (an address, txid or txid:vout from the evidence): "
                    "this data has no answer key naming where its story starts"
                )
            story, start, start_text, evidence = picked
        t = trace(chain, start, policy=policy, max_hops=max_hops, tags=tags, clustering=clustering)
        cands = seizure_candidates(t, clustering, tags)
    for w in caught:  # shown to the caller as well as kept on the result
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if title is None:
        title = _story_title(pack, story) or (pack.title if pack is not None else "Bitcoin tracing case")
    return Investigation(
        chain=chain,
        clustering=clustering,
        tags=tags,
        trace=t,
        candidates=cands,
        title=title,
        start_text=start_text,
        evidence=evidence,
        tag_note=tag_note,
        caught=caught,
    )


def _story_title(pack, story):
    """The title of one case of the pack (from its case.yaml), or None."""
    if pack is None or story is None:
        return None
    from ._yaml import load_file

    meta = load_file(pack.path / "case.yaml") or {}
    return next((c.get("title") for c in meta.get("cases", []) if c.get("id") == story), None)
