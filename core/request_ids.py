"""The id of the request (or job) being served, for every log line and every job it enqueues."""
from __future__ import annotations

from contextvars import ContextVar

CURRENT: ContextVar[str | None] = ContextVar("linli_request_id", default=None)
