"""The menu: the pages each of the user's roles opens, in one place.

A resident's own pages (bookings, waiting lists, complaints, volunteering, messages, details) sit behind one entry,
"Mine" (我的), whose page lists them as big links: at a phone's width the menu stays a line or two an older
reader can take in, and every page stays two taps away."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from core import notifications, policy
from core.models import Community, User
from core.request_session import session as db_session
from core.web.acting import may_act


def _communities(user: User, *roles: str) -> list[Community]:
    db = db_session()
    if policy.is_admin(user):
        return list(db.scalars(select(Community).order_by(Community.id)))
    ids = sorted(policy.community_ids(user, *roles))
    return [db.get(Community, i) for i in ids]


def menu(user: User | None) -> list[tuple[str, str]]:
    """(label, url) of the pages for this user, besides the services and the transparency pages."""
    if user is None:
        return []
    resident = policy.has_role(user, "resident")
    items = [(_("Mine"), url_for("web_resident.mine"))] if resident else []
    for community in _communities(user, "resident", "community_staff"):
        items.append((_("Residents' wishes"), url_for("web_needs.board", slug=community.slug)))
    if policy.operator_ids(user) or policy.is_admin(user):
        items.append((_("Operator desk"), url_for("web_operator.desk")))
    if may_act(user):
        items.append((_("Book for a resident"), url_for("web_acting.choose")))
    for community in _communities(user, "community_staff"):
        items.append((_("Residents"), url_for("web_register.residents", slug=community.slug)))
        items.append((_("Community office"), url_for("web_staff.office", slug=community.slug)))
        items.append((_("Monthly review"), url_for("web_reviews.review", slug=community.slug)))
        items.append((_("Complaints"), url_for("web_complaints.queue", slug=community.slug)))
        items.append((_("Volunteers"), url_for("web_volunteering.office", slug=community.slug)))
    for community in _communities(user, "committee_member", "charity_officer"):
        items.append((_("Fund"), url_for("web_committee.overview", slug=community.slug)))
    if policy.community_ids(user, "district_officer") or policy.is_admin(user):
        items.append((_("District"), url_for("web_district.summary")))
    if policy.is_admin(user):
        items.append((_("Background jobs"), url_for("web_admin.jobs")))
    if not resident:
        items.append((_("My details"), url_for("web_resident.my_details")))
    return items


def mine(user: User) -> list[tuple[str, str]]:
    """(label, url) of the resident's own pages, for the "Mine" page."""
    return [(_("My bookings"), url_for("web_resident.my_bookings")),
            (_("My waiting lists"), url_for("web_waitlist.mine")),
            (_("My complaints"), url_for("web_complaints.mine")),
            (_("My volunteering"), url_for("web_volunteering.mine")),
            (inbox(user)["label"], url_for("web_inbox.inbox")),
            (_("My details"), url_for("web_resident.my_details"))]


def inbox(user: User | None) -> dict | None:
    """The inbox in the menu, saying plainly how many messages are new ("3 条新消息"); one indexed count."""
    if user is None:
        return None
    unread = notifications.unread_count(db_session(), user.id)
    label = ngettext("%(num)d new message", "%(num)d new messages", unread) if unread else _("My messages")
    return {"label": label, "url": url_for("web_inbox.inbox"), "unread": unread}
