"""What background work is, and how one piece of it runs: tasks from the outbox and periodic jobs.

A :class:`Task` is a function of a :class:`JobContext` and its payload. The :class:`Runner` runs outbox tasks
(claimed, run, marked done in one transaction; retried with backoff) and periodic jobs (each run recorded in
``job_runs`` with its outcome). Where it runs — a Celery worker, a thread of the app, the committing thread in
tests — is :mod:`core.queue`'s business; this module imports no Flask and no Celery.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core import memos, outbox, request_ids
from core.db import commit, rollback, utcnow
from core.errors import N_, Message
from core.models import JobRun, OutboxTask
from core.reading import READER

log = logging.getLogger(__name__)

EVERY_SECONDS = N_("every %(seconds)s seconds")
EVERY_HOUR = N_("every hour at minute %(minute)s")
EVERY_DAY = N_("every day at %(time)s UTC")
ON_SCHEDULE = N_("on the schedule %(fields)s (minute, hour, day, month, weekday; UTC)")


@dataclass(frozen=True)
class Failed:
    """A periodic job's outcome that is a failure although the job ran to its end (a nightly check that found
    violations): its writes (the alert) commit, and its run is recorded as failed."""

    outcome: str


@dataclass(frozen=True)
class Task:
    """A piece of background work: ``run(job, **payload)`` returns a short outcome (or None; a
    :class:`~core.errors.Message` is said in the reader's language on the jobs page). ``label`` names it there.

    With a ``schedule`` (a ``celery.schedules`` schedule or crontab) it is also a periodic job, run by the
    scheduler with no payload. ``run`` must be idempotent: run twice, it changes nothing the second time.
    """

    name: str
    run: Callable[..., str | None]
    schedule: Any = None
    label: str = ""
    max_attempts: int = 8


@dataclass
class JobContext:
    """What a task works with: its own session (committed when it returns, rolled back if it raises), the
    plugins, the money side of bookings, the configuration, and the time it started."""

    session: Session
    plugins: Any
    payments: Any
    config: Mapping
    now: dt.datetime


class Runner:
    """Runs the tasks of one app against its database."""

    def __init__(self, sessions: sessionmaker, tasks: Mapping[str, Task], context: Callable[[Session], JobContext],
                 lease: dt.timedelta = outbox.LEASE):
        self.sessions, self.tasks, self.context, self.lease = sessions, tasks, context, lease

    def drain(self, most: int = 1000) -> int:
        """Run due outbox tasks, oldest first, until none is due (or ``most`` ran); return how many ran."""
        ran = 0
        while ran < most:
            with self.sessions() as session:
                claimed = outbox.claim(session, utcnow(), self.lease)
                commit(session)
            if claimed is None:
                return ran
            self._run_claimed(*claimed)
            ran += 1
        return ran

    def _run_claimed(self, task_id: int, attempt: int) -> None:
        with self.sessions() as session:
            row = session.get(OutboxTask, task_id)
            name, payload, request_id = row.task, dict(row.payload), row.request_id
            task = self.tasks.get(name)
            most = task.max_attempts if task else 1
            token = request_ids.CURRENT.set(request_id)
            reader = READER.set(None)  # no reader: a task sees what is stored, whichever request ran it
            try:
                if task is None:
                    raise LookupError(f"no task is named {name!r} in this app")
                job = self.context(session)
                task.run(job, **payload)
                if outbox.finish(session, task_id, attempt, utcnow()):
                    commit(session)
                else:
                    rollback(session)  # its lease lapsed and another runner has it: that one's work counts
            except Exception as error:  # any failure of a task is retried, whatever it is
                rollback(session)
                session.close()  # nothing of it is read again: no new transaction may hold SQLite's write lock
                log.exception("task %s (outbox %s, attempt %s) failed", name, task_id, attempt)
                with self.sessions() as again:
                    status = outbox.give_back(again, task_id, attempt, _describe(error), utcnow(), most)
                    commit(again)
                log.warning("task %s (outbox %s) is %s", name, task_id, status)
            finally:
                READER.reset(reader)
                request_ids.CURRENT.reset(token)

    def run_periodic(self, name: str) -> JobRun:
        """Run the periodic job ``name`` now, recording its run; raise what it raised (after recording it)."""
        task = self.tasks[name]
        with self.sessions() as session:
            run = JobRun(name=name, status="running", started_at=utcnow())
            session.add(run)
            commit(session)
            run_id = run.id
        with self.sessions() as session:
            reader = READER.set(None)
            try:
                outcome = task.run(self.context(session))
                commit(session)
            except Exception as error:
                rollback(session)
                log.exception("periodic job %s failed", name)
                self._finish_run(run_id, "failed", _describe(error))
                raise
            finally:
                READER.reset(reader)
        if isinstance(outcome, Failed):
            return self._finish_run(run_id, "failed", outcome.outcome)
        return self._finish_run(run_id, "ok", outcome)

    def _finish_run(self, run_id: int, status: str, outcome: str | None) -> JobRun:
        """Record how the run ended; an outcome that is a message is kept as one, to be said in the reader's
        language."""
        with self.sessions() as session:
            session.execute(update(JobRun).where(JobRun.id == run_id).values(
                status=status, outcome=(outcome or "")[:500] or None, outcome_message=memos.stored(outcome),
                finished_at=utcnow()))
            commit(session)
            return session.get(JobRun, run_id)

    def periodic(self) -> list[Task]:
        return [task for task in self.tasks.values() if task.schedule is not None]

    def last_runs(self, session: Session) -> dict[str, JobRun]:
        """Each periodic job's latest run (None for one that never ran)."""
        latest = {}
        for task in self.periodic():
            latest[task.name] = session.scalar(select(JobRun).where(JobRun.name == task.name)
                                               .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))
        return latest


def describe_schedule(schedule) -> Message:
    """A schedule as an admin reads it: every 60 seconds, every hour at minute 5, every day at 19:00 UTC."""
    if not hasattr(schedule, "_orig_minute"):
        return Message(EVERY_SECONDS, {"seconds": int(schedule.run_every.total_seconds())})
    minute, hour = str(schedule._orig_minute), str(schedule._orig_hour)
    rest = (schedule._orig_day_of_month, schedule._orig_month_of_year, schedule._orig_day_of_week)
    if minute.isdigit() and all(str(field) == "*" for field in rest):
        if hour == "*":
            return Message(EVERY_HOUR, {"minute": int(minute)})
        if hour.isdigit():
            return Message(EVERY_DAY, {"time": f"{int(hour):02d}:{int(minute):02d}"})
    fields = " ".join(str(field) for field in (minute, hour, *rest))
    return Message(ON_SCHEDULE, {"fields": fields})


def _describe(error: Exception) -> str:
    """What the jobs page and the logs say of a failure: its kind and its first line (never a traceback)."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:500] if first else type(error).__name__
