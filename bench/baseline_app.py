"""The baseline: a minimal Flask + SQLAlchemy app doing only a booking's essential transaction.

``POST /book {"slot_id", "quantity", "resident_id"}``: lock the slot row, check
its capacity, insert the booking, update the count, commit: 201 with the booking,
409 when the slot is full. ``POST /book-orm`` is the same transaction written
with the ORM (a Session, mapped classes, the unit of work's flush), the style
Linli is written in: the same three statements, and what the ORM costs them.

No authentication, no pricing, no plugins, no idempotency, no schema library:
what is left is the floor a booking costs on this database, under the same
gunicorn settings (``core/gunicorn_conf.py``) and the same SQLAlchemy engine
settings as Linli's (``core.db.make_engine``: pool of 10, overflow 20, a connection that rested tested
before use),
so the ratio Linli/baseline measures what Linli's features cost per booking.

Served by ``gunicorn -c core/gunicorn_conf.py 'baseline_app:create_app()'`` with ``BASELINE_DATABASE_URL``.
"""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask, jsonify, request
from sqlalchemy import (JSON, Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select,
                        update)
from sqlalchemy.orm import Session, registry

from core.db import ping_when_rested

metadata = MetaData()
slots = Table("slots", metadata, Column("id", Integer, primary_key=True), Column("capacity", Integer),
              Column("taken", Integer), Column("listing_id", Integer))
listings = Table("listings", metadata, Column("id", Integer, primary_key=True), Column("operator_id", Integer))
bookings = Table(
    "bookings", metadata, Column("id", Integer, primary_key=True), Column("slot_id", Integer),
    Column("resident_id", Integer), Column("operator_id", Integer), Column("quantity", Integer),
    Column("tier", String), Column("unit_amount", Integer), Column("total_amount", Integer),
    Column("currency", String), Column("rule", String), Column("status", String), Column("payment_method", String),
    Column("details", JSON), Column("created_at", DateTime), Column("updated_at", DateTime))


class Slot:
    pass


class Booking:
    def __init__(self, **columns):
        for name, value in columns.items():
            setattr(self, name, value)


mapper = registry(metadata=metadata)
mapper.map_imperatively(Slot, slots)
mapper.map_imperatively(Booking, bookings)


def _order() -> tuple[int, int, int]:
    data = request.get_json()
    return int(data["slot_id"]), int(data.get("quantity", 1)), int(data["resident_id"])


def _booking(slot_id: int, quantity: int, resident_id: int, operator_id: int) -> dict:
    """The columns of a cash booking at the one price: what each variant inserts."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return {"slot_id": slot_id, "resident_id": resident_id, "operator_id": operator_id, "quantity": quantity,
            "tier": "paid", "unit_amount": 1000, "total_amount": 1000 * quantity, "currency": "CNY", "rule": "anyone",
            "status": "confirmed", "payment_method": "cash", "details": {}, "created_at": now, "updated_at": now}


def _booked(booking_id: int, slot_id: int, quantity: int, resident_id: int):
    return jsonify(id=booking_id, slot_id=slot_id, resident_id=resident_id, quantity=quantity, status="confirmed",
                   total_amount=1000 * quantity), 201


NO_SLOT = {"message": "no such slot"}, 404
FULL = {"message": "not enough places"}, 409


def create_app() -> Flask:
    app = Flask("baseline")
    engine = create_engine(os.environ["BASELINE_DATABASE_URL"], pool_size=10, max_overflow=20)
    ping_when_rested(engine)

    @app.post("/book")
    def book():
        slot_id, quantity, resident_id = _order()
        with engine.begin() as conn:
            slot = conn.execute(
                select(slots.c.capacity, slots.c.taken, listings.c.operator_id)
                .join(listings, listings.c.id == slots.c.listing_id)
                .where(slots.c.id == slot_id).with_for_update(of=slots)).first()
            if slot is None:
                return NO_SLOT
            if slot.taken + quantity > slot.capacity:
                return FULL
            booking_id = conn.execute(insert(bookings).values(
                _booking(slot_id, quantity, resident_id, slot.operator_id)).returning(bookings.c.id)).scalar_one()
            conn.execute(update(slots).where(slots.c.id == slot_id).values(taken=slots.c.taken + quantity))
        return _booked(booking_id, slot_id, quantity, resident_id)

    @app.post("/book-orm")
    def book_orm():
        slot_id, quantity, resident_id = _order()
        with Session(engine) as session, session.begin():
            row = session.execute(
                select(Slot, listings.c.operator_id).join(listings, listings.c.id == slots.c.listing_id)
                .where(slots.c.id == slot_id).with_for_update(of=slots)).first()
            if row is None:
                return NO_SLOT
            slot, operator_id = row
            if slot.taken + quantity > slot.capacity:
                return FULL
            booking = Booking(**_booking(slot_id, quantity, resident_id, operator_id))
            session.add(booking)
            slot.taken += quantity
            session.flush()
            booking_id = booking.id
        return _booked(booking_id, slot_id, quantity, resident_id)

    return app
