"""The monthly score as a pure function, checked against months worked out by hand."""
from __future__ import annotations

from fractions import Fraction

from core.accountability_settings import DEFAULT_WEIGHTS
from core.scoring import Figures, half_up, score


def by_part(result) -> dict[str, dict]:
    return {part["part"]: part for part in result.parts}


def test_a_month_with_every_part_is_their_weighted_mean():
    # ratings 4,4,5,5: mean 4.5 → 9.0; complaints 1 upheld in 50 bookings = 2 per 100 → 10 − 4 = 6.0;
    # fulfilment 40 of 50 served → 8.0; inspections 5.0 and 5.5 → 5.25 → 5.3; donations none paid on time → 0.0.
    # (9.0×30 + 6.0×20 + 8.0×20 + 5.3×20 + 0×10) / 100 = 65.6 / 10 → 6.6
    month = Figures(stars=(4, 4, 5, 5), bookings_due=50, called_off=10, upheld_complaints=1, inspections=(50, 55),
                    donations_due=10_000, donations_on_time=0)
    result = score(month, DEFAULT_WEIGHTS)
    parts = by_part(result)
    assert result.tenths == 66
    assert [parts[p]["value"] for p in DEFAULT_WEIGHTS] == [9.0, 6.0, 8.0, 5.3, 0.0]
    assert [parts[p]["share"] for p in DEFAULT_WEIGHTS] == [30.0, 20.0, 20.0, 20.0, 10.0]
    assert parts["complaints"]["figures"] == {"upheld": 1, "bookings": 50}
    assert parts["fulfilment"]["figures"] == {"due": 50, "called_off": 10}
    assert not any(part["missing"] for part in result.parts)


def test_exactly_six_is_six():
    # no bookings: ratings 4 → 8.0 (30), inspection 3.5 (20), donations half paid → 5.0 (10):
    # (8.0×30 + 3.5×20 + 5.0×10) / 60 = 360 / 60 = 6.0 exactly
    month = Figures(stars=(4,), inspections=(35,), donations_due=100, donations_on_time=50)
    assert score(month, DEFAULT_WEIGHTS).tenths == 60
    # one tenth of inspection less: 358 / 60 = 5.967 → 6.0 still; two less: 356 / 60 = 5.93 → 5.9
    assert score(Figures(stars=(4,), inspections=(34,), donations_due=100, donations_on_time=50),
                 DEFAULT_WEIGHTS).tenths == 60
    assert score(Figures(stars=(4,), inspections=(33,), donations_due=100, donations_on_time=50),
                 DEFAULT_WEIGHTS).tenths == 59


def test_a_month_with_no_part_has_no_score():
    result = score(Figures(), DEFAULT_WEIGHTS)
    assert result.tenths is None
    assert [part["part"] for part in result.parts] == list(DEFAULT_WEIGHTS)
    assert all(part["missing"] and part["value"] is None and part["share"] == 0 for part in result.parts)


def test_only_an_inspection_scores_the_inspection():
    result = score(Figures(inspections=(73,)), DEFAULT_WEIGHTS)
    assert result.tenths == 73
    assert by_part(result)["inspection"]["share"] == 100.0
    assert [p["part"] for p in result.parts if p["missing"]] == ["ratings", "complaints", "fulfilment", "donations"]


def test_missing_parts_rescale_the_others_and_never_count_as_full_marks():
    # ratings 5 stars → 10.0 (30), inspection 4.0 (20), nothing else: (10×30 + 4×20) / 50 = 7.6, not 8.8
    result = score(Figures(stars=(5, 5), inspections=(40,)), DEFAULT_WEIGHTS)
    assert result.tenths == 76
    parts = by_part(result)
    assert (parts["ratings"]["share"], parts["inspection"]["share"]) == (60.0, 40.0)
    assert parts["complaints"]["weight"] == 20 and parts["complaints"]["share"] == 0


def test_rounding_is_half_up_in_integers():
    weights = {"ratings": 1, "complaints": 0, "fulfilment": 0, "inspection": 1, "donations": 0}
    # (8.0 + 3.3) / 2 = 5.65 → 5.7 (banker's rounding would say 5.6)
    assert score(Figures(stars=(4,), inspections=(33,)), weights).tenths == 57
    # (8.0 + 3.1) / 2 = 5.55 → 5.6; 0.1 + 0.2 style float drift would make it 5.5
    assert score(Figures(stars=(4,), inspections=(31,)), weights).tenths == 56
    # a part rounds half up as well: mean of 5.0 and 5.5 is 5.25 → 5.3; 1, 2 stars: 1.5 × 2 = 3.0
    assert by_part(score(Figures(inspections=(50, 55)), weights))["inspection"]["value"] == 5.3
    assert half_up(Fraction(5, 2)) == 3 and half_up(Fraction(7, 2)) == 4 and half_up(Fraction(1, 3)) == 0


def test_complaints_per_hundred_bookings_floor_at_zero():
    # 1 upheld in 200 bookings: 0.5 per 100 → 10 − 1 = 9.0
    assert by_part(score(Figures(bookings_due=200, upheld_complaints=1), DEFAULT_WEIGHTS))["complaints"]["value"] == 9.0
    # 1 upheld in 10 bookings: 10 per 100 → 10 − 20, floored at 0
    assert by_part(score(Figures(bookings_due=10, upheld_complaints=1), DEFAULT_WEIGHTS))["complaints"]["value"] == 0.0
    # an upheld complaint about a month without bookings (a booking of the month before) still counts: 0
    result = score(Figures(upheld_complaints=1), DEFAULT_WEIGHTS)
    assert result.tenths == 0 and by_part(result)["fulfilment"]["missing"]


def test_fulfilment_and_donations_are_shares():
    month = Figures(bookings_due=3, called_off=1, donations_due=300, donations_on_time=500)
    parts = by_part(score(month, DEFAULT_WEIGHTS))
    assert parts["fulfilment"]["value"] == 6.7  # 2 of 3 → 6.67 → 6.7
    assert parts["donations"]["value"] == 10.0  # paying more than was due is not more than full marks
    assert parts["donations"]["figures"] == {"due": 300, "on_time": 300}


def test_present_parts_all_weighted_zero_give_no_score():
    weights = dict(DEFAULT_WEIGHTS, inspection=0)
    result = score(Figures(inspections=(90,)), weights)
    assert result.tenths is None and by_part(result)["inspection"]["value"] == 9.0
