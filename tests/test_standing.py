"""An operator's standing: suspend, reinstate, exit (honouring or cancelling its bookings), its history, and the
published scores and stars (SPEC §11.6)."""
import datetime as dt

import pytest
from sqlalchemy import select

from core.db import utcnow
from core.models import Agreement, AuditEvent, Booking, Notification, Operator, Slot
from core.schedules import today_in
from tests.factories import (
    make_community, make_listing, make_operator, make_score, make_slot, make_stars, make_user,
)
from tests.test_payment_seam import book as book_localpay
from tests.test_payment_seam import paid, reference_of

CLEANING = "Home cleaning, 2 hours"


@pytest.fixture
def canteen(db):
    community = make_community(db, slug="hp", name="Heping")
    operator = make_operator(db, community, name="Good Canteen")
    listing = make_listing(db, operator)
    staff = make_user(db, "community_staff", community)
    cook = make_user(db, "operator_staff", community, operator)
    resident = make_user(db, "resident", community, born=dt.date(1950, 1, 1))
    other_staff = make_user(db, "community_staff", make_community(db, slug="elsewhere"))
    db.commit()
    return community, operator, listing, staff, cook, resident, other_staff


def fresh(db, model, row_id):
    db.commit()
    db.expire_all()
    return db.get(model, row_id)


def tomorrow(community) -> str:
    return (today_in(community) + dt.timedelta(days=1)).isoformat()


def test_staff_suspend_and_reinstate_with_a_reason_each_audited_and_told(canteen, api, db):
    community, operator, _listing, staff, cook, _resident, _ = canteen
    as_staff = api(staff)
    suspended = as_staff.post(f"/operators/{operator.id}/suspend", {"reason": "Food poisoning reported"})
    assert suspended.status_code == 200, suspended.get_json()
    assert suspended.get_json()["status"] == "suspended"
    again = as_staff.post(f"/operators/{operator.id}/suspend", {"reason": "twice"})
    assert (again.status_code, again.get_json()["code"]) == (409, "operator_not_serving")

    back = as_staff.post(f"/operators/{operator.id}/reinstate", {"reason": "The kitchen passed inspection"})
    assert back.status_code == 200 and back.get_json()["status"] == "active"
    twice = as_staff.post(f"/operators/{operator.id}/reinstate", {"reason": "again"})
    assert (twice.status_code, twice.get_json()["code"]) == (409, "operator_not_suspended")

    db.commit()
    events = db.scalars(select(AuditEvent).where(AuditEvent.subject_type == "operator",
                                                 AuditEvent.subject_id == operator.id).order_by(AuditEvent.id)).all()
    assert [(e.action, e.data["reason"], e.data["before"], e.data["after"], e.actor_id) for e in events] == [
        ("operator_suspended", "Food poisoning reported", "active", "suspended", staff.id),
        ("operator_reinstated", "The kitchen passed inspection", "suspended", "active", staff.id)]
    told = db.scalars(select(Notification).where(Notification.user_id == cook.id).order_by(Notification.id)).all()
    assert [n.kind for n in told] == ["operator_standing", "operator_standing"]
    assert "Food poisoning reported" in api(cook).get("/me/notifications").get_data(as_text=True)

    history = as_staff.get(f"/operators/{operator.id}/standing").get_json()
    assert history["status"] == "active"
    assert [(h["action"], h["reason"], h["by"]) for h in history["history"]] == [
        ("operator_reinstated", "The kitchen passed inspection", staff.name),
        ("operator_suspended", "Food poisoning reported", staff.name)]
    seen_by_cook = api(cook).get(f"/operators/{operator.id}/standing").get_json()
    assert [h["by"] for h in seen_by_cook["history"]] == [None, None]
    assert {h["decided_by"] for h in seen_by_cook["history"]} == {"community_staff"}


@pytest.mark.parametrize("path, body", [
    ("suspend", {}), ("suspend", {"reason": ""}), ("suspend", {"reason": "   "}), ("reinstate", {"reason": ""}),
    ("exit", {"ends_on": "2099-01-01", "existing_bookings": "honour"}),
    ("exit", {"reason": "x", "ends_on": "2099-01-01", "existing_bookings": "maybe"}),
    ("exit", {"reason": "x", "existing_bookings": "honour"}),
])
def test_a_decision_without_a_reason_or_with_bad_input_is_a_422_and_changes_nothing(canteen, api, db, path, body):
    _community, operator, _listing, staff, *_ = canteen
    response = api(staff).post(f"/operators/{operator.id}/{path}", body)
    assert response.status_code == 422, response.get_json()
    assert fresh(db, Operator, operator.id).status == "active"
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.subject_type == "operator")) is None


def test_the_domain_refuses_a_blank_reason_and_an_exit_day_already_past(canteen, db):
    from core import standing
    from core.errors import DomainError

    community, operator, _listing, staff, *_ = canteen
    with pytest.raises(DomainError) as blank:
        standing.suspend(db, staff, operator, "  ")
    assert (blank.value.code, blank.value.status) == ("standing_reason_required", 422)
    with pytest.raises(DomainError) as past:
        standing.exit(db, staff, operator, "Failed", today_in(community) - dt.timedelta(days=1), "honour")
    assert past.value.code == "exit_day_in_the_past"
    db.rollback()


