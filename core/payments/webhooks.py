"""Stripe webhook events: each event once, in any order, with the same result as one clean delivery."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import rollback
from core.errors import N_, text
from core.models import StripeEvent
from core.payments import service
from core.payments.service import BookingPayments
from core.payments.stripe import StripeProvider

REFUNDED_IN_STRIPE = N_("refunded in Stripe")


def handle(session: Session, payments: BookingPayments, provider: StripeProvider, payload: bytes,
           signature: str | None) -> str:
    """Verify, record the event id, and apply it; return what happened (for the response)."""
    event = provider.parse_event(payload, signature, payments.config)
    session.add(StripeEvent(id=event["id"], type=event["type"]))
    try:
        session.flush()
    except IntegrityError:
        rollback(session)
        return "duplicate"
    obj = event["data"]["object"]
    kind = event["type"]
    if kind.startswith("payment_intent."):
        payment = service.payment_by_reference(session, provider.key, obj["id"])
        if payment is None:
            return "ignored"
        if kind == "payment_intent.succeeded":
            payments.succeeded(session, payment, provider)
        elif kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
            payments.failed(session, payment, "canceled" if kind.endswith("canceled") else "failed")
        else:
            return "ignored"
        return "processed"
    if kind == "charge.refunded" and obj.get("payment_intent"):
        return _refunded(session, payments, provider, obj)
    return "ignored"


def _refunded(session: Session, payments: BookingPayments, provider: StripeProvider, charge: dict) -> str:
    """Post each refund of the charge not yet posted; a refund before the success implies the success."""
    payment = service.payment_by_reference(session, provider.key, charge["payment_intent"])
    if payment is None:
        return "ignored"
    if payment.status != "succeeded":
        payments.succeeded(session, payment, provider)
    refunds = [r for r in (charge.get("refunds") or {}).get("data") or []
               if r.get("status") not in ("failed", "canceled")]  # no money went back
    for refund in sorted(refunds, key=lambda r: r.get("created", 0)):
        service.record_refund(session, payment, provider, refund["id"], refund["amount"],
                              text(REFUNDED_IN_STRIPE))
    missing = charge.get("amount_refunded", 0) - payment.refunded_amount
    if missing > 0:  # refunds not listed in the event: post the rest under the charge's running total
        service.record_refund(session, payment, provider, f"{charge['id']}:{charge['amount_refunded']}", missing,
                              text(REFUNDED_IN_STRIPE))
    return "processed"
