"""Is this process ready to serve? The database answers, its schema is at the migrations' heads (the core's and
every plugin's), and the broker answers when one is configured. What ``GET /readyz`` reports."""
from __future__ import annotations

import logging

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core import migrate

OK = "ok"
NOT_CONFIGURED = "not configured"
NOT_CHECKED = "not checked: no database"
BROKER_TIMEOUT_S = 2
log = logging.getLogger(__name__)


def readiness(app: Flask) -> dict[str, str]:
    """Each check's outcome: ``ok``, ``not configured`` (the broker), or what is wrong, in a few words. The
    details (an exception's message, the revisions) go to the log: /readyz is public."""
    database = _database(app)
    return {"database": database,
            "migrations": _migrations(app) if database == OK else NOT_CHECKED,
            "broker": _broker(app.config.get("BROKER_URL"))}


def failed(checks: dict[str, str]) -> list[str]:
    """The checks that failed (one not checked because another failed is not counted twice)."""
    return [name for name, outcome in checks.items() if outcome not in (OK, NOT_CONFIGURED, NOT_CHECKED)]


def _database(app: Flask) -> str:
    try:
        with app.extensions["linli"].db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("readiness: the database does not answer: %s", type(error).__name__)
        return "not answering"
    return OK


def _migrations(app: Flask) -> str:
    try:
        with app.extensions["linli"].db.engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        log.warning("readiness: the database's revisions cannot be read: %s", type(error).__name__)
        return "not readable"
    expected = script_heads(app)
    if applied != expected:
        log.warning("readiness: the database is at %s, the code at %s: run `linli db upgrade`",
                    sorted(applied), sorted(expected))
        return "not at head: run linli db upgrade"
    return OK


def script_heads(app: Flask) -> set[str]:
    """The heads of the migration scripts (core and plugins), read once per app: they change only with the code."""
    heads = app.extensions.get("linli_script_heads")
    if heads is None:
        heads = frozenset(ScriptDirectory.from_config(migrate.alembic_config(app)).get_heads())
        app.extensions["linli_script_heads"] = heads
    return set(heads)


def _broker(url: str | None) -> str:
    if not url:
        return NOT_CONFIGURED
    try:
        client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT_S, socket_connect_timeout=BROKER_TIMEOUT_S)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError, OSError) as error:
        log.warning("readiness: the broker does not answer: %s", type(error).__name__)
        return "not answering"
    return OK
