"""Money for bookings: recording payments and refunds, and posting them with their donations.

Providers only talk to the outside world (Stripe, a till); this module decides
what a payment means for the booking and the ledger, identically for every provider.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import donations, ledger
from core.booking import SlotContext, release_places, slot_context, try_take_places
from core.db import after_commit, utcnow
from core.ledger import credit, debit
from core.models import Booking, Community, Operator, Payment, Refund
from core.money import allocate
from core.payments.base import PaymentProvider


def donation_at_payment(session: Session, hook, booking: Booking, ctx: SlotContext, amount: int) -> int:
    """The donation share of a payment of ``amount`` for this booking (0 unless the rule takes it at payment)."""
    agreement = donations.agreement_for(session, ctx.operator.id, ctx.day)
    base = donations.DonationBase(when="payment", revenue=amount, quantity=booking.quantity,
                                  listing_details=ctx.listing.details)
    return donations.compute(hook, ctx.operator, agreement, base)


def start_online(session: Session, hook, booking: Booking, provider: PaymentProvider, config) -> str | None:
    """Create the payment with the provider; return what the page needs to confirm it (a client secret)."""
    ctx = slot_context(session, booking.slot_id)
    donation = donation_at_payment(session, hook, booking, ctx, booking.total_amount)
    started = provider.start(session, booking, ctx.operator, donation, config)
    session.add(Payment(booking_id=booking.id, operator_id=booking.operator_id, provider=provider.key,
                        reference=started.reference, status="pending", amount=booking.total_amount,
                        currency=booking.currency, donation_amount=donation))
    session.flush()
    return started.client_secret


def _post_payment(session: Session, community: Community, payment: Payment, booking: Booking,
                  provider: PaymentProvider) -> None:
    """Revenue into the operator's books; its donation due, or received at once by online collection."""
    account = "payments_clearing" if provider.collects_for_fund else "operator_cash"
    op = payment.operator_id
    ledger.post(session, community, "payment", f"payment:{payment.id}",
                [debit(account, payment.amount, op), credit("operator_revenue", payment.amount, op)],
                payment.currency, memo=f"{provider.key} payment for booking {booking.id}", operator_id=op,
                booking_id=booking.id, payment_id=payment.id)
    if payment.donation_amount:
        lines = (donations.received_lines(payment.donation_amount, op, account) if provider.collects_for_fund
                 else donations.due_lines(payment.donation_amount, op))
        ledger.post(session, community, "donation", f"donation:payment:{payment.id}", lines, payment.currency,
                    memo=f"donation share of payment {payment.id}", operator_id=op, booking_id=booking.id,
                    payment_id=payment.id)


def record_cash(session: Session, hook, booking: Booking, ctx: SlotContext, provider: PaymentProvider) -> None:
    """Cash taken at the counter for a booking (at check-in): revenue, and the donation now due."""
    if booking.total_amount == 0 or booking.payment_method != provider.key:
        return
    payment = Payment(booking_id=booking.id, operator_id=booking.operator_id, provider=provider.key,
                      reference=f"booking-{booking.id}", status="succeeded", amount=booking.total_amount,
                      currency=booking.currency, paid_at=utcnow(),
                      donation_amount=donation_at_payment(session, hook, booking, ctx, booking.total_amount))
    session.add(payment)
    session.flush()
    _post_payment(session, ctx.community, payment, booking, provider)


def payment_by_reference(session: Session, provider: str, reference: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.provider == provider, Payment.reference == reference)
                          .with_for_update())


def succeeded(session: Session, hook, payment: Payment, provider: PaymentProvider, config) -> None:
    """The provider took the money: confirm the booking (re-taking expired places) or refund it all."""
    if payment.status == "succeeded":
        return
    booking = session.get(Booking, payment.booking_id, with_for_update=True)
    ctx = slot_context(session, booking.slot_id)
    payment.status, payment.paid_at = "succeeded", utcnow()
    _post_payment(session, ctx.community, payment, booking, provider)
    if booking.status == "pending_payment":
        _confirm(session, hook, booking)
    elif booking.status == "expired" and try_take_places(session, booking.slot_id, booking.quantity):
        _confirm(session, hook, booking)
    elif booking.status in ("expired", "cancelled"):
        refund(session, hook, payment, provider, payment.amount, config, reason="paid after the hold ended")


def _confirm(session: Session, hook, booking: Booking) -> None:
    booking.status, booking.hold_expires_at, booking.updated_at = "confirmed", None, utcnow()
    after_commit(session, lambda: hook.booking_confirmed(session=session, booking=booking))


def failed(session: Session, hook, payment: Payment, status: str) -> None:
    """The payment failed or was cancelled: release the hold, if the booking still has one."""
    if payment.status != "pending":
        return
    payment.status = status
    booking = session.get(Booking, payment.booking_id, with_for_update=True)
    if booking.status == "pending_payment":
        booking.status, booking.updated_at = "expired", utcnow()
        release_places(session, booking.slot_id, booking.quantity)
        after_commit(session, lambda: hook.booking_expired(session=session, booking=booking))


