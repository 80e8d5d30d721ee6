"""The issue's journeys in a real browser (Debian's Chromium, phone-sized), against a live server with the demo data.

Each journey ends with a screenshot in test-artifacts/ for people to look at.
"""
import re

from playwright.sync_api import expect

from tests.clock import after_month, serving, serving_booking
from tests.web_support import TABLET, log_in, screenshot


def book_cash(demo, who, listing, details=None):
    """A booking made through the API, for a journey that starts after it."""
    slot = demo.slots(listing)[0]
    response = demo.api(who).post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash",
                                                "details": details or {}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_resident_books_a_canteen_lunch_and_sees_the_low_cost_price(browse, demo):
    page = browse()
    log_in(page, "senior68")
    page.get_by_role("link", name="Community canteen").click()
    page.get_by_role("link", name="Community lunch", exact=True).click()  # not the next-meal button
    page.get_by_role("link", name=re.compile("^Book ")).first.click()
    price = page.get_by_test_id("price")
    expect(price).to_contain_text("CN¥5.00")
    expect(price).to_contain_text("60+ low-cost price")
    expect(price).to_contain_text("because you are aged 60 or over")
    expect(page.get_by_test_id("no-online-payment")).to_be_visible()
    page.get_by_role("button", name="Confirm the booking").click()
    expect(page.get_by_text("Your booking is confirmed.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Booked")
    expect(page.get_by_test_id("price")).to_contain_text("CN¥5.00")
    screenshot(page, "1-resident-booked-lunch")
    mine = demo.api("senior68").get("/bookings").get_json()["items"]
    assert [(b["tier"], b["total_amount"], b["status"]) for b in mine] == [("low_cost", 500, "confirmed")]


def test_an_operator_checks_the_booking_in_and_records_the_cash(browse, demo):
    booking = book_cash(demo, "senior68", "Community lunch")
    with serving_booking(demo.client, booking):  # lunch time tomorrow: the desk opens on today's bookings
        page = browse()
        log_in(page, "canteen")
        row = page.get_by_test_id(f"booking-{booking['id']}")
        row.get_by_role("button", name="Check in and take CN¥5.00 cash").click()
        expect(page.get_by_text("Checked in. CN¥5.00 cash recorded.")).to_be_visible()
        expect(page.get_by_test_id(f"booking-{booking['id']}")).to_contain_text("Served")
        screenshot(page, "2-operator-checked-in")
    assert demo.api("senior68").get(f"/bookings/{booking['id']}").get_json()["status"] == "fulfilled"


def test_a_committee_member_sees_the_donation_and_closes_the_month(browse, demo):
    booking = book_cash(demo, "adult", "Home cleaning, 2 hours", {"address": "3-2-101 Heping Road"})
    with serving_booking(demo.client, booking):
        assert demo.api("housekeeping").post(f"/bookings/{booking['id']}/check-in").status_code == 200
    page = browse()
    log_in(page, "committee1")
    page.get_by_role("link", name="Reconciliation").click()
    home = page.locator("tr", has_text="Heping Home Services")
    expect(home).to_have_class("variance")
    expect(home).to_contain_text("⚠ CN¥12.00")
    home.get_by_role("link", name="Heping Home Services").click()
    expect(page.locator("table")).to_contain_text(str(booking["id"]))
    page.go_back()
    expect(page.get_by_test_id("not-ended")).to_be_visible()  # the month is still running
    period = demo.api("committee1").get("/communities/heping/fund").get_json()["inflows"][0]["period"]
    with after_month(period):  # the first morning of the next month: now it may be closed
        page = browse()
        log_in(page, "committee1")
        page.goto(f"/communities/heping/fund/reconciliation?period={period}")
        page.get_by_role("link", name="Close this month").click()
        page.get_by_role("button", name="Yes, close the month").click()
        expect(page.get_by_text("The month is closed.")).to_be_visible()
        expect(page.get_by_test_id("closed")).to_be_visible()
        expect(page.get_by_role("link", name="Close this month")).to_have_count(0)
        screenshot(page, "3-committee-closed-the-month")


def test_a_visitor_reads_the_public_page_without_logging_in(browse, demo):
    booking = book_cash(demo, "adult", "Home cleaning, 2 hours", {"address": "3-2-101 Heping Road"})
    with serving_booking(demo.client, booking):
        assert demo.api("housekeeping").post(f"/bookings/{booking['id']}/check-in").status_code == 200
    community = demo.client.get("/api/v1/communities/heping").get_json()["id"]
    home = next(op["id"] for op in demo.client.get("/api/v1/operators").get_json()["items"]
                if op["name"] == "Heping Home Services")
    recorded = demo.api("committee1").post(f"/communities/{community}/fund/transfers", {
        "operator_id": home, "amount": 1200, "reference": "BANK-1", "received_on": _today(demo)})
    assert recorded.status_code == 201, recorded.get_json()
    page = browse()
    page.goto("/")
    page.get_by_role("link", name="See how the community fund is used").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heping Community: the community fund")
    expect(page.get_by_test_id("balance")).to_have_text("CN¥12.00")
    expect(page.locator("svg.chart")).to_have_count(1)
    expect(page.get_by_test_id("chain-head")).to_have_text(re.compile("^[0-9a-f]{64}$"))
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    screenshot(page, "4-visitor-read-the-fund")


def _today(demo):
    """Today in the community's time zone, as the API takes a date."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_the_language_switch_shows_chinese_and_the_browser_language_is_the_default(browse, demo):
    page = browse("en-US")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Services near you")
    page.get_by_test_id("language-switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您身边的服务")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("main")).to_contain_text("¥5.00")
    expect(page.locator("main")).to_contain_text("60岁以上低偿价")
    page.get_by_role("link", name="社区食堂").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text(["想找哪类服务？", "哪一天？", "共 1 项服务"])
    screenshot(page, "5-language-switched-to-chinese")
    chinese_browser = browse("zh-CN")
    chinese_browser.goto("/")
    expect(chinese_browser.get_by_role("heading", level=1)).to_have_text("您身边的服务")
    chinese_browser.get_by_test_id("language-switch").click()
    expect(chinese_browser.get_by_role("heading", level=1)).to_have_text("Services near you")


def test_the_canteen_sells_three_lunches_at_the_counter(browse, demo):
    """A neighbour of 76 found by the last four digits of her phone, with the keyboard alone (phone-sized); then, on
    a tablet, a visitor's two lunches and a free one for 王奶奶, 92, found by her name."""
    staff = demo.api("staff")
    neighbour = staff.post("/communities/heping/residents", {
        "name": "王秀英", "phone": "138 0013 8000", "date_of_birth": "1950-05-01", "address": "和平路 12 号",
        "building": "3"}).get_json()
    operator = demo.listing("Community lunch")["operator_id"]
    with serving(demo.slots("Community lunch")[0]):
        page = browse()
        log_in(page, "canteen")
        page.get_by_role("link", name="Counter").click()
        expect(page.locator("#q")).to_be_focused()
        page.keyboard.type("8000")
        page.keyboard.press("Enter")
        found = page.get_by_role("link", name=re.compile("王秀英"))
        expect(found).to_be_focused()
        expect(found).to_contain_text("138****8000")
        expect(page.locator("main")).not_to_contain_text("13800138000")
        screenshot(page, "6-counter-found-by-last-digits-phone")
        page.keyboard.press("Enter")
        take = page.get_by_role("button", name="Take CN¥5.00 cash")
        expect(take).to_be_focused()
        expect(page.get_by_test_id("price")).to_contain_text("60+ low-cost price")
        screenshot(page, "7-counter-price-before-the-cash-phone")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("sold")).to_contain_text("王秀英")
        expect(page.get_by_test_id("sold")).to_contain_text("CN¥5.00 cash taken")
        expect(page.get_by_test_id("sold")).to_contain_text("Served")
        expect(page.locator("#q")).to_be_focused()  # ready for the next sale
        screenshot(page, "8-counter-sold-phone")

        tablet = browse(viewport=TABLET)
        log_in(tablet, "canteen")
        tablet.goto(f"/operators/{operator}/counter")
        tablet.get_by_role("link", name="A visitor, not in the register").click()
        tablet.get_by_label("How many").fill("2")
        tablet.get_by_role("button", name="Update the price").click()
        expect(tablet.get_by_test_id("price")).to_contain_text("CN¥20.00")
        screenshot(tablet, "9-counter-visitor-two-lunches-tablet")
        tablet.get_by_role("button", name="Take CN¥20.00 cash").click()
        expect(tablet.get_by_test_id("sold")).to_contain_text("A visitor")
        tablet.get_by_label("Name, or the last digits of the phone number").fill("王奶奶")
        tablet.get_by_role("button", name="Find").click()
        tablet.get_by_role("link", name=re.compile("王奶奶")).click()
        tablet.get_by_role("button", name="Record it: free").click()
        expect(tablet.get_by_test_id("sold")).to_contain_text("Free: nothing to pay")
        screenshot(tablet, "10-counter-sold-free-lunch-tablet")
    sold = demo.api("canteen").get("/bookings?status=fulfilled").get_json()["items"]
    assert sorted((b["resident_id"] == neighbour["id"], b["quantity"], b["total_amount"]) for b in sold) == [
        (False, 1, 0), (False, 2, 2000), (True, 1, 500)]
