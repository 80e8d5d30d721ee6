"""The canteen's own tables: the menu of each meal slot and the home deliveries of bookings."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.plugin_api import Base, Slot, UTCDateTime, utcnow


class CanteenMenu(Base):
    """What a meal slot serves, published by the canteen's staff for residents to read."""

    __tablename__ = "canteen_menus"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), unique=True)
    dishes: Mapped[list] = mapped_column(JSON)
    soup: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str] = mapped_column(String(500), default="")
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    slot: Mapped[Slot] = relationship(lazy="joined")


class CanteenDelivery(Base):
    """A booking's meals go to the resident's home; the address is the one known when they booked."""

    __tablename__ = "canteen_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    address: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
