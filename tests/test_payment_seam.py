"""The provider-neutral payment seam (SPEC §11.5), driven by LocalPay (tests/local_provider.py): what a resident can
choose, how they pay (a QR code), one notification route for every provider, the fund's share split after payment
by a job, and the hold's end asking the provider before closing the payment."""
from __future__ import annotations

import datetime as dt
import json
import random

import pytest
import time_machine
from sqlalchemy import func, select, update

from core import checks
from core.db import utcnow
from core.models import JournalEntry, OutboxTask, Payment, PaymentEvent
from core.money import major_units, minor_units
from core.plugin_api import StatementLine  # noqa: F401 - the seam's names are public
from tests.local_provider import LocalPayPlugin, signed
from tests.test_webhooks import ADDRESS, CLEANING, books, by_account, remaining, status

NOTIFY = "/api/v1/payments/localpay/notify"
COMMUNITY = "heping"


def book(world, who="adult", method="localpay"):
    response = world.api(who).post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"], "quantity": 1,
                                                  "payment_method": method, "details": ADDRESS})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def reference_of(app, booking) -> str:
    with app.extensions["linli"].db.reader() as session:
        return session.scalar(select(Payment.reference).where(Payment.booking_id == booking["id"]))


def payment_of(app, booking) -> Payment:
    with app.extensions["linli"].db.reader() as session:
        payment = session.scalar(select(Payment).where(Payment.booking_id == booking["id"]))
        session.expunge(payment)
        return payment


def notify(app, event, headers=None):
    body, signature = signed(event)
    return app.test_client().post(NOTIFY, data=body, headers=headers or signature)


def paid(app, booking, event_id="ev-paid"):
    response = notify(app, {"id": event_id, "type": "paid", "reference": reference_of(app, booking),
                            "status": "succeeded"})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")


def count(app, model):
    with app.extensions["linli"].db.reader() as session:
        return session.scalar(select(func.count()).select_from(model))


def drain_later(app, seconds):
    with time_machine.travel(utcnow() + dt.timedelta(seconds=seconds), tick=False):
        return app.extensions["linli"].queue.runner.drain()


# --- what a resident can choose, and how they pay ---------------------------------------------------------------

def test_the_ways_to_pay_are_listed_for_a_community(localpaid):
    app, world, _provider = localpaid
    listed = app.test_client().get(f"/api/v1/payment-providers?community={COMMUNITY}")
    assert listed.status_code == 200
    assert [(p["key"], p["online"]) for p in listed.get_json()] == [
        ("cash", False), ("localpay", True), ("stripe", True)]
    assert listed.get_json()[0]["label"] == "Cash at the counter"
    in_chinese = app.test_client().get(f"/api/v1/payment-providers?community={COMMUNITY}",
                                       headers={"Accept-Language": "zh-CN"})
    assert in_chinese.get_json()[0]["label"] == "到店付现金"


def test_without_online_providers_configured_cash_is_the_only_way(app, demo):
    assert [p["key"] for p in app.test_client().get(
        f"/api/v1/payment-providers?community={COMMUNITY}").get_json()] == ["cash"]


def test_the_ways_to_pay_of_an_unknown_community_or_none_are_refused(localpaid):
    app = localpaid[0]
    assert app.test_client().get("/api/v1/payment-providers?community=nowhere").status_code == 404
    missing = app.test_client().get("/api/v1/payment-providers")
    assert missing.status_code == 422 and missing.content_type.startswith("application/problem+json")


def test_a_qr_booking_answers_how_to_pay_and_holds_its_place(localpaid):
    app, world, _provider = localpaid
    booking = book(world)
    assert booking["status"] == "pending_payment" and booking["client_secret"] is None
    payment = booking["payment"]
    assert payment["provider"] == "localpay" and payment["action"] == "qr"
    assert payment["code_url"] == f"weixin://wxpay/bizpayurl?pr={reference_of(app, booking)}"
    assert payment["redirect_url"] is None and payment["expires_at"] == booking["hold_expires_at"]
    stored = payment_of(app, booking)
    assert (stored.action, stored.action_url) == ("qr", payment["code_url"])
    assert remaining(world, booking) == 2


def test_a_provider_not_configured_is_refused_with_the_others_named(platform):
    app, world = platform(PLUGINS=[LocalPayPlugin()])  # installed, not configured
    response = world.api("adult").post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"], "quantity": 1,
                                                      "payment_method": "localpay", "details": ADDRESS})
    assert response.status_code == 422 and response.get_json()["code"] == "payment_method_not_configured"


# --- one notification route for every provider ------------------------------------------------------------------

