"""A populated platform to test who may do what: built once per run, restored per test from a snapshot of its rows.

The world is the demo community (``heping``) plus what an authorization test
needs around it: a second community whose user holds every role there, a rival
operator of each type in ``heping``, one user per subject with a bearer token,
and a booking of the resident at each operator. Restoring is a truncate and a
bulk insert of the snapshot, so a test that changes the world can start again
from the same rows (and the same ids) in milliseconds, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import accounts, complaints, notifications, outcomes
from core.auth import issue_token
from core.demo import WELCOME
from core.errors import text
from core.models import (
    Agreement, Booking, Community, Listing, Notification, Operator, Payment, Proposal, Slot, Space, User,
    VerifiedAttribute,
)
from tests.clock import serving
from tests.factories import make_community, make_operator, make_user
from tests.snapshots import restore, snapshot

ANON, RESIDENT, OPERATOR, STAFF, COMMITTEE, CHARITY, DISTRICT, ADMIN, STRANGER, RIVAL = SUBJECTS = (
    "anonymous", "resident", "operator_staff", "community_staff", "committee_member", "charity_officer",
    "district_officer", "admin", "other_community", "other_operator")
"""Who calls: nobody, each role of ``heping``, a user holding every role in another community, another operator.

Three communities: ``heping``; ``elsewhere``, where the other community's user holds every role; and ``riverside``,
which the district officer covers beside ``heping`` and where the charity officer works too — a role held in several
communities opens nothing more in any of them."""

TYPES = ("canteen", "housekeeping", "market_fair", "workshop")
CANARIES = ("Canary Lane 7", "adult@example.org", "13900001234")
"""The resident's address, email and phone: no response to anonymous, another community or another operator may hold
them."""
DEMO_LOGINS = {RESIDENT: "adult", STAFF: "staff", COMMITTEE: "committee1", CHARITY: "charity", ADMIN: "admin"}


@dataclass
class World:
    ids: dict[str, object]
    users: dict[str, int | None]
    tokens: dict[str, str | None]
    rows: dict[str, list[dict]] = field(repr=False)
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Files the world keeps in its instance folder (a complaint's photo), by their path there."""


def build(app) -> World:
    """Around the demo (loaded already), everything else; return the ids, the tokens and a snapshot of every row."""
    session = app.extensions["linli"].db.sessionmaker()
    try:
        ids, users = _people_and_places(session)
        tokens = {subject: issue_token(session, session.get(User, uid), 24 * 7)[0] if uid else None
                  for subject, uid in users.items()}  # a week: the rated lunch is served two days ahead
        session.commit()
    finally:
        session.close()
    _book_and_propose(app, ids, tokens)
    ids["proposal:outcome"], ids["outcome_photo"] = _reported_project(app, users)
    ids.update(_plugin_ids(app, users))
    instance = Path(app.instance_path)
    files = {str(path.relative_to(instance)): path.read_bytes() for folder in (complaints.PHOTOS, outcomes.PHOTOS)
             for path in (instance / folder.folder).glob("*") if path.is_file()}
    return World(ids, users, tokens, snapshot(app.extensions["linli"].db.engine), files)


