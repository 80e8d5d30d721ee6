"""The workshop's rules: jobs, pieces within what was ordered, and the merchant's revenue once delivered."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from core import N_, conflict, invalid, not_found, text
from core.plugin_api import (
    Booking, Community, Listing, Operator, Slot, User, operator_of_type, paginate, record_revenue, require,
    require_user, utcnow,
)
from plugins.workshop import KEY
from plugins.workshop.models import WorkshopJob, WorkshopPieces

WORKERS = ("confirmed", "fulfilled")  # the bookings that make a resident a worker of a shift

JOB_NOT_FOUND = not_found("job_not_found", N_("We could not find job %(job_id)s."))
NOT_A_SHIFT = invalid("not_a_shift_here", N_("This is not a shift of this workshop."))
SHIFT_NOT_STARTED = conflict("shift_not_started", N_("Pieces are recorded once the shift has started."))
NOT_A_WORKER = invalid("not_a_worker_of_shift", N_("This person has no confirmed booking of this shift."))
JOB_DELIVERED = conflict("job_delivered", N_("This job was delivered: it takes no more pieces."))
TOO_MANY_PIECES = conflict("too_many_pieces", N_(
    "The job ordered %(ordered)s pieces and %(recorded)s are recorded: at most %(left)s more."))
DELIVERY_MEMO = N_("%(pieces)s × %(product)s delivered to %(merchant)s")
NOTHING_TO_DELIVER = conflict("nothing_to_deliver", N_("No pieces are recorded yet: there is nothing to deliver."))


def job_or_404(session, user, job_id: int) -> tuple[WorkshopJob, Operator]:
    require_user(user)
    job = session.get(WorkshopJob, job_id)
    if job is None:
        raise JOB_NOT_FOUND(job_id=job_id)
    return job, session.get(Operator, job.operator_id)


def create_job(session, user, operator_id: int, data: dict) -> WorkshopJob:
    """The workshop's staff take on a merchant's order."""
    operator = operator_of_type(session, user, operator_id, KEY, manage=True)
    job = WorkshopJob(operator_id=operator.id, currency=session.get(Community, operator.community_id).currency,
                      created_by_id=user.id, completed=0, status="open", **data)
    session.add(job)
    session.flush()
    return job


def jobs(session, user, operator_id: int, args: dict) -> dict:
    operator = operator_of_type(session, user, operator_id, KEY)
    query = select(WorkshopJob).where(WorkshopJob.operator_id == operator.id).order_by(WorkshopJob.id.desc())
    if args.get("status"):
        query = query.where(WorkshopJob.status == args["status"])
    return paginate(session, query, args)


def job(session, user, job_id: int) -> WorkshopJob:
    found, operator = job_or_404(session, user, job_id)
    operator_of_type(session, user, operator.id, KEY)
    return found


def pieces(session, user, job_id: int, args: dict) -> dict:
    found, operator = job_or_404(session, user, job_id)
    operator_of_type(session, user, operator.id, KEY)
    return paginate(session, select(WorkshopPieces).where(WorkshopPieces.job_id == found.id)
                    .order_by(WorkshopPieces.id), args)


def shift_workers(session, user, operator_id: int, days: int = 14) -> list[tuple[Slot, User]]:
    """Who booked the shifts of the last ``days`` days that have begun: whose pieces the staff may record."""
    operator = operator_of_type(session, user, operator_id, KEY, manage=True)
    now = utcnow()
    return [tuple(row) for row in session.execute(
        select(Slot, User).join(Booking, Booking.slot_id == Slot.id).join(User, User.id == Booking.resident_id)
        .join(Listing, Listing.id == Slot.listing_id)
        .where(Listing.operator_id == operator.id, Booking.status.in_(WORKERS), Slot.starts_at <= now,
               Slot.starts_at > now - dt.timedelta(days=days))
        .order_by(Slot.starts_at.desc(), User.name, User.id))]


def _worker_booking(session, job: WorkshopJob, slot_id: int, worker_id: int) -> Booking:
    """The worker's booking of a shift of this workshop that has started."""
    slot = session.get(Slot, slot_id)
    listing = slot and session.get(Listing, slot.listing_id)
    if listing is None or listing.operator_id != job.operator_id:
        raise NOT_A_SHIFT(field="slot_id")
    if slot.starts_at > utcnow():
        raise SHIFT_NOT_STARTED(field="slot_id")
    booking = session.scalar(select(Booking).where(Booking.slot_id == slot.id, Booking.resident_id == worker_id,
                                                   Booking.status.in_(WORKERS)).limit(1))
    if booking is None:
        raise NOT_A_WORKER(field="worker_id")
    return booking


