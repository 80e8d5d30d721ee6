"""The pool tests a connection that rested before using it, and only such a one (core.db.ping_when_rested)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlalchemy.exc import OperationalError

from core.db import ping_when_rested

pytestmark = pytest.mark.postgres
REST = 0.2


def _engine(url: str, tested: bool):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    if tested:
        ping_when_rested(engine, after=REST)
    return engine


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _terminate(url: str, pid: int) -> None:
    killer = create_engine(url, poolclass=NullPool)
    with killer.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


@pytest.mark.parametrize("tested", [True, False])
def test_a_connection_the_database_dropped_while_it_rested_is_replaced_before_use(database_url, tested):
    engine = _engine(database_url, tested)
    try:
        first = _backend(engine)
        _terminate(database_url, first)
        time.sleep(REST * 2)
        if not tested:  # what the test guards against: the request that draws the dead connection fails
            with pytest.raises(OperationalError):
                _backend(engine)
            return
        assert _backend(engine) != first
    finally:
        engine.dispose()


def test_a_connection_back_at_once_goes_out_untested_and_one_that_rested_is_tested(database_url):
    engine = _engine(database_url, True)
    pings = []
    real_ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(1) or real_ping(dbapi_connection)
    try:
        for _ in range(5):
            _backend(engine)
        assert pings == []
        time.sleep(REST * 2)
        _backend(engine)
        _backend(engine)
        assert pings == [1]
    finally:
        engine.dispose()
