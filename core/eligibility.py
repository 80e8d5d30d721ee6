"""Verified attributes of residents: set, renewed and cleared by community staff only, with who, when and until.

An attribute may end (a dibao certificate is re-checked every year): after its last day it no longer matches a
price rule, and it shows on the office's "to re-check" list a month before.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, policy
from core.db import utcnow
from core.errors import N_, invalid, not_found
from core.models import ResidentProfile, User, VerifiedAttribute
from core.pricing import ATTRIBUTES

UNKNOWN_ATTRIBUTE = invalid("unknown_attribute", N_("There is no such attribute: choose one of %(attributes)s."))
NOT_VERIFIED = not_found("not_verified", N_("This has not been checked for this resident."))
ENDS_IN_PAST = invalid("ends_in_past", N_("The last day it holds cannot be before today."))


def _check(actor: User | None, profile: ResidentProfile, attribute: str) -> None:
    policy.require(actor, "community_staff", community_id=profile.community_id)
    if attribute not in ATTRIBUTES:
        raise UNKNOWN_ATTRIBUTE(attributes=", ".join(ATTRIBUTES), field="attribute")


def verify(session: Session, actor: User | None, profile: ResidentProfile, attribute: str,
           expires_on: dt.date | None = None, today: dt.date | None = None) -> VerifiedAttribute:
    """Record that community staff checked ``attribute`` (e.g. a student card), until ``expires_on`` if given;
    checking it again renews it."""
    _check(actor, profile, attribute)
    if expires_on is not None and today is not None and expires_on < today:
        raise ENDS_IN_PAST(field="expires_on")
    row = next((a for a in profile.attributes if a.attribute == attribute), None)
    if row is None:
        row = VerifiedAttribute(user_id=profile.user_id, attribute=attribute)
        session.add(row)
        profile.attributes.append(row)
    row.verified_by_id, row.verified_at, row.expires_on = actor.id, utcnow(), expires_on
    audit.record(session, actor, "attribute_verified", "resident", profile.user_id, profile.community_id,
                 attribute=attribute, expires_on=expires_on.isoformat() if expires_on else None)
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