def _people_and_places(session) -> tuple[dict, dict]:
    home = session.scalar(select(Community).where(Community.slug == "heping"))
    ours = {op.type: op for op in session.scalars(select(Operator).where(Operator.community_id == home.id))}
    elsewhere = make_community(session, slug="elsewhere", name="Elsewhere Community")
    users = {ANON: None}
    for subject, local in DEMO_LOGINS.items():
        users[subject] = session.scalar(select(User.id).where(User.email == f"{local}@example.org"))
    users[OPERATOR] = _staff_of(session, "every-desk", [ours[t] for t in TYPES]).id
    users[RIVAL] = _staff_of(session, "rival", [make_operator(session, home, t) for t in TYPES]).id
    stranger = _staff_of(session, "stranger", [make_operator(session, elsewhere, t) for t in TYPES])
    for role in ("community_staff", "committee_member", "charity_officer", "resident"):
        accounts.grant(session, stranger, role, elsewhere.id)
    users[STRANGER] = stranger.id
    riverside = make_community(session, slug="riverside", name="Riverside Community")
    district = make_user(session, "district_officer", home, email="district@example.org")
    accounts.grant(session, district, "district_officer", riverside.id)
    users[DISTRICT] = district.id
    accounts.grant(session, session.get(User, users[CHARITY]), "charity_officer", riverside.id)
    member = session.scalar(select(User).where(User.email == "committee3@example.org"))
    accounts.grant(session, member, "resident", home.id)  # a resident on the committee: one id for both kinds of path
    session.add(VerifiedAttribute(user_id=member.id, attribute="student"))
    resident = session.get(User, users[RESIDENT])
    resident.profile.address, resident.profile.phone = CANARIES[0], CANARIES[2]
    notifications.notify(session, resident.id, "booking_confirmed", text(WELCOME[0], name=resident.name),
                         text(WELCOME[1]), key="world")
    zone = ZoneInfo(home.timezone)
    ids = {"community": home.slug, "community_id": home.id, "member": member.id, "resident": resident.id,
           "period": dt.datetime.now(zone).strftime("%Y-%m"), "attribute": "student",
           "space": session.scalar(select(Space.id).where(Space.community_id == home.id)),
           "agreement": session.scalar(select(Agreement.id).where(Agreement.operator_id == ours["canteen"].id)),
           "notification": session.scalar(select(Notification.id).where(Notification.user_id == resident.id))}
    for key, operator in ours.items():
        listing = session.scalar(select(Listing).where(Listing.operator_id == operator.id).order_by(Listing.id))
        ids[f"operator:{key}"], ids[f"listing:{key}"] = operator.id, listing.id
        slots = session.scalars(select(Slot.id).where(Slot.listing_id == listing.id).order_by(Slot.starts_at)).all()
        ids[f"slot:{key}"] = slots[0]
        if len(slots) > 1:  # a time the resident has not booked yet (one booking per resident per time)
            ids[f"slot:{key}:next"] = slots[1]
    session.flush()
    return ids, users


def _staff_of(session, name: str, operators: list[Operator]) -> User:
    user = make_user(session, "operator_staff", session.get(Community, operators[0].community_id), operators[0],
                     email=f"{name}@example.org")
    for operator in operators[1:]:
        accounts.grant(session, user, "operator_staff", operator.community_id, operator.id)
    return user


PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(32)
"""The resident's photo of their complaint (and the funded project's): a PNG by its bytes."""
BOOKING_DETAILS = {"housekeeping": {"address": CANARIES[0]}}


def _book_and_propose(app, ids: dict, tokens: dict) -> None:
    """Through the API, as users do: the resident books at each operator and rates a lunch they ate; staff draft
    and submit a proposal; the resident posts two needs, one of which staff compile into a service order; and give
    the resident, a volunteer, a delivery to do."""
    client = app.test_client()

    def post(subject, path, body=None):
        response = client.post("/api/v1" + path, json=body or {}, headers={"Authorization": f"Bearer {tokens[subject]}"})
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()

    for key in TYPES:
        ids[f"booking:{key}"] = post(RESIDENT, "/bookings", {
            "slot_id": ids[f"slot:{key}"], "quantity": 1, "payment_method": "cash",
            "details": BOOKING_DETAILS.get(key, {})})["id"]
    rated = post(RESIDENT, "/bookings", {"slot_id": ids["slot:canteen:next"], "quantity": 1, "payment_method": "cash"})
    with app.extensions["linli"].db.reader() as session:
        lunch = session.get(Slot, ids["slot:canteen:next"])
    with serving(lunch):
        post(OPERATOR, f"/bookings/{rated['id']}/check-in")
    ids["booking:rated"] = post(RESIDENT, f"/bookings/{rated['id']}/rating", {"stars": 4})["booking_id"]
    with app.extensions["linli"].db.reader() as session:  # the cash taken at its check-in
        ids["payment"] = session.scalar(select(Payment.id).where(Payment.booking_id == rated["id"]))
    ids["operator:rated"] = ids["operator:canteen"]
    with app.extensions["linli"].db.sessionmaker() as session:  # a full lunch the resident waits for
        full = session.scalars(select(Slot).where(Slot.listing_id == ids["listing:canteen"])
                               .order_by(Slot.starts_at).offset(2)).first()
        full.capacity = full.taken
        session.commit()
        ids["slot:full"] = full.id
    ids["waitlist_entry"] = post(RESIDENT, f"/slots/{ids['slot:full']}/waitlist")["id"]
    ids["booking:gift"] = _donated_refund(app, ids, post)
    ids["complaint"] = post(RESIDENT, f"/bookings/{ids['booking:canteen']}/complaints",
                            {"category": "quality", "text": "The soup was cold."})["id"]
    photo = client.put(f"/api/v1/complaints/{ids['complaint']}/photo", data=PHOTO,
                       headers={"Authorization": f"Bearer {tokens[RESIDENT]}", "Content-Type": "image/png"})
    assert photo.status_code == 200, photo.get_json()
    proposal = post(STAFF, "/communities/heping/fund/proposals", {
        "title": "Benches for the garden", "purpose": "Somewhere to rest", "requested_amount": 100,
        "beneficiary": "Elderly residents"})
    ids["proposal"] = post(STAFF, f"/communities/heping/fund/proposals/{proposal['id']}/submit")["id"]
    ids["need"] = post(RESIDENT, "/communities/heping/needs", {"title": "A reading room", "description": "Quiet"})["id"]
    asked = post(RESIDENT, "/communities/heping/needs", {"title": "Phone help", "description": ""})["id"]
    ids["order"] = post(STAFF, f"/needs/{asked}/compile", {
        "title": "Phone classes", "scope": "Two afternoons a month", "budget_amount": 30_000,
        "sponsor": {"kind": "company", "name": "Heping Telecom"}})["id"]
    ids["volunteer"] = post(STAFF, "/communities/heping/volunteers", {
        "user_id": ids["resident"], "skills": "cycling", "consent": True})["id"]
    ids["volunteer_task"] = post(STAFF, "/volunteer-tasks", {
        "community_id": ids["community_id"], "kind": "delivery", "title": "Lunch to Mrs Li", "hours": 1.5,
        "starts_at": dt.datetime.now(dt.timezone.utc).isoformat()})["id"]
    post(STAFF, f"/volunteer-tasks/{ids['volunteer_task']}/assign", {"volunteer_id": ids["volunteer"]})
    ids["gift"] = post(COMMITTEE, "/communities/heping/fund/gifts", {
        "donor_name": "Heping Pharmacy", "donor_kind": "company", "amount": 50_000, "reference": "BANK-8",
        "received_on": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()})["id"]


