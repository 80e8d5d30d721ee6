"""Gifts of money to the fund: the committee records them, the committee and the charity officer read them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import fund, gifts
from core.api.common import (
    DAY, NOT_BLANK, ApiBlueprint, PageArgs, community_by_ref, current_user, page_schema, paginate,
)
from core.api.fund import AMOUNT
from core.db import commit
from core.models import DONOR_KINDS
from core.request_session import session

blp = ApiBlueprint("gifts", __name__, url_prefix="/communities", description="Gifts of money to the community fund")


class FundGiftSchema(Schema):
    id = fields.Integer(dump_only=True)
    donor_name = fields.String(load_default="", validate=validate.Length(max=200),
                               metadata={"description": "may be empty only when donor_kind is anonymous"})
    donor_kind = fields.String(required=True, validate=validate.OneOf(DONOR_KINDS))
    amount = fields.Integer(required=True, **AMOUNT)
    currency = fields.String(dump_only=True)
    reference = fields.String(required=True, validate=[validate.Length(1, 120), NOT_BLANK])
    received_on = fields.Date(required=True, validate=DAY)
    recorded_at = fields.DateTime(dump_only=True)


@blp.route("/<ref>/fund/gifts")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(FundGiftSchema))
def list_gifts(args, ref):
    """The fund's gifts, newest first (committee and charity officer)."""
    db = session()
    community = community_by_ref(db, ref)
    fund.require_reader(current_user(), community, "committee_member", "charity_officer")
    return paginate(db, gifts.gifts_query(community), args)


@blp.route("/<ref>/fund/gifts", methods=["POST"])
@blp.arguments(FundGiftSchema)
@blp.response(201, FundGiftSchema)
def record_gift(data, ref):
    """A committee member records money given to the fund by a resident, a company, the government or an anonymous
    donor; it counts in the balance at once. Dated after today (community time): 422."""
    db = session()
    gift = gifts.record_gift(db, current_user(), community_by_ref(db, ref), **data)
    commit(db)
    return gift
