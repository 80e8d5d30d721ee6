"""The inbox page of every logged-in user: the menu says plainly how many messages are new, unread ones stand out,
each leads to its page; the choices of how one is told, and the language switch, are remembered."""
from __future__ import annotations

import re

from sqlalchemy import select

from core import notifications
from core.models import User
from tests.test_notifications_api import tell

INBOX_LINK = re.compile(r'<a class="inbox[^"]*" href="/my/notifications" data-testid="inbox-link">([^<]*)</a>')


def chinese(web, local="elder92"):
    reader = web(local)
    reader.get("/lang/zh_Hans")
    return reader


def menu_says(page) -> str:
    return INBOX_LINK.search(page.get_data(as_text=True)).group(1)


def user_id(db, local: str) -> int:
    return db.scalar(select(User.id).where(User.email == f"{local}@example.org"))


def test_the_menu_counts_new_messages_and_the_inbox_shows_them_newest_first(demo, db, web):
    ids = tell(db, "elder92", 3)
    elder = chinese(web)
    assert menu_says(elder.get("/")) == "3 条新消息"
    page = elder.get("/my/notifications").get_data(as_text=True)
    assert page.count('class="card notification unread"') == 3
    assert page.index(f"notification-{ids[2]}") < page.index(f"notification-{ids[0]}")
    assert '<a href="/my/bookings">王奶奶，欢迎使用邻里</a>' in page and "Welcome" not in page
    assert elder.post(f"/my/notifications/{ids[0]}/read").status_code == 303
    page = elder.get("/my/notifications")
    assert menu_says(page) == "2 条新消息"
    assert page.get_data(as_text=True).count('class="card notification unread"') == 2
    assert elder.post("/my/notifications/read-all").status_code == 303
    assert menu_says(elder.get("/my/notifications")) == "我的消息"
    assert menu_says(web("senior68").get("/")) == "My messages"
    assert menu_says(web("elder92").get("/")) == "My messages"
    assert INBOX_LINK.search(web().get("/").get_data(as_text=True)) is None  # a visitor has no inbox


def test_another_readers_message_cannot_be_marked_read(demo, db, web):
    [entry] = tell(db, "elder92")
    assert web("senior68").post(f"/my/notifications/{entry}/read").status_code == 404
    assert notifications.unread_count(db, user_id(db, "elder92")) == 1


def test_the_choices_of_how_one_is_told_are_saved_and_bad_ones_refused(demo, db, web):
    elder = chinese(web)
    form = elder.get("/my/notification-preferences").get_data(as_text=True)
    assert "发邮件给我" in form and "发短信到我的手机" in form
    assert elder.post("/my/notification-preferences", {"sms": "y", "language": "en"}).status_code == 303
    chosen = notifications.preferences(db, user_id(db, "elder92"))
    assert (chosen.email, chosen.sms, chosen.language) == (False, True, "en")
    refused = elder.post("/my/notification-preferences", {"email": "y", "language": "fr"})
    assert refused.status_code == 422 and "请从选项中选一个" in refused.get_data(as_text=True)
    db.rollback()  # a fresh look at what the pages wrote
    assert notifications.preferences(db, user_id(db, "elder92")).language == "en"


def test_the_language_switch_of_a_logged_in_reader_is_their_messages_language(demo, db, web):
    elder = web("elder92")
    elder.get("/lang/en")
    assert notifications.preferences(db, user_id(db, "elder92")).language == "en"
    elder.get("/lang/zh_Hans")
    db.rollback()  # a fresh look at what the pages wrote
    assert notifications.preferences(db, user_id(db, "elder92")).language == "zh_Hans"
    web().get("/lang/en")  # a visitor's switch writes nothing
