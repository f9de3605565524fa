"""Attribution: put names on addresses and clusters.

A *tag* says who is behind an address, according to some source: "this
address belongs to the Hydra darknet market (US Treasury, 2022)". Tags come
from files:

* **GraphSense TagPacks** (YAML), the format used by the public
  ``graphsense-tagpacks`` collection. A pack has a header (``title``,
  ``creator``, and default values such as ``category`` or ``source``) and a
  list of ``tags``; every header field is the default for every tag::

      title: Hydra Market
      creator: GraphSense Core Team
      category: market
      confidence: authority_data
      source: https://home.treasury.gov/...
      label: Hydra Market
      tags:
      - address: 16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T

  Both TagPack schemas are read: the older one (``category``, ``abuse``, a
  numeric or named ``confidence``) and the current one, whose tags list
  ``concepts`` (e.g. ``[exchange]`` or ``[market, drugs]``: the first concept
  that is a category, or a narrower one after it, gives the tag's category and
  abuse; all are kept) and a ``tag_type`` (:data:`TAG_TYPES`).

* **GraphSense ActorPacks** (YAML, an ``actors:`` list): who an actor id such as
  ``binance`` is (label, categories, jurisdictions, uri, aliases). A tag naming
  an actor takes its jurisdictions when it gives none; ``store.actors`` lists them.

* **CSV files** with the columns ``address, label, category, abuse, actor,
  confidence, source, jurisdiction`` (any other column, such as
  ``account_holder``, is kept). A case pack's ``legal_responses/<service>.csv``
  (what an exchange answers to a production order) is such a file.

Every tag has a **category** from the INTERPOL Darknet and Cryptocurrencies
taxonomy as GraphSense uses it (:data:`CATEGORIES`; all concept names, with the
grouping ones, in :data:`CONCEPTS`): what kind of actor it is
(``exchange``, ``market``, ``mixing_service`` ...) and, separately, an
**abuse** (``ransomware``, ``scam``, ``sanction`` ...). Its **confidence**
(:data:`CONFIDENCE_LEVELS`) says how far the source can be trusted, from
``ownership`` (100: the creator holds the key) down to ``unknown`` (5).

Tags are claims by third parties, not facts checkable on the chain: always
quote the source. Problems (an unknown concept, a bad field, one source
contradicting itself, an address that does not decode) do not stop the
loading: they are listed in ``store.problems`` with file and line
(``strict=True`` stops at the first one instead).

Examples
--------
With the GraphSense packs (``../shared/data/real/graphsense-tagpacks`` in the
project's workspace, or a clone of graphsense-tagpacks: packs and actors)::

    store = ct.load_tags("graphsense-tagpacks")
    store.for_address("16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T")
    # [Tag(16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T: 'Hydra Market', market, authority_data (60), hydra.yaml line 33), ...]

With the tags of the bundled sample case:

>>> import cryptotrace as ct
>>> from cryptotrace.io.sample import sample_data_dir
>>> store = ct.load_tags(sample_data_dir() / "cases" / "sample" / "tags.yaml")
>>> len(store) > 0
True
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import gc
import html
import io
import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .addresses import classify_addresses, decode_address
from .errors import InvalidAddressError, TagError

__all__ = [
    "ABUSE_CATEGORIES",
    "CATEGORIES",
    "CONCEPTS",
    "CONFIDENCE_DESCRIPTIONS",
    "CONFIDENCE_LEVELS",
    "CUSTODIAL_CATEGORIES",
    "ENTITY_CATEGORIES",
    "MARKET_CATEGORIES",
    "MIXING_CATEGORIES",
    "ROLES",
    "category_role",
    "STOP_CATEGORIES",
    "TAG_TYPES",
    "Tag",
    "TagStore",
    "TagWarning",
    "cluster_tags",
    "label_addresses",
    "load_tags",
    "next_step",
]

# ---------------------------------------------------------------------------------------------
# The taxonomy
# ---------------------------------------------------------------------------------------------
#: What kind of actor an address belongs to (the ``category`` field), in plain words.
#: The names are those of the INTERPOL Darknet and Cryptocurrencies taxonomy as
#: GraphSense uses it (its "entity" concepts).
_ENTITIES = {
    "organization": "an organisation: a company, a charity or a public body",
    "user": "a person or group using Bitcoin (not a service); sanctioned persons are often tagged so",
    "service": "some online service whose kind the source did not say",
    "victim": "someone who lost funds (to a theft, scam or ransomware)",
    "perpetrator": "someone who committed the crime being investigated",
    "donation": "an address that collects donations",
    "exchange": "a centralised exchange: trades bitcoin for money or other coins, holds its customers' "
    "coins, knows them (KYC) and can freeze funds",
    "wallet_service": "an online wallet that keeps the keys for its users (custodial)",
    "escrow_wallet": "an escrow service that holds the coins of a deal until both sides are satisfied",
    "ico_wallet": "a wallet that collected money for an initial coin offering (ICO)",
    "cold_wallet": "an offline wallet where a holder (often an exchange) keeps reserves",
    "hot_wallet": "an online wallet a service uses automatically for its payments",
    "warm_wallet": "a service's wallet used by staff (between hot and cold)",
    "filesharing": "a file sharing service",
    "index": "a directory of (dark web) websites",
    "market": "an online marketplace, usually a darknet market selling drugs or other illegal goods; "
    "it holds its buyers' and vendors' coins",
    "messaging_service": "a chat or messaging service",
    "mixing_service": "a mixer (tumbler): a service that takes coins and pays out other coins to hide "
    "their origin; it holds the coins while it mixes them",
    "coinjoin": "a CoinJoin: many users pay into one transaction together to hide who paid whom "
    "(no service holds the coins)",
    "miner": "a miner or mining pool: creates new bitcoin in coinbase transactions",
    "mining_service": "cloud mining: rents out mining power and holds its customers' payouts",
    "gambling": "an online casino or betting site holding its players' balances",
    "search_engine": "a (dark web) search engine",
    "shop": "an online shop that accepts bitcoin",
    "faucet": "a faucet: gives away tiny amounts of coins",
    "payment_processor": "a payment service: accepts bitcoin for merchants and pays them out",
    "atm": "a bitcoin ATM (kiosk) operator: swaps cash and bitcoin, often with ID checks",
    "hosting": "a web hosting or server provider",
    "vpn": "a VPN provider",
    "defi": "a decentralised finance program (smart contract)",
    "defi_lending": "a decentralised lending program",
    "defi_dex": "a decentralised exchange (no company holds the coins)",
    "defi_derivative": "a decentralised derivatives program",
    "defi_bridge": "a bridge that moves coins to another blockchain",
    "item": "a digital item",
    "collectible": "a digital collectible",
    # added to GraphSense's concepts.yaml after the first version of this list (see _CONCEPT_FACTS)
    "nameservice": "a blockchain name service (maps readable names to addresses)",
    "defi_token": "a token contract (e.g. an ERC-20 token)",
    "defi_dex_pair": "a trading pair (pool) of a decentralised exchange",
    "defi_dao": "a decentralised autonomous organisation governed by a smart contract",
    "defi_staking": "a staking program: users lock coins in a smart contract",
    "defi_custody": "a smart contract that keeps digital assets in custody",
}
#: What abuse the address is linked to (the ``abuse`` field), in plain words.
_ABUSES = {
    "abuse": "some crime or abuse the source did not specify",
    "scam": "a scam: a fraud that tricks victims into paying",
    "financial_crime": "a financial crime",
    "investment_fraud": "investment fraud: fake or illegal investments with promised returns",
    "ponzi_scheme": "a Ponzi scheme: early investors are paid with later investors' money",
    "pyramid_scheme": "a pyramid scheme: victims are paid to recruit more victims",
    "money_laundering": "money laundering: hiding where criminal money came from",
    "payment_card_fraud": "payment card fraud",
    "extortion": "extortion: money demanded under threat",
    "sextortion": "sextortion: money demanded under the threat of publishing intimate images",
    "phishing": "phishing: a fake site or message stealing passwords or coins",
    "service_hack": "a hack of a service (e.g. an exchange) to steal its coins",
    "ransomware": "ransomware: malware that locks a victim's files until a ransom is paid",
    "sanction": "on a sanctions list (e.g. US Treasury OFAC): dealing with it is forbidden",
    "extremism": "violent extremism",
    "terrorism": "terrorism or its financing",
    "dark_web": "a dark web (Tor) service",
    "sexual_abuse": "sexual abuse",
    "child_sexual_abuse": "child sexual abuse material or its sale",
    "violence": "violence",
    "torture": "torture",
    "mixing": "mixing: hiding the source or destination of payments",
    # added to GraphSense's concepts.yaml after the first version of this list (see _CONCEPT_FACTS)
    "drugs": "(illegal) drugs: e.g. a darknet drug vendor or a drug market",
    "weapons": "weapons: selling or buying arms or ammunition",
    "counterfeit": "counterfeits: fake documents, money or goods",
    "human_trafficking": "human trafficking",
    "murder": "murder (e.g. a 'hitman' offer)",
    "terrorism_financing": "financing of terrorism",
    "hacking": "hacking: breaking into computers or accounts",
    "account_hack": "a hacked account (to steal from it or impersonate its owner)",
    "exploit": "an exploit: code that abuses a software weakness",
    "data_breach": "a data breach: leaked personal or secret data",
    "social_engineering": "social engineering: manipulating people into giving access or money",
    "malware": "malware: software made to harm or steal",
}
#: Concepts of GraphSense's taxonomy that only group others (the tree's inner nodes) or
#: describe where a tag came from; known, kept in ``concepts``, but no category.
_STRUCTURAL = {
    "concept": "anything that describes an actor",
    "entity": "an actor: a person, an organisation or a service",
    "behaviour": "how something behaves",
    "gray_usage": "use that may be of concern, depending on the context",
    "white_usage": "use that is usually not of concern",
    "source": "something about the source of the information",
    "mention": "the tag comes from a mention",
    "website_mention": "the tag comes from a mention on a website",
    "forum_mention": "the tag comes from a mention in a forum",
}
_UNKNOWN = {"unknown": "the source did not say"}

#: Every category cryptotrace knows (entity kinds and abuses), name -> plain description.
CATEGORIES: dict[str, str] = {**_ENTITIES, **_ABUSES, **_UNKNOWN}
#: The category names that say what kind of actor it is (the ``category`` field).
ENTITY_CATEGORIES = frozenset(_ENTITIES)
#: The category names that describe an abuse (the ``abuse`` field).
ABUSE_CATEGORIES = frozenset(_ABUSES)

#: Services that hold their customers' coins: they can freeze funds, and (if lawful
#: businesses) answer a production order with the account holder's details.
CUSTODIAL_CATEGORIES = frozenset(
    {
        "exchange",
        "wallet_service",
        "escrow_wallet",
        "payment_processor",
        "gambling",
        "market",
        "mixing_service",
        "atm",
        "mining_service",
    }
)
#: Where a trace stops by default: past these, coins are pooled with other people's
#: coins (or mixed), so following "the same" coins further means little.
STOP_CATEGORIES = CUSTODIAL_CATEGORIES | frozenset({"coinjoin", "service", "defi_dex", "defi_dex_pair", "defi_bridge"})
#: Mixers and CoinJoins: coins paid in come out as other people's coins (the thread is lost).
MIXING_CATEGORIES = frozenset({"mixing_service", "coinjoin"})
#: Markets: online marketplaces, usually darknet markets selling drugs or other illegal goods.
MARKET_CATEGORIES = frozenset({"market"})
#: The roles :func:`category_role` gives, in the order it tests them.
ROLES = ("mixing", "market", "custodial", "stop", "other")


def category_role(category) -> str | None:
    """What a category means for following money: the one place tracing and the pictures read it from.

    ``"mixing"`` (a mixer or CoinJoin), ``"market"``, ``"custodial"`` (holds its customers' coins:
    can freeze them), ``"stop"`` (another place a trace stops by default), ``"other"`` (a known
    category of no special role) or ``None`` (no category). Common other names for a category
    (``mixer``, ``darknet_market``, ``mining_pool`` ...) are read as the category they stand for.

    Examples
    --------
    >>> [category_role(c) for c in ("mixer", "darknet_market", "exchange", "service", "ransomware", None)]
    ['mixing', 'market', 'custodial', 'stop', 'other', None]
    """
    if category is None or not isinstance(category, str) or not category.strip():
        return None
    c = category.strip().lower()
    c = _ALIASES.get(c, c)
    if c in MIXING_CATEGORIES:
        return "mixing"
    if c in MARKET_CATEGORIES:
        return "market"
    if c in CUSTODIAL_CATEGORIES:
        return "custodial"
    if c in STOP_CATEGORIES:
        return "stop"
    return "other"


#: Every concept name of GraphSense's concepts taxonomy (and the ``unknown`` category):
#: the categories above plus the grouping concepts. A TagPack's ``concepts:`` list (and
#: an ActorPack's ``categories:``) is checked against it.
CONCEPTS: dict[str, str] = {**CATEGORIES, **_STRUCTURAL}

# _CONCEPT_FACTS: where the current TagPack schema comes from (facts read, no code taken):
#   graphsense/graphsense-tagpack-tool @ a14a1597359297e5111236aa76b93a7e03110dd3 (2025-09-04):
#     src/tagpack/db/concepts.yaml (last changed in b20fe6255067e8e1924770066a5a433eb0ef0f58,
#       scheme "Concepts Taxonomy" 0.1.0, "derived from the INTERPOL Darknet and Cryptocurrencies
#       Working Group taxonomy"): the concept ids and their 'broader' links in _BROADER below;
#     src/tagpack/db/confidence.csv (fcddd3ad04a4a22f008f2ab492160e4b8674dec2): the levels and
#       scores in CONFIDENCE_LEVELS (ledger_immanent 100, forensic_investigation 70 are new);
#     src/tagpack/db/tag_types.csv (4eb0374c061991109e8c9ac64b0dc122da5c48c3): TAG_TYPES;
#     src/tagpack/conf/tagpack_schema.yaml (87b5a94b8243d6164ba14ea3e8bd5881a5e32b0d): tag fields
#       concepts (list, taxonomy concept), tag_type, category/abuse (taxonomy concept), actor, context;
#     src/tagpack/conf/actorpack_schema.yaml (038f4c0ba0288a745cba023e4ca521dd12596409): actor fields
#       id, uri, label, lastmod, categories (concepts), jurisdictions (countries), context, aliases;
#     src/tagpack/db/concept_relation_annotation.csv (67c0fc2): the legacy 'category' field is the
#       tag's primary concept, the legacy 'abuse' field an abuse concept.
#   Not in that taxonomy (checked): 'deposit_wallet', 'black_list' (used by usdt_blacklist.yaml).
#: concept -> the broader concept it belongs to (GraphSense concepts.yaml, see above).
_BROADER = {
    "unknown": "concept",
    "behaviour": "concept",
    "source": "concept",
    "mention": "source",
    "website_mention": "mention",
    "forum_mention": "website_mention",
    "abuse": "behaviour",
    "gray_usage": "behaviour",
    "mixing": "gray_usage",
    "white_usage": "behaviour",
    "sexual_abuse": "abuse",
    "child_sexual_abuse": "sexual_abuse",
    "violence": "abuse",
    "human_trafficking": "abuse",
    "murder": "violence",
    "torture": "violence",
    "scam": "abuse",
    "financial_crime": "abuse",
    "investment_fraud": "financial_crime",
    "ponzi_scheme": "investment_fraud",
    "pyramid_scheme": "ponzi_scheme",
    "money_laundering": "financial_crime",
    "extortion": "abuse",
    "sextortion": "extortion",
    "phishing": "abuse",
    "hacking": "abuse",
    "service_hack": "hacking",
    "account_hack": "hacking",
    "exploit": "hacking",
    "data_breach": "hacking",
    "social_engineering": "hacking",
    "malware": "hacking",
    "drugs": "abuse",
    "weapons": "abuse",
    "payment_card_fraud": "financial_crime",
    "ransomware": "extortion",
    "sanction": "abuse",
    "counterfeit": "abuse",
    "extremism": "abuse",
    "terrorism": "extremism",
    "terrorism_financing": "extremism",
    "dark_web": "source",
    "entity": "concept",
    "organization": "entity",
    "user": "entity",
    "service": "entity",
    "victim": "user",
    "perpetrator": "user",
    "donation": "user",
    "exchange": "service",
    "wallet_service": "service",
    "escrow_wallet": "wallet_service",
    "ico_wallet": "wallet_service",
    "cold_wallet": "white_usage",
    "hot_wallet": "white_usage",
    "warm_wallet": "white_usage",
    "filesharing": "service",
    "index": "service",
    "market": "service",
    "messaging_service": "service",
    "mixing_service": "service",
    "coinjoin": "mixing",
    "miner": "user",
    "mining_service": "service",
    "gambling": "service",
    "search_engine": "service",
    "shop": "service",
    "faucet": "service",
    "payment_processor": "service",
    "atm": "service",
    "hosting": "service",
    "vpn": "service",
    "nameservice": "service",
    "defi": "service",
    "defi_token": "defi",
    "defi_lending": "defi",
    "defi_dex": "defi",
    "defi_dex_pair": "defi_dex",
    "defi_derivative": "defi",
    "defi_bridge": "defi",
    "defi_dao": "defi",
    "defi_staking": "defi",
    "defi_custody": "defi",
    "item": "concept",
    "collectible": "item",
}


def _depth(concept: str) -> int:
    """How far below the taxonomy's top a concept sits (deeper = more specific)."""
    d, seen = 0, set()
    while concept in _BROADER and concept not in seen:
        seen.add(concept)
        concept = _BROADER[concept]
        d += 1
    return d


