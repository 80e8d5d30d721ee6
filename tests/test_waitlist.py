"""The waiting list of a full time (SPEC §11.7): joining, places in line, offers on freed places, accepting at
one's own price, declining and lapsing passing the place on, and who may see what."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from core.db import utcnow
from core.models import Listing, Notification, Slot, WaitlistEntry
from tests.factories import make_community, make_listing, make_operator, make_slot, make_user

SENIOR_PAYS_LESS = [{"name": "senior", "when": {"min_age": 60}, "tier": "low_cost", "amount": 300},
                    {"name": "anyone", "when": {}, "tier": "paid", "amount": 1000}]


@pytest.fixture
def full(app, db, api):
    """A time of 2 places, both booked by two residents; three more residents (the third a senior), the operator's
    staff and the community's staff, each logged in."""
    community = make_community(db)
    operator = make_operator(db, community)
    slot = make_slot(db, make_listing(db, operator, price_rules=SENIOR_PAYS_LESS), capacity=2)
    people = {name: make_user(db, "resident", community) for name in ("b1", "b2", "w1", "w2")}
    people["senior"] = make_user(db, "resident", community, born=dt.date(1950, 1, 1))
    people["other"] = make_user(db, "resident", make_community(db))
    people["staff"] = make_user(db, "community_staff", community)
    people["operator"] = make_user(db, "operator_staff", community, operator)
    people["rival"] = make_user(db, "operator_staff", community, make_operator(db, community))
    db.commit()
    sessions = {name: api(user) for name, user in people.items()}
    bookings = [sessions[name].post("/bookings", {"slot_id": slot.id, "payment_method": "cash"}).get_json()["id"]
                for name in ("b1", "b2")]
    return {"slot": slot.id, "api": sessions, "bookings": bookings, "users": people}


def join(world, name):
    return world["api"][name].post(f"/slots/{world['slot']}/waitlist")


def mine(world, name):
    return world["api"][name].get("/me/waitlist").get_json()["items"]


def cancel(world, index):
    response = world["api"][f"b{index + 1}"].post(f"/bookings/{world['bookings'][index]}/cancel")
    assert response.status_code == 200, response.get_json()


def taken(db, slot_id):
    db.expire_all()
    value = db.get(Slot, slot_id).taken
    db.commit()
    return value


def test_residents_join_in_order_and_see_their_place_in_line(full):
    first, second = join(full, "w1"), join(full, "senior")
    assert first.status_code == second.status_code == 201
    assert {k: first.get_json()[k] for k in ("slot_id", "position", "status")} == {
        "slot_id": full["slot"], "position": 1, "status": "waiting"}
    assert second.get_json()["position"] == 2
    assert [(e["id"], e["position"]) for e in mine(full, "senior")] == [(second.get_json()["id"], 2)]


def test_joining_twice_a_time_with_places_or_a_time_one_booked_is_a_409(app, db, full):
    assert join(full, "w1").status_code == 201
    again = join(full, "w1")
    assert (again.status_code, again.get_json()["code"]) == (409, "already_waiting")
    booked = join(full, "b1")
    assert (booked.status_code, booked.get_json()["code"]) == (409, "already_booked")
    cancel(full, 0)  # the place goes to w1: still full
    assert join(full, "w2").status_code == 201
    roomy = make_slot(db, db.get(Listing, db.get(Slot, full["slot"]).listing_id), capacity=5)
    db.commit()
    refused = full["api"]["w2"].post(f"/slots/{roomy.id}/waitlist")
    assert (refused.status_code, refused.get_json()["code"]) == (409, "places_remain")


def test_whoever_may_not_book_may_not_wait(app, db, full):
    refused = full["api"]["operator"].post(f"/slots/{full['slot']}/waitlist")
    assert refused.status_code == 403
    slot = db.get(Slot, full["slot"])
    slot.cancelled_at, slot.cancel_reason = utcnow(), "Rain"
    db.commit()
    called_off = join(full, "w1")
    assert (called_off.status_code, called_off.get_json()["code"]) == (409, "slot_called_off")
    assert full["api"]["w1"].post("/slots/999999/waitlist").status_code == 404
    assert full["api"]["w1"].post(f"/slots/{full['slot']}/waitlist", {"details": "lunch"}).status_code == 422
    assert db.scalar(select(WaitlistEntry.id)) is None


