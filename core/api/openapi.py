"""What the OpenAPI document says of each operation beyond its schemas: an ``operationId``, the security it needs
(a bearer token, unless the view is marked ``public``), and the problems it may answer (``core.api.problems``).

An apispec plugin, so the core's and the plugins' operations are documented alike as they are registered.
"""
from __future__ import annotations

from http import HTTPStatus

from apispec import APISpec, BasePlugin
from flask import Flask

from core.api.problems import PROBLEM_JSON, ProblemSchema

ALWAYS = (400, 404, 422)
"""Any operation: an unreadable request, something its path or query names that is not there, invalid input."""
SECURED = (401, 403)
WRITES = (409, 413, 415)
DATE_IN_THE_BOOKS = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
"""The years the books cover (``core.ledger.FIRST_DAY`` to ``LAST_DAY``), as a pattern a date's text can carry."""


def problem_response(status: int | str) -> str:
    return f"PROBLEM_{status}"


class OperationsDocumented(BasePlugin):
    """Adds to each operation its id, its security and its problem responses."""

    def __init__(self, app: Flask):
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        for status in sorted({*ALWAYS, *SECURED, *WRITES, 429, 502}):
            spec.components.response(problem_response(status), self._problem(HTTPStatus(status).phrase))
        spec.components.response(problem_response("DEFAULT"), self._problem("Any other problem"))

    @staticmethod
    def _problem(description: str) -> dict:
        return {"description": description, "content": {PROBLEM_JSON: {"schema": ProblemSchema}}}

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs["rule"]
        view = self.app.view_functions.get(rule.endpoint)
        public = getattr(view, "linli_public", False)
        for method, operation in operations.items():
            operation["operationId"] = f"{rule.endpoint.replace('.', '_')}_{method}"
            operation["security"] = [] if public else [{"bearer": []}]
            statuses = {*ALWAYS, *(() if public else SECURED), *(WRITES if method in ("post", "put", "patch") else ())}
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses[status] = problem_response(status)
            responses["default"] = problem_response("DEFAULT")


def date_ranges(converter, field, ret=None, **kwargs) -> dict:
    """apispec attribute function: a date or time limited to the books' years carries their pattern too, so that
    generated input (a fuzzer's) is a day the API accepts."""
    from core.api.common import DAY, MOMENT

    if any(v is DAY or v is MOMENT for v in getattr(field, "validators", ())):
        return {"pattern": DATE_IN_THE_BOOKS}
    return {}
