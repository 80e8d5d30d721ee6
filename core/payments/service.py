"""Money for bookings: recording payments and refunds, and posting them with their donations.

Providers only talk to the outside world (Stripe, a till); this module decides
what a payment means for the ledger, identically for every provider. What it
means for the booking is the booking module's call: a payment that arrives asks
``booking.confirm_paid``, one that fails asks ``booking.expire``, and this
module never sets a booking's status itself.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import booking as bookings
from core import donated_refunds, donations, ledger
from core.booking import PaymentMethod, RefundGift, SlotContext, slot_context
from core.db import utcnow
from core.errors import N_, invalid, text
from core.ledger import credit, debit
from core.models import Booking, Community, Operator, Payment, Refund
from core.money import part_of
from core.payments import shares
from core.payments.base import PaymentProvider, PaymentStart
from core.plugins import Plugins
from core.pricing import Quote


CHOOSE_PAYMENT = invalid("choose_payment_method", N_("Please choose how you will pay: %(methods)s."))
UNKNOWN_PAYMENT_METHOD = invalid("unknown_payment_method", N_(
    "This way of paying is not available here. Please choose one of %(methods)s."))
PAYMENT_NOT_CONFIGURED = invalid("payment_method_not_configured", N_(
    "%(method)s is not available on this platform. Please choose cash at the counter."))
# The ledger's memos (core.memos): each reader sees them in their language.
PAYMENT_MEMO = N_("Payment for booking %(booking)s: %(method)s")
PAYMENT_SHARE_MEMO = N_("Donation share of payment %(payment)s")
PER_BOOKING_MEMO = N_("Donation for serving booking %(booking)s")
REFUND_MEMO = N_("Refund of payment %(payment)s: %(reason)s")
CANCELLED_BY_RESIDENT = N_("cancelled by the resident")
CALLED_OFF = N_("called off by the operator")
PAID_TOO_LATE = N_("paid after the hold ended")


class BookingPayments:
    """The money side of a booking's life (:class:`core.booking.Payments`), and what providers report back."""

    def __init__(self, plugins: Plugins, config):
        self.plugins, self.config = plugins, config

    @property
    def providers(self) -> dict[str, PaymentProvider]:
        return self.plugins.payment_providers

    def is_online(self, method: str | None) -> bool:
        """Whether a booking paid this way reaches an outside service (the provider) before it commits."""
        provider = self.providers.get(method or "")
        return provider is not None and provider.online

    def available(self, provider: PaymentProvider, currency: str) -> bool:
        """Whether residents may pay this way now: configured on this platform, and in this currency."""
        return provider.is_configured(self.config) and (provider.currencies is None or currency in provider.currencies)

    def choices(self, currency: str) -> list[PaymentProvider]:
        """The ways a resident may pay in ``currency`` now, cash first."""
        return sorted((p for p in self.providers.values() if self.available(p, currency)),
                      key=lambda p: (p.online, p.key))

    def method_for(self, offer: Quote, method: str | None) -> PaymentMethod | None:
        """The provider that collects the money; none for a free booking (the method is ignored)."""
        if offer.total_amount == 0:
            return None
        known = ", ".join(sorted(self.providers))
        if method is None:
            raise CHOOSE_PAYMENT(methods=known, field="payment_method")
        provider = self.providers.get(method)
        if provider is None:
            raise UNKNOWN_PAYMENT_METHOD(methods=known, field="payment_method")
        if not self.available(provider, offer.currency):
            raise PAYMENT_NOT_CONFIGURED(method=text(provider.label or provider.key), field="payment_method")
        hold = dt.timedelta(minutes=self.config["HOLD_MINUTES"]) if provider.online else None
        return PaymentMethod(provider.key, provider.online, hold)

    def start(self, session: Session, booking: Booking, ctx: SlotContext) -> PaymentStart | None:
        """Create the payment with the provider; return what the page needs to confirm it (a client secret)."""
        provider = self.providers[booking.payment_method]
        donation = self.donation_at_payment(session, booking, ctx, booking.total_amount)
        started = provider.start(session, booking, ctx.operator, donation, self.config)
        session.add(Payment(booking_id=booking.id, operator_id=booking.operator_id, provider=provider.key,
                            reference=started.reference, status="pending", amount=booking.total_amount,
                            currency=booking.currency, donation_amount=donation, action=started.action,
                            action_url=started.url))
        session.flush()
        return started

    def cancelled(self, session: Session, booking: Booking, ctx: SlotContext,
                  gift: RefundGift | None = None) -> None:
        """Give back what was paid (or give it to the fund, before anything is asked of a provider: 409 when nothing
        was paid), or stop the payment still pending."""
        paid = list(self._payments_of(session, booking))
        if gift is not None:
            donated_refunds.check_something_paid(booking, [payment for payment, _provider in paid])
        for payment, provider in paid:
            if payment.status == "pending":
                provider.cancel(session, payment, self.config)
            elif payment.status == "succeeded" and gift is not None:
                self.give_to_fund(session, payment, provider, booking, ctx, gift)
            elif payment.status == "succeeded":
                reason = CALLED_OFF if booking.cancel_reason else CANCELLED_BY_RESIDENT
                self.refund(session, payment, provider, payment.amount, reason=text(reason))

    def give_to_fund(self, session: Session, payment: Payment, provider: PaymentProvider, booking: Booking,
                     ctx: SlotContext, gift: RefundGift) -> None:
        """The refund of what is left of ``payment`` becomes a gift to the fund; no provider is asked for it."""
        refund = record_refund(session, payment, provider, donated_refunds.reference_for(payment),
                               payment.amount, text(donated_refunds.GIVEN_TO_FUND), to_fund=True)
        if refund is not None:
            donated_refunds.record_gift(session, refund, booking, ctx.community, gift)

    def hold_ended(self, session: Session, booking: Booking) -> None:
        """The booking's hold ran out: ask the provider first (a payment made whose notification has not come is
        taken: the places re-taken, or the money refunded), then close the payments still pending, so that the
        resident can no longer pay for places that are gone (one paid all the same is refunded when reported)."""
        for payment, provider in self._payments_of(session, booking):
            if payment.status == "pending" and provider.query(session, payment, self.config) == "succeeded":
                self.succeeded(session, payment, provider)
            if payment.status == "pending":
                provider.cancel(session, payment, self.config)

    def _payments_of(self, session: Session, booking: Booking):
        for payment in session.scalars(select(Payment).where(Payment.booking_id == booking.id).with_for_update()):
            provider = self.providers.get(payment.provider)
            if provider is not None:
                yield payment, provider

    def fulfilled(self, session: Session, booking: Booking, ctx: SlotContext) -> None:
        """Take cash due at the counter, and post a per-booking donation."""
        provider = self.providers.get(booking.payment_method or "")
        if provider is not None and not provider.online and booking.total_amount:
            self.record_cash(session, booking, ctx, provider)
        agreement = donations.agreement_for(session, ctx.operator.id, ctx.day)
        base = donations.DonationBase(when="booking", revenue=booking.total_amount, quantity=booking.quantity,
                                      fulfilled_bookings=1, listing_details=ctx.listing.details)
        amount = donations.compute(self.plugins.operator_types, ctx.operator, agreement, base)
        if amount:
            donations.post_due(session, ctx.community, ctx.operator, amount, f"donation:booking:{booking.id}",
                               memo=text(PER_BOOKING_MEMO, booking=booking.id), booking_id=booking.id)

    def donation_at_payment(self, session: Session, booking: Booking, ctx: SlotContext, amount: int) -> int:
        """The donation share of a payment of ``amount`` for this booking (0 unless the rule takes it at payment)."""
        agreement = donations.agreement_for(session, ctx.operator.id, ctx.day)
        base = donations.DonationBase(when="payment", revenue=amount, quantity=booking.quantity,
                                      listing_details=ctx.listing.details)
        return donations.compute(self.plugins.operator_types, ctx.operator, agreement, base)

    def record_cash(self, session: Session, booking: Booking, ctx: SlotContext, provider: PaymentProvider) -> None:
        """Cash taken at the counter for a booking: revenue, and the donation now due."""
        payment = Payment(booking_id=booking.id, operator_id=booking.operator_id, provider=provider.key,
                          reference=f"booking-{booking.id}", status="succeeded", amount=booking.total_amount,
                          currency=booking.currency, paid_at=utcnow(),
                          donation_amount=self.donation_at_payment(session, booking, ctx, booking.total_amount))
        session.add(payment)
        session.flush()
        _post_payment(session, ctx.community, payment, booking, provider)

    def succeeded(self, session: Session, payment: Payment, provider: PaymentProvider) -> None:
        """The provider took the money: post it; the booking is confirmed (or revived), or else refunded in full."""
        if payment.status == "succeeded":
            return
        booking = session.get(Booking, payment.booking_id, with_for_update=True)
        payment.status, payment.paid_at = "succeeded", utcnow()
        _post_payment(session, slot_context(session, booking.slot_id).community, payment, booking, provider)
        if not bookings.confirm_paid(session, self.plugins, booking):
            self.refund(session, payment, provider, payment.amount, reason=text(PAID_TOO_LATE))
        shares.request(session, payment, provider)

    def failed(self, session: Session, payment: Payment, status: str) -> None:
        """The payment failed or was cancelled: the booking lets its hold go, if it still has one."""
        if payment.status != "pending":
            return
        payment.status = status
        bookings.expire(session, self.plugins, session.get(Booking, payment.booking_id, with_for_update=True))

    def refund(self, session: Session, payment: Payment, provider: PaymentProvider, amount: int,
               reason: str) -> Refund | None:
        """Give ``amount`` back through the provider that took it, and post it."""
        amount = min(amount, payment.amount - payment.refunded_amount)
        if amount <= 0:
            return None
        reference = (provider.refund(session, payment, amount, self.config)
                     or f"manual-{payment.id}-{payment.refunded_amount}")
        return record_refund(session, payment, provider, reference, amount, reason)


