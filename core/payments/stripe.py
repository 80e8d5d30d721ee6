"""Stripe: the only module that talks to Stripe.

A PaymentIntent per booking, created with an idempotency key. Where the operator
has a connected account it is a destination charge whose application fee is the
fund's donation share, so the share is split off at payment time; refunds then
reverse the transfer and refund the application fee in proportion.
"""
from __future__ import annotations

import logging

import stripe

from core.errors import DomainError, Invalid
from core.models import Operator
from core.payments.base import PaymentProvider, PaymentStart

# The SDK logs whole request and response bodies (client secrets, customers' emails) at DEBUG: its logger stays
# at INFO (method, path, status, request id) whatever level the rest of the application logs at.
logging.getLogger("stripe").setLevel(logging.INFO)


class ProviderUnavailable(DomainError):
    status = 502


class StripeProvider(PaymentProvider):
    key = "stripe"
    label = "Card, Alipay or WeChat Pay (Stripe)"
    online = True
    collects_for_fund = True

    def is_configured(self, config) -> bool:
        return bool(config.get("STRIPE_SECRET_KEY"))

    def not_configured_reason(self) -> str:
        return "online payment (Stripe) is not configured on this platform: choose cash at the counter"

    def client(self, config) -> stripe.StripeClient:
        base = config.get("STRIPE_API_BASE")
        return stripe.StripeClient(config["STRIPE_SECRET_KEY"], base_addresses={"api": base} if base else None,
                                   http_client=config.get("STRIPE_HTTP_CLIENT"), max_network_retries=2)

    def start(self, session, booking, operator: Operator, donation_amount: int, config) -> PaymentStart:
        methods = [m.strip() for m in config["STRIPE_PAYMENT_METHODS"].split(",") if m.strip()]
        params = {
            "amount": booking.total_amount,
            "currency": booking.currency.lower(),
            "payment_method_types": methods,
            "metadata": {"booking_id": str(booking.id), "operator_id": str(operator.id),
                         "community_id": str(operator.community_id)},
            "description": f"Linli booking {booking.id}",
        }
        if "wechat_pay" in methods:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        if operator.stripe_account_id:
            params["transfer_data"] = {"destination": operator.stripe_account_id}
            if donation_amount:
                params["application_fee_amount"] = donation_amount
        key = f"linli-booking-{booking.id}-{int(booking.created_at.timestamp() * 1_000_000)}"
        intent = self._call(lambda: self.client(config).v1.payment_intents.create(
            params=params, options={"idempotency_key": key}))
        return PaymentStart(reference=intent.id, client_secret=intent.client_secret)

    def cancel(self, session, payment, config) -> None:
        try:
            self.client(config).v1.payment_intents.cancel(payment.reference)
        except stripe.InvalidRequestError:
            pass  # already succeeded or cancelled: the webhook settles it
        except stripe.StripeError as e:
            raise ProviderUnavailable(f"Stripe did not answer: {e.user_message or 'try again'}") from None

    def refund(self, session, payment, amount: int, config) -> str:
        params = {"payment_intent": payment.reference, "amount": amount,
                  "metadata": {"booking_id": str(payment.booking_id)}}
        if session.get(Operator, payment.operator_id).stripe_account_id:
            params.update(reverse_transfer=True, refund_application_fee=True)
        key = f"linli-refund-{payment.reference}-{payment.refunded_amount}-{amount}"
        refund = self._call(lambda: self.client(config).v1.refunds.create(
            params=params, options={"idempotency_key": key}))
        return refund.id

    def parse_event(self, payload: bytes, signature: str | None, config) -> dict:
        """The verified event as a dict; a signature that cannot be verified is a 400."""
        secret = config.get("STRIPE_WEBHOOK_SECRET")
        if not secret or not signature:
            raise BadSignature("the webhook signature cannot be verified")
        try:
            return stripe.Webhook.construct_event(payload, signature, secret).to_dict()
        except (ValueError, stripe.SignatureVerificationError):
            raise BadSignature("the webhook signature cannot be verified") from None

    @staticmethod
    def _call(request):
        try:
            return request()
        except stripe.CardError as e:
            raise Invalid(e.user_message or "the card was declined", {"payment_method": [str(e.user_message)]})
        except stripe.StripeError as e:
            raise ProviderUnavailable(f"Stripe did not answer: {e.user_message or 'try again later'}") from None


class BadSignature(DomainError):
    status = 400
