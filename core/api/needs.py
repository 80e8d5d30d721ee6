"""The demand board: residents post and support needs, community staff compile them into service orders, an
operator takes an order, staff mark it delivered and the residents behind it rate it (SPEC §11.7).

The board and the orders are public — what was asked and what was done — without who asked: only the community's
staff read resident names (``resident_name``)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import needs
from core.api.common import (
    ID, NOT_BLANK, ApiBlueprint, PageArgs, community_by_ref, current_user, page_schema, paginate, public,
)
from core.db import commit
from core.models import NEED_STATUSES, ORDER_STATUSES, SPONSOR_KINDS, Operator, User
from core.request_session import session

blp = ApiBlueprint("needs", __name__, url_prefix="", description="The demand board: needs and service orders")


class NeedRequest(Schema):
    title = fields.String(required=True, validate=NOT_BLANK, metadata={"maxLength": needs.MAX_TITLE})
    description = fields.String(load_default="", metadata={"maxLength": needs.MAX_DESCRIPTION})


class BoardQuery(PageArgs):
    sort = fields.String(load_default="support", validate=validate.OneOf(needs.SORTS),
                         metadata={"description": "support: the most supported first; new: newest first"})
    status = fields.String(validate=validate.OneOf(NEED_STATUSES))


class OrderQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


class SponsorSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SPONSOR_KINDS))
    name = fields.String(load_default="", metadata={
        "description": "who pays (required unless the kind is fund)", "maxLength": needs.MAX_SPONSOR_NAME})


class CompileRequest(Schema):
    title = fields.String(required=True, validate=NOT_BLANK, metadata={"maxLength": needs.MAX_TITLE})
    scope = fields.String(required=True, validate=NOT_BLANK, metadata={"maxLength": needs.MAX_SCOPE})
    budget_amount = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10**12),
                                   metadata={"description": "minor units, in the community's currency"})
    sponsor = fields.Nested(SponsorSchema, required=True)
    need_ids = fields.List(fields.Integer(strict=True, validate=ID), load_default=list,
                           validate=validate.Length(max=50),
                           metadata={"description": "more open needs of the community to compile with this one"})


class TakeRequest(Schema):
    operator_id = fields.Integer(strict=True, validate=ID, load_default=None, metadata={
        "description": "which of your organisations takes it; needed only when you work for several here"})


class DeliverRequest(Schema):
    listing_id = fields.Integer(strict=True, validate=ID, load_default=None,
                                metadata={"description": "one of the taking operator's listings it led to"})
    proposal_id = fields.Integer(strict=True, validate=ID, load_default=None,
                                 metadata={"description": "the community's fund proposal it led to"})


class OrderRatingRequest(Schema):
    stars = fields.Integer(required=True, strict=True, metadata={"minimum": 1, "maximum": 5})


class NeedSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    status = fields.String(validate=validate.OneOf(NEED_STATUSES))
    support_count = fields.Integer()
    supported = fields.Boolean(metadata={"description": "whether you support it"})
    mine = fields.Boolean(metadata={"description": "whether you asked for it"})
    order_id = fields.Integer(allow_none=True)
    resident_name = fields.String(metadata={"description": "who asked: to the community's staff only"})
    created_at = fields.DateTime()


class OrderSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    scope = fields.String()
    budget_amount = fields.Integer()
    currency = fields.String()
    sponsor = fields.Dict(metadata={"description": "{kind, name}"})
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    taken_by = fields.Integer(allow_none=True, metadata={"description": "the operator that took it"})
    operator_name = fields.String(allow_none=True)
    taken_at = fields.DateTime(allow_none=True)
    listing_id = fields.Integer(allow_none=True)
    proposal_id = fields.Integer(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    need_ids = fields.List(fields.Integer())
    ratings = fields.Integer()
    average_stars = fields.Float(allow_none=True)
    created_at = fields.DateTime()


NEED_PAGE = page_schema(NeedSchema)
ORDER_PAGE = page_schema(OrderSchema)


def need_views(items: list, user: User | None) -> list[dict]:
    """Needs as this reader may read them: counts and their own marks; names only for the community's staff."""
    db = session()
    ids = [need.id for need in items]
    counts, supported = needs.support_counts(db, ids), needs.supported_by(db, user, ids)
    shown = []
    for need in items:
        view = {name: getattr(need, name) for name in ("id", "community_id", "title", "description", "status",
                                                       "order_id", "created_at")}
        view |= {"support_count": counts.get(need.id, 0), "supported": need.id in supported,
                 "mine": user is not None and need.resident_id == user.id}
        if needs.may_see_names(user, need.community_id):
            view["resident_name"] = db.get(User, need.resident_id).name
        shown.append(view)
    return shown


