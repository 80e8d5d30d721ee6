"""The monthly evaluation: each operator's figures for a month read from the books, scored, and stored.

A month is evaluated once it is over in the community's time (SPEC §11.6). Evaluating again replaces each score's
computed value and breakdown and keeps what staff adjusted; an operator without any figure that month gets no
score, and a score stored before is left as it was. Active operators, those whose exit is proposed, and suspended
ones are evaluated (a suspension interrupts the service, not the record); pending and exited ones are not.

Where each figure comes from (the README's "The monthly score" says it for readers):

- ratings: the stars residents gave during the month;
- bookings due: bookings of the operator's times that began in the month, served, missed or called off by the
  operator (a booking the resident cancelled or let expire was never due); called off: those the operator
  called off (``core.booking.call_off`` keeps its reason);
- upheld complaints: complaints filed during the month, upheld by the time of the evaluation;
- inspections: those recorded for the month;
- donations: what the operator came to owe the fund in the month before (``core.arrears``), and how much of it
  its transfers had paid by the end of this month — a whole month's grace after the month's settlement.
"""
from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from core import arrears, ledger, score_rule
from core.score_rule import previous
from core.accountability_settings import of as settings_of
from core.db import utcnow
from core.errors import N_, invalid
from core.models import (
    Booking, Community, Complaint, Inspection, JournalEntry, JournalLine, Operator, OperatorScore, OperatorStars,
    Rating, Slot,
)
from core.scoring import Figures, Result, half_up, score
from core.settlement import PERIOD_NOT_ENDED, parse_period

EVALUATED = ("active", "exit_proposed", "suspended")
"""The operators scored each month."""
DUE = ("confirmed", "fulfilled", "no_show")
"""Statuses of a booking that was to be served; a cancelled one counts as due only when the operator called it off."""
INVALID_YEAR = invalid("invalid_year", N_("Write the year as YYYY, e.g. 2026."))


def require_ended(community: Community, period: str) -> None:
    """A month is scored once it is over in the community's time: 422 for a malformed one, 409 before."""
    parse_period(period)
    if period >= ledger.period_of(ledger.local_today(community)):
        raise PERIOD_NOT_ENDED(period=period)


def gather(session: Session, community: Community, period: str, operator_ids: list[int]) -> dict[int, Figures]:
    """Every evaluated operator's figures of the month, a few grouped queries for the whole community."""
    start, end = ledger.month_window(community, period)
    found: dict[int, dict] = defaultdict(dict)
    ours = Operator.community_id == community.id
    stars = defaultdict(list)
    for operator_id, given in session.execute(
            select(Rating.operator_id, Rating.stars).join(Operator, Operator.id == Rating.operator_id)
            .where(ours, Rating.created_at >= start, Rating.created_at < end).order_by(Rating.id)):
        stars[operator_id].append(given)
    called_off = and_(Booking.status == "cancelled", Booking.cancel_reason.is_not(None))
    for operator_id, due, off in session.execute(
            select(Booking.operator_id, func.count(), func.sum(case((called_off, 1), else_=0)))
            .join(Slot, Slot.id == Booking.slot_id).join(Operator, Operator.id == Booking.operator_id)
            .where(ours, Slot.starts_at >= start, Slot.starts_at < end, or_(Booking.status.in_(DUE), called_off))
            .group_by(Booking.operator_id)):
        found[operator_id].update(bookings_due=due, called_off=int(off or 0))
    for operator_id, upheld in session.execute(
            select(Complaint.operator_id, func.count())
            .where(Complaint.community_id == community.id, Complaint.upheld.is_(True),
                   Complaint.created_at >= start, Complaint.created_at < end)
            .group_by(Complaint.operator_id)):
        found[operator_id]["upheld_complaints"] = upheld
    inspections = defaultdict(list)
    for operator_id, tenths in session.execute(
            select(Inspection.operator_id, Inspection.score_tenths)
            .where(Inspection.community_id == community.id, Inspection.period == period).order_by(Inspection.id)):
        inspections[operator_id].append(tenths)
    for operator_id, (due, paid) in donations_paid(session, community, period).items():
        found[operator_id].update(donations_due=due, donations_on_time=paid)
    return {op: Figures(stars=tuple(stars[op]), inspections=tuple(inspections[op]), **found[op])
            for op in operator_ids}


