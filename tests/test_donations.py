"""Donation rules, exactly: each kind, 1-fen and odd amounts, a year of fixed donations, a plugin's own rule."""
import datetime as dt

import pytest

from core import hookimpl
from core.donations import DonationBase, by_rule
from core.models import Agreement


def agreement(kind, bps=None, amount=None, period=None):
    return Agreement(donation_kind=kind, donation_bps=bps, donation_amount=amount, donation_period=period,
                     starts_on=dt.date(2026, 1, 1))


@pytest.mark.parametrize("revenue, bps, expected", [
    (1, 1000, 0), (5, 1000, 1), (9, 1000, 1), (10, 1000, 1), (12000, 1000, 1200), (12345, 333, 411),
    (1, 10000, 1), (99999, 1, 10), (0, 5000, 0),
])
def test_percent_of_revenue_is_taken_at_payment_only(revenue, bps, expected):
    rule = agreement("percent_of_revenue", bps=bps)
    assert by_rule(rule, DonationBase(when="payment", revenue=revenue)) == expected
    assert by_rule(rule, DonationBase(when="period", revenue=revenue, period="2026-11")) == 0


def test_percent_of_profit_counts_revenue_after_costs_and_never_goes_negative():
    rule = agreement("percent_of_profit", bps=1000)
    assert by_rule(rule, DonationBase(when="period", revenue=100_000, costs=40_001, period="2026-11")) == 6000
    assert by_rule(rule, DonationBase(when="period", revenue=100_000, costs=150_000, period="2026-11")) == 0
    assert by_rule(rule, DonationBase(when="payment", revenue=100_000)) == 0


def test_a_yearly_fixed_donation_accrues_twelve_months_that_sum_exactly():
    rule = agreement("fixed_per_period", amount=5_000_000, period="year")
    months = [by_rule(rule, DonationBase(when="period", period=f"2026-{m:02d}")) for m in range(1, 13)]
    assert sum(months) == 5_000_000
    assert set(months) == {416_666, 416_667}
    odd = agreement("fixed_per_period", amount=11, period="year")
    assert [by_rule(odd, DonationBase(when="period", period=f"2026-{m:02d}")) for m in range(1, 13)] == [1] * 11 + [0]
    monthly = agreement("fixed_per_period", amount=700, period="month")
    assert by_rule(monthly, DonationBase(when="period", period="2026-02")) == 700


def test_per_booking_is_due_at_fulfilment():
    rule = agreement("per_booking", amount=300)
    assert by_rule(rule, DonationBase(when="booking", fulfilled_bookings=1)) == 300
    assert by_rule(rule, DonationBase(when="payment", revenue=10_000)) == 0


class HalfOfAgencyFee:
    """A plugin's own donation rule: half of a fixed agency fee per payment, whatever the agreement says."""

    @hookimpl
    def compute_donation(self, operator, agreement, base):
        if operator.type == "housekeeping" and base.when == "payment":
            return 1500


def test_a_plugins_donation_hook_replaces_the_computation(make_app, db):
    from core import demo as demo_data
    from core.models import Payment
    from tests.factories import DemoWorld

    app = make_app(PLUGINS=[HalfOfAgencyFee()])
    demo_data.seed(app)
    world = DemoWorld(app.test_client())
    slot = world.slots("Home cleaning, 2 hours")[0]
    booking = world.api("adult").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash",
                                                    "details": {"address": "Heping Road 3"}}).get_json()
    assert world.api("housekeeping").post(f"/bookings/{booking['id']}/check-in").status_code == 200
    session = app.extensions["linli"].db.reader()
    assert session.query(Payment).one().donation_amount == 1500
    session.close()
