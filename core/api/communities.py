"""Communities (public) and their spaces."""
from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import catalog, communities, policy
from core.api.common import (
    NOT_BLANK, ApiBlueprint, PageArgs, community_by_ref, current_user, linli, page_schema, paginate, public,
)
from core.db import commit
from core.models import Community, Space
from core.request_session import session

blp = ApiBlueprint("communities", __name__, url_prefix="/communities", description="Communities and spaces")


class CommunitySchema(Schema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(required=True, validate=validate.Length(2, 64))
    name = fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    currency = fields.String(load_default="CNY", validate=validate.Length(3, 3))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(1, 64))
    operator_types = fields.Method("_operator_types", dump_only=True, metadata={
        "description": "The installed operator types on here: an operator type switched off takes no new listings "
                       "or bookings"})

    def _operator_types(self, community: Community) -> list[str]:
        return communities.enabled_types(community, linli().plugins.operator_types)


class OperatorTypesSchema(Schema):
    enabled = fields.List(fields.String(validate=validate.Length(1, 40)), required=True,
                          validate=validate.Length(max=100))


class SpaceSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(load_default="room", validate=validate.OneOf(["canteen", "plaza", "warehouse", "room", "other"]))
    area_m2 = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(1, 1_000_000))


@blp.route("")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CommunitySchema))
@public
def list_communities(args):
    """Every community on this platform."""
    return paginate(session(), select(Community).order_by(Community.id), args)


@blp.route("", methods=["POST"])
@blp.arguments(CommunitySchema)
@blp.response(201, CommunitySchema)
def create_community(data):
    """Open a new community on this deployment (admin): every installed operator type on, the default settings."""
    db, actor = session(), policy.require(current_user(), "admin")
    community = communities.create_community(db, actor, **data)
    commit(db)
    return community


@blp.route("/<ref>")
@blp.response(200, CommunitySchema)
@public
def get_community(ref):
    """One community, by id or slug."""
    return community_by_ref(session(), ref)


@blp.route("/<ref>/operator-types", methods=["PUT"])
@blp.arguments(OperatorTypesSchema)
@blp.response(200, CommunitySchema)
def put_operator_types(data, ref):
    """Which installed operator types the community takes (admin, community staff): the others take no new
    listings or bookings here, and the search leaves their listings out."""
    db = session()
    community = communities.switch_operator_types(db, current_user(), community_by_ref(db, ref), data["enabled"],
                                                  linli().plugins.operator_types)
    commit(db)
    return community


@blp.route("/<ref>/spaces")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(SpaceSchema))
@public
def list_spaces(args, ref):
    """The spaces a community lends (public)."""
    community = community_by_ref(session(), ref)
    return paginate(session(), select(Space).where(Space.community_id == community.id).order_by(Space.id), args)


@blp.route("/<ref>/spaces", methods=["POST"])
@blp.arguments(SpaceSchema)
@blp.response(201, SpaceSchema)
def create_space(data, ref):
    """Add a space (community staff)."""
    db = session()
    space = catalog.add_space(db, current_user(), community_by_ref(db, ref), **data)
    commit(db)
    return space
