"""Paying online from the pages: offered only where Stripe is set up, then Stripe's own form (against localstripe)."""
import pytest

from core.models import Booking
from tests.factories import DemoWorld
from tests.stripe_support import LOCALSTRIPE_API_KEY
from tests.test_stripe_flow import CLEANING, LocalstripeHttpClient
from tests.web_support import WebSession


@pytest.fixture
def stripe_site(make_app, localstripe_url):
    from core import demo as demo_data

    app = make_app(STRIPE_SECRET_KEY=LOCALSTRIPE_API_KEY, STRIPE_API_BASE=localstripe_url,
                   STRIPE_PUBLISHABLE_KEY="pk_test_linli", STRIPE_WEBHOOK_SECRET="whsec_test",
                   STRIPE_HTTP_CLIENT=LocalstripeHttpClient())
    demo_data.seed(app)
    return app, DemoWorld(app.test_client())


def test_with_stripe_set_up_a_resident_can_choose_to_pay_online(stripe_site):
    app, world = stripe_site
    slot = world.slots(CLEANING)[0]
    resident = WebSession(app.test_client()).login("adult@example.org", "demo-password")
    page = resident.get(f"/book/{slot['id']}").get_data(as_text=True)
    assert "Online (card, Alipay, WeChat Pay)" in page and "Cash at the counter" in page
    assert "Online payment is not available" not in page
    booked = resident.post(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "stripe",
                                                   "details-address": "3-2-101 Heping Road"})
    assert booked.status_code == 303 and booked.headers["Location"].endswith("/pay")
    pay = resident.get(booked.headers["Location"])
    html = pay.get_data(as_text=True)
    assert 'src="https://js.stripe.com/v3/"' in html and 'data-publishable-key="pk_test_linli"' in html
    assert 'data-client-secret="pi_' in html
    assert "https://js.stripe.com" in pay.headers["Content-Security-Policy"]
    with app.extensions["linli"].db.reader() as db:
        assert [b.status for b in db.query(Booking)] == ["pending_payment"]


def test_without_stripe_the_pages_say_so_and_offer_cash(app, demo, web):
    slot = demo.slots(CLEANING)[0]
    resident = web("adult")
    page = resident.get(f"/book/{slot['id']}").get_data(as_text=True)
    assert "Online (card" not in page and "Online payment is not available on this server" in page
    refused = resident.post(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "stripe",
                                                    "details-address": "3-2-101 Heping Road"})
    assert refused.status_code == 422
    assert "is not available on this platform. Please choose cash at the counter." in refused.get_data(
        as_text=True)
    assert "js.stripe.com" not in web().get("/").headers["Content-Security-Policy"]
