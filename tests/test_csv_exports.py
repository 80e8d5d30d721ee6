"""CSV exports cannot smuggle a formula into a spreadsheet: every text cell that starts with = + - @ tab or CR is
written with a leading apostrophe, in every export (reconciliation by API, page and CLI; the workshop's wage
sheet is checked in tests/test_plugin_workshop.py with the same function)."""
import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.exports import safe_cell
from core.models import Operator
from tests.web_support import signed_in

ATTACKS = ["=HYPERLINK(\"http://evil\")", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "-5\n", "\t-5"]
HARMLESS = ["Heping Canteen", "500", "-500", "0", "", "a=b", " =1+1"]


@pytest.mark.parametrize("value", ATTACKS)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_text_and_whole_numbers_are_left_alone(value):
    assert safe_cell(value) == value


def test_numbers_and_none_become_text():
    assert (safe_cell(-1200), safe_cell(None), safe_cell(3.5)) == ("-1200", "", "3.5")


DANGEROUS = re.compile(r"^[=+\-@\t\r]")


def dangerous_cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return [cell for row in rows for cell in row if DANGEROUS.match(cell) and not re.fullmatch(r"-?\d+", cell)]


@pytest.fixture
def hostile_names(demo, db):
    """Every demo operator renamed to an attack, and a committee note that is one too."""
    operators = db.scalars(select(Operator).order_by(Operator.id)).all()
    for operator, name in zip(operators, ATTACKS):
        operator.name, operator.translations = name, {}  # no English name left to show instead
    db.commit()
    period = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    noted = demo.api("committee1").post(f"/communities/heping/fund/reconciliation/{period}/notes",
                                        {"operator_id": operators[0].id, "note": "@SUM(A1:A9) paid"})
    assert noted.status_code == 201
    return period


def test_the_reconciliation_csv_is_safe_from_the_api_the_page_and_the_cli(demo, hostile_names, app, tmp_path):
    period = hostile_names
    api = demo.api("committee1").get(f"/communities/heping/fund/reconciliation?period={period}&format=csv")
    page_client = signed_in(app, demo.api("committee1").get("/me").get_json()["id"])
    page = page_client.get(f"/communities/heping/fund/reconciliation/{period}/export.csv")
    out = tmp_path / "reconciliation.csv"
    cli = app.test_cli_runner().invoke(args=["reconcile", "--community", "heping", "--period", period,
                                             "--csv", str(out)])
    assert api.status_code == page.status_code == 200 and cli.exit_code == 0, cli.output
    for text in (api.get_data(as_text=True), page.get_data(as_text=True), out.read_text(encoding="utf-8")):
        assert "'=HYPERLINK" in text and "'@SUM(A1:A9) paid" in text
        assert dangerous_cells(text) == []
