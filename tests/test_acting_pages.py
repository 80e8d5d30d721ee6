"""Acting for a resident in the pages (代办): the office, the operator's staff or a linked family member book and
cancel in a resident's name — at the resident's price, in the resident's list, with a banner that says so."""
from __future__ import annotations

import html

from sqlalchemy import select

from core.models import AuditEvent, Booking, User
from tests.test_web_pages import count, lunch_slot

NINETY_THREE = {"name": "王秀英", "phone": "13800138000", "date_of_birth": "1933-05-01",
                "address": "和平路 12 号 3 单元 101", "building": "3"}


def register_93(demo) -> int:
    created = demo.api("staff").post("/communities/heping/residents", NINETY_THREE)
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_staff_find_a_resident_act_for_her_and_book_her_free_lunch_delivered_home(demo, web, db):
    resident_id = register_93(demo)
    staff = web("staff")
    found = page_text(staff.get("/act-for?q=8000"))
    assert "王秀英" in found and "13800138000" in found  # the office sees the whole number
    started = staff.post(f"/act-for/{resident_id}")
    assert started.status_code == 303
    booking_page = page_text(staff.get(f"/book/{lunch_slot(demo)['id']}"))
    assert "You are acting for 王秀英" in booking_page and "For 王秀英, at their price" in booking_page
    assert "Free" in booking_page
    done = staff.post(f"/book/{lunch_slot(demo)['id']}", {"quantity": "1", "nonce": "for-her",
                                                          "details-home_delivery": "y"})
    assert done.status_code == 303, page_text(done)[:2000]
    booking = db.scalar(select(Booking).where(Booking.resident_id == resident_id))
    staff_id = db.scalar(select(User.id).where(User.email == "staff@example.org"))
    assert (booking.tier, booking.total_amount, booking.booked_by_id) == ("free", 0, staff_id)
    assert booking.details.get("home_delivery") is True
    shown = page_text(staff.get(done.headers["Location"]))
    assert "Booked for 王秀英 by" in shown
    assert "王秀英" in page_text(staff.get("/my/bookings")) and "Bookings of 王秀英" in page_text(staff.get("/my/bookings"))
    assert count(db, AuditEvent, AuditEvent.action == "booked_on_behalf", AuditEvent.subject_id == booking.id) == 1
    # cancelling for her, and stopping
    cancelled = staff.post(f"/my/bookings/{booking.id}/cancel")
    assert cancelled.status_code == 303
    db.rollback()
    assert db.get(Booking, booking.id).status == "cancelled"
    assert count(db, AuditEvent, AuditEvent.action == "cancelled_on_behalf") == 1
    stopped = staff.post("/act-for/stop")
    assert stopped.status_code == 303
    assert "You are acting for" not in page_text(staff.get("/"))


def test_the_banner_is_on_every_page_in_chinese_too(demo, web):
    resident_id = register_93(demo)
    staff = web("staff")
    staff.get("/lang/zh_Hans")
    staff.post(f"/act-for/{resident_id}")
    for path in ("/", f"/services/{demo.listing('Community lunch')['id']}", "/my/bookings"):
        page = page_text(staff.get(path))
        assert "您正在代办：王秀英" in page, path


def test_operator_staff_see_masked_phones_and_book_only_their_own_services(demo, web, db):
    resident_id = register_93(demo)
    canteen = web("canteen")
    found = page_text(canteen.get("/act-for?q=8000"))
    assert "王秀英" in found and "138****8000" in found and "13800138000" not in found
    assert "和平路" not in found and "1933" not in found
    canteen.post(f"/act-for/{resident_id}")
    ok = canteen.post(f"/book/{lunch_slot(demo)['id']}", {"quantity": "1", "nonce": "n1"})
    assert ok.status_code == 303
    cleaning = demo.slots("Home cleaning, 2 hours")[0]
    refused = canteen.post(f"/book/{cleaning['id']}", {"quantity": "1", "nonce": "n2", "details-address": "x"})
    assert "You may act only for residents of your community" in page_text(refused)
    assert count(db, Booking, Booking.resident_id == resident_id) == 1


def test_a_resident_cannot_act_for_anyone_and_a_linked_son_can(demo, web, db):
    resident_id = register_93(demo)
    adult = web("adult")
    assert adult.get("/act-for").status_code == 403
    assert adult.post(f"/act-for/{resident_id}").status_code in (403, 303)
    assert "You are acting for" not in page_text(adult.get("/"))
    son_id = db.scalar(select(User.id).where(User.email == "adult@example.org"))
    assert demo.api("staff").post(f"/residents/{resident_id}/helpers", {"helper_id": son_id}).status_code == 201
    offered = page_text(adult.get("/act-for"))
    assert "Act for 王秀英" in offered and "13800138000" not in offered
    adult.post(f"/act-for/{resident_id}")
    done = adult.post(f"/book/{lunch_slot(demo)['id']}", {"quantity": "1", "nonce": "son"})
    assert done.status_code == 303
    db.rollback()  # a new read transaction sees what the pages committed
    booking = db.scalar(select(Booking).where(Booking.resident_id == resident_id))
    assert booking.booked_by_id == son_id and booking.tier == "free"


def test_acting_ends_when_the_resident_moves_away(demo, web):
    resident_id = register_93(demo)
    staff = web("staff")
    staff.post(f"/act-for/{resident_id}")
    assert demo.api("staff").post(f"/residents/{resident_id}/deactivate").status_code == 200
    assert "You are acting for" not in page_text(staff.get("/"))
