"""Every reader sees only what they can use: walking the pages as each kind of demo user (and as a visitor), no
link they are shown answers 403 (a refusal), a 404 or 405 (a dead link) or a 5xx.

The demo is the one ``linli demo`` serves after a few days of use: the spec's accounts, the register, the
neighbours' activity (a delivery, a cleaning, a stall, shifts and their wages) and the office's proposals, so the
pages have bookings and records to link to. Staff and a family member acting for a resident (代办) walk the site
too, as the resident's bookings and prices are then theirs to open. What replaces a refused link is in
tests/test_offers.py.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import demo as demo_data
from core.models import ResidentProfile, User
from core.web.acting import ACTING_KEY
from tests.crawl import crawl
from tests.factories import DemoWorld
from tests.snapshots import restore, snapshot
from tests.web_support import signed_in

# Who walks: (the account, whom they act for). One account per role, each operator (their pages differ), residents
# of each kind of price, a neighbour with bookings of every type, and a sign-up the office has not checked yet.
READERS = {
    "anonymous": (None, None),
    "admin": ("admin@example.org", None),
    "community_staff": ("staff@example.org", None),
    "community_staff acting for a neighbour": ("staff@example.org", "neighbour@example.org"),
    "committee_member": ("committee1@example.org", None),
    "charity_officer": ("charity@example.org", None),
    "canteen staff": ("canteen@example.org", None),
    "canteen staff acting for elder95": ("canteen@example.org", "elder95@example.org"),
    "housekeeping staff": ("housekeeping@example.org", None),
    "fair staff": ("fair@example.org", None),
    "workshop staff": ("workshop@example.org", None),
    "resident aged 92": ("elder92@example.org", None),
    "resident aged 95 (a delivery)": ("elder95@example.org", None),
    "resident (a cleaning, a stall)": ("neighbour@example.org", None),
    "resident (piece-work shifts)": ("sewer1@example.org", None),
    "student": ("student@example.org", None),
    "family member acting for elder92": ("adult@example.org", "elder92@example.org"),
    "low-income resident": ("lowincome@example.org", None),
    "pending sign-up": ("13700000101", None),
}
REFUSED_OR_DEAD = {403, 404, 405}


def _lived_in(app) -> dict[str, list[dict]]:
    """The demo's activity; the office's proposals (one submitted to the committee, one still a draft); a family
    member the office linked to Wang Nainai."""
    demo_data.seed_activity(app)
    world = DemoWorld(app.test_client())
    staff = world.api("staff")
    proposals = [staff.post("/communities/heping/fund/proposals", {
        "title": title, "purpose": "Somewhere to rest", "requested_amount": 50_000,
        "beneficiary": "Elderly residents"}).get_json()["id"] for title in ("Benches", "A ramp at building 2")]
    assert staff.post(f"/communities/heping/fund/proposals/{proposals[0]}/submit").status_code == 200
    elder, family = (world.api(local).get("/me").get_json()["id"] for local in ("elder92", "adult"))
    assert staff.post(f"/residents/{elder}/helpers", {"helper_id": family}).status_code == 201
    return snapshot(app.extensions["linli"].db.engine)


@pytest.fixture
def lived_in_demo(app, snapshots, demo_rows):
    """The demo as ``linli demo`` serves it after a few days of use."""
    restore(app.extensions["linli"].db.engine, snapshots.take("demo-lived-in", _lived_in, start=demo_rows))


def _user_id(db, login: str) -> int:
    if "@" in login:
        return db.scalar(select(User.id).where(User.email == login))
    return db.scalar(select(ResidentProfile.user_id).where(ResidentProfile.phone == login))


def _client(app, db, reader: str):
    login, acting = READERS[reader]
    if login is None:
        return app.test_client()
    values = {ACTING_KEY: _user_id(db, acting)} if acting else {}
    return signed_in(app, _user_id(db, login), **values)


@pytest.mark.parametrize("reader", READERS)
def test_no_page_links_a_reader_to_a_page_they_may_not_open(app, db, lived_in_demo, reader):
    client = _client(app, db, reader)
    visits = list(crawl(app, client))
    broken = [v for v in visits if v.status in REFUSED_OR_DEAD or v.status >= 500]
    assert len(visits) > 10, [v.link for v in visits]  # the walk went somewhere
    assert not broken, "\n".join(f"{reader}: {v.status} {v.link} (linked from {v.page})" for v in broken)
