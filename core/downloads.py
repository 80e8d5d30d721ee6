"""Files the API and the pages hand out: a CSV download that spreadsheets open as UTF-8 and cannot run as formulas."""
from __future__ import annotations

import json

from flask import Response

from core.exports import to_csv


def csv_download(header: list[str], rows: list[list], filename: str) -> Response:
    """``rows`` under ``header`` as an attachment named ``filename`` (UTF-8 with a byte-order mark, no formulas)."""
    return Response(to_csv(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def json_download(document, filename: str) -> Response:
    """A JSON document as an attachment named ``filename``, in readable UTF-8 (Chinese names stay Chinese)."""
    return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