_DEPTH = {c: _depth(c) for c in CONCEPTS}

#: GraphSense tag types (the ``tag_type`` field; tag_types.csv), name -> meaning.
TAG_TYPES: dict[str, str] = {
    "actor": "the tag says who controls the address",
    "event": "the tag names an event on the address or involving it",
    "mention": "the address was mentioned somewhere of interest (e.g. a dark web forum or market)",
}

#: Lawful businesses that usually answer a production order.
_ORDERABLE = frozenset(
    {"exchange", "wallet_service", "escrow_wallet", "payment_processor", "gambling", "atm", "mining_service"}
)
# categories too general to say two tags disagree (a "user" tag fits inside a market's cluster)
_GENERIC = frozenset(
    {
        "organization",
        "user",
        "service",
        "victim",
        "perpetrator",
        "donation",
        "cold_wallet",
        "hot_wallet",
        "warm_wallet",
        "unknown",
        "item",
        "collectible",
    }
)

#: GraphSense confidence levels, name -> score (0-100), strongest first.
CONFIDENCE_LEVELS: dict[str, int] = {
    "override": 100,
    "ownership": 100,
    "ledger_immanent": 100,
    "manual_transaction": 90,
    "service_api": 70,
    "forensic_investigation": 70,
    "authority_data": 60,
    "trusted_provider": 50,
    "service_data": 50,
    "forensic": 50,
    "untrusted_transaction": 40,
    "web_crawl": 20,
    "heuristic": 10,
    "unknown": 5,
}
#: What each confidence level means.
CONFIDENCE_DESCRIPTIONS: dict[str, str] = {
    "override": "set by hand for a whole cluster by someone who knows it",
    "ownership": "the tag's creator holds the private key of the address",
    "manual_transaction": "the creator paid from one known service to another and watched the addresses",
    "ledger_immanent": "read directly from the ledger (the blockchain) by a reliable procedure",
    "service_api": "read from a trusted service's own interface",
    "forensic_investigation": "found in a forensic investigation (e.g. a known victim's or perpetrator's address, "
    "or one a service provider gave)",
    "authority_data": "published by an authority (e.g. a sanctions list or a court record)",
    "trusted_provider": "from a trusted third party",
    "service_data": "from the service itself (e.g. records an exchange sent)",
    "forensic": "from forensic or academic reports",
    "untrusted_transaction": "someone else paid between known services",
    "web_crawl": "collected from web pages or data dumps",
    "heuristic": "made by a method whose reliability is hard to say",
    "unknown": "the source and its reliability are unknown",
}
_DEFAULT_CONFIDENCE = "unknown"
_LEGAL_CONFIDENCE = "service_data"  # records a service returned to a legal request

# suggestions for names people often write
_ALIASES = {
    "mixer": "mixing_service",
    "tumbler": "mixing_service",
    "mixing": "mixing_service",
    "coinjoin_coordinator": "coinjoin",
    "darknet_market": "market",
    "dark_market": "market",
    "marketplace": "market",
    "dnm": "market",
    "payment_service": "payment_processor",
    "payment": "payment_processor",
    "wallet": "wallet_service",
    "custodial_wallet": "wallet_service",
    "casino": "gambling",
    "betting": "gambling",
    "mining_pool": "miner",
    "pool": "miner",
    "sanctions": "sanction",
    "ofac": "sanction",
    "hack": "service_hack",
    "theft": "service_hack",
    "fraud": "scam",
    "ponzi": "ponzi_scheme",
    "cex": "exchange",
    "dex": "defi_dex",
    "kiosk": "atm",
}

# ---------------------------------------------------------------------------------------------
# Frame layout
# ---------------------------------------------------------------------------------------------
#: The columns of :meth:`TagStore.to_frame`, in order (extra columns follow).
COLUMNS = [
    "address",
    "label",
    "category",
    "abuse",
    "actor",
    "confidence",
    "confidence_name",
    "source",
    "jurisdiction",
    "pack",
    "line",
    "tx_hash",
    "currency",
    "lastmod",
    "is_cluster_definer",
    "concepts",
    "tag_type",
]
_TEXT = [
    "address",
    "label",
    "category",
    "abuse",
    "actor",
    "confidence_name",
    "source",
    "jurisdiction",
    "pack",
    "tx_hash",
    "currency",
    "lastmod",
    "concepts",
    "tag_type",
]
_TAG_FIELDS = {
    "address",
    "tx_hash",
    "label",
    "category",
    "abuse",
    "actor",
    "confidence",
    "source",
    "jurisdiction",
    "currency",
    "network",
    "lastmod",
    "is_cluster_definer",
    "concepts",
    "tag_type",
}
_PACK_META = {"title", "creator", "description", "is_public", "tags", "owner"}
_PROBLEM_COLUMNS = ["pack", "line", "address", "kind", "problem"]
#: problem kinds whose tag was left out (the others are notes on tags that were kept:
#: "unknown concept", "bad field", "conflict", "unknown actor", and notes on actors)
_LEFT_OUT = frozenset({"other currency", "invalid address", "invalid tx_hash", "missing field", "bad tag", "duplicate"})
# never extra fields: ours (pack, line, confidence_name are set by the loader, e.g. when a
# to_frame() table saved as CSV is read back)
_RESERVED = frozenset(COLUMNS) | _TAG_FIELDS | _PACK_META | {"n_tags"}


class TagWarning(UserWarning):
    """Some tags could not be used (e.g. an address that does not decode) and were left out."""


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
_MISSING = object()
_FALLBACK = object()
_UNCHECKED = object()
_RESOLVER = yaml.resolver.Resolver()


def _where(pack: str, line: int | None) -> str:
    return f"{pack}, line {line}" if line else str(pack)


def _at(pack, line) -> str:
    """``"file, line N: "`` in front of a message, or nothing when the caller adds the place itself."""
    return "" if pack is None else _where(pack, line) + ": "


