"""Gifts of money to the fund: recorded by the committee, in the balance and the books, receipted, and public
without a resident's or an anonymous donor's name."""
import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.models import AuditEvent, FundGift, JournalEntry
from core.web.capitals import in_capitals

GIFTS = "/communities/heping/fund/gifts"


def today():
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def gift(**overrides):
    return {"donor_name": "Heping Pharmacy", "donor_kind": "company", "amount": 125_000, "reference": "BANK-7731",
            "received_on": today().isoformat()} | overrides


def written(db):
    """What a refused gift must not have added."""
    return tuple(db.scalar(select(func.count()).select_from(table)) for table in (FundGift, JournalEntry, AuditEvent))


def test_a_gift_reaches_the_balance_the_books_and_the_audit_log(demo, db, runner):
    committee = demo.api("committee1")
    created = committee.post(GIFTS, gift())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert {k: body[k] for k in ("donor_name", "donor_kind", "amount", "currency", "reference")} == {
        "donor_name": "Heping Pharmacy", "donor_kind": "company", "amount": 125_000, "currency": "CNY",
        "reference": "BANK-7731"}
    fund = committee.get("/communities/heping/fund").get_json()
    assert fund["balance_amount"] == 125_000 and fund["receivable_amount"] == 0
    row = next(r for r in fund["inflows"] if r["operator_id"] is None)
    assert (row["gift_amount"], row["period"]) == (125_000, today().strftime("%Y-%m"))
    entry = db.scalar(select(JournalEntry).where(JournalEntry.source == f"gift:{body['id']}"))
    assert entry.kind == "gift" and {(l.account, l.side, l.amount) for l in entry.lines} == {
        ("fund_cash", "D", 125_000), ("gift_income", "C", 125_000)}
    assert "Heping Pharmacy" not in entry.memo  # the ledger never forgets: it names the kind of donor only
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "gift_recorded"))
    assert event.subject_id == body["id"] and event.actor_id
    assert runner.invoke(args=["check"]).exit_code == 0
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    listed = demo.api("charity").get(f"{GIFTS}?per_page=1")
    assert listed.status_code == 200 and listed.get_json()["total"] == 1
    assert listed.get_json()["items"][0]["id"] == body["id"]


def test_a_gift_can_be_paid_out_and_check_holds(demo, db, runner):
    """Fund cash = donations received + gifts − disbursements: a gift pays for a proposal like a donation."""
    from tests.test_fund import approved_proposal

    demo.api("committee1").post(GIFTS, gift(amount=10_000))
    pid = approved_proposal(demo, 10_000, "Chairs for the reading room")
    paid = demo.api("charity").post(f"/communities/heping/fund/proposals/{pid}/disburse", {"reference": "R1"})
    assert paid.status_code == 200, paid.get_json()
    assert demo.api("committee1").get("/communities/heping/fund").get_json()["balance_amount"] == 0
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output


