"""Stripe Connect onboarding and Stripe's statement, asserted on the requests the SDK sends (RecordingHttpClient).

localstripe refuses Accounts and Account Links (STACK.md), so the exact parameters sent are checked at the HTTP
boundary, and Stripe's answers are scripted as Stripe documents them.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from core.models import AuditEvent, Operator
from core.payments import statements
from core.payments.stripe import StripeProvider
from core.plugin_api import StatementLine
from plugins.housekeeping.plugin import CENTRE
from tests.pages import Browser, text
from tests.stripe_support import SECRET_KEY, WEBHOOK_SECRET, sign_webhook

CLEANING = "Home cleaning, 2 hours"
ONBOARDING = "https://connect.stripe.com/setup/e/acct_1New0perator/abc"


def answer_accounts(http, charges_enabled=True, details_submitted=True):
    """Stripe's answers: a new Express account, a one-time onboarding link, and the account as read."""
    links = iter(range(1, 100))
    http.answer("POST", "/v1/accounts", lambda req: {"id": "acct_1New0perator", "object": "account",
                                                     "type": "express", "charges_enabled": False,
                                                     "details_submitted": False})
    http.answer("POST", "/v1/account_links", lambda req: {"object": "account_link", "url": f"{ONBOARDING}{next(links)}",
                                                          "expires_at": 1_900_000_000})
    http.answer("GET", "/v1/accounts/", lambda req: {"id": req.path.rsplit("/", 1)[1], "object": "account",
                                                     "charges_enabled": charges_enabled,
                                                     "details_submitted": details_submitted})


def centre(app) -> Operator:
    with app.extensions["linli"].db.reader() as session:
        operator = session.scalar(select(Operator).where(Operator.type == "housekeeping"))
        session.expunge(operator)
        return operator


def sent(http, method, path):
    return [r for r in http.requests if (r.method, r.path) == (method, path)]


