"""The operator's week on the pages: set weekly times, close a day, call one time off (in Chinese, as a cook reads)."""
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.models import Booking, Closure, Schedule, Slot

ZONE = ZoneInfo("Asia/Shanghai")


def count(db, model, *where):
    db.rollback()  # a new read transaction sees what the pages committed
    return db.scalar(select(func.count()).select_from(model).where(*where))


def lunch(demo):
    listing = demo.listing("Community lunch")
    return listing["operator_id"], listing["id"]


def in_chinese(web, local="canteen"):
    reader = web(local)
    reader.get("/lang/zh_Hans?next=/")  # the language switch, remembered for the visit
    return reader


def test_a_cook_sets_the_week_once_and_sees_four_weeks_of_times(demo, web, db):
    operator, listing = lunch(demo)
    cook = in_chinese(web)
    page = cook.get(f"/operators/{operator}/listings/{listing}/times").get_data(as_text=True)
    assert "每周固定时段" in page and "星期一、星期二、星期三、星期四、星期五、星期六和星期日" in page

    path = f"/operators/{operator}/listings/{listing}/schedules/new"
    cook.get(path)
    tomorrow = (dt.datetime.now(ZONE).date() + dt.timedelta(days=1)).isoformat()
    made = cook.post(path, {"weekdays": ["1", "3", "5"], "starts": "17:30", "ends": "19:00", "capacity": "40",
                            "valid_from": tomorrow})
    assert made.status_code == 303
    followed = cook.get(made.headers["Location"]).get_data(as_text=True)
    assert "每周时段已设置" in followed and "星期一、星期三和星期五" in followed
    dinners = count(db, Slot, Slot.listing_id == listing, Slot.capacity == 40)
    assert 11 <= dinners <= 13  # three days a week over four weeks

    cook.get(path)
    refused = cook.post(path, {"starts": "19:00", "ends": "17:30", "capacity": "0", "valid_from": tomorrow})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请至少选择一周中的一天" in body
    assert count(db, Schedule) == 5 + 1


def test_a_cook_closes_a_day_and_its_residents_read_why(demo, web, db):
    operator, listing = lunch(demo)
    day = dt.datetime.now(ZONE).date() + dt.timedelta(days=3)
    slot = next(s for s in demo.slots("Community lunch") if s["starts_at"].startswith(day.isoformat()))
    booked = demo.api("senior68").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash"}).get_json()

    cook = in_chinese(web)
    path = f"/operators/{operator}/listings/{listing}/closures/new"
    cook.get(path)
    empty = cook.post(path, {"day": day.isoformat(), "reason": ""})
    assert empty.status_code == 422 and count(db, Closure) == 0
    closed = cook.post(path, {"day": day.isoformat(), "reason": "燃气检修"})
    assert closed.status_code == 303
    assert "1 个预约已取消并退款" in cook.get(closed.headers["Location"]).get_data(as_text=True)

    resident = in_chinese(web, "senior68")
    page = resident.get(f"/my/bookings/{booked['id']}").get_data(as_text=True)
    assert "服务方取消了这个时段：燃气检修" in page
    assert count(db, Booking, Booking.id == booked["id"], Booking.status == "cancelled") == 1


def test_a_cook_calls_one_time_off_after_seeing_how_many_bookings_it_cancels(demo, web, db):
    operator, _ = lunch(demo)
    slot = demo.slots("Community lunch")[1]
    for who in ("senior68", "adult"):
        demo.api(who).post("/bookings", {"slot_id": slot["id"], "payment_method": "cash"})
    cook = in_chinese(web)
    path = f"/operators/{operator}/slots/{slot['id']}/cancel"
    assert "将取消 2 个预约并全额退款" in cook.get(path).get_data(as_text=True)
    done = cook.post(path, {"reason": "停电"})
    assert done.status_code == 303
    assert count(db, Slot, Slot.id == slot["id"], Slot.cancel_reason == "停电") == 1
    assert count(db, Booking, Booking.slot_id == slot["id"], Booking.status == "cancelled") == 2
    again = cook.post(path, {"reason": "停电"})
    assert again.status_code == 409 and "这个时段已经取消了" in again.get_data(as_text=True)
    fair = demo.slots("Neighbourhood fair")[0]  # another operator's time: not the cook's to call off
    assert cook.get(f"/operators/{operator}/slots/{fair['id']}/cancel").status_code == 404


def test_a_cook_gives_one_lunch_more_places_and_cannot_give_it_fewer_than_booked(demo, web, db):
    operator, _ = lunch(demo)
    slot = demo.slots("Community lunch")[2]
    demo.api("senior68").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash"})
    cook = in_chinese(web)
    path = f"/operators/{operator}/slots/{slot['id']}/places"
    assert 'value="100"' in cook.get(path).get_data(as_text=True)
    assert cook.post(path, {"capacity": "120"}).status_code == 303
    assert count(db, Slot, Slot.id == slot["id"], Slot.capacity == 120) == 1
    refused = cook.post(path, {"capacity": "0"})
    assert refused.status_code == 422 and count(db, Slot, Slot.id == slot["id"], Slot.capacity == 120) == 1
    other = demo.slots("Community lunch")[3]  # another operator's staff may not: a 404 for the cook's path
    assert web("fair").get(f"/operators/{operator}/slots/{other['id']}/places").status_code == 403
