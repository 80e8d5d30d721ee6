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
from core import checks, complaints, evaluation, ledger, notices, outbox, schedules, settlement, waitlist
from core.errors import N_, Message
from core.models import ApiToken, Booking, Community, IdempotentRequest, JobRun, PaymentEvent
from core.outbox import enqueue
from core.outgoing import DELIVER
from core.payments import shares, statements
from core.tasks import Failed, JobContext, Task

HOLDS_EXPIRED = N_("%(count)s payment holds expired, %(told)s residents reminded to pay")
SPLITS_ASKED = N_("%(count)s splits of the fund's share asked after")
STATEMENTS_IMPORTED = N_("Statements imported: %(imported)s; committees told of differences: %(told)s")
STATEMENTS_FAILED = N_("Statements imported: %(imported)s; no answer from: %(failed)s")
REMINDED = N_("%(count)s residents reminded of tomorrow")
SLOTS_MADE = N_("%(count)s times made")
SETTLED = N_("Settled: %(months)s")
NO_MONTH_ENDED = N_("No community's month ended today")
EVALUATED = N_("Operators scored: %(months)s")
VIOLATIONS = N_("%(count)s problems found: %(found)s")
ALL_HOLD = N_("Every check holds, every chain is intact")
OFFERS_LAPSED = N_("%(count)s waiting list offers ran out and went to the next in line")
OVERDUE_FLAGGED = N_("%(count)s complaints flagged overdue")
PURGED = N_("Forgotten: %(keys)s idempotency keys, %(tokens)s expired tokens, %(events)s webhook events, "
            "%(runs)s job runs, %(tasks)s done tasks")

RETENTION = dt.timedelta(days=90)
"""How long idempotency keys, processed webhook events, done tasks and job runs are kept (SPEC §11.4)."""


def booking_event(job: JobContext, events: list[str], booking_id: int) -> str:
    """A booking changed status (committed): the plugins hear of it, its resident is told what they need to know, and
    a hold that ran out stops its payment."""
    booking = job.session.get(Booking, booking_id)
    for event in events:
        bookings.announced(job.session, job.plugins, event, booking_id)
        notices.booking_event(job.session, event, booking)
    if "booking_expired" in events:
        enqueue(job.session, "payments.hold_ended", booking_id=booking_id)
    return ", ".join(events)


def hold_ended(job: JobContext, booking_id: int) -> None:
    """Cancel the provider's payment of a booking whose hold ran out (retried while the provider is down)."""
    booking = job.session.get(Booking, booking_id)
    if booking.status == "expired":
        job.payments.hold_ended(job.session, booking)


def split_share(job: JobContext, payment_id: int) -> None:
    """Request the fund's share of a payment from its provider, or ask how the request went (retried with backoff
    while the provider does not answer)."""
    shares.step(job.session, job.payments.providers, job.config, payment_id)


def split_shares(job: JobContext) -> Message:
    """Ask after every split still to request or still processing at the provider (the notifications may be lost)."""
    waiting = shares.open_splits(job.session)
    for payment_id in waiting:
        enqueue(job.session, "payments.split_share", payment_id=payment_id)
    return Message(SPLITS_ASKED, {"count": len(waiting)})


def fetch_statements(job: JobContext) -> Message | Failed:
    """Import the payment services' statements of the last days and tell each committee of the differences with
    the books it has not heard of (a service that does not answer fails the run: tried again the next night)."""
    imported, failed = statements.nightly(job.session, job.payments.providers, job.config, job.now)
    told = 0
    for community in job.session.scalars(select(Community).order_by(Community.id)):
        for period in statements.periods_to_check(job.now):
            told += notices.statement_mismatch(job.session, community, period,
                                               statements.matches(job.session, community, period))
    names = ", ".join(imported) or "-"
    if failed:
        return Failed(Message(STATEMENTS_FAILED, {"imported": names, "failed": ", ".join(failed)}))
    return Message(STATEMENTS_IMPORTED, {"imported": names, "told": told})


def expire_holds(job: JobContext) -> Message:
    """Holds that ran out let their places go (and their payments stop); those about to run out are reminded."""
    expired = bookings.expire_holds(job.session, job.plugins, job.now)
    return Message(HOLDS_EXPIRED, {"count": expired, "told": notices.holds_running_out(job.session, job.now)})


def lapse_waitlist_offers(job: JobContext) -> Message:
    """Places held for waiting residents who did not answer in time go to the next in line (idempotent: a lapsed
    offer is not offered any more)."""
    return Message(OFFERS_LAPSED, {"count": waitlist.lapse(job.session, job.now)})


def send_reminders(job: JobContext) -> Message:
    """The day before a booking, from the configured hour of the community's day, its resident is reminded once."""
    return Message(REMINDED, {"count": notices.remind_tomorrow(job.session, job.now, job.config["REMINDER_HOUR"])})


