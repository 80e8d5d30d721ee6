"""The resident register through the API, as a community office uses it: register, find, correct, verify, deactivate;
residents signing up and logging in with their phone; attributes that end."""
from __future__ import annotations

import datetime as dt

import pytest

from core.phones import normalize_phone
from core.errors import DomainError

NINETY_THREE = {"name": "王秀英", "phone": "+86 138-0013-8000", "date_of_birth": "1933-05-01",
                "address": "和平路 12 号 3 单元 101", "building": "3"}


def register(staff, **overrides):
    return staff.post("/communities/heping/residents", NINETY_THREE | overrides)


@pytest.mark.parametrize("written", ["13800138000", "+86 138 0013 8000", "138-0013-8000", "0086 13800138000",
                                     "86-138-0013-8000", "(138) 0013 8000"])
def test_a_mainland_mobile_number_is_read_however_it_is_written(written):
    assert normalize_phone(written) == "13800138000"


@pytest.mark.parametrize("written", ["", "1380013800", "138001380001", "12800138000", "+1 415 555 0100",
                                     "010-6512-3456", "13800l38000", "+86 +86 13800138000"])
def test_anything_else_is_not_a_phone_number(written):
    with pytest.raises(DomainError) as refused:
        normalize_phone(written)
    assert refused.value.code == "invalid_phone"


def test_staff_register_a_93_year_old_who_is_then_quoted_the_free_lunch(demo, db):
    from core.models import AuditEvent

    staff = demo.api("staff")
    created = register(staff)
    assert created.status_code == 201, created.get_json()
    resident = created.get_json()
    assert resident["phone"] == "13800138000" and resident["status"] == "active"
    assert resident["date_of_birth"] == "1933-05-01"
    assert resident["date_of_birth_verified_by_id"] == staff.get("/me").get_json()["id"]
    slot = demo.slots("Community lunch")[0]
    quote = staff.post("/quotes", {"slot_id": slot["id"], "resident_id": resident["id"]}).get_json()
    assert (quote["tier"], quote["unit_amount"], quote["resident_id"]) == ("free", 0, resident["id"])
    assert db.query(AuditEvent).filter_by(action="resident_registered", subject_id=resident["id"]).count() == 1


def test_a_phone_is_unique_in_a_community_and_nothing_is_written_twice(demo, db):
    from core.models import ResidentProfile

    staff = demo.api("staff")
    assert register(staff).status_code == 201
    again = register(staff, name="王秀兰", phone="138 0013 8000")
    assert again.status_code == 409 and again.get_json()["code"] == "phone_taken"
    assert db.query(ResidentProfile).filter_by(phone="13800138000").count() == 1


@pytest.mark.parametrize("change, code", [
    ({"phone": "12345"}, "invalid_phone"),
    ({"date_of_birth": "2999-01-01"}, "birth_in_future"),
    ({"date_of_birth": "1899-12-31"}, "birth_too_early"),
    ({"name": "   "}, "validation_failed"),
    ({"email": "not-an-email"}, "not_an_email"),
    ({"password": "short"}, "password_too_short"),
])
def test_bad_particulars_are_a_clear_422_and_register_nobody(demo, db, change, code):
    from core.models import ResidentProfile

    before = db.query(ResidentProfile).count()
    response = register(demo.api("staff"), **change)
    assert response.status_code == 422 and response.get_json()["code"] == code, response.get_json()
    assert db.query(ResidentProfile).count() == before


def test_errors_speak_the_readers_language(demo):
    response = register(demo.api("staff"), phone="12345")
    assert "11 digits" in response.get_json()["errors"]["phone"][0]
    chinese = demo.api("staff").call("POST", "/communities/heping/residents", NINETY_THREE | {"phone": "123"},
                                     headers={"Accept-Language": "zh-CN"})
    assert chinese.get_json()["errors"]["phone"][0].startswith("请填写11位大陆手机号")


def test_the_register_is_searched_by_name_start_and_phone_start_or_end(demo):
    staff = demo.api("staff")
    for name, phone in (("欧阳秀英", "13800138000"), ("欧阳建国", "13912345678"), ("诸葛梅", "13511112222")):
        assert register(staff, name=name, phone=phone).status_code == 201

    def found(q):
        return sorted(r["name"] for r in staff.get(f"/communities/heping/residents?q={q}").get_json()["items"])

    assert found("欧阳") == ["欧阳建国", "欧阳秀英"]
    assert found("欧阳秀") == ["欧阳秀英"]
    assert found("5678") == ["欧阳建国"]        # the last digits, as the counter types them
    assert found("13511") == ["诸葛梅"]         # the first digits
    assert found("139-1234") == ["欧阳建国"]
    assert found("%") == []                     # a wildcard is a character like any other
    assert found("阳秀") == []                  # the start of a name, not its middle


