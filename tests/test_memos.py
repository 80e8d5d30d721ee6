"""Ledger memos in the reader's language: stored as a message (template and values) beside the English memo, covered
by the entry's hash, and said again from the reader's catalogue; entries written before keep their English."""
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import ledger, memos
from core.errors import text
from core.ledger import credit, debit
from core.models import Community
from tests.test_fund import check_in_cash_cleaning

LEDGER = "/communities/heping/fund/ledger"


def chinese(web, local="committee1"):
    reader = web(local)
    reader.get("/lang/zh_Hans")
    return reader


def test_a_cash_payment_is_said_in_chinese_and_its_message_is_in_the_api(demo, web):
    booking = check_in_cash_cleaning(demo)
    entries = demo.api("committee1").get(LEDGER).get_json()["items"]
    payment = next(e for e in entries if e["kind"] == "payment")
    assert payment["memo"] == f"Payment for booking {booking['id']}: Cash at the counter"
    assert payment["memo_message"] == {"template": "Payment for booking %(booking)s: %(method)s", "params": {
        "booking": booking["id"], "method": {"template": "Cash at the counter", "params": {}}}}
    page = chinese(web).get(LEDGER).get_data(as_text=True)
    assert f"预约 {booking['id']} 的付款：到店付现金" in page
    assert "的捐款分成" in page  # the housekeeping centre's share of revenue, due on the cash
    assert "Payment for booking" not in page and "donation share" not in page.lower()
    assert f"Payment for booking {booking['id']}: Cash at the counter" in web("committee1").get(LEDGER).get_data(
        as_text=True)


def test_what_closing_a_month_works_out_is_said_in_chinese(demo, web):
    last_month = f"{dt.datetime.now(ZoneInfo('Asia/Shanghai')).date().replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    assert demo.api("committee1").post(f"/communities/heping/fund/periods/{last_month}/close").status_code == 200
    workshop = demo.listing("Hand-sewing piece-work")["operator_id"]
    page = chinese(web).get(f"/communities/heping/fund/reconciliation/{last_month}/operators/{workshop}")
    assert f"{last_month} 的固定捐款" in page.get_data(as_text=True)
    assert "Fixed donation" not in page.get_data(as_text=True)


def test_a_gift_and_a_transfer_are_said_in_chinese(demo, web):
    committee = demo.api("committee1")
    day = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    committee.post("/communities/heping/fund/gifts", {"donor_name": "", "donor_kind": "anonymous", "amount": 500,
                                                      "reference": "CASH-9", "received_on": day})
    page = chinese(web).get(LEDGER).get_data(as_text=True)
    assert "来自一位匿名捐赠人的捐赠，凭证号 CASH-9" in page and "Gift from" not in page


def test_an_entry_written_before_memos_had_a_message_keeps_its_english(demo, db, web):
    community = db.scalar(select(Community))
    old = ledger.post(db, community, "donation", "old:1", [debit("fund_cash", 5), credit("donation_income", 5)],
                      "CNY", memo="percent_of_profit donation for 2026-10")
    db.commit()
    assert old.memo_message is None
    assert "percent_of_profit donation for 2026-10" in chinese(web).get(LEDGER).get_data(as_text=True)
    assert next(e for e in demo.api("charity").get(LEDGER).get_json()["items"]
                if e["source"] == "old:1")["memo_message"] is None


def test_a_message_is_stored_one_way_and_read_back_as_it_was():
    reason = "取消 — 100% \\ \"quoted\""
    message = text("Refund of payment %(payment)s: %(reason)s", payment=7, reason=text("cancelled by %(who)s",
                                                                                       who=reason))
    stored = memos.stored(message)
    assert stored == memos.stored(text("Refund of payment %(payment)s: %(reason)s", reason=text(
        "cancelled by %(who)s", who=reason), payment=7))  # the order values were given in does not matter
    back = memos.message(memos.as_json(stored))
    assert back == message and back.template == message.template and back.params["reason"].params == {"who": reason}
    assert memos.stored("plain text") is None and memos.as_json(None) is None
