"""The office imports its spreadsheet from the register's page: checked first, written when asked, bad rows named in
the reader's language, a file too large refused."""
from __future__ import annotations

import html
import io

from core.models import ResidentProfile
from tests.test_resident_import import LI, ZHANG, sheet
from tests.test_web_pages import count

PAGE = "/communities/heping/staff/residents/import"
BAD = "王五,12345,1950-01-01,,"


def send(staff, content: bytes, write: bool = False, name: str = "register.csv"):
    staff.get(PAGE)
    form = {"csrf_token": staff.token, "file": (io.BytesIO(content), name)}
    if write:
        form["write"] = "yes"
    return staff.client.post(PAGE, data=form, content_type="multipart/form-data")


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_office_checks_the_file_then_imports_it_and_the_bad_row_is_named(demo, web, db):
    staff = web("staff")
    before = count(db, ResidentProfile)
    checked = page_text(send(staff, sheet(LI, BAD, ZHANG)))
    assert "Checked: nothing has been written yet" in checked
    assert "2 new, 0 to correct, 0 already as they are, 1 rows with a problem." in checked
    assert "11 digits" in checked
    assert count(db, ResidentProfile) == before
    written = page_text(send(staff, sheet(LI, BAD, ZHANG), write=True))
    assert "2 new residents, 0 corrected, 0 already as they were; 1 rows left out." in written
    assert count(db, ResidentProfile) == before + 2
    again = page_text(send(staff, sheet(LI, ZHANG), write=True))
    assert "0 new residents, 0 corrected, 2 already as they were" in again
    assert count(db, ResidentProfile) == before + 2


def test_the_import_speaks_chinese_and_refuses_a_file_that_is_no_register(demo, web, db):
    staff = web("staff")
    staff.get("/lang/zh_Hans")
    wrong = send(staff, "姓名,手机\r\n王秀英,13800138000\r\n".encode("gbk"))
    assert wrong.status_code == 422 and "UTF-8" in page_text(wrong)
    nothing = staff.client.post(PAGE, data={"csrf_token": staff.token})
    assert nothing.status_code == 422 and "请选择" in page_text(nothing)


def test_a_file_over_the_limit_is_a_413_page_and_writes_nothing(demo, web, db):
    staff = web("staff")
    before = count(db, ResidentProfile)
    response = send(staff, sheet(LI) + b" " * (21 * 1024 * 1024))
    assert response.status_code == 413 and "This file is too large" in page_text(response)
    assert count(db, ResidentProfile) == before


def test_only_the_communitys_staff_may_import(demo, web):
    assert web("canteen").get(PAGE).status_code == 403
    assert web("adult").client.post(PAGE, data={}).status_code in (400, 403)
