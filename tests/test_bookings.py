"""Bookings through the API: confirmation, holds, the state machine, scope and idempotency."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from core import hookimpl
from core.db import utcnow
from core.models import Booking, Payment, Slot
from core.payments import PaymentProvider, PaymentStart
from tests.clock import serving


class OnlineProvider(PaymentProvider):
    key, label, online = "online", "A test online provider", True

    def start(self, session, booking, operator, donation_amount, config):
        return PaymentStart(reference=f"test-{booking.id}")


class OnlinePayments:
    @hookimpl
    def register_payment_providers(self):
        return [OnlineProvider()]


class EventLog:
    """Records lifecycle events with the booking's status as a separate session sees it (i.e. committed)."""

    def __init__(self):
        self.events, self.app = [], None

    def _seen(self, name, booking):
        with self.app.extensions["linli"].db.reader() as fresh:
            self.events.append((name, booking.id, fresh.get(Booking, booking.id).status))

    @hookimpl
    def booking_created(self, booking):
        self._seen("created", booking)

    @hookimpl
    def booking_cancelled(self, booking):
        self._seen("cancelled", booking)


def lunch_slot(demo, index=0):
    return demo.slots("Community lunch")[index]


def book(session, slot, headers=None, **overrides):
    return session.post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash",
                                      "details": {}, **overrides}, headers=headers)


def remaining(demo, slot):
    return next(s for s in demo.slots("Community lunch") if s["id"] == slot["id"])["remaining"]


def test_a_cash_booking_is_confirmed_at_once_and_snapshots_the_price(demo):
    """Her 60+ price is for her own lunch; the one she books for her grandson is at the price for everyone."""
    slot = lunch_slot(demo)
    response = book(demo.api("senior68"), slot, quantity=2)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("status", "tier", "unit_amount", "extra_unit_amount", "total_amount", "currency",
                                 "payment_method", "rule")} == {
        "status": "confirmed", "tier": "low_cost", "unit_amount": 500, "extra_unit_amount": 1000,
        "total_amount": 1500, "currency": "CNY", "payment_method": "cash", "rule": "age_60_plus"}
    assert remaining(demo, slot) == 98


def test_a_later_rule_change_never_alters_a_booking(demo):
    slot = lunch_slot(demo)
    booking = book(demo.api("adult"), slot).get_json()
    listing = demo.listing("Community lunch")
    rules = [{"name": "anyone", "when": {}, "tier": "paid", "amount": 1500}]
    assert demo.api("canteen").patch(f"/listings/{listing['id']}", {"price_rules": rules}).status_code == 200
    assert demo.api("adult").get(f"/bookings/{booking['id']}").get_json()["unit_amount"] == 1000


def test_a_free_booking_ignores_the_payment_method(demo):
    response = book(demo.api("elder92"), lunch_slot(demo), payment_method="anything")
    assert response.status_code == 201
    assert response.get_json()["status"] == "confirmed" and response.get_json()["payment_method"] is None


@pytest.mark.parametrize("method, code", [(None, "choose_payment_method"), ("bitcoin", "unknown_payment_method"),
                                          ("stripe", "payment_method_not_configured")])
def test_a_paid_booking_needs_an_available_payment_method(demo, method, code):
    response = book(demo.api("adult"), lunch_slot(demo), payment_method=method)
    assert response.status_code == 422 and response.get_json()["code"] == code
    assert "payment_method" in response.get_json()["errors"]
    assert remaining(demo, lunch_slot(demo)) == 100


def test_operator_types_validate_booking_details(demo):
    cleaning = demo.slots("Home cleaning, 2 hours")[0]
    adult = demo.api("adult")
    missing = book(adult, cleaning)
    assert missing.status_code == 422 and "address" in missing.get_json()["errors"]["details"]
    unknown = book(adult, cleaning, details={"address": "Heping Road 1", "pets": "cat"})
    assert unknown.status_code == 422 and "pets" in unknown.get_json()["errors"]["details"]
    assert book(adult, cleaning, details={"address": "Heping Road 1"}).status_code == 201


def test_only_residents_aged_90_and_over_choose_home_delivery(demo):
    slot = lunch_slot(demo)
    refused = book(demo.api("senior68"), slot, details={"home_delivery": True})
    assert refused.status_code == 422
    assert "90" in refused.get_json()["errors"]["details"]["home_delivery"][0]
    accepted = book(demo.api("elder92"), slot, details={"home_delivery": True})
    assert accepted.status_code == 201 and accepted.get_json()["details"] == {"home_delivery": True}


