"""The REST API under /api/v1, described by OpenAPI 3 at /api/v1/openapi.json."""
from __future__ import annotations

import flask_smorest
from flask import Flask, request
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from core import policy
from core.api import idempotency
from core.api.common import MAX_ID, current_user
from core.api.openapi import OperationsDocumented, date_ranges
from core.api.problems import (
    JSON_TOO_DEEP, NOT_FOUND, UNSUPPORTED_MEDIA_TYPE, ProblemSchema, http_problem, problem,
)
from core.db import rollback
from core.errors import DomainError
from core.request_session import session
from core.security import INVISIBLE_CHARACTERS, allow_upload, refused_text, unstorable_text

API_PREFIX = "/api/v1"
PROVIDER_NOTIFICATIONS = API_PREFIX + "/payments/"  # each provider's notify route


LOCATIONS = ("json", "query", "path", "headers", "form", "files", "cookies")


class LinliApi(Api):
    """flask-smorest's API answering every error as a problem (``core.api.problems``), field errors flat under
    ``errors``, and documenting it so."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args, **kwargs):
        self._undocumented = []
        super().__init__(*args, **kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Route the blueprint now, document it when the document is first read: describing every operation is
        most of the cost of building an app, and most apps (every test's, every worker's) never serve it."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    @property
    def spec(self):
        """The OpenAPI document, with the blueprints registered so far described in it (in their order)."""
        pending, self._undocumented = self._undocumented, []
        for blp, name, parameters in pending:
            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def handle_http_exception(self, error):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors", data.get("messages"))
        if isinstance(errors, dict) and set(errors) <= set(LOCATIONS):
            flat = {}
            for location, messages in errors.items():
                flat.update(messages if isinstance(messages, dict) else {location: messages})
            errors = flat
        return http_problem(error, errors)


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
    bearer = {"type": "http", "scheme": "bearer"}
    api = LinliApi(app, spec_kwargs={"components": {"securitySchemes": {"bearer": bearer}},
                                     "extra_plugins": [OperationsDocumented(app)]})
    api.ma_plugin.converter.add_attribute_function(date_ranges)
    app.extensions["linli_api"] = api
    from core.api import (
        auth, bookings, communities, complaints, district, fund, gifts, listings, needs, notifications, operators,
        payments, problems, residents, schedules, scores, standing, transparency, volunteering, waitlist,
    )

    for module in (auth, communities, operators, scores, listings, schedules, bookings, complaints, residents, payments,
                   fund, gifts, needs, transparency, notifications, standing, waitlist, volunteering, district,
                   problems):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.blp.url_prefix)
    _register_error_handlers(app)
    _check_what_comes_in(app)
    return api


def register_plugin_blueprint(app: Flask, blueprint) -> None:
    """A plugin's smorest blueprint joins the documented API; any other is a plain Flask blueprint."""
    if isinstance(blueprint, flask_smorest.Blueprint):
        app.extensions["linli_api"].register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
    else:
        app.register_blueprint(blueprint)


def _check_what_comes_in(app: Flask) -> None:
    """What the API takes in, checked before any view runs: a token for every operation not marked ``public``
    (else 401, before the input is looked at), a JSON body (else 415; a file to an operation marked ``uploads``),
    nested within reason (else 400), and text a database can store, without control characters, in the body and
    the query (else 422)."""

    @app.before_request
    def _json_only():
        if not request.path.startswith(API_PREFIX + "/"):
            return None
        view = app.view_functions.get(request.endpoint)
        documented = request.blueprint != "api-docs"  # the OpenAPI document itself is for anyone
        if view is not None and documented and not getattr(view, "linli_public", False):
            policy.require_user(current_user())
        if unstorable_text(request.view_args) is not None:
            return problem(NOT_FOUND())
        if request.path.startswith(PROVIDER_NOTIFICATIONS):  # a provider's signed words in its own format (JSON, a
            return None  # form, XML): its signature decides, and what a customer typed into it is never stored
        sends_a_body = request.method in ("POST", "PUT", "PATCH") and request.content_length
        if not allow_upload(view) and view is not None and sends_a_body \
                and not request.is_json:  # no view: a 404 or a 405 says more than a 415
            return problem(UNSUPPORTED_MEDIA_TYPE())
        try:
            body = request.get_json(silent=True) if request.content_length and request.is_json else None
        except RecursionError:  # the parser recursed past Python's limit: a body no client means to send
            return problem(JSON_TOO_DEEP())
        place = refused_text(body) or refused_text(request.args.to_dict(flat=False))
        if place is not None:
            return problem(INVISIBLE_CHARACTERS(field=place))
        return None


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(e: DomainError):
        db = session()
        rollback(db)
        response = problem(e)
        held = idempotency.record_failure(db, response)
        if isinstance(held, idempotency.Replay):
            return held.response
        return problem(held) if held is not None else response

    @app.errorhandler(idempotency.Replay)
    def _replay(e: idempotency.Replay):
        return e.response
