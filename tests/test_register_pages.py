"""The resident register's pages, as a community office and residents use them: find residents a page at a time,
register one, verify a sign-up, correct, deactivate, check attributes until a last day, link a family member; a
resident signs up, sees that the office has still to check them, and takes their data with them."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from core.models import AuditEvent, ResidentProfile, User
from core.web import register
from tests.clock import serving_booking
from tests.pages import text

REGISTER = "/communities/heping/staff/residents"
CHINESE = {"Accept-Language": "zh-CN"}
NINETY_THREE = {"name": "王秀英", "phone": "138 0013 8000", "date_of_birth": "1933-05-01",
                "address": "和平路 12 号 3 单元 101", "building": "3"}
NEWCOMER = {"community": "heping", "name": "刘新", "phone": "139 0000 1111", "password": "long-enough-1",
            "date_of_birth": "1950-02-03", "address": "和平路 8 号", "building": "5"}


def profile_of(db, phone: str) -> ResidentProfile | None:
    db.rollback()  # a new read transaction sees what the pages committed
    return db.scalar(select(ResidentProfile).where(ResidentProfile.phone == phone))


def beside(page: str, field: str) -> str:
    """The messages shown under one field of a form (macros.html's field: ``id="FIELD-error"``)."""
    return " ".join(re.findall(rf'id="{field}-error">([^<]*)<', page))


def registered(demo, **overrides) -> dict:
    created = demo.api("staff").post("/communities/heping/residents", NINETY_THREE | overrides)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def signed_up(web, **overrides):
    """A visitor who signs up on the page, is logged in after it, and the page they land on."""
    visitor = web()
    visitor.get("/register")
    response = visitor.post("/register", NEWCOMER | overrides)
    assert response.status_code == 303, text(response)[-2000:]
    assert response.headers["Location"].endswith("/my/details")
    return visitor, text(visitor.get(response.headers["Location"]))


def today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


# --- the list ----------------------------------------------------------------------------------------------------

def test_staff_find_residents_by_the_start_of_a_name_or_either_end_of_a_phone(demo, web):
    wang = registered(demo)
    registered(demo, name="王建国", phone="13912345678", date_of_birth="1960-01-01", building="7")
    staff = web("staff")
    page = text(staff.get(REGISTER + "?q=王秀"))
    assert "王秀英" in page and "王建国" not in page
    assert "138 0013 8000" in page and ">3<" in page  # the phone in groups, the building
    assert f'data-testid="resident-{wang["id"]}"' in page
    for q in ("1380", "8000", "138 0013"):
        found = text(staff.get(REGISTER, query_string={"q": q}))
        assert "王秀英" in found and "王建国" not in found, q
    assert "Nobody found" in text(staff.get(REGISTER + "?q=zzz"))
    everyone = text(staff.get(REGISTER + "?q=王"))
    assert "王秀英" in everyone and "王建国" in everyone


def test_the_register_shows_ages_only_from_a_date_of_birth_the_office_saw(demo, web):
    wang = registered(demo)
    newcomer, _ = signed_up(web)
    page = text(web("staff").get(REGISTER))
    row = lambda who: re.search(rf'data-testid="resident-{who}">(.*?)</tr>', page, re.S).group(1)  # noqa: E731
    born = dt.date(1933, 5, 1)
    age = today().year - born.year - ((today().month, today().day) < (born.month, born.day))
    assert f">{age}<" in row(wang["id"]) and "Verified" in row(wang["id"])
    pending = next(p for p in demo.api("staff").get("/communities/heping/residents?q=刘").get_json()["items"])
    assert "unverified" in row(pending["id"]) and "Waiting for verification" in row(pending["id"])


def test_the_register_is_read_a_page_at_a_time_with_a_tab_per_status(demo, web, monkeypatch):
    monkeypatch.setattr(register, "PER_PAGE", 2)
    for n in range(3):
        registered(demo, name=f"Test {n}", phone=f"1370000000{n}")
    signed_up(web)
    staff = web("staff")
    first = text(staff.get(REGISTER + "?q=Test"))
    assert first.count('data-testid="resident-') == 2 and "Next page" in first and "Previous page" not in first
    second = text(staff.get(REGISTER + "?q=Test&page=2"))
    assert second.count('data-testid="resident-') == 1 and "Previous page" in second and "Next page" not in second
    assert "Test 2" in second and "Test 2" not in first
    assert "3 residents are waiting for verification." in first  # and the demo's two sign-ups
    pending = text(staff.get(REGISTER + "?status=pending"))
    assert "刘新" in pending and "Test 0" not in pending
    assert "waiting for verification." not in pending  # the tab says it already
    tabs = re.search(r'data-testid="register-tabs">(.*?)</ul>', pending, re.S).group(1)
    assert re.search(r"Waiting for verification <span[^>]*>3<", tabs)
    for odd in ("?page=0", "?page=-3", "?page=abc", "?page=99999999999", "?status=nobody", "?q=" + "x" * 300):
        assert staff.get(REGISTER + odd).status_code == 200, odd


def test_the_recheck_list_shows_what_ends_within_30_days(demo, web):
    soon, later = registered(demo), registered(demo, name="李四", phone="13700000009")
    staff = demo.api("staff")
    ends = today() + dt.timedelta(days=10)
    staff.post(f"/residents/{soon['id']}/attributes", {"attribute": "low_income", "expires_on": ends.isoformat()})
    staff.post(f"/residents/{later['id']}/attributes", {"attribute": "low_income",
                                                         "expires_on": (today() + dt.timedelta(days=90)).isoformat()})
    page = text(web("staff").get(REGISTER + "/recheck"))
    assert "王秀英" in page and "李四" not in page and "Low income (dibao)" in page
    assert re.search(r'data-testid="tab-recheck">[^<]*<span[^>]*>2<', page)  # and the demo's dibao certificate


# --- registering and correcting ----------------------------------------------------------------------------------

@pytest.mark.parametrize("change, field, chinese", [
    ({"phone": "12345"}, "phone", "11位大陆手机号"),
    ({"date_of_birth": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "date_of_birth", "不能晚于今天"),
    ({"date_of_birth": "1899-12-31"}, "date_of_birth", "早于1900年"),
    ({"date_of_birth": ""}, "date_of_birth", "年-月-日"),
    ({"name": ""}, "name", "请填写"),
    ({"password": "short"}, "password", "8"),
    ({"email": "not-an-email"}, "email", "邮箱"),
])
def test_a_bad_registration_is_explained_beside_its_field_in_chinese(demo, web, db, change, field, chinese):
    staff = web("staff")
    staff.get(REGISTER + "/new")
    response = staff.post(REGISTER + "/new", NINETY_THREE | change, headers=CHINESE)
    assert response.status_code == 422
    assert chinese in beside(text(response), field), text(response)[-3000:]
    assert profile_of(db, "13800138000") is None


def test_a_duplicate_phone_is_refused_beside_the_phone(demo, web, db):
    registered(demo)
    staff = web("staff")
    staff.get(REGISTER + "/new")
    response = staff.post(REGISTER + "/new", NINETY_THREE | {"name": "王秀兰"}, headers=CHINESE)
    assert response.status_code == 409
    assert "本社区已有居民使用手机号 13800138000" in beside(text(response), "phone")
    db.rollback()
    assert db.query(ResidentProfile).filter_by(phone="13800138000").count() == 1


def test_staff_register_a_resident_whose_age_then_counts(demo, web, db):
    staff = web("staff")
    form = text(staff.get(REGISTER + "/new"))
    assert "Never write the ID card number" in form
    response = staff.post(REGISTER + "/new", NINETY_THREE)
    assert response.status_code == 303
    profile = profile_of(db, "13800138000")
    assert response.headers["Location"].endswith(f"{REGISTER}/{profile.user_id}")
    assert profile.status == "active" and profile.born_verified
    page = text(staff.get(response.headers["Location"]))
    assert "王秀英 is in the register." in page and "Registered by the office" in page and "社区工作人员" in page


def test_correcting_a_pending_resident_does_not_verify_their_date_of_birth(demo, web, db):
    signed_up(web)
    profile = profile_of(db, "13900001111")
    staff = web("staff")
    path = f"{REGISTER}/{profile.user_id}"
    fields = {"name": "刘新", "phone": "13900001111", "date_of_birth": "1950-02-03", "address": "和平路 8 号",
              "building": "6", "email": "", "password": ""}
    staff.get(path)
    assert staff.post(path, fields).status_code == 303
    profile = profile_of(db, "13900001111")
    assert profile.building == "6" and profile.born_verified_at is None and profile.status == "pending"
    assert "Changed: Building" in text(staff.get(path))
    assert "Nothing was changed." in text(staff.get(staff.post(path, fields).headers["Location"]))
    refused = staff.post(path, fields | {"phone": "555"}, headers=CHINESE)
    assert refused.status_code == 422 and "11位大陆手机号" in beside(text(refused), "phone")
    assert staff.post(path, fields | {"date_of_birth": "1950-02-04"}).status_code == 303
    assert profile_of(db, "13900001111").born_verified


# --- verifying, moving away ---------------------------------------------------------------------------------------

def test_a_sign_up_is_verified_when_the_office_sees_the_id_card(demo, web, db):
    resident, _ = signed_up(web)
    slot = demo.slots("Community lunch")[0]
    assert "Awaiting the community office's check" in text(resident.get(f"/book/{slot['id']}"))
    profile = profile_of(db, "13900001111")
    staff = web("staff")
    assert "3 residents are waiting for verification." in text(staff.get("/communities/heping/staff"))
    path = f"{REGISTER}/{profile.user_id}"
    page = text(staff.get(path))
    assert "I have seen the ID card: verify 刘新" in page and "not yet seen on the ID card" in page
    done = staff.post(path + "/verify")
    assert done.status_code == 303
    page = text(staff.get(path))
    assert "刘新 is verified" in page and 'data-testid="status">Verified<' in page
    assert "Signed up on the website" in page and "Verified: the ID card was seen" in page
    assert "I have seen the ID card" not in page
    assert "2 residents are waiting for verification." in text(staff.get("/communities/heping/staff"))
    assert profile_of(db, "13900001111").born_verified
    booking = text(resident.get(f"/book/{slot['id']}"))
    assert "Awaiting the community office's check" not in booking and "60+ low-cost price" in booking
    again = staff.post(path + "/verify")
    assert "verified already" in text(staff.get(again.headers["Location"]))


def test_moving_away_is_asked_once_more_then_the_resident_cannot_log_in(demo, web, db):
    adult = db.scalar(select(User.id).where(User.email == "adult@example.org"))
    staff = web("staff")
    path = f"{REGISTER}/{adult}/deactivate"
    question = text(staff.get(path))
    assert "Has 陈杰 moved away?" in question and "Yes, 陈杰 has moved away" in question
    db.rollback()
    assert db.get(ResidentProfile, adult).status == "active"  # asking changed nothing
    assert staff.post(path).status_code == 303
    page = text(staff.get(f"{REGISTER}/{adult}"))
    assert "陈杰 is marked as moved away." in page and 'data-testid="status">Moved away<' in page
    assert "Moved away" in re.search(r'data-testid="history">(.*?)</table>', page, re.S).group(1)
    login = web().post("/login", {"email": "adult@example.org", "password": "demo-password"})
    assert login.status_code == 401
    twice = staff.post(path)
    assert "deactivated already" in text(staff.get(twice.headers["Location"]))


# --- attributes and family ----------------------------------------------------------------------------------------

def test_an_attribute_is_checked_until_a_last_day_renewed_and_withdrawn(demo, web, db):
    adult = db.scalar(select(User.id).where(User.email == "adult@example.org"))
    staff = web("staff")
    path = f"{REGISTER}/{adult}"
    staff.get(path)
    past = staff.post(path + "/attributes", {"attribute": "low_income", "expires_on": "2020-01-01"}, headers=CHINESE)
    assert past.status_code == 422 and "有效期截止日不能早于今天" in beside(text(past), "expires_on")
    wizard = staff.post(path + "/attributes", {"attribute": "wizard"}, headers=CHINESE)
    assert wizard.status_code == 422 and "请从选项中选一个" in beside(text(wizard), "attribute")
    ends = today() + dt.timedelta(days=20)
    assert staff.post(path + "/attributes", {"attribute": "low_income",
                                             "expires_on": ends.isoformat()}).status_code == 303
    page = text(staff.get(path))
    assert "Recorded as checked: Low income (dibao), until" in page and "Holds until" in page
    assert "陈杰" in text(staff.get(REGISTER + "/recheck"))
    renewed = today() + dt.timedelta(days=365)
    staff.post(path + "/attributes", {"attribute": "low_income", "expires_on": renewed.isoformat()})
    db.rollback()
    assert db.get(ResidentProfile, adult).attributes[0].expires_on == renewed
    assert "陈杰" not in text(staff.get(REGISTER + "/recheck"))
    assert staff.post(path + "/attributes/low_income/clear").status_code == 303
    page = text(staff.get(path))
    assert "Withdrawn: Low income (dibao)." in page and "Nothing checked yet." in page
    history = re.search(r'data-testid="history">(.*?)</table>', page, re.S).group(1)
    assert "Checked: Low income (dibao), until" in history and "Withdrawn: Low income (dibao)" in history


def test_a_family_member_is_linked_by_email_or_by_phone(demo, web, db):
    elder = db.scalar(select(User.id).where(User.email == "elder92@example.org"))
    registered(demo, name="王子", phone="13811112222", date_of_birth="1965-01-01")
    staff = web("staff")
    path = f"{REGISTER}/{elder}"
    staff.get(path)
    unknown = staff.post(path + "/helpers", {"contact": "13899998888"}, headers=CHINESE)
    assert unknown.status_code == 404 and "本社区也没有居民使用这个手机号" in beside(text(unknown), "contact")
    bad = staff.post(path + "/helpers", {"contact": "12"}, headers=CHINESE)
    assert bad.status_code == 422 and "11位大陆手机号" in beside(text(bad), "contact")
    itself = staff.post(path + "/helpers", {"contact": "elder92@example.org"})
    assert itself.status_code == 422 and "cannot be linked to themselves" in beside(text(itself), "contact")
    assert staff.post(path + "/helpers", {"contact": "138-1111-2222"}).status_code == 303
    assert staff.post(path + "/helpers", {"contact": "Adult@Example.org"}).status_code == 303
    page = text(staff.get(path))
    assert "陈杰 may now book for 王奶奶." in page
    listed = re.search(r'id="helpers">.*?</ul>', page, re.S).group(0)
    assert "王子" in listed and "陈杰" in listed
    assert "王子 may book for them" in page
    assert [p["name"] for p in demo.api("adult").get("/me").get_json()["helps"]] == ["王奶奶"]


# --- signing up ---------------------------------------------------------------------------------------------------

def test_a_visitor_finds_the_sign_up_page_from_the_home_and_login_pages(demo, web):
    visitor = web()
    assert 'href="/register"' in text(visitor.get("/")) and 'href="/register"' in text(visitor.get("/login"))
    assert 'href="/register"' not in text(web("senior68").get("/"))
    chinese = text(visitor.get("/login", headers=CHINESE))
    assert "手机号或邮箱" in chinese and "注册成为居民" in chinese
    form = text(visitor.get("/register", headers=CHINESE))
    assert "核验之前，按普通价格收费" in form and 'name="community"' in form


def test_a_resident_signs_up_is_logged_in_and_told_what_happens_next(demo, web, db):
    resident, page = signed_up(web)
    assert "Please bring your ID card to the community office" in page and "Welcome, 刘新." in page
    assert "139 0000 1111" in page and "Waiting for verification" in page and "not yet seen by the office" in page
    profile = profile_of(db, "13900001111")
    assert profile.status == "pending" and profile.born_verified_at is None
    assert db.query(AuditEvent).filter_by(action="resident_signed_up", subject_id=profile.user_id).count() == 1
    lunch = demo.listing("Community lunch")
    service = text(resident.get(f"/services/{lunch['id']}"))
    assert re.search(r'data-testid="my-price">.*Awaiting the community office.s check', service, re.S)
    chinese = text(resident.get(f"/services/{lunch['id']}", headers=CHINESE))
    assert "待社区核验" in chinese
    assert resident.get("/register").status_code == 303  # logged in already


@pytest.mark.parametrize("change, field, chinese, status", [
    ({"password": "short"}, "password", "至少 8 个字符", 422),
    ({"password": ""}, "password", "请填写", 422),
    ({"phone": "1390000"}, "phone", "11位大陆手机号", 422),
    ({"phone": "138-0013-8000"}, "phone", "本社区已有居民使用手机号", 409),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth", "不能晚于今天", 422),
    ({"community": "nowhere"}, "community", "请从选项中选一个", 422),
])
def test_a_bad_sign_up_is_explained_beside_its_field_and_logs_nobody_in(demo, web, db, change, field, chinese,
                                                                         status):
    registered(demo)  # 138 0013 8000 is taken
    visitor = web()
    visitor.get("/register")
    response = visitor.post("/register", NEWCOMER | change, headers=CHINESE)
    assert response.status_code == status
    assert chinese in beside(text(response), field), text(response)[-3000:]
    assert profile_of(db, "13900001111") is None
    assert visitor.get("/my/details").status_code == 302  # to the login page


# --- my data ------------------------------------------------------------------------------------------------------

def test_a_resident_downloads_their_own_data_and_nobody_elses(demo, web, db):
    slot = demo.slots("Community lunch")[0]
    booked = demo.api("senior68").post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash",
                                                     "details": {}}).get_json()
    with serving_booking(demo.client, booked):
        assert demo.api("canteen").post(f"/bookings/{booked['id']}/check-in").status_code == 200
        assert demo.api("senior68").post(f"/bookings/{booked['id']}/rating", {"stars": 5, "comment": "好吃"}
                                          ).status_code == 201
    senior = db.scalar(select(User.id).where(User.email == "senior68@example.org"))
    adult = db.scalar(select(User.id).where(User.email == "adult@example.org"))
    assert demo.api("staff").post(f"/residents/{senior}/helpers", {"helper_id": adult}).status_code == 201
    resident = web("senior68")
    assert "Download my data" in text(resident.get("/my/details"))
    download = resident.get("/my/data.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == 'attachment; filename="linli-my-data.json"'
    data = json.loads(download.get_data(as_text=True))
    assert data["account"]["email"] == "senior68@example.org"
    assert data["profile"]["date_of_birth"] == "1958-06-15" and data["profile"]["status"] == "active"
    [booking] = data["bookings"]
    assert (booking["service"], booking["total_amount"], booking["status"]) == ("社区午餐", 500, "fulfilled")
    assert dt.datetime.fromisoformat(booking["starts_at"]) == dt.datetime.fromisoformat(slot["starts_at"])
    assert data["ratings"][0]["stars"] == 5 and data["ratings"][0]["comment"] == "好吃"
    assert [h["name"] for h in data["helpers"]] == ["陈杰"]
    [told] = data["notifications"]  # the booking confirmed
    assert told["kind"] == "booking_confirmed" and told["link"].startswith("/my/bookings/")
    assert data["notification_preferences"] == {
        "email": True, "sms": True, "language": "zh_Hans"}
    assert demo.api("senior68").get("/me/data").get_json() == data
    helper = json.loads(web("adult").get("/my/data.json").get_data(as_text=True))
    assert helper["account"]["email"] == "adult@example.org" and helper["bookings"] == []
    assert [h["name"] for h in helper["helping"]] == ["李叔叔"]
    assert "senior68" not in json.dumps(helper) and "1958-06-15" not in json.dumps(helper)
    assert web().get("/my/data.json").status_code == 302
    assert demo.client.get("/api/v1/me/data").status_code == 401


@pytest.mark.postgres
@pytest.mark.parametrize("q", [None, "王", "wang"])
def test_a_page_of_the_register_is_read_from_the_name_index_never_sorted_whole(app, q):
    """At 100,000 residents a sort of the community took 200 ms a page; the index gives the rows in order. With
    sorting and sequential scans made dear, a plan that still sorted everything would have had no index to walk."""
    from sqlalchemy import text as sql

    from core.residents import search

    engine = app.extensions["linli"].db.engine
    statement = search(1, q).limit(register.PER_PAGE + 1).compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        connection.execute(sql("SET enable_sort = off"))
        connection.execute(sql("SET enable_seqscan = off"))
        plan = "\n".join(row[0] for row in connection.execute(sql(f"EXPLAIN {statement}")))
    assert "ix_users_name_prefix" in plan and not re.search(r"(^|->  )Sort ", plan, re.M), plan
