"""The booking rules of SPEC §11.3: one live booking per resident per time unless the type allows more, and a
booking of one place where the type sells one; the resident's own price is for one place (also racing on
PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import OperatorType, booking, hookimpl
from core.auth import issue_token
from core.models import Booking, Slot
from tests.clock import serving
from tests.factories import make_community, make_listing, make_operator, make_slot, make_user
from tests.races import posting, race

ONE_PLACE = ["Home cleaning, 2 hours", "Maternity-nanny training course", "Neighbourhood fair",
             "Hand-sewing piece-work"]
DETAILS = {"Home cleaning, 2 hours": {"address": "Heping Road 1"},
           "Maternity-nanny training course": {"address": "Heping Road 1"}}


def book(api, slot, quantity=1, headers=None, **body):
    return api.post("/bookings", {"slot_id": slot["id"], "quantity": quantity, "payment_method": "cash", **body},
                    headers=headers)


def user_id(api) -> int:
    return api.get("/me").get_json()["id"]


def written(db) -> tuple[int, int]:
    """Bookings and places taken: what a refused booking leaves as it was."""
    db.rollback()
    return db.scalar(select(func.count()).select_from(Booking)), db.scalar(select(func.sum(Slot.taken)))


# --- one live booking per resident per time ----------------------------------------------------------------------

def test_each_type_says_how_its_bookings_go(client):
    types = {t["key"]: t for t in client.get("/api/v1/operator-types").get_json()}
    assert {key: (t["sells_several_places"], t["bookings_per_resident_per_slot"]) for key, t in types.items()} == {
        "canteen": (True, 1), "housekeeping": (False, 1), "market_fair": (False, 1), "workshop": (False, 1)}


def test_a_resident_books_a_lunch_once_and_is_told_which_booking_holds_it(demo, db):
    adult, lunch = demo.api("adult"), demo.slots("Community lunch")[0]
    first = book(adult, lunch)
    assert first.status_code == 201
    before = written(db)
    again = book(adult, lunch, headers={"Accept-Language": "zh"})
    assert again.status_code == 409 and again.get_json()["code"] == "already_booked"
    assert f"编号 {first.get_json()['id']}" in again.get_json()["detail"]
    english = book(adult, lunch).get_json()["detail"]
    assert f"booking no. {first.get_json()['id']}" in english and "cancel it first" in english
    assert written(db) == before
    assert book(demo.api("student"), lunch).status_code == 201  # others still book the same time


def test_a_cancelled_booking_frees_the_resident_to_book_again(demo):
    adult, lunch = demo.api("adult"), demo.slots("Community lunch")[0]
    first = book(adult, lunch).get_json()
    assert adult.post(f"/bookings/{first['id']}/cancel").status_code == 200
    assert book(adult, lunch).status_code == 201


def test_another_time_of_the_same_service_is_another_booking(demo):
    adult, lunches = demo.api("adult"), demo.slots("Community lunch")
    assert book(adult, lunches[0]).status_code == 201
    assert book(adult, lunches[1]).status_code == 201


@pytest.mark.parametrize("title", ONE_PLACE)
def test_each_built_in_type_takes_one_booking_per_resident_per_time(demo, title):
    adult, slot = demo.api("adult"), demo.slots(title)[0]
    assert book(adult, slot, details=DETAILS.get(title, {})).status_code == 201
    again = book(adult, slot, details=DETAILS.get(title, {}))
    assert again.status_code == 409 and again.get_json()["code"] == "already_booked"


def test_booking_for_a_resident_counts_as_their_booking(demo):
    """Staff booking for Wang Nainai find the lunch she booked herself, and she finds the one they booked for her."""
    elder, staff, lunch = demo.api("elder92"), demo.api("staff"), demo.slots("Community lunch")[0]
    hers = book(elder, lunch).get_json()
    refused = book(staff, lunch, resident_id=user_id(elder))
    assert refused.status_code == 409 and refused.get_json()["code"] == "already_booked"
    assert str(hers["id"]) in refused.get_json()["detail"]
    assert demo.api("staff").post("/quotes", {"slot_id": lunch["id"], "resident_id": user_id(elder)}).status_code == 200
    second = demo.slots("Community lunch")[1]
    assert book(staff, second, resident_id=user_id(elder)).status_code == 201
    assert book(elder, second).get_json()["code"] == "already_booked"


def test_the_counter_limits_a_resident_but_never_visitors(demo):
    canteen, senior, lunch = demo.api("canteen"), demo.api("senior68"), demo.slots("Community lunch")[0]
    booked = book(senior, lunch).get_json()
    with serving(lunch):
        visitors = [canteen.post("/bookings/walk-in", {"slot_id": lunch["id"]}) for _ in range(2)]
        refused = canteen.post("/bookings/walk-in", {"slot_id": lunch["id"], "resident_id": user_id(senior)})
        assert [v.status_code for v in visitors] == [201, 201]
        assert refused.status_code == 409 and refused.get_json()["code"] == "already_booked"
        assert canteen.post(f"/bookings/{booked['id']}/check-in").status_code == 200  # served: no longer live
        sold = canteen.post("/bookings/walk-in", {"slot_id": lunch["id"], "resident_id": user_id(senior)})
    assert sold.status_code == 201 and sold.get_json()["status"] == "fulfilled"


class Laundry(OperatorType):
    """Loads washed while the resident waits: each load a booking of its own."""

    key, label = "laundry", "Laundry"
    default_price_rules = [{"name": "anyone", "when": {}, "tier": "paid", "amount": 300}]  # noqa: RUF012


class LaundryPlugin:
    def __init__(self, operator_type: OperatorType):
        self.operator_type = operator_type

    @hookimpl
    def register_operator_types(self):
        return [self.operator_type]


@pytest.mark.parametrize("allowed, booked", [(3, 3), (None, 5)])
def test_a_type_may_allow_a_resident_more_bookings_of_one_time(make_app, allowed, booked):
    app = make_app(PLUGINS=[LaundryPlugin(Laundry(bookings_per_resident_per_slot=allowed))])
    session = app.extensions["linli"].db.sessionmaker()
    community = make_community(session)
    slot = make_slot(session, make_listing(session, make_operator(session, community, "laundry")), capacity=10)
    resident = make_user(session, "resident", community)
    token = issue_token(session, resident, 1)[0]
    session.commit()
    client = app.test_client()
    statuses = [client.post("/api/v1/bookings", json={"slot_id": slot.id, "payment_method": "cash"},
                            headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(5)]
    session.close()
    assert statuses == [201] * booked + [409] * (5 - booked)


def test_a_paid_hold_that_ran_out_is_not_revived_once_its_resident_booked_the_time_again(demo, db, app):
    """The late payment of a lapsed hold would make a second live booking: it is refused, and refunded."""
    adult, lunch = demo.api("adult"), demo.slots("Community lunch")[0]
    first = book(adult, lunch).get_json()
    db.get(Booking, first["id"]).status = "expired"  # as if its online payment's hold had run out
    db.get(Slot, lunch["id"]).taken -= 1
    db.commit()
    second = book(adult, lunch)
    assert second.status_code == 201
    linli = app.extensions["linli"]
    session = linli.db.sessionmaker()
    late = session.get(Booking, first["id"])
    assert booking.confirm_paid(session, linli.plugins, late) is False
    assert late.status == "expired"
    session.rollback()
    session.close()


# --- one place, or several at the price for everyone ------------------------------------------------------------

@pytest.mark.parametrize("title", ONE_PLACE)
def test_a_booking_of_a_one_place_service_takes_one_place(demo, db, title):
    before = written(db)
    refused = book(demo.api("adult"), demo.slots(title)[0], quantity=2, details=DETAILS.get(title, {}))
    assert refused.status_code == 422 and refused.get_json()["code"] == "one_place_per_booking"
    assert "quantity" in refused.get_json()["errors"]
    assert written(db) == before


def test_a_free_place_is_for_one_person_and_the_others_pay_the_price_for_everyone(demo, db):
    """/book/33?quantity=20 once confirmed twenty free lunches; now the 92-year-old's own lunch is free and her
    family's are at ¥10."""
    elder, lunch = demo.api("elder92"), demo.slots("Community lunch")[0]
    free = book(elder, lunch, payment_method=None)
    assert free.status_code == 201 and free.get_json()["total_amount"] == 0
    assert elder.post(f"/bookings/{free.get_json()['id']}/cancel").status_code == 200
    family = book(elder, lunch, quantity=3, payment_method=None)
    assert family.status_code == 422 and family.get_json()["code"] == "choose_payment_method"
    family = book(elder, lunch, quantity=3).get_json()
    assert (family["tier"], family["unit_amount"], family["extra_unit_amount"], family["total_amount"]) == (
        "free", 0, 1000, 2000)
    stored = db.get(Booking, family["id"])
    assert (stored.unit_amount, stored.extra_unit_amount, stored.total_amount) == (0, 1000, 2000)
    assert demo.client.application.test_cli_runner().invoke(args=["check"]).output.strip() == "all invariants hold"


