"""The REST API under /api/v1, described by OpenAPI 3 at /api/v1/openapi.json."""
from __future__ import annotations

import flask_smorest
from flask import Flask, Response, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from core.api import idempotency
from core.api.common import MAX_ID
from core.db import rollback
from core.errors import DomainError
from core.request_session import session
from core.security import refused_text, unstorable_text

API_PREFIX = "/api/v1"


LOCATIONS = ("json", "query", "path", "headers", "form", "files", "cookies")


class LinliApi(Api):
    """flask-smorest's API with one error shape: field errors flat under ``errors``, and a message."""

    def handle_http_exception(self, error):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors", data.get("messages"))
        if isinstance(errors, dict) and set(errors) <= set(LOCATIONS):
            flat = {}
            for location, messages in errors.items():
                flat.update(messages if isinstance(messages, dict) else {location: messages})
            errors = flat
        if errors is not None:
            data["errors"] = errors
            data.setdefault("message", "the request is invalid: see errors")
            error.data = data
        payload, status, headers = super().handle_http_exception(error)
        payload.setdefault("message", error.description or payload["status"])  # e.g. a 413 or a 429 says why too
        return payload, status, headers


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route, API and pages: ids are 32-bit, so no id in a URL can overflow a database integer.

    More than ten digits never matches (a 404); a ten-digit number beyond 2**31 - 1
    is a 404 too, or werkzeug's 405 for a method the route does not have.
    """

    regex = r"[0-9]{1,10}"  # ASCII digits: \d would also take "١٢" (Arabic-Indic) as the id 12

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, max, signed)


def init_api(app: Flask) -> Api:
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        API_TITLE="Linli API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = LinliApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}})
    app.extensions["linli_api"] = api
    from core.api import auth, bookings, communities, fund, listings, operators, payments, public, residents

    for module in (auth, communities, operators, listings, bookings, residents, payments, fund, public):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.blp.url_prefix)
    _register_error_handlers(app)
    _require_json_bodies(app)
    return api


def register_plugin_blueprint(app: Flask, blueprint) -> None:
    """A plugin's smorest blueprint joins the documented API; any other is a plain Flask blueprint."""
    if isinstance(blueprint, flask_smorest.Blueprint):
        app.extensions["linli_api"].register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
    else:
        app.register_blueprint(blueprint)


def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    from http import HTTPStatus

    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def _require_json_bodies(app: Flask) -> None:
    """What the API takes in, checked before any view runs: a JSON body (else 415), nested within reason (else
    400), and text a database can store, without control characters, in the body and the query (else 422)."""

    @app.before_request
    def _json_only():
        if not request.path.startswith(API_PREFIX + "/"):
            return None
        if unstorable_text(request.view_args) is not None:
            return _refusal(404, "there is nothing at this address")
        if request.method in ("POST", "PUT", "PATCH") and request.content_length and not request.is_json:
            return _refusal(415, "send the body as JSON (Content-Type: application/json)")
        try:
            body = request.get_json(silent=True) if request.content_length and request.is_json else None
        except RecursionError:  # the parser recursed past Python's limit: a body no client means to send
            return _refusal(400, "the JSON is nested too deeply")
        place = refused_text(body) or refused_text(request.args.to_dict(flat=False))
        if place is not None:
            return _refusal(422, "text may not contain control characters (but tab and line breaks), bidi controls, "
                                 "NUL characters or unpaired surrogates",
                            {place: ["contains a control character, a bidi control, a NUL character or an unpaired "
                                     "surrogate"]})
        return None


def _refusal(status: int, message: str, errors: dict | None = None) -> Response:
    response = jsonify(error_body(status, message, errors))
    response.status_code = status
    return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(e: DomainError):
        db = session()
        rollback(db)
        response = _refusal(e.status, e.message, e.errors)
        held = idempotency.record_failure(db, response)
        if isinstance(held, idempotency.Replay):
            return held.response
        if held is not None:
            return _refusal(held.status, held.message, held.errors)
        return response

    @app.errorhandler(idempotency.Replay)
    def _replay(e: idempotency.Replay):
        return e.response

    @app.errorhandler(405)
    def _method_not_allowed(e: HTTPException):
        response = _refusal(405, "this method is not allowed here")
        response.headers["Allow"] = ", ".join(sorted(e.valid_methods or ()))
        return response
