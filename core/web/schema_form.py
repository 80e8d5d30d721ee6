"""A plugin's marshmallow schema as questions on a page, and the answers back as the schema expects them.

The core cannot know an operator type's fields, so the booking page (booking
details) and the operator's listing page (listing details) both ask whatever the
plugin's schema declares: a checkbox for a boolean, a list of choices where a
``OneOf`` validator names them, an amount in yuan for an ``*_amount`` integer
(stored in minor units), a number or a line of text otherwise. Checking the
answers stays the schema's job: what cannot even be read here is passed on as
typed, so the schema names the problem in its own words.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from marshmallow import Schema, fields, validate

from core.web.i18n import plain_amount, to_minor_units
from core.web.labels import choice_label, detail_label, staff_detail_label

PREFIX = "details-"


@dataclass(frozen=True)
class Question:
    name: str
    kind: str  # checkbox, select, money, number, textarea, text
    label: str
    required: bool
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def input_name(self) -> str:
        return PREFIX + self.name


def _kind(name: str, field: fields.Field) -> str:
    if isinstance(field, fields.Boolean):
        return "checkbox"
    if _choices(field):
        return "select"
    if isinstance(field, fields.Integer):
        return "money" if name.endswith("_amount") else "number"
    return "textarea" if name == "notes" else "text"


def _choices(field: fields.Field) -> tuple[tuple[str, str], ...]:
    validators = field.validators if isinstance(field.validators, (list, tuple)) else [field.validators]
    for validator in validators:
        if isinstance(validator, validate.OneOf):
            return tuple((str(c), choice_label(str(c))) for c in validator.choices)
    return ()


def _label(name: str, field: fields.Field) -> str:
    """The plugin's own label (translated by its catalogue) if it gives one, else the core's word for it."""
    own = field.metadata.get("label")
    return gettext(own) if own else detail_label(name)


def questions(schema: type[Schema] | None) -> list[Question]:
    """What the schema asks, in its order, leaving out what only the server fills in."""
    if schema is None:
        return []
    return [Question(name=name, kind=_kind(name, field), label=_label(name, field), required=field.required,
                     hint=gettext(field.metadata["hint"]) if field.metadata.get("hint") else "",
                     choices=_choices(field))
            for name, field in schema().fields.items() if not field.dump_only]


def answers(asked: list[Question], form, currency: str, keep_unchecked: bool = False) -> dict:
    """The posted answers as the schema expects them; empty answers are left out (the schema's default).

    ``keep_unchecked`` records an unticked box as ``False`` (an edit that switches it off).
    """
    details: dict = {}
    for question in asked:
        raw = form.get(question.input_name, "").strip()
        if question.kind == "checkbox":
            if raw or keep_unchecked:
                details[question.name] = bool(raw)
        elif raw:
            details[question.name] = _typed(question.kind, raw, currency)
    return details


def _typed(kind: str, raw: str, currency: str):
    if kind == "number":
        return int(raw) if raw.isdigit() else raw
    if kind == "money":
        amount = to_minor_units(raw, currency)
        return amount if amount is not None else raw
    return raw


def given(asked: list[Question], stored: dict, currency: str) -> list[tuple[str, str | None]]:
    """A booking's answers for the operator's staff: (label, value) of each one given, value None for a ticked box."""
    found = []
    for question in asked:
        value = (stored or {}).get(question.name)
        if value not in (None, "", False):
            label = staff_detail_label(question.name) or question.label
            shown = choice_label(str(value)) if question.kind == "select" else shown_value(question, value, currency)
            found.append((label, None if question.kind == "checkbox" else shown))
    return found


def shown_value(question: Question, stored, currency: str) -> str:
    """A stored detail as the form shows it again: minor units back to yuan."""
    if stored is None:
        return ""
    if question.kind == "money" and isinstance(stored, int):
        return plain_amount(stored, currency)
    return str(stored)
