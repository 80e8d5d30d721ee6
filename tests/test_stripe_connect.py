"""Stripe Connect and payment methods, asserted on the requests the SDK sends (RecordingHttpClient, no network).

localstripe refuses Connect parameters, so these tests look at the HTTP boundary:
a destination charge whose application fee is the fund's donation share, and
refunds that reverse the transfer and give the application fee back.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core import checks, ledger
from core.models import Community, Operator
from plugins.canteen.plugin import CANTEEN
from plugins.housekeeping.plugin import CENTRE
from tests.factories import DemoWorld
from tests.stripe_support import sign_webhook

SECRET = "whsec_test"
CLEANING = "Home cleaning, 2 hours"
ADDRESS = {"address": "Heping Road 1"}


@pytest.fixture
def platform(make_app, recording_http):
    """Build the demo platform with Stripe answered by the recording client; ``accounts`` maps operator → acct."""
    from core import demo as demo_data

    def build(accounts=None, **config):
        recording_http.answer("POST", "/v1/payment_intents", lambda req: {
            "id": f"pi_{req.form['metadata[booking_id]']}", "object": "payment_intent",
            "amount": int(req.form["amount"]), "currency": req.form["currency"],
            "status": "requires_payment_method", "client_secret": f"pi_{req.form['metadata[booking_id]']}_secret"})
        recording_http.answer("POST", "/v1/refunds", lambda req: {
            "id": "re_1", "object": "refund", "amount": int(req.form["amount"]), "status": "succeeded"})
        app = make_app(STRIPE_SECRET_KEY="sk_test_recording", STRIPE_WEBHOOK_SECRET=SECRET,
                       STRIPE_HTTP_CLIENT=recording_http, **config)
        demo_data.seed(app)
        with app.extensions["linli"].db.sessionmaker() as session:
            for name, account in (accounts or {}).items():
                session.scalar(select(Operator).where(Operator.name == name)).stripe_account_id = account
            session.commit()
        return app, DemoWorld(app.test_client())

    return build


def book(world, title=CLEANING, who="adult", details=ADDRESS):
    response = world.api(who).post("/bookings", {"slot_id": world.slots(title)[0]["id"], "quantity": 1,
                                                  "payment_method": "stripe", "details": details})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def created_intent(http):
    """The form of the one PaymentIntent create request."""
    [request] = [r for r in http.requests if r.method == "POST" and r.path == "/v1/payment_intents"]
    return request


def pay(app, booking):
    """Deliver Stripe's payment_intent.succeeded for the booking, signed."""
    event = {"id": f"evt_paid_{booking['id']}", "object": "event", "type": "payment_intent.succeeded",
             "data": {"object": {"id": f"pi_{booking['id']}", "object": "payment_intent", "status": "succeeded",
                                 "amount": booking["total_amount"], "currency": "cny"}}}
    payload = json.dumps(event).encode()
    response = app.test_client().post("/api/v1/payments/stripe/webhook", data=payload, content_type="application/json",
                                      headers={"Stripe-Signature": sign_webhook(payload, SECRET)})
    assert response.status_code == 200 and response.get_json() == {"result": "processed"}


def fund_cash(app):
    with app.extensions["linli"].db.reader() as session:
        assert checks.violations(session) == []
        community = session.scalar(select(Community))
        return ledger.balances(session, community.id, ["fund_cash"]).get("fund_cash", 0)


def test_a_connected_operator_gets_a_destination_charge_with_the_donation_as_fee(platform, recording_http):
    app, world = platform({CENTRE[0]: "acct_123"})
    booking = book(world)
    assert booking["status"] == "pending_payment" and booking["client_secret"] == f"pi_{booking['id']}_secret"
    request = created_intent(recording_http)
    assert request.form["amount"] == "12000" and request.form["currency"] == "cny"
    assert request.form["transfer_data[destination]"] == "acct_123"
    assert request.form["application_fee_amount"] == "1200"  # the fund's 10 %
    assert request.form["metadata[booking_id]"] == str(booking["id"])
    assert request.form["payment_method_types[0]"] == "card" and "payment_method_types[1]" not in request.form
    assert request.headers["Idempotency-Key"].startswith(f"linli-booking-{booking['id']}-")


def test_a_retried_online_booking_reaches_stripe_once(platform, recording_http):
    app, world = platform()
    body = {"slot_id": world.slots(CLEANING)[0]["id"], "quantity": 1, "payment_method": "stripe", "details": ADDRESS}
    first, again = (world.api("adult").post("/bookings", body, headers={"Idempotency-Key": "pay-once"})
                    for _ in range(2))
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert created_intent(recording_http).form["metadata[booking_id]"] == str(first.get_json()["id"])


def test_a_connected_payment_is_refunded_with_the_transfer_and_the_fee(platform, recording_http):
    app, world = platform({CENTRE[0]: "acct_123"})
    booking = book(world)
    pay(app, booking)
    assert fund_cash(app) == 1200  # received as the application fee
    cancelled = world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    refund = recording_http.last
    assert (refund.method, refund.path) == ("POST", "/v1/refunds")
    assert refund.form["payment_intent"] == f"pi_{booking['id']}" and refund.form["amount"] == "12000"
    assert refund.form["reverse_transfer"] == "true" and refund.form["refund_application_fee"] == "true"
    assert refund.headers["Idempotency-Key"]
    assert fund_cash(app) == 0


def test_an_operator_without_an_account_is_paid_by_the_platform(platform, recording_http):
    app, world = platform()
    booking = book(world)
    request = created_intent(recording_http)
    assert request.form["amount"] == "12000"
    assert not any(key.startswith(("transfer_data", "application_fee_amount")) for key in request.form)
    pay(app, booking)
    world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    refund = recording_http.last
    assert refund.path == "/v1/refunds" and refund.form["amount"] == "12000"
    assert "reverse_transfer" not in refund.form and "refund_application_fee" not in refund.form


def test_a_connected_operator_with_no_donation_at_payment_has_no_fee(platform, recording_http):
    """The canteen gives a share of profit, settled per period: nothing is taken at payment."""
    app, world = platform({CANTEEN[0]: "acct_canteen"})
    book(world, "Community lunch", details={})
    request = created_intent(recording_http)
    assert request.form["amount"] == "1000"
    assert request.form["transfer_data[destination]"] == "acct_canteen"
    assert "application_fee_amount" not in request.form


def test_alipay_and_wechat_pay_where_enabled(platform, recording_http):
    app, world = platform(STRIPE_PAYMENT_METHODS="card, alipay,wechat_pay")
    book(world)
    form = created_intent(recording_http).form
    methods = [form[f"payment_method_types[{i}]"] for i in range(3)]
    assert methods == ["card", "alipay", "wechat_pay"] and "payment_method_types[3]" not in form
    assert form["payment_method_options[wechat_pay][client]"] == "web"


def test_card_only_has_no_wechat_pay_options(platform, recording_http):
    app, world = platform()
    book(world)
    assert not any(key.startswith("payment_method_options") for key in created_intent(recording_http).form)