def test_staff_of_another_community_cannot_see_or_change_the_register(demo, db):
    from tests.factories import make_community, make_user, logged_in

    staff = demo.api("staff")
    resident = register(staff).get_json()
    elsewhere = make_community(db, slug="elsewhere")
    other = make_user(db, "community_staff", elsewhere)
    db.commit()
    other_api = logged_in(demo.client, other)
    assert other_api.get(f"/residents/{resident['id']}").status_code == 404
    assert other_api.patch(f"/residents/{resident['id']}", {"building": "9"}).status_code == 404
    assert other_api.get("/communities/heping/residents").status_code == 403
    assert demo.api("canteen").get(f"/residents/{resident['id']}").status_code == 403
    assert demo.api("adult").get("/communities/heping/residents").status_code == 403


def test_correcting_a_date_of_birth_records_who_verified_it(demo):
    staff = demo.api("staff")
    resident = register(staff, date_of_birth=None).get_json()
    assert resident["date_of_birth"] is None and resident["date_of_birth_verified_at"] is None
    corrected = staff.patch(f"/residents/{resident['id']}", {"date_of_birth": "1950-02-03", "building": "5"})
    assert corrected.status_code == 200, corrected.get_json()
    body = corrected.get_json()
    assert body["date_of_birth"] == "1950-02-03" and body["building"] == "5"
    assert body["date_of_birth_verified_at"] is not None


def test_a_resident_signs_up_and_pays_the_price_for_everyone_until_the_office_verifies_them(demo, client):
    signed = client.post("/api/v1/auth/register", json={
        "community": "heping", "name": "赵大爷", "phone": "13600136000", "password": "long-enough-1",
        "date_of_birth": "1940-01-01", "address": "和平路 3 号"})
    assert signed.status_code == 201, signed.get_json()
    assert signed.get_json()["status"] == "pending"
    login = client.post("/api/v1/auth/token", json={"community": "heping", "phone": "136 0013 6000",
                                                    "password": "long-enough-1"})
    assert login.status_code == 200, login.get_json()
    from tests.factories import Api

    resident = Api(client, login.get_json()["token"])
    slot = demo.slots("Community lunch")[0]
    quote = resident.call("POST", "/quotes", {"slot_id": slot["id"]}, headers={"Accept-Language": "zh"}).get_json()
    assert (quote["tier"], quote["unit_amount"], quote["awaiting_verification"]) == ("paid", 1000, True)
    assert quote["note"].startswith("待社区核验")
    staff = demo.api("staff")
    verified = staff.post(f"/residents/{signed.get_json()['id']}/verify")
    assert verified.status_code == 200 and verified.get_json()["status"] == "active"
    assert staff.post(f"/residents/{signed.get_json()['id']}/verify").status_code == 409
    quote = resident.post("/quotes", {"slot_id": slot["id"]}).get_json()
    assert (quote["tier"], quote["unit_amount"], quote["awaiting_verification"]) == ("low_cost", 500, False)


def test_phone_login_is_per_community_and_fails_like_a_wrong_password(demo, client):
    register(demo.api("staff"), password="long-enough-1")
    for body in ({"community": "heping", "phone": "13800138000", "password": "wrong-password"},
                 {"community": "nowhere", "phone": "13800138000", "password": "long-enough-1"},
                 {"community": "heping", "phone": "not a phone", "password": "long-enough-1"}):
        refused = client.post("/api/v1/auth/token", json=body)
        assert refused.status_code == 401 and refused.get_json()["code"] == "wrong_credentials", body
    assert client.post("/api/v1/auth/token", json={"phone": "13800138000", "password": "x"}).status_code == 422
    ok = client.post("/api/v1/auth/token", json={"community": "heping", "phone": "13800138000",
                                                 "password": "long-enough-1"})
    assert ok.status_code == 200
    me = ok.get_json()["user"]
    assert me["email"] is None and me["phone"] == "13800138000" and me["address"].startswith("和平路")


def test_a_resident_registered_without_a_password_cannot_log_in(demo, client):
    register(demo.api("staff"))
    refused = client.post("/api/v1/auth/token", json={"community": "heping", "phone": "13800138000",
                                                      "password": "!"})
    assert refused.status_code == 401


