"""The economy simulator: actors whose wallets behave like real wallet software.

An :class:`Economy` runs block by block (about ten minutes apart). In every
block a mining pool mines the coinbase, the services do their periodic work
(exchanges sweep deposits and pay batched withdrawals, the market sweeps
buyers' deposits and pays its vendors, CoinJoin rounds run), the stories of
the embedded cases take their next step, and the background users act:
they pay each other and merchants, buy and sell at exchanges, order from the
darknet market, use a mixer or a CoinJoin.

Wallet software leaves fingerprints the change heuristics read, and the
simulator keeps them, so the heuristics work as often (and fail as often) as
they should:

=============  =========  ============  ===============  =======  ==========  ===========
profile        receives   change        change position  version  locktime    sequence
=============  =========  ============  ===============  =======  ==========  ===========
core           p2wpkh     fresh         random           2        anti-snipe  RBF
electrum       p2wpkh     fresh         BIP 69 order     2        anti-snipe  RBF
mobile         p2wpkh     fresh         last             2        0           final
legacy         p2pkh      reused input  last             1        0           final
nested         p2sh       fresh         first            1        0           0xfffffffe
taproot        p2tr       fresh         random           2        anti-snipe  RBF
upgrade        p2sh       fresh p2wpkh  random           2        anti-snipe  RBF
=============  =========  ============  ===============  =======  ==========  ===========

Everything random comes from one ``numpy.random.Generator`` made from the
seed, so the same seed gives the same economy, byte for byte.

``Economy(coinjoin_variants=True)`` (scenario ``background: {coinjoin_variants: true}``) adds every
CoinJoin family the detectors know (Whirlpool surge cycles, Wasabi 1.x rounds with two full levels,
WabiSabi rounds of 20-150 inputs, JoinMarket with and without changes) and the transactions that only
look like CoinJoins (STONEWALL, token transfers, equal-amount exchange batches, 60-input 1-2-5
consolidations); :func:`coinjoin_family` reads each one's family from its answer-key ``purpose``.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass

import numpy as np

from .ledger import SEQ_FINAL, SEQ_LOCKTIME, SEQ_RBF, T_P2PKH, T_P2SH, T_P2TR, T_P2WPKH, T_P2WSH, Ledger, tx_weight

SATS = 100_000_000
DUST = 1_000
SUBSIDY = 312_500_000  # 3.125 BTC after the April 2024 halving
COINBASE_MATURITY = 100
WHIRLPOOL_POOLS = (100_000, 1_000_000, 5_000_000, 50_000_000)
WHIRLPOOL_FEE = {100_000: 5_000, 1_000_000: 50_000, 5_000_000: 175_000, 50_000_000: 1_750_000}
WASABI_DENOM = 10_000_000

COUNTRIES = ("DE", "NL", "FR", "BE", "AT", "PL", "ES", "IT", "GB", "US", "CH", "SE", "CZ", "DK")
EXCHANGE_NAMES = (
    ("Northbridge Exchange", "NL"),
    ("Kryptohaus", "DE"),
    ("CoinHarbor", "US"),
    ("Seabright Trading", "SC"),
    ("Balticoin", "LT"),
    ("Alpenbit", "CH"),
    ("Lumen Markets", "GB"),
    ("Vistula Crypto", "PL"),
)
POOL_NAMES = ("Foundry-like Pool", "AntPool-like", "ViaBTC-like", "F2Pool-like", "Braiins-like")
MERCHANT_NAMES = (
    "Velo Bikes",
    "Hosting Nord",
    "VPN Shield",
    "Book Corner",
    "Gift Card Hub",
    "Coffee Roasters",
    "Game Keys",
    "Print Shop",
    "Seed Bank",
    "Travel Desk",
    "Phone Parts",
    "Domain Registrar",
)


@dataclass(frozen=True)
class Profile:
    """How a kind of wallet software builds transactions."""

    name: str
    receive_type: int
    change_type: int | None  # None: same as the coins spent
    fresh_change: bool
    change_position: str  # random | last | first | bip69
    version: int
    anti_fee_sniping: bool
    sequence: int
    reuse_receive: bool = False


PROFILES = {
    "core": Profile("core", T_P2WPKH, None, True, "random", 2, True, SEQ_RBF),
    "electrum": Profile("electrum", T_P2WPKH, None, True, "bip69", 2, True, SEQ_RBF),
    "mobile": Profile("mobile", T_P2WPKH, None, True, "last", 2, False, SEQ_FINAL),
    "legacy": Profile("legacy", T_P2PKH, None, False, "last", 1, False, SEQ_FINAL, reuse_receive=True),
    "nested": Profile("nested", T_P2SH, None, True, "first", 1, False, SEQ_LOCKTIME),
    "taproot": Profile("taproot", T_P2TR, None, True, "random", 2, True, SEQ_RBF),
    "upgrade": Profile("upgrade", T_P2SH, T_P2WPKH, True, "random", 2, True, SEQ_RBF),
    # services
    "exchange": Profile("exchange", T_P2WPKH, None, False, "last", 1, False, SEQ_FINAL),
    "exchange_p2sh": Profile("exchange_p2sh", T_P2SH, None, False, "last", 2, False, SEQ_FINAL),
    "service": Profile("service", T_P2WPKH, None, True, "random", 2, False, SEQ_LOCKTIME),
    "cold": Profile("cold", T_P2WSH, None, True, "last", 2, False, SEQ_FINAL),
}
USER_PROFILE_WEIGHTS = {
    "core": 0.25,
    "electrum": 0.15,
    "mobile": 0.25,
    "legacy": 0.07,
    "nested": 0.1,
    "taproot": 0.1,
    "upgrade": 0.08,
}


class Wallet:
    """The coins and addresses of one entity's wallet (one entity may have several)."""

    __slots__ = ("eco", "entity", "profile", "utxos", "first_addr", "fixed_change", "fee_factor", "label")

    def __init__(self, eco: Economy, entity: int, profile: Profile, *, label: str = "", fee_factor: float = 1.0):
        self.eco = eco
        self.entity = entity
        self.profile = profile
        self.utxos: list[int] = []
        self.first_addr: int | None = None  # a reusing wallet receives here again and again
        self.fixed_change: int | None = None  # services send change to one known address
        self.fee_factor = fee_factor
        self.label = label

    def new_address(self, atype: int | None = None) -> int:
        a = self.eco.ledger.new_address(self.entity, self.profile.receive_type if atype is None else atype)
        self.eco.addr_wallet.append(self)
        if self.first_addr is None:
            self.first_addr = a
        return a

    def receive_address(self) -> int:
        if self.profile.reuse_receive and self.first_addr is not None:
            return self.first_addr
        return self.new_address()

    def confirmed(self) -> list[int]:
        """Coins confirmed in an earlier block (output ids grow with time, so one comparison tells)."""
        b = self.eco.block_first_out
        u = self.utxos
        if not u or max(u) < b:
            return list(u)
        return [x for x in u if x < b]

    def balance(self, confirmed_only: bool = True) -> int:
        v = self.eco.ledger.out_value
        return sum(v[u] for u in (self.confirmed() if confirmed_only else self.utxos))

    def __repr__(self) -> str:
        return f"<Wallet {self.label or self.entity} ({self.profile.name}): {len(self.utxos)} coins>"


