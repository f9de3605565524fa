"""Stories: the embedded cases, played out inside the economy event by event.

A case in a scenario names a suspect and a list of events. The first
event brings money in (market sales, ransom payments, a theft); the later
ones move it (a peel chain to exchanges, a CoinJoin, a mixer, cold storage).
Each event that moves money works on a *share* of what the suspect holds
when it starts (``0.3`` is 30%, ``rest`` is all of it).

Every event writes down what it did (transactions, addresses, amounts) so
the answer key can say exactly where the money went; :meth:`Story.facts`
turns that record into plain data with txids and addresses.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .economy import DUST, SATS, WHIRLPOOL_FEE, WHIRLPOOL_POOLS, Vendor
from .ledger import T_P2WPKH

INCOME_EVENTS = ("market_sales", "ransom_payments", "theft")
ROLE_OF_INCOME = {"market_sales": "vendor", "ransom_payments": "ransomware", "theft": "thief"}
NPS_PRODUCTS = ("3-MMC", "2-FDCK", "ADB-BUTINACA", "4-CMC", "Etizolam pellets", "O-PCE", "2-MMC", "Flualprazolam")
SECTORS = (
    "a dental practice",
    "a logistics firm",
    "a town hall",
    "an engineering office",
    "a school board",
    "a law firm",
    "a hospital supplier",
    "a car dealer",
)


def start_stories(eco, scenario) -> list[Story]:
    stories = []
    for spec in scenario.cases:
        st = Story(eco, spec)
        start = eco.first_height + int(round(spec.start_day * 144))
        eco.start_story(st.run(), at_height=start)
        stories.append(st)
    return stories


class Story:
    """One embedded case, run as a generator inside the economy (it yields blocks to wait)."""

    def __init__(self, eco, spec):
        self.eco = eco
        self.spec = spec
        self.case_id = spec.id
        s = spec.suspect
        role = ROLE_OF_INCOME.get(spec.events[0][0], "user") if spec.events else "user"
        self.role = role
        self.entity = eco.entity(
            f"{spec.id}_suspect",
            role,
            s.get("name", "the suspect"),
            s.get("jurisdiction", "unknown"),
            real_name=s.get("real_name", ""),
        )
        self.wallet = eco.wallet(self.entity, s.get("wallet", "electrum"), label=s.get("name", "suspect"))
        self.cold = None
        self.log: list[dict] = []
        self.income_sats = 0
        self.finished = False
        self.vendor = None

    # ------------------------------------------------------------------ running
    def run(self):
        for name, params in self.spec.events:
            yield from getattr(self, f"_ev_{name}")(**params)
            yield 1
        self.finished = True

    def _exchanges(self, which) -> list:
        eco = self.eco
        if isinstance(which, (list, tuple)):
            by_name = {ex.name.lower(): ex for ex in eco.exchanges}
            return [by_name[str(n).lower()] for n in which]
        k = max(1, min(int(which), len(eco.exchanges)))
        idx = eco.rng.choice(len(eco.exchanges), size=k, replace=False)
        return [eco.exchanges[i] for i in sorted(idx)]

    def _take(self, share):
        """Coins worth ``share`` of the suspect's holdings (splitting one off first if needed)."""
        eco = self.eco
        w = self.wallet
        for _ in range(20):  # wait for unconfirmed coins
            if not any(eco.ledger.out_h[u] >= eco.h for u in w.utxos):
                break
            yield 1
        coins = w.confirmed()
        total = sum(eco.ledger.out_value[u] for u in coins)
        if not coins or total < 10 * DUST:
            return []
        if share == "rest" or float(share) >= 0.999:
            return coins
        amount = int(total * float(share))
        addr = w.new_address(T_P2WPKH)
        r = eco.pay(w, [(addr, amount)], purpose="moves part of the funds to a new address")
        if r is None:
            return coins
        self.log.append({"event": "split off", "txs": [r[0]]})
        yield 1
        return [o for o in r[1] if eco.ledger.out_addr[o] == addr]

    def _value(self, coins) -> int:
        lv = self.eco.ledger.out_value
        return sum(lv[u] for u in coins)

    # ------------------------------------------------------------------ income events
    def _ev_market_sales(self, orders=60, days=14.0, price_eur=(30, 300), products=None):
        eco = self.eco
        m = eco.market
        v = Vendor(
            eco,
            self.entity,
            eco.ledger.entities[self.entity]["name"],
            self.wallet,
            fixed_payout=True,
            background=False,
            weight=0.0,
        )
        m.vendors.append(v)
        self.vendor = v
        refund = v.payout_address()
        n_blocks = max(1, int(days * 144))
        when = np.sort(eco.rng.integers(0, n_blocks, size=orders))
        tries = 0
        lo, hi = price_eur
        rec = {
            "event": "market_sales",
            "market": m.name,
            "orders": [],
            "refund_address": refund,
            "products": list(products or eco.rng.choice(NPS_PRODUCTS, size=3, replace=False)),
        }
        self.log.append(rec)
        start = eco.h
        i = 0
        while i < len(when):
            if eco.h - start < when[i]:
                yield int(when[i] - (eco.h - start))
                continue
            buyer = eco.buyers[int(eco.rng.integers(0, len(eco.buyers)))] if eco.buyers else None
            eur = float(round(eco.rng.uniform(lo, hi) / 5) * 5)
            t = m.order(buyer, v, eur) if buyer is not None else None
            tries += 1
            if t is None and tries < 5 * orders:
                if buyer is not None and eco.exchanges:
                    eco.random_exchange().request_withdrawal(buyer, eco.eur_to_sats(eur * 2))
                continue
            if t is not None:
                rec["orders"].append(t)
            i += 1
        # wait for escrow to release and the market to pay everything out
        for _ in range(30 * 144):
            pending = any(x[2] is v for x in m.escrow) or v.balance > 20_000
            if not pending:
                break
            yield 6
        rec["payout_txs"] = list(v.payout_txs)
        rec["sales_sats"] = v.sales_sats
        rec["paid_out_sats"] = v.received_sats
        self.income_sats += v.received_sats
        yield 1

    def _ev_ransom_payments(self, victims=3, eur=(20_000, 80_000), days=5.0):
        eco = self.eco
        rec = {"event": "ransom_payments", "payments": []}
        self.log.append(rec)
        gap = max(1, int(days * 144 / max(victims, 1)))
        for i in range(victims):
            ent = eco.entity(
                f"{self.case_id}_victim_{i + 1}", "victim", f"victim {i + 1} ({SECTORS[i % len(SECTORS)]})", "DE"
            )
            vw = eco.wallet(ent, "mobile", label=f"victim {i + 1}")
            demand_eur = float(round(eco.rng.uniform(*eur) / 1000) * 1000)
            sats = eco.eur_to_sats(demand_eur)
            ex = eco.random_exchange()
            ex.request_withdrawal(vw, sats + 200_000)
            for _ in range(288):
                if vw.balance() >= sats + 20_000:
                    break
                yield 1
            addr = self.wallet.new_address()
            r = eco.pay(vw, [(addr, sats)], purpose="ransom payment by a victim")
            if r is not None:
                rec["payments"].append(
                    {
                        "victim": eco.ledger.entities[ent]["entity"],
                        "tx": r[0],
                        "address": addr,
                        "sats": sats,
                        "eur": demand_eur,
                        "exchange": ex.name,
                    }
                )
                self.income_sats += sats
            yield gap

    def _ev_theft(self, btc=50.0, exchange=None, outputs=4):
        eco = self.eco
        ex = self._exchanges([exchange] if isinstance(exchange, str) else (exchange or 1))[0]
        amount = int(round(float(btc) * SATS))
        parts = eco.rng.dirichlet(np.ones(outputs) * 4) * amount
        parts = [int(p) for p in parts]
        parts[-1] = amount - sum(parts[:-1])
        addrs = [self.wallet.new_address() for _ in range(outputs)]
        r = eco.pay(
            ex.hot,
            list(zip(addrs, parts)),
            purpose=f"theft: unauthorised withdrawal from {ex.name}'s hot wallet",
            entity=self.entity,
        )
        if r is None:
            ex.refill()
            yield 2
            r = eco.pay(
                ex.hot,
                list(zip(addrs, parts)),
                purpose=f"theft: unauthorised withdrawal from {ex.name}'s hot wallet",
                entity=self.entity,
            )
        if r is None:
            return
        self.log.append(
            {
                "event": "theft",
                "exchange": ex.name,
                "tx": r[0],
                "sats": amount,
                "addresses": addrs,
                "hot_wallet_address": ex.hot_addrs[0],
            }
        )
        self.income_sats += amount
        yield 1

    # ------------------------------------------------------------------ moving events
    def _ev_wait(self, days=1.0):
        yield max(1, int(days * 144))

    def _ev_consolidate(self):
        coins = yield from self._take("rest")
        if len(coins) < 2:
            return
        eco = self.eco
        r = eco.pay(
            self.wallet,
            [(self.wallet.new_address(T_P2WPKH), 0)],
            coins=coins,
            send_all=True,
            purpose="consolidation (own coins)",
        )
        if r:
            self.log.append({"event": "consolidate", "txs": [r[0]]})

    def _ev_split(self, parts=4, share="rest"):
        eco = self.eco
        coins = yield from self._take(share)
        total = self._value(coins)
        if not coins:
            return
        cuts = eco.rng.dirichlet(np.ones(parts) * 3) * (total * 0.999)
        pays = [(self.wallet.new_address(T_P2WPKH), int(c)) for c in cuts]
        # a fan-out spends everything: the last part takes what the fee leaves
        fee_guess = int(eco.fee_rate * (70 * len(coins) + 31 * parts + 11)) + 1
        pays[-1] = (pays[-1][0], total - sum(v for _, v in pays[:-1]) - fee_guess)
        if pays[-1][1] <= DUST:
            return
        t, outs = eco.ledger.add_tx(
            eco.h,
            coins,
            pays,
            entity=self.entity,
            purpose="splits the funds over several new addresses",
            version=self.wallet.profile.version,
            locktime=eco._locktime(self.wallet.profile),
            sequence=self.wallet.profile.sequence,
        )
        cs = set(coins)
        self.wallet.utxos = [u for u in self.wallet.utxos if u not in cs]
        eco.credit(outs, [a for a, _ in pays])
        self.log.append({"event": "split", "txs": [t], "addresses": [a for a, _ in pays]})

    def _ev_peel_chain(self, share="rest", hops=6, exchanges=2, peel=(0.05, 0.2)):
        eco = self.eco
        coins = yield from self._take(share)
        if not coins:
            return
        exs = self._exchanges(exchanges)
        rec = {"event": "peel_chain", "hops": [], "deposits": []}
        self.log.append(rec)
        w = self.wallet
        for k in range(hops):
            total = self._value(coins)
            frac = eco.rng.uniform(*peel)
            amt = int(total * frac)
            if eco.rng.random() < 0.5:  # criminals like round amounts too
                amt = max(100_000, (amt // 1_000_000) * 1_000_000)
            ex = exs[k % len(exs)] if k < len(exs) else exs[int(eco.rng.integers(0, len(exs)))]
            dep = ex.deposit_address(self.entity)
            nxt = w.new_address(T_P2WPKH)
            r = eco.pay(
                w,
                [(dep, amt)],
                coins=coins,
                change_addr=nxt,
                purpose="peel chain: pays a little to an exchange, sends the rest on",
            )
            if r is None:
                break
            t, outs = r
            rec["hops"].append(t)
            rec["deposits"].append({"exchange": ex.name, "address": dep, "sats": amt, "tx": t})
            coins = [o for o in outs if eco.ledger.out_addr[o] == nxt]
            if not coins:
                break
            yield int(eco.rng.integers(1, 12))
        rec["end_coins"] = coins

    def _ev_coinjoin(self, share="rest", kind="whirlpool"):
        eco = self.eco
        coins = yield from self._take(share)
        if not coins:
            return
        w = self.wallet
        value = self._value(coins)
        if kind == "wasabi":
            rec = {"event": "coinjoin", "kind": "wasabi", "sats_in": value, "coins": list(coins)}
            self.log.append(rec)
            eco.wasabi.register(w, list(coins))
            for _ in range(60):
                yield 1
                if all(eco.ledger.is_spent(c) for c in coins):
                    break
            rec["txs"] = sorted({eco.wasabi.round_of_coin[c] for c in coins if c in eco.wasabi.round_of_coin})
            return
        fits = [d for d in WHIRLPOOL_POOLS if value > 2 * (d + WHIRLPOOL_FEE[d])]
        pool = fits[-1] if fits else WHIRLPOOL_POOLS[0]
        r = eco.whirlpool.tx0(
            w, pool=pool, max_outputs=70, coins=coins, purpose="Whirlpool tx0: split into pool-sized coins"
        )
        if r is None:
            return
        t0, outs = r
        premix = {
            o
            for o in outs
            if eco.ledger.out_value[o] > pool
            and eco.ledger.out_value[o] < pool * 1.1
            and eco.addr_wallet[eco.ledger.out_addr[o]] is w
            and o not in w.utxos
        }
        rec = {
            "event": "coinjoin",
            "kind": "whirlpool",
            "pool": pool,
            "tx0": t0,
            "sats_in": value,
            "premix_sats": sum(eco.ledger.out_value[o] for o in premix),
        }
        self.log.append(rec)
        first_mix = len(eco.whirlpool.mixes)
        for step in range(144):  # wait up to a day for the premix coins to be mixed
            yield 1
            left = [x for x in eco.whirlpool.premix[pool] if x[0] in premix]
            if not left:
                break
            if step > 36:
                eco.whirlpool.mix(pool)
        yield int(eco.rng.integers(36, 144))  # let some coins be remixed
        rec["mix_txs"] = [t for t in eco.whirlpool.mixes[first_mix:] if any(i in premix for i in self._inputs_of(t))]
        eco.whirlpool.take_postmix(w)

    def _inputs_of(self, t):
        L = self.eco.ledger
        # inputs are appended per tx in order: find them by scanning from the end (mix txs are recent)
        out = []
        for i in range(len(L.in_tx) - 1, -1, -1):
            if L.in_tx[i] == t:
                out.append(L.in_prev[i])
            elif L.in_tx[i] < t:
                break
        return out

    def _ev_mixer(self, share="rest", outputs=3, delay_days=0.5):
        eco = self.eco
        coins = yield from self._take(share)
        if not coins:
            return
        w = self.wallet
        to = [w.new_address(T_P2WPKH) for _ in range(outputs)]
        record: list = []
        r = eco.mixer.deposit(
            w,
            0,
            to,
            coins=coins,
            send_all=True,
            delay_blocks=max(1, int(delay_days * 144)),
            record=record,
            purpose=f"deposit to {eco.mixer.name}",
        )
        if r is None:
            return
        got = sum(eco.ledger.out_value[o] for o in r[1])
        rec = {
            "event": "mixer",
            "deposit_tx": r[0],
            "sats_in": self._value(coins),
            "deposit_sats": got,
            "payout_txs": record,
            "payout_addresses": to,
        }
        self.log.append(rec)
        for _ in range(int(delay_days * 144) + 288):
            if record:
                break
            yield 1
        yield 1

    def _ev_cash_out(self, share="rest", exchanges=1):
        eco = self.eco
        coins = yield from self._take(share)
        if not coins:
            return
        exs = self._exchanges(exchanges)
        rec = {"event": "cash_out", "deposits": []}
        self.log.append(rec)
        w = self.wallet
        for k, ex in enumerate(exs):
            dep = ex.deposit_address(self.entity)
            last = k == len(exs) - 1
            if last:
                r = eco.pay(w, [(dep, 0)], coins=coins, send_all=True, purpose=f"cashes out at {ex.name}")
            else:
                amt = int(self._value(coins) / (len(exs) - k))
                nxt = w.new_address(T_P2WPKH)
                r = eco.pay(w, [(dep, amt)], coins=coins, change_addr=nxt, purpose=f"cashes out at {ex.name}")
            if r is None:
                break
            t, outs = r
            got = sum(eco.ledger.out_value[o] for o in outs if eco.ledger.out_addr[o] == dep)
            rec["deposits"].append({"exchange": ex.name, "address": dep, "sats": got, "tx": t})
            if last:
                break
            coins = [o for o in outs if eco.ledger.out_addr[o] != dep]
            yield int(eco.rng.integers(1, 6))

    def _ev_cold_storage(self, share="rest", addresses=3, xpub_on_phone=True):
        eco = self.eco
        coins = yield from self._take(share)
        if not coins:
            return
        from .keys import cold_storage_keys

        seed = hashlib.sha256(f"cryptotrace-cold:{eco.seed}:{self.case_id}".encode()).digest()
        # a second move into the same cold wallet uses its next unused receive addresses, as wallets do
        first = getattr(self, "_cold_next", 0)
        xpub, path, strs = cold_storage_keys(seed, first + addresses + 2)
        self._cold_next = first + addresses
        if self.cold is None:
            self.cold = eco.wallet(self.entity, "core", label="cold storage")
        ids = []
        for s in strs[first : first + addresses]:
            a = self.cold.new_address(T_P2WPKH)
            eco.ledger.addr_fixed[a] = s
            ids.append(a)
        total = self._value(coins)
        cuts = eco.rng.dirichlet(np.ones(addresses) * 5)
        fee = int(max(eco.fee_rate, 1.0) * (70 * len(coins) + 31 * addresses + 11)) + 1
        vals = [int(c * (total - fee)) for c in cuts]
        vals[-1] = total - fee - sum(vals[:-1])
        t, outs = eco.ledger.add_tx(
            eco.h,
            coins,
            list(zip(ids, vals)),
            entity=self.entity,
            purpose="moves funds to cold storage (a hardware wallet)",
            version=2,
            locktime=eco._locktime(self.wallet.profile),
            sequence=self.wallet.profile.sequence,
        )
        cs = set(coins)
        self.wallet.utxos = [u for u in self.wallet.utxos if u not in cs]
        eco.credit(outs, ids)
        eco._block_txs += 1
        self.log.append(
            {
                "event": "cold_storage",
                "tx": t,
                "addresses": ids,
                "xpub": xpub,
                "path": path,
                "derived": strs,
                "xpub_on_phone": bool(xpub_on_phone),
            }
        )

    # ------------------------------------------------------------------ facts
    def facts(self, truth) -> dict:
        """What happened, as plain data (txids, addresses, satoshis) for the answer key and the questions."""
        eco = self.eco
        L = eco.ledger
        txid = truth["txids"]
        a = truth["addr_str"]

        def tx(t):
            return str(txid[t])

        unspent_at = L.unspent_value

        ent = L.entities[self.entity]
        out: dict = {
            "title": self.spec.title,
            "suspect_entity": ent["entity"],
            "suspect_name": ent["name"],
            "suspect_real_name": ent.get("real_name", ""),
            "role": self.role,
            "income_sats": int(self.income_sats),
            "events": [],
            "finished": bool(self.finished),
        }
        deposits = []
        for rec in self.log:
            e = {"event": rec["event"]}
            if rec["event"] == "market_sales":
                e.update(
                    market=rec["market"],
                    orders=len(rec["orders"]),
                    order_txids=[tx(t) for t in rec["orders"]],
                    refund_address=a[rec["refund_address"]],
                    products=[str(p) for p in rec["products"]],
                    payout_txids=[tx(t) for t in rec.get("payout_txs", [])],
                    sales_sats=int(rec.get("sales_sats", 0)),
                    paid_out_sats=int(rec.get("paid_out_sats", 0)),
                )
            elif rec["event"] == "ransom_payments":
                e["payments"] = [
                    {
                        "victim": p["victim"],
                        "txid": tx(p["tx"]),
                        "address": a[p["address"]],
                        "sats": int(p["sats"]),
                        "eur": p["eur"],
                    }
                    for p in rec["payments"]
                ]
            elif rec["event"] == "theft":
                e.update(
                    exchange=rec["exchange"],
                    txid=tx(rec["tx"]),
                    sats=int(rec["sats"]),
                    addresses=[a[x] for x in rec["addresses"]],
                    hot_wallet_address=a[rec["hot_wallet_address"]],
                )
            elif rec["event"] == "peel_chain":
                e["hop_txids"] = [tx(t) for t in rec["hops"]]
                e["deposits"] = [
                    {"exchange": d["exchange"], "address": a[d["address"]], "sats": int(d["sats"]), "txid": tx(d["tx"])}
                    for d in rec["deposits"]
                ]
                deposits += e["deposits"]
                ends = rec.get("end_coins", [])
                e["end_address"] = a[L.out_addr[ends[0]]] if ends else None
                e["end_sats"] = int(sum(int(L.out_value[o]) for o in ends))
            elif rec["event"] == "cash_out":
                e["deposits"] = [
                    {"exchange": d["exchange"], "address": a[d["address"]], "sats": int(d["sats"]), "txid": tx(d["tx"])}
                    for d in rec["deposits"]
                ]
                deposits += e["deposits"]
            elif rec["event"] == "coinjoin":
                e.update(kind=rec["kind"], sats_in=int(rec["sats_in"]))
                if rec["kind"] == "whirlpool":
                    e.update(
                        pool_sats=int(rec["pool"]),
                        tx0_txid=tx(rec["tx0"]),
                        premix_sats=int(rec["premix_sats"]),
                        mix_txids=[tx(t) for t in rec.get("mix_txs", [])],
                    )
                else:
                    e["coinjoin_txids"] = [tx(t) for t in rec.get("txs", [])]
            elif rec["event"] == "mixer":
                e.update(
                    deposit_txid=tx(rec["deposit_tx"]),
                    sats_in=int(rec["sats_in"]),
                    deposit_sats=int(rec["deposit_sats"]),
                    payout_txids=[tx(t) for t in rec["payout_txs"]],
                    payout_addresses=[a[x] for x in rec["payout_addresses"]],
                )
            elif rec["event"] == "cold_storage":
                e.update(
                    txid=tx(rec["tx"]),
                    addresses=[a[x] for x in rec["addresses"]],
                    xpub=rec["xpub"],
                    derivation_path=rec["path"],
                    xpub_on_phone=rec["xpub_on_phone"],
                    derived_addresses=list(rec["derived"]),
                    unspent_sats=unspent_at(rec["addresses"]),
                )
            elif "txs" in rec:
                e["txids"] = [tx(t) for t in rec["txs"]]
            out["events"].append(e)
        out["exchange_deposits"] = deposits
        out["exchanges_reached"] = sorted({d["exchange"] for d in deposits})
        out["deposited_sats"] = int(sum(d["sats"] for d in deposits))
        owned = np.flatnonzero(np.asarray(L.addr_owner) == self.entity)
        out["unspent_sats"] = unspent_at(owned)
        cold = [e for e in out["events"] if e["event"] == "cold_storage"]
        out["cold_storage_sats"] = int(sum(e["unspent_sats"] for e in cold))
        out["seizable_sats"] = {"suspect_wallets": out["unspent_sats"], "at_exchanges": out["deposited_sats"]}
        return out
