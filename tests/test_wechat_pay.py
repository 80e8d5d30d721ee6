"""WeChat Pay (plugins/wechat_pay) against a fake WeChat Pay server that checks every request's signature, signs its
answers and notifications with a platform key made in the fixture, and encrypts notifications with the APIv3 key.

What SPEC §11.5 asks: a booking paid with WeChat Pay holds its places behind a QR code until WeChat's notification
comes; a notification that cannot be verified is refused in WeChat's own words and changes nothing; each counts
once, in any order; refunds, the close when a hold runs out, the fund's share split off (分账) and the day's bill.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import random
import time

import pytest
import time_machine
from sqlalchemy import select

from core.db import commit, utcnow
from core.models import Booking, JournalEntry, Operator, OutboxTask, Payment, PaymentEvent
from core.payments import shares
from tests.races import race
from tests.test_webhooks import book_cleaning, books, by_account, count, remaining, status
from core.errors import DomainError
from core.plugin_api import StatementLine
from plugins.wechat_pay.bill import fee_in_fen, statement_lines
from tests.wechat_fake import FUND, SHANGHAI, FakeWeChatPay, Keys

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
    assert home["operator_cash"] == PRICE and home["operator_revenue"] == PRICE
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
    assert [source for kind, source in entries(app)] == [
        f"donation:payment:{payment.id}", f"share:payment:{payment.id}", f"payment:{payment.id}"]


# --- notifications that cannot be verified ---------------------------------------------------------------------

def _resigned(fake, body: bytes) -> tuple[bytes, dict]:
    return body, fake.signed_headers(body, fake.keys.platform)


def _tampered_ciphertext(fake, number):
    """A byte of the encrypted resource changed, the body then signed again: only AES-GCM's tag can tell."""
    body, _ = fake.paid_notice(number)
    event = json.loads(body)
    sealed = bytearray(base64.b64decode(event["resource"]["ciphertext"]))
    sealed[5] ^= 1
    event["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    return _resigned(fake, json.dumps(event).encode())


def _with_header(name, value):
    def build(fake, number):
        body, headers = fake.paid_notice(number)
        return body, {**headers, name: value}
    return build


def _without_headers(fake, number):
    body, headers = fake.paid_notice(number)
    return body, {"Content-Type": headers["Content-Type"]}


UNVERIFIABLE = {
    "body changed after signing": lambda fake, number: (
        fake.paid_notice(number)[0].replace(b'"summary": "', b'"summary": "!'), fake.paid_notice(number)[1]),
    "signed with another key": lambda fake, number: fake.paid_notice(number, key=fake.keys.stranger),
    "stale timestamp": lambda fake, number: fake.paid_notice(number, timestamp=int(time.time()) - 301),
    "timestamp from the future": lambda fake, number: fake.paid_notice(number, timestamp=int(time.time()) + 301),
    "tampered ciphertext": _tampered_ciphertext,
    "another public key id": _with_header("Wechatpay-Serial", "PUB_KEY_ID_0119000001092026120600451100000002"),
    "another signature type": _with_header("Wechatpay-Signature-Type", "WECHATPAY2-SM2-WITH-SM3"),
    "garbled signature": _with_header("Wechatpay-Signature", "bm90IGEgc2lnbmF0dXJl"),
    "garbled timestamp": _with_header("Wechatpay-Timestamp", "1e9"),
    "no signature headers": _without_headers,
    "another merchant's payment": lambda fake, number: fake.paid_notice(number, mchid="1900000999"),
    "an amount in yuan": lambda fake, number: fake.paid_notice(number, amount={"total": "120.00", "currency": "CNY"}),
    "another amount than the order's": lambda fake, number: fake.paid_notice(
        number, amount={"total": PRICE - 1, "payer_total": PRICE - 1, "currency": "CNY"}),
}


@pytest.mark.parametrize("case", list(UNVERIFIABLE))
def test_a_notification_that_cannot_be_verified_is_refused_in_wechats_words_and_changes_nothing(wechat, case):
    app, world, fake = wechat
    booking = book(world)
    number = payment_of(app, booking).reference
    fake.pay(number)
    assert deliver(app, UNVERIFIABLE[case](fake, number)) == (400, FAIL)
    assert count(app, PaymentEvent) == 0 and count(app, JournalEntry) == 0
    assert status(world, booking) == "pending_payment" and remaining(world, booking) == 2
    assert fake.splits == {}
    delivered(app, fake.paid_notice(number))  # WeChat's own, sent again, is taken
    assert status(world, booking) == "confirmed"


def _random_json(rng, depth=0):
    kinds = ["int", "str", "float", "none", "bool"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "list":
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == "dict":
        keys = ["id", "event_type", "resource", "resource_type", "ciphertext", "nonce", "mchid", "amount", "total",
                "out_trade_no", "out_order_no", "out_refund_no", "trade_state", rng.choice("abcxyz")]
        return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(5))}
    return {"int": lambda: rng.randrange(-10**12, 10**12), "str": lambda: "".join(rng.choice("ab \\\"é\x00{")
                                                                                   for _ in range(rng.randrange(9))),
            "float": rng.random, "none": lambda: None, "bool": lambda: rng.random() < 0.5}[kind]()


