"""cryptotrace demo: a whole case on the bundled sample chain, start to finish.

Runs the one pipeline :func:`cryptotrace.investigate` (load the chain, cluster the
addresses, load the case pack's tags -- public attribution plus the exchanges'
answers to production orders --, trace the money from the case's starting point,
rank the seizure candidates), the same call as the README's whole-case example and
the capstone; this command only formats and prints: what was found in plain words,
amounts in BTC, EUR and USD, the warnings the pipeline collected, and
``report.html``, the pictures (PNG) and the seizure candidates (CSV) in ``--out``.

The case comes from the bundled case pack (``sample_data/cases/sample``) or
any pack given with ``--case``. Its instructor answer key says where each
story starts (the ransom payments, the darknet vendor's refund address, the
theft transaction); the trainee's evidence files say the same thing.
Without a case pack, the demo follows a darknet vendor's proceeds in the
bundled sample chain, with the known exchanges from its answer key as tags.
"""

from __future__ import annotations

from ..investigation import STORIES  # the stories the demo knows how to start, in the order it prefers them

NAME = "demo"
HELP = "run a whole case on the bundled sample chain and say what was found"
ORDER = 1


def add_arguments(p):
    p.add_argument("--out", default=".", help="folder for the report and figures (default: here)")
    p.add_argument(
        "--case", default=None, help="a case pack folder or bundled pack name (default: the bundled 'sample' pack)"
    )
    p.add_argument(
        "--story",
        default=None,
        choices=STORIES,
        help="which of the pack's cases to follow (default: the first one the pack has)",
    )
    p.add_argument("--policy", default="haircut", help="taint policy (haircut, poison, fifo, lifo, tiho)")
    p.add_argument("--max-hops", type=int, default=12, help="how many transactions to follow (default 12)")


# ---------------------------------------------------------------------------------------- the case
def _vendor_start(chain, key):
    """Fallback story without a case pack: the darknet vendor who received most from the market."""
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


def _investigate(args):
    """``ct.investigate(...)`` for the demo's case: the bundled 'sample' pack (or ``--case``); without a
    pack, the bundled sample chain with its answer key's known services as tags."""
    from ..cases import load_answer_key, load_case
    from ..errors import CaseError
    from ..investigation import economy_tags, investigate, story_start
    from ..io.sample import load_sample

    if args.case is not None:
        return investigate(args.case, story=args.story, policy=args.policy, max_hops=args.max_hops)
    try:
        pack = load_case("sample")
    except CaseError:
        pack = None
    if pack is not None:
        return investigate(pack, story=args.story, policy=args.policy, max_hops=args.max_hops)
    chain = load_sample()
    key = load_answer_key("sample")
    facts = key.facts
    picked = story_start(chain, facts, args.story) or _vendor_start(chain, key)
    if picked is None:
        raise CaseError(
            "this chain has no case the demo knows how to start (no answer key facts); "
            "give a case pack with --case PACK"
        )
    tags = economy_tags(facts)
    case = investigate(
        chain, picked[1], policy=args.policy, max_hops=args.max_hops, tags=tags, title="The cryptotrace sample chain"
    )
    case.start_text, case.evidence = picked[2], "from the sample's answer key"
    case.tag_note = f"{len(tags):,} tags for the sample economy's known services"
    return case


def _money(eur, usd) -> str:
    """``12,345.67 EUR / 14,000.00 USD``, or ``no price`` (never 0) where the price table has none."""
    import math

    if eur is None or usd is None or (isinstance(eur, float) and math.isnan(eur)):
        return "no price"
    return f"{eur:,.2f} EUR / {usd:,.2f} USD"


# ---------------------------------------------------------------------------------------- run
def run(args) -> int:
    import sys
    import time
    import warnings
    from pathlib import Path

    from tqdm import tqdm

    from ..units import format_btc
    from ._common import warning_lines

    t_start = time.perf_counter()
    out = Path(args.out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    steps = ["investigate the case", "write the report and files"]
    bar = tqdm(
        total=len(steps),
        desc=steps[0],
        unit="step",
        file=sys.stderr,
        leave=True,
        bar_format="{desc:<28} {bar} {n_fmt}/{total_fmt} [{elapsed}]",
    )
    # 1. the one pipeline: load, cluster, tags, trace, seizure candidates. Its warnings are kept on the
    # result (case.warnings) and printed below as readable lines, not as Python's raw warning text.
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        case = _investigate(args)
    bar.update()
    # 2. report, pictures and CSV
    bar.set_description(steps[1])
    files = case.save(out)
    bar.update()
    bar.close()

    t, cands, chain = case.trace, case.candidates, case.chain
    print()
    print(f"Case: {case.title}")
    print(f"Data: {chain!r}")
    print(f"      SHA-256 {chain.content_hash}")
    print(f"Started from {case.start_text} ({case.evidence}).")
    print(f"Tags: {case.tag_note}. Clustering: {case.clustering!r}")
    if t.fiat:
        print(f"Money at the time: {t.prices.describe()}.")
    print()
    print("What was found:")
    for line in case.findings():
        print(f"  - {line}")
    tab = cands.table
    tot = cands.totals()
    freeze, seize = int(tot.get("at_service", 0)), int(tot.get("suspect_unspent", 0))

    def worth(cls):
        rows = tab[tab.classification == cls]
        if "tainted_value_eur" not in rows or not len(rows):
            return ""
        return f" ({_money(rows.tainted_value_eur.sum(min_count=1), rows.tainted_value_usd.sum(min_count=1))})"

    print()
    print(
        f"Can be frozen at exchanges: {format_btc(freeze)}{worth('at_service')}. Seizable in the suspect's own "
        f"wallets: {format_btc(seize)}{worth('suspect_unspent')}."
    )
    mat = cands.material
    print()
    print(
        f"Seizure candidates: {len(cands):,} in all, {int(tab.material.sum()):,} with at least "
        f"{format_btc(cands.params['min_value'])} traced; the largest {len(mat):,} (share = traced part of the coin; "
        "evidence strength: candidates.evidence(rank) says why):"
    )
    for r in mat.itertuples(index=False):
        money = f"{_money(r.tainted_value_eur, r.tainted_value_usd)}; " if hasattr(r, "tainted_value_eur") else ""
        print(
            f"  {r.rank:>3}. {format_btc(r.tainted_value)} ({money}{100 * r.share:.3g}%) {r.classification}, "
            f"{r.strength} evidence: {r.action}"
        )
    if cands.tail_line():
        print(f"       {cands.tail_line()}: no action of their own (all are in seizure_candidates.csv)")
    lines = warning_lines(case.warnings)
    if lines:
        print()
        print("Warnings on the way (read them before relying on the result):")
        for line in lines:
            print(f"  - {line}")
    print()
    print(f"Files written to {out}:")
    for name, p in files.items():
        print(f"  {name:<24} {p}")
    print(f"Open {files['report.html']} in a web browser to read the report.")
    print(f"Done in {time.perf_counter() - t_start:.1f} s.")
    return 0
