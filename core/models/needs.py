"""The demand board (SPEC §11.7): residents' needs and their support, the service orders staff compile from them,
and residents' ratings of a delivered order ("居民点单—社区制单—社会组织承单—政府买单")."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, MinorUnits, UTCDateTime, utcnow

NEED_STATUSES = ("open", "compiled", "closed")
ORDER_STATUSES = ("open", "taken", "delivered", "closed")
SPONSOR_KINDS = ("fund", "subdistrict", "company")
"""Who pays for an order: the community's fund (through a fund proposal), the subdistrict office, a company."""


class Need(Base):
    """What a resident asks for; ``order_id`` is the service order it was compiled into (one order per need)."""

    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint(f"status IN {NEED_STATUSES}", name="status"),
        Index("ix_needs_community_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class NeedSupport(Base):
    """A resident's "me too" for a need: once each, which the unique constraint holds however many tap at once."""

    __tablename__ = "need_supports"
    __table_args__ = (UniqueConstraint("need_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceOrder(Base):
    """A service order community staff compiled from residents' needs: what is to be done, the budget and who pays;
    an operator takes it and it leads to one of its listings or to a fund proposal (a funded project)."""

    __tablename__ = "service_orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES}", name="status"),
        CheckConstraint(f"sponsor_kind IN {SPONSOR_KINDS}", name="sponsor_kind"),
        CheckConstraint("budget_amount > 0", name="budget_amount"),
        Index("ix_service_orders_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    title: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(Text)
    budget_amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    sponsor_kind: Mapped[str] = mapped_column(String(16))
    sponsor_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    """The operator that took the order."""
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OrderRating(Base):
    """A resident's 1–5 for a delivered order: once, and only from those who asked for it or supported it."""

    __tablename__ = "order_ratings"
    __table_args__ = (
        UniqueConstraint("order_id", "resident_id"),
        CheckConstraint("stars >= 1 AND stars <= 5", name="stars"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stars: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