def test_the_database_refuses_a_total_that_is_not_its_places_prices(demo, db):
    family = book(demo.api("senior68"), demo.slots("Community lunch")[0], quantity=3).get_json()
    assert family["total_amount"] == 500 + 2 * 1000
    row = db.get(Booking, family["id"])
    row.total_amount = 3 * 500
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


# --- racing, on PostgreSQL ----------------------------------------------------------------------------------------

@pytest.fixture
def lunch_and_neighbours(app, db):
    """A lunch of 50 places, a resident and the community's staff, who may book for her."""
    community = make_community(db)
    slot = make_slot(db, make_listing(db, make_operator(db, community)), capacity=50)
    resident = make_user(db, "resident", community)
    staff = make_user(db, "community_staff", community)
    tokens = [issue_token(db, user, 1)[0] for user in (resident, staff)]
    db.commit()
    return slot.id, resident.id, tokens


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(4))
def test_one_resident_booking_a_time_from_eight_places_at_once_holds_one_booking(app, db, lunch_and_neighbours,
                                                                                 round_):
    """Her phone, her tablet and the office, all at once: one booking, the others told it exists."""
    slot_id, resident_id, (own, staff) = lunch_and_neighbours
    body = {"slot_id": slot_id, "payment_method": "cash"}
    attempts = [posting(app, "/bookings", body, own) for _ in range(4)]
    attempts += [posting(app, "/bookings", {**body, "resident_id": resident_id}, staff) for _ in range(4)]
    results = race(attempts)
    assert sorted(status for status, _ in results) == [201] + [409] * 7
    assert {body["code"] for status, body in results if status == 409} == {"already_booked"}
    db.expire_all()
    live = db.scalar(select(func.count()).select_from(Booking).where(Booking.resident_id == resident_id,
                                                                     Booking.status.in_(booking.LIVE)))
    assert live == 1 and db.get(Slot, slot_id).taken == 1
    db.commit()
