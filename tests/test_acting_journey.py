"""The issue's journey in a real browser (phone-sized): the office registers a 93-year-old and books her lunch, with
home delivery, on her behalf. Screenshots in test-artifacts/ for people to look at."""
from playwright.sync_api import expect

from tests.web_support import log_in, screenshot


def test_staff_register_a_93_year_old_and_book_her_lunch_delivered_home(browse, demo):
    page = browse()
    log_in(page, "staff")
    page.goto("/communities/heping/staff/residents/new")
    for selector, value in (("#name", "王秀英"), ("#phone", "138 0013 8000"), ("#address", "和平路 12 号 3 单元 101"),
                            ("#building", "3")):
        page.fill(selector, value)
    page.fill("#date_of_birth", "1933-05-01")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_text("王秀英 is in the register.")).to_be_visible()
    page.get_by_test_id("act-for").click()
    banner = page.get_by_test_id("acting-banner")
    expect(banner).to_contain_text("You are acting for 王秀英")
    page.get_by_role("link", name="Community canteen").click()
    page.get_by_role("link", name="Community lunch", exact=True).click()  # not the next-meal button
    page.locator("main a[href^='/book/']").first.click()
    expect(page.get_by_test_id("booking-for")).to_have_text("For 王秀英, at their price")
    expect(page.get_by_test_id("price")).to_contain_text("Free")
    page.get_by_label("Deliver the meal to my home", exact=False).check()
    screenshot(page, "acting-1-booking-for-her")
    page.get_by_role("button", name="Confirm the booking").click()
    expect(page.get_by_text("Your booking is confirmed.")).to_be_visible()
    expect(page.get_by_test_id("booked-by")).to_contain_text("Booked for 王秀英 by 社区工作人员")
    expect(banner).to_be_visible()
    screenshot(page, "acting-2-booked-for-her")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Stop acting for 王秀英").click()
    expect(page.get_by_test_id("acting-banner")).to_have_count(0)
    staff = demo.api("staff")
    her = staff.get("/communities/heping/residents?q=8000").get_json()["items"][0]
    bookings = [b for b in staff.get("/bookings").get_json()["items"] if b["resident_id"] == her["id"]]
    assert [(b["tier"], b["details"]["home_delivery"], b["booked_by_id"]) for b in bookings] == [
        ("free", True, staff.get("/me").get_json()["id"])]
