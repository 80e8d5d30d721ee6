"""Operator staff's pages: the day's bookings with one-tap check-in, listings and slots, the monthly statement."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import booking as bookings
from core import catalog, listings, policy, ratings, settlement
from core.db import utcnow
from core.ledger import FIRST_DAY, LAST_DAY
from core.models import Booking, Community, Listing, Operator, Slot, User
from core.pricing import parse_rules
from core.request_session import session as db_session
from core.settlement import PERIOD
from core.web.common import (
    attempt, back_to, field_errors, flash_error, headline, linli, page_blueprint, require, show_field_errors, today_in,
    web_user,
)
from core.web.forms import CostForm, ListingForm, SlotForm
from core.web.i18n import money, to_minor_units
from core.web.periods import month_of, next_period, previous_period
from core.web.schema_form import answers, given, questions, shown_value

bp = page_blueprint("web_operator", __name__)
SHOWN = ("pending_payment", "confirmed", "fulfilled", "no_show")
RECENT_RATINGS = 50


def operator_in_scope(operator_id: int) -> tuple[User, Operator, Community]:
    user = require("operator_staff", operator_id=operator_id)
    db = db_session()
    operator = catalog.operator_or_404(db, operator_id)
    return user, operator, db.get(Community, operator.community_id)


def _day(community: Community) -> dt.date:
    """The day asked for, else today; a day outside the books' years is today too (its hours would overflow)."""
    try:
        day = dt.date.fromisoformat(request.values.get("date", ""))
    except ValueError:
        day = None
    return day if day and FIRST_DAY <= day <= LAST_DAY else dt.datetime.now(ZoneInfo(community.timezone)).date()


@bp.route("/operator")
def desk():
    """Straight to the day's bookings, or a choice when the user works for several operators."""
    user = require("operator_staff")
    db = db_session()
    ids = sorted(policy.operator_ids(user))
    operators = (db.scalars(select(Operator).order_by(Operator.id)).all() if policy.is_admin(user) and not ids
                 else [db.get(Operator, i) for i in ids])
    if len(operators) == 1:
        return redirect(url_for("web_operator.today", operator_id=operators[0].id))
    return render_template("operator/desk.html", operators=operators)


