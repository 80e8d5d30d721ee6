"""Operators and their space-for-service agreements."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, MinorUnits, UTCDateTime, utcnow
from core.reading import translated

OPERATOR_STATUSES = ("pending", "active", "exit_proposed", "suspended", "exited")
TAKING_BOOKINGS = ("active", "exit_proposed")
"""The statuses in which an operator's listings take new bookings: an exit proposed is not an exit decided."""
DONATION_KINDS = ("percent_of_revenue", "percent_of_profit", "fixed_per_period", "per_booking")


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    stored_name: Mapped[str] = mapped_column("name", String(200))
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    """The name in other languages than the community's: ``{"en": {"name": "Heping Canteen"}}``."""
    name = translated("name")
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Agreement(Base):
    """A space lent for a term, and the donation rule the operator agreed to.

    ``donation_bps`` serves the percentage kinds; ``donation_amount`` the fixed kinds
    (per ``donation_period`` for ``fixed_per_period``, per fulfilled booking for
    ``per_booking``).
    """

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("donation_bps IS NULL OR (donation_bps >= 0 AND donation_bps <= 10000)", name="bps"),
        CheckConstraint("donation_amount IS NULL OR donation_amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    donation_kind: Mapped[str] = mapped_column(String(32))
    donation_bps: Mapped[int | None]
    donation_amount: Mapped[MinorUnits | None]
    donation_period: Mapped[str | None] = mapped_column(String(8))  # "year" or "month"
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
