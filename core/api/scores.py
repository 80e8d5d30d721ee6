"""Operators' inspections and monthly scores, the evaluation on demand, and a community's scoring settings
(SPEC §11.6)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import catalog, reviews
from core.api.common import MONTH, NOT_BLANK, ApiBlueprint, community_by_ref, current_user
from core.db import commit
from core.models import SCORE_PARTS, Inspection, OperatorScore
from core.request_session import session
from core.scoring import score_figure

blp = ApiBlueprint("scores", __name__, url_prefix="", description="Inspections, monthly scores and their settings")

SCORE = fields.Raw(required=True, metadata={"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.1,
                                            "description": "0 to 10, at most one decimal"})


class InspectionRequest(Schema):
    period = fields.String(required=True, validate=MONTH, metadata={"description": "YYYY-MM, not after this month"})
    score = SCORE
    notes = fields.String(load_default="", validate=validate.Length(max=reviews.MAX_NOTES))


class InspectionSchema(Schema):
    id = fields.Integer()
    operator_id = fields.Integer()
    period = fields.String()
    score = fields.Float()
    notes = fields.String()
    inspector_id = fields.Integer()
    created_at = fields.DateTime()


class ScorePartSchema(Schema):
    part = fields.String(metadata={"enum": list(SCORE_PARTS)})
    weight = fields.Integer(metadata={"description": "the community's weight of the part"})
    share = fields.Float(metadata={"description": "its percent of the score once missing parts were shared out"})
    value = fields.Float(allow_none=True, metadata={"description": "0–10, one decimal; null when missing"})
    missing = fields.Boolean()
    figures = fields.Dict(metadata={"description": "what the part came from"})


class ScoreSchema(Schema):
    period = fields.String()
    score = fields.Float(metadata={"description": "what counts: the adjusted score, else the computed one"})
    computed = fields.Float()
    parts = fields.List(fields.Nested(ScorePartSchema))
    status = fields.String(metadata={"enum": ["computed", "adjusted"]})
    adjust_reason = fields.String(allow_none=True)


class ScoreList(Schema):
    items = fields.List(fields.Nested(ScoreSchema))


class InspectionList(Schema):
    items = fields.List(fields.Nested(InspectionSchema))


class AdjustRequest(Schema):
    score = SCORE
    reason = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=reviews.MAX_REASON)])


class EvaluationRequest(Schema):
    period = fields.String(required=True, validate=MONTH, metadata={"description": "YYYY-MM, a month that ended"})


class EvaluationSchema(Schema):
    period = fields.String()
    items = fields.List(fields.Nested(Schema.from_dict({
        "operator_id": fields.Integer(), "score": fields.Float(), "status": fields.String()}, name="Evaluated")))


class SettingsSchema(Schema):
    answer_days = fields.Integer(strict=True, required=True, validate=validate.Range(1, 60))
    weights = fields.Dict(keys=fields.String(validate=validate.OneOf(SCORE_PARTS)),
                          values=fields.Integer(strict=True, validate=validate.Range(0, 1000)), required=True,
                          metadata={"description": "every part's weight; their sum is more than 0"})
    star_lines = fields.Dict(keys=fields.String(validate=validate.OneOf(["3", "4", "5"])),
                             values=fields.Raw(), required=True,
                             metadata={"description": "the year's mean score (0–10) earning 5, 4 and 3 stars, "
                                                      "e.g. {\"5\": 9.0, \"4\": 8.0, \"3\": 6.0}"})


def inspection_json(inspection: Inspection) -> dict:
    return {"id": inspection.id, "operator_id": inspection.operator_id, "period": inspection.period,
            "score": score_figure(inspection.score_tenths), "notes": inspection.notes,
            "inspector_id": inspection.inspector_id, "created_at": inspection.created_at}


def score_json(row: OperatorScore) -> dict:
    return {"period": row.period, "score": score_figure(row.score_tenths), "computed": score_figure(row.computed_tenths),
            "parts": row.parts, "status": "adjusted" if row.adjusted else "computed",
            "adjust_reason": row.adjust_reason}


def readable_operator(operator_id: int):
    db = session()
    operator = catalog.operator_or_404(db, operator_id)
    reviews.require_reader(current_user(), operator)
    return db, operator


@blp.route("/operators/<int:operator_id>/inspections", methods=["POST"])
@blp.arguments(InspectionRequest)
@blp.response(201, InspectionSchema)
def record_inspection(data, operator_id):
    """Community staff record the month's inspection of the operator (0–10, one decimal at most)."""
    db = session()
    inspection = reviews.record_inspection(db, current_user(), catalog.operator_or_404(db, operator_id),
                                           data["period"], data["score"], data["notes"])
    commit(db)
    return inspection_json(inspection)


@blp.route("/operators/<int:operator_id>/inspections")
@blp.response(200, InspectionList)
def list_inspections(operator_id):
    """The operator's inspections, the latest month first (its staff; its community's staff, committee, charity)."""
    db, operator = readable_operator(operator_id)
    return {"items": [inspection_json(i) for i in reviews.inspections_of(db, operator.id)]}


@blp.route("/operators/<int:operator_id>/scores")
@blp.response(200, ScoreList)
def list_scores(operator_id):
    """The operator's monthly scores, newest first, each with its breakdown."""
    db, operator = readable_operator(operator_id)
    return {"items": [score_json(row) for row in reviews.scores_of(db, operator.id)]}


@blp.route("/operators/<int:operator_id>/scores/<period>/adjust", methods=["POST"])
@blp.arguments(AdjustRequest)
@blp.response(200, ScoreSchema)
def adjust_score(data, operator_id, period):
    """Community staff set the month's score that counts, with the reason (audited; the computed one stays)."""
    db = session()
    row = reviews.adjust(db, current_user(), catalog.operator_or_404(db, operator_id), period, data["score"],
                         data["reason"])
    commit(db)
    return score_json(row)


@blp.route("/communities/<ref>/evaluations", methods=["POST"])
@blp.arguments(EvaluationRequest)
@blp.response(200, EvaluationSchema)
def evaluate(data, ref):
    """Community staff score every operator's ended month now (as `linli evaluate` and the job on the 1st do)."""
    db = session()
    rows = reviews.run_evaluation(db, current_user(), community_by_ref(db, ref), data["period"])
    answer = {"period": data["period"], "items": [
        {"operator_id": row.operator_id, "score": row.score_tenths / 10,
         "status": "adjusted" if row.adjusted else "computed"} for row in rows]}
    commit(db)
    return answer


@blp.route("/communities/<ref>/accountability-settings")
@blp.response(200, SettingsSchema)
def get_settings(ref):
    """How the community answers complaints and scores its operators (community staff)."""
    db = session()
    community = community_by_ref(db, ref)
    reviews.require_settings_reader(current_user(), community)
    return reviews.settings_json(community)


@blp.route("/communities/<ref>/accountability-settings", methods=["PUT"])
@blp.arguments(SettingsSchema)
@blp.response(200, SettingsSchema)
def put_settings(data, ref):
    """Community staff set the days to answer a complaint (1–60), the parts' weights and the star lines."""
    db = session()
    answer = reviews.save_settings(db, current_user(), community_by_ref(db, ref), data["answer_days"],
                                   data["weights"], data["star_lines"])
    commit(db)
    return answer
