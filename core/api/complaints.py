"""Complaints: a resident complains about a booking; community staff acknowledge and resolve it; the operator
answers once; the resident rates the handling (SPEC §11.6). The operator never reads who complained."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from core import catalog, complaints, photos
from core.api.common import (
    PHOTO_BODY, PHOTO_SHOWN, ApiBlueprint, JsonBoolean, PageArgs, community_by_ref, current_user, page_schema,
    paginate, photo_body, uploads,
)
from core.db import commit
from core.downloads import inline_file
from core.models import COMPLAINT_CATEGORIES, COMPLAINT_STATUSES, User
from core.request_session import session

blp = ApiBlueprint("complaints", __name__, url_prefix="", description="Residents' complaints and their handling")

class ComplaintRequest(Schema):
    category = fields.String(required=True, validate=validate.Length(max=32),
                             metadata={"enum": list(COMPLAINT_CATEGORIES)})
    text = fields.String(required=True, metadata={"description": f"what happened, at most {complaints.MAX_TEXT} "
                                                                 "characters"})


class ResolveRequest(Schema):
    upheld = JsonBoolean(required=True)
    note = fields.String(required=True, metadata={"description": "what the resident reads"})


class ReplyRequest(Schema):
    text = fields.String(required=True)


class HandlingRatingRequest(Schema):
    stars = fields.Integer(required=True, strict=True, metadata={"minimum": 1, "maximum": 5})


class ComplaintQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    overdue = fields.Boolean(metadata={"description": "true: only those past their due day, not resolved"})


class ComplaintSchema(Schema):
    """A complaint as its reader may see it: the operator's staff get no ``resident_id``, ``resident_name`` or
    ``booking_id`` (their bookings name their residents), only the service and its time."""

    id = fields.Integer()
    booking_id = fields.Integer(metadata={"description": "not shown to the operator"})
    community_id = fields.Integer()
    operator_id = fields.Integer()
    listing_id = fields.Integer()
    listing_title = fields.String()
    slot_starts_at = fields.DateTime()
    resident_id = fields.Integer(metadata={"description": "not shown to the operator"})
    resident_name = fields.String(metadata={"description": "to the community's staff only"})
    category = fields.String(validate=validate.OneOf(COMPLAINT_CATEGORIES))
    text = fields.String()
    has_photo = fields.Boolean()
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    due_on = fields.Date()
    overdue = fields.Boolean(metadata={"description": "not resolved, and its due day has passed"})
    overdue_flagged_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    upheld = fields.Boolean(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    operator_reply = fields.String(allow_none=True)
    operator_replied_at = fields.DateTime(allow_none=True)
    resident_rating = fields.Integer(allow_none=True, metadata={"description": "the resident's 1–5 for the handling"})
    created_at = fields.DateTime()


COMPLAINT_PAGE = page_schema(ComplaintSchema)
SHOWN = ("id", "community_id", "operator_id", "category", "text", "status", "due_on",
         "overdue_flagged_at", "acknowledged_at", "upheld", "resolution_note", "resolved_at", "operator_reply",
         "operator_replied_at", "resident_rating", "created_at")


def as_read_by(ctx: complaints.Context, audience: str) -> dict:
    """The complaint for this reader: the operator's staff are not told who complained."""
    complaint = ctx.complaint
    shown = {name: getattr(complaint, name) for name in SHOWN} | {
        "listing_id": ctx.listing.id, "listing_title": ctx.listing.title, "slot_starts_at": ctx.slot.starts_at,
        "has_photo": complaint.photo is not None, "overdue": ctx.overdue}
    if audience != complaints.OPERATOR:  # the booking would name the resident to its operator's staff
        shown |= {"resident_id": complaint.resident_id, "booking_id": complaint.booking_id}
    if audience == complaints.STAFF:
        shown["resident_name"] = session().get(User, complaint.resident_id).name
    return shown


def _page(query, args: dict, audience_for) -> dict:
    db = session()
    page = paginate(db, query, args)
    page["items"] = [as_read_by(ctx, audience_for(ctx)) for ctx in complaints.contexts(db, page["items"])]
    return page


def _shown(complaint_id: int) -> dict:
    ctx, audience = complaints.visible(session(), current_user(), complaint_id)
    return as_read_by(ctx, audience)


def _done(complaint_id: int) -> dict:
    commit(session())
    return _shown(complaint_id)


@blp.route("/bookings/<int:booking_id>/complaints", methods=["POST"])
@blp.arguments(ComplaintRequest)
@blp.response(201, ComplaintSchema)
def file_complaint(data, booking_id):
    """The booking's resident complains (within 90 days of its time): staff are told (a food-safety complaint as
    urgent) and must answer by ``due_on``. 409 ``booking_too_old``; 422 ``unknown_category``."""
    complaint = complaints.file(session(), current_user(), booking_id, data["category"], data["text"])
    return _done(complaint.id)


