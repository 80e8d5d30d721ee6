"""Pages for everyone: the services, one service's times, a community's fund, and the language switch."""
from __future__ import annotations

import datetime as dt

from flask import current_app, redirect, render_template, request, session, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from core import booking as bookings
from core import fund, listings, notifications, outcomes, ratings, scorecards, time_bank, transparency
from core.db import commit
from core.downloads import inline_file
from core.everyday import Everyday, next_everyday
from core.api.common import DAY
from core.errors import N_, DomainError, not_found
from core.models import TAKING_BOOKINGS, Community, Operator, Slot
from core.pricing import parse_rules
from core.request_session import database
from core.request_session import session as db_session
from core.settlement import PERIOD
from core.web.acting import acting_for
from core.web.common import community_or_404, home_community, linli, page_blueprint, safe_next, today_in, web_user
from core.web.i18n import LANGUAGES, local

bp = page_blueprint("web_public", __name__)
SLOTS_SHOWN = 60
NOT_OFFERED = not_found("service_not_offered", N_("This service is not offered at the moment."))


class ServiceQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(validate=validate.Length(1, 40))
    date = fields.Date(validate=DAY)
    community = fields.String(validate=validate.Length(1, 64))


def price_list(listing) -> list[dict]:
    """The listing's rules in order: who gets which price (and the volunteer hours a reward uses)."""
    return [{"rule": r.name, "tier": r.tier, "amount": r.amount, "volunteer_tenths": r.volunteer_tenths or 0}
            for r in parse_rules(listing.price_rules)]


@bp.route("/")
def home():
    """Services, filtered by type and day (in the community's time)."""
    db = db_session()
    try:
        query = ServiceQuery().load(request.args)
    except ValidationError:
        query = {}
    community = (db.scalar(select(Community).where(Community.slug == query["community"]))
                 if query.get("community") else None) or home_community(web_user())
    if community is None:
        return render_template("public/home.html", community=None, services=[], days=[], types={}, query=query)
    found = db.scalars(listings.search_listings(community, query.get("type"), None, query.get("date"),
                                                community.timezone).limit(200)).all()
    operators = {op.id: op for op in db.scalars(select(Operator).where(Operator.community_id == community.id))}
    averages = ratings.averages(db, [item.id for item in found])
    stars = scorecards.stars_of(db, community, list({item.operator_id for item in found}))
    services = [{"listing": item, "operator": operators.get(item.operator_id), "prices": price_list(item),
                 "rating": averages.get(item.id), "stars": stars.get(item.operator_id)} for item in found]
    today = today_in(community)
    days = [today + dt.timedelta(days=n) for n in range(8)]
    return render_template("public/home.html", community=community, services=services, days=days, today=today,
                           types=linli().plugins.operator_types, query=query, everyday=_everyday(db, community))


def _everyday(db, community: Community) -> Everyday | None:
    """The next meal of the resident (the user, or the one they act for), for the top of their home page."""
    user, resident = web_user(), acting_for()
    resident = resident or user
    if resident is None or resident.profile is None or resident.profile.community_id != community.id:
        return None
    return next_everyday(db, linli().plugins, user, resident, community)


@bp.route("/services/<int:listing_id>")
def service(listing_id: int):
    """One service: what it is, who pays what, and its coming times with the places left."""
    db = db_session()
    listing = listings.listing_or_404(db, listing_id)
    operator = db.get(Operator, listing.operator_id)
    if not listing.is_active or operator.status not in TAKING_BOOKINGS:
        raise NOT_OFFERED()
    community = db.get(Community, listing.community_id)
    slots = db.scalars(listings.slots_of(listing, upcoming=True).limit(SLOTS_SHOWN)).all()
    remaining = listings.remaining_places(db, slots)
    days: dict[dt.date, list] = {}
    for slot in slots:
        days.setdefault(local(slot.starts_at, community.timezone).date(), []).append(slot)
    return render_template("public/service.html", listing=listing, operator=operator, community=community,
                           days=days, remaining=remaining, prices=price_list(listing),
                           operator_type=linli().plugins.operator_types.get(listing.type),
                           rating=ratings.averages(db, [listing.id]).get(listing.id),
                           operator_stars_row=scorecards.stars_of(db, community, [operator.id]).get(operator.id),
                           my_quote=_my_quote(db, slots, remaining))


def _my_quote(db, slots: list[Slot], remaining: dict[int, int]):
    """The logged-in resident's own price (or that of the resident they act for), on the first slot that still has
    places."""
    user, resident = web_user(), acting_for()
    open_slots = [s for s in slots if remaining.get(s.id, 0) > 0]
    if user is None or (user.profile is None and resident is None) or not open_slots:
        return None
    try:
        return bookings.quote_for(db, linli().plugins, user, open_slots[0].id, 1, resident and resident.id)[0]
    except DomainError:
        return None


@bp.route("/communities/<slug>/transparency")
def transparency_page(slug: str):
    """The fund in public: balance, money in and out by month, gifts in kind, payouts and the ledger's head."""
    db = db_session()
    community = community_or_404(slug)
    period = request.args.get("period") or None
    if period and not PERIOD.match(period):
        period = None
    report = transparency.report(db, community, period)
    everything = transparency.report(db, community) if period else report
    donors: dict[str | None, dict] = {}
    for row in report["inflows"]:
        name = row["operator"] if row["operator_id"] else None  # None: gifts, and gifts in kind from no operator
        donor = donors.setdefault(name, {"operator": name, "due": 0, "received": 0, "in_kind": 0})
        donor["due"] += row["due_amount"]
        donor["received"] += fund.received(row)
        donor["in_kind"] += row["in_kind_amount"]
    periods = sorted({row["period"] for row in everything["monthly"]}, reverse=True)
    return render_template("public/transparency.html", community=community, report=report,
                           donors=sorted(donors.values(), key=lambda d: -d["received"]), periods=periods,
                           period=period, volunteering=time_bank.community_totals(db, community))


@bp.route("/communities/<slug>/transparency/photos/<int:photo_id>")
def outcome_photo(slug: str, photo_id: int):
    """A photo of what a funded project did: public like its report, never sniffed."""
    photo = outcomes.photo_of(db_session(), community_or_404(slug), photo_id)
    return inline_file(outcomes.PHOTOS.read(current_app.instance_path, photo.name), photo.media_type)


def _remember_language(code: str) -> None:
    """A logged-in reader's inbox, emails and texts follow the language they switched to."""
    user = web_user()
    if user is not None:
        with database().sessionmaker() as db:
            notifications.choose(db, user.id, language=code)
            commit(db)


@bp.route("/lang/<code>")
def switch_language(code: str):
    """Remember the reader's language in the session, and go back to the page they were reading."""
    if code in LANGUAGES:
        session["lang"] = code
        _remember_language(code)
    return redirect(safe_next(request.args.get("next")) or url_for("web_public.home"), code=303)
