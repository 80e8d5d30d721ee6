"""An operator's week on the pages: the weekly schedules, closed days, and calling one time off."""
from __future__ import annotations

import datetime as dt

from flask import flash, render_template
from flask_babel import ngettext

from core import listings, schedules, waitlist
from core import booking as bookings
from core.models import Listing, Slot
from core.request_session import session as db_session
from core.web.common import attempt, back_to, headline, linli, page_blueprint, show_field_errors, today_in
from core.web.forms import CallOffForm, ClosureForm, PlacesForm, ScheduleForm
from core.web.operator import operator_in_scope, own_listing

bp = page_blueprint("web_schedules", __name__)


@bp.route("/operators/<int:operator_id>/listings/<int:listing_id>/times")
def times(operator_id: int, listing_id: int):
    """The listing's week at a glance: its schedules, the days closed, and every time of the next four weeks."""
    _user, operator, community = operator_in_scope(operator_id)
    listing = own_listing(operator, listing_id)
    db = db_session()
    slots = schedules.upcoming_slots(db, listing, schedules.HORIZON_DAYS + 1)
    return render_template("operator/times.html", operator=operator, community=community, listing=listing,
                           schedules=schedules.schedules_of(db, listing),
                           closures=schedules.closures_of(db, listing, today_in(community)),
                           slots=slots, remaining=listings.remaining_places(db, slots))


def _form_page(template: str, form, action, done, operator, listing, **context):
    """A form whose service call runs through :func:`attempt`: done → flash and back to the week; else the form
    again with the service's messages under its fields."""
    error, status = None, 200
    if form.validate_on_submit():
        result, error = attempt(action)
        if error is None:
            flash(done(result), "success")
            return back_to("web_schedules.times", operator_id=operator.id, listing_id=listing.id)
        status = error.status
        error = show_field_errors(form, error, {"end_time": "ends", "date": "day", "valid_until": "valid_until"})
    elif form.is_submitted():
        status = 422
    return render_template(template, operator=operator, listing=listing, form=form, error=error,
                           headline=headline(error) if error else None, **context), status


@bp.route("/operators/<int:operator_id>/listings/<int:listing_id>/schedules/new", methods=["GET", "POST"])
def new_schedule(operator_id: int, listing_id: int):
    user, operator, community = operator_in_scope(operator_id)
    listing = own_listing(operator, listing_id)
    form = ScheduleForm()
    if not form.is_submitted():
        form.valid_from.data = today_in(community) + dt.timedelta(days=1)

    def add(db):
        return schedules.add_schedule(db, user, db.get(Listing, listing_id), form.weekdays.data, form.starts.data,
                                      form.ends.data, form.capacity.data, form.valid_from.data, form.valid_until.data)

    def done(result):
        return ngettext("The week is set: %(num)d time is open for booking.",
                        "The week is set: %(num)d times are open for booking.", result[1])

    return _form_page("operator/new_schedule.html", form, add, done, operator, listing)


@bp.route("/operators/<int:operator_id>/listings/<int:listing_id>/closures/new", methods=["GET", "POST"])
def new_closure(operator_id: int, listing_id: int):
    user, operator, community = operator_in_scope(operator_id)
    listing = own_listing(operator, listing_id)
    form = ClosureForm()
    app = linli()

    def close(db):
        return schedules.close_day(db, app.plugins, app.payments, user, db.get(Listing, listing_id), form.day.data,
                                   form.reason.data.strip())

    def done(result):
        return ngettext("The day is closed; %(num)d booking was cancelled and refunded.",
                        "The day is closed; %(num)d bookings were cancelled and refunded.", len(result[1]))

    return _form_page("operator/new_closure.html", form, close, done, operator, listing)


@bp.route("/operators/<int:operator_id>/slots/<int:slot_id>/cancel", methods=["GET", "POST"])
def call_off(operator_id: int, slot_id: int):
    """Call one time off: the page says how many bookings it cancels before the operator confirms."""
    user, operator, community = operator_in_scope(operator_id)
    db = db_session()
    ctx = bookings.slot_context(db, slot_id)
    listing = own_listing(operator, ctx.listing.id)
    form = CallOffForm()
    app = linli()
    live = db.scalar(bookings.live_count(slot_id))

    def cancel(db):
        return schedules.cancel_slot(db, app.plugins, app.payments, user, db.get(Slot, slot_id),
                                     form.reason.data.strip())

    def done(result):
        return ngettext("The time is called off; %(num)d booking was cancelled and refunded.",
                        "The time is called off; %(num)d bookings were cancelled and refunded.", len(result))

    return _form_page("operator/call_off.html", form, cancel, done, operator, listing, slot=ctx.slot, live=live,
                      community=community)


@bp.route("/operators/<int:operator_id>/slots/<int:slot_id>/places", methods=["GET", "POST"])
def change_places(operator_id: int, slot_id: int):
    """One time's places, changed by hand: an exception to the week (never fewer than those booked)."""
    user, operator, community = operator_in_scope(operator_id)
    ctx = bookings.slot_context(db_session(), slot_id)
    listing = own_listing(operator, ctx.listing.id)
    form = PlacesForm()
    if not form.is_submitted():
        form.capacity.data = ctx.slot.capacity

    def change(db):
        return schedules.change_places(db, user, db.get(Slot, slot_id), form.capacity.data)

    def done(slot):
        return ngettext("The time now has %(num)d place.", "The time now has %(num)d places.", slot.capacity)

    return _form_page("operator/places.html", form, change, done, operator, listing, slot=ctx.slot,
                      community=community, waiting=waitlist.of_slot(db_session(), user, slot_id))
