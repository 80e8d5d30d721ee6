"""The booking rules on the pages: no quantity where a booking is one place, the price of a family's lunches said in
words, and a time booked already shown rather than booked twice."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from core.models import Booking
from tests.clock import serving

QUANTITY_FIELD = re.compile(r'<input[^>]*type="number"[^>]*name="quantity"|<input[^>]*name="quantity"[^>]*type="number"')


def booked(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Booking))


def test_only_a_service_selling_several_places_asks_how_many(demo, web):
    resident = web("adult")
    lunch = resident.get(f"/book/{demo.slots('Community lunch')[0]['id']}").get_data(as_text=True)
    assert QUANTITY_FIELD.search(lunch) and "How many places" in lunch
    for title in ("Neighbourhood fair", "Hand-sewing piece-work", "Home cleaning, 2 hours"):
        page = resident.get(f"/book/{demo.slots(title)[0]['id']}?quantity=20").get_data(as_text=True)
        assert not QUANTITY_FIELD.search(page) and "How many places" not in page, title
        assert "for 20 places" not in page and 'name="quantity" value="1"' in page, title


def test_a_one_place_booking_is_one_place_whatever_the_form_says(demo, web, db):
    fair = demo.slots("Neighbourhood fair")[0]
    response = web("adult").post(f"/book/{fair['id']}", {"quantity": "20"})
    assert response.status_code == 303
    db.rollback()
    assert db.scalars(select(Booking.quantity)).all() == [1]


def test_the_price_of_a_familys_lunches_says_whose_price_is_whose(demo, web):
    """Wang Nainai's own lunch is free; her family's two at ¥10 each — in words, before and after booking."""
    slot = demo.slots("Community lunch")[0]
    elder = web("elder92")
    page = elder.get(f"/book/{slot['id']}?quantity=3").get_data(as_text=True)
    assert "CN¥20.00" in page
    assert "1 place at your price, CN¥0.00, and 2 others at the regular price, CN¥10.00 each" in page
    chinese = elder.get(f"/book/{slot['id']}?quantity=3", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "1 份按您的价格 ¥0.00，另 2 份按普通价，每份 ¥10.00" in chinese
    done = elder.post(f"/book/{slot['id']}", {"quantity": "3", "payment_method": "cash"})
    assert done.status_code == 303
    booking = elder.get(done.headers["Location"]).get_data(as_text=True)
    assert "CN¥20.00" in booking and "and 2 others at the regular price, CN¥10.00 each" in booking


def test_a_time_booked_already_shows_the_booking_instead_of_booking_it_again(demo, web, db):
    slot = demo.slots("Community lunch")[0]
    resident = web("senior68")
    done = resident.post(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "cash"})
    assert done.status_code == 303
    mine = done.headers["Location"]
    page = resident.get(f"/book/{slot['id']}").get_data(as_text=True)
    assert "You have booked this time already." in page and f'href="{mine}"' in page
    assert "Confirm the booking" not in page
    chinese = resident.get(f"/book/{slot['id']}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "您已经预约了这个时段。" in chinese and "查看预约" in chinese
    again = resident.post(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "cash"})  # a second tab
    assert again.status_code == 409 and f'href="{mine}"' in again.get_data(as_text=True)
    assert "This time is booked already" in again.get_data(as_text=True)
    assert booked(db) == 1


def test_the_counter_asks_how_many_only_where_a_booking_takes_several(demo, web):
    lunch = demo.slots("Community lunch")[0]
    with serving(lunch):
        page = web("canteen").get(f"/operators/{_operator(demo, 'Heping Canteen')}/counter?slot={lunch['id']}"
                                  "&customer=visitor").get_data(as_text=True)
        assert QUANTITY_FIELD.search(page)
    fair = demo.slots("Neighbourhood fair")[0]
    with serving(fair):
        page = web("fair").get(f"/operators/{_operator(demo, 'Heping Neighbourhood Fair')}/counter?slot={fair['id']}"
                               "&customer=visitor").get_data(as_text=True)
        assert not QUANTITY_FIELD.search(page) and 'name="quantity" value="1"' in page


def _operator(demo, name: str) -> int:
    return next(op["id"] for op in demo.client.get("/api/v1/operators?per_page=50").get_json()["items"]
                if op["name"] == name)
