"""The API of inspections, monthly scores and scoring settings: what it answers, and what it refuses."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import ledger
from core.models import AuditEvent, Community, Inspection, OperatorScore
from core.score_rule import previous
from tests.factories import make_community, make_operator, make_user

WEIGHTS = {"ratings": 30, "complaints": 20, "fulfilment": 20, "inspection": 20, "donations": 10}


@pytest.fixture
def place(db, api):
    community = make_community(db)
    staff = make_user(db, "community_staff", community)
    operator = make_operator(db, community)
    own = make_user(db, "operator_staff", community, operator)
    committee = make_user(db, "committee_member", community)
    resident = make_user(db, "resident", community)
    db.commit()
    this_month = ledger.period_of(ledger.local_today(community))
    return {"community": community, "operator": operator, "staff": api(staff), "own": api(own),
            "committee": api(committee), "resident": api(resident), "month": this_month,
            "last": previous(this_month), "db": db}


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_an_inspection_then_the_evaluation_then_an_adjustment(place):
    staff, operator, last = place["staff"], place["operator"], place["last"]
    made = staff.post(f"/operators/{operator.id}/inspections", {"period": last, "score": 5.5, "notes": "Dusty"})
    assert made.status_code == 201 and made.get_json()["score"] == 5.5

    run = staff.post(f"/communities/{place['community'].slug}/evaluations", {"period": last})
    assert run.status_code == 200
    assert run.get_json() == {"period": last, "items": [{"operator_id": operator.id, "score": 5.5,
                                                         "status": "computed"}]}

    adjusted = staff.post(f"/operators/{operator.id}/scores/{last}/adjust", {"score": 6.5, "reason": "Storm damage"})
    assert adjusted.status_code == 200 and adjusted.get_json()["status"] == "adjusted"
    for reader in ("own", "committee", "staff"):
        items = place[reader].get(f"/operators/{operator.id}/scores").get_json()["items"]
        assert [(i["period"], i["score"], i["computed"], i["status"], i["adjust_reason"]) for i in items] == [
            (last, 6.5, 5.5, "adjusted", "Storm damage")]
        assert [p["part"] for p in items[0]["parts"] if not p["missing"]] == ["inspection"]
    assert place["own"].get(f"/operators/{operator.id}/inspections").get_json()["items"][0]["notes"] == "Dusty"
    event = place["db"].scalar(select(AuditEvent).where(AuditEvent.action == "score_adjusted"))
    assert event.data == {"period": last, "before": 55, "after": 65, "computed": 55, "reason": "Storm damage"}


@pytest.mark.parametrize("score", [-0.1, 10.1, 7.25, "seven", True, None, float("inf"), "NaN", [7], 11])
def test_a_score_outside_0_to_10_or_finer_than_a_tenth_is_refused(place, score):
    staff, operator = place["staff"], place["operator"]
    answer = staff.post(f"/operators/{operator.id}/inspections", {"period": place["month"], "score": score})
    assert answer.status_code in (400, 422) and answer.get_json()["code"] in ("invalid_score", "validation_failed",
                                                                            "bad_request")
    assert count(place["db"], Inspection) == 0


def test_inspection_periods_in_the_future_or_malformed_are_refused(place):
    staff, operator = place["staff"], place["operator"]
    next_month = previous(place["month"], -1)
    for period, code in ((next_month, "period_in_future"), ("2026-13", "validation_failed"),
                         ("26-01", "validation_failed"), ("2999-01", "invalid_period")):
        answer = staff.post(f"/operators/{operator.id}/inspections", {"period": period, "score": 7})
        assert (answer.status_code, answer.get_json()["code"]) == (422, code), period
    assert staff.post(f"/operators/{operator.id}/inspections", {"period": place["month"], "score": 7,
                                                               "notes": "so far"}).status_code == 201


def test_evaluating_a_month_not_over_is_a_conflict(place):
    staff, slug = place["staff"], place["community"].slug
    answer = staff.post(f"/communities/{slug}/evaluations", {"period": place["month"]})
    assert (answer.status_code, answer.get_json()["code"]) == (409, "period_not_ended")
    assert staff.post(f"/communities/{slug}/evaluations", {"period": "2026-1"}).status_code == 422


def test_an_adjustment_needs_a_reason_and_a_score(place):
    staff, operator, last, db = place["staff"], place["operator"], place["last"], place["db"]
    staff.post(f"/operators/{operator.id}/inspections", {"period": last, "score": 5})
    staff.post(f"/communities/{place['community'].slug}/evaluations", {"period": last})
    path = f"/operators/{operator.id}/scores/{last}/adjust"
    for body in ({"score": 7}, {"score": 7, "reason": "   "}, {"score": 7.05, "reason": "why"},
                 {"score": 70, "reason": "why"}):
        assert staff.post(path, body).status_code == 422, body
    assert staff.post(f"/operators/{operator.id}/scores/2026-13/adjust", {"score": 7, "reason": "x"}).status_code == 422
    nothing = staff.post(f"/operators/{operator.id}/scores/2020-01/adjust", {"score": 7, "reason": "x"})
    assert (nothing.status_code, nothing.get_json()["code"]) == (409, "not_scored")
    db.expire_all()
    assert db.scalar(select(OperatorScore.score_tenths)) == 50


def test_only_community_staff_inspect_adjust_and_evaluate(place):
    operator, last, slug = place["operator"], place["last"], place["community"].slug
    for who in ("own", "committee", "resident"):
        assert place[who].post(f"/operators/{operator.id}/inspections",
                               {"period": last, "score": 10}).status_code == 403
        assert place[who].post(f"/communities/{slug}/evaluations", {"period": last}).status_code == 403
        assert place[who].put(f"/communities/{slug}/accountability-settings",
                              {"answer_days": 3, "weights": WEIGHTS, "star_lines": {"5": 9, "4": 8, "3": 6}}
                              ).status_code == 403
    assert place["resident"].get(f"/operators/{operator.id}/scores").status_code == 403
    assert count(place["db"], Inspection) == 0


def test_settings_are_read_and_validated(place, db):
    staff, slug = place["staff"], place["community"].slug
    path = f"/communities/{slug}/accountability-settings"
    assert staff.get(path).get_json() == {"answer_days": 7, "weights": WEIGHTS,
                                          "star_lines": {"3": 6.0, "4": 8.0, "5": 9.0}}
    good = {"answer_days": 10, "weights": dict(WEIGHTS, donations=0), "star_lines": {"5": 9.5, "4": 8, "3": 6}}
    assert staff.put(path, good).status_code == 200
    assert staff.get(path).get_json()["star_lines"] == {"3": 6.0, "4": 8.0, "5": 9.5}
    for bad in ({**good, "answer_days": 0}, {**good, "answer_days": 61},
                {**good, "weights": dict(WEIGHTS, ratings=-1)}, {**good, "weights": dict.fromkeys(WEIGHTS, 0)},
                {**good, "weights": {"ratings": 100}}, {**good, "weights": dict(WEIGHTS, ratings=1.5)},
                {**good, "star_lines": {"5": 8, "4": 8, "3": 6}}, {**good, "star_lines": {"5": 11, "4": 8, "3": 6}},
                {**good, "star_lines": {"5": 9, "4": 8}}, {**good, "star_lines": {"5": 9, "4": 8, "3": 6.25}}):
        answer = staff.put(path, bad)
        assert answer.status_code == 422 and answer.get_json()["code"], bad
    db.expire_all()
    stored = db.get(Community, place["community"].id).accountability
    assert stored == {"answer_days": 10, "weights": dict(WEIGHTS, donations=0),
                      "star_lines": {"5": 95, "4": 80, "3": 60}}