@blp.route("/complaints/<int:complaint_id>")
@blp.response(200, ComplaintSchema)
def get_complaint(complaint_id):
    """The complaint, for its resident, the community's staff and the operator's staff (not told who)."""
    return _shown(complaint_id)


@blp.route("/complaints/<int:complaint_id>/photo", methods=["PUT"])
@blp.doc(**PHOTO_BODY)
@blp.response(200, ComplaintSchema)
@uploads(photos.UPLOAD_MOST_BYTES, raw=True)
def put_photo(complaint_id):
    """The resident's photo of what happened, the image itself as the body (JPEG, PNG or WebP, up to 5 MB; its bytes
    decide, not its Content-Type); it replaces an earlier one. 413 ``photo_too_large``; 422 ``not_an_image``."""
    db, user = session(), current_user()
    complaints.visible(db, user, complaint_id)  # who may not see it is told so before anything is read
    complaints.attach_photo(db, user, complaint_id, current_app.instance_path, photo_body())
    return _done(complaint_id)


@blp.route("/complaints/<int:complaint_id>/photo")
@blp.doc(**PHOTO_SHOWN)
def get_photo(complaint_id):
    """The complaint's photo, for those who may read the complaint; 404 ``no_photo`` when it has none."""
    ctx, _audience = complaints.visible(session(), current_user(), complaint_id)
    return photo_response(ctx.complaint)


def photo_response(complaint):
    """The stored photo with the type its bytes showed, never sniffed, shown rather than saved."""
    data = complaints.PHOTOS.read(current_app.instance_path, complaint.photo)
    return inline_file(data, complaint.photo_type or photos.image_type(data))


@blp.route("/me/complaints")
@blp.arguments(PageArgs, location="query")
@blp.response(200, COMPLAINT_PAGE)
def my_complaints(args):
    """Your complaints, newest first."""
    return _page(complaints.of_resident(current_user()), args, lambda ctx: complaints.RESIDENT)


@blp.route("/communities/<ref>/complaints")
@blp.arguments(ComplaintQuery, location="query")
@blp.response(200, COMPLAINT_PAGE)
def community_complaints(args, ref):
    """The community's complaints, for its staff: by ``status``, and ``overdue=true`` for those past their day."""
    query = complaints.of_community(current_user(), community_by_ref(session(), ref), args.get("status"),
                                    args.get("overdue"))
    return _page(query, args, lambda ctx: complaints.STAFF)


@blp.route("/operators/<int:operator_id>/complaints")
@blp.arguments(PageArgs, location="query")
@blp.response(200, COMPLAINT_PAGE)
def operator_complaints(args, operator_id):
    """Complaints about the operator, for its staff (not told who complained) and the community's staff."""
    db, user = session(), current_user()
    operator = catalog.operator_or_404(db, operator_id)
    query = complaints.of_operator(user, operator.id, operator.community_id)
    return _page(query, args, lambda ctx: complaints.audience_of(user, ctx.complaint))


@blp.route("/complaints/<int:complaint_id>/acknowledge", methods=["POST"])
@blp.response(200, ComplaintSchema)
def acknowledge_complaint(complaint_id):
    """Community staff have read it and are handling it: the resident is told."""
    complaints.acknowledge(session(), current_user(), complaint_id)
    return _done(complaint_id)


@blp.route("/complaints/<int:complaint_id>/resolve", methods=["POST"])
@blp.arguments(ResolveRequest)
@blp.response(200, ComplaintSchema)
def resolve_complaint(data, complaint_id):
    """Community staff decide, upheld or not, with a note the resident (and the operator) reads."""
    complaints.resolve(session(), current_user(), complaint_id, data["upheld"], data["note"])
    return _done(complaint_id)


@blp.route("/complaints/<int:complaint_id>/reply", methods=["POST"])
@blp.arguments(ReplyRequest)
@blp.response(200, ComplaintSchema)
def reply_to_complaint(data, complaint_id):
    """The operator's staff answer, once: 409 ``already_replied`` after."""
    complaints.reply(session(), current_user(), complaint_id, data["text"])
    return _done(complaint_id)


@blp.route("/complaints/<int:complaint_id>/rating", methods=["POST"])
@blp.arguments(HandlingRatingRequest)
@blp.response(200, ComplaintSchema)
def rate_handling(data, complaint_id):
    """The resident rates how their complaint was handled, 1–5, once it is resolved, once."""
    complaints.rate(session(), current_user(), complaint_id, data["stars"])
    return _done(complaint_id)
