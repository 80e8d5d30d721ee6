"""The waiting list of a full time: join it, see your place in line, take up or turn down a place held for you."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import waitlist
from core.api import idempotency
from core.api.bookings import RESIDENT_ID, BookingSchema, created
from core.api.common import ApiBlueprint, PageArgs, current_user, linli, page_schema, paginate
from core.db import commit
from core.models import WAITLIST_STATUSES, WaitlistEntry
from core.request_session import session

blp = ApiBlueprint("waitlist", __name__, url_prefix="", description="Waiting lists of full times")


class JoinRequest(Schema):
    details = fields.Dict(load_default=dict, metadata={
        "description": "what the operator type asks of a booking (checked now, as a booking's would be)"})
    resident_id = RESIDENT_ID  # put this resident on the list, as for a booking on their behalf


class AcceptRequest(Schema):
    payment_method = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 32))
    details = fields.Dict(load_default=dict)


class EntrySchema(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(WAITLIST_STATUSES))
    position = fields.Integer(allow_none=True, metadata={
        "description": "1 for the next in line; null once the entry waits no more (offered, or over)"})
    created_at = fields.DateTime()
    offered_at = fields.DateTime(allow_none=True)
    offer_expires_at = fields.DateTime(allow_none=True, metadata={
        "description": "until when the place offered is held for the resident"})
    booking_id = fields.Integer(allow_none=True)


class WaitingSchema(Schema):
    """An entry as its time's operator and office see it: the name, no phone nor address."""

    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(WAITLIST_STATUSES))
    position = fields.Integer(allow_none=True)
    resident_id = fields.Integer()
    name = fields.String()
    created_at = fields.DateTime()
    offer_expires_at = fields.DateTime(allow_none=True)


ENTRY_FIELDS = tuple(name for name in EntrySchema._declared_fields if name != "position")


def shown(db, entry: WaitlistEntry) -> dict:
    """The entry with its place in line (the response schema dumps it)."""
    return {name: getattr(entry, name) for name in ENTRY_FIELDS} | {"position": waitlist.position(db, entry)}


@blp.route("/slots/<int:slot_id>/waitlist", methods=["POST"])
@blp.arguments(JoinRequest)
@blp.response(201, EntrySchema)
def join_waitlist(data, slot_id):
    """Wait for a place at a full time, or put the resident you act for on its list (``resident_id``). 409
    ``places_remain`` while places are free, ``already_waiting``, ``already_booked``; refused as a booking would be
    (the same rules, on behalf too: 403 ``not_on_behalf``)."""
    db = session()
    entry = waitlist.join(db, linli().plugins, current_user(), slot_id, data["details"], data["resident_id"])
    body = shown(db, entry)
    commit(db)
    return body


@blp.route("/slots/<int:slot_id>/waitlist")
@blp.response(200, WaitingSchema(many=True))
def slot_waitlist(slot_id):
    """Those waiting (and offered a place) at this time, in order: for its operator's staff and community staff."""
    db = session()
    return [{"id": entry.id, "status": entry.status, "position": waitlist.position(db, entry),
             "resident_id": user.id, "name": user.name, "created_at": entry.created_at,
             "offer_expires_at": entry.offer_expires_at}
            for entry, user in waitlist.of_slot(db, current_user(), slot_id)]


@blp.route("/me/waitlist")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(EntrySchema))
def my_waitlist(args):
    """Your waiting list entries, the live ones first, with your place in line."""
    db = session()
    page = paginate(db, waitlist.mine(current_user()), args)
    return page | {"items": [shown(db, entry) for entry in page["items"]]}


@blp.route("/waitlist/<int:entry_id>/accept", methods=["POST"])
@blp.arguments(AcceptRequest)
@blp.response(201, BookingSchema)
@blp.doc(parameters=[idempotency.HEADER_DOC])
def accept_offer(data, entry_id):
    """Book the place held for you (or for the resident you act for), at the resident's own price, paid as any
    booking; 409 ``no_offer`` once it ran out."""
    db, user, app = session(), current_user(), linli()
    waitlist.own_entry(db, user, entry_id)
    idempotency.begin(db, user, claim_first=app.payments.is_online(data["payment_method"]))
    return created(db, *waitlist.accept(db, app.plugins, app.payments, user, entry_id, data["payment_method"],
                                        data["details"]))


def _changed(change, entry_id: int) -> dict:
    db = session()
    body = shown(db, change(db, current_user(), entry_id))
    commit(db)
    return body


@blp.route("/waitlist/<int:entry_id>/decline", methods=["POST"])
@blp.response(200, EntrySchema)
def decline_offer(entry_id):
    """Turn down the place held for you: it goes to the next in line."""
    return _changed(waitlist.decline, entry_id)


@blp.route("/waitlist/<int:entry_id>/leave", methods=["POST"])
@blp.response(200, EntrySchema)
def leave_waitlist(entry_id):
    """Stop waiting (a place held for you goes to the next in line)."""
    return _changed(waitlist.leave, entry_id)
