"""Fixtures: an app on a fresh database per test, on SQLite or on LINLI_DATABASE_URL (PostgreSQL).

The schema is built once per run by the Alembic migrations; each test then gets
a copy (SQLite) or emptied tables (PostgreSQL), so every test starts clean. Under
pytest-xdist each worker has a database of its own: a SQLite template in its own
temporary folder, or on PostgreSQL a database named after the configured one and
the worker (``linli_test_gw0``), created on the same server and dropped at the end.
"""
from __future__ import annotations

import os
import shutil

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from core import auth, create_app

pytest_plugins = ["tests.factories", "tests.mail_support", "tests.pages", "tests.local_provider", "tests.snapshots", "tests.stripe_support",
                  "tests.web_support", "tests.wechat_fake", "tests.world"]

CONFIGURED_URL = os.environ.get("LINLI_DATABASE_URL", "")
ON_POSTGRES = CONFIGURED_URL.startswith("postgresql")
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
DATABASE_URL = CONFIGURED_URL
if ON_POSTGRES and WORKER:
    _configured = make_url(CONFIGURED_URL)
    DATABASE_URL = _configured.set(database=f"{_configured.database}_{WORKER}").render_as_string(hide_password=False)

# Passwords hashed in microseconds rather than 19 MiB each; tests/test_security.py checks production's parameters.
auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def pytest_collection_modifyitems(config, items):
    """A test marked ``postgres`` (a race, mostly; or a connection pool, a statement count) means nothing on SQLite,
    whose writers queue on one lock."""
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: a race (on SQLite writers take turns) or what only PostgreSQL "
                                   "has (CI runs it with LINLI_DATABASE_URL)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def _migrated_app(url, tmp_path, **config):
    settings = {"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True,
                "LOGIN_RATE_LIMIT": "1000 per minute",  # tests log in often; tests/test_security.py sets its own
                "LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute"}
    app = create_app({**settings, **config})
    app.instance_path = str(tmp_path)
    return app


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory):
    """A database at the latest migration: a SQLite file to copy, or the PostgreSQL database itself."""
    from core import migrate

    if ON_POSTGRES:
        if DATABASE_URL != CONFIGURED_URL:
            _worker_database("DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}")
        engine = create_engine(DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = DATABASE_URL
    else:
        path = tmp_path_factory.mktemp("template") / "linli.db"
        url = f"sqlite:///{path}"
    app = _migrated_app(url, tmp_path_factory.mktemp("instance"))
    migrate.upgrade(app)
    app.extensions["linli"].db.engine.dispose()  # closing the last connection checkpoints SQLite's WAL
    yield url if ON_POSTGRES else path
    if DATABASE_URL != CONFIGURED_URL:
        _worker_database("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def _worker_database(*statements) -> None:
    """Run CREATE or DROP DATABASE statements about this worker's database, from the configured one."""
    engine = create_engine(CONFIGURED_URL, isolation_level="AUTOCOMMIT")
    name = engine.dialect.identifier_preparer.quote(make_url(DATABASE_URL).database)
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement.format(name)))
    engine.dispose()


@pytest.fixture
def database_url(schema_template, tmp_path):
    if ON_POSTGRES:
        from tests.snapshots import reset

        engine = create_engine(DATABASE_URL)
        reset(engine)
        engine.dispose()
        return DATABASE_URL
    path = tmp_path / "linli.db"
    shutil.copy(schema_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on this test's database, with extra config (e.g. PLUGINS, DISABLED_PLUGINS)."""
    apps = []

    def make(**config):
        app = _migrated_app(database_url, tmp_path, **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["linli"].queue.stop()  # a runner thread the test started ends with it
        app.extensions["linli"].db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session of the test's app, for arranging data and checking what the API did.

    It begins deferred on SQLite, so a test reading between two requests holds no write lock; unlike the app's
    readers it is a transaction on PostgreSQL too, so what a test arranges commits when the test says so.
    """
    session = Session(app.extensions["linli"].db.engine.execution_options(deferred_begin=True), expire_on_commit=False)
    yield session
    session.close()
