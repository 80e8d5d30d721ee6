"""The database: the engine, column types, and what runs after a commit; the same code on SQLite and PostgreSQL.

No Flask here: the domain modules import this. The session of a request lives in :mod:`core.request_session`.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Index, MetaData, Select, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


MinorUnits = Annotated[int, mapped_column(BigInteger)]
"""A money column: integer minor units, 64-bit so no sum of a district's years can overflow."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
"""The INSERT of each supported database, for the ``ON CONFLICT`` clause plain SQL has no portable form of."""


def only_on(dialect: str, index: Index) -> Index:
    """An index only one database has (PostgreSQL's trigram GIN): made, and compared by Alembic, there only."""
    index.info["only_on"] = dialect
    return index.ddl_if(dialect=dialect)


def in_schema_of(dialect: str):
    """Alembic's ``include_object`` for a database of ``dialect``: leaves out what :func:`only_on` gave others."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        return getattr(obj, "info", {}).get("only_on", dialect) == dialect
    return include


class PatternOrder(ColumnElement):
    """``expression`` in the order of a ``text_pattern_ops`` index on it: PostgreSQL then reads the rows in order
    from the index (``ORDER BY … USING ~<~``) instead of sorting them all; other databases sort as usual."""

    inherit_cache = True
    _traverse_internals = [("ordered", InternalTraversal.dp_clauseelement)]

    def __init__(self, expression):
        self.ordered = expression


@compiles(PatternOrder)
def _in_order(element, compiler, **kw):
    return compiler.process(element.ordered, **kw)


@compiles(PatternOrder, "postgresql")
def _in_pattern_order(element, compiler, **kw):
    return compiler.process(element.ordered, **kw) + " USING ~<~"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Pool:
    """The connections one process keeps to PostgreSQL (``LINLI_DB_POOL_SIZE``), may open beyond them in a burst
    (``LINLI_DB_MAX_OVERFLOW``), and whether one that rested is tested before use (``LINLI_DB_PRE_PING``)."""

    size: int = 5
    overflow: int = 5
    pre_ping: bool = True


PING_AFTER_SECONDS = 5.0
"""A pooled connection that rested longer than this is tested before use (see :func:`ping_when_rested`)."""


def make_engine(url: str, pool: Pool = Pool()) -> Engine:
    """The app's engine; its errors never quote the statement's parameters (emails, token hashes) into the logs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)
        _serialise_sqlite_writers(engine)
        return engine
    engine = create_engine(url, pool_size=pool.size, max_overflow=pool.overflow, hide_parameters=True)
    if pool.pre_ping:
        ping_when_rested(engine)
    return engine


def ping_when_rested(engine: Engine, after: float = PING_AFTER_SECONDS) -> None:
    """Test a pooled connection before use only when it rested longer than ``after`` seconds.

    A restarted database (or a firewall that dropped an idle connection) is found out by the first use after a
    pause and costs no failed request: the pool drops the dead connection and opens another. A busy pool's
    connections come back within milliseconds and go out untested, a round trip fewer per request than SQLAlchemy's
    ``pool_pre_ping``, which tests every checkout.
    """

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_rested(dbapi_connection, record, _proxy):
        checked_in = record.info.pop("checked_in", None)
        if checked_in is None or time.monotonic() - checked_in <= after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()
        except engine.dialect.loaded_dbapi.Error as e:
            raise DisconnectionError(f"a pooled connection did not answer: {e.__class__.__name__}") from e


def _serialise_sqlite_writers(engine: Engine) -> None:
    """Start SQLite transactions with BEGIN IMMEDIATE, except those of readers.

    SQLite then queues writers behind its busy timeout instead of failing a read
    transaction that later wants to write; sessions that only read (GET requests)
    begin deferred, so with WAL they never wait for a writer.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # PostgreSQL's reverse(), which the resident register's search by the end of a phone number uses.
        dbapi_connection.create_function("reverse", 1, lambda value: None if value is None else value[::-1],
                                         deterministic=True)
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        deferred = connection.get_execution_options().get("deferred_begin", False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


_READING = {
    # A reader's transaction begins deferred, so it never takes SQLite's write lock.
    "sqlite": {"deferred_begin": True},
    # Each statement is its own transaction: a read sends no BEGIN and no ROLLBACK (two round trips), and under
    # READ COMMITTED the statements of one transaction would not share a snapshot anyway.
    "postgresql": {"isolation_level": "AUTOCOMMIT"},
}
"""The execution options of sessions that only read (GET and HEAD requests), by database."""


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str, pool: Pool = Pool()):
        self.url = url
        self.engine = make_engine(url, pool)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, info={"nudge": self._nudge})
        self.reader = sessionmaker(self.engine.execution_options(**_READING[self.engine.dialect.name]),
                                   expire_on_commit=False)
        self.nudge = lambda: None  # set by the app's queue: what a commit that wrote outbox tasks calls

    def _nudge(self) -> None:
        self.nudge()

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"


def after_commit(db_session: Session, callback) -> None:
    """Run ``callback()`` once ``db_session`` commits (dropped if it rolls back)."""
    db_session.info.setdefault("after_commit", []).append(callback)


def commit(db_session: Session) -> None:
    """Commit, then run what was waiting for the commit (lifecycle hooks)."""
    db_session.commit()
    callbacks = db_session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


def count_rows(db_session: Session, query: Select) -> int:
    """How many rows ``query`` selects (its ordering dropped: it does not change a count)."""
    return db_session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def rollback(db_session: Session) -> None:
    db_session.rollback()
    db_session.info.pop("after_commit", None)
