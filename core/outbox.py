"""The outbox: tasks written in the transaction of the change that causes them, so that no event is lost.

A task enqueued here commits or rolls back with the booking or the payment it is about. After the commit the
session's ``nudge`` (set by the app's queue, :mod:`core.queue`) tells a runner there is work; a runner claims a task
with a lease, runs it, and marks it done in the same transaction as the task's own writes — so what a task writes
is written once even if it runs twice, and a runner that dies lets its lease lapse for another to take over. A task
that raises is tried again after a growing pause, and marked ``failed`` after its last attempt.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import (
    JSON, ColumnElement, Insert, String, Table, bindparam, cast, delete, func, insert, literal, or_, select, update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from core import request_ids
from core.db import UTCDateTime, after_commit, utcnow
from core.models import OutboxTask

LEASE = dt.timedelta(minutes=5)
"""How long a claimed task is its runner's by default (``LINLI_TASK_LEASE_SECONDS``): longer than any task runs,
short enough to recover a dead runner's."""


_INSERT = insert(OutboxTask.__table__)


def enqueue(session: Session, task: str, /, **payload) -> None:
    """Write ``task`` with its JSON ``payload`` in the caller's transaction; after the commit, nudge a runner.

    One plain INSERT, sent now: no object for the session to track on the booking's hot path, and rolled back with
    whatever savepoint or transaction it was written in."""
    now = utcnow()
    session.execute(_INSERT, {"task": task, "payload": payload, "status": "pending", "attempts": 0, "run_after": now,
                              "created_at": now, "request_id": request_ids.CURRENT.get()})
    _nudge_after_commit(session)


def _nudge_after_commit(session: Session) -> None:
    nudge = session.info.get("nudge")
    if nudge is not None and nudge not in session.info.get("after_commit", ()):
        after_commit(session, nudge)


class RowWithTask:
    """Insert a row and enqueue a task about it (its id in the payload) — on PostgreSQL in one statement, a
    round trip fewer on the booking's hot path (a CTE inserts the row, the outbox's INSERT selects its id); on
    other databases in two.

    A ``guard`` (a condition on bound parameters, e.g. "the resident holds fewer bookings of this time than the type
    allows") makes the insert conditional, in the same statement: :meth:`insert` with ``guarded=True`` inserts
    nothing, and returns None, when it does not hold. Evaluated by the INSERT itself, the condition sees every row
    committed before the statement began — after the locks the transaction's earlier statements waited for.
    """

    def __init__(self, table: Table, task: str, id_key: str, guard: ColumnElement[bool] | None = None):
        self.table, self.task, self.id_key = table, task, id_key
        self.columns = [column.key for column in table.columns if column.key != "id"]
        params = [bindparam(key, type_=table.c[key].type) for key in self.columns]
        self.plain = {False: insert(table).returning(table.c.id)}
        self.combined = {False: self._with_task(insert(table).values(dict(zip(self.columns, params))))}
        if guard is not None:
            row = select(*params).where(guard)
            self.plain[True] = insert(table).from_select(self.columns, row).returning(table.c.id)
            self.combined[True] = self._with_task(insert(table).from_select(self.columns, row))

    def _with_task(self, row_insert) -> Insert:
        row = row_insert.returning(self.table.c.id).cte("inserted_row")
        payload = cast(cast(bindparam("task_payload", type_=String), JSONB).op("||")(
            func.jsonb_build_object(literal(self.id_key), row.c.id)), JSON)
        now = bindparam("task_now", type_=UTCDateTime())
        return (
            insert(OutboxTask.__table__)
            .from_select(["task", "payload", "status", "attempts", "run_after", "created_at", "request_id"],
                         select(literal(self.task), payload, literal("pending"), literal(0), now, now,
                                bindparam("task_request_id", type_=String)).select_from(row))
            .returning(select(row.c.id).scalar_subquery()))

    def insert(self, session: Session, values: dict, guarded: bool = False, **payload) -> int | None:
        """The new row's id, its task written with it (payload: ``payload`` and the id); None when ``guarded`` and
        the guard (its parameters among ``values``) did not hold."""
        if session.get_bind().dialect.name != "postgresql":
            row_id = session.execute(self.plain[guarded], values).scalar()
            if row_id is not None:
                enqueue(session, self.task, **payload, **{self.id_key: row_id})
            return row_id
        row_id = session.execute(self.combined[guarded], {
            **values, "task_payload": json.dumps(payload), "task_now": utcnow(),
            "task_request_id": request_ids.CURRENT.get()}).scalar()
        if row_id is not None:
            _nudge_after_commit(session)
        return row_id


def backoff(attempts: int) -> dt.timedelta:
    """The pause before attempt ``attempts + 1``: 10 s, 20 s, 40 s … at most an hour."""
    return dt.timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


def _due(now: dt.datetime):
    return or_((OutboxTask.status == "pending") & (OutboxTask.run_after <= now),
               (OutboxTask.status == "running") & (OutboxTask.lease_until < now))


def claim(session: Session, now: dt.datetime, lease: dt.timedelta = LEASE) -> tuple[int, int] | None:
    """Take the oldest due task (pending, or running under a lapsed lease) for this runner: its id and attempt.

    Concurrent runners skip each other's rows on PostgreSQL (``SKIP LOCKED``); SQLite runs one writer at a time.
    The caller commits.
    """
    task_id = session.scalar(select(OutboxTask.id).where(_due(now)).order_by(OutboxTask.id).limit(1)
                             .with_for_update(skip_locked=True))
    if task_id is None:
        return None
    attempt = session.scalar(
        update(OutboxTask).where(OutboxTask.id == task_id, _due(now))
        .values(status="running", attempts=OutboxTask.attempts + 1, lease_until=now + lease)
        .returning(OutboxTask.attempts))
    return None if attempt is None else (task_id, attempt)


def finish(session: Session, task_id: int, attempt: int, now: dt.datetime) -> bool:
    """Mark the task done in the transaction of its work; False when another runner took it over meanwhile."""
    result = session.execute(
        update(OutboxTask).where(OutboxTask.id == task_id, OutboxTask.status == "running",
                                 OutboxTask.attempts == attempt)
        .values(status="done", done_at=now, lease_until=None, last_error=None))
    return result.rowcount == 1


def give_back(session: Session, task_id: int, attempt: int, error: str, now: dt.datetime, most: int) -> str:
    """After a failed attempt: pending again after :func:`backoff`, or ``failed`` after the ``most``-th attempt."""
    status = "failed" if attempt >= most else "pending"
    session.execute(
        update(OutboxTask).where(OutboxTask.id == task_id, OutboxTask.attempts == attempt)
        .values(status=status, run_after=now + backoff(attempt), lease_until=None, last_error=error[:500]))
    return status


def depth(session: Session) -> dict[str, int]:
    """How many tasks there are in each state but ``done``: the queue's depth, its work in hand and its failures."""
    rows = session.execute(select(OutboxTask.status, func.count()).where(OutboxTask.status != "done")
                           .group_by(OutboxTask.status))
    return {status: 0 for status in ("pending", "running", "failed")} | dict(rows.all())


def purge_done(session: Session, before: dt.datetime) -> int:
    """Forget tasks done before ``before`` (retention); failed ones stay for the admins to see."""
    return session.execute(delete(OutboxTask).where(OutboxTask.status == "done", OutboxTask.done_at < before)).rowcount