def _suggest(name: str, choices: Iterable[str]) -> str:
    if name in _ALIASES:
        return f" Did you mean {_ALIASES[name]!r}?"
    close = difflib.get_close_matches(name, list(choices), n=2, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _norm_category(value, what: str, pack: str, line: int | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TagError(
            f"{_at(pack, line)}the {what} {value!r} is not a name; write one of the category "
            "names in cryptotrace.tags.CATEGORIES (e.g. exchange, market, ransomware)"
        )
    name = value.strip().lower().replace(" ", "_").replace("-", "_")
    if not name:
        return None
    if name not in CATEGORIES:
        raise TagError(
            f"{_at(pack, line)}unknown {what} {value!r}.{_suggest(name, CATEGORIES)} The known names are "
            f"in cryptotrace.tags.CATEGORIES (exchange, market, mixing_service, ransomware, scam, sanction, ...)"
        )
    return name


def confidence_name_of(score: int) -> str:
    """The confidence level name for a score: the level with that score, else the nearest one below.

    >>> confidence_name_of(60), confidence_name_of(55), confidence_name_of(0)
    ('authority_data', 'trusted_provider', 'unknown')
    """
    best = None
    for name, s in CONFIDENCE_LEVELS.items():  # strongest first
        if s == score:
            return name
        if s < score and (best is None or s > CONFIDENCE_LEVELS[best]):
            best = name
    return best or "unknown"


def _parse_confidence(value, pack: str, line: int | None) -> tuple[int, str]:
    if value is None or (isinstance(value, str) and not value.strip()) or _isna(value):
        return CONFIDENCE_LEVELS[_DEFAULT_CONFIDENCE], _DEFAULT_CONFIDENCE
    if isinstance(value, (bool, np.bool_)):
        raise TagError(
            f"{_at(pack, line)}confidence {value!r} is not a level; write a name such as "
            "'authority_data' or a number from 0 to 100"
        )
    if isinstance(value, str):
        text = value.strip()
        name = text.lower().replace(" ", "_").replace("-", "_")
        if name in CONFIDENCE_LEVELS:
            return CONFIDENCE_LEVELS[name], name
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise TagError(
                    f"{_at(pack, line)}unknown confidence {text!r}.{_suggest(name, CONFIDENCE_LEVELS)} "
                    f"Write one of {', '.join(CONFIDENCE_LEVELS)}, or a number from 0 to 100"
                ) from None
    if isinstance(value, (int, np.integer)):
        number = float(value)
    elif isinstance(value, float) and not math.isnan(value):
        # a float from 0 to 1 is a fraction (0.8 means 80); larger floats are scores
        number = value * 100 if 0 <= value <= 1 else value
    else:
        raise TagError(f"{_at(pack, line)}confidence {value!r} is neither a level name nor a number")
    if not 0 <= number <= 100:
        raise TagError(
            f"{_at(pack, line)}confidence {value!r} is outside 0-100; write a number from "
            "0 to 100 or a level name such as 'forensic'"
        )
    score = int(round(number))
    return score, confidence_name_of(score)


def _text(value) -> str | None:
    if type(value) is str:  # nearly always: first, and fast
        value = value.strip()
        return value or None
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    s = str(value).strip()
    return s or None


def _bool(value, pack: str, line: int | None, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("", "nan", "none"):
        return None
    if s in ("true", "yes", "1", "y"):
        return True
    if s in ("false", "no", "0", "n"):
        return False
    raise TagError(f"{_at(pack, line)}{what} {value!r} is not true or false")


def _norm_address(value) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    if not s:
        return None
    return s.lower() if s[:3].lower() == "bc1" else s


def _category_of(value):
    return _norm_category(value, "category", None, None)


def _abuse_of(value):
    return _norm_category(value, "abuse", None, None)


def _confidence_of(value):
    return _parse_confidence(value, None, None)


def _definer_of(value):
    return _bool(value, None, None, "is_cluster_definer")


def _tag_type_of(value):
    name = _text(value)
    if name is None:
        return None
    key = name.lower().replace(" ", "_").replace("-", "_")
    if key not in TAG_TYPES:
        raise TagError(
            f"unknown tag_type {name!r}.{_suggest(key, TAG_TYPES)} Write one of {', '.join(TAG_TYPES)} "
            "(GraphSense tag types); it was left empty"
        )
    return key


_concept_cache: dict = {}


def _concept_list(value) -> tuple[list[str], list[str]]:
    """A ``concepts`` field (a YAML list, or text such as ``"exchange, deposit_wallet"``) as
    (all names, normalised and in order, without repeats; the names not in :data:`CONCEPTS`)."""
    key = tuple(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value
    try:
        hit = _concept_cache.get(key)
    except TypeError:
        key, hit = None, None
    if hit is not None:
        return hit
    items = value if isinstance(value, list) else re.split(r"[,;]", str(value))
    names = []
    for v in items:
        t = _text(v)
        if t is None:
            continue
        name = t.lower().replace(" ", "_").replace("-", "_")
        if name not in names:
            names.append(name)
    out = (names, [n for n in names if n not in CONCEPTS])
    if key is not None and len(_concept_cache) < 10_000:
        _concept_cache[key] = out
    return out


def _is_narrower(concept: str, than: str) -> bool:
    """True if ``concept`` sits below ``than`` in GraphSense's concept tree (e.g. exchange < service)."""
    seen = set()
    while concept in _BROADER and concept not in seen:
        seen.add(concept)
        concept = _BROADER[concept]
        if concept == than:
            return True
    return False


def _first_most_specific(candidates: list[str]) -> str | None:
    best = None
    for c in candidates:
        if best is None or _is_narrower(c, best):
            best = c
    return best


def _categories_from(concepts: Iterable[str]) -> tuple[str | None, str | None]:
    """The category and the abuse a list of concepts gives.

    Of the concepts that are categories (:data:`ENTITY_CATEGORIES` for the category,
    :data:`ABUSE_CATEGORIES` for the abuse), the first one written, or a later one that is
    narrower than it in GraphSense's concept tree (``[service, exchange]`` is an exchange).
    ``dark_web``, which GraphSense now files under 'source' (where a tag was found), gives
    the abuse only when no other concept does.

    >>> _categories_from(["exchange", "deposit_wallet"])
    ('exchange', None)
    >>> _categories_from(["service", "market", "dark_web", "drugs"])
    ('market', 'drugs')
    """
    concepts = list(concepts)
    entities = [c for c in concepts if c in ENTITY_CATEGORIES]
    abuses = [c for c in concepts if c in ABUSE_CATEGORIES]
    real = [c for c in abuses if not (c == "source" or _is_narrower(c, "source"))]
    return _first_most_specific(entities), _first_most_specific(real or abuses)


_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


# ---------------------------------------------------------------------------------------------
# Tag
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tag:
    """One attribution claim: who (according to ``source``) is behind an address.

    Attributes
    ----------
    address : str or None
        The tagged Bitcoin address (``None`` for a tag on a transaction).
    label : str
        Readable name, e.g. ``"Hydra Market"`` or ``"Binance"``.
    category : str or None
        What kind of actor (see :data:`CATEGORIES`), e.g. ``"exchange"``.
    abuse : str or None
        The abuse it is linked to, e.g. ``"ransomware"``.
    actor : str or None
        A short id of the actor (GraphSense actor ids such as ``"binance"``).
    confidence : int
        0-100, how far the source can be trusted (see :data:`CONFIDENCE_LEVELS`).
    confidence_name : str
        The level name, e.g. ``"authority_data"``.
    source : str or None
        Where the claim comes from (a link or a document).
    jurisdiction : str or None
        Country (or authority) the service answers to, when known.
    pack, line :
        The file and line the tag was read from.
    concepts : tuple of str
        The GraphSense concepts the tag lists (``concepts:`` in a current TagPack), all kept
        as written; the most specific one that is a category gives ``category`` (and
        ``abuse``) when the tag does not name them itself.
    tag_type : str or None
        GraphSense tag type (:data:`TAG_TYPES`): ``actor``, ``event`` or ``mention``.
    extra : dict
        Any further fields (e.g. ``account_holder`` in a legal response).
    """

    address: str | None
    label: str
    category: str | None = None
    abuse: str | None = None
    actor: str | None = None
    confidence: int = CONFIDENCE_LEVELS[_DEFAULT_CONFIDENCE]
    confidence_name: str = _DEFAULT_CONFIDENCE
    source: str | None = None
    jurisdiction: str | None = None
    pack: str | None = None
    line: int | None = None
    tx_hash: str | None = None
    currency: str = "BTC"
    lastmod: str | None = None
    is_cluster_definer: bool | None = None
    concepts: tuple = ()
    tag_type: str | None = None
    extra: dict = field(default_factory=dict, hash=False)

    @property
    def kind(self) -> str | None:
        """The category, or the abuse when the tag has no category (what to call it in a sentence)."""
        return self.category or self.abuse

    @property
    def description(self) -> str:
        """Plain-language meaning of the tag's category and abuse."""
        parts = [CATEGORIES[c] for c in (self.category, self.abuse) if c]
        return "; ".join(parts) if parts else "no category given"

    @property
    def is_custodial(self) -> bool:
        """True if the tagged service holds its customers' coins (see :data:`CUSTODIAL_CATEGORIES`)."""
        return self.category in CUSTODIAL_CATEGORIES

    @property
    def next_step(self) -> str:
        """What an investigator can do about funds that reached this address (see :func:`next_step`)."""
        return next_step(self.category, label=self.label, jurisdiction=self.jurisdiction, abuse=self.abuse)

    @property
    def where(self) -> str:
        """``"file, line N"``: where the tag was read."""
        return _where(Path(self.pack).name if self.pack else "<no file>", self.line)

    def __repr__(self) -> str:
        what = self.address or f"tx {self.tx_hash}"
        kinds = ", ".join(k for k in (self.category, self.abuse) if k) or "no category"
        return f"Tag({what}: {self.label!r}, {kinds}, {self.confidence_name} ({self.confidence}), {self.where})"

    def __str__(self) -> str:
        lines = [
            f"{self.address or 'tx ' + str(self.tx_hash)}: {self.label}",
            f"  what:       {self.description}",
            f"  confidence: {self.confidence_name} ({self.confidence}/100): "
            f"{CONFIDENCE_DESCRIPTIONS.get(self.confidence_name, '')}",
        ]
        if self.concepts:
            lines.append(f"  concepts:   {', '.join(self.concepts)}")
        if self.jurisdiction:
            lines.append(f"  jurisdiction: {self.jurisdiction}")
        for k, v in self.extra.items():
            lines.append(f"  {k}: {v}")
        lines.append(f"  source:     {self.source or 'not given'}")
        lines.append(f"  read from:  {self.where}")
        step = self.next_step
        if step:
            lines.append(f"  next step:  {step}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The tag's fields as a dict (extra fields merged in)."""
        d = {k: getattr(self, k) for k in COLUMNS}
        d.update(self.extra)
        return d

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(str(self)) + "</pre>"


def next_step(
    category: str | None, *, label: str | None = None, jurisdiction: str | None = None, abuse: str | None = None
) -> str:
    """What an investigator can do about funds that reached a tagged service, in one sentence.

    Examples
    --------
    >>> next_step("exchange", label="Kraken", jurisdiction="US")
    'Kraken (exchange, US): send a production order for the account holder and ask them to freeze the funds'
    >>> next_step("market", label="Hydra Market")  # doctest: +NORMALIZE_WHITESPACE
    "Hydra Market (market, jurisdiction unknown): a criminal service will not answer a production order;
    the funds can be seized only with the service's own wallets (coordinate with the unit taking it down)"
    """
    name = label or category or "this service"
    where = jurisdiction or "jurisdiction unknown"
    if category in _ORDERABLE:
        return (
            f"{name} ({category}, {where}): send a production order for the account holder and ask them "
            "to freeze the funds"
        )
    if category in ("market", "mixing_service"):
        return (
            f"{name} ({category}, {where}): a criminal service will not answer a production order; the funds "
            "can be seized only with the service's own wallets (coordinate with the unit taking it down)"
        )
    if category in STOP_CATEGORIES:
        return f"{name} ({category}): the coins are pooled or mixed here; follow them further only with care"
    if abuse == "sanction":
        return f"{name}: on a sanctions list; report the funds to the financial intelligence unit"
    return ""


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------
def _yaml_loader():
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> tuple[dict, dict[str, int], list[int], list[dict], list]:
    """Parse one TagPack: header, header key lines, tag lines, tags (as written), tag nodes (for lines)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TagError(f"cannot read the tag file {path}: {exc.strerror}. Check the path") from None
    fast = _fast_read(data)
    if fast is not None:
        return fast
    loader = _yaml_loader()(data)
    was = gc.isenabled()
    gc.disable()  # the parser makes many small objects; collecting them midway only costs time
    try:
        node = loader.get_single_node()
        _check_expansion(node, path)
        doc = _construct_pack(loader, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise TagError(
            f"{_where(str(path), line)}: not valid YAML ({exc.problem or exc}). Fix the file "
            "(check the indentation and the ':' after each field name)"
        ) from None
    except yaml.YAMLError as exc:
        raise TagError(f"{path}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
        if was:
            gc.enable()
    if not isinstance(doc, dict) or not isinstance(doc.get("tags"), list):
        raise TagError(
            f"{path} is not a TagPack: it needs a header (title, creator ...) and a 'tags:' list of "
            "tags, each with an 'address:'. See docs/guide/attribution.md for an example"
        )
    header_lines: dict[str, int] = {}
    tag_lines: list[int] = []
    tag_nodes: list = []
    for knode, vnode in node.value:
        header_lines[str(knode.value)] = knode.start_mark.line + 1
        if knode.value == "tags":
            tag_nodes = [n if isinstance(n, yaml.MappingNode) else None for n in vnode.value]
            tag_lines = [n.start_mark.line + 1 for n in vnode.value]
    header = {k: v for k, v in doc.items() if k != "tags"}
    return header, header_lines, tag_lines, doc["tags"], tag_nodes


#: Most YAML nodes a tag file may expand to through aliases (``*name``) beyond its own size:
#: aliases repeat a node without copying it, so a few lines can stand for billions of values
#: ("billion laughs"). A pack whose aliases expand it more than this is refused.
_MAX_ALIAS_GROWTH = 100_000


def _check_expansion(node, where) -> None:
    """Refuse YAML whose aliases expand it far beyond its size (or refer to themselves).

    Counts, in time linear in the number of distinct nodes, how many nodes the document
    would have with every alias written out.
    """
    if node is None:
        return
    # keyed by the node objects themselves (PyYAML nodes compare and hash by identity)
    size: dict[yaml.Node, int] = {}
    on_path: set[yaml.Node] = set()
    stack = [(node, False)]
    while stack:
        n, done = stack.pop()
        key = n
        if done:
            on_path.discard(key)
            if isinstance(n, yaml.MappingNode):
                kids = [x for kv in n.value for x in kv]
            else:
                kids = n.value
            size[key] = 1 + sum(size[k] for k in kids)
            continue
        if key in size:
            continue
        if not isinstance(n, (yaml.SequenceNode, yaml.MappingNode)):
            size[key] = 1
            continue
        if key in on_path:
            raise TagError(
                f"{where}: an alias (*name) refers to the list or mapping that contains it; a tag "
                "file must not be self-referring. Write the values out instead"
            )
        on_path.add(key)
        stack.append((n, True))
        kids = [x for kv in n.value for x in kv] if isinstance(n, yaml.MappingNode) else n.value
        for k in kids:
            if k in on_path:
                raise TagError(
                    f"{where}: an alias (*name) refers to the list or mapping that contains it; a tag "
                    "file must not be self-referring. Write the values out instead"
                )
            if k not in size:
                stack.append((k, False))
    total = size[node]
    if total > len(size) + _MAX_ALIAS_GROWTH:
        raise TagError(
            f"{where}: its aliases (*name) would expand it to {total:,} values from {len(size):,} "
            "written ones (a 'billion laughs' file?). Refused: write the values out instead of "
            "repeating them with aliases"
        )


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_TAGS_LINE = re.compile(r"^tags:[ ]*$")
_ITEM = re.compile(r"^( *)- ([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$")
_FIELD = re.compile(r"^( +)([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$")
_SINGLE_QUOTED = re.compile(r"^'((?:[^']|'')*)'$")
_DOUBLE_QUOTED = re.compile(r'^"([^"\\]*)"$')
_NOT_PLAIN_START = set("-?:,[]{}#&*!|>'\"%@`")
_scalar_cache: dict[str, object] = {}
_PLAIN_KEYS: set[str] = set()
_RAW_KEYS = frozenset({"address", "tx_hash"})
_ALNUM = re.compile(r"^[A-Za-z0-9]+$")


def _fast_scalar(text: str | None):
    """A YAML scalar written on one line, as PyYAML's safe loader reads it; _FALLBACK if unsure."""
    if text is None:
        return _FALLBACK
    text = text.strip(" ")
    if not text:
        return _FALLBACK
    hit = _scalar_cache.get(text, _MISSING)
    if hit is not _MISSING:
        return hit
    first = text[0]
    if first == "'":
        m = _SINGLE_QUOTED.match(text)
        value = m.group(1).replace("''", "'") if m else _FALLBACK
    elif first == '"':
        m = _DOUBLE_QUOTED.match(text)
        value = m.group(1) if m else _FALLBACK
    elif first in _NOT_PLAIN_START or ": " in text or " #" in text or text.endswith(":"):
        value = _FALLBACK
    else:
        tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
        if tag == _STR:
            value = text
        else:
            try:
                value = yaml.load(text, Loader=_yaml_loader())
            except yaml.YAMLError:  # e.g. '=' (a YAML 'value' key): let the full parser report it
                value = _FALLBACK
    if len(_scalar_cache) < 100_000:
        _scalar_cache[text] = value
    return value


def _fast_read(data: bytes):
    """Read a TagPack written in the plain layout every real pack uses, without building YAML nodes.

    The layout: a header of ``key: value`` lines, a ``tags:`` line, then tags as
    ``- key: value`` lines each followed by indented ``key: value`` lines, one-line values
    only. Anything else (block or flow style, anchors, comments after values, multi-line
    text ...) returns None and the file goes through PyYAML. Gives what ``yaml.safe_load``
    gives, except that addresses stay text (the tests compare them on every real pack).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if "\t" in text or "\r" in text:
        return None
    lines = text.split("\n")
    starts = [i for i, ln in enumerate(lines) if ln.startswith("tags:") and _TAGS_LINE.match(ln)]
    if len(starts) != 1:
        return None
    t = starts[0]
    tags: list[dict] = []
    tag_lines: list[int] = []
    field_lines: list[dict] = []
    item_indent = -1
    cur = cur_lines = None
    for i in range(t + 1, len(lines)):
        ln = lines[i]
        stripped = ln.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue
        m = _ITEM.match(ln)
        if m is not None:
            ind, key, rawv = m.groups()
            indent = len(ind)
            if item_indent < 0:
                item_indent = indent
            elif indent != item_indent:
                return None
            cur, cur_lines = {}, {}
            tags.append(cur)
            field_lines.append(cur_lines)
            tag_lines.append(i + 1)
        else:
            m = _FIELD.match(ln)
            if m is None or cur is None:
                return None
            ind, key, rawv = m.groups()
            if len(ind) != item_indent + 2:
                return None
        if key not in _PLAIN_KEYS:
            if _RESOLVER.resolve(yaml.ScalarNode, key, (True, False)) != _STR:
                return None  # a key such as 'yes' or 'null' means something else in YAML
            _PLAIN_KEYS.add(key)
        if key in _RAW_KEYS and rawv is not None and _ALNUM.match(rawv):
            value = rawv  # an address is text as written (what the lines below would give, faster)
        else:
            value = _fast_scalar(rawv)
        if value is _FALLBACK or key in cur:
            return None
        if key in _RAW_KEYS and not isinstance(value, str):
            value = rawv.strip(" ")  # an address is text even if it looks like a number (0x...)
        cur[key] = value
        cur_lines[key] = i + 1
    if not tags:
        return None
    head = "\n".join(lines[:t])
    try:
        loader = _yaml_loader()(head)
        try:
            node = loader.get_single_node()
            _check_expansion(node, "the header")
            header = loader.construct_document(node) if node is not None else {}
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return None
    if (
        not isinstance(header, dict)
        or "tags" in header
        or (node is not None and not isinstance(node, yaml.MappingNode))
    ):
        return None
    header_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value} if node is not None else {}
    header_lines["tags"] = t + 1
    return header, header_lines, tag_lines, tags, field_lines


def _construct_pack(loader, node):
    """Build the Python objects of a TagPack from its YAML nodes.

    Same result as ``yaml.safe_load`` (except that ``address`` and ``tx_hash`` stay text even
    when they look like numbers, as Ethereum's ``0x...`` addresses do), faster: a tag's plain
    text fields (nearly all of them) are taken straight from the node instead of going through
    PyYAML's generic constructor. Anything else (numbers, dates, anchors, merge keys) uses
    the constructor.
    """
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode) or node.tag != _MAP or any(k.tag != _STR for k, _ in node.value):
        return loader.construct_document(node)
    construct = loader.construct_object
    doc = {}
    for knode, vnode in node.value:
        if knode.value != "tags" or not isinstance(vnode, yaml.SequenceNode):
            doc[knode.value] = construct(vnode, deep=True)
            continue
        tags = []
        for item in vnode.value:
            if not isinstance(item, yaml.MappingNode) or item.tag != _MAP:
                tags.append(construct(item, deep=True))
                continue
            d = {}
            for k, v in item.value:
                if k.tag != _STR:  # a merge key or a non-text key: let PyYAML do it
                    d = construct(item, deep=True)
                    break
                if isinstance(v, yaml.ScalarNode) and (v.tag == _STR or k.value in _RAW_KEYS):
                    d[k.value] = v.value  # an address is text even if it looks like a number (0x...)
                else:
                    d[k.value] = construct(v, deep=True)
            tags.append(d)
        doc[knode.value] = tags
    return doc


def _read_csv(path: Path) -> tuple[list[dict], list[int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TagError(f"cannot read the tag file {path} ({exc}). It must be a UTF-8 CSV file") from None
    if "\x00" in text:
        raise TagError(
            f"{path}: holds a NUL character at line {text.count(chr(10), 0, text.index(chr(0))) + 1}; "
            "this is not a text CSV (export it again as UTF-8 CSV)"
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        head = next(reader)
    except StopIteration:
        raise TagError(
            f"{path} is empty; a tag CSV needs a header line such as 'address,label,category,jurisdiction'"
        ) from None
    except csv.Error as exc:
        raise TagError(
            f"{_where(str(path), reader.line_num)}: the CSV cannot be read ({exc}); check the quotes "
            "and the length of that line (a field over 128 KiB is not a tag)"
        ) from None
    cols = [c.strip().lower() for c in head]
    if "address" not in cols and "tx_hash" not in cols:
        raise TagError(
            f"{path}, line 1: a tag CSV needs an 'address' column (found {', '.join(cols) or 'none'}). "
            "Write a header line such as 'address,label,category,jurisdiction'"
        )
    rows, lines = [], []
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if len(row) > len(cols):
                raise TagError(
                    f"{_where(str(path), reader.line_num)}: {len(row)} values for {len(cols)} columns; "
                    "put quotes around values that contain a comma"
                )
            rows.append({c: (v.strip() or None) for c, v in zip(cols, row) if c})
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise TagError(
            f"{_where(str(path), reader.line_num)}: the CSV cannot be read ({exc}); check the quotes "
            "and the length of that line (a field over 128 KiB is not a tag)"
        ) from None
    return rows, lines


def _expand(paths) -> list[Path]:
    files = _expand_all(paths)
    seen, out = set(), []
    for f in files:  # a file named twice (or also inside a folder given) is read once
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _expand_all(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(
                q
                for q in p.rglob("*")
                if q.suffix.lower() in (".yaml", ".yml", ".csv")
                and q.is_file()
                and not any(part.startswith(".") for part in q.relative_to(p).parts)
            )
            found = [q for q in found if _looks_like_tags(q)]
            if not found:
                warnings.warn(
                    f"no TagPack (.yaml with title and tags) or tag CSV (with address and label columns) "
                    f"in the folder {p}; no tags read from it",
                    TagWarning,
                    stacklevel=3,
                )
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise TagError(
                f"tag file {p} does not exist; check the path (a TagPack .yaml, a tag .csv, or a folder "
                "of them such as a case pack)"
            )
    return out


def _looks_like_tags(path: Path) -> bool:
    """For folders: is this file a TagPack or a tag CSV (and not, say, a scenario or an answer key)?"""
    try:
        if path.suffix.lower() == ".csv":
            with open(path, encoding="utf-8-sig", newline="") as fh:
                head = [c.strip().lower() for c in next(csv.reader(fh), [])]
            return "address" in head and ("label" in head or "category" in head or "legal_responses" in path.parts)
        with open(path, "rb") as fh:
            text = fh.read()
        if re.search(rb"^title\s*:", text, re.M) is None:
            return False
        return re.search(rb"^tags\s*:", text, re.M) is not None or _actor_header(text)
    except (OSError, UnicodeDecodeError):
        return False


def _is_actorpack(path: Path) -> bool:
    if path.suffix.lower() == ".csv":
        return False
    try:
        with open(path, "rb") as fh:
            text = fh.read()
    except OSError:
        return False
    return _actor_header(text) and re.search(rb"^tags\s*:", text, re.M) is None


def _actor_header(text: bytes) -> bool:
    """An ActorPack has (actorpack_schema.yaml) a title, a creator and an 'actors:' list."""
    return all(re.search(rb"^" + k + rb"\s*:", text, re.M) is not None for k in (rb"title", rb"creator", rb"actors"))


#: The columns of ``TagStore.actors`` (indexed by the actor id).
ACTOR_COLUMNS = ["label", "categories", "jurisdictions", "uri", "aliases", "lastmod", "pack", "line"]


def _read_actorpack(path: Path, b: _Builder) -> list[dict]:
    """Read a GraphSense ActorPack: one row per actor (fields of actorpack_schema.yaml, see
    _CONCEPT_FACTS). An unknown category is a problem (the actor is kept)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TagError(f"cannot read the actor file {path}: {exc.strerror}. Check the path") from None
    loader = _yaml_loader()(data)
    try:
        node = loader.get_single_node()
        _check_expansion(node, path)
        doc = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise TagError(
            f"{_where(str(path), mark.line + 1 if mark else None)}: not valid YAML ({exc.problem or exc}). "
            "Fix the file (check the indentation and the ':' after each field name)"
        ) from None
    except yaml.YAMLError as exc:
        raise TagError(f"{path}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
    if not isinstance(doc, dict) or not isinstance(doc.get("actors"), list):
        raise TagError(
            f"{path} is not an ActorPack: it needs a header (title, creator) and an 'actors:' list, "
            "each actor with 'id:', 'label:' and 'categories:'"
        )
    lines = []
    for k, v in node.value:
        if k.value == "actors":
            lines = [n.start_mark.line + 1 for n in v.value]
    pack, rows = str(path), []
    for a, line in zip(doc["actors"], lines):
        if not isinstance(a, dict) or _text(a.get("id")) is None:
            b._problem(
                pack,
                line,
                None,
                "bad actor",
                f"an actor needs 'id: ...' (and label, categories); not {a!r}. This entry was left out.",
            )
            continue
        aid = _text(a["id"])
        cats, unknown = _concept_list(a.get("categories") or [])
        for c in unknown:
            b._problem(
                pack,
                line,
                aid,
                "unknown concept",
                f"actor {aid!r}: unknown category {c!r}."
                f"{_suggest(c, CONCEPTS)} It is kept but means nothing to cryptotrace",
            )
        jur = a.get("jurisdictions") or []
        jur = [str(j).strip() for j in (jur if isinstance(jur, list) else [jur]) if _text(j)]
        aliases = a.get("aliases") or []
        aliases = [str(x).strip() for x in (aliases if isinstance(aliases, list) else [aliases]) if _text(x)]
        rows.append(
            {
                "id": aid,
                "label": _text(a.get("label")) or aid,
                "categories": ", ".join(cats) or None,
                "jurisdictions": ", ".join(jur) or None,
                "uri": _text(a.get("uri")),
                "aliases": ", ".join(aliases) or None,
                "lastmod": _text(a.get("lastmod")) or _text(doc.get("lastmod")),
                "pack": pack,
                "line": line,
            }
        )
    return rows


def _actor_frame(rows: list[dict], b: _Builder | None = None) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["id", *ACTOR_COLUMNS])
    if len(df) and b is not None:
        dup = df["id"].duplicated()
        for r in df[dup].itertuples():
            b._problem(
                r.pack,
                int(r.line),
                r.id,
                "duplicate actor",
                f"actor {r.id!r} is defined again; the first definition is used",
            )
        df = df[~dup]
    for c in ACTOR_COLUMNS:
        df[c] = df[c].astype("Int64" if c == "line" else "string")
    return df.set_index(pd.Index(df["id"].astype("string"), name="id")).drop(columns="id")


def _apply_actors(df: pd.DataFrame, actors: pd.DataFrame, b: _Builder) -> pd.DataFrame:
    """Tags that name an actor of the ActorPack get its jurisdictions (when they give none);
    a tag naming an actor the ActorPack does not define is noted in the problems."""
    if not len(actors) or not len(df):
        return df
    ids = actors.index.to_numpy(object)
    resolve = dict(zip(ids, ids))
    for aid, al in zip(ids, actors["aliases"].tolist()):
        if not _isna(al):
            for x in al.split(", "):
                resolve.setdefault(x, aid)
    actor = df["actor"]
    has = actor.notna().to_numpy()
    resolved = actor.map(resolve)
    missing = has & resolved.isna().to_numpy()
    for i in np.flatnonzero(missing):
        b._problem(
            df["pack"].iat[i],
            int(df["line"].iat[i]),
            df["address"].iat[i] or df["tx_hash"].iat[i],
            "unknown actor",
            f"actor {df['actor'].iat[i]!r} is not in the ActorPack; the tag is kept without the actor's details",
        )
    jur = resolved.map(actors["jurisdictions"].to_dict())
    fill = df["jurisdiction"].isna() & jur.notna()
    if fill.any():
        df = df.copy()
        df.loc[fill, "jurisdiction"] = jur[fill].astype("string")
    return df


def _actor_jurisdictions(df: pd.DataFrame) -> pd.DataFrame:
    """Tags of an actor that give no jurisdiction get the one its other tags agree on.

    A hot wallet tagged from a proof-of-reserves page often names only the service (its
    ``actor``); the service's jurisdiction comes from another tag of the same actor. When the
    actor's tags name more than one jurisdiction, nothing is filled in (which one is unknown).
    """
    if not len(df) or "actor" not in df or "jurisdiction" not in df:
        return df
    known = df[df["actor"].notna() & df["jurisdiction"].notna()]
    if not len(known):
        return df
    per = known.groupby(known["actor"].astype(str))["jurisdiction"].agg(lambda j: set(j.astype(str)))
    one = {a: next(iter(j)) for a, j in per.items() if len(j) == 1}
    fill = df["jurisdiction"].isna() & df["actor"].astype("string").isin(list(one)).fillna(False)
    if fill.any():
        df = df.copy()
        df.loc[fill, "jurisdiction"] = df.loc[fill, "actor"].astype(str).map(one).astype("string")
    return df


#: The columns a checked tag fills from its row (``currency`` is always BTC).
_ROW_COLUMNS = tuple(c for c in COLUMNS if c != "currency")


class _PackReader:
    """The steps that turn one pack's raw records into checked rows, with the pack's own state.

    A header field is every tag's default: its text and checks are worked out once per pack, and a
    problem with it is named once, at its line in the header. Checked values are cached per pack.
    """

    def __init__(
        self,
        builder: _Builder,
        pack: str,
        lines: list[int],
        own: list[dict] | None,
        header_lines: dict[str, int],
        defaults: dict,
        meta: dict,
        nodes: list | None,
    ):
        self.b, self.pack, self.lines, self.own, self.nodes = builder, pack, lines, own, nodes
        self.header_lines, self.defaults, self.meta = header_lines, defaults, meta
        self.cache: dict = {}  # (field, type, value) -> (result, problem text or None)
        self.seen: dict[tuple, int] = {}  # (address, source) -> row of first occurrence (in this pack)
        self.dtext = {k: _text(v) for k, v in defaults.items()}
        self.dchecked: dict = {}
        self.extra_keys: dict = {}
        self.d_extra = sorted(defaults.keys() - _RESERVED)
        self.no_check = {
            k: k not in defaults for k in ("category", "abuse", "tag_type", "confidence", "is_cluster_definer")
        }

    # -- where a problem is ------------------------------------------------------------
    def line_of(self, i: int, key: str):
        """The line of field ``key`` of record ``i`` (its own line, the header's, or the record's)."""
        own, nodes = self.own, self.nodes
        if own is not None:
            if key not in own[i]:
                return self.header_lines.get(key, self.lines[i])
            if nodes is not None and isinstance(nodes[i], dict):  # field lines of the fast reader
                return nodes[i].get(key, self.lines[i])
            if nodes is not None and nodes[i] is not None:  # YAML nodes
                for k, _ in nodes[i].value:
                    if k.value == key:
                        return k.start_mark.line + 1
        return self.lines[i]

    def text(self, raw: dict, key: str):
        """The record's own text for ``key``, else the header's."""
        return _text(raw[key]) if key in raw else self.dtext.get(key)

    @staticmethod
    def _run(raw, fn, default):
        try:
            return fn(raw), None
        except TagError as exc:
            return default, str(exc)

    def checked(self, i, rec, key, fn, default, kind, what):
        """fn(value of key), cached; a value it refuses is a problem (named at the field's own line;
        a header field's problem is named once, at its line in the header)."""
        if key not in rec:
            if key not in self.defaults:
                return default
            hit = self.dchecked.get(key)
            if hit is None:
                hit = self.dchecked[key] = self._run(self.defaults[key], fn, default)
                if hit[1] is not None:
                    self.b._problem(
                        self.pack,
                        self.header_lines.get(key),
                        None,
                        kind,
                        hit[1] + " (in the header: for every tag without its own value)",
                    )
            return hit[0]
        raw = rec[key]
        ckey = (key, type(raw), raw) if not isinstance(raw, (dict, list)) else None
        hit = self.cache.get(ckey) if ckey is not None else None
        if hit is None:
            hit = self._run(raw, fn, default)
            if ckey is not None:
                self.cache[ckey] = hit
        if hit[1] is not None:
            self.b._problem(self.pack, self.line_of(i, key), what, kind, hit[1])
        return hit[0]

    def _optional(self, i, raw, key, fn, default, kind, what):
        """A checked field, or ``default`` at once when neither the tag nor the header has it."""
        if self.no_check[key] and key not in raw:
            return default
        return self.checked(i, raw, key, fn, default, kind, what)

    # -- the steps ---------------------------------------------------------------------
    def read(self, i: int, raw, address, line) -> dict | None:
        """The checked row of record ``i``, or None (with the problem recorded) when it is left out."""
        if type(raw) is not dict and not isinstance(raw, dict):
            self.b._problem(
                self.pack,
                line,
                None,
                "bad tag",
                f"a tag must be a set of 'field: value' lines "
                f"starting with '- address:', not {raw!r}. This entry was left out.",
            )
            return None
        tx_hash = self.text(raw, "tx_hash")
        if not self.tags_bitcoin(i, raw, address, tx_hash, line):
            return None
        what = address or tx_hash
        label = self.label(raw, what, line)
        if label is None:
            return None
        row = self.classification(i, raw, what)
        row.update(
            address=address,
            label=label,
            source=self.text(raw, "source"),
            actor=self.text(raw, "actor"),
            jurisdiction=self.text(raw, "jurisdiction"),
            pack=self.pack,
            line=line,
            tx_hash=tx_hash.lower() if tx_hash else None,
            lastmod=self.text(raw, "lastmod"),
        )
        return row

    def tags_bitcoin(self, i: int, raw: dict, address, tx_hash, line) -> bool:
        """Whether the record tags a valid Bitcoin address or transaction (else the problem is recorded)."""
        cur = self.text(raw, "currency")
        if cur is None:
            cur = self.text(raw, "network")
        b, pack = self.b, self.pack
        if cur is not None and cur != "BTC" and cur.upper() != "BTC":
            b.problems.append((pack, line, address or tx_hash, "other currency", f"a {cur} tag, not Bitcoin: left out"))
            return False
        if address is None and tx_hash is None:
            b._problem(
                pack,
                line,
                None,
                "missing field",
                "this tag has no address; every tag needs "
                "'address: ...' (or 'tx_hash: ...' for a transaction). This tag was left out.",
            )
            return False
        if address is not None:
            why = b._addr_ok.get(address, _UNCHECKED)
            if why is not None:
                why = b._check_address(address)
            if why is not None:
                b._problem(
                    pack, self.line_of(i, "address"), address, "invalid address", f"{why} This tag was left out."
                )
                return False
        if tx_hash is not None and not _HEX64.match(tx_hash):
            b._problem(
                pack,
                line,
                tx_hash,
                "invalid tx_hash",
                f"tx_hash {tx_hash!r} is not 64 hexadecimal characters. This tag was left out.",
            )
            return False
        return True

    def label(self, raw: dict, what, line):
        """The tag's label (its own, the header's, or the pack's default label); None: left out, recorded."""
        label = self.text(raw, "label")
        if label is None:
            label = self.meta.get("default_label")
        if label is None:
            self.b._problem(
                self.pack,
                line,
                what,
                "missing field",
                f"the tag for {what} has no label; add 'label: "
                "<who it is>' to the tag (or to the pack's header for all its tags). This tag was "
                "left out.",
            )
        return label

    def classification(self, i: int, raw: dict, what) -> dict:
        """Category, abuse, concepts, tag type, confidence and cluster-definer flag, checked."""
        category = self._optional(i, raw, "category", _category_of, None, "unknown concept", what)
        abuse = self._optional(i, raw, "abuse", _abuse_of, None, "unknown concept", what)
        concepts = None
        craw = raw["concepts"] if "concepts" in raw else self.defaults.get("concepts")
        if craw is not None:
            concepts, unknown = _concept_list(craw)
            if unknown and ("concepts" in raw or "concepts" not in self.dchecked):
                self.dchecked["concepts"] = True
                where = self.line_of(i, "concepts") if "concepts" in raw else self.header_lines.get("concepts")
                for name in unknown:
                    self.b._problem(
                        self.pack,
                        where,
                        what if "concepts" in raw else None,
                        "unknown concept",
                        f"unknown concept {name!r}.{_suggest(name, CONCEPTS)} It is kept in 'concepts' "
                        "but gives no category; the known names are in cryptotrace.tags.CONCEPTS",
                    )
            if category is None or abuse is None:
                c_cat, c_abuse = _categories_from(concepts)
                category = category or c_cat
                abuse = abuse or c_abuse
            concepts = ", ".join(concepts) or None
        tag_type = self._optional(i, raw, "tag_type", _tag_type_of, None, "bad field", what)
        d_conf = (CONFIDENCE_LEVELS[_DEFAULT_CONFIDENCE], _DEFAULT_CONFIDENCE)
        score, cname = self._optional(i, raw, "confidence", _confidence_of, d_conf, "bad field", what)
        if "confidence_name" in raw:  # a to_frame() table read back: 50 may be 'forensic', not the first 50
            named = str(raw["confidence_name"]).strip()
            if CONFIDENCE_LEVELS.get(named) == score:
                cname = named
        definer = self._optional(i, raw, "is_cluster_definer", _definer_of, None, "bad field", what)
        return {
            "category": category,
            "abuse": abuse,
            "concepts": concepts,
            "tag_type": tag_type,
            "confidence": score,
            "confidence_name": cname,
            "is_cluster_definer": definer,
        }

    def first_claim(self, row: dict, line) -> bool:
        """False for an exact repeat by the same source in this pack (recorded, kept once).

        One source should not claim two different things about an address: a conflicting repeat is
        kept and flagged (two different sources may disagree: both claims are kept silently).
        """
        dkey = (row["address"] or "tx:" + row["tx_hash"], row["source"])
        j = self.seen.get(dkey)
        if j is None:
            self.seen[dkey] = self.b.n
            return True
        b, first = self.b, self.b.cols["line"][j]
        verdict = b._compare(j, row)
        if verdict == "same":
            b.problems.append(
                (
                    self.pack,
                    line,
                    dkey[0],
                    "duplicate",
                    f"listed again (first at line {first}) with the same attribution: kept once",
                )
            )
            return False
        if verdict:
            b._problem(
                self.pack,
                line,
                dkey[0],
                "conflict",
                f"{dkey[0]} is tagged twice by the same source with conflicting {verdict} "
                f"(line {first} and line {line}): both tags are kept. Keep the right "
                "one, or give each claim its own source",
            )
        return True

    def extra_fields(self, raw: dict):
        """(name, text) of the fields outside the schema, the tag's own or the header's."""
        kk = tuple(raw)
        mine = self.extra_keys.get(kk)
        if mine is None:
            mine = self.extra_keys[kk] = sorted(set(self.d_extra) | (raw.keys() - _RESERVED))
        return [(k, _text(raw[k]) if k in raw else self.dtext.get(k)) for k in mine]


class _Builder:
    """Validates raw tag records into columns."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.cols: dict[str, list] = {c: [] for c in COLUMNS}
        self.extras: dict[str, list] = {}
        self.n = 0
        self.problems: list[tuple] = []
        self.packs: list[dict] = []
        self._addr_ok: dict[str, str | None] = {}

    def _problem(self, pack, line, address, kind, text):
        if self.strict and kind not in ("other currency", "duplicate"):
            for kept in (" This tag was left out.", " This entry was left out."):
                text = text.replace(kept, "")
            text = text.replace(": both tags are kept.", ".")
            raise TagError(f"{_where(pack, line)}: {text}")
        self.problems.append((pack, line, address, kind, text))

    def _classify(self, records: list, defaults: dict) -> list:
        """The tags' addresses (normalised), all new ones checked at once (vectorised); an invalid
        one gets its reason (from decode_address) only when a Bitcoin tag uses it."""
        d = _norm_address(defaults.get("address"))
        addrs = [
            (_norm_address(r["address"]) if "address" in r else d) if isinstance(r, dict) else None for r in records
        ]
        known = self._addr_ok
        todo = list(dict.fromkeys(a for a in addrs if a is not None and a not in known))
        if todo:
            _, valid = classify_addresses(todo)
            known.update(zip(todo, (None if ok else _UNCHECKED for ok in valid.tolist())))
        return addrs

    def _check_address(self, addr: str) -> str | None:
        why = self._addr_ok.get(addr, _UNCHECKED)
        if why is not _UNCHECKED:
            return why
        try:
            decode_address(addr)
            why = None
        except InvalidAddressError as exc:
            why = str(exc)
        self._addr_ok[addr] = why
        return why

    def add_pack(
        self,
        pack: str,
        records: list[dict],
        lines: list[int],
        *,
        own: list[dict] | None = None,
        header_lines: dict[str, int] | None = None,
        defaults: dict | None = None,
        meta: dict | None = None,
        nodes: list | None = None,
    ):
        """Validate one pack's records into rows, in named steps (see :class:`_PackReader`).

        For each record: its shape, what it tags (address or transaction, Bitcoin only), its label,
        its classification (category, abuse, concepts, type, confidence, cluster definer), who
        says so; a repeat by the same source is kept once or flagged; then the row is added.
        """
        start, n_problems = self.n, len(self.problems)
        reader = _PackReader(self, pack, lines, own, header_lines or {}, defaults or {}, meta or {}, nodes)
        addresses = self._classify(records, reader.defaults)
        for i, raw in enumerate(records):
            line = lines[i] if i < len(lines) else None
            row = reader.read(i, raw, addresses[i], line)
            if row is not None and reader.first_claim(row, line):
                self._add_row(row, raw, reader)
        self._pack_done(pack, start, n_problems, meta)

    def _add_row(self, row: dict, raw: dict, reader: _PackReader) -> None:
        """Append a checked tag to the columns; fields outside the schema go to ``extras`` (None where absent)."""
        cols, extras = self.cols, self.extras
        for c in _ROW_COLUMNS:
            cols[c].append(row[c])
        cols["currency"].append("BTC")
        for k, v in reader.extra_fields(raw):
            if k not in extras:
                extras[k] = [None] * self.n
            extras[k].append(v)
        self.n += 1
        if extras:
            for lst in extras.values():
                if len(lst) < self.n:
                    lst.append(None)

    def _pack_done(self, pack: str, start: int, n_problems: int, meta: dict | None) -> None:
        """Record the pack: its name, how many tags it gave, how many were left out, its title and creator."""
        info = {
            "pack": pack,
            "n_tags": self.n - start,
            "n_left_out": sum(1 for p in self.problems[n_problems:] if p[3] in _LEFT_OUT),
        }
        info.update({k: _text(v) for k, v in (meta or {}).items() if k in ("title", "creator")})
        self.packs.append(info)

    def _compare(self, j: int, row: dict) -> str:
        c = self.cols
        for fld in ("category", "actor", "abuse"):
            a, b = c[fld][j], row[fld]
            if a is not None and b is not None and a != b:
                return f"{fld} ({a} / {b})"
        same = all(
            c[f][j] == row[f] for f in ("label", "category", "abuse", "actor", "confidence", "source", "jurisdiction")
        )
        return "same" if same else ""

    def frame(self) -> pd.DataFrame:
        return _make_frame(self.cols, self.extras)

    def problem_frame(self) -> pd.DataFrame:
        return _problem_frame(self.problems)


def _make_frame(cols: Mapping[str, list], extras: Mapping[str, list] | None = None) -> pd.DataFrame:
    data = {}
    for c in COLUMNS:
        vals = cols.get(c, [])
        if c == "confidence":
            data[c] = np.asarray(vals, dtype=np.int64)
        elif c == "line":
            data[c] = pd.array(vals, dtype="Int64")
        elif c == "is_cluster_definer":
            data[c] = pd.array(vals, dtype="boolean")
        else:
            data[c] = _string_array(vals)
    for k, vals in (extras or {}).items():
        data[k] = _string_array(vals)
    return pd.DataFrame(data)


def _string_array(vals: list):
    """A pandas "string" array from a list of str/None (straight through pyarrow when it can: 5x faster)."""
    try:
        import pyarrow as pa

        arr = pd.arrays.ArrowStringArray(pa.array(vals, type=pa.large_string()))
        if arr.dtype == pd.StringDtype():
            return arr
    except Exception:  # no pyarrow, another pandas string layout, or values that are not text: the safe way
        pass
    return pd.array(vals, dtype="string")


def _problem_frame(problems: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(problems, columns=_PROBLEM_COLUMNS)
    df["line"] = df["line"].astype("Int64")
    for c in ("pack", "address", "kind", "problem"):
        df[c] = df[c].astype("string")
    return df


def load_tags(paths, *, strict: bool = False, actors=None) -> TagStore:
    """Read attribution tags from TagPack YAML files, tag CSV files, or folders of them.

    Parameters
    ----------
    paths : str, Path, or a list of them
        TagPack ``.yaml`` / ``.yml`` files, tag ``.csv`` files, GraphSense ActorPacks, or folders.
        A folder is searched (with its sub-folders) for all of them, so a case pack folder loads
        its ``legal_responses/*.csv`` and a clone of ``graphsense-tagpacks`` loads ``packs/``
        and ``actors/``.
    strict : bool, default False
        Stop with :class:`~cryptotrace.errors.TagError` (naming file, line, value and how to fix
        it) at the first problem. By default a problem does not stop the loading: it is listed
        in ``store.problems`` (file, line, address, kind, problem) and reported with a
        :class:`TagWarning`. Tags for other currencies (ETH, LTC ...) are always left out and
        listed in ``store.problems``.
    actors : str, Path, or a list of them, optional
        ActorPack files (or folders) to read besides ``paths``.

    Returns
    -------
    TagStore
        With ``store.actors``: the actors of the ActorPacks read (label, categories,
        jurisdictions, uri, aliases), indexed by actor id.

    Raises
    ------
    TagError
        A file that does not exist, is not valid YAML, is not a TagPack, ActorPack or tag CSV,
        or whose aliases (``*name``) would expand it enormously; with ``strict=True`` also the
        first problem below.

    Notes
    -----
    Header fields of a TagPack are defaults for every tag. Both TagPack schemas are read:

    * the older one, with ``category`` and ``abuse`` (names of :data:`CATEGORIES`);
    * the current one, with ``concepts`` (a list of names of :data:`CONCEPTS`) and
      ``tag_type`` (:data:`TAG_TYPES`). When a tag names no ``category`` (or no ``abuse``),
      the most specific of its concepts that is one gives it (``[exchange, ...]`` is an
      exchange, so a trace stops there). All concepts are kept in ``concepts``.

    Confidence may be a GraphSense level name (:data:`CONFIDENCE_LEVELS`, e.g.
    ``authority_data`` or ``ledger_immanent``) or a number (0-100, or a fraction such as 0.8);
    a tag without one gets ``unknown`` (5). CSV files without a confidence column get
    ``unknown``, except the records in a ``legal_responses`` folder: those come from the
    service itself (``service_data``) and their label defaults to the file's name.

    A tag naming an actor of a loaded ActorPack (by id or alias) takes the actor's
    jurisdictions when it gives none.

    Problems (``store.problems.kind``). Left out: ``other currency``, ``invalid address``,
    ``invalid tx_hash``, ``missing field`` (no address or label), ``bad tag``, ``duplicate``
    (the same claim again). Kept, with a note: ``unknown concept`` (an unknown category,
    abuse or concept is dropped from the tag's category but kept in ``concepts``),
    ``bad field`` (a confidence, tag_type or is_cluster_definer that is not one: the default
    is used), ``conflict`` (one source tags an address twice with different categories or
    actors: both kept), ``unknown actor`` (not in the ActorPack).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> pack = pathlib.Path(tempfile.mkdtemp()) / "hydra.yaml"
    >>> _ = pack.write_text('''
    ... title: Hydra Market
    ... creator: GraphSense Core Team
    ... category: market
    ... label: Hydra Market
    ... confidence: authority_data
    ... source: https://home.treasury.gov/policy-issues/financial-sanctions/recent-actions/20220405
    ... tags:
    ... - address: 16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T
    ... ''')
    >>> store = load_tags(pack)
    >>> store
    <TagStore: 1 tag on 1 address from 1 file>
    >>> store.for_address("16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T")
    [Tag(16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T: 'Hydra Market', market, authority_data (60), hydra.yaml, line 9)]
    """
    files = _expand(paths)
    if actors is not None:
        files += [f for f in _expand(actors) if f.resolve() not in {g.resolve() for g in files}]
    b = _Builder(strict)
    actor_rows: list[dict] = []
    for path in files:
        pack = str(path)
        if path.suffix.lower() == ".csv":
            rows, lines = _read_csv(path)
            legal = any(part == "legal_responses" for part in path.parts)
            defaults = {"confidence": _LEGAL_CONFIDENCE} if legal else {}
            meta = {"title": path.stem, "default_label": path.stem if legal else None}
            b.add_pack(pack, rows, lines, defaults=defaults, meta=meta)
        elif _is_actorpack(path):
            actor_rows += _read_actorpack(path, b)
        else:
            header, header_lines, tag_lines, tags, tag_nodes = _read_yaml(path)
            defaults = {k: v for k, v in header.items() if k not in _PACK_META}
            b.add_pack(
                pack,
                tags,
                tag_lines,
                own=tags,
                header_lines=header_lines,
                defaults=defaults,
                meta=header,
                nodes=tag_nodes,
            )
    actor_df = _actor_frame(actor_rows, b)
    df = _actor_jurisdictions(_apply_actors(b.frame(), actor_df, b))
    store = TagStore._from_parts(df, b.problem_frame(), pd.DataFrame(b.packs), actor_df)
    probs = store.problems[store.problems.kind != "other currency"]
    probs = probs[probs.kind != "duplicate"]
    if len(probs):
        out = probs[probs.kind.isin(list(_LEFT_OUT))]
        kept = probs[~probs.kind.isin(list(_LEFT_OUT))]
        parts = []
        for part, what in ((out, "tag(s) left out"), (kept, "problem(s) noted on tags kept")):
            if len(part):
                first = part.iloc[0]
                kinds = ", ".join(f"{int(v):,} {k}" for k, v in part.kind.value_counts().items())
                parts.append(
                    f"{len(part):,} {what} ({kinds}), e.g. {first.address!r} ({_where(first.pack, first.line)}"
                    f"): {first.problem.rstrip('.')}"
                )
        warnings.warn(
            "; ".join(parts) + ". See store.problems; load with strict=True to stop at the first problem instead",
            TagWarning,
            stacklevel=2,
        )
    return store


# ---------------------------------------------------------------------------------------------
# TagStore
# ---------------------------------------------------------------------------------------------
def _rank_order(df: pd.DataFrame) -> np.ndarray:
    """Row positions from strongest to weakest tag.

    Strongest = highest confidence; ties go to a tag that describes its whole cluster
    (``is_cluster_definer``), then one with a category, then one with a jurisdiction, then
    the one loaded first.
    """
    if not len(df):
        return np.arange(0)
    d = df["is_cluster_definer"]
    definer = np.where(d.isna().to_numpy(), 1, np.where(d.fillna(False).to_numpy(bool), 2, 0))
    has_cat = df["category"].notna().to_numpy()
    has_jur = df["jurisdiction"].notna().to_numpy()
    conf = df["confidence"].to_numpy(np.int64)
    pos = np.arange(len(df))
    # np.lexsort: last key is primary
    return np.lexsort((pos, ~has_jur, ~has_cat, -definer, -conf))


class TagStore:
    """The tags read by :func:`load_tags`: look up an address, a table, the strongest tag per address.

    ``len(store)`` is the number of tags. Tags that could not be used (other currencies,
    addresses that do not decode, repeated lines) are in ``store.problems`` with their file
    and line; ``store.packs`` lists the files read.

    Examples
    --------
    >>> store = TagStore.from_frame(pd.DataFrame({
    ...     "address": ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"], "label": ["Genesis"], "category": ["miner"]}))
    >>> len(store), store.for_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")[0].label
    (1, 'Genesis')
    """

    def __init__(self):
        self._df = _make_frame({})
        self.problems = _problem_frame([])
        self.packs = pd.DataFrame(columns=["pack", "n_tags", "n_left_out", "title", "creator"])
        self.actors = _actor_frame([])
        self._index = None
        self._cols = None

    @classmethod
    def _from_parts(
        cls, df: pd.DataFrame, problems: pd.DataFrame, packs: pd.DataFrame, actors: pd.DataFrame | None = None
    ) -> TagStore:
        store = cls.__new__(cls)
        store._df = df.reset_index(drop=True)
        store.problems = problems.reset_index(drop=True)
        store.packs = packs.reset_index(drop=True)
        store.actors = actors if actors is not None else _actor_frame([])
        store._index = None
        store._cols = None
        return store

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, pack: str = "<table>", strict: bool = True) -> TagStore:
        """Make a store from a table with the columns of :meth:`to_frame` (at least address and label).

        The rows are checked like a tag file (``line`` is the row number + 1); any extra columns
        are kept.
        """
        if "address" not in df.columns and "tx_hash" not in df.columns:
            raise TagError("a tag table needs an 'address' column (and 'label', 'category' ...)")
        b = _Builder(strict)
        rows = [
            {k: v for k, v in r.items() if not _isna(v) and k not in ("pack", "line")} for r in df.to_dict("records")
        ]
        b.add_pack(pack, rows, list(range(1, len(rows) + 1)), meta={"title": pack})
        return cls._from_parts(_actor_jurisdictions(b.frame()), b.problem_frame(), pd.DataFrame(b.packs))

    # -- basics
    def __len__(self) -> int:
        return len(self._df)

    def __iter__(self):
        for i in range(len(self._df)):
            yield self._tag(i)

    def __contains__(self, address) -> bool:
        return _norm_address(address) in self._lookup()

    @property
    def addresses(self) -> pd.Index:
        """The distinct tagged addresses."""
        return pd.Index(self._df["address"].dropna().unique(), name="address")

    def _lookup(self) -> dict:
        if self._index is None:
            order = _rank_order(self._df)
            addr = _none_for_missing(self._df["address"])
            index: dict[str, list[int]] = {}
            for k, pos in enumerate(order.tolist()):  # address -> its tags' places in `order`, strongest first
                a = addr[pos]
                if a is not None:
                    if a in index:
                        index[a].append(k)
                    else:
                        index[a] = [k]
            self._index = index
            self._positions = order
        return self._index

    def _arrays(self) -> dict:
        if getattr(self, "_cols", None) is None:
            self._cols = {c: _none_for_missing(self._df[c]) for c in self._df.columns}
        return self._cols

    def _tag(self, i: int) -> Tag:
        a = self._arrays()
        extra = {k: a[k][i] for k in a if k not in COLUMNS and a[k][i] is not None}
        line, definer = a["line"][i], a["is_cluster_definer"][i]
        return Tag(
            address=a["address"][i],
            label=a["label"][i],
            category=a["category"][i],
            abuse=a["abuse"][i],
            actor=a["actor"][i],
            confidence=int(a["confidence"][i]),
            confidence_name=a["confidence_name"][i],
            source=a["source"][i],
            jurisdiction=a["jurisdiction"][i],
            pack=a["pack"][i],
            line=None if line is None else int(line),
            tx_hash=a["tx_hash"][i],
            currency=a["currency"][i] or "BTC",
            lastmod=a["lastmod"][i],
            is_cluster_definer=None if definer is None else bool(definer),
            concepts=tuple(a["concepts"][i].split(", ")) if a["concepts"][i] else (),
            tag_type=a["tag_type"][i],
            extra=extra,
        )

    def for_address(self, address: str) -> list[Tag]:
        """All tags of one address, strongest first (an empty list if it has none).

        Raises
        ------
        InvalidAddressError
            If ``address`` is not a Bitcoin address at all (a typing error).
        """
        a = _norm_address(address)
        idx = self._lookup()
        if a not in idx:
            decode_address(a if a is not None else address)  # a typo gives a clear error, not "untagged"
            return []
        return [self._tag(int(self._positions[i])) for i in idx[a]]

    def for_tx(self, txid: str) -> list[Tag]:
        """The tags on one transaction (``tx_hash`` tags), strongest first."""
        df = self._df
        hits = np.flatnonzero((df["tx_hash"] == str(txid).lower()).fillna(False).to_numpy())
        order = _rank_order(df.iloc[hits])
        return [self._tag(int(hits[i])) for i in order]

    # -- tables
    def to_frame(self) -> pd.DataFrame:
        """One row per tag: address, label, category, abuse, actor, confidence (0-100),
        confidence_name, source, jurisdiction, pack, then line, tx_hash, currency, lastmod,
        is_cluster_definer and any extra fields (e.g. account_holder)."""
        return self._df.copy()

    def best_per_address(self) -> pd.DataFrame:
        """The strongest tag of each tagged address, as a table indexed by address.

        Strongest means the highest confidence; ties go to a tag that describes its whole
        cluster, then to one with a category, then one with a jurisdiction, then the one
        read first. ``n_tags`` says how many tags the address has.
        """
        df = self._df
        df = df[df["address"].notna()]
        ranked = df.iloc[_rank_order(df)]
        counts = ranked["address"].value_counts()
        best = ranked.drop_duplicates("address").set_index("address")
        best["n_tags"] = counts.reindex(best.index).to_numpy(np.int64)
        return best.sort_index()

    def for_chain(self, chain) -> pd.DataFrame:
        """The strongest tag of each tagged address that appears in ``chain`` (see :meth:`best_per_address`)."""
        best = self.best_per_address()
        return best.loc[best.index.intersection(chain.index.addresses)].sort_values(
            ["confidence", "label"], ascending=[False, True]
        )

    def summary(self) -> pd.DataFrame:
        """Tags per category and abuse (counts), for a first look at what was loaded."""
        df = self._df
        kind = df["category"].fillna(df["abuse"]).fillna("(no category)")
        return (
            pd.DataFrame({"kind": kind, "address": df["address"]})
            .groupby("kind")
            .agg(tags=("address", "size"), addresses=("address", "nunique"))
            .sort_values("tags", ascending=False)
        )

    def describe(self) -> str:
        """A few lines saying what the store holds."""
        n_addr = self._df["address"].nunique()
        lines = [f"{_n(len(self), 'tag')} on {_n(n_addr, 'address')} from {_n(len(self.packs), 'file')}"]
        if len(self.problems):
            counts = self.problems["kind"].value_counts()
            lines.append("left out: " + ", ".join(f"{int(v):,} {k}" for k, v in counts.items()) + " (see .problems)")
        top = self.summary().head(8)
        if len(top):
            lines.append("most common: " + ", ".join(f"{k} {int(v):,}" for k, v in top["tags"].items()))
        return "\n".join(lines)

    def __repr__(self) -> str:
        left = f"; {len(self.problems):,} left out" if len(self.problems) else ""
        return (
            f"<TagStore: {_n(len(self), 'tag')} on {_n(self._df['address'].nunique(), 'address')} "
            f"from {_n(len(self.packs), 'file')}{left}>"
        )

    def _repr_html_(self) -> str:
        head = html.escape(self.describe()).replace("\n", "<br>")
        cols = ["address", "label", "category", "abuse", "confidence_name", "jurisdiction", "source"]
        return f"<p><b>TagStore</b><br>{head}</p>" + self._df[cols].head(10).to_html(index=False, na_rep="")

    # -- combining
    def search(self, text: str) -> pd.DataFrame:
        """The tags whose label, actor, category, source or jurisdiction contains ``text`` (any case).

        Also finds the tags of an actor whose name or alias in an ActorPack contains ``text``.

        Returns
        -------
        DataFrame
            ``address``, ``label``, ``category``, ``actor``, ``jurisdiction``, ``confidence_name``,
            ``source`` (and ``account_holder`` when the tags have it), one row per matching tag.

        Examples
        --------
        >>> store = TagStore.from_frame(pd.DataFrame({
        ...     "address": ["bc1qfmta7l207q4hcx2cgerqw62q7y0qd36vyuskx5", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
        ...     "label": ["Kryptohaus hot wallet", "Genesis"], "category": ["exchange", "miner"]}))
        >>> store.search("kryptohaus").label.tolist()
        ['Kryptohaus hot wallet']
        """
        if not isinstance(text, str) or not text.strip():
            raise TagError(f"tags.search wants a word to look for, like 'Kryptohaus', not {text!r}")
        needle = text.strip().lower()
        df = self._df
        hit = pd.Series(False, index=df.index)
        for c in ("label", "actor", "category", "source", "jurisdiction", "account_holder"):
            if c in df:
                hit |= df[c].astype("string").str.lower().str.contains(needle, regex=False).fillna(False)
        if len(self.actors) and "actor" in df:
            names = self.actors.reset_index()
            text_cols = [c for c in ("id", "label", "aliases") if c in names]
            found = pd.Series(False, index=names.index)
            for c in text_cols:
                found |= names[c].astype("string").str.lower().str.contains(needle, regex=False).fillna(False)
            hit |= df["actor"].astype("string").isin(names.loc[found, "id"].astype(str).tolist()).fillna(False)
        cols = [
            c
            for c in (
                "address",
                "label",
                "category",
                "actor",
                "jurisdiction",
                "confidence_name",
                "source",
                "account_holder",
            )
            if c in df
        ]
        return df.loc[hit.to_numpy(bool), cols].reset_index(drop=True)

    def merge(self, other: TagStore) -> TagStore:
        """A new store with the tags of both (a tag read from the same file and line is kept once)."""
        if not isinstance(other, TagStore):
            raise TagError(f"can only merge a TagStore with another TagStore, not {type(other).__name__}")
        df = pd.concat([self._df, other._df], ignore_index=True)
        df = df.drop_duplicates(subset=["pack", "line", "address", "tx_hash", "label"], ignore_index=True)
        for c in df.columns:
            if c not in COLUMNS:
                df[c] = df[c].astype("string")
        df = _actor_jurisdictions(df)
        probs = pd.concat([self.problems, other.problems], ignore_index=True).drop_duplicates(ignore_index=True)
        packs = pd.concat([self.packs, other.packs], ignore_index=True).drop_duplicates("pack", ignore_index=True)
        actors = pd.concat([self.actors, other.actors])
        actors = actors[~actors.index.duplicated()]
        return TagStore._from_parts(df, probs, packs, actors)

    def __add__(self, other):
        if not isinstance(other, TagStore):
            return NotImplemented
        return self.merge(other)

    def __radd__(self, other):
        if other == 0:  # sum([store1, store2])
            return self
        return NotImplemented

    # -- export
    def to_tagpack(
        self,
        path,
        *,
        title: str,
        creator: str,
        description: str | None = None,
        lastmod: str | _dt.date | None = None,
        extra_fields: bool = True,
    ) -> Path:
        """Write the tags as a GraphSense TagPack (YAML), so a case's tags can be published.

        Fields with the same value on every tag go into the header (as the format intends);
        the file is written atomically (complete, or not at all).

        Parameters
        ----------
        path : str or Path
        title, creator : str
            The pack's title and who made it (required by the TagPack format).
        description : str, optional
        lastmod : date or "YYYY-MM-DD", optional
            Defaults to today.
        extra_fields : bool, default True
            Also write jurisdiction and extra fields such as ``account_holder``. Public
            GraphSense packs must not hold personal data: pass False to leave them out.

        Returns
        -------
        Path
        """
        from .io.files import atomic_write_text

        if not title or not creator:
            raise TagError("a TagPack needs a title and a creator: to_tagpack(path, title=..., creator=...)")
        df = self._df
        if not len(df):
            raise TagError("there are no tags to write; load or add tags first")
        lastmod = lastmod or _dt.date.today()
        lastmod = lastmod.isoformat() if isinstance(lastmod, _dt.date) else str(lastmod)
        fields = [
            "label",
            "category",
            "abuse",
            "actor",
            "confidence",
            "source",
            "lastmod",
            "is_cluster_definer",
            "concepts",
            "tag_type",
        ]
        extras = [c for c in df.columns if c not in COLUMNS]
        if extra_fields:
            fields += ["jurisdiction", *extras]
        records = []
        for r in df.to_dict("records"):
            rec = {"address": r["address"]} if not _isna(r["address"]) else {"tx_hash": r["tx_hash"]}
            for f in fields:
                v = r.get(f)
                if f == "confidence":
                    name = r["confidence_name"]
                    v = name if CONFIDENCE_LEVELS.get(name) == int(v) else int(v)
                if f == "lastmod" and v == lastmod:
                    continue
                if f == "concepts" and not _isna(v):
                    v = v.split(", ")
                if not _isna(v):
                    rec[f] = bool(v) if f == "is_cluster_definer" else (int(v) if isinstance(v, np.integer) else v)
            records.append(rec)
        header = {"title": title, "creator": creator}
        if description:
            header["description"] = description
        header["lastmod"] = lastmod
        header["currency"] = "BTC"
        for f in fields:
            if f == "lastmod":
                continue
            vals = [rec.get(f, _MISSING) for rec in records]
            if vals[0] is not _MISSING and all(v == vals[0] and type(v) is type(vals[0]) for v in vals):
                header[f] = vals[0]
                for rec in records:
                    del rec[f]
        header["tags"] = records
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        text = yaml.dump(
            header, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000
        )
        return atomic_write_text(path, text)


def _n(count: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("ss") else "s")
    return f"{count:,} {noun if count == 1 else plural}"


def _none_for_missing(col: pd.Series) -> list:
    """A column as a Python list, missing values as None (vectorised)."""
    missing = col.isna().to_numpy(bool)
    values = col.astype(object).to_numpy(copy=True)
    if missing.any():
        values[missing] = None
    return values.tolist()


def _isna(v) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Clusters
# ---------------------------------------------------------------------------------------------
_CLUSTER_COLUMNS = [
    "label",
    "category",
    "abuse",
    "actor",
    "confidence",
    "confidence_name",
    "jurisdiction",
    "source",
    "pack",
    "n_tags",
    "n_tagged_addresses",
    "n_addresses",
    "labels",
    "conflicts",
    "likely_false_merge",
    "next_step",
]


def _labels_of(clustering) -> pd.Series:
    labels = clustering if isinstance(clustering, pd.Series) else getattr(clustering, "labels_", None)
    if labels is None:
        raise TagError(
            "cluster_tags needs a fitted clustering (with labels_: address -> cluster id); "
            "run Clustering(...).fit(chain) first"
        )
    if not isinstance(labels, pd.Series):
        raise TagError(
            f"clustering.labels_ must be a pandas Series (address -> cluster id), not {type(labels).__name__}"
        )
    return labels


def cluster_tags(clustering, store: TagStore) -> pd.DataFrame:
    """Bring tags to clusters: each tagged cluster's label, category, confidence and conflicts.

    Parameters
    ----------
    clustering : Clustering (fitted) or pandas.Series
        Anything with ``labels_``: a Series address -> cluster id (or that Series itself).
    store : TagStore

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cluster_id``, one row per cluster holding at least one tagged address:
        ``label``, ``category``, ``abuse``, ``actor``, ``confidence``, ``confidence_name``,
        ``jurisdiction``, ``source``, ``pack`` (all from the cluster's strongest tag;
        ``jurisdiction`` from the strongest tag that has one), ``n_tags``,
        ``n_tagged_addresses``, ``n_addresses`` (cluster size), ``labels`` (all distinct
        labels), ``conflicts`` (plain text, empty when none), ``likely_false_merge`` and
        ``next_step`` (what to do about funds that reach it), plus the strongest tag's extra
        fields (e.g. ``account_holder``).

    Notes
    -----
    A cluster whose tags name two different kinds of service (e.g. ``exchange`` and
    ``market``; unless all those tags name the same actor, like Huobi's exchange and its
    mining pool), or two different actors (``binance`` and ``huobi``), is flagged as a
    likely false merge: one wallet does not belong to two businesses, so a heuristic
    probably joined addresses that are not one owner's. Check it with the clustering's
    evidence before relying on the label. General categories (``user``, ``organization``,
    ``service``) and abuses (a ransom paid into an exchange deposit address) are not
    conflicts.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> case = ct.load_case("ransomware")
    >>> table = ct.cluster_tags(ct.Clustering().fit(case.chain), ct.load_tags(case.path))
    >>> "label" in table.columns
    True
    """
    labels = _labels_of(clustering)
    df = store._df
    df = df[df["address"].notna()]
    cid = df["address"].map(labels)
    keep = cid.notna().to_numpy()
    tagged = df[keep].copy()
    extras = [c for c in df.columns if c not in COLUMNS]
    if not len(tagged):
        out = pd.DataFrame(columns=_CLUSTER_COLUMNS + extras)
        out.index.name = "cluster_id"
        return out
    tagged["cluster_id"] = cid[keep].astype(np.int64).to_numpy()
    ranked = tagged.iloc[_rank_order(tagged)]
    g = ranked.groupby("cluster_id", sort=True)
    best = ranked.drop_duplicates("cluster_id").set_index("cluster_id").sort_index()
    out = best[
        ["label", "category", "abuse", "actor", "confidence", "confidence_name", "jurisdiction", "source", "pack"]
        + extras
    ].copy()
    jur = ranked[ranked["jurisdiction"].notna()].drop_duplicates("cluster_id").set_index("cluster_id")["jurisdiction"]
    out["jurisdiction"] = jur.reindex(out.index).astype("string")
    out["n_tags"] = g.size().reindex(out.index).to_numpy(np.int64)
    out["n_tagged_addresses"] = g["address"].nunique().reindex(out.index).to_numpy(np.int64)
    sizes = labels.value_counts()
    out["n_addresses"] = sizes.reindex(out.index).fillna(0).to_numpy(np.int64)
    lab = ranked[["cluster_id", "label"]].drop_duplicates()
    out["labels"] = lab.groupby("cluster_id")["label"].agg("; ".join).reindex(out.index).astype("string")

    # conflicts: two specific kinds of service, or two actors, in one cluster
    spec = ranked[ranked["category"].notna() & ~ranked["category"].isin(list(_GENERIC | ABUSE_CATEGORIES))]
    cats = spec[["cluster_id", "category"]].drop_duplicates().sort_values(["cluster_id", "category"])
    act = (
        ranked[ranked["actor"].notna()][["cluster_id", "actor"]].drop_duplicates().sort_values(["cluster_id", "actor"])
    )
    n_cat = cats.groupby("cluster_id").size().reindex(out.index).fillna(0).to_numpy()
    n_act = act.groupby("cluster_id").size().reindex(out.index).fillna(0).to_numpy()
    # one business with two kinds of tag (Huobi the exchange and Huobi the mining pool) is no conflict
    one_actor = (
        (spec.groupby("cluster_id")["actor"].nunique().eq(1) & ~spec["actor"].isna().groupby(spec["cluster_id"]).any())
        .reindex(out.index)
        .fillna(False)
    )
    n_cat = np.where(one_actor.to_numpy(bool), 1, n_cat)
    conflicted = (n_cat > 1) | (n_act > 1)
    text = pd.Series("", index=out.index, dtype="string")
    if conflicted.any():
        ids = out.index[conflicted]
        cat_txt = cats[cats.cluster_id.isin(ids)].groupby("cluster_id")["category"].agg(", ".join)
        act_txt = act[act.cluster_id.isin(ids)].groupby("cluster_id")["actor"].agg(", ".join)
        for i, k in zip(np.flatnonzero(conflicted), ids):
            parts = []
            if n_cat[i] > 1:
                parts.append(f"categories {cat_txt[k]}")
            if n_act[i] > 1:
                parts.append(f"actors {act_txt[k]}")
            text.iloc[i] = "; ".join(parts) + ": likely a false merge, check the clustering evidence"
    out["conflicts"] = text
    out["likely_false_merge"] = conflicted
    out["next_step"] = pd.array(
        [
            next_step(c, label=lbl, jurisdiction=j, abuse=a)
            for c, lbl, j, a in zip(
                _obj(out["category"]), _obj(out["label"]), _obj(out["jurisdiction"]), _obj(out["abuse"])
            )
        ],
        dtype="string",
    )
    out = out[_CLUSTER_COLUMNS + extras]
    out.index.name = "cluster_id"
    return out


def label_addresses(clustering, store: TagStore) -> pd.DataFrame:
    """Give every address of a tagged cluster its cluster's label (attribution by clustering).

    One tag on one address names the whole cluster: if an exchange's deposit address is
    tagged, every address spent together with it is the exchange's too. Use it to put names
    on the addresses of a trace.

    Parameters
    ----------
    clustering : Clustering (fitted) or pandas.Series
        Anything with ``labels_`` (address -> cluster id).
    store : TagStore

    Returns
    -------
    pandas.DataFrame
        Indexed by address, only addresses in tagged clusters: ``cluster_id``, ``label``,
        ``category``, ``abuse``, ``confidence``, ``confidence_name``, ``jurisdiction``,
        ``likely_false_merge``, ``next_step``, and ``tagged_directly`` (True if the address
        itself carries a tag, False if it only inherits the cluster's label).
    """
    labels = _labels_of(clustering)
    per_cluster = cluster_tags(labels, store)
    cols = [
        "label",
        "category",
        "abuse",
        "confidence",
        "confidence_name",
        "jurisdiction",
        "likely_false_merge",
        "next_step",
    ]
    member = labels[labels.isin(per_cluster.index)]
    out = per_cluster[cols].reindex(member.to_numpy())
    out.index = member.index
    out.index.name = "address"
    out.insert(0, "cluster_id", member.to_numpy())
    out["tagged_directly"] = out.index.isin(store.addresses)
    return out


def _obj(s: pd.Series) -> list:
    return [None if _isna(v) else v for v in s.tolist()]


def tags_by_address(tags) -> pd.DataFrame:
    """One tag per address (label, category in lower case, jurisdiction ...), indexed by address.

    ``tags`` is a :class:`~cryptotrace.tags.TagStore` (its strongest tag per
    address is used) or a DataFrame of address -> label, category, jurisdiction.
    """
    if isinstance(tags, pd.DataFrame):
        df = tags
    elif hasattr(tags, "best_per_address"):
        df = tags.best_per_address()
    else:
        raise TagError(
            f"tags must be a TagStore (from load_tags) or a DataFrame indexed by address, not {type(tags).__name__}"
        )
    if "address" in df.columns and df.index.name != "address":
        df = df.set_index("address")
    df = df.copy()
    for c in ("label", "category", "jurisdiction"):
        if c not in df.columns:
            df[c] = pd.NA
    df["category"] = df["category"].astype("string").str.lower()
    return df[~df.index.duplicated()]
