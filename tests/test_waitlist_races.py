"""The waiting list under real concurrency, on PostgreSQL: threads, each its own connection, one slot.

Places freed at once go to the first in line and to nobody else, an accept racing its offer's lapse either books
or lapses, and residents joining at once get places in line of their own.
"""
import datetime as dt
import random

import pytest
from sqlalchemy import func, select, update

from core import waitlist
from core.db import utcnow
from core.models import Booking, Slot, WaitlistEntry
from tests.factories import make_community, make_listing, make_operator, make_slot, resident_tokens
from tests.races import posting, race

pytestmark = pytest.mark.postgres


@pytest.fixture
def full(app, db):
    """A slot of ``capacity`` places booked by as many residents, with more residents ready to wait or book."""

    def arrange(capacity: int, others: int):
        community = make_community(db)
        slot = make_slot(db, make_listing(db, make_operator(db, community)), capacity=capacity)
        db.commit()
        booked, rest = resident_tokens(db, community, capacity), resident_tokens(db, community, others)
        ids = [posting(app, "/bookings", {"slot_id": slot.id, "payment_method": "cash"}, token)()[1]["id"]
               for token in booked]
        return slot.id, list(zip(booked, ids)), rest

    return arrange


def counted(db, slot_id):
    """(taken, live bookings, offered entries) of the slot, as committed."""
    db.expire_all()
    taken = db.get(Slot, slot_id).taken
    live = db.scalar(select(func.count()).select_from(Booking).where(
        Booking.slot_id == slot_id, Booking.status.in_(("confirmed", "pending_payment"))))
    offered = db.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == "offered"))
    db.commit()
    return taken, live, offered


def statuses(db, slot_id):
    db.expire_all()
    found = db.scalars(select(WaitlistEntry.status).where(WaitlistEntry.slot_id == slot_id)
                       .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    db.commit()
    return found


def test_two_places_freed_at_once_go_to_the_first_two_and_to_nobody_booking(app, db, full):
    slot_id, booked, others = full(2, 30)
    waiting, bookers = others[:10], others[10:]
    for token in waiting:
        assert posting(app, f"/slots/{slot_id}/waitlist", {}, token)()[0] == 201
    attempts = [posting(app, "/bookings", {"slot_id": slot_id, "payment_method": "cash"}, t) for t in bookers]
    for index, (token, booking_id) in enumerate(booked):
        attempts.insert(5 + 7 * index, posting(app, f"/bookings/{booking_id}/cancel", {}, token))
    results = race(attempts, 8)
    assert [status for status, _ in results].count(200) == 2  # both cancelled
    assert {body["code"] for status, body in results if status != 200} == {"slot_full"}  # nobody jumped the line
    assert statuses(db, slot_id) == ["offered", "offered"] + ["waiting"] * 8
    assert counted(db, slot_id) == (2, 0, 2)


def test_an_accept_racing_its_offers_lapse_either_books_or_lapses(app, db, full):
    rounds = 12
    slot_id, booked, others = full(rounds, rounds * 2)
    waiting = others[:rounds]
    joined = [posting(app, f"/slots/{slot_id}/waitlist", {}, token)()[1]["id"] for token in waiting]
    for token, booking_id in booked:
        assert posting(app, f"/bookings/{booking_id}/cancel", {}, token)()[0] == 200
    assert counted(db, slot_id) == (rounds, 0, rounds)
    soon = utcnow() + dt.timedelta(milliseconds=300)
    db.execute(update(WaitlistEntry).where(WaitlistEntry.id.in_(joined)).values(offer_expires_at=soon))
    db.commit()
    sessions = app.extensions["linli"].db.sessionmaker

    def lapse_job():
        with sessions() as session:
            lapsed = waitlist.lapse(session, utcnow())
            session.commit()
        return 200, {"lapsed": lapsed}

    rng = random.Random(27)
    attempts = [posting(app, f"/waitlist/{entry_id}/accept", {"payment_method": "cash"}, token)
                for token, entry_id in zip(waiting, joined)]
    for index in sorted(rng.sample(range(rounds), 6), reverse=True):
        attempts.insert(index, lapse_job)
    results = race(attempts, 8)
    accepts = [result for result in results if "lapsed" not in result[1]]
    lapsed = sum(body["lapsed"] for _, body in results if "lapsed" in body)
    booked_now = [body["id"] for status, body in accepts if status == 201]
    assert {body["code"] for status, body in accepts if status != 201} <= {"no_offer"}
    db.expire_all()
    entries = {e.id: e for e in db.scalars(select(WaitlistEntry).where(WaitlistEntry.id.in_(joined)))}
    db.commit()
    for entry in entries.values():
        assert entry.status in ("booked", "lapsed")
        assert (entry.status == "booked") == (entry.booking_id is not None)
    assert sorted(e.booking_id for e in entries.values() if e.booking_id) == sorted(booked_now)
    assert lapsed == sum(1 for e in entries.values() if e.status == "lapsed")
    taken, live, offered = counted(db, slot_id)
    assert taken == live == len(booked_now) and offered == 0  # a lapsed place is free again, nobody else waits


def test_residents_joining_at_once_get_places_in_line_of_their_own(app, db, full):
    slot_id, _, others = full(3, 40)
    attempts = [posting(app, f"/slots/{slot_id}/waitlist", {}, token) for token in others]
    attempts += [posting(app, f"/slots/{slot_id}/waitlist", {}, others[0])] * 7  # one resident, eight times
    results = race(attempts, 8)
    joined = [body for status, body in results if status == 201]
    assert len(joined) == 40
    assert sorted(body["position"] for body in joined) == list(range(1, 41))
    assert [body["code"] for status, body in results if status != 201] == ["already_waiting"] * 7
    db.expire_all()
    order = db.scalars(select(WaitlistEntry.id).where(WaitlistEntry.slot_id == slot_id)
                       .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    db.commit()
    by_position = [body["id"] for body in sorted(joined, key=lambda body: body["position"])]
    assert order == by_position
