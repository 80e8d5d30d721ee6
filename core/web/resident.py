"""Residents' pages: book a place (seeing the price and why first), see and cancel their bookings."""
from __future__ import annotations

import secrets

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import booking as bookings
from core import donated_refunds, listings, personal_data, ratings, rewards
from core import residents as register
from core.db import utcnow
from core.models import Booking, Community, Listing, Slot, User
from core.payments import PaymentStart
from core.request_session import session as db_session
from core.security import allow_stripe_js
from core.web.capitals import in_capitals
from core.downloads import json_download
from core.web import nav
from core.web.acting import acting_for, customer
from core.web.common import (
    attempt, back_to, field_errors, flash_error, headline, linli, logged_in, page_blueprint, require, today_in,
)
from core.web.forms import BookForm, CancelForm, RateForm
from core.web.labels import payment_method_label
from core.web.paying import status_response, waiting_of
from core.web.schema_form import answers, questions, shown_value

bp = page_blueprint("web_resident", __name__)
REMEMBERED_FORMS = 20


def payment_choices(total: int) -> list[tuple[str, str]]:
    """How this resident can pay: nothing for a free booking; cash first; online only where the page can take it."""
    if total == 0:
        return []
    config, choices = current_app.config, []
    providers = linli().plugins.payment_providers
    for key in sorted(providers, key=lambda k: (k != "cash", k)):
        provider = providers[key]
        if not provider.is_configured(config) or (key == "stripe" and not config.get("STRIPE_PUBLISHABLE_KEY")):
            continue
        choices.append((key, payment_method_label(key)))
    return choices


@bp.route("/book/<int:slot_id>", methods=["GET", "POST"])
def book(slot_id: int):
    """One page, one task: the service, the time, the price and why, how to pay — then confirm (for oneself, or
    for the resident one acts for). A time booked already shows that booking instead of booking it twice."""
    user, resident_id = customer()
    db, app = db_session(), linli()
    ctx = bookings.slot_context(db, slot_id)
    operator_type = app.plugins.type_of(ctx.operator.type)
    several = operator_type.sells_several_places
    form = BookForm()
    if request.method == "GET":
        form.quantity.data = max(1, min(request.args.get("quantity", 1, type=int) or 1, bookings.MAX_QUANTITY))
        form.nonce.data = secrets.token_urlsafe(16)
    valid = request.method == "POST" and form.validate()
    quantity = form.quantity.data if several and (request.method == "GET" or not form.quantity.errors) else 1
    quote, for_whom = bookings.quote_for(db, app.plugins, user, slot_id, quantity, resident_id)
    spec, prefilled = _questions_for(operator_type, for_whom, ctx)
    choices = payment_choices(quote.total_amount)
    errors, error, status = {}, None, 200
    if valid:
        done = session.get("booked", {}).get(form.nonce.data or "")
        if done:
            return back_to("web_resident.booking", booking_id=done)
        method = form.payment_method.data or (choices[0][0] if choices else None)
        request_ = bookings.BookingRequest(slot_id=slot_id, quantity=quantity, payment_method=method,
                                           details=answers(spec, request.form, ctx.community.currency),
                                           resident_id=resident_id)
        result, error = attempt(lambda db: bookings.book(db, app.plugins, app.payments, user, request_))
        if error is None:
            return _booked(*result, nonce=form.nonce.data)
        errors, status = field_errors(error), error.status
    elif request.method == "POST":
        status = 422
    left = listings.remaining_places(db, [ctx.slot])[ctx.slot.id]
    booked = bookings.live_booking(db, operator_type, slot_id, for_whom.id)
    return render_template("resident/book.html", ctx=ctx, form=form, quote=quote, choices=choices, spec=spec,
                           values=request.form if request.method == "POST" else prefilled, errors=errors, error=error,
                           left=left, several=several, booked=booked,
                           headline=headline(error) if error else None,
                           stripe_ready="stripe" in dict(choices),
                           stripe_configured=bool(current_app.config.get("STRIPE_SECRET_KEY"))), status


