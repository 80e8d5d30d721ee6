"""The market fair through the API: the stall map, vendor tiers, visits, sales pledges and gifts in kind."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from core.models import Booking, Community, InKindDonation, JournalEntry, Slot
from plugins.market_fair.models import Stall
from tests.clock import serving
from tests.factories import DemoWorld, make_community, make_user, resident_tokens
from tests.races import posting
from tests.races import race as race_all

FAIR = "Neighbourhood fair"


def fair_slot(world):
    return world.slots(FAIR)[0]


def fair_id(world):
    return world.listing(FAIR)["operator_id"]


def book_stall(session, slot_id, stall=None, **overrides):
    details = {} if stall is None else {"stall_number": stall}
    return session.post("/bookings", {"slot_id": slot_id, "quantity": 1, "details": details, **overrides})


def stall_map(world, slot_id):
    response = world.client.get(f"/api/v1/market-fair/slots/{slot_id}/stalls")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def heping(db):
    return db.scalar(select(Community).where(Community.slug == "heping"))


def outsider(db, api):
    """A merchant from another community: a resident there, so not one of Heping's."""
    user = make_user(db, "resident", make_community(db))
    db.commit()
    return user, api(user)


def fair_is_over(db, slot_id):
    """Move the fair into the past (it ended an hour ago), as if the day had come and gone."""
    db.commit()
    slot = db.get(Slot, slot_id)
    slot.ends_at = utcnow() - dt.timedelta(hours=1)
    slot.starts_at = slot.ends_at - dt.timedelta(hours=4)
    db.commit()


def test_stalls_are_numbered_on_the_fairs_map(demo):
    slot = fair_slot(demo)
    assert stall_map(demo, slot["id"]) == {"slot_id": slot["id"], "stalls": 40, "taken": [], "free": 40}
    chosen = book_stall(demo.api("adult"), slot["id"], 3)
    assert chosen.status_code == 201, chosen.get_json()
    assert chosen.get_json()["details"] == {"stall_number": 3}
    given = book_stall(demo.api("student"), slot["id"])
    assert given.status_code == 201 and given.get_json()["details"] == {"stall_number": 1}  # the lowest free one
    third = book_stall(demo.api("senior68"), slot["id"])
    assert third.get_json()["details"] == {"stall_number": 2}
    assert stall_map(demo, slot["id"]) == {"slot_id": slot["id"], "stalls": 40, "taken": [1, 2, 3], "free": 37}
    assert demo.api("adult").get(f"/bookings/{chosen.get_json()['id']}").get_json()["details"]["stall_number"] == 3


def test_a_stall_must_be_on_the_map(demo):
    slot, vendor = fair_slot(demo), demo.api("adult")
    for bad in (41, 0, -1, "7", 2.5, True):
        response = book_stall(vendor, slot["id"], bad)
        assert response.status_code == 422, bad
        assert "stall_number" in response.get_json()["errors"]["details"], bad
    unknown = vendor.post("/bookings", {"slot_id": slot["id"], "details": {"stall_number": 4, "tent": True}})
    assert unknown.status_code == 422 and "tent" in unknown.get_json()["errors"]["details"]
    assert stall_map(demo, slot["id"])["taken"] == []
    lunch = demo.slots("Community lunch")[0]["id"]
    assert demo.client.get(f"/api/v1/market-fair/slots/{lunch}/stalls").status_code == 404
    assert demo.client.get("/api/v1/market-fair/slots/999999/stalls").status_code == 404


