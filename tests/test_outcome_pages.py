"""The community office reports what a funded project did, on a page, in Chinese or English; the public reads it with
its photos. Bad input is a plain form error that writes nothing."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.models import OutcomePhoto, ProjectOutcome
from tests.test_complaints import JPEG, PNG
from tests.test_chinese_pages import english_words
from tests.test_complaint_pages import chinese
from tests.test_fund import approved_proposal
from tests.test_outcomes import PDF, disbursed, written

OFFICE = "/communities/heping/staff"
DATA = {"Visits", "living", "alone", "Elderly", "residents", "Heping"}
"""The English of the fund tests' proposal (its title, who it is for): data, not the page's words."""
GOOD = {"done": "二十次上门探访，送米和油。", "beneficiaries": "20", "spent_amount": "18.00"}


def text_of(response) -> str:
    """The page's markup, which a Chinese reader reads without an English word but the proposal's own."""
    markup = response.get_data(as_text=True)
    assert english_words(markup) <= DATA, english_words(markup) - DATA
    return markup


def report(reader, pid: int, photos=(), **change):
    page = f"{OFFICE}/proposals/{pid}/outcome"
    reader.get(page)
    return reader.post(page, GOOD | change | {"photos": list(photos)}, content_type="multipart/form-data")


def test_staff_report_a_paid_project_with_photos_and_the_public_sees_them(demo, web, db, client):
    pid = disbursed(demo)
    staff = chinese(web, "staff")
    listed = text_of(staff.get(f"{OFFICE}/proposals"))
    assert f'href="{OFFICE}/proposals/{pid}/outcome"' in listed and "报告项目成果" in listed
    form = text_of(staff.get(f"{OFFICE}/proposals/{pid}/outcome"))
    assert 'enctype="multipart/form-data"' in form and "服务了多少人" in form
    sent = report(staff, pid, [(io.BytesIO(PNG), "IMG_1.png"), (io.BytesIO(JPEG), "IMG_2.jpg")])
    assert sent.status_code == 303, text_of(sent)[:800]
    outcome = db.scalar(select(ProjectOutcome))
    assert (outcome.done, outcome.beneficiaries, outcome.spent_amount) == (GOOD["done"], 20, 1_800)
    first, second = [photo.id for photo in db.scalars(select(OutcomePhoto).order_by(OutcomePhoto.id))]
    shown = text_of(staff.get(sent.headers["Location"]))
    assert GOOD["done"] in shown and f'src="/communities/heping/transparency/photos/{second}"' in shown
    assert "公开这份报告" not in shown and "enctype" not in shown  # reported once: the report now, no form
    public = client.get("/communities/heping/transparency", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "People it served: 20" in public and "Spent CN¥18.00 of CN¥20.00 granted" in public
    assert f'src="/communities/heping/transparency/photos/{first}"' in public
    photo = client.get(f"/communities/heping/transparency/photos/{first}")
    assert photo.status_code == 200 and photo.data == PNG and photo.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("language, change, photos, field, words", [
    ("zh", {"spent_amount": "abc"}, (), "spent_amount", "不是有效的小数"),
    ("en", {"spent_amount": "abc"}, (), "spent_amount", "Not a valid decimal value"),
    ("zh", {"spent_amount": "-1"}, (), "spent_amount", "0"),
    ("en", {"spent_amount": "1.005"}, (), "spent_amount", "Use at most two decimals."),
    ("zh", {"beneficiaries": "-3"}, (), "beneficiaries", "0"),
    ("en", {"beneficiaries": "many"}, (), "beneficiaries", "Not a valid integer value"),
    ("en", {"done": "  "}, (), "done", "Please fill this in."),
    ("zh", {}, [(io.BytesIO(PDF), "photo.png")], "photos", "这不是照片"),
    ("en", {}, [(io.BytesIO(PDF), "report.pdf")], "photos", "This is not a photo"),
    ("en", {}, [(io.BytesIO(PNG), f"{n}.png") for n in range(7)], "photos", "at most 6 photos"),
])
def test_bad_reports_are_readable_form_errors_and_write_nothing(demo, web, db, language, change, photos, field,
                                                                 words):
    pid = disbursed(demo)
    staff = chinese(web, "staff") if language == "zh" else web("staff")
    before = written(db)
    refused = report(staff, pid, photos, **change)
    page = text_of(refused) if language == "zh" else refused.get_data(as_text=True)
    assert refused.status_code in (413, 422) and words in page, page[:1500]
    assert f'id="{field}-error"' in page
    assert written(db) == before


def test_only_the_communitys_staff_report_and_not_before_the_money_went_out(demo, web, db):
    pid = disbursed(demo)
    for local in ("committee1", "senior68", "canteen"):
        reader = web(local)
        assert reader.get(f"{OFFICE}/proposals/{pid}/outcome").status_code in (302, 403, 404), local
    before = written(db)
    assert report(web("committee1"), pid).status_code in (302, 403, 404)
    assert written(db) == before
    staff = web("staff")
    unpaid = approved_proposal(demo, 500, "Not paid yet")
    before = written(db)
    page = staff.get(f"{OFFICE}/proposals/{unpaid}/outcome").get_data(as_text=True)
    assert "The fund has not paid for this project yet" in page and "Publish the report" not in page
    refused = report(staff, unpaid)
    assert refused.status_code == 409 and written(db) == before
