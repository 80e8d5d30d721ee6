"""Complaints through the API: the loop (filed, acknowledged, resolved, answered, rated), who reads what, bad input,
the photo, and the overdue job."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import complaints, photos
from core.models import AuditEvent, Complaint, Notification, User
from tests.clock import at
from tests.races import posting, race

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def booked_lunch(demo, who="senior68", slot_index=0):
    slot = demo.slots("Community lunch")[slot_index]
    resident = demo.api(who)
    booking = resident.post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash",
                                          "details": {}}).get_json()
    return resident, booking


def filed(demo, category="quality", text="The rice was cold."):
    resident, booking = booked_lunch(demo)
    made = resident.post(f"/bookings/{booking['id']}/complaints", {"category": category, "text": text})
    assert made.status_code == 201, made.get_json()
    return resident, booking, made.get_json()


def told(db, kind: str) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_the_whole_loop(demo, db):
    resident, booking, complaint = filed(demo)
    path = f"/complaints/{complaint['id']}"
    assert complaint["status"] == "open" and complaint["booking_id"] == booking["id"]
    assert complaint["listing_title"] == "Community lunch" and not complaint["overdue"]
    assert dt.date.fromisoformat(complaint["due_on"]) >= dt.date.today() + dt.timedelta(days=6)
    staff, canteen = demo.api("staff"), demo.api("canteen")
    acknowledged = staff.post(f"{path}/acknowledge")
    assert acknowledged.status_code == 200 and acknowledged.get_json()["status"] == "acknowledged"
    assert staff.post(f"{path}/acknowledge").get_json()["code"] == "complaint_acknowledged"
    replied = canteen.post(f"{path}/reply", {"text": "Sorry: the heater broke. It is mended."})
    assert replied.status_code == 200 and replied.get_json()["operator_reply"].startswith("Sorry")
    again = canteen.post(f"{path}/reply", {"text": "Once more"})
    assert again.status_code == 409 and again.get_json()["code"] == "already_replied"
    early = resident.post(f"{path}/rating", {"stars": 4})
    assert early.status_code == 409 and early.get_json()["code"] == "complaint_not_resolved"
    resolved = staff.post(f"{path}/resolve", {"upheld": True, "note": "The canteen will check the heater daily."})
    assert resolved.status_code == 200, resolved.get_json()
    assert (resolved.get_json()["status"], resolved.get_json()["upheld"]) == ("resolved", True)
    assert staff.post(f"{path}/resolve", {"upheld": False, "note": "x"}).status_code == 409
    rated = resident.post(f"{path}/rating", {"stars": 4})
    assert rated.status_code == 200 and rated.get_json()["resident_rating"] == 4
    assert resident.post(f"{path}/rating", {"stars": 5}).get_json()["code"] == "complaint_rated"
    seen = resident.get(path).get_json()
    assert seen["resolution_note"] == "The canteen will check the heater daily." and seen["resident_rating"] == 4
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "complaint")))
    assert actions == {"complaint_filed", "complaint_acknowledged", "complaint_replied", "complaint_resolved",
                       "complaint_rated"}
    senior = db.scalar(select(User).where(User.email == "senior68@example.org"))
    kinds = set(db.scalars(select(Notification.kind).where(Notification.user_id == senior.id)))
    assert {"complaint_filed", "complaint_acknowledged", "complaint_replied", "complaint_resolved"} <= kinds
    assert told(db, "complaint_new") and told(db, "complaint_about_you") and told(db, "complaint_resolved_operator")
    assert [c["id"] for c in resident.get("/me/complaints").get_json()["items"]] == [complaint["id"]]


def test_the_operator_never_reads_who_complained(demo, db):
    _resident, _booking, complaint = filed(demo)
    senior = db.scalar(select(User).where(User.email == "senior68@example.org"))
    canteen = demo.api("canteen")
    for response in (canteen.get(f"/complaints/{complaint['id']}"),
                     canteen.get(f"/operators/{complaint['operator_id']}/complaints")):
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert senior.name not in body and "resident_id" not in body and "resident_name" not in body
        assert "booking_id" not in body  # the operator's own bookings would name the resident
        if senior.profile.phone:
            assert senior.profile.phone not in body
    for note in told(db, "complaint_about_you"):
        assert senior.name not in note.title + note.body
    staff_view = demo.api("staff").get(f"/complaints/{complaint['id']}").get_json()
    assert staff_view["resident_name"] == senior.name
    assert "resident_name" not in demo.api("senior68").get(f"/complaints/{complaint['id']}").get_json()


def test_a_food_safety_complaint_is_urgent_to_staff(demo, db):
    filed(demo, category="food_safety", text="I was sick after the fish.")
    urgent = told(db, "complaint_urgent")
    assert urgent and "URGENT" in urgent[0].title and not told(db, "complaint_new")


def test_only_the_booking_s_resident_complains(demo, db):
    _resident, booking = booked_lunch(demo)
    body = {"category": "quality", "text": "Cold"}
    assert demo.api("adult").post(f"/bookings/{booking['id']}/complaints", body).status_code == 404
    assert demo.api("canteen").post(f"/bookings/{booking['id']}/complaints", body).status_code == 403
    assert demo.client.post(f"/api/v1/bookings/{booking['id']}/complaints", json=body).status_code == 401
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0


@pytest.mark.parametrize("body, code", [
    ({"category": "noise", "text": "Loud"}, "unknown_category"),
    ({"category": "quality", "text": "   "}, "complaint_text_required"),
    ({"category": "quality", "text": "x" * 2001}, "complaint_text_too_long"),
])
def test_bad_complaints_are_422_with_a_code(demo, db, body, code):
    resident, booking = booked_lunch(demo)
    refused = resident.post(f"/bookings/{booking['id']}/complaints", body)
    assert refused.status_code == 422 and refused.get_json()["code"] == code
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_booking_more_than_90_days_old_is_too_old(demo, db):
    resident, booking = booked_lunch(demo)
    slot = demo.slots("Community lunch")[0]
    with at(dt.datetime.fromisoformat(slot["starts_at"]) + dt.timedelta(days=91)):
        resident = demo.api("senior68")  # a fresh token: the first one has expired by then
        refused = resident.post(f"/bookings/{booking['id']}/complaints", {"category": "quality", "text": "Cold"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "booking_too_old"
    with at(dt.datetime.fromisoformat(slot["starts_at"]) + dt.timedelta(days=89)):
        resident = demo.api("senior68")
        made = resident.post(f"/bookings/{booking['id']}/complaints", {"category": "quality", "text": "Cold"})
    assert made.status_code == 201


def test_the_photo_is_checked_stored_and_shown_only_to_those_concerned(demo, app, db):
    resident, _booking, complaint = filed(demo)
    path = f"/complaints/{complaint['id']}/photo"
    assert resident.get(path).get_json()["code"] == "no_photo"
    put = resident.call("PUT", path, data=PNG, headers={"Content-Type": "image/png"})
    assert put.status_code == 200 and put.get_json()["has_photo"] is True
    stored = db.scalar(select(Complaint.photo).where(Complaint.id == complaint["id"]))
    assert stored.endswith(".png") and len(stored) == 36
    assert (complaints.PHOTOS.read(app.instance_path, stored)) == PNG
    for who in ("senior68", "staff", "canteen"):
        shown = demo.api(who).get(path)
        assert shown.status_code == 200 and shown.data == PNG, who
        assert shown.mimetype == "image/png" and shown.headers["X-Content-Type-Options"] == "nosniff"
        assert shown.headers["Content-Disposition"] == "inline"
    assert demo.api("adult").get(path).status_code == 404
    assert demo.client.get("/api/v1" + path).status_code == 401
    assert demo.api("staff").call("PUT", path, data=JPEG, headers={"Content-Type": "image/jpeg"}).status_code == 403
    replaced = resident.call("PUT", path, data=WEBP, headers={"Content-Type": "application/octet-stream"})
    assert replaced.status_code == 200 and resident.get(path).mimetype == "image/webp"


def test_a_photo_too_large_or_not_an_image_is_refused(demo, db):
    resident, _booking, complaint = filed(demo)
    path = f"/complaints/{complaint['id']}/photo"
    big = resident.call("PUT", path, data=JPEG + b"\x00" * photos.MOST_BYTES,
                        headers={"Content-Type": "image/jpeg"})
    assert big.status_code == 413 and big.get_json()["code"] == "photo_too_large"
    fake = resident.call("PUT", path, data=b"<svg onload=alert(1)>", headers={"Content-Type": "image/png"})
    assert fake.status_code == 422 and fake.get_json()["code"] == "not_an_image"
    assert db.scalar(select(Complaint.photo).where(Complaint.id == complaint["id"])) is None


def test_staff_list_by_status_and_overdue_and_the_job_flags_once(demo, app, db):
    _resident, _booking, complaint = filed(demo)
    staff = demo.api("staff")
    listed = staff.get("/communities/heping/complaints?status=open").get_json()
    assert listed["total"] == 1 and listed["items"][0]["overdue"] is False
    assert staff.get("/communities/heping/complaints?status=resolved").get_json()["total"] == 0
    assert demo.api("canteen").get("/communities/heping/complaints").status_code == 403
    due = dt.date.fromisoformat(complaint["due_on"])
    later = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(4), dt.timezone.utc)  # noon in Shanghai
    runner = app.test_cli_runner()
    with at(later):
        for _ in range(2):
            result = runner.invoke(args=["jobs", "run", "complaints.flag_overdue"])
            assert result.exit_code == 0, result.output
        staff = demo.api("staff")
        late = staff.get("/communities/heping/complaints?overdue=true").get_json()
        assert [c["id"] for c in late["items"]] == [complaint["id"]] and late["items"][0]["overdue"] is True
        assert staff.get("/communities/heping/complaints?overdue=false").get_json()["total"] == 0
    db.expire_all()
    assert db.scalar(select(Complaint.overdue_flagged_at).where(Complaint.id == complaint["id"])) is not None
    staff_count = len({n.user_id for n in told(db, "complaint_overdue")})
    assert staff_count >= 1 and len(told(db, "complaint_overdue")) == staff_count  # each told once
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "complaint_overdue")) == 1


def test_who_may_act_on_a_complaint(demo, db):
    resident, _booking, complaint = filed(demo)
    path = f"/complaints/{complaint['id']}"
    assert resident.post(f"{path}/acknowledge").status_code == 403
    assert demo.api("canteen").post(f"{path}/resolve", {"upheld": True, "note": "ok"}).status_code == 403
    assert demo.api("staff").post(f"{path}/reply", {"text": "We are the office"}).status_code == 403
    assert demo.api("adult").get(path).status_code == 404
    refused = demo.api("staff").post(f"{path}/resolve", {"upheld": True, "note": "  "})
    assert refused.status_code == 422 and refused.get_json()["code"] == "resolution_note_required"
    assert db.scalar(select(Complaint.status).where(Complaint.id == complaint["id"])) == "open"


@pytest.mark.postgres
def test_two_answers_at_once_make_one_and_two_ratings_at_once_make_one(demo, db):
    resident, _booking, complaint = filed(demo)
    path = f"/complaints/{complaint['id']}"
    app, canteen = demo.client.application, demo.api("canteen")
    answers = race([posting(app, f"{path}/reply", {"text": f"Answer {n}"}, canteen.token) for n in range(4)])
    assert sorted(status for status, _ in answers) == [200, 409, 409, 409]
    assert demo.api("staff").post(f"{path}/resolve", {"upheld": False, "note": "Served as ordered."}).status_code == 200
    ratings = race([posting(app, f"{path}/rating", {"stars": n + 1}, resident.token) for n in range(4)])
    assert sorted(status for status, _ in ratings) == [200, 409, 409, 409]
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("complaint_replied", "complaint_rated")))) == 2
