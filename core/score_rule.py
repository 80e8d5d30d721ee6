"""The rule a stored score sets off: under 6.0 a warning; the third month in a row under 6.0 proposes the exit.

"连续三个月得分低于6分…责令退出" (seed 004). The rule reads the stored scores (an adjusted score counts as adjusted)
and only ever acts once per operator and month: the warnings are keyed notifications, and the exit proposal is
made only from ``active`` and only if it was not made for that month before — so re-running an evaluation, or the
scheduler running it again, never proposes again the exit of an operator staff have since reinstated.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.accountability_settings import PASSING_TENTHS
from core.errors import N_, Message
from core.models import AuditEvent, Community, Operator, OperatorScore
from core.notices import people_with_role
from core.notifications import notify
from core.scoring import score_text

FAILED_MONTHS = 3
LOW_TITLE = N_("%(operator)s scored under 6 for %(period)s")
LOW_BODY = N_("%(operator)s scored %(score)s out of 10 for %(period)s, under the 6.0 line. "
              "Three months in a row under 6 propose its exit.")
EXIT_TITLE = N_("Exit proposed: %(operator)s")
EXIT_BODY = N_("%(operator)s scored under 6 for three months in a row (%(periods)s). "
               "Community staff now decide whether it leaves or stays.")


def previous(period: str, months: int = 1) -> str:
    """The ``YYYY-MM`` period so many months before ``period``."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def scores_of(session: Session, operator_id: int, periods: list[str]) -> dict[str, int]:
    """The operator's scores (tenths) of those of ``periods`` that have one."""
    return dict(session.execute(select(OperatorScore.period, OperatorScore.score_tenths).where(
        OperatorScore.operator_id == operator_id, OperatorScore.period.in_(periods))).all())


def told(session: Session, community: Community, operator: Operator, period: str) -> dict[int, str | None]:
    """Who hears of an operator's failing month, each with the page to open: its staff (their own desk) and its
    community's staff (the month's review)."""
    review = f"/communities/{community.slug}/reviews?period={period}"
    people = dict.fromkeys(people_with_role(session, "operator_staff", operator_id=operator.id), "/operator")
    people.update(dict.fromkeys(people_with_role(session, "community_staff", community_id=community.id), review))
    return dict(sorted(people.items()))


def apply(session: Session, community: Community, operator: Operator, period: str) -> None:
    """Warn of a month under the line; propose the exit after the third in a row."""
    row = session.scalar(select(OperatorScore).where(OperatorScore.operator_id == operator.id,
                                                     OperatorScore.period == period))
    if row is None or row.score_tenths >= PASSING_TENTHS:
        return
    people = told(session, community, operator, period)
    params = {"operator": operator.name, "period": period, "score": score_text(row.score_tenths)}
    for user_id, link in people.items():
        notify(session, user_id, "score_low", Message(LOW_TITLE, params), Message(LOW_BODY, params),
               key=f"score_low:{operator.id}:{period}", link=link)
    scores = scores_of(session, operator.id, [previous(period, back) for back in range(FAILED_MONTHS)])
    failed = len(scores) == FAILED_MONTHS and all(tenths < PASSING_TENTHS for tenths in scores.values())
    if operator.status != "active" or not failed or proposed_for(session, operator.id, period):
        return
    operator.status = "exit_proposed"
    audit.record(session, None, "operator_exit_proposed", "operator", operator.id, community.id, period=period,
                 scores=scores, before="active", after="exit_proposed",
                 reason="; ".join(f"{month} {score_text(tenths)}" for month, tenths in sorted(scores.items())))
    params = {"operator": operator.name, "periods": ", ".join(sorted(scores))}
    for user_id, link in people.items():
        notify(session, user_id, "exit_proposed", Message(EXIT_TITLE, params), Message(EXIT_BODY, params),
               key=f"exit_proposed:{operator.id}:{period}", link=link)


def proposed_for(session: Session, operator_id: int, period: str) -> bool:
    """The exit was proposed for this month already (and staff may have decided since)."""
    return any(data.get("period") == period for data in session.scalars(
        select(AuditEvent.data).where(AuditEvent.action == "operator_exit_proposed", AuditEvent.subject_type == "operator",
                                      AuditEvent.subject_id == operator_id)))
