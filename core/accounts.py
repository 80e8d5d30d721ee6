"""Creating people and granting roles; verified attributes of residents."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import hash_password
from core.errors import Conflict, Invalid, NotFound
from core.models import ROLES, Community, ResidentProfile, RoleGrant, User


def create_user(session: Session, email: str, name: str, password: str,
                grants: list[tuple[str, int | None, int | None]] = ()) -> User:
    """A user with ``grants`` of (role, community_id, operator_id)."""
    email = email.strip().lower()
    if "@" not in email:
        raise Invalid("invalid email", {"email": ["not an email address"]})
    if len(password) < 8:
        raise Invalid("password too short", {"password": ["at least 8 characters"]})
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user {email} exists already")
    user = User(email=email, name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    for role, community_id, operator_id in grants:
        grant(session, user, role, community_id, operator_id)
    return user


def grant(session: Session, user: User, role: str, community_id: int | None = None,
          operator_id: int | None = None) -> RoleGrant:
    if role not in ROLES:
        raise Invalid("unknown role", {"role": [f"one of {', '.join(ROLES)}"]})
    row = RoleGrant(user_id=user.id, role=role, community_id=community_id, operator_id=operator_id)
    session.add(row)
    user.grants.append(row)
    if role == "resident" and user.profile is None:
        session.add(ResidentProfile(user_id=user.id, community_id=community_id))
        session.flush()
        session.refresh(user, ["profile"])
    return row


def parse_role(session: Session, spec: str) -> tuple[str, int | None, int | None]:
    """``admin``, ``ROLE@COMMUNITY_SLUG`` or ``operator_staff@COMMUNITY_SLUG/OPERATOR_ID`` into a grant tuple."""
    role, _, scope = spec.partition("@")
    slug, _, operator = scope.partition("/")
    if role != "admin" and not slug:
        raise Invalid("a role needs a community", {"role": [f"write {role}@COMMUNITY_SLUG"]})
    community_id = None
    if slug:
        community_id = session.scalar(select(Community.id).where(Community.slug == slug))
        if community_id is None:
            raise NotFound(f"no community {slug}")
    if role == "operator_staff" and not operator.isdigit():
        raise Invalid("operator staff need an operator", {"role": ["write operator_staff@COMMUNITY_SLUG/OPERATOR_ID"]})
    return role, community_id, int(operator) if operator.isdigit() else None


def set_date_of_birth(session: Session, user: User, born: dt.date) -> None:
    user.profile.date_of_birth = born
