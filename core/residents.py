"""The resident register: community staff register, find, correct and deactivate residents; residents sign up.

Staff entering a date of birth have seen the ID card, so it counts as verified (who and when are kept, the ID
number never is). A resident who signs up is ``pending``: their stated date of birth gives no age-based price
until the office verifies them. A phone identifies a resident in their community — for logging in, importing a
spreadsheet again, and finding them at the counter — and is stored as the 11 digits of a mainland mobile number.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.orm import Session, contains_eager, lazyload

from core import audit, policy
from core.accounts import check_new_email, check_password
from core.auth import hash_password
from core.db import PatternOrder, utcnow
from core.errors import N_, VALIDATION_FAILED, DomainError, conflict, forbidden, invalid, not_found
from core.phones import SEPARATORS, normalize_phone
from core.models import (
    RESIDENT_STATUSES, ApiToken, Community, Helper, Operator, ResidentProfile, RoleGrant, User, VerifiedAttribute,
)

NAME_LENGTH = 200
ADDRESS_LENGTH = 300
BUILDING_LENGTH = 50
OLDEST_BIRTH = dt.date(1900, 1, 1)
SEARCH_LIMIT = 50
RECHECK_DAYS = 30

PHONE_TAKEN = conflict("phone_taken", N_("A resident of this community already has the phone number %(phone)s."))
BIRTH_IN_FUTURE = invalid("birth_in_future", N_("The date of birth cannot be after today."))
BIRTH_TOO_EARLY = invalid("birth_too_early", N_("Please check the date of birth: it is before 1900."))
NAME_REQUIRED = invalid("name_required", N_("Please write the resident's name."))
RESIDENT_NOT_FOUND = not_found("resident_not_found", N_("There is no resident %(user_id)s in this community."))
RESIDENT_INACTIVE = conflict("resident_inactive", N_(
    "This resident has moved away (deactivated): nothing new can be booked for them."))
NOT_PENDING = conflict("not_pending", N_("This resident has been verified already."))
ALREADY_INACTIVE = conflict("already_inactive", N_("This resident has been deactivated already."))
NOT_ON_BEHALF = forbidden("not_on_behalf", N_(
    "You may act only for residents of your community, or for those the office has linked to you."))
UNKNOWN_HELPER = not_found("unknown_helper", N_("There is no user %(user_id)s."))
HELPER_IS_RESIDENT = invalid("helper_is_resident", N_("A resident cannot be linked to themselves."))
NO_SUCH_PERSON = not_found("no_such_person", N_(
    "Nobody has an account with this email, and no resident of this community has this mobile number."))


def check_birth(born: dt.date | None, today: dt.date, field: str = "date_of_birth") -> dt.date | None:
    if born is None:
        return None
    if born > today:
        raise BIRTH_IN_FUTURE(field=field)
    if born < OLDEST_BIRTH:
        raise BIRTH_TOO_EARLY(field=field)
    return born


@dataclass(frozen=True)
class Particulars:
    """What the office writes down about a resident; None leaves a field as it is when correcting."""

    name: str | None = None
    phone: str | None = None
    date_of_birth: dt.date | None = None
    address: str | None = None
    building: str | None = None
    email: str | None = None
    password: str | None = None


def _phone_free(session: Session, community_id: int, phone: str, user_id: int | None = None) -> None:
    query = select(ResidentProfile.user_id).where(ResidentProfile.community_id == community_id,
                                                  ResidentProfile.phone == phone)
    if user_id is not None:
        query = query.where(ResidentProfile.user_id != user_id)
    if session.scalar(query) is not None:
        raise PHONE_TAKEN(phone=phone, field="phone")


def _name(raw: str | None) -> str:
    name = (raw or "").strip()
    if not name:
        raise NAME_REQUIRED(field="name")
    return name[:NAME_LENGTH]


def every_field(checks: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Each field's checked value; one error that names every field that failed, not just the first."""
    values, failed = {}, []
    for name, check in checks.items():
        try:
            values[name] = check()
        except DomainError as error:
            failed.append(error)
    if len(failed) == 1:
        raise failed[0]
    if failed:
        raise VALIDATION_FAILED(errors={k: v for error in failed for k, v in (error.errors or {}).items()})
    return values


