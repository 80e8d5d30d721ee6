"""Every logged-in user's inbox: what Linli told them, newest first, and how they want to be told."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _

from core import notifications
from core.db import commit
from core.api.notifications import PreferencesSchema
from core.request_session import session as db_session
from core.web.common import back_to, home_community, logged_in, page_blueprint
from core.web.forms import NotificationPreferencesForm
from core.web.i18n import DEFAULT_ZONE
from core.web.plugin_pages import load_input, submit_form

bp = page_blueprint("web_inbox", __name__, url_prefix="/my")
PAGE = 30


@bp.route("/notifications")
def inbox():
    """The user's notifications, newest first, unread ones in bold, each leading to its page."""
    user, db = logged_in(), db_session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    rows = db.scalars(notifications.inbox_query(user.id).limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    community = home_community(user)
    return render_template("inbox/inbox.html", items=rows[:PAGE], more=len(rows) > PAGE, page=page,
                           unread=notifications.unread_count(db, user.id),
                           tz=community.timezone if community else DEFAULT_ZONE)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int):
    user, db = logged_in(), db_session()
    notifications.mark_read(db, user.id, notification_id)
    commit(db)
    return back_to("web_inbox.inbox")


@bp.route("/notifications/read-all", methods=["POST"])
def mark_all_read():
    user, db = logged_in(), db_session()
    notifications.mark_all_read(db, user.id)
    commit(db)
    return back_to("web_inbox.inbox")


@bp.route("/notification-preferences", methods=["GET", "POST"])
def preferences():
    """Emails and texts besides the inbox, and their language: the same choices as the API's."""
    user = logged_in()
    chosen = notifications.preferences(db_session(), user.id)
    form = NotificationPreferencesForm(obj=chosen)
    _done, error, status = submit_form(form, lambda db: notifications.choose(db, user.id, **load_input(
        PreferencesSchema, {"email": form.email.data, "sms": form.sms.data, "language": form.language.data})))
    if form.is_submitted() and status == 200:
        flash(_("Your choices are saved."), "success")
        return back_to("web_inbox.preferences")
    return render_template("inbox/preferences.html", form=form, error=error, user=user), status
