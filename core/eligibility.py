"""Verified attributes of residents: set and cleared by community staff only, with who and when."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, policy
from core.errors import N_, conflict, invalid, not_found
from core.models import ResidentProfile, User, VerifiedAttribute
from core.pricing import ATTRIBUTES


RESIDENT_NOT_FOUND = not_found("resident_not_found", N_("There is no resident %(user_id)s in this community."))
UNKNOWN_ATTRIBUTE = invalid("unknown_attribute", N_("There is no such attribute: choose one of %(attributes)s."))
ALREADY_VERIFIED = conflict("already_verified", N_("This has been checked already."))
NOT_VERIFIED = not_found("not_verified", N_("This has not been checked for this resident."))


def resident_profile(session: Session, community_id: int, user_id: int) -> ResidentProfile:
    profile = session.get(ResidentProfile, user_id)
    if profile is None or profile.community_id != community_id:
        raise RESIDENT_NOT_FOUND(user_id=user_id)
    return profile


def _check(actor: User | None, profile: ResidentProfile, attribute: str) -> None:
    policy.require(actor, "community_staff", community_id=profile.community_id)
    if attribute not in ATTRIBUTES:
        raise UNKNOWN_ATTRIBUTE(attributes=", ".join(ATTRIBUTES), field="attribute")


def verify(session: Session, actor: User | None, profile: ResidentProfile, attribute: str) -> VerifiedAttribute:
    """Record that community staff checked ``attribute`` (e.g. a student card) for this resident."""
    _check(actor, profile, attribute)
    if any(a.attribute == attribute for a in profile.attributes):
        raise ALREADY_VERIFIED(attribute=attribute)
    row = VerifiedAttribute(user_id=profile.user_id, attribute=attribute, verified_by_id=actor.id)
    session.add(row)
    profile.attributes.append(row)
    audit.record(session, actor, "attribute_verified", "resident", profile.user_id, profile.community_id,
                 attribute=attribute)
    return row


def clear(session: Session, actor: User | None, profile: ResidentProfile, attribute: str) -> None:
    _check(actor, profile, attribute)
    row = session.scalar(select(VerifiedAttribute).where(VerifiedAttribute.user_id == profile.user_id,
                                                         VerifiedAttribute.attribute == attribute))
    if row is None:
        raise NOT_VERIFIED(attribute=attribute)
    profile.attributes.remove(row)
    session.delete(row)
    audit.record(session, actor, "attribute_cleared", "resident", profile.user_id, profile.community_id,
                 attribute=attribute)