def test_garbage_notifications_are_refused_never_a_500(wechat):
    """Random bytes, random JSON unsigned and signed with WeChat's own key, and random resources encrypted and signed
    as WeChat does: each a 400 with WeChat's FAIL reply, or at most ignored; nothing posted."""
    app, world, fake = wechat
    booking = book(world)
    fake.pay(payment_of(app, booking).reference)
    rng = random.Random(25)
    notices, unsigned = [], {"Content-Type": "application/json"}  # WeChat's content type: others are a 415
    for _ in range(40):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        notices += [(junk, unsigned), _resigned(fake, junk) if junk.isascii() else (junk, unsigned)]
        body = json.dumps(_random_json(rng)).encode()
        notices += [(body, unsigned), _resigned(fake, body)]
        resource = _random_json(rng)
        notices.append(fake.notification(rng.choice(["TRANSACTION.SUCCESS", "REFUND.SUCCESS", "X"]), "transaction",
                                         resource if isinstance(resource, dict) else {"mchid": resource}))
    for notice in notices:
        code, said = deliver(app, notice)
        assert (code, said) == (400, FAIL) or (code == 200 and said["code"] == "SUCCESS"), (notice, code, said)
    assert count(app, JournalEntry) == 0 and status(world, booking) == "pending_payment"


# --- each notification once, in any order ------------------------------------------------------------------------

def test_a_notification_delivered_twice_counts_once(wechat):
    app, world, fake = wechat
    booking = book(world)
    number = paid(app, fake, booking)
    after_first = books(app)
    notice = fake.paid_notice(number)
    delivered(app, notice)
    delivered(app, notice)
    assert books(app) == after_first and count(app, PaymentEvent) == 2  # the first, and this one once
    assert len(fake.splits) == 1


def _payment_and_two_refunds_by_hand(fake, number):
    """What WeChat sends for an order paid, then refunded 3000 and 2000 in the merchant platform."""
    fake.pay(number)
    first, second = fake.refund_by_hand(number, 3000), fake.refund_by_hand(number, 2000)
    return [fake.paid_notice(number), fake.refund_notice(first), fake.refund_notice(second)], (first, second)


def _clean_books(first, second):
    return {"payments": [("succeeded", PRICE, SHARE, 5000)],
            "refunds": sorted([(first, 3000, 300), (second, 2000, 200)])}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_notifications_twice_in_any_order_give_the_books_of_one_clean_delivery(wechat, seed):
    app, world, fake = wechat
    fake.split_state = "PROCESSING"  # what is split depends on when the refunds come; here the split stays open
    booking = book(world)
    notices, refunds = _payment_and_two_refunds_by_hand(fake, payment_of(app, booking).reference)
    deliveries = notices * 2
    random.Random(seed).shuffle(deliveries)
    for notice in deliveries:
        delivered(app, notice)
    state = books(app)
    assert {"payments": state["payments"], "refunds": sorted(state["refunds"])} == _clean_books(*refunds)
    home = by_account(state)
    assert (home["operator_revenue"], home["refunds"], home["donations_receivable"]) == (PRICE, 5000, SHARE - 500)
    assert status(world, booking) == "confirmed" and count(app, PaymentEvent) == 3


