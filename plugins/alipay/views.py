"""The address a resident follows to pay with Alipay: it signs the page pay then, and sends them to the cashier."""
from __future__ import annotations

from flask import redirect
from sqlalchemy import select

from core import N_, conflict
from core.plugin_api import Booking, Payment, booking_payments, page_blueprint, session, utcnow

pages = page_blueprint("alipay", __name__, url_prefix="/alipay")

PAYMENT_NOT_OPEN = conflict("alipay_payment_not_open", N_(
    "This payment is no longer open: the booking was paid or cancelled, or its places are no longer held."))


@pages.route("/pay/<reference>")
def pay(reference: str):
    """Alipay's cashier for a payment still awaited, while the booking's places are held (409 for any other
    reference: paid, cancelled, run out or unknown, there is nothing to pay)."""
    payments = booking_payments()
    provider = payments.providers["alipay"]
    db = session()
    payment = db.scalar(select(Payment).where(Payment.provider == provider.key, Payment.reference == reference[:120]))
    booking = db.get(Booking, payment.booking_id) if payment is not None else None
    if (booking is None or payment.status != "pending" or booking.status != "pending_payment"
            or booking.hold_expires_at is None or booking.hold_expires_at <= utcnow()
            or not provider.is_configured(payments.config)):
        raise PAYMENT_NOT_OPEN()
    return redirect(provider.cashier_url(payment, booking, payments.config), 302)