def test_no_more_places_than_the_slot_has(demo, db):
    fair, lunch = demo.slots("Neighbourhood fair")[0], lunch_slot(demo)
    cleaning = demo.slots("Home cleaning, 2 hours")[0]
    too_many = book(demo.api("adult"), lunch, quantity=101)
    assert too_many.status_code == 409 and too_many.get_json()["code"] == "slot_full"
    assert too_many.get_json()["detail"] == "Not enough places are left: only 100."
    assert book(demo.api("adult"), lunch, quantity=100).status_code == 201
    assert book(demo.api("student"), lunch).status_code == 409
    for local in ("adult", "student", "senior68"):  # a cleaning is one place: three residents take its three
        assert book(demo.api(local), cleaning, details={"address": "Heping Road 1"}).status_code == 201
    full = book(demo.api("lowincome"), cleaning, details={"address": "Heping Road 2"})
    assert full.status_code == 409 and full.get_json()["code"] == "slot_full"
    assert db.get(Slot, lunch["id"]).taken == 100 and db.get(Slot, cleaning["id"]).taken == 3
    assert db.get(Slot, fair["id"]).taken == 0


def test_a_slot_that_has_started_takes_no_bookings(demo, db):
    slot = lunch_slot(demo)
    db.get(Slot, slot["id"]).starts_at = utcnow() - dt.timedelta(minutes=1)
    db.commit()
    assert book(demo.api("adult"), slot).status_code == 409


def test_cancelling_frees_the_places_and_a_second_cancel_is_refused(demo):
    slot, adult = lunch_slot(demo), demo.api("adult")
    booking = book(adult, slot, quantity=3).get_json()
    assert remaining(demo, slot) == 97
    cancelled = adult.post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert remaining(demo, slot) == 100
    assert adult.post(f"/bookings/{booking['id']}/cancel").status_code == 409
    assert remaining(demo, slot) == 100


def test_cancellation_closes_at_the_listings_cutoff(demo):
    listing, slot = demo.listing("Community lunch"), lunch_slot(demo)
    demo.api("canteen").patch(f"/listings/{listing['id']}", {"cancel_cutoff_minutes": 60 * 24 * 30})
    adult = demo.api("adult")
    booking = book(adult, slot).get_json()
    refused = adult.post(f"/bookings/{booking['id']}/cancel")
    assert refused.status_code == 409 and refused.get_json()["code"] == "cancellation_closed"
    assert adult.get(f"/bookings/{booking['id']}").get_json()["status"] == "confirmed"


def test_check_in_and_no_show_by_the_operators_staff_only(demo, db):
    slot = lunch_slot(demo)
    adult, canteen, fair = demo.api("adult"), demo.api("canteen"), demo.api("fair")
    first, second = book(adult, slot).get_json(), book(demo.api("student"), slot).get_json()
    # wrong role is a 403 (even when the state would also be wrong); another operator does not see it
    assert adult.post(f"/bookings/{first['id']}/check-in").status_code == 403
    assert fair.post(f"/bookings/{first['id']}/check-in").status_code == 404
    with serving(slot, after=-dt.timedelta(hours=2, minutes=59)):
        assert canteen.post(f"/bookings/{first['id']}/no-show").status_code == 409  # the slot has not started
        checked = canteen.post(f"/bookings/{first['id']}/check-in")
        assert checked.status_code == 200 and checked.get_json()["status"] == "fulfilled"
        assert canteen.post(f"/bookings/{first['id']}/check-in").status_code == 409
        assert adult.post(f"/bookings/{first['id']}/cancel").status_code == 409
    with serving(slot):
        assert canteen.post(f"/bookings/{second['id']}/no-show").get_json()["status"] == "no_show"
        assert canteen.post(f"/bookings/{second['id']}/check-in").status_code == 409
    statuses = dict(db.execute(select(Booking.id, Booking.status)).all())
    assert statuses == {first["id"]: "fulfilled", second["id"]: "no_show"}


def test_check_in_opens_three_hours_before_the_slot(demo, db):
    """Checked in the day before, a lunch nobody has eaten yet would count as served (and its cash as taken)."""
    slot = lunch_slot(demo)
    booking = book(demo.api("adult"), slot).get_json()
    canteen = demo.api("canteen")
    for early in (dt.timedelta(days=1), dt.timedelta(hours=3, minutes=1)):
        with serving(slot, after=-early):
            refused = canteen.post(f"/bookings/{booking['id']}/check-in")
            assert refused.status_code == 409, early
    assert db.get(Booking, booking["id"]).status == "confirmed"
    assert db.scalar(select(func.count()).select_from(Payment)) == 0  # no cash was recorded
    with serving(slot, after=-dt.timedelta(hours=2, minutes=59)):
        assert canteen.post(f"/bookings/{booking['id']}/check-in").status_code == 200


def test_check_in_closes_a_day_after_the_slot_ends(demo, db):
    slot = lunch_slot(demo)
    booking = book(demo.api("adult"), slot).get_json()
    row = db.get(Slot, slot["id"])
    row.starts_at, row.ends_at = utcnow() - dt.timedelta(hours=27), utcnow() - dt.timedelta(hours=25)
    db.commit()
    assert demo.api("canteen").post(f"/bookings/{booking['id']}/check-in").status_code == 409


