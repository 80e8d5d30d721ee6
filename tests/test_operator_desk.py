"""The operator's desk: declaring a month's costs, when the donation is worked out, residents' comments, the day list."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.models import ClosedPeriod, Community, OperatorCost, Slot, User
from core.web.i18n import day_of
from tests.clock import serving_booking

ZONE = ZoneInfo("Asia/Shanghai")


def count_costs(db):
    db.rollback()  # a new read transaction sees what the pages committed
    return db.scalar(select(func.count()).select_from(OperatorCost))


def operator_of(demo, title):
    return demo.listing(title)["operator_id"]


def this_month():
    return dt.datetime.now(ZONE).strftime("%Y-%m")


def in_chinese(web, local):
    reader = web(local)
    reader.get("/lang/zh_Hans?next=/")
    return reader


def day_page(web, local, operator, slot_id, db):
    date = day_of(db.get(Slot, slot_id).starts_at, "Asia/Shanghai").isoformat()
    return web(local).get(f"/operators/{operator}/today?date={date}").get_data(as_text=True)


# --- costs ---------------------------------------------------------------------------------------------------------

def test_the_cook_declares_a_cost_and_reads_it_on_the_statement(demo, web, db):
    canteen = operator_of(demo, "Community lunch")
    cook = web("canteen")
    page = cook.get(f"/operators/{canteen}/statement").get_data(as_text=True)
    assert f'value="{this_month()}"' in page and "No costs declared for this month." in page
    declared = cook.post(f"/operators/{canteen}/costs", {"period": this_month(), "amount": "1200.50",
                                                         "description": " Rice and oil "})
    assert declared.status_code == 303 and f"period={this_month()}" in declared.headers["Location"]
    shown = cook.get(declared.headers["Location"]).get_data(as_text=True)
    assert "The cost is declared." in shown and "Rice and oil" in shown and shown.count("CN¥1,200.50") == 2
    cost = db.scalar(select(OperatorCost))
    assert (cost.operator_id, cost.period, cost.amount, cost.description) == (canteen, this_month(), 120050,
                                                                              "Rice and oil")
    api = demo.api("canteen").get(f"/operators/{canteen}/costs").get_json()["items"]
    assert [item["amount"] for item in api] == [120050]  # the API's service, the API's list


@pytest.mark.parametrize("form, field_message", [
    ({"amount": "abc"}, "Write an amount above zero"),
    ({"amount": "-5"}, "Write an amount above zero"),
    ({"amount": "0"}, "Write an amount above zero"),
    ({"amount": "12.345"}, "Use at most two decimals."),
    ({"amount": ""}, "Write an amount above zero"),
    ({"amount": "NaN"}, "Write an amount above zero"),
    ({"period": "2026-13"}, "Write the month as YYYY-MM"),
    ({"period": ""}, "Please fill this in."),
    ({"description": "  "}, "Please fill this in."),
    ({"description": "x" * 301}, "At most 300 characters."),
])
def test_bad_cost_input_is_a_form_error_and_writes_nothing(demo, web, db, form, field_message):
    canteen = operator_of(demo, "Community lunch")
    cook = web("canteen")
    cook.get(f"/operators/{canteen}/statement")
    refused = cook.post(f"/operators/{canteen}/costs", {"period": this_month(), "amount": "35", "description": "Gas",
                                                        **form})
    assert refused.status_code == 422
    assert field_message in refused.get_data(as_text=True)
    assert count_costs(db) == 0


def test_a_cost_form_error_reads_in_chinese(demo, web, db):
    canteen = operator_of(demo, "Community lunch")
    cook = in_chinese(web, "canteen")
    page = cook.get(f"/operators/{canteen}/statement").get_data(as_text=True)
    assert "申报一项成本" in page
    refused = cook.post(f"/operators/{canteen}/costs", {"period": "11/2026", "amount": "abc", "description": ""})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请填写这一项。" in body and "请填一个大于零的金额" in body
    assert count_costs(db) == 0


def test_a_closed_month_takes_no_more_costs(demo, web, db):
    canteen = operator_of(demo, "Community lunch")
    community = db.scalar(select(Community).where(Community.slug == "heping"))
    db.add(ClosedPeriod(community_id=community.id, period="2026-10"))
    db.commit()
    cook = web("canteen")
    cook.get(f"/operators/{canteen}/statement?period=2026-10")
    refused = cook.post(f"/operators/{canteen}/costs", {"period": "2026-10", "amount": "80", "description": "Gas"})
    assert refused.status_code == 409
    assert "2026-10 is closed: its figures never change again." in refused.get_data(as_text=True)
    assert count_costs(db) == 0


def test_only_the_operators_own_staff_declare_its_costs(demo, web, db):
    canteen = operator_of(demo, "Community lunch")
    for local in ("fair", "senior68", "committee1"):
        intruder = web(local)
        intruder.get("/")
        refused = intruder.post(f"/operators/{canteen}/costs", {"period": this_month(), "amount": "5",
                                                                "description": "Rice"})
        assert refused.status_code == 403, local
    assert count_costs(db) == 0


# --- when the donation is worked out ----------------------------------------------------------------------------

@pytest.mark.parametrize("title, local, sentence", [
    ("Community lunch", "canteen", "It is worked out at month end, when the month is settled, from the month's "
                                   "revenue minus the costs you declared"),
    ("Hand-sewing piece-work", "workshop", "The month's part is charged at month end, when the month is settled"),
    ("Home cleaning, 2 hours", "housekeeping", "It is taken with each payment"),
])
def test_the_statement_says_when_the_donation_is_worked_out(demo, web, title, local, sentence):
    page = web(local).get(f"/operators/{operator_of(demo, title)}/statement").get_data(as_text=True)
    assert sentence in page
    assert ("Declare your costs before the month ends." in page) == (local == "canteen")


def test_the_cook_reads_in_chinese_that_the_profit_share_comes_at_month_end(demo, web):
    page = in_chinese(web, "canteen").get(
        f"/operators/{operator_of(demo, 'Community lunch')}/statement").get_data(as_text=True)
    assert "月底结算时" in page and "请在月底前申报成本" in page


# --- what residents said --------------------------------------------------------------------------------------------

def test_the_operator_reads_residents_comments_without_their_names(demo, web, db):
    slot = demo.slots("Community lunch")[0]
    resident = demo.api("senior68")
    booking = resident.post("/bookings", {"slot_id": slot["id"], "payment_method": "cash"}).get_json()
    with serving_booking(demo.client, booking):
        assert demo.api("canteen").post(f"/bookings/{booking['id']}/check-in").status_code == 200
    assert resident.post(f"/bookings/{booking['id']}/rating", {"stars": 4, "comment": "Soup a bit salty"}
                         ).status_code == 201
    canteen = operator_of(demo, "Community lunch")
    cook = web("canteen")
    listings = cook.get(f"/operators/{canteen}/listings").get_data(as_text=True)
    assert f'/operators/{canteen}/ratings"' in listings
    page = cook.get(f"/operators/{canteen}/ratings").get_data(as_text=True)
    assert "Soup a bit salty" in page and "4 stars out of 5" in page and "Community lunch" in page
    name = db.scalar(select(User.name).where(User.email == "senior68@example.org"))
    assert name not in page
    assert "No ratings yet." in web("fair").get(f"/operators/{operator_of(demo, 'Neighbourhood fair')}/ratings"
                                                ).get_data(as_text=True)


# --- the day list ---------------------------------------------------------------------------------------------------

def test_the_day_list_marks_a_home_delivery_and_a_family_lunch(demo, web, db):
    slot = demo.slots("Community lunch")[0]
    delivered = demo.api("elder92").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash",
                                                       "details": {"home_delivery": True}})
    assert delivered.status_code == 201, delivered.get_json()
    family = demo.api("adult").post("/bookings", {"slot_id": slot["id"], "quantity": 3, "payment_method": "cash"})
    assert family.status_code == 201, family.get_json()
    page = day_page(web, "canteen", operator_of(demo, "Community lunch"), slot["id"], db)
    row = page[page.index(f'data-testid="booking-{delivered.get_json()["id"]}"'):]
    assert row.index("Home delivery") < row.index('data-testid="booking-', 10)
    family_row = page[page.index(f'data-testid="booking-{family.get_json()["id"]}"'):]
    assert "× 3" in family_row[:400] and "Home delivery" not in family_row


def test_a_home_cleaning_on_the_day_list_is_cash_paid_to_the_worker_at_the_address(demo, web, db):
    cleaning = demo.slots("Home cleaning, 2 hours")[0]
    booked = demo.api("adult").post("/bookings", {"slot_id": cleaning["id"], "payment_method": "cash",
                                                  "details": {"address": "3-2-101 Heping Road"}}).get_json()
    home = operator_of(demo, "Home cleaning, 2 hours")
    page = day_page(web, "housekeeping", home, cleaning["id"], db)
    assert "Address</strong>: 3-2-101 Heping Road" in page
    assert "Served: the worker took CN¥120.00 cash" in page and "Cash, paid to the worker at the home" in page
    assert "Check in and take" not in page
    worker = web("housekeeping")
    date = day_of(db.get(Slot, cleaning["id"]).starts_at,
                  "Asia/Shanghai").isoformat()
    worker.get(f"/operators/{home}/today?date={date}")
    with serving_booking(demo.client, booked):
        done = worker.post(f"/operators/{home}/bookings/{booked['id']}/check-in", {"date": date})
        assert "CN¥120.00 cash paid to the worker recorded" in worker.get(done.headers["Location"]).get_data(
            as_text=True)
