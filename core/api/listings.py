"""Listings and slots: public search, operator management."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, jsonify
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core import communities, listings
from core.api.common import (
    DAY, ID, MOMENT, ApiBlueprint, PageArgs, community_by_ref, current_user, linli, page_schema, paginate, public,
)
from core.catalog import operator_or_404
from core.db import commit, count_rows
from core.errors import text
from core.models import Community, Slot
from core.reading import READER
from core.request_session import session

blp = ApiBlueprint("listings", __name__, url_prefix="/listings", description="Listings and slots")


class ListingTranslation(Schema):
    title = fields.String(validate=validate.Length(1, 200))
    description = fields.String(validate=validate.Length(max=5000))


LANGUAGES = validate.OneOf(("en", "zh"))
TRANSLATIONS = {"keys": fields.String(validate=LANGUAGES), "values": fields.Nested(ListingTranslation),
                "metadata": {"description": "the title and description in other languages than the community's, "
                                            "e.g. {\"en\": {\"title\": \"Community lunch\"}}: a reader of that "
                                            "language (Accept-Language) reads them as `title` and `description`"}}


PRICE_RULES = {"metadata": {"description": (
    "ordered rules, the first that matches decides, the last for everyone (`when: {}`): each `{name, when, tier "
    "(free|low_cost|paid), amount}`, `when` any of `min_age`, `max_age`, `attributes` (student, low_income, "
    "disability), `resident: true`, `volunteer_hours` (a reward: an active volunteer of the community with at least "
    "these hours, a number above 0 with at most one decimal, at most 10000; a booking at its price spends them)")}}


class ListingSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(strict=True, required=True, validate=ID)
    community_id = fields.Integer(dump_only=True)
    type = fields.String(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    details = fields.Dict(load_default=dict)
    price_rules = fields.List(fields.Dict(), load_default=None, validate=validate.Length(max=50), **PRICE_RULES)
    cancel_cutoff_minutes = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 60 * 24 * 60))
    translations = fields.Dict(load_default=dict, **TRANSLATIONS)
    is_active = fields.Boolean(dump_only=True)


class ListingPatchSchema(Schema):
    title = fields.String(validate=validate.Length(1, 200))
    description = fields.String(validate=validate.Length(max=5000))
    details = fields.Dict()
    price_rules = fields.List(fields.Dict(), validate=validate.Length(1, 50), **PRICE_RULES)
    cancel_cutoff_minutes = fields.Integer(strict=True, validate=validate.Range(0, 60 * 24 * 60))
    translations = fields.Dict(**TRANSLATIONS)
    is_active = fields.Boolean()


class ListingQuery(PageArgs):
    community = fields.String(validate=validate.Length(1, 64))
    type = fields.String(validate=validate.Length(1, 40))
    q = fields.String(validate=validate.Length(1, 200))
    date = fields.Date(validate=DAY)


class SlotSchema(Schema):
    id = fields.Integer(dump_only=True)
    listing_id = fields.Integer(dump_only=True)
    starts_at = fields.AwareDateTime(required=True, format="iso", validate=MOMENT)
    ends_at = fields.AwareDateTime(required=True, format="iso", validate=MOMENT)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    remaining = fields.Integer(dump_only=True)
    schedule_id = fields.Integer(dump_only=True, allow_none=True)
    cancelled_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    cancel_reason = fields.String(dump_only=True, allow_none=True)

    @validates_schema
    def _window(self, data, **_):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError(text(listings.SLOT_ENDS_BEFORE_START.template), "ends_at")


class SlotQuery(PageArgs):
    upcoming = fields.Boolean(load_default=False, metadata={"description": "only slots that have not started"})


def slot_json(slot: Slot, remaining: int, zone: ZoneInfo) -> dict:
    """A slot with its times in the community's time zone (ISO 8601 with the offset)."""
    return {"id": slot.id, "listing_id": slot.listing_id, "starts_at": slot.starts_at.astimezone(zone),
            "ends_at": slot.ends_at.astimezone(zone), "capacity": slot.capacity, "remaining": remaining,
            "schedule_id": slot.schedule_id, "cancel_reason": slot.cancel_reason,
            "cancelled_at": slot.cancelled_at.astimezone(zone) if slot.cancelled_at else None}


def community_zone(db, listing) -> ZoneInfo:
    return ZoneInfo(db.get(Community, listing.community_id).timezone)


LISTING_PAGE = page_schema(ListingSchema)
PAGE_OF_LISTINGS = LISTING_PAGE()
"""One instance for every page built: a schema keeps no state between dumps."""


@blp.route("")
@blp.arguments(ListingQuery, location="query")
@blp.response(200, LISTING_PAGE)
@public
def search(args):
    """Search active listings by community (id or slug), operator type, date and free text."""
    db = session()
    community = community_by_ref(db, args["community"]) if args.get("community") else None
    filters = args.get("type"), args.get("q"), args.get("date")
    if community is None:
        return paginate(db, listings.search_listings(None, *filters, None, communities.switched_off(db)), args)
    memo = linli().catalog_memo

    def page() -> bytes:
        query = listings.search_listings(community, *filters, community.timezone)
        total = memo.remember(community, ("total", *filters), lambda: count_rows(db, query))
        return jsonify(PAGE_OF_LISTINGS.dump(paginate(db, query, args, total))).get_data()

    # A page as sent, in the reader's language (titles are translated), worked out once per catalog version.
    body = memo.remember(community, ("page", READER.get(), *filters, args["page"], args["per_page"]), page, len)
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


@blp.route("", methods=["POST"])
@blp.arguments(ListingSchema)
@blp.response(201, ListingSchema)
def create(data):
    """A new listing; ``details`` are checked by the operator type's schema, rules by the rule engine."""
    db = session()
    operator = operator_or_404(db, data["operator_id"])
    listing = listings.create_listing(db, current_user(), operator, linli().plugins.type_of(operator.type), data)
    commit(db)
    return listing


@blp.route("/<int:listing_id>")
@blp.response(200, ListingSchema)
@public
def get(listing_id):
    return listings.listing_or_404(session(), listing_id)


@blp.route("/<int:listing_id>", methods=["PATCH"])
@blp.arguments(ListingPatchSchema)
@blp.response(200, ListingSchema)
def update(changes, listing_id):
    """Change a listing; bookings already made keep the price they were given."""
    db = session()
    listing = listings.listing_or_404(db, listing_id)
    listings.update_listing(db, current_user(), listing, linli().plugins.type_of(listing.type), changes)
    commit(db)
    return listing


@blp.route("/<int:listing_id>/slots")
@blp.arguments(SlotQuery, location="query")
@blp.response(200, page_schema(SlotSchema))
@public
def list_slots(args, listing_id):
    """A listing's slots with the places that remain."""
    db = session()
    listing = listings.listing_or_404(db, listing_id)
    page = paginate(db, listings.slots_of(listing, args["upcoming"]), args)
    remaining = listings.remaining_places(db, page["items"])
    zone = community_zone(db, listing)
    return page | {"items": [slot_json(s, remaining[s.id], zone) for s in page["items"]]}


@blp.route("/<int:listing_id>/slots", methods=["POST"])
@blp.arguments(SlotSchema)
@blp.response(201, SlotSchema)
def create_slot(data, listing_id):
    """Open a time window with a capacity (the operator's staff)."""
    db = session()
    listing = listings.listing_or_404(db, listing_id)
    slot = listings.add_slot(db, current_user(), listing, data["starts_at"], data["ends_at"], data["capacity"])
    commit(db)
    return slot_json(slot, slot.capacity, community_zone(db, listing))