def test_a_stall_is_booked_by_one_vendor_per_fair(demo):
    slot = fair_slot(demo)
    first = book_stall(demo.api("adult"), slot["id"], 5).get_json()
    twice = book_stall(demo.api("student"), slot["id"], 5)
    assert twice.status_code == 409
    assert twice.get_json()["code"] == "stall_taken" and "Stall 5 is taken" in twice.get_json()["detail"]
    assert "stall_number" in twice.get_json()["errors"]["details"]
    assert book_stall(demo.api("adult"), slot["id"], 6).status_code == 409  # one stall per vendor per fair
    assert stall_map(demo, slot["id"])["taken"] == [5]
    # another fair of the same operator has its own stall 5
    staff = demo.api("fair")
    starts = dt.datetime.fromisoformat(slot["starts_at"]) + dt.timedelta(days=7)
    other = staff.post(f"/listings/{demo.listing(FAIR)['id']}/slots", {
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=4)).isoformat(), "capacity": 40})
    assert other.status_code == 201, other.get_json()
    assert book_stall(demo.api("student"), other.get_json()["id"], 5).status_code == 201
    # a cancelled booking frees its stall
    assert demo.api("adult").post(f"/bookings/{first['id']}/cancel").status_code == 200
    again = book_stall(demo.api("student"), slot["id"], 5)
    assert again.status_code == 201 and again.get_json()["details"] == {"stall_number": 5}


def test_when_every_stall_is_taken_the_next_vendor_is_told(demo, db):
    listing = demo.listing(FAIR)
    staff = demo.api("fair")
    small = staff.post("/listings", {"operator_id": listing["operator_id"], "title": "Small fair",
                                     "details": {"stalls": 2}})
    assert small.status_code == 201, small.get_json()
    starts = dt.datetime.fromisoformat(fair_slot(demo)["starts_at"])
    slot = staff.post(f"/listings/{small.get_json()['id']}/slots", {
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=4)).isoformat(), "capacity": 10})
    slot_id = slot.get_json()["id"]
    assert [book_stall(demo.api(who), slot_id).status_code for who in ("adult", "student")] == [201, 201]
    full = book_stall(demo.api("senior68"), slot_id)
    assert full.status_code == 409 and full.get_json()["code"] == "no_stall_left"
    assert book_stall(demo.api("senior68"), slot_id, 3).status_code == 422  # stall 3 is not on a map of 2
    assert db.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == slot_id)) == 2
    assert db.get(Slot, slot_id).taken == 2  # the refused booking took no place


def test_a_payment_hold_that_ran_out_keeps_no_stall(demo, db, api):
    """An outside merchant's unpaid hold expired in all but name: the stall it held can be booked again."""
    slot = fair_slot(demo)
    merchant, as_merchant = outsider(db, api)
    held = book_stall(as_merchant, slot["id"], 8, payment_method="cash")  # cash: confirmed at once
    assert held.status_code == 201
    db.commit()
    booking = db.get(Booking, held.get_json()["id"])
    booking.status, booking.hold_expires_at = "pending_payment", utcnow() - dt.timedelta(minutes=1)
    db.commit()
    assert stall_map(demo, slot["id"])["taken"] == []
    taken = book_stall(demo.api("adult"), slot["id"], 8)
    assert taken.status_code == 201, taken.get_json()
    db.expire_all()
    assert db.scalars(select(Stall.booking_id).where(Stall.slot_id == slot["id"])).all() == [taken.get_json()["id"]]


def race(app, tokens, bodies):
    return race_all([posting(app, "/bookings", body, token) for token, body in zip(tokens, bodies)])


@pytest.mark.postgres
def test_racing_vendors_never_share_a_stall(app, demo, db):
    """Sixteen vendors ask for stall 7 at once (real threads; on PostgreSQL a real race): one gets it."""
    slot = fair_slot(demo)
    tokens = resident_tokens(db, heping(db), 16)
    results = race(app, tokens, [{"slot_id": slot["id"], "details": {"stall_number": 7}}] * 16)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 15, results
    assert all(body["code"] == "stall_taken" for status, body in results if status == 409)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Stall).where(Stall.slot_id == slot["id"])) == 1
    assert db.get(Slot, slot["id"]).taken == 1


@pytest.mark.postgres
def test_racing_vendors_without_a_number_get_distinct_stalls(app, demo, db):
    slot = fair_slot(demo)
    tokens = resident_tokens(db, heping(db), 12)
    results = race(app, tokens, [{"slot_id": slot["id"], "details": {}}] * 12)
    assert [status for status, _ in results] == [201] * 12, results
    assert sorted(body["details"]["stall_number"] for _, body in results) == list(range(1, 13))
    assert stall_map(demo, slot["id"])["taken"] == list(range(1, 13))