def audited(app, action):
    with app.extensions["linli"].db.reader() as session:
        return [e.data for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def test_operator_staff_open_an_express_account_once_and_get_an_onboarding_link(platform, recording_http):
    app, world = platform()
    answer_accounts(recording_http)
    operator = centre(app)
    first = world.api("housekeeping").post(f"/operators/{operator.id}/stripe-account/link")
    assert first.status_code == 200 and first.get_json() == {"url": ONBOARDING + "1"}
    [opened] = sent(recording_http, "POST", "/v1/accounts")
    assert opened.form == {"type": "express", "country": "HK", "email": "housekeeping@example.org",
                           "capabilities[card_payments][requested]": "true",
                           "capabilities[transfers][requested]": "true",
                           "business_profile[name]": CENTRE[0], "metadata[operator_id]": str(operator.id)}
    assert opened.headers["Idempotency-Key"] == f"linli-operator-account-{operator.id}"
    [link] = sent(recording_http, "POST", "/v1/account_links")
    assert link.form == {"account": "acct_1New0perator", "type": "account_onboarding",
                         "refresh_url": f"http://localhost/operators/{operator.id}/stripe/refresh",
                         "return_url": f"http://localhost/operators/{operator.id}/stripe"}
    assert centre(app).stripe_account_id == "acct_1New0perator"
    assert audited(app, "stripe_account_created") == [{"account_id": "acct_1New0perator"}]
    again = world.api("housekeeping").post(f"/operators/{operator.id}/stripe-account/link")
    assert again.get_json() == {"url": ONBOARDING + "2"}
    assert len(sent(recording_http, "POST", "/v1/accounts")) == 1  # opened once
    assert world.api("canteen").post(f"/operators/{operator.id}/stripe-account/link").status_code == 403
    assert world.api("staff").post(f"/operators/{operator.id}/stripe-account/link").status_code == 403


def test_the_account_is_opened_in_the_configured_country(platform, recording_http):
    app, world = platform(STRIPE_CONNECT_COUNTRY="SG")
    answer_accounts(recording_http)
    assert world.api("housekeeping").post(f"/operators/{centre(app).id}/stripe-account/link").status_code == 200
    assert sent(recording_http, "POST", "/v1/accounts")[0].form["country"] == "SG"


def test_the_state_of_the_account_is_read_from_stripe(platform, recording_http):
    app, world = platform()
    answer_accounts(recording_http, charges_enabled=False, details_submitted=True)
    operator = centre(app)
    none = world.api("staff").get(f"/operators/{operator.id}/stripe-account")
    assert none.get_json() == {"account_id": None, "charges_enabled": None, "details_submitted": None}
    assert not sent(recording_http, "GET", "/v1/accounts/acct_1New0perator")  # nothing to ask
    world.api("housekeeping").post(f"/operators/{operator.id}/stripe-account/link")
    state = world.api("housekeeping").get(f"/operators/{operator.id}/stripe-account")
    assert state.get_json() == {"account_id": "acct_1New0perator", "charges_enabled": False,
                                "details_submitted": True}
    assert sent(recording_http, "GET", "/v1/accounts/acct_1New0perator")
    assert world.api("adult").get(f"/operators/{operator.id}/stripe-account").status_code == 403


def test_community_staff_set_an_existing_account_and_its_payments_go_to_it(platform, recording_http):
    app, world = platform()
    answer_accounts(recording_http)
    operator = centre(app)
    path = f"/operators/{operator.id}/stripe-account"
    for wrong in ("acct_", "acct_12345!", "ba_1234567890", "acct_" + "a" * 60):
        refused = world.api("staff").call("PUT", path, json={"account_id": wrong})
        assert (refused.status_code, refused.get_json()["code"]) == (422, "bad_stripe_account_id"), wrong
    assert world.api("housekeeping").call("PUT", path, json={"account_id": "acct_1Exist1ng"}).status_code == 403
    assert centre(app).stripe_account_id is None
    done = world.api("staff").call("PUT", path, json={"account_id": "acct_1Exist1ng"})
    assert done.status_code == 200 and done.get_json()["account_id"] == "acct_1Exist1ng"
    assert audited(app, "stripe_account_set") == [{"account_id": "acct_1Exist1ng", "previous": None}]
    slot = world.slots(CLEANING)[0]
    booked = world.api("adult").post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "stripe",
                                                   "details": {"address": "Heping Road 1"}})
    assert booked.status_code == 201
    intent = sent(recording_http, "POST", "/v1/payment_intents")[0]
    assert intent.form["transfer_data[destination]"] == "acct_1Exist1ng"
    assert intent.form["application_fee_amount"] == "1200"


def test_without_stripe_no_account_can_be_connected(make_app, demo_rows):
    from tests.factories import DemoWorld
    from tests.snapshots import restore

    app = make_app()
    restore(app.extensions["linli"].db.engine, demo_rows)
    world = DemoWorld(app.test_client())
    refused = world.api("housekeeping").post(f"/operators/{centre(app).id}/stripe-account/link")
    assert (refused.status_code, refused.get_json()["code"]) == (409, "stripe_not_configured")
    staff = Browser(app.test_client()).log_in("housekeeping@example.org")
    page = staff.get(f"/operators/{centre(app).id}/stripe")
    assert page.status_code == 200 and "Stripe is not set up on this platform" in text(page)
    assert f'href="/operators/{centre(app).id}/stripe"' not in staff.get(f"/operators/{centre(app).id}/today").get_data(
        True)  # no tab for it


def test_the_page_sends_the_staff_to_stripe_and_shows_the_account_when_they_come_back(platform, recording_http):
    app, world = platform()
    answer_accounts(recording_http)
    operator = centre(app)
    cook = Browser(app.test_client()).log_in("housekeeping@example.org")
    page = cook.get(f"/operators/{operator.id}/stripe")
    assert "Connect a Stripe account" in text(page)
    assert f'href="/operators/{operator.id}/stripe"' in cook.get(f"/operators/{operator.id}/today").get_data(True)
    went = cook.submit(f"/operators/{operator.id}/stripe/connect", form_at=f"/operators/{operator.id}/stripe")
    assert (went.status_code, went.headers["Location"]) == (303, ONBOARDING + "1")
    back = cook.get(f"/operators/{operator.id}/stripe")  # Stripe's return_url
    assert "acct_1New0perator" in text(back) and "Stripe lets your account take payments." in text(back)
    expired = cook.get(f"/operators/{operator.id}/stripe/refresh")  # Stripe's refresh_url: a new link
    assert (expired.status_code, expired.headers["Location"]) == (303, ONBOARDING + "2")


