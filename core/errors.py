"""Domain errors: raised by services, turned into JSON (API) or form messages (pages)."""
from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        if status is not None:
            self.status = status


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Input that parses but breaks a rule; ``errors`` maps fields to messages."""

    status = 422


class BookingRejected(Invalid):
    """An operator type's veto of a booking, with a reason a resident can read."""