def record_pieces(session, user, job_id: int, data: dict) -> WorkshopPieces:
    """Add pieces a worker made in a shift; the job never counts more pieces than were ordered."""
    job, operator = job_or_404(session, user, job_id)
    require(user, "operator_staff", operator_id=operator.id)
    if job.status != "open":
        raise JOB_DELIVERED()
    booking = _worker_booking(session, job, data["slot_id"], data["worker_id"])
    count = data["pieces"]
    taken = session.execute(
        update(WorkshopJob).where(WorkshopJob.id == job.id, WorkshopJob.status == "open",
                                  WorkshopJob.completed + count <= WorkshopJob.quantity)
        .values(completed=WorkshopJob.completed + count).execution_options(synchronize_session=False))
    session.refresh(job)
    if taken.rowcount != 1:
        if job.status != "open":
            raise JOB_DELIVERED()
        raise TOO_MANY_PIECES(ordered=job.quantity, recorded=job.completed, left=job.remaining, field="pieces")
    record = WorkshopPieces(job_id=job.id, booking_id=booking.id, slot_id=booking.slot_id,
                            worker_id=booking.resident_id, pieces=count, recorded_by_id=user.id)
    session.add(record)
    session.flush()
    return record


def deliver(session, user, job_id: int) -> WorkshopJob:
    """The pieces made go to the merchant: the job closes and its contract revenue is posted, once."""
    job, operator = job_or_404(session, user, job_id)
    require(user, "operator_staff", operator_id=operator.id)
    today = utcnow().astimezone(ZoneInfo(session.get(Community, operator.community_id).timezone)).date()
    closed = session.execute(
        update(WorkshopJob).where(WorkshopJob.id == job.id, WorkshopJob.status == "open", WorkshopJob.completed > 0)
        .values(status="delivered", delivered_on=today).execution_options(synchronize_session=False))
    session.refresh(job)
    if closed.rowcount != 1:
        raise JOB_DELIVERED() if job.status != "open" else NOTHING_TO_DELIVER()
    record_revenue(session, operator, job.revenue_amount, f"workshop:job:{job.id}",
                   text(DELIVERY_MEMO, merchant=job.merchant, pieces=job.completed, product=job.product),
                   effective_on=today)
    return job


def ensure_job(session, operator: Operator, staff, data: dict) -> WorkshopJob:
    """The job of this merchant and product, taken on if the workshop has none (demo data)."""
    found = session.scalar(select(WorkshopJob).where(WorkshopJob.operator_id == operator.id,
                                                     WorkshopJob.merchant == data["merchant"],
                                                     WorkshopJob.product == data["product"]))
    return found or create_job(session, staff, operator.id, data)


def ensure_pieces(session, staff, job: WorkshopJob, booking: Booking, count: int) -> None:
    """Demo data: the pieces of this booking's shift on this job, recorded once."""
    if session.scalar(select(WorkshopPieces.id).where(WorkshopPieces.job_id == job.id,
                                                      WorkshopPieces.booking_id == booking.id)) is None:
        record_pieces(session, staff, job.id, {"slot_id": booking.slot_id, "worker_id": booking.resident_id,
                                               "pieces": count})
