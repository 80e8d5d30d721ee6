"""Errors as the API answers them: ``application/problem+json`` (RFC 9457) with a stable ``code``.

``detail`` and the field messages under ``errors`` are in the reader's language
(``Accept-Language``); ``type`` names the problem's own document,
``GET /api/v1/problems/{code}``, which says what the code means in either language.
"""
from __future__ import annotations

from flask import Response, current_app
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from core.api.common import ApiBlueprint, public
from core.errors import (
    CODES, N_, VALIDATION_FAILED, DomainError, ErrorCode, Message, bad_request, not_found,
)
from core.policy import LOGIN_REQUIRED, ROLE_REQUIRED
from core.web.i18n import say, said, status_headline

PROBLEM_JSON = "application/problem+json"
PROBLEMS_PATH = "/api/v1/problems/"

BAD_REQUEST = bad_request("bad_request", N_("The request could not be read."))
NOT_FOUND = not_found("not_found", N_("There is nothing at this address."))
METHOD_NOT_ALLOWED = ErrorCode("method_not_allowed", 405, N_("This address does not take this method."))
PAYLOAD_TOO_LARGE = ErrorCode("payload_too_large", 413, N_("The request is too large."))
UNSUPPORTED_MEDIA_TYPE = ErrorCode("unsupported_media_type", 415, N_(
    "Send the body as JSON (Content-Type: application/json)."))
TOO_MANY_ATTEMPTS = ErrorCode("too_many_attempts", 429, N_(
    "For your safety, logging in is paused for a minute. Please wait, then try again."))
SERVER_ERROR = ErrorCode("server_error", 500, N_("Something went wrong on our side. Please try again later."))
JSON_TOO_DEEP = bad_request("json_too_deep", N_("The JSON is nested too deeply."))
UNKNOWN_PROBLEM = not_found("unknown_problem", N_("There is no problem with the code %(code)s."))

FOR_STATUS = {kind.status: kind for kind in (BAD_REQUEST, LOGIN_REQUIRED, ROLE_REQUIRED, NOT_FOUND,
                                             METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE,
                                             VALIDATION_FAILED, TOO_MANY_ATTEMPTS, SERVER_ERROR)}
"""The problem an HTTP error is when nothing more precise is known (a route that does not exist, a bad body)."""


def problem(error: DomainError, headers=None) -> Response:
    """The error as problem+json, in the reader's language."""
    body = {"type": PROBLEMS_PATH + error.code, "title": status_headline(error.status), "status": error.status,
            "detail": say(error.detail), "code": error.code}
    if error.errors:
        body["errors"] = said(error.errors)
    response = current_app.json.response(body)
    response.status_code, response.mimetype = error.status, PROBLEM_JSON
    response.headers.extend(headers or {})
    return response


def http_problem(error: HTTPException, errors: dict | None = None) -> Response:
    """An HTTP error (werkzeug's, or webargs' 422) as problem+json, keeping headers such as ``Allow``."""
    refusal = (FOR_STATUS.get(error.code) or (SERVER_ERROR if error.code >= 500 else BAD_REQUEST))(errors=errors)
    refusal.status = error.code  # a rarer status (408, 503) keeps its number under the nearest problem's words
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return problem(refusal, headers)


class ProblemSchema(Schema):
    """RFC 9457's problem details, with the stable ``code`` and per-field ``errors``."""

    type = fields.String(metadata={"description": "the problem's document: GET it to read what the code means"})
    title = fields.String(metadata={"description": "a short summary of the kind of problem"})
    status = fields.Integer(metadata={"description": "the HTTP status"})
    detail = fields.String(metadata={"description": "what happened, in the reader's language (Accept-Language)"})
    code = fields.String(metadata={"description": "stable snake_case code, e.g. slot_full, validation_failed"})
    errors = fields.Dict(keys=fields.String(), metadata={"description": "messages per field (nested for objects)"})


class ProblemTypeSchema(Schema):
    code = fields.String()
    status = fields.Integer()
    title = fields.String()
    detail = fields.String(metadata={"description": "the sentence, with its values as %(name)s"})


blp = ApiBlueprint("problems", __name__, url_prefix="/problems", description="What each error code means")


@blp.route("/<code>")
@blp.response(200, ProblemTypeSchema)
@public
def problem_type(code):
    """What the problem ``code`` means, in the reader's language."""
    kind = CODES.get(code)
    if kind is None:
        raise UNKNOWN_PROBLEM(code=code[:64])
    return {"code": kind.code, "status": kind.status, "title": status_headline(kind.status),
            "detail": say(Message(kind.template))}
