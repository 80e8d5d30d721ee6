"""The resident register and signing up in a real browser at phone width (Debian's Chromium), with the keyboard
alone where it matters; each journey leaves screenshots in test-artifacts/ for people to look at."""
import re

from playwright.sync_api import expect

from tests.web_support import log_in, screenshot

NEWCOMER = [("#name", "刘新"), ("#phone", "139 0000 1111"), ("#password", "long-enough-1"),
            ("#date_of_birth", "1950-02-03"), ("#address", "Heping Road 8"), ("#building", "5")]


def fits_the_phone(page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def tab_to(page, selector: str, most: int = 40) -> None:
    """Press Tab until ``selector`` has the focus, as someone without a mouse does."""
    for _ in range(most):
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def sign_up_with_the_keyboard(page) -> None:
    page.goto("/")
    page.get_by_test_id("sign-up-invitation").get_by_role("link", name="Sign up as a resident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign up as a resident")
    fits_the_phone(page)
    for selector, value in NEWCOMER:
        tab_to(page, selector)
        if selector == "#date_of_birth":
            page.keyboard.type("02031950")  # a date field takes the digits in the locale's order (en-US: mm dd yyyy)
        else:
            page.keyboard.type(value)
    screenshot(page, "register-1-sign-up-form")
    page.keyboard.press("Enter")
    page.wait_for_url("**/my/details")


def test_a_resident_signs_up_with_the_keyboard_and_sees_that_the_office_will_check(browse, demo):
    page = browse()
    sign_up_with_the_keyboard(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("My details")
    expect(page.get_by_test_id("awaiting-check")).to_contain_text("Awaiting the community office's check")
    expect(page.get_by_test_id("details")).to_contain_text("139 0000 1111")
    expect(page.get_by_test_id("details")).to_contain_text("February 3, 1950")
    screenshot(page, "register-2-signed-up-my-details")
    fits_the_phone(page)
    page.get_by_role("link", name="Services").first.click()
    page.get_by_role("link", name="Community lunch", exact=True).click()  # not the next-meal button
    expect(page.get_by_test_id("my-price")).to_contain_text("Awaiting the community office's check")
    screenshot(page, "register-3-pending-price")


def test_staff_find_verify_and_check_a_resident_at_phone_width(browse, demo):
    sign_up_with_the_keyboard(browse())
    pending = demo.api("staff").get("/communities/heping/residents?status=pending").get_json()["items"]
    assert "刘新" in [r["name"] for r in pending] and len(pending) == 3  # the demo's two sign-ups wait too
    page = browse()
    log_in(page, "staff")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Residents", exact=True).click()
    expect(page.get_by_test_id("waiting")).to_contain_text("3 residents are waiting for verification.")
    screenshot(page, "register-4-register-list")
    fits_the_phone(page)
    page.fill("#q", "1111")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("register").locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("register").get_by_role("link", name="刘新").click()
    expect(page.get_by_test_id("status")).to_have_text("Waiting for verification")
    page.get_by_role("button", name="I have seen the ID card: verify 刘新").click()
    expect(page.get_by_test_id("status")).to_have_text("Verified")
    page.select_option("#attribute", "low_income")
    page.fill("#expires_on", "2099-12-31")
    page.get_by_role("button", name="Record as checked").click()
    expect(page.get_by_test_id("attribute-low_income")).to_contain_text("Holds until December 31, 2099.")
    expect(page.get_by_test_id("history")).to_contain_text("Verified: the ID card was seen")
    screenshot(page, "register-5-resident-page")
    fits_the_phone(page)
    page.get_by_role("link", name=re.compile("has moved away…$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Has 刘新 moved away?")
    screenshot(page, "register-6-moved-away-question")
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_test_id("status")).to_have_text("Verified")


def test_the_register_list_reads_in_chinese_at_phone_width(browse, demo):
    page = browse("zh-CN")
    log_in(page, "staff")
    page.goto("/communities/heping/staff/residents")
    expect(page.get_by_role("heading", level=1)).to_contain_text("居民")
    expect(page.get_by_test_id("register")).to_contain_text("已核验")
    screenshot(page, "register-7-list-in-chinese")
    fits_the_phone(page)
    page.goto("/communities/heping/staff/residents/new")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#phone-error")).to_have_text("请填写这一项。")
    screenshot(page, "register-8-new-resident-errors-in-chinese")
