"""Money never uses floats, and every split adds up to the whole."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import CurrencyMismatch, Money, allocate, share_bps


@given(st.integers(-10**12, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=20).filter(any))
def test_allocation_sums_to_the_whole(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)


@given(st.integers(0, 10**12), st.lists(st.integers(1, 10**6), min_size=1, max_size=20))
def test_each_part_is_within_one_unit_of_its_exact_share(total, weights):
    for part, weight in zip(allocate(total, weights), weights):
        exact = total * weight / sum(weights)
        assert abs(part - exact) < 1


def test_largest_remainder_breaks_ties_by_position():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(5_000_000, [1] * 12) == [416_667] * 8 + [416_666] * 4
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]


def test_bps_share_of_one_fen_and_odd_amounts():
    assert share_bps(1, 1000) == 0
    assert share_bps(5, 1000) == 1  # 0.5 rounds up: remainder 5000/10000 vs 5000/10000, first wins
    assert share_bps(12_345, 1000) == 1235
    assert share_bps(12_345, 10_000) == 12_345
    assert share_bps(12_345, 0) == 0


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(1.5, "CNY")
    with pytest.raises(CurrencyMismatch):
        Money(1, "CNY") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(100, "CNY").times(1.5)
    assert Money(100, "CNY").allocate([1, 2]) == [Money(33, "CNY"), Money(67, "CNY")]
