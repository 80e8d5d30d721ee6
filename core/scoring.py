"""An operator's monthly score, 0–10 with one decimal, as a pure function of the month's figures (no database).

Every figure and every result is an integer (scores in tenths, as money is in minor units) and every division
rounds half up by integer arithmetic, so the same month always gives the same score on every machine.

The parts, each 0.0–10.0 (README, "The monthly score"):

- ratings: the mean of the stars residents gave in the month, times 2 (4.5 stars → 9.0); missing when none.
- complaints: 10 − 2 × (upheld complaints per 100 bookings), at least 0 (1 upheld in 100 → 8.0, 5 in 100 → 0);
  missing when the operator had no booking and no upheld complaint.
- fulfilment: the share of the month's due bookings the operator did not call off, times 10; missing when none
  were due.
- inspection: the mean of the month's inspections; missing when there was none.
- donations: the share of the month's donations due that were paid on time, times 10; missing when none were due.

The score is the mean of the present parts (each rounded to one decimal first, so the breakdown adds up) weighted
by the community's weights: a missing part's weight is shared out among the others, never scored as full marks. A
month with no part at all, or only parts weighted 0, has no score.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from core.models.accountability import SCORE_PARTS

FULL = 100
"""Full marks in tenths: 10.0."""
COMPLAINT_TENTHS = 20 * 100
"""Tenths taken off per upheld complaint per booking: 2 points per complaint per 100 bookings."""


@dataclass(frozen=True)
class Figures:
    """What one operator's month is scored from."""

    stars: tuple[int, ...] = ()
    """The stars (1–5) of each rating residents gave in the month."""
    bookings_due: int = 0
    """Bookings of the operator's times in the month that were to be served (not those the resident cancelled
    or let expire)."""
    called_off: int = 0
    """Of those, the ones the operator called off."""
    upheld_complaints: int = 0
    """Complaints filed in the month and upheld."""
    inspections: tuple[int, ...] = ()
    """Each inspection of the month, in tenths."""
    donations_due: int = 0
    """Donations the operator came to owe in the month (minor units)."""
    donations_on_time: int = 0
    """Of those, what was paid by the deadline (minor units)."""


@dataclass(frozen=True)
class Result:
    tenths: int | None
    """The score in tenths, None when no part had data."""
    parts: list[dict] = field(default_factory=list)
    """Every part of ``SCORE_PARTS`` in the format ``OperatorScore.parts`` keeps."""


def score_figure(tenths: int) -> float:
    """A score as the API gives it: 7.5 out of 10."""
    return round(tenths / 10, 1)


def score_text(tenths: int) -> str:
    """A score as people read it, always with its decimal: "5.9", "7.0", "10.0"."""
    return f"{tenths // 10}.{tenths % 10}"


def half_up(value: Fraction) -> int:
    """A non-negative fraction rounded to the nearest integer, halves up (2.5 → 3, never banker's 2)."""
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def part_tenths(figures: Figures) -> dict[str, tuple[int | None, dict]]:
    """Each part's value in tenths (None when it has no data) and the figures it came from."""
    f = figures
    ratings = half_up(Fraction(sum(f.stars) * 20, len(f.stars))) if f.stars else None
    if f.bookings_due:
        complaints = max(0, FULL - half_up(Fraction(f.upheld_complaints * COMPLAINT_TENTHS, f.bookings_due)))
    else:
        complaints = 0 if f.upheld_complaints else None
    fulfilment = (half_up(Fraction(FULL * (f.bookings_due - f.called_off), f.bookings_due))
                  if f.bookings_due else None)
    inspection = half_up(Fraction(sum(f.inspections), len(f.inspections))) if f.inspections else None
    on_time = min(f.donations_on_time, f.donations_due)
    donations = half_up(Fraction(FULL * on_time, f.donations_due)) if f.donations_due > 0 else None
    return {
        "ratings": (ratings, {"ratings": len(f.stars), "stars": sum(f.stars)}),
        "complaints": (complaints, {"upheld": f.upheld_complaints, "bookings": f.bookings_due}),
        "fulfilment": (fulfilment, {"due": f.bookings_due, "called_off": f.called_off}),
        "inspection": (inspection, {"inspections": len(f.inspections), "scores": [t / 10 for t in f.inspections]}),
        "donations": (donations, {"due": f.donations_due, "on_time": on_time}),
    }


def score(figures: Figures, weights: dict[str, int]) -> Result:
    """The month's score and its breakdown; a missing part's weight goes to the present ones."""
    values = part_tenths(figures)
    present = {name: weights.get(name, 0) for name in SCORE_PARTS if values[name][0] is not None}
    total_weight = sum(present.values())
    parts = []
    for name in SCORE_PARTS:
        value, found = values[name]
        share = Fraction(present[name] * 1000, total_weight) if name in present and total_weight else Fraction(0)
        parts.append({"part": name, "weight": weights.get(name, 0), "share": half_up(share) / 10,
                      "value": None if value is None else value / 10, "missing": value is None, "figures": found})
    if not total_weight:
        return Result(None, parts)
    weighted = sum(values[name][0] * weight for name, weight in present.items())
    return Result(half_up(Fraction(weighted, total_weight)), parts)
