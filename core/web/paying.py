"""What a page shows while a booking waits for its online payment, for the resident and for the counter's tablet.

The provider's QR code is drawn here, as inline SVG (no outside service sees what is paid, and no script draws it);
the time the places are still held is counted down from the booking's ``hold_expires_at``, by the server first, so
that the page reads right without JavaScript; and the page asks :func:`status_response` every few seconds whether
the payment arrived, to move on by itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import segno
from flask import jsonify
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import Booking, Listing, Payment, Slot, User
from core.web.labels import payment_method_label

PAID = ("confirmed", "fulfilled", "no_show")
"""What a booking becomes once its payment arrived."""


@dataclass(frozen=True)
class Waiting:
    """A booking as its pay page sees it: its latest online payment, and the seconds its places are still held
    (None: no time limit)."""

    booking: Booking
    payment: Payment | None
    seconds_left: int | None

    @property
    def waiting(self) -> bool:
        """Still to be paid, and still in time."""
        return self.booking.status == "pending_payment" and self.seconds_left != 0

    @property
    def ran_out(self) -> bool:
        """The hold ended before the money came (the job may not have let the places go yet)."""
        return self.booking.status == "expired" or (self.booking.status == "pending_payment" and not self.waiting)

    @property
    def paid(self) -> bool:
        return self.booking.status in PAID and self.payment is not None and self.payment.status == "succeeded"

    @property
    def action(self) -> str | None:
        """How the resident pays: ``qr``, ``redirect`` or ``client`` (a payment started before actions: client)."""
        return (self.payment.action or "client") if self.payment is not None else None

    @property
    def provider_label(self) -> str:
        return payment_method_label(self.payment.provider if self.payment else self.booking.payment_method)

    @cached_property
    def qr_code(self) -> Markup | None:
        return qr_svg(self.payment.action_url) if self.action == "qr" and self.payment.action_url else None

    @cached_property
    def page_code(self) -> Markup | None:
        """The provider's page as a QR code, for the counter's tablet: the resident opens it with the phone's camera
        and pays there (Alipay's pay link)."""
        return qr_svg(self.payment.action_url) if self.action == "redirect" and self.payment.action_url else None

    @property
    def time_left(self) -> str | None:
        return clock(self.seconds_left) if self.seconds_left is not None else None


def waiting_of(session: Session, booking: Booking) -> Waiting:
    payment = session.scalar(select(Payment).where(Payment.booking_id == booking.id).order_by(Payment.id.desc())
                             .limit(1))
    return Waiting(booking, payment, seconds_left(booking))


def seconds_left(booking: Booking) -> int | None:
    """Whole seconds until the hold ends, rounded up (0 once it has ended); None for a booking with no hold."""
    if booking.hold_expires_at is None:
        return None
    return max(0, math.ceil((booking.hold_expires_at - utcnow()).total_seconds()))


def clock(seconds: int) -> str:
    """``14:59``: minutes and seconds, as the page's script counts them too."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def qr_svg(content: str) -> Markup:
    """The QR code of ``content`` as an SVG element that scales with its box; black on white, with the quiet zone
    scanners need."""
    code = segno.make(content, error="m", micro=False)
    return Markup(code.svg_inline(border=4, omitsize=True, dark="#000", light="#fff", svgclass="qr",
                                  lineclass=None))


def status_response(waiting: Waiting):
    """What the page polls: the booking's status, whether it still waits, and the seconds left (the page's clock
    follows the server's, not the phone's)."""
    response = jsonify(status=waiting.booking.status, waiting=waiting.waiting, seconds_left=waiting.seconds_left)
    response.headers["Cache-Control"] = "no-store"
    return response


def awaiting_payment(session: Session, operator_id: int) -> list:
    """The operator's bookings whose QR code can be shown at the counter now: waiting for payment, still held."""
    return session.execute(
        select(Booking, Slot, Listing, User).join(Slot, Slot.id == Booking.slot_id)
        .join(Listing, Listing.id == Slot.listing_id).outerjoin(User, User.id == Booking.resident_id)
        .join(Payment, Payment.booking_id == Booking.id)
        .where(Booking.operator_id == operator_id, Booking.status == "pending_payment",
               Booking.hold_expires_at > utcnow(), Payment.status == "pending", Payment.action.in_(("qr", "redirect")))
        .order_by(Booking.hold_expires_at, Booking.id)).all()
