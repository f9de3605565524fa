"""Change detection: which output of a payment went back to the sender?

A typical payment has two outputs: the amount paid, and the *change* that
returns to the payer's own wallet. Finding the change lets an investigator
follow the payer's remaining money, and join the change address to the
payer's cluster. None of these rules is certain; each one only makes a call
when exactly one output fits it. :func:`cryptotrace.evaluate` measures how
often each one is right on a chain with a known answer.

Every object here is a :class:`~cryptotrace.heuristics.base.ChangeHeuristic`:
``h(chain)`` returns, for every transaction, the output number it calls
change (``<NA>`` when it makes no call).

Examples
--------
>>> from cryptotrace.heuristics import change
>>> change.round_amount.name
'round_amount'
>>> import cryptotrace as ct
>>> calls = change.round_amount(ct.load_sample())   # one entry per transaction: a vout or <NA>
>>> str(calls.dtype)
'Int64'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import HeuristicError
from .base import ChangeHeuristic, all_of, any_of, but_not, features, unique_change
from .peel import peel_chain

__all__ = [
    "AddressReuse",
    "FreshAddress",
    "RoundAmount",
    "FiatRoundAmount",
    "ScriptTypeMatch",
    "OptimalChange",
    "WalletFingerprint",
    "address_reuse",
    "fresh_address",
    "round_amount",
    "script_type",
    "optimal_change",
    "wallet_fingerprint",
    "peel_chain",
    "ALL",
    "all_of",
    "any_of",
    "but_not",
    "unique_change",
]


class AddressReuse(ChangeHeuristic):
    name = "address_reuse"
    rationale = (
        "Some wallets send the change back to the very address the coins came from. An output paid to "
        "one of the transaction's own input addresses is then the change."
    )
    reference = "BlockSci change.address_reuse; Meiklejohn et al., A Fistful of Bitcoins (2013)"
    because = "it pays back to an address that also spends in this transaction"

    def candidates(self, chain):
        f = features(chain)
        return f.base_change & f.is_self_payment


class FreshAddress(ChangeHeuristic):
    name = "fresh_address"
    rationale = (
        "Wallets make a brand-new address for every change output, while people are usually paid at "
        "an address that has been used before (a shop, an exchange deposit). If exactly one output goes "
        "to an address never seen before, it is the change (one-time change address)."
    )
    reference = (
        "BlockSci change.client_change_address_behavior; Androulaki et al. (2013); "
        "Meiklejohn et al. (2013) one-time change"
    )
    because = "it is the only output paid to an address never seen before"

    def candidates(self, chain):
        f = features(chain)
        a = np.maximum(f.out_addr, 0)
        return f.base_change & (f.first_tx_of_address[a] == f.out_tx) & ~f.is_self_payment


class RoundAmount(ChangeHeuristic):
    """The payment is a round amount of bitcoin, so the one output that is not round is change.

    Parameters
    ----------
    digits : int, default 5
        An amount is round when it is a whole multiple of ``10**digits``
        satoshis (5: 0.001 BTC; 6: 0.01 BTC).
    """

    name = "round_amount"
    rationale = (
        "Payments are often round numbers of bitcoin (0.5 BTC, 0.02 BTC), while the change is whatever "
        "is left over. If all outputs but one are round, the one that is not round is the change."
    )
    reference = "BlockSci change.power_of_ten_value; Androulaki et al. (2013)"

    def __init__(self, *, digits: int = 5):
        if not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 12:
            raise HeuristicError(
                f"round_amount(digits={digits!r}): digits must be a whole number from 1 to 12 "
                "(5 means multiples of 0.001 BTC)"
            )
        self.digits = int(digits)
        if self.digits != 5:
            self.name = f"round_amount(digits={self.digits})"
        self.because = (
            f"it is the only output that is not a round amount (the others are multiples of "
            f"{10**self.digits / 1e8:g} BTC)"
        )

    def candidates(self, chain):
        f = features(chain)
        rnd = (f.out_value % (10**self.digits) == 0) & (f.out_value > 0)
        n_round = np.bincount(f.out_tx[rnd], minlength=f.n_txs)
        return f.base_change & ~rnd & (n_round[f.out_tx] >= 1)


class FiatRoundAmount(ChangeHeuristic):
    """The payment is a round amount of money (dollars, euros), so the other output is change.

    Parameters
    ----------
    price : float or pandas.Series
        Fiat price of one bitcoin: one number, or a Series indexed by date
        (daily prices; the transaction's day is looked up, the last known
        earlier price fills gaps).
    unit : float, default 10
        A payment is round when worth, within ``tolerance``, a multiple of ``unit`` (e.g. 10 dollars)
        with at most two significant digits (250, 1,500, 20,000; not 24,530).
    tolerance : float, default 0.005
        How close (as a fraction of the amount) counts as round, since prices move within a day.
    currency : str, default "USD"
        Only used in the words.
    """

    name = "fiat_round_amount"
    rationale = (
        "People often pay a round sum of money (250 dollars) converted to bitcoin at the day's price. "
        "If exactly one output is NOT worth a round amount of money while another is, it is the change."
    )
    reference = "Ermilov et al. (2017); Kappos et al., An Empirical Analysis of Privacy in Zcash (2018) fiat round"

    def __init__(self, *, price, unit: float = 10.0, tolerance: float = 0.005, currency: str = "USD"):
        if isinstance(price, (int, float)) and not isinstance(price, bool):
            if price <= 0:
                raise HeuristicError(f"fiat_round_amount(price={price!r}): the price of one bitcoin must be positive")
        elif not isinstance(price, pd.Series):
            raise HeuristicError(
                f"fiat_round_amount(price=...) takes a number or a pandas Series of daily prices, "
                f"not {type(price).__name__}"
            )
        if unit <= 0 or not 0 < tolerance < 0.5:
            raise HeuristicError(
                f"fiat_round_amount: unit ({unit!r}) must be positive and tolerance ({tolerance!r}) between 0 and 0.5"
            )
        self.price, self.unit, self.tolerance, self.currency = price, float(unit), float(tolerance), currency
        self.because = f"it is the only output not worth a round amount of {currency} (multiples of {unit:g})"

    def _price_per_tx(self, chain) -> np.ndarray:
        if not isinstance(self.price, pd.Series):
            return np.full(len(chain.txs), float(self.price))
        p = self.price.copy()
        p.index = pd.to_datetime(p.index, utc=True).normalize()
        p = p.sort_index()
        days = chain.txs.time.dt.floor("D")
        pos = p.index.searchsorted(days.fillna(p.index[0]).to_numpy(), side="right") - 1
        vals = p.to_numpy(float)[np.clip(pos, 0, len(p) - 1)]
        return np.where((pos >= 0) & days.notna().to_numpy(), vals, np.nan)

    def candidates(self, chain):
        f = features(chain)
        price = self._price_per_tx(chain)[f.out_tx]
        fiat = f.out_value / 1e8 * price
        # round: close to a number with at most two significant digits, and a multiple of ``unit``
        with np.errstate(divide="ignore", invalid="ignore"):
            mag = 10.0 ** np.floor(np.log10(np.where(fiat > 0, fiat, 1.0)))
        step = np.maximum(self.unit, mag / 10)
        nearest = np.round(fiat / step) * step
        rnd = (nearest > 0) & (np.abs(fiat - nearest) <= self.tolerance * np.maximum(fiat, 1e-12))
        rnd &= ~np.isnan(fiat)
        n_round = np.bincount(f.out_tx[rnd], minlength=f.n_txs)
        return f.base_change & ~rnd & ~np.isnan(fiat) & (n_round[f.out_tx] >= 1)


class ScriptTypeMatch(ChangeHeuristic):
    name = "script_type"
    rationale = (
        "A wallet makes its change address of the same kind as its own addresses (e.g. bc1q... if it "
        "spends from bc1q...). If all inputs share one address type and exactly one output has that type, "
        "that output is the change."
    )
    reference = "BlockSci change.address_type; Ermilov et al. (2017); Moeser & Narayanan (2022)"
    because = "it is the only output of the same address type as the inputs"

    def candidates(self, chain):
        f = features(chain)
        its = f.input_script_type[f.out_tx]
        return f.base_change & (its >= 0) & (f.out_script_type == its)


class OptimalChange(ChangeHeuristic):
    name = "optimal_change"
    rationale = (
        "Wallets do not add coins they do not need. If one output is smaller than every input, that "
        "output is the change: had the payment been that small, one input fewer would have paid it."
    )
    reference = "BlockSci change.optimal_change; Nick, Data-Driven De-Anonymization in Bitcoin (2015)"
    because = "it is the only output smaller than every input (an unnecessary-input test)"

    def candidates(self, chain):
        f = features(chain)
        t = f.out_tx
        return f.base_change & f.in_value_known[t] & (f.out_value < f.min_in_value[t])


class WalletFingerprint(ChangeHeuristic):
    name = "wallet_fingerprint"
    rationale = (
        "Each wallet program builds transactions its own way (version number, whether a locktime is set, "
        "the input sequence numbers). The change is spent later by the same wallet, so it is spent by a "
        "transaction with the same fingerprint; a payment is spent by someone else's wallet."
    )
    reference = "BlockSci change.locktime; Kappos et al. (2022) wallet fingerprints; Moeser & Narayanan (2022)"
    because = (
        "it is the only output later spent by a transaction built the same way (same version, locktime "
        "use and sequence numbers) as this one"
    )

    def candidates(self, chain):
        f = features(chain)
        sp = f.spender_tx
        same = np.zeros(len(sp), dtype=bool)
        ok = sp >= 0
        same[ok] = f.fingerprint[sp[ok]] == f.fingerprint[f.out_tx[ok]]
        return f.base_change & same


address_reuse = AddressReuse()
fresh_address = FreshAddress()
round_amount = RoundAmount()
script_type = ScriptTypeMatch()
optimal_change = OptimalChange()
wallet_fingerprint = WalletFingerprint()

#: every change heuristic, in the order the tables list them (peel_chain lives in peel.py: it also finds whole chains)
ALL = (address_reuse, fresh_address, round_amount, script_type, optimal_change, wallet_fingerprint, peel_chain)
