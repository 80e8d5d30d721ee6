"""The monthly evaluation against the database: figures read, scores stored and replaced, the three-month rule,
the year's stars and the job on the 1st."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from sqlalchemy import func, select

from core import evaluation, ledger
from core.db import utcnow
from core.errors import DomainError
from core.models import (
    AuditEvent, Booking, Complaint, Inspection, Notification, Operator, OperatorScore, OperatorStars, Rating, Slot,
)
from tests.factories import make_community, make_listing, make_operator, make_user

AUG, SEP, OCT = "2026-08", "2026-09", "2026-10"
_day = itertools.count(1)


def moment(period: str, day: int | None = None) -> dt.datetime:
    """Noon (UTC) of a day of ``period``: inside the month in Shanghai too."""
    return dt.datetime(int(period[:4]), int(period[5:]), day or next(_day) % 27 + 1, 12, tzinfo=dt.timezone.utc)


def book(db, operator, period, status="fulfilled", reason=None, resident=None) -> Booking:
    listing = make_listing(db, operator).id
    starts = moment(period)
    slot = Slot(listing_id=listing, starts_at=starts, ends_at=starts + dt.timedelta(hours=1), capacity=5, taken=1)
    db.add(slot)
    db.flush()
    booking = Booking(slot_id=slot.id, resident_id=resident.id if resident else None, operator_id=operator.id,
                      quantity=1, tier="paid", unit_amount=1000, total_amount=1000, currency="CNY", rule="anyone",
                      status=status, cancel_reason=reason)
    db.add(booking)
    db.flush()
    return booking


def inspect(db, operator, period, tenths, staff) -> None:
    db.add(Inspection(community_id=operator.community_id, operator_id=operator.id, period=period,
                      score_tenths=tenths, inspector_id=staff.id))
    db.flush()


@pytest.fixture
def place(db):
    community = make_community(db)
    staff = make_user(db, "community_staff", community)
    operator = make_operator(db, community)
    return community, staff, operator


def test_a_month_is_scored_from_its_figures(db, place):
    community, staff, operator = place
    resident = make_user(db, "resident", community)
    served = [book(db, operator, OCT, resident=resident) for _ in range(3)]
    book(db, operator, OCT, status="cancelled", reason="The cook is ill")  # called off: due, not served
    book(db, operator, OCT, status="cancelled")  # the resident cancelled: never due
    book(db, operator, SEP)  # another month
    listing = make_listing(db, operator)
    for booking, stars in zip(served, (4, 5)):
        db.add(Rating(booking_id=booking.id, resident_id=resident.id, operator_id=operator.id, listing_id=listing.id,
                      stars=stars, created_at=moment(OCT, 28)))
    for upheld in (True, False, None):
        db.add(Complaint(community_id=community.id, operator_id=operator.id, booking_id=served[0].id,
                         resident_id=resident.id, category="quality", text="cold", due_on=dt.date(2026, 10, 20),
                         upheld=upheld, status="resolved" if upheld is not None else "open", created_at=moment(OCT)))
    inspect(db, operator, OCT, 70, staff)
    idle = make_operator(db, community)  # nothing at all that month: no score
    make_operator(db, community, status="pending")

    stored = evaluation.evaluate(db, community, OCT)

    # ratings 4.5 × 2 = 9.0; 1 upheld in 4 bookings = 25 per 100 → 0.0; 3 of 4 served → 7.5; inspection 7.0;
    # donations missing: (9.0×30 + 0×20 + 7.5×20 + 7.0×20) / 90 = 560 / 90 = 6.22 → 6.2
    assert [(row.operator_id, row.computed_tenths, row.score_tenths) for row in stored] == [(operator.id, 62, 62)]
    parts = {part["part"]: part for part in stored[0].parts}
    assert parts["complaints"]["figures"] == {"upheld": 1, "bookings": 4}
    assert parts["fulfilment"]["figures"] == {"due": 4, "called_off": 1}
    assert parts["ratings"]["figures"] == {"ratings": 2, "stars": 9}
    assert parts["donations"]["missing"] and parts["donations"]["share"] == 0
    assert evaluation.score_of(db, idle.id, OCT) is None


def test_evaluating_again_replaces_the_computed_score_and_keeps_an_adjustment(db, place):
    community, staff, operator = place
    inspect(db, operator, OCT, 50, staff)
    evaluation.evaluate(db, community, OCT)
    row = evaluation.score_of(db, operator.id, OCT)
    row.score_tenths, row.adjusted_at, row.adjust_reason = 65, utcnow(), "the inspector misread the kitchen"
    inspect(db, operator, OCT, 70, staff)  # a second inspection: mean 6.0

    evaluation.evaluate(db, community, OCT)

    assert db.scalar(select(func.count()).select_from(OperatorScore)) == 1
    row = evaluation.score_of(db, operator.id, OCT)
    assert (row.computed_tenths, row.score_tenths, row.adjusted) == (60, 65, True)


def test_only_ended_months_of_the_right_form_are_evaluated(db, place):
    community, _, _ = place
    this_month = ledger.period_of(ledger.local_today(community))
    for period, code in ((this_month, "period_not_ended"), ("2999-01", "invalid_period"),
                         ("2030-01", "period_not_ended"), ("2026-13", "invalid_period"), ("10-2026", "invalid_period")):
        with pytest.raises(DomainError) as raised:
            evaluation.evaluate(db, community, period)
        assert raised.value.code == code


def notified(db, kind: str) -> list[tuple[int, str]]:
    return db.execute(select(Notification.user_id, Notification.key).where(Notification.kind == kind)
                      .order_by(Notification.user_id)).all()


def test_three_months_under_six_propose_the_exit_once(db, place):
    community, staff, operator = place
    own_staff = make_user(db, "operator_staff", community, operator)
    for period in (AUG, SEP, OCT):
        inspect(db, operator, period, 59, staff)

    evaluation.evaluate(db, community, AUG)
    evaluation.evaluate(db, community, SEP)
    assert operator.status == "active"
    assert notified(db, "score_low") == sorted([(staff.id, f"score_low:{operator.id}:{AUG}"),
                                                (staff.id, f"score_low:{operator.id}:{SEP}"),
                                                (own_staff.id, f"score_low:{operator.id}:{AUG}"),
                                                (own_staff.id, f"score_low:{operator.id}:{SEP}")])
    evaluation.evaluate(db, community, OCT)

    assert operator.status == "exit_proposed"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "operator_exit_proposed"))
    assert (event.subject_id, event.data) == (operator.id, {
        "period": OCT, "scores": {AUG: 59, SEP: 59, OCT: 59}, "before": "active", "after": "exit_proposed",
        "reason": f"{AUG} 5.9; {SEP} 5.9; {OCT} 5.9"})
    assert {user for user, _ in notified(db, "exit_proposed")} == {staff.id, own_staff.id}

    operator.status = "active"  # staff reinstated it; evaluating October again proposes nothing again
    evaluation.evaluate(db, community, OCT)
    assert operator.status == "active"
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "operator_exit_proposed")) == 1
    assert len(notified(db, "score_low")) == 6  # each month warned once, however often it is evaluated


def test_two_bad_months_then_a_good_one_change_nothing(db, place):
    community, staff, operator = place
    for period, tenths in ((AUG, 40), (SEP, 59), (OCT, 60)):
        inspect(db, operator, period, tenths, staff)
        evaluation.evaluate(db, community, period)
    assert operator.status == "active"
    assert [key for _, key in notified(db, "score_low")] == [f"score_low:{operator.id}:{AUG}",
                                                             f"score_low:{operator.id}:{SEP}"]


def test_a_month_without_a_score_breaks_the_run_and_only_active_operators_are_proposed(db, place):
    community, staff, operator = place
    suspended = make_operator(db, community, status="suspended")
    for period in (AUG, OCT):
        inspect(db, operator, period, 10, staff)
    for period in (AUG, SEP, OCT):
        inspect(db, suspended, period, 10, staff)
        evaluation.evaluate(db, community, period)
    assert (operator.status, suspended.status) == ("active", "suspended")
    assert evaluation.score_of(db, suspended.id, OCT).score_tenths == 10  # scored, warned, never proposed


def test_an_adjusted_score_counts_for_the_rule(db, place):
    community, staff, operator = place
    for period in (AUG, SEP, OCT):
        inspect(db, operator, period, 50, staff)
    evaluation.evaluate(db, community, AUG)
    evaluation.evaluate(db, community, SEP)
    row = evaluation.score_of(db, operator.id, SEP)
    row.score_tenths, row.adjusted_at, row.adjust_reason = 75, utcnow(), "flooded kitchen, not their fault"
    evaluation.evaluate(db, community, OCT)
    assert operator.status == "active"


def test_donations_of_the_month_before_paid_by_the_months_end_score(db, place, app):
    from core import donations
    from core.models import FundTransfer

    community, staff, operator = place
    donations.post_due(db, community, operator, 1000, "test:due:aug", memo="cash donations",
                       effective_on=dt.date(2026, 8, 20))
    db.flush()
    for received_on, amount in ((dt.date(2026, 9, 30), 600), (dt.date(2026, 10, 1), 400)):  # the second is late
        transfer = FundTransfer(community_id=community.id, operator_id=operator.id, amount=amount, currency="CNY",
                                reference=f"BANK-{amount}", received_on=received_on, recorded_by_id=staff.id)
        db.add(transfer)
        db.flush()
        ledger.post(db, community, "transfer", f"transfer:{transfer.id}",
                    donations.transfer_lines(amount, operator.id), "CNY", effective_on=received_on)
    evaluation.evaluate(db, community, SEP)
    parts = {p["part"]: p for p in evaluation.score_of(db, operator.id, SEP).parts}
    assert parts["donations"]["figures"] == {"due": 1000, "on_time": 600}
    assert evaluation.score_of(db, operator.id, SEP).computed_tenths == 60  # the only part: 600 of 1000


def test_the_years_stars_from_the_mean_of_its_months(db, place):
    community, _, operator = place
    second, third = make_operator(db, community), make_operator(db, community, status="exited")
    for op, scores in ((operator, (95, 85)), (second, (79, 80)), (third, (50,))):
        for month, tenths in enumerate(scores, start=1):
            db.add(OperatorScore(community_id=community.id, operator_id=op.id, period=f"2025-{month:02d}",
                                 computed_tenths=tenths, score_tenths=tenths, parts=[]))
    db.add(OperatorScore(community_id=community.id, operator_id=second.id, period="2024-12", computed_tenths=10,
                         score_tenths=10, parts=[]))
    db.flush()
    evaluation.grade_year(db, community, 2025)
    evaluation.grade_year(db, community, 2025)  # again: replaced, not doubled
    graded = db.execute(select(OperatorStars.operator_id, OperatorStars.stars, OperatorStars.average_tenths,
                               OperatorStars.months).order_by(OperatorStars.operator_id)).all()
    assert graded == [(operator.id, 5, 90, 2), (second.id, 4, 80, 2), (third.id, None, 50, 1)]
    with pytest.raises(DomainError) as raised:
        evaluation.grade_year(db, community, ledger.local_today(community).year)
    assert raised.value.code == "period_not_ended"


def test_the_job_on_the_1st_scores_the_month_before(app, db):
    from tests.test_jobs import run

    community = make_community(db, slug="jobtown")
    staff = make_user(db, "community_staff", community)
    operator = make_operator(db, community)
    inspect(db, operator, "2026-11", 80, staff)
    db.commit()
    with time_machine.travel(dt.datetime(2026, 12, 1, 3, tzinfo=dt.timezone.utc), tick=False):
        first = run(app, "evaluate_last_month")
        second = run(app, "evaluate_last_month")
    assert first.outcome == second.outcome == "Operators scored: jobtown 2026-11"
    db.expire_all()
    assert db.scalar(select(OperatorScore.score_tenths).where(OperatorScore.operator_id == operator.id)) == 80
    assert db.scalar(select(func.count()).select_from(OperatorScore)) == 1
    assert db.get(Operator, operator.id).status == "active"


def test_linli_evaluate_scores_a_month_and_grades_a_year(app, db):
    community = make_community(db, slug="clitown")
    staff = make_user(db, "community_staff", community)
    operator = make_operator(db, community, name="Clitown Canteen")
    inspect(db, operator, "2025-11", 85, staff)
    db.commit()
    runner = app.test_cli_runner()
    month = runner.invoke(args=["evaluate", "--community", "clitown", "--period", "2025-11"])
    assert month.exit_code == 0 and "Clitown Canteen" in month.output and "8.5 computed" in month.output
    year = runner.invoke(args=["evaluate", "--community", "clitown", "--year", "2025"])
    assert year.exit_code == 0 and "8.5 4 stars, 1 months" in year.output
    early = runner.invoke(args=["evaluate", "--community", "clitown", "--period", "2999-01"])
    assert early.exit_code != 0 and early.exception.code == "invalid_period"
    assert runner.invoke(args=["evaluate", "--community", "clitown"]).exit_code != 0


def test_on_the_first_of_january_the_job_also_grades_the_year_before(app, db):
    from tests.test_jobs import run

    community = make_community(db, slug="newyear")
    staff = make_user(db, "community_staff", community)
    operator = make_operator(db, community)
    db.add(OperatorScore(community_id=community.id, operator_id=operator.id, period="2026-06", computed_tenths=92,
                         score_tenths=92, parts=[]))
    inspect(db, operator, "2026-12", 86, staff)
    db.commit()
    with time_machine.travel(dt.datetime(2027, 1, 1, 3, tzinfo=dt.timezone.utc), tick=False):
        assert run(app, "evaluate_last_month").outcome == "Operators scored: newyear 2026-12"
    db.expire_all()
    graded = db.scalar(select(OperatorStars).where(OperatorStars.operator_id == operator.id))
    assert (graded.year, graded.stars, graded.average_tenths, graded.months) == (2026, 4, 89, 2)
