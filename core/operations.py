"""What an operator's tools call, outside /api/v1 and its OpenAPI document: ``/healthz`` (the process answers),
``/readyz`` (it can serve: :mod:`core.health`), ``/metrics`` (Prometheus, with the metrics token: :mod:`core.metrics`);
and the request id every request is logged under, returned in its ``X-Request-ID``."""
from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import NotFound

from core import health, metrics, request_ids
from core.api.problems import problem
from core.errors import N_, unauthorized

REQUEST_ID_HEADER = "X-Request-ID"
METRICS_TOKEN_REFUSED = unauthorized("metrics_token_refused", N_(
    "This address needs the metrics token: send it as Authorization: Bearer."))

bp = Blueprint("operations", __name__)


def init_operations(app: Flask) -> None:
    """Called first, so that the request id is known before any other hook logs a line."""
    app.before_request(_take_request_id)
    app.after_request(_return_request_id)
    app.teardown_request(_forget_request_id)
    metrics.init_metrics(app)
    app.register_blueprint(bp)


def _take_request_id() -> None:
    g.request_id_token = request_ids.CURRENT.set(request_ids.accepted(request.headers.get(REQUEST_ID_HEADER)))


def _return_request_id(response):
    response.headers[REQUEST_ID_HEADER] = request_ids.CURRENT.get()
    return response


def _forget_request_id(_error=None) -> None:
    if "request_id_token" in g:
        request_ids.CURRENT.reset(g.pop("request_id_token"))


@bp.get("/healthz")
def healthz():
    """The process answers; nothing else is asked (a liveness probe must not fail because the database does)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = health.readiness(current_app)
    failed = health.failed(checks)
    return jsonify(status="unavailable" if failed else "ready", checks=checks, failed=failed), 503 if failed else 200


@bp.get("/metrics", endpoint="metrics")
def metrics_text():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        raise NotFound()
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        return problem(METRICS_TOKEN_REFUSED(), {"WWW-Authenticate": str(WWWAuthenticate("bearer"))})
    body, content_type = metrics.exposition(current_app)
    return Response(body, content_type=content_type)
