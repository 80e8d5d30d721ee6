"""The web pages through the test client: who may open what, CSRF, forms refusing bad input, the journeys' steps."""
import re

import pytest
from sqlalchemy import func, select

from core.models import Agreement, Booking, Listing, Operator, Rating, Slot, User
from core.web.i18n import day_of
from tests.clock import after_month, serving, serving_booking
from tests.factories import make_community, make_user


def count(db, model, *where):
    db.rollback()  # a new read transaction sees what the pages committed
    return db.scalar(select(func.count()).select_from(model).where(*where))


def lunch_slot(demo):
    return demo.slots("Community lunch")[0]


def cash_lunch(demo, who="senior68"):
    """A lunch booked through the API, to work on in the pages."""
    response = demo.api(who).post("/bookings", {"slot_id": lunch_slot(demo)["id"], "quantity": 1,
                                                "payment_method": "cash", "details": {}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def operator_id(demo, name):
    return next(op["id"] for op in demo.client.get("/api/v1/operators?per_page=50").get_json()["items"]
                if op["name"] == name)


# --- who may open what -------------------------------------------------------------------------------------------

def test_a_resident_cannot_open_operator_staff_or_committee_pages(demo, web):
    resident = web("senior68")
    canteen = operator_id(demo, "Heping Canteen")
    for path in (f"/operators/{canteen}/today", f"/operators/{canteen}/listings", f"/operators/{canteen}/statement",
                 f"/operators/{canteen}/listings/new", f"/operators/{canteen}/agreement", "/operator",
                 "/communities/heping/staff", "/communities/heping/staff/residents",
                 "/communities/heping/fund", "/communities/heping/fund/reconciliation",
                 "/communities/heping/fund/ledger", "/communities/heping/fund/periods/2026-11/close"):
        response = resident.get(path)
        assert response.status_code == 403, path
        assert "not allowed" in response.get_data(as_text=True)
    closing = resident.post("/communities/heping/fund/periods/2026-11/close", {"csrf_token": resident.token})
    assert closing.status_code == 403


def test_a_visitor_is_sent_to_log_in_and_comes_back(demo, web):
    visitor = web()
    response = visitor.get("/my/bookings")
    assert response.status_code == 302 and "/login?next=/my/bookings" in response.headers["Location"]
    visitor.get("/login?next=/my/bookings")
    back = visitor.post("/login?next=/my/bookings", {"email": "senior68@example.org", "password": "demo-password"})
    assert back.status_code == 303 and back.headers["Location"].endswith("/my/bookings")


def test_operator_staff_see_only_their_own_operator(demo, web):
    fair = web("fair")
    canteen = operator_id(demo, "Heping Canteen")
    assert fair.get(f"/operators/{canteen}/today").status_code == 403
    assert fair.get(f"/operators/{canteen}/listings/{demo.listing('Community lunch')['id']}").status_code == 403
    own_fair = operator_id(demo, "Heping Neighbourhood Fair")
    assert fair.get(f"/operators/{own_fair}/listings/{demo.listing('Community lunch')['id']}").status_code == 404


def test_staff_of_another_community_cannot_open_hepings_pages(app, demo, web, db):
    elsewhere = make_community(db, slug="elsewhere")
    make_user(db, "community_staff", elsewhere, email="office@elsewhere.example")
    make_user(db, "committee_member", elsewhere, email="member@elsewhere.example")
    db.commit()
    assert web("office@elsewhere.example", "test-password").get("/communities/heping/staff").status_code == 403
    member = web("member@elsewhere.example", "test-password")
    assert member.get("/communities/heping/fund/reconciliation").status_code == 403
    assert member.get("/communities/elsewhere/fund/reconciliation").status_code == 200


# --- CSRF ----------------------------------------------------------------------------------------------------------

def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(demo, web, db):
    booking = cash_lunch(demo)
    resident = web("senior68")
    refused = resident.post(f"/my/bookings/{booking['id']}/cancel", csrf=False)
    assert refused.status_code == 400
    assert "expired" in refused.get_data(as_text=True)
    forged = resident.post(f"/my/bookings/{booking['id']}/cancel", {"csrf_token": "forged"}, csrf=False)
    assert forged.status_code == 400
    assert db.get(Booking, booking["id"]).status == "confirmed"
    assert web().post("/login", {"email": "senior68@example.org", "password": "demo-password"},
                      csrf=False).status_code == 400
    cancelled = resident.post(f"/my/bookings/{booking['id']}/cancel")  # with the token: it works
    assert cancelled.status_code == 303
    db.rollback()  # a new read transaction sees what the pages committed
    assert db.get(Booking, booking["id"]).status == "cancelled"


def test_the_api_keeps_using_bearer_tokens_without_csrf(demo):
    assert cash_lunch(demo)["status"] == "confirmed"


# --- residents -----------------------------------------------------------------------------------------------------

def test_the_booking_page_shows_the_price_and_why_before_confirming(demo, web, db):
    resident = web("senior68")
    page = resident.get(f"/book/{lunch_slot(demo)['id']}").get_data(as_text=True)
    assert "CN¥5.00" in page and "60+ low-cost price" in page and "because you are aged 60 or over" in page
    assert "Online payment is not available on this server" in page
    done = resident.post(f"/book/{lunch_slot(demo)['id']}", {"quantity": "1", "payment_method": "cash",
                                                             "nonce": "first-tap"})
    assert done.status_code == 303
    again = resident.post(f"/book/{lunch_slot(demo)['id']}", {"quantity": "1", "payment_method": "cash",
                                                              "nonce": "first-tap"})
    assert again.headers["Location"] == done.headers["Location"]  # a second tap shows the same booking
    assert count(db, Booking) == 1
    shown = resident.get(done.headers["Location"]).get_data(as_text=True)
    assert "Please bring CN¥5.00 in cash" in shown


@pytest.mark.parametrize("form, explained", [
    ({"quantity": "0"}, "Choose between 1 and 1000 places."),
    ({"quantity": "many"}, "Not a valid integer value."),
    ({"quantity": "100000"}, "Choose between 1 and 1000 places."),
    ({"quantity": "1", "payment_method": "bitcoin"}, "This way of paying is not available here."),
    ({"quantity": "1", "payment_method": "stripe"}, "(Stripe) is not available on this platform."),
], ids=["none", "not a number", "too many", "unknown payment", "stripe not set up"])
def test_bad_booking_forms_are_explained_and_book_nothing(demo, web, db, form, explained):
    resident = web("adult")
    response = resident.post(f"/book/{lunch_slot(demo)['id']}", form)
    assert response.status_code == 422
    notices = re.findall(r'class="notice error"[^>]*>(.*?)</(?:p|div)>', response.get_data(as_text=True), re.S)
    assert any(explained in notice for notice in notices), notices
    assert count(db, Booking) == 0


def test_a_missing_address_is_marked_on_the_housekeeping_form(demo, web, db):
    slot = demo.slots("Home cleaning, 2 hours")[0]
    resident = web("lowincome")
    page = resident.get(f"/book/{slot['id']}").get_data(as_text=True)
    assert "CN¥60.00" in page and "Low-income price" in page and 'name="details-address"' in page
    refused = resident.post(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "cash"})
    assert refused.status_code == 422
    assert "Please fill this in." in refused.get_data(as_text=True)
    assert count(db, Booking) == 0
    booked = resident.post(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "cash",
                                                   "details-address": "3-2-101 Heping Road"})
    assert booked.status_code == 303 and count(db, Booking) == 1


