"""Monthly settlement: each operator's statement, and the donations due at period end.

Figures come from the ledger with set-based SQL (one grouped query per figure
for all operators at once), so a month of a million bookings settles in seconds.
Settling again posts only the difference from what was posted before, so it can
be re-run for any open period and never posts anything twice.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import donations
from core.errors import Conflict, Invalid
from core.ledger import FIRST_DAY, LAST_DAY, signed
from core.models import Booking, ClosedPeriod, Community, JournalEntry, JournalLine, Operator, OperatorCost, Payment

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a ``YYYY-MM`` period."""
    match = PERIOD.match(period or "")
    if not match or not FIRST_DAY.year <= int(match[1]) <= LAST_DAY.year:
        raise Invalid("invalid period", {"period": ["write YYYY-MM, e.g. 2026-11"]})
    year, month = int(match[1]), int(match[2])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _per_operator(session: Session, community_id: int, account: str, normal: str, period: str,
                  up_to: bool = False, source_like: str | None = None) -> dict[int, int]:
    query = (select(JournalLine.operator_id, func.sum(signed(normal)))
             .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
             .where(JournalEntry.community_id == community_id, JournalLine.account == account,
                    JournalEntry.period <= period if up_to else JournalEntry.period == period)
             .group_by(JournalLine.operator_id))
    if source_like:
        query = query.where(JournalEntry.source.like(source_like))
    return {op: int(total) for op, total in session.execute(query) if op is not None}


def figures(session: Session, community_id: int, period: str) -> dict[str, dict]:
    """Every settlement figure of the period, per operator id."""
    revenue_by = {}
    query = (select(JournalLine.operator_id, Booking.tier, Payment.provider, func.sum(signed("C")))
             .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
             .join(Payment, Payment.id == JournalEntry.payment_id)
             .join(Booking, Booking.id == Payment.booking_id)
             .where(JournalEntry.community_id == community_id, JournalEntry.period == period,
                    JournalLine.account == "operator_revenue")
             .group_by(JournalLine.operator_id, Booking.tier, Payment.provider))
    for op, tier, channel, total in session.execute(query):
        revenue_by.setdefault(op, []).append({"tier": tier, "channel": channel, "amount": int(total)})
    costs = dict(session.execute(
        select(OperatorCost.operator_id, func.sum(OperatorCost.amount))
        .join(Operator, Operator.id == OperatorCost.operator_id)
        .where(Operator.community_id == community_id, OperatorCost.period == period)
        .group_by(OperatorCost.operator_id)).all())
    return {
        "revenue_by": revenue_by,
        "gross": _per_operator(session, community_id, "operator_revenue", "C", period),
        "refunds": _per_operator(session, community_id, "refunds", "D", period),
        "costs": {op: int(total) for op, total in costs.items()},
        "due": _per_operator(session, community_id, "donation_income", "C", period),
        "received": _per_operator(session, community_id, "fund_cash", "D", period),
        "outstanding": _per_operator(session, community_id, "donations_receivable", "D", period, up_to=True),
    }


def statement(operator: Operator, period: str, figures_of_period: dict, currency: str) -> dict:
    f, op = figures_of_period, operator.id
    return {
        "operator_id": op, "operator": operator.name, "type": operator.type, "period": period, "currency": currency,
        "gross_revenue_amount": f["gross"].get(op, 0),
        "revenue_by_tier_and_channel": sorted(f["revenue_by"].get(op, []), key=lambda r: (r["tier"], r["channel"])),
        "refunds_amount": f["refunds"].get(op, 0),
        "declared_costs_amount": f["costs"].get(op, 0),
        "donation_due_amount": f["due"].get(op, 0),
        "donation_received_amount": f["received"].get(op, 0),
        "outstanding_amount": f["outstanding"].get(op, 0),
    }


def statements(session: Session, community: Community, period: str, operator_id: int | None = None) -> list[dict]:
    parse_period(period)
    query = select(Operator).where(Operator.community_id == community.id).order_by(Operator.id)
    if operator_id is not None:
        query = query.where(Operator.id == operator_id)
    found = figures(session, community.id, period)
    return [statement(op, period, found, community.currency) for op in session.scalars(query)]


def require_open(session: Session, community_id: int, period: str) -> None:
    parse_period(period)
    if session.scalar(select(ClosedPeriod.id).where(ClosedPeriod.community_id == community_id,
                                                    ClosedPeriod.period == period)):
        raise Conflict(f"{period} is closed: its figures never change again")


def declare_cost(session: Session, actor, operator: Operator, period: str, amount: int, description: str,
                 currency: str) -> OperatorCost:
    """A cost of the operator's period (a profit share is computed after costs); the period must be open."""
    from core import policy

    policy.require(actor, "operator_staff", operator_id=operator.id)
    require_open(session, operator.community_id, period)
    cost = OperatorCost(operator_id=operator.id, period=period, amount=amount, currency=currency,
                        description=description, declared_by_id=actor.id)
    session.add(cost)
    session.flush()
    return cost


def settle(session: Session, hook, community: Community, period: str) -> list[dict]:
    """Post each operator's period donation (profit share, fixed amount), then return the statements."""
    first, last = parse_period(period)
    require_open(session, community.id, period)
    found = figures(session, community.id, period)
    prefix = "donation:settle:{op}:" + period + ":"
    posted = _per_operator(session, community.id, "donation_income", "C", period, source_like="donation:settle:%")
    # How many times each operator was settled for the period, from one query (a LIKE per operator scans the journal).
    settled = Counter(source.rpartition(":")[0] + ":" for source in session.scalars(
        select(JournalEntry.source).where(JournalEntry.community_id == community.id,
                                          JournalEntry.source.like(prefix.format(op="%") + "%"))))
    for operator in session.scalars(select(Operator).where(Operator.community_id == community.id)
                                    .order_by(Operator.id)):
        agreement = donations.agreement_for(session, operator.id, last) or donations.agreement_for(
            session, operator.id, first)
        base = donations.DonationBase(
            when="period", period=period,
            revenue=found["gross"].get(operator.id, 0) - found["refunds"].get(operator.id, 0),
            costs=found["costs"].get(operator.id, 0))
        delta = donations.compute(hook, operator, agreement, base) - posted.get(operator.id, 0)
        if delta:
            count = settled[prefix.format(op=operator.id)]
            donations.post_due(session, community, operator, delta, prefix.format(op=operator.id) + str(count + 1),
                               memo=f"{agreement.donation_kind} donation for {period}", effective_on=last)
    return statements(session, community, period)