def test_a_cancelled_booking_offers_its_place_to_the_first_in_line_and_holds_it(app, db, full):
    first, second = join(full, "senior").get_json(), join(full, "w1").get_json()
    cancel(full, 0)
    assert taken(db, full["slot"]) == 2  # held for the senior: nobody else can book it
    shown = mine(full, "senior")[0]
    assert (shown["status"], shown["position"]) == ("offered", None)
    assert mine(full, "w1")[0]["position"] == 1
    late = full["api"]["w2"].post("/bookings", {"slot_id": full["slot"], "payment_method": "cash"})
    assert (late.status_code, late.get_json()["code"]) == (409, "slot_full")
    told = db.scalars(select(Notification).where(Notification.kind == "waitlist_offered")).all()
    assert [n.user_id for n in told] == [full["users"]["senior"].id]
    assert second["position"] == 2 and first["position"] == 1


def test_accepting_books_the_held_place_at_ones_own_price(app, db, full):
    entry = join(full, "senior").get_json()
    cancel(full, 0)
    accepted = full["api"]["senior"].post(f"/waitlist/{entry['id']}/accept", {"payment_method": "cash"})
    assert accepted.status_code == 201, accepted.get_json()
    body = accepted.get_json()
    assert (body["status"], body["tier"], body["unit_amount"]) == ("confirmed", "low_cost", 300)
    assert taken(db, full["slot"]) == 2  # the held place, not a second one
    assert mine(full, "senior")[0]["booking_id"] == body["id"]
    again = full["api"]["senior"].post(f"/waitlist/{entry['id']}/accept", {"payment_method": "cash"})
    assert (again.status_code, again.get_json()["code"]) == (409, "no_offer")


def test_declining_passes_the_place_on_and_only_the_entrys_resident_may(app, db, full):
    first, second = join(full, "w1").get_json(), join(full, "w2").get_json()
    cancel(full, 0)
    for stranger in ("w2", "other", "rival"):  # those who may book for w1 may act on the entry: test_waitlist_on_behalf
        assert full["api"][stranger].post(f"/waitlist/{first['id']}/decline").status_code == 404
        assert full["api"][stranger].post(f"/waitlist/{first['id']}/accept", {}).status_code == 404
    declined = full["api"]["w1"].post(f"/waitlist/{first['id']}/decline")
    assert (declined.status_code, declined.get_json()["status"]) == (200, "declined")
    assert mine(full, "w2")[0]["status"] == "offered"
    assert taken(db, full["slot"]) == 2
    assert full["api"]["w1"].post(f"/waitlist/{first['id']}/decline").get_json()["code"] == "no_offer"
    assert second["id"] != first["id"]


def test_an_offer_lapses_after_its_minutes_and_goes_to_the_next(app, db, full):
    from tests.test_jobs import run

    first = join(full, "w1").get_json()
    join(full, "w2")
    cancel(full, 0)
    with time_machine.travel(utcnow() + dt.timedelta(minutes=29), tick=False):
        run(app, "waitlist.lapse")
        assert mine(full, "w1")[0]["status"] == "offered"
    with time_machine.travel(utcnow() + dt.timedelta(minutes=31), tick=False):
        assert run(app, "waitlist.lapse").outcome.startswith("1 waiting list offers")
        assert run(app, "waitlist.lapse").outcome.startswith("0 waiting list offers")  # idempotent
        late = full["api"]["w1"].post(f"/waitlist/{first['id']}/accept", {"payment_method": "cash"})
        assert (late.status_code, late.get_json()["code"]) == (409, "no_offer")
    assert mine(full, "w1")[0]["status"] == "lapsed"
    assert mine(full, "w2")[0]["status"] == "offered"
    assert taken(db, full["slot"]) == 2


