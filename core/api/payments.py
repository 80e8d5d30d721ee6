"""Payment providers and their notifications, operators' declared costs, statements and settlement."""
from __future__ import annotations

from flask import Response, request
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import policy, settlement
from core.api.common import ApiBlueprint, PageArgs, community_by_ref, current_user, linli, page_schema, paginate, public
from core.catalog import operator_or_404, require_operator_scope
from core.db import commit, rollback
from core.errors import N_, DomainError, not_found, text
from core.models import Community, OperatorCost
from core.payments import notifications
from core.request_session import session
from core.web.i18n import say

blp = ApiBlueprint("payments", __name__, url_prefix="", description="Payments, costs and settlement")

UNKNOWN_PROVIDER = not_found("unknown_payment_provider", N_("There is no online payment service called %(provider)s."))
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


class ProviderChoiceSchema(Schema):
    key = fields.String(metadata={"description": "the booking's payment_method"})
    label = fields.String(metadata={"description": "in the reader's language"})
    online = fields.Boolean(metadata={"description": "paid online: the places are held until it is paid"})


class ProviderQuery(Schema):
    community = fields.String(required=True, validate=validate.Length(1, 64),
                              metadata={"description": "the community's id or slug"})


@blp.route("/payment-providers")
@blp.arguments(ProviderQuery, location="query")
@blp.response(200, ProviderChoiceSchema(many=True))
@public
def payment_providers(args):
    """The ways a resident of the community can pay now (configured on this platform, in its currency)."""
    community = community_by_ref(session(), args["community"])
    return [{"key": p.key, "label": say(text(p.label or p.key)), "online": p.online}
            for p in linli().payments.choices(community.currency)]


@blp.route("/payments/<provider>/notify", methods=["POST"])
@blp.response(200, Schema.from_dict({"result": fields.String()}, name="NotificationResult"))
@public
def provider_notification(provider):
    """A payment provider's notification, verified by the provider's own signature and answered in its own format;
    each event is applied once, in any order. One that cannot be verified is refused and changes nothing."""
    return _notified(provider)


@blp.route("/payments/stripe/webhook", methods=["POST"])
@blp.response(200, Schema.from_dict({"result": fields.String()}, name="WebhookResult"))
@public
def stripe_webhook():
    """Stripe's events (the same as ``/payments/stripe/notify``), verified by their signature."""
    return _notified("stripe")


def _notified(key: str):
    db, app = session(), linli()
    provider = app.plugins.payment_providers.get(key)
    if provider is None or not provider.online:
        raise UNKNOWN_PROVIDER(provider=key)
    try:
        result = notifications.handle(db, app.payments, provider, request.get_data(), request.headers)
    except DomainError:
        refusal = provider.refusal()
        if refusal is None:
            raise
        rollback(db)
        return Response(refusal.body, refusal.status, content_type=refusal.content_type)
    commit(db)
    answer = provider.reply(result)
    return Response(answer.body, answer.status, content_type=answer.content_type)


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
