"""Stripe webhooks with events built and signed here; Stripe's API is answered by RecordingHttpClient (no network).

What the spec asks of them: a signature that cannot be verified changes nothing;
each event counts once, in any order, with the same ledger as one clean delivery;
a failed payment releases its hold; a payment that arrives after its hold ended
re-takes the places, or is refunded when they are gone.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time

import pytest
import time_machine
from sqlalchemy import func, select

from core import checks, ledger
from core.db import utcnow
from core.models import Community, JournalEntry, Operator, Payment, Refund, Slot, PaymentEvent
from plugins.housekeeping.plugin import CENTRE
from tests.stripe_support import WEBHOOK_SECRET as SECRET
from tests.stripe_support import sign_webhook

WEBHOOK = "/api/v1/payments/stripe/webhook"
CLEANING = "Home cleaning, 2 hours"
ADDRESS = {"address": "Heping Road 1"}


def book_cleaning(world, who="adult", method="stripe", slot=0):
    response = world.api(who).post("/bookings", {"slot_id": world.slots(CLEANING)[slot]["id"], "quantity": 1,
                                                  "payment_method": method, "details": ADDRESS})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def remaining(world, booking):
    return next(s for s in world.slots(CLEANING) if s["id"] == booking["slot_id"])["remaining"]


def status(world, booking, who="adult"):
    return world.api(who).get(f"/bookings/{booking['id']}").get_json()["status"]


# --- events as Stripe sends them ----------------------------------------------------------------

def intent_event(event_id, kind, booking, status="succeeded"):
    pi = f"pi_booking_{booking['id']}"
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()),
            "data": {"object": {"id": pi, "object": "payment_intent", "amount": booking["total_amount"],
                                "currency": "cny", "status": status, "metadata": {"booking_id": str(booking["id"])}}}}


def refunded_event(event_id, booking, refunds):
    """charge.refunded listing ``refunds`` as (id, amount, created[, status]) in charge.refunds.data."""
    data = [{"id": r[0], "object": "refund", "amount": r[1], "created": r[2],
             "status": r[3] if len(r) > 3 else "succeeded"} for r in refunds]
    refunded = sum(r["amount"] for r in data if r["status"] in ("succeeded", "pending"))
    return {"id": event_id, "object": "event", "type": "charge.refunded", "created": int(time.time()),
            "data": {"object": {"id": f"ch_booking_{booking['id']}", "object": "charge",
                                "payment_intent": f"pi_booking_{booking['id']}", "amount": booking["total_amount"],
                                "amount_refunded": refunded, "refunded": refunded == booking["total_amount"],
                                "refunds": {"object": "list", "data": data}}}}


def deliver(client, event, secret=SECRET, timestamp=None):
    """POST the event as Stripe does, signed with ``secret``."""
    payload = json.dumps(event).encode()
    return post_webhook(client, payload, sign_webhook(payload, secret, timestamp))


def post_webhook(client, payload, signature):
    headers = {} if signature is None else {"Stripe-Signature": signature}
    return client.post(WEBHOOK, data=payload, headers=headers, content_type="application/json")


def delivered(client, event):
    response = deliver(client, event)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["result"]


# --- what the books say --------------------------------------------------------------------------

def books(app):
    """Non-zero balances by (account, operator name), payments and refunds; the invariants must hold."""
    with app.extensions["linli"].db.reader() as session:
        assert checks.violations(session) == []
        community = session.scalar(select(Community))
        names = dict(session.execute(select(Operator.id, Operator.name)).all())
        balances = ledger.balances(session, community.id, list(ledger.ACCOUNTS), by_operator=True)
        return {
            "balances": {(account, names.get(op)): amount for (account, op), amount in balances.items() if amount},
            "payments": [(p.status, p.amount, p.donation_amount, p.refunded_amount)
                         for p in session.scalars(select(Payment).order_by(Payment.id))],
            "refunds": [(r.reference, r.amount, r.donation_reversed)
                        for r in session.scalars(select(Refund).order_by(Refund.id))],
            "entries": sorted(session.scalars(select(JournalEntry.kind)).all()),
        }


def count(app, model):
    with app.extensions["linli"].db.reader() as session:
        return session.scalar(select(func.count()).select_from(model))


HOME = CENTRE[0]  # the centre as the books name it: its own (Chinese) name


def by_account(state, operator=HOME):
    return {account: amount for (account, op), amount in state["balances"].items() if op == operator}


# --- signatures ------------------------------------------------------------------------------------

def _forged(event):
    """A signature made for another payload (the amount changed after signing)."""
    signed_for = json.dumps({**event, "data": {"object": {**event["data"]["object"], "amount": 1}}}).encode()
    return json.dumps(event).encode(), sign_webhook(signed_for, SECRET)


BAD_SIGNATURES = {
    "forged": _forged,
    "wrong secret": lambda e: (json.dumps(e).encode(), sign_webhook(json.dumps(e), "whsec_someone_else")),
    "stale timestamp": lambda e: (json.dumps(e).encode(), sign_webhook(json.dumps(e), SECRET, int(time.time()) - 301)),
    "missing header": lambda e: (json.dumps(e).encode(), None),
    "garbage header": lambda e: (json.dumps(e).encode(), "not a signature"),
}


@pytest.mark.parametrize("case", list(BAD_SIGNATURES))
def test_an_unverifiable_signature_is_a_400_and_changes_nothing(platform, case):
    app, world = platform()
    booking = book_cleaning(world)
    payload, signature = BAD_SIGNATURES[case](intent_event("evt_bad", "payment_intent.succeeded", booking))
    response = post_webhook(app.test_client(), payload, signature)
    assert response.status_code == 400 and response.get_json()["code"] == "bad_signature"
    assert count(app, PaymentEvent) == 0 and count(app, JournalEntry) == 0
    assert status(world, booking) == "pending_payment"
    assert remaining(world, booking) == 2


def test_a_signature_inside_the_tolerance_is_accepted(platform):
    app, world = platform()
    booking = book_cleaning(world)
    response = deliver(app.test_client(), intent_event("evt_ok", "payment_intent.succeeded", booking),
                       timestamp=int(time.time()) - 240)
    assert response.status_code == 200 and response.get_json() == {"result": "processed"}
    assert status(world, booking) == "confirmed"


def test_webhooks_are_refused_when_stripe_is_not_configured(platform, make_app):
    app, world = platform()
    booking = book_cleaning(world)
    unconfigured = make_app()  # the same database, no Stripe keys
    response = deliver(unconfigured.test_client(), intent_event("evt_1", "payment_intent.succeeded", booking))
    assert response.status_code == 400
    assert count(app, PaymentEvent) == 0 and count(app, JournalEntry) == 0
    assert status(world, booking) == "pending_payment"


# --- each event once, in any order ------------------------------------------------------------------

def payment_and_two_partial_refunds(booking):
    """What Stripe sends for a paid booking refunded 3000 and then 2000 from the dashboard."""
    return [
        intent_event("evt_paid", "payment_intent.succeeded", booking),
        refunded_event("evt_refund_1", booking, [("re_dash_1", 3000, 1_700_000_100)]),
        refunded_event("evt_refund_2", booking, [("re_dash_2", 2000, 1_700_000_200), ("re_dash_1", 3000, 1_700_000_100)]),
    ]


# 12000 paid, 1200 (10 %) to the fund; refunds of 3000 and 2000 give back 300 and 200 of it.
ONE_CLEAN_DELIVERY = {
    "balances": {
        ("payments_clearing", HOME): 12000 - 1200 - 5000 + 500,
        ("operator_revenue", HOME): 12000,
        ("refunds", HOME): 5000,
        ("operator_donations", HOME): 700,
        ("fund_cash", HOME): 700,
        ("donation_income", HOME): 700,
    },
    "payments": [("succeeded", 12000, 1200, 5000)],
    "refunds": [("re_dash_1", 3000, 300), ("re_dash_2", 2000, 200)],
    "entries": ["donation", "payment", "refund", "refund"],
}


def test_one_clean_delivery(platform):
    app, world = platform()
    booking = book_cleaning(world)
    client = app.test_client()
    assert [delivered(client, e) for e in payment_and_two_partial_refunds(booking)] == ["processed"] * 3
    assert books(app) == ONE_CLEAN_DELIVERY
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2


def test_a_signed_event_holding_what_a_customer_typed_is_processed(platform):
    """Text Linli never stores (a control character in a description) is no reason to refuse Stripe's signed event:
    refused, it would be retried for days and the payment never counted."""
    app, world = platform()
    booking = book_cleaning(world)
    event = intent_event("evt_typed", "payment_intent.succeeded", booking)
    event["data"]["object"]["description"] = "Bell \u0007 and bidi \u202e text"
    assert delivered(app.test_client(), event) == "processed"
    assert status(world, booking) == "confirmed"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_events_delivered_twice_in_any_order_give_the_same_books(platform, seed):
    app, world = platform()
    booking = book_cleaning(world)
    client = app.test_client()
    deliveries = payment_and_two_partial_refunds(booking) * 2
    random.Random(seed).shuffle(deliveries)
    seen = set()
    for event in deliveries:
        assert delivered(client, event) == ("duplicate" if event["id"] in seen else "processed")
        seen.add(event["id"])
    assert books(app) == ONE_CLEAN_DELIVERY
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2


def test_a_refund_delivered_before_the_payment_implies_it(platform):
    app, world = platform()
    booking = book_cleaning(world)
    client = app.test_client()
    events = payment_and_two_partial_refunds(booking)
    assert [delivered(client, e) for e in reversed(events)] == ["processed"] * 3
    assert books(app) == ONE_CLEAN_DELIVERY
    assert status(world, booking) == "confirmed"


def test_a_duplicate_event_id_answers_duplicate_and_changes_nothing(platform):
    app, world = platform()
    booking = book_cleaning(world)
    client = app.test_client()
    assert delivered(client, intent_event("evt_once", "payment_intent.succeeded", booking)) == "processed"
    after_first = books(app)
    again = deliver(client, intent_event("evt_once", "payment_intent.succeeded", booking))
    assert again.status_code == 200 and again.get_json() == {"result": "duplicate"}
    # the id decides, not the content: a different event under a seen id is not applied either
    assert delivered(client, intent_event("evt_once", "payment_intent.payment_failed", booking)) == "duplicate"
    assert books(app) == after_first and count(app, PaymentEvent) == 1
    assert status(world, booking) == "confirmed"


def test_a_failed_or_canceled_refund_in_the_list_is_not_posted(platform):
    app, world = platform()
    booking = book_cleaning(world)
    client = app.test_client()
    delivered(client, intent_event("evt_paid", "payment_intent.succeeded", booking))
    delivered(client, refunded_event("evt_refund", booking, [("re_failed", 4000, 1_700_000_100, "failed"),
                                                             ("re_canceled", 1000, 1_700_000_150, "canceled"),
                                                             ("re_ok", 3000, 1_700_000_200)]))
    state = books(app)
    assert state["refunds"] == [("re_ok", 3000, 300)]
    assert by_account(state)["refunds"] == 3000 and by_account(state)["fund_cash"] == 900


def test_unknown_events_and_unknown_payments_are_ignored(platform):
    app, world = platform()
    booking = book_cleaning(world)
    client = app.test_client()
    other = {**booking, "id": 999}
    assert delivered(client, intent_event("evt_1", "payment_intent.succeeded", other)) == "ignored"
    assert delivered(client, intent_event("evt_2", "payment_intent.created", booking)) == "ignored"
    assert delivered(client, {"id": "evt_3", "object": "event", "type": "customer.created",
                              "data": {"object": {"id": "cus_1", "object": "customer"}}}) == "ignored"
    assert count(app, JournalEntry) == 0 and status(world, booking) == "pending_payment"


# --- holds ---------------------------------------------------------------------------------------------

def test_a_failed_payment_releases_the_hold(platform):
    app, world = platform()
    booking = book_cleaning(world)
    assert remaining(world, booking) == 2
    assert delivered(app.test_client(), intent_event("evt_fail", "payment_intent.payment_failed", booking,
                                                     status="requires_payment_method")) == "processed"
    assert status(world, booking) == "expired"
    assert remaining(world, booking) == 3
    state = books(app)
    assert state["payments"] == [("failed", 12000, 1200, 0)] and state["entries"] == []
    with app.extensions["linli"].db.reader() as session:
        assert session.get(Slot, booking["slot_id"]).taken == 0


def _expire_holds(app):
    result = app.test_cli_runner().invoke(args=["expire-holds"])
    assert result.output.strip() == "1 holds expired", result.output


def after_the_hold():
    """A moment after a hold of the default 15 minutes ran out."""
    return time_machine.travel(utcnow() + dt.timedelta(minutes=16), tick=False)


def test_a_late_payment_re_takes_free_places(platform):
    app, world = platform()
    booking = book_cleaning(world)
    with after_the_hold():
        _expire_holds(app)
    assert status(world, booking) == "expired" and remaining(world, booking) == 3
    assert delivered(app.test_client(), intent_event("evt_late", "payment_intent.succeeded", booking)) == "processed"
    assert status(world, booking) == "confirmed"
    assert remaining(world, booking) == 2
    state = books(app)
    assert by_account(state)["fund_cash"] == 1200 and state["refunds"] == []


def test_a_late_payment_for_a_filled_slot_is_refunded(platform, recording_http):
    app, world = platform()
    booking = book_cleaning(world)
    with after_the_hold():
        others = [book_cleaning(world, who=who, method="cash") for who in ("lowincome", "senior68", "student")]
        assert {other["status"] for other in others} == {"confirmed"}  # the first released the stale hold
        assert status(world, booking) == "expired"
        late = intent_event("evt_late", "payment_intent.succeeded", booking)
        assert delivered(app.test_client(), late) == "processed"

        refund_requests = [r for r in recording_http.requests if r.path == "/v1/refunds"]
        assert len(refund_requests) == 1
        assert refund_requests[0].form["payment_intent"] == f"pi_booking_{booking['id']}"
        assert refund_requests[0].form["amount"] == "12000"
        assert status(world, booking) == "expired" and remaining(world, booking) == 0
        state = books(app)
        assert state["payments"] == [("succeeded", 12000, 1200, 12000)]
        assert state["refunds"] == [("re_app_1", 12000, 1200)]
        home = by_account(state)
        assert home["operator_revenue"] == home["refunds"] == 12000  # nets to zero revenue
        assert "fund_cash" not in home and "payments_clearing" not in home and "donation_income" not in home
        # Stripe then reports the refund the platform made: already posted, nothing more
        delivered(app.test_client(), refunded_event("evt_refunded", booking, [("re_app_1", 12000, 1_700_000_100)]))
        assert books(app) == state


def test_a_late_failure_after_success_changes_nothing(platform):
    app, world = platform()
    booking = book_cleaning(world)
    client = app.test_client()
    delivered(client, intent_event("evt_paid", "payment_intent.succeeded", booking))
    paid = books(app)
    delivered(client, intent_event("evt_failed_earlier", "payment_intent.payment_failed", booking))
    assert books(app) == paid and status(world, booking) == "confirmed" and remaining(world, booking) == 2


def test_cancelling_a_pending_booking_cancels_the_payment_intent(platform, recording_http):
    app, world = platform()
    booking = book_cleaning(world)
    cancelled = world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert recording_http.last.path == f"/v1/payment_intents/pi_booking_{booking['id']}/cancel"
    assert remaining(world, booking) == 3
    delivered(app.test_client(), intent_event("evt_canceled", "payment_intent.canceled", booking, status="canceled"))
    state = books(app)
    assert state["payments"] == [("canceled", 12000, 1200, 0)] and state["entries"] == []
    assert status(world, booking) == "cancelled"


def test_a_payment_that_succeeds_after_the_resident_cancelled_is_refunded(platform, recording_http):
    app, world = platform()
    booking = book_cleaning(world)
    world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    delivered(app.test_client(), intent_event("evt_paid", "payment_intent.succeeded", booking))
    assert [r.form["amount"] for r in recording_http.requests if r.path == "/v1/refunds"] == ["12000"]
    home = by_account(books(app))
    assert home["operator_revenue"] == home["refunds"] == 12000 and "fund_cash" not in home
    assert status(world, booking) == "cancelled" and remaining(world, booking) == 3



@pytest.mark.parametrize("kind, intent_status", [("payment_intent.payment_failed", "requires_payment_method"),
                                                 ("payment_intent.canceled", "canceled")])
def test_a_failure_delivered_twice_and_resent_under_a_new_id_releases_the_places_once(platform, kind, intent_status):
    """Stripe may repeat an event, or send another event meaning the same: the hold is released once, not twice."""
    app, world = platform()
    booking = book_cleaning(world)
    other = book_cleaning(world, who="lowincome", method="cash")
    client = app.test_client()
    event = intent_event("evt_fail", kind, booking, status=intent_status)
    assert [delivered(client, event) for _ in range(2)] == ["processed", "duplicate"]
    assert delivered(client, {**event, "id": "evt_fail_again"}) == "processed"
    assert status(world, booking) == "expired" and status(world, other, who="lowincome") == "confirmed"
    assert remaining(world, booking) == 2  # 3 places, the cash booking's 1 still taken
    books(app)  # the invariants hold: taken == places of live bookings
