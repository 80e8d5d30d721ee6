"""The canteen's rules: who publishes menus, who reads the delivery list, and what each holds."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core import N_, not_found
from core.plugin_api import (
    Booking, Community, Listing, Operator, Slot, User, operator_of_type, paginate, require, require_user, slot_context,
    utcnow,
)
from plugins.canteen import KEY
from plugins.canteen.models import CanteenDelivery, CanteenMenu

SERVED = ("confirmed", "fulfilled")

NOT_A_MEAL = not_found("not_a_canteen_meal", N_("Time %(slot_id)s is not a canteen meal."))
NO_MENU_YET = not_found("no_menu_yet", N_("No menu has been published for this meal yet."))
NOT_A_CANTEEN_LISTING = not_found("not_a_canteen_listing", N_("Service %(listing_id)s is not a canteen's."))


def local_day(zone: ZoneInfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of ``day`` in the community's time zone."""
    start = dt.datetime.combine(day, dt.time(0), zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)


def zone_of(session, community_id: int) -> ZoneInfo:
    return ZoneInfo(session.get(Community, community_id).timezone)


def menu_json(menu: CanteenMenu, zone: ZoneInfo) -> dict:
    """A menu with its meal's times in the community's time zone."""
    return {"slot_id": menu.slot_id, "listing_id": menu.slot.listing_id,
            "starts_at": menu.slot.starts_at.astimezone(zone), "ends_at": menu.slot.ends_at.astimezone(zone),
            "dishes": menu.dishes, "soup": menu.soup, "notes": menu.notes, "published_at": menu.published_at}


def canteen_slot(session, slot_id: int):
    ctx = slot_context(session, slot_id)
    if ctx.listing.type != KEY:
        raise NOT_A_MEAL(slot_id=slot_id)
    return ctx


def menu_of(session, slot_id: int) -> dict:
    ctx = canteen_slot(session, slot_id)
    menu = session.scalar(select(CanteenMenu).where(CanteenMenu.slot_id == ctx.slot.id))
    if menu is None:
        raise NO_MENU_YET(slot_id=slot_id)
    return menu_json(menu, ZoneInfo(ctx.community.timezone))


def publish_menu(session, user, slot_id: int, data: dict) -> tuple[dict, bool]:
    """Publish or replace a meal's menu (the canteen's staff); True when it is new."""
    require_user(user)
    ctx = canteen_slot(session, slot_id)
    require(user, "operator_staff", operator_id=ctx.operator.id)
    session.execute(select(Slot.id).where(Slot.id == ctx.slot.id).with_for_update())  # one publisher at a time
    menu = session.scalar(select(CanteenMenu).where(CanteenMenu.slot_id == ctx.slot.id))
    created = menu is None
    if created:
        menu = CanteenMenu(slot_id=ctx.slot.id)
        session.add(menu)
    menu.dishes, menu.soup, menu.notes = data["dishes"], data["soup"], data["notes"]
    menu.published_by_id, menu.published_at = user.id, utcnow()
    session.flush()
    session.refresh(menu)
    return menu_json(menu, ZoneInfo(ctx.community.timezone)), created


def ensure_menus(session, listing: Listing, cook: User, menus_in_turn: list[tuple[list[str], str]]) -> None:
    """Give every meal of the listing that has none a menu, taking the menus in turn (demo data)."""
    slots = session.scalars(select(Slot).where(Slot.listing_id == listing.id).order_by(Slot.starts_at)).all()
    published = set(session.scalars(select(CanteenMenu.slot_id).where(CanteenMenu.slot_id.in_([s.id for s in slots]))))
    for n, slot in enumerate(slots):
        if slot.id not in published:
            dishes, soup = menus_in_turn[n % len(menus_in_turn)]
            session.add(CanteenMenu(slot_id=slot.id, dishes=dishes, soup=soup, notes="", published_by_id=cook.id))
    session.flush()


def menus(session, listing_id: int, args: dict) -> dict:
    """A canteen listing's menus: of one day, or of every meal still to come."""
    listing = session.get(Listing, listing_id)
    if listing is None or listing.type != KEY:
        raise NOT_A_CANTEEN_LISTING(listing_id=listing_id)
    zone = zone_of(session, listing.community_id)
    query = (select(CanteenMenu).join(Slot, Slot.id == CanteenMenu.slot_id)
             .where(Slot.listing_id == listing.id).order_by(Slot.starts_at))
    if args.get("date"):
        start, end = local_day(zone, args["date"])
        query = query.where(Slot.starts_at >= start, Slot.starts_at < end)
    else:
        query = query.where(Slot.ends_at > utcnow())
    page = paginate(session, query, args)
    return page | {"items": [menu_json(menu, zone) for menu in page["items"]]}


