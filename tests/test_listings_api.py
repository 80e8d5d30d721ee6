"""Listings and slots through the API: plugin-validated details, validated rules, remaining places."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_community, make_operator, make_user


@pytest.fixture
def canteen(db):
    community = make_community(db, slug="hp")
    operator = make_operator(db, community, type_key="canteen")
    staff = make_user(db, "operator_staff", community, operator)
    db.commit()
    return operator, staff


def test_invalid_details_are_rejected_with_field_errors(canteen, api):
    operator, staff = canteen
    response = api(staff).post("/listings", {"operator_id": operator.id, "title": "Lunch",
                                             "details": {"meal": "brunch", "colour": "red"}})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["details"]
    assert "meal" in errors and "colour" in errors


def test_listing_takes_the_operator_types_default_rules(canteen, api):
    operator, staff = canteen
    response = api(staff).post("/listings", {"operator_id": operator.id, "title": "Lunch"})
    assert response.status_code == 201
    body = response.get_json()
    assert [r["name"] for r in body["price_rules"]] == ["age_90_plus", "age_60_plus", "student", "anyone"]
    assert body["type"] == "canteen" and body["details"] == {"meal": "lunch", "dishes": 4, "soup": True}


@pytest.mark.parametrize("rules, field", [
    ([{"name": "old", "when": {"min_age": 60}, "tier": "low_cost", "amount": 500}], 0),
    ([{"name": "anyone", "when": {}, "tier": "free", "amount": 100}], 0),
    ([{"name": "anyone", "when": {}, "tier": "paid", "amount": 0}], 0),
    ([{"name": "anyone", "when": {}, "tier": "paid", "amount": -1}], 0),
    ([{"name": "anyone", "when": {}, "tier": "paid", "amount": 1.5}], 0),
    ([{"name": "anyone", "when": {}, "tier": "gold", "amount": 100}], 0),
    ([{"name": "a", "when": {}, "tier": "paid", "amount": 1}, {"name": "b", "when": {}, "tier": "paid", "amount": 2}], 0),
    ([{"name": "x", "when": {"attributes": ["rich"]}, "tier": "paid", "amount": 1},
      {"name": "y", "when": {}, "tier": "paid", "amount": 2}], 0),
])
def test_price_rules_are_validated_when_saved(canteen, api, rules, field):
    operator, staff = canteen
    response = api(staff).post("/listings", {"operator_id": operator.id, "title": "Lunch", "price_rules": rules})
    assert response.status_code == 422, response.get_json()
    assert "price_rules" in response.get_json()["errors"]


def test_slots_show_remaining_places_and_reject_bad_windows(canteen, api):
    operator, staff = canteen
    as_staff = api(staff)
    listing = as_staff.post("/listings", {"operator_id": operator.id, "title": "Lunch"}).get_json()
    bad = as_staff.post(f"/listings/{listing['id']}/slots", {
        "starts_at": "2030-01-01T13:00:00+08:00", "ends_at": "2030-01-01T11:30:00+08:00", "capacity": 100})
    assert bad.status_code == 422 and "ends_at" in bad.get_json()["errors"]
    naive = as_staff.post(f"/listings/{listing['id']}/slots", {
        "starts_at": "2030-01-01T11:30:00", "ends_at": "2030-01-01T13:00:00", "capacity": 100})
    assert naive.status_code == 422
    created = as_staff.post(f"/listings/{listing['id']}/slots", {
        "starts_at": "2030-01-01T11:30:00+08:00", "ends_at": "2030-01-01T13:00:00+08:00", "capacity": 100})
    assert created.status_code == 201
    slots = api().get(f"/listings/{listing['id']}/slots").get_json()
    assert slots["total"] == 1 and slots["items"][0]["remaining"] == 100
    assert slots["items"][0]["starts_at"].startswith("2030-01-01T11:30:00+08:00")


def test_search_filters_by_community_type_text_and_date(canteen, api, db):
    operator, staff = canteen
    as_staff = api(staff)
    lunch = as_staff.post("/listings", {"operator_id": operator.id, "title": "Lunch", "description": "dumplings"})
    as_staff.post("/listings", {"operator_id": operator.id, "title": "Dinner"})
    as_staff.post(f"/listings/{lunch.get_json()['id']}/slots", {
        "starts_at": "2030-01-01T23:30:00+08:00", "ends_at": "2030-01-02T01:00:00+08:00", "capacity": 5})
    anonymous = api()
    assert anonymous.get("/listings?community=hp").get_json()["total"] == 2
    assert anonymous.get("/listings?type=housekeeping").get_json()["total"] == 0
    assert [i["title"] for i in anonymous.get("/listings?q=DUMPL").get_json()["items"]] == ["Lunch"]
    assert anonymous.get("/listings?q=100%25").get_json()["total"] == 0
    assert anonymous.get("/listings?community=hp&date=2030-01-01").get_json()["total"] == 1
    assert anonymous.get("/listings?community=hp&date=2030-01-02").get_json()["total"] == 0
    assert anonymous.get("/listings?community=nowhere").status_code == 404
    assert anonymous.get("/listings?date=yesterday").status_code == 422
    page = anonymous.get("/listings?per_page=1&page=2").get_json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["page"] == 2


def test_search_text_follows_edits_and_keeps_title_and_description_apart(canteen, api):
    operator, staff = canteen
    as_staff = api(staff)
    listing = as_staff.post("/listings", {"operator_id": operator.id, "title": "Noodle Bar",
                                          "description": "Hand-pulled, 100% wheat"}).get_json()
    found = lambda text: [i["id"] for i in api().get("/listings", query_string={"q": text}).get_json()["items"]]
    assert found("noodle bar") == found("100% WHEAT") == [listing["id"]]
    assert found("barhand") == found("bar hand") == []  # no match across the title's end
    assert as_staff.patch(f"/listings/{listing['id']}", {"title": "Rice Shop"}).status_code == 200
    assert found("noodle") == [] and found("rice") == [listing["id"]]


def test_a_slot_must_start_in_the_future_through_the_api_and_the_page(demo, web, db):
    lunch = demo.listing("Community lunch")
    slots = f"/listings/{lunch['id']}/slots"
    before = len(demo.slots("Community lunch"))
    canteen = demo.api("canteen")
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    for starts in (now - dt.timedelta(days=1), now - dt.timedelta(minutes=1)):
        refused = canteen.post(slots, {"starts_at": starts.isoformat(), "ends_at": (now + dt.timedelta(hours=2))
                                       .isoformat(), "capacity": 10})
        assert refused.status_code == 422 and "starts_at" in refused.get_json()["errors"], refused.get_json()
    page = web("canteen").post(f"/operators/{lunch['operator_id']}/listings/{lunch['id']}/slots/new", {
        "day": (now - dt.timedelta(days=1)).date().isoformat(), "starts": "11:30", "ends": "13:00", "capacity": "10"})
    assert page.status_code == 422
    assert re.search(r'<p class="error" id="starts-error">[^<]*future', page.get_data(as_text=True))
    assert len(demo.slots("Community lunch")) == before
    soon = now + dt.timedelta(minutes=5)
    assert canteen.post(slots, {"starts_at": soon.isoformat(), "ends_at": (soon + dt.timedelta(hours=1)).isoformat(),
                                "capacity": 10}).status_code == 201


def test_a_listing_reads_in_the_readers_language_and_an_edit_changes_what_its_editor_reads(canteen, api):
    operator, staff = canteen
    as_staff = api(staff)
    listing = as_staff.post("/listings", {"operator_id": operator.id, "title": "社区午餐", "description": "四菜一汤",
                                          "translations": {"en": {"title": "Community lunch"}}}).get_json()
    path = f"/listings/{listing['id']}"

    def read(language=None):
        found = as_staff.get(path, headers={"Accept-Language": language} if language else {}).get_json()
        return found["title"], found["description"]

    assert read() == read("fr") == ("Community lunch", "四菜一汤")  # English by default; no English description
    assert read("zh-CN") == ("社区午餐", "四菜一汤")
    assert as_staff.patch(path, {"title": "Lunch for everyone"}).status_code == 200  # an English reader's edit
    assert read() == ("Lunch for everyone", "四菜一汤") and read("zh") == ("社区午餐", "四菜一汤")
    as_staff.patch(path, {"title": "邻里午餐"}, headers={"Accept-Language": "zh"})
    assert read("zh")[0] == "邻里午餐" and read()[0] == "Lunch for everyone"
    as_staff.patch(path, {"translations": {}})
    assert read()[0] == "邻里午餐"


@pytest.mark.parametrize("translations", [
    {"fr": {"title": "Déjeuner"}}, {"en": {"colour": "red"}}, {"en": {"title": ""}}, {"en": "Lunch"}, "Lunch",
    {"en": {"title": "x" * 201}}])
def test_bad_translations_are_refused_and_nothing_is_written(canteen, api, translations):
    operator, staff = canteen
    as_staff = api(staff)
    listing = as_staff.post("/listings", {"operator_id": operator.id, "title": "午餐"}).get_json()
    created = as_staff.post("/listings", {"operator_id": operator.id, "title": "晚餐", "translations": translations})
    changed = as_staff.patch(f"/listings/{listing['id']}", {"title": "Lunch", "translations": translations})
    assert created.status_code == changed.status_code == 422
    assert "translations" in created.get_json()["errors"] and "translations" in changed.get_json()["errors"]
    titles = [item["title"] for item in as_staff.get("/listings?community=hp").get_json()["items"]]
    assert titles == ["午餐"]
