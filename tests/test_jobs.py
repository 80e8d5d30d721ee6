"""Background work: outbox tasks run once after the commit, retried with backoff, taken over from a dead runner;
every periodic job run twice changes nothing the second time; a failing one is recorded and raised for a retry."""
import datetime as dt
import re
import time

import pytest
import time_machine
from sqlalchemy import select, update

from core import hookimpl, outbox
from core.db import commit, utcnow
from core.models import ApiToken, Booking, IdempotentRequest, JobRun, JournalEntry, OutboxTask, Slot
from core.tasks import Task

CLEANING = "Home cleaning, 2 hours"
ADDRESS = "Heping Road 1, flat 302"


def fresh(db):
    db.commit()
    db.expire_all()
    return db


def queue_of(app):
    return app.extensions["linli"].queue


def run(app, name):
    return queue_of(app).runner.run_periodic(name)


class Heard:
    """A plugin that notes the booking events it hears, in the session it is given."""

    def __init__(self):
        self.events = []

    @hookimpl
    def booking_confirmed(self, session, booking):
        self.events.append(("confirmed", booking.id, booking.status))


class Flaky:
    """A task that fails its first ``failures`` runs, then writes what it was given."""

    def __init__(self, failures):
        self.failures, self.runs = failures, 0

    @hookimpl
    def register_tasks(self):
        return [Task("test.flaky", self.flaky, max_attempts=3)]

    def flaky(self, job, booking_id):
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError("the outside service did not answer")
        job.session.execute(update(Booking).where(Booking.id == booking_id).values(details={"ran": self.runs}))


def test_a_bookings_event_reaches_the_plugins_after_the_commit_from_the_outbox(platform):
    heard = Heard()
    app, world = platform(PLUGINS=[heard])
    booked = world.api("adult").post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"],
                                                   "payment_method": "cash", "details": {"address": ADDRESS}})
    assert booked.status_code == 201
    booking = booked.get_json()["id"]
    assert heard.events == [("confirmed", booking, "confirmed")]
    with app.extensions["linli"].db.sessionmaker() as session:
        tasks = session.scalars(select(OutboxTask).where(OutboxTask.task == "booking.event")
                                .order_by(OutboxTask.id)).all()
        assert [(t.task, t.payload["events"], t.status, t.attempts) for t in tasks] == [
            ("booking.event", ["booking_created", "booking_confirmed"], "done", 1)]
        assert outbox.depth(session) == {"pending": 0, "running": 0, "failed": 0}


def test_a_booking_that_rolls_back_leaves_no_task(platform):
    app, world = platform()
    with app.extensions["linli"].db.sessionmaker() as session:
        outbox.enqueue(session, "booking.event", events=["booking_confirmed"], booking_id=1)
        session.rollback()
        assert session.scalar(select(OutboxTask.id)) is None


def test_a_failing_task_is_retried_with_growing_pauses_then_marked_failed(platform, db):
    flaky = Flaky(failures=5)
    app, world = platform(PLUGINS=[flaky])
    runner = queue_of(app).runner
    with app.extensions["linli"].db.sessionmaker() as session:
        outbox.enqueue(session, "test.flaky", booking_id=1)
        commit(session)  # the test's app drains at once: the first attempt fails
    task = fresh(db).scalar(select(OutboxTask).where(OutboxTask.task == "test.flaky"))
    assert (task.status, task.attempts, flaky.runs) == ("pending", 1, 1)
    assert task.last_error == "RuntimeError: the outside service did not answer"
    assert dt.timedelta(seconds=9) < task.run_after - utcnow() <= dt.timedelta(seconds=10)
    assert runner.drain() == 0  # not due yet
    with time_machine.travel(utcnow() + dt.timedelta(seconds=11), tick=False):
        assert runner.drain() == 1
    task = fresh(db).get(OutboxTask, task.id)
    assert (task.status, task.attempts) == ("pending", 2)
    assert task.run_after - utcnow() > dt.timedelta(seconds=25)  # 20 s after the second attempt
    with time_machine.travel(utcnow() + dt.timedelta(seconds=60), tick=False):
        assert runner.drain() == 1
    task = fresh(db).get(OutboxTask, task.id)
    assert (task.status, task.attempts, flaky.runs) == ("failed", 3, 3)  # its last attempt
    with time_machine.travel(utcnow() + dt.timedelta(hours=2), tick=False):
        assert runner.drain() == 0


