"""cryptotrace demo: a whole case on the bundled sample chain, start to finish.

Load the chain, cluster the addresses, load the case pack's tags (public
attribution plus the exchanges' answers to production orders), trace the
money from the case's starting point, rank the seizure candidates, say what
was found in plain words, and write ``report.html``, the pictures (PNG) and
the seizure candidates (CSV) into ``--out``.

The case comes from the bundled case pack (``sample_data/cases/sample``) or
any pack given with ``--case``. Its instructor answer key says where each
story starts (the ransom payments, the darknet vendor's refund address, the
theft transaction); the trainee's evidence files say the same thing.
Without a case pack, the demo follows a darknet vendor's proceeds in the
bundled sample chain, with the known exchanges from its answer key as tags.
"""

from __future__ import annotations

NAME = "demo"
HELP = "run a whole case on the bundled sample chain and say what was found"
ORDER = 1

#: the stories the demo knows how to start, in the order it prefers them
STORIES = ("ransomware", "nps_vendor", "exchange_theft")


def add_arguments(p):
    p.add_argument("--out", default=".", help="folder for the report and figures (default: here)")
    p.add_argument("--case", default=None,
                   help="a case pack folder or bundled pack name (default: the bundled 'sample' pack)")
    p.add_argument("--story", default=None, choices=STORIES,
                   help="which of the pack's cases to follow (default: the first one the pack has)")
    p.add_argument("--policy", default="haircut", help="taint policy (haircut, poison, fifo, lifo, tiho)")
    p.add_argument("--max-hops", type=int, default=12, help="how many transactions to follow (default 12)")


# ---------------------------------------------------------------------------------------- the case
def _find_pack(name):
    from ..cases import load_case
    from ..errors import CaseError

    if name is not None:
        return load_case(name)
    try:
        return load_case("sample")
    except CaseError:
        return None


def _outpoints(chain, txid: str, address: str) -> list[str]:
    out = chain.outputs
    rows = out[(out.txid == txid) & (out.address == address)]
    return [f"{txid}:{int(v)}" for v in rows.vout]


def _pick_start(chain, facts: dict, story: str | None):
    """(story id, start for trace(), plain description, evidence note) from the answer key facts."""
    order = [story] if story else list(STORIES)
    for sid in order:
        f = facts.get(sid)
        if not f:
            continue
        ev = {e["event"]: e for e in f.get("events", [])}
        if sid == "ransomware" and "ransom_payments" in ev:
            pays = ev["ransom_payments"]["payments"]
            start = [op for p in pays for op in _outpoints(chain, p["txid"], p["address"])]
            if start:
                return sid, start, (f"the {len(pays)} ransom payments to the addresses in the ransom notes"), \
                    "evidence/ransomware_ransom_notes.md"
        if sid == "nps_vendor" and "market_sales" in ev:
            addr = ev["market_sales"]["refund_address"]
            return sid, addr, f"the vendor's refund address {addr} (from the market listing)", \
                "evidence/nps_vendor_market_listing.md"
        if sid == "exchange_theft" and "theft" in ev:
            e = ev["theft"]
            start = [op for a in e["addresses"] for op in _outpoints(chain, e["txid"], a)]
            if start:
                return sid, start, f"the {len(start)} outputs of the theft transaction {e['txid'][:16]}...", \
                    "evidence/exchange_theft_incident_report.md"
    if story:
        from ..errors import CaseError

        raise CaseError(f"this case pack has no story {story!r} that the demo can start; "
                        f"it has: {', '.join(k for k in facts if k != 'economy') or 'none'}")
    return None


