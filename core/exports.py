"""CSV exports in two forms, neither able to smuggle a formula into a spreadsheet.

For people (the default): column names and words in the reader's language, amounts as people write them
(``1,250.00``) with the currency in a column of its own, and a byte-order mark — Excel reads a UTF-8 file as UTF-8
only with one. For tools (``?raw=1``, ``linli reconcile --csv``): the stable English column names, amounts in
minor units, codes rather than words, plain UTF-8 without a byte-order mark.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.errors import N_

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?|-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
BYTE_ORDER_MARK = "\ufeff"


def safe_cell(value) -> str:
    """A cell as text; one that a spreadsheet would run as a formula is prefixed with an apostrophe.

    Only a number (an amount such as ``-500`` or ``-1,250.00``) may start with ``-``: ``int()`` would also accept
    ``"\t-5"`` or ``"-5\n"``, so the test is a pattern, not a parse.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


@dataclass(frozen=True)
class Column:
    """One column: the stable English name tools read, the label people read (a catalogue message), and whether
    it holds an amount in minor units."""

    name: str
    label: str
    amount: bool = False


@dataclass(frozen=True)
class Shown:
    """A cell tools read as a code and people as words: ``total`` / 合计, ``canteen`` / 社区食堂."""

    code: str
    words: str


@dataclass(frozen=True)
class Table:
    """Rows under columns, their amounts in ``currency``, or each row's in its ``currency`` column when it has one."""

    columns: list[Column]
    rows: list[list]
    currency: str


CURRENCY = Column("currency", N_("Currency"))


def for_tools(table: Table) -> str:
    """The machine-readable form: English names, minor units, codes, UTF-8 without a byte-order mark."""
    return _csv([column.name for column in table.columns],
                [[cell.code if isinstance(cell, Shown) else cell for cell in row] for row in table.rows])


def for_people(table: Table, translate: Callable[[str], str], amount_text: Callable[[int, str], str]) -> str:
    """The reader's form: names and words through ``translate``, amounts as ``amount_text(minor, currency)``
    writes them beside a currency column, and a byte-order mark so that Excel opens it as UTF-8."""
    columns, rows = table.columns, table.rows
    names = [column.name for column in columns]
    if CURRENCY.name not in names:
        columns, rows, names = [*columns, CURRENCY], [[*row, table.currency] for row in rows], [*names, CURRENCY.name]
    at = names.index(CURRENCY.name)  # each row's own currency: a district's communities may keep different ones

    def cell(column: Column, value, currency: str):
        if isinstance(value, Shown):
            return translate(value.words)
        if column.amount and isinstance(value, int):
            return amount_text(value, currency)
        return value

    return BYTE_ORDER_MARK + _csv([translate(column.label) for column in columns],
                                  [[cell(column, value, row[at]) for column, value in zip(columns, row)]
                                   for row in rows])


def _csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([[safe_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue()


RECONCILIATION = [
    Column("operator_id", N_("Operator no.")), Column("operator", N_("Operator")),
    Column("type", N_("Type of service")), Column("due_amount", N_("Due"), amount=True),
    Column("received_online_amount", N_("Received online"), amount=True),
    Column("received_transfer_amount", N_("Received by transfer"), amount=True),
    Column("received_amount", N_("Received in all"), amount=True),
    Column("variance_amount", N_("Difference"), amount=True), Column("in_kind_amount", N_("In kind"), amount=True),
    Column("notes", N_("Notes")),
    Column("statement_amount", N_("On the payment services' statements"), amount=True),
    Column("statement_differences", N_("Differences with the statements")),
    Column("shares_awaiting_amount", N_("Splits awaiting the payment service"), amount=True),
    Column("shares_failed_amount", N_("Splits refused"), amount=True),
]
NESTED = {"statement_amount": ("provider_statement", "statement_amount"),
          "statement_differences": ("provider_statement", "mismatches"),
          "shares_awaiting_amount": ("shares", "awaiting_amount"), "shares_failed_amount": ("shares", "failed_amount")}
"""The columns read from the reconciliation's nested figures: (figure, key); a list is counted."""


def reconciliation_table(report: dict, operator_types: Mapping[str, object] | None = None) -> Table:
    """The reconciliation's operators, one row each; with the installed ``operator_types`` (key → type) people read
    each type's label rather than its key."""
    types = operator_types or {}

    def value(row: dict, name: str):
        if name == "notes":
            return " | ".join(n["note"] for n in row["notes"])
        if name == "type":
            return Shown(row["type"], getattr(types.get(row["type"]), "label", row["type"]))
        if name in NESTED:
            figure, key = NESTED[name]
            value = row[figure][key]
            return len(value) if isinstance(value, list) else value
        return row[name]

    return Table(RECONCILIATION, [[value(row, column.name) for column in RECONCILIATION]
                                  for row in report["operators"]], report["currency"])
