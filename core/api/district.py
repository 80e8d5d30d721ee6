"""The district view: each community's month and the totals (district officers and admins); ``format=csv`` too."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import district
from core.api.common import MONTH, RAW, ApiBlueprint, current_user
from core.downloads import csv_download
from core.request_session import session

blp = ApiBlueprint("district", __name__, url_prefix="/district", description="The district's communities")


class SummaryQuery(Schema):
    period = fields.String(required=True, validate=MONTH)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    raw = RAW


class DistrictScoresSchema(Schema):
    scored = fields.Integer()
    mean = fields.Float(allow_none=True, metadata={"description": "0–10, one decimal; null when none was scored"})
    below_passing = fields.Integer()


class DistrictBookingsSchema(Schema):
    free = fields.Integer()
    low_cost = fields.Integer()
    paid = fields.Integer()


class DistrictFundSchema(Schema):
    currency = fields.String()
    inflow_amount = fields.Integer(metadata={"description": "received in the month: donations, transfers, gifts"})
    outflow_amount = fields.Integer(metadata={"description": "disbursed in the month"})
    balance_amount = fields.Integer(metadata={"description": "held at the month's end"})


class DistrictFiguresSchema(Schema):
    """A month's figures, of one community or of the district."""

    operators = fields.Integer(metadata={
        "description": "serving in the month: an agreement in force on one of its days"})
    operator_scores = fields.Nested(DistrictScoresSchema)
    bookings = fields.Nested(DistrictBookingsSchema)
    volunteer_hours = fields.Float()


class DistrictCommunitySchema(DistrictFiguresSchema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    currency = fields.String()
    fund = fields.Nested(DistrictFundSchema)


class DistrictTotalsSchema(DistrictFiguresSchema):
    communities = fields.Integer()
    fund = fields.List(fields.Nested(DistrictFundSchema), metadata={"description": "one line per currency"})


class SummarySchema(Schema):
    period = fields.String()
    communities = fields.List(fields.Nested(DistrictCommunitySchema))
    totals = fields.Nested(DistrictTotalsSchema)


class PublicDistrictSchema(Schema):
    period = fields.String()
    totals = fields.Nested(DistrictTotalsSchema)


@blp.route("/summary")
@blp.arguments(SummaryQuery, location="query")
@blp.response(200, SummarySchema)
def summary(args):
    """Per community of the reader's district (a district officer: where they hold the role; an admin: all) and in
    total: operators and their scores, bookings by tier, the fund's money in, out and balance, volunteer hours;
    ``format=csv`` for a spreadsheet in the reader's language, ``format=csv&raw=1`` for tools."""
    db = session()
    report = district.summary(db, district.communities_for(db, current_user()), args["period"])
    if args["format"] == "csv":
        return csv_download(district.table(report), f"district-{args['period']}.csv", raw=args["raw"])
    return report
