"""Smoke tests for tests/stripe_support.py: localstripe payments, recorded Connect calls, webhook signatures."""
from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from tests.stripe_support import (  # noqa: F401  (fixtures are used by name)
    RecordingHttpClient,
    localstripe_url,
    recording_http,
    register_webhook,
    sign_webhook,
    stripe_client,
)

PAYMENT = {"amount": 1000, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True}


def test_localstripe_payment_intent_succeeds(stripe_client):
    """A confirmed card PaymentIntent in CNY succeeds and keeps its metadata."""
    pi = stripe_client.v1.payment_intents.create({**PAYMENT, "metadata": {"booking": "42"}},
                                                 {"idempotency_key": "booking-42"})
    assert (pi.status, pi.amount, pi.currency) == ("succeeded", 1000, "cny")
    assert pi.metadata.to_dict() == {"booking": "42"}


def test_localstripe_declined_card_raises(stripe_client):
    """A card that fails at charge time raises CardError, as real Stripe does."""
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.create({**PAYMENT, "payment_method": "pm_card_chargeCustomerFail"})


def test_localstripe_refund(stripe_client):
    """A partial refund succeeds and shows on the charge."""
    pi = stripe_client.v1.payment_intents.create(PAYMENT)
    refund = stripe_client.v1.refunds.create({"payment_intent": pi.id, "amount": 300})
    assert (refund.status, refund.amount) == ("succeeded", 300)
    charge = stripe_client.v1.charges.retrieve(refund.charge)
    assert charge.amount_refunded == 300


def test_localstripe_refuses_connect_parameters(stripe_client):
    """localstripe rejects Connect fields: that is why RecordingHttpClient exists."""
    with pytest.raises(stripe.InvalidRequestError, match="transfer_data"):
        stripe_client.v1.payment_intents.create({**PAYMENT, "transfer_data": {"destination": "acct_1"}})


def test_localstripe_delivers_signed_webhook(localstripe_url, stripe_client):
    """localstripe POSTs payment_intent.succeeded, signed with the configured secret."""
    received = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.put((self.headers["Stripe-Signature"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        register_webhook(localstripe_url, "smoke", f"http://127.0.0.1:{server.server_port}/hook",
                         "whsec_smoke", events=["payment_intent.succeeded"])
        pi = stripe_client.v1.payment_intents.create(PAYMENT)
        deadline = time.monotonic() + 10
        while True:  # other tests' events may arrive too; wait for ours
            header, body = received.get(timeout=max(deadline - time.monotonic(), 0.1))
            event = stripe.Webhook.construct_event(body, header, "whsec_smoke")
            if event.data.object.id == pi.id:
                break
        assert event.type == "payment_intent.succeeded"
        assert event.data.object.status == "succeeded"
    finally:
        register_webhook(localstripe_url, "smoke", "http://127.0.0.1:9/gone", "x", events=["none"])
        server.shutdown()


def test_recording_client_records_connect_payment_intent(recording_http):
    """The real SDK sends destination-charge parameters; the recorder keeps them as a flat dict."""
    recording_http.answer("POST", "/v1/payment_intents",
                          lambda req: {"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method",
                                       "amount": int(req.form["amount"])})
    client = stripe.StripeClient("sk_test_recording", http_client=recording_http)
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "cny", "transfer_data": {"destination": "acct_host"},
         "application_fee_amount": 100, "automatic_payment_methods": {"enabled": True}},
        {"idempotency_key": "booking-7", "stripe_account": "acct_platform"},
    )
    assert (pi.id, pi.amount) == ("pi_1", 1000)
    req = recording_http.last
    assert (req.method, req.path) == ("POST", "/v1/payment_intents")
    assert req.form == {"amount": "1000", "currency": "cny", "transfer_data[destination]": "acct_host",
                        "application_fee_amount": "100", "automatic_payment_methods[enabled]": "true"}
    assert req.headers["Idempotency-Key"] == "booking-7"
    assert req.headers["Stripe-Account"] == "acct_platform"


def test_recording_client_refund_and_unanswered_path():
    """Refund flags are recorded; a path with no canned answer raises InvalidRequestError."""
    http = RecordingHttpClient()
    http.answer("POST", "/v1/refunds", {"id": "re_1", "object": "refund", "status": "succeeded"})
    client = stripe.StripeClient("sk_test_recording", http_client=http, max_network_retries=0)
    client.v1.refunds.create({"payment_intent": "pi_1", "reverse_transfer": True, "refund_application_fee": True})
    assert http.last.form == {"payment_intent": "pi_1", "reverse_transfer": "true", "refund_application_fee": "true"}
    with pytest.raises(stripe.InvalidRequestError, match="no canned answer"):
        client.v1.payment_intents.retrieve("pi_1")
    assert [r.path for r in http.requests] == ["/v1/refunds", "/v1/payment_intents/pi_1"]


def test_signed_webhook_verifies_and_tampered_fails():
    """sign_webhook makes headers construct_event accepts; tampering or a stale timestamp is rejected."""
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
                          "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}).encode()
    header = sign_webhook(payload, "whsec_test")
    assert stripe.Webhook.construct_event(payload, header, "whsec_test").data.object.id == "pi_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace(b"pi_1", b"pi_2"), header, "whsec_test")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign_webhook(payload, "whsec_test", int(time.time()) - 600),
                                       "whsec_test")
