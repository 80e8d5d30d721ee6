"""Prometheus metrics for ``GET /metrics``: request latency by endpoint, and counts read from the database when
scraped (bookings by status, the queue's tasks by status, failed job runs by job).

Only an app with ``LINLI_METRICS_TOKEN`` measures anything. Under gunicorn each worker writes its measurements to
files in ``PROMETHEUS_MULTIPROC_DIR`` (core/gunicorn_conf.py sets it up) and a scrape, whichever worker answers
it, adds up the files of all of them; in one process (``linli demo``, the tests) the app's own registry answers.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select, true
from sqlalchemy.exc import SQLAlchemyError

from core.db import Database
from core.models import BOOKING_STATUSES, Booking, JobRun, OutboxTask

MULTIPROCESS_FOLDER = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUEUED = ("pending", "running", "failed")
"""The outbox's statuses a queue's depth is made of (``done`` tasks are history)."""
UNMATCHED = "unmatched"
"""The endpoint label of a request no route matched (a 404, a 405): never its path, which may hold anything."""


@dataclass
class Metrics:
    registry: CollectorRegistry
    latency: Histogram
    counts: DatabaseCounts


def init_metrics(app: Flask) -> None:
    """Measure every request's latency, if the app has a metrics token (nobody could read the numbers otherwise)."""
    if not app.config.get("METRICS_TOKEN"):
        return
    registry = CollectorRegistry()
    latency = Histogram("linli_http_request_duration_seconds", "Time to answer a request, by endpoint",
                        ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=registry)
    counts = DatabaseCounts(app.extensions["linli"].db)
    registry.register(counts)
    app.extensions["linli_metrics"] = Metrics(registry, latency, counts)
    app.before_request(_start_clock)
    app.after_request(_observe)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        metrics: Metrics = current_app.extensions["linli_metrics"]
        metrics.latency.labels(request.endpoint or UNMATCHED, request.method,
                               f"{response.status_code // 100}xx").observe(time.perf_counter() - started)
    return response


def exposition(app: Flask) -> tuple[bytes, str]:
    """The text a scrape reads, and its content type."""
    metrics: Metrics = app.extensions["linli_metrics"]
    if os.environ.get(MULTIPROCESS_FOLDER):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(metrics.counts)
    else:
        registry = metrics.registry
    return generate_latest(registry), CONTENT_TYPE_LATEST


class DatabaseCounts:
    """Gauges counted in the database at scrape time, so every worker reports the same numbers."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self):
        up = GaugeMetricFamily("linli_database_up", "1 if the database answered this scrape's counts")
        try:
            with self.db.reader() as session:
                families = list(_families(session))
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _families(session):
    yield _by_label(session, "linli_bookings", "Bookings by status", Booking.status, BOOKING_STATUSES)
    yield _by_label(session, "linli_queue_tasks", "Tasks of the queue's outbox waiting, running or failed",
                    OutboxTask.status, QUEUED, where=OutboxTask.status.in_(QUEUED))
    yield _by_label(session, "linli_job_failures", "Failed runs of each periodic job that has run, as recorded",
                    JobRun.name, counted=func.count().filter(JobRun.status == "failed"))


def _by_label(session, name: str, documentation: str, column, always=(), counted=func.count(), where=true()):
    """A gauge of rows by ``column``'s values (``counted``: how, by default all), each of ``always`` present."""
    family = GaugeMetricFamily(name, documentation, labels=[column.key])
    found = dict(session.execute(select(column, counted).where(where).group_by(column)).all())
    for value in sorted(set(always) | set(found), key=lambda v: (v not in always, v)):
        family.add_metric([value], found.get(value, 0))
    return family
