"""Operators held to account: residents' complaints, staff's inspections, the monthly score and the year's stars.

Scores are kept in tenths (an integer 0–100 for 0.0–10.0), as money is kept in minor units: a score is shown with
one decimal and compared with the 6.0 line exactly.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow

COMPLAINT_CATEGORIES = ("food_safety", "quality", "hygiene", "attitude", "price", "lateness", "other")
COMPLAINT_STATUSES = ("open", "acknowledged", "resolved")
SCORE_PARTS = ("ratings", "complaints", "fulfilment", "inspection", "donations")
"""The parts of an operator's monthly score, in the order a breakdown lists them."""


class Complaint(Base):
    """A resident's complaint about one of their bookings, and its loop: acknowledged, resolved (upheld or not,
    with a note the resident reads), answered once by the operator, rated by the resident."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(f"category IN {COMPLAINT_CATEGORIES}", name="category"),
        CheckConstraint(f"status IN {COMPLAINT_STATUSES}", name="status"),
        CheckConstraint("resident_rating IS NULL OR (resident_rating >= 1 AND resident_rating <= 5)",
                        name="resident_rating"),
        Index("ix_complaints_queue", "community_id", "status", "due_on"),
        Index("ix_complaints_operator", "operator_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(80))
    """The stored photo's file name (random, under the instance folder), or None."""
    photo_type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_on: Mapped[dt.date] = mapped_column(Date)
    """The day by which the resident is owed an answer (the community's ``answer_days`` after the complaint)."""
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    upheld: Mapped[bool | None]
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    operator_reply: Mapped[str | None] = mapped_column(Text)
    operator_replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resident_rating: Mapped[int | None]
    """How the resident rated the handling, 1–5, once it is resolved (the loop's last step)."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inspection(Base):
    """Community staff's inspection of an operator in a month, scored 0–10 (in tenths) with notes; several in a
    month count as their mean."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint("score_tenths >= 0 AND score_tenths <= 100", name="score_tenths"),
        Index("ix_inspections_operator_period", "operator_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    period: Mapped[str] = mapped_column(String(7))
    score_tenths: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OperatorScore(Base):
    """An operator's score for a month: what was computed, from which parts and figures, and what staff made of it.

    ``parts`` lists every part of ``SCORE_PARTS`` in order, each ``{"part", "weight" (the community's setting),
    "share" (its percent of the score after the missing parts' weights were shared out, 0 when missing), "value"
    (0–10, one decimal; None when missing), "missing", "figures" (what it came from)}``. ``score_tenths`` is what
    counts: the adjusted score where staff adjusted it, else the computed one. Re-running the evaluation replaces
    ``computed_tenths`` and ``parts`` and keeps an adjustment.
    """

    __tablename__ = "operator_scores"
    __table_args__ = (
        UniqueConstraint("operator_id", "period"),
        CheckConstraint("computed_tenths >= 0 AND computed_tenths <= 100", name="computed_tenths"),
        CheckConstraint("score_tenths >= 0 AND score_tenths <= 100", name="score_tenths"),
        Index("ix_operator_scores_community_period", "community_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    period: Mapped[str] = mapped_column(String(7))
    computed_tenths: Mapped[int]
    score_tenths: Mapped[int]
    parts: Mapped[list] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    adjusted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adjusted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    adjust_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def adjusted(self) -> bool:
        return self.adjusted_at is not None


class OperatorStars(Base):
    """An operator's grade for a year: 3, 4 or 5 stars from the mean of its monthly scores (None below the
    community's three-star line), published on its public page and its listings."""

    __tablename__ = "operator_stars"
    __table_args__ = (
        UniqueConstraint("operator_id", "year"),
        CheckConstraint("stars IS NULL OR (stars >= 3 AND stars <= 5)", name="stars"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    year: Mapped[int]
    stars: Mapped[int | None]
    average_tenths: Mapped[int]
    months: Mapped[int]
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