def test_a_refund_notified_before_the_payment_implies_it(wechat):
    app, world, fake = wechat
    booking = book(world)
    notices, refunds = _payment_and_two_refunds_by_hand(fake, payment_of(app, booking).reference)
    for notice in reversed(notices):
        delivered(app, notice)
    state = books(app)
    assert {"payments": state["payments"], "refunds": sorted(state["refunds"])} == _clean_books(*refunds)
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2


@pytest.mark.parametrize("outcome", ["ABNORMAL", "CLOSED"])
def test_a_refund_that_did_not_go_through_posts_nothing(wechat, outcome):
    app, world, fake = wechat
    booking = book(world)
    number = paid(app, fake, booking)
    before = books(app)
    delivered(app, fake.refund_notice(fake.refund_by_hand(number, 3000), status=outcome))
    assert books(app) == before and count(app, PaymentEvent) == 2


# --- refunds -----------------------------------------------------------------------------------------------------

def test_cancelling_a_paid_booking_refunds_it_at_wechat_once(wechat):
    app, world, fake = wechat
    booking = book(world)
    number = paid(app, fake, booking)
    cancelled = world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    [(method, path, refund)] = [r for r in fake.requests if r[1] == "/v3/refund/domestic/refunds"]
    assert refund == {"out_refund_no": f"R0-{number}", "out_trade_no": number,
                      "notify_url": "https://linli.example.org/api/v1/payments/wechat_pay/notify",
                      "amount": {"refund": PRICE, "total": PRICE, "currency": "CNY"}}
    state = books(app)
    assert state["refunds"] == [(f"R0-{number}", PRICE, SHARE)]
    delivered(app, fake.refund_notice(f"R0-{number}"))  # WeChat reports the refund Linli made: posted already
    assert books(app) == state and remaining(world, booking) == 3


def test_a_refund_asked_again_is_the_same_refund(wechat):
    app, world, fake = wechat
    booking = book(world)
    paid(app, fake, booking)
    provider = app.extensions["linli"].plugins.payment_providers["wechat_pay"]
    payment = payment_of(app, booking)
    first = provider.refund(None, payment, 3000, app.config)
    assert provider.refund(None, payment, 3000, app.config) == first  # no answer came: asked again
    assert list(fake.refunds) == [first] and fake.orders[payment.reference]["refunded"] == 3000


def test_a_refund_wechat_refuses_leaves_the_booking_paid(wechat):
    app, world, fake = wechat
    booking = book(world)
    paid(app, fake, booking)
    fake.fail_next("POST", "/v3/refund/domestic/refunds", 403, "NOT_ENOUGH")
    cancelled = world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 502 and cancelled.get_json()["code"] == "provider_unavailable"
    assert status(world, booking) == "confirmed" and books(app)["refunds"] == []


# --- holds that run out ----------------------------------------------------------------------------------------

def after_the_hold():
    return time_machine.travel(utcnow() + dt.timedelta(minutes=16), tick=False)


def test_an_order_whose_hold_ran_out_is_closed_at_wechat(wechat):
    app, world, fake = wechat
    booking = book(world)
    number = payment_of(app, booking).reference
    with after_the_hold():
        run(app, "expire_holds")
    assert status(world, booking) == "expired" and remaining(world, booking) == 3
    assert fake.orders[number]["state"] == "CLOSED"
    assert [(m, p) for m, p, _ in fake.requests[1:]] == [("GET", f"/v3/pay/transactions/out-trade-no/{number}"),
                                                        ("POST", f"/v3/pay/transactions/out-trade-no/{number}/close")]
    assert payment_of(app, booking).status == "pending" and books(app)["entries"] == []


def test_a_payment_made_before_the_hold_ran_out_whose_notification_is_late_is_taken(wechat):
    """The resident paid in time; WeChat's notification is late: the close asks first, and the places are kept."""
    app, world, fake = wechat
    booking = book(world)
    number = payment_of(app, booking).reference
    fake.pay(number)
    with after_the_hold():
        run(app, "expire_holds")
    assert fake.orders[number]["state"] == "SUCCESS"  # not closed
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2
    state = books(app)
    assert state["payments"] == [("succeeded", PRICE, SHARE, 0)] and state["refunds"] == []
    delivered(app, fake.paid_notice(number))  # the late notification changes nothing more
    assert books(app) == state


