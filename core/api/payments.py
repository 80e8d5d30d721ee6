"""Stripe webhooks, operators' declared costs, statements and settlement."""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import policy, settlement
from core.api.common import ApiBlueprint, PageArgs, community_by_ref, current_user, linli, page_schema, paginate, public
from core.catalog import operator_or_404, require_operator_scope
from core.db import commit
from core.models import Community, OperatorCost
from core.payments import webhooks
from core.request_session import session

blp = ApiBlueprint("payments", __name__, url_prefix="", description="Payments, costs and settlement")

FUND_READERS = ("community_staff", "committee_member", "charity_officer")


class CostSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(dump_only=True)
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000_000_000))
    currency = fields.String(dump_only=True)
    description = fields.String(required=True, validate=validate.Length(1, 300))
    declared_at = fields.DateTime(dump_only=True)


class RevenueLineSchema(Schema):
    tier = fields.String()
    channel = fields.String()
    amount = fields.Integer()


class StatementSchema(Schema):
    operator_id = fields.Integer()
    operator = fields.String()
    type = fields.String()
    period = fields.String()
    currency = fields.String()
    gross_revenue_amount = fields.Integer()
    revenue_by_tier_and_channel = fields.List(fields.Nested(RevenueLineSchema))
    refunds_amount = fields.Integer()
    declared_costs_amount = fields.Integer()
    donation_due_amount = fields.Integer()
    donation_received_amount = fields.Integer()
    outstanding_amount = fields.Integer()


@blp.route("/payments/stripe/webhook", methods=["POST"])
@blp.response(200, Schema.from_dict({"result": fields.String()}, name="WebhookResult"))
@public
def stripe_webhook():
    """Stripe's events, verified by their signature; each event is applied once, in any order."""
    db = session()
    app = linli()
    result = webhooks.handle(db, app.payments, app.plugins.payment_providers["stripe"], request.get_data(),
                             request.headers.get("Stripe-Signature"))
    commit(db)
    return {"result": result}


@blp.route("/operators/<int:operator_id>/costs")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CostSchema))
def list_costs(args, operator_id):
    db = session()
    operator = operator_or_404(db, operator_id)
    require_operator_scope(current_user(), operator)
    return paginate(db, select(OperatorCost).where(OperatorCost.operator_id == operator.id)
                    .order_by(OperatorCost.period.desc(), OperatorCost.id), args)


@blp.route("/operators/<int:operator_id>/costs", methods=["POST"])
@blp.arguments(CostSchema)
@blp.response(201, CostSchema)
def declare_cost(data, operator_id):
    """The operator's staff declare a cost of a period (a profit-share donation is computed after costs)."""
    db = session()
    operator = operator_or_404(db, operator_id)
    cost = settlement.declare_cost(db, current_user(), operator, data["period"], data["amount"], data["description"],
                                   db.get(Community, operator.community_id).currency)
    commit(db)
    return cost


@blp.route("/operators/<int:operator_id>/statements/<period>")
@blp.response(200, StatementSchema)
def get_statement(operator_id, period):
    """The operator's statement of a period: revenue by tier and channel, refunds, costs, donations."""
    db = session()
    operator = operator_or_404(db, operator_id)
    user = current_user()
    if not policy.has_role(user, "operator_staff", operator_id=operator.id):
        policy.require(user, *FUND_READERS, community_id=operator.community_id)
    community = db.get(Community, operator.community_id)
    return settlement.statements(db, community, period, operator.id)[0]


@blp.route("/communities/<ref>/settlements/<period>", methods=["POST"])
@blp.response(200, StatementSchema(many=True))
def settle(ref, period):
    """Post the period's profit-share and fixed donations and return every operator's statement (re-runnable)."""
    db = session()
    community = community_by_ref(db, ref)
    policy.require(current_user(), "committee_member", "community_staff", community_id=community.id)
    result = settlement.settle(db, linli().plugins.operator_types, community, period)
    commit(db)
    return result