def test_a_full_time_says_so_in_plain_words(demo, web, db):
    slot = lunch_slot(demo)
    resident = web("adult")
    refused = resident.post(f"/book/{slot['id']}", {"quantity": "101", "payment_method": "cash"})
    assert refused.status_code == 409
    assert "Not enough places are left: only 100." in refused.get_data(as_text=True)


def test_a_served_resident_rates_once_from_the_page(demo, web, db):
    booking = cash_lunch(demo)
    resident = web("senior68")
    page = resident.get(f"/my/bookings/{booking['id']}").get_data(as_text=True)
    assert "Rate this service" not in page
    assert resident.post(f"/my/bookings/{booking['id']}/rate", {"stars": "5"}).status_code == 409
    with serving_booking(demo.client, booking):
        assert demo.api("canteen").post(f"/bookings/{booking['id']}/check-in").status_code == 200
    assert "Rate this service" in resident.get("/my/bookings").get_data(as_text=True)
    for bad in ({"stars": "9"}, {"stars": "lots"}, {}, {"stars": "4", "comment": "x" * 1001}):
        assert resident.post(f"/my/bookings/{booking['id']}/rate", bad).status_code == 422, bad
    assert count(db, Rating) == 0
    rated = resident.post(f"/my/bookings/{booking['id']}/rate", {"stars": "4", "comment": "Good soup"})
    assert rated.status_code == 303
    assert resident.post(f"/my/bookings/{booking['id']}/rate", {"stars": "1"}).status_code == 303  # already rated
    db.rollback()
    assert [r.stars for r in db.scalars(select(Rating))] == [4]
    listing = demo.listing("Community lunch")["id"]
    assert "4.0 from 1 rating" in web().get(f"/services/{listing}").get_data(as_text=True)
    assert web("adult").get(f"/my/bookings/{booking['id']}/rate").status_code == 404  # not theirs


