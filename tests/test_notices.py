"""Who is told what, by the events and the periodic jobs: a booking confirmed or called off, the day-before
reminder, a hold about to run out, the canteen's delivery list, a proposal to vote on, the charity's decision, the
month's statements, a failed nightly check — each once, however often its job runs, in the reader's language."""
import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select, update

from core.db import utcnow
from core.models import JournalEntry
from tests.test_fund import propose, vote

SHANGHAI = ZoneInfo("Asia/Shanghai")
LUNCH, CLEANING = "Community lunch", "Home cleaning, 2 hours"
CHINESE = {"Accept-Language": "zh-CN"}


def inbox(world, who, **headers):
    return world.api(who).get("/me/notifications", headers=headers or CHINESE).get_json()["items"]


def kinds(world, who):
    return [item["kind"] for item in inbox(world, who)]


def run(app, name):
    return app.extensions["linli"].queue.runner.run_periodic(name)


def lunch_on(world, day: dt.date) -> dict:
    return next(s for s in world.slots(LUNCH)
                if dt.datetime.fromisoformat(s["starts_at"]).astimezone(SHANGHAI).date() == day)


def local_moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)


def test_a_booking_confirmed_is_told_to_its_resident_in_plain_chinese(demo):
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    slot = lunch_on(demo, tomorrow)
    booked = demo.api("elder92").post("/bookings", {"slot_id": slot["id"], "quantity": 1})
    assert booked.status_code == 201
    [told] = inbox(demo, "elder92")
    when = dt.datetime.fromisoformat(slot["starts_at"]).astimezone(SHANGHAI)
    assert told["kind"] == "booking_confirmed" and told["title"] == "已预约：社区午餐"
    assert told["body"] == f"{when.month}月{when.day}日 {when:%H:%M}，社区午餐。请准时来。"
    assert told["link"] == f"/my/bookings/{booked.get_json()['id']}"
    english = inbox(demo, "elder92", **{"Accept-Language": "en"})[0]
    assert english["title"] == "Booked: 社区午餐"
    assert kinds(demo, "adult") == []  # nobody else


def test_a_time_called_off_tells_each_resident_why(demo):
    slot = demo.slots(CLEANING)[0]
    booked = demo.api("adult").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash",
                                                  "details": {"address": "Heping Road 1"}})
    assert booked.status_code == 201
    called_off = demo.api("housekeeping").post(f"/slots/{slot['id']}/cancel", {"reason": "保洁员生病了"})
    assert called_off.status_code == 200, called_off.get_json()
    told = {item["kind"]: item for item in inbox(demo, "adult")}
    assert set(told) == {"booking_confirmed", "booking_called_off"}
    assert told["booking_called_off"]["title"] == "已取消：居家保洁（2小时）"
    assert "保洁员生病了" in told["booking_called_off"]["body"] and "退" in told["booking_called_off"]["body"]


def test_the_day_before_each_booking_is_reminded_once_from_the_afternoon(demo):
    today = dt.datetime.now(SHANGHAI).date()
    slot = lunch_on(demo, today + dt.timedelta(days=2))
    assert demo.api("senior68").post("/bookings", {"slot_id": slot["id"], "quantity": 1,
                                                   "payment_method": "cash"}).status_code == 201
    day_before = today + dt.timedelta(days=1)
    with time_machine.travel(local_moment(day_before, 15, 59), tick=False):
        assert run(demo_app(demo), "send_reminders").outcome == "0 residents reminded of tomorrow"
    with time_machine.travel(local_moment(day_before, 16, 0), tick=False):
        assert run(demo_app(demo), "send_reminders").outcome == "1 residents reminded of tomorrow"
        assert run(demo_app(demo), "send_reminders").outcome == "0 residents reminded of tomorrow"
    reminder = next(item for item in inbox(demo, "senior68") if item["kind"] == "booking_reminder")
    assert reminder["title"] == "明天：社区午餐" and reminder["body"].startswith("明天")


def demo_app(world):
    return world.client.application


