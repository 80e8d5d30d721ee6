"""A booking's life has one owner: a late payment revives a booking only as a new booking would be placed."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import N_, OperatorType, conflict, hookimpl
from core.db import commit, utcnow
from core.models import Booking, Payment, Refund, Slot
from core.payments import PaymentProvider, PaymentStart
from tests.factories import logged_in, make_community, make_listing, make_operator, make_slot, make_user


class Online(PaymentProvider):
    key, label, online = "online", "A test online provider", True

    def start(self, session, booking, operator, donation_amount, config):
        return PaymentStart(reference=f"online-{booking.id}")


STOVE_BROKEN = conflict("stove_broken", N_("The stove is broken."))


class Sauna(OperatorType):
    """A type that keeps a log of what it was asked, and may stop taking anyone (the stove is broken)."""

    key, label = "sauna", "Sauna"

    def __init__(self):
        self.asked, self.broken = [], False

    def validate_booking(self, session, ctx, resident, person, quantity, details):
        self.asked.append(("validate", resident.id))
        if self.broken:
            raise STOVE_BROKEN()

    def booking_placed(self, session, booking, ctx):
        self.asked.append(("placed", booking.id))

    def booking_revived(self, session, booking, ctx, actor):
        self.asked.append(("revived", booking.id))

    def booking_expired(self, session, booking, ctx, actor):
        self.asked.append(("expired", booking.id))


class SaunaPlugin:
    def __init__(self):
        self.sauna, self.events = Sauna(), []

    @hookimpl
    def register_operator_types(self):
        return [self.sauna]

    @hookimpl
    def register_payment_providers(self):
        return [Online()]

    @hookimpl
    def booking_confirmed(self, booking):
        self.events.append(("confirmed", booking.id))

    @hookimpl
    def booking_expired(self, booking):
        self.events.append(("expired", booking.id))


@pytest.fixture
def sauna(make_app, db):
    """An app with the sauna type; a sauna slot of 1 place, two residents and a hold that has run out."""
    plugin = SaunaPlugin()
    app = make_app(PLUGINS=[plugin], HOLD_MINUTES=15)
    community = make_community(db)
    slot = make_slot(db, make_listing(db, make_operator(db, community, type_key="sauna")), capacity=1)
    first, second = make_user(db, "resident", community), make_user(db, "resident", community)
    db.commit()
    client = app.test_client()
    held = logged_in(client, first).post("/bookings", {"slot_id": slot.id, "payment_method": "online"}).get_json()
    db.get(Booking, held["id"]).hold_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.commit()
    assert app.test_cli_runner().invoke(args=["expire-holds"]).output.strip() == "1 holds expired"
    return app, plugin, client, held, second, slot


def pay(app, booking_id: int) -> None:
    """The provider says the money arrived, as its webhook would."""
    linli = app.extensions["linli"]
    session = linli.db.sessionmaker()
    payment = session.scalar(select(Payment).where(Payment.booking_id == booking_id))
    linli.payments.succeeded(session, payment, Online())
    commit(session)
    session.close()


def taken(db, slot_id: int) -> int:
    return db.scalar(select(Slot.taken).where(Slot.id == slot_id))


def test_a_late_payment_revives_the_booking_through_its_type(sauna, db):
    app, plugin, _client, held, _second, _slot = sauna
    plugin.sauna.asked.clear()
    pay(app, held["id"])
    db.rollback()
    assert db.get(Booking, held["id"]).status == "confirmed"
    first = db.get(Booking, held["id"]).resident_id
    assert plugin.sauna.asked == [("validate", first), ("revived", held["id"])]  # checked as a new booking would be
    assert plugin.events == [("expired", held["id"]), ("confirmed", held["id"])]  # each event once
    assert taken(db, held["slot_id"]) == 1


def test_a_late_payment_the_type_refuses_is_refunded_and_the_booking_stays_expired(sauna, db):
    app, plugin, _client, held, _second, _slot = sauna
    plugin.sauna.broken = True
    pay(app, held["id"])
    db.rollback()
    assert db.get(Booking, held["id"]).status == "expired"
    assert taken(db, held["slot_id"]) == 0  # the places taken for the revival were given back
    assert db.scalar(select(Refund.amount)) == held["total_amount"]
    assert ("confirmed", held["id"]) not in plugin.events


def test_a_late_payment_for_places_someone_else_took_is_refunded(sauna, db):
    app, plugin, client, held, second, slot = sauna
    other = logged_in(client, second).post("/bookings", {"slot_id": slot.id, "payment_method": "online"})
    assert other.status_code == 201
    plugin.sauna.asked.clear()
    pay(app, held["id"])
    db.rollback()
    assert db.get(Booking, held["id"]).status == "expired" and taken(db, slot.id) == 1
    assert db.scalar(select(Refund.amount)) == held["total_amount"]
    assert ("revived", held["id"]) not in plugin.sauna.asked