def _economy_tags(facts: dict):
    """Tags for the known services of the sample economy (its answer key's public facts)."""
    import pandas as pd

    from ..tags import TagStore

    eco = facts.get("economy", {})
    rows = []
    for name, info in eco.get("exchanges", {}).items():
        for a in info.get("hot_wallet_addresses", []):
            rows.append({"address": a, "label": f"{name} hot wallet", "category": "exchange",
                         "jurisdiction": info.get("jurisdiction"), "confidence": "service_data",
                         "source": f"{name} proof-of-reserves page"})
    m = eco.get("market") or {}
    for a in m.get("hot_wallet_addresses", []):
        rows.append({"address": a, "label": m.get("name", "market"), "category": "market",
                     "confidence": "authority_data", "source": "seizure of a market server"})
    for name, info in eco.get("mining_pools", {}).items():
        rows.append({"address": info["coinbase_address"], "label": name, "category": "miner",
                     "confidence": "service_data", "source": "coinbase tag"})
    return TagStore.from_frame(pd.DataFrame(rows), pack="sample economy (answer key)")


def _vendor_start(chain, key):
    """Fallback story: the darknet vendor who received most from the market."""
    addrs = key.addresses
    vendors = addrs[addrs.entity_type == "vendor"]
    if not len(vendors):
        return None
    out = chain.outputs
    got = out[out.address.isin(vendors.index)].groupby("address").value.sum()
    if not len(got):
        return None
    ent = vendors.loc[got.idxmax(), "entity"]
    mine = [a for a in vendors.index[vendors.entity == ent] if a in got.index]
    return "vendor", mine, f"the darknet vendor {ent}'s {len(mine)} receiving address(es)", "the answer key"


def _story_title(pack, story):
    """The title of one case of the pack (from its case.yaml), or None."""
    if pack is None:
        return None
    import yaml

    meta = yaml.safe_load((pack.path / "case.yaml").read_text(encoding="utf-8")) or {}
    return next((c.get("title") for c in meta.get("cases", []) if c.get("id") == story), None)


