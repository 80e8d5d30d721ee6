"""Domain errors: a stable code, the values that vary, and a sentence in English that any language can say again.

Every error a service may raise is declared once, beside the code that raises it:

    SLOT_FULL = conflict("slot_full", N_("Not enough places are left: only %(left)s."))
    ...
    raise SLOT_FULL(left=3, field="quantity")

The code is the contract (the API's ``code``, the pages' choice of words); the
sentence is a :class:`Message`: English text that remembers its template and
values, so the reader's catalogue can say it in their language
(``core.web.i18n.say``). Field messages are Messages too. ``N_`` marks a
template for the catalogue (pybabel extracts it), and every declared code is in
:data:`CODES`, so a test finds any code without a translation.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field


def N_(text: str) -> str:  # noqa: N802 - the name pybabel extracts by default
    """Mark a sentence for the catalogue; it is translated when it is shown."""
    return text


class Message(str):
    """English text made from ``template`` and ``params``; ``brace`` templates use ``{name}`` (marshmallow's)."""

    template: str
    params: dict
    brace: bool

    def __new__(cls, template: str, params: dict | None = None, brace: bool = False):
        params = params or {}
        message = super().__new__(cls, _fill(template, params, brace))
        message.template, message.params, message.brace = template, params, brace
        return message

    def __reduce__(self):
        return Message, (self.template, self.params, self.brace)

    def translated(self, translate) -> str:
        """The sentence in the language of ``translate`` (a template's translation), the values said in it too."""
        values = {k: v.translated(translate) if isinstance(v, Message) else v for k, v in self.params.items()}
        try:
            return _fill(translate(self.template), values, self.brace)
        except (KeyError, ValueError, TypeError, IndexError):  # a translation that lost a placeholder
            return _fill(self.template, values, self.brace)


def _fill(template: str, params: dict, brace: bool) -> str:
    if not params:
        return template
    return template.format(**params) if brace else template % params


def text(template: str, **params) -> Message:
    """A sentence that is not an error of its own: a field's message, or a value said inside another sentence."""
    return Message(template, params)


CODES: dict[str, ErrorCode] = {}
"""Every declared error code, core's and the plugins' (a plugin's module declares its codes when it is imported)."""


@dataclass(frozen=True)
class ErrorCode:
    """One kind of error: its stable ``code``, its HTTP ``status`` and its sentence."""

    code: str
    status: int
    template: str
    module: str = field(default="", compare=False)  # the module that declared it (a plugin's, the core's)

    def __post_init__(self):
        if not self.module:
            object.__setattr__(self, "module", _declaring_module())
        known = CODES.setdefault(self.code, self)
        if known != self:
            raise ValueError(f"the error code {self.code!r} is declared twice, differently")

    def __call__(self, *, field: str | None = None, errors: dict | None = None, **params) -> DomainError:
        """The error to raise; ``field`` (dotted for a nested one, e.g. ``details.home_delivery``) also puts the
        sentence under that field, ``errors`` adds other fields' messages."""
        detail = Message(self.template, params)
        if field is not None:
            errors = {**(errors or {}), **_nested(field.split("."), [detail])}
        return ERRORS_BY_STATUS.get(self.status, DomainError)(self, detail, errors)


def _declaring_module() -> str:
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame is not None else ""


def _nested(path: list[str], messages: list) -> dict:
    return {path[0]: messages if len(path) == 1 else _nested(path[1:], messages)}


class DomainError(Exception):
    """An error a service raises: its ``code``, ``status``, ``detail`` (a Message, or text already in the reader's
    language) and per-field ``errors``."""

    status = 400

    def __init__(self, kind: ErrorCode, detail: Message, errors: dict | None = None):
        super().__init__(str(detail))
        self.kind, self.code, self.status = kind, kind.code, kind.status
        self.detail, self.errors = detail, errors


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Input that parses but breaks a rule; ``errors`` maps fields to messages."""

    status = 422


ERRORS_BY_STATUS = {cls.status: cls for cls in (Unauthorized, Forbidden, NotFound, Conflict, Invalid)}


def _declarer(status: int):
    """A function that declares error codes of one HTTP status: ``conflict("slot_full", N_("…"))``."""
    def declare(code: str, template: str) -> ErrorCode:
        return ErrorCode(code, status, template)
    return declare


bad_request, unauthorized, forbidden, not_found, conflict, invalid = map(_declarer, (400, 401, 403, 404, 409, 422))


VALIDATION_FAILED = ErrorCode("validation_failed", 422, N_("Some answers need a change: see the messages beside them."),
                              module=__name__)
"""The input broke its schema or a rule about one field: the fields' own messages say which."""
