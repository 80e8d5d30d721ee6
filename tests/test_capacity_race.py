"""Capacity under real concurrency: many threads, each its own connection, one slot.

On PostgreSQL the threads genuinely race in the database (on SQLite they would
queue on its write lock, so these run on PostgreSQL only). The database must
agree that no place was sold twice.
"""
import random

import pytest
from sqlalchemy import func, select

from core.models import Booking, Slot
from tests.factories import make_community, make_listing, make_operator, make_slot, resident_tokens
from tests.races import posting
from tests.races import race as race_all

pytestmark = pytest.mark.postgres

THREADS = 16
RESIDENTS = 240
"""One booking per resident per time: each attempt is a resident of their own."""


@pytest.fixture
def hot_slot(app, db):
    """A slot of capacity 50 and 240 residents with tokens, ready to race."""
    community = make_community(db)
    slot = make_slot(db, make_listing(db, make_operator(db, community)), capacity=50)
    return slot.id, resident_tokens(db, community, RESIDENTS)


def race(app, calls):
    """Run ``calls`` of (token, body, headers) from THREADS threads at once; return (status, body) pairs."""
    return race_all([posting(app, "/bookings", body, token, headers=headers) for token, body, headers in calls],
                    THREADS)


def taken_and_booked(db, slot_id):
    db.expire_all()
    taken = db.get(Slot, slot_id).taken
    booked = db.scalar(select(func.coalesce(func.sum(Booking.quantity), 0)).where(Booking.slot_id == slot_id,
                                                                                   Booking.status == "confirmed"))
    db.commit()
    return taken, booked


def test_240_attempts_on_a_slot_of_50_sell_exactly_50_places(app, db, hot_slot):
    slot_id, tokens = hot_slot
    calls = [(tokens[i % len(tokens)], {"slot_id": slot_id, "payment_method": "cash"}, {}) for i in range(240)]
    results = race(app, calls)
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 50
    assert statuses.count(409) == 190
    assert taken_and_booked(db, slot_id) == (50, 50)


def test_racing_with_quantities_never_oversells(app, db, hot_slot):
    slot_id, tokens = hot_slot
    rng = random.Random(7)
    calls = [(tokens[i % len(tokens)], {"slot_id": slot_id, "quantity": rng.randint(1, 4), "payment_method": "cash"},
              {}) for i in range(200)]
    results = race(app, calls)
    sold = sum(body["quantity"] for status, body in results if status == 201)
    assert {status for status, _ in results} <= {201, 409}
    taken, booked = taken_and_booked(db, slot_id)
    assert sold == taken == booked <= 50
    smallest_refused = min((c[1]["quantity"] for c, (s, _) in zip(calls, results) if s == 409), default=None)
    assert smallest_refused is not None and 50 - taken < smallest_refused  # every refusal was for want of places


def test_concurrent_retries_with_one_key_book_once(app, db, hot_slot):
    slot_id, tokens = hot_slot
    body = {"slot_id": slot_id, "quantity": 2, "payment_method": "cash"}
    results = race(app, [(tokens[0], body, {"Idempotency-Key": "same-lunch"})] * 24)
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert taken_and_booked(db, slot_id) == (2, 2)
