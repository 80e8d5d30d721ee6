"""Donating a refund: a cancelled paid booking's money becomes a gift to the fund, with a receipt, on the public
report and the committee's list; every entry balances and ``linli check`` holds."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import checks, ledger
from core.db import commit
from core.models import AuditEvent, Booking, Community, FundGift, JournalEntry, Payment, Refund
from tests.factories import DemoWorld
from tests.test_bookings import OnlineProvider
from tests.test_money_flow import Collected, CollectedPayments
from tests.web_support import WebSession

CLEANING, ADDRESS = "Home cleaning, 2 hours", {"address": "Heping Road 9"}
GIFTS = "/communities/heping/fund/gifts"


class BothPayments(CollectedPayments):
    """A provider that keeps the fund's share at payment ("collected"), and one that pays the operator it all."""

    from core import hookimpl

    @hookimpl
    def register_payment_providers(self):
        return [Collected(), OnlineProvider()]


@pytest.fixture
def world(make_app, demo_rows):
    from tests.snapshots import restore

    app = make_app(PLUGINS=[BothPayments()])
    restore(app.extensions["linli"].db.engine, demo_rows)
    return app, DemoWorld(app.test_client())


def paid_booking(app, world, resident="lowincome", method="collected", slot=0, pay=True):
    """A cleaning booked online by ``resident`` (6000 for the low-income tier), paid unless ``pay`` is False."""
    slot_id = world.slots(CLEANING)[slot]["id"]
    made = world.api(resident).post("/bookings", {"slot_id": slot_id, "payment_method": method, "details": ADDRESS})
    assert made.status_code == 201, made.get_json()
    booking_id = made.get_json()["id"]
    if pay:
        linli = app.extensions["linli"]
        with linli.db.sessionmaker() as session:
            payment = session.scalar(select(Payment).where(Payment.booking_id == booking_id))
            linli.payments.succeeded(session, payment, linli.plugins.payment_providers[method])
            commit(session)
    return booking_id


def written(db):
    """What a refused cancel must not have added."""
    db.commit()
    return tuple(db.scalar(select(func.count()).select_from(table))
                 for table in (FundGift, Refund, JournalEntry, AuditEvent))


def balances(db):
    db.commit()
    community = db.scalar(select(Community))
    accounts = ["fund_cash", "donations_receivable", "gift_income", "refunds", "payments_clearing", "operator_cash",
                "donations_payable"]
    found = ledger.balances(db, community.id, accounts)
    return {account: found.get(account, 0) for account in accounts}


def test_a_donated_refund_becomes_the_residents_gift_and_every_check_holds(world, db):
    app, demo = world
    booking_id = paid_booking(app, demo)
    before = balances(db)
    cancelled = demo.api("lowincome").post(f"/bookings/{booking_id}/cancel", {"donate_refund": True})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"

    db.commit()  # a new snapshot of what the requests wrote
    refund = db.scalar(select(Refund))
    payment = db.get(Payment, refund.payment_id)
    assert (refund.amount, refund.donation_reversed, refund.reference) == (6000, 600, f"fund-gift-{payment.id}")
    assert payment.refunded_amount == 6000
    gift = db.scalar(select(FundGift))
    resident_name = db.get(Booking, booking_id).resident_id
    assert (gift.donor_kind, gift.amount, gift.refund_id, gift.reference) == ("resident", 6000, refund.id,
                                                                            f"booking {booking_id}")
    assert gift.donor_name and gift.donor_name != "" and resident_name

    # the entry: revenue reversed, the share given back as for any refund, and the operator now owes the gift
    entry = db.scalar(select(JournalEntry).where(JournalEntry.source == f"refund:{refund.id}"))
    lines = {(line.account, line.side, line.amount) for line in entry.lines}
    assert {("refunds", "D", 6000), ("donations_payable", "C", 6000), ("donations_receivable", "D", 6000),
            ("gift_income", "C", 6000)} <= lines
    assert not any(account == "payments_clearing" and side == "C" and amount == 6000
                   for account, side, amount in lines)  # nothing went back to the resident
    after = balances(db)
    assert after["gift_income"] - before.get("gift_income", 0) == 6000
    assert after["donations_receivable"] - before["donations_receivable"] == 6000  # the share was received at once
    assert after["payments_clearing"] - before["payments_clearing"] == 600  # the share came back; the rest stays
    assert after["fund_cash"] - before["fund_cash"] == -600  # the fund's cash waits for the operator's transfer
    assert checks.violations(db) == []
    assert app.test_cli_runner().invoke(args=["check"]).output.strip() == "all invariants hold"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "refund_given_to_fund"))
    assert event.subject_id == gift.id and event.data["booking_id"] == booking_id

    # the operator pays it over like donations due: the fund's cash grows, the reconciliation has no variance
    operator_id = db.get(Booking, booking_id).operator_id
    committee = demo.api("committee1")
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    row = next(r for r in committee.get(f"/communities/heping/fund/reconciliation?period={month}")
               .get_json()["operators"] if r["operator_id"] == operator_id)
    assert (row["gift_owed_amount"], row["variance_amount"]) == (6000, 6000)
    paid = committee.post("/communities/heping/fund/transfers", {
        "operator_id": operator_id, "amount": 6000, "reference": "BANK-GIFT-1",
        "received_on": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()})
    assert paid.status_code == 201, paid.get_json()
    assert balances(db)["fund_cash"] - before["fund_cash"] == 6000 - 600
    row = next(r for r in committee.get(f"/communities/heping/fund/reconciliation?period={month}")
               .get_json()["operators"] if r["operator_id"] == operator_id)
    assert row["variance_amount"] == 0
    db.commit()
    assert checks.violations(db) == []


