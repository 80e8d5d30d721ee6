"""Alipay (plugins/alipay) against a fake gateway on 127.0.0.1 that verifies the app's RSA2 signatures and signs
as Alipay does: a booking sent to the cashier, paid, notified, split, refunded, closed, and the day's bill read.
"""
from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit
from urllib.request import urlopen

import pytest
import time_machine
from sqlalchemy import select

from core.db import commit, utcnow
from core.models import JournalEntry, Payment, PaymentEvent
from core.payments import shares
from core.plugin_api import StatementLine
from tests.alipay_fake import (  # noqa: F401 - fixtures
    APP_ID, FUND_ACCOUNT, alipay_keys, fake_alipay, private_pem, public_pem,
)
from tests.test_webhooks import after_the_hold, book_cleaning, books, by_account, count, remaining, status

NOTIFY = "/api/v1/payments/alipay/notify"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def alipay_platform(platform, fake_alipay):
    """The demo platform with Alipay configured against the fake gateway; (app, world, fake)."""
    app, world = platform(**fake_alipay.config)
    return app, world, fake_alipay


def book(world, who="adult", slot=0):
    return book_cleaning(world, who=who, method="alipay", slot=slot)


def reference(booking) -> str:
    return urlsplit(booking["payment"]["redirect_url"]).path.rsplit("/", 1)[1]


def open_cashier(app, booking) -> str:
    """The resident follows the booking's redirect_url: Linli signs the page pay and sends them to the cashier."""
    response = app.test_client().get(urlsplit(booking["payment"]["redirect_url"]).path)
    assert response.status_code == 302, response.get_data(as_text=True)
    with urlopen(response.headers["Location"], timeout=5) as cashier:
        assert "收银台" in cashier.read().decode()
    return response.headers["Location"]


def notify(app, form) -> tuple[int, str]:
    body = form if isinstance(form, bytes) else urlencode(form).encode()
    response = app.test_client().post(NOTIFY, data=body, content_type=FORM)
    return response.status_code, response.get_data(as_text=True)


def paid(app, fake, booking) -> dict:
    """The resident opens the cashier and pays; Alipay's notification is taken."""
    open_cashier(app, booking)
    form = fake.pay(reference(booking))
    assert notify(app, form) == (200, "success")
    return form


# --- the resident pays ---------------------------------------------------------------------------------

