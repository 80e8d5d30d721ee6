"""The public transparency report (no login)."""
from __future__ import annotations

from marshmallow import Schema, fields

from core import district, transparency
from core.api.common import MONTH, ApiBlueprint, community_by_ref, public
from core.api.district import PublicDistrictSchema
from core.request_session import session

blp = ApiBlueprint("public", __name__, url_prefix="/public", description="Public transparency reports")


class ReportQuery(Schema):
    period = fields.String(validate=MONTH)


class DistrictQuery(Schema):
    period = fields.String(required=True, validate=MONTH)


class ReportSchema(Schema):
    community = fields.Dict()
    period = fields.String(allow_none=True)
    currency = fields.String()
    balance_amount = fields.Integer()
    receivable_amount = fields.Integer()
    in_kind_amount = fields.Integer()
    inflows = fields.List(fields.Dict())
    in_kind_items = fields.List(fields.Dict())
    gifts = fields.List(fields.Dict(), metadata={
        "description": "gifts of money: donor_kind, and donor_name for a company or the government only"})
    disbursements = fields.List(fields.Dict())
    monthly = fields.List(fields.Dict())
    chain_head = fields.String()


class DonorSchema(Schema):
    operator = fields.Dict()
    currency = fields.String()
    given = fields.List(fields.Dict())
    fund_spent_in_those_months = fields.List(fields.Dict())
    chain_head = fields.String()


@blp.route("/communities/<ref>/fund-report")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportSchema)
@public
def fund_report(args, ref):
    """The fund's balance, inflows by operator and month, gifts of money and in kind, disbursements and the chain
    head."""
    db = session()
    return transparency.report(db, community_by_ref(db, ref), args.get("period"))


@blp.route("/communities/<ref>/donors/<int:operator_id>")
@blp.response(200, DonorSchema)
@public
def donor_statement(ref, operator_id):
    """One operator's statement as a donor."""
    db = session()
    return transparency.donor_statement(db, community_by_ref(db, ref), operator_id)


@blp.route("/district")
@blp.arguments(DistrictQuery, location="query")
@blp.response(200, PublicDistrictSchema)
@public
def district_totals(args):
    """The month's totals of every community on this deployment: no community's or operator's own figures."""
    return district.public_totals(session(), args["period"])
