"""A month of the demo community written as the accountant's story: cash, donations, settlement, checks."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from core import checks, hookimpl, ledger
from core.db import commit
from core.models import Community, JournalEntry, OperatorCost, Payment, Refund
from tests.clock import serving
from tests.factories import DemoWorld
from tests.test_bookings import OnlineProvider


def this_period():
    """The month of tomorrow, when the demo's first services are given and their cash is taken at check-in."""
    return (dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=1)).strftime("%Y-%m")


def book_and_check_in(demo, resident, title, operator_login, **extra):
    slot = demo.slots(title)[0]
    body = {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash", "details": {}, **extra}
    booking = demo.api(resident).post("/bookings", body).get_json()
    with serving(slot):
        checked = demo.api(operator_login).post(f"/bookings/{booking['id']}/check-in")
    assert checked.status_code == 200, checked.get_json()
    return booking


def fund(db):
    community = db.scalar(select(Community))
    accounts = ["fund_cash", "donations_receivable", "donation_income", "operator_revenue", "operator_cash"]
    db.commit()
    return ledger.balances(db, community.id, accounts)


def test_cash_at_check_in_posts_revenue_and_a_ten_percent_donation_due(demo, db, runner):
    book_and_check_in(demo, "adult", "Home cleaning, 2 hours", "housekeeping", details={"address": "Heping Road 9"})
    # the operator holds all the cash and owes the fund its share: no fund cash yet
    assert fund(db) == {"operator_revenue": 12000, "operator_cash": 12000, "donations_receivable": 1200,
                        "donation_income": 1200}
    assert runner.invoke(args=["check"]).exit_code == 0
    statement = demo.api("housekeeping").get(
        f"/operators/{demo.listing('Home cleaning, 2 hours')['operator_id']}/statements/{this_period()}").get_json()
    assert statement["gross_revenue_amount"] == 12000
    assert statement["revenue_by_tier_and_channel"] == [{"tier": "paid", "channel": "cash", "amount": 12000}]
    assert (statement["donation_due_amount"], statement["donation_received_amount"],
            statement["outstanding_amount"]) == (1200, 0, 1200)


def test_free_and_low_cost_bookings_post_only_what_was_paid(demo, db):
    book_and_check_in(demo, "elder92", "Community lunch", "canteen")  # free: no payment at all
    book_and_check_in(demo, "senior68", "Community lunch", "canteen")  # 500 cash, canteen shares profit later
    assert db.scalar(select(JournalEntry.kind)) == "payment"
    assert fund(db)["operator_revenue"] == 500 and fund(db).get("donation_income", 0) == 0


def test_settlement_posts_profit_and_fixed_donations_once(demo, db, runner):
    for resident in ("adult", "student", "senior68"):
        book_and_check_in(demo, resident, "Community lunch", "canteen")  # 1000 + 800 + 500 = 2300
    canteen = demo.api("canteen")
    canteen_id = demo.listing("Community lunch")["operator_id"]
    assert canteen.post(f"/operators/{canteen_id}/costs", {"period": this_period(), "amount": 1000,
                                                           "description": "rice and vegetables"}).status_code == 201
    result = runner.invoke(args=["settle", "--community", "heping", "--period", this_period()])
    assert result.exit_code == 0, result.output
    month = int(this_period()[5:])
    workshop_share = 416_667 if month <= 8 else 416_666
    assert fund(db)["donation_income"] == 130 + workshop_share  # 10% of (2300 - 1000) profit, and 1/12 of ¥50,000
    entries = db.scalar(select(text("count(*)")).select_from(JournalEntry))
    assert runner.invoke(args=["settle", "--community", "heping", "--period", this_period()]).exit_code == 0
    assert db.scalar(select(text("count(*)")).select_from(JournalEntry)) == entries  # nothing posted twice

    # a cost declared after settling lowers the profit share: a re-run posts only the difference
    canteen.post(f"/operators/{canteen_id}/costs", {"period": this_period(), "amount": 1300, "description": "gas"})
    statements = demo.api("committee1").post(f"/communities/heping/settlements/{this_period()}").get_json()
    by_type = {s["type"]: s for s in statements}
    assert by_type["canteen"]["donation_due_amount"] == 0
    assert by_type["canteen"]["declared_costs_amount"] == 2300
    assert by_type["workshop"]["donation_due_amount"] == workshop_share
    # what settling returns (its figures plus what it posted) is what the ledger now says
    committee = demo.api("committee1")
    assert statements == [committee.get(f"/operators/{s['operator_id']}/statements/{this_period()}").get_json()
                          for s in statements]
    assert runner.invoke(args=["check"]).output.strip() == "all invariants hold"


def test_settlement_is_for_the_committee_and_staff_and_refuses_closed_periods(demo, db):
    period = this_period()
    assert demo.api("canteen").post(f"/communities/heping/settlements/{period}").status_code == 403
    assert demo.api("staff").post("/communities/heping/settlements/2026-13").status_code == 422
    community = db.scalar(select(Community))
    from core.models import ClosedPeriod

    db.add(ClosedPeriod(community_id=community.id, period=period))
    db.commit()
    assert demo.api("staff").post(f"/communities/heping/settlements/{period}").status_code == 409
    canteen_id = demo.listing("Community lunch")["operator_id"]
    refused = demo.api("canteen").post(f"/operators/{canteen_id}/costs", {"period": period, "amount": 5,
                                                                           "description": "late"})
    assert refused.status_code == 409 and db.scalar(select(OperatorCost.id)) is None


@pytest.mark.parametrize("damage, message", [
    ("INSERT INTO journal_lines (entry_id, account, operator_id, side, amount, currency) "
     "SELECT id, 'fund_cash', NULL, 'D', 5, 'CNY' FROM journal_entries LIMIT 1", "differ"),
    # a slot whose places taken disagree with its bookings (the CHECK constraint stops taken > capacity)
    ("UPDATE slots SET taken = 1 WHERE id = (SELECT min(id) FROM slots)", "taken 1, booked 0"),
])
def test_check_fails_on_a_damaged_database(demo, db, runner, damage, message):
    book_and_check_in(demo, "adult", "Home cleaning, 2 hours", "housekeeping", details={"address": "Heping Road 9"})
    db.execute(text(damage))
    db.commit()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and message in result.output


class Collected(OnlineProvider):
    """An online provider that keeps the fund's share at payment, as Stripe does with an application fee."""

    key, collects_for_fund = "collected", True


class CollectedPayments:
    @hookimpl
    def register_payment_providers(self):
        return [Collected()]


@pytest.fixture
def paid_and_refunded(make_app):
    """Cleanings paid in cash at check-in, online, and online then cancelled (refunded); their ids."""
    from core import demo as demo_data

    app = make_app(PLUGINS=[CollectedPayments()])
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    slots = [slot["id"] for slot in world.slots("Home cleaning, 2 hours")]
    ids = {"cash_booking": book_and_check_in(world, "adult", "Home cleaning, 2 hours", "housekeeping",
                                            details={"address": "Heping Road 9"})["id"]}
    for name, who, slot in (("booking", "student", slots[1]), ("refunded_booking", "lowincome", slots[2])):
        ids[name] = world.api(who).post("/bookings", {"slot_id": slot, "payment_method": "collected",
                                                      "details": {"address": "Heping Road 9"}}).get_json()["id"]
    linli = app.extensions["linli"]
    with linli.db.sessionmaker() as session:
        for payment in session.scalars(select(Payment).where(Payment.provider == "collected")):
            linli.payments.succeeded(session, payment, Collected())
        commit(session)
    assert world.api("lowincome").post(f"/bookings/{ids['refunded_booking']}/cancel").status_code == 200
    with linli.db.sessionmaker() as session:
        ids["cash"], ids["payment"], ids["refunded"] = (session.scalar(select(Payment.id).where(
            Payment.booking_id == ids[name])) for name in ("cash_booking", "booking", "refunded_booking"))
        ids["refund"] = session.scalar(select(Refund.id))
    return app, ids


def test_check_passes_with_payments_refunds_and_cash(paid_and_refunded, db):
    app, ids = paid_and_refunded
    refund = db.get(Refund, ids["refund"])
    assert refund.amount == 6000 and refund.donation_reversed == 600  # the low-income price, and its 10 % share
    assert app.test_cli_runner().invoke(args=["check"]).output.strip() == "all invariants hold"


@pytest.mark.parametrize("tampering, named", [
    ("UPDATE payments SET amount = 1 WHERE id = :payment", "payment {payment}: amount 1 != 12000 posted"),
    ("UPDATE payments SET amount = amount + 5 WHERE id = :cash", "payment {cash}: amount 12005 != 12000 posted"),
    ("UPDATE payments SET donation_amount = donation_amount + 1 WHERE id = :payment",
     "payment {payment}: donation_amount 1201 != 1200 posted"),
    ("UPDATE payments SET refunded_amount = refunded_amount - 1 WHERE id = :refunded",
     "payment {refunded}: refunded_amount 5999 != 6000 of refunds posted"),
    ("UPDATE refunds SET amount = amount - 1 WHERE id = :refund", "refund {refund} of payment {refunded}: amount 5999"),
    ("UPDATE refunds SET donation_reversed = donation_reversed + 1 WHERE id = :refund",
     "refund {refund} of payment {refunded}: donation_reversed 601 != 600"),
    ("UPDATE bookings SET unit_amount = unit_amount + 1, total_amount = total_amount + quantity WHERE id = :booking",
     "payment {payment}: amount 12000 != total_amount 12001 of booking {booking}"),
])
def test_check_names_each_stored_figure_that_differs_from_the_ledger(paid_and_refunded, db, tampering, named):
    """``verify-ledger`` sees an intact chain: only ``check`` compares the payments' rows with what was posted."""
    app, ids = paid_and_refunded
    db.execute(text(tampering), ids)
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and named.format(**ids) in result.output, result.output
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_check_names_a_booking_whose_total_is_not_its_unit_price_times_its_places(paid_and_refunded, db):
    """The database's CHECK constraint refuses such a row; with it out of the way, ``check`` still names it."""
    _app, ids = paid_and_refunded
    postgres = db.bind.dialect.name == "postgresql"
    db.execute(text("ALTER TABLE bookings DROP CONSTRAINT ck_bookings_amounts" if postgres
                    else "PRAGMA ignore_check_constraints = ON"))
    try:
        db.execute(text("UPDATE bookings SET total_amount = total_amount + 1 WHERE id = :cash_booking"), ids)
        found = checks.violations(db)
    finally:
        db.rollback()  # the constraint comes back with the transaction on PostgreSQL
        if not postgres:
            db.execute(text("PRAGMA ignore_check_constraints = OFF"))
    assert f"booking {ids['cash_booking']}: total_amount 12001 != unit_amount 12000 × quantity 1" in found
