"""The time bank's pages: the office registers a volunteer, adds a task and assigns it; the volunteer taps "Done";
the office confirms and redeems; "My volunteering" shows the hours and stars. Read in Chinese, no English left."""
from __future__ import annotations

from sqlalchemy import select

from core.models import User, Volunteer, VolunteerTask
from tests.test_complaint_pages import chinese, text_of


def latest(db, model):
    db.rollback()
    found = db.scalar(select(model).order_by(model.id.desc()))
    db.rollback()
    return found


def test_the_office_and_the_volunteer_round_the_loop_in_english(demo, web, db):
    office, student = web("staff"), web("student")
    student_id = db.scalar(select(User.id).where(User.email == "student@example.org"))
    db.rollback()
    page = office.get("/communities/heping/volunteering").get_data(as_text=True)
    assert "Register a volunteer" in page and f'value="{student_id}"' in page
    refused = office.post("/communities/heping/volunteering/volunteers", {"user_id": student_id, "skills": "cycling"})
    assert refused.status_code == 303 and latest(db, Volunteer) is None  # no consent, no volunteer
    office.post("/communities/heping/volunteering/volunteers", {"user_id": student_id, "skills": "cycling",
                                                               "consent": "y"})
    volunteer = latest(db, Volunteer)
    assert volunteer.user_id == student_id
    office.post("/communities/heping/volunteering/tasks", {"kind": "delivery", "title": "Lunch to Mrs Li",
                                                          "day": "2030-06-01", "starts": "11:30", "hours": "1.5"})
    task = latest(db, VolunteerTask)
    assert (task.title, task.hours_tenths, task.status) == ("Lunch to Mrs Li", 15, "open")
    office.post(f"/communities/heping/volunteering/tasks/{task.id}/assign", {"volunteer_id": volunteer.id})
    mine = student.get("/my/volunteering").get_data(as_text=True)
    assert "Lunch to Mrs Li" in mine and f'action="/my/volunteering/tasks/{task.id}/done"' in mine
    assert student.post(f"/my/volunteering/tasks/{task.id}/done").status_code == 303
    assert latest(db, VolunteerTask).status == "done"
    office.get("/communities/heping/volunteering")
    office.post(f"/communities/heping/volunteering/tasks/{task.id}/confirm")
    assert latest(db, VolunteerTask).status == "confirmed"
    office.post(f"/communities/heping/volunteering/volunteers/{volunteer.id}/redeem", {"hours": "5", "reason": "Tea"})
    assert latest(db, Volunteer).balance_tenths == 15  # not enough hours: refused, said plainly
    office.post(f"/communities/heping/volunteering/volunteers/{volunteer.id}/redeem", {"hours": "1", "reason": "Tea"})
    assert latest(db, Volunteer).balance_tenths == 5
    mine = student.get("/my/volunteering").get_data(as_text=True)
    assert 'data-testid="balance">0.5<' in mine and "Redeemed: Tea" in mine


def test_the_pages_in_chinese(demo, web, db):
    office = chinese(web, "staff")
    student_id = db.scalar(select(User.id).where(User.email == "student@example.org"))
    db.rollback()
    text_of(office.get("/communities/heping/volunteering"))
    office.post("/communities/heping/volunteering/volunteers", {"user_id": student_id, "consent": "y"})
    office.post("/communities/heping/volunteering/tasks", {"kind": "visit", "title": "探望王奶奶",
                                                          "day": "2030-06-01", "starts": "15:00", "hours": "2"})
    volunteer, task = latest(db, Volunteer), latest(db, VolunteerTask)
    office.post(f"/communities/heping/volunteering/tasks/{task.id}/assign", {"volunteer_id": volunteer.id})
    assert "探望王奶奶" in text_of(office.get("/communities/heping/volunteering"))
    student = chinese(web, "student")
    page = text_of(student.get("/my/volunteering"))
    assert "探望王奶奶" in page
    text_of(chinese(web, "adult").get("/my/volunteering"))
    text_of(chinese(web, None).get("/communities/heping/transparency"))
