"""The housekeeping centre's rules: its roster, sending a free worker to each visit, trainee allowances, agency fees.

A worker is never sent to two live bookings whose time windows overlap. Every
assignment locks the rows of the centre's active workers (in id order, so two
bookings never wait on each other) and only then looks at who is busy: on
PostgreSQL a concurrent booking waits for the lock and then sees the committed
assignment; SQLite lets one writer in at a time. An assignment counts while its
booking is live, so a cancelled or expired booking frees its worker at once.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import N_, conflict, not_found, share_bps
from core.plugin_api import Booking, Operator, declare_cost, operator_of_type, require, utcnow
from plugins.housekeeping import KEY
from plugins.housekeeping.models import Assignment, Worker
from plugins.housekeeping.schemas import WORKER_SERVICES

LIVE = ("pending_payment", "confirmed", "fulfilled")

WORKER_NOT_FOUND = not_found("worker_not_found", N_("We could not find worker %(worker_id)s."))
NO_WORKER_FREE = conflict("no_worker_free", N_(
    "No trained worker is free at this time: every one is booked. Please choose another time."))


def roster(operator: Operator):
    return select(Worker).where(Worker.operator_id == operator.id).order_by(Worker.id)


def add_worker(session, operator: Operator, name: str, skills: list[str], active: bool) -> Worker:
    worker = Worker(operator_id=operator.id, name=name, skills=sorted(set(skills)), active=active)
    session.add(worker)
    session.flush()
    return worker


def worker_to_manage(session, user, worker_id: int) -> Worker:
    """A worker of a centre whose roster the user keeps (its staff)."""
    require(user, "operator_staff")
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise WORKER_NOT_FOUND(worker_id=worker_id)
    operator_of_type(session, user, worker.operator_id, KEY, manage=True)
    return worker


def update_worker(session, user, worker_id: int, changes: dict) -> Worker:
    worker = worker_to_manage(session, user, worker_id)
    if "skills" in changes:
        changes = {**changes, "skills": sorted(set(changes["skills"]))}
    for field, value in changes.items():
        setattr(worker, field, value)
    session.flush()
    return worker


def coming_visits(session, operator: Operator) -> dict[int, list[dict]]:
    """Each worker's live visits still to come, earliest first: when, where, and for which booking."""
    rows = session.execute(
        select(Assignment.worker_id, Assignment.starts_at, Assignment.ends_at, Booking.id, Booking.details)
        .join(Booking, Booking.id == Assignment.booking_id)
        .where(Booking.operator_id == operator.id, Booking.status.in_(LIVE), Assignment.ends_at > utcnow())
        .order_by(Assignment.starts_at, Booking.id))
    visits: dict[int, list[dict]] = {}
    for worker_id, starts_at, ends_at, booking_id, details in rows:
        visits.setdefault(worker_id, []).append({"starts_at": starts_at, "ends_at": ends_at, "booking_id": booking_id,
                                                 "address": details.get("address")})
    return visits


def _free_worker(session, operator_id: int, service: str, starts_at: dt.datetime, ends_at: dt.datetime,
                 booking_id: int, preferred: int | None) -> Worker | None:
    """Lock the centre's active workers, then return one with the skill and no overlapping live visit: the
    ``preferred`` one if they are free, else the first."""
    workers = session.scalars(select(Worker).where(Worker.operator_id == operator_id, Worker.active.is_(True))
                              .order_by(Worker.id).with_for_update()).all()
    busy = set(session.scalars(
        select(Assignment.worker_id).join(Booking, Booking.id == Assignment.booking_id)
        .where(Assignment.worker_id.in_([w.id for w in workers]), Booking.status.in_(LIVE),
               Booking.id != booking_id, Assignment.starts_at < ends_at, Assignment.ends_at > starts_at)))
    free = [w for w in workers if service in w.skills and w.id not in busy]
    return next((w for w in free if w.id == preferred), free[0] if free else None)


def assign_worker(session, booking: Booking, ctx) -> None:
    """Send a free worker who has the listing's skill; refuse the booking (409) when nobody is free.

    A booking revived after a late payment keeps its worker if they are still free, and otherwise gets another.
    """
    service = ctx.listing.details.get("service", "cleaning")
    if service not in WORKER_SERVICES:
        return
    slot = ctx.slot
    assignment = session.scalar(select(Assignment).where(Assignment.booking_id == booking.id))
    worker = _free_worker(session, ctx.operator.id, service, slot.starts_at, slot.ends_at, booking.id,
                          assignment.worker_id if assignment else None)
    if worker is None:
        raise NO_WORKER_FREE(field="slot_id")
    if assignment is None:
        session.add(Assignment(booking_id=booking.id, worker_id=worker.id, starts_at=slot.starts_at,
                               ends_at=slot.ends_at))
    else:
        assignment.worker_id = worker.id
    booking.details = {**booking.details, "worker": {"id": worker.id, "name": worker.name}}
    session.flush()


def record_trainee_allowance(session, booking: Booking, ctx, actor) -> None:
    """A trainee checked in to a training course: their lunch and travel for each course day is the centre's cost."""
    per_day = ctx.listing.details.get("trainee_allowance_amount")
    if ctx.listing.details.get("service") != "training" or not per_day:
        return
    zone = ZoneInfo(ctx.community.timezone)
    days = (ctx.slot.ends_at.astimezone(zone).date() - ctx.slot.starts_at.astimezone(zone).date()).days + 1
    today = dt.datetime.now(zone).date()
    declare_cost(session, actor, ctx.operator, f"{today:%Y-%m}", per_day * booking.quantity * days,
                 f"trainee allowance (lunch and travel), booking {booking.id}: "
                 f"{booking.quantity} trainee(s) × {days} day(s) × {per_day}", ctx.community.currency)


def agency_fee_donation(agreement, base) -> int | None:
    """The agreement's share of the agency fee only (the worker's fee is the worker's); None where no fee is set."""
    fee = base.listing_details.get("agency_fee_amount")
    if base.when != "payment" or fee is None or agreement.donation_kind != "percent_of_revenue":
        return None
    return share_bps(min(fee * base.quantity, base.revenue), agreement.donation_bps)


def ensure_workers(session, operator: Operator, workers: list[tuple[str, list[str]]]) -> None:
    """Demo roster: each named worker once."""
    known = set(session.scalars(select(Worker.name).where(Worker.operator_id == operator.id)))
    for name, skills in workers:
        if name not in known:
            add_worker(session, operator, name, skills, True)
