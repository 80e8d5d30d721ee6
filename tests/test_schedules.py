"""Weekly schedules, closed days and times called off (SPEC §11.3)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from core.models import AuditEvent, Booking, Closure, Schedule, Slot
from core.schedules import HORIZON_DAYS
from tests.factories import make_community, make_listing, make_operator, make_user

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def canteen(db):
    community = make_community(db, slug="hp")
    operator = make_operator(db, community, type_key="canteen")
    listing = make_listing(db, operator, price_rules=[{"name": "anyone", "when": {}, "tier": "paid", "amount": 1000}],
                           details={"meal": "lunch", "dishes": 4, "soup": True})
    staff = make_user(db, "operator_staff", community, operator)
    resident = make_user(db, "resident", community, born=dt.date(1980, 1, 1))
    db.commit()
    return listing, staff, resident


def make_resident(db):
    from core.models import Community

    db.commit()  # a fresh transaction: the requests since have written
    user = make_user(db, "resident", db.scalar(select(Community).where(Community.slug == "hp")),
                     born=dt.date(1981, 1, 1))
    db.commit()
    return user


def today() -> dt.date:
    return utcnow().astimezone(ZONE).date()


def week(listing, as_staff, **overrides):
    body = {"weekdays": [1, 2, 3, 4, 5], "start_time": "11:30", "end_time": "13:00", "capacity": 50,
            "valid_from": (today() + dt.timedelta(days=1)).isoformat()} | overrides
    return as_staff.post(f"/listings/{listing.id}/schedules", body)


def slots(db, listing):
    db.commit()  # a fresh read: what the requests since committed
    db.expire_all()
    return db.scalars(select(Slot).where(Slot.listing_id == listing.id).order_by(Slot.starts_at)).all()


def test_a_schedule_makes_its_slots_for_the_next_28_days_at_once_and_never_twice(canteen, api, db, runner):
    listing, staff, _ = canteen
    response = week(listing, api(staff))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    first, last = today() + dt.timedelta(days=1), today() + dt.timedelta(days=HORIZON_DAYS)
    weekdays = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    expected = [d for d in weekdays if d.isoweekday() <= 5]
    assert body["slots_made"] == len(expected) and body["weekdays"] == [1, 2, 3, 4, 5]
    made = slots(db, listing)
    assert [s.starts_at.astimezone(ZONE).date() for s in made] == expected
    assert {(s.starts_at.astimezone(ZONE).time(), s.ends_at.astimezone(ZONE).time(), s.capacity) for s in made} \
        == {(dt.time(11, 30), dt.time(13), 50)}
    assert all(s.schedule_id == body["id"] for s in made)

    result = runner.invoke(args=["generate-slots"])
    assert result.exit_code == 0 and result.output.strip() == "0 slots made"
    assert len(slots(db, listing)) == len(expected)


def test_generation_keeps_the_window_28_days_ahead_as_days_pass(canteen, api, db, runner):
    from tests.clock import at

    listing, staff, _ = canteen
    week(listing, api(staff), weekdays=[1, 2, 3, 4, 5, 6, 7])
    before = len(slots(db, listing))
    with at(utcnow() + dt.timedelta(days=3)):
        result = runner.invoke(args=["generate-slots"])
    assert result.output.strip() == "3 slots made"
    assert len(slots(db, listing)) == before + 3


def test_an_operator_not_taking_bookings_gets_no_new_times_until_it_does_again(canteen, api, db, runner):
    from core.models import Operator
    from tests.clock import at

    listing, staff, _ = canteen
    week(listing, api(staff), weekdays=[1, 2, 3, 4, 5, 6, 7])
    before = len(slots(db, listing))
    operator = db.get(Operator, listing.operator_id)
    for status, made in (("suspended", 0), ("exited", 0), ("active", 3)):
        operator.status = status
        db.commit()
        with at(utcnow() + dt.timedelta(days=3)):
            assert runner.invoke(args=["generate-slots"]).output.strip() == f"{made} slots made"
    assert len(slots(db, listing)) == before + 3


def test_a_schedule_ends_on_its_last_day(canteen, api, db):
    listing, staff, _ = canteen
    until = today() + dt.timedelta(days=5)
    body = week(listing, api(staff), weekdays=[1, 2, 3, 4, 5, 6, 7], valid_until=until.isoformat()).get_json()
    assert body["slots_made"] == 5
    assert max(s.starts_at.astimezone(ZONE).date() for s in slots(db, listing)) == until


@pytest.mark.parametrize("change, field", [
    ({"weekdays": []}, "weekdays"), ({"weekdays": [0]}, "weekdays"), ({"weekdays": [8]}, "weekdays"),
    ({"weekdays": ["Mon"]}, "weekdays"), ({"start_time": "25:00"}, "start_time"), ({"end_time": "11:00"}, "end_time"),
    ({"end_time": "11:30"}, "end_time"), ({"capacity": 0}, "capacity"), ({"capacity": "ten"}, "capacity"),
    ({"valid_from": "tomorrow"}, "valid_from"), ({"valid_until": "2026-01-01", "valid_from": "2026-02-01"}, "valid_until"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_schedule_is_a_422_naming_the_field_and_writes_nothing(canteen, api, db, change, field):
    listing, staff, _ = canteen
    response = week(listing, api(staff), **change)
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(Schedule)) == 0 and slots(db, listing) == []


def test_only_the_operators_staff_set_its_week(canteen, api, db):
    listing, _, resident = canteen
    community = make_community(db, slug="other")
    stranger = make_user(db, "operator_staff", community, make_operator(db, community))
    db.commit()
    assert week(listing, api(resident)).status_code == 403
    assert week(listing, api(stranger)).status_code == 403
    assert week(listing, api()).status_code == 401
    assert db.scalar(select(func.count()).select_from(Schedule)) == 0


def book(api_as, slot, method="cash"):
    response = api_as.post("/bookings", {"slot_id": slot.id, "quantity": 1, "payment_method": method})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_calling_a_time_off_cancels_its_bookings_with_the_reason_and_frees_it(canteen, api, db):
    listing, staff, resident = canteen
    week(listing, api(staff))
    slot = slots(db, listing)[0]
    as_resident = api(resident)
    booking = book(as_resident, slot)

    response = api(staff).post(f"/slots/{slot.id}/cancel", {"reason": "The stove is broken"})
    assert response.status_code == 200, response.get_json()
    assert [b["id"] for b in response.get_json()["cancelled"]] == [booking["id"]]
    seen = as_resident.get(f"/bookings/{booking['id']}").get_json()
    assert (seen["status"], seen["cancel_reason"]) == ("cancelled", "The stove is broken")
    db.commit()
    db.expire_all()
    called_off = db.get(Slot, slot.id)
    assert called_off.taken == 0 and called_off.cancel_reason == "The stove is broken"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "slot_cancelled")).data["bookings_cancelled"] == 1

    again = as_resident.post("/bookings", {"slot_id": slot.id, "quantity": 1, "payment_method": "cash"})
    assert again.status_code == 409 and again.get_json()["code"] == "slot_called_off"
    assert "The stove is broken" in again.get_json()["detail"]
    upcoming = as_resident.get(f"/listings/{listing.id}/slots?upcoming=true&per_page=100").get_json()["items"]
    assert slot.id not in [s["id"] for s in upcoming]
    assert api(staff).post(f"/slots/{slot.id}/cancel", {"reason": "twice"}).get_json()["code"] \
        == "slot_already_cancelled"


def test_calling_off_is_for_the_operators_staff_with_a_reason(canteen, api, db):
    listing, staff, resident = canteen
    week(listing, api(staff))
    slot = slots(db, listing)[0]
    booking = book(api(resident), slot)
    assert api(resident).post(f"/slots/{slot.id}/cancel", {"reason": "no"}).status_code == 403
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": 5}):
        response = api(staff).post(f"/slots/{slot.id}/cancel", body)
        assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    assert api(staff).post("/slots/999999/cancel", {"reason": "no"}).status_code == 404
    db.commit()
    assert db.get(Slot, slot.id).cancelled_at is None and db.get(Booking, booking["id"]).status == "confirmed"


def test_a_time_already_begun_cannot_be_called_off(canteen, api, db):
    from tests.clock import serving

    listing, staff, _ = canteen
    week(listing, api(staff))
    slot = slots(db, listing)[0]
    as_staff = api(staff)
    with serving(slot):
        response = as_staff.post(f"/slots/{slot.id}/cancel", {"reason": "late"})
    assert response.status_code == 409 and response.get_json()["code"] == "slot_over"


def test_closing_a_day_calls_off_its_times_and_no_slot_is_made_on_it_again(canteen, api, db, runner):
    listing, staff, resident = canteen
    week(listing, api(staff), weekdays=[1, 2, 3, 4, 5, 6, 7])
    day = today() + dt.timedelta(days=2)
    [slot] = [s for s in slots(db, listing) if s.starts_at.astimezone(ZONE).date() == day]
    booking = book(api(resident), slot)

    response = api(staff).post(f"/listings/{listing.id}/closures", {"date": day.isoformat(), "reason": "国庆放假"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["bookings_cancelled"] == 1
    assert api(resident).get(f"/bookings/{booking['id']}").get_json()["cancel_reason"] == "国庆放假"

    runner.invoke(args=["generate-slots"])
    assert len([s for s in slots(db, listing) if s.starts_at.astimezone(ZONE).date() == day]) == 1
    search = api().get(f"/listings?community=hp&date={day.isoformat()}").get_json()["items"]
    assert listing.id not in [item["id"] for item in search]

    twice = api(staff).post(f"/listings/{listing.id}/closures", {"date": day.isoformat(), "reason": "again"})
    assert twice.status_code == 409 and twice.get_json()["code"] == "already_closed"
    past = api(staff).post(f"/listings/{listing.id}/closures",
                           {"date": (today() - dt.timedelta(days=1)).isoformat(), "reason": "gone"})
    assert past.status_code == 422 and "date" in past.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(Closure)) == 1


def test_a_day_closed_ahead_is_skipped_when_its_slots_are_made(canteen, api, db, runner):
    listing, staff, _ = canteen
    far = today() + dt.timedelta(days=HORIZON_DAYS + 3)
    assert api(staff).post(f"/listings/{listing.id}/closures", {"date": far.isoformat(), "reason": "Spring festival"}
                           ).get_json()["bookings_cancelled"] == 0
    week(listing, api(staff), weekdays=[1, 2, 3, 4, 5, 6, 7])
    from tests.clock import at

    with at(utcnow() + dt.timedelta(days=5)):
        runner.invoke(args=["generate-slots"])
    days = {s.starts_at.astimezone(ZONE).date() for s in slots(db, listing)}
    assert far not in days and far - dt.timedelta(days=1) in days and far + dt.timedelta(days=1) in days


def test_one_times_places_change_by_hand_but_never_below_those_booked(canteen, api, db):
    listing, staff, resident = canteen
    week(listing, api(staff))
    slot = slots(db, listing)[0]
    book(api(resident), slot)
    as_staff = api(staff)
    more = as_staff.patch(f"/slots/{slot.id}", {"capacity": 80})
    assert more.status_code == 200 and (more.get_json()["capacity"], more.get_json()["remaining"]) == (80, 79)
    assert [s.capacity for s in slots(db, listing)][1] == 50  # the other days keep their schedule's places
    refused = as_staff.patch(f"/slots/{slot.id}", {"capacity": 0})
    assert refused.status_code == 422 and "capacity" in refused.get_json()["errors"]
    assert api(resident).patch(f"/slots/{slot.id}", {"capacity": 5}).status_code == 403
    as_staff.post(f"/slots/{slot.id}/cancel", {"reason": "closed"})
    assert as_staff.patch(f"/slots/{slot.id}", {"capacity": 5}).get_json()["code"] == "slot_already_cancelled"
    other = slots(db, listing)[1]
    book(api(resident), other)
    book(api(make_resident(db)), other)
    assert as_staff.patch(f"/slots/{other.id}", {"capacity": 2}).status_code == 200  # two booked, two places
    fewer = as_staff.patch(f"/slots/{other.id}", {"capacity": 1})
    assert fewer.status_code == 409 and fewer.get_json()["code"] == "fewer_than_booked"
    assert "2" in fewer.get_json()["detail"] and [s.capacity for s in slots(db, listing)][1] == 2
