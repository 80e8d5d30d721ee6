"""A payment service's own statement matched against the books, in the committee's reconciliation (API and page).

LocalPay (tests/local_provider.py) takes the payments, splits the fund's share and lists the statement lines the test
gives it; its notifications are signed, so the core's route and dedupe run as for a real provider.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import checks, ledger
from core.models import AuditEvent, Community, Notification, Payment, ProviderStatement, ProviderStatementLine
from core.payments import statements
from core.plugin_api import StatementLine
from core.tasks import JobContext
from tests.local_provider import LocalPayPlugin, signed
from tests.pages import Browser, text

CLEANING = "Home cleaning, 2 hours"  # 120.00, the fund's share 10 %
ADDRESS = {"address": "Heping Road 1"}


@pytest.fixture
def localpay_platform(platform, recording_http):
    """The demo platform with LocalPay installed (and Stripe, whose statements are empty); returns (app, world,
    provider)."""
    recording_http.answer("GET", "/v1/balance_transactions", {"object": "list", "data": [], "has_more": False,
                                                              "url": "/v1/balance_transactions"})
    plugin = LocalPayPlugin()
    app, world = platform(PLUGINS=[plugin], LOCALPAY="on")
    return app, world, plugin.provider


def pay(app, world, provider) -> Payment:
    """The adult books the cleaning with LocalPay and pays it (a signed notification); the share is split."""
    slot = world.slots(CLEANING)[0]
    booked = world.api("adult").post("/bookings", {"slot_id": slot["id"], "quantity": 1,
                                                    "payment_method": "localpay", "details": ADDRESS})
    assert booked.status_code == 201, booked.get_json()
    payment = payment_of(app, booked.get_json()["id"])
    provider.state.paid[payment.reference] = "succeeded"
    body, headers = signed({"id": f"evt-{payment.reference}", "type": "paid", "reference": payment.reference,
                            "status": "succeeded"})
    assert app.test_client().post("/api/v1/payments/localpay/notify", data=body, headers=headers).status_code == 200
    return payment_of(app, booked.get_json()["id"])


def payment_of(app, booking_id: int) -> Payment:
    with app.extensions["linli"].db.reader() as session:
        payment = session.scalar(select(Payment).where(Payment.booking_id == booking_id))
        session.expunge(payment)
        return payment


def today(app) -> dt.date:
    with app.extensions["linli"].db.reader() as session:
        return ledger.local_today(session.scalar(select(Community)))


def import_days(app, provider, *days):
    with app.extensions["linli"].db.sessionmaker() as session:
        counts = [statements.import_day(session, provider, day, {}) for day in days]
        session.commit()
        return counts


def committee(app) -> Browser:
    return Browser(app.test_client()).log_in("committee1@example.org")


def centre_row(world, day: dt.date) -> dict:
    report = world.api("committee1").get(f"/communities/heping/fund/reconciliation?period={day:%Y-%m}")
    assert report.status_code == 200, report.get_json()
    return next(row for row in report.get_json()["operators"] if row["type"] == "housekeeping")


def lines_for(payment: Payment, day: dt.date, amount: int | None = None) -> list[StatementLine]:
    return [StatementLine(day, "payment", payment.reference, payment.amount if amount is None else amount, 72),
            StatementLine(day, "share", payment.share_reference, payment.share_amount)]


def listed_at(app, world, provider, amount: int) -> tuple[Payment, dt.date]:
    """A payment of today listed on today's statement at ``amount``, imported."""
    payment, day = pay(app, world, provider), today(app)
    provider.state.statement = lines_for(payment, day, amount=amount)
    import_days(app, provider, day)
    return payment, day


