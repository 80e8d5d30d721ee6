"""``Idempotency-Key``: a retry of a POST answers with the first answer and does nothing again.

The key's row holds the first answer, and it is inserted in the request's own
transaction, as the last write before the commit: one statement per request.
When the key is taken already (an earlier request, or a concurrent one, which
PostgreSQL's unique index or SQLite's write lock makes this one wait for), the
insert inserts nothing, the request's work is rolled back, and the stored answer
is replayed. A request that fails with a 4xx stores its error the same way, in a
transaction of its own, or replays the answer that is there.

A request that may reach an outside service (an online payment) claims its key
first instead, before any work, so that a retry never reaches that service twice.
"""
from __future__ import annotations

import hashlib

from flask import Response, g, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core.db import INSERTS, commit, rollback
from core.errors import N_, DomainError, invalid
from core.models import IdempotentRequest, User

HEADER = "Idempotency-Key"
HEADER_DOC = {"in": "header", "name": HEADER, "required": False,
              "schema": {"type": "string", "minLength": 1, "maxLength": 255},
              "description": "a retry with the same key answers with the first answer and does nothing again"}
"""The header as the OpenAPI document describes it, on each operation that honours it."""
KEY_REUSED = invalid("idempotency_key_reused", N_(
    "This Idempotency-Key was used for a different request: use a new key for a new request."))
INVALID_KEY = invalid("invalid_idempotency_key", N_("An Idempotency-Key has 1 to 255 characters."))
_TABLE = IdempotentRequest.__table__
# Built once: an INSERT that inserts nothing when the key is taken (having waited, on PostgreSQL, for a concurrent
# holder of it to commit or roll back), and the UPDATE that stores the answer of a key claimed first.
_STORE = {dialect: insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id) for dialect, insert in INSERTS.items()}
_ANSWER = (update(_TABLE).where(_TABLE.c.id == bindparam("claim_id"))
           .values(status_code=bindparam("status"), response_body=bindparam("body")))


class Replay(Exception):
    """Raised to answer with a stored response instead of this request's own."""

    def __init__(self, response: Response):
        self.response = response


def _fingerprint() -> str:
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + request.get_data()).hexdigest()


def _store(session: Session, row: dict) -> int | None:
    """Insert the key's row; its id, or None when the key was taken already."""
    return session.execute(_STORE[session.get_bind().dialect.name], row).scalar()


def _stored_answer(session: Session, row: dict) -> Replay | DomainError:
    """What the key's holder answered (after this request's own work was rolled back), or why it cannot be."""
    stored = session.scalar(select(IdempotentRequest).where(IdempotentRequest.user_id == row["user_id"],
                                                           IdempotentRequest.key == row["key"]))
    if stored.request_hash != row["request_hash"]:
        return KEY_REUSED(field=HEADER)
    mimetype = "application/problem+json" if stored.status_code >= 400 else "application/json"
    return Replay(Response(stored.response_body, status=stored.status_code, mimetype=mimetype))


def begin(session: Session, user: User, claim_first: bool = False) -> None:
    """Note the request's key; with ``claim_first``, claim it now or raise :class:`Replay` with the first answer."""
    key = request.headers.get(HEADER)
    if key is None:
        return
    if not 1 <= len(key) <= 255:
        raise INVALID_KEY(field=HEADER)
    row = {"user_id": user.id, "key": key, "request_hash": _fingerprint(), "status_code": 0, "response_body": ""}
    if claim_first:
        claim_id = _store(session, row)
        if claim_id is None:
            raise _stored_answer(session, row)
        row["claim_id"] = claim_id
    g.idempotency_key = row


FORM = "form:"
"""Keys of page forms sent with a one-time nonce, apart from the keys API clients choose."""


def claim_form(session: Session, user: User, nonce: str) -> tuple[int | None, str | None]:
    """A page's form sent with its one-time ``nonce``: (the claim's id, None) the first time, in the request's
    transaction; (None, what the first sending answered) for a repeat, which on PostgreSQL waits for the first to
    commit or roll back — so a double tap on a button does the work once."""
    row = {"user_id": user.id, "key": FORM + nonce, "request_hash": FORM, "status_code": 0, "response_body": ""}
    claim_id = _store(session, row)
    if claim_id is not None:
        return claim_id, None
    return None, session.scalar(select(IdempotentRequest.response_body).where(
        IdempotentRequest.user_id == user.id, IdempotentRequest.key == row["key"]))


def answer_form(session: Session, claim_id: int, answer: str) -> None:
    """Keep what a claimed form did (e.g. the id of what it created), for its repeats to show."""
    session.execute(_ANSWER, {"claim_id": claim_id, "status": 200, "body": answer})


def _answer(response: Response) -> dict:
    """What a replay sends: this response's status and its very bytes."""
    return {"status_code": response.status_code, "response_body": response.get_data(as_text=True)}


def finish(session: Session, response: Response) -> None:
    """Store the answer with the key, in the transaction about to commit; if the key is taken, replay its answer."""
    row = g.pop("idempotency_key", None)
    if row is None:
        return
    answer = _answer(response)
    if "claim_id" in row:
        session.execute(_ANSWER, {"claim_id": row["claim_id"], "status": answer["status_code"],
                                  "body": answer["response_body"]})
    elif _store(session, row | answer) is None:
        rollback(session)
        raise _stored_answer(session, row)


def record_failure(session: Session, response: Response) -> Replay | DomainError | None:
    """After a 4xx rolled the request back, store that answer for the key in a transaction of its own.

    Returns what to answer instead when the key holds an answer already: that answer, or why it cannot be replayed.
    """
    row = g.pop("idempotency_key", None)
    if row is None or response.status_code >= 500:
        return None
    row.pop("claim_id", None)
    stored = _store(session, row | _answer(response))
    commit(session)
    return None if stored is not None else _stored_answer(session, row)