def test_a_booking_paid_with_alipay_is_sent_to_the_cashier_and_confirmed_by_the_notification(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    assert booking["status"] == "pending_payment"
    payment = booking["payment"]
    assert payment["provider"] == "alipay" and payment["action"] == "redirect" and payment["expires_at"]
    location = open_cashier(app, booking)
    assert location.startswith(fake.gateway + "?")
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["method"] == "alipay.trade.page.pay" and query["sign_type"] == "RSA2" and query["app_id"] == APP_ID
    assert query["notify_url"] == "https://linli.example.org/api/v1/payments/alipay/notify"
    (page,) = fake.pages
    expires = dt.datetime.fromisoformat(payment["expires_at"]).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert page["total_amount"] == "120.00" and page["time_expire"] == expires.strftime("%Y-%m-%d %H:%M:%S")
    assert page["product_code"] == "FAST_INSTANT_TRADE_PAY" and page["extend_params"] == {"royalty_freeze": "true"}
    assert status(world, booking) == "pending_payment"

    form = fake.pay(reference(booking))
    assert notify(app, form) == (200, "success")
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2
    state = books(app)
    assert state["payments"] == [("succeeded", 12000, 1200, 0)]
    # the fund's share is split off at once by the job: a royalty to the fund's account, then posted
    settles = [biz for method, biz in fake.calls if method == "alipay.trade.order.settle"]
    assert len(settles) == 1
    assert settles[0]["royalty_parameters"] == [{"royalty_type": "transfer", "trans_in_type": "userId",
                                                 "trans_in": FUND_ACCOUNT, "amount": "12.00",
                                                 "desc": settles[0]["royalty_parameters"][0]["desc"]}]
    assert settles[0]["extend_params"] == {"royalty_finish": "true"}
    assert "donation" in state["entries"] and by_account(state)["fund_cash"] == 1200
    with app.extensions["linli"].db.reader() as session:
        payment_row = session.scalar(select(Payment))
        assert (payment_row.share_status, payment_row.share_amount) == ("done", 1200)
        assert session.scalar(select(JournalEntry).where(JournalEntry.source == f"share:payment:{payment_row.id}"))
    # Alipay repeats the notification until it hears "success": the same notify_id changes nothing
    assert notify(app, form) == (200, "success")
    assert books(app) == state and count(app, PaymentEvent) == 1


def test_the_pay_address_of_a_payment_no_longer_awaited_sends_nobody_to_the_cashier(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    response = app.test_client().get(urlsplit(booking["payment"]["redirect_url"]).path)
    assert response.status_code == 409 and "no longer open" in response.get_data(as_text=True)
    assert app.test_client().get("/alipay/pay/L1T1").status_code == 409 and fake.pages == []


# --- notifications that are not Alipay's, or not for this app ----------------------------------------------

REFUSED = {
    "tampered amount": lambda fake, form: {**form, "total_amount": "0.01"},
    "tampered status": lambda fake, form: {**form, "trade_status": "TRADE_SUCCESS", "out_trade_no": "L9T9"},
    "wrong key": lambda fake, form: fake.signed(form, key=fake.stranger_key),
    "wrong app_id": lambda fake, form: fake.signed({**form, "app_id": "2021000000000999"}),
    "signed amount not the payment's": lambda fake, form: fake.signed({**form, "total_amount": "1.00"}),
    "no sign": lambda fake, form: {k: v for k, v in form.items() if k != "sign"},
    "sign_type RSA": lambda fake, form: {**form, "sign_type": "RSA"},
    "garbage sign": lambda fake, form: {**form, "sign": "not base64 at all!"},
    "a field twice": lambda fake, form: list(form.items()) + [("total_amount", "0.01")],
    "no notify_id": lambda fake, form: fake.signed({k: v for k, v in form.items() if k != "notify_id"}),
    "amount not a number": lambda fake, form: fake.signed({**form, "total_amount": "1e5"}),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_notification_that_is_not_alipays_for_this_payment_is_refused_and_changes_nothing(alipay_platform, case):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    form = REFUSED[case](fake, fake.pay(reference(booking)))
    body = urlencode(form).encode()
    assert notify(app, body) == (400, "fail")
    assert count(app, PaymentEvent) == 0 and count(app, JournalEntry) == 0
    assert status(world, booking) == "pending_payment" and remaining(world, booking) == 2


@pytest.mark.parametrize("seed", range(8))
def test_garbage_bodies_are_refused_never_a_500(alipay_platform, seed):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    form = fake.pay(reference(booking))
    rng = random.Random(seed)
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))), b"", b"=", b"&&&", b"%ff%fe=1",
              b"sign=&sign_type=RSA2", urlencode({k: v[::-1] for k, v in form.items()}).encode(),
              urlencode({k: v for k, v in form.items() if rng.random() < 0.5}).encode(),
              urlencode(form).encode()[:rng.randrange(1, 300)], ("a=1&" * 200).encode(), b'{"json": true}']
    client = app.test_client()
    for body in bodies:
        for kind in (FORM, "application/json", "text/plain"):
            response = client.post(NOTIFY, data=body, content_type=kind)
            assert (response.status_code, response.get_data(as_text=True)) == (400, "fail"), body
    assert count(app, PaymentEvent) == 0 and count(app, JournalEntry) == 0
    assert status(world, booking) == "pending_payment"


def test_notifications_are_refused_when_alipay_is_not_configured(alipay_platform, make_app):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    form = fake.pay(reference(booking))
    unconfigured = make_app()  # the same database, no Alipay settings
    response = unconfigured.test_client().post(NOTIFY, data=urlencode(form), content_type=FORM)
    assert (response.status_code, response.get_data(as_text=True)) == (400, "fail")
    assert status(world, booking) == "pending_payment"
    choices = unconfigured.test_client().get("/api/v1/payment-providers?community=heping").get_json()
    assert "alipay" not in [c["key"] for c in choices]


# --- each notification once, in any order ------------------------------------------------------------------

def _paid_then_refunded_twice_at_alipay(app, world, fake):
    """A paid booking refunded 30.00 then 20.00 from Alipay's merchant console: three notifications."""
    booking = book(world)
    open_cashier(app, booking)
    number = reference(booking)
    notes = [fake.pay(number)]
    for request_no, amount in (("console1", "30.00"), ("console2", "20.00")):
        fake.answer("alipay.trade.refund", {"out_trade_no": number, "refund_amount": amount,
                                            "out_request_no": request_no})
        notes.append(fake.refund_notification(number, request_no))
    return booking, notes


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_notifications_twice_in_any_order_give_the_books_of_one_clean_delivery(alipay_platform, seed):
    app, world, fake = alipay_platform
    booking, notes = _paid_then_refunded_twice_at_alipay(app, world, fake)
    deliveries = notes * 2
    random.Random(seed).shuffle(deliveries)
    for form in deliveries:
        assert notify(app, form) == (200, "success")
    state = books(app)
    assert state["payments"] == [("succeeded", 12000, 1200, 5000)]
    assert sum(amount for _, amount, _ in state["refunds"]) == 5000
    assert sum(reversed_ for _, _, reversed_ in state["refunds"]) == 500
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2
    assert count(app, PaymentEvent) == 3


