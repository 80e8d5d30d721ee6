"""An operator's week: weekly schedules, closed days and times called off (SPEC §11.3)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import booking as bookings
from core import listings, schedules
from core.api.bookings import BookingSchema
from core.api.common import DAY, ApiBlueprint, current_user, linli, public
from core.api.listings import SlotSchema, community_zone, slot_json
from core.db import commit
from core.request_session import session

blp = ApiBlueprint("schedules", __name__, url_prefix="", description="Schedules, closures and called-off times")

REASON = validate.Length(1, 500)


class ScheduleSchema(Schema):
    id = fields.Integer(dump_only=True)
    listing_id = fields.Integer(dump_only=True)
    weekdays = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 7)), required=True,
                           validate=validate.Length(1, 7), metadata={"description": "ISO weekdays: 1 Monday … 7 Sunday"})
    start_time = fields.Time(required=True, format="%H:%M")
    end_time = fields.Time(required=True, format="%H:%M")
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    valid_from = fields.Date(required=True, validate=DAY)
    valid_until = fields.Date(load_default=None, allow_none=True, validate=DAY)
    slots_made = fields.Integer(dump_only=True, metadata={"description": "slots made at once for the days ahead"})


class ClosureSchema(Schema):
    id = fields.Integer(dump_only=True)
    listing_id = fields.Integer(dump_only=True)
    date = fields.Date(required=True, validate=DAY, attribute="day")
    reason = fields.String(required=True, validate=REASON)
    bookings_cancelled = fields.Integer(dump_only=True)


class CancelSlotRequest(Schema):
    reason = fields.String(required=True, validate=REASON)


class PlacesRequest(Schema):
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))


class CalledOffSchema(Schema):
    slot_id = fields.Integer()
    cancelled = fields.List(fields.Nested(BookingSchema), metadata={"description": "the bookings cancelled, refunded"})


def with_count(row, schema: type[Schema], **count) -> dict:
    """The stored row's fields, for the response schema to dump, and the count the action adds."""
    names = {field.attribute or name for name, field in schema().fields.items()} - count.keys()
    return {name: getattr(row, name) for name in names} | count


@blp.route("/listings/<int:listing_id>/schedules")
@blp.response(200, ScheduleSchema(many=True))
@public
def list_schedules(listing_id):
    """A listing's weekly schedules."""
    db = session()
    return schedules.schedules_of(db, listings.listing_or_404(db, listing_id))


@blp.route("/listings/<int:listing_id>/schedules", methods=["POST"])
@blp.arguments(ScheduleSchema)
@blp.response(201, ScheduleSchema)
def create_schedule(data, listing_id):
    """A weekly schedule (the operator's staff): its slots exist at once for the next 28 days, and are kept so."""
    db = session()
    schedule, made = schedules.add_schedule(db, current_user(), listings.listing_or_404(db, listing_id), **data)
    commit(db)
    return with_count(schedule, ScheduleSchema, slots_made=made)


@blp.route("/listings/<int:listing_id>/closures", methods=["POST"])
@blp.arguments(ClosureSchema)
@blp.response(201, ClosureSchema)
def create_closure(data, listing_id):
    """Close a day (the operator's staff): its times are called off, their bookings cancelled and refunded."""
    db, app = session(), linli()
    listing = listings.listing_or_404(db, listing_id)
    closure, cancelled = schedules.close_day(db, app.plugins, app.payments, current_user(), listing, data["day"],
                                             data["reason"])
    commit(db)
    return with_count(closure, ClosureSchema, bookings_cancelled=len(cancelled))


@blp.route("/slots/<int:slot_id>/cancel", methods=["POST"])
@blp.arguments(CancelSlotRequest)
@blp.response(200, CalledOffSchema)
def cancel_slot(data, slot_id):
    """Call one time off (the operator's staff): no more bookings; each live one cancelled, refunded in full, with
    the reason on the resident's booking."""
    db, app = session(), linli()
    slot = bookings.slot_context(db, slot_id).slot
    cancelled = schedules.cancel_slot(db, app.plugins, app.payments, current_user(), slot, data["reason"])
    commit(db)
    return {"slot_id": slot_id, "cancelled": cancelled}


@blp.route("/slots/<int:slot_id>", methods=["PATCH"])
@blp.arguments(PlacesRequest)
@blp.response(200, SlotSchema)
def change_places(data, slot_id):
    """One time's places changed by hand (the operator's staff), an exception to its schedule; never fewer than
    the places booked (409 fewer_than_booked)."""
    db = session()
    ctx = bookings.slot_context(db, slot_id)
    slot = schedules.change_places(db, current_user(), ctx.slot, data["capacity"])
    commit(db)
    return slot_json(slot, listings.remaining_places(db, [slot])[slot.id], community_zone(db, ctx.listing))
