"""Notifications leaving the inbox: one by email or by text, sent once, in the person's language.

:func:`deliver` is the queue's task (``notifications.deliver``). The runner commits
what it records and retries it when it raises, so it checks first whether the
channel has it sent already, sends, and then records the time: run twice, it sends
once. A crash between sending and recording sends again on the retry; an email
then carries the same Message-ID (``<notification-ID@host>``), so a mail program
knows it for the same message. Nothing is sent to a person who switched the
channel off since, or has no address for it any more.
"""
from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import select

from core import mail
from core.catalogues import said, translator
from core.errors import N_, text
from core.models import Notification, User
from core.notifications import DELIVERY_TASK, preferences
from core.sms import Sms
from core.tasks import JobContext, Task

INBOX, PREFERENCES = "/my/notifications", "/my/notification-preferences"
"""The pages an email links back to (core.web.inbox)."""
OPEN = N_("Open it: %(url)s")
ALL_MESSAGES = N_("All your messages: %(url)s")
STOP_EMAILS = N_("To stop these emails, change your choices: %(url)s")
TEXT = N_("%(title)s: %(body)s")


def deliver(job: JobContext, notification_id: int, channel: str) -> str:
    """Send one notification by ``email`` or ``sms``, once; the outcome in a few words."""
    sent_at, send = CHANNELS[channel]
    notification = job.session.scalar(select(Notification).where(Notification.id == notification_id)
                                      .with_for_update())
    if notification is None:
        return "no such notification"
    if getattr(notification, sent_at) is not None:
        return f"{channel}: sent already"
    user = job.session.get(User, notification.user_id)
    chosen = preferences(job.session, user.id)
    if not getattr(chosen, channel):
        return f"{channel}: switched off"
    outcome = send(job, notification, user, translator(job.plugins, chosen.language))
    if outcome is None:
        setattr(notification, sent_at, job.now)
    return outcome or f"{channel}: sent"


def _email(job, notification: Notification, user: User, translate) -> str | None:
    config = job.config
    if not config.get("SMTP_URL") or not config.get("MAIL_FROM"):
        return "email: no SMTP server configured"
    if not user.email:
        return "email: no address"
    mail.send(config["SMTP_URL"], email_of(notification, user, translate, config, job.now))
    return None


def email_of(notification: Notification, user: User, translate, config, now) -> EmailMessage:
    """The notification as a short plain-text email, with the links back to the site."""
    base = str(config.get("BASE_URL") or "").rstrip("/")
    lines = [said(notification.body_message, translate), ""]
    if notification.link:
        lines.append(said(text(OPEN, url=base + notification.link), translate))
    lines += [said(text(ALL_MESSAGES, url=base + INBOX), translate), "",
              said(text(STOP_EMAILS, url=base + PREFERENCES), translate)]
    sender = parseaddr(config["MAIL_FROM"])[1]
    message = EmailMessage()
    message["Subject"] = said(notification.title_message, translate)
    message["From"] = config["MAIL_FROM"]
    message["To"] = Address(user.name, addr_spec=user.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<notification-{notification.id}@{sender.rpartition('@')[2] or 'linli'}>"
    message.set_content("\n".join(lines) + "\n")
    return message


def _text(job, notification: Notification, user: User, translate) -> str | None:
    provider = job.plugins.sms_providers.get(job.config.get("SMS_PROVIDER") or "")
    if provider is None or not provider.is_configured(job.config):
        return "sms: no provider configured"
    phone = user.profile.phone if user.profile is not None else None
    if not phone:
        return "sms: no phone"
    title, body = notification.title_message, notification.body_message
    params = {name: said(value, translate) for name, value in {**title.params, **body.params}.items()}
    words = said(text(TEXT, title=title, body=body), translate)
    provider.send(Sms(phone=phone, kind=notification.kind, text=words, params=params), job.config)
    return None


CHANNELS = {"email": ("emailed_at", _email), "sms": ("texted_at", _text)}
"""Each channel: the column that records it sent, and how it sends (None when sent, else why not)."""


DELIVER = Task(DELIVERY_TASK, deliver)
