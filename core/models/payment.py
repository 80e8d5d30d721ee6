"""Payments taken for bookings, their refunds, providers' notifications seen, and operators' declared costs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, MinorUnits, UTCDateTime, utcnow

SHARE_OPEN = "share_status IN ('pending', 'requested', 'failed')"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "reference"),
        CheckConstraint("amount > 0 AND refunded_amount >= 0 AND refunded_amount <= amount", name="amounts"),
        Index("ix_payments_share_open", "share_status", postgresql_where=text(SHARE_OPEN),
              sqlite_where=text(SHARE_OPEN)),  # the splits still to do, for the job and the reconciliation
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, succeeded, failed, canceled
    amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    donation_amount: Mapped[MinorUnits] = mapped_column(default=0)
    refunded_amount: Mapped[MinorUnits] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    action: Mapped[str | None] = mapped_column(String(10))  # how the resident pays online: qr, redirect, client
    action_url: Mapped[str | None] = mapped_column(String(1000))  # the QR code's content or the provider's page
    # The fund's share split off after payment by the provider (WeChat Pay's 分账, Alipay's royalty): None where the
    # provider does not split; pending (to request), requested (processing), done, failed (given up by the provider).
    share_status: Mapped[str | None] = mapped_column(String(10))
    share_reference: Mapped[str | None] = mapped_column(String(120))
    share_amount: Mapped[int] = mapped_column(default=0)
    share_error: Mapped[str | None] = mapped_column(String(200))  # why the provider refused the split


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("payment_id", "reference"),
                      CheckConstraint("amount > 0", name="positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    reference: Mapped[str] = mapped_column(String(120))
    amount: Mapped[MinorUnits]
    donation_reversed: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentEvent(Base):
    """Each notification of a provider once, by its event id: a redelivery finds its row and changes nothing."""

    __tablename__ = "payment_events"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProviderStatement(Base):
    """A day of a provider's own statement that Linli imported (kept even when it had no line): a payment it does
    not list is missing from it only once the statement of its day is here."""

    __tablename__ = "provider_statements"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    line_count: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProviderStatementLine(Base):
    """One line of an imported statement: a payment, refund or split of the fund's share, under the reference Linli
    knows it by; its amount (positive, minor units) and the provider's fee. Importing a day again replaces its lines."""

    __tablename__ = "provider_statement_lines"
    __table_args__ = (UniqueConstraint("provider", "day", "kind", "reference"),
                      CheckConstraint("kind IN ('payment', 'refund', 'share')", name="kind"),
                      Index("ix_provider_statement_lines_reference", "provider", "reference"))

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(120))
    amount: Mapped[MinorUnits]
    fee: Mapped[MinorUnits] = mapped_column(default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OperatorCost(Base):
    """Costs an operator declares for a period; a profit-share donation is computed after them."""

    __tablename__ = "operator_costs"
    __table_args__ = (CheckConstraint("amount >= 0", name="non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(300))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
