"""The volunteer time bank (SPEC §11.7, "时间银行"): volunteers, the tasks they take on, and their hours.

Hours are kept in tenths of an hour (an integer: 15 is 1.5 hours), as money is kept in minor units. The hours are an
append-only ledger: a task's confirmation credits it once, a redemption or a correction is a new entry, and nothing
is ever changed or removed. ``Volunteer.balance_tenths`` is the sum of the volunteer's entries, kept beside them so
that a redemption can lock one row and refuse to go below zero; ``linli check`` compares the two.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow

VOLUNTEER_STATUSES = ("active", "inactive")
TASK_KINDS = ("delivery", "fair", "visit", "other")
TASK_STATUSES = ("open", "assigned", "done", "confirmed", "cancelled")
HOURS_KINDS = ("credit", "redeem", "correction", "reward", "reward_returned")


class Volunteer(Base):
    """A resident who gave their consent to volunteer in a community, with what they can do and when."""

    __tablename__ = "volunteers"
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        CheckConstraint(f"status IN {VOLUNTEER_STATUSES}", name="status"),
        CheckConstraint("balance_tenths >= 0", name="balance_tenths"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    skills: Mapped[str] = mapped_column(String(500), default="")
    availability: Mapped[str] = mapped_column(Text, default="")
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    """When the volunteer agreed to be registered (and to have their hours kept and shown to staff)."""
    status: Mapped[str] = mapped_column(String(16), default="active")
    balance_tenths: Mapped[int] = mapped_column(default=0)
    """The sum of the volunteer's hours entries, in tenths of an hour; never below zero."""
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VolunteerTask(Base):
    """A piece of volunteering: a delivery, a fair, a visit; assigned to a volunteer, done, confirmed by staff."""

    __tablename__ = "volunteer_tasks"
    __table_args__ = (
        CheckConstraint(f"kind IN {TASK_KINDS}", name="kind"),
        CheckConstraint(f"status IN {TASK_STATUSES}", name="status"),
        CheckConstraint("hours_tenths > 0", name="hours_tenths"),
        Index("ix_volunteer_tasks_community_status", "community_id", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    """The operator the task is done for (its staff may create and confirm it), or None for the community's own."""
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    hours_tenths: Mapped[int]
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who made the task; None when a plugin's job offered it (``source_key``)."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    """The key a plugin offered the task under (``offer_volunteer_task``): offering it again finds this task."""
    details: Mapped[str] = mapped_column(Text, default="")
    """What only its volunteer and those who manage it may read: a delivery's address and who lives there."""
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class VolunteerHours(Base):
    """One entry of a volunteer's hours, signed, in tenths: a task's credit (once per task, by its unique
    ``task_id``), a redemption (negative), a correction (with its reason), or a reward a booking spent (negative)
    and gave back when it was cancelled (both with their ``booking_id``). Never updated or deleted."""

    __tablename__ = "volunteer_hours"
    __table_args__ = (
        CheckConstraint(f"kind IN {HOURS_KINDS}", name="kind"),
        CheckConstraint("tenths <> 0", name="tenths"),
        CheckConstraint("kind <> 'credit' OR (tenths > 0 AND task_id IS NOT NULL)", name="credit"),
        CheckConstraint("kind <> 'redeem' OR (tenths < 0 AND reason IS NOT NULL)", name="redeem"),
        CheckConstraint("kind <> 'correction' OR reason IS NOT NULL", name="correction"),
        CheckConstraint("kind <> 'reward' OR (tenths < 0 AND booking_id IS NOT NULL AND reason IS NOT NULL)",
                        name="reward"),
        CheckConstraint("kind <> 'reward_returned' OR (tenths > 0 AND booking_id IS NOT NULL)",
                        name="reward_returned"),
        Index("ix_volunteer_hours_volunteer", "volunteer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    tenths: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_tasks.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    """The booking that spent a reward's hours, or gave them back."""
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(VolunteerHours, "before_update")
@event.listens_for(VolunteerHours, "before_delete")
def _append_only(_mapper, _connection, target: VolunteerHours) -> None:
    """An hours entry stays as it was written: a mistake is put right by a correction entry."""
    raise ValueError(f"volunteer_hours {target.id} is append-only: add a correction instead")
