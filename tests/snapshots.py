"""Seeded databases built once per worker and restored per test from a snapshot of their rows.

Seeding the demo hashes fifteen passwords and books through the API; a test
that needs the demo gets the same rows (and the same ids) by a truncate and a
bulk insert instead, in milliseconds, on SQLite and PostgreSQL. The demo is
dated from the day it is seeded (its slots start tomorrow, in the community's
time zone), so every snapshot is taken again when that day changes.
"""
from __future__ import annotations

import datetime as dt
import shutil
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from core import demo
from core.db import Base

DEMO_TIME_ZONE = ZoneInfo("Asia/Shanghai")
"""The demo community's time zone (core/demo.py): its "today" decides the dates of the demo's slots."""


def snapshot(engine: Engine) -> dict[str, list[dict]]:
    """Every row of every table, in primary-key order (without the columns the database computes)."""
    with engine.connect() as conn:
        return {table.name: [dict(row._mapping) for row in conn.execute(
            select(*(c for c in table.c if c.computed is None)).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables}


def empty(conn) -> None:
    """Delete every row of every table, children first (DELETE, not TRUNCATE: on a few rows it is far faster); on
    PostgreSQL in one round trip, and every sequence started again, so ids are those of a new database."""
    tables = list(reversed(Base.metadata.sorted_tables))
    if conn.dialect.name != "postgresql":
        for table in tables:
            conn.execute(table.delete())
        return
    quoted = conn.dialect.identifier_preparer.format_table
    conn.exec_driver_sql("; ".join([*(f"DELETE FROM {quoted(table)}" for table in tables), (
        "SELECT setval(oid::regclass, 1, false) FROM pg_class "
        "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")]))


def reset(engine: Engine) -> None:
    """Empty the database (what TRUNCATE … RESTART IDENTITY does, in a few milliseconds instead of 900)."""
    with engine.begin() as conn:
        empty(conn)


def restore(engine: Engine, rows: dict[str, list[dict]]) -> None:
    """Make the database hold exactly ``rows`` again, with sequences past the highest ids."""
    tables = Base.metadata.sorted_tables
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        empty(conn)
        for table in tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
        highest = {table.name: max(row["id"] for row in rows[table.name]) for table in tables
                   if "id" in table.c and rows.get(table.name) and isinstance(rows[table.name][-1]["id"], int)}
        if postgres and highest:  # every sequence past its table's highest id, in one statement
            values = ", ".join(f"('{name}', {number})" for name, number in highest.items())
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence(t, 'id'), n) FROM (VALUES {values}) AS v(t, n)")


def demo_day() -> dt.date:
    return dt.datetime.now(DEMO_TIME_ZONE).date()


class Snapshots:
    """What each named seeding left behind, built on a scratch database at its first use of the demo's day."""

    def __init__(self, template, folder):
        self.template, self.folder = template, folder
        self.day, self.built = None, {}

    def take(self, name: str, build, start: dict[str, list[dict]] | None = None):
        """``build(app)``'s result on a database holding ``start`` (or nothing); cached until the day changes."""
        if self.day != demo_day():
            self.day, self.built = demo_day(), {}
        if name not in self.built:
            self.built[name] = self._build(name, build, start or {})
        return self.built[name]

    def _build(self, name, build, start):
        from tests.conftest import DATABASE_URL, ON_POSTGRES, _migrated_app

        if ON_POSTGRES:  # the worker's own database: each test empties it before it starts anyway
            url = DATABASE_URL
        else:
            path = self.folder / f"{name}-{self.day}.db"
            shutil.copy(self.template, path)
            url = f"sqlite:///{path}"
        app = _migrated_app(url, self.folder)
        engine = app.extensions["linli"].db.engine
        try:
            reset(engine)
            restore(engine, start)
            return build(app)
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def snapshots(schema_template, tmp_path_factory) -> Snapshots:
    return Snapshots(schema_template, tmp_path_factory.mktemp("snapshots"))


def seed_demo(app) -> dict[str, list[dict]]:
    demo.seed(app)
    return snapshot(app.extensions["linli"].db.engine)


@pytest.fixture
def demo_rows(snapshots) -> dict[str, list[dict]]:
    """The rows of the demo as ``core.demo.seed`` loads it today."""
    return snapshots.take("demo", seed_demo)
