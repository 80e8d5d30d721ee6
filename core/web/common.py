"""What every page shares: the logged-in user, role checks, domain errors as messages, and redirects."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import policy
from core.auth import issue_token, revoke_token, user_for_token
from core.db import commit, rollback
from core.accounts import COMMUNITY_NOT_FOUND
from core.errors import DomainError, Forbidden, Unauthorized, text
from core.models import Community, User
from core.request_session import session as db_session
from core.security import INVISIBLE_CHARACTERS, INVISIBLE_CHARACTERS_HERE, refused_text
from core.web.i18n import say, status_headline
from core.web.schema_form import PREFIX as DETAILS

LOGIN_KEY = "login"
"""The session cookie's key for the random id of the login's server-side record (an ``api_tokens`` row): logging
out revokes the record, so a copy of the cookie taken before is worth nothing."""


def linli():
    return current_app.extensions["linli"]


def web_user() -> User | None:
    """The user of the live login the session cookie names (one query); None once it is revoked or expired."""
    if "web_user" not in g:
        token = session.get(LOGIN_KEY)
        user = None
        if isinstance(token, str) and token:
            try:
                user = user_for_token(db_session(), token)
            except Unauthorized:
                session.pop(LOGIN_KEY, None)
        g.web_user = user
    return g.web_user


def log_in(db: Session, user: User) -> None:
    """A fresh session for the user, keeping only the language they chose; the caller commits its record."""
    lang = session.get("lang")
    _end_login(db)
    session.clear()
    token, _row = issue_token(db, user, current_app.config["TOKEN_HOURS"])
    session[LOGIN_KEY] = token
    if lang:
        session["lang"] = lang


def log_out(db: Session) -> None:
    """Revoke the login's record (the caller commits) and forget everything but the language."""
    lang = session.get("lang")
    _end_login(db)
    session.clear()
    if lang:
        session["lang"] = lang


def _end_login(db: Session) -> None:
    token = session.get(LOGIN_KEY)
    if isinstance(token, str) and token:
        revoke_token(db, token)


def logged_in() -> User:
    """The logged-in user, whatever their roles; else to the login page."""
    return policy.require_user(web_user())


def require(*roles: str, community_id: int | None = None, operator_id: int | None = None) -> User:
    """The logged-in user holding one of ``roles`` in that scope; else 401 (to the login page) or 403."""
    return policy.require(logged_in(), *roles, community_id=community_id, operator_id=operator_id)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, so the login page cannot send anyone elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def community_or_404(slug: str) -> Community:
    community = db_session().scalar(select(Community).where(Community.slug == slug)) if len(slug) <= 64 else None
    if community is None:
        raise COMMUNITY_NOT_FOUND(community=slug)
    return community


def home_community(user: User | None) -> Community | None:
    """The community a user belongs to (their first grant or profile), else the first one."""
    db = db_session()
    ids = [user.profile.community_id] if user is not None and user.profile else []
    ids += [g.community_id for g in (user.grants if user else []) if g.community_id]
    if ids:
        return db.get(Community, ids[0])
    return db.scalar(select(Community).order_by(Community.id).limit(1))


def today_in(community: Community) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(community.timezone)).date()


def attempt(action):
    """Run a service call and commit; a domain error is rolled back and returned for the form to show.

    Every page's change comes through here, so this is where a form carrying text Linli never stores (control
    or bidi characters) is refused, each such field named, before the service runs.
    """
    refused = _refused_fields()
    if refused is not None:
        return None, refused
    db = db_session()
    try:
        result = action(db)
        commit(db)
        return result, None
    except DomainError as error:
        rollback(db)
        return None, error


def _refused_fields() -> DomainError | None:
    """The posted form's fields holding text Linli never stores (a plugin's detail ``details-x`` as ``details.x``)."""
    message = text(INVISIBLE_CHARACTERS_HERE)
    errors: dict = {}
    for name, values in request.form.lists():
        if refused_text(values) is not None:
            if name.startswith(DETAILS):
                errors.setdefault("details", {})[name.removeprefix(DETAILS)] = [message]
            else:
                errors[name] = [message]
    if not errors:
        return None
    return INVISIBLE_CHARACTERS(errors=errors)


def field_errors(error: DomainError | None) -> dict[str, list[str]]:
    """A domain error's field messages in the reader's language, flattened (``details.address`` becomes
    ``address``)."""
    flat: dict[str, list[str]] = {}

    def walk(errors, name=None):
        if isinstance(errors, dict):
            for key, value in errors.items():
                walk(value, str(key) if name in (None, "details") else f"{name}.{key}")
        elif isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
            flat.setdefault(name or "form", []).extend(say(e) for e in errors)
        elif isinstance(errors, list):
            for value in errors:
                walk(value, name)
        elif errors is not None:
            flat.setdefault(name or "form", []).append(say(errors))

    walk(error.errors if error else None)
    return flat


def show_field_errors(form, error: DomainError, names: dict[str, str] | None = None) -> DomainError | None:
    """Put a service's field messages under the form's fields (``names`` maps a service field to a form field);
    return the error if none of them found a field, for the page to show above the form."""
    placed = False
    for name, messages in field_errors(error).items():
        target = (names or {}).get(name, name)
        if target in form:
            form[target].errors = list(form[target].errors) + messages
            placed = True
    return None if placed else error


def headline(error: DomainError) -> str:
    """A plain sentence for the kind of error; the service's own sentence (``say(error.detail)``) follows it."""
    return status_headline(error.status)


def flash_error(error: DomainError) -> None:
    flash(f"{headline(error)} {say(error.detail)}", "error")


def back_to(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), code=303)


def _render_domain_error(error: DomainError):
    rollback(db_session())
    if error.status == 401:
        return redirect(url_for("web_auth.login", next=request.full_path.rstrip("?")))
    status = error.status if 400 <= error.status < 500 else 400
    return render_template("error.html", title=headline(error), message=say(error.detail)), status


def page_blueprint(name: str, import_name: str, url_prefix: str | None = None) -> Blueprint:
    """A blueprint of pages whose domain errors become a readable page (or the login page), never a 500."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
    blueprint.register_error_handler(DomainError, _render_domain_error)
    return blueprint


__all__ = ["Forbidden", "attempt", "back_to", "community_or_404", "field_errors", "flash_error", "headline",
           "home_community", "linli", "log_in", "logged_in", "log_out", "page_blueprint", "require", "safe_next",
           "show_field_errors",
           "today_in", "web_user"]
