"""The housekeeping centre's own tables: its roster of workers and who is sent where."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, UTCDateTime, utcnow


class Worker(Base):
    """A trained worker on a centre's roster; its row is locked while a booking looks for someone free."""

    __tablename__ = "housekeeping_workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    """A worker sent to one booking for its slot's time window; it counts while the booking is live."""

    __tablename__ = "housekeeping_assignments"
    __table_args__ = (Index("ix_housekeeping_assignments_worker_window", "worker_id", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("housekeeping_workers.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
