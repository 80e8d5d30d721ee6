"""Verified attributes of residents: set and cleared by community staff only, with who and when."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, policy
from core.errors import Conflict, Invalid, NotFound
from core.models import ResidentProfile, User, VerifiedAttribute
from core.pricing import ATTRIBUTES


def resident_profile(session: Session, community_id: int, user_id: int) -> ResidentProfile:
    profile = session.get(ResidentProfile, user_id)
    if profile is None or profile.community_id != community_id:
        raise NotFound(f"no resident {user_id} in this community")
    return profile


def _check(actor: User | None, profile: ResidentProfile, attribute: str) -> None:
    policy.require(actor, "community_staff", community_id=profile.community_id)
    if attribute not in ATTRIBUTES:
        raise Invalid("unknown attribute", {"attribute": [f"one of {', '.join(ATTRIBUTES)}"]})


def verify(session: Session, actor: User | None, profile: ResidentProfile, attribute: str) -> VerifiedAttribute:
    """Record that community staff checked ``attribute`` (e.g. a student card) for this resident."""
    _check(actor, profile, attribute)
    if any(a.attribute == attribute for a in profile.attributes):
        raise Conflict(f"{attribute} is verified already")
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
        raise NotFound(f"{attribute} is not verified for this resident")
    profile.attributes.remove(row)
    session.delete(row)
    audit.record(session, actor, "attribute_cleared", "resident", profile.user_id, profile.community_id,
                 attribute=attribute)
