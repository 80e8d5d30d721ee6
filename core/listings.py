"""Listings and slots: what an operator offers, when, and how many places remain."""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Callable, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, event, exists, func, not_, or_, select, update
from sqlalchemy.orm import Session

from core import policy
from core.db import utcnow
from core.catalog import OPERATOR_STAFF_ONLY, require_type_on
from core.errors import N_, conflict, invalid, not_found
from core.models import TAKING_BOOKINGS, Booking, Community, Listing, Operator, Slot, User
from core.operator_types import OperatorType, load_details
from core.pricing import parse_rules

T = TypeVar("T")

EDITABLE = ("title", "description", "details", "price_rules", "cancel_cutoff_minutes", "is_active", "translations")
"""What an edit may change; ``translations`` last, so translations sent with a title are the ones kept."""

OPERATOR_NOT_ACTIVE = conflict("operator_not_active", N_(
    "You can offer services once the community office has approved your organisation."))
SLOT_IN_THE_PAST = invalid("slot_in_the_past", N_("A new time has to start in the future."))
SLOT_ENDS_BEFORE_START = invalid("slot_ends_before_start", N_("The time must end after it starts."))
LISTING_NOT_FOUND = not_found("listing_not_found", N_("We could not find service %(listing_id)s."))


def require_operator_staff(actor: User | None, operator: Operator) -> None:
    policy.require_user(actor)
    if not policy.has_role(actor, "operator_staff", community_id=operator.community_id, operator_id=operator.id):
        raise OPERATOR_STAFF_ONLY()


def create_listing(session: Session, actor: User, operator: Operator, operator_type: OperatorType,
                   fields: dict) -> Listing:
    require_operator_staff(actor, operator)
    if operator.status not in TAKING_BOOKINGS:
        raise OPERATOR_NOT_ACTIVE()
    require_type_on(session.get(Community, operator.community_id), operator.type)
    rules = fields.get("price_rules") or operator_type.default_price_rules
    listing = Listing(
        operator_id=operator.id, community_id=operator.community_id, type=operator.type,
        title=fields["title"], description=fields.get("description", ""),
        details=load_details(operator_type.listing_schema, fields.get("details"), "details"),
        price_rules=[r.as_json() for r in parse_rules(rules)],
        cancel_cutoff_minutes=fields.get("cancel_cutoff_minutes", 0), translations=fields.get("translations") or {},
    )
    session.add(listing)
    session.flush()
    return listing


def update_listing(session: Session, actor: User, listing: Listing, operator_type: OperatorType,
                   changes: dict) -> Listing:
    require_operator_staff(actor, session.get(Operator, listing.operator_id))
    if "details" in changes:
        changes["details"] = load_details(operator_type.listing_schema, changes["details"], "details")
    if "price_rules" in changes:
        changes["price_rules"] = [r.as_json() for r in parse_rules(changes["price_rules"])]
    for name in EDITABLE:
        if name in changes:
            setattr(listing, name, changes[name])
    return listing


def add_slot(session: Session, actor: User, listing: Listing, starts_at: dt.datetime, ends_at: dt.datetime,
             capacity: int) -> Slot:
    """A new time window; it starts in the future (a slot in the past could be booked for a day gone by)."""
    require_operator_staff(actor, session.get(Operator, listing.operator_id))
    if starts_at <= utcnow():
        raise SLOT_IN_THE_PAST(field="starts_at")
    if ends_at <= starts_at:
        raise SLOT_ENDS_BEFORE_START(field="ends_at")
    slot = Slot(listing_id=listing.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity, taken=0)
    session.add(slot)
    session.flush()
    return slot


