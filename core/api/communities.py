"""Communities (public) and their spaces."""
from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import catalog
from core.api.common import ApiBlueprint, PageArgs, community_by_ref, current_user, page_schema, paginate, public
from core.db import commit
from core.models import Community, Space
from core.request_session import session

blp = ApiBlueprint("communities", __name__, url_prefix="/communities", description="Communities and spaces")


class CommunitySchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    currency = fields.String()
    timezone = fields.String()


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


@blp.route("/<ref>")
@blp.response(200, CommunitySchema)
@public
def get_community(ref):
    """One community, by id or slug."""
    return community_by_ref(session(), ref)


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
