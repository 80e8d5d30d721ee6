"""Stripe test support: a private localstripe server, a recording HTTP client for the SDK, webhook signing.

localstripe covers payments and refunds but refuses Stripe Connect parameters, so
Connect calls are asserted at the HTTP boundary with RecordingHttpClient instead.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import stripe

LOCALSTRIPE_API_KEY = "sk_test_localstripe"  # localstripe accepts any key starting "sk_"

# Run in a child process: no pickle on disk, and a socket bound to loopback only.
_SERVER_CODE = """
import socket
from aiohttp import web
from localstripe.resources import Store
Store.dump_to_disk = Store.try_load_from_disk = lambda self: None
from localstripe.server import app
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(128)
print(sock.getsockname()[1], flush=True)
web.run_app(app, sock=sock, print=None)
"""


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """Base URL of a fresh localstripe on 127.0.0.1, shared by the session (its data persists across tests)."""
    workdir = tmp_path_factory.mktemp("localstripe")
    with open(workdir / "stderr.log", "wb") as errlog:
        proc = subprocess.Popen([sys.executable, "-c", _SERVER_CODE], cwd=workdir,
                                stdout=subprocess.PIPE, stderr=errlog, text=True)
    try:
        port = proc.stdout.readline().strip()
        if not port:
            raise RuntimeError("localstripe did not start: " + (workdir / "stderr.log").read_text())
        url = f"http://127.0.0.1:{port}"
        _wait_until_answers(url + "/js.stripe.com/v3/")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def _wait_until_answers(url, timeout=15.0):
    """Poll an unauthenticated localstripe page until the server serves it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def stripe_client(localstripe_url):
    """A stripe 16 StripeClient talking to localstripe, without retries so errors surface at once."""
    return stripe.StripeClient(LOCALSTRIPE_API_KEY, base_addresses={"api": localstripe_url},
                               max_network_retries=0)


def register_webhook(localstripe_url, name, url, secret, events=None):
    """Make localstripe POST its events (signed with secret) to url; events limits the types sent."""
    form = {"url": url, "secret": secret}
    form.update({f"events[{i}]": event for i, event in enumerate(events or [])})
    req = urllib.request.Request(f"{localstripe_url}/_config/webhooks/{name}",
                                 data=urlencode(form).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5):
        pass


@dataclass
class RecordedRequest:
    """One request the SDK made: form holds the decoded body (POST) or query (GET), keys as sent."""

    method: str
    url: str
    path: str
    headers: dict
    form: dict


class RecordingHttpClient(stripe.HTTPClient):
    """An SDK http_client that records requests and answers with canned JSON, so no network is used."""

    name = "recording"

    def __init__(self):
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self._answers: list[tuple[str, str, object, int]] = []

    def answer(self, method, path_prefix, body, status=200):
        """Answer method requests whose path starts with path_prefix; body is a dict or a callable(request)."""
        self._answers.append((method.upper(), path_prefix, body, status))

    @property
    def last(self) -> RecordedRequest:
        """The most recent request."""
        return self.requests[-1]

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        """Record the request and return the longest-prefix canned answer (latest wins), else a 404 error."""
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        req = RecordedRequest(method.upper(), url, parts.path, dict(headers or {}),
                              dict(parse_qsl(body, keep_blank_values=True)))
        self.requests.append(req)
        matches = [a for a in self._answers if a[0] == req.method and req.path.startswith(a[1])]
        if not matches:
            error = {"error": {"type": "invalid_request_error",
                               "message": f"no canned answer for {req.method} {req.path}"}}
            return json.dumps(error), 404, {}
        _, _, answer, status = max(reversed(matches), key=lambda a: len(a[1]))
        return json.dumps(answer(req) if callable(answer) else answer), status, {}

    def close(self):
        """Nothing to close."""


@pytest.fixture
def recording_http():
    """A fresh RecordingHttpClient; pass it as stripe.StripeClient(key, http_client=recording_http)."""
    return RecordingHttpClient()


def sign_webhook(payload, secret, timestamp=None) -> str:
    """A valid Stripe-Signature header for payload (bytes or str), as Stripe would send it."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8")
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


# --- a platform whose Stripe is a recording fake -------------------------------------------------

WEBHOOK_SECRET = "whsec_test"
SECRET_KEY = "sk_test_recording"


def answer_like_stripe(http):
    """PaymentIntents named after their booking, cancels that succeed, refunds numbered in order."""
    def intent(req):
        pi = f"pi_booking_{req.form['metadata[booking_id]']}"
        return {"id": pi, "object": "payment_intent", "amount": int(req.form["amount"]),
                "currency": req.form["currency"], "status": "requires_payment_method", "client_secret": pi + "_secret"}

    def refund(req):
        number = sum(r.path == "/v1/refunds" for r in http.requests)
        return {"id": f"re_app_{number}", "object": "refund", "amount": int(req.form["amount"]),
                "payment_intent": req.form["payment_intent"], "status": "succeeded"}

    http.answer("POST", "/v1/payment_intents", intent)
    http.answer("POST", "/v1/payment_intents/", lambda req: {"id": req.path.split("/")[3], "object": "payment_intent",
                                                             "status": "canceled"})
    http.answer("POST", "/v1/refunds", refund)


@pytest.fixture
def platform(make_app, recording_http, demo_rows):
    """Build (once per test) the demo platform with Stripe configured against the recording client."""
    from tests.factories import DemoWorld
    from tests.snapshots import restore

    def build(**config):
        answer_like_stripe(recording_http)
        app = make_app(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                       STRIPE_HTTP_CLIENT=recording_http, **config)
        restore(app.extensions["linli"].db.engine, demo_rows)
        return app, DemoWorld(app.test_client())

    return build