def _questions_for(operator_type, resident: User, ctx) -> tuple[list, dict]:
    """The type's booking questions this resident is asked, and the answers filled in for them."""
    person = bookings.person_for(resident, ctx.listing.community_id, ctx.day)
    asked = operator_type.booking_questions(person, ctx.day)
    spec = [q for q in questions(operator_type.booking_schema) if q.name not in asked or asked[q.name] is not None]
    return spec, {q.input_name: shown_value(q, asked.get(q.name), ctx.community.currency) for q in spec}


def _booked(booking: Booking, started: PaymentStart | None, nonce: str | None):
    """Remember the form (a second tap shows the same booking), then show the booking or the payment page."""
    booked = dict(session.get("booked", {}))
    if nonce:
        booked[nonce] = booking.id
    session["booked"] = dict(list(booked.items())[-REMEMBERED_FORMS:])
    if booking.status == "pending_payment":
        session["pay"] = {str(booking.id): started and started.client_secret}
        return back_to("web_resident.pay", booking_id=booking.id)
    flash(_("Your booking is confirmed."), "success")
    return back_to("web_resident.booking", booking_id=booking.id)


def _own_booking(booking_id: int):
    """A booking of the resident (the user, or the one they act for), as the user who asks."""
    user, resident_id = customer()
    booking, ctx = bookings.visible_booking(db_session(), user, booking_id)
    if booking.resident_id != (resident_id or user.id):
        raise bookings.BOOKING_NOT_FOUND(booking_id=booking_id)
    return user, booking, ctx


@bp.route("/my")
def mine():
    """The resident's own pages, one big link each (the menu's "Mine")."""
    user = require("resident")
    return render_template("resident/mine.html", pages=nav.mine(user))


@bp.route("/my/bookings")
def my_bookings():
    """The resident's bookings: their own, or those of the resident the user acts for."""
    user = acting_for() or require("resident")
    query = (select(Booking, Slot, Listing, Community).join(Slot, Slot.id == Booking.slot_id)
             .join(Listing, Listing.id == Slot.listing_id).join(Community, Community.id == Listing.community_id)
             .where(Booking.resident_id == user.id).order_by(Slot.starts_at.desc(), Booking.id.desc()).limit(200))
    rows = db_session().execute(query).all()
    now = utcnow()
    coming = [r for r in rows if r.Slot.ends_at > now and r.Booking.status in bookings.LIVE][::-1]
    past = [r for r in rows if r not in coming]
    rated = ratings.rated_bookings(db_session(), [r.Booking.id for r in past if r.Booking.status == "fulfilled"])
    return render_template("resident/my_bookings.html", coming=coming, past=past, rated=rated,
                           hours_spent=rewards.used_by(db_session(), [r.Booking.id for r in rows]))


@bp.route("/my/details")
def my_details():
    """What Linli keeps about you, and the file to take it all with you."""
    user = logged_in()
    db = db_session()
    profile = user.profile
    community = db.get(Community, profile.community_id) if profile else None
    return render_template("resident/my_details.html", user=user, profile=profile, community=community,
                           today=today_in(community) if community else None,
                           helpers=register.helpers_of(db, user.id) if profile else [],
                           helping=register.helped_by(db, user))


@bp.route("/my/data.json")
def my_data():
    """Everything Linli keeps about you as one JSON file (the same document as GET /api/v1/me/data)."""
    user = logged_in()
    document = personal_data.PersonalDataSchema().dump(personal_data.export(db_session(), user))
    return json_download(document, "linli-my-data.json")


@bp.route("/my/bookings/<int:booking_id>")
def booking(booking_id: int):
    _user, booking, ctx = _own_booking(booking_id)
    can_cancel = booking.status in bookings.LIVE and ctx.slot.starts_at > utcnow()
    db = db_session()
    booked_by = db.get(User, booking.booked_by_id) if booking.booked_by_id else None
    return render_template("resident/booking.html", booking=booking, ctx=ctx, can_cancel=can_cancel,
                           booked_by=booked_by, resident_name=db.get(User, booking.resident_id).name,
                           at_home=getattr(linli().plugins.operator_types.get(ctx.operator.type), "served_at_home",
                                           False),
                           rating=ratings.rating_of(db_session(), booking.id),
                           hours_spent=rewards.used_by(db, [booking.id]).get(booking.id, 0))


