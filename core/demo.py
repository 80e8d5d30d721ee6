"""The demo data of SPEC §9.3: the Heping community, its people, and (through the plugins) its operators.

Every function here is idempotent: it finds what exists by its natural key and
creates only what is missing. Plugins add their operators through the
``seed_demo`` hook, using :func:`ensure_operator` and :func:`ensure_listing`.

:func:`seed_activity` (run by ``linli demo``) then shows each type in action
through the ``seed_demo_activity`` hook: bookings made by the ``book`` function
the hook receives (the booking engine itself) and, for slots already over, by
:func:`ensure_past_booking`. They belong to the demo's neighbours
(:data:`NEIGHBOURS`), never to the spec's accounts, and plain seeding leaves
them out, so the demo data of the spec stays exactly as the spec says.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import accounts, gifts, notifications
from core import booking as bookings
from core.booking import LIVE, BookingRequest, person_for, try_take_places
from core.catalog import validate_donation
from core.db import commit, utcnow
from core.errors import N_, text
from core.demo_accountability import seed_accountability
from core.demo_register import give_phones, seed_register
from core.demo_time_bank import seed_time_bank
from core.models import (
    Agreement, Booking, Community, Listing, Operator, RoleGrant, Schedule, Slot, Space, User, VerifiedAttribute,
)
from core.pricing import parse_rules, quote
from core.schedules import generate

PASSWORD = "demo-password"
COMMUNITY = ("和平社区", "Heping Community")
SPACES = [("食堂大厅", "Canteen hall", "canteen", 280), ("社区广场", "Community plaza", "plaza", 1200),
          ("闲置仓库", "Idle warehouse", "warehouse", 400), ("活动室", "Activity room", "room", 60)]
"""(name, its English, kind, area in m²): the demo is in Chinese, with English for an English reader."""
STAFF = [("admin", "平台管理员", "admin"), ("staff", "社区工作人员", "community_staff"),
         ("committee1", "基金委员一", "committee_member"),
         ("committee2", "基金委员二", "committee_member"),
         ("committee3", "基金委员三", "committee_member"),
         ("charity", "市慈善会专员", "charity_officer")]
# The low-income resident pays the canteen's paid price: the canteen's default rules
# (SPEC §5) give low-cost meals by age and studenthood only, and the demo keeps them.
RESIDENTS = [("elder92", "王奶奶", dt.date(1934, 3, 1), ()),  # Wang Nainai
             ("senior68", "李叔叔", dt.date(1958, 6, 15), ()),  # Li Shushu
             ("student", "张小明", dt.date(2010, 9, 1), ("student",)),  # Zhang Xiaoming
             ("adult", "陈杰", dt.date(1990, 1, 20), ()),  # Chen Jie
             ("lowincome", "赵阿姨", dt.date(1975, 5, 5), ("low_income",))]  # Zhao Ayi
# Neighbours beyond the spec's accounts: the plugins' demo bookings are theirs.
NEIGHBOURS = [("elder95", "孙爷爷", dt.date(1930, 10, 8), ()),  # Sun Yeye
              ("neighbour", "黄丽", dt.date(1986, 4, 12), ()),  # Huang Li
              ("sewer1", "周芳", dt.date(1972, 8, 30), ()),  # Zhou Fang
              ("sewer2", "吴敏", dt.date(1968, 3, 22), ())]  # Wu Min
# Gifts of money the committee recorded (issue 23: "接收社会各方反哺社区发展的资金捐助"): days before the demo day.
GIFTS = [(6, "government", "和平街道办事处", 2_000_000, "JD-2026-018"),
         (3, "company", "和平大药房", 500_000, "GH-7731"),
         (1, "anonymous", "", 20_000, "XJ-0001")]
WELCOME = (N_("Welcome to Linli, %(name)s"),
           N_("Here you will read what concerns you: a booking confirmed, a reminder the day before your lunch."))


def english(**fields: str) -> dict:
    """A demo record's translations: its English words, shown to an English reader (core.reading)."""
    return {"en": fields}


def seed(app: Flask) -> bool:
    """Load the demo data; return False when it was there already."""
    session: Session = app.extensions["linli"].db.sessionmaker()
    try:
        community = session.scalar(select(Community).where(Community.slug == "heping"))
        if community is not None:
            return False
        community = Community(slug="heping", name=COMMUNITY[0], translations=english(name=COMMUNITY[1]),
                              currency="CNY", timezone="Asia/Shanghai")
        session.add(community)
        session.flush()
        _seed_people(session, community)
        today = dt.datetime.now(ZoneInfo(community.timezone)).date()
        seed_register(session, community, demo_user(session, "staff"), today)
        app.extensions["linli"].plugins.hook.seed_demo(session=session, community=community, today=today)
        commit(session)
        return True
    finally:
        session.close()