class Economy:
    """A simulated Bitcoin economy, advanced block by block (see the module docstring)."""

    def __init__(
        self,
        *,
        seed: int,
        n_blocks: int,
        target_txs: int,
        users: int,
        exchanges: int = 4,
        merchants: int = 8,
        mining_pools: int = 3,
        vendors: int = 6,
        buyers_share: float = 0.08,
        whirlpool: bool = True,
        wasabi: bool = True,
        mixer: bool = True,
        coinjoin_variants: bool = False,
        mixer_leaky: bool = False,
        first_height: int = 850_000,
        start_time: int = 1_719_446_400,
        start_price_eur: float = 57_000.0,
    ):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.ledger = Ledger(self.rng)
        self.addr_wallet: list[Wallet] = []
        self.first_height = first_height
        self.n_blocks = n_blocks
        self.target_txs = target_txs
        self.h = first_height
        self.block_first_out = 0  # outputs with a smaller id were created before the current block
        rng = self.rng
        self._eur_choices = np.array([5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250, 300, 500, 1000], float)
        self._btc_choices = np.array(
            [
                50_000,
                100_000,
                200_000,
                250_000,
                500_000,
                1_000_000,
                2_000_000,
                5_000_000,
                10_000_000,
                20_000_000,
                50_000_000,
            ],
            np.int64,
        )
        # block times: ~10 minutes apart (exponential), always increasing
        gaps = np.maximum(1, rng.exponential(600.0, size=n_blocks)).astype(np.int64)
        gaps[0] = 0
        self.block_times = start_time + np.cumsum(gaps)
        # fee rate (sat/vB): a mean-reverting walk in log space, 1 .. 300
        x = np.zeros(n_blocks)
        e = rng.normal(0, 0.08, size=n_blocks)
        for i in range(1, n_blocks):  # n_blocks steps of plain floats: cheap
            x[i] = 0.985 * x[i - 1] + e[i]
        self.fee_rates = np.clip(np.exp(np.log(6.0) + x), 1.0, 300.0)
        # EUR price of one BTC: a geometric random walk (seeded: the same scenario gives the same series),
        # start_price_eur then N(0, 0.15 %) per block; a case pack records it as prices.csv and every
        # amount in euros/dollars of the case is read from it (cryptotrace.prices.for_chain)
        self.prices = start_price_eur * np.exp(np.cumsum(rng.normal(0, 0.0015, size=n_blocks)))
        self.stories: list[list] = []  # [wake_height, generator]
        self._block_txs = 0
        self._build_actors(
            users=users,
            exchanges=exchanges,
            merchants=merchants,
            pools=mining_pools,
            vendors=vendors,
            buyers_share=buyers_share,
            whirlpool=whirlpool,
            wasabi=wasabi,
            mixer=mixer,
        )
        if self.mixer is not None and mixer_leaky:
            self.mixer.leaky = True  # a badly run mixer (see Mixer)
        # every CoinJoin family and its look-alikes, for measuring the detectors (off by default)
        self.variants = CoinJoinVariants(self) if coinjoin_variants else None
        if self.variants and self.whirlpool:
            self.whirlpool.surge = True

    # ================================================================== helpers
    @property
    def fee_rate(self) -> float:
        return float(self.fee_rates[self.h - self.first_height])

    @property
    def price(self) -> float:
        return float(self.prices[self.h - self.first_height])

    @property
    def time(self) -> int:
        return int(self.block_times[self.h - self.first_height])

    def eur_to_sats(self, eur: float) -> int:
        return int(round(eur / self.price * SATS))

    def entity(self, key: str, etype: str, name: str, jurisdiction: str, **extra) -> int:
        return self.ledger.new_entity(key, etype, name, jurisdiction, **extra)

    def wallet(self, entity: int, profile: str | Profile, *, label: str = "", fee_factor: float = 1.0) -> Wallet:
        p = PROFILES[profile] if isinstance(profile, str) else profile
        return Wallet(self, entity, p, label=label, fee_factor=fee_factor)

    def fund(self, wallet: Wallet, values, *, reuse: bool = False) -> list[int]:
        """Give a wallet coins it received before the data starts."""
        out = []
        addr = None
        for v in values:
            if addr is None or not reuse:
                addr = wallet.new_address()
            o = self.ledger.external_coin(addr, int(v), self.first_height - 1)
            wallet.utxos.append(o)
            out.append(o)
        return out

    def _locktime(self, p: Profile) -> int:
        if not p.anti_fee_sniping:
            return 0
        lt = self.h - 1
        if self.rng.random() < 0.1:  # Bitcoin Core sometimes sets an older height
            lt -= int(self.rng.integers(0, 100))
        return lt

    def credit(self, outs: list[int], addrs: list[int]) -> None:
        """Hand new coins to the wallets that own their addresses."""
        aw = self.addr_wallet
        for o, a in zip(outs, addrs):
            if a >= 0:
                aw[a].utxos.append(o)

    # ================================================================== the workhorse
    def select(self, wallet: Wallet, amount: int, n_out: int, fr: float, *, coins=None) -> list[int] | None:
        """Pick coins worth ``amount`` plus fee (smallest single coin that covers it, else largest first)."""
        cands = wallet.confirmed() if coins is None else coins
        if not cands:
            return None
        lv = self.ledger.out_value
        at = self.ledger.addr_type
        oa = self.ledger.out_addr
        out_w = 4 * 31 * (n_out + 1)
        best = None
        for u in cands:
            v = lv[u]
            need = amount + int(fr * (44 + (out_w + 4 * 10 + 272) / 4) + 1)
            if v >= need and (best is None or v < lv[best]):
                best = u
        if best is not None and self.rng.random() < 0.85:
            return [best]
        cands = sorted(cands, key=lambda u: -lv[u])
        sel, tot, w = [], 0, 40 + out_w
        for u in cands:
            sel.append(u)
            tot += lv[u]
            w += 4 * 41 + 272 if at[oa[u]] != T_P2PKH else 592
            if tot >= amount + int(fr * w / 4) + DUST:
                return sel
            if len(sel) >= 200:
                break
        return None

    def pay(
        self,
        wallet: Wallet,
        payments: list[tuple[int, int]],
        *,
        purpose: str,
        coins: list[int] | None = None,
        fee_rate: float | None = None,
        send_all: bool = False,
        change_addr: int | None = None,
        entity: int | None = None,
        credit: bool = True,
    ) -> tuple[int, list[int]] | None:
        """Build a payment from ``wallet``: choose coins, pay the fee, add change as the wallet software would.

        ``payments`` are (address id, sats). With ``send_all`` the single payment's
        value is replaced by everything the coins hold minus the fee (no change).
        Returns (tx id, output ids), or None when the wallet cannot afford it.
        """
        L = self.ledger
        p = wallet.profile
        fr = max(1.0, (self.fee_rate if fee_rate is None else fee_rate) * wallet.fee_factor)
        amount = sum(v for _, v in payments)
        if coins is None:
            if send_all:
                coins = wallet.confirmed()
                if not coins:
                    return None
            else:
                coins = self.select(wallet, amount, len(payments), fr)
                if coins is None:
                    return None
        at, oa, lv = L.addr_type, L.out_addr, L.out_value
        in_types = [at[oa[u]] for u in coins]
        total = sum(lv[u] for u in coins)
        out_types = [at[a] if a >= 0 else T_P2WSH for a, _ in payments]  # a < 0: an OP_RETURN (weighed as 34 bytes)
        if send_all:
            w, _ = tx_weight(in_types, out_types)
            fee = int(math.ceil(fr * w / 4))
            value = total - fee
            if value < DUST:
                return None
            outputs = [(payments[0][0], value)]
            change_vout = -1
        else:
            ctype = p.change_type if p.change_type is not None else in_types[0]
            w, _ = tx_weight(in_types, out_types + [ctype])
            fee = int(math.ceil(fr * w / 4))
            change = total - amount - fee
            if change < 0:
                return None
            outputs = list(payments)
            change_vout = -1
            if change >= DUST + fee // 4:
                if change_addr is None:
                    if wallet.fixed_change is not None:
                        change_addr = wallet.fixed_change
                    elif p.fresh_change:
                        change_addr = wallet.new_address(ctype)
                    else:
                        change_addr = oa[coins[0]]  # back to the address it came from
                pos = p.change_position
                if pos == "last":
                    outputs.append((change_addr, change))
                elif pos == "first":
                    outputs.insert(0, (change_addr, change))
                elif pos == "bip69":
                    outputs.append((change_addr, change))
                    outputs.sort(key=lambda x: (x[1], x[0]))
                else:
                    outputs.insert(int(self.rng.integers(0, len(outputs) + 1)), (change_addr, change))
                for k, (a, v) in enumerate(outputs):
                    if a == change_addr and v == change:
                        change_vout = k
                        break
        t, outs = L.add_tx(
            self.h,
            coins,
            outputs,
            entity=wallet.entity if entity is None else entity,
            purpose=purpose,
            change_vout=change_vout,
            version=p.version,
            locktime=self._locktime(p),
            sequence=p.sequence,
        )
        cs = set(coins)
        wallet.utxos = [u for u in wallet.utxos if u not in cs]
        if credit:
            self.credit(outs, [a for a, _ in outputs])
        self._block_txs += 1
        return t, outs

    def pay_keep(self, wallet: Wallet, to: int, keep: int, *, purpose: str):
        """Spend all confirmed coins, keeping exactly ``keep`` sats as change (a round amount)."""
        L = self.ledger
        coins = wallet.confirmed()
        if not coins:
            return None
        p = wallet.profile
        in_types = [L.addr_type[L.out_addr[u]] for u in coins]
        ctype = p.change_type if p.change_type is not None else in_types[0]
        w, _ = tx_weight(in_types, [L.addr_type[to], ctype])
        fr = max(1.0, self.fee_rate * wallet.fee_factor)
        fee = int(math.ceil(fr * w / 4))
        amount = sum(L.out_value[u] for u in coins) - keep - fee
        if amount < DUST * 10:
            return None
        return self.pay(wallet, [(to, amount)], coins=coins, purpose=purpose, fee_rate=self.fee_rate)

    # ================================================================== actors
    def _build_actors(self, *, users, exchanges, merchants, pools, vendors, buyers_share, whirlpool, wasabi, mixer):
        rng = self.rng
        E = self.entity
        # --- exchanges
        self.exchanges = []
        for i in range(min(exchanges, len(EXCHANGE_NAMES))):
            name, jur = EXCHANGE_NAMES[i]
            ent = E(f"exchange_{i + 1:02d}", "exchange", name, jur)
            prof = "exchange_p2sh" if i % 3 == 2 else "exchange"
            hot = self.wallet(ent, prof, label=f"{name} hot wallet", fee_factor=1.1)
            hot_addrs = [hot.new_address() for _ in range(2)]
            hot.fixed_change = hot_addrs[0]
            for v in rng.lognormal(np.log(25 * SATS), 0.6, size=30).astype(np.int64):
                o = self.ledger.external_coin(hot_addrs[int(rng.integers(0, 2))], int(v), self.first_height - 1)
                hot.utxos.append(o)
            dep = self.wallet(ent, "service", label=f"{name} deposits")
            cold = self.wallet(ent, "cold", label=f"{name} cold storage")
            cold_addr = cold.new_address()
            cold.fixed_change = cold_addr
            for v in rng.lognormal(np.log(200 * SATS), 0.3, size=5).astype(np.int64):
                cold.utxos.append(self.ledger.external_coin(cold_addr, int(v), self.first_height - 1))
            self.exchanges.append(
                Exchange(
                    self,
                    ent,
                    name,
                    jur,
                    hot,
                    dep,
                    cold,
                    hot_addrs,
                    sweep_every=int(rng.integers(6, 18)),
                    batch_every=int(rng.integers(2, 6)),
                )
            )
        # --- mining pools
        self.pools = []
        shares = rng.dirichlet(np.ones(pools) * 3) if pools else np.array([])
        for i in range(pools):
            ent = E(f"pool_{i + 1:02d}", "mining_pool", POOL_NAMES[i % len(POOL_NAMES)], "unknown")
            w = self.wallet(ent, "exchange", label=POOL_NAMES[i % len(POOL_NAMES)])
            cb_addr = w.new_address()
            w.fixed_change = cb_addr
            self.fund(w, rng.lognormal(np.log(10 * SATS), 0.4, size=6).astype(np.int64))
            self.pools.append(
                MiningPool(self, ent, w, cb_addr, float(shares[i]), payout_every=int(rng.integers(24, 72)))
            )
        self._pool_cum = np.cumsum([p.share for p in self.pools])
        # --- users
        names = list(USER_PROFILE_WEIGHTS)
        wts = np.array([USER_PROFILE_WEIGHTS[k] for k in names])
        prof_idx = rng.choice(len(names), size=users, p=wts / wts.sum())
        is_buyer = rng.random(users) < buyers_share
        countries = rng.choice(len(COUNTRIES), size=users)
        start_bal = rng.lognormal(np.log(0.02 * SATS), 1.3, size=users).astype(np.int64) + 20_000
        self.users: list[Wallet] = []
        self.buyers: list[Wallet] = []
        self._buyer_ids: set[int] = set()
        self.miners: list[tuple[Wallet, int]] = []
        for i in range(users):
            etype = "buyer" if is_buyer[i] else "user"
            ent = E(f"{etype}_{i + 1:05d}", etype, f"{etype} {i + 1}", COUNTRIES[countries[i]])
            w = self.wallet(ent, names[prof_idx[i]], fee_factor=float(rng.uniform(0.8, 1.6)))
            n_coins = int(rng.integers(1, 4))
            self.fund(
                w,
                np.maximum(start_bal[i] // n_coins, 10_000) * np.ones(n_coins, dtype=np.int64)
                + rng.integers(0, 50_000, size=n_coins),
            )
            self.users.append(w)
            if is_buyer[i]:
                self.buyers.append(w)
                self._buyer_ids.add(id(w))
            elif rng.random() < 0.05 and self.pools:
                self.miners.append((w, w.new_address()))  # a miner's fixed payout address
        # --- merchants
        self.merchants = []
        for i in range(merchants):
            nm = MERCHANT_NAMES[i % len(MERCHANT_NAMES)]
            ent = E(f"merchant_{i + 1:02d}", "merchant", nm, COUNTRIES[int(rng.integers(0, len(COUNTRIES)))])
            w = self.wallet(ent, "service", label=nm)
            ex = self.exchanges[i % len(self.exchanges)] if self.exchanges else None
            self.merchants.append(Merchant(self, ent, w, settle_every=int(rng.integers(72, 200)), exchange=ex))
        # --- darknet market and its vendors
        self.market = Market(self, "Nightshade Market") if vendors else None
        if self.market:
            for i in range(vendors):
                self.market.add_vendor(
                    f"vendor_{i + 1:02d}",
                    f"vendor '{VENDOR_NAMES[i % len(VENDOR_NAMES)]}'",
                    profile=["core", "electrum", "mobile"][i % 3],
                )
        # --- mixing
        self.mixer = Mixer(self, "TumbleBit-like Mixer") if mixer else None
        self.whirlpool = Whirlpool(self) if whirlpool else None
        self.wasabi = Wasabi(self, every=int(rng.integers(20, 40))) if wasabi else None

    # ================================================================== stories
    def start_story(self, gen, *, at_height: int | None = None) -> None:
        """Run a story (a generator yielding how many blocks to wait) from ``at_height``."""
        self.stories.append([self.h if at_height is None else at_height, gen])

    def _run_stories(self) -> None:
        for entry in list(self.stories):
            while entry[0] <= self.h:
                try:
                    wait = next(entry[1])
                except StopIteration:
                    self.stories.remove(entry)
                    break
                entry[0] = self.h + max(1, int(wait or 1))

    # ================================================================== running
    def run(self) -> None:
        """Run every block."""
        for i in range(self.n_blocks):
            self.h = self.first_height + i
            self.step_block(blocks_left=self.n_blocks - i)

    def step_block(self, *, blocks_left: int) -> None:
        rng = self.rng
        self._block_txs = 0
        self.block_first_out = len(self.ledger.out_tx)
        start_fees = self.ledger.n_txs
        self._run_stories()
        for ex in self.exchanges:
            ex.step()
        if self.market:
            self.market.step()
        if self.mixer:
            self.mixer.step()
        if self.whirlpool:
            self.whirlpool.step()
        if self.wasabi:
            self.wasabi.step()
        if self.variants:
            self.variants.step()
        for m in self.merchants:
            m.step()
        for p in self.pools:
            p.step()
        # background users fill the block up to the target volume
        want = (self.target_txs - self.ledger.n_txs) / blocks_left - 1
        n_act = int(rng.poisson(max(want, 0.0)))
        tries = 0
        made = self.ledger.n_txs
        goal = made + n_act
        while self.ledger.n_txs < goal and tries < 4 * n_act + 4 and self.users:
            tries += 1
            self.user_action(self.users[int(rng.integers(0, len(self.users)))])
        # the coinbase: subsidy plus the fees of this block's transactions
        fees = sum(self.ledger.fee_of(t) for t in range(start_fees, self.ledger.n_txs))
        if self.pools:
            k = int(np.searchsorted(self._pool_cum, rng.random() * self._pool_cum[-1], side="right"))
            pool = self.pools[min(k, len(self.pools) - 1)]
            pool.mine(SUBSIDY + fees)

    # ================================================================== users
    def amount_for(self, wallet: Wallet, kind: str) -> int:
        """A payment amount of the kind people send (round in BTC, round in euros, or odd)."""
        rng = self.rng
        r = rng.random()
        if kind == "merchant" or (kind == "p2p" and r < 0.35):
            eur = float(self._eur_choices[int(rng.integers(0, len(self._eur_choices)))])
            return self.eur_to_sats(eur)
        if r < 0.75:
            return int(self._btc_choices[int(rng.integers(0, len(self._btc_choices)))])
        return int(rng.lognormal(np.log(0.004 * SATS), 1.2))

    def user_action(self, w: Wallet) -> None:
        rng = self.rng
        r = rng.random()
        bal = w.balance()
        if bal < 30_000:
            if self.exchanges:
                exchange = self.random_exchange()  # before the amount: the random stream keeps its order
                exchange.request_withdrawal(w, self.eur_to_sats(float(rng.choice([50, 100, 200, 500, 1000]))))
            return
        if id(w) in self._buyer_ids and self.market and r < 0.35:
            self.market.order(w, self.market.random_vendor(), float(rng.choice([30, 50, 80, 100, 150, 250, 400])))
            return
        r = rng.random()
        if r < 0.30:  # pay someone
            other = self.users[int(rng.integers(0, len(self.users)))]
            if other is w:
                return
            if rng.random() < 0.06 and bal > 400_000:
                # "keep a round amount, send the rest": the change is round, the payment odd
                # (the round-amount change heuristic gets this one wrong)
                keep = int(10 ** np.floor(np.log10(bal / 3)))
                keep = (bal // 3 // keep) * keep
                self.pay_keep(w, other.receive_address(), keep, purpose="payment to a person")
                return
            amt = self.amount_for(w, "p2p")
            if amt < bal:
                self.pay(w, [(other.receive_address(), amt)], purpose="payment to a person")
        elif r < 0.52:
            if not self.merchants:
                return
            m = self.merchants[int(rng.integers(0, len(self.merchants)))]
            amt = self.amount_for(w, "merchant")
            if amt < bal:
                self.pay(w, [(m.wallet.new_address(), amt)], purpose=f"purchase from {m.name}")
        elif r < 0.67:  # sell at an exchange
            if not self.exchanges:
                return
            ex = self.random_exchange()
            if rng.random() < 0.35:
                self.pay(w, [(ex.deposit_address(w.entity), 0)], purpose=f"deposit to {ex.name}", send_all=True)
            else:
                amt = min(self.amount_for(w, "p2p"), bal // 2)
                if amt > DUST * 10:
                    self.pay(w, [(ex.deposit_address(w.entity), amt)], purpose=f"deposit to {ex.name}")
        elif r < 0.84:  # buy at an exchange (paid out in its next batch)
            if self.exchanges:
                self.random_exchange().request_withdrawal(w, self.amount_for(w, "p2p"))
        elif r < 0.89:  # consolidate small coins
            coins = w.confirmed()
            if len(coins) >= 3:
                self.pay(
                    w,
                    [(w.new_address(w.profile.change_type or w.profile.receive_type), 0)],
                    purpose="consolidation (own coins)",
                    coins=coins,
                    send_all=True,
                )
        elif r < 0.9:
            amt = min(bal // 2, self.amount_for(w, "p2p"))
            if self.mixer and amt > 100_000:
                self.mixer.deposit(w, amt, [w.new_address() for _ in range(int(rng.integers(1, 4)))])
        elif r < 0.93:
            if self.whirlpool:
                if rng.random() < 0.3:
                    self.whirlpool.tx0(w, max_outputs=int(rng.integers(1, 6)))
                else:
                    self.whirlpool.exit_one()
        else:  # keep savings in a second, cold wallet of the same person
            amt = min(bal // 2, self.amount_for(w, "p2p"))
            if amt > 100_000:
                self.pay(
                    w,
                    [(w.new_address(T_P2WSH if rng.random() < 0.3 else None), amt)],
                    purpose="transfer to own savings address",
                )

    def random_exchange(self) -> Exchange:
        return self.exchanges[int(self.rng.integers(0, len(self.exchanges)))]

    # ================================================================== output
    def build(self):
        """(tables, truth) for Chain.from_tables and the answer key."""
        return self.ledger.build(self.block_times, self.first_height, seed_rng=self.rng)


VENDOR_NAMES = (
    "PharmaFox",
    "NorthernLights",
    "CrystalClear",
    "DutchDirect",
    "GreenLeaf",
    "SilkRoute",
    "BlueSky",
    "Alchemist",
    "FreshDrop",
    "TopShelf",
)


# ====================================================================== services
class Exchange:
    """A custodial exchange: a deposit address per deposit, sweeps into a hot wallet, batched withdrawals."""

    def __init__(
        self,
        eco: Economy,
        entity: int,
        name: str,
        jurisdiction: str,
        hot: Wallet,
        deposits: Wallet,
        cold: Wallet,
        hot_addrs: list[int],
        *,
        sweep_every: int,
        batch_every: int,
    ):
        self.eco, self.entity, self.name, self.jurisdiction = eco, entity, name, jurisdiction
        self.hot, self.deposits, self.cold = hot, deposits, cold
        self.hot_addrs = hot_addrs
        self.sweep_every, self.batch_every = sweep_every, batch_every
        self.queue: list[tuple[int, int]] = []
        self.deposit_holder: dict[int, int] = {}  # deposit address id -> customer entity id
        self.deposit_time: dict[int, int] = {}

    def deposit_address(self, customer: int) -> int:
        a = self.deposits.new_address()
        self.deposit_holder[a] = customer
        self.deposit_time[a] = self.eco.time
        return a

    def request_withdrawal(self, w: Wallet, amount: int, *, to: int | None = None) -> None:
        self.queue.append((w.receive_address() if to is None else to, max(int(amount), 20_000)))

    def step(self) -> None:
        eco = self.eco
        i = eco.h - eco.first_height
        if i % self.sweep_every == 0:
            coins = self.deposits.confirmed()[:400]
            if len(coins) >= 1:
                eco.pay(
                    self.deposits,
                    [(self.hot_addrs[int(eco.rng.integers(0, len(self.hot_addrs)))], 0)],
                    coins=coins,
                    send_all=True,
                    purpose=f"{self.name} sweeps customer deposits into its hot wallet",
                )
        if i % self.batch_every == 0 and self.queue:
            batch, self.queue = self.queue[:120], self.queue[120:]
            if eco.pay(self.hot, batch, purpose=f"{self.name} pays customer withdrawals (batch)") is None:
                self.refill()
                self.queue = batch + self.queue
        if i % 144 == 77 and self.hot.balance() < 150 * SATS:
            self.refill()

    def refill(self) -> None:
        eco = self.eco
        eco.pay(
            self.cold, [(self.hot_addrs[-1], 100 * SATS)], purpose=f"{self.name} moves coins from cold to hot wallet"
        )


class MiningPool:
    """Mines coinbases to one address and pays its miners in batches once coins are mature."""

    def __init__(self, eco, entity, wallet, cb_addr, share, *, payout_every):
        self.eco, self.entity, self.wallet, self.cb_addr, self.share = eco, entity, wallet, cb_addr, share
        self.payout_every = payout_every
        self.immature: list[int] = []

    def mine(self, value: int) -> None:
        eco = self.eco
        # a coinbase pays the pool and carries the segwit commitment (an OP_RETURN of 0 sats, no address)
        t, outs = eco.ledger.add_coinbase(eco.h, [(self.cb_addr, value), (-1, 0)], entity=self.entity)
        self.immature.append(outs[0])

    def step(self) -> None:
        eco = self.eco
        oh = eco.ledger.out_h
        mature = [o for o in self.immature if oh[o] <= eco.h - COINBASE_MATURITY]
        if mature:
            ms = set(mature)
            self.immature = [o for o in self.immature if o not in ms]
            self.wallet.utxos.extend(mature)
        if (eco.h - eco.first_height) % self.payout_every == 0 and eco.miners:
            bal = self.wallet.balance()
            k = min(len(eco.miners), int(eco.rng.integers(5, 40)))
            if bal < 2 * SATS or k == 0:
                return
            pick = eco.rng.choice(len(eco.miners), size=k, replace=False)
            amts = (eco.rng.dirichlet(np.ones(k)) * bal * 0.6).astype(np.int64)
            pays = [(eco.miners[j][1], int(a)) for j, a in zip(pick, amts) if a > 50_000]
            if pays:
                eco.pay(self.wallet, pays, purpose="mining pool pays its miners (batch)")


class Merchant:
    """Takes payments at a fresh invoice address each, and settles them at an exchange now and then."""

    def __init__(self, eco, entity, wallet, *, settle_every, exchange):
        self.eco, self.entity, self.wallet = eco, entity, wallet
        self.name = wallet.label
        self.settle_every, self.exchange = settle_every, exchange

    def step(self) -> None:
        eco = self.eco
        if (eco.h - eco.first_height) % self.settle_every == 0 and self.exchange:
            coins = self.wallet.confirmed()
            if len(coins) >= 2:
                eco.pay(
                    self.wallet,
                    [(self.exchange.deposit_address(self.entity), 0)],
                    coins=coins[:100],
                    send_all=True,
                    purpose=f"{self.name} settles its takings at {self.exchange.name}",
                )


class Market:
    """A darknet market with escrow.

    Buyers pay a fresh deposit address per order; the market sweeps the
    deposits into its hot wallet, holds the money in escrow until the order
    is finalised, keeps its commission, and pays vendors in batches.
    """

    def __init__(self, eco: Economy, name: str, *, commission: float = 0.05, escrow_days: float = 4.0):
        self.eco, self.name = eco, name
        self.entity = eco.entity("market_01", "market", name, "unknown (Tor hidden service)")
        self.deposits = eco.wallet(self.entity, "service", label=f"{name} deposits")
        self.hot = eco.wallet(self.entity, "exchange", label=f"{name} hot wallet")
        self.hot_addrs = [self.hot.new_address() for _ in range(3)]
        self.hot.fixed_change = self.hot_addrs[0]
        eco.fund(self.hot, [int(v) for v in eco.rng.lognormal(np.log(5 * SATS), 0.5, size=6)])
        self.commission = commission
        self.escrow_blocks = int(escrow_days * 144)
        self.vendors: list[Vendor] = []
        self.escrow: list[tuple[int, int, Vendor, int]] = []  # heap of (release height, order no, vendor, sats)
        self._seq = 0
        self.orders: list[dict] = []
        self.sweep_every = 12
        self.payout_every = 72

    def add_vendor(
        self,
        key: str,
        name: str,
        *,
        profile: str = "core",
        jurisdiction: str = "unknown",
        fixed_payout: bool = True,
        background: bool = True,
        weight: float = 1.0,
    ) -> Vendor:
        eco = self.eco
        ent = eco.entity(key, "vendor", name, jurisdiction)
        w = eco.wallet(ent, profile, label=name)
        v = Vendor(eco, ent, name, w, fixed_payout=fixed_payout, background=background, weight=weight)
        self.vendors.append(v)
        return v

    def random_vendor(self) -> Vendor:
        wts = np.array([v.weight for v in self.vendors])
        return self.vendors[int(self.eco.rng.choice(len(self.vendors), p=wts / wts.sum()))]

    def order(self, buyer: Wallet, vendor: Vendor, eur: float) -> int | None:
        eco = self.eco
        amount = eco.eur_to_sats(eur)
        dep = self.deposits.new_address()
        r = eco.pay(buyer, [(dep, amount)], purpose=f"buyer pays {self.name} for an order")
        if r is None:
            return None
        net = int(amount * (1 - self.commission))
        self._seq += 1
        due = eco.h + self.escrow_blocks + int(eco.rng.integers(0, 288))
        heapq.heappush(self.escrow, (due, self._seq, vendor, net))
        self.orders.append(
            {
                "txid_pos": r[0],
                "vendor": vendor.entity,
                "buyer": buyer.entity,
                "sats": amount,
                "deposit_address": dep,
                "eur": eur,
            }
        )
        vendor.sales_sats += amount
        return r[0]

    def step(self) -> None:
        eco = self.eco
        i = eco.h - eco.first_height
        while self.escrow and self.escrow[0][0] <= eco.h:
            _, _, v, sats = heapq.heappop(self.escrow)
            v.balance += sats
        if i % self.sweep_every == 5:
            coins = self.deposits.confirmed()[:150]
            if coins:
                eco.pay(
                    self.deposits,
                    [(self.hot_addrs[int(eco.rng.integers(0, 3))], 0)],
                    coins=coins,
                    send_all=True,
                    purpose=f"{self.name} sweeps buyers' deposits into its hot wallet",
                )
        if i % self.payout_every == 40:
            waiting = {id(v) for _, _, v, _ in self.escrow}
            due = [v for v in self.vendors if v.balance > 200_000 or (v.balance > 20_000 and id(v) not in waiting)]
            if due:
                pays = [(v.payout_address(), v.balance) for v in due]
                r = eco.pay(self.hot, pays, purpose=f"{self.name} pays its vendors (batch)")
                if r is not None:
                    for v, (_, amt) in zip(due, pays):
                        v.received_sats += amt
                        v.payout_txs.append(r[0])
                        v.balance = 0
        for v in self.vendors:
            if v.background:
                v.step()


class Vendor:
    """A market vendor: is paid by the market, cashes out at exchanges now and then."""

    def __init__(self, eco, entity, name, wallet, *, fixed_payout, background, weight):
        self.eco, self.entity, self.name, self.wallet = eco, entity, name, wallet
        self.fixed_payout = fixed_payout
        self.background = background
        self.weight = weight
        self.balance = 0  # held by the market for this vendor
        self.sales_sats = 0
        self.received_sats = 0
        self.payout_txs: list[int] = []
        self._payout_addr: int | None = None
        self.cashout_every = int(eco.rng.integers(100, 300))

    def payout_address(self) -> int:
        if self.fixed_payout:
            if self._payout_addr is None:
                self._payout_addr = self.wallet.new_address()
            return self._payout_addr
        return self.wallet.new_address()

    def step(self) -> None:
        eco = self.eco
        if (eco.h - eco.first_height) % self.cashout_every == 0 and eco.exchanges:
            bal = self.wallet.balance()
            if bal > 500_000:
                ex = eco.random_exchange()
                eco.pay(
                    self.wallet,
                    [(ex.deposit_address(self.entity), int(bal * 0.8))],
                    purpose=f"vendor cashes out at {ex.name}",
                )


class Mixer:
    """A custodial mixer: takes coins at a fresh address, pays out different coins later, minus its fee.

    "Different coins": a payout never spends a reserve coin that holds any of the same deposit
    (the mixer remembers which deposits went into each of its coins, through its reserve
    consolidations and the change of its payouts). When no such coins are left it pays from a
    coin it held before the data starts, as a well-stocked mixer would.

    ``leaky=True`` is a badly run mixer (scenario ``background: {mixer: {leaky: true}}``): it pays
    from whatever reserve coins come first, so a payout can be funded by a reserve coin that
    holds only the same person's deposit, and a trace walks straight through the mixer.
    ``stats`` counts the payouts, those drawing on the depositor's own deposit, and those
    funded by nothing else.
    """

    def __init__(self, eco: Economy, name: str, *, fee: float = 0.025, leaky: bool = False):
        self.eco, self.name, self.fee, self.leaky = eco, name, fee, bool(leaky)
        self.entity = eco.entity("mixer_01", "mixer", name, "unknown (Tor hidden service)")
        self.deposits = eco.wallet(self.entity, "service", label=f"{name} deposits")
        self.pool = eco.wallet(self.entity, "service", label=f"{name} reserve")
        eco.fund(self.pool, [int(v) for v in eco.rng.lognormal(np.log(2 * SATS), 0.8, size=40)])
        # (pay height, addresses, sats, record, deposit coin id)
        self.pending: list[tuple[int, list[int], int, list | None, int]] = []
        self.origin: dict[int, frozenset] = {}  # reserve coin -> the deposit coins whose value it holds
        self.stats = {"payouts": 0, "draws_on_own_deposit": 0, "only_own_deposit": 0}

    def deposit(
        self,
        w: Wallet,
        amount: int,
        to_addrs: list[int],
        *,
        purpose: str | None = None,
        delay_blocks: int | None = None,
        coins=None,
        send_all=False,
        record: list | None = None,
    ):
        eco = self.eco
        dep = self.deposits.new_address()
        r = eco.pay(w, [(dep, amount)], purpose=purpose or f"deposit to {self.name}", coins=coins, send_all=send_all)
        if r is None:
            return None
        coin = r[1][[eco.ledger.out_addr[o] for o in r[1]].index(dep)]
        got = eco.ledger.out_value[coin]
        delay = int(eco.rng.integers(6, 144)) if delay_blocks is None else delay_blocks
        self.pending.append((eco.h + delay, to_addrs, int(got * (1 - self.fee)), record, int(coin)))
        return r

    def _payout(self, pays: list[tuple[int, int]], dep: int):
        """Pay ``pays`` from the reserve without the deposit ``dep`` (unless leaky); None if it cannot yet."""
        eco = self.eco
        fr = max(1.0, eco.fee_rate * self.pool.fee_factor)
        amount = sum(v for _, v in pays)
        coins = self.pool.confirmed()
        if not self.leaky:
            coins = [c for c in coins if dep not in self.origin.get(c, ())]
        sel = eco.select(self.pool, amount, len(pays), fr, coins=coins) if coins else None
        if sel is None and not self.leaky:  # no clean reserve left: a coin from before the data
            sel = eco.fund(self.pool, [int(amount * eco.rng.uniform(1.1, 1.6)) + 100_000])
        if sel is None:
            return None
        r = eco.pay(self.pool, pays, coins=sel, purpose=f"{self.name} pays out mixed coins")
        if r is None:
            return None
        held = frozenset().union(*(self.origin.get(c, frozenset()) for c in sel))
        self.stats["payouts"] += 1
        self.stats["draws_on_own_deposit"] += dep in held
        self.stats["only_own_deposit"] += held == {dep}
        oa, aw = eco.ledger.out_addr, eco.addr_wallet
        for o in r[1]:
            if aw[oa[o]] is self.pool and held:  # the change carries what its inputs held
                self.origin[o] = held
        return r

    def step(self) -> None:
        eco = self.eco
        due = [p for p in self.pending if p[0] <= eco.h]
        if due:
            self.pending = [p for p in self.pending if p[0] > eco.h]
            for _, addrs, sats, record, dep in due:
                cuts = np.sort(eco.rng.random(len(addrs) - 1))
                parts = np.diff(np.r_[0.0, cuts, 1.0]) * sats
                pays = [(a, int(v)) for a, v in zip(addrs, parts) if v > DUST]
                r = self._payout(pays, dep)
                if r is None:
                    self.pending.append((eco.h + 1, addrs, sats, record, dep))
                elif record is not None:
                    record.append(r[0])
        if (eco.h - eco.first_height) % 50 == 25:
            coins = self.deposits.confirmed()[:100]
            if coins:
                r = eco.pay(
                    self.deposits,
                    [(self.pool.new_address(), 0)],
                    coins=coins,
                    send_all=True,
                    purpose=f"{self.name} moves deposits into its reserve",
                )
                if r is not None:
                    for o in r[1]:
                        self.origin[o] = frozenset(int(c) for c in coins)


class Whirlpool:
    """Whirlpool-like CoinJoins: tx0 makes pool-sized coins; each mix has 5 inputs and 5 equal outputs."""

    def __init__(self, eco: Economy):
        self.eco = eco
        self.entity = eco.entity(
            "whirlpool_coordinator", "coinjoin_coordinator", "Whirlpool-like coordinator", "unknown"
        )
        self.fee_wallet = eco.wallet(self.entity, "service", label="Whirlpool-like coordinator fees")
        self.fee_addr = {d: self.fee_wallet.new_address() for d in WHIRLPOOL_POOLS}
        self.premix: dict[int, list[tuple[int, Wallet]]] = {d: [] for d in WHIRLPOOL_POOLS}
        self.postmix: dict[int, list[tuple[int, Wallet]]] = {d: [] for d in WHIRLPOOL_POOLS}
        self.mixes: list[int] = []
        self.surge = False  # surge cycles (2023): up to 3 extra remixers, 6 to 8 inputs and outputs

    def surplus(self) -> int:
        return int(max(self.eco.fee_rate, 2.0) * 130)

    def tx0(self, w: Wallet, *, pool: int | None = None, max_outputs: int = 10, coins=None, purpose=None):
        """Split a user's coins into premix coins of a pool (plus the coordinator's fee and 'toxic' change)."""
        eco = self.eco
        bal = w.balance() if coins is None else sum(eco.ledger.out_value[u] for u in coins)
        if pool is None:
            fits = [d for d in WHIRLPOOL_POOLS if bal > 2 * (d + WHIRLPOOL_FEE[d])]
            if not fits:
                return None
            pool = fits[-1] if eco.rng.random() < 0.6 else fits[int(eco.rng.integers(0, len(fits)))]
        s = pool + self.surplus()
        n = min(max_outputs, int((bal - WHIRLPOOL_FEE[pool] - 20_000) // s))
        if n < 1:
            return None
        # premix coins go to fresh p2wpkh addresses of the user (Whirlpool uses segwit)
        premix_addrs = [w.new_address(T_P2WPKH) for _ in range(n)]
        # a real tx0 starts with an OP_RETURN (its payload for the coordinator), then the pool fee, then premix coins
        pays = [(-1, 0), (self.fee_addr[pool], WHIRLPOOL_FEE[pool])] + [(a, s) for a in premix_addrs]
        r = eco.pay(w, pays, purpose=purpose or "Whirlpool tx0: split into pool-sized coins", coins=coins, credit=False)
        if r is None:
            return None
        t, outs = r
        oa = eco.ledger.out_addr
        for o in outs:
            a = oa[o]
            if a < 0:  # the OP_RETURN: nobody's coin
                continue
            if a in premix_addrs:
                self.premix[pool].append((o, w))
            else:  # the coordinator fee and the change
                eco.addr_wallet[a].utxos.append(o)
        return r

    def mix(self, pool: int) -> int | None:
        eco = self.eco
        b = eco.block_first_out
        preq, postq = self.premix[pool], self.postmix[pool]
        # the queues are in output-id order: the confirmed coins are a prefix
        n_pre_ok = bisect.bisect_left(preq, b, key=lambda x: x[0])
        n_post_ok = bisect.bisect_left(postq, b, key=lambda x: x[0])
        if not n_pre_ok or n_pre_ok + n_post_ok < 5 or (n_pre_ok < 2 and n_post_ok < 4):
            return None
        rng = eco.rng
        n_pre = max(min(2, n_pre_ok), 5 - n_post_ok)
        size = 5
        if self.surge and n_pre_ok + n_post_ok > 5:  # a surge cycle: extra remixers (or new entrants)
            size = min(n_pre_ok + n_post_ok, 5 + int(rng.integers(0, 4)))
            n_pre = max(n_pre, size - n_post_ok)
        pi = sorted(rng.choice(n_pre_ok, size=n_pre, replace=False).tolist(), reverse=True)
        chosen = [preq.pop(i) for i in pi]
        if n_pre < size:
            qi = sorted(rng.choice(n_post_ok, size=size - n_pre, replace=False).tolist(), reverse=True)
            chosen += [postq.pop(i) for i in qi]
        order = rng.permutation(size)
        chosen = [chosen[i] for i in order]
        out_owner = [chosen[i][1] for i in rng.permutation(size)]
        out_addrs = [w.new_address(T_P2WPKH) for w in out_owner]
        what = (
            "CoinJoin (Whirlpool-like, 5 inputs x 5 equal outputs)"
            if size == 5
            else f"CoinJoin (Whirlpool-like surge cycle, {size} inputs x {size} equal outputs)"
        )
        t, outs = eco.ledger.add_tx(
            eco.h,
            [o for o, _ in chosen],
            [(a, pool) for a in out_addrs],
            entity=self.entity,
            purpose=what,
            coinjoin=True,
            version=1,
            locktime=0,
            sequence=SEQ_FINAL,
        )
        eco._block_txs += 1
        self.mixes.append(t)
        for o, w in zip(outs, out_owner):
            self.postmix[pool].append((o, w))
        return t

    def exit_one(self) -> None:
        """A user takes one mixed coin out of the pool into their wallet (to spend it)."""
        eco = self.eco
        pools = [d for d in WHIRLPOOL_POOLS if len(self.postmix[d]) > 3]
        if not pools:
            return
        d = pools[int(eco.rng.integers(0, len(pools)))]
        o, w = self.postmix[d].pop(int(eco.rng.integers(0, len(self.postmix[d]))))
        w.utxos.append(o)

    def take_postmix(self, w: Wallet) -> list[int]:
        """Take all of ``w``'s mixed coins out of the pools into its wallet."""
        got = []
        for d in WHIRLPOOL_POOLS:
            mine = [x for x in self.postmix[d] if x[1] is w]
            self.postmix[d] = [x for x in self.postmix[d] if x[1] is not w]
            for o, _ in mine:
                w.utxos.append(o)
                got.append(o)
        return got

    def step(self) -> None:
        for d in WHIRLPOOL_POOLS:
            for _ in range(3):
                if self.mix(d) is None:
                    break


class Wasabi:
    """Wasabi-like CoinJoin rounds: many participants, equal 0.1 BTC outputs, change, coordinator fee."""

    def __init__(self, eco: Economy, *, every: int, denomination: int = WASABI_DENOM):
        self.eco = eco
        self.entity = eco.entity("wasabi_coordinator", "coinjoin_coordinator", "Wasabi-like coordinator", "unknown")
        self.fee_wallet = eco.wallet(self.entity, "service", label="Wasabi-like coordinator fees")
        self.fee_addr = self.fee_wallet.new_address()
        self.every = every
        self.denom = denomination
        self.registered: list[tuple[Wallet, list[int] | None]] = []  # story participants for the next round
        self.rounds: list[int] = []
        self.round_of_coin: dict[int, int] = {}  # registered (story) coin -> the round that spent it

    def register(self, w: Wallet, coins: list[int] | None = None) -> None:
        self.registered.append((w, coins))

    def step(self) -> None:
        eco = self.eco
        if (eco.h - eco.first_height) % self.every != 0 and not (
            self.registered and (eco.h - eco.first_height) % 6 == 0
        ):
            return
        rng = eco.rng
        L = eco.ledger
        lv = L.out_value
        fr = max(eco.fee_rate, 2.0)
        per_in, per_out = 68, 31
        cand = [w for w in rng.choice(eco.users, size=min(60, len(eco.users)), replace=False)]
        parts = list(self.registered)
        self.registered = []
        seen = {id(w) for w, _ in parts}
        # with the CoinJoin variants on, half the rounds have every participant at two levels (0.1 and 0.2 BTC),
        # so the higher level has as many equal outputs as the base level
        two_levels = getattr(eco, "variants", None) is not None and rng.random() < 0.5
        need = self.denom * (3.3 if two_levels else 1.2)
        for w in cand:
            if len(parts) >= 25 + int(rng.integers(0, 30)):
                break
            if two_levels and id(w) not in seen and w.balance() <= need and w.profile.receive_type == T_P2WPKH:
                eco.fund(w, [int(need * rng.uniform(1.05, 1.5))])  # a wealthier mixer (a coin from before the data)
            if id(w) not in seen and w.balance() > need:
                parts.append((w, None))
                seen.add(id(w))
        if len(parts) < 10:
            self.registered = [p for p in parts if p[1] is not None]
            return
        coord_fee_each = self.denom * 3 // 1000
        inputs, outputs, owners = [], [], []
        for w, coins in parts:
            conf = set(w.confirmed())
            if coins is None:
                cs = sorted(conf, key=lambda u: -lv[u])
                coins, tot = [], 0
                for u in cs:
                    coins.append(u)
                    tot += lv[u]
                    if (
                        tot
                        > (3 if two_levels else 1) * (self.denom + coord_fee_each)
                        + fr * (per_in * len(coins) + 3 * per_out)
                        + DUST
                    ):
                        break
            coins = [c for c in coins if c in conf]
            tot = sum(lv[u] for u in coins)
            # mixing levels as in Wasabi 1.x: 0.1, 0.2, 0.4 ... BTC, each level once, while affordable
            levels, used = [], 0
            lvl = self.denom
            while len(levels) < (2 if two_levels else 7):
                cost_next = int(fr * (per_in * len(coins) + per_out * (len(levels) + 2))) + coord_fee_each * (
                    len(levels) + 1
                )
                if used + lvl + cost_next + DUST > tot:
                    break
                levels.append(lvl)
                used += lvl
                lvl *= 2
            k = len(levels)
            cost = int(fr * (per_in * len(coins) + per_out * (k + 1))) + coord_fee_each * k
            change = tot - used - cost
            if not coins or k == 0 or change < 0:
                continue
            cs = set(coins)
            w.utxos = [u for u in w.utxos if u not in cs]
            inputs += coins
            for lv_ in levels:
                outputs.append((w.new_address(T_P2WPKH), lv_))
                owners.append(w)
            if change > DUST:
                outputs.append((w.new_address(T_P2WPKH), change))
                owners.append(w)
        if len(outputs) < 10:
            return
        fee_total = coord_fee_each * sum(1 for _, v in outputs if v % self.denom == 0)
        outputs.append((self.fee_addr, fee_total))
        owners.append(self.fee_wallet)
        order = rng.permutation(len(inputs))
        inputs = [inputs[i] for i in order]
        # Wasabi lists outputs by value, largest first
        idx = sorted(range(len(outputs)), key=lambda i: (-outputs[i][1], outputs[i][0]))
        outputs = [outputs[i] for i in idx]
        owners = [owners[i] for i in idx]
        what = (
            "CoinJoin (Wasabi-like, two levels: as many 0.2 as 0.1 BTC outputs)"
            if two_levels
            else "CoinJoin (Wasabi-like, equal outputs at 0.1, 0.2, 0.4 ... BTC)"
        )
        t, outs = L.add_tx(
            eco.h,
            inputs,
            outputs,
            entity=self.entity,
            purpose=what,
            coinjoin=True,
            version=1,
            locktime=0,
            sequence=SEQ_FINAL,
        )
        eco._block_txs += 1
        self.rounds.append(t)
        for c in inputs:
            self.round_of_coin[c] = t
        for o, w in zip(outs, owners):
            w.utxos.append(o)


# ====================================================================== CoinJoin families and look-alikes
#: (purpose prefix or fragment, family): how the answer key's ``purpose`` names each CoinJoin family and each
#: transaction that only looks like one (see :func:`coinjoin_family`)
COINJOIN_FAMILIES = (
    ("CoinJoin (Whirlpool", "whirlpool"),
    ("CoinJoin (Wasabi-like", "wasabi1"),
    ("CoinJoin (WabiSabi", "wasabi2"),
    ("CoinJoin (JoinMarket", "joinmarket"),
    ("Whirlpool tx0", "lookalike: whirlpool tx0"),
    ("STONEWALL", "lookalike: stonewall"),
    ("token transfer", "lookalike: token transfer"),
    ("(batch, equal amounts)", "lookalike: equal-amount batch"),
    ("consolidation into 1-2-5 amounts", "lookalike: 1-2-5 consolidation"),
)


def coinjoin_family(purpose: str, *, variant: bool = False) -> str:
    """The CoinJoin family of a transaction from its answer-key ``purpose``.

    One of ``whirlpool``, ``wasabi1``, ``wasabi2``, ``joinmarket``; ``lookalike: ...`` for a
    transaction made to look like (or easily mistaken for) a CoinJoin; ``other`` for everything else.
    With ``variant=True`` the CoinJoin families are split further (``whirlpool: surge cycle``,
    ``wasabi2: under 50 inputs``, ``joinmarket: fewer changes than makers`` ...).

    >>> coinjoin_family("CoinJoin (JoinMarket-like, 4 participants, 2 changes)")
    'joinmarket'
    >>> coinjoin_family("CoinJoin (JoinMarket-like, 4 participants, 2 changes)", variant=True)
    'joinmarket: fewer changes than makers'
    >>> coinjoin_family("payment to a person")
    'other'
    """
    for key, fam in COINJOIN_FAMILIES:
        if key in purpose:
            break
    else:
        return "other"
    if not variant:
        return fam
    if fam == "whirlpool":
        return "whirlpool: surge cycle (6-8)" if "surge" in purpose else "whirlpool: 5 x 5"
    if fam == "wasabi1":
        return "wasabi1: two levels, as many 0.2 as 0.1 BTC" if "two levels" in purpose else "wasabi1: levels"
    if fam == "wasabi2":
        return "wasabi2: under 50 inputs" if "under 50" in purpose else "wasabi2: 50+ inputs"
    if fam == "joinmarket":
        words = purpose.split()
        n = int(words[words.index("participants,") - 1])
        k = int(words[words.index("participants,") + 1])
        return (
            "joinmarket: no change"
            if k == 0
            else "joinmarket: fewer changes than makers"
            if k < n - 1
            else "joinmarket: a change for (nearly) everyone"
        )
    return fam


def _ww2_amounts(value: int, denoms: list[int], max_outputs: int = 8) -> tuple[list[int], int]:
    """Split ``value`` into WabiSabi standard amounts, largest first (greedy); returns (amounts, leftover)."""
    outs = []
    left = value
    for d in denoms:  # largest first
        while d <= left and len(outs) < max_outputs:
            outs.append(d)
            left -= d
        if len(outs) >= max_outputs:
            break
    return outs, left


class CoinJoinVariants:
    """Every CoinJoin family the detectors should find, and the transactions that only look like CoinJoins.

    Turned on by ``Economy(coinjoin_variants=True)``. Each block may bring (shapes from the wallets'
    documentation and the scanners' rules; see ``cryptotrace.heuristics.coinjoin.REFERENCES``):

    * a **WabiSabi-like round** (Wasabi 2): 20 to 150 segwit inputs from remixing users, outputs at the
      standard denominations, inputs and outputs listed largest first, sometimes a coordinator fee;
    * a **JoinMarket-like CoinJoin**: a taker and 2-8 makers, one equal amount each, a change for most
      (makers whose coin nearly equals the amount have none; a sweeping taker has none);
    * look-alikes (not CoinJoins): a **STONEWALL** payment (one wallet: payment + equal decoy + 2 changes),
      an Omni/Colu-like **token transfer** (OP_RETURN + two equal dust outputs + change), an exchange's
      **equal-amount batch** (3 equal withdrawals, or 10-16 of 0.1 BTC), a **60-input consolidation into
      1-2-5 amounts**. The Whirlpool coordinator also runs **surge cycles** (6-8 inputs).
    """

    def __init__(self, eco: Economy):
        self.eco = eco
        rng = eco.rng
        E = eco.entity
        from ..heuristics.coinjoin import wasabi2_denominations

        self.denoms = [int(d) for d in wasabi2_denominations()[::-1] if d <= 100 * SATS]
        self.ww2_entity = E("wabisabi_coordinator", "coinjoin_coordinator", "WabiSabi-like coordinator", "unknown")
        self.ww2_fee_wallet = eco.wallet(self.ww2_entity, "service", label="WabiSabi-like coordinator fees")
        self.ww2_fee_addr = self.ww2_fee_wallet.new_address()
        self.ww2_users = []
        for i in range(90):
            ent = E(f"wabisabi_user_{i + 1:03d}", "user", f"WabiSabi user {i + 1}", COUNTRIES[i % len(COUNTRIES)])
            w = eco.wallet(ent, "taproot" if i % 4 == 0 else "core")
            eco.fund(w, rng.lognormal(np.log(0.03 * SATS), 1.0, size=int(rng.integers(1, 4))).astype(np.int64) + 20_000)
            self.ww2_users.append(w)
        self.jm = []
        for i in range(30):
            ent = E(f"joinmarket_{i + 1:03d}", "user", f"JoinMarket user {i + 1}", COUNTRIES[(i * 5) % len(COUNTRIES)])
            self.jm.append(eco.wallet(ent, "core" if i % 3 else "nested"))
        self.batch_payees = [
            eco.wallet(E(f"batch_payee_{i + 1:03d}", "user", f"customer {i + 1}", "DE"), "mobile") for i in range(40)
        ]
        self.rounds: dict[str, list[int]] = {
            "wasabi2": [],
            "joinmarket": [],
            "stonewall": [],
            "token": [],
            "equal_batch": [],
            "consolidation": [],
        }

    # ------------------------------------------------------------------ helpers
    def _ww2_type_ok(self, o: int) -> bool:
        L = self.eco.ledger
        return L.addr_type[L.out_addr[o]] in (T_P2WPKH, T_P2TR)

    def step(self) -> None:
        eco = self.eco
        r = eco.rng.random(6)
        if r[0] < 0.06:
            self.wabisabi_round()
        if r[1] < 0.08:
            self.joinmarket()
        if r[2] < 0.08:
            self.stonewall()
        if r[3] < 0.08:
            self.token_transfer()
        if r[4] < 0.05:
            self.equal_batch()
        if r[5] < 0.025:
            self.consolidation()

    # ------------------------------------------------------------------ CoinJoins
    def wabisabi_round(self) -> int | None:
        eco = self.eco
        rng = eco.rng
        L = eco.ledger
        lv = L.out_value
        fr = max(eco.fee_rate, 1.0)
        small = rng.random() < 0.5
        target = int(rng.integers(20, 50)) if small else int(rng.integers(50, 151))
        order = rng.permutation(len(self.ww2_users))
        parts = []  # (wallet, coins)
        n_in = 0
        for i in order:
            w = self.ww2_users[int(i)]
            coins = [c for c in w.confirmed() if self._ww2_type_ok(c) and lv[c] >= 10_000][:3]
            if not coins:
                continue
            parts.append((w, coins))
            n_in += len(coins)
            if n_in >= target:
                break
        if n_in < 20:
            # the users' coins are in this block's rounds; top them up from outside for the next rounds
            for w in self.ww2_users[:10]:
                eco.fund(w, [int(rng.lognormal(np.log(0.03 * SATS), 1.0)) + 20_000])
            return None
        coord = rng.random() < 0.5  # a coordinator fee (0.3% of fresh inputs of 0.01 BTC or more), else free
        inputs, outputs, owners = [], [], []
        coord_fee = 0
        for w, coins in parts:
            value = sum(lv[c] for c in coins)
            fee = int(fr * (68 * len(coins) + 43 * 4))
            cf = sum(lv[c] for c in coins if lv[c] >= 1_000_000) * 3 // 1000 if coord else 0
            amounts, left = _ww2_amounts(value - fee - cf, self.denoms)
            if not amounts:
                continue
            coord_fee += cf
            inputs += coins
            cs = set(coins)
            w.utxos = [u for u in w.utxos if u not in cs]
            atype = T_P2TR if w.profile.receive_type == T_P2TR else T_P2WPKH
            for a in amounts:
                outputs.append((w.new_address(atype), a))
                owners.append(w)
            if left >= 5_000 and rng.random() < 0.3:  # a change the client could not split (else to the miners)
                outputs.append((w.new_address(atype), left))
                owners.append(w)
        if len(inputs) < 20 or not outputs:
            return None
        if coord_fee >= 5_000:
            outputs.append((self.ww2_fee_addr, coord_fee))
            owners.append(self.ww2_fee_wallet)
        # WabiSabi lists inputs and outputs by value, largest first
        inputs.sort(key=lambda c: -lv[c])
        idx = sorted(range(len(outputs)), key=lambda i: (-outputs[i][1], outputs[i][0]))
        outputs = [outputs[i] for i in idx]
        owners = [owners[i] for i in idx]
        t, outs = L.add_tx(
            eco.h,
            inputs,
            outputs,
            entity=self.ww2_entity,
            purpose=f"CoinJoin (WabiSabi-like, {'under 50' if len(inputs) < 50 else '50+'} inputs)",
            coinjoin=True,
            version=2,
            locktime=0,
            sequence=SEQ_FINAL,
        )
        eco._block_txs += 1
        self.rounds["wasabi2"].append(t)
        for o, w in zip(outs, owners):
            w.utxos.append(o)
        return t

    def _coin_at_least(self, w: Wallet, v: int) -> int | None:
        lv = self.eco.ledger.out_value
        best = [c for c in w.confirmed() if lv[c] >= v]
        return min(best, key=lambda c: lv[c]) if best else None

    def joinmarket(self) -> int | None:
        eco = self.eco
        rng = eco.rng
        L = eco.ledger
        lv = L.out_value
        fr = max(eco.fee_rate, 1.0)
        k = int(rng.integers(2, 9))  # makers
        pick = rng.choice(len(self.jm), size=k + 1, replace=False)
        taker, makers = self.jm[int(pick[0])], [self.jm[int(i)] for i in pick[1:]]
        sweep = rng.random() < 0.3
        d = int(rng.lognormal(np.log(0.02 * SATS), 1.0)) + 200_000
        cjfees = [max(100, int(d * rng.uniform(0.00002, 0.0003))) for _ in makers]
        n_in_est = k + 2
        miner = int(fr * (68 * n_in_est + 31 * 2 * (k + 1) + 11))
        # the taker's coin
        if sweep:
            t_coins = [c for c in taker.confirmed()][:2] or eco.fund(taker, [d + sum(cjfees) + miner])
            d = sum(lv[c] for c in t_coins) - sum(cjfees) - miner
            if d < 100_000:
                return None
            t_change = 0
        else:
            c = self._coin_at_least(taker, d + sum(cjfees) + miner + 50_000)
            if c is not None:
                t_coins = [c]
            else:
                t_coins = eco.fund(taker, [d + sum(cjfees) + miner + int(rng.integers(50_000, 5 * SATS // 10))])
            t_change = sum(lv[c] for c in t_coins) - d - sum(cjfees) - miner
        inputs, outputs, owners = list(t_coins), [], []
        tw = taker.new_address()
        outputs.append((tw, d))
        owners.append(taker)
        if t_change >= DUST:
            outputs.append((taker.new_address(), t_change))
            owners.append(taker)
        n_change = int(t_change >= DUST)
        for m, cf in zip(makers, cjfees):
            if rng.random() < 0.25:  # a coin that nearly equals the amount: no change for this maker
                coin = eco.fund(m, [d - cf + int(rng.integers(0, 500))])[0]
            else:
                coin = self._coin_at_least(m, d + 20_000)
                if coin is None:
                    coin = eco.fund(m, [d + int(rng.lognormal(np.log(0.01 * SATS), 1.0)) + 20_000])[0]
            inputs.append(coin)
            outputs.append((m.new_address(), d))
            owners.append(m)
            ch = lv[coin] - d + cf
            if ch >= DUST:
                outputs.append((m.new_address(), ch))
                owners.append(m)
                n_change += 1
        for c in inputs:
            for w in [taker, *makers]:
                if c in w.utxos:
                    w.utxos.remove(c)
        if sum(lv[c] for c in inputs) < sum(v for _, v in outputs):
            return None  # pragma: no cover - the fee estimate fell short
        oi = rng.permutation(len(outputs))
        outputs = [outputs[i] for i in oi]
        owners = [owners[i] for i in oi]
        inputs = [inputs[i] for i in rng.permutation(len(inputs))]
        t, outs = L.add_tx(
            eco.h,
            inputs,
            outputs,
            entity=taker.entity,
            purpose=f"CoinJoin (JoinMarket-like, {k + 1} participants, {n_change} changes)",
            coinjoin=True,
            version=2,
            locktime=eco.h - 1,
            sequence=SEQ_LOCKTIME,
        )
        eco._block_txs += 1
        self.rounds["joinmarket"].append(t)
        for o, w in zip(outs, owners):
            w.utxos.append(o)
        return t

    # ------------------------------------------------------------------ look-alikes
    def stonewall(self) -> int | None:
        """STONEWALL: one wallet pays someone and adds a decoy output of the same amount to itself."""
        eco = self.eco
        rng = eco.rng
        lv = eco.ledger.out_value
        w = eco.users[int(rng.integers(0, len(eco.users)))]
        coins = sorted(w.confirmed(), key=lambda c: -lv[c])[:4]
        if len(coins) < 2:
            return None
        total = sum(lv[c] for c in coins)
        fee = int(max(eco.fee_rate, 1.0) * (68 * len(coins) + 31 * 4 + 11))
        a = int(total * rng.uniform(0.1, 0.3)) // 1000 * 1000
        rest = total - 2 * a - fee
        if a < 10_000 or rest < 4 * DUST:
            return None
        c1 = int(rest * rng.uniform(0.2, 0.8))
        other = eco.users[int(rng.integers(0, len(eco.users)))]
        outputs = [
            (other.receive_address(), a),
            (w.new_address(), a),  # the payment and its decoy
            (w.new_address(), c1),
            (w.new_address(), rest - c1),
        ]
        outputs = [outputs[i] for i in rng.permutation(4)]
        r = eco.ledger.add_tx(
            eco.h,
            coins,
            outputs,
            entity=w.entity,
            purpose="STONEWALL payment (one wallet: payment, equal decoy, two changes)",
            version=2,
            locktime=eco.h - 1,
            sequence=SEQ_RBF,
        )
        cs = set(coins)
        w.utxos = [u for u in w.utxos if u not in cs]
        eco.credit(r[1], [x for x, _ in outputs])
        eco._block_txs += 1
        self.rounds["stonewall"].append(r[0])
        return r[0]

    def token_transfer(self) -> int | None:
        """An Omni/Colu-like token transfer: OP_RETURN payload, two equal dust outputs, a bitcoin change."""
        eco = self.eco
        rng = eco.rng
        lv = eco.ledger.out_value
        w = eco.users[int(rng.integers(0, len(eco.users)))]
        coins = sorted(w.confirmed(), key=lambda c: -lv[c])[: int(rng.integers(1, 3))]
        if not coins:
            return None
        dust = int(rng.choice([546, 600, 651, 1_000]))
        fee = int(max(eco.fee_rate, 1.0) * (148 * len(coins) + 34 * 3 + 20 + 10))
        change = sum(lv[c] for c in coins) - 2 * dust - fee
        if change < 10 * DUST:
            return None
        other = eco.users[int(rng.integers(0, len(eco.users)))]
        outputs = [(-1, 0), (other.receive_address(), dust), (w.new_address(), dust), (w.new_address(), change)]
        r = eco.ledger.add_tx(
            eco.h,
            coins,
            outputs,
            entity=w.entity,
            purpose="token transfer (Omni/Colu-like: OP_RETURN, two equal dust outputs)",
            version=1,
            locktime=0,
            sequence=SEQ_FINAL,
            change_vout=3,
        )
        cs = set(coins)
        w.utxos = [u for u in w.utxos if u not in cs]
        eco.credit(r[1], [x for x, _ in outputs])
        eco._block_txs += 1
        self.rounds["token"].append(r[0])
        return r[0]

    def equal_batch(self) -> int | None:
        """An exchange pays several customers the same amount in one batch (3 equal, or 10-16 of 0.1 BTC)."""
        eco = self.eco
        rng = eco.rng
        if not eco.exchanges:
            return None
        ex = eco.random_exchange()
        if rng.random() < 0.5:
            k, amount = 3, int(rng.choice([100_000, 500_000, 1_000_000, 2_000_000]))
        else:
            k, amount = int(rng.integers(10, 17)), 10_000_000
        pays = [(self.batch_payees[int(i)].new_address(), amount) for i in rng.choice(len(self.batch_payees), k)]
        pays += [
            (self.batch_payees[int(i)].new_address(), int(rng.lognormal(np.log(0.01 * SATS), 1.0)) + 20_000)
            for i in rng.choice(len(self.batch_payees), int(rng.integers(0, 6)))
        ]
        pays = [pays[i] for i in rng.permutation(len(pays))]
        r = eco.pay(ex.hot, pays, purpose=f"{ex.name} pays customer withdrawals (batch, equal amounts)")
        if r is None:
            ex.refill()
            return None
        self.rounds["equal_batch"].append(r[0])
        return r[0]

    def consolidation(self) -> int | None:
        """A service sweeps 60 small coins (60 addresses) into 1-2-5 amounts, inputs and outputs largest first."""
        eco = self.eco
        rng = eco.rng
        L = eco.ledger
        ent = eco.entity(
            f"consolidator_{len(self.rounds['consolidation']) + 1:03d}", "merchant", "a shop's wallet", "DE"
        )
        w = eco.wallet(ent, "core")
        coins = eco.fund(w, rng.lognormal(np.log(0.02 * SATS), 0.8, size=60).astype(np.int64) + 20_000)
        coins.sort(key=lambda c: -L.out_value[c])
        total = sum(L.out_value[c] for c in coins)
        fee = int(max(eco.fee_rate, 1.0) * (68 * 60 + 31 * 4 + 11))
        ones = [x for x in (10**p * m for p in range(4, 11) for m in (1, 2, 5)) if x * 3 <= total - fee]
        if not ones:
            return None
        x = max(ones)
        smaller = [v for v in ones if v < x and v <= total - fee - 2 * x]
        y = max(smaller) if smaller else 0
        amounts = [x, x] + ([y] if y else [])
        rest = total - fee - sum(amounts)
        outputs = [(w.new_address(), v) for v in amounts]
        if rest >= DUST:
            outputs.append((w.new_address(), rest))
        outputs.sort(key=lambda o: -o[1])
        t, outs = L.add_tx(
            eco.h,
            coins,
            outputs,
            entity=ent,
            purpose="consolidation into 1-2-5 amounts (60 inputs of one wallet)",
            version=2,
            locktime=0,
            sequence=SEQ_FINAL,
        )
        cs = set(coins)
        w.utxos = [u for u in w.utxos if u not in cs]
        eco.credit(outs, [a for a, _ in outputs])
        eco._block_txs += 1
        self.rounds["consolidation"].append(t)
        return t
