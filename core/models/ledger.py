"""The journal: entries with balanced lines, chained by hashes per community."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, MinorUnits, UTCDateTime, utcnow


class JournalEntry(Base):
    """One money movement. ``source`` names what caused it, so posting twice is impossible."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        UniqueConstraint("community_id", "seq"),
        UniqueConstraint("community_id", "source"),
        Index("ix_journal_entries_period", "community_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(120))
    memo: Mapped[str] = mapped_column(String(300), default="")
    memo_message: Mapped[str | None] = mapped_column(Text)
    """The memo's template and values (JSON, see :mod:`core.memos`), so each reader sees it in their language."""
    effective_on: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    late_from: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[JournalLine]] = relationship(lazy="selectin", order_by="JournalLine.id")


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("side IN ('D', 'C')", name="side"),
        Index("ix_journal_lines_account", "account", "operator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(40))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    side: Mapped[str] = mapped_column(String(1))
    amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))


class LedgerHead(Base):
    """The end of a community's chain; locked by each posting so the chain never forks."""

    __tablename__ = "ledger_heads"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


class ClosedPeriod(Base):
    """A month the fund committee has closed: its entries and figures never change again."""

    __tablename__ = "closed_periods"
    __table_args__ = (UniqueConstraint("community_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    period: Mapped[str] = mapped_column(String(7))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
