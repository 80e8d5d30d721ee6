"""Linli core. Plugin authors import everything they need from here.

    from core import hookimpl, OperatorType, BookingRejected

The names below are the core's public API for plugins; anything else in the
core may change without notice. ``core.demo`` holds the demo-data helpers.
"""
import pluggy

from core.errors import BookingRejected, Conflict, DomainError, Forbidden, Invalid, NotFound
from core.money import Money, allocate, share_bps
from core.operator_types import OperatorType
from core.pricing import Person, Quote

hookimpl = pluggy.HookimplMarker("linli")


def create_app(config=None):
    """Build a Linli app; ``config`` overrides settings from the environment."""
    from core.app import build_app

    return build_app(config)


__all__ = [
    "BookingRejected", "Conflict", "DomainError", "Forbidden", "Invalid", "Money", "NotFound",
    "OperatorType", "Person", "Quote", "allocate", "create_app", "hookimpl", "share_bps",
]