def _post_payment(session: Session, community: Community, payment: Payment, booking: Booking,
                  provider: PaymentProvider) -> None:
    """Revenue into the operator's books; its donation due, or received at once by online collection: two entries
    posted under one lock of the chain and one flush."""
    account = "payments_clearing" if provider.collects_for_fund else "operator_cash"
    op = payment.operator_id
    about = {"operator_id": op, "booking_id": booking.id, "payment_id": payment.id}
    postings = [ledger.Posting("payment", f"payment:{payment.id}",
                               [debit(account, payment.amount, op), credit("operator_revenue", payment.amount, op)],
                               payment.currency, memo=text(PAYMENT_MEMO, booking=booking.id,
                                                           method=text(provider.label or provider.key)), **about)]
    if payment.donation_amount:
        lines = (donations.received_lines(payment.donation_amount, op, account) if provider.collects_for_fund
                 else donations.due_lines(payment.donation_amount, op))
        postings.append(ledger.Posting("donation", f"donation:payment:{payment.id}", lines, payment.currency,
                                       memo=text(PAYMENT_SHARE_MEMO, payment=payment.id), **about))
    ledger.post_many(session, community, postings)


def payment_by_reference(session: Session, provider: str, reference: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.provider == provider, Payment.reference == reference)
                          .with_for_update())


