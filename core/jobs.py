"""The core's background work: the tasks that follow a change, and the periodic jobs (SPEC §11.4).

Every job is idempotent — run twice, it changes nothing the second time — so a retry, a sweep or two schedulers
never do a thing twice. The schedules are in UTC (Celery beat's clock); what depends on a community's day (the
month's end) is decided in the community's own time zone by the job itself.
"""
from __future__ import annotations

import datetime as dt

from celery.schedules import crontab
from celery.schedules import schedule as every
from sqlalchemy import delete, select

from core import booking as bookings
from core import checks, ledger, outbox, schedules, settlement
from core.models import ApiToken, Booking, Community, IdempotentRequest, JobRun, StripeEvent
from core.outbox import enqueue
from core.tasks import Failed, JobContext, Task

RETENTION = dt.timedelta(days=90)
"""How long idempotency keys, processed webhook events, done tasks and job runs are kept (SPEC §11.4)."""


def booking_event(job: JobContext, event: str, booking_id: int) -> str:
    """A booking changed status (committed): the plugins hear of it; a hold that ran out stops its payment."""
    bookings.announced(job.session, job.plugins, event, booking_id)
    if event == "booking_expired":
        enqueue(job.session, "payments.hold_ended", booking_id=booking_id)
    return event


def hold_ended(job: JobContext, booking_id: int) -> None:
    """Cancel the provider's payment of a booking whose hold ran out (retried while the provider is down)."""
    booking = job.session.get(Booking, booking_id)
    if booking.status == "expired":
        job.payments.hold_ended(job.session, booking)


def expire_holds(job: JobContext) -> str:
    count = bookings.expire_holds(job.session, job.plugins, job.now)
    return f"{count} holds expired"


def generate_slots(job: JobContext) -> str:
    return f"{schedules.generate(job.session, job.now)} slots made"


def settle_last_month(job: JobContext) -> str:
    """On a community's 1st (its own time zone), settle the month before: it posts nothing twice."""
    settled = []
    for community in job.session.scalars(select(Community).order_by(Community.id)):
        today = ledger.local_today(community)
        if today.day != 1:
            continue
        period = ledger.period_of(today - dt.timedelta(days=1))
        settlement.settle(job.session, job.plugins.operator_types, community, period)
        settled.append(f"{community.slug} {period}")
    return f"settled {', '.join(settled)}" if settled else "no community's month ended"


def nightly_check(job: JobContext) -> str:
    """``linli check`` and ``linli verify-ledger``: a failure is recorded as the run's outcome."""
    found = checks.violations(job.session)
    for community in job.session.scalars(select(Community).order_by(Community.id)):
        found += [f"{community.slug}: chain broken at {problem}" for problem in ledger.verify(job.session, community.id)]
    if found:
        return Failed(f"{len(found)} violations: " + "; ".join(found))
    return "all invariants hold, every chain intact"


def purge_old_records(job: JobContext) -> str:
    """Forget what is only kept for a while: idempotency keys, expired tokens, processed webhook events, done tasks."""
    before = job.now - RETENTION
    session = job.session
    counts = {
        "idempotency keys": session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < before)),
        "expired tokens": session.execute(delete(ApiToken).where(ApiToken.expires_at < job.now)),
        "webhook events": session.execute(delete(StripeEvent).where(StripeEvent.received_at < before)),
        "job runs": session.execute(delete(JobRun).where(JobRun.finished_at < before)),
    }
    counts = {name: result.rowcount for name, result in counts.items()}
    counts["done tasks"] = outbox.purge_done(session, before)
    return ", ".join(f"{count} {name}" for name, count in counts.items())


CORE_TASKS = (
    Task(bookings.BOOKING_EVENT, booking_event),
    Task("payments.hold_ended", hold_ended),
    Task("expire_holds", expire_holds, schedule=every(dt.timedelta(minutes=1))),
    Task("generate_slots", generate_slots, schedule=crontab(minute=5)),
    Task("settle_last_month", settle_last_month, schedule=crontab(minute=30)),
    Task("nightly_check", nightly_check, schedule=crontab(hour=19, minute=0)),  # 03:00 in China
    Task("purge_old_records", purge_old_records, schedule=crontab(hour=20, minute=0)),
)
