"""A resident's next everyday service (tomorrow's lunch): what their home page offers first, at their own price.

An operator type that residents use every day says so (``OperatorType.everyday``); the home page then puts its
next time the resident has not booked at the top, with their price and one button, and the time they have
booked, so an old reader need not search a catalogue for a meal.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import booking as bookings
from core.db import utcnow
from core.errors import DomainError
from core.listings import remaining_places
from core.models import TAKING_BOOKINGS, Booking, Community, Listing, Operator, Slot, User
from core.pricing import Quote

if TYPE_CHECKING:
    from core.plugins import Plugins

LOOK_AHEAD = dt.timedelta(days=7)


@dataclass(frozen=True)
class Everyday:
    """The next time to book (with the resident's price), and the next time already booked (with the booking)."""

    to_book: tuple[Slot, Listing, Quote] | None
    booked: tuple[Slot, Listing, Booking] | None


def next_everyday(session: Session, plugins: Plugins, actor: User, resident: User, community: Community) -> Everyday:
    types = [key for key, kind in plugins.operator_types.items() if kind.everyday]
    if not types:
        return Everyday(None, None)
    now = utcnow()
    coming = session.execute(
        select(Slot, Listing).join(Listing, Listing.id == Slot.listing_id)
        .join(Operator, Operator.id == Listing.operator_id)
        .where(Listing.community_id == community.id, Listing.type.in_(types), Listing.is_active.is_(True),
               Operator.status.in_(TAKING_BOOKINGS), Slot.cancelled_at.is_(None), Slot.starts_at > now,
               Slot.starts_at < now + LOOK_AHEAD)
        .order_by(Slot.starts_at, Slot.id).limit(20)).all()
    mine = {b.slot_id: b for b in session.scalars(select(Booking).where(
        Booking.resident_id == resident.id, Booking.status.in_(bookings.LIVE),
        Booking.slot_id.in_([slot.id for slot, _ in coming])))}
    left = remaining_places(session, [slot for slot, _ in coming])
    booked = next(((slot, listing, mine[slot.id]) for slot, listing in coming if slot.id in mine), None)
    for slot, listing in coming:
        if slot.id in mine or left[slot.id] < 1:
            continue
        try:
            quote = bookings.quote_for(session, plugins, actor, slot.id, 1,
                                       None if resident is actor else resident.id)[0]
        except DomainError:  # not this one for them (a rule of its type): the home page offers nothing
            return Everyday(None, booked)
        return Everyday((slot, listing, quote), booked)
    return Everyday(None, booked)