# --- operators -----------------------------------------------------------------------------------------------------

def test_operator_staff_check_in_and_record_cash_from_the_day_page(demo, web, db):
    booking = cash_lunch(demo)
    canteen = operator_id(demo, "Heping Canteen")
    staff = web("canteen")
    date = day_of(db.get(Slot, booking["slot_id"]).starts_at, "Asia/Shanghai").isoformat()
    page = staff.get(f"/operators/{canteen}/today?date={date}").get_data(as_text=True)
    assert "Check in and take CN¥5.00 cash" in page
    early = staff.post(f"/operators/{canteen}/bookings/{booking['id']}/check-in", {"date": date})
    assert "check-in opens" in staff.get(early.headers["Location"]).get_data(as_text=True).lower()  # lunch is tomorrow
    with serving_booking(demo.client, booking):
        done = staff.post(f"/operators/{canteen}/bookings/{booking['id']}/check-in", {"date": date})
        assert done.status_code == 303
        assert "CN¥5.00 cash recorded" in staff.get(done.headers["Location"]).get_data(as_text=True)
        db.rollback()  # a new read transaction sees what the pages committed
        assert db.get(Booking, booking["id"]).status == "fulfilled"
        again = staff.post(f"/operators/{canteen}/bookings/{booking['id']}/check-in", {"date": date})
        page = staff.get(again.headers["Location"]).get_data(as_text=True)
        assert "This booking cannot be changed any more." in page


def test_every_page_names_its_icon_and_the_icon_is_served(web):
    page = web().get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    icon = web().get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_cash_for_a_home_cleaning_is_paid_to_the_worker_at_home_not_at_a_counter(demo, web):
    cleaning = demo.slots("Home cleaning, 2 hours")[0]
    booked = demo.api("adult").post("/bookings", {"slot_id": cleaning["id"], "payment_method": "cash",
                                                  "details": {"address": "3-2-101 Heping Road"}}).get_json()
    shown = web("adult").get(f"/my/bookings/{booked['id']}").get_data(as_text=True)
    assert "you pay the worker when they come to your home" in shown and "at the counter" not in shown
    lunch = cash_lunch(demo, "adult")
    assert "You pay at the counter when you arrive" in web("adult").get(f"/my/bookings/{lunch['id']}").get_data(
        as_text=True)


def test_a_lunch_sold_to_a_visitor_at_the_counter_is_on_the_day_page(demo, web, db):
    slot = lunch_slot(demo)
    canteen = operator_id(demo, "Heping Canteen")
    with serving(slot):
        sold = demo.api("canteen").post("/bookings/walk-in", {"slot_id": slot["id"], "quantity": 2})
        assert sold.status_code == 201, sold.get_json()
    date = day_of(db.get(Slot, slot["id"]).starts_at, "Asia/Shanghai").isoformat()
    page = web("canteen").get(f"/operators/{canteen}/today?date={date}").get_data(as_text=True)
    assert "Visitor at the counter × 2" in page and "CN¥20.00" in page


