"""The district's view of its communities, month by month: operators and their scores, bookings by tier, the funds'
money in and out, and volunteers' hours — per community and in total.

Built for a district of many communities: every figure is read for all of them at once, grouped by community, so
the summary costs the same few queries for one community as for fifty. Each community's month is its own (its time
zone); money is never added across currencies, so the totals keep one fund line per currency.
"""
from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from core import fund, ledger, policy
from core.accountability_settings import PASSING_TENTHS
from core.donations import BINDING
from core.errors import N_, forbidden
from core.exports import CURRENCY, Column, Shown, Table
from core.models import (
    Agreement, Booking, Community, JournalEntry, Operator, OperatorScore, Slot, User, Volunteer, VolunteerHours,
)
from core.scoring import half_up, score_figure
from core.settlement import parse_period

READERS = ("district_officer",)
TIERS = ("free", "low_cost", "paid")
COUNTED = ("confirmed", "fulfilled", "no_show")
"""The bookings a month counts: made and not called off (a no-show was a place kept for someone)."""
FUND_FIGURES = ("inflow_amount", "outflow_amount", "balance_amount")

NOT_A_DISTRICT_READER = forbidden("district_readers_only", N_(
    "The district view is for district officers and administrators."))


def communities_for(session: Session, user: User | None) -> list[Community]:
    """The communities ``user`` reads the district view of: every one for an admin, for a district officer those
    they hold the role in (one grant each)."""
    policy.require_user(user)
    query = select(Community).order_by(Community.id)
    if not policy.is_admin(user):
        ids = policy.community_ids(user, *READERS)
        if not ids:
            raise NOT_A_DISTRICT_READER()
        query = query.where(Community.id.in_(ids))
    return list(session.scalars(query))


def in_month(communities: list[Community], period: str, community_column, moment_column):
    """SQL: the row's moment falls in ``period`` of its own community's time zone."""
    windows = {c.id: ledger.month_window(c, period) for c in communities}
    return or_(*(and_(community_column == cid, moment_column >= start, moment_column < end)
                 for cid, (start, end) in windows.items()))


def _operators(session: Session, ids: list[int], period: str) -> dict[int, int]:
    """Per community: the operators serving in the month, an agreement of theirs in force on one of its days (one
    since ended still ruled the days before its end)."""
    first, last = parse_period(period)
    return dict(session.execute(
        select(Operator.community_id, func.count(distinct(Operator.id)))
        .join(Agreement, Agreement.operator_id == Operator.id)
        .where(Operator.community_id.in_(ids), Agreement.status.in_(BINDING), Agreement.starts_on <= last,
               or_(Agreement.ends_on.is_(None), Agreement.ends_on >= first))
        .group_by(Operator.community_id)).all())


def _scores(session: Session, ids: list[int], period: str) -> dict[int, tuple[int, int, int]]:
    """Per community: how many operators were scored in the month, the sum of their scores (tenths), and how many
    scored under the passing line."""
    rows = session.execute(select(OperatorScore.community_id, func.count(OperatorScore.id),
                                  func.sum(OperatorScore.score_tenths),
                                  func.count(OperatorScore.id).filter(OperatorScore.score_tenths < PASSING_TENTHS))
                           .where(OperatorScore.community_id.in_(ids), OperatorScore.period == period)
                           .group_by(OperatorScore.community_id))
    return {cid: (int(count), int(total or 0), int(below)) for cid, count, total, below in rows}


def _bookings(session: Session, communities: list[Community], period: str) -> dict[int, dict[str, int]]:
    """Bookings of times in the month, by tier."""
    rows = session.execute(select(Operator.community_id, Booking.tier, func.count(Booking.id))
                           .join(Slot, Slot.id == Booking.slot_id).join(Operator, Operator.id == Booking.operator_id)
                           .where(Booking.status.in_(COUNTED),
                                  in_month(communities, period, Operator.community_id, Slot.starts_at))
                           .group_by(Operator.community_id, Booking.tier))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TIERS, 0))
    for cid, tier, count in rows:
        counts[cid][tier] = int(count)
    return counts


def _funds(session: Session, ids: list[int], period: str) -> dict[int, dict[str, int]]:
    """Money into the fund in the month (received from operators, online and by transfer, and gifts of money), out
    of it (disbursed to projects), and what it held at the month's end; from one scan of the ledger."""
    month = JournalEntry.period == period
    figures = {name: (account, *conditions, month) for name, (account, *conditions) in fund.INFLOWS.items()
               if name in ("received_online_amount", "received_transfer_amount", "gift_amount")}
    figures |= {"outflow_amount": ("fund_disbursed", month), "balance_amount": ("fund_cash",)}
    rows = ledger.totals_where(session, figures, [JournalEntry.community_id],
                               JournalEntry.community_id.in_(ids), JournalEntry.period <= period)
    return {row.community_id: {"inflow_amount": fund.received(row._mapping), "outflow_amount": int(row.outflow_amount),
                               "balance_amount": int(row.balance_amount)} for row in rows}


