"""The market fair's own tables: stalls of each fair, the vendor register, visits and sales reports."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, MinorUnits, UTCDateTime, utcnow


class Stall(Base):
    """A numbered stall of one fair held by one booking; the unique constraint makes a double booking impossible."""

    __tablename__ = "market_fair_stalls"
    __table_args__ = (UniqueConstraint("slot_id", "stall_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    stall_number: Mapped[int]
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)


class Vendor(Base):
    """A merchant on a fair's register: ``local`` merchants get the low-cost price."""

    __tablename__ = "market_fair_vendors"
    __table_args__ = (UniqueConstraint("operator_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    business_name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Visit(Base):
    """A resident's free registration to visit one fair."""

    __tablename__ = "market_fair_visits"
    __table_args__ = (UniqueConstraint("slot_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SalesReport(Base):
    """A vendor's sales at one fair and the share pledged to the fund: one per stall booking."""

    __tablename__ = "market_fair_sales_reports"
    __table_args__ = (CheckConstraint("sales_amount >= 0 AND pledged_amount >= 0", name="amounts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    sales_amount: Mapped[MinorUnits]
    pledged_bps: Mapped[int]
    pledged_amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
