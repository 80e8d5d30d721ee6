"""The id of the request (or job) being served, for every log line and every job it enqueues."""
from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

CURRENT: ContextVar[str | None] = ContextVar("linli_request_id", default=None)

SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,63}")
"""An id a proxy or client may send (X-Request-ID): a short token that cannot break a log line (and fits the
outbox's ``request_id`` column)."""


def accepted(sent: str | None) -> str:
    """The id a request is logged under: the one it came with if that is sane, else a new one."""
    if sent and SANE.fullmatch(sent):
        return sent
    return uuid.uuid4().hex