def test_a_task_that_succeeds_on_retry_writes_once(platform, db):
    flaky = Flaky(failures=1)
    app, world = platform(PLUGINS=[flaky])
    booking = world.api("adult").post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"], "payment_method": "cash",
                                                    "details": {"address": ADDRESS}}).get_json()["id"]
    with app.extensions["linli"].db.sessionmaker() as session:
        outbox.enqueue(session, "test.flaky", booking_id=booking)
        commit(session)
    with time_machine.travel(utcnow() + dt.timedelta(seconds=11), tick=False):
        assert queue_of(app).runner.drain() == 1
        assert queue_of(app).runner.drain() == 0  # done: a second drain finds nothing
    assert fresh(db).get(Booking, booking).details == {"ran": 2}
    assert db.scalar(select(OutboxTask.status).where(OutboxTask.task == "test.flaky")) == "done"


def test_a_task_whose_runner_died_is_taken_over_when_its_lease_lapses(platform, db):
    flaky = Flaky(failures=0)
    app, world = platform(PLUGINS=[flaky])
    with app.extensions["linli"].db.sessionmaker() as session:
        session.add(OutboxTask(task="test.flaky", payload={"booking_id": 1}, status="pending", attempts=0,
                               run_after=utcnow(), created_at=utcnow()))
        session.commit()  # no nudge: as if the process died right after its commit
        assert outbox.claim(session, utcnow()) is not None  # a runner claims it, then dies
        session.commit()
    runner = queue_of(app).runner
    assert runner.drain() == 0  # its lease holds
    with time_machine.travel(utcnow() + outbox.LEASE + dt.timedelta(seconds=1), tick=False):
        assert runner.drain() == 1
    task = fresh(db).scalar(select(OutboxTask).where(OutboxTask.task == "test.flaky"))
    assert (task.status, task.attempts, flaky.runs) == ("done", 2, 1)


def test_expired_holds_free_their_places_once_and_stop_the_providers_payment(platform, db, recording_http):
    app, world = platform()
    slot = world.slots(CLEANING)[0]["id"]
    booked = world.api("adult").post("/bookings", {"slot_id": slot, "payment_method": "stripe",
                                                   "details": {"address": ADDRESS}}).get_json()
    assert booked["status"] == "pending_payment"
    assert run(app, "expire_holds").outcome.startswith("0 payment holds expired")  # its hold still runs
    with time_machine.travel(utcnow() + dt.timedelta(minutes=16), tick=False):
        first = run(app, "expire_holds")
        second = run(app, "expire_holds")
    assert (first.status, first.outcome) == ("ok", "1 payment holds expired, 0 residents reminded to pay")
    assert second.outcome == "0 payment holds expired, 0 residents reminded to pay"
    assert fresh(db).get(Booking, booked["id"]).status == "expired"
    assert db.get(Slot, slot).taken == 0
    cancels = [r.path for r in recording_http.requests if r.path.endswith("/cancel")]
    assert cancels == [f"/v1/payment_intents/pi_booking_{booked['id']}/cancel"]


def test_a_provider_that_does_not_answer_is_asked_again_to_stop_the_payment(platform, db, recording_http):
    app, world = platform()
    booked = world.api("adult").post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"],
                                                   "payment_method": "stripe", "details": {"address": ADDRESS}}).get_json()
    recording_http.answer("POST", "/v1/payment_intents/", {"error": {"type": "api_error", "message": "down"}}, 500)
    with time_machine.travel(utcnow() + dt.timedelta(minutes=16), tick=False):
        run(app, "expire_holds")
    task = fresh(db).scalar(select(OutboxTask).where(OutboxTask.task == "payments.hold_ended"))
    assert (task.status, task.attempts) == ("pending", 1)
    recording_http.answer("POST", "/v1/payment_intents/",
                          lambda req: {"id": req.path.split("/")[3], "object": "payment_intent", "status": "canceled"})
    with time_machine.travel(utcnow() + dt.timedelta(minutes=17), tick=False):
        assert queue_of(app).runner.drain() == 1
    assert (fresh(db).get(OutboxTask, task.id).status, db.get(OutboxTask, task.id).attempts) == ("done", 2)
    assert recording_http.last.path == f"/v1/payment_intents/pi_booking_{booked['id']}/cancel"


