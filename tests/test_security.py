"""Security at the edge: headers on every response, a real limiter on logins (in memory or in Redis)."""
import uuid

import pytest

from tests.factories import make_user


def test_every_response_carries_the_security_headers(client):
    response = client.get("/api/v1/communities")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers
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


def test_the_limit_can_live_in_redis_shared_by_workers(make_app, db):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.fail("Redis is expected at 127.0.0.1:6379 on this machine")
    email = f"{uuid.uuid4()}@example.org"
    first = make_app(RATELIMIT_STORAGE=url, LOGIN_RATE_LIMIT="3 per minute").test_client()
    second = make_app(RATELIMIT_STORAGE=url, LOGIN_RATE_LIMIT="3 per minute").test_client()
    assert hammer(first, email, 2) == [401, 401]
    assert hammer(second, email, 2) == [401, 429]  # the second "worker" sees the first one's attempts
