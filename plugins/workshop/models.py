"""The workshop's own tables: merchants' piece-work jobs and the pieces each worker made in a shift."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.plugin_api import Base, MinorUnits, UTCDateTime, User, utcnow

JOB_STATUSES = ("open", "delivered")


class WorkshopJob(Base):
    """A merchant's order: pieces to make at a wage per piece, sold to the merchant at its price per piece.

    ``completed`` counts the pieces recorded; a conditional UPDATE keeps it within ``quantity``.
    """

    __tablename__ = "workshop_jobs"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("completed >= 0 AND completed <= quantity", name="completed"),
        CheckConstraint("unit_rate_amount >= 0 AND merchant_price_amount >= 0", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    merchant: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200))
    unit_rate_amount: Mapped[MinorUnits]
    merchant_price_amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int]
    completed: Mapped[int] = mapped_column(default=0)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def remaining(self) -> int:
        return self.quantity - self.completed

    @property
    def revenue_amount(self) -> int | None:
        """What the merchant pays for the pieces delivered; None until delivery."""
        return self.completed * self.merchant_price_amount if self.status == "delivered" else None


class WorkshopPieces(Base):
    """Pieces of a job one worker made in one shift, on the strength of their booking of that shift."""

    __tablename__ = "workshop_pieces"
    __table_args__ = (CheckConstraint("pieces > 0", name="pieces"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("workshop_jobs.id"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    pieces: Mapped[int]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[User] = relationship(foreign_keys=[worker_id], lazy="joined")
