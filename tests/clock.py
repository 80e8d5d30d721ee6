"""Time travel for rules that depend on the hour (check-in opens 3 hours before a slot starts), in this process."""
from __future__ import annotations

import datetime as dt

import time_machine


def at(moment: dt.datetime):
    """A context in which the clock reads ``moment`` and runs on from there."""
    return time_machine.travel(moment, tick=True)


def starts(slot) -> dt.datetime:
    """When a slot starts: a model's ``starts_at``, or the API's ISO 8601 text."""
    value = slot["starts_at"] if isinstance(slot, dict) else slot.starts_at
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def serving(slot, after: dt.timedelta = dt.timedelta(minutes=5)):
    """A context at the time ``slot`` is served (just after it starts): staff check residents in then."""
    return at(starts(slot) + after)


def serving_booking(client, booking: dict, after: dt.timedelta = dt.timedelta(minutes=5)):
    """A context at the time the slot of ``booking`` (the API's JSON) is served, read through ``client``'s app."""
    from core.models import Slot

    with client.application.extensions["linli"].db.reader() as session:
        return serving(session.get(Slot, booking["slot_id"]), after)


def after_month(period: str, hour_utc: int = 2):
    """A context on the first day after the month ``period`` (YYYY-MM): it may be closed then (10:00 in Shanghai)."""
    year, month = map(int, period.split("-"))
    first = dt.date(year + month // 12, month % 12 + 1, 1)
    return at(dt.datetime.combine(first, dt.time(hour_utc), dt.timezone.utc))
