"""The logged-in user's notifications, in the reader's language, and how they want to be told."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import notifications, policy
from core.api.common import ApiBlueprint, JsonBoolean, PageArgs, current_user, page_schema, paginate
from core.db import commit
from core.models.notification import LANGUAGES
from core.request_session import session
from core.web.i18n import say

blp = ApiBlueprint("notifications", __name__, url_prefix="/me", description="Your notifications")


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "booking_confirmed, booking_reminder, proposal_vote…"})
    title = fields.Function(lambda n: say(n.title_message), metadata={"description": "in the reader's language"})
    body = fields.Function(lambda n: say(n.body_message), metadata={"description": "in the reader's language"})
    link = fields.String(allow_none=True, metadata={"description": "the page of the site it is about (a path)"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxSchema(page_schema(NotificationSchema)):
    unread = fields.Integer(metadata={"description": "how many notifications are not read yet (of all pages)"})


class PreferencesSchema(Schema):
    email = JsonBoolean(required=True, metadata={"description": "emails too (when you have an email address)"})
    sms = JsonBoolean(required=True, metadata={"description": "texts too (when you have a mobile phone number)"})
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "the language of the emails and texts"})


@blp.route("/notifications")
@blp.arguments(PageArgs, location="query")
@blp.response(200, InboxSchema)
def list_notifications(args):
    """Your notifications, newest first, each said in the reader's language (Accept-Language), with how many are
    unread."""
    user, db = policy.require_user(current_user()), session()
    return {**paginate(db, notifications.inbox_query(user.id), args),
            "unread": notifications.unread_count(db, user.id)}


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
def read_notification(notification_id):
    """Mark one of your notifications read; reading it again keeps the time it was first read. Another's: 404."""
    db = session()
    notification = notifications.mark_read(db, policy.require_user(current_user()).id, notification_id)
    commit(db)
    return notification


@blp.route("/notification-preferences")
@blp.response(200, PreferencesSchema)
def get_preferences():
    """How you want to be told besides your inbox, and in which language (email and texts on, Chinese, until you
    choose)."""
    return notifications.preferences(session(), policy.require_user(current_user()).id)


@blp.route("/notification-preferences", methods=["PUT"])
@blp.arguments(PreferencesSchema)
@blp.response(200, PreferencesSchema)
def put_preferences(data):
    """Choose whether to get emails and texts too, and their language."""
    db = session()
    chosen = notifications.choose(db, policy.require_user(current_user()).id, **data)
    commit(db)
    return chosen