def test_a_day_whose_statement_lists_every_payment_and_split_matches(localpay_platform):
    app, world, provider = localpay_platform
    payment = pay(app, world, provider)
    assert (payment.share_status, payment.share_amount) == ("done", 1200)
    day = today(app)
    provider.state.statement = lines_for(payment, day)
    assert import_days(app, provider, day) == [2]
    row = centre_row(world, day)["provider_statement"]
    assert row == {"recorded_amount": 12000, "statement_amount": 12000, "fee_amount": 72, "matched_count": 2,
                   "awaiting_count": 0, "missing_count": 0, "amount_differs_count": 0, "mismatches": []}
    assert centre_row(world, day)["shares"]["done_amount"] == 1200


def test_a_payment_not_on_its_statement_is_awaited_then_missing(localpay_platform):
    app, world, provider = localpay_platform
    payment = pay(app, world, provider)
    day = today(app)
    import_days(app, provider, day)  # an empty statement: its line may still come on the next day's
    row = centre_row(world, day)["provider_statement"]
    assert (row["awaiting_count"], row["mismatches"]) == (2, [])
    import_days(app, provider, day + dt.timedelta(days=1))
    row = centre_row(world, day)["provider_statement"]
    assert row["missing_count"] == 2 and row["statement_amount"] == 0
    assert {(m["kind"], m["reference"], m["status"], m["recorded_amount"], m["statement_amount"])
            for m in row["mismatches"]} == {("payment", payment.reference, "missing", 12000, None),
                                            ("share", payment.share_reference, "missing", 1200, None)}


def test_an_amount_that_differs_is_shown_and_a_new_import_replaces_the_day(localpay_platform):
    app, world, provider = localpay_platform
    payment, day = listed_at(app, world, provider, 11999)
    [differs] = centre_row(world, day)["provider_statement"]["mismatches"]
    assert (differs["status"], differs["recorded_amount"], differs["statement_amount"]) == ("amount_differs", 12000,
                                                                                            11999)
    provider.state.statement = lines_for(payment, day)
    import_days(app, provider, day)
    assert centre_row(world, day)["provider_statement"]["matched_count"] == 2
    with app.extensions["linli"].db.reader() as session:
        assert session.scalar(select(func.count()).select_from(ProviderStatementLine)) == 2
        assert session.get(ProviderStatement, ("localpay", day)).line_count == 2


def test_a_refund_is_matched_against_the_statement_net_of_the_payment(localpay_platform):
    app, world, provider = localpay_platform
    payment = pay(app, world, provider)
    assert world.api("adult").post(f"/bookings/{payment.booking_id}/cancel").status_code == 200
    [(refund_reference, refunded)] = provider.state.refunds
    day = today(app)
    provider.state.statement = [*lines_for(payment, day), StatementLine(day, "refund", refund_reference, refunded)]
    import_days(app, provider, day)
    row = centre_row(world, day)["provider_statement"]
    assert (row["recorded_amount"], row["statement_amount"], row["matched_count"]) == (0, 0, 3)


def test_a_line_linli_does_not_know_is_named_by_the_check_not_in_a_community(localpay_platform):
    app, world, provider = localpay_platform
    day = today(app)
    provider.state.statement = [StatementLine(day, "payment", "lp-from-elsewhere", 5000)]
    import_days(app, provider, day)
    assert all(row["provider_statement"]["mismatches"] == [] for row in
               world.api("committee1").get(f"/communities/heping/fund/reconciliation?period={day:%Y-%m}")
               .get_json()["operators"])
    with app.extensions["linli"].db.reader() as session:
        assert checks.violations(session) == [
            f"localpay statement of {day}: payment lp-from-elsewhere of 5000 is not known to Linli"]