def listing_or_404(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise LISTING_NOT_FOUND(listing_id=listing_id)
    return listing


def stale_holds(now: dt.datetime):
    """Places still counted in ``taken`` by payment holds that have run out, per slot."""
    return (
        select(Booking.slot_id, func.sum(Booking.quantity).label("quantity"))
        .where(Booking.status == "pending_payment", Booking.hold_expires_at <= now)
        .group_by(Booking.slot_id)
    )


def remaining_places(session: Session, slots: list[Slot]) -> dict[int, int]:
    """Places left per slot, counting only live holds (expired ones free their places at once)."""
    if not slots:
        return {}
    ids = [s.id for s in slots]
    stale = dict(session.execute(stale_holds(utcnow()).where(Booking.slot_id.in_(ids))).all())
    return {s.id: 0 if s.cancelled_at else s.capacity - s.taken + int(stale.get(s.id, 0)) for s in slots}


def search_listings(community: Community | None, type_key: str | None, text: str | None,
                    day: dt.date | None, timezone: str | None, switched_off: dict[int, list[str]] | None = None) -> Select:
    """Active listings of active operators, filtered; ``day`` keeps listings with a slot that day. Types a community
    switched off are left out, as nobody may book them: the community's own, or for a search of every community
    ``switched_off`` (``core.communities.switched_off``)."""
    query = (
        select(Listing)
        .join(Operator, Operator.id == Listing.operator_id)
        .where(Listing.is_active.is_(True), Operator.status.in_(TAKING_BOOKINGS))
        .order_by(Listing.id)
    )
    if community is not None:
        query = query.where(Listing.community_id == community.id)
        switched_off = {community.id: community.operator_types_off or []}
    hidden = [and_(Listing.community_id == community_id, Listing.type.in_(off))
              for community_id, off in (switched_off or {}).items() if off]
    if hidden:
        query = query.where(not_(or_(*hidden)))
    if type_key:
        query = query.where(Listing.type == type_key)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Listing.search_text.like(func.lower(pattern), escape="\\"))
    if day is not None:
        start = dt.datetime.combine(day, dt.time(), ZoneInfo(timezone or "Asia/Shanghai"))
        end = start + dt.timedelta(days=1)
        query = query.where(exists().where(and_(Slot.listing_id == Listing.id, Slot.starts_at >= start,
                                               Slot.starts_at < end, Slot.cancelled_at.is_(None))))
    return query


def slots_of(listing: Listing, upcoming: bool) -> Select:
    """The listing's slots; ``upcoming``: those still to come and not called off."""
    query = select(Slot).where(Slot.listing_id == listing.id).order_by(Slot.starts_at, Slot.id)
    return query.where(Slot.starts_at > utcnow(), Slot.cancelled_at.is_(None)) if upcoming else query


SEARCHED = (Listing, Slot, Operator)
"""What the search reads: a write to any of them changes its community's catalog version."""
_COMMUNITIES = Community.__table__


@event.listens_for(Session, "after_flush")
def _count_catalog_writes(session: Session, _context) -> None:
    """Add one to the catalog version of each community whose listings, slots or operators this flush wrote.

    In the flush's own transaction, so the new version is seen exactly when the write is. Writes that bypass the
    ORM (a bulk ``UPDATE``) must not change what the search reads: the places a booking takes do not.
    """
    written = [row for row in (*session.new, *session.deleted, *session.dirty)
               if isinstance(row, SEARCHED) and (row not in session.dirty or session.is_modified(row))]
    if not written:
        return
    connection = session.connection()
    communities = {row.community_id for row in written if not isinstance(row, Slot)}
    slot_listings = {row.listing_id for row in written if isinstance(row, Slot)}
    if slot_listings:
        communities.update(connection.scalars(select(Listing.community_id).where(Listing.id.in_(slot_listings))))
    touch_catalog(connection, communities)


def touch_catalog(connection, communities: set[int]) -> None:
    """A new catalog version for these communities: what a write the ORM does not see (bulk slots) must call."""
    if communities:
        connection.execute(update(_COMMUNITIES).where(_COMMUNITIES.c.id.in_(communities))
                           .values(catalog_version=_COMMUNITIES.c.catalog_version + 1))


class CatalogMemo:
    """What a community's search works out that only a catalog write changes — how many listings a search matches,
    a whole page of results as sent — remembered under the community's catalog version.

    Counting every listing a common word matches, and building a page (its query, its listings, their JSON), are
    all of a search's time but reading the community; both change only when the catalog does, so each is worked out
    once per catalog version and then served to every search alike. Exact, not a timed cache: the version is read
    with the community in the request itself, and every write to a listing, slot or operator changes it
    (``_count_catalog_writes``, ``touch_catalog``), as does a community switching an operator type on or off. Bounded
    by weight, least recently used out first (a total weighs 1, a page its bytes); one per app, shared by its
    threads.
    """

    def __init__(self, budget: int = 8 * 1024 * 1024):
        self._budget = budget
        self._weight = 0
        self._kept: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, community: Community, key: tuple, work_out: Callable[[], T],
                 weight: Callable[[T], int] = lambda _: 1) -> T:
        """What ``work_out()`` gives for ``key`` (the search's filters) in ``community`` as its catalog is now."""
        key = (community.id, community.catalog_version, community.timezone, *key)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept[0]
        value = work_out()
        cost = weight(value)
        with self._lock:
            if key not in self._kept and cost <= self._budget:
                self._kept[key] = (value, cost)
                self._weight += cost
                while self._weight > self._budget:
                    self._weight -= self._kept.popitem(last=False)[1][1]
        return value