def test_a_signed_notification_confirms_the_booking_once(localpaid):
    app, world, _provider = localpaid
    booking = book(world)
    paid(app, booking)
    assert status(world, booking) == "confirmed"
    after = books(app)
    again = notify(app, {"id": "ev-paid", "type": "paid", "reference": reference_of(app, booking),
                         "status": "succeeded"})
    assert again.status_code == 200 and books(app) == after and count(app, PaymentEvent) == 1


@pytest.mark.parametrize("case", ["forged", "missing", "tampered"])
def test_a_notification_that_cannot_be_verified_gets_the_providers_refusal_and_changes_nothing(localpaid, case):
    app, world, _provider = localpaid
    booking = book(world)
    event = {"id": "ev-x", "type": "paid", "reference": reference_of(app, booking), "status": "succeeded"}
    body, headers = signed(event)
    if case == "forged":
        headers = {"X-Local-Signature": "0" * 64}
    elif case == "missing":
        headers = {}
    else:
        body = body.replace(b"succeeded", b"canceled!")
    entries = count(app, JournalEntry)
    response = app.test_client().post(NOTIFY, data=body, headers=headers)
    assert (response.status_code, response.get_data(as_text=True)) == (400, "FAIL")
    assert count(app, JournalEntry) == entries and count(app, PaymentEvent) == 0
    assert status(world, booking) == "pending_payment"


def test_notifications_for_an_unknown_provider_or_an_offline_one_are_404(localpaid):
    client = localpaid[0].test_client()
    for key in ("nobody", "cash"):
        response = client.post(f"/api/v1/payments/{key}/notify", data=b"{}")
        assert response.status_code == 404 and response.get_json()["code"] == "unknown_payment_provider"


@pytest.mark.parametrize("seed", range(3))
def test_no_body_makes_the_notification_route_fail(localpaid, seed):
    """Random bytes, random JSON, signed or not: a 200 or a 400, never a 500, and never money moved unasked."""
    app, _world, _provider = localpaid
    rng = random.Random(seed)
    client = app.test_client()
    for _ in range(40):
        shape = rng.choice(["bytes", "json", "signed"])
        if shape == "bytes":
            body, headers = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))), {
                "X-Local-Signature": "%064x" % rng.getrandbits(256)}
        else:
            event = rng.choice([{}, [], "x", 1, None, {"id": rng.random()}, {"id": "e", "type": 5, "refunds": "a"},
                                {"id": "e2", "type": "t", "share": {"reference": None}}])
            body, headers = signed(event) if shape == "signed" else (json.dumps(event).encode(), {})
        for path in (NOTIFY, "/api/v1/payments/stripe/notify", "/api/v1/payments/stripe/webhook"):
            assert client.post(path, data=body, headers=headers).status_code in (200, 400)
    assert count(app, JournalEntry) == 0


# --- the fund's share, split after payment by the provider ------------------------------------------------------

def test_the_share_is_due_at_payment_and_received_when_the_provider_split_it(localpaid):
    app, world, provider = localpaid
    booking = book(world)
    paid(app, booking)  # the test's app runs the split task right after the commit
    payment = payment_of(app, booking)
    assert provider.state.splits == [(payment.reference, 1200)] and payment.donation_amount == 1200
    assert (payment.share_status, payment.share_amount) == ("done", 1200)
    home = by_account(books(app))
    assert home["operator_cash"] == 12000 - 1200 and home["fund_cash"] == 1200
    assert "donations_receivable" not in home and "payments_clearing" not in home
    reconciled = world.api("committee1").get(f"/communities/{COMMUNITY}/fund/reconciliation",
                                            query_string={"period": utcnow().strftime("%Y-%m")}).get_json()
    assert sum(op["received_online_amount"] for op in reconciled["operators"]) == 1200


def test_a_split_the_provider_did_not_answer_is_retried_then_posted_once(localpaid):
    app, world, provider = localpaid
    provider.state.split_answer = "down"
    booking = book(world)
    paid(app, booking)
    assert payment_of(app, booking).share_status == "pending"
    assert "fund_cash" not in by_account(books(app))  # due, not received
    provider.state.split_answer = "done"
    assert drain_later(app, 11) == 1
    assert payment_of(app, booking).share_status == "done" and by_account(books(app))["fund_cash"] == 1200
    assert drain_later(app, 3600) == 0


def paid_with_the_split(localpaid, answer: str):
    """A booking paid while the provider answers ``answer`` to the request to split the share: (booking, payment)."""
    app, world, provider = localpaid
    provider.state.split_answer = answer
    booking = book(world)
    paid(app, booking)
    return booking, payment_of(app, booking)


