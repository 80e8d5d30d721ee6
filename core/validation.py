"""marshmallow's messages as :class:`core.errors.Message`: each remembers its template and values.

A schema's message ("Please write a number from 1 to 1000.") is then said in the
reader's language like any domain error, by looking its template up in the
catalogue, instead of matching English text. marshmallow formats its messages in
two places, ``Field.make_error`` and each validator's ``_format_error``; both are
wrapped here once, when the core is imported (before any schema is defined), and
its default sentences are put in the plain words the pages use (:data:`PLAIN_WORDS`).
:data:`TEMPLATES` marks for the catalogue the templates our schemas can produce
(``tests/test_error_codes.py`` checks every schema's templates are translated).
"""
from __future__ import annotations

import copy
import functools

from marshmallow import Schema, ValidationError, fields, validate

from core.errors import N_, Message


class _Template(str):
    """A template whose ``format`` makes a Message (marshmallow formats with keywords only)."""

    def format(self, *args, **kwargs) -> Message:
        return Message(str(self), kwargs, brace=True)


WORDS = {"date": N_("date"), "datetime": N_("date and time"), "time": N_("time"), "naive": N_("naive"),
         "aware": N_("timezone-aware")}
"""The words marshmallow puts into its date and time messages, said in the reader's language too."""


def _remembering_make_error(make_error):
    @functools.wraps(make_error)
    def wrapper(self, key: str, **kwargs) -> ValidationError:
        template = self.error_messages.get(key)
        if isinstance(template, str):
            said = {k: Message(WORDS[v]) if isinstance(v, str) and v in WORDS else v for k, v in kwargs.items()}
            return ValidationError(Message(template, said, brace=True))
        return make_error(self, key, **kwargs)
    return wrapper


def _remembering_format_error(format_error):
    @functools.wraps(format_error)
    def wrapper(self, value, *message) -> Message:
        validator = copy.copy(self)
        if validator.error is not None:
            validator.error = _Template(validator.error)
        return format_error(validator, value, *(_Template(m) for m in message))
    return wrapper


PLAIN_WORDS = {
    fields.Field: {"required": N_("Please fill this in."), "null": N_("Please fill this in."),
                   "validator_failed": N_("Please check this answer.")},
    fields.String: {"invalid": N_("Please write text here.")},
    fields.Integer: {"invalid": N_("Please write a whole number.")},
    fields.Number: {"invalid": N_("Please write a number.")},
    fields.Boolean: {"invalid": N_("Please answer yes or no.")},
    fields.Date: {"invalid": N_("Please write a date, e.g. 2026-11-23.")},
    fields.DateTime: {"invalid": N_("Please write a date and time, e.g. 2026-11-23T11:30:00+08:00.")},
    fields.Email: {"invalid": N_("Please write an email address, e.g. name@example.org.")},
    fields.List: {"invalid": N_("Please give a list here.")},
    fields.Dict: {"invalid": N_("Please give an object of named fields here.")},
}
"""marshmallow's default messages in the plain words our readers see everywhere else (and our catalogue has)."""


def _install() -> None:
    if getattr(fields.Field.make_error, "__wrapped__", None) is not None:
        return
    for field, words in PLAIN_WORDS.items():
        field.default_error_messages = {**field.default_error_messages, **words}
    Schema.error_messages = {**Schema.error_messages, "unknown": N_("This question is not asked here.")}
    # formatted once more when a Range is made (marshmallow's {min_op}), so the braces are doubled: TEMPLATES has them
    validate.Range.message_min = "Please write {{min}} or more."
    validate.Range.message_max = "Please write {{max}} or less."
    validate.Range.message_all = "Please write a number from {{min}} to {{max}}."
    validate.Length.message_min = N_("Please write at least {min} characters.")
    validate.Length.message_max = N_("Please write at most {max} characters.")
    validate.Length.message_all = N_("Please write between {min} and {max} characters.")
    validate.Length.message_equal = N_("Please write exactly {equal} characters.")
    validate.OneOf.default_message = N_("Please choose one of: {choices}.")
    fields.Field.make_error = _remembering_make_error(fields.Field.make_error)
    for validator in vars(validate).values():
        if isinstance(validator, type) and "_format_error" in vars(validator):
            validator._format_error = _remembering_format_error(vars(validator)["_format_error"])


_install()

TEMPLATES = [
    N_("Invalid value."), N_("Invalid type."), N_("Invalid input type."), N_("Not a valid utf-8 string."),
    N_("Number too large."), N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid mapping type."), N_("Not a valid {obj_type}."), N_("Not a valid {awareness} {obj_type}."),
    N_('"{input}" cannot be formatted as a {obj_type}.'), N_('"{input}" cannot be formatted as a date.'),
    N_("Not a valid URL."), N_("Please write {min} or more."), N_("Please write {max} or less."),
    N_("Please write a number from {min} to {max}."), N_("String does not match expected pattern."),
    N_("Invalid JSON body."),
]
"""marshmallow's and webargs' templates that our schemas can produce, for the catalogue."""
