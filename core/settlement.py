"""Monthly settlement: each operator's statement, and the donations due at period end.

Figures come from the ledger with set-based SQL (every figure of every operator
from one grouped scan of the journal), so a month of a million bookings settles
in seconds.
Settling again posts only the difference from what was posted before, so it can
be re-run for any open period and never posts anything twice.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import donations, ledger
from core.errors import N_, conflict, invalid, text
from core.ledger import FIRST_DAY, LAST_DAY, signed
from core.models import Booking, ClosedPeriod, Community, JournalEntry, JournalLine, Operator, OperatorCost, Payment
from core.operator_types import OperatorType

FIGURES = ("gross", "refunds", "costs", "due", "received", "outstanding", "settled")
SETTLED = "donation:settle:"
"""The source of every settlement posting begins so: ``donation:settle:<operator>:<period>:<n>``."""
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
INVALID_PERIOD = invalid("invalid_period", N_("Write the month as YYYY-MM, e.g. 2026-11."))
PERIOD_NOT_ENDED = conflict("period_not_ended", N_(
    "%(period)s has not ended yet: this can be done from the first day after it."))
"""Closing a month, scoring its operators: only once it is over in the community's time."""
PERIOD_CLOSED = conflict("period_closed", N_("%(period)s is closed: its figures never change again."))
SETTLED_MEMO = N_("%(rule)s for %(period)s")
RULES = {"percent_of_profit": N_("Share of profit"), "fixed_per_period": N_("Fixed donation"),
         "percent_of_revenue": N_("Share of revenue"), "per_booking": N_("Donation per booking")}
"""The rules of agreements in words, for the memo of what settlement posts (a plugin's own rule keeps its key)."""


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a ``YYYY-MM`` period."""
    match = PERIOD.match(period or "")
    if not match or not FIRST_DAY.year <= int(match[1]) <= LAST_DAY.year:
        raise INVALID_PERIOD(field="period")
    year, month = int(match[1]), int(match[2])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def figures(session: Session, community_id: int, period: str) -> dict[int, dict]:
    """Every settlement figure of the period, per operator id: two scans of the journal, one grouped query each."""
    in_period = JournalEntry.period == period
    found: dict[int, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0) | {"revenue_by": []})
    from_ledger = {
        "gross": ("operator_revenue", in_period),
        "refunds": ("refunds", in_period),
        "due": ("donation_income", in_period),
        "received": ("fund_cash", in_period),
        "outstanding": ("donations_receivable",),
        "settled": ("donation_income", in_period, JournalEntry.source.like(SETTLED + "%")),
    }
    for row in ledger.totals(session, community_id, from_ledger, [JournalLine.operator_id],
                             JournalEntry.period <= period):
        if row.operator_id is not None:
            found[row.operator_id].update({name: int(row._mapping[name]) for name in from_ledger})
    revenue = (select(JournalLine.operator_id, Booking.tier, Payment.provider, func.sum(signed("C")))
               .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
               .join(Payment, Payment.id == JournalEntry.payment_id)
               .join(Booking, Booking.id == Payment.booking_id)
               .where(JournalEntry.community_id == community_id, in_period, JournalLine.account == "operator_revenue")
               .group_by(JournalLine.operator_id, Booking.tier, Payment.provider))
    for op, tier, channel, total in session.execute(revenue):
        found[op]["revenue_by"].append({"tier": tier, "channel": channel, "amount": int(total)})
    costs = (select(OperatorCost.operator_id, func.sum(OperatorCost.amount))
             .join(Operator, Operator.id == OperatorCost.operator_id)
             .where(Operator.community_id == community_id, OperatorCost.period == period)
             .group_by(OperatorCost.operator_id))
    for op, total in session.execute(costs):
        found[op]["costs"] = int(total)
    return found


def statement(operator: Operator, period: str, figures_of_operator: dict, currency: str) -> dict:
    f = figures_of_operator
    return {
        "operator_id": operator.id, "operator": operator.name, "type": operator.type, "period": period,
        "currency": currency, "gross_revenue_amount": f["gross"],
        "revenue_by_tier_and_channel": sorted(f["revenue_by"], key=lambda r: (r["tier"], r["channel"])),
        "refunds_amount": f["refunds"], "declared_costs_amount": f["costs"], "donation_due_amount": f["due"],
        "donation_received_amount": f["received"], "outstanding_amount": f["outstanding"],
    }


def operators(session: Session, community_id: int, operator_id: int | None = None) -> list[Operator]:
    query = select(Operator).where(Operator.community_id == community_id).order_by(Operator.id)
    if operator_id is not None:
        query = query.where(Operator.id == operator_id)
    return list(session.scalars(query))


def statements(session: Session, community: Community, period: str, operator_id: int | None = None) -> list[dict]:
    parse_period(period)
    found = figures(session, community.id, period)
    return [statement(op, period, found[op.id], community.currency)
            for op in operators(session, community.id, operator_id)]


def require_open(session: Session, community_id: int, period: str) -> None:
    parse_period(period)
    if session.scalar(select(ClosedPeriod.id).where(ClosedPeriod.community_id == community_id,
                                                    ClosedPeriod.period == period)):
        raise PERIOD_CLOSED(period=period)


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


def period_agreement(session: Session, operator_id: int, period: str):
    """The agreement settling the operator's period follows: the one in force on its last day, else on its first."""
    first, last = parse_period(period)
    return donations.agreement_for(session, operator_id, last) or donations.agreement_for(session, operator_id, first)


def costs_of(session: Session, operator_id: int, period: str) -> list[OperatorCost]:
    """The costs the operator declared for the period, in the order they were declared."""
    return list(session.scalars(select(OperatorCost).where(OperatorCost.operator_id == operator_id,
                                                            OperatorCost.period == period).order_by(OperatorCost.id)))


def settle(session: Session, types: dict[str, OperatorType], community: Community, period: str) -> list[dict]:
    """Post each operator's period donation (profit share, fixed amount), then return the statements.

    The figures are read once; the postings go to the ledger in one batch, and the statements are the
    figures read plus what was just posted, so nothing is scanned twice.
    """
    first, last = parse_period(period)
    require_open(session, community.id, period)
    found = figures(session, community.id, period)
    everyone = operators(session, community.id)
    on_last, on_first = (donations.agreements_on(session, day, Operator.community_id == community.id)
                         for day in (last, first))
    counts = Counter(source.rpartition(":")[0] for source in session.scalars(
        select(JournalEntry.source).where(JournalEntry.community_id == community.id, JournalEntry.period == period,
                                          JournalEntry.source.like(f"{SETTLED}%:{period}:%"))))
    postings = []
    for operator in everyone:
        agreement = on_last.get(operator.id) or on_first.get(operator.id)
        f = found[operator.id]
        base = donations.DonationBase(when="period", period=period, revenue=f["gross"] - f["refunds"],
                                      costs=f["costs"])
        delta = donations.compute(types, operator, agreement, base) - f["settled"]
        if delta:
            prefix = f"{SETTLED}{operator.id}:{period}"
            postings.append(donations.due_posting(community, operator, delta, f"{prefix}:{counts[prefix] + 1}",
                                                  memo=text(SETTLED_MEMO, period=period, rule=text(
                                                      RULES.get(agreement.donation_kind, agreement.donation_kind))),
                                                  effective_on=last))
            f["due"] += delta
            f["outstanding"] += delta
    ledger.post_many(session, community, postings)
    return [statement(op, period, found[op.id], community.currency) for op in everyone]
