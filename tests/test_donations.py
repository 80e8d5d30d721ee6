"""Donation rules, exactly: each kind, 1-fen and odd amounts, a year of fixed donations, an operator type's own."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import OperatorType, hookimpl
from core.donations import DonationBase, by_rule
from core.models import Agreement, Payment
from tests.factories import logged_in, make_community, make_listing, make_operator, make_slot, make_user


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


class FlatFee(OperatorType):
    """A type with its own donation rule: 1,500 per payment, whatever the agreement says."""

    key, label = "tutoring", "Tutoring"

    def donation(self, agreement, base):
        return 1500 if base.when == "payment" else None


class Tutoring:
    @hookimpl
    def register_operator_types(self):
        return [FlatFee()]


def test_an_operator_types_own_donation_rule_replaces_the_agreements(make_app, db):
    client = make_app(PLUGINS=[Tutoring()]).test_client()
    community = make_community(db)
    operator = make_operator(db, community, type_key="tutoring")  # its agreement: 10% of revenue
    slot = make_slot(db, make_listing(db, operator), starts_in=dt.timedelta(hours=1))  # check-in is open
    resident, staff = make_user(db, "resident", community), make_user(db, "operator_staff", community, operator)
    db.commit()
    booking = logged_in(client, resident).post("/bookings", {"slot_id": slot.id, "payment_method": "cash"}).get_json()
    assert logged_in(client, staff).post(f"/bookings/{booking['id']}/check-in").status_code == 200
    db.rollback()
    assert db.scalar(select(Payment.donation_amount)) == 1500  # the agreement's 10% of 1000 would be 100
