"""CSV exports: for people by default (their language, amounts such as 1,250.00 beside a currency column, a
byte-order mark so that Excel reads UTF-8), for tools with ``raw=1`` and from ``linli reconcile --csv`` (English
column names, minor units, no mark); and neither can smuggle a formula into a spreadsheet: every text cell that
starts with = + - @ tab or CR is written with a leading apostrophe, in every export (reconciliation by API, page and
CLI; the workshop's wage sheet is checked in tests/test_plugin_workshop.py with the same functions)."""
import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.exports import Column, Shown, Table, for_people, for_tools, safe_cell
from core.models import Operator
from core.web.i18n import grouped_amount
from tests.web_support import signed_in

ATTACKS = ["=HYPERLINK(\"http://evil\")", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "-5\n", "\t-5"]
HARMLESS = ["Heping Canteen", "500", "-500", "0", "", "a=b", " =1+1", "-1,250.00", "-5.00", "1,250.00"]


@pytest.mark.parametrize("value", ATTACKS)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_text_and_whole_numbers_are_left_alone(value):
    assert safe_cell(value) == value


def test_numbers_and_none_become_text():
    assert (safe_cell(-1200), safe_cell(None), safe_cell(3.5)) == ("-1200", "", "3.5")


DANGEROUS = re.compile(r"^[=+\-@\t\r]")
NUMBER = re.compile(r"-?\d+|-?\d{1,3}(,\d{3})*\.\d\d")


def dangerous_cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return [cell for row in rows for cell in row if DANGEROUS.match(cell) and not NUMBER.fullmatch(cell)]


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
    raw = demo.api("committee1").get(f"/communities/heping/fund/reconciliation?period={period}&format=csv&raw=1")
    cli = app.test_cli_runner().invoke(args=["reconcile", "--community", "heping", "--period", period,
                                             "--csv", str(out)])
    assert api.status_code == page.status_code == raw.status_code == 200 and cli.exit_code == 0, cli.output
    for text in (api.get_data(as_text=True), page.get_data(as_text=True), raw.get_data(as_text=True),
                 out.read_text(encoding="utf-8")):
        assert "'=HYPERLINK" in text and "'@SUM(A1:A9) paid" in text
        assert dangerous_cells(text) == []


# --- for people, for tools -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("minor", "currency", "written"), [
    (125_000, "CNY", "1,250.00"), (-500, "CNY", "-5.00"), (0, "CNY", "0.00"), (7, "CNY", "0.07"),
    (123_456_789, "CNY", "1,234,567.89"), (125_000, "JPY", "125,000")])
def test_people_read_amounts_in_yuan_with_thousands_grouped(app, minor, currency, written):
    for language in ("zh", "en"):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert grouped_amount(minor, currency) == written


TABLE = Table([Column("name", "Operator"), Column("due_amount", "Due", amount=True)],
              [["Heping Canteen", 125_000], [Shown("total", "Total"), -500]], "CNY")


def test_one_table_is_written_for_people_and_for_tools():
    people = for_people(TABLE, lambda words: f"«{words}»", lambda minor, currency: f"{minor / 100:.2f}")
    assert people == ("\ufeff«Operator»,«Due»,«Currency»\r\n"
                      "Heping Canteen,1250.00,CNY\r\n«Total»,-5.00,CNY\r\n")
    assert for_tools(TABLE) == "name,due_amount\r\nHeping Canteen,125000\r\ntotal,-500\r\n"


def this_period() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


@pytest.fixture
def gift_of_1250(demo):
    """¥1,250.00 of rice given at the canteen this month (125000 fen, declared value): the canteen's in-kind cell."""
    canteen = demo.listing("Community lunch")["operator_id"]
    given = demo.api("committee1").post("/communities/heping/fund/in-kind", {
        "operator_id": canteen, "donor": "A neighbour", "item": "rice", "quantity": 10,
        "declared_value_amount": 125_000, "received_on": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()})
    assert given.status_code == 201, given.get_json()
    return this_period()


def table_of(response) -> list[dict]:
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def canteen_row(response) -> dict:
    return next(row for row in table_of(response) if "Canteen" in str(row) or "社区食堂" in str(row))


def test_a_chinese_reader_gets_chinese_column_names_and_amounts_in_yuan(demo, gift_of_1250):
    response = demo.api("committee1").get(f"/communities/heping/fund/reconciliation?period={gift_of_1250}&format=csv",
                                          headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())  # Excel reads UTF-8 only after a byte-order mark
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert header == ["服务商编号", "服务商", "服务类型", "应捐", "网上收到", "转账收到", "收到合计", "差额", "实物",
                      "备注", "支付机构对账单金额", "与对账单的差异", "待支付机构分账", "被拒绝的分账", "币种"]
    row = canteen_row(response)
    assert (row["实物"], row["应捐"], row["服务类型"], row["币种"]) == ("1,250.00", "0.00", "社区食堂", "CNY")


def test_the_page_writes_the_csv_in_the_language_the_page_is_read_in(app, demo, gift_of_1250):
    member = demo.api("committee1").get("/me").get_json()["id"]
    url = f"/communities/heping/fund/reconciliation/{gift_of_1250}/export.csv"
    english = signed_in(app, member).get(url)
    chinese = signed_in(app, member, lang="zh_Hans").get(url, headers={"Accept-Language": "en"})  # the switch wins
    assert canteen_row(english)["In kind"] == "1,250.00" and canteen_row(english)["Type of service"] == \
        "Community canteen"
    assert canteen_row(chinese)["实物"] == "1,250.00" and canteen_row(chinese)["币种"] == "CNY"


def test_tools_get_english_names_minor_units_and_no_byte_order_mark(app, demo, gift_of_1250, tmp_path):
    period = gift_of_1250
    member = demo.api("committee1").get("/me").get_json()["id"]
    api = demo.api("committee1").get(f"/communities/heping/fund/reconciliation?period={period}&format=csv&raw=1",
                                     headers={"Accept-Language": "zh"})
    page = signed_in(app, member, lang="zh_Hans").get(
        f"/communities/heping/fund/reconciliation/{period}/export.csv?raw=1")
    out = tmp_path / "reconciliation.csv"
    cli = app.test_cli_runner().invoke(args=["reconcile", "--community", "heping", "--period", period,
                                             "--csv", str(out)])
    assert cli.exit_code == 0, cli.output
    text = api.get_data(as_text=True)
    assert page.get_data(as_text=True) == out.read_bytes().decode("utf-8") == text
    assert not text.startswith("\ufeff")
    assert text.splitlines()[0] == ("operator_id,operator,type,due_amount,received_online_amount,"
                                    "received_transfer_amount,received_amount,variance_amount,in_kind_amount,notes,"
                                    "statement_amount,statement_differences,shares_awaiting_amount,"
                                    "shares_failed_amount")
    row = canteen_row(api)
    assert (row["in_kind_amount"], row["due_amount"], row["type"]) == ("125000", "0", "canteen")


@pytest.mark.parametrize("raw", ["maybe", "2"])
def test_a_raw_that_is_no_yes_or_no_is_refused(demo, raw):
    response = demo.api("committee1").get(f"/communities/heping/fund/reconciliation?period={this_period()}"
                                          f"&format=csv&raw={raw}")
    assert response.status_code == 422 and response.get_json()["code"] == "validation_failed"
