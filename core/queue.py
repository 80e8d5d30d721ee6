"""Where the app's background work runs: a Celery worker on a broker, or the app's own process without one.

With ``LINLI_BROKER_URL`` (Redis), a commit that wrote outbox tasks sends the worker a nudge (``linli.drain``), the
scheduler (Celery beat, ``linli scheduler``) sends the periodic jobs and a sweep that picks up whatever a dead
process left behind, and ``linli worker`` runs them all. Without a broker the same runner runs in a thread of the app
(``linli demo``: holds expire and messages arrive with nothing else started), or — in tests — in the committing
thread right after the commit, so a test sees a task's effects when its request returns.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path

from celery import Celery
from celery.schedules import schedule as every
from celery.signals import worker_process_init
from flask import Flask

from core.db import utcnow
from core.tasks import JobContext, Runner, Task

log = logging.getLogger(__name__)

NUDGE_EVERY = dt.timedelta(milliseconds=200)
"""How often at most a process tells the worker there is new work (the delay a task may wait for it)."""
SWEEP = dt.timedelta(seconds=30)
"""How often the scheduler has the worker look for tasks no nudge announced (a process died after its commit)."""


class Queue:
    """The app's runner and how it is woken: :meth:`nudge` after a commit that enqueued work."""

    def __init__(self, app: Flask, tasks: dict[str, Task]):
        linli = app.extensions["linli"]
        self.app = app
        self.runner = Runner(linli.db.sessionmaker, tasks, lambda session: JobContext(
            session=session, plugins=linli.plugins, payments=linli.payments, config=app.config, now=utcnow()),
            lease=dt.timedelta(seconds=app.config["TASK_LEASE_SECONDS"]))
        self.celery = make_celery(app, self) if app.config.get("BROKER_URL") else None
        self.eager = self.celery is None and bool(app.config.get("TESTING"))
        self._thread: tuple[int, threading.Thread] | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._draining = threading.local()
        linli.db.nudge = self.nudge

    def nudge(self) -> None:
        """There is new work: drain it now (tests), or wake this process's thread (which tells the worker, or is
        the runner)."""
        if self.eager:
            self._drain_here()
        else:
            self.start()
            self._wake.set()

    def _drain_here(self) -> None:
        """Run the due tasks in this thread; a task's own enqueued work joins the same loop, never nests."""
        if getattr(self._draining, "active", False):
            self._draining.again = True
            return
        self._draining.active = True
        try:
            self._draining.again = True
            while self._draining.again:
                self._draining.again = False
                with self.app.app_context():
                    self.runner.drain()
        except Exception:  # the commit stands: its tasks wait in the outbox for the next drain
            log.exception("the outbox could not be drained")
        finally:
            self._draining.active = False

    def start(self) -> None:
        """Start this process's own thread: with a broker, the one that tells the worker; without, the runner
        itself (outbox tasks as they come, periodic jobs when due)."""
        if self._thread is not None and self._thread[0] == os.getpid() and self._thread[1].is_alive():
            return
        run = self._tell_the_worker if self.celery is not None else self._run_in_process
        thread = threading.Thread(target=run, name="linli-jobs", daemon=True)
        self._thread = (os.getpid(), thread)
        thread.start()

    def stop(self) -> None:
        """End this process's thread after its current round (an app that is done with its database)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread[0] == os.getpid():
            self._thread[1].join(timeout=30)

    def _tell_the_worker(self) -> None:
        """Send the worker a drain at most every :data:`NUDGE_EVERY`, however many commits asked for one meanwhile:
        a request pays for setting a flag, not for a message to the broker (1–2 ms of Python each)."""
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self.celery.send_task("linli.drain", retry=False)
            except Exception:  # the broker is down: the committed tasks wait for the scheduler's sweep
                log.warning("could not reach the broker; the outbox sweep will run the new tasks")
            time.sleep(NUDGE_EVERY.total_seconds())

    def _run_in_process(self) -> None:
        last_runs: dict[str, dt.datetime] = {}
        while not self._stopping.is_set():
            try:
                with self.app.app_context():
                    self.runner.drain()
                    for task in self.runner.periodic():
                        last = last_runs.get(task.name) or self._last_started(task.name)
                        if last is None or task.schedule.is_due(last).is_due:
                            last_runs[task.name] = utcnow()
                            try:
                                self.runner.run_periodic(task.name)
                            except Exception:  # recorded as failed; tried again when next due
                                pass
            except Exception:  # the database went away a moment: try again on the next round
                log.exception("the in-process job runner failed; trying again")
            self._wake.wait(timeout=5)
            self._wake.clear()

    def _last_started(self, name: str) -> dt.datetime | None:
        with self.runner.sessions() as session:
            run = self.runner.last_runs(session).get(name)
            return None if run is None else run.started_at


def make_celery(app: Flask, queue: Queue) -> Celery:
    """The Celery app of a Linli app: a drain task, a periodic-job task, and beat's schedule of both."""
    celery = Celery("linli", broker=app.config["BROKER_URL"], set_as_current=False)
    beat = {task.name: {"task": "linli.periodic", "schedule": task.schedule, "args": (task.name,)}
            for task in queue.runner.periodic()}
    beat["outbox-sweep"] = {"task": "linli.drain", "schedule": every(SWEEP)}
    celery.conf.update(
        task_acks_late=True,  # a message is acknowledged after its task ran: a killed worker's task comes back
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 600},
        task_ignore_result=True,
        timezone="UTC",
        beat_schedule=beat,
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
    )

    @celery.task(name="linli.drain")
    def drain():
        with app.app_context():
            return queue.runner.drain()

    @celery.task(name="linli.periodic", bind=True, max_retries=3)
    def periodic(self, name):
        with app.app_context():
            try:
                run = queue.runner.run_periodic(name)
            except Exception as error:
                raise self.retry(exc=error, countdown=30 * 2 ** self.request.retries) from None
            return run.status

    @worker_process_init.connect(weak=False)
    def _forked(**_):
        app.extensions["linli"].db.engine.dispose(close=False)  # a forked child opens its own connections

    return celery