def test_a_deactivated_resident_keeps_their_history_but_cannot_log_in_or_be_booked_for(demo):
    staff = demo.api("staff")
    resident = register(staff, password="long-enough-1").get_json()
    slot = demo.slots("Community lunch")[0]
    booked = staff.post("/bookings", {"slot_id": slot["id"], "resident_id": resident["id"]})
    assert booked.status_code == 201, booked.get_json()
    token_user = demo.client.post("/api/v1/auth/token", json={"community": "heping", "phone": "13800138000",
                                                              "password": "long-enough-1"}).get_json()["token"]
    gone = staff.post(f"/residents/{resident['id']}/deactivate")
    assert gone.status_code == 200 and gone.get_json()["status"] == "inactive"
    assert staff.post(f"/residents/{resident['id']}/deactivate").status_code == 409
    assert demo.client.post("/api/v1/auth/token", json={"community": "heping", "phone": "13800138000",
                                                        "password": "long-enough-1"}).status_code == 401
    assert demo.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token_user}"}).status_code == 401
    again = staff.post("/bookings", {"slot_id": slot["id"], "resident_id": resident["id"]})
    assert again.status_code == 409 and again.get_json()["code"] == "resident_inactive"
    kept = staff.get(f"/bookings/{booked.get_json()['id']}")
    assert kept.status_code == 200 and kept.get_json()["resident_id"] == resident["id"]


def test_an_attribute_that_has_ended_no_longer_gives_its_price_and_is_listed_for_recheck(demo):
    staff = demo.api("staff")
    lowincome = demo.api("lowincome")
    me = lowincome.get("/me").get_json()
    slot = demo.slots("Home cleaning, 2 hours")[0]
    assert lowincome.post("/quotes", {"slot_id": slot["id"]}).get_json()["rule"] == "low_income"
    ends = (dt.date.today() + dt.timedelta(days=3)).isoformat()  # the demo's cleanings run every day from tomorrow
    renewed = staff.post(f"/residents/{me['id']}/attributes", {"attribute": "low_income", "expires_on": ends})
    assert renewed.status_code == 201 and renewed.get_json()["attributes"][0]["expires_on"] == ends
    due = staff.get("/communities/heping/residents/due-for-recheck").get_json()
    assert [(d["attribute"], d["expired"]) for d in due if d["resident_id"] == me["id"]] == [("low_income", False)]
    assert lowincome.post("/quotes", {"slot_id": slot["id"]}).get_json()["rule"] == "low_income"
    late = demo.slots("Home cleaning, 2 hours")[-1]  # four weeks ahead: the certificate has ended by then
    assert lowincome.post("/quotes", {"slot_id": late["id"]}).get_json()["rule"] == "anyone"
    past = staff.post(f"/residents/{me['id']}/attributes", {"attribute": "low_income", "expires_on": "2000-01-01"})
    assert past.status_code == 422 and past.get_json()["code"] == "ends_in_past"


def test_a_resident_sees_their_own_particulars_and_nobody_elses(demo):
    staff = demo.api("staff")
    register(staff, password="long-enough-1")
    me = demo.api("adult").get("/me").get_json()
    assert "13800138000" not in str(me)
    listed = demo.api("adult").get("/bookings").get_data(as_text=True)
    assert "13800138000" not in listed


def test_the_demo_register_has_three_buildings_two_sign_ups_to_verify_and_a_certificate_to_recheck(demo, client):
    staff = demo.api("staff")
    active = staff.get("/communities/heping/residents?status=active&per_page=200").get_json()["items"]
    office_entered = [r for r in active if r["phone"].startswith("1360000")]
    assert len(office_entered) == 30
    assert {r["building"] for r in office_entered} == {"1", "2", "3"}
    assert all(r["date_of_birth_verified_at"] for r in office_entered)
    pending = staff.get("/communities/heping/residents?status=pending").get_json()["items"]
    assert len(pending) == 2 and all(r["date_of_birth_verified_at"] is None for r in pending)
    due = staff.get("/communities/heping/residents/due-for-recheck").get_json()
    assert [(d["attribute"], d["expired"]) for d in due] == [("low_income", False)]
    elder = client.post("/api/v1/auth/token", json={"community": "heping", "phone": "139 0000 0092",
                                                    "password": "demo-password"})
    assert elder.status_code == 200 and elder.get_json()["user"]["email"] == "elder92@example.org"


def test_every_wrong_field_is_named_at_once(demo):
    response = register(demo.api("staff"), phone="123", date_of_birth="2999-01-01", name=" x ", email="nope")
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "validation_failed"
    assert set(body["errors"]) == {"phone", "date_of_birth", "email"}


def test_signing_up_needs_a_password_long_enough(client, demo):
    response = client.post("/api/v1/auth/register", json={"community": "heping", "name": "钱奶奶",
                                                          "phone": "13600136001", "password": "short"})
    assert response.status_code == 422 and response.get_json()["code"] == "password_too_short"


def test_a_page_of_the_register_is_read_in_a_fixed_number_of_statements(demo, app):
    from tests.factories import listening

    staff = demo.api("staff")
    statements = []
    engine = app.extensions["linli"].db.engine
    with listening(engine, "before_cursor_execute", lambda *args, **kw: statements.append(args[2])):
        page = staff.get("/communities/heping/residents?per_page=50")
    assert page.status_code == 200 and len(page.get_json()["items"]) > 30
    # the token's user (and its attributes), the page, its count, the page's attributes: never one per resident
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 5, statements