def _new_resident(session: Session, community: Community, particulars: Particulars, status: str,
                  today: dt.date) -> ResidentProfile:
    """A resident of the community, every field checked at once; one who signs up (pending) needs a password."""
    checked = every_field({
        "name": lambda: _name(particulars.name),
        "phone": lambda: normalize_phone(particulars.phone),
        "date_of_birth": lambda: check_birth(particulars.date_of_birth, today),
        "email": lambda: check_new_email(session, particulars.email) if particulars.email else None,
        "password": lambda: check_password(particulars.password or "")
        if particulars.password or status == "pending" else None,
    })
    name, phone, born, email, password = (checked[k] for k in ("name", "phone", "date_of_birth", "email", "password"))
    _phone_free(session, community.id, phone)
    # Without a password nobody can log in as them until one is set: "!" is no hash of anything.
    user = User(email=email, name=name, password_hash=hash_password(password) if password else "!")
    session.add(user)
    session.flush()
    session.add(RoleGrant(user_id=user.id, role="resident", community_id=community.id))
    profile = ResidentProfile(user_id=user.id, community_id=community.id, phone=phone, date_of_birth=born,
                              address=_clean(particulars.address, ADDRESS_LENGTH),
                              building=_clean(particulars.building, BUILDING_LENGTH), status=status,
                              registered_at=utcnow())
    session.add(profile)
    session.flush()
    session.refresh(user)
    return profile


def _clean(value: str | None, length: int) -> str | None:
    value = (value or "").strip()
    return value[:length] or None


def register(session: Session, actor: User | None, community: Community, particulars: Particulars,
             today: dt.date) -> ResidentProfile:
    """The office registers a resident; the date of birth it enters is verified by the one entering it."""
    policy.require(actor, "community_staff", community_id=community.id)
    profile = _new_resident(session, community, particulars, "active", today)
    if profile.date_of_birth is not None:
        _verify_birth(profile, actor)
    audit.record(session, actor, "resident_registered", "resident", profile.user_id, community.id)
    return profile


def enter(session: Session, actor: User | None, community_id: int, new: list[Particulars],
          corrections: list[tuple[int, Particulars]]) -> None:
    """The office's own list written in bulk (an imported spreadsheet): a statement per table, not three per person.

    ``new`` become active residents; ``corrections`` change residents by id where a field is not None. The caller
    checks the role, and each entry by the register's rules (a name, a normalized phone nobody in the community has,
    an email nobody has, the lengths). A date of birth entered is verified by ``actor`` (None: the system).
    """
    now, verifier = utcnow(), actor.id if actor else None
    if new:
        ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True),
                              [{"email": p.email, "name": p.name, "password_hash": "!"} for p in new]).all()
        session.execute(insert(RoleGrant), [{"user_id": i, "role": "resident", "community_id": community_id}
                                            for i in ids])
        session.execute(insert(ResidentProfile), [
            {"user_id": i, "community_id": community_id, "phone": p.phone, "date_of_birth": p.date_of_birth,
             "address": p.address, "building": p.building, "status": "active", "registered_at": now,
             "born_verified_by_id": verifier if p.date_of_birth else None,
             "born_verified_at": now if p.date_of_birth else None} for i, p in zip(ids, new)])
    born = {"born_verified_by_id": verifier, "born_verified_at": now}
    _update_by_id(session, User, [{"id": i} | _given(p, "name", "email") for i, p in corrections])
    _update_by_id(session, ResidentProfile, [
        {"user_id": i} | _given(p, "date_of_birth", "address", "building") | (born if p.date_of_birth else {})
        for i, p in corrections])


def _given(particulars: Particulars, *keys: str) -> dict:
    return {key: getattr(particulars, key) for key in keys if getattr(particulars, key) is not None}


def _update_by_id(session: Session, model, rows: list[dict]) -> None:
    """UPDATE by primary key, one executemany per set of columns changed."""
    by_columns: dict[frozenset, list[dict]] = {}
    for row in rows:
        if len(row) > 1:
            by_columns.setdefault(frozenset(row), []).append(row)
    for group in by_columns.values():
        session.execute(update(model), group)


def sign_up(session: Session, community: Community, particulars: Particulars, today: dt.date) -> ResidentProfile:
    """A resident registers themselves: pending until the office verifies them, and their age unverified."""
    profile = _new_resident(session, community, particulars, "pending", today)
    audit.record(session, profile.user, "resident_signed_up", "resident", profile.user_id, community.id)
    return profile


def _verify_birth(profile: ResidentProfile, actor: User) -> None:
    profile.born_verified_by_id = actor.id
    profile.born_verified_at = utcnow()


