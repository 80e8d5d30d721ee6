"""The database session of one request (API or page) or CLI command: opened on first use, closed at teardown.

This is where Flask meets the database; the domain modules take a session as an argument and never import this.
"""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from core.db import Database


def database() -> Database:
    return current_app.extensions["linli"].db


def session() -> Session:
    """The request's session, opened on first use and closed at teardown.

    Requests that only read (GET, HEAD) get a reader session (``core.db.Database.reader``): no write lock, fewer
    round trips.
    """
    if "db_session" not in g:
        db = database()
        reading = has_request_context() and request.method in ("GET", "HEAD")
        g.db_session = (db.reader if reading else db.sessionmaker)()
    return g.db_session


def close_session(_exc=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
