"""Putting a resident on a full time's waiting list on their behalf: the office, the operator's staff for its own
services, a family member the office linked — the same people who may book for them. The offer is the resident's
(the notification too); the one acting may take it up for them, at the resident's own price."""
import datetime as dt

from sqlalchemy import func, select

from core.models import AuditEvent, Booking, Notification, WaitlistEntry
from tests.factories import PASSWORD, make_community, make_user
from tests.test_waitlist import cancel, full, mine  # noqa: F401 (full: the fixture)


def on_behalf(world, who, resident, **body):
    return world["api"][who].post(f"/slots/{world['slot']}/waitlist", {"resident_id": world["users"][resident].id}
                                  | body)


def written(db):
    db.commit()
    return tuple(db.scalar(select(func.count()).select_from(t)) for t in (WaitlistEntry, AuditEvent, Booking))


def test_staff_put_a_senior_on_the_list_and_take_the_place_for_her_at_her_price(app, db, full):
    joined = on_behalf(full, "staff", "senior")
    assert joined.status_code == 201, joined.get_json()
    entry = joined.get_json()
    assert (entry["status"], entry["position"]) == ("waiting", 1)
    assert [e["id"] for e in mine(full, "senior")] == [entry["id"]] and mine(full, "staff") == []
    db.commit()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "waitlist_joined_on_behalf"))
    assert (event.actor_id, event.subject_id) == (full["users"]["staff"].id, entry["id"])
    assert event.data == {"resident_id": full["users"]["senior"].id, "slot_id": full["slot"]}
    again = on_behalf(full, "operator", "senior")
    assert (again.status_code, again.get_json()["code"]) == (409, "already_waiting")
    cancel(full, 0)
    db.commit()
    told = db.scalars(select(Notification).where(Notification.kind == "waitlist_offered")).all()
    assert [n.user_id for n in told] == [full["users"]["senior"].id]  # the resident's offer, told to her
    accepted = full["api"]["staff"].post(f"/waitlist/{entry['id']}/accept", {"payment_method": "cash"})
    assert accepted.status_code == 201, accepted.get_json()
    body = accepted.get_json()
    assert (body["resident_id"], body["tier"], body["unit_amount"]) == (full["users"]["senior"].id, "low_cost", 300)
    db.commit()
    booking = db.get(Booking, body["id"])
    assert booking.booked_by_id == full["users"]["staff"].id


def test_the_operators_staff_and_a_linked_son_may_too(app, db, full):
    assert on_behalf(full, "operator", "w1").status_code == 201
    staff, w1 = full["api"]["staff"], full["users"]["w1"]
    assert staff.post(f"/residents/{w1.id}/helpers", {"helper_id": full["users"]["w2"].id}).status_code == 201
    helped = on_behalf(full, "w2", "w1")
    assert (helped.status_code, helped.get_json()["code"]) == (409, "already_waiting")  # the operator put him on
    son = on_behalf(full, "w2", "senior")
    assert son.status_code == 403 and son.get_json()["code"] == "not_on_behalf"  # linked to w1, not to her


def test_a_stranger_an_unlinked_neighbour_and_another_communitys_staff_are_refused(app, db, api, full):
    far_staff = make_user(db, "community_staff", make_community(db))
    db.commit()
    full["api"]["far"] = api(far_staff)
    before = written(db)
    for who in ("w2", "other", "rival", "far"):
        refused = on_behalf(full, who, "senior")
        assert refused.status_code == 403 and refused.get_json()["code"] == "not_on_behalf", who
    assert full["api"]["staff"].post(f"/slots/{full['slot']}/waitlist", {"resident_id": 999_999}).status_code == 403
    assert full["api"]["staff"].post(f"/slots/{full['slot']}/waitlist", {"resident_id": "7"}).status_code == 422
    assert written(db) == before
    entry = on_behalf(full, "staff", "senior").get_json()
    cancel(full, 0)
    for who in ("w2", "other", "rival", "far"):
        assert full["api"][who].post(f"/waitlist/{entry['id']}/accept", {}).status_code == 404, who


def test_staff_acting_for_a_resident_put_her_on_the_list_and_accept_the_place_on_the_pages(app, db, full, browser):
    senior = full["users"]["senior"]
    staff = browser(email=full["users"]["staff"].email, password=PASSWORD)
    staff.submit(f"/act-for/{senior.id}", form_at="/act-for")
    page = staff.get(f"/book/{full['slot']}")
    assert b'data-testid="join-waitlist"' in page.data and b"Put Resident on the waiting list" in page.data
    joined = staff.submit(f"/book/{full['slot']}/waitlist", form_at=f"/book/{full['slot']}")
    assert joined.status_code == 303
    entry = db.scalar(select(WaitlistEntry))
    assert entry.resident_id == senior.id
    db.commit()
    cancel(full, 0)
    listed = staff.get("/my/waitlist").data
    assert f'data-testid="waitlist-{entry.id}"'.encode() in listed and b'data-testid="time-left"' in listed
    accepted = staff.submit(f"/my/waitlist/{entry.id}/accept", form_at="/my/waitlist")
    assert accepted.status_code == 303 and "/my/bookings/" in accepted.headers["Location"], accepted.headers
    db.commit()
    booking = db.scalar(select(Booking).where(Booking.resident_id == senior.id))
    assert booking.booked_by_id == full["users"]["staff"].id and booking.tier == "low_cost"
    staff.submit("/act-for/stop", form_at="/act-for")
    assert staff.get("/my/waitlist").status_code in (302, 403)  # not a resident: no list of her own