def test_a_hold_about_to_run_out_is_told_once(platform):
    app, world = platform()
    booked = world.api("adult").post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"],
                                                   "payment_method": "stripe",
                                                   "details": {"address": "Heping Road 1"}}).get_json()
    ends = dt.datetime.fromisoformat(booked["hold_expires_at"])
    with time_machine.travel(ends - dt.timedelta(minutes=3), tick=False):
        assert run(app, "expire_holds").outcome == "0 payment holds expired, 1 residents reminded to pay"
        assert run(app, "expire_holds").outcome == "0 payment holds expired, 0 residents reminded to pay"
    [told] = [item for item in inbox(world, "adult") if item["kind"] == "hold_expiring"]
    assert told["title"] == "请为居家保洁（2小时）付款" and "3 分钟" in told["body"]


def test_the_canteens_delivery_list_goes_out_once_each_morning(demo):
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    slot = lunch_on(demo, tomorrow)
    assert demo.api("elder92").post("/bookings", {"slot_id": slot["id"], "quantity": 1,
                                                  "details": {"home_delivery": True}}).status_code == 201
    app = demo_app(demo)
    with time_machine.travel(local_moment(tomorrow, 6, 50), tick=False):
        assert run(app, "canteen.delivery_list").outcome == "0 delivery lists sent"
    with time_machine.travel(local_moment(tomorrow, 7, 0), tick=False):
        assert run(app, "canteen.delivery_list").outcome == "1 delivery lists sent"
        run(app, "canteen.delivery_list")
    for who in ("canteen", "staff"):
        [told] = [item for item in inbox(demo, who) if item["kind"] == "delivery_list"]
        assert told["title"] == "今天送餐上门：1 户" and "1 份" in told["body"]
        assert told["link"].endswith("/deliveries")
    assert "delivery_list" not in kinds(demo, "housekeeping") + kinds(demo, "elder92")


def test_the_committee_is_asked_to_vote_and_hears_the_charitys_decision(demo):
    pid = propose(demo, amount=125_000)
    for member in ("committee1", "committee2", "committee3"):
        [asked] = inbox(demo, member)
        assert asked["kind"] == "proposal_vote" and asked["body"].startswith("一项提案向基金申请 ¥1,250.00")
    assert kinds(demo, "charity") == [] and kinds(demo, "adult") == []
    vote(demo, "committee1", pid, "approve")
    vote(demo, "committee2", pid, "approve")
    refused = demo.api("charity").post(f"/communities/heping/fund/proposals/{pid}/charity-decision",
                                       {"approved": False, "reason": "预算不清楚"})
    assert refused.status_code == 200
    for who in ("committee1", "committee2", "committee3", "staff"):
        [decided] = [item for item in inbox(demo, who) if item["kind"] == "charity_decision"]
        assert "预算不清楚" in decided["body"]


def test_the_months_statements_are_told_to_the_fund_once(demo):
    today = dt.datetime.now(SHANGHAI).date()
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    with time_machine.travel(local_moment(first_of_next, 0, 30), tick=False):
        run(demo_app(demo), "settle_last_month")
        run(demo_app(demo), "settle_last_month")
    for who in ("committee1", "committee2", "committee3", "charity"):
        [told] = inbox(demo, who)
        assert told["kind"] == "statement_ready" and today.strftime("%Y-%m") in told["title"]
    assert kinds(demo, "staff") == []


def test_a_failed_nightly_check_alerts_the_admins_once_a_day(demo, db):
    app = demo_app(demo)
    app.test_cli_runner().invoke(args=["settle", "--community", "heping", "--period", utcnow().strftime("%Y-%m")])
    db.execute(update(JournalEntry).where(JournalEntry.id == db.scalar(select(JournalEntry.id).limit(1)))
               .values(memo="tampered"))
    db.commit()
    assert run(app, "nightly_check").status == "failed"
    assert run(app, "nightly_check").status == "failed"
    [alert] = inbox(demo, "admin")
    assert alert["kind"] == "check_failed" and alert["link"] == "/admin/jobs" and "1 个问题" in alert["body"]
    assert kinds(demo, "staff") == []