def order_view(order) -> dict:
    db = session()
    view = {name: getattr(order, name) for name in ("id", "community_id", "title", "scope", "budget_amount", "currency",
                                                    "status", "taken_by", "taken_at", "listing_id", "proposal_id",
                                                    "delivered_at", "created_at")}
    operator = db.get(Operator, order.taken_by) if order.taken_by else None
    return view | {"sponsor": {"kind": order.sponsor_kind, "name": order.sponsor_name},
                   "operator_name": operator.name if operator else None,
                   "need_ids": [need.id for need in needs.needs_of(db, order.id)]} | needs.rating_summary(db, order.id)


def _order_done(order_id: int) -> dict:
    commit(session())
    return order_view(needs.order_or_404(session(), order_id))


@blp.route("/communities/<ref>/needs", methods=["POST"])
@blp.arguments(NeedRequest)
@blp.response(201, NeedSchema)
def post_need(data, ref):
    """A resident of the community posts a need (title up to 120 characters, description up to 2000)."""
    db, user = session(), current_user()
    need = needs.post(db, user, community_by_ref(db, ref), data["title"], data["description"])
    commit(db)
    return need_views([need], user)[0]


@blp.route("/communities/<ref>/needs")
@blp.arguments(BoardQuery, location="query")
@blp.response(200, NEED_PAGE)
@public
def board(args, ref):
    """The community's board, the most supported first (``sort=new``: newest first). Public, without who asked; the
    community's staff also read ``resident_name``."""
    db, user = session(), current_user()
    page = paginate(db, needs.board(community_by_ref(db, ref), args["sort"], args.get("status")), args)
    page["items"] = need_views(page["items"], user)
    return page


@blp.route("/needs/<int:need_id>/support", methods=["POST"])
@blp.response(200, NeedSchema)
def support_need(need_id):
    """A resident of the need's community supports it, once: 409 ``already_supported``; their own: 409
    ``own_need``."""
    db, user = session(), current_user()
    needs.support(db, user, need_id)
    commit(db)
    return need_views([needs.need_or_404(db, need_id)], user)[0]


@blp.route("/needs/<int:need_id>/compile", methods=["POST"])
@blp.arguments(CompileRequest)
@blp.response(201, OrderSchema)
def compile_need(data, need_id):
    """Community staff compile the need (and ``need_ids``, more open needs) into a service order; a ``fund`` sponsor
    drafts a fund proposal for the budget. 409 ``need_not_open`` for a need on an order already."""
    order = needs.compile_order(session(), current_user(), need_id, data["title"], data["scope"],
                                data["budget_amount"], data["sponsor"], data["need_ids"])
    return _order_done(order.id)


@blp.route("/communities/<ref>/orders")
@blp.arguments(OrderQuery, location="query")
@blp.response(200, ORDER_PAGE)
@public
def community_orders(args, ref):
    """The community's service orders, newest first (by ``status``): what was asked and what was done (public)."""
    db = session()
    page = paginate(db, needs.orders_of(community_by_ref(db, ref), args.get("status")), args)
    page["items"] = [order_view(order) for order in page["items"]]
    return page


@blp.route("/orders/<int:order_id>")
@blp.response(200, OrderSchema)
@public
def get_order(order_id):
    """A service order (public: no resident is named)."""
    return order_view(needs.order_or_404(session(), order_id))


@blp.route("/orders/<int:order_id>/take", methods=["POST"])
@blp.arguments(TakeRequest)
@blp.response(200, OrderSchema)
def take_order(data, order_id):
    """Operator staff of the order's community take it for their organisation: 409 ``order_taken`` once taken."""
    needs.take(session(), current_user(), order_id, data["operator_id"])
    return _order_done(order_id)


@blp.route("/orders/<int:order_id>/deliver", methods=["POST"])
@blp.arguments(DeliverRequest)
@blp.response(200, OrderSchema)
def deliver_order(data, order_id):
    """The community's staff, or the taking operator's, mark the order delivered, with the listing or the fund
    proposal it led to; the residents behind it are told. 409 ``order_not_taken``."""
    needs.deliver(session(), current_user(), order_id, data["listing_id"], data["proposal_id"])
    return _order_done(order_id)


@blp.route("/orders/<int:order_id>/rating", methods=["POST"])
@blp.arguments(OrderRatingRequest)
@blp.response(200, OrderSchema)
def rate_order(data, order_id):
    """A resident who asked for the order or supported it rates it, 1–5, once it is delivered, once."""
    needs.rate(session(), current_user(), order_id, data["stars"])
    return _order_done(order_id)
