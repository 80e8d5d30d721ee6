"""Donations into the community fund, computed from each operator's agreement.

The four rule kinds of the spec: ``percent_of_revenue`` is posted with each
payment, ``per_booking`` at each fulfilment, ``percent_of_profit`` and
``fixed_per_period`` at settlement. Every amount comes from :mod:`core.money`
(basis points, largest-remainder allocation), never from rounding floats, and a
operator's type may compute its own (``OperatorType.donation``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import ledger
from core.ledger import credit, debit
from core.models import Agreement, Community, Operator
from core.money import allocate, share_bps
from core.operator_types import OperatorType


@dataclass(frozen=True)
class DonationBase:
    """What a donation is computed on. ``when`` is "payment", "booking" or "period"."""

    when: str
    revenue: int = 0
    costs: int = 0
    fulfilled_bookings: int = 0
    period: str | None = None
    quantity: int = 0
    listing_details: dict = field(default_factory=dict)


BINDING = ("active", "ended")
"""An agreement's statuses in which it rules the days of its term: one ended early (its operator left) still rules
the days up to its end, so the bookings honoured before then give what it says."""


def agreements_on(session: Session, day: dt.date, *where) -> dict[int, Agreement]:
    """Per operator (of those ``where`` selects), its agreement covering ``day``: the latest, if several do."""
    query = (select(Agreement).join(Operator, Operator.id == Agreement.operator_id)
             .where(Agreement.status.in_(BINDING), Agreement.starts_on <= day,
                    or_(Agreement.ends_on.is_(None), Agreement.ends_on >= day), *where)
             .order_by(Agreement.starts_on, Agreement.id))
    return {agreement.operator_id: agreement for agreement in session.scalars(query)}


def agreement_for(session: Session, operator_id: int, day: dt.date) -> Agreement | None:
    """The operator's active agreement covering ``day`` (the latest, if several do)."""
    return agreements_on(session, day, Agreement.operator_id == operator_id).get(operator_id)


def by_rule(agreement: Agreement, base: DonationBase) -> int:
    kind = agreement.donation_kind
    if kind == "percent_of_revenue" and base.when == "payment":
        return share_bps(base.revenue, agreement.donation_bps)
    if kind == "per_booking" and base.when == "booking":
        return agreement.donation_amount
    if kind == "percent_of_profit" and base.when == "period":
        return share_bps(max(0, base.revenue - base.costs), agreement.donation_bps)
    if kind == "fixed_per_period" and base.when == "period":
        if agreement.donation_period == "month":
            return agreement.donation_amount
        month = int(base.period[5:7])
        return allocate(agreement.donation_amount, [1] * 12)[month - 1]
    return 0


def compute(types: dict[str, OperatorType], operator: Operator, agreement: Agreement | None,
            base: DonationBase) -> int:
    """The donation for ``base``: the operator type's own answer if it gives one, else the agreement's rule."""
    if agreement is None:
        return 0
    operator_type = types.get(operator.type)
    override = operator_type.donation(agreement, base) if operator_type is not None else None
    if override is not None:
        if type(override) is not int or override < 0:
            raise ValueError(f"the {operator.type} type computed an invalid donation: {override!r}")
        return override
    return by_rule(agreement, base)


def due_lines(amount: int, operator_id: int) -> list[ledger.Line]:
    """A donation the operator owes: its expense and debt, the fund's income and claim."""
    return [debit("operator_donations", amount, operator_id), credit("donations_payable", amount, operator_id),
            debit("donations_receivable", amount, operator_id), credit("donation_income", amount, operator_id)]


def received_lines(amount: int, operator_id: int, paid_from: str) -> list[ledger.Line]:
    """A donation received at once, out of ``paid_from`` (e.g. the online collection)."""
    return [debit("operator_donations", amount, operator_id), credit(paid_from, amount, operator_id),
            debit("fund_cash", amount, operator_id), credit("donation_income", amount, operator_id)]


def transfer_lines(amount: int, operator_id: int) -> list[ledger.Line]:
    """The operator pays over donations it owed: its cash to the fund's cash."""
    return [debit("donations_payable", amount, operator_id), credit("operator_cash", amount, operator_id),
            debit("fund_cash", amount, operator_id), credit("donations_receivable", amount, operator_id)]


def given_refund_lines(amount: int, operator_id: int) -> list[ledger.Line]:
    """A refund its resident gave to the fund (:mod:`core.donated_refunds`), with the revenue's reversal (a debit of
    ``refunds``) that balances it: the money stays with the operator, who owes it to the fund; the fund's claim on
    the operator, and its gift income."""
    return [credit("donations_payable", amount, operator_id), debit("donations_receivable", amount, operator_id),
            credit("gift_income", amount, operator_id)]


def reversal_lines(lines: list[ledger.Line]) -> list[ledger.Line]:
    return [ledger.Line(line.account, "C" if line.side == "D" else "D", line.amount, line.operator_id)
            for line in lines]


def due_posting(community: Community, operator: Operator, amount: int, source: str, *, memo: str,
                booking_id: int | None = None, effective_on: dt.date | None = None) -> ledger.Posting:
    """The entry of a donation due (negative: a reduction of what was due)."""
    lines = due_lines(abs(amount), operator.id)
    return ledger.Posting("donation", source, lines if amount > 0 else reversal_lines(lines), community.currency,
                          memo=memo, operator_id=operator.id, booking_id=booking_id, effective_on=effective_on)


def post_due(session: Session, community: Community, operator: Operator, amount: int, source: str, **fields) -> None:
    """Post a donation due (negative: a reduction of what was due); ``fields`` as :func:`due_posting` takes."""
    ledger.post_many(session, community, [due_posting(community, operator, amount, source, **fields)])


def pledge(session: Session, operator: Operator, amount: int, source: str, memo: str,
           effective_on: dt.date | None = None) -> None:
    """A donation the operator has pledged outside its agreement (e.g. a vendor's share after a fair): now due."""
    if type(amount) is not int or amount <= 0:
        raise ValueError("a pledged donation is a positive amount of minor units")
    community = session.get(Community, operator.community_id)
    post_due(session, community, operator, amount, source, memo=memo, effective_on=effective_on)