def test_a_split_still_processing_is_asked_after_by_the_sweep_and_settled_by_a_notification_once(localpaid):
    app, _world, provider = localpaid
    booking, payment = paid_with_the_split(localpaid, "requested")
    assert (payment.share_status, payment.share_reference) == ("requested", f"split-{payment.reference}")
    runner = app.extensions["linli"].queue.runner
    assert runner.run_periodic("payments.split_shares").outcome == "1 splits of the fund's share asked after"
    assert payment_of(app, booking).share_status == "requested"
    note = {"id": "ev-share", "type": "share", "reference": payment.reference,
            "share": {"reference": payment.share_reference, "status": "done"}}
    assert notify(app, note).status_code == 200
    provider.state.split_answer = "done"
    runner.run_periodic("payments.split_shares")
    assert payment_of(app, booking).share_status == "done"
    assert by_account(books(app))["fund_cash"] == 1200  # posted once


def test_a_split_the_provider_refused_waits_for_the_committee(localpaid):
    app = localpaid[0]
    _booking, payment = paid_with_the_split(localpaid, "failed")
    assert (payment.share_status, payment.share_error) == ("failed", "receiver not bound")
    assert app.extensions["linli"].queue.runner.run_periodic("payments.split_shares").outcome.startswith("0 ")
    assert "fund_cash" not in by_account(books(app))


def test_a_refund_before_the_split_leaves_only_the_share_of_what_was_kept(localpaid):
    app, world, provider = localpaid
    provider.state.split_answer = "down"
    booking = book(world)
    paid(app, booking)
    refund = notify(app, {"id": "ev-refund", "type": "refund", "reference": reference_of(app, booking),
                          "refunds": [["rf-1", 3000]]})
    assert refund.status_code == 200
    provider.state.split_answer = "done"
    drain_later(app, 11)
    assert provider.state.splits[-1] == (reference_of(app, booking), 900)  # 1200 less the quarter refunded
    home = by_account(books(app))
    assert home["fund_cash"] == 900 and home.get("donations_receivable", 0) == 0


# --- the hold's end asks the provider first ---------------------------------------------------------------------

def after_the_hold():
    return time_machine.travel(utcnow() + dt.timedelta(minutes=16), tick=False)


def test_a_payment_made_whose_notification_was_lost_is_found_when_the_hold_ends(localpaid):
    app, world, provider = localpaid
    booking = book(world)
    provider.state.paid[reference_of(app, booking)] = "succeeded"  # paid; the notification never came
    with after_the_hold():
        app.extensions["linli"].queue.runner.run_periodic("expire_holds")
        assert status(world, booking) == "confirmed" and remaining(world, booking) == 2
    assert provider.state.closed == []


def test_an_unpaid_payment_is_closed_at_the_provider_when_the_hold_ends(localpaid):
    app, world, provider = localpaid
    booking = book(world)
    with after_the_hold():
        app.extensions["linli"].queue.runner.run_periodic("expire_holds")
        assert status(world, booking) == "expired" and remaining(world, booking) == 3
    reference = reference_of(app, booking)
    assert provider.state.closed == [reference] and provider.state.paid[reference] == "canceled"
    assert payment_of(app, booking).status == "pending"  # the provider's word (a notification) settles it


def test_every_path_keeps_the_books_exact(localpaid):
    app, world, provider = localpaid
    provider.state.split_answer = "requested"
    first, second = book(world), book(world, who="senior68")
    paid(app, first, "ev-1")
    paid(app, second, "ev-2")
    world.api("adult").post(f"/bookings/{first['id']}/cancel")
    with app.extensions["linli"].db.reader() as session:
        assert checks.violations(session) == []


# --- amounts as providers write them ----------------------------------------------------------------------------

@pytest.mark.parametrize("fen, yuan", [(0, "0.00"), (1, "0.01"), (10, "0.10"), (100, "1.00"), (9999999, "99999.99"),
                                       (123456789012, "1234567890.12")])
def test_amounts_convert_exactly_both_ways(fen, yuan):
    assert major_units(fen) == yuan and minor_units(yuan) == fen


@pytest.mark.parametrize("text", ["1.234", "1e3", "", ".5", "1.", "-", "0x10", "1,00", "１.00", "nan", "inf", "1 0"])
def test_what_is_not_exactly_an_amount_is_refused(text):
    with pytest.raises(ValueError):
        minor_units(text)


def test_a_float_is_no_amount():
    with pytest.raises(TypeError):
        major_units(12.5)
    with pytest.raises(ValueError):
        minor_units(12.5)


def test_linli_check_finds_a_share_received_that_was_never_split(localpaid, db):
    app, world, _provider = localpaid
    _booking, payment = paid_with_the_split(localpaid, "done")
    assert checks.violations(db) == []
    db.execute(update(Payment).where(Payment.id == payment.id).values(share_status="requested"))
    assert checks.violations(db) == [f"payment {payment.id}: fund share requested of 1200, yet 1200 received in the "
                                     f"ledger"]
    db.rollback()