def test_the_receipt_the_public_report_and_the_committees_list(world, db):
    app, demo = world
    named, anonymous = paid_booking(app, demo, slot=0), paid_booking(app, demo, resident="adult", slot=1)
    resident = demo.api("lowincome")
    assert resident.post(f"/bookings/{named}/cancel", {"donate_refund": True}).status_code == 200
    assert demo.api("adult").post(f"/bookings/{anonymous}/cancel",
                                  {"donate_refund": True, "anonymous": True}).status_code == 200
    receipt = resident.get(f"/bookings/{named}/gift").get_json()
    db.commit()
    gift = db.scalar(select(FundGift).where(FundGift.donor_kind == "resident"))
    assert receipt == {"receipt_number": gift.id, "booking_id": named, "community": receipt["community"],
                       "amount": 6000, "currency": "CNY", "received_on": gift.received_on.isoformat(),
                       "anonymous": False, "donor_name": gift.donor_name}
    hidden = demo.api("adult").get(f"/bookings/{anonymous}/gift").get_json()
    assert (hidden["anonymous"], hidden["donor_name"], hidden["amount"]) == (True, None, 12000)
    assert db.scalar(select(FundGift).where(FundGift.donor_kind == "anonymous")).donor_name == ""
    # another resident sees no receipt; a refund taken back has none
    assert demo.api("student").get(f"/bookings/{named}/gift").status_code == 404
    refunded = paid_booking(app, demo, resident="student", slot=2)
    assert demo.api("student").post(f"/bookings/{refunded}/cancel").status_code == 200
    missing = demo.api("student").get(f"/bookings/{refunded}/gift")
    assert missing.status_code == 404 and missing.get_json()["code"] == "no_gift_of_refund"

    report = demo.client.get("/api/v1/public/communities/heping/fund-report").get_json()
    assert [(g["donor_kind"], g["donor_name"], g["amount"]) for g in report["gifts"]] == [
        ("resident", None, 6000), ("anonymous", None, 12000)]
    assert gift.donor_name not in str(report)
    listed = demo.api("committee1").get(GIFTS).get_json()["items"]
    assert sorted((g["donor_kind"], g["amount"]) for g in listed) == [("anonymous", 12000), ("resident", 6000)]


def test_a_retried_cancel_gives_no_second_gift(world, db):
    app, demo = world
    booking_id = paid_booking(app, demo)
    resident = demo.api("lowincome")
    assert resident.post(f"/bookings/{booking_id}/cancel", {"donate_refund": True}).status_code == 200
    before = written(db)
    for body in ({"donate_refund": True}, {}):
        again = resident.post(f"/bookings/{booking_id}/cancel", body)
        assert again.status_code == 409 and again.get_json()["code"] == "booking_not_changeable"
    assert written(db) == before
    # and a payment's refund becomes one gift at most, whoever asks again
    linli = app.extensions["linli"]
    with linli.db.sessionmaker() as session:
        payment = session.scalar(select(Payment).where(Payment.booking_id == booking_id))
        booking = session.get(Booking, booking_id)
        from core.booking import RefundGift, slot_context
        from core.models import User
        ctx = slot_context(session, booking.slot_id)
        linli.payments.give_to_fund(session, payment, Collected(), booking, ctx,
                                    RefundGift(session.get(User, booking.resident_id)))
        commit(session)
    assert written(db) == before and checks.violations(db) == []