def test_a_refund_notified_before_the_payment_implies_it(alipay_platform):
    app, world, fake = alipay_platform
    booking, (paid_note, first, second) = _paid_then_refunded_twice_at_alipay(app, world, fake)
    for form in (second, first, paid_note):
        assert notify(app, form) == (200, "success")
    state = books(app)
    assert state["payments"] == [("succeeded", 12000, 1200, 5000)]
    assert state["refunds"] == [("console2", 5000, 500)]  # the running total, under the refund that brought it
    assert status(world, booking) == "confirmed"


def test_a_closed_trade_lets_the_places_go(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    fake.trades[reference(booking)].status = "TRADE_CLOSED"
    assert notify(app, fake.notification(reference(booking))) == (200, "success")
    assert status(world, booking) == "expired" and remaining(world, booking) == 3
    assert books(app)["payments"] == [("canceled", 12000, 1200, 0)]


# --- refunds, closing, and a payment racing the end of the hold -------------------------------------------

def test_cancelling_a_paid_booking_refunds_it_through_alipay_once(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    paid(app, fake, booking)
    cancelled = world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.get_json()
    trade = fake.trades[reference(booking)]
    assert trade.refunded == 12000 and list(trade.refunds) == [f"{reference(booking)}R0"]
    state = books(app)
    assert state["refunds"] == [(f"{reference(booking)}R0", 12000, 1200)]
    # Alipay then notifies the refund Linli made: already posted
    assert notify(app, fake.refund_notification(reference(booking), f"{reference(booking)}R0")) == (200, "success")
    assert books(app) == state


def test_cancelling_a_booking_not_yet_paid_closes_the_trade(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    world.api("adult").post(f"/bookings/{booking['id']}/cancel")
    assert fake.trades[reference(booking)].status == "TRADE_CLOSED"
    assert remaining(world, booking) == 3


def _expire_holds(app):
    result = app.test_cli_runner().invoke(args=["expire-holds"])
    assert result.output.strip() == "1 holds expired", result.output


@pytest.mark.parametrize("opened", [True, False])
def test_a_hold_that_runs_out_closes_the_trade(alipay_platform, opened):
    app, world, fake = alipay_platform
    booking = book(world)
    if opened:
        open_cashier(app, booking)
    with after_the_hold():
        _expire_holds(app)
    methods = [method for method, _ in fake.calls if method != "alipay.trade.page.pay"]
    assert methods == ["alipay.trade.query", "alipay.trade.close"]
    if opened:
        assert fake.trades[reference(booking)].status == "TRADE_CLOSED"
    assert status(world, booking) == "expired" and remaining(world, booking) == 3


def test_a_payment_made_before_the_hold_ran_out_but_not_yet_notified_re_takes_the_places(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    late = fake.pay(reference(booking))  # the notification is on its way
    with after_the_hold():
        _expire_holds(app)  # the query finds it paid: taken at once
        assert status(world, booking) == "confirmed" and remaining(world, booking) == 2
        assert fake.trades[reference(booking)].status == "TRADE_SUCCESS"
        assert notify(app, late) == (200, "success")
    assert books(app)["payments"] == [("succeeded", 12000, 1200, 0)]


def test_a_payment_racing_the_close_for_a_slot_now_full_is_refunded(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    fake.paid_at_close.add(reference(booking))  # paid the moment Linli closes the trade: the close fails
    with after_the_hold():
        others = [book_cleaning(world, who=who, method="cash") for who in ("lowincome", "senior68", "student")]
        assert {other["status"] for other in others} == {"confirmed"}
        assert status(world, booking) == "expired" and remaining(world, booking) == 0
        (late,) = fake.lost
        assert notify(app, late) == (200, "success")
    trade = fake.trades[reference(booking)]
    assert trade.refunded == 12000
    state = books(app)
    assert state["payments"] == [("succeeded", 12000, 1200, 12000)]
    home = by_account(state)
    assert home["operator_revenue"] == home["refunds"] == 12000 and "fund_cash" not in home
    assert status(world, booking) == "expired"


# --- the fund's share: a royalty to its account ----------------------------------------------------------------

def _payment(app) -> Payment:
    with app.extensions["linli"].db.reader() as session:
        return session.scalar(select(Payment))


def _share_entries(app, payment_id) -> int:
    with app.extensions["linli"].db.reader() as session:
        return len(session.scalars(select(JournalEntry).where(JournalEntry.source == f"share:payment:{payment_id}"))
                   .all())


def _retry_split(app, payment_id):
    """The committee asks again for a split Alipay refused (core.payments.shares.retry), run by the job."""
    linli = app.extensions["linli"]
    with linli.db.sessionmaker() as session:
        shares.retry(session, session.get(Payment, payment_id))
        commit(session)


def test_a_refused_royalty_is_kept_with_alipays_reason_and_done_when_asked_again(alipay_platform):
    app, world, fake = alipay_platform
    fake.receivers.clear()  # the fund's account was never bound to the app
    booking = book(world)
    paid(app, fake, booking)
    payment = _payment(app)
    assert (payment.share_status, payment.share_error) == ("failed", "分账收款方未绑定分账关系")
    assert payment.share_reference == f"{reference(booking)}S1" and _share_entries(app, payment.id) == 0
    assert "fund_cash" not in by_account(books(app))
    fake.receivers.add(FUND_ACCOUNT)
    _retry_split(app, payment.id)
    payment = _payment(app)
    assert (payment.share_status, payment.share_error, payment.share_amount) == ("done", None, 1200)
    assert payment.share_reference == f"{reference(booking)}S2"  # a new request after a refusal
    assert _share_entries(app, payment.id) == 1 and by_account(books(app))["fund_cash"] == 1200


def test_a_royalty_alipay_did_not_answer_is_asked_again_under_the_same_number(alipay_platform):
    app, world, fake = alipay_platform
    booking = book(world)
    open_cashier(app, booking)
    form = fake.pay(reference(booking))
    fake.down = True  # the gateway answers 502 to the split
    assert notify(app, form) == (200, "success")
    assert _payment(app).share_status == "pending" and fake.settles == {}
    fake.down = False
    with time_machine.travel(utcnow() + dt.timedelta(minutes=2), tick=False):
        assert app.extensions["linli"].queue.runner.drain() == 1  # the task's retry, after its backoff
    payment = _payment(app)
    assert payment.share_status == "done" and list(fake.settles) == [f"{reference(booking)}S1"]
    assert _share_entries(app, payment.id) == 1


def test_a_royalty_still_processing_is_asked_after_until_done(alipay_platform):
    app, world, fake = alipay_platform
    fake.settle_state = "PROCESSING"
    booking = book(world)
    paid(app, fake, booking)
    assert _payment(app).share_status == "requested"
    app.extensions["linli"].queue.runner.run_periodic("payments.split_shares")
    assert _payment(app).share_status == "requested"  # still processing at Alipay
    fake.settles[f"{reference(booking)}S1"]["state"] = "SUCCESS"
    app.extensions["linli"].queue.runner.run_periodic("payments.split_shares")
    payment = _payment(app)
    assert payment.share_status == "done" and _share_entries(app, payment.id) == 1
    assert [m for m, _ in fake.calls].count("alipay.trade.order.settle") == 1


def test_a_royalty_that_failed_at_alipay_after_processing_is_failed_with_its_reason(alipay_platform):
    app, world, fake = alipay_platform
    fake.settle_state = "PROCESSING"
    booking = book(world)
    paid(app, fake, booking)
    fake.settles[f"{reference(booking)}S1"]["state"] = "FAIL"
    app.extensions["linli"].queue.runner.run_periodic("payments.split_shares")
    payment = _payment(app)
    assert (payment.share_status, payment.share_error) == ("failed", "收款账户异常")
    assert _share_entries(app, payment.id) == 0


# --- the day's bill ----------------------------------------------------------------------------------------------

def _bill_row(kind, out_trade_no, amount, fee, refund_no=""):
    row = [""] * 25
    row[0], row[1], row[2], row[3] = "2026120622001400001\t", out_trade_no + "\t", kind, "邻里 Linli #1"
    row[4] = row[5] = "2026-12-06 10:00:00"
    row[11], row[12], row[21], row[22] = amount, amount, refund_no, fee
    return row


def test_the_days_bill_is_read_exactly(alipay_platform):
    app, world, fake = alipay_platform
    fake.bill("2026-12-06", [
        _bill_row("交易", "L1T1", "0.01", "0.00"),
        _bill_row("交易", "L2T2", "0.10", "-0.01"),
        _bill_row("交易", "L3T3", "1.00", "-0.01"),
        _bill_row("交易", "L4T4", "99999.99", "-600.00"),
        _bill_row("退款", "L4T4", "-20.00", "0.12", refund_no="L4T4R0"),
        _bill_row("其他", "L5T5", "5.00", "0.00"),
    ])
    provider = app.extensions["linli"].payments.providers["alipay"]
    day = dt.date(2026, 12, 6)
    assert provider.statement(day, app.config) == [
        StatementLine(day, "payment", "L1T1", 1, 0),
        StatementLine(day, "payment", "L2T2", 10, 1),
        StatementLine(day, "payment", "L3T3", 100, 1),
        StatementLine(day, "payment", "L4T4", 9999999, 60000),
        StatementLine(day, "refund", "L4T4R0", 2000, -12),
    ]
    assert ("alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": "2026-12-06"}) in fake.calls
    assert provider.statement(dt.date(2026, 12, 5), app.config) == []  # no bill that day: nothing happened


# --- amounts, exactly ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fen, yuan", [(1, "0.01"), (10, "0.10"), (100, "1.00"), (9999999, "99999.99")])
def test_amounts_go_to_alipay_and_come_back_exactly(alipay_platform, fen, yuan):
    app, world, fake = alipay_platform
    provider = app.extensions["linli"].payments.providers["alipay"]
    hold = utcnow() + dt.timedelta(minutes=15)
    booking = SimpleNamespace(id=7, hold_expires_at=hold)
    payment = SimpleNamespace(id=1, reference="L7T1", amount=fen, donation_amount=0, refunded_amount=0)
    with urlopen(provider.cashier_url(payment, booking, app.config), timeout=5):
        pass
    (page,) = fake.pages
    assert page["total_amount"] == yuan and "extend_params" not in page
    note = provider.parse_notification(urlencode(fake.pay("L7T1")).encode(), {}, app.config)
    assert note.amount == fen and note.status == "succeeded" and note.reference == "L7T1"
    assert provider.refund(None, payment, fen, app.config) == "L7T1R0"
    assert fake.calls[-1] == ("alipay.trade.refund", {"out_trade_no": "L7T1", "refund_amount": yuan,
                                                     "out_request_no": "L7T1R0"})
    refund_note = provider.parse_notification(urlencode(fake.refund_notification("L7T1", "L7T1R0")).encode(), {},
                                              app.config)
    assert (refund_note.refunded_total, refund_note.total_reference, refund_note.status) == (fen, "L7T1R0", None)


# --- keys -------------------------------------------------------------------------------------------------------

def test_keys_may_be_given_as_a_pem_files_path_or_as_bare_base64(platform, fake_alipay, alipay_keys, tmp_path):
    key_file = tmp_path / "app_private_key.pem"
    key_file.write_text(private_pem(alipay_keys.app))
    bare = "".join(public_pem(alipay_keys.alipay).splitlines()[1:-1])  # what Alipay's key tool prints
    app, world = platform(**{**fake_alipay.config, "ALIPAY_APP_PRIVATE_KEY": str(key_file),
                             "ALIPAY_ALIPAY_PUBLIC_KEY": bare})
    booking = book(world)
    paid(app, fake_alipay, booking)
    assert status(world, booking) == "confirmed" and _payment(app).share_status == "done"


@pytest.mark.parametrize("wrong", ["ALIPAY_APP_PRIVATE_KEY", "ALIPAY_ALIPAY_PUBLIC_KEY"])
def test_a_call_signed_with_a_key_alipay_does_not_know_or_answered_by_another_is_not_taken(
        platform, fake_alipay, alipay_keys, wrong):
    stranger = alipay_keys.stranger
    wrong_key = private_pem(stranger) if wrong == "ALIPAY_APP_PRIVATE_KEY" else public_pem(stranger)
    app, world = platform(**{**fake_alipay.config, wrong: wrong_key})
    booking = book(world)
    cancelled = world.api("adult").post(f"/bookings/{booking['id']}/cancel")  # closing the trade needs Alipay
    assert cancelled.status_code == 502 and cancelled.get_json()["code"] == "provider_unavailable"
    assert status(world, booking) == "pending_payment" and remaining(world, booking) == 2
    refused = ["signature"] if wrong == "ALIPAY_APP_PRIVATE_KEY" else []
    assert fake_alipay.refused == refused


def test_residents_choose_alipay_by_its_chinese_name(alipay_platform):
    app, world, fake = alipay_platform
    choices = app.test_client().get("/api/v1/payment-providers?community=heping",
                                    headers={"Accept-Language": "zh-CN"}).get_json()
    assert {"key": "alipay", "label": "支付宝", "online": True} in choices