def test_only_the_communitys_own_staff_decide(canteen, api, db):
    _community, operator, _listing, _staff, cook, resident, other_staff = canteen
    for who in (cook, resident, other_staff):
        response = api(who).post(f"/operators/{operator.id}/suspend", {"reason": "No"})
        assert response.status_code == 403, response.get_json()
    assert api().post(f"/operators/{operator.id}/suspend", {"reason": "No"}).status_code == 401
    assert api(resident).get(f"/operators/{operator.id}/standing").status_code == 403
    assert fresh(db, Operator, operator.id).status == "active"


def test_an_exit_proposed_is_confirmed_or_reinstated_and_a_pending_operator_cannot_leave(canteen, api, db):
    community, operator, _listing, staff, *_ = canteen
    proposed = make_operator(db, community, status="exit_proposed")
    kept = make_operator(db, community, status="exit_proposed")
    pending = make_operator(db, community, status="pending")
    db.commit()
    as_staff = api(staff)
    body = {"reason": "Three months under 6", "ends_on": tomorrow(community), "existing_bookings": "honour"}
    assert as_staff.post(f"/operators/{proposed.id}/exit", body).get_json()["status"] == "exited"
    assert as_staff.post(f"/operators/{kept.id}/reinstate", {"reason": "A new cook"}).get_json()["status"] == "active"
    refused = as_staff.post(f"/operators/{pending.id}/exit", body)
    assert (refused.status_code, refused.get_json()["code"]) == (409, "operator_cannot_exit")
    left_again = as_staff.post(f"/operators/{proposed.id}/exit", body)
    assert left_again.get_json()["code"] == "operator_cannot_exit"
    assert as_staff.post(f"/operators/{proposed.id}/reinstate", {"reason": "x"}).get_json()["code"] \
        == "operator_not_suspended"
    assert as_staff.post(f"/operators/{proposed.id}/suspend", {"reason": "x"}).get_json()["code"] \
        == "operator_not_serving"


def test_a_suspended_operator_may_still_be_made_to_leave_and_approve_no_longer_revives_it(canteen, api, db):
    community, operator, _listing, staff, *_ = canteen
    as_staff = api(staff)
    as_staff.post(f"/operators/{operator.id}/suspend", {"reason": "Rats"})
    approve = as_staff.post(f"/operators/{operator.id}/approve")
    assert (approve.status_code, approve.get_json()["code"]) == (409, "operator_not_approvable")
    body = {"reason": "Rats again", "ends_on": tomorrow(community), "existing_bookings": "honour"}
    assert as_staff.post(f"/operators/{operator.id}/exit", body).get_json()["status"] == "exited"


def test_exit_honouring_bookings_ends_the_agreement_refuses_new_bookings_and_still_checks_in(canteen, api, db):
    community, operator, listing, staff, cook, resident, _ = canteen
    soon = make_slot(db, listing, starts_in=dt.timedelta(hours=1))
    later = make_slot(db, listing, starts_in=dt.timedelta(days=3))
    db.commit()
    as_resident = api(resident)
    booking = as_resident.post("/bookings", {"slot_id": soon.id, "quantity": 1, "payment_method": "cash"}).get_json()
    ends_on = today_in(community) + dt.timedelta(days=7)

    response = api(staff).post(f"/operators/{operator.id}/exit", {
        "reason": "Three months under 6", "ends_on": ends_on.isoformat(), "existing_bookings": "honour"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "exited"

    refused = as_resident.post("/bookings", {"slot_id": later.id, "quantity": 1, "payment_method": "cash"})
    assert (refused.status_code, refused.get_json()["code"]) == (409, "not_taking_bookings")
    served = api(cook).post(f"/bookings/{booking['id']}/check-in")
    assert served.status_code == 200 and served.get_json()["status"] == "fulfilled"

    agreement = db.scalar(select(Agreement).where(Agreement.operator_id == operator.id))
    db.refresh(agreement)
    assert (agreement.status, agreement.ends_on) == ("ended", ends_on)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "operator_exited"))
    assert (event.data["existing_bookings"], event.data["ends_on"]) == ("honour", ends_on.isoformat())
    assert event.data["agreements_ended"] == [agreement.id] and "bookings_cancelled" not in event.data
    assert db.scalar(select(Notification.kind).where(Notification.user_id == cook.id)) == "operator_standing"


def test_an_ended_agreement_still_rules_the_days_up_to_its_end(canteen, api, db):
    from core import donations

    community, operator, *_rest = canteen
    staff = canteen[3]
    ends_on = today_in(community) + dt.timedelta(days=7)
    api(staff).post(f"/operators/{operator.id}/exit", {"reason": "Leaving", "ends_on": ends_on.isoformat(),
                                                       "existing_bookings": "honour"})
    db.commit()
    assert donations.agreement_for(db, operator.id, ends_on) is not None
    assert donations.agreement_for(db, operator.id, ends_on + dt.timedelta(days=1)) is None


