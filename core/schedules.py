"""An operator's week: schedules that make slots ahead of time, days closed, and times called off.

A canteen sets its week once (weekdays, hours, places, from a date); slots are made from it for the next
:data:`HORIZON_DAYS` days in the community's time, at once and then daily (``linli generate-slots``), each slot
once however often that runs. Closing a day or calling off one time cancels every live booking on it with a
full refund and the reason, which the resident reads on the booking.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import audit, waitlist
from core import booking as bookings
from core.db import utcnow
from core.errors import N_, conflict, invalid
from core.listings import require_operator_staff, touch_catalog
from core.models import TAKING_BOOKINGS, Booking, Closure, Community, Listing, Operator, Schedule, Slot, User

if TYPE_CHECKING:
    from core.plugins import Plugins

HORIZON_DAYS = 28

NO_WEEKDAYS = invalid("no_weekdays", N_("Please choose at least one day of the week."))
HOURS_BACKWARDS = invalid("schedule_ends_before_start", N_("The time must end after it starts."))
VALIDITY_BACKWARDS = invalid("schedule_until_before_from", N_("The last day must not be before the first."))
DAY_IN_THE_PAST = invalid("day_in_the_past", N_("That day is over: please choose today or a later day."))
ALREADY_CLOSED = conflict("already_closed", N_("This service is already closed on %(day)s."))
SLOT_ALREADY_CANCELLED = conflict("slot_already_cancelled", N_("This time has already been called off."))
FEWER_THAN_BOOKED = conflict("fewer_than_booked", N_(
    "%(taken)s places of this time are booked already: it cannot have fewer."))
SLOT_OVER = conflict("slot_over", N_("This time has already started; it can no longer be changed or called off."))


def today_in(community: Community, now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(ZoneInfo(community.timezone)).date()


def add_schedule(session: Session, actor: User, listing: Listing, weekdays: list[int], start_time: dt.time,
                 end_time: dt.time, capacity: int, valid_from: dt.date,
                 valid_until: dt.date | None) -> tuple[Schedule, int]:
    """A new weekly schedule, and how many slots were made from it at once for the days ahead."""
    require_operator_staff(actor, session.get(Operator, listing.operator_id))
    if not weekdays:
        raise NO_WEEKDAYS(field="weekdays")
    if end_time <= start_time:
        raise HOURS_BACKWARDS(field="end_time")
    if valid_until is not None and valid_until < valid_from:
        raise VALIDITY_BACKWARDS(field="valid_until")
    schedule = Schedule(listing_id=listing.id, weekdays=sorted(set(weekdays)), start_time=start_time,
                        end_time=end_time, capacity=capacity, valid_from=valid_from, valid_until=valid_until)
    session.add(schedule)
    session.flush()
    audit.record(session, actor, "schedule_added", "listing", listing.id, listing.community_id,
                 schedule_id=schedule.id)
    return schedule, generate(session, listing_id=listing.id)


def generate(session: Session, now: dt.datetime | None = None, listing_id: int | None = None) -> int:
    """Make every missing slot of the schedules (of one listing, or all) for the next :data:`HORIZON_DAYS` days,
    skipping closed days and times already begun; return how many were made. Safe to run twice, or at once.

    Only operators taking bookings get new times: a suspended one gets them again once reinstated."""
    now = now or utcnow()
    query = (select(Schedule, Community).join(Listing, Listing.id == Schedule.listing_id)
             .join(Operator, Operator.id == Listing.operator_id).where(Operator.status.in_(TAKING_BOOKINGS))
             .join(Community, Community.id == Listing.community_id))
    if listing_id is not None:
        query = query.where(Schedule.listing_id == listing_id)
    rows, communities = [], set()
    for schedule, community in session.execute(query).all():
        made = _missing_slots(session, schedule, community, now)
        rows += made
        if made:
            communities.add(community.id)
    if rows:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(Slot).on_conflict_do_nothing(index_elements=["schedule_id", "starts_at"]),
                        rows)
        touch_catalog(session.connection(), communities)
    return len(rows)


def _missing_slots(session: Session, schedule: Schedule, community: Community, now: dt.datetime) -> list[dict]:
    zone = ZoneInfo(community.timezone)
    first = max(schedule.valid_from, today_in(community, now))
    last = today_in(community, now) + dt.timedelta(days=HORIZON_DAYS)
    if schedule.valid_until is not None:
        last = min(last, schedule.valid_until)
    if last < first:
        return []
    made = set(session.scalars(select(Slot.starts_at).where(
        Slot.schedule_id == schedule.id, Slot.starts_at >= dt.datetime.combine(first, dt.time(), zone))))
    closed = set(session.scalars(select(Closure.day).where(
        Closure.listing_id == schedule.listing_id, Closure.day.between(first, last))))
    rows = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        starts = dt.datetime.combine(day, schedule.start_time, zone)
        if day.isoweekday() not in schedule.weekdays or day in closed or starts <= now or starts in made:
            continue
        rows.append({"listing_id": schedule.listing_id, "schedule_id": schedule.id, "starts_at": starts,
                     "ends_at": dt.datetime.combine(day, schedule.end_time, zone), "capacity": schedule.capacity,
                     "taken": 0})
    return rows


def schedules_of(session: Session, listing: Listing) -> list[Schedule]:
    return list(session.scalars(select(Schedule).where(Schedule.listing_id == listing.id).order_by(Schedule.id)))


def closures_of(session: Session, listing: Listing, since: dt.date) -> list[Closure]:
    return list(session.scalars(select(Closure).where(Closure.listing_id == listing.id, Closure.day >= since)
                                .order_by(Closure.day)))


def close_day(session: Session, plugins: Plugins, payments: bookings.Payments, actor: User, listing: Listing,
              day: dt.date, reason: str) -> tuple[Closure, list[Booking]]:
    """Close the listing on ``day``: no slot is made that day, and each of its times is called off."""
    require_operator_staff(actor, session.get(Operator, listing.operator_id))
    community = session.get(Community, listing.community_id)
    if day < today_in(community):
        raise DAY_IN_THE_PAST(field="date")
    if session.scalar(select(Closure.id).where(Closure.listing_id == listing.id, Closure.day == day)):
        raise ALREADY_CLOSED(day=day.isoformat(), field="date")
    closure = Closure(listing_id=listing.id, day=day, reason=reason, created_by_id=actor.id)
    session.add(closure)
    session.flush()
    zone = ZoneInfo(community.timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    slots = session.scalars(select(Slot).where(
        Slot.listing_id == listing.id, Slot.cancelled_at.is_(None), Slot.starts_at >= max(start, utcnow()),
        Slot.starts_at < start + dt.timedelta(days=1)).order_by(Slot.starts_at)).all()
    cancelled = [b for slot in slots for b in call_off_slot(session, plugins, payments, actor, slot, reason)]
    audit.record(session, actor, "day_closed", "listing", listing.id, listing.community_id, day=day.isoformat(),
                 reason=reason, bookings_cancelled=len(cancelled))
    return closure, cancelled


def _still_to_come(session: Session, actor: User, slot: Slot) -> bookings.SlotContext:
    """A time its operator's staff may still change: not called off, not begun."""
    ctx = bookings.slot_context(session, slot.id)
    require_operator_staff(actor, ctx.operator)
    if slot.cancelled_at is not None:
        raise SLOT_ALREADY_CANCELLED()
    if slot.starts_at <= utcnow():
        raise SLOT_OVER()
    return ctx


