"""Creating people and granting roles; verified attributes of residents."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import hash_password
from core.errors import N_, conflict, invalid, not_found
from core.models import ROLES, Community, ResidentProfile, RoleGrant, User


NOT_AN_EMAIL = invalid("not_an_email", N_("Please write an email address, e.g. name@example.org."))
PASSWORD_TOO_SHORT = invalid("password_too_short", N_("Please choose a password of at least %(least)s characters."))
EMAIL_TAKEN = conflict("email_taken", N_("Someone already has an account with %(email)s."))
UNKNOWN_ROLE = invalid("unknown_role", N_("There is no such role: choose one of %(roles)s."))
ROLE_NEEDS_COMMUNITY = invalid("role_needs_community", N_(
    "A role is held in a community: write %(role)s@COMMUNITY_SLUG."))
ROLE_NEEDS_OPERATOR = invalid("role_needs_operator", N_(
    "Operator staff work for an operator: write operator_staff@COMMUNITY_SLUG/OPERATOR_ID."))
COMMUNITY_NOT_FOUND = not_found("community_not_found", N_("There is no community called %(community)s."))
UNKNOWN_USER = invalid("unknown_user", N_("There is no such person."))
NO_ACCOUNT = invalid("no_account_with_email", N_("Nobody has an account with this email."))
PASSWORD_LEAST = 8

def check_new_email(session: Session, email: str, user_id: int | None = None) -> str:
    """A well-formed email nobody else has, lowercased."""
    email = well_formed_email(email)
    query = select(User.id).where(User.email == email)
    if user_id is not None:
        query = query.where(User.id != user_id)
    if session.scalar(query):
        raise EMAIL_TAKEN(email=email, field="email")
    return email


def well_formed_email(email: str) -> str:
    """The email lowercased, if it looks like one (whether someone has it is for the caller to ask)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise NOT_AN_EMAIL(field="email")
    return email


def check_password(password: str) -> str:
    if len(password) < PASSWORD_LEAST:
        raise PASSWORD_TOO_SHORT(least=PASSWORD_LEAST, field="password")
    return password


def create_user(session: Session, email: str, name: str, password: str,
                grants: list[tuple[str, int | None, int | None]] = ()) -> User:
    """A user with ``grants`` of (role, community_id, operator_id)."""
    email = check_new_email(session, email)
    user = User(email=email, name=name, password_hash=hash_password(check_password(password)))
    session.add(user)
    session.flush()
    for role, community_id, operator_id in grants:
        grant(session, user, role, community_id, operator_id)
    return user


def grant(session: Session, user: User, role: str, community_id: int | None = None,
          operator_id: int | None = None) -> RoleGrant:
    if role not in ROLES:
        raise UNKNOWN_ROLE(roles=", ".join(ROLES), field="role")
    row = RoleGrant(user_id=user.id, role=role, community_id=community_id, operator_id=operator_id)
    session.add(row)
    user.grants.append(row)
    if role == "resident" and user.profile is None:
        session.add(ResidentProfile(user_id=user.id, community_id=community_id))
        session.flush()
        session.refresh(user, ["profile"])
    return row


def user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == well_formed_email(email)))
    if user is None:
        raise NO_ACCOUNT(field="email")
    return user


def grant_once(session: Session, user: User, role: str, community_id: int | None = None,
               operator_id: int | None = None) -> RoleGrant:
    """The grant, made unless the user holds it already (granting again changes nothing)."""
    held = next((g for g in user.grants if (g.role, g.community_id, g.operator_id) == (role, community_id, operator_id)),
                None)
    return held or grant(session, user, role, community_id, operator_id)


def parse_role(session: Session, spec: str) -> tuple[str, int | None, int | None]:
    """``admin``, ``ROLE@COMMUNITY_SLUG`` or ``operator_staff@COMMUNITY_SLUG/OPERATOR_ID`` into a grant tuple."""
    role, _, scope = spec.partition("@")
    slug, _, operator = scope.partition("/")
    if role != "admin" and not slug:
        raise ROLE_NEEDS_COMMUNITY(role=role, field="role")
    community_id = None
    if slug:
        community_id = session.scalar(select(Community.id).where(Community.slug == slug))
        if community_id is None:
            raise COMMUNITY_NOT_FOUND(community=slug)
    if role == "operator_staff" and not operator.isdigit():
        raise ROLE_NEEDS_OPERATOR(field="role")
    return role, community_id, int(operator) if operator.isdigit() else None