def test_the_nightly_job_tells_the_committee_of_a_difference_once(localpay_platform):
    app, world, provider = localpay_platform
    payment = pay(app, world, provider)
    yesterday = statements.recent_days(dt.datetime.now(dt.timezone.utc))[-1]
    provider.state.statement = lines_for(payment, yesterday, amount=100)  # listed yesterday, at another amount
    runner = app.extensions["linli"].queue.runner
    first, again = (runner.run_periodic("payments.fetch_statements") for _ in range(2))
    assert first.status == again.status == "ok"
    assert first.outcome == "Statements imported: localpay, stripe; committees told of differences: 3"
    assert again.outcome.endswith("told of differences: 0")
    with app.extensions["linli"].db.reader() as session:
        told = session.scalars(select(Notification).where(Notification.kind == "statement_mismatch")).all()
        assert len(told) == 3 and all(n.link.startswith("/communities/heping/fund/reconciliation") for n in told)
        assert {day for _, day in session.execute(select(ProviderStatement.provider, ProviderStatement.day))} == set(
            statements.recent_days(dt.datetime.now(dt.timezone.utc)))


def test_a_provider_that_does_not_answer_fails_the_run_and_the_others_are_imported(localpay_platform):
    app, world, provider = localpay_platform

    def down(day, config):
        from core.payments.base import PROVIDER_UNAVAILABLE
        raise PROVIDER_UNAVAILABLE()

    provider.statement = down
    run = app.extensions["linli"].queue.runner.run_periodic("payments.fetch_statements")
    assert (run.status, run.outcome) == ("failed", "Statements imported: stripe; no answer from: localpay")


def test_a_refused_split_is_shown_and_asked_for_again_by_the_committee(localpay_platform):
    app, world, provider = localpay_platform
    provider.state.split_answer = "failed"
    payment = pay(app, world, provider)
    assert (payment.share_status, payment.share_error) == ("failed", "receiver not bound")
    day = today(app)
    shares = centre_row(world, day)["shares"]
    assert shares["failed"] == [{"payment_id": payment.id, "booking_id": payment.booking_id, "provider": "localpay",
                                 "amount": 1200, "reason": "receiver not bound"}]
    page = committee(app).get(f"/communities/heping/fund/reconciliation?period={day:%Y-%m}")
    assert "receiver not bound" in text(page) and "Ask again" in text(page)
    assert world.api("staff").post(f"/communities/heping/fund/splits/{payment.id}/retry").status_code == 403
    provider.state.split_answer = "done"
    retried = world.api("committee1").post(f"/communities/heping/fund/splits/{payment.id}/retry")
    assert retried.status_code == 200 and retried.get_json()["payment_id"] == payment.id
    assert payment_of(app, payment.booking_id).share_status == "done"  # the task ran after the commit
    assert centre_row(world, day)["shares"]["done_amount"] == 1200
    again = world.api("committee1").post(f"/communities/heping/fund/splits/{payment.id}/retry")
    assert (again.status_code, again.get_json()["code"]) == (409, "split_not_failed")
    with app.extensions["linli"].db.reader() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "split_retried")).all()
        assert (event.subject_id, event.data) == (payment.id, {"reason": "receiver not bound"})


def test_the_reconciliation_page_shows_the_statements_differences(localpay_platform):
    app, world, provider = localpay_platform
    payment, day = listed_at(app, world, provider, 11000)
    page = text(committee(app).get(f"/communities/heping/fund/reconciliation?period={day:%Y-%m}"))
    assert "The payment services' statements" in page
    assert f"Payment {payment.reference}: CN¥120.00 in the books, CN¥110.00 on the statement." in page


def test_a_day_is_imported_again_from_the_command_line(localpay_platform):
    app, world, provider = localpay_platform
    payment = pay(app, world, provider)
    day = today(app)
    provider.state.statement = lines_for(payment, day)
    result = app.test_cli_runner().invoke(args=["statements", "import", "--provider", "localpay",
                                                "--day", day.isoformat()])
    assert result.exit_code == 0 and result.output == f"localpay {day.isoformat()}: 2 lines\n", result.output
    assert centre_row(world, day)["provider_statement"]["matched_count"] == 2
    refused = app.test_cli_runner().invoke(args=["statements", "import", "--provider", "cash", "--day", "2026-12-01"])
    assert refused.exit_code == 1 and "not a configured provider that gives statements" in refused.output
