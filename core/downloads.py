"""Files the API and the pages hand out: CSV for people or for tools (core/exports.py), and JSON documents."""
from __future__ import annotations

import json

from flask import Response, request
from flask_babel import gettext

from core.exports import Table, for_people, for_tools
from core.web.i18n import grouped_amount

RAW_VALUES = ("1", "true", "yes", "on")


def wants_raw() -> bool:
    """``?raw=1``: the machine-readable form of an export, for tools."""
    return request.args.get("raw", "").strip().lower() in RAW_VALUES


def csv_download(table: Table, filename: str, raw: bool | None = None) -> Response:
    """``table`` as an attachment named ``filename``: for people in the reader's language (with a byte-order mark
    for Excel), or for tools when ``raw`` (by default: when the address asks ``?raw=1``)."""
    raw = wants_raw() if raw is None else raw
    text = for_tools(table) if raw else for_people(table, gettext, grouped_amount)
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def json_download(document, filename: str) -> Response:
    """A JSON document as an attachment named ``filename``, in readable UTF-8 (Chinese names stay Chinese)."""
    return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def inline_file(data: bytes, mimetype: str) -> Response:
    """A stored file shown in the page (a complaint's photo): the type its bytes showed, never sniffed by the
    browser, never cached by a shared cache."""
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})
