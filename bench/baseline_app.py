"""The baseline: a minimal Flask + SQLAlchemy app doing only a booking's essential transaction.

``POST /book {"slot_id", "quantity", "resident_id"}``: lock the slot row, check
its capacity, insert the booking, update the count, commit: 201 with the booking,
409 when the slot is full. No authentication, no pricing, no plugins, no
idempotency, no schema library: what is left is the floor a booking costs on this
database, under the same gunicorn settings and the same SQLAlchemy engine settings
as Linli's (``core.db.make_engine``: pool of 10, overflow 20, pre-ping), so the
ratio Linli/baseline measures what Linli's features cost per booking.

Served by ``gunicorn 'baseline_app:create_app()'`` with ``BASELINE_DATABASE_URL``.
"""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask, jsonify, request
from sqlalchemy import (JSON, Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select,
                        update)

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


def create_app() -> Flask:
    app = Flask("baseline")
    engine = create_engine(os.environ["BASELINE_DATABASE_URL"], pool_size=10, max_overflow=20, pool_pre_ping=True)

    @app.post("/book")
    def book():
        data = request.get_json()
        slot_id, quantity, resident_id = int(data["slot_id"]), int(data.get("quantity", 1)), int(data["resident_id"])
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        with engine.begin() as conn:
            slot = conn.execute(
                select(slots.c.capacity, slots.c.taken, listings.c.operator_id)
                .join(listings, listings.c.id == slots.c.listing_id)
                .where(slots.c.id == slot_id).with_for_update(of=slots)).first()
            if slot is None:
                return jsonify(message="no such slot"), 404
            if slot.taken + quantity > slot.capacity:
                return jsonify(message="not enough places"), 409
            booking_id = conn.execute(insert(bookings).values(
                slot_id=slot_id, resident_id=resident_id, operator_id=slot.operator_id, quantity=quantity,
                tier="paid", unit_amount=1000, total_amount=1000 * quantity, currency="CNY", rule="anyone",
                status="confirmed", payment_method="cash", details={}, created_at=now, updated_at=now,
            ).returning(bookings.c.id)).scalar_one()
            conn.execute(update(slots).where(slots.c.id == slot_id).values(taken=slots.c.taken + quantity))
        return jsonify(id=booking_id, slot_id=slot_id, resident_id=resident_id, quantity=quantity,
                       status="confirmed", total_amount=1000 * quantity), 201

    return app