def correct(session: Session, actor: User | None, profile: ResidentProfile, changes: Particulars,
            today: dt.date) -> ResidentProfile:
    """The office corrects a resident's particulars; a date of birth it enters is verified by it."""
    policy.require(actor, "community_staff", community_id=profile.community_id)
    user = profile.user
    changed = []
    if changes.name is not None:
        user.name = _name(changes.name)
        changed.append("name")
    if changes.phone is not None:
        phone = normalize_phone(changes.phone)
        _phone_free(session, profile.community_id, phone, profile.user_id)
        profile.phone = phone
        changed.append("phone")
    if changes.date_of_birth is not None:
        profile.date_of_birth = check_birth(changes.date_of_birth, today)
        _verify_birth(profile, actor)
        changed.append("date_of_birth")
    for key, length in (("address", ADDRESS_LENGTH), ("building", BUILDING_LENGTH)):
        if getattr(changes, key) is not None:
            setattr(profile, key, _clean(getattr(changes, key), length))
            changed.append(key)
    if changes.email is not None:
        user.email = check_new_email(session, changes.email, user.id) if changes.email.strip() else None
        changed.append("email")
    if changes.password is not None:
        user.password_hash = hash_password(check_password(changes.password))
        changed.append("password")
    audit.record(session, actor, "resident_corrected", "resident", profile.user_id, profile.community_id,
                 fields=changed)
    return profile


def verify(session: Session, actor: User | None, profile: ResidentProfile) -> ResidentProfile:
    """The office has seen a pending resident's ID card: they become active and their date of birth counts."""
    policy.require(actor, "community_staff", community_id=profile.community_id)
    if profile.status != "pending":
        raise NOT_PENDING()
    profile.status = "active"
    if profile.date_of_birth is not None:
        _verify_birth(profile, actor)
    audit.record(session, actor, "resident_verified", "resident", profile.user_id, profile.community_id)
    return profile