def seed_activity(app: Flask) -> bool:
    """A few days of life on top of the demo data: the neighbours' bookings and the operators' records.

    Once per database: False when there is no demo community, or when its
    neighbours came already (what they did since, a cancellation say, stays done).
    """
    session: Session = app.extensions["linli"].db.sessionmaker()
    try:
        community = session.scalar(select(Community).where(Community.slug == "heping"))
        if community is None or demo_user(session, NEIGHBOURS[0][0]) is not None:
            return False
        for local, name, born, attributes in NEIGHBOURS:
            ensure_resident(session, community, local, name, born, attributes)
        give_phones(session, community)
        session.flush()
        today = dt.datetime.now(ZoneInfo(community.timezone)).date()
        seed_time_bank(session, community, today, demo_user(session, "staff"))  # volunteers first: a plugin's tasks
        app.extensions["linli"].plugins.hook.seed_demo_activity(session=session, community=community, today=today,
                                                        book=booker(app, session))
        committee = demo_user(session, "committee1")
        for days_ago, kind, name, amount, reference in GIFTS:
            gifts.record_gift(session, committee, community, name, kind, amount, reference,
                              today - dt.timedelta(days=days_ago))
        seed_accountability(session, community, today, demo_user(session, "staff"))
        elder = demo_user(session, "elder92")
        notifications.notify(session, elder.id, "welcome", text(WELCOME[0], name=elder.name), text(WELCOME[1]),
                             key="welcome", link="/")
        commit(session)
        return True
    finally:
        session.close()


def _seed_people(session: Session, community: Community) -> None:
    for name, its_english, kind, area in SPACES:
        session.add(Space(community_id=community.id, name=name, translations=english(name=its_english), kind=kind,
                          area_m2=area))
    for local, name, role in STAFF:
        ensure_user(session, local, name, role, None if role == "admin" else community.id)
    for local, name, born, attributes in RESIDENTS:
        ensure_resident(session, community, local, name, born, attributes)
    session.flush()


def ensure_resident(session: Session, community: Community, local: str, name: str, born: dt.date,
                    attributes: tuple[str, ...] = ()) -> User:
    """A resident with a date of birth, a home address and verified attributes."""
    user = ensure_user(session, local, name, "resident", community.id)
    if user.profile.date_of_birth is None:
        user.profile.date_of_birth = born
        user.profile.born_verified_at = utcnow()
        user.profile.address = f"和平路 {user.id} 号 {user.id % 3 + 1} 号楼"  # its building: demo_register
        for attribute in attributes:
            session.add(VerifiedAttribute(user_id=user.id, attribute=attribute))
    return user


def demo_user(session: Session, local: str) -> User | None:
    """A demo account by the part of its email before the @."""
    return session.scalar(select(User).where(User.email == f"{local}@example.org"))


def ensure_user(session: Session, local: str, name: str, role: str, community_id: int | None,
                operator_id: int | None = None) -> User:
    email = f"{local}@example.org"
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(session, email, name, PASSWORD)
    has = session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user.id, RoleGrant.role == role))
    if not has:
        accounts.grant(session, user, role, community_id, operator_id)
    return user


def ensure_operator(session: Session, community: Community, name: str, type_key: str, staff_local: str,
                    space_kind: str, donation: dict, translations: dict | None = None) -> Operator:
    """An active operator with one staff account and an active agreement for a space; ``translations`` as
    :func:`english` makes them."""
    operator = session.scalar(select(Operator).where(Operator.community_id == community.id, Operator.name == name))
    if operator is None:
        operator = Operator(community_id=community.id, name=name, translations=translations or {}, type=type_key,
                            status="active", contact_email=f"{staff_local}@example.org")
        session.add(operator)
        session.flush()
        space = session.scalar(select(Space).where(Space.community_id == community.id, Space.kind == space_kind))
        rule = validate_donation(donation)
        session.add(Agreement(operator_id=operator.id, space_id=space.id, starts_on=dt.date(2026, 1, 1),
                              ends_on=None, donation_kind=rule["kind"], donation_bps=rule.get("bps"),
                              donation_amount=rule.get("amount"), donation_period=rule.get("period"),
                              status="active"))
    ensure_user(session, staff_local, staff_name(name), "operator_staff", community.id, operator.id)
    return operator


def staff_name(operator_name: str) -> str:
    """The name of an operator's demo staff account: 和平社区食堂工作人员."""
    return f"{operator_name}工作人员"


def ensure_listing(session: Session, operator: Operator, title: str, description: str, price_rules: list[dict],
                   slots: list[tuple[dt.datetime, dt.datetime, int]] = (), details: dict | None = None,
                   translations: dict | None = None) -> Listing:
    """A listing with its title and description in the community's language (``translations``: the others)."""
    listing = session.scalar(select(Listing).where(Listing.operator_id == operator.id, Listing.title == title))
    if listing is None:
        listing = Listing(operator_id=operator.id, community_id=operator.community_id, type=operator.type,
                          title=title, description=description, translations=translations or {},
                          details=details or {},
                          price_rules=[r.as_json() for r in parse_rules(price_rules)])
        session.add(listing)
        session.flush()
        for starts_at, ends_at, capacity in slots:
            session.add(Slot(listing_id=listing.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity, taken=0))
        session.flush()
    return listing


