"""Operator types (from the plugins), operators and their agreements."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import catalog, counter, policy, stripe_accounts
from core.api.common import (
    DAY, ID, ApiBlueprint, PageArgs, community_by_ref, current_user, linli, page_schema, paginate, public,
)
from core.db import commit
from core.models import OPERATOR_STATUSES, Agreement, Operator
from core.request_session import session
from core.web.stripe_account import onboarding_returns

blp = ApiBlueprint("operators", __name__, url_prefix="", description="Operators and agreements")


class OperatorTypeSchema(Schema):
    key = fields.String()
    label = fields.String()
    description = fields.String()
    default_price_rules = fields.List(fields.Dict())
    default_donation = fields.Dict()
    sells_several_places = fields.Boolean(metadata={
        "description": "a booking may take several places; otherwise its quantity is 1"})
    bookings_per_resident_per_slot = fields.Integer(allow_none=True, metadata={
        "description": "live bookings one resident may hold for one time; null: any number"})


class OperatorSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    community = fields.String(load_only=True, required=True, metadata={"description": "community id or slug"})
    name = fields.String(required=True, validate=validate.Length(1, 200))
    type = fields.String(required=True, validate=validate.Length(1, 40))
    status = fields.String(dump_only=True)
    contact_email = fields.Email(load_default=None)


class OperatorQuery(PageArgs):
    community = fields.String()
    type = fields.String()
    status = fields.String(validate=validate.OneOf(OPERATOR_STATUSES))


class CustomerQuery(Schema):
    q = fields.String(required=True, validate=validate.Length(1, 100), metadata={
        "description": "the start of a name, or the start or the end (the last 4 digits) of a phone number"})


class CustomerSchema(Schema):
    """A resident as the counter sees them: enough to tell neighbours apart, no more."""

    id = fields.Integer(metadata={"description": "the resident_id of a walk-in sale"})
    name = fields.String()
    building = fields.String(allow_none=True)
    masked_phone = fields.String(allow_none=True, metadata={"description": "e.g. 138****8000"})
    status = fields.String(metadata={"description": "pending: not verified yet, pays the price for everyone"})


class DonationSchema(Schema):
    kind = fields.String(required=True)
    bps = fields.Integer(strict=True, validate=validate.Range(0, 10_000), allow_none=True)
    amount = fields.Integer(strict=True, validate=validate.Range(0, 10_000_000_000), allow_none=True)
    period = fields.String(validate=validate.OneOf(["year", "month"]), allow_none=True)


class AgreementSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(dump_only=True)
    space_id = fields.Integer(strict=True, required=True, validate=ID)
    starts_on = fields.Date(required=True, validate=DAY)
    ends_on = fields.Date(load_default=None, allow_none=True, validate=DAY)
    donation = fields.Nested(DonationSchema, load_default=None, allow_none=True)
    status = fields.String(dump_only=True)


def agreement_json(agreement: Agreement) -> dict:
    rule = {"kind": agreement.donation_kind, "bps": agreement.donation_bps,
            "amount": agreement.donation_amount, "period": agreement.donation_period}
    return {"id": agreement.id, "operator_id": agreement.operator_id, "space_id": agreement.space_id,
            "starts_on": agreement.starts_on, "ends_on": agreement.ends_on, "status": agreement.status,
            "donation": {k: v for k, v in rule.items() if v is not None}}


@blp.route("/operator-types")
@blp.response(200, OperatorTypeSchema(many=True))
@public
def list_operator_types():
    """The operator types the installed plugins provide."""
    return [t.public() for t in sorted(linli().plugins.operator_types.values(), key=lambda t: t.key)]


@blp.route("/operators")
@blp.arguments(OperatorQuery, location="query")
@blp.response(200, page_schema(OperatorSchema))
@public
def list_operators(args):
    """Operators, filtered by community, type and status (public)."""
    db = session()
    query = select(Operator).order_by(Operator.id)
    if args.get("community"):
        query = query.where(Operator.community_id == community_by_ref(db, args["community"]).id)
    for column in ("type", "status"):
        if args.get(column):
            query = query.where(getattr(Operator, column) == args[column])
    return paginate(db, query, args)


@blp.route("/operators", methods=["POST"])
@blp.arguments(OperatorSchema)
@blp.response(201, OperatorSchema)
def apply_operator(data):
    """Apply to serve a community; the operator stays pending until community staff approve it."""
    db = session()
    operator = catalog.apply_operator(db, current_user(), community_by_ref(db, data["community"]), data["name"],
                                      data["type"], linli().plugins.operator_types, data["contact_email"])
    commit(db)
    return operator


@blp.route("/operators/<int:operator_id>")
@blp.response(200, OperatorSchema)
@public
def get_operator(operator_id):
    return catalog.operator_or_404(session(), operator_id)


@blp.route("/operators/<int:operator_id>/customers")
@blp.arguments(CustomerQuery, location="query")
@blp.response(200, CustomerSchema(many=True))
def find_customers(args, operator_id):
    """Residents of the operator's community for its counter (its own staff only): the first 20 found, each with a
    masked phone; type more to find fewer."""
    user = policy.require(current_user(), "operator_staff", operator_id=operator_id)
    db = session()
    return counter.find_customers(db, user, catalog.operator_or_404(db, operator_id), args["q"])


@blp.route("/operators/<int:operator_id>/approve", methods=["POST"])
@blp.response(200, OperatorSchema)
def approve_operator(operator_id):
    """Community staff let a pending operator serve."""
    db = session()
    operator = catalog.approve_operator(db, current_user(), catalog.operator_or_404(db, operator_id))
    commit(db)
    return operator


@blp.route("/operators/<int:operator_id>/agreements")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(AgreementSchema))
def list_agreements(args, operator_id):
    """The operator's agreements (its staff and its community's staff)."""
    db = session()
    operator = catalog.operator_or_404(db, operator_id)
    catalog.require_operator_scope(current_user(), operator)
    page = paginate(db, select(Agreement).where(Agreement.operator_id == operator.id).order_by(Agreement.id), args)
    return page | {"items": [agreement_json(a) for a in page["items"]]}


@blp.route("/operators/<int:operator_id>/agreements", methods=["POST"])
@blp.arguments(AgreementSchema)
@blp.response(201, AgreementSchema)
def create_agreement(data, operator_id):
    """A space lent for a term and a donation rule (the operator type's default when left out)."""
    db = session()
    operator = catalog.operator_or_404(db, operator_id)
    agreement = catalog.create_agreement(db, current_user(), operator, data["space_id"], data["starts_on"],
                                         data["ends_on"], data["donation"], linli().plugins.type_of(operator.type))
    commit(db)
    return agreement_json(agreement)


@blp.route("/operators/<int:operator_id>/agreements/<int:agreement_id>/approve", methods=["POST"])
@blp.response(200, AgreementSchema)
def approve_agreement(operator_id, agreement_id):
    """Community staff accept an agreement an operator proposed."""
    db = session()
    operator = catalog.operator_or_404(db, operator_id)
    agreement = catalog.agreement_of(db, operator, agreement_id)
    catalog.approve_agreement(db, current_user(), operator, agreement)
    commit(db)
    return agreement_json(agreement)


class StripeAccountRequest(Schema):
    account_id = fields.String(required=True, validate=validate.Length(1, 200), metadata={
        "description": "the id of the operator's existing Stripe account, acct_…"})


class StripeAccountSchema(Schema):
    account_id = fields.String(allow_none=True, metadata={"description": "acct_…; null until one is connected"})
    charges_enabled = fields.Boolean(dump_only=True, allow_none=True, metadata={
        "description": "Stripe lets the account take payments (null: Stripe was not asked)"})
    details_submitted = fields.Boolean(dump_only=True, allow_none=True, metadata={
        "description": "the operator gave Stripe all it asked for (null: Stripe was not asked)"})


class OnboardingLinkSchema(Schema):
    url = fields.String(metadata={"description": "Stripe's onboarding page; it can be used once, within minutes"})


@blp.route("/operators/<int:operator_id>/stripe-account")
@blp.response(200, StripeAccountSchema)
def get_stripe_account(operator_id):
    """The operator's Stripe account and whether Stripe lets it take payments (its staff, its community's staff)."""
    return stripe_accounts.account_state(current_user(), catalog.operator_or_404(session(), operator_id),
                                         current_app.config)


@blp.route("/operators/<int:operator_id>/stripe-account", methods=["PUT"])
@blp.arguments(StripeAccountRequest)
@blp.response(200, StripeAccountSchema)
def put_stripe_account(data, operator_id):
    """Community staff enter the id of a Stripe account the operator has already."""
    db = session()
    operator = stripe_accounts.set_account(db, current_user(), catalog.operator_or_404(db, operator_id),
                                           data["account_id"])
    commit(db)
    return stripe_accounts.account_state(current_user(), operator, current_app.config)


@blp.route("/operators/<int:operator_id>/stripe-account/link", methods=["POST"])
@blp.response(200, OnboardingLinkSchema)
def stripe_onboarding_link(operator_id):
    """The operator's staff connect a Stripe account: an Express account is opened (once), and the answer is the
    address of Stripe's onboarding, which comes back to the operator's Stripe page."""
    db = session()
    operator = catalog.operator_or_404(db, operator_id)
    stripe_accounts.open_account(db, current_user(), operator, current_app.config)
    commit(db)
    return {"url": stripe_accounts.onboarding_link(operator, current_app.config, *onboarding_returns(operator.id))}