def upcoming_meals(session, user, operator_id: int, limit: int = 21) -> tuple[Operator, list[dict]]:
    """The canteen's coming meals, each with its menu or None, for its staff to publish (the canteen's staff)."""
    operator = operator_of_type(session, user, operator_id, KEY, manage=True)
    rows = session.execute(
        select(Slot, Listing, CanteenMenu).join(Listing, Listing.id == Slot.listing_id)
        .outerjoin(CanteenMenu, CanteenMenu.slot_id == Slot.id)
        .where(Listing.operator_id == operator.id, Slot.ends_at > utcnow())
        .order_by(Slot.starts_at, Slot.id).limit(limit)).all()
    return operator, [{"slot": slot, "listing": listing, "menu": menu} for slot, listing, menu in rows]


def delivery_address(session, booking_id: int) -> str | None:
    """Where a booking's meals go, if they are delivered."""
    return session.scalar(select(CanteenDelivery.address).where(CanteenDelivery.booking_id == booking_id))


def record_delivery(session, booking: Booking) -> None:
    """Keep the address the meals go to, with the booking (once: a booking revived after a late payment has it)."""
    if session.scalar(select(CanteenDelivery.id).where(CanteenDelivery.booking_id == booking.id)) is None:
        resident = session.get(User, booking.resident_id)
        session.add(CanteenDelivery(booking_id=booking.id, address=resident.profile.address))


def next_delivery_day(session, operator: Operator, after: dt.date) -> dt.date | None:
    """The first day after ``after`` with meals to take home, so an empty list can point to it."""
    zone = zone_of(session, operator.community_id)
    starts_at = session.scalar(
        select(func.min(Slot.starts_at)).select_from(CanteenDelivery)
        .join(Booking, Booking.id == CanteenDelivery.booking_id).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.operator_id == operator.id, Booking.status.in_(SERVED),
               Slot.starts_at >= local_day(zone, after)[1]))
    return starts_at.astimezone(zone).date() if starts_at else None


def deliveries_of_day(query, operator: Operator, zone: ZoneInfo, day: dt.date):
    """``query`` over the canteen's meals taken home on ``day``, with their booking, time and resident."""
    start, end = local_day(zone, day)
    return (query.select_from(CanteenDelivery)
            .join(Booking, Booking.id == CanteenDelivery.booking_id)
            .join(Slot, Slot.id == Booking.slot_id)
            .join(User, User.id == Booking.resident_id)
            .where(Booking.operator_id == operator.id, Booking.status.in_(SERVED),
                   Slot.starts_at >= start, Slot.starts_at < end))


def delivery_count(session, operator: Operator, zone: ZoneInfo, day: dt.date) -> tuple[int, int]:
    """How many homes the canteen's meals go to on ``day``, and how many meals."""
    homes, meals = session.execute(deliveries_of_day(
        select(func.count(), func.coalesce(func.sum(Booking.quantity), 0)), operator, zone, day)).one()
    return homes, int(meals)


def deliveries(session, user, operator_id: int, args: dict) -> dict:
    """The meals to take home on a day (today by default): who, where, how many."""
    operator = operator_of_type(session, user, operator_id, KEY)
    zone = zone_of(session, operator.community_id)
    day = args.get("date") or utcnow().astimezone(zone).date()

    def of_day(query):
        return deliveries_of_day(query, operator, zone, day)

    total, meals = delivery_count(session, operator, zone, day)
    page, per_page = args["page"], args["per_page"]
    rows = session.execute(of_day(select(
        Booking.id, Booking.slot_id, Slot.starts_at, Booking.resident_id, User.name, CanteenDelivery.address,
        Booking.quantity, Booking.status)).order_by(Slot.starts_at, Booking.id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    items = [{"booking_id": r[0], "slot_id": r[1], "starts_at": r[2].astimezone(zone), "resident_id": r[3],
              "resident_name": r[4], "address": r[5], "meals": r[6], "status": r[7]} for r in rows]
    return {"operator_id": operator.id, "date": day, "total_meals": meals, "items": items, "page": page,
            "per_page": per_page, "total": total}