def test_a_late_payment_for_places_taken_meanwhile_is_refunded(wechat):
    app, world, fake = wechat
    booking = book(world)
    number = payment_of(app, booking).reference
    fake.pay(number)  # paid, but neither WeChat's notification nor the close's question got through in time
    with after_the_hold():
        others = [book_cleaning(world, who=who, method="cash") for who in ("lowincome", "senior68", "student")]
        assert {other["status"] for other in others} == {"confirmed"}
        delivered(app, fake.paid_notice(number))
    assert status(world, booking) == "expired" and remaining(world, booking) == 0
    assert fake.refunds[f"R0-{number}"]["request"]["amount"] == {"refund": PRICE, "total": PRICE, "currency": "CNY"}
    state = books(app)
    assert state["refunds"] == [(f"R0-{number}", PRICE, SHARE)]
    assert by_account(state)["operator_revenue"] == by_account(state)["refunds"] == PRICE
    assert fake.splits == {}  # nothing left to split


# --- the fund's share, split off --------------------------------------------------------------------------------

@pytest.mark.parametrize("status_code, code", [(500, "SYSTEM_ERROR"), (429, "FREQUENCY_LIMITED"),
                                               (403, "ORDER_NOT_READY")])
def test_a_split_wechat_cannot_take_now_is_asked_again_later(wechat, status_code, code):
    app, world, fake = wechat
    fake.fail_next("POST", "/v3/profitsharing/orders", status_code, code)
    booking = book(world)
    paid(app, fake, booking)
    payment = payment_of(app, booking)
    assert payment.share_status == "pending" and fake.splits == {}
    with app.extensions["linli"].db.reader() as session:
        task = session.scalar(select(OutboxTask).where(OutboxTask.task == "payments.split_share"))
        assert (task.status, task.attempts) == ("pending", 1) and code in task.last_error
    assert drain_later(app, 11) == 1
    payment = payment_of(app, booking)
    assert (payment.share_status, payment.share_amount) == ("done", SHARE)
    assert by_account(books(app))["fund_cash"] == SHARE


def test_a_split_wechat_refuses_is_failed_until_the_committee_asks_again(wechat):
    app, world, fake = wechat
    fake.fail_next("POST", "/v3/profitsharing/orders", 400, "RECEIVER_INVALID")
    booking = book(world)
    number = paid(app, fake, booking)
    payment = payment_of(app, booking)
    assert (payment.share_status, payment.share_error) == ("failed", "RECEIVER_INVALID: 系统繁忙，请稍后重试")
    assert "fund_cash" not in by_account(books(app))
    with app.extensions["linli"].db.sessionmaker() as session:
        shares.retry(session, session.get(Payment, payment.id))
        commit(session)
    payment = payment_of(app, booking)
    assert (payment.share_status, payment.share_reference) == ("done", f"S2-{number}")
    assert by_account(books(app))["fund_cash"] == SHARE


def test_a_split_wechat_closes_is_failed_with_its_reason_and_asked_again_under_a_new_number(wechat):
    app, world, fake = wechat
    fake.split_state = "CLOSED"
    booking = book(world)
    number = paid(app, fake, booking)
    payment = payment_of(app, booking)
    assert (payment.share_status, payment.share_error) == ("failed", "ACCOUNT_ABNORMAL")
    fake.split_state = "FINISHED"
    with app.extensions["linli"].db.sessionmaker() as session:
        shares.retry(session, session.get(Payment, payment.id))
        commit(session)
    payment = payment_of(app, booking)
    assert (payment.share_status, payment.share_reference) == ("done", f"S2-{number}")
    assert list(fake.splits) == [f"S1-{number}", f"S2-{number}"]


