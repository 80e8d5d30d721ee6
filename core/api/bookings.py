"""Quotes and bookings: the price a resident pays, places taken, and the booking's life."""
from __future__ import annotations

from flask import jsonify
from marshmallow import Schema, fields, validate

from core import booking as bookings
from core import counter, donated_refunds, policy, ratings
from core.api import idempotency
from core.api.common import ID, ApiBlueprint, JsonBoolean, PageArgs, current_user, linli, page_schema, paginate
from core.db import commit
from core.errors import N_, text
from core.web.i18n import say
from core.models import BOOKING_STATUSES, Booking
from core.payments.base import ACTIONS, PaymentStart
from core.pricing import TIERS
from core.request_session import session
from core.time_bank import hours

blp = ApiBlueprint("bookings", __name__, url_prefix="", description="Quotes and bookings")

QUANTITY = fields.Integer(required=True, strict=True, validate=validate.Range(1, bookings.MAX_QUANTITY))


RESIDENT_ID = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID, metadata={
    "description": "book for this resident (community staff, the operator's staff, a linked family member)"})


class QuoteRequest(Schema):
    slot_id = fields.Integer(required=True, strict=True, validate=ID)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, bookings.MAX_QUANTITY))
    resident_id = RESIDENT_ID


class QuoteSchema(Schema):
    tier = fields.String(validate=validate.OneOf(TIERS))
    unit_amount = fields.Integer(metadata={"description": "the price of the first place: the resident's own"})
    extra_unit_amount = fields.Integer(allow_none=True, metadata={
        "description": "the price of each place after the first, where it differs from unit_amount (the price for "
                       "everyone: the resident's own price is for one place); null: every place at unit_amount"})
    total_amount = fields.Integer()
    quantity = fields.Integer()
    currency = fields.String()
    rule = fields.String(metadata={"description": "the name of the price rule that matched"})
    volunteer_hours = fields.Float(metadata={
        "description": "the volunteer hours a booking at this price spends (a reward's), else 0"})
    resident_id = fields.Integer()
    awaiting_verification = fields.Boolean(metadata={
        "description": "the resident signed up and the office has not verified them yet: no age or resident price"})
    note = fields.String(allow_none=True, metadata={"description": "why, in the reader's language"})


class BookingRequestSchema(Schema):
    slot_id = fields.Integer(required=True, strict=True, validate=ID)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, bookings.MAX_QUANTITY))
    payment_method = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 32))
    details = fields.Dict(load_default=dict)
    resident_id = RESIDENT_ID


class WalkInRequest(Schema):
    slot_id = fields.Integer(required=True, strict=True, validate=ID)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, bookings.MAX_QUANTITY))
    resident_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID, metadata={
        "description": "the resident served (their tier); leave out for a visitor (the price for everyone)"})


class PaymentActionSchema(Schema):
    provider = fields.String()
    action = fields.String(validate=validate.OneOf(ACTIONS), metadata={
        "description": "qr: show code_url as a QR code to scan; redirect: go to redirect_url; client: confirm in "
                       "the page with client_secret (Stripe.js)"})
    code_url = fields.String(allow_none=True)
    redirect_url = fields.String(allow_none=True)
    client_secret = fields.String(allow_none=True)
    expires_at = fields.DateTime(metadata={"description": "when the held places are let go if it is not paid"})


class BookingSchema(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    operator_id = fields.Integer()
    resident_id = fields.Integer(allow_none=True, metadata={"description": "null for a visitor served at the counter"})
    booked_by_id = fields.Integer(allow_none=True, metadata={"description": "who booked it for the resident"})
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))
    quantity = fields.Integer()
    tier = fields.String()
    unit_amount = fields.Integer()
    extra_unit_amount = fields.Integer(allow_none=True, metadata={
        "description": "the price of each place after the first, where it differs from unit_amount (the price for "
                       "everyone: the resident's own price is for one place); null: every place at unit_amount"})
    total_amount = fields.Integer()
    currency = fields.String()
    rule = fields.String()
    payment_method = fields.String(allow_none=True)
    details = fields.Dict()
    hold_expires_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True, metadata={"description": "why the operator called it off"})
    created_at = fields.DateTime()
    client_secret = fields.String(allow_none=True, dump_only=True,
                                  metadata={"description": "for an online payment, on creation: confirm it in the page"})
    payment = fields.Nested(PaymentActionSchema, allow_none=True, dump_only=True,
                            metadata={"description": "for an online payment, on creation: how the resident pays"})


