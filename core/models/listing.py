"""Listings (an operator's service) and their slots."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, only_on, utcnow


class Listing(Base):
    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    price_rules: Mapped[list] = mapped_column(JSON)
    cancel_cutoff_minutes: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_listings_community_type", "community_id", "type"),
        # The search's ILIKE on PostgreSQL (migration 0004): trigram indexes that SQLite has no form of.
        *(only_on("postgresql", Index(f"ix_listings_{column}_trgm", column, postgresql_using="gin",
                                      postgresql_ops={column: "gin_trgm_ops"}))
          for column in ("title", "description")),
    )


class Slot(Base):
    """A time window with a capacity; ``taken`` counts places of live bookings and holds."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken"),
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_slots_listing_starts", "listing_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)