def _donated_refund(app, ids: dict, post) -> int:
    """A cleaning the resident paid in advance (at the counter) and cancelled, giving the refund to the fund."""
    from core.booking import slot_context

    booking = post(RESIDENT, "/bookings", {"slot_id": ids["slot:housekeeping:next"], "quantity": 1,
                                           "payment_method": "cash", "details": BOOKING_DETAILS["housekeeping"]})
    linli = app.extensions["linli"]
    with linli.db.sessionmaker() as session:
        row = session.get(Booking, booking["id"])
        linli.payments.record_cash(session, row, slot_context(session, row.slot_id),
                                   linli.plugins.payment_providers["cash"])
        session.commit()
    return post(RESIDENT, f"/bookings/{booking['id']}/cancel", {"donate_refund": True})["id"]


def _reported_project(app, users: dict) -> tuple[int, int]:
    """A project the fund paid for (its status set here: the votes and the payment are the fund tests' business)
    that reported its outcome back with a photo; its id and the photo's."""
    with app.extensions["linli"].db.sessionmaker() as session:
        community = session.scalar(select(Community).where(Community.slug == "heping"))
        staff = session.get(User, users[STAFF])
        proposal = Proposal(community_id=community.id, title="Benches", purpose="Somewhere to rest",
                            requested_amount=100, currency=community.currency, beneficiary="Elderly residents",
                            status="disbursed", created_by_id=staff.id)
        session.add(proposal)
        session.flush()
        outcome = outcomes.report(session, staff, community, proposal.id, "Four benches in the garden", 30, 100,
                                  [PHOTO], app.instance_path)
        session.commit()
        return proposal.id, outcome.photos[0].id


def _plugin_ids(app, users: dict) -> dict:
    """The plugins' own records the demo made: a worker, the resident's vendor entry, a workshop job."""
    from plugins.housekeeping.models import Worker
    from plugins.market_fair.models import Vendor
    from plugins.workshop.models import WorkshopJob

    with app.extensions["linli"].db.reader() as session:
        return {"worker": session.scalar(select(Worker.id).order_by(Worker.id)),
                "vendor": session.scalar(select(Vendor.id).where(Vendor.user_id == users[RESIDENT])),
                "job": session.scalar(select(WorkshopJob.id).order_by(WorkshopJob.id))}


# --- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture
def world_snapshot(snapshots, demo_rows) -> World:
    """The world, built from the demo once per worker (and demo day) on the database under test."""
    return snapshots.take("world", build, start=demo_rows)


@pytest.fixture
def world(make_app, world_snapshot):
    """An app on a fresh copy of the world."""
    app = make_app()
    restore(app.extensions["linli"].db.engine, world_snapshot.rows)
    for name, data in world_snapshot.files.items():
        (Path(app.instance_path) / name).parent.mkdir(parents=True, exist_ok=True)
        (Path(app.instance_path) / name).write_bytes(data)
    return app, world_snapshot