# --- Stripe's statement: the balance transactions of a day ------------------------------------------------------

def txn(number, kind, amount, fee, source):
    return {"id": f"txn_{number}", "object": "balance_transaction", "type": kind, "amount": amount, "fee": fee,
            "currency": "hkd", "source": source}


def test_stripe_statement_reads_a_utc_day_of_balance_transactions_with_their_sources(recording_http):
    first = [txn(1, "charge", 13800, 420, {"id": "ch_1", "object": "charge", "amount": 12000,
                                           "payment_intent": "pi_booking_7"}),
             txn(2, "payout", -50000, 0, {"id": "po_1", "object": "payout", "amount": 50000}),
             txn(3, "refund", -5750, 0, {"id": "re_1", "object": "refund", "amount": 5000})]
    second = [txn(4, "payment", 1, 0, {"id": "py_1", "object": "charge", "amount": 1, "payment_intent": "pi_9"}),
              txn(5, "application_fee", 1200, 0, "fee_1")]

    def answer(req):
        after = req.form.get("starting_after")
        return {"object": "list", "url": "/v1/balance_transactions", "data": second if after else first,
                "has_more": not after}

    recording_http.answer("GET", "/v1/balance_transactions", answer)
    config = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_HTTP_CLIENT": recording_http}
    day = dt.date(2026, 12, 5)
    assert StripeProvider().statement(day, config) == [
        StatementLine(day, "payment", "pi_booking_7", 12000, 420),  # in the currency the resident paid
        StatementLine(day, "refund", "re_1", 5000, 0),
        StatementLine(day, "payment", "pi_9", 1, 0),
    ]
    asked, following = recording_http.requests
    assert asked.form == {"created[gte]": "1796428800", "created[lt]": "1796515200", "limit": "100",
                          "expand[0]": "data.source"}
    assert following.form["starting_after"] == "txn_3" and following.form["created[gte]"] == "1796428800"


def test_stripe_payments_are_matched_by_the_nightly_job(platform, recording_http):
    app, world = platform()
    slot = world.slots(CLEANING)[0]
    booking = world.api("adult").post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "stripe",
                                                    "details": {"address": "Heping Road 1"}}).get_json()
    intent = f"pi_booking_{booking['id']}"
    event = json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
                        "data": {"object": {"id": intent, "object": "payment_intent", "status": "succeeded"}}})
    assert app.test_client().post("/api/v1/payments/stripe/webhook", data=event, content_type="application/json",
                                  headers={"Stripe-Signature": sign_webhook(event, WEBHOOK_SECRET)}).status_code == 200
    yesterday = statements.recent_days(dt.datetime.now(dt.timezone.utc))[-1]
    listed = str(int(dt.datetime.combine(yesterday, dt.time(), dt.timezone.utc).timestamp()))
    charge = txn(1, "charge", 12000, 378, {"id": "ch_1", "object": "charge", "amount": 12000, "payment_intent": intent})
    recording_http.answer("GET", "/v1/balance_transactions", lambda req: {
        "object": "list", "url": "/v1/balance_transactions", "has_more": False,
        "data": [charge] if req.form["created[gte]"] == listed else []})
    run = app.extensions["linli"].queue.runner.run_periodic("payments.fetch_statements")
    assert run.status == "ok", run.outcome
    period = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    report = world.api("committee1").get(f"/communities/heping/fund/reconciliation?period={period}").get_json()
    [row] = [r for r in report["operators"] if r["type"] == "housekeeping"]
    assert row["provider_statement"]["matched_count"] == 1 and row["provider_statement"]["fee_amount"] == 378
    assert row["provider_statement"]["recorded_amount"] == row["provider_statement"]["statement_amount"] == 12000
