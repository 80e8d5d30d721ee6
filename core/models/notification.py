"""A person's inbox: each notification, said in the reader's language when read, and how they want to be told."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import memos
from core.db import Base, UTCDateTime, utcnow
from core.errors import Message

LANGUAGES = ("zh_Hans", "en")
"""The languages a person's inbox, emails and texts are written in; the first is the default."""


class Notification(Base):
    """One entry of a person's inbox; ``title`` and ``body`` are stored messages (``core.memos``), ``key`` makes
    a job that tells them twice tell them once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_notifications_unread", "user_id", "read_at"),  # the menu's unread count, on every page
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    """A page of the site to open (its path), or None."""
    key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    texted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def title_message(self) -> Message:
        return memos.message(memos.as_json(self.title))

    @property
    def body_message(self) -> Message:
        return memos.message(memos.as_json(self.body))


class NotificationPreferences(Base):
    """How a person wants to be told beyond the inbox, and in which language; no row means the defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint("language IN ('zh_Hans', 'en')", name="language"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
    sms: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(8), default=LANGUAGES[0])
