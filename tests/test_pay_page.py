"""The pay page for every provider's way of paying (a QR code drawn here, the provider's page, Stripe's form), its
countdown and status, and the counter's QR code for a resident who pays by phone — against LocalPay, a provider
whose notifications are signed as a real one's are."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.models import Payment
from core.payments import PaymentStart
from core.web.paying import clock, qr_svg
from tests.clock import at
from tests.local_provider import LocalPay, LocalPayPlugin, signed
from tests.web_support import WebSession

CLEANING = "Home cleaning, 2 hours"
NOTIFY = "/api/v1/payments/localpay/notify"
ADDRESS = "3-2-101 Heping Road"


@pytest.fixture
def plugin():
    return LocalPayPlugin()


@pytest.fixture
def app(make_app, plugin):
    """The demo platform (with ``demo``) where residents may pay with LocalPay, by scanning its QR code."""
    return make_app(PLUGINS=[plugin], LOCALPAY="on")


def book_online(app, demo, who: str = "adult") -> tuple[WebSession, int]:
    """Book a home cleaning through the page, paying with LocalPay: the page goes on to pay."""
    resident = WebSession(app.test_client()).login(f"{who}@example.org", "demo-password")
    slot = demo.slots(CLEANING)[0]
    booked = resident.post(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "localpay",
                                                   "details-address": ADDRESS})
    assert booked.status_code == 303 and booked.headers["Location"].endswith("/pay"), booked.get_data(as_text=True)
    return resident, int(re.search(r"/my/bookings/(\d+)/pay", booked.headers["Location"]).group(1))


def payment_of(app, booking_id: int) -> Payment:
    with app.extensions["linli"].db.reader() as session:
        return session.scalar(select(Payment).where(Payment.booking_id == booking_id))


def notify_paid(app, reference: str, event: str = "evt-paid"):
    body, headers = signed({"id": event, "type": "payment", "reference": reference, "status": "succeeded"})
    response = app.test_client().post(NOTIFY, data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_qr_payment_shows_the_code_drawn_here_the_time_left_and_a_check_button(app, demo):
    resident, booking_id = book_online(app, demo)
    page = resident.get(f"/my/bookings/{booking_id}/pay")
    html = page.get_data(as_text=True)
    payment = payment_of(app, booking_id)
    assert (payment.action, payment.action_url) == ("qr", f"weixin://wxpay/bizpayurl?pr={payment.reference}")
    assert str(qr_svg(payment.action_url)) in html and '<svg viewBox="0 0 ' in html  # the code of this payment
    assert "Scan with LocalPay to pay" in html and "CN¥" in html
    seconds = int(re.search(r'data-seconds="(\d+)"', html).group(1))
    assert 14 * 60 <= seconds <= 15 * 60 and f">{clock(seconds)}</strong>" in html and "Time left to pay:" in html
    assert "linli-wait.js" in html and 'data-testid="check"' in html and "js.stripe.com" not in html
    assert "js.stripe.com" not in page.headers["Content-Security-Policy"]


def test_the_status_follows_the_booking_and_the_page_moves_on_once_the_provider_says_paid(app, demo):
    resident, booking_id = book_online(app, demo)
    status = resident.get(f"/my/bookings/{booking_id}/status.json")
    assert status.headers["Cache-Control"] == "no-store"
    state = status.get_json()
    assert (state["status"], state["waiting"]) == ("pending_payment", True) and 840 <= state["seconds_left"] <= 900
    notify_paid(app, payment_of(app, booking_id).reference)
    assert resident.get(f"/my/bookings/{booking_id}/status.json").get_json() == {
        "status": "confirmed", "waiting": False, "seconds_left": None}
    moved = resident.get(f"/my/bookings/{booking_id}/pay")
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"/my/bookings/{booking_id}")
    booking_page = resident.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Paid. Thank you: your booking is confirmed." in booking_page and "Paid by: LocalPay" in booking_page
    assert "Pay now" not in booking_page


def test_the_booking_page_offers_to_pay_while_the_booking_waits(app, demo):
    resident, booking_id = book_online(app, demo)
    page = resident.get(f"/my/bookings/{booking_id}").get_data(as_text=True)
    assert f'href="/my/bookings/{booking_id}/pay">Pay now</a>' in page and "Waiting for payment" in page


@pytest.mark.parametrize("job_ran", [False, True], ids=["hold-over", "expired-by-the-job"])
def test_when_the_hold_ran_out_the_page_says_so_plainly_and_offers_to_book_again(app, demo, job_ran):
    resident, booking_id = book_online(app, demo)
    with at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)):
        if job_ran:
            assert app.test_cli_runner().invoke(args=["jobs", "run", "expire_holds"]).exit_code == 0
        page = resident.get(f"/my/bookings/{booking_id}/pay")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "The time to pay has run out." in html
        assert f'href="/book/{demo.slots(CLEANING)[0]["id"]}"' in html and "Book again" in html
        assert "<svg" not in html and "linli-wait.js" not in html  # nothing left to scan, nothing to wait for
        state = resident.get(f"/my/bookings/{booking_id}/status.json").get_json()
        assert state == {"status": "expired" if job_ran else "pending_payment", "waiting": False, "seconds_left": 0}


def test_a_redirect_payment_shows_one_big_button_to_the_providers_page(make_app, demo_rows):
    from tests.snapshots import restore

    class PageOnly(LocalPay):
        label = "PagePay"

        def start(self, session, booking, operator, donation_amount, config):
            started = super().start(session, booking, operator, donation_amount, config)
            return PaymentStart(started.reference, action="redirect",
                                redirect_url=f"https://pay.example/cashier?order={started.reference}&sign=x")

    plugin = LocalPayPlugin()
    plugin.provider = PageOnly()
    app = make_app(PLUGINS=[plugin], LOCALPAY="on")
    restore(app.extensions["linli"].db.engine, demo_rows)
    from tests.factories import DemoWorld

    resident, booking_id = book_online(app, DemoWorld(app.test_client()))
    html = resident.get(f"/my/bookings/{booking_id}/pay").get_data(as_text=True)
    reference = payment_of(app, booking_id).reference
    assert (f'<a class="button big" href="https://pay.example/cashier?order={reference}&amp;sign=x" '
            f'rel="noreferrer" data-testid="go-pay">Go to PagePay to pay</a>') in html
    assert "<svg" not in html and "Time left to pay:" in html and "I have paid: check" in html
    staff = WebSession(app.test_client()).login("housekeeping@example.org", "demo-password")
    at_counter = staff.get(f"/operators/{payment_of(app, booking_id).operator_id}/counter/pay/{booking_id}")
    shown = at_counter.get_data(as_text=True)  # the page as a code: the resident's camera opens it
    assert str(qr_svg(f"https://pay.example/cashier?order={reference}&sign=x")) in shown
    assert "Scan with the phone's camera to pay with PagePay" in shown and 'data-testid="no-qr"' not in shown


def test_another_resident_sees_neither_the_page_nor_the_status(app, demo, web):
    _resident, booking_id = book_online(app, demo)
    other = web("senior68")
    for path in (f"/my/bookings/{booking_id}/pay", f"/my/bookings/{booking_id}/status.json"):
        assert other.get(path).status_code == 404
        assert web().get(path).status_code in (302, 303)  # to the login page
    staff = web("housekeeping")  # the booking's operator: its counter page, not the resident's
    assert staff.get(f"/my/bookings/{booking_id}/status.json").status_code in (403, 404)


# --- the counter ------------------------------------------------------------------------------------------------

def housekeeping_id(demo) -> int:
    return demo.listing(CLEANING)["operator_id"]


def test_the_counter_lists_what_waits_for_payment_and_shows_its_qr_code_until_it_is_paid(app, demo, web):
    _resident, booking_id = book_online(app, demo)
    operator_id = housekeeping_id(demo)
    staff = web("housekeeping")
    counter = staff.get(f"/operators/{operator_id}/counter").get_data(as_text=True)
    pay_url = f"/operators/{operator_id}/counter/pay/{booking_id}"
    assert f'data-testid="awaiting-{booking_id}"' in counter and f'href="{pay_url}"' in counter
    html = staff.get(pay_url).get_data(as_text=True)
    payment = payment_of(app, booking_id)
    assert str(qr_svg(payment.action_url)) in html and "Scan with LocalPay to pay" in html
    assert 'data-testid="countdown"' in html and f'data-pay-status="{pay_url}/status.json"' in html
    assert staff.get(f"{pay_url}/status.json").get_json()["waiting"] is True
    notify_paid(app, payment.reference)
    assert staff.get(f"{pay_url}/status.json").get_json()["waiting"] is False
    paid = staff.get(pay_url).get_data(as_text=True)
    assert 'data-testid="paid"' in paid and "<svg" not in paid
    assert "awaiting-" not in staff.get(f"/operators/{operator_id}/counter").get_data(as_text=True)


def test_only_the_operators_own_staff_see_its_counter_qr_code(app, demo, web):
    _resident, booking_id = book_online(app, demo)
    operator_id = housekeeping_id(demo)
    pay_url = f"/operators/{operator_id}/counter/pay/{booking_id}"
    for who in ("canteen", "adult", "staff"):  # another operator's staff, the resident, the community's staff
        for path in (pay_url, f"{pay_url}/status.json"):
            assert web(who).get(path).status_code == 403, (who, path)
    canteen_id = demo.listing("Community lunch")["operator_id"]
    canteen = web("canteen")
    assert canteen.get(f"/operators/{canteen_id}/counter/pay/{booking_id}").status_code == 404  # not its booking


def test_the_counter_qr_page_says_when_the_time_ran_out(app, demo, web):
    _resident, booking_id = book_online(app, demo)
    pay_url = f"/operators/{housekeeping_id(demo)}/counter/pay/{booking_id}"
    with at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)):
        html = web("housekeeping").get(pay_url).get_data(as_text=True)
    assert 'data-testid="ran-out"' in html and "<svg" not in html


def test_the_pay_pages_read_in_chinese(app, demo, web):
    from tests.test_chinese_pages import english_words

    resident, booking_id = book_online(app, demo)
    resident.get("/lang/zh_Hans")
    html = resident.get(f"/my/bookings/{booking_id}/pay").get_data(as_text=True)
    for words in ("请用LocalPay扫一扫付款", "付款剩余时间：", "我已付款，查看结果"):
        assert words in html, words
    staff = web("housekeeping")
    staff.get("/lang/zh_Hans")
    counter = f"/operators/{housekeeping_id(demo)}/counter"
    pages = {"pay": html, "counter": staff.get(counter).get_data(as_text=True),
             "counter-pay": staff.get(f"{counter}/pay/{booking_id}").get_data(as_text=True)}
    with at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)):
        pages["ran-out"] = resident.get(f"/my/bookings/{booking_id}/pay").get_data(as_text=True)
    assert "显示二维码" in pages["counter"] and "付款时间已过。" in pages["ran-out"]
    assert {name: english_words(page) - {"LocalPay"} for name, page in pages.items()} == dict.fromkeys(pages, set())


# --- in a browser ------------------------------------------------------------------------------------------------

def test_a_resident_scans_the_code_and_the_page_moves_on_by_itself_when_the_payment_arrives(app, demo, browse):
    from playwright.sync_api import expect

    from tests.web_support import log_in

    slot = demo.slots(CLEANING)[0]
    page = browse(locale="zh-CN")
    log_in(page, "adult")
    page.goto("/lang/zh_Hans")
    page.goto(f"/book/{slot['id']}")
    page.get_by_label("您的地址").fill(ADDRESS)
    page.get_by_label("LocalPay").check()
    page.get_by_role("button", name="确认预约").click()
    expect(page.get_by_test_id("qr").locator("svg.qr")).to_be_visible()
    expect(page.get_by_text("请用LocalPay扫一扫付款")).to_be_visible()
    clock_text = page.locator("[data-countdown]")
    expect(clock_text).to_have_text(re.compile(r"^1[45]:\d\d$"))
    first = clock_text.inner_text()
    expect(clock_text).not_to_have_text(first, timeout=6000)  # the countdown runs in the page
    box = page.get_by_test_id("qr").locator("svg.qr").bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300  # big enough to scan from a phone held at arm's length
    page.screenshot(path="/tmp/paypage-1-qr-zh.png", full_page=True)
    booking_id = int(re.search(r"/my/bookings/(\d+)/pay", page.url).group(1))
    notify_paid(app, payment_of(app, booking_id).reference)  # as the provider would, to the live app
    expect(page).to_have_url(re.compile(rf"/my/bookings/{booking_id}$"), timeout=20_000)  # no tap needed
    expect(page.get_by_text("已付款，谢谢！您的预约已确认。")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("已预约")
    page.screenshot(path="/tmp/paypage-2-confirmed-zh.png", full_page=True)


def test_at_the_counter_the_tablet_shows_the_code_and_then_that_it_is_paid(app, demo, browse):
    from playwright.sync_api import expect

    from tests.web_support import TABLET, log_in

    _resident, booking_id = book_online(app, demo)
    page = browse(locale="zh-CN", viewport=TABLET)
    log_in(page, "housekeeping")
    page.goto("/lang/zh_Hans")
    page.goto(f"/operators/{housekeeping_id(demo)}/counter")
    page.get_by_test_id(f"awaiting-{booking_id}").get_by_role("link", name="显示二维码").click()
    expect(page.get_by_test_id("qr").locator("svg.qr")).to_be_visible()
    expect(page.get_by_test_id("countdown")).to_contain_text("付款剩余时间：")
    page.screenshot(path="/tmp/paypage-3-counter-qr-zh.png", full_page=True)
    notify_paid(app, payment_of(app, booking_id).reference)
    expect(page.get_by_test_id("paid")).to_be_visible(timeout=20_000)
    page.screenshot(path="/tmp/paypage-4-counter-paid-zh.png", full_page=True)
