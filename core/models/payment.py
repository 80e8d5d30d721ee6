"""Payments taken for bookings, their refunds, Stripe events seen, and operators' declared costs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, MinorUnits, UTCDateTime, utcnow


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "reference"),
        CheckConstraint("amount > 0 AND refunded_amount >= 0 AND refunded_amount <= amount", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, succeeded, failed, canceled
    amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    donation_amount: Mapped[MinorUnits] = mapped_column(default=0)
    refunded_amount: Mapped[MinorUnits] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("payment_id", "reference"),
                      CheckConstraint("amount > 0", name="positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    reference: Mapped[str] = mapped_column(String(120))
    amount: Mapped[MinorUnits]
    donation_reversed: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StripeEvent(Base):
    """Each webhook event id once: a redelivery finds its row and changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OperatorCost(Base):
    """Costs an operator declares for a period; a profit-share donation is computed after them."""

    __tablename__ = "operator_costs"
    __table_args__ = (CheckConstraint("amount >= 0", name="non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(300))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
