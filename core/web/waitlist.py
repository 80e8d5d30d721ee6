"""Residents' waiting list pages: join a full time's list, see one's place in line, take up or turn down a place.

While acting for a resident (core/web/acting.py) these pages are theirs: the list they are put on, their entries,
the place held for them."""
from __future__ import annotations

import math

from flask import flash, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from core import booking as bookings
from core import waitlist
from core.db import utcnow
from core.models import Community, Listing, Slot, WaitlistEntry
from core.request_session import session as db_session
from core.web.acting import acting_for, customer
from core.web.common import attempt, back_to, flash_error, linli, logged_in, page_blueprint, require
from core.web.forms import ActionForm
from core.web.resident import payment_choices

bp = page_blueprint("web_waitlist", __name__)


def _done(error, message: str):
    """Flash how it went and show the resident's lists."""
    if error is not None:
        flash_error(error)
    else:
        flash(message, "success")
    return back_to("web_waitlist.mine")


@bp.route("/book/<int:slot_id>/waitlist", methods=["POST"])
def join(slot_id: int):
    """The full time's booking page's big button (for oneself, or for the resident one acts for)."""
    user, resident_id = customer()
    if not ActionForm().validate_on_submit():
        return back_to("web_resident.book", slot_id=slot_id)
    _entry, error = attempt(lambda db: waitlist.join(db, linli().plugins, user, slot_id, resident_id=resident_id))
    if resident_id is None:
        return _done(error, _("You are on the waiting list. We will tell you when a place is free."))
    return _done(error, _("%(name)s is on the waiting list. We will tell them when a place is free.",
                          name=acting_for().name))


@bp.route("/my/waitlist")
def mine():
    """The resident's waiting lists: their place in line, and a place held for them with the time left."""
    user = acting_for() or require("resident")
    db, now = db_session(), utcnow()
    entries = db.scalars(waitlist.mine(user).limit(100)).all()
    slots = {s.id: s for s in db.scalars(select(Slot).where(Slot.id.in_({e.slot_id for e in entries})))}
    listings = {item.id: item for item in db.scalars(
        select(Listing).where(Listing.id.in_({s.listing_id for s in slots.values()})))}
    zones = dict(db.execute(select(Community.id, Community.timezone)).all())
    rows = [{"entry": e, "slot": slots[e.slot_id], "listing": listings[slots[e.slot_id].listing_id],
             "tz": zones[listings[slots[e.slot_id].listing_id].community_id],
             "position": waitlist.position(db, e),
             "minutes_left": max(0, math.ceil((e.offer_expires_at - now).total_seconds() / 60))
             if e.status == "offered" else None} for e in entries]
    return render_template("resident/waitlist.html", rows=rows, form=ActionForm())


def _own(entry_id: int) -> WaitlistEntry:
    """The resident's entry, or, while acting, that of the resident acted for (and no one else's)."""
    resident = acting_for()
    user = logged_in() if resident else require("resident")
    entry = waitlist.own_entry(db_session(), user, entry_id)
    if entry.resident_id != (resident or user).id:
        raise waitlist.ENTRY_NOT_FOUND(entry_id=entry_id)
    return entry


@bp.route("/my/waitlist/<int:entry_id>/accept", methods=["POST"])
def accept(entry_id: int):
    """Book the held place: cash where the price asks for money (paid at the counter), as a booking page offers."""
    entry, app = _own(entry_id), linli()
    if not ActionForm().validate_on_submit():
        return back_to("web_waitlist.mine")

    def book(db):
        user, resident_id = customer()
        quote = bookings.quote_for(db, app.plugins, user, entry.slot_id, 1, resident_id)[0]
        choices = payment_choices(quote.total_amount)
        return waitlist.accept(db, app.plugins, app.payments, user, entry.id, choices[0][0] if choices else None, {})

    result, error = attempt(book)
    if error is not None:
        flash_error(error)
        return back_to("web_waitlist.mine")
    flash(_("Your booking is confirmed."), "success")
    return back_to("web_resident.booking", booking_id=result[0].id)


def _changed(change, entry_id: int, done: str):
    entry = _own(entry_id)
    if not ActionForm().validate_on_submit():
        return back_to("web_waitlist.mine")
    _entry, error = attempt(lambda db: change(db, logged_in(), entry.id))
    return _done(error, done)


@bp.route("/my/waitlist/<int:entry_id>/decline", methods=["POST"])
def decline(entry_id: int):
    return _changed(waitlist.decline, entry_id, _("The place goes to the next in line."))


@bp.route("/my/waitlist/<int:entry_id>/leave", methods=["POST"])
def leave(entry_id: int):
    return _changed(waitlist.leave, entry_id, _("You have left the waiting list."))
