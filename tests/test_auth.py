"""Bearer tokens: login, /me, expiry and revocation; tokens are stored only as hashes."""
import datetime as dt

from sqlalchemy import select

from core.db import utcnow
from core.models import ApiToken
from tests.factories import PASSWORD, make_community, make_user


def test_login_returns_a_token_that_identifies_the_user(db, api, client):
    community = make_community(db)
    user = make_user(db, "resident", community, born=dt.date(1950, 1, 1), attributes=("disability",))
    db.commit()
    me = api(user).get("/me").get_json()
    assert me["email"] == user.email
    assert me["roles"] == [{"role": "resident", "community_id": community.id, "operator_id": None}]
    assert me["verified_attributes"] == ["disability"] and me["date_of_birth"] == "1950-01-01"
    assert "password" not in str(me) and "password_hash" not in str(me)


def test_the_token_is_stored_only_as_a_hash(db, client):
    user = make_user(db, "admin")
    db.commit()
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).get_json()["token"]
    stored = db.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_wrong_password_unknown_email_and_missing_fields(db, client):
    user = make_user(db, "admin")
    db.commit()
    assert client.post("/api/v1/auth/token", json={"email": user.email, "password": "nope-nope"}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": "who@x.org", "password": PASSWORD}).status_code == 401
    response = client.post("/api/v1/auth/token", json={"email": user.email})
    assert response.status_code == 422 and "password" in response.get_json()["errors"]
    assert client.post("/api/v1/auth/token", data="{not json", content_type="application/json").status_code == 400


def test_revoked_and_expired_tokens_are_refused(db, api, client):
    user = make_user(db, "admin")
    db.commit()
    session = api(user)
    assert session.get("/me").status_code == 200
    assert session.call("DELETE", "/auth/token").status_code == 204
    assert session.get("/me").status_code == 401

    other = api(user)
    db.execute(ApiToken.__table__.update().values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db.commit()
    assert other.get("/me").status_code == 401


def test_me_needs_a_token(client):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer made-up"}).status_code == 401


def test_a_token_lives_as_long_as_configured(make_app, db):
    client = make_app(TOKEN_HOURS=2).test_client()
    user = make_user(db, "admin")
    db.commit()
    before = utcnow()
    answer = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).get_json()
    expires = dt.datetime.fromisoformat(answer["expires_at"])
    assert before + dt.timedelta(hours=2) <= expires <= utcnow() + dt.timedelta(hours=2)
    stored = db.scalar(select(ApiToken.expires_at))
    assert abs(stored - expires) < dt.timedelta(seconds=1)


def test_logging_out_revokes_that_token_only(db, api):
    user = make_user(db, "admin")
    db.commit()
    phone, laptop = api(user), api(user)
    assert phone.call("DELETE", "/auth/token").status_code == 204
    assert phone.get("/me").status_code == 401
    assert phone.call("DELETE", "/auth/token").status_code == 401  # a revoked token cannot act, not even to log out
    assert laptop.get("/me").status_code == 200
    assert db.scalar(select(ApiToken.revoked_at).where(ApiToken.revoked_at.is_not(None))) is not None


def test_a_deactivated_user_is_refused_with_a_live_token(db, api):
    user = make_user(db, "admin")
    db.commit()
    session = api(user)
    user.is_active = False
    db.commit()
    assert session.get("/me").status_code == 401