def test_operators_change_a_service_with_their_plugins_own_fields(demo, web, db):
    canteen = operator_id(demo, "Heping Canteen")
    listing_id = demo.listing("Community lunch")["id"]
    staff = web("canteen")
    path = f"/operators/{canteen}/listings/{listing_id}"
    page = staff.get(path).get_data(as_text=True)
    assert 'name="details-meal"' in page and 'name="details-dishes"' in page and 'value="5.00"' in page
    base = {"title": "Community lunch", "description": "Four dishes", "cancel_cutoff_hours": "2", "is_active": "y",
            "details-meal": "lunch", "details-dishes": "5", "details-soup": "1",
            "price-2": "5", "price-3": "8", "price-4": "10"}  # 0 and 1 free: the volunteers' reward, the 90+
    for bad in ({"price-2": "cheap"}, {"price-2": "0"}, {"details-meal": "supper"}, {"details-dishes": "99"},
                {"title": ""}, {"cancel_cutoff_hours": "-1"}):
        refused = staff.post(path, {**base, **bad})
        assert refused.status_code == 422, bad
    db.rollback()  # a new read transaction sees what the pages committed
    assert db.get(Listing, listing_id).details["dishes"] == 4
    saved = staff.post(path, {**base, "price-2": "4.50"})
    assert saved.status_code == 303
    db.rollback()  # a new read transaction sees what the pages committed
    listing = db.get(Listing, listing_id)
    assert listing.details == {"meal": "lunch", "dishes": 5, "soup": True}
    assert [r["amount"] for r in listing.price_rules] == [0, 0, 450, 800, 1000]
    assert listing.cancel_cutoff_minutes == 120
    assert demo.listing("Community lunch")["price_rules"][2]["amount"] == 450  # the API sees the same listing


def test_operators_add_a_service_and_a_time(demo, web, db):
    fair = operator_id(demo, "Heping Neighbourhood Fair")
    staff = web("fair")
    created = staff.post(f"/operators/{fair}/listings/new", {"title": "Autumn fair", "description": "Stalls",
                                                             "details-stalls": "30", "price-0": "0", "price-1": "40"})
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    listing = db.scalar(select(Listing).where(Listing.title == "Autumn fair"))
    assert listing.details["stalls"] == 30 and listing.price_rules[-1]["amount"] == 4000
    bad_time = staff.post(f"/operators/{fair}/listings/{listing.id}/slots/new",
                          {"day": "2030-05-01", "starts": "12:00", "ends": "08:00", "capacity": "30"})
    assert bad_time.status_code == 422
    good = staff.post(f"/operators/{fair}/listings/{listing.id}/slots/new",
                      {"day": "2030-05-01", "starts": "08:00", "ends": "12:00", "capacity": "30"})
    assert good.status_code == 303
    assert len(demo.client.get(f"/api/v1/listings/{listing.id}/slots").get_json()["items"]) == 1


def test_control_and_bidi_characters_on_a_page_are_refused_beside_their_field(demo, web, db, browser):
    fair = operator_id(demo, "Heping Neighbourhood Fair")
    created = web("fair").post(f"/operators/{fair}/listings/new", {
        "title": "Autumn fair\u0007", "description": "Stalls", "details-stalls": "30", "price-0": "0", "price-1": "40"})
    assert created.status_code == 422
    assert re.search(r'<p class="error" id="title-error">[^<]*invisible control characters',
                     created.get_data(as_text=True))
    slot = demo.slots("Home cleaning, 2 hours")[0]
    booked = browser("adult").submit(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "cash",
                                                             "details-address": "Heping Road 9\u202e"})
    assert booked.status_code == 422
    assert re.search(r'<p class="error">[^<]*invisible control characters', booked.get_data(as_text=True))
    assert db.scalar(select(Listing).where(Listing.title.like("Autumn fair%"))) is None
    assert db.scalar(select(func.count()).select_from(Booking)) == 0