def test_a_split_processing_is_settled_by_wechats_notification(wechat):
    app, world, fake = wechat
    fake.split_state = "PROCESSING"
    booking = book(world)
    number = paid(app, fake, booking)
    fake.end_split(f"S1-{number}")
    notice = fake.share_notice(f"S1-{number}")
    delivered(app, notice)
    delivered(app, notice)
    payment = payment_of(app, booking)
    assert payment.share_status == "done"
    assert entries(app).count(("donation", f"share:payment:{payment.id}")) == 1
    run(app, "payments.split_shares")  # nothing left to ask after
    assert [p for m, p, _ in fake.requests].count(f"/v3/profitsharing/orders/S1-{number}") == 0


def test_an_order_asked_again_is_the_same_and_one_without_a_donation_is_not_frozen_for_splitting(wechat):
    app, world, fake = wechat
    booking = book(world)
    provider = app.extensions["linli"].plugins.payment_providers["wechat_pay"]
    with app.extensions["linli"].db.sessionmaker() as session:
        row = session.get(Booking, booking["id"])
        operator = session.get(Operator, row.operator_id)
        again = provider.start(session, row, operator, SHARE, app.config)  # asked again: the same order
        assert (again.reference, again.code_url) == (payment_of(app, booking).reference, booking["payment"]["code_url"])
        row.created_at += dt.timedelta(microseconds=1)  # another booking, as far as WeChat can tell
        provider.start(session, row, operator, 0, app.config)
        session.rollback()
    orders = [body for method, path, body in fake.requests if path == "/v3/pay/transactions/native"]
    assert len(fake.orders) == 2 and [order.get("settle_info") for order in orders] == [
        {"profit_sharing": True}, {"profit_sharing": True}, None]


# --- the day's bill ---------------------------------------------------------------------------------------------

def test_the_days_trade_bill_is_the_statement_in_fen(wechat):
    app, world, fake = wechat
    booking = book(world)
    number = paid(app, fake, booking)
    by_hand = fake.refund_by_hand(number, 3000)
    provider = app.extensions["linli"].plugins.payment_providers["wechat_pay"]
    day = dt.datetime.now(SHANGHAI).date()
    assert provider.statement(day, app.config) == [
        StatementLine(day, "payment", number, PRICE, 72),  # 0.6 % of ¥120.00
        StatementLine(day, "refund", by_hand, 3000, -18),  # the fee of what went back, given back
    ]
    assert provider.statement(day - dt.timedelta(days=1), app.config) == []  # no bill: no trade that day
    assert [p for m, p, _ in fake.requests].count("/v3/billdownload/file") == 1


def test_a_bill_that_does_not_match_its_hash_is_not_read(wechat):
    app, world, fake = wechat
    paid(app, fake, book(world))
    fake.file_change = ("`0.72000", "`0.01000")  # the file differs from what WeChat's hash is of
    provider = app.extensions["linli"].plugins.payment_providers["wechat_pay"]
    with pytest.raises(DomainError) as refused:
        provider.statement(dt.datetime.now(SHANGHAI).date(), app.config)
    assert refused.value.code == "provider_unavailable"


BILL = (
    "\ufeff交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注\r\n"
    "`2026-12-05 09:00:01,`wxd678efh567hg6787,`1900000109,`0,`,`4200000001202612050000000001,`LL7-1a,`oUpF8u,"
    "`NATIVE,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`和平家政服务中心 #7,`7,`0.00000,`0.60%,"
    "`0.01,`0.00,`\r\n"
    "`2026-12-05 09:30:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000001202612050000000002,`LL8-1b,`oUpF8u,"
    "`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`0.10,`0.00,`0,`0,`0.00,`0.00,`,`,`商品, 名称里有逗号,`8,`0.00000,`0.60%,"
    "`0.10,`0.00,`\r\n"
    "`2026-12-05 10:00:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000001202612050000000003,`LL9-1c,`oUpF8u,"
    "`NATIVE,`SUCCESS,`OTHERS,`CNY,`0.00,`1.00,`0,`0,`0.00,`0.00,`,`,`#9,`9,`0.00000,`0.60%,`1.00,`0.00,`\r\n"
    "`2026-12-05 11:11:11,`wxd678efh567hg6787,`1900000109,`0,`,`4200000001202612050000000004,`LL10-1d,`oUpF8u,"
    "`NATIVE,`SUCCESS,`OTHERS,`CNY,`123456.78,`0.00,`0,`0,`0.00,`0.00,`,`,`#10,`10,`740.74000,`0.60%,"
    "`123456.78,`0.00,`\r\n"
    "`2026-12-05 12:00:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000001202612050000000004,`LL10-1d,`oUpF8u,"
    "`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300000012026120500000001,`R0-LL10-1d,`1.00,`0.00,`ORIGINAL,"
    "`SUCCESS,`#10,`10,`-0.01000,`0.60%,`0.00,`1.00,`\r\n"
    "`2026-12-05 12:30:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000001202612050000000005,`LL11-1e,`oUpF8u,"
    "`MICROPAY,`REVOKED,`OTHERS,`CNY,`0.00,`0.00,`0,`0,`0.00,`0.00,`,`,`#11,`11,`0.00000,`0.60%,`5.00,`0.00,`\r\n"
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
    "`6,`123456.89,`1.00,`0.00,`740.73000,`123462.89,`1.00\r\n"
)