def test_generating_slots_twice_makes_them_once(platform, db):
    app, world = platform()
    first, second = run(app, "generate_slots"), run(app, "generate_slots")
    assert second.outcome == "0 times made"
    with time_machine.travel(utcnow() + dt.timedelta(days=1), tick=False):
        later = run(app, "generate_slots")
        assert run(app, "generate_slots").outcome == "0 times made"
    assert later.outcome != "0 times made" and first.status == "ok"


def test_the_month_is_settled_on_the_communitys_first_once(platform, db):
    app, world = platform()
    world.api("adult").post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"], "payment_method": "cash",
                                          "details": {"address": ADDRESS}})
    today = utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    # 00:30 in Shanghai on the 1st is still the last day of the month in UTC
    with time_machine.travel(dt.datetime.combine(first_of_next, dt.time(0, 30), dt.timezone(dt.timedelta(hours=8))),
                             tick=False):
        first = run(app, "settle_last_month")
        entries = fresh(db).scalar(select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1))
        second = run(app, "settle_last_month")
    period = today.strftime("%Y-%m")
    assert first.outcome == f"Settled: heping {period}" == second.outcome
    assert fresh(db).scalar(select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1)) == entries
    with time_machine.travel(dt.datetime.combine(first_of_next + dt.timedelta(days=1), dt.time(12),
                                                 dt.timezone.utc), tick=False):
        assert run(app, "settle_last_month").outcome == "No community's month ended today"


def test_the_nightly_check_passes_then_fails_on_a_broken_chain(platform, db):
    app, world = platform()
    assert app.test_cli_runner().invoke(args=["settle", "--community", "heping", "--period",
                                              utcnow().strftime("%Y-%m")]).exit_code == 0  # the workshop's fixed gift
    ok = run(app, "nightly_check")
    assert (ok.status, ok.outcome) == ("ok", "Every check holds, every chain is intact")
    entry = db.scalar(select(JournalEntry).order_by(JournalEntry.id).limit(1))
    db.execute(update(JournalEntry).where(JournalEntry.id == entry.id).values(memo="tampered"))
    db.commit()
    failed = run(app, "nightly_check")
    assert failed.status == "failed" and "1 problems found: community heping: entry " in failed.outcome
    assert run(app, "nightly_check").status == "failed"  # run again: the same finding, nothing else


def test_old_records_are_purged_and_recent_ones_kept(platform, db):
    app, world = platform()
    now = utcnow()
    db.add_all([IdempotentRequest(user_id=1, key="old", request_hash="x", status_code=201, response_body="{}",
                                  created_at=now - dt.timedelta(days=91)),
                IdempotentRequest(user_id=1, key="new", request_hash="x", status_code=201, response_body="{}",
                                  created_at=now - dt.timedelta(days=89)),
                ApiToken(user_id=1, token_hash="a" * 64, expires_at=now - dt.timedelta(minutes=1)),
                ApiToken(user_id=1, token_hash="b" * 64, expires_at=now + dt.timedelta(days=1))])
    db.commit()
    first = run(app, "purge_old_records")
    assert first.outcome.startswith("Forgotten: 1 idempotency keys, 1 expired tokens, 0 webhook events")
    assert run(app, "purge_old_records").outcome.startswith("Forgotten: 0 idempotency keys, 0 expired tokens")
    assert fresh(db).scalars(select(IdempotentRequest.key)).all() == ["new"]
    assert db.scalar(select(ApiToken.token_hash).where(ApiToken.token_hash == "b" * 64))