def ensure_slot(session: Session, listing: Listing, starts_at: dt.datetime, ends_at: dt.datetime,
                capacity: int) -> Slot:
    """A slot of the listing at that time, made if missing."""
    slot = session.scalar(select(Slot).where(Slot.listing_id == listing.id, Slot.starts_at == starts_at))
    if slot is None:
        slot = Slot(listing_id=listing.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity, taken=0)
        session.add(slot)
        session.flush()
    return slot


def ensure_daily(session: Session, listing: Listing, today: dt.date, starts: dt.time, ends: dt.time,
                 capacity: int) -> None:
    """A demo time every day from tomorrow, as a weekly schedule: its slots are made four weeks ahead and kept so,
    so the demo never runs out of days to book."""
    found = session.scalar(select(Schedule.id).where(Schedule.listing_id == listing.id, Schedule.start_time == starts))
    if found is None:
        session.add(Schedule(listing_id=listing.id, weekdays=list(range(1, 8)), start_time=starts, end_time=ends,
                             capacity=capacity, valid_from=today + dt.timedelta(days=1)))
        session.flush()
    generate(session, listing_id=listing.id)


def slots_on(session: Session, listing: Listing, day: dt.date) -> list[Slot]:
    """A demo listing's slots starting on ``day`` (community time), earliest first."""
    zone = ZoneInfo(session.get(Community, listing.community_id).timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    return list(session.scalars(select(Slot).where(Slot.listing_id == listing.id, Slot.starts_at >= start,
                                                   Slot.starts_at < start + dt.timedelta(days=1))
                                .order_by(Slot.starts_at, Slot.id)))


def demo_listing(session: Session, community: Community, title: str) -> Listing | None:
    """A demo listing of the community by its title."""
    return session.scalar(select(Listing).where(Listing.community_id == community.id, Listing.title == title)
                          .order_by(Listing.id).limit(1))


def listing_slots(session: Session, listing: Listing) -> list[Slot]:
    """A demo listing's slots, earliest first."""
    return list(session.scalars(select(Slot).where(Slot.listing_id == listing.id).order_by(Slot.starts_at, Slot.id)))


def booker(app: Flask, session: Session):
    """``book(resident, slot, details=None, payment_method=None)``: one place, booked by the booking engine itself.

    The demo's bookings are priced, validated and placed exactly as the API's are
    (the operator types assign workers and stalls); a resident who holds a live
    booking of the slot already gets that one back, so seeding twice books once.
    """
    linli = app.extensions["linli"]

    def book(resident: User, slot: Slot, details: dict | None = None, payment_method: str | None = None) -> Booking:
        held = session.scalar(select(Booking).where(Booking.slot_id == slot.id, Booking.resident_id == resident.id,
                                                    Booking.status.in_(LIVE)))
        if held is not None:
            return held
        request = BookingRequest(slot_id=slot.id, quantity=1, payment_method=payment_method, details=details)
        return bookings.book(session, linli.plugins, linli.payments, resident, request)[0]

    return book


def ensure_past_booking(session: Session, resident: User, slot: Slot) -> Booking:
    """History: a free place in a slot that is over, booked and checked in, as the engine would have left it.

    The engine books only slots still to come, so the demo writes the past
    directly; only a free place, because a paid one would need its payment too.
    """
    found = session.scalar(select(Booking).where(Booking.slot_id == slot.id, Booking.resident_id == resident.id))
    if found is not None:
        return found
    listing = session.get(Listing, slot.listing_id)
    community = session.get(Community, listing.community_id)
    day = slot.starts_at.astimezone(ZoneInfo(community.timezone)).date()
    price = quote(parse_rules(listing.price_rules), person_for(resident, community.id, day), day, 1, community.currency)
    if price.total_amount != 0 or slot.ends_at > utcnow() or not try_take_places(session, slot.id, 1):
        raise ValueError("a past demo booking is a free place in a slot that is over and has one")
    booking = Booking(slot_id=slot.id, resident_id=resident.id, operator_id=listing.operator_id, quantity=1,
                      tier=price.tier, unit_amount=0, total_amount=0, currency=price.currency, rule=price.rule,
                      status="fulfilled", payment_method=None, details={})
    session.add(booking)
    session.flush()
    return booking


def local_time(community: Community, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time of the community on ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(community.timezone))


def next_days(today: dt.date, count: int = 7) -> list[dt.date]:
    """The ``count`` days after today ("the next 7 days" starts tomorrow)."""
    return [today + dt.timedelta(days=n) for n in range(1, count + 1)]


def next_weekday(today: dt.date, weekday: int) -> dt.date:
    """The first day after today that falls on ``weekday`` (Monday is 0)."""
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


__all__ = ["NEIGHBOURS", "booker", "demo_listing", "demo_user", "english", "ensure_daily", "ensure_listing",
           "ensure_operator", "ensure_past_booking", "ensure_resident", "ensure_slot", "ensure_user", "listing_slots",
           "local_time", "next_days", "next_weekday", "seed", "seed_activity", "slots_on", "staff_name"]
