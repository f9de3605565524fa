"""The questions a case's facts allow, each with its plain answer and explanation.

Used when a case is generated (the answer key holds each question's answer) and when its pack is
written (``questions.yaml`` holds the questions, hashed; ``instructor/answers.yaml`` the answers).
"""

from __future__ import annotations

from ..units import format_btc

__all__ = ["case_questions"]


def _btc(sats) -> str:
    return format_btc(int(sats))


def case_questions(cid: str, f: dict) -> list[dict]:
    """The questions a case's facts allow, each with its plain answer and explanation."""
    out: list[dict] = []

    def q(name, kind, text, answer, explanation, **extra):
        out.append(
            {
                "id": f"{cid}.{name}",
                "case": cid,
                "kind": kind,
                "text": text,
                "answer": answer,
                "explanation": explanation,
                **extra,
            }
        )

    evs = {e["event"]: e for e in f["events"]}
    if "market_sales" in evs:
        e = evs["market_sales"]
        q(
            "paid_to_refund_address",
            "amount",
            f"How much BTC did {e['market']} pay to the vendor's refund address (in the market listing) in total?",
            e["paid_out_sats"],
            f"The market paid the vendor in {len(e['payout_txids'])} batch payouts: "
            + ", ".join(e["payout_txids"][:5])
            + (" ..." if len(e["payout_txids"]) > 5 else ""),
        )
    if "ransom_payments" in evs:
        e = evs["ransom_payments"]
        tot = sum(p["sats"] for p in e["payments"])
        q(
            "ransom_total",
            "amount",
            "How much BTC did the victims pay in ransom, in total?",
            tot,
            "The ransom payments: "
            + "; ".join(f"{p['txid']} paid {_btc(p['sats'])} to {p['address']}" for p in e["payments"]),
        )
    if "theft" in evs:
        e = evs["theft"]
        q(
            "stolen_amount",
            "amount",
            f"How much BTC did the thief take from {e['exchange']}'s hot wallet?",
            e["sats"],
            f"Transaction {e['txid']} paid {_btc(e['sats'])} to {len(e['addresses'])} addresses of the thief; "
            "the remaining output is the exchange's change back to its hot wallet.",
        )
        q(
            "theft_outputs",
            "number",
            "Into how many of the thief's addresses did the theft transaction pay the coins?",
            len(e["addresses"]),
            "The thief's addresses: " + ", ".join(e["addresses"]),
        )
    if "peel_chain" in evs:
        e = evs["peel_chain"]
        q(
            "peel_hops",
            "number",
            "How many hops (transactions) does the peel chain have, each paying a little to an exchange?",
            len(e["hop_txids"]),
            "The hops, in order: " + ", ".join(e["hop_txids"]),
        )
        q(
            "peel_deposit_addresses",
            "list",
            "List the exchange deposit addresses the peel chain paid (any order).",
            [d["address"] for d in e["deposits"]],
            "; ".join(f"{d['address']} ({d['exchange']}, {_btc(d['sats'])}, tx {d['txid']})" for d in e["deposits"]),
        )
    if "coinjoin" in evs:
        e = evs["coinjoin"]
        if e["kind"] == "whirlpool":
            q(
                "coinjoin_entry_amount",
                "amount",
                "How much BTC did the suspect put into the CoinJoin's entry transaction (the Whirlpool "
                "'tx0' that splits coins into pool-sized pieces)? Give the total of its inputs.",
                e["sats_in"],
                f"The tx0 is {e['tx0_txid']}; it made premix coins for the "
                f"{_btc(e['pool_sats'])} pool, mixed in " + ", ".join(e["mix_txids"][:5]),
            )
            q(
                "coinjoin_pool",
                "amount",
                "Which Whirlpool pool size (in BTC) did the suspect use?",
                e["pool_sats"],
                f"The tx0 {e['tx0_txid']} made outputs just above {_btc(e['pool_sats'])}.",
            )
        elif e.get("coinjoin_txids"):
            q(
                "coinjoin_txid",
                "txid",
                "Give the txid of the CoinJoin the suspect's coins went through.",
                e["coinjoin_txids"][0],
                f"The Wasabi-like round {e['coinjoin_txids'][0]} spent {_btc(e['sats_in'])} of the suspect's coins.",
            )
    if "mixer" in evs:
        e = evs["mixer"]
        q(
            "mixer_deposit",
            "amount",
            "How much BTC did the suspect deposit at the mixer?",
            e["deposit_sats"],
            f"Deposit transaction {e['deposit_txid']}; the mixer paid back different "
            "coins in " + (", ".join(e["payout_txids"]) or "(no payout yet)"),
        )
    if "cold_storage" in evs:
        e = evs["cold_storage"]
        q(
            "cold_storage_balance",
            "amount",
            "How much BTC lies in the cold-storage wallet whose xpub is on the seized phone (what can be "
            "seized with its key)?",
            e["unspent_sats"],
            f"Derive the receive addresses of {e['xpub'][:20]}... ({e['derivation_path']}/0/i): "
            + ", ".join(e["addresses"])
            + f" were funded by {e['txid']} and are unspent.",
        )
    if f["exchanges_reached"]:
        q(
            "exchanges_reached",
            "list",
            "Which exchanges received the suspect's money? Name them.",
            f["exchanges_reached"],
            "Deposits: "
            + "; ".join(f"{d['exchange']}: {d['address']} ({_btc(d['sats'])})" for d in f["exchange_deposits"]),
        )
        q(
            "deposited_total",
            "amount",
            "How much BTC did the suspect deposit at exchanges in total (what the exchanges can be asked to freeze)?",
            f["deposited_sats"],
            "The sum of the deposits listed for exchanges_reached.",
        )
        if f["suspect_real_name"]:
            q(
                "account_holder",
                "text",
                "According to the exchanges' answers to your production orders, who holds the accounts "
                "the money was paid into?",
                f["suspect_real_name"],
                "legal_responses/ lists the deposit addresses with the account holder.",
            )

    return out