AWAITING_VERIFICATION = N_("Awaiting the community office's check: until then you pay the price for everyone.")

BOOKING, PAYMENT_ACTION = BookingSchema(), PaymentActionSchema()
"""One instance for every response: a schema keeps no state between dumps."""


class RatingRequest(Schema):
    stars = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default="", validate=validate.Length(max=ratings.MAX_COMMENT))


class RatingSchema(Schema):
    id = fields.Integer()
    booking_id = fields.Integer()
    listing_id = fields.Integer()
    operator_id = fields.Integer()
    stars = fields.Integer()
    comment = fields.String()
    created_at = fields.DateTime()


class BookingQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))
    slot_id = fields.Integer(validate=ID)


def paying(booking: Booking, started: PaymentStart | None) -> dict:
    """A new booking's online payment: how the resident pays (and Stripe's client secret where it was before)."""
    if started is None:
        return {"client_secret": None, "payment": None}
    action = {"provider": booking.payment_method, "action": started.action, "code_url": started.code_url,
              "redirect_url": started.redirect_url, "client_secret": started.client_secret,
              "expires_at": booking.hold_expires_at}
    return {"client_secret": started.client_secret, "payment": PAYMENT_ACTION.dump(action)}


@blp.route("/quotes", methods=["POST"])
@blp.arguments(QuoteRequest)
@blp.response(200, QuoteSchema)
def create_quote(data):
    """The price the logged-in resident (or the resident you act for) would pay, and the rule that decided it."""
    quote, customer = bookings.quote_for(session(), linli().plugins, current_user(), data["slot_id"],
                                         data["quantity"], data["resident_id"])
    waiting = customer.profile is not None and customer.profile.status == "pending"
    return {**quote.__dict__, "total_amount": quote.total_amount, "volunteer_hours": hours(quote.volunteer_tenths),
            "resident_id": customer.id, "awaiting_verification": waiting,
            "note": say(text(AWAITING_VERIFICATION)) if waiting else None}


@blp.route("/bookings", methods=["POST"])
@blp.arguments(BookingRequestSchema)
@blp.response(201, BookingSchema)
@blp.doc(parameters=[idempotency.HEADER_DOC])
def create_booking(data):
    """Book places; free and cash bookings are confirmed, online payments hold the places. 409 when full.

    409 ``already_booked`` when the resident holds this time already (as many bookings as the operator type
    allows); 422 ``one_place_per_booking`` for several places where a booking is one place.
    """
    db, user, app = session(), current_user(), linli()
    bookings.check_customer(db, user, data["resident_id"])
    idempotency.begin(db, user, claim_first=app.payments.is_online(data["payment_method"]))
    booking, started = bookings.book(db, app.plugins, app.payments, user, bookings.BookingRequest(**data))
    return created(db, booking, started)


def created(db, booking: Booking, started: PaymentStart | None):
    """The 201 of a new booking with how to pay it, kept for the request's idempotency key, and committed."""
    response = jsonify(BOOKING.dump(booking) | paying(booking, started))
    response.status_code = 201
    idempotency.finish(db, response)
    commit(db)
    return response