def _hours(session: Session, communities: list[Community], period: str) -> dict[int, int]:
    """Volunteers' hours credited in the month (tenths)."""
    return {cid: int(tenths) for cid, tenths in session.execute(
        select(Volunteer.community_id, func.sum(VolunteerHours.tenths))
        .join(Volunteer, Volunteer.id == VolunteerHours.volunteer_id)
        .where(VolunteerHours.kind == "credit",
               in_month(communities, period, Volunteer.community_id, VolunteerHours.at))
        .group_by(Volunteer.community_id))}


def _scores_json(count: int, total: int, below: int) -> dict:
    return {"scored": count, "mean": score_figure(half_up(Fraction(total, count))) if count else None,
            "below_passing": below}


def summary(session: Session, communities: list[Community], period: str) -> dict:
    """The month's figures of each community and their totals (money per currency); five queries whatever the
    number of communities."""
    parse_period(period)
    ids = [c.id for c in communities]
    operators, scores, bookings, funds, hours = ({}, {}, {}, {}, {}) if not ids else (
        _operators(session, ids, period), _scores(session, ids, period), _bookings(session, communities, period),
        _funds(session, ids, period), _hours(session, communities, period))
    no_money = dict.fromkeys(FUND_FIGURES, 0)
    rows = [{
        "id": c.id, "slug": c.slug, "name": c.name, "currency": c.currency,
        "operators": operators.get(c.id, 0),
        "operator_scores": _scores_json(*scores.get(c.id, (0, 0, 0))),
        "bookings": bookings.get(c.id, dict.fromkeys(TIERS, 0)),
        "fund": {"currency": c.currency, **funds.get(c.id, no_money)},
        "volunteer_hours": hours.get(c.id, 0) / 10,
    } for c in communities]
    money: dict[str, dict[str, int]] = {}
    for row in rows:
        line = money.setdefault(row["currency"], dict(no_money))
        for name in FUND_FIGURES:
            line[name] += row["fund"][name]
    totals = {
        "communities": len(rows),
        "operators": sum(operators.values()),
        "operator_scores": _scores_json(*(sum(figures[i] for figures in scores.values()) for i in range(3))),
        "bookings": {tier: sum(row["bookings"][tier] for row in rows) for tier in TIERS},
        "fund": [{"currency": currency, **money[currency]} for currency in sorted(money)],
        "volunteer_hours": sum(hours.values()) / 10,
    }
    return {"period": period, "communities": rows, "totals": totals}


def public_totals(session: Session, period: str) -> dict:
    """What anyone may read of the district: the totals of every community, no community's or operator's own."""
    whole = summary(session, list(session.scalars(select(Community).order_by(Community.id))), period)
    return {"period": period, "totals": whole["totals"]}


COLUMNS = [
    Column("community", N_("Community")), Column("name", N_("Name")), CURRENCY,
    Column("operators", N_("Operators serving")), Column("operators_scored", N_("Operators scored")),
    Column("score_mean", N_("Mean score")), Column("below_passing", N_("Scored under 6")),
    Column("bookings_free", N_("Free bookings")), Column("bookings_low_cost", N_("Low-cost bookings")),
    Column("bookings_paid", N_("Paid bookings")), Column("inflow_amount", N_("Money into the fund"), amount=True),
    Column("outflow_amount", N_("Money out of the fund"), amount=True),
    Column("balance_amount", N_("Fund balance at the month's end"), amount=True),
    Column("volunteer_hours", N_("Volunteer hours")),
]
TOTAL = Shown("total", N_("Total"))


def _line(community, name, currency: str, figures: dict, fund_line: dict) -> list:
    scores, bookings = figures["operator_scores"], figures["bookings"]
    return [community, name, currency, figures["operators"], scores["scored"], scores["mean"],
            scores["below_passing"], *(bookings[tier] for tier in TIERS), *(fund_line[n] for n in FUND_FIGURES),
            figures["volunteer_hours"]]


def table(report: dict) -> Table:
    """The summary as a spreadsheet: a row per community, then the totals, once per currency when the communities
    keep several (the counts then on the first total row only, so that no figure is counted twice)."""
    rows = [_line(row["slug"], row["name"], row["currency"], row, row["fund"]) for row in report["communities"]]
    totals = report["totals"]
    for n, fund_line in enumerate(totals["fund"]):
        line = _line(TOTAL, "", fund_line["currency"], totals, fund_line)
        rows.append(line if n == 0 else [*line[:3], *[None] * 7, *line[10:13], None])
    return Table(COLUMNS, rows, totals["fund"][0]["currency"] if totals["fund"] else "CNY")
