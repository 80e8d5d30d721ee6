"""The price-rule engine: ordered rules, first match wins.

A rule is a condition, a tier (free, low_cost, paid) and a unit amount. Conditions
read only verified facts about a person: residency in the listing's community,
age on the slot's date (from the date of birth), verified attributes, and the
hours an active volunteer of the community has in the time bank (a reward: the
booking spends them, see :mod:`core.rewards`). Any
condition other than the catch-all applies to residents only, so non-residents
and unverified people fall through to the catch-all, which every rule list ends with.
A person's price is theirs alone: a booking of several places (a family's lunches)
has its first place at that price and the others at the catch-all's.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.errors import N_, invalid, text
from core.tenths import tenths

TIERS = ("free", "low_cost", "paid")
ATTRIBUTES = ("student", "low_income", "disability")
"""What the rules may know of a person beyond age and residency: attributes community staff verify."""
MOST_REWARD_HOURS = 10_000


INVALID_PRICE_RULES = invalid("invalid_price_rules", N_("The prices are not right. Only a free price can be zero."))


@dataclass(frozen=True)
class PriceRule:
    name: str
    tier: str
    amount: int
    min_age: int | None = None
    max_age: int | None = None
    attributes: tuple[str, ...] = ()
    resident: bool = False
    volunteer_tenths: int | None = None
    """A reward: matches a volunteer with at least these hours (in tenths), which a booking at this price spends."""

    @property
    def is_catch_all(self) -> bool:
        return (self.min_age is None and self.max_age is None and not self.attributes and not self.resident
                and self.volunteer_tenths is None)

    def matches(self, person: Person, on: dt.date) -> bool:
        if self.is_catch_all:
            return True
        if not person.resident:
            return False
        if self.min_age is not None or self.max_age is not None:
            age = person.age_on(on)
            if age is None:
                return False
            if self.min_age is not None and age < self.min_age:
                return False
            if self.max_age is not None and age > self.max_age:
                return False
        if self.volunteer_tenths is not None and (person.volunteer_tenths or 0) < self.volunteer_tenths:
            return False
        return all(a in person.attributes for a in self.attributes)

    def as_json(self) -> dict:
        when = {k: v for k, v in (("min_age", self.min_age), ("max_age", self.max_age)) if v is not None}
        if self.attributes:
            when["attributes"] = list(self.attributes)
        if self.resident:
            when["resident"] = True
        if self.volunteer_tenths is not None:
            when["volunteer_hours"] = as_hours(self.volunteer_tenths)
        return {"name": self.name, "when": when, "tier": self.tier, "amount": self.amount}


@dataclass(frozen=True)
class Person:
    """What the rules may know about someone: residency, birth date, verified attributes, and their hours as a
    volunteer of the community (only read where a rule asks: None otherwise, as for someone who is no volunteer)."""

    resident: bool
    date_of_birth: dt.date | None = None
    attributes: frozenset[str] = field(default_factory=frozenset)
    volunteer_tenths: int | None = None

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class Quote:
    tier: str
    unit_amount: int
    quantity: int
    currency: str
    rule: str
    extra_unit_amount: int | None = None
    """The price of each place after the first, where it differs: a person's own price (free, low cost) is for them
    alone, and the others they book for pay the price for everyone."""
    volunteer_tenths: int = 0
    """The volunteer hours (in tenths) a booking at this price spends: a reward's, for the person's own place."""

    @property
    def total_amount(self) -> int:
        return total_of(self.unit_amount, self.extra_unit_amount, self.quantity)


def total_of(unit_amount: int, extra_unit_amount: int | None, quantity: int) -> int:
    """The first place at ``unit_amount``, the others at ``extra_unit_amount`` (or ``unit_amount`` when None)."""
    return unit_amount + (unit_amount if extra_unit_amount is None else extra_unit_amount) * (quantity - 1)


def as_hours(tenths_of_hours: int) -> int | float:
    """Tenths as the number people wrote: 100 is 10, 25 is 2.5."""
    whole, tenth = divmod(tenths_of_hours, 10)
    return whole if tenth == 0 else tenths_of_hours / 10


class VolunteerHours(fields.Field):
    """Hours as a JSON number above 0 with at most one decimal (10, 2.5), loaded in tenths."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        given = tenths(value) if isinstance(value, (int, float)) else None
        if given is None or not 0 < given <= MOST_REWARD_HOURS * 10:
            raise ValidationError(text(N_("Give the volunteer hours as a number above 0, at most %(most)s, with at "
                                          "most one decimal, e.g. 10 or 2.5."), most=MOST_REWARD_HOURS))
        return given


