"""Log lines, one per event, each with the request id (or job id) it belongs to: JSON in production, text otherwise.

``LINLI_LOG_FORMAT`` picks the form. The ``linli`` command calls :func:`configure`; gunicorn takes
:func:`gunicorn_logconfig` (core/gunicorn_conf.py), so its access log comes out in the same form. The JSON is
written by python-json-logger; what a line carries is decided here: the time (UTC), level, logger, message,
request id, a traceback if any, and, for an access line, the method, path (never the query string, where a search
for a name or a phone number would be), status, size and duration. No client address either: it is personal data,
and the login limiter, which needs it, never logs it.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from pythonjsonlogger.json import JsonFormatter

from core import request_ids

ACCESS_LOGGER = "gunicorn.access"
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(B)s bytes %(M)s ms"
"""gunicorn's ``access_log_format``: the path without its query string."""
_RESPONSE_ID = "{x-request-id}o"  # gunicorn's atom for the response's X-Request-ID header
QUIET = {"werkzeug": logging.WARNING}
"""The development server's own request lines quote query strings and client addresses: only its warnings."""
SERVER_QUIET = {"alembic": logging.WARNING}
"""A web server never migrates: only Alembic's warnings, not two lines of its set-up for each /readyz."""


def request_id(record: logging.LogRecord) -> str | None:
    """The id of the request or job a line belongs to: an access line's from the response it logs (the request's
    own context has ended by then), any other line's from :data:`core.request_ids.CURRENT` as it is written."""
    if record.name == ACCESS_LOGGER and isinstance(record.args, Mapping):
        value = record.args.get(_RESPONSE_ID)
        return None if value in (None, "-") else value
    return request_ids.CURRENT.get()


class JsonLines(JsonFormatter):
    """One JSON object per line: time, level, logger, message, request_id, and a traceback in ``exc_info``."""

    def __init__(self):
        super().__init__("%(levelname)s %(name)s %(message)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        log_data["request_id"] = request_id(record)
        if record.name == ACCESS_LOGGER and isinstance(record.args, Mapping):
            log_data.update(_access_fields(record.args))


def _access_fields(atoms: Mapping) -> dict:
    return {"method": atoms.get("m"), "path": atoms.get("U"), "status": _number(atoms.get("s")),
            "bytes": _number(atoms.get("B")), "duration_ms": _number(atoms.get("M"))}


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class TextLines(logging.Formatter):
    """A line a developer reads: time, level, logger, [request id], message."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id(record) or "-"
        return super().format(record)


FORMATTERS = {"json": JsonLines, "text": TextLines}


def handler(form: str, stream=None) -> logging.Handler:
    """A handler writing lines in ``form`` (json or text) to ``stream`` (stderr)."""
    lines = logging.StreamHandler(stream or sys.stderr)
    lines.setFormatter(FORMATTERS[form]())
    return lines


def configure(form: str, stream=None, level: int = logging.INFO) -> logging.Handler:
    """Send every logger's lines to ``stream`` (stderr) in ``form``; called again, it replaces its own handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "linli", False)]:
        root.removeHandler(old)
    ours = handler(form, stream)
    ours.linli = True
    root.addHandler(ours)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    return ours


def gunicorn_logconfig(form: str) -> dict:
    """gunicorn's ``logconfig_dict``: its error and access logs and the app's loggers, all in ``form`` on stderr.
    gunicorn.error keeps the level of ``--log-level``."""
    console = {"class": "logging.StreamHandler", "formatter": "linli", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"linli": {"()": f"{__name__}.{FORMATTERS[form].__name__}"}},
        "handlers": {"console": console},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "propagate": False},
                    ACCESS_LOGGER: {"level": "INFO", "handlers": ["console"], "propagate": False},
                    **{name: {"level": logging.getLevelName(quiet)} for name, quiet in {**QUIET, **SERVER_QUIET}.items()}},
    }
