"""``Idempotency-Key``: a retry of a POST answers with the first answer and does nothing again.

The key's row is inserted first in the request's own transaction, so two
concurrent requests with one key cannot both proceed: the second waits on the
unique index (PostgreSQL) or on the write lock (SQLite), then replays the first's
answer. A request that fails with a 4xx stores its error the same way.
"""
from __future__ import annotations

import hashlib
import json

from flask import Response, g, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core.db import INSERTS, commit
from core.errors import Invalid
from core.models import IdempotentRequest, User

HEADER = "Idempotency-Key"
_TABLE = IdempotentRequest.__table__
# Built once: the claim is one INSERT that inserts nothing when the key is taken (having waited, on PostgreSQL,
# for a concurrent claim of it to commit or roll back), and the answer is stored by one UPDATE.
_CLAIM = {dialect: insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id) for dialect, insert in INSERTS.items()}
_ANSWER = (update(_TABLE).where(_TABLE.c.id == bindparam("claim_id"))
           .values(status_code=bindparam("status"), response_body=bindparam("body")))


class Replay(Exception):
    """Raised to answer with a stored response instead of running the request again."""

    def __init__(self, response: Response):
        self.response = response


def _fingerprint() -> str:
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + request.get_data()).hexdigest()


def _find(session: Session, user_id: int, key: str) -> IdempotentRequest | None:
    return session.scalar(select(IdempotentRequest).where(IdempotentRequest.user_id == user_id,
                                                         IdempotentRequest.key == key))


def _replay(stored: IdempotentRequest, fingerprint: str) -> Replay:
    if stored.request_hash != fingerprint:
        return Invalid("this Idempotency-Key was used for a different request",
                       {HEADER: ["use a new key for a new request"]})
    return Replay(Response(stored.response_body, status=stored.status_code, mimetype="application/json"))


def _claim(session: Session, claim: dict) -> int | None:
    """Insert the key's row; its id, or None when the key was claimed already."""
    return session.execute(_CLAIM[session.get_bind().dialect.name], claim).scalar()


def begin(session: Session, user: User) -> None:
    """Claim the request's key, or raise :class:`Replay` with the first answer."""
    key = request.headers.get(HEADER)
    if key is None:
        return
    if not 1 <= len(key) <= 255:
        raise Invalid("invalid Idempotency-Key", {HEADER: ["between 1 and 255 characters"]})
    fingerprint = _fingerprint()
    claim = {"user_id": user.id, "key": key, "request_hash": fingerprint, "status_code": 0, "response_body": ""}
    claim_id = _claim(session, claim)
    if claim_id is not None:
        g.idempotency_claim = claim | {"id": claim_id}
        return
    raise _replay(_find(session, user.id, key), fingerprint)


def finish(session: Session, status: int, body) -> None:
    """Store the answer with the claim, in the transaction about to commit."""
    claim = g.pop("idempotency_claim", None)
    if claim is not None:
        session.execute(_ANSWER, {"claim_id": claim["id"], "status": status, "body": json.dumps(body, default=str)})


def record_failure(session: Session, status: int, body: dict) -> None:
    """After a 4xx rolled the request back, store that answer for the key in a transaction of its own."""
    claim = g.pop("idempotency_claim", None)
    if claim is None or status >= 500:
        return
    del claim["id"]
    _claim(session, claim | {"status_code": status, "response_body": json.dumps(body)})
    commit(session)
