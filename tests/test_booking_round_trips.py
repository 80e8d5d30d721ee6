"""What a booking says to the database: the round trips of the hot path, counted statement by statement.

A resident's cash booking with an Idempotency-Key is one short transaction. On PostgreSQL: the token's user, the
places taken with the slot's context (one UPDATE … RETURNING), the booking with its outbox task and the
per-resident limit (one INSERT), the key with its answer, and nothing else — no statement reads back what was just
written.
"""
from __future__ import annotations

import uuid

import pytest

from core.models import Booking, Listing
from tests.factories import listening


def _said(app, client_call) -> list[str]:
    """The statements (and BEGIN/COMMIT) of one request, up to its commit: what runs after it is the outbox's."""
    engine, said = app.extensions["linli"].db.engine, []
    with listening(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: said.append(
            " ".join(statement.split()))), \
            listening(engine, "begin", lambda conn: said.append("BEGIN")), \
            listening(engine, "commit", lambda conn: said.append("COMMIT")):
        response = client_call()
    assert response.status_code == 201, response.get_json()
    return said[:said.index("COMMIT") + 1]


def _book(api, slot_id: int):
    return api.post("/bookings", {"slot_id": slot_id, "quantity": 1, "payment_method": "cash"},
                    headers={"Idempotency-Key": str(uuid.uuid4())})


def test_a_booking_never_reads_back_what_it_wrote(app, demo):
    slot = demo.slots("Community lunch")[0]
    adult = demo.api("adult")
    said = _said(app, lambda: _book(adult, slot["id"]))
    assert not [s for s in said if s.startswith("SELECT bookings.")], said
    assert sum(s.startswith(("INSERT INTO bookings", "WITH inserted_row AS (INSERT INTO bookings")) for s in said) == 1


def _without_rewards(db, listing_id: int) -> None:
    """The demo lunch's rules without their first, the volunteers' reward (which reads the volunteer's hours)."""
    listing = db.get(Listing, listing_id)
    assert "volunteer_hours" in listing.price_rules[0]["when"]
    listing.price_rules = listing.price_rules[1:]
    db.commit()


@pytest.mark.postgres
@pytest.mark.parametrize("reward", [False, True], ids=["plain", "with a reward rule"])
def test_a_cash_booking_is_six_statements_on_postgresql(app, demo, db, reward):
    if not reward:
        _without_rewards(db, demo.listing("Community lunch")["id"])
    slot = demo.slots("Community lunch")[0]
    adult = demo.api("adult")
    said = _said(app, lambda: _book(adult, slot["id"]))
    volunteer = [s for s in said if "FROM volunteers" in s]
    assert len(volunteer) == (1 if reward else 0), said  # a reward rule reads the resident's hours, locked
    said = [s for s in said if s not in volunteer]
    kinds = [s.split(" (")[0][:40] for s in said]
    assert [k.split(" ")[0] for k in kinds] == ["BEGIN", "SELECT", "UPDATE", "WITH", "INSERT", "COMMIT"], said
    assert said[1].startswith("SELECT users.") and said[2].startswith("UPDATE slots")
    assert "INSERT INTO bookings" in said[3] and "outbox" in said[3] and "count(*)" in said[3]
    assert said[4].startswith("INSERT INTO idempotent_requests")


def test_a_second_booking_of_the_same_time_is_refused_by_the_insert_and_names_the_first(app, demo, db):
    slot = demo.slots("Community lunch")[0]
    adult = demo.api("adult")
    first = _book(adult, slot["id"]).get_json()
    again = _book(adult, slot["id"])
    assert again.status_code == 409 and again.get_json()["code"] == "already_booked"
    assert str(first["id"]) in again.get_json()["detail"]
    assert db.query(Booking).filter_by(slot_id=slot["id"], resident_id=first["resident_id"]).count() == 1
    assert next(s for s in demo.slots("Community lunch") if s["id"] == slot["id"])["remaining"] == slot["remaining"] - 1
