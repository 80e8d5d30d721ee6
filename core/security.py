"""Security at the edge: response headers, and a real rate limiter on logins.

The limiter counts in Redis (``LINLI_REDIS_URL``, or any store ``limits`` knows
named by ``LINLI_RATELIMIT_STORAGE``), so that every gunicorn worker counts the
same attempts; without either it counts in the process's memory, which
``LINLI_ENV=production`` refuses (core.config): four workers would each allow the limit.
The client's address is the proxy's unless ``LINLI_TRUSTED_PROXIES`` says how many
proxies to look through (core.app).
"""
from __future__ import annotations

import functools
import math
import time

import limits
import limits.storage
import limits.strategies
from flask import Flask, g, request
from werkzeug.exceptions import TooManyRequests

from core.config import limiter_storage
from core.input_text import (  # noqa: F401 - the API and the pages check input here
    CONTROL_CHARACTERS, INVISIBLE_CHARACTERS, INVISIBLE_CHARACTERS_HERE, refused_text, unstorable_text,
)

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
# Stripe.js must be loaded from Stripe and runs its card form in Stripe's frames: the pages that take a payment
# (and only those) allow exactly the origins Stripe documents for it, and still no inline script.
STRIPE_CSP = ("default-src 'self'; img-src 'self' data: https://*.stripe.com; style-src 'self'; "
              "script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; "
              "connect-src 'self' https://api.stripe.com; object-src 'none'; frame-ancestors 'none'; "
              "base-uri 'self'; form-action 'self'")


def allow_stripe_js() -> None:
    """Called by a page that embeds Stripe's payment form: its response gets :data:`STRIPE_CSP`."""
    g.csp = STRIPE_CSP


def uploads(most_bytes: int, raw: bool = False):
    """Mark a view (an API operation or a page) that takes a file as multipart/form-data, of up to ``most_bytes``
    (``raw``: or the file itself as the body, whatever its Content-Type says: the view judges its bytes);
    everything else stays within the app's MAX_CONTENT_LENGTH."""
    def mark(view):
        view.linli_upload, view.linli_upload_raw = most_bytes, raw
        return view
    return mark


def allow_upload(view) -> bool:
    """Let this request's file be as large as its view allows (a larger one is a 413 when the form is read)."""
    most = getattr(view, "linli_upload", None)
    raw = getattr(view, "linli_upload_raw", False)
    if most is None or not (raw or request.mimetype == "multipart/form-data"):
        return False
    request.max_content_length = most
    return True


def _login_keys() -> tuple[str, str]:
    """The client address and account of a login attempt, and the address alone."""
    email = ""
    if request.is_json:
        body = request.get_json(silent=True)
        email = str(body.get("email", ""))[:254].strip().lower() if isinstance(body, dict) else ""
    else:
        email = request.form.get("email", "")[:254].strip().lower()
    return f"{request.remote_addr}|{email}", str(request.remote_addr)


def init_security(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", g.get("csp", CSP))
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def limit_logins(app: Flask, *endpoints: str) -> None:
    """Apply the login limits to the login views' POSTs: ``LINLI_LOGIN_RATE_LIMIT`` (default 10 per minute) per
    client address and account, and ``LINLI_LOGIN_ADDRESS_RATE_LIMIT`` (default 30 per minute) per address over
    all accounts, so that one address cannot sweep many accounts one guess at a time.

    API and login page share the counts: a guesser gains nothing by switching from one to the other. Showing
    the login page is not an attempt. Only these views count: no other request pays for a limiter. An attempt
    the account's limit refuses is not counted against the address.
    """
    per_account = limits.parse(app.config.get("LOGIN_RATE_LIMIT") or "10 per minute")
    per_address = limits.parse(app.config.get("LOGIN_ADDRESS_RATE_LIMIT") or "30 per minute")
    window = limits.strategies.MovingWindowRateLimiter(
        limits.storage.storage_from_string(limiter_storage(app.config)))

    def limited(view):
        @functools.wraps(view)
        def attempt(*args, **kwargs):
            if request.method == "POST":
                account, address = _login_keys()
                for rule, namespace, key in ((per_account, "login", account), (per_address, "login-address", address)):
                    if not window.hit(rule, namespace, key):
                        reset = window.get_window_stats(rule, namespace, key).reset_time
                        raise TooManyRequests(f"too many login attempts: at most {rule}",
                                              retry_after=max(1, math.ceil(reset - time.time())))
            return view(*args, **kwargs)

        return attempt

    for endpoint in endpoints:
        app.view_functions[endpoint] = limited(app.view_functions[endpoint])
