"""The complaint pages, read in Chinese: a resident complains from their booking (a photo too) and follows it; the
office works its queue; the operator reads complaints without names and answers once."""
from __future__ import annotations

import datetime as dt
import io
import re

from sqlalchemy import select

from core import photos
from core.models import Complaint, User
from tests.clock import at
from tests.test_chinese_pages import english_words
from tests.test_complaints import PNG, booked_lunch


def chinese(web, local: str):
    reader = web(local)
    reader.get("/lang/zh_Hans")
    return reader


def text_of(response) -> str:
    """The page's markup, which a Chinese reader reads without an English word (tests/test_chinese_pages.py)."""
    markup = response.get_data(as_text=True)
    assert not english_words(markup), english_words(markup)
    return markup


def complain(reader, booking_id: int, **fields):
    reader.get(f"/my/bookings/{booking_id}/complain")
    form = {"category": "quality", "text": "米饭是凉的。"} | fields
    return reader.post(f"/my/bookings/{booking_id}/complain", form, content_type="multipart/form-data")


def test_a_resident_complains_from_their_booking_with_a_photo_and_follows_it(demo, web, db):
    _api, booking = booked_lunch(demo)
    senior = chinese(web, "senior68")
    page = text_of(senior.get(f"/my/bookings/{booking['id']}"))
    assert f'href="/my/bookings/{booking["id"]}/complain"' in page and "投诉" in page
    form = text_of(senior.get(f"/my/bookings/{booking['id']}/complain"))
    assert 'enctype="multipart/form-data"' in form and "食品安全" in form and "发生了什么" in form
    sent = complain(senior, booking["id"], category="food_safety", photo=(io.BytesIO(PNG), "IMG_0001.png"))
    assert sent.status_code == 303, text_of(sent)[:500]
    complaint = db.scalar(select(Complaint))
    assert sent.headers["Location"].endswith(f"/my/complaints/{complaint.id}")
    assert complaint.photo and "IMG_0001" not in complaint.photo and complaint.photo_type == "image/png"
    page = text_of(senior.get(f"/my/complaints/{complaint.id}"))
    assert "等待社区办公室处理" in page and "米饭是凉的。" in page
    assert f'src="/complaints/{complaint.id}/photo"' in page
    photo = senior.client.get(f"/complaints/{complaint.id}/photo")
    assert photo.status_code == 200 and photo.data == PNG and photo.headers["X-Content-Type-Options"] == "nosniff"
    assert chinese(web, "adult").client.get(f"/complaints/{complaint.id}/photo").status_code == 404
    mine = text_of(senior.get("/my/complaints"))
    assert f"/my/complaints/{complaint.id}" in mine and "我的投诉" in mine


def test_bad_complaints_are_shown_in_chinese_and_change_nothing(demo, web, db):
    _api, booking = booked_lunch(demo)
    senior = chinese(web, "senior68")
    empty = complain(senior, booking["id"], text="")
    assert empty.status_code == 422 and "请填写" in text_of(empty)
    fake = complain(senior, booking["id"], photo=(io.BytesIO(b"GIF89a not allowed"), "cat.gif"))
    assert fake.status_code == 422 and "这不是照片" in text_of(fake)
    other = chinese(web, "adult").get(f"/my/bookings/{booking['id']}/complain")
    assert other.status_code == 404
    assert db.scalar(select(Complaint)) is None