class ConditionSchema(Schema):
    min_age = fields.Integer(validate=validate.Range(0, 150))
    max_age = fields.Integer(validate=validate.Range(0, 150))
    attributes = fields.List(fields.String(validate=validate.OneOf(ATTRIBUTES)), validate=validate.Length(max=3))
    resident = fields.Boolean()
    volunteer_hours = VolunteerHours()


class PriceRuleSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,64}$"))
    when = fields.Nested(ConditionSchema, load_default=dict)
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100_000_000))

    @validates_schema
    def _free_means_zero(self, data, **_):
        if "tier" in data and "amount" in data and (data["tier"] == "free") != (data["amount"] == 0):
            raise ValidationError(text(N_("A free price costs 0, and only a free price costs 0.")), "amount")


def parse_rules(raw) -> list[PriceRule]:
    """Validate a JSON rule list and build the rules; a 422 with the rules' field errors otherwise.

    The same rules are parsed once per process: a listing's rules are read on every quote and booking.
    """
    if not isinstance(raw, list) or not raw:
        raise INVALID_PRICE_RULES(errors={"price_rules": [text(N_("Give at least one price."))]})
    try:
        as_json = json.dumps(raw, sort_keys=True)
    except (TypeError, ValueError):
        raise INVALID_PRICE_RULES(errors={"price_rules": [text(N_("Give the prices as JSON."))]}) from None
    return list(_parsed(as_json))


@functools.lru_cache(maxsize=1024)
def _parsed(as_json: str) -> tuple[PriceRule, ...]:
    raw = json.loads(as_json)
    try:
        loaded = PriceRuleSchema(many=True).load(raw)
    except ValidationError as e:
        raise INVALID_PRICE_RULES(errors={"price_rules": e.messages}) from None
    rules = [
        PriceRule(
            name=r["name"], tier=r["tier"], amount=r["amount"],
            min_age=r["when"].get("min_age"), max_age=r["when"].get("max_age"),
            attributes=tuple(r["when"].get("attributes", ())), resident=r["when"].get("resident", False),
            volunteer_tenths=r["when"].get("volunteer_hours"),
        )
        for r in loaded
    ]
    problems = {}
    for i, rule in enumerate(rules[:-1]):
        if rule.is_catch_all:
            problems[i] = [text(N_("The price for everyone must come last: the prices after it would never apply."))]
    if not rules[-1].is_catch_all:
        problems[len(rules) - 1] = [text(N_("The last price must be for everyone (no condition)."))]
    if len({r.name for r in rules}) != len(rules):
        problems["names"] = [text(N_("Each price needs a name of its own."))]
    if problems:
        raise INVALID_PRICE_RULES(errors={"price_rules": problems})
    return tuple(rules)


def first_match(rules: list[PriceRule], person: Person, on: dt.date) -> PriceRule:
    """The first rule that matches; a validated list always ends with a catch-all."""
    for rule in rules:
        if rule.matches(person, on):
            return rule
    raise INVALID_PRICE_RULES(errors={"price_rules": [text(N_("The last price must be for everyone (no condition)."))]})


def needs_volunteer_hours(rules: list[PriceRule]) -> bool:
    """Whether a rule asks for a volunteer's hours: only then are they read (under a lock) to decide a price."""
    return any(rule.volunteer_tenths is not None for rule in rules)


def quote(rules: list[PriceRule], person: Person, on: dt.date, quantity: int, currency: str) -> Quote:
    """The person's price for their own place; any further places at the price for everyone (the last rule)."""
    rule, everyone = first_match(rules, person, on), rules[-1].amount
    extra = everyone if quantity > 1 and everyone != rule.amount else None
    return Quote(tier=rule.tier, unit_amount=rule.amount, quantity=quantity, currency=currency, rule=rule.name,
                 extra_unit_amount=extra, volunteer_tenths=rule.volunteer_tenths or 0)
