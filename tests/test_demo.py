"""The demo data of SPEC §9.3, loaded once however often it is seeded."""
import datetime as dt

from sqlalchemy import func, select

from core import demo
from core.db import commit
from core.ledger import local_today
from core.models import Agreement, Community, Listing, Operator, Schedule, Slot, User
from core.schedules import HORIZON_DAYS as DAYS_AHEAD

REGISTERED = 30 + 2
"""The demo's resident register: thirty entered by the office, two signed up and waiting (core/demo_register.py)."""

ACCOUNTS = ["admin", "staff", "committee1", "committee2", "committee3", "charity", "canteen", "housekeeping",
            "fair", "workshop", "elder92", "senior68", "student", "adult", "lowincome"]


def counts(db):
    return {model.__name__: db.scalar(select(func.count()).select_from(model))
            for model in (User, Operator, Agreement, Listing, Schedule, Slot)}


def test_seeding_twice_creates_nothing_new(app, db, runner):
    assert runner.invoke(args=["seed-demo"]).output.strip() == "demo data loaded"
    first = counts(db)
    assert runner.invoke(args=["seed-demo"]).output.strip() == "demo data already present"
    # the spec's listings, then the housekeeping centre's elderly care visits and 26-day nanny package; the daily
    # times are weekly schedules (lunch, two cleanings, shifts, care visits) with 28 days of slots made ahead
    assert counts(db) == first == {"User": 15 + REGISTERED, "Operator": 4, "Agreement": 4, "Listing": 5 + 2,
                                   "Schedule": 5, "Slot": DAYS_AHEAD * 5 + 1 + 1 + 1}


def test_every_demo_account_logs_in_with_the_demo_password(app, client):
    demo.seed(app)
    for name in ACCOUNTS:
        response = client.post("/api/v1/auth/token", json={"email": f"{name}@example.org",
                                                           "password": "demo-password"})
        assert response.status_code == 200, name


def test_demo_operators_have_the_agreed_donation_rules(app, db):
    demo.seed(app)
    rules = {o.type: (a.donation_kind, a.donation_bps, a.donation_amount)
             for o, a in db.execute(select(Operator, Agreement).join(Agreement, Agreement.operator_id == Operator.id))}
    assert rules == {
        "canteen": ("percent_of_profit", 1000, None),
        "housekeeping": ("percent_of_revenue", 1000, None),
        "market_fair": ("percent_of_revenue", 500, None),
        "workshop": ("fixed_per_period", None, 5_000_000),
    }


def test_create_user_command_grants_scoped_roles(app, db, runner):
    demo.seed(app)
    result = runner.invoke(args=["create-user", "--email", "New@Example.org", "--password", "long-enough-1",
                                 "--role", "community_staff@heping"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "new@example.org"))
    assert [(g.role, g.community_id) for g in user.grants] == [("community_staff", 1)]
    refused = runner.invoke(args=["create-user", "--email", "x@example.org", "--password", "long-enough-1",
                                  "--role", "operator_staff@heping"])
    assert refused.exit_code != 0


def test_plain_seeding_books_nothing_and_the_activity_is_added_once(app, db, runner):
    from core.models import Booking, InKindDonation

    def everything():
        db.commit()  # a fresh read
        return {**counts(db), "Booking": db.scalar(select(func.count()).select_from(Booking)),
                "InKindDonation": db.scalar(select(func.count()).select_from(InKindDonation))}

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert everything()["Booking"] == 0  # the spec's demo data: nothing booked
    result = runner.invoke(args=["seed-demo", "--activity"])
    assert result.exit_code == 0 and "demo activity in place" in result.output
    once = everything()
    # 4 neighbours; the past shifts and today's lunch (for the counter); a delivery, a cleaning, a stall, a shift and
    # 4 past shifts worked; one gift
    assert once == {"User": 15 + REGISTERED + 4, "Operator": 4, "Agreement": 4, "Listing": 5 + 2 + 1,
                    "Schedule": 5, "Slot": DAYS_AHEAD * 5 + 1 + 1 + 1 + 2 + 1, "Booking": 4 + 4,
                    "InKindDonation": 1}
    assert demo.seed_activity(app) is False and everything() == once  # once per database
    session = app.extensions["linli"].db.sessionmaker()  # and each plugin's part is idempotent by itself
    community = session.scalar(select(Community))
    app.extensions["linli"].plugins.hook.seed_demo_activity(session=session, community=community,
                                                            today=local_today(community),  # the community's day
                                                            book=demo.booker(app, session))
    commit(session)
    session.close()
    assert everything() == once


def test_the_demo_activity_shows_each_operator_type_in_action_through_its_neighbours_only(app, demo, db):
    """A delivery, a cleaning with its worker, a stall and a gift, shifts with a wage sheet; the spec's accounts book nothing."""
    from zoneinfo import ZoneInfo

    from core import demo as demo_data

    assert demo_data.seed_activity(app)
    for local in ("elder92", "senior68", "student", "adult", "lowincome"):
        assert demo.api(local).get("/bookings").get_json()["total"] == 0, local
    canteen_id = demo.listing("Community lunch")["operator_id"]
    last_lunch = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=7)  # the week's last
    deliveries = demo.api("canteen").get(f"/canteen/operators/{canteen_id}/deliveries?date={last_lunch}").get_json()
    assert [(d["resident_name"], d["meals"]) for d in deliveries["items"]] == [("孙爷爷", 1)]
    cleaning = demo.api("neighbour").get("/bookings").get_json()["items"]
    assert {b["details"].get("worker", {}).get("name") for b in cleaning} >= {"刘桂芳"}
    fair = demo.slots("Neighbourhood fair")[0]
    assert demo.client.get(f"/api/v1/market-fair/slots/{fair['id']}/stalls").get_json()["taken"] == [12]
    assert demo.client.get(f"/api/v1/market-fair/slots/{fair['id']}/visits").get_json()["visits"] == 2
    assert demo.api("committee1").get("/communities/heping/fund").get_json()["in_kind_amount"] == 36_000
    workshop_id = demo.listing("Hand-sewing piece-work")["operator_id"]
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    wages: dict[str, int] = {}
    for period in {f"{today - dt.timedelta(days=n):%Y-%m}" for n in (1, 2)}:
        sheet = demo.api("workshop").get(f"/workshop/operators/{workshop_id}/wages?period={period}").get_json()
        for worker in sheet["workers"]:
            wages[worker["worker"]] = wages.get(worker["worker"], 0) + worker["amount"]
    assert wages == {"周芳": (120 + 95) * 350, "吴敏": (80 + 110) * 350}
