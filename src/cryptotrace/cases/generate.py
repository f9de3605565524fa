"""``generate``: run the economy simulator and return the chain with its answer key."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pandas as pd

from ..chain import Chain
from ..errors import CaseError
from .answer_key import AnswerKey
from .questions import case_questions

__all__ = ["generate", "load_answer_key"]


def generate(scenario_or_n=10_000, *, seed: int | None = None, days: float | None = None):
    """Make a synthetic Bitcoin economy and its ground truth.

    Parameters
    ----------
    scenario_or_n : int, Scenario, str or Path, default 10,000
        A number of transactions (a background economy only), a
        :class:`~cryptotrace.cases.Scenario`, or the path of a scenario YAML file.
    seed : int, optional
        Overrides the scenario's seed. The same seed gives the same chain.
    days : float, optional
        With a number of transactions: how many days the chain spans
        (default: enough for about 30 transactions a block, 2 to 28 days).

    Returns
    -------
    (Chain, AnswerKey)
        The chain a trainee sees and the truth the instructor keeps.

    Examples
    --------
    >>> from cryptotrace.cases import generate
    >>> chain, key = generate(2_000, seed=1)
    >>> len(chain) >= 1_900
    True
    >>> set(chain.txs.txid) == set(key.txs.index)
    True
    """
    from .scenario import Scenario, load_scenario

    if isinstance(scenario_or_n, bool):
        raise CaseError("generate() takes a number of transactions, a Scenario, or a scenario file path")
    if isinstance(scenario_or_n, int):
        n = scenario_or_n
        if n < 100:
            raise CaseError(f"generate({n}) is too small: ask for at least 100 transactions")
        d = days if days is not None else min(28.0, max(2.0, n / (30 * 144)))
        scenario = Scenario.background_only(txs=n, days=d, seed=0 if seed is None else seed)
    elif isinstance(scenario_or_n, Scenario):
        scenario = scenario_or_n
    elif isinstance(scenario_or_n, (str, Path)):
        scenario = load_scenario(scenario_or_n)
    else:
        raise CaseError(
            f"generate() takes a number of transactions, a Scenario or a scenario file, "
            f"not {type(scenario_or_n).__name__}"
        )
    if seed is not None:
        scenario = scenario.with_seed(seed)
    return run_scenario(scenario)[:2]


def run_scenario(scenario):
    """Run a scenario: (chain, answer_key, economy, stories)."""
    from .economy import Economy
    from .stories import start_stories

    bg = scenario.background
    n_blocks = max(6, int(math.ceil(scenario.days * 144)))
    start = int(pd.Timestamp(scenario.start, tz="UTC").timestamp())
    eco = Economy(
        seed=scenario.seed,
        n_blocks=n_blocks,
        target_txs=bg.txs,
        users=bg.users,
        exchanges=bg.exchanges,
        merchants=bg.merchants,
        mining_pools=bg.mining_pools,
        vendors=bg.vendors,
        buyers_share=bg.buyers_share,
        whirlpool=bg.whirlpool,
        wasabi=bg.wasabi,
        mixer=bg.mixer,
        mixer_leaky=bg.mixer_leaky,
        coinjoin_variants=bg.coinjoin_variants,
        start_time=start,
        first_height=scenario.first_height,
    )
    stories = start_stories(eco, scenario)
    eco.run()
    tables, truth = eco.build()
    eco.addr_strings = truth["addr_str"]
    eco.addr_wallet = []  # not needed once the economy has run
    # every ledger rule, every address decoded; the tables are handed over (not kept here), so the
    # Chain's working copies do not sit beside the originals
    chain = Chain.from_tables(
        tables.pop("txs"), tables.pop("inputs"), tables.pop("outputs"), tables.pop("blocks"), validate=True
    )
    for st in stories:
        if not st.finished:
            warnings.warn(
                f"case {st.case_id!r} of scenario {scenario.name!r} did not finish its events within "
                f"{scenario.days:g} days; the answer key describes what did happen. Give the scenario "
                "more days (or fewer, shorter events)",
                UserWarning,
                stacklevel=3,
            )
    facts = {"economy": economy_facts(eco, truth, scenario)}
    for st in stories:
        f = st.facts(truth)
        # the answer to each question the pack asks (amounts in sats), by question id
        f["answers"] = {q["id"]: q["answer"] for q in case_questions(st.case_id, f)}
        facts[st.case_id] = f
    key = AnswerKey(
        addresses=truth["addresses"],
        txs=truth["txs"],
        entities=truth["entities"],
        facts=facts,
        dataset_sha256=chain.content_hash,
    )
    return chain, key, eco, stories


def economy_facts(eco, truth, scenario) -> dict:
    """Plain facts about the background economy (who the services are, their known addresses)."""
    a = truth["addr_str"]
    out = {
        "scenario": scenario.name,
        "seed": int(scenario.seed),
        "first_height": int(eco.first_height),
        "blocks": int(eco.n_blocks),
        "exchanges": {
            ex.name: {
                "entity": eco.ledger.entities[ex.entity]["entity"],
                "jurisdiction": ex.jurisdiction,
                "hot_wallet_addresses": [a[x] for x in ex.hot_addrs],
            }
            for ex in eco.exchanges
        },
        "mining_pools": {eco.ledger.entities[p.entity]["name"]: {"coinbase_address": a[p.cb_addr]} for p in eco.pools},
    }
    if eco.market:
        out["market"] = {
            "name": eco.market.name,
            "hot_wallet_addresses": [a[x] for x in eco.market.hot_addrs],
            "orders": len(eco.market.orders),
        }
    if eco.whirlpool:
        out["whirlpool_fee_addresses"] = {str(d): a[x] for d, x in eco.whirlpool.fee_addr.items()}
    if eco.wasabi:
        out["wasabi_coordinator_address"] = a[eco.wasabi.fee_addr]
    return out


def load_answer_key(name_or_path="sample") -> AnswerKey:
    """Load an answer key: a bundled one by name (``"sample"``), a key folder, or a case pack.

    Examples
    --------
    >>> from cryptotrace.cases import load_answer_key
    >>> key = load_answer_key("sample")
    >>> len(key.txs) > 0
    True
    """
    from ..io.sample import sample_data_dir

    p = Path(name_or_path)
    candidates = [p, p / "instructor" / "answer_key"]
    if isinstance(name_or_path, str) and "/" not in name_or_path and "\\" not in name_or_path:
        candidates.insert(0, sample_data_dir() / "answer_keys" / name_or_path)
    for c in candidates:
        if (c / "manifest.json").exists():
            return AnswerKey.load(c)
    known = sorted(q.name for q in (sample_data_dir() / "answer_keys").glob("*") if q.is_dir())
    raise CaseError(
        f"no answer key found for {name_or_path!r}. Give a bundled name ({', '.join(known) or 'none'}), "
        "an answer key folder, or a case pack folder (its key is in instructor/answer_key)"
    )
