"""Alipay (plugins/alipay) against a fake gateway on 127.0.0.1 that verifies the app's RSA2 signatures and signs
as Alipay does: a booking sent to the cashier, paid, notified, split, refunded, closed, and the day's bill read.
"""
from __future__ import annotations

import datetime as dt
import random
from urllib.parse import parse_qsl, urlencode, urlsplit
from urllib.request import urlopen

import pytest
from sqlalchemy import select

from core.db import utcnow
from core.models import JournalEntry, Payment, PaymentEvent
from tests.alipay_fake import APP_ID, FUND_ACCOUNT, alipay_keys, fake_alipay  # noqa: F401 - fixtures
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