def test_a_suspended_operator_takes_no_new_bookings(canteen, api, db):
    _community, operator, listing, staff, _cook, resident, _ = canteen
    slot = make_slot(db, listing)
    db.commit()
    api(staff).post(f"/operators/{operator.id}/suspend", {"reason": "Food safety"})
    refused = api(resident).post("/bookings", {"slot_id": slot.id, "quantity": 1, "payment_method": "cash"})
    assert (refused.status_code, refused.get_json()["code"]) == (409, "not_taking_bookings")


def test_exit_cancelling_bookings_calls_off_those_still_to_come_with_refunds(localpaid):
    app, world, provider = localpaid
    paid_booking = book_localpay(world)
    paid(app, paid_booking)
    cash = world.api("senior68").post("/bookings", {"slot_id": world.slots(CLEANING)[1]["id"], "quantity": 1,
                                                   "payment_method": "cash",
                                                   "details": {"address": "Heping Road 2"}})
    assert cash.status_code == 201, cash.get_json()
    operator_id = paid_booking["operator_id"]
    with app.extensions["linli"].db.reader() as db:
        community = db.get(Operator, operator_id).community_id
        from core.models import Community
        ends_on = today_in(db.get(Community, community)).isoformat()

    response = world.api("staff").post(f"/operators/{operator_id}/exit", {
        "reason": "The cleaners left", "ends_on": ends_on, "existing_bookings": "cancel"})
    assert response.status_code == 200, response.get_json()

    for booking, who in ((paid_booking, "adult"), (cash.get_json(), "senior68")):
        seen = world.api(who).get(f"/bookings/{booking['id']}").get_json()
        assert (seen["status"], seen["cancel_reason"]) == ("cancelled", "The cleaners left")
    assert [amount for _ref, amount in provider.state.refunds] == [paid_booking["total_amount"]]
    assert reference_of(app, paid_booking) in provider.state.refunds[0][0]
    with app.extensions["linli"].db.reader() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "operator_exited"))
        assert event.data["bookings_cancelled"] == 2
        left = db.scalars(select(Slot).join(Booking, Booking.slot_id == Slot.id)
                          .where(Booking.id == paid_booking["id"])).one()
        assert left.cancelled_at is not None
        told = db.scalars(select(Notification.kind).where(Notification.kind == "booking_called_off")).all()
        assert len(told) == 2


# --- published scores and stars ----------------------------------------------------------------------------------

def test_the_public_list_shows_each_serving_operators_last_score_and_last_years_stars(canteen, api, db):
    community, operator, _listing, staff, *_ = canteen
    year = today_in(community).year
    make_score(db, operator, f"{year - 1}-11", 55)
    make_score(db, operator, f"{year - 1}-12", 62, adjusted=(70, "The inspection was wrongly entered", staff.id))
    make_stars(db, operator, year - 1, 4)
    make_stars(db, operator, year - 2, 5)
    left = make_operator(db, community, status="exited", name="Old Market")
    make_stars(db, left, year - 1, None)
    make_operator(db, community, status="pending", name="Not Yet")
    db.commit()

    for ref in (community.slug, str(community.id)):
        response = api().get(f"/public/communities/{ref}/operators")
        assert response.status_code == 200, response.get_json()
        items = response.get_json()["items"]
        assert items == [
            {"id": operator.id, "name": "Good Canteen", "type": "canteen", "status": "active",
             "score": {"period": f"{year - 1}-12", "score": 7.0, "adjusted": True},
             "stars": {"year": year - 1, "stars": 4}},
            {"id": left.id, "name": "Old Market", "type": "canteen", "status": "exited", "score": None,
             "stars": None}]
    text = response.get_data(as_text=True)
    assert "wrongly entered" not in text and staff.email not in text and staff.name not in text
    assert api().get("/public/communities/nowhere/operators").status_code == 404


@pytest.mark.postgres
def test_staff_deciding_at_once_suspend_the_operator_once(app, db):
    from tests.factories import PASSWORD
    from tests.races import posting, race

    community = make_community(db)
    operator = make_operator(db, community)
    people = [make_user(db, "community_staff", community) for _ in range(6)]
    db.commit()
    client = app.test_client()
    tokens = [client.post("/api/v1/auth/token", json={"email": p.email, "password": PASSWORD}).get_json()["token"]
              for p in people]
    results = race([posting(app, f"/operators/{operator.id}/suspend", {"reason": f"Urgent {n}"}, token)
                    for n, token in enumerate(tokens)])
    assert sorted(status for status, _body in results) == [200, 409, 409, 409, 409, 409]
    assert {body["code"] for status, body in results if status == 409} == {"operator_not_serving"}
    db.expire_all()
    assert db.get(Operator, operator.id).status == "suspended"
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "operator_suspended",
                                                   AuditEvent.subject_id == operator.id)).all()) == 1
    db.commit()
