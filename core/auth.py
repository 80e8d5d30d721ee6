"""Passwords (argon2id, memory-hard) and bearer tokens (stored only as hashes)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from core.db import utcnow
from core.errors import N_, DomainError, unauthorized
from core.models import ApiToken, ResidentProfile, User
from core.phones import normalize_phone

WRONG_CREDENTIALS = unauthorized("wrong_credentials", N_("Wrong phone number, email or password. Please try again."))
TOKEN_INVALID = unauthorized("token_invalid", N_("Your login has ended or was revoked: please log in again."))

# OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
OWASP = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_hasher = OWASP
# Verified against when the email is unknown, so a miss costs the same time as a hit.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash new passwords with ``hasher`` from now on: the test suite's cheap one; production keeps OWASP's."""
    global _hasher, _DUMMY_HASH
    _hasher, _DUMMY_HASH = hasher, hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, password: str, email: str | None = None, community_id: int | None = None,
                 phone: str | None = None) -> User:
    """The active user with these credentials — an email, or a resident's community and phone — and one generic
    error for every failure."""
    user = session.scalar(_login_query(email, community_id, phone))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.is_active:
        raise WRONG_CREDENTIALS()
    return user


def _login_query(email: str | None, community_id: int | None, phone: str | None):
    if email:
        return select(User).where(User.email == email.strip().lower())
    try:
        digits = normalize_phone(phone)
    except DomainError:
        digits = ""
    return (select(User).join(ResidentProfile, ResidentProfile.user_id == User.id)
            .where(ResidentProfile.community_id == community_id, ResidentProfile.phone == digits))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), expires_at=utcnow() + dt.timedelta(hours=hours))
    session.add(row)
    return token, row


# One statement per authenticated request: the token's user with the grants, profile and verified attributes
# that authorization and pricing read (the profile's back-reference is the same user, already in the session).
_USER_OF_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
           ApiToken.expires_at > bindparam("now"))
    .options(joinedload(User.grants),
             joinedload(User.profile).options(joinedload(ResidentProfile.attributes), lazyload(ResidentProfile.user)))
)


def user_for_token(session: Session, token: str) -> User:
    user = session.execute(_USER_OF_TOKEN, {"token_hash": _digest(token), "now": utcnow()}).unique().scalar()
    if user is None or not user.is_active:
        raise TOKEN_INVALID()
    return user


def revoke_token(session: Session, token: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
