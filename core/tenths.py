"""Numbers people give with one decimal — a score of 7.5, 1.5 hours — kept as exact integer tenths, as money is
kept in minor units."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

LARGEST = Decimal(10) ** 9
"""Beyond any score or hours: a bigger number is refused before any arithmetic on it (1e999999 would overflow)."""


def tenths(value) -> int | None:
    """``value`` (a JSON number or a string) in tenths, or None when it is no finite number with at most one
    decimal; the caller checks its range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > LARGEST:
        return None
    scaled = Fraction(number) * 10  # exact, whatever the digits (a Decimal would round past its precision)
    return int(scaled) if scaled.denominator == 1 else None
