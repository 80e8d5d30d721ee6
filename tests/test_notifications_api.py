"""The inbox through the API: each reader reads it in their language, reads only their own, and chooses how they
are told (422 with a problem for anything else)."""
from __future__ import annotations

from sqlalchemy import select

from core import notifications
from core.demo import WELCOME
from core.errors import text
from core.models import Notification, User

CHINESE, ENGLISH = {"Accept-Language": "zh-CN,zh;q=0.9"}, {"Accept-Language": "en"}


def tell(db, local: str, times: int = 1) -> list[int]:
    """The demo account told ``times`` things (the welcome), committed; the entries' ids, oldest first."""
    user = db.scalar(select(User).where(User.email == f"{local}@example.org"))
    for _ in range(times):
        notifications.notify(db, user.id, "booking_confirmed", text(WELCOME[0], name=user.name), text(WELCOME[1]),
                             link="/my/bookings")
    db.commit()
    return db.scalars(select(Notification.id).where(Notification.user_id == user.id).order_by(Notification.id)).all()


def test_the_inbox_is_read_in_the_readers_language_newest_first_with_the_unread_count(demo, db):
    ids = tell(db, "elder92", 3)
    elder = demo.api("elder92")
    inbox = elder.get("/me/notifications", headers=CHINESE).get_json()
    assert [item["id"] for item in inbox["items"]] == ids[::-1]
    assert (inbox["unread"], inbox["total"]) == (3, 3)
    first = inbox["items"][0]
    assert first["title"] == "王奶奶，欢迎使用邻里" and first["body"].startswith("和您有关的事")
    assert (first["kind"], first["link"], first["read_at"]) == ("booking_confirmed", "/my/bookings", None)
    english = elder.get("/me/notifications", headers=ENGLISH).get_json()["items"][0]
    assert english["title"] == "Welcome to Linli, 王奶奶"
    page = elder.get("/me/notifications?per_page=2&page=2").get_json()
    assert [item["id"] for item in page["items"]] == ids[:1] and page["unread"] == 3
    assert demo.api("senior68").get("/me/notifications").get_json() == {
        "items": [], "page": 1, "per_page": 50, "total": 0, "unread": 0}


def test_reading_keeps_the_first_time_and_another_readers_entry_is_not_found(demo, db):
    [entry] = tell(db, "elder92")
    elder = demo.api("elder92")
    read = elder.post(f"/me/notifications/{entry}/read")
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert elder.post(f"/me/notifications/{entry}/read").get_json()["read_at"] == read.get_json()["read_at"]
    assert elder.get("/me/notifications").get_json()["unread"] == 0
    stranger = demo.api("senior68").post(f"/me/notifications/{entry}/read", headers=ENGLISH)
    assert stranger.status_code == 404 and stranger.mimetype == "application/problem+json"
    assert stranger.get_json()["code"] == "notification_not_found"
    assert demo.client.get("/api/v1/me/notifications").status_code == 401


def test_preferences_start_in_chinese_with_everything_on_and_change_whole(demo, db):
    elder = demo.api("elder92")
    assert elder.get("/me/notification-preferences").get_json() == {"email": True, "sms": True, "language": "zh_Hans"}
    chosen = {"email": False, "sms": True, "language": "en"}
    answer = elder.call("PUT", "/me/notification-preferences", json=chosen)
    assert answer.status_code == 200 and answer.get_json() == chosen
    assert elder.get("/me/notification-preferences").get_json() == chosen
    assert demo.api("senior68").get("/me/notification-preferences").get_json()["language"] == "zh_Hans"


def test_bad_preferences_are_a_problem_and_change_nothing(demo):
    elder = demo.api("elder92")
    for body, field in (({"email": True, "sms": True, "language": "fr"}, "language"),
                        ({"email": "maybe", "sms": True, "language": "en"}, "email"),
                        ({"email": True, "sms": 0, "language": "en"}, "sms"),
                        ({"email": True, "language": "en"}, "sms")):
        answer = elder.call("PUT", "/me/notification-preferences", json=body)
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json", answer.get_json()
        assert field in answer.get_json()["errors"]
    assert elder.get("/me/notification-preferences").get_json()["language"] == "zh_Hans"


def test_what_linli_told_a_person_is_in_their_data(demo, db):
    [entry] = tell(db, "elder92")
    elder = demo.api("elder92")
    elder.post(f"/me/notifications/{entry}/read")
    [told] = elder.get("/me/data").get_json()["notifications"]
    assert (told["title"], told["link"], told["emailed_at"]) == ("Welcome to Linli, 王奶奶", "/my/bookings", None)
    assert told["read_at"]
    assert demo.api("senior68").get("/me/data").get_json()["notifications"] == []