def donations_paid(session: Session, community: Community, period: str) -> dict[int, tuple[int, int]]:
    """Per operator: what it came to owe in the month before ``period``, and what of that was paid by its end."""
    owed_in = previous(period)
    deadline = parse_period(period)[1]
    owed = {op: int(amount) for op, amount in ledger.totals(
        session, community.id, arrears.OWED, [JournalLine.operator_id], JournalEntry.period == owed_in)
        if op is not None}
    paid: dict[int, int] = defaultdict(int)
    for part in arrears.clearing(session, community.id):
        if part.period == owed_in and part.received_on <= deadline:
            paid[part.operator_id] += part.amount
    return {op: (due, paid[op]) for op, due in owed.items()}


def evaluated_operators(session: Session, community: Community) -> list[Operator]:
    return list(session.scalars(select(Operator).where(Operator.community_id == community.id,
                                                       Operator.status.in_(EVALUATED)).order_by(Operator.id)))


def evaluate(session: Session, community: Community, period: str) -> list[OperatorScore]:
    """Score every evaluated operator's month, store the scores, then apply the rule (warnings, exits proposed)."""
    require_ended(community, period)
    weights = settings_of(community).weights
    operators = evaluated_operators(session, community)
    figures = gather(session, community, period, [op.id for op in operators])
    stored = []
    for operator in operators:
        row = store(session, operator, period, score(figures[operator.id], weights))
        if row is not None:
            stored.append(row)
    session.flush()
    for operator in operators:
        score_rule.apply(session, community, operator, period)
    return stored


def store(session: Session, operator: Operator, period: str, result: Result) -> OperatorScore | None:
    """Store or replace the operator's computed score; an adjusted one keeps its adjustment. None: no score."""
    if result.tenths is None:
        return None
    row = score_of(session, operator.id, period)
    if row is None:
        row = OperatorScore(community_id=operator.community_id, operator_id=operator.id, period=period,
                            score_tenths=result.tenths)
        session.add(row)
    elif not row.adjusted:
        row.score_tenths = result.tenths
    row.computed_tenths, row.parts, row.computed_at = result.tenths, result.parts, utcnow()
    return row


def score_of(session: Session, operator_id: int, period: str) -> OperatorScore | None:
    return session.scalar(select(OperatorScore).where(OperatorScore.operator_id == operator_id,
                                                      OperatorScore.period == period))


def stars_for(average_tenths: int, lines: dict[int, int]) -> int | None:
    """The stars a year's mean score earns by the community's lines (5, 4, 3), or None below the lowest."""
    return next((stars for stars in sorted(lines, reverse=True) if average_tenths >= lines[stars]), None)


def grade_year(session: Session, community: Community, year: int) -> list[OperatorStars]:
    """Each operator's stars for an ended year from the mean of its monthly scores (replacing a grade made before)."""
    if not 2000 <= year <= 2100:
        raise INVALID_YEAR(field="year")
    if year >= ledger.local_today(community).year:
        raise PERIOD_NOT_ENDED(period=str(year))
    lines = settings_of(community).star_lines
    totals = session.execute(
        select(OperatorScore.operator_id, func.sum(OperatorScore.score_tenths), func.count())
        .where(OperatorScore.community_id == community.id, OperatorScore.period.like(f"{year:04d}-%"))
        .group_by(OperatorScore.operator_id).order_by(OperatorScore.operator_id))
    graded = []
    for operator_id, total, months in totals:
        average = half_up(Fraction(int(total), months))
        row = session.scalar(select(OperatorStars).where(OperatorStars.operator_id == operator_id,
                                                         OperatorStars.year == year))
        if row is None:
            row = OperatorStars(community_id=community.id, operator_id=operator_id, year=year)
            session.add(row)
        row.stars, row.average_tenths, row.months, row.computed_at = (stars_for(average, lines), average, months,
                                                                      utcnow())
        graded.append(row)
    session.flush()
    return graded