@bp.route("/my/bookings/<int:booking_id>/rate", methods=["GET", "POST"])
def rate(booking_id: int):
    """How was it? Stars and a few words, once, after the service was given."""
    user, booking, ctx = _own_booking(booking_id)
    if ratings.rating_of(db_session(), booking.id) is not None:
        flash(_("You have already rated this. Thank you."), "success")
        return back_to("web_resident.booking", booking_id=booking_id)
    form, error, status = RateForm(), None, 200
    if form.validate_on_submit():
        _rating, error = attempt(lambda db: ratings.rate(db, user, booking_id, form.stars.data, form.comment.data))
        if error is None:
            flash(_("Thank you for your rating."), "success")
            return back_to("web_resident.booking", booking_id=booking_id)
        status = error.status
    elif form.is_submitted():
        status = 422
    return render_template("resident/rate.html", booking=booking, ctx=ctx, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/my/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
def cancel(booking_id: int):
    """Ask once more, then cancel: the places are freed and anything paid online is refunded, or given to the
    community fund if the resident ticks it (then its receipt is shown)."""
    user, booking, ctx = _own_booking(booking_id)
    form = CancelForm()
    if request.method == "POST":
        app, donate = linli(), bool(form.donate_refund.data)
        _result, error = attempt(lambda db: bookings.cancel(db, app.plugins, app.payments, user, booking_id,
                                                            donate_refund=donate,
                                                            anonymous=donate and bool(form.anonymous.data)))
        if error is not None:
            flash_error(error)
        elif donate:
            flash(_("Your booking is cancelled and your refund is given to the community fund. Thank you."),
                  "success")
            return back_to("web_resident.gift_receipt", booking_id=booking_id)
        else:
            flash(_("Your booking is cancelled."), "success")
        return back_to("web_resident.booking", booking_id=booking_id)
    return render_template("resident/cancel.html", booking=booking, ctx=ctx, form=form,
                           paid=donated_refunds.something_to_give(db_session(), booking.id))


@bp.route("/my/bookings/<int:booking_id>/gift")
def gift_receipt(booking_id: int):
    """The receipt of a refund the resident gave to the community fund, ready to print."""
    _user, booking, ctx = _own_booking(booking_id)
    gift = donated_refunds.gift_of(db_session(), booking.id)
    if gift is None:
        raise donated_refunds.NO_GIFT(booking_id=booking_id)
    return render_template("committee/receipt.html", community=ctx.community, gift=gift,
                           capitals=in_capitals(gift.amount, gift.currency),
                           back_url=url_for("web_resident.booking", booking_id=booking.id))


@bp.route("/my/bookings/<int:booking_id>/pay")
def pay(booking_id: int):
    """Pay online as the provider asks: scan its QR code (drawn here), go to its page, or use its form in this page
    (Stripe.js comes from Stripe); the page counts down the hold and moves on by itself once the money arrived."""
    _user, booking, ctx = _own_booking(booking_id)
    waiting = waiting_of(db_session(), booking)
    if not (waiting.waiting or waiting.ran_out):
        if waiting.paid:
            flash(_("Paid. Thank you: your booking is confirmed."), "success")
        return redirect(url_for("web_resident.booking", booking_id=booking_id), code=303)
    client_secret = session.get("pay", {}).get(str(booking_id))
    publishable_key = current_app.config.get("STRIPE_PUBLISHABLE_KEY")
    stripe_form = waiting.waiting and waiting.action == "client" and bool(client_secret and publishable_key)
    if stripe_form:
        allow_stripe_js()
    return render_template("resident/pay.html", booking=booking, ctx=ctx, waiting=waiting, stripe_form=stripe_form,
                           client_secret=client_secret, publishable_key=publishable_key,
                           book_again=ctx.slot.starts_at > utcnow())


@bp.route("/my/bookings/<int:booking_id>/status.json")
def pay_status(booking_id: int):
    """What the pay page asks every few seconds: is the booking still waiting for its payment?"""
    _user, booking, _ctx = _own_booking(booking_id)
    return status_response(waiting_of(db_session(), booking))
