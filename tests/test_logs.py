"""No secret and no personal data reaches the logs: every logger captured at DEBUG through logins, a booking paid
with Stripe, its webhook, and a database error in a booking's event task (whose traceback the job runner logs), in
the records and in production's JSON lines, where each line carries the id of the request it belongs to (the
task's too)."""
import io
import json
import logging

import pytest
from sqlalchemy import text

from core import hookimpl, logs
from core.models import User
from tests.stripe_support import SECRET_KEY, WEBHOOK_SECRET, sign_webhook
from tests.test_security import web_login

CLEANING = "Home cleaning, 2 hours"
ADDRESS = "Heping Road 1, flat 302"


class BrokenQuery:
    """A plugin that follows new bookings and hits the database with the resident's email, failing there."""

    @hookimpl
    def booking_created(self, session, booking):
        if booking.details.get("address") == "fail here":
            session.execute(text("SELECT * FROM no_such_table WHERE email = :email"),
                            {"email": session.get(User, booking.resident_id).email})


@pytest.fixture
def captured(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def json_lines():
    """What every logger writes, as production's JSON lines."""
    stream = io.StringIO()
    lines = logs.handler("json", stream)
    lines.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(lines)
    yield stream
    logging.getLogger().removeHandler(lines)


def test_logins_a_stripe_payment_and_a_database_error_log_no_secret(platform, captured, json_lines):
    app, world = platform(PLUGINS=[BrokenQuery()], PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    wrong = client.post("/api/v1/auth/token", json={"email": "adult@example.org", "password": "Wrong-Secret-123"})
    assert wrong.status_code == 401
    resident = world.api("adult")
    slot = world.slots(CLEANING)[0]["id"]
    booking = resident.post("/bookings", {"slot_id": slot, "payment_method": "stripe", "details": {"address": ADDRESS}})
    assert booking.status_code == 201
    event = {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
             "data": {"object": {"id": f"pi_booking_{booking.get_json()['id']}", "object": "payment_intent"}}}
    payload = json.dumps(event).encode()
    assert client.post("/api/v1/payments/stripe/webhook", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_webhook(payload, WEBHOOK_SECRET)}).status_code == 200
    assert web_login(app.test_client(), "adult@example.org", "demo-password").status_code == 303
    another_time = world.slots(CLEANING)[1]["id"]  # one booking per resident per time
    failed = resident.post("/bookings", {"slot_id": another_time, "payment_method": "cash",
                                         "details": {"address": "fail here"}})
    assert failed.status_code == 201  # the plugin fails in the booking's event task, after the commit

    secrets = {"password": "demo-password", "wrong password": "Wrong-Secret-123", "bearer token": resident.token,
               "client secret": booking.get_json()["client_secret"], "Stripe key": SECRET_KEY,
               "webhook secret": WEBHOOK_SECRET, "email": "adult@example.org", "address": ADDRESS}
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in captured.records)
    assert "no_such_table" in logged and "failed" in logged  # the traceback was logged: the check below means something
    assert [name for name, secret in secrets.items() if secret in logged] == []

    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]  # one JSON object per line
    error = next(line for line in lines if "no_such_table" in line.get("exc_info", ""))
    assert error["request_id"] == failed.headers["X-Request-ID"]  # the task runs under the id of its request
    assert all("request_id" in line for line in lines)
    said = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert [name for name, secret in secrets.items() if secret in said] == []