def quote(session, slot_id):
    response = session.post("/quotes", {"slot_id": slot_id, "quantity": 1})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return body["tier"], body["unit_amount"], body["rule"]


def test_vendor_tiers_residents_free_local_merchants_low_cost_outside_merchants_paid(demo, db, api):
    slot = fair_slot(demo)
    assert quote(demo.api("adult"), slot["id"]) == ("free", 0, "resident")  # a resident's flea-market stall
    local, as_local = outsider(db, api)
    far, as_far = outsider(db, api)
    assert quote(as_local, slot["id"]) == ("paid", 5000, "anyone")  # not on the register yet
    staff, vendors = demo.api("fair"), f"/market-fair/operators/{fair_id(demo)}/vendors"
    registered = staff.post(vendors, {"user_id": local.id, "business_name": "Li's Bakery", "tier": "local"})
    assert registered.status_code == 201, registered.get_json()
    assert staff.post(vendors, {"user_id": far.id, "business_name": "City Phones", "tier": "outside"}).status_code \
        == 201
    assert quote(as_local, slot["id"]) == ("low_cost", 2000, "local_merchant")
    assert quote(as_far, slot["id"]) == ("paid", 5000, "anyone")
    booked = book_stall(as_local, slot["id"], payment_method="cash")
    assert booked.status_code == 201
    assert {k: booked.get_json()[k] for k in ("tier", "unit_amount", "total_amount", "status")} == {
        "tier": "low_cost", "unit_amount": 2000, "total_amount": 2000, "status": "confirmed"}
    paid = book_stall(as_far, slot["id"], payment_method="cash")
    assert (paid.get_json()["tier"], paid.get_json()["total_amount"]) == ("paid", 5000)
    _, unpaid = outsider(db, api)
    assert book_stall(unpaid, slot["id"]).status_code == 422  # a paid stall needs a way to pay
    # moving the baker to the outside tier changes later quotes, never the booking made
    moved = staff.patch(f"/market-fair/vendors/{registered.get_json()['id']}", {"tier": "outside"})
    assert moved.status_code == 200 and moved.get_json()["tier"] == "outside"
    assert quote(as_local, slot["id"])[0] == "paid"
    assert as_local.get(f"/bookings/{booked.get_json()['id']}").get_json()["total_amount"] == 2000


def test_the_vendor_register_is_kept_by_the_fairs_staff(demo, db, api):
    path = f"/market-fair/operators/{fair_id(demo)}/vendors"
    merchant, _ = outsider(db, api)
    entry = {"user_id": merchant.id, "business_name": "Wang's Repairs", "tier": "local"}
    assert demo.client.get("/api/v1" + path).status_code == 401
    for who in ("adult", "canteen", "housekeeping", "committee1"):
        assert demo.api(who).get(path).status_code == 403, who
        assert demo.api(who).post(path, entry).status_code == 403, who
    listed = demo.api("staff").get(path)
    assert listed.status_code == 200
    assert [v["business_name"] for v in listed.get_json()["items"]] == ["陈记面馆"]
    assert demo.api("staff").post(path, entry).status_code == 403  # community staff read it, the fair keeps it
    elsewhere = make_user(db, "community_staff", make_community(db))
    db.commit()
    assert api(elsewhere).get(path).status_code == 403
    staff = demo.api("fair")
    canteen_id = demo.listing("Community lunch")["operator_id"]
    assert staff.get(f"/market-fair/operators/{canteen_id}/vendors").status_code == 404
    assert staff.get("/market-fair/operators/999999/vendors").status_code == 404
    for bad, field in (({**entry, "tier": "royal"}, "tier"), ({**entry, "business_name": "  "}, "business_name"),
                       ({**entry, "user_id": "7"}, "user_id"), ({**entry, "user_id": 2**40}, "user_id"),
                       ({"business_name": "x"}, "user_id")):
        response = staff.post(path, bad)
        assert response.status_code == 422 and field in response.get_json()["errors"], bad
    assert staff.post(path, {**entry, "user_id": 999999}).status_code == 422
    created = staff.post(path, entry)
    assert created.status_code == 201
    assert staff.post(path, entry).status_code == 409
    vendor = f"/market-fair/vendors/{created.get_json()['id']}"
    assert demo.api("canteen").patch(vendor, {"tier": "outside"}).status_code == 403
    assert demo.api("staff").patch(vendor, {"tier": "outside"}).status_code == 403
    assert staff.patch("/market-fair/vendors/999999", {"tier": "outside"}).status_code == 404
    assert staff.patch(vendor, {"tier": "royal"}).status_code == 422
    assert staff.get(path).get_json()["total"] == 2


