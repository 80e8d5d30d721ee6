"""The counter: what an operator's window sells now, and the residents it may serve.

A cashier finds a resident by the start of their name or the last digits of their phone, and sees only what tells
two neighbours apart: the name, the building and a masked phone (138****8000) — never the whole number, the date of
birth or the address. The price the resident pays is the register's business (their tier, through
:func:`core.booking.counter_sale`), not the cashier's.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import policy, residents
from core.booking import CHECK_IN_GRACE, CHECK_IN_OPENS
from core.models import Listing, Operator, ResidentProfile, Slot, User

SHOWN_CUSTOMERS = 20
"""At most this many residents found at once: a longer list is a sign to type more, not to scroll."""
_SHOWN = (ResidentProfile.user_id, User.name, ResidentProfile.building, ResidentProfile.phone, ResidentProfile.status)
"""The columns the window reads: the whole phone only to mask it, never the date of birth or the address."""


@dataclass(frozen=True)
class Customer:
    """A resident as the window sees them."""

    id: int
    name: str
    building: str | None
    masked_phone: str | None
    status: str


def mask_phone(phone: str | None) -> str | None:
    """The first three and the last four digits, enough to tell two residents apart: 138****8000."""
    if not phone:
        return None
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}" if len(phone) > 7 else "*" * len(phone)


def find_customers(session: Session, actor: User | None, operator: Operator, q: str | None,
                   limit: int = SHOWN_CUSTOMERS) -> list[Customer]:
    """Residents of the operator's community (not those who moved away), found for that operator's own staff."""
    policy.require(actor, "operator_staff", operator_id=operator.id)
    if not (q or "").strip():
        return []
    query = residents.search(operator.community_id, q).where(ResidentProfile.status != "inactive")
    return [_customer(row) for row in session.execute(query.with_only_columns(*_SHOWN).limit(limit))]


def customer(session: Session, actor: User | None, operator: Operator, resident_id: int) -> Customer:
    """One resident of the operator's community as the window sees them (one who moved away too: the sale says
    why it cannot be made)."""
    policy.require(actor, "operator_staff", operator_id=operator.id)
    row = session.execute(select(*_SHOWN).join(User, User.id == ResidentProfile.user_id).where(
        ResidentProfile.user_id == resident_id, ResidentProfile.community_id == operator.community_id)).first()
    if row is None:
        raise residents.RESIDENT_NOT_FOUND(user_id=resident_id)
    return _customer(row)


def _customer(row) -> Customer:
    return Customer(row.user_id, row.name, row.building, mask_phone(row.phone), row.status)


def _sellable(operator: Operator):
    return (select(Slot, Listing).join(Listing, Listing.id == Slot.listing_id)
            .where(Listing.operator_id == operator.id, Listing.is_active.is_(True)))


def open_for_sale(session: Session, operator: Operator, now: dt.datetime) -> list[tuple[Slot, Listing]]:
    """The operator's times the window sells now: from 3 hours before each starts until a day after it ends."""
    return [tuple(row) for row in session.execute(
        _sellable(operator).where(Slot.starts_at <= now + CHECK_IN_OPENS, Slot.ends_at >= now - CHECK_IN_GRACE)
        .order_by(Slot.starts_at, Slot.id))]


def current_or_next(open_slots: list[tuple[Slot, Listing]], now: dt.datetime) -> tuple[Slot, Listing] | None:
    """The time the window is most likely selling: the one being served or coming next, else the latest."""
    if not open_slots:
        return None
    return next((row for row in open_slots if row[0].ends_at > now), open_slots[-1])


def next_opening(session: Session, operator: Operator, now: dt.datetime) -> tuple[Slot, Listing] | None:
    """The operator's next time whose sale has not opened yet, so an empty window can say when it opens."""
    row = session.execute(_sellable(operator).where(Slot.starts_at > now + CHECK_IN_OPENS)
                          .order_by(Slot.starts_at, Slot.id).limit(1)).first()
    return tuple(row) if row else None


def sale_opens(slot: Slot) -> dt.datetime:
    """When the window starts selling ``slot``."""
    return slot.starts_at - CHECK_IN_OPENS
