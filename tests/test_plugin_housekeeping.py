"""The housekeeping centre through the API: its roster, a worker sent to each visit, trainees and agency fees."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import hookimpl
from core.models import Booking, Community, OperatorCost, Payment
from core.payments import PaymentProvider, PaymentStart
from plugins.housekeeping.models import Assignment
from tests.clock import serving_booking
from tests.factories import DemoWorld, resident_tokens
from tests.races import posting, race

CLEANING = "Home cleaning, 2 hours"
TRAINING = "Maternity-nanny training course"
ADDRESS = {"address": "Heping Road 9"}
RESIDENTS = ["adult", "student", "senior68", "elder92", "lowincome"]


def book(session, slot_id, **overrides):
    return session.post("/bookings", {"slot_id": slot_id, "quantity": 1, "payment_method": "cash",
                                      "details": ADDRESS, **overrides})


def centre_id(world):
    return world.listing(CLEANING)["operator_id"]


def roster(world):
    response = world.api("housekeeping").get(f"/housekeeping/operators/{centre_id(world)}/workers")
    assert response.status_code == 200, response.get_json()
    return {w["name"]: w for w in response.get_json()["items"]}


def new_listing(world, title, details, windows, amount=15000):
    """A listing of the demo centre with slots of (starts_at, hours, capacity), created by its staff."""
    staff = world.api("housekeeping")
    listing = staff.post("/listings", {"operator_id": centre_id(world), "title": title, "details": details,
                                       "price_rules": [{"name": "anyone", "when": {}, "tier": "paid",
                                                        "amount": amount}]})
    assert listing.status_code == 201, listing.get_json()
    slots = []
    for starts_at, hours, capacity in windows:
        slot = staff.post(f"/listings/{listing.get_json()['id']}/slots", {
            "starts_at": starts_at.isoformat(), "ends_at": (starts_at + dt.timedelta(hours=hours)).isoformat(),
            "capacity": capacity})
        assert slot.status_code == 201, slot.get_json()
        slots.append(slot.get_json()["id"])
    return slots


def first_cleaning(world):
    slot = world.slots(CLEANING)[0]
    return slot["id"], dt.datetime.fromisoformat(slot["starts_at"])


def test_booking_a_cleaning_sends_a_trained_cleaner(demo):
    slot_id, _ = first_cleaning(demo)
    response = book(demo.api("adult"), slot_id)
    assert response.status_code == 201, response.get_json()
    worker = response.get_json()["details"]["worker"]
    cleaners = {w["id"]: w for w in roster(demo).values() if "cleaning" in w["skills"]}
    assert worker == {"id": worker["id"], "name": cleaners[worker["id"]]["name"]}
    assert response.get_json()["details"]["address"] == "Heping Road 9"
    assert demo.api("adult").get(f"/bookings/{response.get_json()['id']}").get_json()["details"]["worker"] == worker


def test_a_worker_is_never_sent_to_two_overlapping_visits_of_any_listing(demo):
    slot_id, nine = first_cleaning(demo)
    residents = ("adult", "student", "senior68")
    cleanings = [book(demo.api(who), slot_id).get_json() for who in residents]
    cleaners = [b["details"]["worker"]["name"] for b in cleanings]
    assert sorted(cleaners) == ["刘桂芳", "周秀英", "孙美丽"]  # all three cleaners are out
    # elderly care from 10:00 overlaps the cleaning: Liu (cleaning and care) is busy, Wu is free
    care = new_listing(demo, "Care visit (test)", {"service": "elderly_care"}, [(nine + dt.timedelta(hours=1), 2, 5)])
    first = book(demo.api("elder92"), care[0])
    assert first.status_code == 201 and first.get_json()["details"]["worker"]["name"] == "吴兰英"
    refused = book(demo.api("lowincome"), care[0])
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "no_worker_free"
    assert "slot_id" in refused.get_json()["errors"]
    # cancelling Liu's cleaning frees Liu for the care visit
    liu = cleaners.index("刘桂芳")
    assert demo.api(residents[liu]).post(f"/bookings/{cleanings[liu]['id']}/cancel").status_code == 200
    again = book(demo.api("lowincome"), care[0])
    assert again.status_code == 201 and again.get_json()["details"]["worker"]["name"] == "刘桂芳"


def test_a_refused_booking_keeps_nothing(demo, db):
    _, nine = first_cleaning(demo)
    care = new_listing(demo, "Care visit (test)", {"service": "elderly_care"}, [(nine + dt.timedelta(days=3), 2, 9)])
    for who in ("adult", "student"):
        assert book(demo.api(who), care[0]).status_code == 201
    assert book(demo.api("senior68"), care[0]).status_code == 409
    slot = next(s for s in demo.client.get(f"/api/v1/listings/{demo.listing('Care visit (test)')['id']}/slots")
                .get_json()["items"] if s["id"] == care[0])
    assert slot["remaining"] == 7
    assert len(db.scalars(select(Booking).where(Booking.slot_id == care[0])).all()) == 2


@pytest.mark.postgres
def test_racing_bookings_never_double_book_a_worker(app, demo, db):
    """Two overlapping slots of 10 places each, but only three care workers: exactly three visits are booked."""
    _, nine = first_cleaning(demo)
    staff = demo.api("housekeeping")
    assert staff.post(f"/housekeeping/operators/{centre_id(demo)}/workers",
                      {"name": "Qian Yumei", "skills": ["elderly_care"]}).status_code == 201
    start = nine + dt.timedelta(days=2)
    slots = new_listing(demo, "Care visit (test)", {"service": "elderly_care"},
                        [(start, 2, 10), (start + dt.timedelta(hours=1), 2, 10)])
    tokens = resident_tokens(db, db.scalar(select(Community).where(Community.slug == "heping")), 16)
    calls = [(token, {"slot_id": slots[i % 2], "payment_method": "cash", "details": ADDRESS})
             for i, token in enumerate(tokens)]
    results = race([posting(app, "/bookings", body, token) for token, body in calls])
    booked = [body for status, body in results if status == 201]
    assert len(booked) == 3 and [s for s, _ in results].count(409) == 13
    assert all(body["code"] == "no_worker_free" for status, body in results if status == 409)
    assert len({b["details"]["worker"]["id"] for b in booked}) == 3
    db.expire_all()
    assignments = db.scalars(select(Assignment).join(Booking, Booking.id == Assignment.booking_id)
                             .where(Booking.status == "confirmed")).all()
    for a in assignments:
        assert not [b for b in assignments if b.id != a.id and b.worker_id == a.worker_id
                    and b.starts_at < a.ends_at and b.ends_at > a.starts_at]


def test_the_donation_is_ten_percent_of_the_agency_fee_only(demo, db):
    """A 26-day maternity-nanny placement: ¥18,000, of which ¥3,000 is the agency fee, shared at 10%."""
    _, nine = first_cleaning(demo)
    slots = new_listing(demo, "Maternity nanny, 26 days",
                        {"service": "maternity_nanny", "duration_hours": 26 * 24, "agency_fee_amount": 300_000},
                        [(nine + dt.timedelta(days=1), 26 * 24, 2)], amount=1_800_000)
    placement = book(demo.api("adult"), slots[0]).get_json()
    assert placement["details"]["worker"]["name"] == "周秀英"
    cleaning = book(demo.api("student"), first_cleaning(demo)[0]).get_json()  # no agency fee: 10% of the price
    staff = demo.api("housekeeping")
    for booking in (placement, cleaning):
        with serving_booking(staff.client, booking):
            assert staff.post(f"/bookings/{booking['id']}/check-in").status_code == 200
    donations = dict(db.execute(select(Payment.booking_id, Payment.donation_amount)).all())
    assert donations == {placement["id"]: 30_000, cleaning["id"]: 1_200}


def test_the_demo_catalogue_prices_a_placement_as_worker_fee_plus_agency_fee_and_shares_the_fee_only(demo, db):
    """Care visits (¥60 to the carer + ¥20 fee; ¥30 + ¥20 for low income) and the 26-day nanny package
    (¥15,000 + ¥3,000): the fund gets 10% of each agency fee, never of the workers' fees."""
    care, package = demo.slots("Elderly care visit")[0], demo.slots("Maternity-nanny package, 26 days")[0]
    assert (package["capacity"], dt.datetime.fromisoformat(package["ends_at"]).date()
            - dt.datetime.fromisoformat(package["starts_at"]).date()) == (2, dt.timedelta(days=25))
    visit, cheap = book(demo.api("adult"), care["id"]).get_json(), book(demo.api("lowincome"), care["id"]).get_json()
    nanny = book(demo.api("senior68"), package["id"]).get_json()
    assert [(b["tier"], b["total_amount"], b["details"]["worker"]["name"]) for b in (visit, cheap, nanny)] == [
        ("paid", 8000, "刘桂芳"), ("low_cost", 5000, "吴兰英"), ("paid", 1_800_000, "周秀英")]
    before = demo.api("committee1").get("/communities/heping/fund").get_json()["receivable_amount"]
    for booking in (visit, cheap, nanny):
        with serving_booking(demo.client, booking):  # the package starts in more than a week: log in then
            assert demo.api("housekeeping").post(f"/bookings/{booking['id']}/check-in").status_code == 200
    donations = dict(db.execute(select(Payment.booking_id, Payment.donation_amount)).all())
    assert donations == {visit["id"]: 200, cheap["id"]: 200, nanny["id"]: 30_000}
    after = demo.api("committee1").get("/communities/heping/fund").get_json()["receivable_amount"]
    assert after - before == 30_400