def test_residents_register_free_visits_counted_per_fair(demo, db, api):
    slot = fair_slot(demo)
    visits = f"/market-fair/slots/{slot['id']}/visits"
    assert demo.client.get("/api/v1" + visits).get_json() == {"slot_id": slot["id"], "visits": 0}
    first = demo.api("elder92").post(visits)
    assert first.status_code == 201 and first.get_json()["slot_id"] == slot["id"]
    again = demo.api("elder92").post(visits)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    for who in ("senior68", "student"):
        assert demo.api(who).post(visits).status_code == 201
    assert demo.client.get("/api/v1" + visits).get_json()["visits"] == 3
    assert demo.client.post("/api/v1" + visits).status_code == 401
    assert demo.api("fair").post(visits).status_code == 403  # staff are not residents
    _, stranger = outsider(db, api)
    assert stranger.post(visits).status_code == 403  # a resident of another community
    lunch = demo.slots("Community lunch")[0]["id"]
    assert demo.api("adult").post(f"/market-fair/slots/{lunch}/visits").status_code == 404
    assert demo.client.get(f"/api/v1/market-fair/slots/{lunch}/visits").status_code == 404
    fair_is_over(db, slot["id"])
    assert demo.api("adult").post(visits).status_code == 409
    assert demo.client.get("/api/v1" + visits).get_json()["visits"] == 3


def fund(world):
    response = world.api("committee1").get("/communities/heping/fund")
    assert response.status_code == 200
    return response.get_json()


def test_a_vendors_pledged_share_of_sales_becomes_a_donation_due(demo, db):
    slot = fair_slot(demo)
    vendor = demo.api("adult")
    booking = book_stall(vendor, slot["id"], 12).get_json()
    report = f"/market-fair/bookings/{booking['id']}/sales-report"
    early = vendor.post(report, {"sales_amount": 80_000, "pledged_bps": 500})
    assert early.status_code == 409 and early.get_json()["code"] == "fair_not_over"
    fair_is_over(db, slot["id"])
    before = fund(demo)
    for who in ("student", "canteen", "staff"):  # another vendor, another operator, the community's staff
        assert demo.api(who).post(report, {"sales_amount": 80_000, "pledged_bps": 500}).status_code == 403, who
    for bad, field in (({"sales_amount": -1, "pledged_bps": 500}, "sales_amount"),
                       ({"sales_amount": 100, "pledged_bps": 10_001}, "pledged_bps"),
                       ({"sales_amount": "100", "pledged_bps": 500}, "sales_amount"),
                       ({"pledged_bps": 500}, "sales_amount")):
        response = vendor.post(report, bad)
        assert response.status_code == 422 and field in response.get_json()["errors"], bad
    made = vendor.post(report, {"sales_amount": 86_543, "pledged_bps": 500})
    assert made.status_code == 201, made.get_json()
    assert {k: made.get_json()[k] for k in ("booking_id", "sales_amount", "pledged_bps", "pledged_amount",
                                            "currency")} == {
        "booking_id": booking["id"], "sales_amount": 86_543, "pledged_bps": 500, "pledged_amount": 4_327,
        "currency": "CNY"}  # 5% of ¥865.43 is ¥43.2715: ¥43.27
    assert vendor.post(report, {"sales_amount": 1, "pledged_bps": 1}).status_code == 409  # reported once
    after = fund(demo)
    assert after["receivable_amount"] - before["receivable_amount"] == 4_327
    assert after["balance_amount"] == before["balance_amount"]  # due, not yet received
    db.expire_all()
    entry = db.scalar(select(JournalEntry).where(JournalEntry.source == f"market_fair:sales:{made.get_json()['id']}"))
    assert (entry.kind, entry.operator_id) == ("donation", fair_id(demo))
    listed = demo.api("staff").get(f"/market-fair/operators/{fair_id(demo)}/sales-reports")
    assert listed.status_code == 200 and [r["pledged_amount"] for r in listed.get_json()["items"]] == [4_327]
    assert vendor.get(f"/market-fair/operators/{fair_id(demo)}/sales-reports").status_code == 403


