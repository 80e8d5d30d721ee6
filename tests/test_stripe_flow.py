"""The whole Stripe flow against localstripe: book, pay, the webhook, the ledger, cancel and refund.

localstripe stands in for Stripe with two gaps worked around here: it refuses a
PaymentIntent's ``description`` (so LocalstripeHttpClient drops that one field on
the way out), and it cannot confirm with a ``payment_method`` (so the test sets the
card on the PaymentIntent first, then confirms). It emits no ``charge.refunded``,
so that event is built from the real charge.
"""
from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import stripe
from sqlalchemy import select

from core import checks, ledger
from core.models import Community, Payment, Refund
from tests.clock import serving_booking
from tests.factories import DemoWorld
from tests.stripe_support import LOCALSTRIPE_API_KEY, sign_webhook

SECRET = "whsec_test"
WEBHOOK = "/api/v1/payments/stripe/webhook"
CLEANING = "Home cleaning, 2 hours"
ADDRESS = {"address": "Heping Road 1"}


class LocalstripeHttpClient(stripe.RequestsClient):
    """The SDK's own HTTP client, minus the PaymentIntent ``description`` localstripe does not know."""

    def request(self, method, url, headers, post_data=None):
        if method.lower() == "post" and urlsplit(url).path == "/v1/payment_intents" and post_data:
            text = post_data.decode() if isinstance(post_data, bytes) else post_data
            post_data = urlencode([(k, v) for k, v in parse_qsl(text, keep_blank_values=True) if k != "description"])
        return super().request(method, url, headers, post_data)


@pytest.fixture
def platform(make_app, localstripe_url):
    from core import demo as demo_data

    app = make_app(STRIPE_SECRET_KEY=LOCALSTRIPE_API_KEY, STRIPE_API_BASE=localstripe_url,
                   STRIPE_WEBHOOK_SECRET=SECRET, STRIPE_HTTP_CLIENT=LocalstripeHttpClient())
    demo_data.seed(app)
    return app, DemoWorld(app.test_client())


def book_cleaning(world, who="adult", method="stripe"):
    response = world.api(who).post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"], "quantity": 1,
                                                  "payment_method": method, "details": ADDRESS})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pay_on_localstripe(stripe_client, intent_id, card="pm_card_visa"):
    """What Stripe.js does in the page: attach the card, then confirm."""
    stripe_client.v1.payment_intents.update(intent_id, {"payment_method": card})
    return stripe_client.v1.payment_intents.confirm(intent_id)


def localstripe_event(localstripe_url, kind, object_id, timeout=10.0) -> bytes:
    """The raw JSON of the event localstripe recorded for ``object_id``, exactly as Stripe would send it."""
    deadline = time.monotonic() + timeout
    while True:
        for event in _events(localstripe_url, kind):
            if event["data"]["object"]["id"] == object_id:
                return _get(localstripe_url, f"/v1/events/{event['id']}")
        if time.monotonic() > deadline:
            raise AssertionError(f"localstripe recorded no {kind} for {object_id}")
        time.sleep(0.05)


def _events(localstripe_url, kind):
    """Every event of a kind, page by page (the server is shared by the whole test session)."""
    query = {"type": kind, "limit": 100}
    while True:
        page = json.loads(_get(localstripe_url, "/v1/events?" + urlencode(query)))
        yield from page["data"]
        if not page["has_more"]:
            return
        query["starting_after"] = page["data"][-1]["id"]