def cancel_slot(session: Session, plugins: Plugins, payments: bookings.Payments, actor: User, slot: Slot,
                reason: str) -> list[Booking]:
    """Call off one time: it takes no more bookings, and each live booking on it is cancelled and refunded."""
    ctx = _still_to_come(session, actor, slot)
    cancelled = call_off_slot(session, plugins, payments, actor, slot, reason)
    audit.record(session, actor, "slot_cancelled", "slot", slot.id, ctx.community.id, reason=reason,
                 bookings_cancelled=len(cancelled))
    return cancelled


def change_places(session: Session, actor: User, slot: Slot, capacity: int) -> Slot:
    """One time's places changed by hand (a bigger hall on a holiday, fewer cooks one day): never below the places
    booked, checked in the same UPDATE that changes it, so a booking racing it cannot slip under."""
    ctx = _still_to_come(session, actor, slot)
    result = session.execute(update(Slot).where(Slot.id == slot.id, Slot.taken <= capacity)
                             .values(capacity=capacity).execution_options(synchronize_session=False))
    session.refresh(slot)
    if result.rowcount != 1:
        raise FEWER_THAN_BOOKED(taken=slot.taken, field="capacity")
    waitlist.offer(session, slot.id)  # places added go to those waiting first
    session.refresh(slot)
    touch_catalog(session.connection(), {ctx.community.id})
    audit.record(session, actor, "slot_places_changed", "slot", slot.id, ctx.community.id, capacity=capacity)
    return slot


def call_off_slot(session: Session, plugins: Plugins, payments: bookings.Payments, actor: User, slot: Slot,
              reason: str) -> list[Booking]:
    """Mark the slot called off first (a conditional UPDATE that holds its row, so a booking racing it either
    committed before, and is cancelled here, or finds it called off), then cancel what is live on it."""
    result = session.execute(
        update(Slot).where(Slot.id == slot.id, Slot.cancelled_at.is_(None))
        .values(cancelled_at=utcnow(), cancel_reason=reason).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise SLOT_ALREADY_CANCELLED()
    session.refresh(slot)
    ctx = bookings.slot_context(session, slot.id)
    touch_catalog(session.connection(), {ctx.community.id})
    live = session.scalars(select(Booking).where(Booking.slot_id == slot.id, Booking.status.in_(bookings.LIVE))
                           .order_by(Booking.id)).all()
    for booking in live:
        bookings.call_off(session, plugins, payments, booking, ctx, actor, reason)
    return list(live)


def upcoming_slots(session: Session, listing: Listing, days: int) -> list[Slot]:
    """The listing's times from now over the next ``days`` days, called-off ones included (they say so)."""
    now = utcnow()
    return list(session.scalars(select(Slot).where(
        Slot.listing_id == listing.id, Slot.starts_at > now, Slot.starts_at < now + dt.timedelta(days=days))
        .order_by(Slot.starts_at, Slot.id)))

