"""Linli core. Plugin authors import everything they need from here.

    from core import hookimpl, OperatorType, BookingRejected
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
