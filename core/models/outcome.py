"""What a funded project reports back once the fund paid for it: what was done, for how many, what it cost."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, MinorUnits, UTCDateTime, utcnow


class ProjectOutcome(Base):
    """One report per disbursed proposal (``proposal_id`` unique), by the community's staff; ``spent_amount`` in
    minor units beside what was granted (the proposal's ``requested_amount``), more or less."""

    __tablename__ = "project_outcomes"
    __table_args__ = (CheckConstraint("beneficiaries >= 0 AND spent_amount >= 0", name="counts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    done: Mapped[str] = mapped_column(Text)
    beneficiaries: Mapped[int]
    spent_amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    photos: Mapped[list[OutcomePhoto]] = relationship(lazy="selectin", order_by="OutcomePhoto.id")


class OutcomePhoto(Base):
    """A photo of what a funded project did, public with its report: stored under a random ``name`` in the
    instance folder (core/photos.py), served with the ``media_type`` its bytes showed."""

    __tablename__ = "outcome_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("project_outcomes.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
