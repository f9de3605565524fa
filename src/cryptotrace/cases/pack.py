"""Case packs: everything a trainee gets for a case, plus the instructor's answers, in one folder.

Layout (``cryptotrace case new SCENARIO.yaml -o PACK``)::

    PACK/
      case.yaml               name, title, the cases, the dataset's SHA-256 (no seed, no answers)
      briefing.md             the story so far, what is in the evidence, the questions
      dataset/                the chain (a cryptotrace dataset: load it with load_case(PACK).chain)
      evidence/               artefacts: market listing, seized-phone note, ransom notes, incident report
      questions.yaml          the questions, with salted memory-hard hashes for self-checking (no answers)
      prices.csv              the simulated economy's BTC price per block (btc_eur, btc_usd): not market prices
      tags.yaml               public attribution (GraphSense TagPack): exchanges' hot wallets, the market ...
      legal_responses/        what each exchange answered to a production order (CSV: address, label,
                              category, jurisdiction, account_holder, source)
      instructor/             NOT for trainees: remove it before handing the pack out
        answer_key/           the ground truth (AnswerKey.save), with the pack's random check secret
        answers.yaml          the plain answers
        solutions.md          the answers with the transactions that show them
        scenario.yaml         the scenario (with its seed) that made this pack

The same scenario and seed give the same chain, evidence and answers. The salts of the
self-check come from a random secret made for each pack (``secrets.token_bytes``) and kept
only in ``instructor/answer_key``: neither the scenario nor its seed gives them away. The same
scenario, seed and ``secret=`` give a byte-identical pack.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import shutil
from pathlib import Path

import yaml

from ..errors import CaseError
from ..io.files import atomic_folder
from ..prices import synthetic_price_csv
from ..units import format_btc
from .checking import SCHEME, hash_question, question_salt, strip_hints
from .questions import case_questions

__all__ = ["make_case", "trainee_copy", "upgrade_pack", "PACK_FORMAT"]

PACK_FORMAT = "cryptotrace-case-pack"
PACK_VERSION = 1


def _btc(sats) -> str:
    return format_btc(int(sats))


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def make_case(
    scenario,
    out,
    *,
    seed: int | None = None,
    variants: int = 1,
    overwrite: bool = False,
    exam: bool = False,
    secret: bytes | str | None = None,
):
    """Write a case pack (or several variants) for a scenario.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A :class:`Scenario` or the path of a scenario YAML file.
    out : str or Path
        The pack folder to create. With ``variants > 1``, the folder holds
        ``variant_01``, ``variant_02`` ... (one per trainee, seeds seed, seed+1 ...).
    seed : int, optional
        Overrides the scenario's seed.
    variants : int, default 1
    overwrite : bool, default False
        Replace an existing pack.
    exam : bool, default False
        An exam pack: ``case.check`` says only right or not right, and ``questions.yaml``
        holds nothing that could give a hint. (A tutorial pack can also be handed out as
        an exam: ``trainee_copy(..., exam=True)``.)
    secret : bytes or hex str, optional
        The pack's check secret (the self-check salts come from it). Default: 32 fresh random
        bytes. Give a pack's own ``load_answer_key(PACK).check_secret`` to remake it byte for byte.

    Returns
    -------
    Path or list of Path
        The pack folder (or the variant folders).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from cryptotrace.io.sample import sample_data_dir
    >>> scenario = sample_data_dir() / "scenarios" / "nps_vendor.yaml"
    >>> pack = make_case(scenario, pathlib.Path(tempfile.mkdtemp()) / "greenleaf")
    >>> sorted(p.name for p in pack.iterdir())[:3]
    ['briefing.md', 'case.yaml', 'dataset']
    """
    from .scenario import Scenario, load_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if seed is not None:
        sc = sc.with_seed(seed)
    out = Path(out)
    if variants < 1:
        raise CaseError(f"variants must be 1 or more, not {variants}")
    if isinstance(secret, str):
        try:
            secret = bytes.fromhex(secret)
        except ValueError:
            raise CaseError("secret must be bytes or hex text (an answer key's check_secret)") from None
    if secret is not None and len(secret) < 16:
        raise CaseError(f"a check secret of {len(secret)} bytes is guessable; use 16 or more (or leave it out)")
    if variants == 1:
        return _write_pack(sc, out, overwrite=overwrite, secret=secret or secrets.token_bytes(32), exam=exam)

    def variant_secret(i):
        if secret is None:
            return secrets.token_bytes(32)
        return hmac.new(secret, f"cryptotrace-variant:{i}".encode(), "sha256").digest()

    return [
        _write_pack(
            sc.with_seed(sc.seed + i),
            out / f"variant_{i + 1:02d}",
            overwrite=overwrite,
            secret=variant_secret(i),
            exam=exam,
        )
        for i in range(variants)
    ]


def trainee_copy(pack, out, *, overwrite: bool = False, exam: bool = False):
    """Copy a case pack without its ``instructor/`` folder: the version to hand to a trainee.

    ``pack`` may also be a folder of variants (``make_case(..., variants=K)``): each variant is
    copied to ``out/<variant name>`` and the list of copies is returned.

    ``exam=True`` makes an exam handout: the hint hashes are left out of ``questions.yaml``
    and ``case.check`` says only right or not right.

    Examples
    --------
    >>> import cryptotrace as ct, pathlib, tempfile
    >>> out = ct.trainee_copy("sample_data/cases/nps_vendor", pathlib.Path(tempfile.mkdtemp()) / "handout")
    >>> (out / "instructor").exists()                   # the answer key stays behind
    False
    """
    pack, out = Path(pack), Path(out)
    if not (pack / "case.yaml").exists():
        variants = sorted(p for p in pack.iterdir() if (p / "case.yaml").exists()) if pack.is_dir() else []
        if not variants:
            raise CaseError(
                f"{pack} is not a case pack (no case.yaml) nor a folder of variants (no subfolder with a case.yaml)"
            )
        if out.exists() and not overwrite and any(out.iterdir()):
            raise CaseError(f"{out} already exists; choose another folder or pass overwrite=True (--overwrite)")
        return [trainee_copy(v, out / v.name, overwrite=True, exam=exam) for v in variants]
    if out.exists() and not overwrite:
        raise CaseError(f"{out} already exists; choose another folder or pass overwrite=True (--overwrite)")
    if out.exists() and not (out / "case.yaml").exists() and any(out.iterdir()):
        raise CaseError(f"{out} exists and is not a case pack; refusing to replace it")
    if exam and (pack / "questions.yaml").exists():
        body = yaml.safe_load((pack / "questions.yaml").read_text(encoding="utf-8")) or {}
        if any(q.get("check", {}).get("scheme") != SCHEME for q in body.get("questions", [])):
            raise CaseError(
                f"{pack} was made by an older cryptotrace whose self-check gives answers away to a "
                f"program; run 'cryptotrace case upgrade {pack}' before making an exam handout"
            )
    with atomic_folder(out) as tmp:
        shutil.copytree(
            pack, tmp, dirs_exist_ok=True, ignore=lambda d, names: ["instructor"] if Path(d) == pack else []
        )
        if exam:
            meta = yaml.safe_load((tmp / "case.yaml").read_text(encoding="utf-8")) or {}
            meta["exam"] = True
            (tmp / "case.yaml").write_text(_yaml(meta), encoding="utf-8")
            qf = tmp / "questions.yaml"
            if qf.exists():
                body = yaml.safe_load(qf.read_text(encoding="utf-8")) or {}
                body["questions"] = [strip_hints(q) for q in body.get("questions", [])]
                qf.write_text(_yaml(body), encoding="utf-8")
    return out


def upgrade_pack(pack, *, secret: bytes | None = None) -> Path:
    """Remake the self-check of a pack made by an older cryptotrace (instructors: it needs ``instructor/``).

    The old ``questions.yaml`` kept hashes a program could climb digit by digit. This writes new
    memory-hard hashes from ``instructor/answers.yaml`` with a fresh random secret, which it
    stores in the answer key. Everything else in the pack stays as it is.
    """
    pack = Path(pack)
    answers_file = pack / "instructor" / "answers.yaml"
    if not answers_file.exists():
        raise CaseError(
            f"{pack} has no instructor/answers.yaml; only the instructor's copy of a pack can be "
            "upgraded. Trainees: ask your instructor for a new handout"
        )
    from .answer_key import AnswerKey

    answers = (yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}).get("answers", {})
    qf = pack / "questions.yaml"
    body = yaml.safe_load(qf.read_text(encoding="utf-8")) or {}
    meta = yaml.safe_load((pack / "case.yaml").read_text(encoding="utf-8")) or {}
    secret = secret or secrets.token_bytes(32)
    questions = []
    for q in body.get("questions", []):
        if q["id"] not in answers:
            raise CaseError(f"instructor/answers.yaml has no answer for {q['id']}; cannot upgrade {pack}")
        questions.append(_question_entry(q, answers[q["id"]], secret, exam=bool(meta.get("exam"))))
    body["questions"] = questions
    qf.write_text(_yaml(body), encoding="utf-8")
    key_dir = pack / "instructor" / "answer_key"
    if (key_dir / "manifest.json").exists():
        key = AnswerKey.load(key_dir)
        key.check_secret = secret.hex()
        key.save(key_dir)
    return pack


def _question_entry(q: dict, answer, secret: bytes, *, exam: bool) -> dict:
    """A question of questions.yaml with a fresh check block (``answer`` as in answers.yaml)."""
    entry = {k: v for k, v in q.items() if k != "check"}
    extra = {}
    if q["kind"] == "amount":
        answer = answer["sats"] if isinstance(answer, dict) else answer
        extra["tolerance"] = int(entry.setdefault("tolerance_sats", 0))
        extra["unit"] = entry.setdefault("unit", "BTC")
    entry["check"] = hash_question(q["kind"], answer, question_salt(secret, q["id"]), exam=exam, **extra)
    return entry


def _write_pack(sc, out: Path, *, overwrite: bool, secret: bytes, exam: bool = False) -> Path:
    from .generate import run_scenario

    if out.exists() and not overwrite:
        raise CaseError(f"{out} already exists; choose another folder or pass overwrite=True (--overwrite)")
    if out.exists() and not (out / "case.yaml").exists() and any(out.iterdir()):
        raise CaseError(f"{out} exists and is not a case pack; refusing to replace it. Choose an empty or new folder")
    chain, key, eco, stories = run_scenario(sc)
    with atomic_folder(out) as tmp:
        chain.save(tmp / "dataset")
        content = PackContent(sc, chain, key, eco, stories, secret=secret, exam=exam)
        for rel, text in content.files().items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        key.check_secret = secret.hex()
        key.save(tmp / "instructor" / "answer_key")
    return out


def _yaml(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


class PackContent:
    """Builds the text files of a pack from the scenario, chain, answer key and stories."""

    def __init__(self, sc, chain, key, eco, stories, *, secret: bytes, exam: bool = False):
        self.sc, self.chain, self.key, self.eco, self.stories = sc, chain, key, eco, stories
        self.secret, self.exam = secret, exam
        self.questions: list[dict] = []
        self.answers: dict = {}
        self.explain: dict = {}
        self.evidence: dict[str, str] = {}
        # draws the other customers' rows of the legal responses (not the check salts: those come from secret)
        self._salt_seed = hashlib.sha256(f"cryptotrace-salt:{sc.name}:{sc.seed}".encode()).hexdigest()

    # ------------------------------------------------------------------ questions
    def _q(self, case_id: str, name: str, kind: str, text: str, answer, explanation: str, **extra):
        qid = f"{case_id}.{name}"
        entry = {"id": qid, "case": case_id, "kind": kind, "text": text}
        if kind == "amount":
            entry["unit"] = "BTC"
            entry["tolerance_sats"] = int(extra.get("tolerance_sats", 0))
        self.questions.append(_question_entry(entry, answer, self.secret, exam=self.exam))
        if kind == "amount":
            self.answers[qid] = {"sats": int(answer), "btc": _btc(answer)}
        elif kind == "list":
            self.answers[qid] = sorted(str(x) for x in answer)
        else:
            self.answers[qid] = answer if not hasattr(answer, "item") else answer.item()
        self.explain[qid] = (text, explanation)

    def build_questions(self):
        for st in self.stories:
            for qq in case_questions(st.case_id, self.key.facts[st.case_id]):
                extra = {"tolerance_sats": qq["tolerance_sats"]} if "tolerance_sats" in qq else {}
                self._q(
                    st.case_id,
                    qq["id"].split(".", 1)[1],
                    qq["kind"],
                    qq["text"],
                    qq["answer"],
                    qq["explanation"],
                    **extra,
                )

    # ------------------------------------------------------------------ files
    def files(self) -> dict[str, str]:
        self.build_questions()
        self.build_evidence()
        files = {
            "case.yaml": _yaml(
                {
                    "format": PACK_FORMAT,
                    "version": PACK_VERSION,
                    "name": self.sc.name,
                    "title": self.sc.title,
                    "cases": [{"id": c.id, "title": c.title} for c in self.sc.cases],
                    "dataset": "dataset",
                    "dataset_sha256": self.chain.content_hash,
                    **({"exam": True} if self.exam else {}),
                }
            ),
            "questions.yaml": _yaml(
                {
                    "case": self.sc.name,
                    "how_to_check": (
                        "case = cryptotrace.load_case(PACK); case.check(QUESTION_ID, ANSWER). Amounts are in BTC "
                        "(or text like '12,500 sats'); lists are Python lists or comma-separated text."
                    ),
                    "questions": self.questions,
                }
            ),
            "briefing.md": self.briefing(),
            "tags.yaml": self.tagpack(),
            "instructor/answers.yaml": _yaml({"case": self.sc.name, "seed": self.sc.seed, "answers": self.answers}),
            "instructor/solutions.md": self.solutions(),
            "instructor/scenario.yaml": self.sc.to_yaml(),
            # the economy's own BTC price per block (EUR walk; USD via the ECB rate): amounts in euros
            # and dollars in this case are read from it (cryptotrace.prices.for_chain), not from market prices
            "prices.csv": synthetic_price_csv(self.eco.block_times, self.eco.prices),
        }
        for name, text in self.evidence.items():
            files[f"evidence/{name}"] = text
        for service, text in self.legal_responses().items():
            files[f"legal_responses/{service}.csv"] = text
        return files

    def build_evidence(self):
        for st in self.stories:
            f = self.key.facts[st.case_id]
            for e in f["events"]:
                if e["event"] == "market_sales":
                    prices = ", ".join(e["products"])
                    self.evidence[f"{st.case_id}_market_listing.md"] = (
                        f"# Vendor page on {e['market']} (captured by an undercover officer)\n\n"
                        f"**Vendor:** {f['suspect_name']}  \n**Ships from:** EU  \n**Sales:** {e['orders']}+  \n"
                        f"**Products:** {prices}\n\n"
                        "> All orders are paid through market escrow. For refunds and direct deals, my BTC address:\n"
                        f">\n> `{e['refund_address']}`\n\n"
                        "Note: this is the address the market pays the vendor's sales to.\n"
                    )
                elif e["event"] == "cold_storage" and e["xpub_on_phone"]:
                    self.evidence[f"{st.case_id}_seized_phone.md"] = (
                        "# Seized phone: note found in the notes app\n\n"
                        "Extracted by the digital forensics unit. The note is titled `hw backup - watch only`.\n\n"
                        f"```\n{e['xpub']}\n{e['derivation_path']}  native segwit\n```\n\n"
                        "A `zpub` is an account public key: it shows every address of the wallet but cannot spend. "
                        "List its first receive addresses with the coins the chain holds at them:\n\n"
                        '```python\nzpub = case.evidence.xpub("' + f"{st.case_id}_seized_phone.md" + '")\n'
                        "ct.show(ct.wallet_addresses(case.chain, zpub, count=10))\n```\n"
                    )
                elif e["event"] == "ransom_payments":
                    lines = ["# Ransom notes handed in by the victims\n"]
                    for i, p in enumerate(e["payments"], 1):
                        lines.append(
                            f"## Victim {i}\n\n> Your files are encrypted. To get the decryptor, pay the "
                            f"equivalent of EUR {p['eur']:,.0f} in Bitcoin to:\n>\n> `{p['address']}`\n"
                        )
                    self.evidence[f"{st.case_id}_ransom_notes.md"] = "\n".join(lines)
                elif e["event"] == "theft":
                    t = self.chain.txs.set_index("txid").loc[e["txid"]]
                    self.evidence[f"{st.case_id}_incident_report.md"] = (
                        f"# Incident report from {e['exchange']}\n\n"
                        f"On {str(t['time'])[:16]} UTC (block {int(t['block_height']):,}) an attacker used a stolen "
                        f"signing key to send coins out of our hot wallet `{e['hot_wallet_address']}`.\n\n"
                        f"Unauthorised transaction: `{e['txid']}`\n\n"
                        "We ask the police to trace the stolen coins and to tell us where they can be frozen.\n"
                    )

    def briefing(self) -> str:
        """The briefing (Markdown). Scenario text is escaped: it cannot add headings, links, HTML or code."""
        from .._safe import md_block, md_code, md_inline

        sc = self.sc
        lines = [
            f"# {md_inline(sc.title)}",
            "",
            f"This case pack holds a Bitcoin dataset of {len(self.chain):,} transactions "
            f"({str(self.chain.blocks.time.min())[:10]} to {str(self.chain.blocks.time.max())[:10]}). "
            "Somewhere in it are the payments of the case(s) below.",
            "",
        ]
        for c in sc.cases:
            lines += [f"## {md_inline(c.title)}", ""]
            if c.briefing:
                lines += [md_block(c.briefing.strip()), ""]
            ev = [n for n in sorted(self.evidence) if n.startswith(c.id + "_")]
            if ev:
                lines += ["Evidence: " + ", ".join(md_code(f"evidence/{n}") for n in ev), ""]
            qs = [q for q in self.questions if q["case"] == c.id]
            if qs:
                lines += ["Questions:", ""] + [f"- {md_code(q['id'])}: {md_inline(q['text'])}" for q in qs] + [""]
        lines += [
            "## What you have",
            "",
            '- `dataset/`: the chain. `case = cryptotrace.load_case("PACK")`, then `case.chain`.',
            "- `tags.yaml`: public attribution (known exchange hot wallets, the market, the mixer ...).",
            "- `legal_responses/`: what exchanges answered to production orders for deposit addresses.",
            '- `questions.yaml`: check an answer with `case.check("QUESTION_ID", answer)`.',
            "",
        ]
        return "\n".join(lines)

    def tagpack(self) -> str:
        eco, key = self.eco, self.key
        a_of = key.facts["economy"]
        tags = []
        where = {ex.name: ex.jurisdiction for ex in eco.exchanges}  # a hot wallet's tag names its service's country
        for name, info in a_of["exchanges"].items():
            for addr in info["hot_wallet_addresses"]:
                tag = {
                    "address": addr,
                    "label": f"{name} hot wallet",
                    "category": "exchange",
                    "actor": slug(name),
                    "confidence": "service_data",
                    "source": f"{name} proof-of-reserves page",
                }
                if where.get(name) and where[name] != "unknown":
                    tag["jurisdiction"] = where[name]
                tags.append(tag)
        m = a_of.get("market")
        if m:
            for addr in m["hot_wallet_addresses"]:
                tags.append(
                    {
                        "address": addr,
                        "label": m["name"],
                        "category": "market",
                        "abuse": "dark_web",
                        "actor": slug(m["name"]),
                        "confidence": "authority_data",
                        "source": "seizure of a market server (earlier investigation)",
                    }
                )
        for name, info in a_of["mining_pools"].items():
            tags.append(
                {
                    "address": info["coinbase_address"],
                    "label": name,
                    "category": "miner",
                    "actor": slug(name),
                    "confidence": "service_data",
                    "source": "coinbase tag in blocks",
                }
            )
        for pool, addr in sorted(a_of.get("whirlpool_fee_addresses", {}).items(), key=lambda x: int(x[0])):
            tags.append(
                {
                    "address": addr,
                    "label": f"Whirlpool-like coordinator fee ({_btc(int(pool))} pool)",
                    "category": "coinjoin",
                    "confidence": "forensic",
                    "source": "tx0 fee outputs",
                }
            )
        if a_of.get("wasabi_coordinator_address"):
            tags.append(
                {
                    "address": a_of["wasabi_coordinator_address"],
                    "label": "Wasabi-like coordinator fee",
                    "category": "coinjoin",
                    "confidence": "forensic",
                    "source": "CoinJoin fee outputs",
                }
            )
        if eco.mixer:
            addrs = self.key.addresses
            res = addrs.index[(addrs.entity == "mixer_01")]
            used = [x for x in sorted(res) if x in set(self.chain.outputs.address.dropna())][:5]
            for addr in used:
                tags.append(
                    {
                        "address": addr,
                        "label": eco.mixer.name,
                        "category": "mixing_service",
                        "abuse": "money_laundering",
                        "confidence": "forensic",
                        "source": "test deposit by an undercover officer",
                    }
                )
        on_chain = set(self.key.addresses.index)
        tags = [t for t in tags if t["address"] in on_chain]  # only addresses that appear in this chain
        end = str(self.chain.blocks.time.max())[:10]
        return _yaml(
            {
                "title": f"Public attribution for the case {self.sc.name}",
                "creator": "cryptotrace case pack",
                "description": "Known service addresses a trainee may use (synthetic).",
                "lastmod": end,
                "currency": "BTC",
                "is_public": True,
                "tags": tags,
            }
        )

    def legal_responses(self) -> dict[str, str]:
        """Per exchange: the suspects' deposit addresses with the account holder, among other requested ones.

        Names come from the scenario: every cell goes through the project's one
        CSV writer (formula cells guarded, line breaks as spaces).
        """
        import numpy as np

        from .._safe import csv_text

        eco = self.eco
        rng = np.random.default_rng(int(self._salt_seed[:8], 16))
        addr_str = None
        out = {}
        suspects = {st.entity: st for st in self.stories}
        used = set(self.key.addresses.index)
        for ex in eco.exchanges:
            mine = [(addr, cust) for addr, cust in ex.deposit_holder.items() if cust in suspects]
            if not mine:
                continue
            if addr_str is None:
                addr_str = self._addr_strings()
            others = [
                (addr, cust)
                for addr, cust in ex.deposit_holder.items()
                if cust not in suspects and addr_str[addr] in used
            ]
            k = min(len(others), 25)
            pick = sorted(rng.choice(len(others), size=k, replace=False).tolist()) if k else []
            rows = []
            date = str(self.chain.blocks.time.max())[:10]
            for addr, cust in mine + [others[i] for i in pick]:
                ent = eco.ledger.entities[cust]
                holder = ent.get("real_name") or _person(ent)
                if addr_str[addr] not in used:
                    continue
                rows.append(
                    (
                        addr_str[addr],
                        f"{ex.name} deposit address",
                        "exchange",
                        ex.jurisdiction,
                        holder,
                        f"{ex.name} reply to production order of {date}",
                    )
                )
            rows.sort()
            out[slug(ex.name)] = csv_text(
                rows,
                header=["address", "label", "category", "jurisdiction", "account_holder", "source"],
                lineterminator="\n",
            )
        return out

    def _addr_strings(self):
        return self.eco.addr_strings  # address id -> text, set when the chain was built

    def solutions(self) -> str:
        sc = self.sc
        lines = [f"# Solutions: {sc.title}", "", f"Scenario `{sc.name}`, seed {sc.seed}. Instructors only.", ""]
        for c in sc.cases:
            f = self.key.facts[c.id]
            lines += [
                f"## {c.title}",
                "",
                f"Suspect: {f['suspect_name']} ({f['suspect_real_name'] or 'name unknown'}), "
                f"entity `{f['suspect_entity']}` in the answer key.",
                f"Money in: {_btc(f['income_sats'])}. Deposited at exchanges: {_btc(f['deposited_sats'])}. "
                f"Still in the suspect's wallets at the end: {_btc(f['unspent_sats'])} "
                f"(cold storage: {_btc(f['cold_storage_sats'])}).",
                "",
            ]
            for q in self.questions:
                if q["case"] != c.id:
                    continue
                text, expl = self.explain[q["id"]]
                ans = self.answers[q["id"]]
                shown = ans["btc"] if isinstance(ans, dict) else (", ".join(ans) if isinstance(ans, list) else ans)
                lines += [f"### `{q['id']}`", "", text, "", f"**Answer:** {shown}", "", expl, ""]
        return "\n".join(lines)


def _person(ent: dict) -> str:
    # a stable, plausible account-holder name for a background customer
    first = ("Anna", "Jonas", "Sofie", "Luca", "Emma", "Noah", "Mila", "Finn", "Lena", "Ben", "Sara", "Tim")
    last = ("Jansen", "Meyer", "Dubois", "Rossi", "Novak", "Berg", "Kowalski", "Garcia", "Smit", "Weber")
    h = int(hashlib.sha256(ent["entity"].encode()).hexdigest()[:8], 16)
    return f"{first[h % len(first)]} {last[(h // 16) % len(last)]}"
