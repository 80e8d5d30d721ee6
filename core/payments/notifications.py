"""Providers' notifications: verified by the provider, each event once, in any order, with the same result as one
clean delivery.

The provider verifies and parses (:meth:`PaymentProvider.parse_notification`); this module records the event id
and applies what it says, identically for every provider: a payment succeeded, failed or was cancelled, refunds
were made (a refund before the success implies the success), a split of the fund's share was done or failed.
"""
from __future__ import annotations

import logging
from typing import Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import rollback
from core.errors import DomainError, text
from core.models import PaymentEvent
from core.payments import service, shares
from core.payments.base import BAD_SIGNATURE, Notification, PaymentProvider
from core.payments.service import BookingPayments

log = logging.getLogger(__name__)


def handle(session: Session, payments: BookingPayments, provider: PaymentProvider, payload: bytes,
           headers: Mapping[str, str]) -> str:
    """Verify, record the event id, and apply it; return what happened (``processed``, ``duplicate``, ``ignored``).
    Anything the provider cannot read is refused as ``BAD_SIGNATURE`` and changes nothing."""
    note = verified(provider, payload, headers, payments.config)
    session.add(PaymentEvent(provider=provider.key, id=note.event_id[:255], type=note.event_type[:80]))
    try:
        session.flush()
    except IntegrityError:
        rollback(session)
        return "duplicate"
    return apply(session, payments, provider, note)


def verified(provider: PaymentProvider, payload: bytes, headers: Mapping[str, str], config) -> Notification:
    """The provider's reading of a notification; whatever it raises on a body it cannot read is a 400, never a 500."""
    if not provider.is_configured(config):
        raise BAD_SIGNATURE()
    try:
        return provider.parse_notification(payload, headers, config)
    except DomainError:
        raise
    except Exception as error:  # noqa: BLE001 - a forged or garbled body: whatever a provider's parser trips on
        log.warning("refused a %s notification that could not be read: %s", provider.key, type(error).__name__)
        raise BAD_SIGNATURE() from None


def apply(session: Session, payments: BookingPayments, provider: PaymentProvider, note: Notification) -> str:
    payment = service.payment_by_reference(session, provider.key, note.reference) if note.reference else None
    if payment is None:
        return "ignored"
    if note.status == "succeeded" and note.amount is not None and note.amount != payment.amount:
        log.error("refused a %s notification: it says %s was paid for payment %s of %s", provider.key, note.amount,
                  payment.id, payment.amount)
        raise BAD_SIGNATURE()
    if note.status == "succeeded" or ((note.refunds or note.refunded_total) and payment.status != "succeeded"):
        payments.succeeded(session, payment, provider)
    elif note.status in ("failed", "canceled"):
        payments.failed(session, payment, note.status)
    reason = text(provider.refunded_reason)
    for refund in note.refunds:
        service.record_refund(session, payment, provider, refund.reference, refund.amount, reason)
    missing = (note.refunded_total or 0) - payment.refunded_amount
    if missing > 0:  # refunds not listed: post the rest under the provider's running total
        service.record_refund(session, payment, provider, note.total_reference, missing, reason)
    if note.share is not None:
        shares.settled(session, payment, provider, note.share)
    if not (note.status or note.refunds or note.refunded_total or note.share):
        return "ignored"
    return "processed"
