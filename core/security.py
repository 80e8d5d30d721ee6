"""Security at the edge: response headers, and a real rate limiter on logins.

The limiter counts in Redis (``LINLI_REDIS_URL``, or any store ``limits`` knows
named by ``LINLI_RATELIMIT_STORAGE``), so that every gunicorn worker counts the
same attempts; without either it counts in the process's memory, which
``LINLI_ENV=production`` refuses: four workers would each allow the limit.
"""
from __future__ import annotations

import functools
import math
import re
import time

import limits
import limits.storage
import limits.strategies
from flask import Flask, g, request
from werkzeug.exceptions import TooManyRequests

from core.errors import N_, invalid

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


def limiter_storage(config) -> str:
    """Where the login limiter counts; in production never in one process's memory."""
    url = config.get("RATELIMIT_STORAGE") or config.get("REDIS_URL") or "memory://"
    if config.get("ENV") == "production" and url.startswith("memory"):
        raise RuntimeError("LINLI_ENV=production counts login attempts in Redis, shared by every worker: set "
                           "LINLI_REDIS_URL (or LINLI_RATELIMIT_STORAGE=redis://...)")
    return url


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


# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; the bidi embeddings, overrides and
# isolates, which reorder what is shown around them (a title reading backwards, an address that hides its end).
INVISIBLE_CHARACTERS = invalid("invisible_characters", N_(
    "Please remove the invisible characters from what you entered, then try again."))
INVISIBLE_CHARACTERS_HERE = N_("This contains invisible control characters: please remove them.")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def unstorable_text(value, place: str = "") -> str | None:
    """Where in a parsed body (or query) the first string a database cannot store is, else None.

    PostgreSQL refuses NUL characters in text, and an unpaired surrogate (JSON
    allows ``"\\ud800"``) has no UTF-8 form: either would fail at the database, a
    500, instead of being refused as input. Keys are checked as well as values.
    """
    return _first_string(value, place, _unstorable)


def refused_text(value, place: str = "") -> str | None:
    """Where the first string Linli never stores is (see :func:`unstorable_text`), else None: also one holding a
    control character (tab and line breaks are text) or a bidi control, which would ring a terminal's bell, clear
    it, or reorder what a page shows."""
    return _first_string(value, place, lambda text: _unstorable(text) or CONTROL_CHARACTERS.search(text) is not None)


def _unstorable(text: str) -> bool:
    return "\x00" in text or not text.isascii() and _has_surrogate(text)


def _first_string(value, place: str, bad) -> str | None:
    pending = [(place, value)]
    while pending:  # a loop, not recursion: the body may be nested as deep as the parser allowed
        where, item = pending.pop()
        if isinstance(item, str):
            if bad(item):
                return where or "json"
        elif isinstance(item, dict):
            pending += [(where, key) for key in item]  # a bad key is named by where its object is
            pending += [(f"{where}.{key}" if where else str(key), child) for key, child in item.items()]
        elif isinstance(item, list):
            pending += [(f"{where}.{index}" if where else str(index), child) for index, child in enumerate(item)]
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True
