"""Background work: the outbox of tasks written with the changes that cause them, and the periodic jobs' runs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow

OUTBOX_STATUSES = ("pending", "running", "done", "failed")
JOB_RUN_STATUSES = ("running", "ok", "failed")


class OutboxTask(Base):
    """A task to run once the transaction that wrote it has committed (a booking's event, a notification to send).

    ``pending`` until a runner claims it (``running``, with a lease: a runner that dies lets it lapse and another
    takes it over), ``done`` when its work committed, ``failed`` after its last attempt. ``run_after`` delays a
    retry (backoff).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "run_after"),
        CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class JobRun(Base):
    """One run of a periodic job, with what it did or why it failed: what the admins' jobs page shows."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_name_started", "name", "started_at"),
        CheckConstraint(f"status IN {JOB_RUN_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="running")
    outcome: Mapped[str | None] = mapped_column(String(500))
    outcome_message: Mapped[str | None] = mapped_column(Text)  # the outcome as a message (core.memos), for the page
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
