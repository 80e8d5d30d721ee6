"""What is read and published of operators' scores: their months, the last of them, and the last full year's stars.

The scores themselves are computed elsewhere (the monthly evaluation); this module only reads them, for the
operator's own page, the staff's page and the public one. Nothing here names a person.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Community, Operator, OperatorScore, OperatorStars
from core.schedules import today_in
from core.scoring import score_figure

PUBLISHED_STATUSES = ("active", "exit_proposed", "suspended", "exited")
"""Operators the public reads about: every one that is or was serving (a pending one never was)."""
TREND_MONTHS = 12


def months_of(session: Session, operator_id: int, limit: int = TREND_MONTHS) -> list[OperatorScore]:
    """The operator's last ``limit`` scored months, newest first."""
    return list(session.scalars(select(OperatorScore).where(OperatorScore.operator_id == operator_id)
                                .order_by(OperatorScore.period.desc()).limit(limit)))


def last_scores(session: Session, operator_ids: list[int]) -> dict[int, OperatorScore]:
    """Each operator's latest scored month."""
    if not operator_ids:
        return {}
    latest = (select(OperatorScore.operator_id, func.max(OperatorScore.period).label("period"))
              .where(OperatorScore.operator_id.in_(operator_ids)).group_by(OperatorScore.operator_id).subquery())
    rows = session.scalars(select(OperatorScore).join(latest, (latest.c.operator_id == OperatorScore.operator_id)
                                                      & (latest.c.period == OperatorScore.period)))
    return {row.operator_id: row for row in rows}


def last_full_year(community: Community, now: dt.datetime | None = None) -> int:
    return today_in(community, now).year - 1


def stars_of(session: Session, community: Community, operator_ids: list[int]) -> dict[int, OperatorStars]:
    """The stars each operator earned in the community's last full year (those graded below three have none)."""
    if not operator_ids:
        return {}
    rows = session.scalars(select(OperatorStars).where(
        OperatorStars.operator_id.in_(operator_ids), OperatorStars.year == last_full_year(community),
        OperatorStars.stars.is_not(None)))
    return {row.operator_id: row for row in rows}


def score_json(score: OperatorScore | None) -> dict | None:
    if score is None:
        return None
    return {"period": score.period, "score": score_figure(score.score_tenths), "adjusted": score.adjusted}


def stars_json(stars: OperatorStars | None) -> dict | None:
    return None if stars is None else {"year": stars.year, "stars": stars.stars}


def published(session: Session, community: Community) -> list[dict]:
    """Every operator that is or was serving in the community, with its last score and its stars."""
    operators = list(session.scalars(select(Operator).where(
        Operator.community_id == community.id, Operator.status.in_(PUBLISHED_STATUSES)).order_by(Operator.id)))
    ids = [operator.id for operator in operators]
    scores, stars = last_scores(session, ids), stars_of(session, community, ids)
    return [{"id": operator.id, "name": operator.name, "type": operator.type, "status": operator.status,
             "score": score_json(scores.get(operator.id)), "stars": stars_json(stars.get(operator.id))}
            for operator in operators]
