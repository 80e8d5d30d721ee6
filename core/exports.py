"""CSV exports that open correctly in spreadsheet programs and cannot smuggle formulas."""
from __future__ import annotations

import csv
import io
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


INTEGER = re.compile(r"-?[0-9]+")


def safe_cell(value) -> str:
    """A cell as text; one that a spreadsheet would run as a formula is prefixed with an apostrophe.

    Only a plain integer (an amount such as ``-500``) may start with ``-``: ``int()``
    would also accept ``"\t-5"`` or ``"-5\n"``, so the test is a pattern, not a parse.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not INTEGER.fullmatch(text):
        return "'" + text
    return text


def to_csv(header: list[str], rows: list[list]) -> str:
    """UTF-8 CSV text with a byte-order mark, so Chinese text opens correctly in spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([[safe_cell(cell) for cell in row] for row in rows])
    return "\ufeff" + buffer.getvalue()


RECONCILIATION_HEADER = ["operator_id", "operator", "type", "due_amount", "received_online_amount",
                         "received_transfer_amount", "received_amount", "variance_amount", "in_kind_amount", "notes"]


def reconciliation_rows(report: dict) -> list[list]:
    """The reconciliation's operators as rows under ``RECONCILIATION_HEADER``."""
    return [[row[h] if h != "notes" else " | ".join(n["note"] for n in row["notes"]) for h in RECONCILIATION_HEADER]
            for row in report["operators"]]


def reconciliation_csv(report: dict) -> str:
    return to_csv(RECONCILIATION_HEADER, reconciliation_rows(report))
