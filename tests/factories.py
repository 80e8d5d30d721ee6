"""Factories for test data, and a small API client that logs in as anyone."""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy import event

from core import accounts
from core.auth import issue_token
from core.db import utcnow
from core.models import (
    SCORE_PARTS, Agreement, Community, Listing, Operator, OperatorScore, OperatorStars, Slot, Space, User,
    VerifiedAttribute,
)

PASSWORD = "test-password"
_serial = itertools.count(1)


@contextlib.contextmanager
def listening(target, name: str, callback):
    """``callback`` listens to SQLAlchemy's event ``name`` on ``target`` inside the block only."""
    event.listen(target, name, callback)
    try:
        yield
    finally:
        event.remove(target, name, callback)


def make_community(db, slug=None, **overrides) -> Community:
    community = Community(slug=slug or f"c{next(_serial)}", name=overrides.pop("name", "Test Community"), **overrides)
    db.add(community)
    db.flush()
    db.add(Space(community_id=community.id, name="Hall", kind="canteen"))
    db.flush()
    return community


def make_user(db, role, community=None, operator=None, born=None, attributes=(), email=None) -> User:
    user = accounts.create_user(db, email or f"{role}{next(_serial)}@test.example", role.title(), PASSWORD)
    accounts.grant(db, user, role, community.id if community else None, operator.id if operator else None)
    if role == "resident":
        user.profile.date_of_birth = born
        user.profile.born_verified_at = utcnow() if born else None
        for attribute in attributes:
            db.add(VerifiedAttribute(user_id=user.id, attribute=attribute))
    db.flush()
    return user


def resident_tokens(db, community, count: int) -> list[str]:
    """Bearer tokens of ``count`` new residents of ``community``, committed: a resident books a time once, so a race
    of bookings of one time needs a resident per attempt."""
    tokens = [issue_token(db, make_user(db, "resident", community), 1)[0] for _ in range(count)]
    db.commit()
    return tokens


def make_operator(db, community, type_key="canteen", status="active", name=None) -> Operator:
    operator = Operator(community_id=community.id, name=name or f"Operator {next(_serial)}", type=type_key,
                        status=status)
    db.add(operator)
    db.flush()
    space = db.query(Space).filter_by(community_id=community.id).first()
    db.add(Agreement(operator_id=operator.id, space_id=space.id, starts_on=dt.date(2026, 1, 1),
                     donation_kind="percent_of_revenue", donation_bps=1000, status="active"))
    db.flush()
    return operator


ANYONE_PAYS = [{"name": "anyone", "when": {}, "tier": "paid", "amount": 1000}]


def make_listing(db, operator, price_rules=None, details=None, **overrides) -> Listing:
    listing = Listing(operator_id=operator.id, community_id=operator.community_id, type=operator.type,
                      title=overrides.pop("title", "A service"), description="", details=details or {},
                      price_rules=price_rules or ANYONE_PAYS, **overrides)
    db.add(listing)
    db.flush()
    return listing


def make_slot(db, listing, capacity=10, starts_in=dt.timedelta(days=1), hours=2) -> Slot:
    starts_at = utcnow().replace(microsecond=0) + starts_in
    slot = Slot(listing_id=listing.id, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=hours),
                capacity=capacity, taken=0)
    db.add(slot)
    db.flush()
    return slot


def make_score(db, operator, period: str, tenths: int, missing=("donations",), adjusted=None) -> OperatorScore:
    """A month's score as the evaluation writes it: every part, the ``missing`` ones without data and no share, the
    others sharing the score evenly; ``adjusted`` = (tenths, reason, by) adjusts it."""
    from core.scoring import Figures, part_tenths

    figures = part_tenths(Figures(stars=(4, 5), bookings_due=30, inspections=(tenths,), donations_due=5000,
                                  donations_on_time=5000))  # each part's figures in the evaluation's own words
    present = [part for part in SCORE_PARTS if part not in missing]
    parts = [{"part": part, "weight": 20, "share": 0 if part in missing else round(100 / len(present)),
              "value": None if part in missing else tenths / 10, "missing": part in missing,
              "figures": figures[part][1]} for part in SCORE_PARTS]
    score = OperatorScore(community_id=operator.community_id, operator_id=operator.id, period=period,
                          computed_tenths=tenths, score_tenths=tenths, parts=parts)
    if adjusted is not None:
        score.score_tenths, score.adjust_reason, score.adjusted_by = adjusted
        score.adjusted_at = utcnow()
    db.add(score)
    db.flush()
    return score


def make_stars(db, operator, year: int, stars: int | None, average_tenths: int = 80) -> OperatorStars:
    row = OperatorStars(community_id=operator.community_id, operator_id=operator.id, year=year, stars=stars,
                        average_tenths=average_tenths, months=12)
    db.add(row)
    db.flush()
    return row


@dataclass
class Api:
    """The test client, speaking JSON as one logged-in user (or anonymously)."""

    client: object
    token: str | None = None

    def call(self, method, path, json=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open("/api/v1" + path, method=method, json=json, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json if json is not None else {}, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)


def logged_in(client, user: User, password: str = PASSWORD) -> Api:
    """The API as ``user``, through ``client`` (an app's test client)."""
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": password})
    assert response.status_code == 200, response.get_json()
    return Api(client, response.get_json()["token"])


@pytest.fixture
def api(client):
    """``api()`` is anonymous; ``api(user)`` logs that user in (password of the factories)."""

    def as_user(user: User | None = None, password: str = PASSWORD) -> Api:
        return Api(client) if user is None else logged_in(client, user, password)

    return as_user


@pytest.fixture
def demo(app, client, demo_rows):
    """The demo data loaded; ``demo.api("adult")`` logs in a demo account, ``demo.listing(title)`` finds one."""
    from tests.snapshots import restore

    restore(app.extensions["linli"].db.engine, demo_rows)
    return DemoWorld(client)


@dataclass
class DemoWorld:
    client: object

    def api(self, local: str) -> Api:
        response = self.client.post("/api/v1/auth/token", json={"email": f"{local}@example.org",
                                                                "password": "demo-password"})
        assert response.status_code == 200, response.get_json()
        return Api(self.client, response.get_json()["token"])

    def listing(self, title: str) -> dict:
        items = self.client.get("/api/v1/listings?per_page=200").get_json()["items"]
        return next(item for item in items if item["title"] == title)

    def slots(self, title: str) -> list[dict]:
        listing = self.listing(title)
        return self.client.get(f"/api/v1/listings/{listing['id']}/slots?per_page=200").get_json()["items"]
