"""A month of the demo community written as the accountant's story: cash, donations, settlement, checks."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from core import ledger
from core.models import Community, JournalEntry, OperatorCost
from tests.clock import serving


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
