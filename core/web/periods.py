"""Monthly periods (``YYYY-MM``) for the pages' previous/next links."""
from __future__ import annotations

import datetime as dt


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _shift(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_period(period: str) -> str:
    return _shift(period, -1)


def next_period(period: str) -> str:
    return _shift(period, 1)
