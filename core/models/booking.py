"""Bookings, their residents' ratings, and the stored answers of idempotent requests."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, MinorUnits, UTCDateTime, utcnow

if TYPE_CHECKING:
    from core.models.operator import Operator

BOOKING_STATUSES = ("pending_payment", "confirmed", "fulfilled", "no_show", "cancelled", "expired")


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_amount >= 0 AND extra_unit_amount >= 0 AND total_amount = "
                        "unit_amount + COALESCE(extra_unit_amount, unit_amount) * (quantity - 1)", name="amounts"),
        Index("ix_bookings_slot_status", "slot_id", "status"),
        Index("ix_bookings_resident", "resident_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None for a visitor served at the counter (paid tier, nobody's list)."""
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who placed it for the resident (staff, operator staff at the counter, family); None: the resident."""
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    quantity: Mapped[int]
    tier: Mapped[str] = mapped_column(String(16))
    unit_amount: Mapped[MinorUnits]
    """The price of the first place: the resident's own (their tier's)."""
    extra_unit_amount: Mapped[MinorUnits | None]
    """The price of each further place, where it differs (the price for everyone); None: as ``unit_amount``."""
    total_amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    rule: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    """Why the operator cancelled it (the slot or the day was called off); None when the resident cancelled."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    operator: Mapped[Operator] = relationship()
    """Kept with a booking made in this session, so the booking hooks that ask its type send no query."""


class Rating(Base):
    """A resident's stars (1-5) for a fulfilled booking: one per booking, never edited."""

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        UniqueConstraint("booking_id"),
        Index("ix_ratings_listing", "listing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotentRequest(Base):
    """The first answer to a request made with an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