def test_the_fairs_staff_report_for_a_vendor_and_nothing_is_pledged_at_zero(demo, db):
    slot = fair_slot(demo)
    booking = book_stall(demo.api("student"), slot["id"]).get_json()
    fair_is_over(db, slot["id"])
    before = fund(demo)
    made = demo.api("fair").post(f"/market-fair/bookings/{booking['id']}/sales-report",
                                 {"sales_amount": 12_000, "pledged_bps": 0})
    assert made.status_code == 201 and made.get_json()["pledged_amount"] == 0
    assert fund(demo)["receivable_amount"] == before["receivable_amount"]
    lunch = demo.api("adult").post("/bookings", {"slot_id": demo.slots("Community lunch")[0]["id"],
                                                 "payment_method": "cash"}).get_json()
    not_a_stall = demo.api("adult").post(f"/market-fair/bookings/{lunch['id']}/sales-report",
                                         {"sales_amount": 1, "pledged_bps": 1})
    assert not_a_stall.status_code == 404
    assert demo.api("adult").post("/market-fair/bookings/999999/sales-report",
                                  {"sales_amount": 1, "pledged_bps": 1}).status_code == 404


def test_a_cancelled_stall_has_no_sales_to_report(demo, db):
    slot = fair_slot(demo)
    booking = book_stall(demo.api("adult"), slot["id"]).get_json()
    assert demo.api("adult").post(f"/bookings/{booking['id']}/cancel").status_code == 200
    fair_is_over(db, slot["id"])
    refused = demo.api("adult").post(f"/market-fair/bookings/{booking['id']}/sales-report",
                                     {"sales_amount": 5_000, "pledged_bps": 1_000})
    assert refused.status_code == 409 and refused.get_json()["code"] == "no_sales_to_report"


GIFT = {"donor": "Heping Fruit Shop", "item": "Boxes of oranges", "quantity": 12, "declared_value_amount": 36_000}


def test_gifts_in_kind_go_into_the_fund_apart_from_its_cash(demo, db):
    slot = fair_slot(demo)
    before = fund(demo)
    with serving(slot):  # given at the fair, recorded that day
        gift = demo.api("fair").post(f"/market-fair/slots/{slot['id']}/in-kind", GIFT)
        assert gift.status_code == 201, gift.get_json()
        fair_day = dt.datetime.fromisoformat(slot["starts_at"]).date().isoformat()
        assert {k: gift.get_json()[k] for k in (*GIFT, "operator_id", "currency", "received_on")} == {
            **GIFT, "operator_id": fair_id(demo), "currency": "CNY", "received_on": fair_day}
        after = fund(demo)
        assert after["in_kind_amount"] - before["in_kind_amount"] == 36_000
        assert (after["balance_amount"], after["receivable_amount"]) == (before["balance_amount"],
                                                                         before["receivable_amount"])
        items = demo.api("committee1").get("/communities/heping/fund/in-kind").get_json()["items"]
        assert [(i["item"], i["quantity"], i["declared_value_amount"], i["donor"]) for i in items] == [
            ("Boxes of oranges", 12, 36_000, "Heping Fruit Shop")]
        db.expire_all()
        entry = db.scalar(select(JournalEntry).where(JournalEntry.kind == "in_kind"))
        assert entry.operator_id == fair_id(demo) and entry.effective_on.isoformat() == fair_day
        later = demo.api("staff").post(f"/market-fair/slots/{slot['id']}/in-kind",
                                       {**GIFT, "item": "Rice, 10 kg bags", "received_on": "2026-03-02"})
        assert later.status_code == 201 and later.get_json()["received_on"] == "2026-03-02"
        assert demo.api("committee2").post(f"/market-fair/slots/{slot['id']}/in-kind", GIFT).status_code == 201


