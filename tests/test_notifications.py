"""Notifications: an inbox entry said in the reader's language, told once per key, and sent by email (to a real
SMTP server on 127.0.0.1) and by text once each, whatever crashes and retries happen."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy import text as sql

from core import hookimpl, notifications
from core.config import ConfigurationError
from core.db import commit, utcnow
from core.demo import WELCOME
from core.errors import NotFound, text
from core.models import Notification, OutboxTask
from core.outgoing import deliver
from core.sms import Sms, SmsNotSent, SmsProvider
from core.tasks import JobContext
from tests.factories import make_community, make_user
from tests.mail_support import Mailbox, free_port, serve
from tests.races import race

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.timezone.utc)


def welcome(name="王奶奶"):
    return text(WELCOME[0], name=name), text(WELCOME[1])


def resident(db, email="wang@example.org", phone="13900000092"):
    user = make_user(db, "resident", make_community(db), email=email)
    user.name, user.profile.phone = "王奶奶", phone
    db.flush()
    return user


def told(db, user_id: int) -> list[Notification]:
    return db.scalars(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)).all()


def job(app, db, now=NOW) -> JobContext:
    """What the queue hands a task: its session, the plugins, the configuration, the time."""
    linli = app.extensions["linli"]
    return JobContext(session=db, plugins=linli.plugins, payments=linli.payments, config=app.config, now=now)


def notified(app, db, user, **preferences):
    """The user told one thing, committed; their choices made first."""
    if preferences:
        notifications.choose(db, user.id, **preferences)
    notifications.notify(db, user.id, "booking_confirmed", *welcome(user.name), link="/my/bookings")
    db.commit()
    return told(db, user.id)[-1]


# --- the inbox entry --------------------------------------------------------------------------------------------

def test_an_entry_keeps_its_message_and_is_said_in_each_language(app, db):
    user = resident(db)
    entry = notified(app, db, user)
    assert entry.title_message == "Welcome to Linli, 王奶奶"
    assert entry.title_message.template == WELCOME[0] and entry.body_message.template == WELCOME[1]
    assert entry.link == "/my/bookings" and entry.read_at is None and entry.emailed_at is None


def test_one_key_tells_a_person_once_and_another_person_too(app, db):
    first, second = resident(db), resident(db, email="li@example.org", phone="13900000068")
    told_now = [notifications.notify(db, user.id, "booking_reminder", *welcome(), key="reminder:booking:7")
                for _ in range(2) for user in (first, second)]
    assert told_now == [True, True, False, False]
    assert notifications.notify(db, first.id, "booking_reminder", *welcome())  # no key: as often as it is said
    db.commit()
    assert [len(told(db, first.id)), len(told(db, second.id))] == [2, 1]


def test_a_link_is_a_page_of_the_site(db):
    user = resident(db)
    for link in ("https://evil.example/", "//evil.example/x", "my/bookings"):
        with pytest.raises(ValueError):
            notifications.notify(db, user.id, "booking_confirmed", *welcome(), link=link)


def test_the_channels_are_those_chosen_with_an_address(db):
    user = resident(db)
    assert notifications.channels(db, user.id) == ["email", "sms"]
    notifications.choose(db, user.id, sms=False)
    assert notifications.channels(db, user.id) == ["email"]
    user.email = None
    assert notifications.channels(db, user.id) == []
    notifications.choose(db, user.id, sms=True)
    user.profile.phone = None
    assert notifications.channels(db, user.id) == []


def test_reading_counts_once_and_only_for_its_reader(db):
    user, other = resident(db), resident(db, email="li@example.org", phone=None)
    for _ in range(3):
        notifications.notify(db, user.id, "booking_confirmed", *welcome())
    first = told(db, user.id)[0]
    assert notifications.unread_count(db, user.id) == 3
    read = notifications.mark_read(db, user.id, first.id, NOW)
    again = notifications.mark_read(db, user.id, first.id, NOW + dt.timedelta(hours=1))
    assert read.read_at == again.read_at == NOW
    with pytest.raises(NotFound) as refused:
        notifications.mark_read(db, other.id, first.id)
    assert refused.value.code == "notification_not_found"
    assert notifications.mark_all_read(db, user.id, NOW) == 2
    assert notifications.unread_count(db, user.id) == 0


# --- by email ---------------------------------------------------------------------------------------------------

@pytest.fixture
def mailing_app(make_app, mailbox):
    return make_app(SMTP_URL=mailbox.url, MAIL_FROM="邻里 Linli <linli@heping.example>",
                    BASE_URL="https://linli.example")


def test_an_email_in_chinese_reaches_the_person_once(mailing_app, db, mailbox):
    user = resident(db)
    entry = notified(mailing_app, db, user)
    assert deliver(job(mailing_app, db), entry.id, "email") == "email: sent"
    db.commit()
    assert deliver(job(mailing_app, db), entry.id, "email") == "email: sent already"
    db.commit()
    [mail] = mailbox.wait(1)
    assert mailbox.recipients == [["wang@example.org"]]
    assert mail["To"].addresses[0].addr_spec == "wang@example.org" and mail["To"].addresses[0].display_name == "王奶奶"
    assert mail["Subject"] == "王奶奶，欢迎使用邻里"
    assert mail["Message-ID"] == f"<notification-{entry.id}@heping.example>"
    body = mail.get_content()
    assert "和您有关的事都会写在这里" in body
    assert "查看：https://linli.example/my/bookings" in body and "https://linli.example/my/notifications" in body
    assert db.get(Notification, entry.id).emailed_at == NOW


def test_an_email_in_english_for_a_reader_who_chose_english(mailing_app, db, mailbox):
    entry = notified(mailing_app, db, resident(db), language="en")
    deliver(job(mailing_app, db), entry.id, "email")
    [mail] = mailbox.wait(1)
    assert mail["Subject"] == "Welcome to Linli, 王奶奶"
    assert "Open it: https://linli.example/my/bookings" in mail.get_content()


def test_an_smtp_server_that_is_down_raises_for_a_retry_and_nothing_counts_as_sent(make_app, db, closed_smtp_url):
    app = make_app(SMTP_URL=closed_smtp_url, MAIL_FROM="linli@heping.example")
    entry = notified(app, db, resident(db))
    with pytest.raises(OSError):
        deliver(job(app, db), entry.id, "email")
    db.rollback()  # as the runner does
    assert db.get(Notification, entry.id, populate_existing=True).emailed_at is None


def test_no_email_to_whom_switched_emails_off_since_or_without_an_smtp_server(mailing_app, app, db, mailbox):
    user = resident(db)
    entry = notified(mailing_app, db, user)
    assert deliver(job(app, db), entry.id, "email") == "email: no SMTP server configured"
    notifications.choose(db, user.id, email=False)
    assert deliver(job(mailing_app, db), entry.id, "email") == "email: switched off"
    assert mailbox.messages == [] and db.get(Notification, entry.id).emailed_at is None


def test_a_bad_smtp_url_stops_the_app_at_start_up(make_app):
    with pytest.raises(ConfigurationError, match="LINLI_SMTP_URL"):
        make_app(SMTP_URL="mail://example.org", MAIL_FROM="linli@example.org")
    with pytest.raises(ConfigurationError, match="LINLI_MAIL_FROM"):
        make_app(SMTP_URL="smtp://127.0.0.1:1025")


# --- by text ----------------------------------------------------------------------------------------------------

class Recorder(SmsProvider):
    """A provider that keeps what it was asked to send (a gateway's own test is the SMS plugin's)."""

    key = "recorder"

    def __init__(self):
        self.sent: list[Sms] = []

    def is_configured(self, config) -> bool:
        return bool(config.get("SMS_PROVIDER") == self.key)

    def send(self, sms: Sms, config) -> str:
        if sms.kind not in config.get("RECORDER_KINDS", (sms.kind,)):
            raise SmsNotSent(f"no template for {sms.kind!r}")
        self.sent.append(sms)
        return f"m-{len(self.sent)}"


class RecorderPlugin:
    def __init__(self, provider):
        self.provider = provider

    @hookimpl
    def register_sms_providers(self):
        return [self.provider]


def test_a_text_in_chinese_is_sent_once_to_the_residents_phone(make_app, db):
    recorder = Recorder()
    app = make_app(SMS_PROVIDER="recorder", PLUGINS=[RecorderPlugin(recorder)])
    entry = notified(app, db, resident(db))
    assert deliver(job(app, db), entry.id, "sms") == "sms: sent"
    assert deliver(job(app, db), entry.id, "sms") == "sms: sent already"
    [sms] = recorder.sent
    assert (sms.phone, sms.kind) == ("13900000092", "booking_confirmed")
    assert sms.text.startswith("王奶奶，欢迎使用邻里：和您有关的事") and sms.params == {"name": "王奶奶"}
    assert db.get(Notification, entry.id).texted_at == NOW


def test_a_text_that_can_never_go_is_not_tried_again(make_app, db):
    recorder = Recorder()
    app = make_app(SMS_PROVIDER="recorder", RECORDER_KINDS=("booking_reminder",), PLUGINS=[RecorderPlugin(recorder)])
    user = resident(db)
    db.commit()
    tell_through_the_queue(app, user.id)  # a booking_confirmed: the gateway has no template for it
    assert deliveries(db) == [("email", "done", 1), ("sms", "done", 1)]
    assert recorder.sent == [] and told(db, user.id)[0].texted_at is None


def test_no_text_without_a_provider(app, db):
    entry = notified(app, db, resident(db))
    assert deliver(job(app, db), entry.id, "sms") == "sms: no provider configured"
    assert db.get(Notification, entry.id).texted_at is None
    assert db.scalar(select(func.count()).select_from(Notification)) == 1


@pytest.mark.postgres
def test_a_job_running_twice_at_once_tells_a_person_once(app, db):
    user = resident(db)
    db.commit()

    def tell_once():
        with app.extensions["linli"].db.sessionmaker() as session:
            notifications.notify(session, user.id, "booking_reminder", *welcome(), key="reminder:booking:9")
            time.sleep(0.05)  # hold the transaction open, so the other racer's insert meets this one uncommitted
            session.commit()

    race([tell_once] * 6)
    assert len(told(db, user.id)) == 1


# --- through the queue ------------------------------------------------------------------------------------------

def tell_through_the_queue(app, user_id: int, key: str | None = None) -> None:
    """As an event handler does: notify in a transaction of the app, whose commit runs the queued deliveries
    (in tests, at once in this thread)."""
    with app.extensions["linli"].db.sessionmaker() as session:
        notifications.notify(session, user_id, "booking_confirmed", *welcome(), key=key, link="/my/bookings")
        commit(session)


def deliveries(db) -> list[tuple[str, str, int]]:
    db.rollback()
    return [(t.payload["channel"], t.status, t.attempts) for t in
            db.scalars(select(OutboxTask).where(OutboxTask.task == "notifications.deliver").order_by(OutboxTask.id))]


def test_the_queue_emails_a_notification_once_however_often_it_is_told(mailing_app, db, mailbox):
    user = resident(db, phone=None)
    db.commit()
    for _ in range(2):
        tell_through_the_queue(mailing_app, user.id, key="confirmed:booking:5")
    [mail] = mailbox.wait(1)
    assert mail["Subject"] == "王奶奶，欢迎使用邻里"
    assert deliveries(db) == [("email", "done", 1)]
    assert told(db, user.id)[0].emailed_at is not None


def test_an_email_the_smtp_server_refused_is_sent_once_it_is_back(make_app, db):
    box, port = Mailbox(), free_port()
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{port}", MAIL_FROM="linli@heping.example")
    user = resident(db, phone=None)
    db.commit()
    tell_through_the_queue(app, user.id)  # nothing listens on the port yet
    assert deliveries(db) == [("email", "pending", 1)] and told(db, user.id)[0].emailed_at is None
    server = serve(box, port)
    try:
        db.execute(update(OutboxTask).values(run_after=utcnow()))  # its pause is over
        db.commit()
        with app.app_context():
            assert app.extensions["linli"].queue.runner.drain() == 1
        [mail] = box.wait(1)
    finally:
        server.stop()
    assert mail["Message-ID"] == f"<notification-{told(db, user.id)[0].id}@heping.example>"
    assert deliveries(db) == [("email", "done", 2)] and told(db, user.id)[0].emailed_at is not None


def test_without_an_smtp_server_the_inbox_still_has_it_and_the_task_says_why(app, db):
    user = resident(db)
    db.commit()
    tell_through_the_queue(app, user.id)
    assert deliveries(db) == [("email", "done", 1), ("sms", "done", 1)]
    assert notifications.unread_count(db, user.id) == 1 and told(db, user.id)[0].emailed_at is None


@pytest.mark.postgres
def test_the_unread_count_of_every_page_is_read_from_the_index(app, db):
    """The menu counts on every page a user opens: over a year of notifications of many people, the plan reads the
    index on (user_id, read_at) alone, never the table."""
    people = [resident(db, email=f"n{number}@example.org", phone=None).id for number in range(20)]
    db.execute(insert(Notification), [
        {"user_id": person, "kind": "booking_reminder", "title": "{}", "body": "{}", "created_at": NOW,
         "read_at": NOW if day % 10 else None} for person in people for day in range(365)])
    db.commit()
    engine = app.extensions["linli"].db.engine
    statement = notifications.unread_query(people[0]).compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sql("VACUUM ANALYZE notifications"))  # the statistics a live database has
        plan = "\n".join(row[0] for row in connection.execute(sql(f"EXPLAIN {statement}")))
    assert "Index Only Scan using ix_notifications_unread" in plan, plan
