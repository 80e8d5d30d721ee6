"""Money in integer minor units, and exact allocation.

Every amount in Linli is an ``int`` of minor units (fen, cents) with an ISO 4217
currency code, the way Stripe stores them. Nothing here ever touches a float:
shares are computed with integer arithmetic and split with the largest-remainder
method, so the parts of any split always add up to the whole.
"""
from __future__ import annotations

from dataclasses import dataclass

BPS_WHOLE = 10_000  # 1 basis point = 0.01 %
CURRENCIES = frozenset({"AUD", "CAD", "CHF", "CNY", "EUR", "GBP", "HKD", "MOP", "NZD", "SGD", "TWD", "USD"})
"""The ISO 4217 currencies a community may keep its books in: those whose minor unit is a hundredth, as every
amount here is written with two decimals (``major_units``, ``minor_units``)."""


class CurrencyMismatch(ValueError):
    """Two amounts of different currencies were combined."""


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount) is not int:
            raise TypeError(f"money amounts are integers of minor units, not {type(self.amount).__name__}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("money combines only with money")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, count: int) -> Money:
        if type(count) is not int:
            raise TypeError("money multiplies only by whole numbers")
        return Money(self.amount * count, self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        return [Money(part, self.currency) for part in allocate(self.amount, weights)]


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the parts sum to ``total`` exactly.

    Each part is first floored; the remaining units go one each to the parts with
    the largest remainders, ties broken by position, so the result is deterministic.
    """
    if type(total) is not int:
        raise TypeError("allocate takes an integer total")
    if not weights or any(type(w) is not int or w < 0 for w in weights):
        raise ValueError("weights are non-negative integers")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    sign, magnitude = (-1, -total) if total < 0 else (1, total)
    floors = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    leftover = magnitude - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:leftover]:
        floors[i] += 1
    return [sign * part for part in floors]


def part_of(share: int, part: int, whole: int) -> int:
    """The part of ``share`` that goes with ``part`` of ``whole`` (e.g. the donation a refund takes back), as the
    first part of ``allocate``: the parts taken one after another never add up to more than the share."""
    return allocate(share, [part, whole - part])[0] if part else 0


def share_bps(amount: int, bps: int) -> int:
    """The part of ``amount`` that ``bps`` basis points give, rounded half up.

    It is the first part of ``allocate(amount, [bps, 10000 - bps])`` so that the
    share and the rest always sum to the amount.
    """
    if not 0 <= bps <= BPS_WHOLE:
        raise ValueError("basis points are between 0 and 10000")
    if bps in (0, BPS_WHOLE):
        return amount if bps else 0
    return allocate(amount, [bps, BPS_WHOLE - bps])[0]


def major_units(amount: int, places: int = 2) -> str:
    """``amount`` minor units as the decimal string providers speak (1250 → "12.50"; Alipay's yuan), exactly."""
    if type(amount) is not int:
        raise TypeError("an amount is an integer of minor units")
    sign, magnitude = ("-", -amount) if amount < 0 else ("", amount)
    whole, part = divmod(magnitude, 10 ** places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def minor_units(value: str, places: int = 2) -> int:
    """A provider's decimal string in minor units ("12.5" → 1250); ValueError for anything that is not exactly
    such an amount (a float's repr, an exponent, more decimals than the currency has)."""
    text = value.strip() if isinstance(value, str) else None
    if not text or len(text) > 30:
        raise ValueError(f"not an amount: {value!r}")
    sign = -1 if text.startswith("-") else 1
    whole, dot, part = text.lstrip("-").partition(".")
    if not whole.isascii() or not whole.isdigit() or (dot and not (part.isascii() and part.isdigit())) \
            or len(part) > places:
        raise ValueError(f"not an amount with at most {places} decimals: {value!r}")
    return sign * (int(whole) * 10 ** places + int(part.ljust(places, "0") or 0))