def _get(localstripe_url, path) -> bytes:
    request = urllib.request.Request(localstripe_url + path,
                                     headers={"Authorization": f"Bearer {LOCALSTRIPE_API_KEY}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


def deliver(client, payload: bytes):
    return client.post(WEBHOOK, data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_webhook(payload, SECRET)})


def books(app):
    """Balances of the housekeeping operator's and the fund's accounts; the invariants must hold."""
    with app.extensions["linli"].db.reader() as session:
        assert checks.violations(session) == []
        community = session.scalar(select(Community))
        return ledger.balances(session, community.id, list(ledger.ACCOUNTS))


def payment_row(app):
    with app.extensions["linli"].db.reader() as session:
        [payment] = session.scalars(select(Payment)).all()
        return payment, session.scalars(select(Refund)).all()


def test_pay_by_card_then_cancel_and_refund(platform, stripe_client, localstripe_url):
    app, world = platform
    adult = world.api("adult")

    # booking creates the PaymentIntent on "Stripe"
    booking = book_cleaning(world)
    assert booking["status"] == "pending_payment" and booking["total_amount"] == 12000
    payment, _ = payment_row(app)
    intent = stripe_client.v1.payment_intents.retrieve(payment.reference)
    assert booking["client_secret"] == intent.client_secret
    assert (intent.amount, intent.currency, intent.status) == (12000, "cny", "requires_payment_method")
    assert intent.metadata["booking_id"] == str(booking["id"])
    assert books(app) == {}  # nothing is posted before the money is taken

    # the resident pays; localstripe records payment_intent.succeeded, which Stripe delivers signed
    assert pay_on_localstripe(stripe_client, intent.id).status == "succeeded"
    event = localstripe_event(localstripe_url, "payment_intent.succeeded", intent.id)
    response = deliver(app.test_client(), event)
    assert response.status_code == 200 and response.get_json() == {"result": "processed"}
    assert adult.get(f"/bookings/{booking['id']}").get_json()["status"] == "confirmed"
    paid = books(app)
    assert paid["operator_revenue"] == 12000
    assert paid["fund_cash"] == paid["donation_income"] == paid["operator_donations"] == 1200
    assert paid["payments_clearing"] == 12000 - 1200
    assert deliver(app.test_client(), event).get_json() == {"result": "duplicate"}
    assert books(app) == paid

    # the resident cancels: a real refund on localstripe, and the ledger reverses payment and donation
    cancelled = adult.post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    [refund] = stripe_client.v1.refunds.list({"payment_intent": intent.id}).data
    assert (refund.amount, refund.status) == (12000, "succeeded")
    assert refund.metadata["booking_id"] == str(booking["id"])
    payment, refunds = payment_row(app)
    assert payment.refunded_amount == 12000
    assert [(r.reference, r.amount, r.donation_reversed) for r in refunds] == [(refund.id, 12000, 1200)]
    refunded = books(app)
    assert refunded["refunds"] == refunded["operator_revenue"] == 12000
    assert refunded["fund_cash"] == refunded["donation_income"] == refunded["operator_donations"] == 0
    assert refunded["payments_clearing"] == 0

    # Stripe's charge.refunded for that refund (built from the real charge) posts nothing more
    charge = stripe_client.v1.charges.retrieve(refund.charge)
    assert charge.amount_refunded == 12000
    charge_event = json.dumps({"id": "evt_charge_refunded_" + charge.id, "object": "event", "type": "charge.refunded",
                               "data": {"object": charge.to_dict()}}).encode()
    assert deliver(app.test_client(), charge_event).get_json() == {"result": "processed"}
    assert books(app) == refunded and len(payment_row(app)[1]) == 1


def test_a_declined_card_releases_the_hold(platform, stripe_client, localstripe_url):
    app, world = platform
    booking = book_cleaning(world)
    payment, _ = payment_row(app)
    with pytest.raises(stripe.CardError):
        pay_on_localstripe(stripe_client, payment.reference, card="pm_card_chargeCustomerFail")
    event = localstripe_event(localstripe_url, "payment_intent.payment_failed", payment.reference)
    assert deliver(app.test_client(), event).get_json() == {"result": "processed"}
    assert world.api("adult").get(f"/bookings/{booking['id']}").get_json()["status"] == "expired"
    assert world.slots(CLEANING)[0]["remaining"] == 3
    assert books(app) == {}


def test_without_stripe_keys_stripe_is_refused_clearly_and_cash_and_free_still_work(make_app):
    from core import demo as demo_data

    app = make_app()  # no STRIPE_SECRET_KEY
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    adult, slot = world.api("adult"), world.slots(CLEANING)[0]

    refused = adult.post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "stripe",
                                       "details": ADDRESS})
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "payment_method_not_configured"
    assert "Stripe" in body["detail"] and "not available" in body["detail"] and "cash" in body["detail"]
    assert body["errors"]["payment_method"] == [body["detail"]]
    assert world.slots(CLEANING)[0]["remaining"] == 3 and adult.get("/bookings").get_json()["items"] == []

    cash = adult.post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash",
                                    "details": ADDRESS})
    assert cash.status_code == 201 and cash.get_json()["status"] == "confirmed"
    assert cash.get_json()["client_secret"] is None
    with serving_booking(world.client, cash.get_json()):
        checked_in = world.api("housekeeping").post(f"/bookings/{cash.get_json()['id']}/check-in")
    assert checked_in.status_code == 200 and checked_in.get_json()["status"] == "fulfilled"
    free = world.api("elder92").post("/bookings", {"slot_id": world.slots("Community lunch")[0]["id"],
                                                   "quantity": 1, "payment_method": "stripe", "details": {}})
    assert free.status_code == 201 and free.get_json()["status"] == "confirmed"
    assert free.get_json()["payment_method"] is None
    cash_books = books(app)
    assert cash_books["operator_cash"] == cash_books["operator_revenue"] == 12000
    assert cash_books["donations_receivable"] == 1200 and cash_books.get("fund_cash", 0) == 0
    unconfigured = deliver(app.test_client(), json.dumps({"id": "evt_1", "object": "event",
                                                          "type": "payment_intent.succeeded",
                                                          "data": {"object": {"id": "pi_1"}}}).encode())
    assert unconfigured.status_code == 400


def test_a_paid_booking_on_a_time_the_operator_calls_off_is_refunded_in_full_on_stripe(platform, stripe_client,
                                                                                       localstripe_url):
    app, world = platform
    booking = book_cleaning(world)
    payment, _ = payment_row(app)
    pay_on_localstripe(stripe_client, payment.reference)
    deliver(app.test_client(), localstripe_event(localstripe_url, "payment_intent.succeeded", payment.reference))
    assert world.api("adult").get(f"/bookings/{booking['id']}").get_json()["status"] == "confirmed"

    called_off = world.api("housekeeping").post(f"/slots/{booking['slot_id']}/cancel", {"reason": "Cleaner is ill"})
    assert called_off.status_code == 200, called_off.get_json()
    [refund] = stripe_client.v1.refunds.list({"payment_intent": payment.reference}).data
    assert (refund.amount, refund.status) == (12000, "succeeded")
    seen = world.api("adult").get(f"/bookings/{booking['id']}").get_json()
    assert (seen["status"], seen["cancel_reason"]) == ("cancelled", "Cleaner is ill")
    payment, refunds = payment_row(app)
    assert payment.refunded_amount == 12000 and [r.reason for r in refunds] == ["called off by the operator"]
    refunded = books(app)
    assert refunded["refunds"] == refunded["operator_revenue"] == 12000 and refunded["fund_cash"] == 0
