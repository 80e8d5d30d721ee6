"""Notifications: what Linli tells a person, in their inbox and, as they choose, by email and by text.

:func:`notify` writes an inbox entry in the caller's transaction: its title and body
are stored as messages (template and values, as ledger memos are, ``core.memos``),
so each is said in the reader's language whenever it is read. Given a ``key``, a
person is told once, however often a job runs (a unique (user, key), inserted with
``ON CONFLICT DO NOTHING``). For each channel the person's preferences allow and
has an address for, one delivery task is queued with the entry
(``core.outbox``); :mod:`core.outgoing` sends it, once.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from core import memos, outbox
from core.db import INSERTS, utcnow
from core.errors import N_, Message, not_found
from core.models import Notification, NotificationPreferences, User

KINDS = ("booking_confirmed", "booking_called_off", "booking_reminder", "hold_expiring", "waitlist_offer",
         "delivery_list", "proposal_vote", "charity_decision", "statement_ready", "check_failed")
"""The events Linli tells people of (a plugin may tell of its own)."""
DELIVERY_TASK = "notifications.deliver"
"""The queue's name of the task that sends one notification by one channel (``core.outgoing.DELIVER``)."""
NOTIFICATION_NOT_FOUND = not_found("notification_not_found", N_("We could not find message %(notification_id)s."))


def notify(session: Session, user_id: int, kind: str, title: Message, body: Message, *, key: str | None = None,
           link: str | None = None) -> None:
    """Tell a person something: an entry in their inbox, and a delivery task per channel they take it by."""
    if link is not None and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"a notification links to a page of the site (a path), not {link!r}")
    values = {"user_id": user_id, "kind": kind, "title": _stored(title), "body": _stored(body), "link": link,
              "key": key, "created_at": utcnow()}
    if key is None:
        statement = insert(Notification)
    else:
        statement = INSERTS[session.get_bind().dialect.name](Notification).on_conflict_do_nothing(
            index_elements=["user_id", "key"])
    notification_id = session.scalar(statement.values(**values).returning(Notification.id))
    if notification_id is None:  # told already
        return
    for channel in channels(session, user_id):
        outbox.enqueue(session, DELIVERY_TASK, notification_id=notification_id, channel=channel)


def _stored(message: Message | str) -> str:
    return memos.stored(message if isinstance(message, Message) else Message(str(message)))


def channels(session: Session, user_id: int) -> list[str]:
    """The channels beyond the inbox a person takes notifications by: switched on, and with an address."""
    user, chosen = session.get(User, user_id), preferences(session, user_id)
    found = []
    if chosen.email and user.email:
        found.append("email")
    if chosen.sms and user.profile is not None and user.profile.phone:
        found.append("sms")
    return found


# --- the inbox ---------------------------------------------------------------------------------------------------

def inbox_query(user_id: int):
    """A person's notifications, newest first."""
    return (select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def unread_count(session: Session, user_id: int) -> int:
    """How many notifications the person has not read (the index on (user_id, read_at) answers it)."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_read(session: Session, user_id: int, notification_id: int, now: dt.datetime | None = None) -> Notification:
    """The person's notification, read: the first time counts (a second read keeps it); another's is a 404."""
    session.execute(update(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()))
    notification = session.get(Notification, notification_id, populate_existing=True)
    if notification is None or notification.user_id != user_id:
        raise NOTIFICATION_NOT_FOUND(notification_id=notification_id)
    return notification


def mark_all_read(session: Session, user_id: int, now: dt.datetime | None = None) -> int:
    """Every unread notification of the person, read now; how many there were."""
    return session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now or utcnow())).rowcount


# --- preferences -------------------------------------------------------------------------------------------------

def preferences(session: Session, user_id: int) -> NotificationPreferences:
    """The person's choices; the defaults (email and SMS on, Chinese) until they make any."""
    chosen = session.get(NotificationPreferences, user_id)
    if chosen is None:
        chosen = NotificationPreferences(user_id=user_id, email=True, sms=True, language="zh_Hans")
    return chosen


def choose(session: Session, user_id: int, **choices) -> NotificationPreferences:
    """Change some of the person's choices (``email``, ``sms``, ``language``), keeping the others."""
    chosen = preferences(session, user_id)
    for name, value in choices.items():
        if name not in ("email", "sms", "language"):
            raise TypeError(f"no preference {name!r}")
        setattr(chosen, name, value)
    session.add(chosen)
    session.flush()
    return chosen
