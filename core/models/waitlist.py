"""The waiting list of a full time (SPEC §11.7): who waits, in what order, and what became of each entry."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow

WAITLIST_STATUSES = ("waiting", "offered", "booked", "declined", "lapsed", "left")
WAITLIST_LIVE = ("waiting", "offered")
_LIVE_SQL = "status IN ('waiting', 'offered')"


class WaitlistEntry(Base):
    """A resident waiting for a place at a full time; ``created_at`` (then ``id``) is their turn.

    An ``offered`` entry holds one place of the slot (counted in ``slots.taken``) until it is accepted (the booking
    takes that place over), declined, or lapses at ``offer_expires_at`` (the place goes to the next in line).
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint(f"status IN {WAITLIST_STATUSES}", name="status"),
        CheckConstraint("status != 'offered' OR offer_expires_at IS NOT NULL", name="offer_expiry"),
        Index("ux_waitlist_live", "slot_id", "resident_id", unique=True, postgresql_where=text(_LIVE_SQL),
              sqlite_where=text(_LIVE_SQL)),  # at most one live entry per time and resident
        Index("ix_waitlist_slot_status", "slot_id", "status", "created_at"),
        Index("ix_waitlist_offers", "status", "offer_expires_at"),  # the lapse job's offers that ran out
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    """The booking made when the offer was accepted."""
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