def test_the_office_acknowledges_and_resolves_and_the_resident_rates(demo, web, db):
    _api, booking = booked_lunch(demo)
    senior = chinese(web, "senior68")
    complain(senior, booking["id"])
    complaint = db.scalar(select(Complaint))
    staff = chinese(web, "staff")
    queue = text_of(staff.get("/communities/heping/complaints"))
    assert f"/communities/heping/complaints/{complaint.id}" in queue and "质量" in queue
    assert text_of(staff.get("/communities/heping/complaints?status=resolved")).count("data-testid=\"complaint-") == 0
    page = text_of(staff.get(f"/communities/heping/complaints/{complaint.id}"))
    name = db.scalar(select(User.name).where(User.email == "senior68@example.org"))
    assert name in page and "解决投诉" in page
    acknowledged = staff.post(f"/communities/heping/complaints/{complaint.id}/acknowledge")
    assert acknowledged.status_code == 303
    no_note = staff.post(f"/communities/heping/complaints/{complaint.id}/resolve", {"upheld": "yes", "note": ""})
    assert no_note.status_code == 422 and "请填写" in text_of(no_note)
    done = staff.post(f"/communities/heping/complaints/{complaint.id}/resolve",
                      {"upheld": "yes", "note": "食堂每天检查保温设备。"})
    assert done.status_code == 303
    page = text_of(senior.get(f"/my/complaints/{complaint.id}"))
    assert "食堂每天检查保温设备。" in page and "已答复" in page
    rated = senior.post(f"/my/complaints/{complaint.id}/rate", {"stars": "4"})
    assert rated.status_code == 303
    db.rollback()
    assert db.get(Complaint, complaint.id).resident_rating == 4
    assert 'data-testid="handling-rating"' in text_of(senior.get(f"/my/complaints/{complaint.id}"))


def test_the_operator_reads_no_name_and_answers_once(demo, web, db):
    _api, booking = booked_lunch(demo)
    complain(chinese(web, "senior68"), booking["id"])
    complaint = db.scalar(select(Complaint))
    canteen = chinese(web, "canteen")
    path = f"/operators/{complaint.operator_id}/complaints"
    listed = text_of(canteen.get(path))
    assert f"{path}/{complaint.id}" in listed and "尚未答复" in listed
    page = text_of(canteen.get(f"{path}/{complaint.id}"))
    senior = db.scalar(select(User).where(User.email == "senior68@example.org"))
    assert senior.name not in page and "米饭是凉的。" in page
    sent = canteen.post(f"{path}/{complaint.id}", {"text": "对不起，保温箱坏了，已修好。"})
    assert sent.status_code == 303
    page = text_of(canteen.get(f"{path}/{complaint.id}"))
    assert "对不起，保温箱坏了，已修好。" in page and not re.search(r'<textarea[^>]*name="text"', page)
    again = canteen.post(f"{path}/{complaint.id}", {"text": "再说一次"})
    assert again.status_code == 409 and "已经答复" in text_of(again)
    assert chinese(web, "staff").get(f"{path}/{complaint.id}").status_code == 403


def test_a_photo_too_large_is_refused_plainly_and_changes_nothing(demo, web, db):
    _api, booking = booked_lunch(demo)
    senior = chinese(web, "senior68")
    huge = PNG + bytes(photos.MOST_BYTES)
    refused = complain(senior, booking["id"], photo=(io.BytesIO(huge), "big.png"))
    assert refused.status_code == 413, text_of(refused)[:300]
    assert "太多" in text_of(refused) or "太大" in text_of(refused)
    assert db.scalar(select(Complaint)) is None


def test_the_queue_marks_a_complaint_overdue_once_the_job_flagged_it(demo, web, app, db):
    _api, booking = booked_lunch(demo)
    complain(chinese(web, "senior68"), booking["id"])
    complaint = db.scalar(select(Complaint))
    later = dt.datetime.combine(complaint.due_on + dt.timedelta(days=1), dt.time(4), dt.timezone.utc)
    with at(later):
        assert app.test_cli_runner().invoke(args=["jobs", "run", "complaints.flag_overdue"]).exit_code == 0
        staff = chinese(web, "staff")
        late = text_of(staff.get("/communities/heping/complaints?overdue=1"))
        assert f'data-testid="complaint-{complaint.id}"' in late and "已逾期" in late
        page = text_of(staff.get(f"/communities/heping/complaints/{complaint.id}"))
        assert 'data-testid="overdue"' in page
