"""Calling a time off while residents book it, on PostgreSQL: no booking survives on a called-off time."""
import pytest
from sqlalchemy import func, select

from core.models import Booking, Slot
from tests.factories import PASSWORD, make_community, make_listing, make_operator, make_slot, make_user
from tests.races import posting, race

pytestmark = pytest.mark.postgres


def arranged(app, db, capacity: int, residents: int):
    """A slot, its operator's staff and residents, each with a token; and each resident's booking as an attempt."""
    community = make_community(db)
    operator = make_operator(db, community)
    slot = make_slot(db, make_listing(db, operator), capacity=capacity)
    staff = make_user(db, "operator_staff", community, operator)
    people = [make_user(db, "resident", community) for _ in range(residents)]
    db.commit()
    client = app.test_client()

    def token(user):
        return client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).get_json()["token"]

    bookings = [posting(app, "/bookings", {"slot_id": slot.id, "payment_method": "cash"}, token(r)) for r in people]
    return slot, token(staff), bookings


def test_bookings_racing_the_operators_call_off_are_all_cancelled_or_refused(app, db):
    slot, staff_token, attempts = arranged(app, db, capacity=100, residents=24)
    attempts.insert(8, posting(app, f"/slots/{slot.id}/cancel", {"reason": "Power cut"}, staff_token))
    results = race(attempts, 8)

    call_off = results.pop(8)
    assert call_off[0] == 200, call_off
    booked = [body["id"] for status, body in results if status == 201]
    refused = [body["code"] for status, body in results if status != 201]
    assert set(refused) <= {"slot_called_off"} and len(booked) + len(refused) == 24
    assert sorted(b["id"] for b in call_off[1]["cancelled"]) == sorted(booked)  # every booking it raced was cancelled
    db.expire_all()
    assert db.get(Slot, slot.id).taken == 0
    assert db.scalar(select(func.count()).select_from(Booking).where(
        Booking.slot_id == slot.id, Booking.status.in_(("confirmed", "pending_payment")))) == 0
    db.commit()


def test_fewer_places_racing_bookings_never_leave_more_booked_than_places(app, db):
    slot, staff_token, attempts = arranged(app, db, capacity=30, residents=20)

    def fewer():
        response = app.test_client().patch(f"/api/v1/slots/{slot.id}", json={"capacity": 8},
                                           headers={"Authorization": f"Bearer {staff_token}"})
        return response.status_code, response.get_json()

    attempts.insert(6, fewer)
    results = race(attempts, 8)
    changed = results.pop(6)
    booked = sum(1 for status, _ in results if status == 201)
    db.expire_all()
    final = db.get(Slot, slot.id)
    if changed[0] == 200:  # the places fell to 8 while at most 8 were booked; every booking after it fitted them
        assert final.capacity == 8 and booked <= 8
    else:  # more than 8 were booked first: the change was refused and nothing was lost
        assert changed[1]["code"] == "fewer_than_booked" and final.capacity == 30 and booked > 8
    assert final.taken == booked <= final.capacity
    db.commit()
