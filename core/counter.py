"""The counter: what an operator's window sells now, and the residents it may serve.

A cashier finds a resident by the start of their name or the last digits of their phone, and sees only what tells
two neighbours apart: the name, the building and a masked phone (138****8000) — never the whole number, the date of
birth or the address. The price the resident pays is the register's business (their tier, through
:func:`counter_sale`), not the cashier's. A sale is a booking placed and served at once, through the booking's own
steps (:func:`core.booking.place`, :func:`core.booking.serve`), so the window and the online bookings share one
capacity and one set of books.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, policy, residents
from core.booking import (
    CHECK_IN_GRACE, CHECK_IN_OPENS, Payments, SlotContext, check_check_in_window, check_places, check_quantity,
    check_taking_bookings, place, price, priced, serve, slot_context, take_places,
)
from core.catalog import OPERATOR_STAFF_ONLY
from core.db import utcnow
from core.models import Booking, Listing, Operator, ResidentProfile, Slot, User
from core.operator_types import OperatorType, load_details
from core.phones import masked
from core.pricing import Person, Quote

if TYPE_CHECKING:
    from core.plugins import Plugins

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


@dataclass(frozen=True)
class CounterSale:
    """A sale at the window as decided before anything is written: the slot, whom it serves (None for a visitor),
    the operator type and the price."""

    ctx: SlotContext
    customer: User | None
    operator_type: OperatorType
    offer: Quote
    person: Person


def counter_sale(session: Session, plugins: Plugins, actor: User | None, slot_id: int, quantity: int,
                 resident_id: int | None = None) -> CounterSale:
    """Who may sell what to whom at the window, and at what price: the price the counter shows before the cash is
    taken comes from the same checks as the sale itself.

    Sold while check-in is open for the slot (from 3 hours before it starts until a day after it ends); to a
    resident found in the register (their tier), or to a visitor (the price for everyone).
    """
    policy.require_user(actor)
    if not policy.operator_ids(actor) and not policy.is_admin(actor):
        raise OPERATOR_STAFF_ONLY()
    check_quantity(quantity)
    ctx = slot_context(session, slot_id)
    if not policy.has_role(actor, "operator_staff", operator_id=ctx.operator.id):
        raise OPERATOR_STAFF_ONLY()
    customer = residents.acting_for(session, actor, resident_id, ctx.operator) if resident_id else None
    check_taking_bookings(ctx)
    check_check_in_window(ctx, utcnow())
    operator_type = plugins.type_of(ctx.operator.type)
    check_places(operator_type, quantity)
    offer, person = price(session, operator_type, ctx, customer, quantity)
    return CounterSale(ctx, customer, operator_type, offer, person)


def sell_at_counter(session: Session, plugins: Plugins, payments: Payments, actor: User | None,
                    slot_id: int, quantity: int, resident_id: int | None = None) -> Booking:
    """A place sold at the window: booked and checked in at once, the cash recorded as at a cash check-in.

    The places are taken like any booking's, so the window and the online bookings never sell more than the slot
    holds.
    """
    sale = counter_sale(session, plugins, actor, slot_id, quantity, resident_id)
    ctx, customer, offer = sale.ctx, sale.customer, sale.offer
    details = load_details(sale.operator_type.booking_schema, {}, "details")
    method = payments.method_for(offer, "cash")
    sale.operator_type.validate_booking(session, ctx, customer, sale.person, quantity, details)
    now = utcnow()
    take_places(session, plugins, ctx.slot, quantity, now)
    booking = Booking(
        slot_id=ctx.slot.id, resident_id=customer.id if customer else None, booked_by_id=actor.id,
        operator_id=ctx.operator.id, operator=ctx.operator, quantity=quantity, **priced(offer),
        status="confirmed", payment_method=method.key if method else None, details=details,
        hold_expires_at=None, created_at=now, updated_at=now,
    )
    place(session, plugins, sale.operator_type, booking, ctx)
    audit.record(session, actor, "sold_at_counter", "booking", booking.id, ctx.community.id,
                 resident_id=booking.resident_id)
    serve(session, plugins, payments, booking, ctx, actor)
    return booking


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
    return Customer(row.user_id, row.name, row.building, masked(row.phone) or None, row.status)


def _sellable(operator: Operator):
    return (select(Slot, Listing).join(Listing, Listing.id == Slot.listing_id)
            .where(Listing.operator_id == operator.id, Listing.is_active.is_(True), Slot.cancelled_at.is_(None)))


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