def test_checking_in_a_trainee_records_lunch_and_travel_as_the_centres_cost(demo, db):
    slot = demo.slots(TRAINING)[0]
    trainee = book(demo.api("lowincome"), slot["id"], quantity=1).get_json()
    assert trainee["tier"] == "free" and "worker" not in trainee["details"]  # a course needs no worker
    with serving_booking(demo.client, trainee):  # next Monday may be further off than a token lives
        staff = demo.api("housekeeping")
        assert staff.post(f"/bookings/{trainee['id']}/check-in").status_code == 200
    cost = db.scalar(select(OperatorCost))
    staff_id = staff.get("/me").get_json()["id"]
    period = slot["starts_at"][:7]  # the month the course is given, in the community's time (+08:00)
    assert (cost.amount, cost.operator_id, cost.declared_by_id, cost.period) == (2500, centre_id(demo), staff_id,
                                                                                 period)
    statement = staff.get(f"/operators/{centre_id(demo)}/statements/{period}").get_json()
    assert statement["declared_costs_amount"] == 2500


def test_the_roster_is_kept_by_the_centres_staff(demo):
    path = f"/housekeeping/operators/{centre_id(demo)}/workers"
    worker = {"name": "Zheng Hong", "skills": ["cleaning", "elderly_care"]}
    assert demo.client.get("/api/v1" + path).status_code == 401
    for outsider in ("adult", "canteen", "fair"):
        assert demo.api(outsider).get(path).status_code == 403
        assert demo.api(outsider).post(path, worker).status_code == 403
    assert demo.api("staff").get(path).status_code == 200  # community staff read the roster...
    assert demo.api("staff").post(path, worker).status_code == 403  # ...but do not keep it
    staff = demo.api("housekeeping")
    fair_id = demo.listing("Neighbourhood fair")["operator_id"]
    assert staff.get(f"/housekeeping/operators/{fair_id}/workers").status_code == 404  # not a housekeeping centre
    assert staff.get("/housekeeping/operators/999999/workers").status_code == 404
    bad = staff.post(path, {"name": "", "skills": ["juggling"]})
    assert bad.status_code == 422 and {"name", "skills"} <= set(bad.get_json()["errors"])
    assert staff.post(path, {"name": "No skills", "skills": []}).status_code == 422
    created = staff.post(path, worker)
    assert created.status_code == 201 and created.get_json()["active"] is True
    worker_id = created.get_json()["id"]
    assert demo.api("canteen").patch(f"/housekeeping/workers/{worker_id}", {"active": False}).status_code == 403
    assert staff.patch("/housekeeping/workers/999999", {"active": False}).status_code == 404
    assert staff.patch(f"/housekeeping/workers/{worker_id}", {"active": "maybe"}).status_code == 422
    off = staff.patch(f"/housekeeping/workers/{worker_id}", {"active": False})
    assert off.status_code == 200 and off.get_json()["active"] is False