def test_a_new_organisation_applies_proposes_an_agreement_and_staff_approve_both(demo, web, db):
    applicant = web("adult")
    assert applicant.post("/communities/heping/apply", {"name": "", "type": "canteen"}).status_code == 422
    assert applicant.post("/communities/heping/apply", {"name": "Tea house", "type": "teahouse"}).status_code == 422
    applied = applicant.post("/communities/heping/apply", {"name": "Tea house", "type": "canteen"})
    assert applied.status_code == 303
    operator = db.scalar(select(Operator).where(Operator.name == "Tea house"))
    assert operator.status == "pending"
    page = applicant.get(applied.headers["Location"]).get_data(as_text=True)
    assert "waiting for the community office" in page and "10% of profit" in page
    space = db.scalar(select(Agreement.space_id).limit(1))
    assert applicant.post(f"/operators/{operator.id}/agreement",
                          {"space_id": str(space), "starts_on": "2027-01-01", "ends_on": "2026-01-01"}
                          ).status_code == 422
    assert applicant.post(f"/operators/{operator.id}/agreement",
                          {"space_id": str(space), "starts_on": "2027-01-01"}).status_code == 303
    db.rollback()
    agreement = db.scalar(select(Agreement).where(Agreement.operator_id == operator.id))
    assert agreement.status == "pending"
    assert applicant.post(f"/communities/heping/staff/operators/{operator.id}/approve").status_code == 403
    staff = web("staff")
    assert "Tea house" in staff.get("/communities/heping/staff").get_data(as_text=True)
    assert staff.post(f"/communities/heping/staff/operators/{operator.id}/approve").status_code == 303
    assert staff.post(f"/communities/heping/staff/operators/{operator.id}/agreements/{agreement.id}/approve"
                      ).status_code == 303
    db.rollback()  # a new read transaction sees what the pages committed
    assert (db.get(Operator, operator.id).status, db.get(Agreement, agreement.id).status) == ("active", "active")


# --- staff and the committee ---------------------------------------------------------------------------------------

def test_staff_verify_residents_and_manage_the_committee(demo, web, db):
    staff = web("staff")
    adult = db.scalar(select(User.id).where(User.email == "adult@example.org"))
    verify = f"/communities/heping/staff/residents/{adult}/attributes"
    assert staff.post(verify, {"attribute": "wizard"}).status_code == 422
    assert "student" not in demo.api("adult").get("/me").get_data(as_text=True)
    assert staff.post(verify, {"attribute": "student"}).status_code == 303
    assert "student" in demo.api("adult").get("/me").get_data(as_text=True)
    refused = staff.post("/communities/heping/staff/committee", {"email": "nobody@example.org"})
    assert refused.status_code == 422 and "Nobody has an account" in refused.get_data(as_text=True)
    assert staff.post("/communities/heping/staff/committee", {"email": "adult@example.org"}).status_code == 303
    page = staff.get("/communities/heping/staff/committee").get_data(as_text=True)
    assert "The committee has 4 members. Votes count only" in page


def test_a_proposal_goes_from_draft_to_votes(demo, web, db):
    staff = web("staff")
    assert staff.post("/communities/heping/staff/proposals/new", {"title": "Visits", "purpose": "Visit elders",
                                                                  "requested_amount": "12.345",
                                                                  "beneficiary": "Elders"}).status_code == 422
    assert staff.post("/communities/heping/staff/proposals/new", {"title": "Visits", "purpose": "Visit elders",
                                                                  "requested_amount": "300",
                                                                  "beneficiary": "Elders"}).status_code == 303
    proposal = demo.api("committee1").get("/communities/heping/fund/proposals").get_json()["items"][0]
    assert proposal["requested_amount"] == 30000
    staff.post(f"/communities/heping/staff/proposals/{proposal['id']}/submit")
    member = web("committee1")
    path = f"/communities/heping/fund/proposals/{proposal['id']}"
    assert "Cast my vote" in member.get(path).get_data(as_text=True)
    member.post(path + "/votes", {"decision": "approve", "comment": "Yes"})
    page = member.get(path).get_data(as_text=True)
    assert "1 for, 0 against" in page and "Cast my vote" not in page


