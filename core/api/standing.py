"""An operator's standing (suspend, reinstate, exit, its history) and the published scores and stars (SPEC §11.6)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import catalog, policy, scorecards, standing
from core.api.common import DAY, NOT_BLANK, ApiBlueprint, community_by_ref, current_user, linli, public
from core.api.operators import OperatorSchema
from core.db import commit
from core.request_session import session

blp = ApiBlueprint("standing", __name__, url_prefix="", description="Operators held to account: standing, scores")

REASON = [validate.Length(1, 500), NOT_BLANK]


class ReasonRequest(Schema):
    reason = fields.String(required=True, validate=REASON, metadata={"description": "why: the operator reads it"})


class ExitRequest(ReasonRequest):
    ends_on = fields.Date(required=True, validate=DAY, metadata={"description": "the day its agreements end"})
    existing_bookings = fields.String(required=True, validate=validate.OneOf(standing.EXISTING_BOOKINGS), metadata={
        "description": "honour: bookings already made are served; cancel: those still to come are called off and "
                       "refunded"})


class ChangeSchema(Schema):
    at = fields.DateTime()
    action = fields.String(metadata={"description": "one of " + ", ".join(standing.ACTIONS)})
    status = fields.String(allow_none=True, metadata={"description": "the status it left the operator in"})
    reason = fields.String(allow_none=True)
    decided_by = fields.String(metadata={"description": "community_staff, or evaluation (the monthly score)"})
    by = fields.String(allow_none=True, metadata={"description": "the staff member's name (community staff only)"})
    ends_on = fields.String(allow_none=True)
    existing_bookings = fields.String(allow_none=True)
    bookings_cancelled = fields.Integer(allow_none=True)


class StandingSchema(Schema):
    operator_id = fields.Integer()
    status = fields.String()
    history = fields.List(fields.Nested(ChangeSchema), metadata={"description": "newest first"})


class PublishedScoreSchema(Schema):
    period = fields.String()
    score = fields.Float(metadata={"description": "0–10, one decimal"})
    adjusted = fields.Boolean(metadata={"description": "staff adjusted the computed score, with a recorded reason"})


class PublishedStarsSchema(Schema):
    year = fields.Integer()
    stars = fields.Integer(metadata={"description": "3, 4 or 5"})


class PublishedOperatorSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    status = fields.String()
    score = fields.Nested(PublishedScoreSchema, allow_none=True, metadata={"description": "its last scored month"})
    stars = fields.Nested(PublishedStarsSchema, allow_none=True, metadata={
        "description": "the stars of the last full year; null without a grade of three or more"})


class PublishedSchema(Schema):
    items = fields.List(fields.Nested(PublishedOperatorSchema))


def _operator(operator_id: int):
    db = session()
    return db, catalog.operator_or_404(db, operator_id)


def _decided(operator_id: int, decide):
    """The operator after ``decide(db, actor, operator)``, committed."""
    db, operator = _operator(operator_id)
    decide(db, current_user(), operator)
    commit(db)
    return operator


@blp.route("/operators/<int:operator_id>/suspend", methods=["POST"])
@blp.arguments(ReasonRequest)
@blp.response(200, OperatorSchema)
def suspend(data, operator_id):
    """Suspend an operator at once (its community's staff): its listings take no new bookings (409
    operator_not_serving unless it is active or its exit is proposed)."""
    return _decided(operator_id, lambda db, user, operator: standing.suspend(db, user, operator, data["reason"]))


@blp.route("/operators/<int:operator_id>/reinstate", methods=["POST"])
@blp.arguments(ReasonRequest)
@blp.response(200, OperatorSchema)
def reinstate(data, operator_id):
    """Reinstate a suspended operator, or keep one whose exit was proposed (its community's staff; 409
    operator_not_suspended otherwise)."""
    return _decided(operator_id, lambda db, user, operator: standing.reinstate(db, user, operator, data["reason"]))


@blp.route("/operators/<int:operator_id>/exit", methods=["POST"])
@blp.arguments(ExitRequest)
@blp.response(200, OperatorSchema)
def exit_operator(data, operator_id):
    """The operator leaves (its community's staff): its agreements end on ``ends_on``, its listings take no new
    bookings, and the bookings already made are honoured or cancelled with full refunds (409
    operator_cannot_exit when it has left already or was never approved)."""
    app = linli()
    return _decided(operator_id, lambda db, user, operator: standing.exit(
        db, user, operator, data["reason"], data["ends_on"], data["existing_bookings"], plugins=app.plugins,
        payments=app.payments))


@blp.route("/operators/<int:operator_id>/standing")
@blp.response(200, StandingSchema)
def get_standing(operator_id):
    """The operator's status and its history (its own staff, its community's staff): who decided is named to the
    community's staff only."""
    db, operator = _operator(operator_id)
    user = current_user()
    catalog.require_operator_scope(user, operator)
    names = policy.has_role(user, "community_staff", community_id=operator.community_id)
    return {"operator_id": operator.id, "status": operator.status,
            "history": [change_json(change, names) for change in standing.history(db, operator)]}


def change_json(change: standing.Change, names: bool) -> dict:
    return {"at": change.at, "action": change.action, "status": change.status, "reason": change.reason,
            "decided_by": "evaluation" if change.action == "operator_exit_proposed" else "community_staff",
            "by": change.by if names else None, "ends_on": change.ends_on,
            "existing_bookings": change.existing_bookings, "bookings_cancelled": change.bookings_cancelled}


@blp.route("/public/communities/<ref>/operators")
@blp.response(200, PublishedSchema)
@public
def published_operators(ref):
    """Each operator that is or was serving in the community (by id or slug): its status, its last monthly score
    (marked when staff adjusted it) and the stars of the last full year. No login; nothing personal."""
    db = session()
    return {"items": scorecards.published(db, community_by_ref(db, ref))}