BAD = [
    ({"amount": 0}, "amount"), ({"amount": -5}, "amount"), ({"amount": 12.5}, "amount"), ({"amount": "100"}, "amount"),
    ({"amount": 10**12}, "amount"), ({"reference": ""}, "reference"), ({"reference": "   "}, "reference"),
    ({"reference": "x" * 121}, "reference"), ({"donor_kind": "martian"}, "donor_kind"),
    ({"donor_kind": None}, "donor_kind"), ({"donor_name": ""}, "donor_name"), ({"donor_name": "   "}, "donor_name"),
    ({"donor_name": "x" * 201}, "donor_name"), ({"received_on": "2026-02-30"}, "received_on"),
    ({"received_on": "1999-12-31"}, "received_on"), ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize("change, field", BAD, ids=[f"{field}-{n}" for n, (_, field) in enumerate(BAD)])
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(demo, db, change, field):
    before = written(db)
    refused = demo.api("committee1").post(GIFTS, gift(**change))
    assert refused.status_code == 422, refused.get_json()
    assert refused.mimetype == "application/problem+json" and field in json.dumps(refused.get_json()["errors"])
    assert written(db) == before


def test_a_missing_field_and_a_gift_dated_after_today_are_refused(demo, db):
    committee = demo.api("committee1")
    before = written(db)
    for field in ("donor_kind", "amount", "reference", "received_on"):
        body = gift()
        del body[field]
        refused = committee.post(GIFTS, body)
        assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()
    for day in (today() + dt.timedelta(days=1), dt.date(2099, 1, 1)):
        late = committee.post(GIFTS, gift(received_on=day.isoformat()), headers={"Accept-Language": "zh"})
        assert late.status_code == 422 and late.get_json()["code"] == "dated_in_the_future"
        assert "received_on" in late.get_json()["errors"] and "今天" in late.get_json()["detail"]
    assert written(db) == before


def test_only_the_committee_records_and_only_the_committee_and_charity_read(demo, db):
    before = written(db)
    for local in ("charity", "staff", "adult", "canteen"):
        assert demo.api(local).post(GIFTS, gift()).status_code == 403, local
    for local in ("staff", "adult", "canteen"):
        assert demo.api(local).get(GIFTS).status_code == 403, local
    assert demo.client.get("/api/v1" + GIFTS).status_code == 401
    assert written(db) == before


def test_the_public_report_names_companies_and_the_government_but_no_resident_and_no_anonymous_donor(demo, client):
    committee = demo.api("committee1")
    for body in (gift(), gift(donor_kind="government", donor_name="Heping Sub-district Office", amount=2_000_000),
                 gift(donor_kind="resident", donor_name="Chen Jie", amount=5_000, reference="CASH-1"),
                 gift(donor_kind="anonymous", donor_name="Mr Secret", amount=700, reference="CASH-2"),
                 gift(donor_kind="anonymous", donor_name="", amount=300, reference="CASH-3")):
        assert committee.post(GIFTS, body).status_code == 201
    report = client.get("/api/v1/public/communities/heping/fund-report").get_json()
    assert [(g["donor_kind"], g["donor_name"], g["amount"]) for g in report["gifts"]] == [
        ("company", "Heping Pharmacy", 125_000), ("government", "Heping Sub-district Office", 2_000_000),
        ("resident", None, 5_000), ("anonymous", None, 700), ("anonymous", None, 300)]
    assert report["balance_amount"] == 2_131_000
    assert report["monthly"] == [{"period": today().strftime("%Y-%m"), "in_amount": 2_131_000, "out_amount": 0}]
    text = json.dumps(report, ensure_ascii=False)
    assert "Chen Jie" not in text and "Mr Secret" not in text
    page = client.get("/communities/heping/transparency", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Heping Pharmacy" in page and "居民" in page and "匿名" in page
    assert "Chen Jie" not in page and "Mr Secret" not in page


def test_the_committee_records_a_gift_on_the_page_and_prints_its_receipt(demo, db, web):
    member = web("committee1")
    member.get("/lang/zh_Hans")
    form = member.get(f"{GIFTS}/new")
    assert form.status_code == 200 and "记录一笔捐赠" in form.get_data(as_text=True)
    sent = member.post(f"{GIFTS}/new", {"donor_kind": "company", "donor_name": "和平大药房", "amount": "1250",
                                        "reference": "BANK-7731", "received_on": today().isoformat()})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    gift_id = db.scalar(select(FundGift.id))
    assert sent.headers["Location"].endswith(f"{GIFTS}/{gift_id}")
    receipt = member.get(f"{GIFTS}/{gift_id}").get_data(as_text=True)
    for shown in ("收据", "和平大药房", "壹仟贰佰伍拾元整", "¥1,250.00", "BANK-7731", "和平社区"):
        assert shown in receipt, shown
    listed = member.get(GIFTS).get_data(as_text=True)
    assert "和平大药房" in listed and f"{GIFTS}/{gift_id}" in listed and "¥1,250.00" in listed
    assert demo.api("committee1").get("/communities/heping/fund").get_json()["balance_amount"] == 125_000


@pytest.mark.parametrize("form, field_message", [
    ({"donor_kind": "company", "donor_name": "", "amount": "10", "reference": "B-1"}, "only an anonymous gift"),
    ({"donor_kind": "resident", "donor_name": "Li", "amount": "0", "reference": "B-1"}, "above zero"),
    ({"donor_kind": "resident", "donor_name": "Li", "amount": "1.005", "reference": "B-1"}, "two decimals"),
    ({"donor_kind": "resident", "donor_name": "Li", "amount": "10", "reference": ""}, "Please fill this in"),
    ({"donor_kind": "alien", "donor_name": "Li", "amount": "10", "reference": "B-1"}, "choose one of the options"),
    ({"donor_kind": "resident", "donor_name": "Li", "amount": "10", "reference": "B-1", "received_on": "2099-01-01"},
     "after today"),
])
def test_a_bad_gift_form_is_a_422_with_the_message_beside_its_field_and_nothing_is_written(demo, db, web, form,
                                                                                         field_message):
    member = web("committee1")
    before = written(db)
    answer = member.post(f"{GIFTS}/new", {"received_on": today().isoformat()} | form)
    assert answer.status_code == 422 and field_message in answer.get_data(as_text=True)
    assert written(db) == before


def test_the_gifts_download_as_a_spreadsheet_for_people_and_for_tools(demo, web):
    demo.api("committee1").post(GIFTS, gift(donor_name="=HYPERLINK(\"x\")"))
    charity = web("charity")
    charity.get("/lang/zh_Hans?next=/")
    people = charity.get(f"{GIFTS}/export.csv")
    assert people.mimetype == "text/csv" and people.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(people.data.decode("utf-8-sig"))))
    assert rows[0][1:6] == ["收到日期", "捐赠方", "捐赠方名称", "金额", "币种"]
    assert rows[1][2:6] == ["一家企业", "'=HYPERLINK(\"x\")", "1,250.00", "CNY"]
    tools = charity.get(f"{GIFTS}/export.csv?raw=1")
    assert not tools.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(tools.data.decode("utf-8"))))
    assert rows[0][:7] == ["id", "received_on", "donor_kind", "donor_name", "amount", "currency", "reference"]
    assert rows[1][2:7] == ["company", "'=HYPERLINK(\"x\")", "125000", "CNY", "BANK-7731"]


def test_a_receipt_of_another_community_or_of_no_gift_is_not_found(demo, web):
    member = web("committee1")
    assert member.get(f"{GIFTS}/999999").status_code == 404


@pytest.mark.parametrize("fen, words", [
    (125_000, "壹仟贰佰伍拾元整"), (100_505, "壹仟零伍元零伍分"), (10_050_000, "壹拾万零伍佰元整"),
    (1_000, "壹拾元整"), (0, "零元整"), (50, "伍角"), (5, "伍分"), (105, "壹元零伍分"), (1_010, "壹拾元壹角"),
    (1_000_000, "壹万元整"), (1_000_100, "壹万零壹元整"), (100_000_100, "壹佰万零壹元整"),
    (10_000_000_000, "壹亿元整"), (10_010_000_000, "壹亿零壹拾万元整"), (10_001_000_000, "壹亿零壹万元整"),
    (1_234_567_890_123, "壹佰贰拾叁亿肆仟伍佰陆拾柒万捌仟玖佰零壹元贰角叁分"),
])
def test_an_amount_in_capital_numerals(fen, words):
    assert in_capitals(fen) == words


def test_capital_numerals_are_for_yuan_only():
    assert in_capitals(125_000, "USD") is None and in_capitals(-1) is None
