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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import commit, rollback
from core.errors import Invalid
from core.models import IdempotentRequest, User

HEADER = "Idempotency-Key"


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


def begin(session: Session, user: User) -> None:
    """Claim the request's key, or raise :class:`Replay` with the first answer."""
    key = request.headers.get(HEADER)
    if key is None:
        return
    if not 1 <= len(key) <= 255:
        raise Invalid("invalid Idempotency-Key", {HEADER: ["between 1 and 255 characters"]})
    fingerprint = _fingerprint()
    stored = _find(session, user.id, key)
    if stored is None:
        claim = IdempotentRequest(user_id=user.id, key=key, request_hash=fingerprint, status_code=0,
                                  response_body="")
        session.add(claim)
        try:
            session.flush()
            g.idempotency_claim = claim
            return
        except IntegrityError:
            rollback(session)
            stored = _find(session, user.id, key)
    raise _replay(stored, fingerprint)


def finish(status: int, body) -> None:
    """Store the answer with the claim, in the transaction about to commit."""
    claim = g.pop("idempotency_claim", None)
    if claim is not None:
        claim.status_code = status
        claim.response_body = json.dumps(body, default=str)


def record_failure(session: Session, status: int, body: dict) -> None:
    """After a 4xx rolled the request back, store that answer for the key in a transaction of its own."""
    claim = g.pop("idempotency_claim", None)
    if claim is None or status >= 500:
        return
    try:
        session.add(IdempotentRequest(user_id=claim.user_id, key=claim.key, request_hash=claim.request_hash,
                                      status_code=status, response_body=json.dumps(body)))
        commit(session)
    except IntegrityError:
        rollback(session)