def test_gifts_in_kind_are_recorded_only_by_the_fair_the_community_and_the_committee(demo, db, api):
    slot = fair_slot(demo)
    path = f"/market-fair/slots/{slot['id']}/in-kind"
    assert demo.client.post("/api/v1" + path, json=GIFT).status_code == 401
    for who in ("adult", "canteen", "charity"):
        assert demo.api(who).post(path, GIFT).status_code == 403, who
    elsewhere = make_user(db, "community_staff", make_community(db))
    db.commit()
    assert api(elsewhere).post(path, GIFT).status_code == 403
    for bad, field in (({**GIFT, "quantity": 0}, "quantity"), ({**GIFT, "item": " "}, "item"),
                       ({**GIFT, "declared_value_amount": -5}, "declared_value_amount"),
                       ({**GIFT, "declared_value_amount": 1.5}, "declared_value_amount"),
                       ({k: v for k, v in GIFT.items() if k != "donor"}, "donor"),
                       ({**GIFT, "received_on": "yesterday"}, "received_on")):
        response = demo.api("fair").post(path, bad)
        assert response.status_code == 422 and field in response.get_json()["errors"], bad
    lunch = demo.slots("Community lunch")[0]["id"]
    assert demo.api("fair").post(f"/market-fair/slots/{lunch}/in-kind", GIFT).status_code == 404
    assert db.scalar(select(func.count()).select_from(InKindDonation)) == 0


def test_the_openapi_document_describes_the_market_fair_api(demo):
    paths = demo.client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/market-fair/slots/{slot_id}/stalls", "/api/v1/market-fair/operators/{operator_id}/vendors",
            "/api/v1/market-fair/slots/{slot_id}/visits", "/api/v1/market-fair/bookings/{booking_id}/sales-report",
            "/api/v1/market-fair/slots/{slot_id}/in-kind"} <= set(paths)


def test_without_the_market_fair_the_core_and_the_other_plugins_still_work(make_app):
    from core import demo as demo_data

    app = make_app(DISABLED_PLUGINS="market_fair")
    assert demo_data.seed(app)
    world = DemoWorld(app.test_client())
    assert {t["key"] for t in world.client.get("/api/v1/operator-types").get_json()} == {
        "canteen", "housekeeping", "workshop"}
    assert not any("/market-fair/" in path for path in world.client.get("/api/v1/openapi.json").get_json()["paths"])
    assert world.client.get("/api/v1/market-fair/slots/1/stalls").status_code == 404
    assert world.client.get("/api/v1/listings?type=market_fair").get_json()["total"] == 0
    lunch = world.api("elder92").post("/bookings", {"slot_id": world.slots("Community lunch")[0]["id"],
                                                    "details": {"home_delivery": True}})
    assert lunch.status_code == 201 and lunch.get_json()["tier"] == "free"
    cleaning = world.api("adult").post("/bookings", {"slot_id": world.slots("Home cleaning, 2 hours")[0]["id"],
                                                     "payment_method": "cash", "details": {"address": "Heping Road 1"}})
    assert cleaning.status_code == 201 and cleaning.get_json()["details"]["worker"]["name"]
    shift = world.api("student").post("/bookings", {"slot_id": world.slots("Hand-sewing piece-work")[0]["id"]})
    assert shift.status_code == 201
    period = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    assert world.api("committee1").post(f"/communities/heping/settlements/{period}").status_code == 200
