"""Security at the edge: headers on every response, a CSP no page needs to break, secure cookies, memory-hard
passwords, and a real limiter on logins (in memory or in Redis) shared by the API and the login page."""
import fcntl
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import Type, extract_parameters

from core import auth
from core.config import ConfigurationError
from core.models import Booking
from core.security import CSP, STRIPE_CSP
from tests.factories import PASSWORD, make_user
from tests.web_support import signed_in

ROOT = Path(__file__).resolve().parent.parent


def test_every_response_carries_the_security_headers(demo, client):
    """The API and the pages alike: the policy, never framed, no sniffing; HSTS over HTTPS only."""
    for path in ("/api/v1/communities", "/", "/login", "/communities/heping/transparency"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert "Strict-Transport-Security" not in response.headers, path
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    assert "unsafe-inline" not in CSP + STRIPE_CSP and "unsafe-eval" not in CSP + STRIPE_CSP
    secure = client.get("/api/v1/communities", base_url="https://linli.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def hammer(client, email, times):
    return [client.post("/api/v1/auth/token", json={"email": email, "password": "wrong-password"}).status_code
            for _ in range(times)]


def test_logins_are_rate_limited_per_account_and_address(make_app, db):
    client = make_app(LOGIN_RATE_LIMIT="10 per minute").test_client()
    user = make_user(db, "admin")
    db.commit()
    statuses = hammer(client, user.email, 12)
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    assert hammer(client, "someone-else@example.org", 1) == [401]  # another account is not locked out
    blocked = client.post("/api/v1/auth/token", json={"email": user.email, "password": "test-password"})
    assert blocked.status_code == 429 and blocked.is_json
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60  # when the oldest attempt leaves the minute's window


@pytest.fixture
def redis_url():
    """A Redis database (LINLI_TEST_REDIS_URL, or the local server's database 9), empty before and after the test.

    Tests on other xdist workers, or in the other database's suite beside this one, wait for it: they count the
    same addresses and accounts, and each empties it.
    """
    import redis

    url = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")  # .ci/run starts one if need be
    store = redis.Redis.from_url(url)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is expected at {url} (LINLI_TEST_REDIS_URL)")
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"linli-tests-redis-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        store.flushdb()
        yield url
        store.flushdb()
    store.close()


def test_the_limit_can_live_in_redis_shared_by_workers(make_app, db, redis_url):
    email = f"{uuid.uuid4()}@example.org"
    first = make_app(RATELIMIT_STORAGE=redis_url, LOGIN_RATE_LIMIT="3 per minute").test_client()
    second = make_app(RATELIMIT_STORAGE=redis_url, LOGIN_RATE_LIMIT="3 per minute").test_client()
    assert hammer(first, email, 2) == [401, 401]
    assert hammer(second, email, 2) == [401, 429]  # the second "worker" sees the first one's attempts


def test_one_address_trying_many_accounts_is_limited_too(make_app, db):
    """One account at a time stays under the per-account limit; the address's own limit stops the sweep."""
    client = make_app(LOGIN_RATE_LIMIT="10 per minute", LOGIN_ADDRESS_RATE_LIMIT="5 per minute").test_client()
    statuses = [hammer(client, f"guess-{n}@example.org", 1)[0] for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert web_login(client, "another-guess@example.org", "wrong-password").status_code == 429  # the page too
    elsewhere = client.post("/api/v1/auth/token", json={"email": "guess-0@example.org", "password": "wrong"},
                            environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 401  # another address has its own count


PRODUCTION = {"ENV": "production", "DATABASE_URL": "postgresql+psycopg://linli@127.0.0.1:1/never_connected",
              "BROKER_URL": "redis://127.0.0.1:1/0"}
"""A production app's settings where the test needs no database (building an app connects to none)."""


@pytest.mark.parametrize("store", [{}, {"RATELIMIT_STORAGE": "memory://"}])
def test_production_refuses_to_count_logins_in_one_process_memory(make_app, store):
    with pytest.raises(ConfigurationError, match="LINLI_REDIS_URL"):
        make_app(**PRODUCTION, REDIS_URL=None, **{"RATELIMIT_STORAGE": None, **store})


def test_production_counts_logins_in_redis(make_app, redis_url):
    assert make_app(**PRODUCTION, REDIS_URL=redis_url, RATELIMIT_STORAGE=None)
    assert make_app(**PRODUCTION, REDIS_URL=None, RATELIMIT_STORAGE=redis_url)


def test_gunicorn_workers_share_the_login_limits_through_redis(database_url, tmp_path, redis_url):
    """Four workers, each counting alone, let some 40 wrong passwords through in a minute against a limit of 10."""
    from tests.server import gunicorn

    settings = {"LINLI_REDIS_URL": redis_url, "LINLI_LOGIN_RATE_LIMIT": "10 per minute",
                "LINLI_LOGIN_ADDRESS_RATE_LIMIT": "30 per minute"}
    with gunicorn(database_url, tmp_path, workers=4, env=settings) as server, ThreadPoolExecutor(8) as pool:
        def attempt(email):
            return server.request("POST", "/auth/token", body={"email": email, "password": "wrong-password"})[0]

        one_account = list(pool.map(attempt, ["target@example.org"] * 40))
        many_accounts = list(pool.map(attempt, [f"sweep-{n}@example.org" for n in range(40)]))
    assert sorted(set(one_account + many_accounts)) == [401, 429]
    assert one_account.count(401) == 10  # the account's limit, whichever worker answered
    assert many_accounts.count(401) == 20  # the address's limit of 30 counts the 10 above too


def csrf_token(client, base_url="http://localhost") -> str:
    """The CSRF token of the login form (showing the page sets the session it belongs to)."""
    page = client.get("/login", base_url=base_url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def web_login(client, email, password, base_url="http://localhost"):
    """Log in with the form, as a browser does (over HTTPS a browser also sends the page it came from)."""
    token = csrf_token(client, base_url)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       base_url=base_url, headers={"Referer": f"{base_url}/login"})


def test_the_login_page_shares_the_limit_with_the_api(make_app, db):
    client = make_app(LOGIN_RATE_LIMIT="4 per minute").test_client()
    user = make_user(db, "admin")
    db.commit()
    assert hammer(client, user.email, 2) == [401, 401]
    assert [web_login(client, user.email, "wrong-password").status_code for _ in range(3)] == [401, 401, 429]
    assert hammer(client, user.email, 1) == [429]
    assert client.get("/login").status_code == 200  # showing the form is not an attempt
    page = web_login(client, user.email, PASSWORD)
    assert page.status_code == 429 and page.mimetype == "text/html" and "Too many attempts" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) >= 1


# --- passwords -------------------------------------------------------------------------------------

@pytest.fixture
def production_passwords():
    """Passwords hashed as in production for one test (the others hash cheaply: tests/conftest.py)."""
    cheap = auth._hasher
    auth.use_hasher(auth.OWASP)
    yield
    auth.use_hasher(cheap)


def test_passwords_are_stored_with_argon2id_at_owasp_strength(production_passwords, db, api):
    user = make_user(db, "admin")
    db.commit()
    stored = user.password_hash
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # OWASP's baseline for argon2id: 19 MiB, 2 passes, 1 lane (memory-hard)
    assert (parameters.type, parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        Type.ID, 19 * 1024, 2, 1)
    assert extract_parameters(auth._DUMMY_HASH) == parameters  # an unknown email costs what a known one does
    assert api(user).token  # and the user logs in with it
    assert make_user(db, "admin").password_hash != stored  # salted: the same password hashes differently


def test_production_hashes_passwords_at_owasp_strength_unless_told_otherwise():
    """What a fresh interpreter hashes with, before any test changes it: OWASP's parameters."""
    code = "from core.auth import hash_password; print(hash_password('x'))"
    stored = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert extract_parameters(stored.strip()) == extract_parameters(auth.OWASP.hash("x"))


# --- content security policy -------------------------------------------------------------------------

TEMPLATES = sorted([*ROOT.glob("core/templates/**/*.html"), *ROOT.glob("plugins/*/templates/**/*.html")])
INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "an event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "a style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "a style element": re.compile(r"<style\b", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES])
def test_templates_need_nothing_the_policy_forbids(template):
    """The CSP allows no inline script or style: a template using them would be broken in the browser."""
    source = template.read_text(encoding="utf-8")
    found = [what for what, pattern in INLINE.items() if pattern.search(source)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}: move it into core/static"


def test_only_the_payment_page_may_load_stripe_js(platform, make_app):
    app, world = platform(STRIPE_PUBLISHABLE_KEY="pk_test_recording")
    booking = world.api("adult").post("/bookings", {"slot_id": world.slots("Home cleaning, 2 hours")[0]["id"],
                                                    "payment_method": "stripe", "details": {"address": "Road 1"}})
    client = signed_in(app, booking.get_json()["resident_id"],
                       pay={str(booking.get_json()["id"]): booking.get_json()["client_secret"]})
    pay = client.get(f"/my/bookings/{booking.get_json()['id']}/pay")
    assert pay.status_code == 200 and 'src="https://js.stripe.com/v3/"' in pay.get_data(as_text=True)
    assert pay.headers["Content-Security-Policy"] == STRIPE_CSP
    assert "script-src 'self' https://js.stripe.com;" in STRIPE_CSP and "frame-ancestors 'none'" in STRIPE_CSP
    assert client.get("/my/bookings").headers["Content-Security-Policy"] == CSP


# --- cookies -----------------------------------------------------------------------------------------------

def session_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


@pytest.mark.parametrize("environment, secure", [
    pytest.param("production", True, marks=pytest.mark.postgres),  # production refuses SQLite
    ("development", False)])
def test_the_session_cookie_is_http_only_same_site_and_secure_in_production(make_app, db, environment, secure,
                                                                          redis_url):
    client = make_app(ENV=environment, REDIS_URL=redis_url, BROKER_URL="redis://127.0.0.1:1/0").test_client()
    user = make_user(db, "admin")
    db.commit()
    response = web_login(client, user.email, PASSWORD, base_url="https://linli.example")
    assert response.status_code == 303
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


def test_a_web_logout_ends_the_session_for_good_even_for_a_copy_of_its_cookie(demo, app, db, web):
    """The cookie once held the user's id, signed: a copy taken before logging out still acted for 31 days."""
    slot = demo.slots("Community lunch")[0]
    booking = demo.api("senior68").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash"}).get_json()
    browser = web("senior68")
    cancel = f"/my/bookings/{booking['id']}/cancel"
    browser.get(cancel)
    copied = browser.client.get_cookie("session").value
    assert browser.post("/logout").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    shown = thief.get("/my/bookings")
    assert shown.status_code == 302 and shown.headers["Location"].startswith("/login")
    refused = thief.post(cancel, data={"csrf_token": browser.token})
    assert refused.status_code in (302, 303) and refused.headers["Location"].startswith("/login")
    assert db.get(Booking, booking["id"]).status == "confirmed"
    again = web("senior68")  # logging in again works, and that new session is live
    assert again.get("/my/bookings").status_code == 200


def test_production_refuses_to_start_without_a_secret_key(make_app, monkeypatch, redis_url):
    monkeypatch.delenv("LINLI_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="LINLI_SECRET_KEY") as refused:
        make_app(**PRODUCTION, SECRET_KEY=None, REDIS_URL=redis_url)
    assert len(refused.value.problems) == 1


# --- CSRF ----------------------------------------------------------------------------------------------------

def page_forms():
    from tests.test_authorization_matrix import MAP

    return [(endpoint, rule) for endpoint, method, rule in MAP if method == "POST" and not rule.startswith("/api/")]


@pytest.mark.parametrize("endpoint, rule", page_forms(), ids=[rule for _, rule in page_forms()])
def test_every_page_form_refuses_a_post_without_its_csrf_token(world, endpoint, rule):
    """Sent by the admin, whom every gate lets in: only the missing token can refuse it, and nothing changes."""
    from tests.test_authorization_matrix import policy_for, records, url_for
    from tests.world import ADMIN, snapshot

    app, built = world
    policy = policy_for(endpoint, "POST")
    values = records(built.ids, endpoint, policy.kind)
    client = signed_in(app, built.users[ADMIN], lang="en")
    before = snapshot(app.extensions["linli"].db.engine)
    body = policy.body(values) if policy.body else {}
    response = client.post(url_for(rule, values, endpoint), data=body)
    assert response.status_code == 400 and "This form has expired" in response.get_data(as_text=True)
    assert snapshot(app.extensions["linli"].db.engine) == before
