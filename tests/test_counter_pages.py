"""The counter page through the test client: a canteen's window sells lunches to residents found by the last digits
of their phone, and to visitors; it shows the price before the cash, never a whole phone number, never sells twice,
and says in the reader's language why a sale cannot be made."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from core.models import Booking
from tests.clock import at, serving, starts
from tests.pages import text

NONCE = re.compile(r'name="nonce"[^>]*value="([^"]+)"')


def lunch(demo, day=0):
    return demo.slots("Community lunch")[day]


def counter_path(demo, **query) -> str:
    operator = demo.listing("Community lunch")["operator_id"]
    args = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/operators/{operator}/counter" + (f"?{args}" if args else "")


def register(demo, name="王秀英", phone="13800138000", born="1950-05-01", building="3"):
    response = demo.api("staff").post("/communities/heping/residents", {
        "name": name, "phone": phone, "date_of_birth": born, "address": "和平路 12 号", "building": building})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sales(db) -> list[Booking]:
    db.rollback()
    return db.scalars(select(Booking).where(Booking.booked_by_id.is_not(None)).order_by(Booking.id)).all()


def take_cash(cashier, path, total, quantity="1", action="sell", nonce=None):
    """Press the sale's button on the page at ``path``: the form's own nonce and CSRF token, the total it showed."""
    page = cashier.get(path)
    nonce = nonce or NONCE.search(page.get_data(as_text=True)).group(1)
    return cashier.post(path, {"quantity": quantity, "nonce": nonce, "shown_total": total, "action": action})


def test_a_sale_to_a_resident_found_by_the_last_four_digits(demo, web, db):
    resident = register(demo)
    cashier = web("canteen")
    slot = lunch(demo)
    with serving(slot):
        page = text(cashier.get(counter_path(demo)))
        assert "Community lunch" in page and 'id="q"' in page and "autofocus" in page
        found = text(cashier.get(counter_path(demo, slot=slot["id"], q="8000")))
        assert "王秀英" in found and "Building 3" in found and "138****8000" in found
        assert "13800138000" not in found and "1950" not in found and "和平路" not in found
        chosen = counter_path(demo, slot=slot["id"], customer=resident["id"])
        offer = text(cashier.get(chosen))
        assert "CN¥5.00" in offer and "60+ low-cost price" in offer and "Take CN¥5.00 cash" in offer
        done = take_cash(cashier, chosen, "500")
        assert done.status_code == 303, text(done)[:2000]
        confirmation = text(cashier.get(done.headers["Location"]))
    [sale] = sales(db)
    assert (sale.resident_id, sale.status, sale.total_amount, sale.payment_method) == (
        resident["id"], "fulfilled", 500, "cash")
    assert "Sold" in confirmation and "王秀英" in confirmation and "CN¥5.00 cash taken" in confirmation
    assert "Served" in confirmation and 'id="q"' in confirmation  # and ready for the next one


def test_a_visitor_pays_the_price_for_everyone_and_a_90_year_old_eats_free(demo, web, db):
    elder = register(demo, name="李奶奶", phone="13911112222", born="1930-02-02")
    cashier = web("canteen")
    slot = lunch(demo)
    with serving(slot):
        visitor = counter_path(demo, slot=slot["id"], customer="visitor")
        assert "Take CN¥20.00 cash" in text(cashier.get(visitor + "&quantity=2"))
        assert take_cash(cashier, visitor, "2000", quantity="2").status_code == 303
        free = counter_path(demo, slot=slot["id"], customer=elder["id"])
        assert "Record it: free" in text(cashier.get(free))
        assert take_cash(cashier, free, "0").status_code == 303
    assert [(s.resident_id, s.quantity, s.tier, s.total_amount, s.payment_method) for s in sales(db)] == [
        (None, 2, "paid", 2000, "cash"), (elder["id"], 1, "free", 0, None)]


def test_a_form_sent_twice_sells_once(demo, web, db):
    cashier = web("canteen")
    slot = lunch(demo)
    path = counter_path(demo, slot=slot["id"], customer="visitor")
    with serving(slot):
        nonce = NONCE.search(cashier.get(path).get_data(as_text=True)).group(1)
        first = take_cash(cashier, path, "1000", nonce=nonce)
        again = take_cash(cashier, path, "1000", nonce=nonce)
        repeat = text(cashier.get(again.headers["Location"]))
    assert first.headers["Location"] == again.headers["Location"]
    assert len(sales(db)) == 1
    assert "This sale was recorded already: nothing was sold twice." in repeat


def test_a_new_quantity_shows_its_price_before_any_cash_is_taken(demo, web, db):
    cashier = web("canteen")
    slot = lunch(demo)
    path = counter_path(demo, slot=slot["id"], customer="visitor")
    with serving(slot):
        repriced = take_cash(cashier, path, "1000", quantity="3", action="price")
        stale = take_cash(cashier, path, "1000", quantity="3")  # the button said CN¥10.00, 3 cost CN¥30.00
        unsure = cashier.post(path, {"quantity": "1", "shown_total": "1000", "action": "sell"})  # no nonce
    assert repriced.status_code == 200 and "Take CN¥30.00 cash" in text(repriced)
    assert stale.status_code == 200 and "The price has changed" in text(stale) and "Take CN¥30.00 cash" in text(stale)
    assert unsure.status_code == 422 and "Please start the sale again." in text(unsure)
    assert sales(db) == []


def test_errors_are_said_in_plain_chinese(demo, web, db):
    gone = register(demo)
    assert demo.api("staff").post(f"/residents/{gone['id']}/deactivate").status_code == 200
    cashier = web("canteen")
    cashier.get("/lang/zh_Hans?next=/")
    slot = lunch(demo)
    tomorrow = lunch(demo, day=1)
    with serving(slot):
        moved = text(cashier.get(counter_path(demo, slot=slot["id"], customer=gone["id"])))
        full = take_cash(cashier, counter_path(demo, slot=slot["id"], customer="visitor"), "101000", quantity="101")
        nonce = NONCE.search(cashier.get(counter_path(demo, customer="visitor")).get_data(as_text=True)).group(1)
        early = cashier.post(counter_path(demo, slot=tomorrow["id"], customer="visitor"), {  # a lunch not sold yet
            "quantity": "1", "nonce": nonce, "shown_total": "1000", "action": "sell"})
    assert "该居民已迁出" in moved and "取现金" not in moved  # no button to take cash for them
    assert full.status_code == 409, text(full)[:2000]
    assert "名额不够了：只剩 100 个。" in text(full)
    assert early.status_code == 409 and "开始前 3 小时才能签到。" in text(early), text(early)[:3000]
    assert sales(db) == []


def test_with_nothing_open_the_page_says_when_the_next_sale_opens(demo, web):
    slot = lunch(demo)
    with at(starts(slot) - dt.timedelta(hours=5)):
        page = text(web("canteen").get(counter_path(demo)))
    assert "Nothing is open for sale now. The next sale opens at 8:30" in page and "Community lunch" in page


@pytest.mark.parametrize("who", ["housekeeping", "senior68", "staff"])
def test_only_the_operators_own_staff_open_its_counter(demo, web, who):
    register(demo)
    response = web(who).get(counter_path(demo, q="8000"))
    assert response.status_code == 403 and not re.search(r"138[\d*]{4}8000", text(response))  # the number, masked or not


def test_the_days_bookings_show_a_visitor_served_at_the_counter(demo, web, db):
    cashier = web("canteen")
    slot = lunch(demo)
    with serving(slot):
        sold = take_cash(cashier, counter_path(demo, slot=slot["id"], customer="visitor"), "1000")
        today = text(cashier.get(sold.headers["Location"].split("/counter")[0] + "/today"))
    [sale] = sales(db)
    assert f'data-testid="booking-{sale.id}"' in today and "Visitor at the counter" in today and "Served" in today
    assert db.scalar(select(func.count()).select_from(Booking)) >= 1


def test_a_service_that_needs_more_than_a_sale_says_what_is_missing(demo, web, db):
    """A home cleaning needs the home's address: the window cannot sell it, and says why."""
    slot = demo.slots("Home cleaning, 2 hours")[0]
    operator = demo.listing("Home cleaning, 2 hours")["operator_id"]
    path = f"/operators/{operator}/counter?slot={slot['id']}&customer=visitor"
    with serving(slot):
        refused = take_cash(web("housekeeping"), path, "12000")
    assert refused.status_code == 422 and "Your address:" in text(refused)
    assert sales(db) == []
