"""WeChat Pay (plugins/wechat_pay) against a fake WeChat Pay server that checks every request's signature, signs its
answers and notifications with a platform key made in the fixture, and encrypts notifications with the APIv3 key.

What SPEC §11.5 asks: a booking paid with WeChat Pay holds its places behind a QR code until WeChat's notification
comes; a notification that cannot be verified is refused in WeChat's own words and changes nothing; each counts
once, in any order; refunds, the close when a hold runs out, the fund's share split off (分账) and the day's bill.
"""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from core.db import utcnow
from core.models import JournalEntry, OutboxTask, Payment, PaymentEvent
from tests.test_webhooks import book_cleaning, books, by_account, count, remaining, status
from tests.wechat_fake import FUND, SHANGHAI

NOTIFY = "/api/v1/payments/wechat_pay/notify"
FAIL = {"code": "FAIL", "message": "失败"}
PRICE, SHARE = 12000, 1200  # the cleaning's price, and the 10 % the fund's agreement takes at payment


@pytest.fixture
def wechat(platform, wechat_fake, tmp_path):
    """The demo platform with WeChat Pay configured against the fake: (app, world, fake)."""
    app, world = platform(**wechat_fake.settings(tmp_path))
    return app, world, wechat_fake


def book(world, who="adult", slot=0) -> dict:
    return book_cleaning(world, who=who, method="wechat_pay", slot=slot)


def payment_of(app, booking) -> Payment:
    with app.extensions["linli"].db.reader() as session:
        return session.scalar(select(Payment).where(Payment.booking_id == booking["id"]))


def deliver(app, notice) -> tuple[int, object]:
    body, headers = notice
    response = app.test_client().post(NOTIFY, data=body, headers=headers)
    return response.status_code, response.get_json(silent=True)


def delivered(app, notice) -> None:
    code, said = deliver(app, notice)
    assert (code, said) == (200, {"code": "SUCCESS", "message": "成功"}), said


def paid(app, fake, booking) -> str:
    """The resident scans the code and pays; WeChat's notification arrives. The order's number."""
    number = payment_of(app, booking).reference
    fake.pay(number)
    delivered(app, fake.paid_notice(number))
    return number


def entries(app) -> list[tuple[str, str]]:
    with app.extensions["linli"].db.reader() as session:
        return sorted(session.execute(select(JournalEntry.kind, JournalEntry.source)).all())


def run(app, job):
    return app.extensions["linli"].queue.runner.run_periodic(job)


def drain_later(app, seconds) -> int:
    with time_machine.travel(utcnow() + dt.timedelta(seconds=seconds), tick=False):
        return app.extensions["linli"].queue.runner.drain()


# --- paying ------------------------------------------------------------------------------------------------------

def test_a_booking_paid_with_wechat_pay_shows_a_qr_code_until_its_hold_ends(wechat):
    app, world, fake = wechat
    booking = book(world)
    assert booking["status"] == "pending_payment"
    assert booking["payment"] == {"provider": "wechat_pay", "action": "qr", "code_url": booking["payment"]["code_url"],
                                  "redirect_url": None, "client_secret": None,
                                  "expires_at": booking["hold_expires_at"]}
    assert booking["payment"]["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    [(method, path, order)] = fake.requests
    payment = payment_of(app, booking)
    assert (method, path, payment.reference, payment.action_url) == (
        "POST", "/v3/pay/transactions/native", order["out_trade_no"], booking["payment"]["code_url"])
    hold = dt.datetime.fromisoformat(booking["hold_expires_at"])
    assert order["amount"] == {"total": PRICE, "currency": "CNY"}
    assert order["time_expire"] == hold.astimezone(SHANGHAI).isoformat(timespec="seconds")
    assert order["time_expire"].endswith("+08:00")
    assert order["attach"] == str(booking["id"]) and order["settle_info"] == {"profit_sharing": True}
    assert order["notify_url"] == "https://linli.example.org/api/v1/payments/wechat_pay/notify"
    assert remaining(world, booking) == 2


def test_the_notification_of_a_payment_confirms_the_booking_and_the_split_sends_the_fund_its_share(wechat):
    app, world, fake = wechat
    fake.split_state = "PROCESSING"
    booking = book(world)
    number = paid(app, fake, booking)
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2
    payment = payment_of(app, booking)
    home = by_account(books(app))
    assert home["operator_cash"] == PRICE - 0 and home["operator_revenue"] == PRICE
    assert home["donations_receivable"] == SHARE and "fund_cash" not in home  # due until WeChat has split it
    [split] = fake.splits.values()
    assert split["out_order_no"] == f"S1-{number}"
    assert split["receivers"] == [{"type": "MERCHANT_ID", "account": FUND, "amount": SHARE,
                                   "description": "社区发展基金", "result": "PENDING"}]
    assert (payment.share_status, payment.share_reference) == ("requested", f"S1-{number}")

    fake.end_split(f"S1-{number}")
    run(app, "payments.split_shares")  # the sweep asks WeChat how the split went
    payment = payment_of(app, booking)
    assert (payment.share_status, payment.share_amount) == ("done", SHARE)
    home = by_account(books(app))
    assert home["fund_cash"] == SHARE and "donations_receivable" not in home
    assert ("donation", f"share:payment:{payment.id}") in entries(app)


def test_a_split_finished_at_once_is_posted_with_the_payment(wechat):
    app, world, fake = wechat
    booking = book(world)
    paid(app, fake, booking)
    payment = payment_of(app, booking)
    assert payment.share_status == "done"
    assert [source for kind, source in entries(app)] == [f"donation:payment:{payment.id}", f"share:payment:{payment.id}",
                                                         f"payment:{payment.id}"]
