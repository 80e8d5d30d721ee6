"""The price-rule engine: first match wins, ages turn on birthdays, everyone else falls through to paid."""
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import Invalid
from core.pricing import Person, first_match, parse_rules, quote

CANTEEN = parse_rules([
    {"name": "age_90_plus", "when": {"min_age": 90}, "tier": "free", "amount": 0},
    {"name": "age_60_plus", "when": {"min_age": 60}, "tier": "low_cost", "amount": 500},
    {"name": "student", "when": {"attributes": ["student"]}, "tier": "low_cost", "amount": 800},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 1000},
])
attributes = st.frozensets(st.sampled_from(["student", "low_income", "disability"]))
birthdays = st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31))
days = st.dates(dt.date(2020, 1, 1), dt.date(2040, 12, 31))


@given(birthdays, days, attributes)
def test_the_first_matching_rule_decides(born, day, attrs):
    person = Person(resident=True, date_of_birth=born, attributes=attrs)
    matching = [rule for rule in CANTEEN if rule.matches(person, day)]
    assert first_match(CANTEEN, person, day) == matching[0]
    assert matching[-1].name == "anyone"


@given(birthdays, days, attributes)
def test_non_residents_always_fall_through_to_paid(born, day, attrs):
    person = Person(resident=False, date_of_birth=born, attributes=attrs)
    assert first_match(CANTEEN, person, day).name == "anyone"


@given(days, attributes)
def test_an_unknown_birth_date_never_matches_an_age_rule(day, attrs):
    rule = first_match(CANTEEN, Person(resident=True, attributes=attrs), day)
    assert rule.name == ("student" if "student" in attrs else "anyone")


@given(st.dates(dt.date(1930, 1, 1), dt.date(1966, 12, 31)).filter(lambda d: (d.month, d.day) != (2, 29)))
def test_age_turns_on_the_birthday_itself(born):
    sixtieth = born.replace(year=born.year + 60)
    resident = Person(resident=True, date_of_birth=born)
    assert first_match(CANTEEN, resident, sixtieth - dt.timedelta(days=1)).name == "anyone"
    assert first_match(CANTEEN, resident, sixtieth).name == "age_60_plus"


def test_a_leap_day_birthday_counts_from_the_first_of_march():
    resident = Person(resident=True, date_of_birth=dt.date(1964, 2, 29))
    assert resident.age_on(dt.date(2024, 2, 28)) == 59
    assert resident.age_on(dt.date(2025, 2, 28)) == 60
    assert resident.age_on(dt.date(2025, 3, 1)) == 61


def test_max_age_and_combined_attributes():
    rules = parse_rules([
        {"name": "child", "when": {"max_age": 12}, "tier": "free", "amount": 0},
        {"name": "poor_disabled", "when": {"attributes": ["low_income", "disability"]}, "tier": "free", "amount": 0},
        {"name": "neighbour", "when": {"resident": True}, "tier": "low_cost", "amount": 300},
        {"name": "anyone", "when": {}, "tier": "paid", "amount": 900},
    ])
    day = dt.date(2026, 6, 1)
    assert first_match(rules, Person(True, dt.date(2014, 6, 1)), day).name == "child"
    assert first_match(rules, Person(True, dt.date(2013, 6, 1)), day).name == "neighbour"
    assert first_match(rules, Person(True, None, frozenset({"low_income"})), day).name == "neighbour"
    assert first_match(rules, Person(True, None, frozenset({"low_income", "disability"})), day).name == "poor_disabled"
    assert first_match(rules, Person(False, dt.date(2020, 1, 1)), day).name == "anyone"


@pytest.mark.parametrize("rules", [
    [],
    "anyone",
    [{"name": "anyone", "when": {}, "tier": "paid"}],
    [{"name": "Bad Name", "when": {}, "tier": "paid", "amount": 1}],
    [{"name": "old", "when": {"min_age": 200}, "tier": "paid", "amount": 1}, {"name": "a", "when": {}, "tier": "paid", "amount": 1}],
    [{"name": "anyone", "when": {"colour": "red"}, "tier": "paid", "amount": 1}],
])
def test_malformed_rules_are_refused(rules):
    with pytest.raises(Invalid):
        parse_rules(rules)


REWARD = parse_rules([
    {"name": "volunteer_lunch", "when": {"volunteer_hours": 2.5}, "tier": "free", "amount": 0},
    {"name": "age_60_plus", "when": {"min_age": 60}, "tier": "low_cost", "amount": 500},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 1000},
])


@pytest.mark.parametrize(("person", "decides"), [
    (Person(True, volunteer_tenths=25), "volunteer_lunch"),  # just enough
    (Person(True, volunteer_tenths=24), "anyone"),  # not enough
    (Person(True, dt.date(1950, 1, 1), volunteer_tenths=24), "age_60_plus"),  # not enough: the next rule decides
    (Person(True), "anyone"),  # no volunteer (or one of another community, or inactive: the booking reads None)
    (Person(False, volunteer_tenths=500), "anyone"),  # not a resident here
])
def test_a_reward_matches_a_resident_volunteer_with_the_hours(person, decides):
    assert first_match(REWARD, person, dt.date(2026, 6, 1)).name == decides


def test_a_reward_is_kept_as_given_and_spends_its_hours_for_one_place():
    assert REWARD[0].volunteer_tenths == 25 and REWARD[0].as_json()["when"] == {"volunteer_hours": 2.5}
    assert parse_rules([{**REWARD[0].as_json(), "when": {"volunteer_hours": 10}}, REWARD[-1].as_json()])[0].as_json()[
        "when"] == {"volunteer_hours": 10}
    family = quote(REWARD, Person(True, volunteer_tenths=30), dt.date(2026, 6, 1), 3, "CNY")
    assert (family.volunteer_tenths, family.unit_amount, family.total_amount) == (25, 0, 2000)
    assert quote(REWARD, Person(True), dt.date(2026, 6, 1), 1, "CNY").volunteer_tenths == 0


@pytest.mark.parametrize("hours", [0, -1, 2.55, "10", True, None, 10_001, 1e999, [10]])
def test_a_reward_needs_hours_above_zero_with_one_decimal_at_most(hours):
    with pytest.raises(Invalid):
        parse_rules([{"name": "reward", "when": {"volunteer_hours": hours}, "tier": "free", "amount": 0},
                     {"name": "anyone", "when": {}, "tier": "paid", "amount": 1}])