def test_a_bill_is_read_exactly_amounts_in_fen_and_fees_of_five_decimals():
    day = dt.date(2026, 12, 5)
    assert statement_lines(BILL, day) == [
        StatementLine(day, "payment", "LL7-1a", 1, 0),
        StatementLine(day, "payment", "LL8-1b", 10, 0),  # a comma in the goods' name does not shift the columns
        StatementLine(day, "payment", "LL9-1c", 100, 0),  # paid with a coupon: the order's amount, not the settled 0
        StatementLine(day, "payment", "LL10-1d", 12345678, 74074),
        StatementLine(day, "refund", "R0-LL10-1d", 100, -1),
    ]  # the revoked card payment and the summary are not lines


def test_an_older_bill_without_the_orders_amount_column_reads_the_settled_amount():
    older = "交易时间,商户订单号,交易状态,应结订单金额,商户退款单号,退款金额,手续费\n`2026-12-05 09:00:01,`LL7-1a,`SUCCESS,`12.50,`0,`0.00,`0.08000\n"
    assert statement_lines(older, dt.date(2026, 12, 5)) == [
        StatementLine(dt.date(2026, 12, 5), "payment", "LL7-1a", 1250, 8)]


@pytest.mark.parametrize("fee, fen", [("0.00000", 0), ("0.01000", 1), ("0.10000", 10), ("1.00000", 100),
                                      ("-0.07000", -7), ("740.74000", 74074), ("0.6", 60)])
def test_fees_are_read_in_fen_exactly(fee, fen):
    assert fee_in_fen(fee) == fen


@pytest.mark.parametrize("fee", ["0.00500", "0.000001", "1e2", "0.1.0", "", "¥1.00", "1,000.00"])
def test_a_fee_that_is_not_a_whole_fen_is_refused(fee):
    with pytest.raises(ValueError):
        fee_in_fen(fee)


@pytest.mark.parametrize("total", [PRICE + 0.0, str(PRICE), True, None, [PRICE]])
def test_an_amount_wechat_gives_as_anything_but_whole_fen_is_refused(wechat, total):
    app, world, fake = wechat
    booking = book(world)
    number = payment_of(app, booking).reference
    fake.pay(number)
    assert deliver(app, fake.paid_notice(number, amount={"total": total, "currency": "CNY"})) == (400, FAIL)
    assert count(app, JournalEntry) == 0


# --- configured, or not at all -------------------------------------------------------------------------------------

def providers(world, language="en") -> dict:
    answer = world.client.get("/api/v1/payment-providers?community=heping", headers={"Accept-Language": language})
    return {p["key"]: p["label"] for p in answer.get_json()}


def test_the_demo_without_wechat_settings_shows_no_wechat_pay(platform):
    app, world = platform()
    assert "wechat_pay" not in providers(world)
    refused = world.api("adult").post("/bookings", {"slot_id": world.slots("Home cleaning, 2 hours")[0]["id"],
                                                    "payment_method": "wechat_pay",
                                                    "details": {"address": "Heping Road 1"}})
    assert refused.status_code == 422 and refused.get_json()["code"] == "payment_method_not_configured"


