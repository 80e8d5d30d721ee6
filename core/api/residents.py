"""Residents of a community and their verified attributes (community staff)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import eligibility, policy
from core.api.common import ApiBlueprint, PageArgs, community_by_ref, current_user, page_schema, paginate
from core.db import commit
from core.models import ResidentProfile
from core.pricing import ATTRIBUTES
from core.request_session import session

blp = ApiBlueprint("residents", __name__, url_prefix="/communities", description="Residents' eligibility")


class VerificationSchema(Schema):
    attribute = fields.String(validate=validate.OneOf(ATTRIBUTES))
    verified_by_id = fields.Integer(allow_none=True)
    verified_at = fields.DateTime()


class ResidentSchema(Schema):
    user_id = fields.Integer()
    name = fields.Function(lambda p: p.user.name)
    email = fields.Function(lambda p: p.user.email)
    date_of_birth = fields.Date(allow_none=True)
    attributes = fields.List(fields.Nested(VerificationSchema))


class AttributeRequest(Schema):
    attribute = fields.String(required=True, validate=validate.OneOf(ATTRIBUTES))


@blp.route("/<ref>/residents")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(ResidentSchema))
def list_residents(args, ref):
    """The community's residents with what has been verified about them (community staff)."""
    db = session()
    community = community_by_ref(db, ref)
    policy.require(current_user(), "community_staff", community_id=community.id)
    query = select(ResidentProfile).where(ResidentProfile.community_id == community.id).order_by(
        ResidentProfile.user_id)
    return paginate(db, query, args)


@blp.route("/<ref>/residents/<int:user_id>/attributes", methods=["POST"])
@blp.arguments(AttributeRequest)
@blp.response(201, ResidentSchema)
def verify_attribute(data, ref, user_id):
    """Record a verified attribute (e.g. after seeing a student card); who and when are kept."""
    db = session()
    community = community_by_ref(db, ref)
    policy.require(current_user(), "community_staff", community_id=community.id)
    profile = eligibility.resident_profile(db, community.id, user_id)
    eligibility.verify(db, current_user(), profile, data["attribute"])
    commit(db)
    return profile


@blp.route("/<ref>/residents/<int:user_id>/attributes/<attribute>", methods=["DELETE"])
@blp.response(200, ResidentSchema)
def clear_attribute(ref, user_id, attribute):
    """Withdraw a verified attribute."""
    db = session()
    community = community_by_ref(db, ref)
    policy.require(current_user(), "community_staff", community_id=community.id)
    profile = eligibility.resident_profile(db, community.id, user_id)
    eligibility.clear(db, current_user(), profile, attribute)
    commit(db)
    return profile
