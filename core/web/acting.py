"""Acting for a resident (代办): staff, the operator's staff or a linked family member book and cancel in a
resident's name, with a banner naming that resident on every page until they stop.

The session remembers whom the user acts for; every request checks again that they still may (a resident who
moved away, or a link the office removed, ends it), and the booking itself checks once more for its operator.
"""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import policy, residents
from core.errors import DomainError
from core.models import Community, ResidentProfile, User
from core.request_session import session as db_session
from core.web.common import home_community, logged_in, page_blueprint, require, safe_next, web_user
from core.web.forms import ActionForm

bp = page_blueprint("web_acting", __name__)
ACTING_KEY = "acting_for"
CHOICES = 20


def acting_for() -> User | None:
    """The resident the logged-in user is acting for now, or None."""
    if "acting_for" not in g:
        g.acting_for = None
        resident_id, user = session.get(ACTING_KEY), web_user()
        if isinstance(resident_id, int) and user is not None:
            try:
                g.acting_for = residents.acting_for(db_session(), user, resident_id)
            except DomainError:
                session.pop(ACTING_KEY, None)
    return g.acting_for


def customer() -> tuple[User, int | None]:
    """Who is booking and for whom: (the user, the resident's id) when acting; (the resident, None) otherwise."""
    resident = acting_for()
    if resident is not None:
        return logged_in(), resident.id
    return require("resident"), None


def may_act(user: User | None) -> bool:
    """Whether the menu offers "Book for a resident": staff, operator staff, or someone the office linked."""
    if user is None:
        return False
    return bool(policy.community_ids(user, "community_staff") or policy.operator_ids(user)
                or policy.is_admin(user) or residents.helped_by(db_session(), user))


def _communities(user: User) -> list[int]:
    """The communities whose residents this user may look up: as staff, or as the staff of an operator there."""
    if policy.is_admin(user):
        community = home_community(user)
        return [community.id] if community else []
    ids = policy.community_ids(user, "community_staff") | policy.community_ids(user, "operator_staff")
    return sorted(ids)


@bp.route("/act-for")
def choose():
    """Find the resident to act for: by the start of the name or the last digits of the phone; or a linked one.
    ``next`` (a page of this site, e.g. the booking of a time chosen on a service's page) is where acting starts."""
    user = logged_in()
    if not may_act(user):
        raise policy.ROLE_REQUIRED()
    db, q = db_session(), request.args.get("q", "").strip()[:100]
    found: list[ResidentProfile] = []
    if q:
        for community_id in _communities(user):
            query = residents.listed(residents.search(community_id, q).where(ResidentProfile.status != "inactive"))
            found += db.scalars(query.limit(CHOICES)).all()
    linked = residents.helped_by(db, user)
    names = {c.id: c.name for c in db.scalars(select(Community).where(
        Community.id.in_({p.community_id for p in found + linked})))}
    return render_template("acting/choose.html", q=q, found=found[:CHOICES], linked=linked, names=names,
                           form=ActionForm(), staff=bool(policy.community_ids(user, "community_staff")),
                           next=safe_next(request.args.get("next")))


@bp.route("/act-for/<int:resident_id>", methods=["POST"])
def start(resident_id: int):
    user = logged_in()
    resident = residents.acting_for(db_session(), user, resident_id)
    session[ACTING_KEY] = resident.id
    flash(_("You are now acting for %(name)s: what you book is theirs, at their price.", name=resident.name),
          "success")
    return redirect(safe_next(request.form.get("next")) or url_for("web_public.home"), code=303)


@bp.route("/act-for/stop", methods=["POST"])
def stop():
    resident = acting_for()
    session.pop(ACTING_KEY, None)
    if resident is not None:
        flash(_("You are no longer acting for %(name)s.", name=resident.name), "success")
    return redirect(url_for("web_public.home"), code=303)