def test_wechat_pay_is_offered_by_its_name_in_the_readers_language(wechat):
    app, world, fake = wechat
    assert providers(world)["wechat_pay"] == "WeChat Pay"
    assert providers(world, "zh-CN")["wechat_pay"] == "微信支付"


@pytest.mark.parametrize("setting, value", [("WECHATPAY_APIV3_KEY", None), ("WECHATPAY_PUBLIC_KEY_ID", ""),
                                            ("WECHATPAY_SHARE_RECEIVER", "1900000110"),
                                            ("WECHATPAY_SHARE_RECEIVER", "BANK:1900000110"),
                                            ("WECHATPAY_SHARE_RECEIVER", "MERCHANT_ID: ")])
def test_wechat_pay_is_off_while_a_setting_is_missing_or_malformed(platform, wechat_fake, tmp_path, setting, value):
    app, world = platform(**{**wechat_fake.settings(tmp_path), setting: value})
    assert "wechat_pay" not in providers(world)


# --- what WeChat answers when an order is made -----------------------------------------------------------------

def refused_booking(world) -> dict:
    response = world.api("adult").post("/bookings", {"slot_id": world.slots("Home cleaning, 2 hours")[0]["id"],
                                                     "payment_method": "wechat_pay",
                                                     "details": {"address": "Heping Road 1"}})
    assert response.status_code in (422, 502), response.get_json()
    return response.get_json()


def test_wechat_down_when_the_order_is_made_books_nothing(wechat):
    app, world, fake = wechat
    fake.fail_next("POST", "/v3/pay/transactions/native", 500)
    assert refused_booking(world)["code"] == "provider_unavailable"
    assert count(app, Payment) == 0
    assert world.slots("Home cleaning, 2 hours")[0]["remaining"] == 3


def test_an_order_wechat_refuses_is_declined_in_its_words(wechat):
    app, world, fake = wechat
    fake.fail_next("POST", "/v3/pay/transactions/native", 403, "NOAUTH")
    refused = refused_booking(world)
    assert refused["code"] == "payment_declined" and "系统繁忙" in refused["detail"]
    assert count(app, Payment) == 0


def test_requests_signed_with_another_merchant_key_are_refused_by_wechat(platform, wechat_fake, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    settings = wechat_fake.settings(tmp_path)
    wrong = FakeWeChatPay(Keys(wechat_fake.keys.stranger, wechat_fake.keys.platform, wechat_fake.keys.merchant))
    settings["WECHATPAY_PRIVATE_KEY"] = wrong.settings(other)["WECHATPAY_PRIVATE_KEY"]
    app, world = platform(**settings)
    assert refused_booking(world)["code"] == "provider_unavailable"
    assert wechat_fake.refused == ["SIGN_ERROR"] and wechat_fake.orders == {}


def test_answers_not_signed_by_wechats_key_are_not_believed(wechat):
    app, world, fake = wechat
    fake.answer_key = fake.keys.stranger
    assert refused_booking(world)["code"] == "provider_unavailable"
    assert count(app, Payment) == 0


def test_a_payment_of_another_system_on_the_same_merchant_is_taken_and_ignored(wechat):
    """WeChat is told it was received (or it would send it for a day), and nothing is posted."""
    app, world, fake = wechat
    booking = book(world)
    number = payment_of(app, booking).reference
    fake.pay(number)
    delivered(app, fake.paid_notice(number, out_trade_no="SHOP20261206001"))
    assert count(app, PaymentEvent) == 1 and count(app, JournalEntry) == 0
    assert status(world, booking) == "pending_payment"


@pytest.mark.postgres
def test_a_payment_and_its_refunds_notified_three_times_at_once_count_once(wechat):
    app, world, fake = wechat
    fake.split_state = "PROCESSING"
    booking = book(world)
    notices, refunds = _payment_and_two_refunds_by_hand(fake, payment_of(app, booking).reference)
    results = race([lambda notice=notice: deliver(app, notice) for notice in notices * 3])
    assert results == [(200, {"code": "SUCCESS", "message": "成功"})] * 9
    state = books(app)  # and the invariants hold
    assert {"payments": state["payments"], "refunds": sorted(state["refunds"])} == _clean_books(*refunds)
    assert count(app, PaymentEvent) == 3 and status(world, booking) == "confirmed"
