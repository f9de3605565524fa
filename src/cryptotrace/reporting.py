"""The HTML case report: one self-contained file to hand to a prosecutor or a colleague.

:func:`report` writes a single ``.html`` file with everything inside it (the
pictures are embedded as PNG data, the styles inline; no scripts, no links to
other files or web sites), so it opens the same way on any computer, offline,
years later. It holds:

* the findings in plain words (how much reached which exchange in which
  country, what is still unspent and seizable, what went through mixers);
* the parameters of the trace (and of the clustering), and the SHA-256 of
  the dataset, so anyone can check the result on the same data;
* the pictures (flow graph, where the money went, the suspect's cluster and
  its balance over time);
* the seizure candidates and the flows as tables, amounts in BTC with all 8
  decimals;
* the evidence path of every seizure candidate (the chain of outputs from
  the start to it);
* the method and caveats of every heuristic and policy used.

Every label (tag names from third-party files included) is HTML-escaped, so
a tag labelled ``<script>...</script>`` shows as text and cannot run.

Examples
--------
>>> import cryptotrace as ct
>>> from cryptotrace.tracing import worked_example_chain
>>> chain = worked_example_chain()
>>> t = ct.trace(chain, chain.outputs.txid[0] + ":0", min_value=0)
>>> html_text = ct.report(t, figures=False)
>>> html_text.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import re
from pathlib import Path

import pandas as pd

from .errors import TraceError
from .units import format_btc

__all__ = ["COUNTRIES", "default_figures", "findings", "report"]

#: Country names for the jurisdiction codes tags usually carry (ISO 3166 alpha-2); others show as the code.
COUNTRIES = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CA": "Canada",
    "CH": "Switzerland",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "GI": "Gibraltar",
    "HK": "Hong Kong",
    "IE": "Ireland",
    "IT": "Italy",
    "JP": "Japan",
    "KY": "Cayman Islands",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "the Netherlands",
    "NO": "Norway",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "RU": "Russia",
    "SC": "the Seychelles",
    "SE": "Sweden",
    "SG": "Singapore",
    "SK": "Slovakia",
    "UA": "Ukraine",
    "UK": "United Kingdom",
    "US": "the United States",
    "VG": "the British Virgin Islands",
}
_SERVICE_SUFFIX = re.compile(r"\s+(deposit address|hot wallet|cold wallet|wallet)$", re.IGNORECASE)
_TAG_CAVEAT = (
    "Tags are claims by third parties (a service's own records, an authority, a web page), not facts "
    "that can be checked on the chain: quote the source and its confidence, and confirm an "
    "attribution with the service (production order) before acting on it."
)
_TRACE_CAVEATS = [
    "A taint policy is a convention for sharing mixed coins, not a fact on the chain: Bitcoin does not say "
    "which satoshi in a transaction paid which output. Say which policy you used and, where it matters, "
    "show that another policy gives a similar answer.",
    'The trace only sees the transactions in the dataset. Value that leaves the records ("end of data", '
    '"spent outside") may have moved on; the hop limit and the minimum value also stop it.',
    "Clustering links addresses by heuristics (rules of thumb). Common-input ownership is strong but "
    "CoinJoins and PayJoins break it; change heuristics can be wrong, and one wrong link can merge two owners.",
    "After a mixer or CoinJoin the link to the traced coins is probabilistic: amounts found there are leads, "
    "not proof.",
]


def _esc(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return html.escape(str(v), quote=True)


def _country(code) -> str:
    if code is None or code is pd.NA or (isinstance(code, float) and code != code) or not str(code).strip():
        return "an unknown country"
    c = str(code).strip()
    return COUNTRIES.get(c.upper(), c)


def _service_name(label) -> str:
    if label is None or label is pd.NA or (isinstance(label, float) and label != label):
        return "an unnamed service"
    return _SERVICE_SUFFIX.sub("", str(label))


def _account_holders(tags, addresses) -> list[str]:
    """Account holders named for ``addresses`` in the tags (e.g. from exchanges' legal responses)."""
    if tags is None:
        return []
    try:
        best = tags.best_per_address() if hasattr(tags, "best_per_address") else tags
    except Exception:
        return []
    if "account_holder" not in getattr(best, "columns", []):
        return []
    if "address" in best.columns and best.index.name != "address":
        best = best.set_index("address")
    v = best["account_holder"].reindex(list(addresses)).dropna()
    return sorted({str(x) for x in v if str(x).strip()})


# ====================================================================== findings in words
def _worth(rows: pd.DataFrame, col: str = "tainted_value", *, bare: bool = False) -> str:
    """`` (12,345.67 EUR / 14,000.00 USD at the time)`` for the rows' money columns, or why there is no price
    (never 0); empty when the rows carry no money columns (``fiat=False``)."""
    eur_c, usd_c = f"{col}_eur", f"{col}_usd"
    if eur_c not in rows.columns or not len(rows):
        return ""
    eur, usd = rows[eur_c].astype(float), rows[usd_c].astype(float)
    missing = int(eur.isna().sum())
    if missing == len(rows):
        notes = rows["price_note"].astype("string").fillna("") if "price_note" in rows.columns else pd.Series([""])
        note = next((str(n) for n in notes if str(n)), "no price for that time")
        return note if bare else f" ({note})"
    text = f"{eur.sum():,.2f} EUR / {usd.sum(min_count=1):,.2f} USD at the time"
    if missing:
        text += f"; {missing:,} coin(s) without a price left out"
    return text if bare else f" ({text})"


def findings(trace, candidates=None, *, tags=None) -> list[str]:
    """The findings of a forward trace in plain sentences (amounts in BTC, with their worth in EUR and USD at
    the time when the trace carries money columns; "no price" where there is none, never 0).

    Used by the report and by ``cryptotrace demo``. One sentence per kind of
    destination: each exchange (with its country and, when the tags carry
    an exchange's answer to a production order, the account holder), what is
    unspent (and whether it sits in the suspect's own cluster), what went
    through mixers or CoinJoins, fees, and what moved on to unknown hands.
    """
    from .tracing import POLICIES, seizure_candidates

    s = trace.summary()
    coins = trace.coins if getattr(trace, "fiat", False) else None
    start_worth = _worth(coins[coins.is_start & (coins.entry == "coin")], "value") if coins is not None else ""
    out = [
        f"Traced {format_btc(s['start_value'])} from {s['start']} {s['direction']}{start_worth}, with the "
        f"{s['policy']} rule ({POLICIES.get(s['policy'], '')}); followed {s['txs_followed']:,} transactions "
        f"over {s['hops_reached']} hops."
    ]
    if s["direction"] != "forward":
        by = sorted(s["by_kind"].items(), key=lambda kv: -kv[1])
        out += [f"{format_btc(v)} came from: {k.replace('_', ' ')}." for k, v in by]
        return out
    if candidates is None:
        candidates = seizure_candidates(trace, tags=tags, fiat=bool(getattr(trace, "fiat", True)))
    t = candidates.to_frame()
    svc = t[t.classification == "at_service"]
    if len(svc):
        g = svc.assign(who=svc.service.map(_service_name), where=svc.jurisdiction.astype("string").fillna(""))
        rows = []
        for (who, where), grp in g.groupby(["who", "where"], sort=False):
            total = int(grp.tainted_value.sum())
            n = len(grp)
            small = grp[grp.custodial & (grp.share < candidates.params["min_share"])] if "custodial" in grp else grp[:0]
            if len(small) == n:
                ask = (
                    f"ask {who} for the account holder's details (the traced part is a small share of "
                    "the coins there, too small to ask for a freeze)"
                )
            elif len(small):
                ask = (
                    f"ask {who} to freeze {format_btc(total - int(small.tainted_value.sum()))} of it and to name "
                    f"the account holder ({format_btc(int(small.tainted_value.sum()))} is only a small share of "
                    "its coins: ask for the holder's details)"
                )
            else:
                ask = f"ask {who} to freeze it and to name the account holder"
            money = _worth(grp, bare=True)
            sent = (
                f"{format_btc(total)} reached {who} in {_country(where)} ({n} deposit"
                f"{'s' if n != 1 else ''}{'; ' + money if money else ''}): {ask}."
            )
            holders = _account_holders(tags if tags is not None else trace.tags, grp.address)
            if holders:
                sent += f" Its records name: {', '.join(holders)}."
            rows.append((-total, sent))
        out += [sent for _, sent in sorted(rows)]
    else:
        out.append("No traced value reached a tagged exchange or other service.")
    sus = t[t.classification == "suspect_unspent"]
    unk = t[t.classification == "unspent_unknown"]
    if len(sus):
        money = _worth(sus, bare=True)
        out.append(
            f"{format_btc(int(sus.tainted_value.sum()))} is still unspent in the suspect's own cluster "
            f"({len(sus)} coin{'s' if len(sus) != 1 else ''}{'; ' + money if money else ''}): "
            "seizable if the keys are found "
            "(e.g. a seed or xpub on a seized device)."
        )
    if len(unk):
        out.append(
            f"{format_btc(int(unk.tainted_value.sum()))} is still unspent at {unk.address.nunique():,} "
            f"address(es) of unknown owner{_worth(unk)}: identify the owner, then act."
        )
    mixed = t[t.classification == "mixed"]
    if not len(sus) and not len(unk):
        out.append(
            "None of the traced value is still unspent"
            + (" (outside mixers and CoinJoins)" if len(mixed) else "")
            + " in these records."
        )
    if len(mixed):
        kind = mixed.kind.astype("string")
        parts = []
        still = int(mixed.tainted_value[kind.isin(["unspent", "end_of_data"]).fillna(False)].sum())
        at_svc = int(mixed.tainted_value[kind.isin(["service", "stopped"]).fillna(False)].sum())
        if still:
            parts.append(f"{format_btc(still)} of it is unspent after the mix")
        if at_svc:
            parts.append(f"{format_btc(at_svc)} of it reached tagged services after the mix")
        more = f" ({'; '.join(parts)})" if parts else ""
        out.append(
            f"{format_btc(int(mixed.tainted_value.sum()))} went through a mixer or CoinJoin"
            f"{_worth(mixed)}{more}: "
            "where it went after that is uncertain (the link is probabilistic), so treat these as leads."
        )
    gone = t[t.classification == "spent_unknown"]
    if len(gone):
        out.append(
            f"{format_btc(int(gone.tainted_value.sum()))} moved on to unknown hands or beyond the "
            f"traced hops{_worth(gone)}: trace further to follow it."
        )
    ends = t[t.classification == "end_of_records"]
    if len(ends):
        out.append(
            f"{format_btc(int(ends.tainted_value.sum()))} leaves these records (a partial chain)"
            f"{_worth(ends)}: fetch "
            "the next transactions (e.g. cryptotrace fetch) and trace further."
        )
    fee = int(s["by_kind"].get("fee", 0))
    if fee:
        paid = _worth(coins[coins.entry == "fee"]) if coins is not None else ""
        out.append(f"{format_btc(fee)} was paid to miners as fees{paid}.")
    return out


# ====================================================================== figures
def _png_data(fig, dpi: int = 110) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def default_figures(trace, candidates=None, *, clustering=None, tags=None) -> dict:
    """The report's pictures: name -> (caption, Figure)."""
    from . import plot as P

    figs = {
        "flow": (
            "Where the traced money went: from the start through the hops to the services, CoinJoins and "
            "unspent coins (arrow width = traced BTC).",
            P.trace_flow(trace, tags=tags),
        )
    }
    if trace.params.get("direction") == "forward":
        figs["summary"] = ("Where the money went.", P.money_summary(trace, candidates))
    start_addr = start_addresses(trace)
    if clustering is not None and start_addr:
        try:
            cid = clustering.cluster_of(start_addr[0])
            figs["cluster"] = (
                f"The cluster of the start address {start_addr[0]} and the evidence that joined it.",
                P.cluster_picture(clustering, cid, tags=tags, highlight=start_addr),
            )
            figs["balance"] = (
                f"Balance of cluster {cid} (the start's cluster) over time.",
                P.balance_timeline(trace.chain, cid, clustering=clustering),
            )
        except Exception:  # a picture that cannot be drawn must not stop the report
            pass
    elif start_addr:
        figs["balance"] = ("Balance of the start address(es) over time.", P.balance_timeline(trace.chain, start_addr))
    return figs


def start_addresses(trace) -> list[str]:
    """The distinct addresses of the coins ``trace`` started from, in the order they first appear."""
    ix = trace.chain.index
    codes = ix.address_of_output[trace.start_rows]
    codes = codes[codes >= 0]
    seen = []
    for a in ix.addresses[codes].tolist():
        if a not in seen:
            seen.append(a)
    return seen


_start_addresses = start_addresses  # old name, until commands/demo.py imports start_addresses (being rewritten)


# ====================================================================== HTML pieces
_CSS = """
body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;
line-height:1.45}
h1{border-bottom:3px solid #0072B2;padding-bottom:.2em}h2{color:#0072B2;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em}th,td{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#eef4fa}td.num{text-align:right;font-family:Consolas,monospace;
white-space:nowrap}
table.wide{width:100%;table-layout:fixed}table.wide td,table.wide th{overflow-wrap:anywhere}
th .csv{font-family:Consolas,monospace;font-weight:normal;font-size:.85em;color:#555}
code,.mono{font-family:Consolas,monospace;font-size:.9em;word-break:break-all}
.findings li{margin:.3em 0}figure{margin:1em 0}
figure img{display:block;max-width:100%;max-height:92vh;height:auto;width:auto;border:1px solid #ddd}
figcaption{font-size:.9em;color:#444}.note{color:#555;font-size:.9em}details{margin:.3em 0}
.hash{font-family:Consolas,monospace;background:#f4f4f4;padding:2px 5px}
.key{font-family:Consolas,monospace;font-size:.8em;color:#666}.sub{font-size:.85em;color:#555}
ol.footnotes{font-size:.8em;color:#444;margin:.2em 0 .6em 1.5em;padding:0}ol.footnotes li{margin:0}
.appendix{border-top:3px solid #0072B2;margin-top:2.5em}
@page{size:A4;margin:14mm 12mm}
@media print{
 body{margin:0;max-width:none;padding:0;font-size:10pt}
 h1{font-size:18pt;margin-top:0}h2{font-size:14pt;break-after:avoid;page-break-after:avoid}
 h3{break-after:avoid;page-break-after:avoid}
 figure{break-inside:avoid;page-break-inside:avoid;margin:.5em 0}
 figure img{max-width:100%;max-height:240mm;object-fit:contain}
 table{font-size:8pt;max-width:100%}thead{display:table-header-group}th,td{padding:2px 4px}
 tr,li{break-inside:avoid;page-break-inside:avoid}
 .pictures,.appendix{break-before:page;page-break-before:always}
 section.candidates{break-before:page;page-break-before:always}
 table.candidates{font-size:6.8pt}table.candidates th,table.candidates td{padding:1px 3px;line-height:1.15}
 details:not([open])>:not(summary){display:none}
}
"""


def _pct(v) -> str:
    """A share as a percentage that does not round a small share to 0.0%."""
    p = 100 * float(v)
    return f"{p:.1f}%" if p >= 1 or p == 0 else f"{p:.2g}%"


def _table(df: pd.DataFrame, columns: list[tuple[str, str, str]]) -> str:
    """columns: (column, heading, kind) with kind 'btc', 'num', 'mono' or 'text'."""
    head = "".join(f"<th>{_esc(h)}</th>" for _, h, _ in columns)
    rows = []
    for r in df.itertuples(index=False):
        d = r._asdict()
        cells = []
        for c, _, kind in columns:
            v = d.get(c)
            if kind == "btc":
                cells.append(f'<td class="num">{_esc(format_btc(v, unit=False))}</td>')
            elif kind == "num":
                cells.append(f'<td class="num">{_esc(v)}</td>')
            elif kind == "pct":
                cells.append(f'<td class="num">{_esc(_pct(v))}</td>' if v is not None else "<td></td>")
            elif kind == "mono":
                cells.append(f'<td class="mono">{_esc(v)}</td>')
            elif kind == "money":
                cells.append(
                    f'<td class="num">{v:,.2f}</td>'
                    if isinstance(v, (int, float)) and v == v
                    else f'<td class="note" title="{_esc(d.get("price_note"))}">no price</td>'
                )
            elif kind == "html":  # made (and escaped) by the report itself
                cells.append(f"<td>{v}</td>")
            else:
                cells.append(f"<td>{_esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _kv(items) -> str:
    return "<table>" + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in items) + "</table>"


def _heuristic_item(h) -> str:
    """One heuristic as a list item; a composed one lists each of its parts under it."""
    sub = getattr(h, "parts", None)
    kind = _esc(str(getattr(h, "kind", "heuristic")).replace("_", " "))
    if sub:
        return (
            f"<li><b>{_esc(h.name)}</b> ({kind}), made of:<ul>"
            + "".join(_heuristic_item(p) for p in sub)
            + "</ul></li>"
        )
    return (
        f"<li><b>{_esc(h.name)}</b> ({kind}): {_esc(h.rationale)} "
        f"<span class='note'>Source: {_esc(h.reference)}</span></li>"
    )


def _methods(trace, clustering, tags) -> str:
    from .tracing import ENDPOINT_KINDS, FEE_POLICIES, POLICIES, SEIZURE_CLASSES

    p = trace.params
    parts = [
        "<h3>Taint policy</h3>",
        f"<p><b>{_esc(p['policy'])}</b>: {_esc(POLICIES.get(p['policy'], ''))}.</p>",
        f"<p><b>Fees</b> ({_esc(p.get('fee_policy'))}): {_esc(FEE_POLICIES.get(p.get('fee_policy'), ''))}.</p>",
        "<details><summary>All policies, for comparison</summary><ul>"
        + "".join(f"<li><b>{_esc(k)}</b>: {_esc(v)}</li>" for k, v in POLICIES.items())
        + "</ul></details>",
    ]
    if clustering is not None and getattr(clustering, "params_", None):
        cp = clustering.params_
        hs, cj = clustering._check_params()  # the heuristic objects the fit used (composed, parameterised)
        parts.append("<h3>Clustering heuristics</h3><ul>")
        for h in hs + ([cj] if cp.get("skip_coinjoin") else []):
            parts.append(_heuristic_item(h))
        parts.append("</ul>")
        if cp.get("skip_coinjoin"):
            parts.append(
                f"<p>Transactions recognised as CoinJoins (by <b>{_esc(cj.name)}</b>) were left out of "
                "the clustering: their inputs belong to many people.</p>"
            )
    parts.append("<h3>Attribution (tags)</h3>")
    parts.append(f"<p>{_esc(_TAG_CAVEAT)}</p>")
    parts.append(
        "<h3>Seizure classes</h3><ul>"
        + "".join(f"<li><b>{_esc(k)}</b>: {_esc(v)}</li>" for k, v in SEIZURE_CLASSES.items())
        + "</ul>"
    )
    used = sorted(set(trace.endpoints.kind.astype(str)))
    parts.append(
        "<h3>Where a trace stops (endpoint kinds in this trace)</h3><ul>"
        + "".join(f"<li><b>{_esc(k)}</b>: {_esc(ENDPOINT_KINDS.get(k, ''))}</li>" for k in used)
        + "</ul>"
    )
    parts.append("<h3>Caveats</h3><ul>" + "".join(f"<li>{_esc(c)}</li>" for c in _TRACE_CAVEATS) + "</ul>")
    return "".join(parts)


def _tags_used(trace, tags, addresses, *, max_rows: int = 40) -> str:
    if tags is None:  # the tags of the trace's coin table
        if trace.tags is None:
            return "<p>No tags were used.</p>"
        c = trace.coins
        cols = ["label", "category", "jurisdiction", "confidence_name", "source", "account_holder"]
        best = c[c.label.notna() | c.category.notna()].drop_duplicates("address").set_index("address")[cols]
    else:
        best = tags.best_per_address() if hasattr(tags, "best_per_address") else tags
        if "address" in best.columns and best.index.name != "address":
            best = best.set_index("address")
    hit = best.reindex([a for a in pd.unique(pd.Series(list(addresses), dtype="string").dropna())]).dropna(how="all")
    if not len(hit):
        return "<p>None of the tagged addresses were reached.</p>"
    hit = hit.reset_index().rename(columns={"index": "address"})
    for c in ("label", "category", "jurisdiction", "confidence_name", "source", "account_holder"):
        if c not in hit.columns:
            hit[c] = None
    cols = [
        ("address", "address", "address", "mono"),
        ("label", "label", "who", "text"),
        ("category", "category", "category", "text"),
        ("jurisdiction", "jurisdiction", "country", "text"),
        ("account_holder", "account_holder", "account holder", "text"),
        ("confidence_name", "confidence_name", "confidence", "text"),
        ("source", "source", "source", "text"),
    ]
    if len(hit) <= max_rows:
        return _csv_table(hit, cols, [25, 18, 10, 8, 12, 10, 17])
    g = hit.assign(**{c: hit[c].astype("string").fillna("") for c in ("label", "category", "jurisdiction")})
    by = g.groupby(["label", "category", "jurisdiction"], sort=False).size().rename("addresses").reset_index()
    by = by.sort_values("addresses", ascending=False, kind="stable")
    by["addresses"] = by.addresses.map("{:,}".format)
    return (
        f"<p class='note'>{len(hit):,} tagged addresses were reached; by tag (the full table is in the CSV: "
        "<code>cryptotrace.export.to_csv(tags, 'tags.csv')</code>):</p>"
        + _csv_table(
            by.head(max_rows),
            [
                ("label", "label", "who", "text"),
                ("category", "category", "category", "text"),
                ("jurisdiction", "jurisdiction", "country", "text"),
                ("addresses", "addresses", "addresses reached", "num"),
            ],
        )
    )


# ====================================================================== parameters in words
def _yes(v) -> str:
    return "yes" if v else "no"


def _listed(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "none"
    if isinstance(v, bool):
        return _yes(v)
    if isinstance(v, dict):
        return ", ".join(
            f"{k.replace('_', ' ')} {x:,}" if isinstance(x, int) else f"{k.replace('_', ' ')} {x}" for k, x in v.items()
        )
    if isinstance(v, (list, tuple, set)):
        return ", ".join(str(x).replace("_", " ") for x in v) or "none"
    return str(v)


def _trace_param_words(p: dict) -> list[tuple[str, str, str]]:
    """(what, in words, the parameter's name) for each trace parameter."""
    from .tracing import FEE_POLICIES, POLICIES

    words = {
        "start": ("Start", lambda v: str(v)),
        "direction": (
            "Direction",
            lambda v: (
                "forward: where the coins went"
                if v == "forward"
                else "backward: where the coins came from"
                if v == "backward"
                else str(v)
            ),
        ),
        "policy": ("Taint policy", lambda v: f"{v}: {POLICIES.get(v, '')}".rstrip(": ")),
        "max_hops": ("Hop limit", lambda v: f"at most {int(v):,} transactions (hops) from the start"),
        "min_value": ("Smallest amount followed", lambda v: f"amounts under {format_btc(int(v))} are not followed"),
        "fee_policy": ("Fees", lambda v: f"{v}: {FEE_POLICIES.get(v, '')}".rstrip(": ")),
        "fifo_order": (
            "Inside a coin (FIFO)",
            lambda v: (
                "the tainted part is read first"
                if v == "tainted_first"
                else "the coin's own order is kept"
                if v == "keep"
                else str(v).replace("_", " ")
            ),
        ),
        "stop_at": ("The trace stops at", lambda v: _listed(v)),
        "tags": ("Tags used", lambda v: _listed(v)),
        "clustering": ("Clustering used", lambda v: "no" if v is None else f"yes ({v})"),
    }
    out = []
    for k, v in p.items():
        what, f = words.get(k, (k.replace("_", " ").capitalize(), _listed))
        out.append((what, f(v), k))
    return out


def _clustering_param_words(clustering) -> list[tuple[str, str, str]]:
    cp = clustering.params_
    words = {
        "heuristics": ("Heuristics (rules that join addresses)", lambda v: _listed(v)),
        "skip_coinjoin": ("CoinJoins left out", lambda v: "yes: their inputs belong to many people" if v else "no"),
        "coinjoin": ("CoinJoin detector", lambda v: str(v).replace("_", " ")),
        "skip_payjoin": ("PayJoins left out", _yes),
        "change_conflicts": (
            "Change heuristics that disagree",
            lambda v: (
                "none of them is used there" if v == "skip" else "all of them are used" if v == "keep" else str(v)
            ),
        ),
        "collapse_size": (
            "Warn when a change link joins two clusters of at least",
            lambda v: f"{int(v):,} addresses each",
        ),
        "refuse_collapse": ("Drop such links", _yes),
        "chain": (
            "Data clustered",
            lambda v: (
                (f"{int(v.get('txs', 0)):,} transactions, {int(v.get('addresses', 0)):,} addresses")
                if isinstance(v, dict)
                else _listed(v)
            ),
        ),
        "cryptotrace_version": ("cryptotrace version", str),
    }
    out = []
    for k, v in cp.items():
        what, f = words.get(k, (k.replace("_", " ").capitalize(), _listed))
        out.append((what, f(v), k))
    out.append(("Result", re.sub(r"^<|>$", "", repr(clustering)), "repr"))
    return out


def _kv_words(rows) -> str:
    return (
        "<table>"
        + "".join(
            f"<tr><th>{_esc(w)} <span class='key'>({_esc(k)})</span></th><td>{_esc(v)}</td></tr>" for w, v, k in rows
        )
        + "</table>"
    )


# the columns of the tables, named as in the CSV export (cryptotrace.export.to_csv), with a few words each
_CANDIDATE_COLUMNS = [
    ("rank", "rank", "#", "num"),
    ("classification", "classification", "class", "text"),
    ("action_short", "action", "what to do (the CSV has the whole sentence)", "text"),
    ("address_short", "address", "address", "html"),
    ("tainted_value", "tainted_value_btc", "traced", "btc"),
    ("tainted_value_eur", "tainted_value_eur", "traced, EUR", "money"),
    ("tainted_value_usd", "tainted_value_usd", "traced, USD", "money"),
    ("share", "share", "traced share", "pct"),
    ("strength_cell", "strength", "evidence", "html"),
]
_CANDIDATE_WIDTHS = [4, 9, 33, 12, 10, 9, 9, 6, 8]  # percent of the page width (the service, custodial, value
# and kind columns of the CSV are in the action's words)


def _short_action(action) -> str:
    """The action's first clause (who, and what to ask): the amounts and the share are columns of their own."""
    text = str(action) if isinstance(action, str) else ""
    return text.split("; ", 1)[0]


def _short_address(address) -> str:
    """``bc1qxy2kgd...fjhx0wlh`` with the whole address as its tooltip (the CSV has it whole)."""
    if not isinstance(address, str) or not address:
        return ""
    short = address if len(address) <= 20 else f"{address[:10]}...{address[-8:]}"
    return f"<span class='mono' title='{_esc(address)}'>{_esc(short)}</span>"


def _strength_cells(m: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The strength cell of each candidate (the grade with a note number; the reason as its tooltip) and the
    numbered notes under the table: each distinct reason once, with the policies it holds under and what a
    defence may answer."""
    notes: dict[tuple, int] = {}
    cells = []
    for r in m.itertuples(index=False):
        reason = str(getattr(r, "strength_reason", "") or "")
        holds = getattr(r, "holds_under", None)
        alt = getattr(r, "alternatives", None)
        key = (reason, holds if isinstance(holds, str) else "", alt if isinstance(alt, str) else "")
        n = notes.setdefault(key, len(notes) + 1) if any(key) else None
        cells.append(f"<b title='{_esc(reason)}'>{_esc(r.strength)}</b>" + (f"<sup>{n}</sup>" if n else ""))
    items = []
    for (reason, holds, alt), n in notes.items():
        text = _esc(reason)
        if holds:
            text += f" Holds under {_esc(holds)}."
        if alt:
            text += f" A defence may answer: {_esc(alt)}."
        items.append(f"<li value='{n}'>{text}</li>")
    return cells, items


_FLOW_COLUMNS = [
    ("hop", "hop", "step", "num"),
    ("txid", "txid", "transaction", "mono"),
    ("vout", "vout", "output", "num"),
    ("address", "address", "address", "mono"),
    ("cluster", "cluster", "cluster", "num"),
    ("tag", "tag", "tag", "text"),
    ("value", "value_btc", "coin value", "btc"),
    ("tainted_value", "tainted_value_btc", "traced", "btc"),
]
_FLOW_WIDTHS = [5, 24, 5, 22, 7, 11, 13, 13]


def _csv_table(df: pd.DataFrame, columns, widths=None) -> str:
    """A table whose headings are the CSV's column names (with a few words under each)."""
    cols = [(c, f"{csv}|{words}", kind) for c, csv, words, kind in columns]
    body = _table(df, cols)
    head = "".join(f"<th>{_esc(csv)}<br><span class='csv'>{_esc(words)}</span></th>" for _, csv, words, _ in columns)
    body = re.sub(r"<thead><tr>.*?</tr></thead>", f"<thead><tr>{head}</tr></thead>", body, count=1, flags=re.S)
    if widths:
        cg = "<colgroup>" + "".join(f"<col style='width:{w}%'>" for w in widths) + "</colgroup>"
        body = body.replace("<table>", f"<table class='wide'>{cg}", 1)
    return body


def _flow_summary(f: pd.DataFrame) -> str:
    """The flows per step: coins, addresses and traced BTC (the short form of a long flows table)."""
    g = f.groupby("hop", sort=True)
    t = pd.DataFrame(
        {
            "hop": g.size().index,
            "coins": g.size().to_numpy(),
            "addresses": g.address.nunique().to_numpy(),
            "tainted_value": g.tainted_value.sum().to_numpy(),
        }
    )
    t["coins"] = t.coins.map("{:,}".format)
    t["addresses"] = t.addresses.map("{:,}".format)
    return _csv_table(
        t,
        [
            ("hop", "hop", "step", "num"),
            ("coins", "coins", "coins carrying traced value", "num"),
            ("addresses", "addresses", "at this many addresses", "num"),
            ("tainted_value", "tainted_value_btc", "traced at this step", "btc"),
        ],
    )


# ====================================================================== the report
def report(
    trace,
    path=None,
    *,
    clustering=None,
    tags=None,
    candidates=None,
    title: str = "Bitcoin tracing report",
    chain=None,
    figures=True,
    notes: str | None = None,
    max_rows: int = 40,
    max_candidates: int = 5000,
    dpi: int = 110,
):
    """Write the case report: one self-contained HTML file that also prints (A4, about 10 pages).

    It leads with what matters: the findings in plain words, then the
    material seizure candidates (what to freeze or seize, largest first; the
    immaterial tail in one line), then the pictures, the case summary and
    the parameters in words. The long per-coin tables (flows, tags reached,
    evidence paths) and the method follow in an appendix; a long table is cut
    to a summary and its largest rows, and says that the full table is in
    the CSV (:func:`cryptotrace.export.to_csv`). Table columns carry the CSV's
    column names.

    Parameters
    ----------
    trace : Trace
        The trace to report (from :func:`cryptotrace.trace`).
    path : str or Path, optional
        Where to write the file (atomically). Without it the HTML text is returned.
    clustering : fitted Clustering, optional
        Adds its parameters, heuristics and the start's cluster picture.
    tags : TagStore or DataFrame, optional
        The attribution used (default: the tags the trace was run with).
    candidates : SeizureCandidates, optional
        Default: :func:`cryptotrace.seizure_candidates` of the trace (forward traces).
    title : str
    chain : Chain, optional
        The chain whose SHA-256 is quoted (default: the trace's chain).
    figures : bool or dict, default True
        ``True`` draws the standard pictures, ``False`` leaves them out, or
        give ``{name: (caption, Figure)}`` (e.g. from :func:`default_figures`).
    notes : str, optional
        The investigator's own notes (shown as text).
    max_candidates : int, default 5000
        List (with their evidence paths) at most this many material seizure candidates, largest first;
        the immaterial tail is one line (see :func:`cryptotrace.seizure_candidates`, ``min_value``).
    max_rows : int, default 40
        Longer per-coin tables in the appendix (flows, tags reached) show a
        summary and their ``max_rows`` largest rows; the CSV export has them all.
    dpi : int, default 110

    Returns
    -------
    Path of the file, or the HTML text without ``path``.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> from cryptotrace.tracing import worked_example_chain
    >>> chain = worked_example_chain()
    >>> t = ct.trace(chain, chain.outputs.txid[0] + ":0", min_value=0)
    >>> text = ct.report(t, figures=False)
    >>> "Seizure candidates" in text and "EUR" in text and "price source:" in text
    True
    """
    from .tracing import Trace, seizure_candidates

    if not isinstance(trace, Trace):
        raise TraceError(f"report needs a Trace (from cryptotrace.trace(...)), not {type(trace).__name__}")
    chain = trace.chain if chain is None else chain
    forward = trace.params.get("direction") == "forward"
    if candidates is None and forward:
        candidates = seizure_candidates(trace, clustering, tags, fiat=trace.fiat)
    s = trace.summary()
    priced = trace.fiat or (candidates is not None and "tainted_value_eur" in candidates.table.columns)
    price_line = trace.prices.describe() if priced else ""
    from . import __version__

    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f"<p class='note'>Made {_esc(now)} with cryptotrace {_esc(__version__)}. Amounts are in BTC with all 8 "
        "decimals (1 BTC = 100,000,000 satoshis)"
        + (f", and in EUR and USD at the time each coin was made ({_esc(price_line)})" if price_line else "")
        + ". The tables' columns carry the names of the CSV export's columns.</p>",
    ]
    if notes:
        out.append(f"<p>{_esc(notes)}</p>")
    # 1. findings
    out.append("<h2>Findings</h2><ul class='findings'>")
    out += [f"<li>{_esc(line)}</li>" for line in findings(trace, candidates, tags=tags)]
    out.append("</ul>")
    # 2. what to freeze or seize: the material candidates, the tail in one line
    section, m = _candidates_section(candidates, price_line, max_candidates)
    out += section
    # 3. pictures
    out += _pictures_section(trace, candidates, clustering, tags, figures, dpi)
    # 4. summary and parameters, in words
    out += _summary_section(trace, chain, clustering, s, price_line)
    # 5. appendix: the long per-coin tables, then the method
    out += _appendix(trace, m, clustering, tags, max_rows, max_candidates)
    out.append("</section></body></html>")
    text = "\n".join(out)
    if path is None:
        return text
    from .io.files import atomic_write_text

    return atomic_write_text(Path(path), text)


# ---------------------------------------------------------------------- the report's sections
def _candidates_section(candidates, price_line: str, max_candidates: int):
    """The material seizure candidates on one printed page, the tail in one line; and the rows listed."""
    out: list[str] = []
    m = None
    if candidates is not None:
        t = candidates.to_frame()
        m = candidates.to_frame(all=False)
        cp = candidates.params
        n_material = int(t.material.sum()) if "material" in t.columns else len(m)
        listed = f"; the largest {len(m):,} listed" if len(m) < n_material else ""
        out.append("<section class='candidates'>")
        out.append(f"<h2 id='candidates'>Seizure candidates ({n_material:,} material of {len(t):,}{listed})</h2>")
        out.append(
            "<p class='note'>Largest traced value first. <i>tainted_value_btc</i> (traced) is the part of the "
            "coin the policy counts as coming from the start; <i>share</i> is that part of the coin's value. "
            f"A candidate is material when at least {_esc(format_btc(cp['min_value']))} of it is traced; a "
            f"freeze is asked for only when the traced share is at least {100 * cp['min_share']:.0f}% of "
            "the coin, otherwise the account holder's details. <i>strength</i> grades the evidence that links "
            "the candidate to the start (the numbered notes below the table say why); it says under which "
            "taint policies the candidate still receives a material amount and what a defence may answer. "
            "The CSV has more columns for each (service, custodial, jurisdiction, value_btc, kind, "
            "evidence_path, strength_reason).</p>"
        )
        if price_line:
            out.append(
                f"<p class='note'>EUR and USD: the worth at the time each coin was made; {_esc(price_line)}.</p>"
            )
        if len(t):
            tt = m.head(max_candidates).copy()
            cols = [
                c
                for c in _CANDIDATE_COLUMNS
                if c[0] in tt.columns or c[0] in ("strength_cell", "action_short", "address_short")
            ]
            widths = [w for c, w in zip(_CANDIDATE_COLUMNS, _CANDIDATE_WIDTHS) if c in cols]
            footnotes = []
            tt["action_short"] = [_short_action(a) for a in tt.action] if "action" in tt.columns else ""
            tt["address_short"] = [_short_address(a) for a in tt.address]
            if "strength" in tt.columns:
                tt["strength_cell"], footnotes = _strength_cells(tt)
            else:
                cols = [c for c in cols if c[0] != "strength_cell"]
                widths = [w for c, w in zip(_CANDIDATE_COLUMNS, _CANDIDATE_WIDTHS) if c in cols]
            if sum(widths) != 100:  # columns left out (no money or strength columns): share their room
                widths = [round(w * 100 / sum(widths)) for w in widths]
            out.append(
                _csv_table(tt, cols, widths).replace("<table class='wide'>", "<table class='wide candidates'>", 1)
            )
            if footnotes:
                out.append("<ol class='footnotes'>" + "".join(footnotes) + "</ol>")
            no_price = tt.price_note[tt.tainted_value_eur.isna()] if "tainted_value_eur" in tt.columns else []
            for note in pd.unique(pd.Series(no_price, dtype="string").dropna()):
                out.append(f"<p class='note'>No price: {_esc(note)}.</p>")
            tail = candidates.tail_line()
            if tail:
                out.append(
                    f"<p class='note tail'>{_esc(tail)}: no action of their own; every candidate is in "
                    "the CSV (<code>cryptotrace.export.to_csv(candidates, 'seizure_candidates.csv')</code>)."
                    "</p>"
                )
            if len(m) > max_candidates:
                out.append(
                    f"<p class='note'>{len(m) - max_candidates:,} smaller material candidates not listed; "
                    "the CSV export has them.</p>"
                )
        out.append("</section>")
    return out, m


def _pictures_section(trace, candidates, clustering, tags, figures, dpi: int) -> list[str]:
    """The pictures (given, or the default ones), each scaled to the printed page."""
    out: list[str] = []
    figs = {}
    if figures is True:
        figs = default_figures(trace, candidates, clustering=clustering, tags=tags)
    elif isinstance(figures, dict):
        figs = figures
    if figs:
        out.append("<section class='pictures'><h2>Pictures</h2>")
        for name, item in figs.items():
            caption, fig = item if isinstance(item, tuple) else ("", item)
            out.append(
                f"<figure id='fig-{_esc(name)}'><img alt='{_esc(caption or name)}' "
                f"src='data:image/png;base64,{_png_data(fig, dpi)}'><figcaption>{_esc(caption)}</figcaption>"
                "</figure>"
            )
        out.append("</section>")
    return out


def _summary_section(trace, chain, clustering, s: dict, price_line: str) -> list[str]:
    """The case summary and the data and parameters, in words."""
    out: list[str] = []
    out.append("<h2>Case summary</h2>")
    out.append(f"<p>{_esc(trace.describe()).replace(chr(10), '<br>')}</p>")
    conserved = s["conserved"]
    out.append(
        _kv(
            [
                ("start", s["start"]),
                ("start value", format_btc(s["start_value"])),
                ("transactions followed", f"{s['txs_followed']:,}"),
                ("hops reached", s["hops_reached"]),
                ("end points", f"{s['endpoints']:,}"),
                (
                    "value conserved (the end points add up to the start)",
                    "not applicable (poison policy)" if conserved is None else _yes(conserved),
                ),
            ]
        )
    )
    out.append("<h2>Data and parameters</h2>")
    cs = chain.summary() if hasattr(chain, "summary") else {}
    t0, t1 = (chain.blocks.time.min(), chain.blocks.time.max()) if len(chain.blocks) else (None, None)
    out.append(
        _kv(
            [
                ("dataset SHA-256", chain.content_hash),
                ("transactions", f"{cs.get('txs', len(chain.txs)):,}"),
                ("addresses", f"{cs.get('addresses', chain.index.n_addresses):,}"),
                (
                    "blocks",
                    f"{len(chain.blocks):,}" + (f" ({str(t0)[:16]} to {str(t1)[:16]} UTC)" if t0 is not None else ""),
                ),
                *([("prices (EUR and USD at the time)", price_line)] if price_line else []),
            ]
        )
    )
    out.append(
        "<p class='note'>The SHA-256 identifies the exact data analysed: <code>cryptotrace info DATASET</code> "
        "prints it for a saved dataset, so anyone can check this report against the same records.</p>"
    )
    out.append("<h3>Trace parameters</h3>" + _kv_words(_trace_param_words(trace.params)))
    if clustering is not None and getattr(clustering, "params_", None):
        out.append("<h3>Clustering parameters</h3>" + _kv_words(_clustering_param_words(clustering)))
    return out


def _appendix(trace, m, clustering, tags, max_rows: int, max_candidates: int) -> list[str]:
    """The evidence paths, the flows (cut, pointing to the CSV), the tags reached, the method and caveats."""
    out: list[str] = []
    out.append(
        "<section class='appendix'><h2>Appendix</h2><p class='note'>The evidence behind the findings, coin by "
        "coin. Long tables are cut to a summary and their largest rows; the CSV export "
        "(<code>cryptotrace.export.to_csv</code>) has every row.</p>"
    )
    if m is not None and len(m):
        out.append(
            "<h2>A. Evidence paths</h2><p class='note'>For each material candidate, the outputs "
            "(<code>txid:vout</code>) that link the start to it, in order (open one in a browser; the CSV "
            "column <i>evidence_path</i> has them all).</p>"
        )
        for r in m.head(max_candidates).itertuples(index=False):
            path_items = list(r.evidence_path) if isinstance(r.evidence_path, (list, tuple)) else []
            who = f" ({_esc(r.service)})" if isinstance(r.service, str) and r.service else ""
            grade = (
                f"; {_esc(r.strength)} evidence: {_esc(getattr(r, 'strength_reason', ''))}"
                if isinstance(getattr(r, "strength", None), str)
                else ""
            )
            out.append(
                f"<details><summary>#{_esc(r.rank)} {_esc(format_btc(r.tainted_value))} to "
                f"<code>{_esc(r.address)}</code>{who}: {len(path_items)} step(s){grade}</summary><ol>"
                + "".join(f"<li><code>{_esc(p)}</code></li>" for p in path_items)
                + "</ol></details>"
            )
    f = trace.flows
    f = f[f.tainted_value > 0].sort_values(["tainted_value", "hop"], ascending=[False, True], kind="stable")
    out.append(f"<h2>B. Flows ({len(f):,} outputs carrying traced value)</h2>")
    if len(f) > max_rows:
        out.append("<p class='note'>Per step:</p>" + _flow_summary(f))
        out.append(
            f"<p class='note'>The {max_rows:,} largest of the {len(f):,} outputs; <b>the full table is in the "
            "CSV</b>: <code>cryptotrace.export.to_csv(trace, 'flows.csv')</code>.</p>"
        )
    out.append(
        _csv_table(
            f.head(max_rows).sort_values(["hop", "tainted_value"], ascending=[True, False], kind="stable"),
            _FLOW_COLUMNS,
            _FLOW_WIDTHS,
        )
    )
    out.append("<h2>C. Tags reached</h2>")
    out.append(_tags_used(trace, tags, trace.flows.address.dropna().tolist(), max_rows=max_rows))
    out.append("<h2>D. Method and caveats</h2>")
    out.append(_methods(trace, clustering, tags))
    return out
