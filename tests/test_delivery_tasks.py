"""The canteen's home deliveries become volunteer tasks: one door, one task, made by the morning job or the staff's
button (once however often), called off with the bookings, given to a volunteer, delivered with one tap, confirmed
for the hours once; the address read only by the volunteer and those who manage the task; the plugin API's refusals."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from core import DomainError
from core.models import AuditEvent, Community, Notification, Operator, User, VolunteerHours, VolunteerTask
from core.plugin_api import offer_volunteer_task, volunteer_tasks_offered, withdraw_volunteer_task
from plugins.canteen.delivery_tasks import HOURS_PER_DELIVERY
from tests.factories import make_community, make_operator, make_user
from tests.web_support import PHONE, log_in, screenshot

ZONE = ZoneInfo("Asia/Shanghai")
TOMORROW = dt.datetime.now(ZONE).date() + dt.timedelta(days=1)


def fresh(db, query):
    db.rollback()
    found = db.execute(query).all()
    db.rollback()
    return found


def lunch_on(demo, day):
    return next(s for s in demo.slots("Community lunch") if dt.datetime.fromisoformat(s["starts_at"]).date() == day)


def canteen_id(demo):
    return demo.listing("Community lunch")["operator_id"]


def deliveries_path(demo, day=TOMORROW):
    return f"/canteen/operators/{canteen_id(demo)}/deliveries?date={day.isoformat()}"


def home_delivery(demo, who="elder92", resident_id=None, day=TOMORROW, quantity=1):
    body = {"slot_id": lunch_on(demo, day)["id"], "quantity": quantity, "payment_method": "cash",
            "details": {"home_delivery": True}}
    booked = demo.api(who).post("/bookings", body | ({"resident_id": resident_id} if resident_id else {}))
    assert booked.status_code == 201, booked.get_json()
    return booked.get_json()


def neighbour_at_the_same_door(demo, db):
    """A 93-year-old who lives with Wang Nainai (elder92): her lunch goes to the same door."""
    address = db.scalar(select(User).where(User.email == "elder92@example.org")).profile.address
    db.rollback()
    made = demo.api("staff").post("/communities/heping/residents", {
        "name": "王爷爷", "phone": "13900000093", "date_of_birth": "1933-02-01", "address": address})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"], address


def volunteer(demo, db, local="adult"):
    user_id = db.scalar(select(User.id).where(User.email == f"{local}@example.org"))
    db.rollback()
    made = demo.api("staff").post("/communities/heping/volunteers", {"user_id": user_id, "consent": True})
    assert made.status_code == 201
    return made.get_json()


def morning_job(demo, day=TOMORROW, hour=7):
    app = demo.client.application
    with time_machine.travel(dt.datetime.combine(day, dt.time(hour), ZONE), tick=False):
        return app.extensions["linli"].queue.runner.run_periodic("canteen.delivery_list").outcome


def delivery_tasks(db):
    return [task for (task,) in fresh(db, select(VolunteerTask).where(VolunteerTask.kind == "delivery")
                                      .order_by(VolunteerTask.id))]


def made_and_assigned(demo, db, who="adult"):
    home_delivery(demo)
    morning_job(demo)
    [task] = delivery_tasks(db)
    helper = volunteer(demo, db, who)
    assert demo.api("canteen").post(f"/volunteer-tasks/{task.id}/assign",
                                    {"volunteer_id": helper["id"]}).status_code == 200
    return task, helper


def test_one_door_is_one_task_however_often_the_job_and_the_button_make_them(demo, db, web):
    wang_id, address = neighbour_at_the_same_door(demo, db)
    home_delivery(demo)
    home_delivery(demo, "staff", resident_id=wang_id, quantity=2)
    make_button = f'action="/canteen/operators/{canteen_id(demo)}/deliveries/tasks?date={TOMORROW}"'
    assert make_button in web("canteen").get(deliveries_path(demo)).get_data(as_text=True)
    assert morning_job(demo, hour=6) == "0 delivery lists sent" and delivery_tasks(db) == []  # before 07:00
    assert morning_job(demo) == "1 delivery lists sent"
    morning_job(demo, hour=8)
    canteen = web("canteen")
    canteen.get(deliveries_path(demo))
    made = canteen.post(f"/canteen/operators/{canteen_id(demo)}/deliveries/tasks?date={TOMORROW}")
    assert made.status_code == 303
    [task] = delivery_tasks(db)
    assert (task.status, task.hours_tenths, task.operator_id) == ("open", 5, canteen_id(demo))
    assert task.details == f"{address}\n王奶奶、王爷爷 × 3" and address not in task.title
    assert HOURS_PER_DELIVERY == "0.5"
    assert make_button not in canteen.get(deliveries_path(demo)).get_data(as_text=True)  # nothing left to make


def test_a_home_whose_bookings_are_all_cancelled_has_its_task_called_off_and_its_volunteer_told(demo, db):
    wang_id, _address = neighbour_at_the_same_door(demo, db)
    hers = home_delivery(demo)
    his = home_delivery(demo, "staff", resident_id=wang_id)
    morning_job(demo)
    [task] = delivery_tasks(db)
    helper = volunteer(demo, db)
    assert demo.api("staff").post(f"/volunteer-tasks/{task.id}/assign", {"volunteer_id": helper["id"]}).status_code == 200
    assert demo.api("elder92").post(f"/bookings/{hers['id']}/cancel", {}).status_code == 200
    [task] = delivery_tasks(db)
    assert task.status == "assigned" and "王奶奶" not in task.details and "王爷爷 × 1" in task.details
    assert demo.api("staff").post(f"/bookings/{his['id']}/cancel", {}).status_code == 200
    [task] = delivery_tasks(db)
    assert task.status == "cancelled"
    told = demo.api("adult").get("/me/notifications").get_json()["items"]
    assert "volunteer_task_cancelled" in [n["kind"] for n in told]
    morning_job(demo, hour=9)  # nobody's meals go there now: the job leaves it called off
    assert [t.status for t in delivery_tasks(db)] == ["cancelled"]
    home_delivery(demo)  # she books again: the same task is offered again, to be given anew
    morning_job(demo, hour=10)
    [task] = delivery_tasks(db)
    assert (task.status, task.volunteer_id) == ("open", None)


def test_a_task_done_is_not_called_off_by_a_late_cancellation(demo, db):
    task, _helper = made_and_assigned(demo, db)
    assert demo.api("adult").post(f"/volunteer-tasks/{task.id}/done").status_code == 200
    booking_id = demo.api("elder92").get("/bookings").get_json()["items"][0]["id"]
    demo.api("elder92").post(f"/bookings/{booking_id}/cancel", {})
    assert [t.status for t in delivery_tasks(db)] == ["done"]


def test_the_address_is_read_by_the_volunteer_and_those_who_manage_the_task_only(demo, db, web, caplog):
    task, helper = made_and_assigned(demo, db)
    address = task.details.splitlines()[0]
    for who in ("staff", "canteen", "adult"):
        shown = demo.api(who).get(f"/volunteer-tasks/{task.id}")
        assert shown.status_code == 200 and address in shown.get_json()["details"], who
    assert address in str(demo.api("adult").get("/me/volunteer").get_json())
    assert address in web("adult").get("/my/volunteering").get_data(as_text=True)
    assert address in web("staff").get("/communities/heping/volunteering").get_data(as_text=True)
    other = volunteer(demo, db, "student")
    for who in ("student", "fair", "elder92", "senior68"):  # another volunteer, another operator's staff, residents
        refused = demo.api(who).get(f"/volunteer-tasks/{task.id}")
        assert refused.status_code in (403, 404) and address not in refused.get_data(as_text=True), who
    assert address not in str(demo.api("student").get("/me/volunteer").get_json())
    assert address not in web("student").get("/my/volunteering").get_data(as_text=True)
    assert other["id"] != helper["id"]
    public = demo.client.get("/api/v1/public/communities/heping/volunteering").get_data(as_text=True)
    page = web().get("/communities/heping/transparency").get_data(as_text=True)
    audited = " ".join(str(data) for (data,) in fresh(db, select(AuditEvent.data)))
    told = " ".join(f"{t} {b}" for t, b in fresh(db, select(Notification.title, Notification.body)))
    for where in (public, page, audited, told, caplog.text):
        assert address not in where


def test_only_those_who_manage_a_delivery_assign_it(demo, db, web, api):
    home_delivery(demo)
    morning_job(demo)
    [task] = delivery_tasks(db)
    helper = volunteer(demo, db)
    elsewhere = make_community(db)
    their_staff = make_user(db, "community_staff", elsewhere)
    fair_id = demo.listing("Neighbourhood fair")["operator_id"]
    here = db.get(Community, db.get(Operator, canteen_id(demo)).community_id)
    other_cook = make_user(db, "operator_staff", here, make_operator(db, here, "canteen"))
    db.commit()
    for caller in (api(their_staff), api(other_cook), demo.api("fair"), demo.api("elder92")):
        refused = caller.post(f"/volunteer-tasks/{task.id}/assign", {"volunteer_id": helper["id"]})
        assert refused.status_code == 404 and refused.get_json()["code"] == "volunteer_task_not_found"
    page = f"/canteen/operators/{canteen_id(demo)}/deliveries/tasks/{task.id}/assign?date={TOMORROW}"
    for who in ("fair", "elder92"):
        visitor = web(who)
        visitor.get("/")
        assert visitor.post(page, {"volunteer_id": helper["id"]}).status_code in (403, 404), who
    assert web("fair").post(f"/canteen/operators/{fair_id}/deliveries/tasks/{task.id}/assign",
                            {"volunteer_id": helper["id"]}).status_code == 404
    assert [t.volunteer_id for t in delivery_tasks(db)] == [None]
    canteen = web("canteen")
    assert helper["name"] in canteen.get(deliveries_path(demo)).get_data(as_text=True)
    assert canteen.post(page, {"volunteer_id": helper["id"]}).status_code == 303
    assert [t.volunteer_id for t in delivery_tasks(db)] == [helper["id"]]
    assert canteen.post(page, {"volunteer_id": "nobody"}).status_code == 303  # said on the page, changes nothing
    assert [t.volunteer_id for t in delivery_tasks(db)] == [helper["id"]]


def test_the_volunteer_delivers_with_one_tap_and_the_canteen_confirms_the_hours_once(demo, db, web):
    task, helper = made_and_assigned(demo, db)
    with time_machine.travel(dt.datetime.combine(TOMORROW, dt.time(10, 30), ZONE), tick=True):
        page = web("adult").get("/my/volunteering").get_data(as_text=True)
        assert page.count(f'action="/my/volunteering/tasks/{task.id}/done"') == 1 and ">I delivered it<" in page
        assert web("adult").post(f"/my/volunteering/tasks/{task.id}/done").status_code == 303
        assert "The office will confirm your hours" in web("adult").get("/my/volunteering").get_data(as_text=True)
    confirm = f"/canteen/operators/{canteen_id(demo)}/deliveries/tasks/{task.id}/confirm?date={TOMORROW}"
    canteen = web("canteen")
    assert "Confirm and credit the hours" in canteen.get(deliveries_path(demo)).get_data(as_text=True)
    assert canteen.post(confirm).status_code == 303
    assert canteen.post(confirm).status_code == 303  # a second press credits nothing
    assert fresh(db, select(func.sum(VolunteerHours.tenths), func.count()).where(
        VolunteerHours.volunteer_id == helper["id"])) == [(5, 1)]
    assert demo.client.get("/api/v1/public/communities/heping/volunteering").get_json()["deliveries_confirmed"] == 1


def test_on_a_phone_the_days_delivery_is_one_big_delivered_button(demo, db, browse):
    task, _helper = made_and_assigned(demo, db, who="adult")
    with time_machine.travel(dt.datetime.combine(TOMORROW, dt.time(10, 30), ZONE), tick=True):
        page = browse(viewport=PHONE, locale="zh-CN")
        log_in(page, "adult")
        page.goto("/my/volunteering")
        card = page.get_by_test_id(f"delivery-{task.id}")
        assert task.details.splitlines()[0] in card.inner_text()
        button = card.get_by_role("button")
        assert button.count() == 1 and button.bounding_box()["height"] >= 60
        screenshot(page, "volunteer-delivery-today")
        button.click()  # the one tap
        page.wait_for_load_state()
        screenshot(page, "volunteer-delivered")
    assert [t.status for t in delivery_tasks(db)] == ["done"]


def test_the_plugin_api_refuses_bad_offers_and_makes_one_task_per_key(app, demo, db):
    community_id = demo.client.get("/api/v1/communities/heping").get_json()["id"]
    elsewhere = make_operator(db, make_community(db))
    db.commit()
    good = {"community_id": community_id, "operator_id": canteen_id(demo), "kind": "delivery", "title": "午餐",
            "starts_at": dt.datetime.combine(TOMORROW, dt.time(11, 30), ZONE), "hours": "0.5", "key": "test:1",
            "details": "和平路 1 号"}
    refusals = {"task_key_required": {"key": " "}, "unknown_task_kind": {"kind": "cooking"},
                "invalid_hours": {"hours": "0"}, "task_title_required": {"title": ""},
                "task_operator_not_here": {"operator_id": elsewhere.id}, "community_not_found": {"community_id": 10**6},
                "task_start_required": {"starts_at": dt.datetime(2030, 1, 1, 12)},
                "task_details_too_long": {"details": "x" * 2001}}
    with app.app_context():
        session = app.extensions["linli"].db.sessionmaker()
        try:
            for code, bad in refusals.items():
                with pytest.raises(DomainError) as refused:
                    offer_volunteer_task(session, **(good | bad | {"key": bad.get("key", f"bad:{code}")}))
                assert refused.value.code == code
                session.rollback()
            first = offer_volunteer_task(session, **good)
            again = offer_volunteer_task(session, **(good | {"details": "和平路 2 号"}))
            assert first.id == again.id and again.details == "和平路 2 号"
            assert list(volunteer_tasks_offered(session, ["test:1", "test:2"])) == ["test:1"]
            assert withdraw_volunteer_task(session, "test:2") is None
            assert withdraw_volunteer_task(session, "test:1").status == "cancelled"
            assert withdraw_volunteer_task(session, "test:1") is None
            session.commit()
        finally:
            session.close()
    assert len(fresh(db, select(VolunteerTask.id).where(VolunteerTask.source_key.is_not(None)))) == 1
