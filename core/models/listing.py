"""Listings (an operator's service) and their slots."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Computed, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import Base, UTCDateTime, only_on, utcnow


SEARCH_TEXT = "lower(title || '\n' || description)"
"""Title and description (a newline apart, so no match spans the two), lowercased by the database's own lower()."""


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
    search_text: Mapped[str] = deferred(mapped_column(Text, Computed(SEARCH_TEXT, persisted=True)))
    """What the free-text search matches, kept by the database: lowercased once per write, not per row searched."""

    __table_args__ = (
        Index("ix_listings_community_type", "community_id", "type"),
        # The search's LIKE on PostgreSQL (migration 0005): a trigram index that SQLite has no form of.
        only_on("postgresql", Index("ix_listings_search_text_trgm", "search_text", postgresql_using="gin",
                                    postgresql_ops={"search_text": "gin_trgm_ops"})),
    )


class Slot(Base):
    """A time window with a capacity; ``taken`` counts places of live bookings and holds."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken"),
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_slots_listing_starts", "listing_id", "starts_at"),
        Index("ix_slots_starts", "starts_at", "listing_id"),  # the search's "a slot on that day", for many listings
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)