def test_a_worker_off_duty_is_never_sent(demo):
    workers = roster(demo)
    staff = demo.api("housekeeping")
    for name in ("刘桂芳", "孙美丽"):
        assert staff.patch(f"/housekeeping/workers/{workers[name]['id']}", {"active": False}).status_code == 200
    slot_id, _ = first_cleaning(demo)
    assert book(demo.api("adult"), slot_id).get_json()["details"]["worker"]["name"] == "周秀英"
    assert book(demo.api("student"), slot_id).status_code == 409


class OnlineProvider(PaymentProvider):
    key, label, online = "online", "A test online provider", True

    def start(self, session, booking, operator, donation_amount, config):
        return PaymentStart(reference=f"test-{booking.id}")


class OnlinePayments:
    @hookimpl
    def register_payment_providers(self):
        return [OnlineProvider()]


def test_a_visit_paid_after_its_hold_expired_gets_a_free_worker(make_app):
    """The hold ran out and its worker went to someone else; the late payment revives the visit with another worker."""
    from core import demo as demo_data
    from core.db import commit

    app = make_app(PLUGINS=[OnlinePayments()])
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    staff, wu = world.api("housekeeping"), roster(world)["吴兰英"]
    assert staff.patch(f"/housekeeping/workers/{wu['id']}", {"active": False}).status_code == 200
    _, nine = first_cleaning(world)
    care = new_listing(world, "Care visit (test)", {"service": "elderly_care"}, [(nine + dt.timedelta(days=1), 2, 5)])
    held = book(world.api("adult"), care[0], payment_method="online").get_json()
    assert (held["status"], held["details"]["worker"]["name"]) == ("pending_payment", "刘桂芳")
    session = app.extensions["linli"].db.sessionmaker()
    session.get(Booking, held["id"]).hold_expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    commit(session)
    assert app.test_cli_runner().invoke(args=["expire-holds"]).output.strip() == "1 holds expired"
    other = book(world.api("student"), care[0]).get_json()
    assert other["details"]["worker"]["name"] == "刘桂芳"  # the expired hold freed Liu
    assert staff.patch(f"/housekeeping/workers/{wu['id']}", {"active": True}).status_code == 200
    payment = session.scalar(select(Payment).where(Payment.booking_id == held["id"]))
    app.extensions["linli"].payments.succeeded(session, payment, OnlineProvider())
    commit(session)
    session.close()
    revived = world.api("adult").get(f"/bookings/{held['id']}").get_json()
    assert (revived["status"], revived["details"]["worker"]["name"]) == ("confirmed", "吴兰英")
    assert world.api("student").get(f"/bookings/{other['id']}").get_json()["details"]["worker"]["name"] == "刘桂芳"


def test_the_core_and_the_other_plugins_work_without_housekeeping(make_app, db):
    from core import demo as demo_data

    app = make_app(DISABLED_PLUGINS="housekeeping")
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    types = {t["key"] for t in world.client.get("/api/v1/operator-types").get_json()}
    assert types == {"canteen", "market_fair", "workshop"}
    paths = world.client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not [p for p in paths if p.startswith("/api/v1/housekeeping")]
    assert "/api/v1/market-fair/slots/{slot_id}/stalls" in paths
    assert world.client.get("/api/v1/housekeeping/operators/1/workers").status_code == 404
    assert world.client.get("/api/v1/listings?type=housekeeping").get_json()["total"] == 0
    lunch = world.api("senior68").post("/bookings", {"slot_id": world.slots("Community lunch")[0]["id"],
                                                     "payment_method": "cash"})
    assert lunch.status_code == 201 and lunch.get_json()["total_amount"] == 500
    stall = world.api("adult").post("/bookings", {"slot_id": world.slots("Neighbourhood fair")[0]["id"],
                                                  "details": {"stall_number": 3}})
    assert stall.status_code == 201 and stall.get_json()["details"] == {"stall_number": 3}
    assert db.scalar(select(Community.slug)) == "heping"