@bp.route("/operators/<int:operator_id>/today")
def today(operator_id: int):
    """The bookings of one day (today in the community's time zone by default), slot by slot."""
    _user, operator, community = operator_in_scope(operator_id)
    day = _day(community)
    zone = ZoneInfo(community.timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    rows = db_session().execute(
        select(Booking, Slot, Listing, User).join(Slot, Slot.id == Booking.slot_id)
        .join(Listing, Listing.id == Slot.listing_id).outerjoin(User, User.id == Booking.resident_id)
        .where(Booking.operator_id == operator.id, Booking.status.in_(SHOWN), Slot.starts_at >= start,
               Slot.starts_at < start + dt.timedelta(days=1))
        .order_by(Slot.starts_at, Listing.id, Booking.id)).all()
    slots: dict[int, dict] = {}
    for row in rows:
        slots.setdefault(row.Slot.id, {"slot": row.Slot, "listing": row.Listing, "rows": []})["rows"].append(row)
    operator_type = linli().plugins.operator_types.get(operator.type)
    asked = questions(operator_type.booking_schema) if operator_type else []
    return render_template("operator/today.html", operator=operator, community=community, day=day,
                           slots=list(slots.values()), now=utcnow(),
                           details={row.Booking.id: given(asked, row.Booking.details, community.currency)
                                    for row in rows},
                           at_home=_served_at_home(operator),
                           previous=day - dt.timedelta(days=1), following=day + dt.timedelta(days=1))


def _served_at_home(operator: Operator) -> bool:
    """The operator's type comes to the resident's home: the cash is paid to its worker there, not at a counter."""
    return getattr(linli().plugins.operator_types.get(operator.type), "served_at_home", False)


@bp.route("/operators/<int:operator_id>/bookings/<int:booking_id>/<any('check-in', 'no-show'):action>",
          methods=["POST"])
def booking_action(operator_id: int, booking_id: int, action: str):
    """Check a resident in (recording the cash of a cash booking) or record that nobody came."""
    user, operator, community = operator_in_scope(operator_id)
    app = linli()
    if action == "check-in":
        booking, error = attempt(lambda db: bookings.check_in(db, app.plugins, app.payments, user, booking_id))
    else:
        booking, error = attempt(lambda db: bookings.mark_no_show(db, app.plugins, user, booking_id))
    if error is not None:
        flash_error(error)
    elif action == "no-show":
        flash(_("Recorded that nobody came."), "success")
    elif booking.payment_method == "cash" and booking.total_amount:
        amount = money(booking.total_amount, booking.currency)
        flash(_("Served. %(amount)s cash paid to the worker recorded.", amount=amount) if _served_at_home(operator)
              else _("Checked in. %(amount)s cash recorded.", amount=amount), "success")
    else:
        flash(_("Checked in."), "success")
    return back_to("web_operator.today", operator_id=operator_id, date=_day(community).isoformat())


@bp.route("/operators/<int:operator_id>/listings")
def operator_listings(operator_id: int):
    """The operator's services with their coming times and the places left."""
    _user, operator, community = operator_in_scope(operator_id)
    db = db_session()
    items = []
    offered = db.scalars(select(Listing).where(Listing.operator_id == operator.id).order_by(Listing.id)).all()
    averages = ratings.averages(db, [listing.id for listing in offered])
    for listing in offered:
        slots = db.scalars(listings.slots_of(listing, upcoming=True).limit(14)).all()
        items.append({"listing": listing, "slots": slots, "remaining": listings.remaining_places(db, slots),
                      "rating": averages.get(listing.id)})
    return render_template("operator/listings.html", operator=operator, community=community, items=items)


def _price_rows(rules: list[dict], form, currency: str) -> tuple[list[dict], dict[int, str]]:
    """The rules with the amounts typed on the page (free rules stay free), and the amounts that are no amount."""
    rows, problems = [], {}
    for index, rule in enumerate(rules):
        raw = form.get(f"price-{index}", "").strip() if rule["tier"] != "free" else "0"
        amount = to_minor_units(raw, currency) if raw else None
        if amount is None:
            problems[index] = _("Write an amount, e.g. 5 or 12.50.")
        rows.append({**rule, "amount": amount if amount is not None else rule["amount"]})
    return rows, problems


def _save_listing(operator, listing, operator_type, fields: dict):
    """Create the listing or apply the changes, through the same services as the API."""
    user = web_user()

    def save(db):
        if listing is None:
            return listings.create_listing(db, user, db.get(Operator, operator.id), operator_type, fields)
        return listings.update_listing(db, user, db.get(Listing, listing.id), operator_type, fields)

    return attempt(save)


def _form_values(asked, listing, currency: str) -> dict:
    """What the details questions show: what was just typed, else what is stored."""
    if request.method == "POST":
        return dict(request.form)
    stored = listing.details if listing else {}
    return {q.input_name: shown_value(q, stored.get(q.name), currency) for q in asked}


def _listing_page(operator, community, listing=None):
    """Add a service or change one: its words, the plugin's own details, the prices, whether it is offered."""
    operator_type = linli().plugins.type_of(operator.type)
    asked = questions(operator_type.listing_schema)
    rules = listing.price_rules if listing else operator_type.default_price_rules
    form = ListingForm(obj=None if request.method == "POST" else listing)
    if request.method == "GET" and listing:
        form.cancel_cutoff_hours.data = listing.cancel_cutoff_minutes // 60
    error, status, price_problems = None, 200, {}
    if form.validate_on_submit():
        prices, price_problems = _price_rows(rules, request.form, community.currency)
        status = 422 if price_problems else 200
        if not price_problems:
            fields = {"title": form.title.data.strip(), "description": (form.description.data or "").strip(),
                      "details": answers(asked, request.form, community.currency, keep_unchecked=True),
                      "price_rules": prices, "cancel_cutoff_minutes": (form.cancel_cutoff_hours.data or 0) * 60}
            if listing:
                fields["is_active"] = form.is_active.data
            _saved, error = _save_listing(operator, listing, operator_type, fields)
            if error is None:
                flash(_("The service is saved."), "success")
                return back_to("web_operator.operator_listings", operator_id=operator.id)
            status = error.status
            show_field_errors(form, error)
    elif form.is_submitted():
        status = 422
    return render_template("operator/listing_form.html", operator=operator, community=community, listing=listing,
                           form=form, asked=asked, values=_form_values(asked, listing, community.currency),
                           rules=rules, rule_hours=[r.volunteer_tenths or 0 for r in parse_rules(rules)],
                           price_problems=price_problems, errors=field_errors(error), error=error,
                           headline=headline(error) if error else None), status


@bp.route("/operators/<int:operator_id>/listings/new", methods=["GET", "POST"])
def new_listing(operator_id: int):
    _user, operator, community = operator_in_scope(operator_id)
    return _listing_page(operator, community)


@bp.route("/operators/<int:operator_id>/listings/<int:listing_id>", methods=["GET", "POST"])
def edit_listing(operator_id: int, listing_id: int):
    _user, operator, community = operator_in_scope(operator_id)
    return _listing_page(operator, community, own_listing(operator, listing_id))


def own_listing(operator: Operator, listing_id: int) -> Listing:
    listing = listings.listing_or_404(db_session(), listing_id)
    if listing.operator_id != operator.id:
        raise listings.LISTING_NOT_FOUND(listing_id=listing_id)
    return listing


@bp.route("/operators/<int:operator_id>/listings/<int:listing_id>/slots/new", methods=["GET", "POST"])
def new_slot(operator_id: int, listing_id: int):
    """Open a new time for a service: the day, the hours (community time) and the places."""
    user, operator, community = operator_in_scope(operator_id)
    listing = own_listing(operator, listing_id)
    form, error, status = SlotForm(), None, 200
    if form.validate_on_submit():
        zone = ZoneInfo(community.timezone)
        starts = dt.datetime.combine(form.day.data, form.starts.data, zone)
        ends = dt.datetime.combine(form.day.data, form.ends.data, zone)
        _slot, error = attempt(lambda db: listings.add_slot(db, user, db.get(Listing, listing_id), starts, ends,
                                                            form.capacity.data))
        if error is None:
            flash(_("The new time is open for booking."), "success")
            return back_to("web_operator.operator_listings", operator_id=operator_id)
        status = error.status
        show_field_errors(form, error, {"ends_at": "ends", "starts_at": "starts"})
    elif form.is_submitted():
        status = 422
    return render_template("operator/new_slot.html", operator=operator, listing=listing, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/operators/<int:operator_id>/statement")
def statement(operator_id: int):
    """The month's statement: revenue by tier and channel, refunds, costs, donation due, received, outstanding."""
    _user, operator, community = operator_in_scope(operator_id)
    period = request.args.get("period", "")
    if not PERIOD.match(period):
        period = month_of(today_in(community))
    return _statement_page(operator, community, period, CostForm(period=period))


@bp.route("/operators/<int:operator_id>/costs", methods=["POST"])
def declare_cost(operator_id: int):
    """Declare a cost of a month, through the API's service (a closed month refuses it)."""
    user, operator, community = operator_in_scope(operator_id)
    form, error, status = CostForm(), None, 422
    period = form.period.data if PERIOD.match(form.period.data or "") else month_of(today_in(community))
    if form.validate_on_submit():
        amount = to_minor_units(form.amount.data, community.currency)
        if amount is None:
            form.amount.errors = [_("Use at most two decimals.")]
        else:
            _cost, error = attempt(lambda db: settlement.declare_cost(
                db, user, db.get(Operator, operator.id), form.period.data.strip(), amount,
                form.description.data.strip(), community.currency))
            if error is None:
                flash(_("The cost is declared."), "success")
                return back_to("web_operator.statement", operator_id=operator_id, period=form.period.data.strip())
            status = error.status
            error = show_field_errors(form, error)
    return _statement_page(operator, community, period, form, error, status)


def _statement_page(operator, community, period: str, form, error=None, status: int = 200):
    """The statement of ``period`` with its declared costs, the rule its donation follows, and the cost form."""
    db = db_session()
    rows = settlement.statements(db, community, period, operator_id=operator.id)
    return render_template("operator/statement.html", operator=operator, community=community, period=period,
                           statement=rows[0] if rows else None, previous=previous_period(period),
                           following=next_period(period), costs=settlement.costs_of(db, operator.id, period),
                           agreement=settlement.period_agreement(db, operator.id, period), form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/operators/<int:operator_id>/ratings")
def operator_ratings(operator_id: int):
    """What residents said about the operator's services: the latest stars and comments, without their names."""
    _user, operator, community = operator_in_scope(operator_id)
    return render_template("operator/ratings.html", operator=operator, community=community,
                           ratings=ratings.recent(db_session(), operator.id, RECENT_RATINGS))
