"""A resident's home page offers their next meal first, at their own price, and says which day in words."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

from tests.web_support import PHONE, log_in, screenshot

ZONE = ZoneInfo("Asia/Shanghai")
NEAR = {0: "今天", 1: "明天", 2: "后天"}


def first_lunch(demo):
    now = dt.datetime.now(ZONE)
    return next(s for s in demo.slots("Community lunch") if dt.datetime.fromisoformat(s["starts_at"]) > now)


def chinese(web, local):
    reader = web(local)
    reader.get("/lang/zh_Hans?next=/")
    return reader


def test_the_next_meal_is_offered_at_the_residents_own_price_with_the_day_named(demo, web):
    lunch = first_lunch(demo)
    day = dt.datetime.fromisoformat(lunch["starts_at"]).date()
    near = NEAR[(day - dt.datetime.now(ZONE).date()).days]
    page = chinese(web, "elder92").get("/").get_data(as_text=True)
    offer = re.search(r'data-testid="book-next" href="/book/(\d+)">\s*(.*?)</a>', page, re.S)
    assert offer and int(offer.group(1)) == lunch["id"]
    assert offer.group(2).split() == [f"{near}社区午餐", "·", "免费", "·", "预约"]
    senior = chinese(web, "senior68").get("/").get_data(as_text=True)
    assert "¥5.00 · 预约" in senior  # 60+: the low-cost price


def test_a_booked_meal_is_shown_and_the_next_one_offered(demo, web):
    lunch = first_lunch(demo)
    booking = demo.api("senior68").post("/bookings", {"slot_id": lunch["id"], "payment_method": "cash"}).get_json()
    page = chinese(web, "senior68").get("/").get_data(as_text=True)
    assert "已预约：" in page and f"/my/bookings/{booking['id']}" in page
    offered = int(re.search(r'data-testid="book-next" href="/book/(\d+)"', page).group(1))
    assert offered != lunch["id"] and offered in [s["id"] for s in demo.slots("Community lunch")]


def test_visitors_and_staff_see_no_meal_offer(demo, web):
    assert 'data-testid="next-up"' not in web().get("/").get_data(as_text=True)
    assert 'data-testid="next-up"' not in web("canteen").get("/").get_data(as_text=True)


def test_a_92_year_old_books_tomorrows_lunch_in_three_taps_on_a_phone(browse):
    page = browse(viewport=PHONE, locale="zh-CN")
    log_in(page, "elder92")  # lands on the home page
    screenshot(page, "elder-home")
    page.get_by_test_id("book-next").click()  # tap 1
    page.get_by_role("button", name="确认预约").click()  # tap 2
    page.wait_for_url(re.compile(r"/my/bookings/\d+"))
    assert "预约成功" in page.content()
    screenshot(page, "elder-booked-in-taps")
