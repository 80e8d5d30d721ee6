"""Logging in and out: the session cookie names a login record that logging out revokes (the API sends it as a
bearer token instead)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sqlalchemy import select

from core import policy
from core import residents as register
from core.auth import authenticate
from core.db import commit
from core.errors import Unauthorized
from core.models import Community
from core.request_session import session as db_session
from core.web.common import (
    attempt, community_or_404, headline, home_community, log_in, log_out, page_blueprint, safe_next,
    show_field_errors, today_in, web_user,
)
from core.web.forms import LoginForm, SignUpForm

bp = page_blueprint("web_auth", __name__)


def landing(user) -> str:
    """Where a user starts: the page of their main role."""
    community = home_community(user)
    if policy.operator_ids(user):
        return url_for("web_operator.desk")
    if community is not None and policy.has_role(user, "community_staff", community_id=community.id) \
            and not policy.is_admin(user):
        return url_for("web_staff.office", slug=community.slug)
    if community is not None and (policy.has_role(user, "committee_member", community_id=community.id)
                                  or policy.has_role(user, "charity_officer", community_id=community.id)) \
            and not policy.is_admin(user):
        return url_for("web_committee.overview", slug=community.slug)
    if policy.community_ids(user, "district_officer") and not policy.is_admin(user):
        return url_for("web_district.summary")
    return url_for("web_public.home")


def _communities(form) -> None:
    form.community.choices = [(c.slug, c.name)
                              for c in db_session().scalars(select(Community).order_by(Community.name))]


@bp.route("/login", methods=["GET", "POST"])
def login():
    db = db_session()
    form = LoginForm()
    _communities(form)
    target = safe_next(request.args.get("next"))
    status = 200
    if form.validate_on_submit():
        account = form.email.data.strip()
        community = db.scalar(select(Community.id).where(Community.slug == form.community.data)) \
            or db.scalar(select(Community.id).order_by(Community.id).limit(1))
        try:
            if "@" in account:
                user = authenticate(db, form.password.data, email=account)
            else:
                user = authenticate(db, form.password.data, community_id=community, phone=account)
        except Unauthorized:
            form.password.errors.append(_("Wrong phone number, email or password. Please try again."))
            status = 401
        else:
            log_in(db, user)
            commit(db)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(target or landing(user), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form, next=target), status


@bp.route("/logout", methods=["POST"])
def logout():
    was_in = web_user() is not None
    db = db_session()
    log_out(db)
    commit(db)
    if was_in:
        flash(_("You have logged out."), "success")
    return redirect(url_for("web_public.home"), code=303)


@bp.route("/register", methods=["GET", "POST"])
def sign_up():
    """A resident signs up with their mobile number, and is logged in; the office verifies them later."""
    if web_user() is not None:
        flash(_("You are logged in already."), "success")
        return redirect(url_for("web_resident.my_details"), code=303)
    form, error, status = SignUpForm(), None, 200
    _communities(form)
    if form.validate_on_submit():
        community = community_or_404(form.community.data)
        particulars = register.Particulars(
            name=form.name.data, phone=form.phone.data, password=form.password.data,
            date_of_birth=form.date_of_birth.data, address=form.address.data, building=form.building.data)

        def sign_up_and_log_in(db):
            profile = register.sign_up(db, community, particulars, today_in(community))
            log_in(db, profile.user)
            return profile

        _profile, error = attempt(sign_up_and_log_in)
        if error is None:
            flash(_("Welcome, %(name)s.", name=form.name.data.strip()), "success")
            return redirect(url_for("web_resident.my_details"), code=303)
        status, error = error.status, show_field_errors(form, error)
    elif form.is_submitted():
        status = 422
    return render_template("auth/sign_up.html", form=form, error=error,
                           headline=headline(error) if error else None), status