def test_the_committee_sees_a_variance_drills_down_and_closes_the_month(demo, web, db):
    slot = demo.slots("Home cleaning, 2 hours")[0]
    booked = demo.api("adult").post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash",
                                                  "details": {"address": "3-2-101 Heping Road"}}).get_json()
    with serving_booking(demo.client, booked):
        assert demo.api("housekeeping").post(f"/bookings/{booked['id']}/check-in").status_code == 200
    member = web("committee1")
    page = member.get("/communities/heping/fund/reconciliation").get_data(as_text=True)
    assert 'class="variance"' in page and "⚠ CN¥12.00" in page
    home = operator_id(demo, "Heping Home Services")
    period = demo.api("committee1").get("/communities/heping/fund").get_json()["inflows"][0]["period"]
    assert str(booked["id"]) in member.get(
        f"/communities/heping/fund/reconciliation/{period}/operators/{home}").get_data(as_text=True)
    csv = member.get(f"/communities/heping/fund/reconciliation/{period}/export.csv")
    assert csv.mimetype == "text/csv" and "Heping Home Services" in csv.get_data(as_text=True)
    assert "Close this month" not in page and "can be closed from the first day of the next month" in page
    early = member.post(f"/communities/heping/fund/periods/{period}/close")
    assert f"{period} has not ended yet" in member.get(early.headers["Location"]).get_data(as_text=True)
    with after_month(period):
        member = web("committee1")  # a login of that day
        page = member.get(f"/communities/heping/fund/reconciliation?period={period}").get_data(as_text=True)
        assert "Close this month" in page
        assert member.post(f"/communities/heping/fund/periods/{period}/close").status_code == 303
        closed = member.get(f"/communities/heping/fund/reconciliation?period={period}").get_data(as_text=True)
        assert "This month is closed" in closed and "Close this month" not in closed
        again = member.post(f"/communities/heping/fund/periods/{period}/close")
        assert f"{period} is closed already." in member.get(again.headers["Location"]).get_data(as_text=True)


# --- everyone ------------------------------------------------------------------------------------------------------

def test_the_transparency_page_needs_no_login(demo, web):
    page = web().get("/communities/heping/transparency")
    assert page.status_code == 200
    assert "the community fund" in page.get_data(as_text=True) and 'data-testid="chain-head"' in page.get_data(
        as_text=True)


def test_the_language_follows_the_browser_and_the_switch(demo, web):
    visitor = web()
    chinese = visitor.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in chinese and "¥5.00" in chinese and "CN¥" not in chinese
    english = visitor.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert 'lang="en"' in english and "Services near you" in english
    switched = visitor.get("/lang/zh_Hans?next=/communities/heping/transparency",
                           headers={"Accept-Language": "en-GB"})
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/communities/heping/transparency")
    assert 'lang="zh-Hans"' in visitor.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert visitor.get("/lang/en?next=https://evil.example/").headers["Location"] == "/"


@pytest.mark.parametrize("path", ["/?date=yesterday&type=" + "x" * 100, "/?community=nowhere",
                                  "/services/999999", "/services/123456789012345678901",
                                  "/communities/nowhere/transparency",
                                  "/communities/heping/transparency?period=13-2026",
                                  "/book/999999", "/my/bookings/999999", "/operators/999999/today",
                                  "/communities/heping/fund/reconciliation?period=garbage",
                                  "/communities/heping/fund/reconciliation/2026-13/export.csv",
                                  "/communities/heping/fund/periods/nonsense/close",
                                  "/communities/heping/fund/proposals/999999", "/lang/klingon"])
def test_odd_addresses_never_give_a_server_error(demo, web, path):
    for visitor in (web(), web("committee1"), web("senior68")):
        assert visitor.get(path).status_code < 500, path