@blp.route("/bookings/walk-in", methods=["POST"])
@blp.arguments(WalkInRequest)
@blp.response(201, BookingSchema)
@blp.doc(parameters=[idempotency.HEADER_DOC])
def sell_at_counter(data):
    """Operator staff sell places at the window: the booking is fulfilled at once and the cash recorded, as at a
    cash check-in; capacity holds as for every booking. 409 outside the slot's check-in window."""
    db, user, app = session(), current_user(), linli()
    policy.require_user(user)
    idempotency.begin(db, user, claim_first=False)
    booking = counter.sell_at_counter(db, app.plugins, app.payments, user, data["slot_id"], data["quantity"],
                                       data["resident_id"])
    response = jsonify(BOOKING.dump(booking))
    response.status_code = 201
    idempotency.finish(db, response)
    commit(db)
    return response


@blp.route("/bookings")
@blp.arguments(BookingQuery, location="query")
@blp.response(200, page_schema(BookingSchema))
def list_bookings(args):
    """Your bookings; operator staff see their operator's, community staff their community's."""
    query = bookings.bookings_visible_to(current_user(), args.get("status"), args.get("slot_id"))
    return paginate(session(), query, args)


@blp.route("/bookings/<int:booking_id>")
@blp.response(200, BookingSchema)
def get_booking(booking_id):
    return bookings.visible_booking(session(), current_user(), booking_id)[0]


def _committed(db, booking: Booking) -> Booking:
    commit(db)
    return booking


class CancelRequest(Schema):
    donate_refund = JsonBoolean(load_default=False, metadata={
        "description": "give what was paid to the community fund instead of taking it back (409 nothing_to_donate "
                       "for a free or unpaid booking)"})
    anonymous = JsonBoolean(load_default=False, metadata={
        "description": "with donate_refund: the gift is not in the resident's name"})


class GiftReceiptSchema(Schema):
    receipt_number = fields.Integer(metadata={"description": "the gift's number in the fund's list of gifts"})
    booking_id = fields.Integer()
    community = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    received_on = fields.Date()
    anonymous = fields.Boolean()
    donor_name = fields.String(allow_none=True, metadata={"description": "the resident's name; null if anonymous"})


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@blp.arguments(CancelRequest)
@blp.response(200, BookingSchema)
def cancel_booking(data, booking_id):
    """The resident cancels (until the listing's cutoff); the places are freed and any payment refunded, or given to
    the community fund with ``donate_refund`` (its receipt: ``GET /bookings/{id}/gift``)."""
    db, app = session(), linli()
    return _committed(db, bookings.cancel(db, app.plugins, app.payments, current_user(), booking_id, **data))


@blp.route("/bookings/<int:booking_id>/gift")
@blp.response(200, GiftReceiptSchema)
def gift_receipt(booking_id):
    """The receipt of a cancelled booking's refund given to the community fund; 404 if it was not given."""
    return donated_refunds.receipt(session(), current_user(), booking_id)


@blp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@blp.response(200, BookingSchema)
def check_in_booking(booking_id):
    """Operator staff mark the booking fulfilled; a cash booking's cash is recorded with it."""
    db, app = session(), linli()
    return _committed(db, bookings.check_in(db, app.plugins, app.payments, current_user(), booking_id))


@blp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
@blp.response(200, BookingSchema)
def no_show_booking(booking_id):
    """Operator staff record that nobody came."""
    db = session()
    return _committed(db, bookings.mark_no_show(db, linli().plugins, current_user(), booking_id))


@blp.route("/bookings/<int:booking_id>/rating", methods=["POST"])
@blp.arguments(RatingRequest)
@blp.response(201, RatingSchema)
def rate_booking(data, booking_id):
    """The resident who booked rates a fulfilled booking, once: 1 to 5 stars and a comment."""
    db = session()
    rating = ratings.rate(db, current_user(), booking_id, data["stars"], data["comment"])
    commit(db)
    return rating


@blp.route("/bookings/<int:booking_id>/rating")
@blp.response(200, RatingSchema)
def get_rating(booking_id):
    """The booking's rating, for those who may see the booking; 404 until it is rated."""
    db = session()
    bookings.visible_booking(db, current_user(), booking_id)
    rating = ratings.rating_of(db, booking_id)
    if rating is None:
        raise ratings.NOT_RATED(booking_id=booking_id)
    return rating
