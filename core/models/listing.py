"""Listings (an operator's service) and their slots."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Computed, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import Base, UTCDateTime, only_on, utcnow
from core.reading import translated


SEARCH_TEXT = "lower(title || '\n' || description)"
"""Title and description (a newline apart, so no match spans the two), lowercased by the database's own lower()."""


class Listing(Base):
    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    type: Mapped[str] = mapped_column(String(40))
    stored_title: Mapped[str] = mapped_column("title", String(200))
    stored_description: Mapped[str] = mapped_column("description", Text, default="")
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    """Title and description in other languages than the community's: ``{"en": {"title": …, "description": …}}``."""
    title = translated("title")
    description = translated("description")
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
        UniqueConstraint("schedule_id", "starts_at"),  # a schedule's slot is made once, however often generation runs
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id"))
    """The weekly schedule that made it; None for a time added by hand."""
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    """When the operator called it off: it takes no bookings, and its bookings were cancelled and refunded."""
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class Schedule(Base):
    """An operator's week: on these weekdays, these hours, this many places, from one date (until another).

    Slots are made from it ahead of time (core.schedules), each once: (schedule, start) is unique.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("end_time > start_time", name="hours"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    weekdays: Mapped[list] = mapped_column(JSON)
    """ISO weekdays, 1 (Monday) to 7 (Sunday)."""
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    capacity: Mapped[int]
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Closure(Base):
    """A day a listing does not run (a holiday, a broken stove): its slots are cancelled and none are made."""

    __tablename__ = "closures"
    __table_args__ = (UniqueConstraint("listing_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
