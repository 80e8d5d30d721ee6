"""Rewards the community defines: a price rule for volunteers with enough hours (a free lunch), its hours spent by the
booking once, given back once by every way a booking ends unserved, kept by a served one; bad rules refused; and on
PostgreSQL two bookings at once never spend the same hours."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import booking as bookings
from core import time_bank
from core.db import commit, utcnow
from core.models import Booking, Payment, User, Volunteer, VolunteerHours
from tests.factories import (
    listening, logged_in, make_community, make_listing, make_operator, make_slot, make_user,
)
from tests.races import posting, race
from tests.test_bookings import OnlinePayments, OnlineProvider

LUNCH = [{"name": "volunteer_lunch", "when": {"volunteer_hours": 10}, "tier": "free", "amount": 0},
         {"name": "anyone", "when": {}, "tier": "paid", "amount": 1000}]


def volunteer(db, community, tenths=100, status="active", user=None):
    """A resident of ``community`` registered as its volunteer with ``tenths`` of an hour (an opening correction)."""
    user = user or make_user(db, "resident", community)
    row = Volunteer(community_id=community.id, user_id=user.id, consent_at=utcnow(), status=status, balance_tenths=0)
    db.add(row)
    db.flush()
    if tenths:
        time_bank.post_hours(db, row.id, tenths, "correction", None, reason="opening balance")
    return user, row


@pytest.fixture
def canteen(db):
    """A community with a canteen whose lunch is free for volunteers with 10 hours; three lunch times."""
    community = make_community(db)
    operator = make_operator(db, community)
    listing = make_listing(db, operator, price_rules=LUNCH)
    slots = [make_slot(db, listing, starts_in=dt.timedelta(days=day)) for day in (1, 2, 3)]
    staff = make_user(db, "operator_staff", community, operator)
    db.commit()
    return community, listing, slots, staff


def balance(db, volunteer_id):
    db.rollback()
    found = db.scalar(select(Volunteer.balance_tenths).where(Volunteer.id == volunteer_id))
    db.rollback()
    return found


def entries(db, booking_id):
    """The (kind, tenths) entries linked to the booking, as committed."""
    db.rollback()
    found = db.execute(select(VolunteerHours.kind, VolunteerHours.tenths).where(VolunteerHours.booking_id == booking_id)
                       .order_by(VolunteerHours.id)).all()
    db.rollback()
    return [tuple(row) for row in found]


def quoted(app, user, slot):
    return logged_in(app.test_client(), user).post("/quotes", {"slot_id": slot.id}).get_json()


def test_a_volunteer_with_the_hours_gets_the_reward_and_the_others_fall_through(app, db, canteen):
    community, _listing, slots, _staff = canteen
    other = make_community(db)
    rich, _ = volunteer(db, community, 100)
    poor, _ = volunteer(db, community, 99)
    resting, _ = volunteer(db, community, 200, status="inactive")
    elsewhere, _ = volunteer(db, other, 200, user=make_user(db, "resident", community))
    plain = make_user(db, "resident", community)
    db.commit()
    quote = quoted(app, rich, slots[0])
    assert (quote["rule"], quote["total_amount"], quote["volunteer_hours"]) == ("volunteer_lunch", 0, 10)
    for user in (poor, resting, elsewhere, plain):
        quote = quoted(app, user, slots[0])
        assert (quote["rule"], quote["total_amount"], quote["volunteer_hours"]) == ("anyone", 1000, 0)


def test_a_booking_spends_the_hours_once_for_the_residents_own_place(app, db, canteen, runner):
    community, _listing, slots, _staff = canteen
    user, row = volunteer(db, community, 150)
    db.commit()
    api = logged_in(app.test_client(), user)
    booked = api.post("/bookings", {"slot_id": slots[0].id, "quantity": 2, "payment_method": "cash"})
    assert booked.status_code == 201, booked.get_json()
    body = booked.get_json()
    assert (body["rule"], body["unit_amount"], body["total_amount"]) == ("volunteer_lunch", 0, 1000)
    assert entries(db, body["id"]) == [("reward", -100)] and balance(db, row.id) == 50
    hours = api.get(f"/volunteers/{row.id}/hours").get_json()
    assert hours["entries"][0]["kind"] == "reward" and hours["entries"][0]["booking_id"] == body["id"]
    second = api.post("/bookings", {"slot_id": slots[1].id, "payment_method": "cash"}).get_json()
    assert second["rule"] == "anyone"  # 5 hours left: not enough
    assert entries(db, second["id"]) == [] and balance(db, row.id) == 50
    assert runner.invoke(args=["check"]).output.strip() == "all invariants hold"


def test_cancelling_gives_the_hours_back_once(app, db, canteen, runner):
    community, _listing, slots, _staff = canteen
    user, row = volunteer(db, community, 100)
    db.commit()
    api = logged_in(app.test_client(), user)
    booking_id = api.post("/bookings", {"slot_id": slots[0].id}).get_json()["id"]
    assert balance(db, row.id) == 0
    cancelled = api.post(f"/bookings/{booking_id}/cancel")
    assert cancelled.status_code == 200
    assert entries(db, booking_id) == [("reward", -100), ("reward_returned", 100)] and balance(db, row.id) == 100
    again = api.post("/bookings", {"slot_id": slots[1].id}).get_json()
    assert again["rule"] == "volunteer_lunch", again
    assert entries(db, again["id"]) == [("reward", -100)]
    assert balance(db, row.id) == 0  # the hours are there to spend again
    assert api.post(f"/bookings/{booking_id}/cancel").status_code == 409
    assert entries(db, booking_id) == [("reward", -100), ("reward_returned", 100)] and balance(db, row.id) == 0
    assert runner.invoke(args=["check"]).output.strip() == "all invariants hold"


def test_a_time_called_off_gives_the_hours_back(app, db, canteen):
    community, _listing, slots, staff = canteen
    user, row = volunteer(db, community, 100)
    db.commit()
    booking_id = logged_in(app.test_client(), user).post("/bookings", {"slot_id": slots[0].id}).get_json()["id"]
    called_off = logged_in(app.test_client(), staff).post(f"/slots/{slots[0].id}/cancel", {"reason": "No gas"})
    assert called_off.status_code == 200, called_off.get_json()
    assert entries(db, booking_id) == [("reward", -100), ("reward_returned", 100)] and balance(db, row.id) == 100


def test_a_served_booking_keeps_the_hours_spent(app, db, canteen):
    community, listing, _slots, staff = canteen
    soon = make_slot(db, listing, starts_in=dt.timedelta(hours=1))
    user, row = volunteer(db, community, 100)
    db.commit()
    booking_id = logged_in(app.test_client(), user).post("/bookings", {"slot_id": soon.id}).get_json()["id"]
    served = logged_in(app.test_client(), staff).post(f"/bookings/{booking_id}/check-in")
    assert served.status_code == 200, served.get_json()
    assert entries(db, booking_id) == [("reward", -100)] and balance(db, row.id) == 0


@pytest.fixture
def paid_reward(make_app, db):
    """An app taking online payments; a lunch at a low price for volunteers with 2.5 hours, held while paid."""
    app = make_app(PLUGINS=[OnlinePayments()], HOLD_MINUTES=15)
    community = make_community(db)
    rules = [{"name": "volunteer_lunch", "when": {"volunteer_hours": 2.5}, "tier": "low_cost", "amount": 300},
             LUNCH[-1]]
    slot = make_slot(db, make_listing(db, make_operator(db, community), price_rules=rules))
    user, row = volunteer(db, community, 25)
    db.commit()
    held = logged_in(app.test_client(), user).post("/bookings", {"slot_id": slot.id, "payment_method": "online"})
    assert held.status_code == 201 and held.get_json()["rule"] == "volunteer_lunch", held.get_json()
    return app, held.get_json()["id"], row.id


def test_a_hold_run_out_gives_the_hours_back_and_a_late_payment_spends_them_again(paid_reward, db):
    app, booking_id, volunteer_id = paid_reward
    assert balance(db, volunteer_id) == 0
    db.get(Booking, booking_id).hold_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.commit()
    assert app.test_cli_runner().invoke(args=["expire-holds"]).output.strip() == "1 holds expired"
    assert entries(db, booking_id) == [("reward", -25), ("reward_returned", 25)] and balance(db, volunteer_id) == 25
    linli = app.extensions["linli"]
    session = linli.db.sessionmaker()
    linli.payments.succeeded(session, session.scalar(select(Payment).where(Payment.booking_id == booking_id)),
                             OnlineProvider())
    commit(session)
    session.close()
    assert db.get(Booking, booking_id).status == "confirmed"
    assert entries(db, booking_id)[-1] == ("reward", -25) and balance(db, volunteer_id) == 0


def test_a_refused_payment_gives_the_hours_back(paid_reward, db):
    app, booking_id, volunteer_id = paid_reward
    linli = app.extensions["linli"]
    session = linli.db.sessionmaker()
    bookings.expire(session, linli.plugins, session.get(Booking, booking_id))
    commit(session)
    session.close()
    assert entries(db, booking_id) == [("reward", -25), ("reward_returned", 25)] and balance(db, volunteer_id) == 25


@pytest.mark.parametrize("hours", [0, -1, 2.55, "10", True, None, 10_001, [10]])
def test_a_bad_number_of_hours_is_refused_with_a_clear_message(app, db, canteen, hours):
    _community, listing, _slots, staff = canteen
    rules = [{**LUNCH[0], "when": {"volunteer_hours": hours}}, LUNCH[-1]]
    refused = logged_in(app.test_client(), staff).patch(f"/listings/{listing.id}", {"price_rules": rules})
    body = refused.get_json()
    assert refused.status_code == 422 and body["code"] == "invalid_price_rules", body
    assert body["errors"]["price_rules"]["0"]["when"]["volunteer_hours"]
    if hours is not None:
        assert "volunteer hours" in body["errors"]["price_rules"]["0"]["when"]["volunteer_hours"][0]


def test_listings_without_the_reward_book_without_reading_any_volunteer(app, db, canteen):
    community, listing, _slots, _staff = canteen
    plain = make_slot(db, make_listing(db, make_operator(db, community), price_rules=LUNCH[-1:]))
    rewarding = make_slot(db, listing)
    user, _ = volunteer(db, community, 100)
    db.commit()
    api = logged_in(app.test_client(), user)
    statements = []
    with listening(app.extensions["linli"].db.engine, "before_cursor_execute",
                   lambda *args, **kw: statements.append(args[2])):
        assert api.post("/bookings", {"slot_id": plain.id, "payment_method": "cash"}).status_code == 201
    assert statements and not [s for s in statements if "volunteer" in s], statements
    with listening(app.extensions["linli"].db.engine, "before_cursor_execute",
                   lambda *args, **kw: statements.append(args[2])):
        assert api.post("/bookings", {"slot_id": rewarding.id}).status_code == 201
    assert [s for s in statements if "volunteer" in s]  # the listening sees them where a rule asks


@pytest.mark.postgres
def test_two_reward_bookings_at_once_spend_the_hours_once(app, db, canteen, runner):
    community, _listing, slots, _staff = canteen
    for _round in range(4):
        user, row = volunteer(db, community, 100)
        db.commit()
        token = logged_in(app.test_client(), user).token
        results = race([posting(app, "/bookings", {"slot_id": slot.id, "payment_method": "cash"}, token)
                        for slot in slots[:2]], 2)
        assert [status for status, _ in results] == [201, 201], results
        assert sorted(body["rule"] for _, body in results) == ["anyone", "volunteer_lunch"]
        assert balance(db, row.id) == 0
        assert db.scalar(select(func.sum(VolunteerHours.tenths)).where(VolunteerHours.volunteer_id == row.id)) == 0
        db.commit()
    assert runner.invoke(args=["check"]).output.strip() == "all invariants hold"


def test_the_pages_show_the_reward_its_hours_used_and_the_entry_with_its_booking(demo, web, db):
    staff, student = demo.api("staff"), web("student")
    student_id = db.scalar(select(User.id).where(User.email == "student@example.org"))
    db.rollback()
    made = staff.post("/communities/heping/volunteers", {"user_id": student_id, "consent": True}).get_json()
    time_bank.post_hours(db, made["id"], 120, "correction", None, reason="opening balance")
    db.commit()
    lunch = demo.listing("Community lunch")
    page = student.get(f"/services/{lunch['id']}").get_data(as_text=True)
    assert "Volunteers with 10 hours" in page and "uses 10 volunteer hours" in page
    slot = [s for s in demo.slots("Community lunch") if s["remaining"]][-1]  # the latest: still to come
    booked = demo.api("student").post("/bookings", {"slot_id": slot["id"]}).get_json()
    assert (booked["rule"], booked["total_amount"]) == ("volunteer_lunch", 0)
    assert "10 volunteer hours used" in student.get(f"/my/bookings/{booked['id']}").get_data(as_text=True)
    assert "10 volunteer hours used" in student.get("/my/bookings").get_data(as_text=True)
    mine = student.get("/my/volunteering").get_data(as_text=True)
    assert "Reward used" in mine and f'href="/my/bookings/{booked["id"]}"' in mine