def test_a_periodic_job_that_raises_is_recorded_as_failed_and_raised_for_a_retry(platform, db):
    class Broken:
        @hookimpl
        def register_tasks(self):
            def broken(job):
                raise ConnectionError("the gateway is down")
            return [Task("test.broken", broken, schedule=60)]

    app, world = platform(PLUGINS=[Broken()])
    with pytest.raises(ConnectionError):
        run(app, "test.broken")
    job = fresh(db).scalar(select(JobRun).where(JobRun.name == "test.broken"))
    assert (job.status, job.outcome) == ("failed", "ConnectionError: the gateway is down")
    assert job.finished_at is not None


def test_linli_jobs_lists_each_job_and_runs_one(platform):
    app, world = platform()
    cli = app.test_cli_runner()
    ran = cli.invoke(args=["jobs", "run", "expire_holds"])
    assert ran.exit_code == 0 and "expire_holds: ok: 0 payment holds expired" in ran.output
    listed = cli.invoke(args=["jobs"])
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.output.splitlines() if line.startswith("expire_holds"))
    assert "every 60 seconds" in line and " ok " in line and "0 payment holds expired" in line
    assert re.search(r"^nightly_check +every day at 19:00 UTC +never", listed.output, re.M)
    assert "outbox: 0 pending, 0 running, 0 failed" in listed.output
    unknown = cli.invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code == 1 and "no periodic job is named 'nope'" in unknown.output
    no_broker = cli.invoke(args=["worker"])
    assert no_broker.exit_code == 1 and "LINLI_BROKER_URL" in no_broker.output


def test_without_a_broker_the_apps_own_thread_runs_tasks_and_periodic_jobs(make_app, demo_rows, db):
    from tests.snapshots import restore

    from tests.factories import DemoWorld

    booking_app = make_app()  # books, and runs its tasks at once: the runner under test has not started
    restore(booking_app.extensions["linli"].db.engine, demo_rows)
    world = DemoWorld(booking_app.test_client())
    booking = world.api("adult").post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"], "payment_method": "cash",
                                                    "details": {"address": ADDRESS}}).get_json()["id"]
    db.execute(update(Booking).where(Booking.id == booking).values(status="pending_payment",
                                                                    hold_expires_at=utcnow() - dt.timedelta(minutes=1)))
    db.commit()
    app = make_app(TESTING=False)
    queue = queue_of(app)
    assert not queue.eager
    with app.extensions["linli"].db.sessionmaker() as session:
        outbox.enqueue(session, "payments.hold_ended", booking_id=booking)
        commit(session)  # wakes the thread
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done = fresh(db).scalar(select(OutboxTask.status).where(OutboxTask.task == "payments.hold_ended"))
        expired = db.scalar(select(JobRun).where(JobRun.name == "expire_holds"))
        if done == "done" and expired is not None and expired.status == "ok":
            break
        time.sleep(0.2)
    assert done == "done"
    assert expired.outcome == "1 payment holds expired, 0 residents reminded to pay"


def test_the_workers_periodic_task_retries_a_failed_job_with_celery(make_app, db):
    """The scheduler sends ``linli.periodic``; a job that fails is tried again by Celery (here applied in this
    process: a broker is named but never reached)."""
    class FailsOnce:
        runs = 0

        @hookimpl
        def register_tasks(self):
            def job(context):
                FailsOnce.runs += 1
                if FailsOnce.runs == 1:
                    raise ConnectionError("the database went away")
                return "done the second time"
            return [Task("test.fails_once", job, schedule=60)]

    app = make_app(BROKER_URL="redis://127.0.0.1:1/0", PLUGINS=[FailsOnce()])
    celery = queue_of(app).celery
    assert "test.fails_once" in celery.conf.beat_schedule
    result = celery.tasks["linli.periodic"].apply(args=("test.fails_once",))
    assert result.get() == "ok" and FailsOnce.runs == 2
    runs = fresh(db).scalars(select(JobRun).where(JobRun.name == "test.fails_once").order_by(JobRun.id)).all()
    assert [(r.status, r.outcome) for r in runs] == [("failed", "ConnectionError: the database went away"),
                                                     ("ok", "done the second time")]