def test_an_offer_never_runs_past_the_times_start(app, db, full):
    join(full, "w1")
    slot = db.get(Slot, full["slot"])
    slot.starts_at = utcnow().replace(microsecond=0) + dt.timedelta(minutes=10)
    slot.ends_at = slot.starts_at + dt.timedelta(hours=1)
    starts_at = slot.starts_at
    db.commit()
    assert full["api"]["operator"].patch(f"/slots/{full['slot']}", {"capacity": 3}).status_code == 200
    db.expire_all()
    assert db.scalar(select(WaitlistEntry.offer_expires_at)) == starts_at


def test_leaving_gives_a_held_place_to_the_next_and_waiting_ends_when_the_time_starts(app, db, full):
    from tests.test_jobs import run

    first, second = join(full, "w1").get_json(), join(full, "w2").get_json()
    cancel(full, 0)
    left = full["api"]["w1"].post(f"/waitlist/{first['id']}/leave")
    assert (left.status_code, left.get_json()["status"]) == (200, "left")
    assert mine(full, "w2")[0]["status"] == "offered"
    assert full["api"]["w1"].post(f"/waitlist/{first['id']}/leave").get_json()["code"] == "not_waiting"
    waiting = join(full, "senior").get_json()
    with time_machine.travel(utcnow() + dt.timedelta(days=2), tick=False):
        run(app, "waitlist.lapse")
    statuses = {e.id: e.status for e in db.scalars(select(WaitlistEntry))}
    assert statuses[waiting["id"]] == "lapsed" and statuses[second["id"]] == "lapsed"
    db.commit()
    assert taken(db, full["slot"]) == 1  # w2's held place given back


def test_more_places_from_the_operator_go_to_those_waiting(app, db, full):
    join(full, "w1"), join(full, "w2"), join(full, "senior")
    raised = full["api"]["operator"].patch(f"/slots/{full['slot']}", {"capacity": 4})
    assert raised.status_code == 200, raised.get_json()
    assert [mine(full, n)[0]["status"] for n in ("w1", "w2", "senior")] == ["offered", "offered", "waiting"]
    assert mine(full, "senior")[0]["position"] == 1
    assert taken(db, full["slot"]) == 4


def test_the_operator_and_the_office_see_the_list_with_names_only(app, db, full):
    join(full, "w1"), join(full, "senior")
    for reader in ("operator", "staff"):
        listed = full["api"][reader].get(f"/slots/{full['slot']}/waitlist")
        assert listed.status_code == 200
        assert [(e["name"], e["position"]) for e in listed.get_json()] == [("Resident", 1), ("Resident", 2)]
        assert set(listed.get_json()[0]) == {"id", "status", "position", "resident_id", "name", "created_at",
                                             "offer_expires_at"}
    for refused in ("rival", "w1", "other"):
        assert full["api"][refused].get(f"/slots/{full['slot']}/waitlist").status_code == 403
    assert full["api"]["w1"].get("/me/waitlist?per_page=0").status_code == 422


def test_the_pages_let_a_resident_join_accept_and_the_operator_see_the_list(app, db, full, browser):
    from tests.factories import PASSWORD

    resident = browser(email=full["users"]["w1"].email, password=PASSWORD)
    booking_page = f"/book/{full['slot']}"
    assert b'data-testid="join-waitlist"' in resident.get(booking_page).data
    assert resident.submit(f"/book/{full['slot']}/waitlist", form_at=booking_page).status_code == 303
    assert b'data-testid="position"' in resident.get("/my/waitlist").data
    cancel(full, 0)
    offered = resident.get("/my/waitlist").data
    assert b'data-testid="time-left"' in offered and b"30" in offered
    entry = db.scalar(select(WaitlistEntry.id))
    db.commit()
    accepted = resident.submit(f"/my/waitlist/{entry}/accept", form_at="/my/waitlist")
    assert accepted.status_code == 303 and "/my/bookings/" in accepted.headers["Location"]
    assert taken(db, full["slot"]) == 2
    join(full, "w2")
    operator_id = db.get(Listing, db.get(Slot, full["slot"]).listing_id).operator_id
    db.commit()
    operator = browser(email=full["users"]["operator"].email, password=PASSWORD)
    places = operator.get(f"/operators/{operator_id}/slots/{full['slot']}/places")
    assert places.status_code == 200 and b'data-testid="waitlist"' in places.data