# ---------------------------------------------------------------------------------------- run
def run(args) -> int:
    import sys
    import time
    import warnings
    from pathlib import Path

    from tqdm import tqdm

    t_start = time.perf_counter()
    out = Path(args.out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    steps = ["load the chain", "cluster addresses", "load tags", "trace the money", "seizure candidates",
             "draw pictures", "write the report"]
    bar = tqdm(total=len(steps), desc="demo", unit="step", file=sys.stderr, leave=True,
               bar_format="{desc:<28} {bar} {n_fmt}/{total_fmt} [{elapsed}]")

    def step(i):
        bar.set_description(steps[i])

    # 1. load
    step(0)
    from .. import load_tags
    from ..clustering import Clustering
    from ..errors import TagError
    from ..io.sample import load_sample
    from ..tracing import seizure_candidates, trace

    pack = _find_pack(args.case)
    if pack is not None:
        chain = pack.chain
        title = pack.title
        try:
            facts = pack.answer_key.facts
            key = pack.answer_key
        except Exception:
            facts, key = {}, None
    else:
        from ..cases import load_answer_key

        chain = load_sample()
        key = load_answer_key("sample")
        facts = key.facts
        title = "The cryptotrace sample chain"
    bar.update()

    # 2. cluster
    step(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clustering = Clustering().fit(chain)
    bar.update()

    # 3. tags
    step(2)
    tag_note = ""
    tags = None
    if pack is not None:
        files = [pack.tags_path] if pack.tags_path.exists() else []
        files += list(pack.legal_responses.values())
        try:
            tags = load_tags(files) if files else None
            tag_note = f"{len(tags):,} tags from {len(files)} file(s) of the case pack" if tags is not None else ""
        except TagError as exc:
            legal = list(pack.legal_responses.values())
            tags = _economy_tags(facts)
            if legal:
                tags = tags + load_tags(legal)
            tag_note = (f"the pack's tags.yaml could not be read ({exc}); used the known exchanges from the "
                        "answer key and the legal responses instead")
    if tags is None:
        tags = _economy_tags(facts)
        tag_note = f"{len(tags):,} tags for the sample economy's known services"
    bar.update()

    # 4. trace
    step(3)
    picked = _pick_start(chain, facts, args.story) if facts else None
    if picked is None and key is not None:
        picked = _vendor_start(chain, key)
    if picked is None:
        bar.close()
        print("This chain has no case the demo knows how to start (no answer key facts). "
              "Give a case pack with --case PACK.", file=sys.stderr)
        return 2
    story, start, start_text, evidence = picked
    if pack is None:
        evidence = "from the sample's answer key"
    t = trace(chain, start, policy=args.policy, max_hops=args.max_hops, tags=tags, clustering=clustering)
    bar.update()

    # 5. seizure candidates
    step(4)
    cands = seizure_candidates(t, clustering, tags)
    bar.update()

    # 6. pictures
    step(5)
    from .. import plot as P
    from ..reporting import _start_addresses, findings, report

    figs = {"flow": ("Where the traced money went: from the start through the hops to the services, CoinJoins and "
                 "unspent coins (arrow width = traced BTC).", P.trace_flow(t, tags=tags)),
            "summary": ("Where the money went.", P.money_summary(t, cands))}
    starts = _start_addresses(t)
    if starts:
        cid = clustering.cluster_of(starts[0])
        figs["cluster"] = (f"The start's cluster ({cid}) and the evidence that joined it.",
                           P.cluster_picture(clustering, cid, tags=tags, highlight=starts))
        figs["balance"] = (f"Balance of the start's cluster ({cid}) over time.",
                           P.balance_timeline(chain, cid, clustering=clustering))
    written = []
    for name, (_, fig) in tqdm(figs.items(), desc="save pictures", unit="png", file=sys.stderr, leave=False):
        from ..io.files import atomic_write_bytes
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        written.append(atomic_write_bytes(out / f"{name}.png", buf.getvalue()))
    bar.update()

    # 7. report
    step(6)
    story_title = _story_title(pack, story)
    rep = report(t, out / "report.html", clustering=clustering, tags=tags, candidates=cands, figures=figs,
                 title=story_title or title,
                 notes=f"Started from {start_text} ({evidence}). Tags: {tag_note}.")
    from ..export import to_csv

    csv_path = to_csv(cands, out / "seizure_candidates.csv")
    bar.update()
    bar.close()

    # say what was found
    from ..units import format_btc

    print()
    print(f"Case: {story_title or title}")
    print(f"Data: {chain!r}")
    print(f"      SHA-256 {chain.content_hash}")
    print(f"Started from {start_text} ({evidence}).")
    print(f"Tags: {tag_note}. Clustering: {clustering!r}")
    print()
    print("What was found:")
    for line in findings(t, cands, tags=tags):
        print(f"  - {line}")
    tot = cands.totals()
    freeze = int(tot.get("at_service", 0))
    seize = int(tot.get("suspect_unspent", 0))
    print()
    print(f"Can be frozen at exchanges: {format_btc(freeze)}. Seizable in the suspect's own wallets: "
          f"{format_btc(seize)}.")
    mat = cands.material
    print()
    print(f"Seizure candidates: {len(cands):,} in all, {int(cands.table.material.sum()):,} with at least "
          f"{format_btc(cands.params['min_value'])} traced; the largest {len(mat):,} (share = traced part of the coin; "
          "evidence strength: candidates.evidence(rank) says why):")
    for r in mat.itertuples(index=False):
        print(f"  {r.rank:>3}. {format_btc(r.tainted_value)} ({100 * r.share:.3g}%) {r.classification}, "
              f"{r.strength} evidence: {r.action}")
    if cands.tail_line():
        print(f"       {cands.tail_line()}: no action of their own (all are in seizure_candidates.csv)")
    print()
    print(f"Files written to {out}:")
    for p in [rep, *written, csv_path]:
        print(f"  {Path(p).name:<24} {p}")
    print(f"Open {rep} in a web browser to read the report.")
    print(f"Done in {time.perf_counter() - t_start:.1f} s.")
    return 0