def generate_slots(job: JobContext) -> Message:
    return Message(SLOTS_MADE, {"count": schedules.generate(job.session, job.now)})


def months_ended_today(session) -> list[tuple[Community, str, dt.date]]:
    """Each community whose 1st it is today (its own time zone), with the month that ended and its today."""
    ended = []
    for community in session.scalars(select(Community).order_by(Community.id)):
        today = ledger.local_today(community)
        if today.day == 1:
            ended.append((community, ledger.period_of(today - dt.timedelta(days=1)), today))
    return ended


def settle_last_month(job: JobContext) -> Message:
    """On a community's 1st (its own time zone), settle the month before: it posts nothing twice."""
    settled = []
    for community, period, _ in months_ended_today(job.session):
        settlement.settle(job.session, job.plugins.operator_types, community, period)
        notices.statements_ready(job.session, community, period)
        settled.append(f"{community.slug} {period}")
    return Message(SETTLED, {"months": ", ".join(settled)}) if settled else Message(NO_MONTH_ENDED)


def evaluate_last_month(job: JobContext) -> Message:
    """On a community's 1st, after its settlement, score each operator's month before (and on 1 January grade the
    year before): scoring again replaces the scores and warns or proposes nothing twice."""
    scored = []
    for community, period, today in months_ended_today(job.session):
        evaluation.evaluate(job.session, community, period)
        if today.month == 1:
            evaluation.grade_year(job.session, community, today.year - 1)
        scored.append(f"{community.slug} {period}")
    return Message(EVALUATED, {"months": ", ".join(scored)}) if scored else Message(NO_MONTH_ENDED)


def nightly_check(job: JobContext) -> Message | Failed:
    """``linli check`` (which verifies every community's chain, as ``linli verify-ledger`` does): a failure is
    recorded as the run's outcome."""
    found = checks.violations(job.session)  # every community's chain too
    if found:
        notices.check_failed(job.session, job.now.date(), found)
        return Failed(Message(VIOLATIONS, {"count": len(found), "found": "; ".join(found)}))
    return Message(ALL_HOLD)


def flag_overdue_complaints(job: JobContext) -> Message:
    """Complaints not resolved by their due day (the community's) are flagged, and the staff told, once."""
    return Message(OVERDUE_FLAGGED, {"count": complaints.flag_overdue(job.session, job.now)})


def purge_old_records(job: JobContext) -> Message:
    """Forget what is only kept for a while: idempotency keys, expired tokens, processed webhook events, done tasks."""
    before = job.now - RETENTION
    session = job.session
    counts = {
        "keys": session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < before)),
        "tokens": session.execute(delete(ApiToken).where(ApiToken.expires_at < job.now)),
        "events": session.execute(delete(PaymentEvent).where(PaymentEvent.received_at < before)),
        "runs": session.execute(delete(JobRun).where(JobRun.finished_at < before)),
    }
    counts = {name: result.rowcount for name, result in counts.items()}
    return Message(PURGED, {**counts, "tasks": outbox.purge_done(session, before)})


CORE_TASKS = (
    Task(bookings.BOOKING_EVENT, booking_event),
    Task("payments.hold_ended", hold_ended),
    Task("payments.split_share", split_share),
    Task("payments.split_shares", split_shares, schedule=every(dt.timedelta(minutes=10)),
         label=N_("Ask after the splits of the fund's share")),
    Task("payments.fetch_statements", fetch_statements, schedule=crontab(hour=18, minute=30),  # 02:30 in China
         label=N_("Match the payment services' statements")),
    DELIVER,
    Task("expire_holds", expire_holds, schedule=every(dt.timedelta(minutes=1)), label=N_("Expire payment holds")),
    Task("waitlist.lapse", lapse_waitlist_offers, schedule=every(dt.timedelta(minutes=1)),
         label=N_("Pass on waiting list offers that ran out")),
    Task("send_reminders", send_reminders, schedule=every(dt.timedelta(minutes=1)),
         label=N_("Remind residents the day before")),
    Task("generate_slots", generate_slots, schedule=crontab(minute=5), label=N_("Make the times of the coming weeks")),
    Task("settle_last_month", settle_last_month, schedule=crontab(minute=30),
         label=N_("Settle the month on the 1st")),
    Task("evaluate_last_month", evaluate_last_month, schedule=crontab(minute=45),  # after settle_last_month
         label=N_("Score the operators on the 1st")),
    Task("nightly_check", nightly_check, schedule=crontab(hour=19, minute=0),  # 03:00 in China
         label=N_("Check the books every night")),
    Task("complaints.flag_overdue", flag_overdue_complaints, schedule=crontab(minute=20),
         label=N_("Flag complaints not answered in time")),
    Task("purge_old_records", purge_old_records, schedule=crontab(hour=20, minute=0),
         label=N_("Forget old records")),
)
