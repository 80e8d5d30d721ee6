"""Stripe: the only module that talks to Stripe.

A PaymentIntent per booking, created with an idempotency key. Where the operator
has a connected account it is a destination charge whose application fee is the
fund's donation share, so the share is split off at payment time; refunds then
reverse the transfer and refund the application fee in proportion. The daily
statement is read from the balance transactions of a UTC day; operators connect
their account through Stripe's own onboarding (Express accounts, Account Links).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import stripe

from core.errors import N_
from core.models import Operator
from core.payments.base import (
    BAD_SIGNATURE, PAYMENT_DECLINED, PROVIDER_UNAVAILABLE, Notification, PaymentProvider, PaymentStart, RefundNotice,
    StatementLine,
)

# The SDK logs whole request and response bodies (client secrets, customers' emails) at DEBUG: its logger stays
# at INFO (method, path, status, request id) whatever level the rest of the application logs at.
logging.getLogger("stripe").setLevel(logging.INFO)

STATEMENT_KINDS = {"charge": "payment", "payment": "payment", "refund": "refund", "payment_refund": "refund"}
"""The balance transactions of a statement, by the kind of line each is (fees, payouts, transfers are left out)."""


@dataclass(frozen=True)
class ConnectedAccount:
    """An operator's Stripe account as Stripe sees it: may it take payments, has it given all Stripe asked?"""

    account_id: str
    charges_enabled: bool
    details_submitted: bool


class StripeProvider(PaymentProvider):
    key = "stripe"
    label = N_("Card, Alipay or WeChat Pay (Stripe)")
    online = True
    collects_for_fund = True
    has_statements = True
    refunded_reason = N_("refunded in Stripe")
    PAYMENT_STATUS = {"payment_intent.succeeded": "succeeded", "payment_intent.payment_failed": "failed",
                      "payment_intent.canceled": "canceled"}

    def is_configured(self, config) -> bool:
        return bool(config.get("STRIPE_SECRET_KEY"))

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
        except stripe.StripeError:
            raise PROVIDER_UNAVAILABLE() from None

    def refund(self, session, payment, amount: int, config) -> str:
        params = {"payment_intent": payment.reference, "amount": amount,
                  "metadata": {"booking_id": str(payment.booking_id)}}
        if session.get(Operator, payment.operator_id).stripe_account_id:
            params.update(reverse_transfer=True, refund_application_fee=True)
        key = f"linli-refund-{payment.reference}-{payment.refunded_amount}-{amount}"
        refund = self._call(lambda: self.client(config).v1.refunds.create(
            params=params, options={"idempotency_key": key}))
        return refund.id

    def parse_notification(self, payload: bytes, headers, config) -> Notification:
        """A webhook event verified by its ``Stripe-Signature``: a payment's fate, or a charge's refunds."""
        event = self.parse_event(payload, headers.get("Stripe-Signature"), config)
        obj, kind = event["data"]["object"], event["type"]
        if kind in self.PAYMENT_STATUS:
            return Notification(event["id"], kind, reference=obj["id"], status=self.PAYMENT_STATUS[kind])
        if kind == "charge.refunded" and obj.get("payment_intent"):
            refunds = sorted((r for r in (obj.get("refunds") or {}).get("data") or []
                              if r.get("status") not in ("failed", "canceled")),  # no money went back
                             key=lambda r: r.get("created", 0))
            return Notification(event["id"], kind, reference=obj["payment_intent"],
                                refunds=tuple(RefundNotice(r["id"], r["amount"]) for r in refunds),
                                refunded_total=obj.get("amount_refunded", 0),
                                total_reference=f"{obj['id']}:{obj.get('amount_refunded', 0)}")
        return Notification(event["id"], kind)

    def parse_event(self, payload: bytes, signature: str | None, config) -> dict:
        """The verified event as a dict; a signature that cannot be verified is a 400."""
        secret = config.get("STRIPE_WEBHOOK_SECRET")
        if not secret or not signature:
            raise BAD_SIGNATURE()
        try:
            return stripe.Webhook.construct_event(payload, signature, secret).to_dict()
        except (ValueError, stripe.SignatureVerificationError):
            raise BAD_SIGNATURE() from None

    def statement(self, day: dt.date, config) -> list[StatementLine]:
        """The balance transactions created on ``day`` (UTC), each source read in the same call: a payment under its
        PaymentIntent, a refund under its own id, in the currency and amount the resident paid."""
        start = int(dt.datetime.combine(day, dt.time(), dt.timezone.utc).timestamp())
        params = {"created": {"gte": start, "lt": start + 86_400}, "limit": 100, "expand": ["data.source"]}
        page = self._call(lambda: self.client(config).v1.balance_transactions.list(params=params))
        return [line for item in self._call(lambda: list(page.auto_paging_iter()))
                if (line := self._statement_line(day, item.to_dict())) is not None]

    @staticmethod
    def _statement_line(day: dt.date, item: dict) -> StatementLine | None:
        kind, source = STATEMENT_KINDS.get(item.get("type")), item.get("source")
        if kind is None or not isinstance(source, dict):
            return None
        reference = source.get("payment_intent") if kind == "payment" else source.get("id")
        amount = source.get("amount", abs(item.get("amount", 0)))
        return StatementLine(day, kind, reference or source.get("id", ""), amount, item.get("fee", 0))

    def create_account(self, operator: Operator, country: str, config) -> str:
        """An Express account for the operator (once: the key is the operator's), to be completed on Stripe."""
        params = {"type": "express", "country": country, "email": operator.contact_email or None,
                  "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
                  "business_profile": {"name": operator.stored_name}, "metadata": {"operator_id": str(operator.id)}}
        account = self._call(lambda: self.client(config).v1.accounts.create(
            params={k: v for k, v in params.items() if v is not None},
            options={"idempotency_key": f"linli-operator-account-{operator.id}"}))
        return account.id

    def account_link(self, account_id: str, refresh_url: str, return_url: str, config) -> str:
        """A one-time address of Stripe's onboarding for the account (it expires in minutes: ask again)."""
        link = self._call(lambda: self.client(config).v1.account_links.create(params={
            "account": account_id, "refresh_url": refresh_url, "return_url": return_url,
            "type": "account_onboarding"}))
        return link.url

    def account(self, account_id: str, config) -> ConnectedAccount:
        account = self._call(lambda: self.client(config).v1.accounts.retrieve(account_id))
        return ConnectedAccount(account.id, bool(account.charges_enabled), bool(account.details_submitted))

    @staticmethod
    def _call(request):
        try:
            return request()
        except stripe.CardError as e:
            raise PAYMENT_DECLINED(reason=e.user_message or "", field="payment_method") from None
        except stripe.StripeError:
            raise PROVIDER_UNAVAILABLE() from None
