"""Linli core. Plugin authors import everything they need from here and from ``core.plugin_api``.

    from core import hookimpl, OperatorType, conflict, N_

The names below are the core's public API for plugins; anything else in the
core may change without notice. ``core.demo`` holds the demo-data helpers.
"""
import pluggy

from core import validation  # noqa: F401 - marshmallow's messages remember their templates from here on
from core.errors import (
    N_, Conflict, DomainError, ErrorCode, Forbidden, Invalid, Message, NotFound, Unauthorized, bad_request, conflict,
    forbidden, invalid, not_found, text, unauthorized,
)
from core.money import Money, allocate, share_bps
from core.operator_types import OperatorType
from core.pricing import Person, Quote

hookimpl = pluggy.HookimplMarker("linli")


def create_app(config=None):
    """Build a Linli app; ``config`` overrides settings from the environment."""
    from core.app import build_app

    return build_app(config)


__all__ = [
    "Conflict", "DomainError", "ErrorCode", "Forbidden", "Invalid", "Message", "Money", "N_", "NotFound",
    "OperatorType", "Person", "Quote", "Unauthorized", "allocate", "bad_request", "conflict", "create_app",
    "forbidden", "hookimpl", "invalid", "not_found", "share_bps", "text", "unauthorized",
]
