"""The monthly review, as community staff run it: inspections, the evaluation on demand, adjusting a score with a
reason, the community's settings for scoring — and who may read an operator's scores.

Scores are read by the operator's own staff and by its community's staff, committee, charity officer and
administrators; only community staff change anything, and every adjustment is audited.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, evaluation, ledger, policy, score_rule
from core.accountability_settings import of as settings_of
from core.db import utcnow
from core.errors import N_, DomainError, conflict, invalid
from core.models import SCORE_PARTS, Community, Inspection, Operator, OperatorScore, User
from core.ratings import COMMENT_TOO_LONG
from core.settlement import parse_period
from core.tenths import tenths

READERS = ("community_staff", "committee_member", "charity_officer")
"""Besides the operator's own staff: who in its community may read its scores and inspections."""
MAX_NOTES = 2000
MAX_REASON = 1000

PERIOD_IN_FUTURE = invalid("period_in_future", N_(
    "%(period)s has not begun yet: record an inspection for this month or one before it."))
INVALID_SCORE = invalid("invalid_score", N_("Give a score from 0 to 10 with at most one decimal, e.g. 7.5."))
NOT_SCORED = conflict("not_scored", N_("%(operator)s has no score for %(period)s yet: evaluate the month first."))
ADJUST_REASON_REQUIRED = invalid("adjust_reason_required", N_("Please say why the score is adjusted."))
NOT_EVALUATED = conflict("operator_not_evaluated", N_(
    "Only operators that serve (active, with an exit proposed, or suspended) are inspected and scored."))
INVALID_ANSWER_DAYS = invalid("invalid_answer_days", N_("Give a number of days from 1 to 60."))
INVALID_SETTINGS = invalid("invalid_accountability_settings", N_(
    "Weights are whole numbers of 0 or more adding up to more than 0; the star lines go from 0 to 10, "
    "five stars above four above three."))


def tenths_of(value) -> int:
    """A score given as a number from 0 to 10 with at most one decimal, in tenths; else ``invalid_score``."""
    given = tenths(value)
    if given is None or not 0 <= given <= 100:
        raise INVALID_SCORE(field="score")
    return given


def may_read(user: User | None, operator: Operator) -> bool:
    return (policy.has_role(user, "operator_staff", operator_id=operator.id)
            or any(policy.has_role(user, role, community_id=operator.community_id) for role in READERS))


def require_reader(user: User | None, operator: Operator) -> None:
    policy.require_user(user)
    if not may_read(user, operator):
        raise policy.ROLE_REQUIRED()


def record_inspection(session: Session, actor: User | None, operator: Operator, period: str, score,
                      notes: str) -> Inspection:
    """Community staff's inspection of the operator in a month (this one or one before)."""
    policy.require(actor, "community_staff", community_id=operator.community_id)
    parse_period(period)
    community = session.get(Community, operator.community_id)
    if period > ledger.period_of(ledger.local_today(community)):
        raise PERIOD_IN_FUTURE(period=period, field="period")
    if operator.status not in evaluation.EVALUATED:
        raise NOT_EVALUATED()
    tenths = tenths_of(score)
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise COMMENT_TOO_LONG(most=MAX_NOTES, field="notes")
    inspection = Inspection(community_id=community.id, operator_id=operator.id, period=period, score_tenths=tenths,
                            notes=notes, inspector_id=actor.id)
    session.add(inspection)
    session.flush()
    audit.record(session, actor, "inspection_recorded", "operator", operator.id, community.id, period=period,
                 score_tenths=tenths)
    return inspection


def inspections_of(session: Session, operator_id: int) -> list[Inspection]:
    """The operator's inspections, the latest month first."""
    return list(session.scalars(select(Inspection).where(Inspection.operator_id == operator_id)
                                .order_by(Inspection.period.desc(), Inspection.id.desc())))


def scores_of(session: Session, operator_id: int) -> list[OperatorScore]:
    """The operator's monthly scores, newest first."""
    return list(session.scalars(select(OperatorScore).where(OperatorScore.operator_id == operator_id)
                                .order_by(OperatorScore.period.desc())))


def adjust(session: Session, actor: User | None, operator: Operator, period: str, score, reason: str) -> OperatorScore:
    """Community staff set the score that counts, saying why (audited); the computed one is kept beside it."""
    policy.require(actor, "community_staff", community_id=operator.community_id)
    parse_period(period)
    row = evaluation.score_of(session, operator.id, period)
    if row is None:
        raise NOT_SCORED(operator=operator.name, period=period)
    tenths = tenths_of(score)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ADJUST_REASON_REQUIRED(field="reason")
    audit.record(session, actor, "score_adjusted", "operator", operator.id, operator.community_id, period=period,
                 before=row.score_tenths, after=tenths, computed=row.computed_tenths, reason=reason)
    row.score_tenths, row.adjusted_by, row.adjusted_at, row.adjust_reason = tenths, actor.id, utcnow(), reason
    session.flush()
    score_rule.apply(session, session.get(Community, operator.community_id), operator, period)
    return row


def run_evaluation(session: Session, actor: User | None, community: Community, period: str) -> list[OperatorScore]:
    """Community staff evaluate an ended month now, as the job on the 1st does."""
    policy.require(actor, "community_staff", community_id=community.id)
    return evaluation.evaluate(session, community, period)


def require_settings_reader(actor: User | None, community: Community) -> None:
    policy.require(actor, "community_staff", community_id=community.id)


def settings_json(community: Community) -> dict:
    settings = settings_of(community)
    return {"answer_days": settings.answer_days, "weights": dict(settings.weights),
            "star_lines": {str(stars): tenths / 10 for stars, tenths in sorted(settings.star_lines.items())}}


def save_settings(session: Session, actor: User | None, community: Community, answer_days: int,
                  weights: dict[str, int], star_lines: dict[str, object]) -> dict:
    """Community staff set how complaints are answered and how operators are scored (audited)."""
    policy.require(actor, "community_staff", community_id=community.id)
    if isinstance(answer_days, bool) or not isinstance(answer_days, int) or not 1 <= answer_days <= 60:
        raise INVALID_ANSWER_DAYS(field="answer_days")
    if (set(weights) != set(SCORE_PARTS) or any(isinstance(w, bool) or not isinstance(w, int) or w < 0
                                                for w in weights.values()) or not sum(weights.values())):
        raise INVALID_SETTINGS(field="weights")
    if set(star_lines) != {"3", "4", "5"}:
        raise INVALID_SETTINGS(field="star_lines")
    try:
        lines = {stars: tenths_of(star_lines[stars]) for stars in ("5", "4", "3")}
    except DomainError:
        raise INVALID_SETTINGS(field="star_lines") from None
    if not lines["5"] > lines["4"] > lines["3"]:
        raise INVALID_SETTINGS(field="star_lines")
    stored = {**(community.accountability or {}), "answer_days": answer_days,
              "weights": {part: weights[part] for part in SCORE_PARTS}, "star_lines": lines}
    community.accountability = stored
    audit.record(session, actor, "accountability_settings_changed", "community", community.id, community.id,
                 **{k: stored[k] for k in ("answer_days", "weights", "star_lines")})
    return settings_json(community)