def record_refund(session: Session, payment: Payment, provider: PaymentProvider, reference: str, amount: int,
                  reason: str, to_fund: bool = False) -> Refund | None:
    """Post a refund once per provider reference; the donation share is reversed in proportion, exactly. ``to_fund``:
    the resident gave it to the fund, so it stays with the operator, owed to the fund (:mod:`core.donated_refunds`)."""
    if session.scalar(select(Refund.id).where(Refund.payment_id == payment.id, Refund.reference == reference)):
        return None
    amount = min(amount, payment.amount - payment.refunded_amount)
    if amount <= 0:
        return None
    reversed_before = part_of(payment.donation_amount, payment.refunded_amount, payment.amount)
    payment.refunded_amount += amount
    reversed_now = part_of(payment.donation_amount, payment.refunded_amount, payment.amount)
    row = Refund(payment_id=payment.id, reference=reference, amount=amount,
                 donation_reversed=reversed_now - reversed_before, reason=str(reason))
    session.add(row)
    session.flush()
    community = session.get(Community, session.get(Operator, payment.operator_id).community_id)
    op = payment.operator_id
    collected = "payments_clearing" if provider.collects_for_fund else "operator_cash"
    lines = [debit("refunds", amount, op)] + (donations.given_refund_lines(amount, op) if to_fund
                                              else [credit(collected, amount, op)])
    if row.donation_reversed:
        given = (donations.received_lines(row.donation_reversed, op, collected) if provider.collects_for_fund
                 else donations.due_lines(row.donation_reversed, op))
        lines += donations.reversal_lines(given)
    ledger.post(session, community, "refund", f"refund:{row.id}", lines, payment.currency,
                memo=text(REFUND_MEMO, payment=payment.id, reason=reason), operator_id=op,
                booking_id=payment.booking_id, payment_id=payment.id)
    return row


def record_revenue(session: Session, operator: Operator, amount: int, source: str, memo: str,
                   effective_on=None) -> None:
    """Revenue an operator earns outside bookings (e.g. a merchant's contract), posted once per ``source``."""
    community = session.get(Community, operator.community_id)
    ledger.post(session, community, "revenue", source,
                [debit("operator_cash", amount, operator.id), credit("operator_revenue", amount, operator.id)],
                community.currency, memo=memo, operator_id=operator.id, effective_on=effective_on)