def refund(session: Session, hook, payment: Payment, provider: PaymentProvider, amount: int, config,
           reason: str) -> Refund | None:
    """Give ``amount`` back through the provider that took it, and post it."""
    amount = min(amount, payment.amount - payment.refunded_amount)
    if amount <= 0:
        return None
    reference = provider.refund(session, payment, amount, config) or f"manual-{payment.id}-{payment.refunded_amount}"
    return record_refund(session, payment, provider, reference, amount, reason)


def record_refund(session: Session, payment: Payment, provider: PaymentProvider, reference: str, amount: int,
                  reason: str) -> Refund | None:
    """Post a refund once per provider reference; the donation share is reversed in proportion, exactly."""
    if session.scalar(select(Refund.id).where(Refund.payment_id == payment.id, Refund.reference == reference)):
        return None
    amount = min(amount, payment.amount - payment.refunded_amount)
    if amount <= 0:
        return None
    reversed_before = payment.refunded_amount and allocate(
        payment.donation_amount, [payment.refunded_amount, payment.amount - payment.refunded_amount])[0]
    payment.refunded_amount += amount
    reversed_now = allocate(payment.donation_amount, [payment.refunded_amount,
                                                      payment.amount - payment.refunded_amount])[0]
    row = Refund(payment_id=payment.id, reference=reference, amount=amount,
                 donation_reversed=reversed_now - reversed_before, reason=reason)
    session.add(row)
    session.flush()
    community = session.get(Community, session.get(Operator, payment.operator_id).community_id)
    op = payment.operator_id
    collected = "payments_clearing" if provider.collects_for_fund else "operator_cash"
    lines = [debit("refunds", amount, op), credit(collected, amount, op)]
    if row.donation_reversed:
        given = (donations.received_lines(row.donation_reversed, op, collected) if provider.collects_for_fund
                 else donations.due_lines(row.donation_reversed, op))
        lines += donations.reversal_lines(given)
    ledger.post(session, community, "refund", f"refund:{row.id}", lines, payment.currency,
                memo=f"refund of payment {payment.id}: {reason}", operator_id=op, booking_id=payment.booking_id,
                payment_id=payment.id)
    return row


def is_online(providers: dict[str, PaymentProvider], method: str | None) -> bool:
    """Whether a booking paid this way reaches an outside service (the provider) before it commits."""
    provider = providers.get(method or "")
    return provider is not None and provider.online


def book(session: Session, hook, user, request, types, providers: dict[str, PaymentProvider],
         config) -> tuple[Booking, str | None]:
    """Book, and for an online payment create it with the provider; return the booking and its client secret."""
    from core import booking as bookings

    booking = bookings.book(session, hook, user, request, types, providers, config)
    if booking.status != "pending_payment":
        return booking, None
    return booking, start_online(session, hook, booking, providers[booking.payment_method], config)


def cancel(session: Session, hook, user, booking_id: int, providers: dict[str, PaymentProvider], config) -> Booking:
    """Cancel, then give back what was paid (or stop the payment still pending)."""
    from core import booking as bookings

    booking = bookings.cancel(session, hook, user, booking_id)
    for payment in session.scalars(select(Payment).where(Payment.booking_id == booking.id).with_for_update()):
        provider = providers.get(payment.provider)
        if provider is None:
            continue
        if payment.status == "pending":
            provider.cancel(session, payment, config)
        elif payment.status == "succeeded":
            refund(session, hook, payment, provider, payment.amount, config, reason="cancelled by the resident")
    return booking


def check_in(session: Session, hook, user, booking_id: int, providers: dict[str, PaymentProvider]) -> Booking:
    """Mark the booking fulfilled, take cash due at the counter, and post a per-booking donation."""
    from core import booking as bookings

    booking = bookings.check_in(session, hook, user, booking_id)
    ctx = slot_context(session, booking.slot_id)
    provider = providers.get(booking.payment_method or "")
    if provider is not None and not provider.online:
        record_cash(session, hook, booking, ctx, provider)
    agreement = donations.agreement_for(session, ctx.operator.id, ctx.day)
    base = donations.DonationBase(when="booking", revenue=booking.total_amount, quantity=booking.quantity,
                                  fulfilled_bookings=1, listing_details=ctx.listing.details)
    amount = donations.compute(hook, ctx.operator, agreement, base)
    if amount:
        donations.post_due(session, ctx.community, ctx.operator, amount, f"donation:booking:{booking.id}",
                           memo=f"per-booking donation for booking {booking.id}", booking_id=booking.id)
    return booking


def record_revenue(session: Session, operator: Operator, amount: int, source: str, memo: str,
                   effective_on=None) -> None:
    """Revenue an operator earns outside bookings (e.g. a merchant's contract), posted once per ``source``."""
    community = session.get(Community, operator.community_id)
    ledger.post(session, community, "revenue", source,
                [debit("operator_cash", amount, operator.id), credit("operator_revenue", amount, operator.id)],
                community.currency, memo=memo, operator_id=operator.id, effective_on=effective_on)
