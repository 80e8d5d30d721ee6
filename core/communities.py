"""Communities on one deployment: an admin opens one; each switches the installed operator types on or off.

A type switched off takes no new listings or bookings in that community (``core.catalog.require_type_on``, asked once
where a listing is created and once where a booking is vetted, from the community row the booking's slot context
loaded already) and the listing search hides it there; what was made before stays, and is honoured.
"""
from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, policy
from core.catalog import UNKNOWN_TYPE
from core.errors import N_, conflict, invalid
from core.listings import touch_catalog
from core.models import Community, User
from core.money import CURRENCIES

SLUG = re.compile(r"[a-z][a-z0-9-]{1,63}")
"""A community's slug: lower-case ASCII letters, digits and hyphens, starting with a letter (so that it is never
taken for an id in an address), 2 to 64 characters."""

COMMUNITY_EXISTS = conflict("community_exists", N_("There is a community called %(slug)s already."))
NOT_A_SLUG = invalid("not_a_slug", N_(
    "Write 2 to 64 lower-case letters, digits or hyphens, starting with a letter, e.g. heping-east."))
UNKNOWN_CURRENCY = invalid("unknown_currency", N_("Choose one of the currencies Linli keeps books in: %(currencies)s."))
UNKNOWN_TIMEZONE = invalid("unknown_timezone", N_("Write a time zone by its IANA name, e.g. Asia/Shanghai."))


def create_community(session: Session, actor: User | None, slug: str, name: str, currency: str = "CNY",
                     timezone: str = "Asia/Shanghai") -> Community:
    """A new community: the default accountability settings, every installed operator type on. The caller checks
    the role (an admin); ``actor`` None is the system (``linli create-community``)."""
    if not SLUG.fullmatch(slug):
        raise NOT_A_SLUG(field="slug")
    if currency not in CURRENCIES:
        raise UNKNOWN_CURRENCY(currencies=", ".join(sorted(CURRENCIES)), field="currency")
    if timezone not in _timezones():
        raise UNKNOWN_TIMEZONE(field="timezone")
    if session.scalar(select(Community.id).where(Community.slug == slug)):
        raise COMMUNITY_EXISTS(slug=slug, field="slug")
    community = Community(slug=slug, name=name, currency=currency, timezone=timezone, operator_types_off=[])
    session.add(community)
    session.flush()
    audit.record(session, actor, "community_created", "community", community.id, community.id, slug=slug)
    return community


@functools.cache
def _timezones() -> frozenset[str]:
    """The IANA zones this machine knows: a set lookup (``ZoneInfo`` would try to open a file for any name)."""
    return frozenset(zoneinfo.available_timezones())


def switch_operator_types(session: Session, actor: User | None, community: Community, enabled: Collection[str],
                          types: Collection[str]) -> Community:
    """Switch the installed ``types`` on (those in ``enabled``) or off (the others) in a community (admin, its
    staff); the search's remembered totals and pages there start again."""
    policy.require(actor, "community_staff", community_id=community.id)
    unknown = sorted(set(enabled) - set(types))
    if unknown:
        raise UNKNOWN_TYPE(types=", ".join(sorted(types)), field="enabled")
    before = list(community.operator_types_off or [])
    community.operator_types_off = sorted(set(types) - set(enabled))
    touch_catalog(session.connection(), {community.id})
    audit.record(session, actor, "operator_types_switched", "community", community.id, community.id,
                 off_before=before, off=community.operator_types_off)
    return community


def enabled_types(community: Community, types: Collection[str]) -> list[str]:
    """The installed ``types`` that are on in the community."""
    return sorted(set(types) - set(community.operator_types_off or ()))


def switched_off(session: Session) -> dict[int, list[str]]:
    """The types each community has switched off, for a search across every community (those with none left out)."""
    return {community_id: off for community_id, off in
            session.execute(select(Community.id, Community.operator_types_off)) if off}