def deactivate(session: Session, actor: User | None, profile: ResidentProfile) -> ResidentProfile:
    """A resident moved away: their history stays, they cannot log in, nothing new is booked for them."""
    policy.require(actor, "community_staff", community_id=profile.community_id)
    if profile.status == "inactive":
        raise ALREADY_INACTIVE()
    profile.status = "inactive"
    profile.user.is_active = False
    session.execute(update(ApiToken).where(ApiToken.user_id == profile.user_id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
    audit.record(session, actor, "resident_deactivated", "resident", profile.user_id, profile.community_id)
    return profile


def profile_or_404(session: Session, user_id: int, community_id: int | None = None) -> ResidentProfile:
    profile = session.get(ResidentProfile, user_id)
    if profile is None or (community_id is not None and profile.community_id != community_id):
        raise RESIDENT_NOT_FOUND(user_id=user_id)
    return profile


def staff_profile(session: Session, actor: User | None, user_id: int) -> ResidentProfile:
    """A resident of a community the actor works in as staff; 403 for a role without the register, else 404."""
    policy.require_user(actor)
    if not policy.is_admin(actor) and not policy.community_ids(actor, "community_staff"):
        raise policy.ROLE_REQUIRED()
    profile = session.get(ResidentProfile, user_id)
    if profile is None or not policy.has_role(actor, "community_staff", community_id=profile.community_id):
        raise RESIDENT_NOT_FOUND(user_id=user_id)
    return profile


def status_counts(session: Session, community_id: int) -> dict[str, int]:
    """How many residents of the community are pending, active and inactive (one grouped count)."""
    counted = dict(session.execute(select(ResidentProfile.status, func.count()).where(
        ResidentProfile.community_id == community_id).group_by(ResidentProfile.status)).all())
    return {status: counted.get(status, 0) for status in RESIDENT_STATUSES}


def search(community_id: int, q: str | None = None, status: str | None = None):
    """The register's query: by the start of a name, or by the start or the end of a phone number.

    Only beginnings and endings, so that PostgreSQL's B-tree indexes (migration 0007) serve every query, however
    short: a Chinese name is often two characters, and the counter types the last four digits of a phone. Residents
    come in the order of their lower-cased names.
    """
    query = (select(ResidentProfile).join(User, User.id == ResidentProfile.user_id)
             .where(ResidentProfile.community_id == community_id))
    if status:
        query = query.where(ResidentProfile.status == status)
    words = SEPARATORS.sub("", q or "")
    if words.isdigit() and len(words) >= 3:
        digits = words[-11:]
        query = query.where(or_(ResidentProfile.phone.like(f"{digits}%"), _phone_ends_with(digits)))
    elif (q or "").strip():
        prefix = _escape_like(q.strip().lower())
        query = query.where(func.lower(User.name).like(f"{prefix}%", escape="\\"))
    # In the order of the name index: a page of 100,000 residents is read from the index, not sorted.
    return query.order_by(PatternOrder(func.lower(User.name)), ResidentProfile.user_id)


def listed(query):
    """A register query that reads each resident's name from its own join, and nothing else of the account (their
    roles, their profile again): what a list of residents shows, in one statement."""
    return query.options(contains_eager(ResidentProfile.user).options(lazyload(User.grants), lazyload(User.profile)))


def _phone_ends_with(digits: str):
    """``reverse(phone) LIKE '4321%'``: served by an index on PostgreSQL, where ``LIKE '%1234'`` is not."""
    return func.reverse(ResidentProfile.phone).like(f"{digits[::-1]}%")


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def recheck_query(community_id: int, today: dt.date, days: int = RECHECK_DAYS) -> Select:
    """Verified attributes that end within ``days`` (or have ended), with their residents, the soonest first."""
    return (select(VerifiedAttribute, ResidentProfile)
            .join(ResidentProfile, ResidentProfile.user_id == VerifiedAttribute.user_id)
            .where(ResidentProfile.community_id == community_id, ResidentProfile.status != "inactive",
                   VerifiedAttribute.expires_on.is_not(None),
                   VerifiedAttribute.expires_on <= today + dt.timedelta(days=days))
            .order_by(VerifiedAttribute.expires_on, VerifiedAttribute.id))


def due_for_recheck(session: Session, community_id: int, today: dt.date, days: int = RECHECK_DAYS):
    """What the office re-checks (低保 yearly): :func:`recheck_query`'s rows."""
    return session.execute(recheck_query(community_id, today, days)).all()


# --- acting for a resident ---------------------------------------------------------------------------------------


def may_act_for(session: Session, actor: User, profile: ResidentProfile, operator: Operator | None = None) -> bool:
    """Community staff for their community's residents; a helper the office linked; operator staff for their own
    operator's services to the residents of its community (without ``operator``: the staff of any operator there, a
    first check made before the service is known)."""
    if policy.has_role(actor, "community_staff", community_id=profile.community_id):
        return True
    if operator is None and policy.has_role(actor, "operator_staff", community_id=profile.community_id):
        return True
    if operator is not None and operator.community_id == profile.community_id \
            and policy.has_role(actor, "operator_staff", operator_id=operator.id):
        return True
    return is_helper(session, actor, profile.user_id)


def acting_for(session: Session, actor: User | None, resident_id: int, operator: Operator | None = None) -> User:
    """The resident ``actor`` books or cancels for; 403 unless they may, 409 if the resident moved away."""
    policy.require_user(actor)
    profile = session.get(ResidentProfile, resident_id)
    if profile is None or not may_act_for(session, actor, profile, operator):
        raise NOT_ON_BEHALF()
    if profile.status == "inactive":
        raise RESIDENT_INACTIVE()
    return profile.user


def link_helper(session: Session, actor: User | None, profile: ResidentProfile, helper: User) -> Helper:
    """The office lets a family member (or a neighbour) book for this resident."""
    policy.require(actor, "community_staff", community_id=profile.community_id)
    if helper.id == profile.user_id:
        raise HELPER_IS_RESIDENT(field="helper_id")
    link = session.scalar(select(Helper).where(Helper.resident_id == profile.user_id, Helper.helper_id == helper.id))
    if link is None:
        link = Helper(resident_id=profile.user_id, helper_id=helper.id, linked_by_id=actor.id)
        session.add(link)
        session.flush()
        audit.record(session, actor, "helper_linked", "resident", profile.user_id, profile.community_id,
                     helper_id=helper.id)
    return link


def find_person(session: Session, community_id: int, contact: str, field: str = "contact") -> User:
    """Someone to link as a helper, by their email (any account) or mobile number (a resident of this community)."""
    contact = (contact or "").strip()
    if "@" in contact:
        user = session.scalar(select(User).where(User.email == contact.lower()))
    else:
        phone = normalize_phone(contact, field=field)
        user = session.scalar(select(User).join(ResidentProfile, ResidentProfile.user_id == User.id).where(
            ResidentProfile.community_id == community_id, ResidentProfile.phone == phone))
    if user is None:
        raise NO_SUCH_PERSON(field=field)
    return user


def is_helper(session: Session, helper: User, resident_id: int) -> bool:
    return session.scalar(select(Helper.id).where(Helper.resident_id == resident_id,
                                                  Helper.helper_id == helper.id)) is not None


def helpers_of(session: Session, resident_id: int) -> list[tuple[Helper, User]]:
    """Who the office lets book for this resident, and when it linked them."""
    return [tuple(row) for row in session.execute(
        select(Helper, User).join(User, User.id == Helper.helper_id).where(Helper.resident_id == resident_id)
        .order_by(Helper.linked_at, Helper.id))]


def helped_ids(helper: User):
    """The ids of the residents the office has linked this person to, as a subquery."""
    return select(Helper.resident_id).where(Helper.helper_id == helper.id)


def helped_by(session: Session, helper: User) -> list[ResidentProfile]:
    """The residents the office has linked this person to."""
    return list(session.scalars(select(ResidentProfile).join(Helper, Helper.resident_id == ResidentProfile.user_id)
                                .where(Helper.helper_id == helper.id, ResidentProfile.status != "inactive")))
