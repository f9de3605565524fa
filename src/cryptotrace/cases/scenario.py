"""Scenarios: what an instructor writes to describe a case, as a YAML file or in Python.

A scenario names the background economy, the embedded cases (a suspect and
the events of their story) and a seed. The same scenario and seed always give
the same chain. Example (``sample_data/scenarios/nps_vendor.yaml``)::

    name: nps_vendor
    title: "Operation Greenleaf"
    seed: 7
    days: 28
    background:
      txs: 8000            # about this many transactions in all
      exchanges: 4
    cases:
      - id: nps_vendor
        title: "A vendor of new psychoactive substances cashes out"
        suspect: {name: "GreenChem", real_name: "Dirk V.", wallet: electrum}
        events:
          - market_sales: {orders: 80, days: 14, price_eur: [40, 400]}
          - peel_chain: {share: 0.5, hops: 6, exchanges: 3}
          - coinjoin: {share: 0.3, kind: whirlpool}
          - cold_storage: {share: rest, xpub_on_phone: true}

The same in Python::

    from cryptotrace.cases import Scenario
    sc = (Scenario.builder("nps_vendor", title="Operation Greenleaf", seed=7, days=28)
            .background(txs=8000, exchanges=4)
            .case("nps_vendor", title="A vendor of new psychoactive substances cashes out",
                  suspect={"name": "GreenChem", "real_name": "Dirk V.", "wallet": "electrum"})
                .market_sales(orders=80, days=14, price_eur=[40, 400])
                .peel_chain(share=0.5, hops=6, exchanges=3)
                .coinjoin(share=0.3, kind="whirlpool")
                .cold_storage(share="rest", xpub_on_phone=True)
            .build())

Events (the first brings the money in; each later one moves a *share* of
what the suspect holds: a number from 0 to 1, a percentage such as ``30%``,
or ``rest``):

==================  ==========================================================
``market_sales``    buyers pay through the darknet market (orders, days, price_eur)
``ransom_payments`` victims pay the ransom (victims, eur, days)
``theft``           coins taken from an exchange's hot wallet (btc, exchange, outputs)
``wait``            nothing happens for a while (days)
``consolidate``     all coins into one new address
``split``           a fan-out into several new addresses (parts, share)
``peel_chain``      hop by hop, a little to an exchange each time (share, hops, exchanges, peel)
``coinjoin``        through a Whirlpool-like or Wasabi-like CoinJoin (share, kind)
``mixer``           through a custodial mixer (share, outputs, delay_days)
``cash_out``        straight to exchange deposit addresses (share, exchanges)
``cold_storage``    to a hardware wallet whose xpub may be on the seized phone (share, addresses, xpub_on_phone)
==================  ==========================================================

The background's custodial mixer pays out in different coins (never a coin that holds the same
deposit). ``background: {mixer: {leaky: true}}`` makes it a badly run mixer whose payouts may be
funded by the depositor's own coin, so a trace walks straight through it (an exercise in why a
mixer's "different coins" matter); ``mixer: false`` leaves it out.

A mistake in a scenario file gives a :class:`~cryptotrace.errors.ScenarioError`
naming the file, the line and the field.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ScenarioError

__all__ = ["Background", "CaseSpec", "EVENTS", "Scenario", "ScenarioBuilder", "load_scenario"]

_SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_SHARE_HELP = "a share of what the suspect holds: a number from 0 to 1 (0.3), a percentage ('30%'), or 'rest'"

#: Event name -> {parameter: (kind, default, low, high)}; kinds: int, num, range, share, bool, choice, exchanges,
#: exchange, strlist.
EVENTS: dict[str, dict[str, tuple]] = {
    "market_sales": {
        "orders": ("int", 60, 1, 5000),
        "days": ("num", 14.0, 0.05, 365),
        "price_eur": ("range", (30, 300), 1, 1e6),
        "products": ("strlist", None, None, None),
    },
    "ransom_payments": {
        "victims": ("int", 3, 1, 50),
        "eur": ("range", (20_000, 80_000), 100, 1e8),
        "days": ("num", 5.0, 0, 365),
    },
    "theft": {
        "btc": ("num", 50.0, 0.01, 400),
        "exchange": ("exchange", None, None, None),
        "outputs": ("int", 4, 1, 50),
    },
    "wait": {"days": ("num", 1.0, 0, 365)},
    "consolidate": {},
    "split": {"parts": ("int", 4, 2, 100), "share": ("share", "rest", None, None)},
    "peel_chain": {
        "share": ("share", "rest", None, None),
        "hops": ("int", 6, 1, 200),
        "exchanges": ("exchanges", 2, None, None),
        "peel": ("range", (0.05, 0.2), 0.001, 0.9),
    },
    "coinjoin": {
        "share": ("share", "rest", None, None),
        "kind": ("choice", "whirlpool", ("whirlpool", "wasabi"), None),
    },
    "mixer": {"share": ("share", "rest", None, None), "outputs": ("int", 3, 1, 20), "delay_days": ("num", 0.5, 0, 30)},
    "cash_out": {"share": ("share", "rest", None, None), "exchanges": ("exchanges", 1, None, None)},
    "cold_storage": {
        "share": ("share", "rest", None, None),
        "addresses": ("int", 3, 1, 20),
        "xpub_on_phone": ("bool", True, None, None),
    },
}
INCOME = ("market_sales", "ransom_payments", "theft")
WALLETS = ("core", "electrum", "mobile", "legacy", "nested", "taproot", "upgrade")

_BG_FIELDS = {
    "txs": ("int", 10_000, 100, 5_000_000),
    "users": ("int", None, 20, 1_000_000),
    "exchanges": ("int", 4, 1, 8),
    "merchants": ("int", 8, 0, 12),
    "mining_pools": ("int", 3, 1, 5),
    "vendors": ("int", 6, 0, 10),
    "buyers_share": ("num", 0.08, 0.0, 0.9),
    "whirlpool": ("bool", True, None, None),
    "wasabi": ("bool", True, None, None),
    "mixer": ("bool", True, None, None),
    "coinjoin_variants": ("bool", False, None, None),
}
_MIXER_FIELDS = ("leaky",)
_TOP_FIELDS = ("name", "title", "seed", "start", "days", "first_height", "background", "cases")
_CASE_FIELDS = ("id", "title", "briefing", "start_day", "suspect", "events")
_SUSPECT_FIELDS = ("name", "real_name", "wallet", "jurisdiction")


@dataclass(frozen=True)
class Background:
    """The everyday economy the cases hide in."""

    txs: int = 10_000
    users: int | None = None
    exchanges: int = 4
    merchants: int = 8
    mining_pools: int = 3
    vendors: int = 6
    buyers_share: float = 0.08
    whirlpool: bool = True
    wasabi: bool = True
    mixer: bool = True
    #: a badly run mixer (``mixer: {leaky: true}``): its payouts may be funded by a reserve coin that holds
    #: only the same person's deposit, so a trace walks straight through it (see ``economy.Mixer``)
    mixer_leaky: bool = False
    #: every CoinJoin family (WabiSabi, JoinMarket, Whirlpool surge cycles) and the look-alikes
    #: (STONEWALL, token transfers, equal-amount batches, 1-2-5 consolidations), for measuring the detectors
    coinjoin_variants: bool = False

    def __post_init__(self):
        if self.users is None:
            object.__setattr__(self, "users", max(150, self.txs // 12))


@dataclass(frozen=True)
class CaseSpec:
    """One embedded case: a suspect and the events of their story."""

    id: str
    title: str = ""
    briefing: str = ""
    start_day: float = 0.5
    suspect: dict = field(default_factory=dict)
    events: tuple = ()  # ((event name, {param: value}), ...)


@dataclass(frozen=True)
class Scenario:
    """A whole case file: background economy, embedded cases, seed (see the module docstring).

    Examples
    --------
    >>> from cryptotrace.cases import load_scenario
    >>> scenario = load_scenario("sample_data/scenarios/sample.yaml")
    >>> scenario.seed == load_scenario("sample_data/scenarios/sample.yaml").seed
    True
    """

    name: str = "economy"
    title: str = "A synthetic Bitcoin economy"
    seed: int = 0
    days: float = 7.0
    start: str = "2024-06-27"
    first_height: int = 850_000
    background: Background = field(default_factory=Background)
    cases: tuple = ()

    @classmethod
    def background_only(cls, *, txs: int, days: float, seed: int = 0) -> Scenario:
        return cls(seed=seed, days=days, background=Background(txs=txs))

    @classmethod
    def builder(
        cls, name: str, *, title: str = "", seed: int = 0, days: float = 14.0, start: str = "2024-06-27"
    ) -> ScenarioBuilder:
        """Start a scenario in Python (the equivalent of a scenario file)."""
        return ScenarioBuilder(name, title=title, seed=seed, days=days, start=start)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "scenario", marks: dict | None = None) -> Scenario:
        """Check and build a scenario from plain data (what a YAML file holds)."""
        return _Validator(source, marks or {}).scenario(data)

    def with_seed(self, seed: int) -> Scenario:
        return dataclasses.replace(self, seed=int(seed))

    def to_dict(self) -> dict:
        bg = dataclasses.asdict(self.background)
        if bg.pop("mixer_leaky"):
            bg["mixer"] = {"leaky": True}
        return {
            "name": self.name,
            "title": self.title,
            "seed": self.seed,
            "start": self.start,
            "days": self.days,
            "first_height": self.first_height,
            "background": bg,
            "cases": [
                {
                    "id": c.id,
                    "title": c.title,
                    **({"briefing": c.briefing} if c.briefing else {}),
                    "start_day": c.start_day,
                    "suspect": dict(c.suspect),
                    "events": [{n: _plain(p)} for n, p in c.events],
                }
                for c in self.cases
            ],
        }

    def to_yaml(self, path=None) -> str:
        """The scenario as YAML text (written to ``path`` if given)."""
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            from ..io.files import atomic_write_text

            atomic_write_text(path, text)
        return text

    def __repr__(self) -> str:
        cases = ", ".join(c.id for c in self.cases) or "no cases"
        return (
            f"<Scenario {self.name!r}: ~{self.background.txs:,} txs over {self.days:g} days, seed {self.seed}, "
            f"cases: {cases}>"
        )


def _plain(p: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.items()}


# ---------------------------------------------------------------------- builder
class ScenarioBuilder:
    """Build a :class:`Scenario` step by step in Python (checked like a file)."""

    def __init__(self, name, *, title, seed, days, start):
        self._d = {
            "name": name,
            "title": title or name,
            "seed": seed,
            "days": days,
            "start": start,
            "background": {},
            "cases": [],
        }

    def background(self, **kw) -> ScenarioBuilder:
        self._d["background"].update(kw)
        return self

    def case(
        self, id: str, *, title: str = "", suspect: dict | None = None, start_day: float = 0.5, briefing: str = ""
    ) -> _CaseBuilder:
        c = {"id": id, "title": title or id, "start_day": start_day, "suspect": dict(suspect or {}), "events": []}
        if briefing:
            c["briefing"] = briefing
        self._d["cases"].append(c)
        return _CaseBuilder(self, c)

    def to_dict(self) -> dict:
        return self._d

    def build(self) -> Scenario:
        return Scenario.from_dict(self._d, source=f"scenario {self._d['name']!r} (Python)")


class _CaseBuilder:
    def __init__(self, parent: ScenarioBuilder, c: dict):
        self._parent, self._c = parent, c

    def event(self, name: str, **params) -> _CaseBuilder:
        self._c["events"].append({name: params})
        return self

    def __getattr__(self, name):
        if name in EVENTS:
            return lambda **params: self.event(name, **params)
        if hasattr(self._parent, name):  # .case(...), .build() ... end this case
            return getattr(self._parent, name)
        raise AttributeError(f"a case has no event {name!r}; events are {', '.join(EVENTS)}")


# ---------------------------------------------------------------------- loading
def load_scenario(path) -> Scenario:
    """Read a scenario YAML file; a mistake gives a ScenarioError naming the line and the field.

    Examples
    --------
    >>> from cryptotrace.cases import load_scenario
    >>> from cryptotrace.io.sample import sample_data_dir
    >>> sc = load_scenario(sample_data_dir() / "scenarios" / "sample.yaml")
    >>> sc.background.txs >= 30_000
    True
    """
    from .._yaml import compose_text, read_text

    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"no scenario file at {path}; check the path (scenario files end in .yaml)")
    node = compose_text(read_text(path, ScenarioError), str(path), ScenarioError)
    if node is None:
        raise ScenarioError(f"{path} is empty; a scenario needs at least a name, days and background")
    marks: dict = {}
    data = _to_python(node, (), marks, str(path))
    return Scenario.from_dict(data, source=str(path), marks=marks)


def _to_python(node, path: tuple, marks: dict, source: str):
    import yaml

    marks[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            key = k.value
            if key in out:
                raise ScenarioError(
                    f"{source}, line {k.start_mark.line + 1}: field {_dotted(path + (key,))!r} appears twice; keep one"
                )
            out[key] = _to_python(v, path + (key,), marks, source)
            marks[path + (key,)] = k.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, path + (i,), marks, source) for i, v in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
        raise ScenarioError(
            f"{source}, line {node.start_mark.line + 1}: the value {node.value!r:.60} cannot be "
            f"read ({getattr(exc, 'problem', None) or exc}); check dates (YYYY-MM-DD, a real "
            "day) and numbers"
        ) from None


def _dotted(path: tuple) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s or "(top)"


class _Validator:
    def __init__(self, source: str, marks: dict):
        self.source, self.marks = source, marks

    def fail(self, path: tuple, problem: str, fix: str = ""):
        line = None
        p = path
        while p is not None:
            if p in self.marks:
                line = self.marks[p]
                break
            p = p[:-1] if p else None
        where = f"{self.source}, line {line}" if line else self.source
        raise ScenarioError(f"{where}, field {_dotted(path)!r}: {problem}" + (f". {fix}" if fix else ""))

    def mapping(self, value, path, allowed):
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"should be a mapping of {', '.join(allowed)}, not {type(value).__name__}")
        for k in value:
            if k not in allowed:
                near = difflib.get_close_matches(str(k), allowed, n=1)
                hint = f"did you mean {near[0]!r}?" if near else f"known fields: {', '.join(allowed)}"
                self.fail(path + (k,), f"unknown field {k!r}", hint)
        return value

    def value(self, v, path, kind, default, lo, hi, *, exchanges=()):
        if v is None:
            return default
        if kind == "int":
            if isinstance(v, bool) or not isinstance(v, int):
                self.fail(path, f"should be a whole number, not {v!r}")
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                self.fail(path, f"{v} is out of range", f"use a number from {lo:,} to {hi:,}")
            return int(v)
        if kind == "num":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.fail(path, f"should be a number, not {v!r}")
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                self.fail(path, f"{v} is out of range", f"use a number from {lo:g} to {hi:g}")
            return float(v)
        if kind == "bool":
            if not isinstance(v, bool):
                self.fail(path, f"should be true or false, not {v!r}")
            return v
        if kind == "range":
            if not (
                isinstance(v, (list, tuple))
                and len(v) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            ):
                self.fail(path, f"should be two numbers [low, high], not {v!r}")
            a, b = float(v[0]), float(v[1])
            if a > b or a < lo or b > hi:
                self.fail(path, f"[{v[0]}, {v[1]}] is not a range from low to high within {lo:g} .. {hi:g}")
            return (a, b)
        if kind == "share":
            if isinstance(v, str):
                t = v.strip().lower()
                if t in ("rest", "all"):
                    return "rest"
                if t.endswith("%"):
                    try:
                        v = float(t[:-1]) / 100
                    except ValueError:
                        self.fail(path, f"{v!r} is not a share", _SHARE_HELP)
                else:
                    self.fail(path, f"{v!r} is not a share", _SHARE_HELP)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                self.fail(path, f"{v!r} is not a share", _SHARE_HELP)
            return "rest" if v >= 1 else float(v)
        if kind == "choice":
            if v not in lo:
                self.fail(path, f"{v!r} is not one of {', '.join(lo)}")
            return v
        if kind == "strlist":
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                self.fail(path, "should be a list of names")
            return tuple(v)
        if kind in ("exchanges", "exchange"):
            if isinstance(v, bool):
                self.fail(path, f"should name exchanges or give how many, not {v!r}")
            if isinstance(v, int):
                if kind == "exchange":
                    if not 1 <= v <= len(exchanges):
                        self.fail(
                            path,
                            f"there is no exchange number {v}",
                            f"the background has {len(exchanges)} exchanges: {', '.join(exchanges)}",
                        )
                    return exchanges[v - 1]
                if not 1 <= v <= len(exchanges):
                    self.fail(
                        path,
                        f"{v} exchanges asked for, the background has {len(exchanges)}",
                        "lower the number or raise background.exchanges",
                    )
                return v
            names = [v] if isinstance(v, str) else v
            if not isinstance(names, list) or not names:
                self.fail(path, f"should be a number or a list of exchange names, not {v!r}")
            low = {e.lower(): e for e in exchanges}
            out = []
            for i, n in enumerate(names):
                if not isinstance(n, str) or n.lower() not in low:
                    self.fail(
                        path,
                        f"{n!r} is not an exchange of this economy",
                        f"the background's exchanges are {', '.join(exchanges)}",
                    )
                out.append(low[n.lower()])
            return out[0] if kind == "exchange" else tuple(out)
        raise AssertionError(kind)

    def scenario(self, d) -> Scenario:
        from .economy import EXCHANGE_NAMES

        d = self.mapping(d, (), _TOP_FIELDS)
        for req in ("name", "days"):
            if req not in d:
                self.fail((), f"the scenario lacks {req!r}", "add it at the top of the file")
        name = d["name"]
        if not isinstance(name, str) or not _SLUG.match(name):
            self.fail(
                ("name",), f"{name!r} is not a short name", "use lower-case letters, digits, - and _ (it names folders)"
            )
        title = d.get("title") or name
        if not isinstance(title, str):
            self.fail(("title",), "should be text")
        seed = self.value(d.get("seed"), ("seed",), "int", 0, 0, 2**63 - 1)
        days = self.value(d.get("days"), ("days",), "num", 7.0, 0.05, 400)
        start = d.get("start", "2024-06-27")
        if isinstance(start, (_dt.date, _dt.datetime)):
            start = start.isoformat()[:10]
        try:
            import pandas as pd

            pd.Timestamp(str(start))
        except (ValueError, TypeError):
            self.fail(("start",), f"{start!r} is not a date", "write it like 2024-06-27")
        first_height = self.value(d.get("first_height"), ("first_height",), "int", 850_000, 1, 10_000_000)
        bgd = self.mapping(d.get("background"), ("background",), tuple(_BG_FIELDS))
        mixer = bgd.get("mixer")
        leaky = False
        if isinstance(mixer, dict):  # mixer: {leaky: true} -- a badly run mixer (on, and leaky)
            m = self.mapping(mixer, ("background", "mixer"), _MIXER_FIELDS)
            leaky = self.value(m.get("leaky"), ("background", "mixer", "leaky"), "bool", False, None, None)
            bgd = {**bgd, "mixer": True}
        elif mixer is not None and not isinstance(mixer, bool):
            self.fail(
                ("background", "mixer"),
                f"should be true, false or {{leaky: true}}, not {mixer!r}",
                "write mixer: true (a mixer that pays out in different coins), mixer: false (none) or "
                "mixer: {leaky: true} (a badly run mixer whose payouts can hold the depositor's own coin)",
            )
        bg_kw = {k: self.value(bgd.get(k), ("background", k), *spec) for k, spec in _BG_FIELDS.items()}
        bg_kw["mixer_leaky"] = leaky
        bg = Background(**bg_kw)
        exchanges = tuple(n for n, _ in EXCHANGE_NAMES[: bg.exchanges])
        cases_raw = d.get("cases") or []
        if not isinstance(cases_raw, list):
            self.fail(("cases",), "should be a list of cases (each starting with '- id: ...')")
        cases, seen = [], set()
        for i, c in enumerate(cases_raw):
            p = ("cases", i)
            c = self.mapping(c, p, _CASE_FIELDS)
            cid = c.get("id")
            if not isinstance(cid, str) or not _SLUG.match(cid):
                self.fail(p + ("id",), f"{cid!r} is not a short case id", "use lower-case letters, digits and _")
            if cid in seen:
                self.fail(p + ("id",), f"case id {cid!r} is used twice", "give every case its own id")
            seen.add(cid)
            start_day = self.value(c.get("start_day"), p + ("start_day",), "num", 0.5, 0, days)
            sus = self.mapping(c.get("suspect"), p + ("suspect",), _SUSPECT_FIELDS)
            for k in ("name", "real_name", "jurisdiction"):
                if k in sus and not isinstance(sus[k], str):
                    self.fail(p + ("suspect", k), "should be text")
            if sus.get("wallet", "electrum") not in WALLETS:
                self.fail(
                    p + ("suspect", "wallet"),
                    f"{sus['wallet']!r} is not a wallet profile",
                    f"use one of {', '.join(WALLETS)}",
                )
            evs_raw = c.get("events")
            if not isinstance(evs_raw, list) or not evs_raw:
                self.fail(p + ("events",), "a case needs a list of events", f"start with one of {', '.join(INCOME)}")
            events = []
            for j, ev in enumerate(evs_raw):
                q = p + ("events", j)
                if isinstance(ev, str):
                    ev = {ev: None}
                if not isinstance(ev, dict) or len(ev) != 1:
                    self.fail(q, "each event is one name with its settings, like '- peel_chain: {hops: 6}'")
                ((ename, params),) = ev.items()
                if ename not in EVENTS:
                    near = difflib.get_close_matches(str(ename), list(EVENTS), n=1)
                    hint = f"did you mean {near[0]!r}?" if near else f"events are {', '.join(EVENTS)}"
                    self.fail(q + (ename,), f"unknown event {ename!r}", hint)
                spec = EVENTS[ename]
                params = self.mapping(params, q + (ename,), tuple(spec))
                vals = {k: self.value(params.get(k), q + (ename, k), *s, exchanges=exchanges) for k, s in spec.items()}
                if ename == "theft" and vals["exchange"] is None:
                    vals["exchange"] = exchanges[0]
                if j == 0 and ename not in INCOME:
                    self.fail(
                        q + (ename,),
                        f"the first event must bring the money in, not {ename!r}",
                        f"start with one of {', '.join(INCOME)}",
                    )
                if ename == "market_sales" and bg.vendors < 1:
                    self.fail(
                        q + (ename,), "market sales need the darknet market", "set background.vendors to 1 or more"
                    )
                if ename == "coinjoin" and not getattr(bg, vals["kind"]):
                    self.fail(q + (ename, "kind"), f"a {vals['kind']} CoinJoin needs background.{vals['kind']}: true")
                if ename == "mixer" and not bg.mixer:
                    self.fail(q + (ename,), "the mixer is switched off", "set background.mixer: true")
                events.append((ename, vals))
            cases.append(
                CaseSpec(
                    id=cid,
                    title=str(c.get("title") or cid),
                    briefing=str(c.get("briefing") or ""),
                    start_day=start_day,
                    suspect=dict(sus),
                    events=tuple(events),
                )
            )
        return Scenario(
            name=name,
            title=title,
            seed=seed,
            days=days,
            start=str(start)[:10],
            first_height=first_height,
            background=bg,
            cases=tuple(cases),
        )
