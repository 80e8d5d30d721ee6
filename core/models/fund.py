"""The fund's own records: transfers received, gifts of money and in kind, reconciliation notes, proposals, votes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, MinorUnits, UTCDateTime, utcnow

DONOR_KINDS = ("resident", "company", "government", "anonymous")
PROPOSAL_STATUSES = ("draft", "submitted", "committee_approved", "rejected", "charity_approved", "charity_rejected",
                     "disbursed")


class MoneyReceived:
    """Money that reached the fund's account: how much, its bank or receipt reference, when, and who recorded it."""

    amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(120))
    received_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FundTransfer(MoneyReceived, Base):
    """An operator's payment of donations it owed, recorded by a committee member with its bank reference."""

    __tablename__ = "fund_transfers"
    __table_args__ = (CheckConstraint("amount > 0", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))


class FundGift(MoneyReceived, Base):
    """Money given to the fund by a resident, a company, the government or someone unnamed, with its bank or
    receipt reference; ``donor_name`` is empty only for an anonymous gift. ``refund_id``: the refund of a cancelled
    booking its resident gave to the fund instead of taking it back (:mod:`core.donated_refunds`), one gift each."""

    __tablename__ = "fund_gifts"
    __table_args__ = (CheckConstraint("amount > 0", name="positive"),
                      CheckConstraint("donor_kind IN ('resident', 'company', 'government', 'anonymous')",
                                      name="donor_kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    donor_name: Mapped[str] = mapped_column(String(200), default="")
    donor_kind: Mapped[str] = mapped_column(String(16))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), unique=True)


class InKindDonation(Base):
    """Goods given to the fund, at their declared value: counted apart from cash, never spendable."""

    __tablename__ = "in_kind_donations"
    __table_args__ = (CheckConstraint("quantity > 0 AND declared_value_amount >= 0", name="values"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    donor: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    declared_value_amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReconciliationNote(Base):
    """A committee member's explanation of a variance."""

    __tablename__ = "reconciliation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    note: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Proposal(Base):
    """A proposed use of the fund, from draft to disbursement."""

    __tablename__ = "proposals"
    __table_args__ = (CheckConstraint("requested_amount > 0", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    requested_amount: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(String(3))
    beneficiary: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[dt.date | None] = mapped_column(Date)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    charity_reason: Mapped[str | None] = mapped_column(Text)
    disbursement_reference: Mapped[str | None] = mapped_column(String(120))
    disbursed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    votes: Mapped[list[ProposalVote]] = relationship(lazy="selectin", order_by="ProposalVote.id")


class ProposalVote(Base):
    __tablename__ = "proposal_votes"
    __table_args__ = (UniqueConstraint("proposal_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    cast_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
