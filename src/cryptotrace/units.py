"""Amounts: cryptotrace keeps integer satoshis everywhere and shows BTC only on display.

1 BTC = 100,000,000 satoshis ("sats"). Working in whole satoshis means sums
are exact: no 0.30000000000000004 BTC in an evidence table.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .errors import ValueRangeError

SATS_PER_BTC = 100_000_000
#: The most satoshis that can ever exist (21 million BTC).
MAX_SATS = 21_000_000 * SATS_PER_BTC

__all__ = ["MAX_SATS", "SATS_PER_BTC", "btc_to_sats", "format_btc", "sats_to_btc"]


def btc_to_sats(amount) -> int:
    """Convert a BTC amount (number or text such as ``"0.05"``) to whole satoshis, exactly.

    Examples
    --------
    >>> btc_to_sats("63.69996546")
    6369996546
    >>> btc_to_sats(0.1)
    10000000
    """
    try:
        d = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValueRangeError(f"amount {amount!r} is not a number of BTC; write it like 0.05") from None
    if not d.is_finite() or d.adjusted() > 15:  # 1e999999999 would take minutes to turn into an int
        raise ValueRangeError(
            f"amount {str(amount)[:40]!r} is not an amount of BTC (more than all the bitcoins "
            "there can be); write it like 0.05"
        )
    sats = d * SATS_PER_BTC
    if sats != sats.to_integral_value():
        raise ValueRangeError(
            f"amount {amount!r} BTC has more than 8 decimal places; a satoshi (0.00000001 BTC) is the smallest unit"
        )
    return int(sats)


def sats_to_btc(sats) -> float:
    """Satoshis as a float number of BTC, for display and plots only.

    Examples
    --------
    >>> sats_to_btc(150_000_000)
    1.5
    """
    return sats / SATS_PER_BTC


def format_btc(sats, *, unit: bool = True) -> str:
    """Satoshis as readable BTC text with all 8 decimals.

    Examples
    --------
    >>> format_btc(6369996546)
    '63.69996546 BTC'
    >>> format_btc(-5, unit=False)
    '-0.00000005'
    """
    try:
        sats = int(sats)
    except (TypeError, ValueError):  # None, NaN, pandas NA
        return "unknown"
    sign = "-" if sats < 0 else ""
    whole, frac = divmod(abs(sats), SATS_PER_BTC)
    text = f"{sign}{whole:,}.{frac:08d}"
    return text + " BTC" if unit else text
