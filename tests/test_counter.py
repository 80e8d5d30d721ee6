"""The counter through the API: walk-in sales (POST /bookings/walk-in) and the search for customers, as a canteen's
window uses them — the resident's tier or the visitor's price, the cash in the books exactly as at a cash check-in,
capacity shared with the online bookings (also racing them on PostgreSQL), and nothing sold twice."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core import checks
from core.phones import masked
from core.models import Booking, JournalEntry, Payment, Slot
from plugins.canteen.plugin import DEFAULT_RULES
from tests.clock import at, serving, starts
from tests.factories import PASSWORD, logged_in, make_community, make_listing, make_operator, make_slot, make_user
from tests.races import posting, race

WALK_IN = "/bookings/walk-in"


def lunch(demo, day=0):
    return demo.slots("Community lunch")[day]


def user_id(api) -> int:
    return api.get("/me").get_json()["id"]


def sell(api, slot, quantity=1, resident=None, **kwargs):
    body = {"slot_id": slot["id"] if isinstance(slot, dict) else slot.id, "quantity": quantity}
    if resident is not None:
        body["resident_id"] = resident
    return api.post(WALK_IN, body, **kwargs)


def written(db) -> tuple[int, int, int, int]:
    """Bookings, payments, journal entries and places taken: what a refused sale must leave as it was."""
    db.rollback()
    return (db.scalar(select(func.count()).select_from(Booking)), db.scalar(select(func.count()).select_from(Payment)),
            db.scalar(select(func.count()).select_from(JournalEntry)), db.scalar(select(func.sum(Slot.taken))))


# --- who pays what -----------------------------------------------------------------------------------------------

def test_a_visitor_pays_the_price_for_everyone_and_is_served_at_once(demo):
    canteen = demo.api("canteen")
    slot = lunch(demo)
    with serving(slot):
        sold = sell(canteen, slot)
    assert sold.status_code == 201, sold.get_json()
    booking = sold.get_json()
    assert (booking["status"], booking["payment_method"], booking["tier"], booking["total_amount"]) == (
        "fulfilled", "cash", "paid", 1000)
    assert booking["resident_id"] is None and booking["booked_by_id"] == user_id(canteen)
    assert booking["rule"] == "anyone"


@pytest.mark.parametrize("who, tier, amount, quantity, total, method", [
    ("senior68", "low_cost", 500, 1, 500, "cash"), ("elder92", "free", 0, 1, 0, None),
    ("elder92", "free", 0, 2, 1000, "cash")])  # her own lunch free, her son's at the price for everyone
def test_a_resident_gets_their_own_tier(demo, who, tier, amount, quantity, total, method):
    resident = user_id(demo.api(who))
    slot = lunch(demo)
    with serving(slot):
        sold = sell(demo.api("canteen"), slot, quantity=quantity, resident=resident)
    assert sold.status_code == 201, sold.get_json()
    booking = sold.get_json()
    assert (booking["tier"], booking["unit_amount"], booking["total_amount"], booking["payment_method"]) == (
        tier, amount, total, method)
    assert booking["resident_id"] == resident and booking["status"] == "fulfilled"
    mine = demo.api(who).get("/bookings").get_json()["items"]  # the resident sees it among their own
    assert [b["id"] for b in mine] == [booking["id"]]


# --- the books -----------------------------------------------------------------------------------------------------

@pytest.fixture
def window(app, db):
    """A canteen giving 10 % of its revenue (due on cash), a lunch of 5 places, its staff and two residents of 60+."""
    community = make_community(db)
    operator = make_operator(db, community, "canteen")
    slot = make_slot(db, make_listing(db, operator, price_rules=DEFAULT_RULES, title="Lunch"), capacity=5)
    staff = make_user(db, "operator_staff", community, operator)
    seniors = [make_user(db, "resident", community, born=dt.date(1950, 1, 1)) for _ in range(2)]
    db.commit()
    client = app.test_client()
    return SimpleNamespace(slot=slot, operator=operator, staff=logged_in(client, staff),
                           seniors=[(s.id, logged_in(client, s)) for s in seniors])


def books_of(db, booking_id: int):
    """What the ledger and the payments hold for a booking, without ids and dates: entries with their lines."""
    db.rollback()
    entries = db.scalars(select(JournalEntry).where(JournalEntry.booking_id == booking_id)).all()
    payments = db.scalars(select(Payment).where(Payment.booking_id == booking_id)).all()
    return (sorted((e.kind, e.operator_id, sorted((ln.account, ln.side, ln.amount, ln.operator_id) for ln in e.lines))
                   for e in entries),
            [(p.provider, p.status, p.amount, p.donation_amount, p.refunded_amount) for p in payments])


def test_the_cash_of_a_sale_is_in_the_books_exactly_as_at_a_cash_check_in(window, db):
    (first, first_api), (second, _) = window.seniors
    booked = first_api.post("/bookings", {"slot_id": window.slot.id, "payment_method": "cash"})
    assert booked.status_code == 201, booked.get_json()
    with serving(window.slot):
        checked_in = window.staff.post(f"/bookings/{booked.get_json()['id']}/check-in")
        sold = sell(window.staff, window.slot, resident=second)
    assert checked_in.status_code == 200 and sold.status_code == 201, sold.get_json()
    at_check_in, at_counter = books_of(db, booked.get_json()["id"]), books_of(db, sold.get_json()["id"])
    assert at_counter == at_check_in
    entries, payments = at_counter
    assert payments == [("cash", "succeeded", 500, 50, 0)]  # the donation share is due from the operator
    assert [kind for kind, _, _ in entries] == ["donation", "payment"]
    assert checks.violations(db) == []


def test_selling_more_than_is_left_is_a_409_and_writes_nothing(window, db):
    with serving(window.slot):
        assert sell(window.staff, window.slot, quantity=3).status_code == 201
        before = written(db)
        refused = sell(window.staff, window.slot, quantity=3, resident=window.seniors[0][0])
        assert written(db) == before
        assert sell(window.staff, window.slot, quantity=2).status_code == 201  # the last two places
    assert refused.status_code == 409, refused.get_json()
    assert refused.get_json()["code"] == "slot_full" and "only 2" in refused.get_json()["detail"]
    assert written(db)[3] == 5
    assert checks.violations(db) == []


@pytest.mark.parametrize("moment, code", [
    (lambda slot: starts(slot) - dt.timedelta(hours=3, minutes=1), "check_in_not_open"),
    (lambda slot: starts(slot) + dt.timedelta(hours=1, minutes=31) + dt.timedelta(hours=24), "check_in_closed"),
])
def test_the_window_sells_only_while_check_in_is_open(demo, db, moment, code):
    slot = lunch(demo)  # 11:30-13:00: open from 08:30 until 13:00 the next day
    before = written(db)
    with at(moment(slot)):
        refused = sell(demo.api("canteen"), slot)
    assert refused.status_code == 409 and refused.get_json()["code"] == code, refused.get_json()
    assert written(db) == before
    with at(starts(slot) - dt.timedelta(hours=2, minutes=59)):
        assert sell(demo.api("canteen"), slot).status_code == 201


@pytest.mark.parametrize("who, status", [("housekeeping", 403), ("senior68", 403), ("staff", 403), ("admin", 201)])
def test_only_the_operators_own_staff_sell_at_its_window(demo, db, who, status):
    slot = lunch(demo)
    before = written(db)
    with serving(slot):
        response = sell(demo.api(who), slot)
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert written(db) == before


def test_a_resident_who_moved_away_is_a_409(demo, db):
    staff = demo.api("staff")
    gone = staff.post("/communities/heping/residents", {"name": "赵大爷", "phone": "13600136000",
                                                        "date_of_birth": "1940-01-01"}).get_json()
    assert staff.post(f"/residents/{gone['id']}/deactivate").status_code == 200
    slot = lunch(demo)
    before = written(db)
    with serving(slot):
        refused = sell(demo.api("canteen"), slot, resident=gone["id"])
        chinese = sell(demo.api("canteen"), slot, resident=gone["id"], headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "resident_inactive"
    assert chinese.get_json()["detail"].startswith("该居民已迁出")
    assert written(db) == before


def test_a_resident_of_another_community_cannot_be_sold_to(demo, db):
    elsewhere = make_community(db, slug="elsewhere")
    stranger = make_user(db, "resident", elsewhere, born=dt.date(1930, 1, 1))
    db.commit()
    slot = lunch(demo)
    with serving(slot):
        refused = sell(demo.api("canteen"), slot, resident=stranger.id)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_on_behalf"


def test_a_retry_with_the_same_idempotency_key_sells_once(demo, db):
    slot = lunch(demo)
    canteen = demo.api("canteen")
    key = {"Idempotency-Key": "till-7-sale-42"}
    with serving(slot):
        first = sell(canteen, slot, quantity=2, headers=key)
        again = sell(canteen, slot, quantity=2, headers=key)
        other = sell(canteen, slot, quantity=1, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == slot["id"])) == 1
    assert db.scalar(select(Slot.taken).where(Slot.id == slot["id"])) == 2


# --- finding the customer ------------------------------------------------------------------------------------------

def register(demo, name, phone, born="1950-05-01", building="3"):
    response = demo.api("staff").post("/communities/heping/residents", {
        "name": name, "phone": phone, "date_of_birth": born, "address": "和平路 12 号", "building": building})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def canteen_id(demo) -> int:
    return demo.listing("Community lunch")["operator_id"]


def test_the_counter_finds_residents_by_the_last_digits_with_a_masked_phone_only(demo, db):
    wang = register(demo, "王秀英", "13800138000")
    register(demo, "王建国", "13912345678", building="5")
    gone = register(demo, "王老五", "13700008000")
    demo.api("staff").post(f"/residents/{gone['id']}/deactivate")
    elsewhere = make_community(db, slug="elsewhere")
    other = make_user(db, "resident", elsewhere)
    other.profile.phone = "13500008000"
    db.commit()
    found = demo.api("canteen").get(f"/operators/{canteen_id(demo)}/customers?q=8000")
    assert found.status_code == 200, found.get_json()
    assert found.get_json() == [{"id": wang["id"], "name": "王秀英", "building": "3",
                                 "masked_phone": "138****8000", "status": "active"}]
    body = found.get_data(as_text=True)
    assert "13800138000" not in body and "1950" not in body and "和平路" not in body
    by_name = demo.api("canteen").get(f"/operators/{canteen_id(demo)}/customers?q=王").get_json()
    assert [c["name"] for c in by_name] == ["王奶奶", "王建国", "王淑珍", "王秀英"]  # not one who moved away


@pytest.mark.parametrize("who", ["housekeeping", "senior68", "staff"])
def test_only_the_operators_staff_search_its_customers(demo, who):
    register(demo, "王秀英", "13800138000")
    refused = demo.api(who).get(f"/operators/{canteen_id(demo)}/customers?q=8000")
    assert refused.status_code == 403, refused.get_json()


def test_a_search_needs_words(demo):
    response = demo.api("canteen").get(f"/operators/{canteen_id(demo)}/customers?q=")
    assert response.status_code == 422


@pytest.mark.parametrize("phone, expected", [("13800138000", "138****8000"), (None, ""), ("", "")])
def test_a_phone_is_masked_to_its_first_three_and_last_four_digits(phone, expected):
    assert masked(phone) == expected


# --- racing the online bookings ----------------------------------------------------------------------------------

@pytest.mark.postgres
def test_walk_ins_and_online_bookings_racing_for_the_last_places_never_oversell(app, db):
    """A lunch of 30 places with 24 booked; 12 sales at the window and 12 online cash bookings race for the last 6."""
    community = make_community(db)
    operator = make_operator(db, community, "canteen")
    slot = make_slot(db, make_listing(db, operator, price_rules=DEFAULT_RULES), capacity=30)
    # 12 book online, 1 books a group, 6 are served at the window: a resident books a time once
    residents = [make_user(db, "resident", community, born=dt.date(1950, 1, 1)) for _ in range(19)]
    cashiers = [make_user(db, "operator_staff", community, operator) for _ in range(3)]
    db.commit()
    client = app.test_client()
    tokens = [client.post("/api/v1/auth/token", json={"email": u.email, "password": PASSWORD}).get_json()["token"]
              for u in residents[:13] + cashiers]
    group = client.post("/api/v1/bookings", json={"slot_id": slot.id, "quantity": 24, "payment_method": "cash"},
                        headers={"Authorization": f"Bearer {tokens.pop(12)}"})
    assert group.status_code == 201, group.get_json()
    online = [posting(app, "/bookings", {"slot_id": slot.id, "payment_method": "cash"}, token) for token in tokens[:12]]
    walk_ins = [posting(app, WALK_IN, {"slot_id": slot.id, "resident_id": residents[13 + n // 2].id if n % 2 else None},
                        tokens[12 + n % 3]) for n in range(12)]
    with at(starts(slot) - dt.timedelta(hours=1)):  # the window is open and online booking still is
        results = race([call for pair in zip(online, walk_ins) for call in pair])
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409} and statuses.count(201) == 6, statuses
    assert all(body["code"] == "slot_full" for status, body in results if status == 409)
    db.rollback()
    ids = [body["id"] for status, body in results if status == 201]
    sold = db.scalars(select(Booking).where(Booking.id.in_(ids))).all()
    assert sorted(b.status for b in sold) == sorted("fulfilled" if b.booked_by_id else "confirmed" for b in sold)
    assert db.scalar(select(Slot.taken).where(Slot.id == slot.id)) == 30
    assert db.scalar(select(func.sum(Booking.quantity)).where(Booking.slot_id == slot.id)) == 30
    served = [b.id for b in sold if b.status == "fulfilled"]
    paid = db.scalars(select(Payment.booking_id).where(Payment.booking_id.in_(served))).all()
    assert sorted(paid) == sorted(served)  # each sale's cash recorded (a visitor 10.00, a resident of 60+ 5.00)
    assert checks.violations(db) == []