@pytest.mark.parametrize("method, pay", [("cash", False), ("collected", False)])
def test_nothing_to_donate_for_an_unpaid_booking_changes_nothing(world, db, method, pay):
    """Cash is taken at the counter when served, so a cash booking has nothing paid yet; an online one whose money
    has not arrived neither."""
    app, demo = world
    booking_id = paid_booking(app, demo, method=method, pay=pay)
    status, before = db.get(Booking, booking_id).status, written(db)
    refused = demo.api("lowincome").post(f"/bookings/{booking_id}/cancel", {"donate_refund": True},
                                         headers={"Accept-Language": "zh"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "nothing_to_donate"
    assert written(db) == before
    db.expire_all()
    assert db.get(Booking, booking_id).status == status
    assert db.scalar(select(Payment.status).where(Payment.booking_id == booking_id)) in (None, "pending")


def test_a_free_booking_has_nothing_to_donate(world, db):
    _app, demo = world
    slot = demo.slots("Community lunch")[0]["id"]
    made = demo.api("elder92").post("/bookings", {"slot_id": slot, "details": {}})
    assert made.status_code == 201 and made.get_json()["total_amount"] == 0
    refused = demo.api("elder92").post(f"/bookings/{made.get_json()['id']}/cancel", {"donate_refund": True})
    assert refused.status_code == 409 and refused.get_json()["code"] == "nothing_to_donate"
    db.commit()
    assert db.get(Booking, made.get_json()["id"]).status == "confirmed"


@pytest.mark.parametrize("body, field", [
    ({"donate_refund": "yes"}, "donate_refund"), ({"donate_refund": 1}, "donate_refund"),
    ({"donate_refund": None}, "donate_refund"), ({"donate_refund": True, "anonymous": "no"}, "anonymous"),
    ({"donate_refund": True, "gift_to": "fund"}, "gift_to"),
])
def test_bad_input_is_a_422_and_changes_nothing(world, db, body, field):
    app, demo = world
    booking_id = paid_booking(app, demo)
    before = written(db)
    refused = demo.api("lowincome").post(f"/bookings/{booking_id}/cancel", body)
    assert refused.status_code == 422, refused.get_json()
    assert field in str(refused.get_json()["errors"])
    assert written(db) == before
    db.expire_all()
    assert db.get(Booking, booking_id).status == "confirmed"


def test_a_cancel_without_a_body_still_refunds(world, db):
    app, demo = world
    booking_id = paid_booking(app, demo, method="online")
    assert demo.api("lowincome").post(f"/bookings/{booking_id}/cancel").status_code == 200
    db.commit()
    assert db.scalar(select(func.count()).select_from(FundGift)) == 0
    assert db.scalar(select(Refund.reference)).startswith("manual-")


def test_an_operator_paid_in_full_owes_the_gift_out_of_its_own_cash(world, db):
    """A provider that pays the operator everything: the share was due, not received; both come out right."""
    app, demo = world
    booking_id = paid_booking(app, demo, method="online")
    before = balances(db)
    assert demo.api("lowincome").post(f"/bookings/{booking_id}/cancel", {"donate_refund": True}).status_code == 200
    after = balances(db)
    assert after["operator_cash"] == before["operator_cash"]  # nothing left the operator
    assert after["donations_payable"] - before["donations_payable"] == 6000 - 600
    assert after["fund_cash"] == before["fund_cash"]
    assert checks.violations(db) == []


def test_the_cancel_page_offers_the_gift_and_shows_its_receipt(world, db):
    app, demo = world
    booking_id = paid_booking(app, demo)
    page = WebSession(app.test_client()).login("lowincome@example.org", "demo-password")
    offer = page.get(f"/my/bookings/{booking_id}/cancel", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Give my refund to the community fund" in offer and "Give it anonymously" in offer
    sent = page.post(f"/my/bookings/{booking_id}/cancel", {"donate_refund": "y", "anonymous": "y"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/my/bookings/{booking_id}/gift")
    db.commit()
    gift = db.scalar(select(FundGift))
    assert (gift.donor_kind, gift.amount) == ("anonymous", 6000)
    receipt = page.get(f"/my/bookings/{booking_id}/gift").get_data(as_text=True)
    assert 'data-testid="receipt"' in receipt and "¥60.00" in receipt and f"/my/bookings/{booking_id}" in receipt
    # a booking with nothing paid offers no gift
    cash = paid_booking(app, demo, method="cash", slot=1, pay=False)
    assert 'data-testid="give-refund"' not in page.get(f"/my/bookings/{cash}/cancel").get_data(as_text=True)
    assert page.get(f"/my/bookings/{cash}/gift").status_code == 404


def test_staff_cancelling_for_a_resident_may_not_give_the_residents_money_away(world, db):
    app, demo = world
    booking_id = paid_booking(app, demo)
    before = written(db)
    for local in ("staff", "housekeeping"):  # community staff, the operator's staff: they may cancel for them
        refused = demo.api(local).post(f"/bookings/{booking_id}/cancel", {"donate_refund": True})
        assert refused.status_code == 403 and refused.get_json()["code"] == "refund_not_yours_to_give", local
    assert written(db) == before
    db.expire_all()
    assert db.get(Booking, booking_id).status == "confirmed"
    assert demo.api("staff").post(f"/bookings/{booking_id}/cancel").status_code == 200  # refunded to the resident
    db.commit()
    assert db.scalar(select(func.count()).select_from(FundGift)) == 0