def test_a_resident_sees_and_cancels_only_their_own_bookings(demo):
    slot = lunch_slot(demo)
    mine = book(demo.api("adult"), slot).get_json()
    theirs = book(demo.api("student"), slot).get_json()
    adult = demo.api("adult")
    assert [b["id"] for b in adult.get("/bookings").get_json()["items"]] == [mine["id"]]
    assert adult.get(f"/bookings/{theirs['id']}").status_code == 404
    assert adult.post(f"/bookings/{theirs['id']}/cancel").status_code == 404
    assert demo.api("student").get(f"/bookings/{theirs['id']}").get_json()["status"] == "confirmed"
    assert {b["id"] for b in demo.api("canteen").get("/bookings").get_json()["items"]} == {mine["id"], theirs["id"]}
    assert demo.api("fair").get("/bookings").get_json()["items"] == []
    assert demo.api("staff").get("/bookings").get_json()["total"] == 2
    assert demo.client.get("/api/v1/bookings").status_code == 401


def test_an_idempotent_retry_returns_the_same_booking(demo, db):
    slot, adult = lunch_slot(demo), demo.api("adult")
    key = {"Idempotency-Key": "lunch-monday-1"}
    first = book(adult, slot, headers=key)
    again = book(adult, slot, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()  # the very bytes of the first answer
    assert db.scalar(select(func.count()).select_from(Booking)) == 1
    different = book(adult, slot, quantity=2, headers=key)
    assert different.status_code == 422 and "Idempotency-Key" in different.get_json()["errors"]
    other_user = book(demo.api("student"), slot, headers=key)  # keys are per user
    assert other_user.status_code == 201 and other_user.get_json()["id"] != first.get_json()["id"]
    assert remaining(demo, slot) == 98


def test_a_retry_replays_its_booking_even_once_the_slot_is_full(demo, db):
    lunch, adult = lunch_slot(demo), demo.api("adult")
    key = {"Idempotency-Key": "last-places"}
    first = book(adult, lunch, quantity=lunch["remaining"], headers=key)
    assert first.status_code == 201
    assert book(demo.api("student"), lunch).status_code == 409  # sold out now
    again = book(adult, lunch, quantity=lunch["remaining"], headers=key)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert db.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == lunch["id"])) == 1


def test_a_refused_request_replays_its_refusal(demo, db):
    lunch, adult, student = lunch_slot(demo), demo.api("adult"), demo.api("student")
    key = {"Idempotency-Key": "too-many"}
    first = book(adult, lunch, quantity=lunch["remaining"], headers={"Idempotency-Key": "k0"})
    assert first.status_code == 201
    refused = book(student, lunch, headers=key)
    adult.post(f"/bookings/{first.get_json()['id']}/cancel")
    replay = book(student, lunch, headers=key)
    assert refused.status_code == replay.status_code == 409
    assert replay.get_data() == refused.get_data()


def test_an_online_payment_holds_places_until_the_hold_expires(make_app, db, runner):
    from core import demo as demo_data
    from tests.factories import DemoWorld

    app = make_app(PLUGINS=[OnlinePayments()], HOLD_MINUTES=10)
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    slot = world.slots("Community lunch")[0]
    held = book(world.api("adult"), slot, payment_method="online", quantity=60).get_json()
    assert held["status"] == "pending_payment"
    hold = dt.datetime.fromisoformat(held["hold_expires_at"]) - utcnow()
    assert dt.timedelta(minutes=9) < hold <= dt.timedelta(minutes=10)
    assert world.slots("Community lunch")[0]["remaining"] == 40
    assert book(world.api("student"), slot, quantity=41).status_code == 409

    session = app.extensions["linli"].db.sessionmaker()
    session.get(Booking, held["id"]).hold_expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    session.close()
    assert world.slots("Community lunch")[0]["remaining"] == 100  # stale holds do not count
    assert book(world.api("student"), slot, quantity=41).status_code == 201  # and are released on demand
    assert world.api("adult").get(f"/bookings/{held['id']}").get_json()["status"] == "expired"
    assert app.test_cli_runner().invoke(args=["expire-holds"]).output.strip() == "0 holds expired"


def test_expire_holds_command_frees_places(make_app):
    from core import demo as demo_data
    from tests.factories import DemoWorld

    app = make_app(PLUGINS=[OnlinePayments()], HOLD_MINUTES=10)
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    slot = world.slots("Community lunch")[0]
    book(world.api("adult"), slot, payment_method="online", quantity=5)
    book(world.api("student"), slot, payment_method="online", quantity=7)
    with time_machine.travel(utcnow() + dt.timedelta(minutes=11), tick=False):
        assert app.test_cli_runner().invoke(args=["expire-holds"]).output.strip() == "2 holds expired"
    session = app.extensions["linli"].db.reader()
    assert session.get(Slot, slot["id"]).taken == 0
    session.close()


def test_lifecycle_hooks_fire_after_commit(make_app):
    from core import demo as demo_data
    from tests.factories import DemoWorld

    log = EventLog()
    app = make_app(PLUGINS=[log])
    log.app = app
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    adult = world.api("adult")
    booking = book(adult, world.slots("Community lunch")[0]).get_json()
    adult.post(f"/bookings/{booking['id']}/cancel")
    book(adult, world.slots("Community lunch")[0], payment_method="bitcoin")  # refused: no event
    assert log.events == [("created", booking["id"], "confirmed"), ("cancelled", booking["id"], "cancelled")]
