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

from core import Conflict, Forbidden, NotFound, share_bps
from core.plugin_api import (
    Booking, Operator, commit, declare_cost, has_role, require, slot_context, utcnow,
)
from plugins.housekeeping.models import Assignment, Worker
from plugins.housekeeping.schemas import WORKER_SERVICES

KEY = "housekeeping"
LIVE = ("pending_payment", "confirmed", "fulfilled")


def centre(session, user, operator_id: int, manage: bool) -> Operator:
    """The housekeeping operator, if the user may read (its staff, community staff) or manage (its staff) its roster."""
    require(user, *(("operator_staff",) if manage else ("operator_staff", "community_staff")))
    operator = session.get(Operator, operator_id)
    if operator is None or operator.type != KEY:
        raise NotFound(f"no housekeeping centre {operator_id}")
    if not (has_role(user, "operator_staff", operator_id=operator.id)
            or (not manage and has_role(user, "community_staff", community_id=operator.community_id))):
        raise Forbidden("only the centre's own staff" + ("" if manage else " or the community's staff") + " may do this")
    return operator


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
        raise NotFound(f"no worker {worker_id}")
    centre(session, user, worker.operator_id, manage=True)
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
                 booking_id: int) -> Worker | None:
    """Lock the centre's active workers, then return the first with the skill and no overlapping live visit."""
    workers = session.scalars(select(Worker).where(Worker.operator_id == operator_id, Worker.active.is_(True))
                              .order_by(Worker.id).with_for_update()).all()
    busy = set(session.scalars(
        select(Assignment.worker_id).join(Booking, Booking.id == Assignment.booking_id)
        .where(Assignment.worker_id.in_([w.id for w in workers]), Booking.status.in_(LIVE),
               Booking.id != booking_id, Assignment.starts_at < ends_at, Assignment.ends_at > starts_at)))
    return next((w for w in workers if service in w.skills and w.id not in busy), None)


def _show_worker(booking: Booking, worker: Worker | None) -> None:
    booking.details = {**booking.details, "worker": {"id": worker.id, "name": worker.name} if worker else None}


def assign_worker(session, booking: Booking, listing, slot) -> None:
    """Send a free worker who has the listing's skill; refuse the booking (409) when nobody is free."""
    service = listing.details.get("service", "cleaning")
    if listing.type != KEY or service not in WORKER_SERVICES:
        return
    worker = _free_worker(session, listing.operator_id, service, slot.starts_at, slot.ends_at, booking.id)
    if worker is None:
        raise Conflict(f"no {service.replace('_', ' ')} worker is free at this time: every one is booked",
                       {"slot_id": ["no worker is free for this slot; choose another time"]})
    session.add(Assignment(booking_id=booking.id, worker_id=worker.id, starts_at=slot.starts_at,
                           ends_at=slot.ends_at))
    _show_worker(booking, worker)
    session.flush()


def keep_worker(session, booking: Booking) -> None:
    """A booking paid after its hold ran out lives again: if its worker was sent elsewhere meanwhile, find another.

    The core revives such a booking without asking the plugins, so this runs after
    its commit and cannot refuse it: with nobody free the visit stays unassigned
    (``details.worker`` is null) for the centre to arrange.
    """
    if booking.operator.type != KEY:
        return
    assignment = session.scalar(select(Assignment).where(Assignment.booking_id == booking.id))
    if assignment is None or not _clashes(session, assignment):
        return
    ctx = slot_context(session, booking.slot_id)
    service = ctx.listing.details.get("service", "cleaning")
    worker = _free_worker(session, booking.operator_id, service, assignment.starts_at, assignment.ends_at, booking.id)
    if worker is None:
        session.delete(assignment)
    else:
        assignment.worker_id = worker.id
    _show_worker(booking, worker)
    commit(session)


def _clashes(session, assignment: Assignment) -> bool:
    return session.scalar(
        select(Assignment.id).join(Booking, Booking.id == Assignment.booking_id)
        .where(Assignment.worker_id == assignment.worker_id, Assignment.id != assignment.id,
               Booking.status.in_(LIVE), Assignment.starts_at < assignment.ends_at,
               Assignment.ends_at > assignment.starts_at).limit(1)) is not None


def record_trainee_allowance(session, booking: Booking, actor) -> None:
    """A trainee checked in to a training course: their lunch and travel for each course day is the centre's cost."""
    ctx = slot_context(session, booking.slot_id)
    per_day = ctx.listing.details.get("trainee_allowance_amount")
    if ctx.listing.type != KEY or ctx.listing.details.get("service") != "training" or not per_day:
        return
    zone = ZoneInfo(ctx.community.timezone)
    days = (ctx.slot.ends_at.astimezone(zone).date() - ctx.slot.starts_at.astimezone(zone).date()).days + 1
    today = dt.datetime.now(zone).date()
    declare_cost(session, actor, ctx.operator, f"{today:%Y-%m}", per_day * booking.quantity * days,
                 f"trainee allowance (lunch and travel), booking {booking.id}: "
                 f"{booking.quantity} trainee(s) × {days} day(s) × {per_day}", ctx.community.currency)
    commit(session)


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
