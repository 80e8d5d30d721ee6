"""Bookings: quotes, capacity, holds, and every change of a booking's status.

Capacity is guarded by the database, not by the process: a booking takes its
places with one conditional UPDATE (``taken + q <= capacity``), which both SQLite
(one writer at a time) and PostgreSQL (row lock, re-checked condition) make
atomic across any number of processes. Payment holds count in ``taken`` until
they expire; an expired hold is released by the next booking that needs the
places, by ``linli expire-holds``, or by reading ``remaining`` (which ignores
stale holds) — no background thread is needed.

A resident holds one live booking per time (or as many as the operator type
allows), counted after the places are taken: taking them locks the slot's row
until the commit (PostgreSQL; SQLite has one writer at a time), so two bookings
of one time are counted one after the other and cannot both pass.

This module owns a booking's life: every status change goes through
:func:`_move` (a conditional UPDATE, safe against races), which asks the
listing's operator type to react inside the transaction and fires the matching
``booking_*`` hook after the commit. Money is the payments side's business: it
is told what happened through :class:`Payments`, which this module defines and
``core.payments`` implements, and it reports a payment's fate through
:func:`confirm_paid` and :func:`expire`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, bindparam, func, insert, inspect, or_, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from core import audit, policy, residents, rewards
from core.catalog import OPERATOR_STAFF_ONLY, require_type_on
from core.db import utcnow
from core.errors import N_, DomainError, conflict, forbidden, invalid, not_found
from core.models import TAKING_BOOKINGS, Booking, Community, Listing, Operator, Slot, User
from core.operator_types import OperatorType, load_details
from core.outbox import RowWithTask, enqueue
from core.pricing import Person, Quote, needs_volunteer_hours, parse_rules, quote

if TYPE_CHECKING:
    from core.plugins import Plugins

LIVE = ("pending_payment", "confirmed")
CHECK_IN_OPENS = dt.timedelta(hours=3)
CHECK_IN_GRACE = dt.timedelta(hours=24)
MAX_QUANTITY = 1000

SLOT_NOT_FOUND = not_found("slot_not_found", N_("We could not find that time: there is no time %(slot_id)s."))
BOOKING_NOT_FOUND = not_found("booking_not_found", N_("We could not find booking %(booking_id)s."))
INVALID_QUANTITY = invalid("invalid_quantity", N_("Please choose between 1 and %(most)s places."))
ONE_PLACE_PER_BOOKING = invalid("one_place_per_booking", N_(
    "A booking here is for one person, one place: anyone else books their own."))
NOT_TAKING_BOOKINGS = conflict("not_taking_bookings", N_("This service is not taking bookings at the moment."))
SLOT_CALLED_OFF = conflict("slot_called_off", N_("The operator has called this time off: %(reason)s"))
SLOT_STARTED = conflict("slot_started", N_("This time has already started. Please choose a later one."))
ALREADY_BOOKED = conflict("already_booked", N_(
    "This time is booked already (booking no. %(booking_id)s). To change that booking, cancel it first."))
SLOT_FULL = conflict("slot_full", N_("Not enough places are left: only %(left)s."))
BOOKING_NOT_CHANGEABLE = conflict("booking_not_changeable", N_("This booking cannot be changed any more."))
PLACES_GONE = conflict("places_gone", N_("The places of this booking have gone to others since its hold ran out."))
NOT_YOUR_BOOKING = forbidden("not_your_booking", N_(
    "Only the resident, or someone who may act for them, can do this."))
NOT_YOURS_TO_GIVE = forbidden("refund_not_yours_to_give", N_(
    "Only the resident, or family linked to them, may give their refund to the fund."))
CANCELLATION_CLOSED = conflict("cancellation_closed", N_(
    "It is too late to cancel: cancelling closed at %(when)s. Please call the operator."))
CHECK_IN_NOT_OPEN = conflict("check_in_not_open", N_("Check-in opens 3 hours before the time starts."))
CHECK_IN_CLOSED = conflict("check_in_closed", N_("Check-in closed a day after this time ended."))
NO_SHOW_TOO_EARLY = conflict("no_show_too_early", N_("You can record that nobody came once the time has started."))


@dataclass(frozen=True)
class SlotContext:
    """A slot with everything a price or a booking depends on, loaded in one query."""

    slot: Slot
    listing: Listing
    operator: Operator
    community: Community

    @property
    def day(self) -> dt.date:
        """The slot's date in the community's time zone: ages are counted on it."""
        return self.slot.starts_at.astimezone(ZoneInfo(self.community.timezone)).date()


def slot_context(session: Session, slot_id: int) -> SlotContext:
    row = session.execute(
        select(Slot, Listing, Operator, Community)
        .join(Listing, Listing.id == Slot.listing_id)
        .join(Operator, Operator.id == Listing.operator_id)
        .join(Community, Community.id == Listing.community_id)
        .where(Slot.id == slot_id)
    ).first()
    if row is None:
        raise SLOT_NOT_FOUND(slot_id=slot_id)
    return SlotContext(*row)


# On PostgreSQL a booking takes its places and loads the slot's context in one statement (UPDATE … FROM …
# RETURNING); SQLite cannot return the joined rows of an UPDATE, and reads them first.
_TAKE_WITH_CONTEXT = (
    update(Slot)
    .where(Slot.id == bindparam("take_slot"), Listing.id == Slot.listing_id, Operator.id == Listing.operator_id,
           Community.id == Listing.community_id, Slot.cancelled_at.is_(None),
           Slot.taken + bindparam("take_quantity") <= Slot.capacity)
    .values(taken=Slot.taken + bindparam("take_quantity"))
    .returning(Slot, Listing, Operator, Community)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def take_with_context(session: Session, slot_id: int, quantity: int) -> SlotContext | None:
    """Take the places and return the slot's context, in one statement where the database can; None otherwise
    (SQLite, or not enough free places: the caller then checks, and takes them, the long way)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    row = session.execute(_TAKE_WITH_CONTEXT, {"take_slot": slot_id, "take_quantity": quantity}).first()
    return None if row is None else SlotContext(*row)


# --- prices ------------------------------------------------------------------------------------------------------


def person_for(user: User, community_id: int, day: dt.date) -> Person:
    """What the price rules may know on ``day``: residency here (once the office has verified it), a date of birth
    the office has seen on the ID card, and the attributes it has verified that still hold that day."""
    profile = user.profile
    if profile is None or profile.community_id != community_id or profile.status != "active":
        return Person(resident=False)
    return Person(resident=True, date_of_birth=profile.date_of_birth if profile.born_verified else None,
                  attributes=frozenset(a.attribute for a in profile.attributes if a.holds_on(day)))


def price(session: Session, operator_type: OperatorType, ctx: SlotContext, user: User | None,
          quantity: int) -> tuple[Quote, Person]:
    """The listing's rules decide; its operator type may name another price for a known person (``user`` is None
    for a visitor at the counter, who pays what everyone pays). A volunteer's hours are read only for rules that
    ask for them, with the volunteer's row locked until the booking that spends them commits."""
    person = person_for(user, ctx.listing.community_id, ctx.day) if user is not None else Person(resident=False)
    rules = parse_rules(ctx.listing.price_rules)
    if person.resident and needs_volunteer_hours(rules):
        person = replace(person, volunteer_tenths=rewards.locked_balance(session, user.id, ctx.listing.community_id))
    decided = quote(rules, person, ctx.day, quantity, ctx.community.currency)
    if user is None:
        return decided, person
    return operator_type.quote(session, ctx, user, person, quantity, decided) or decided, person


def quote_for(session: Session, plugins: Plugins, actor: User | None, slot_id: int, quantity: int,
              resident_id: int | None = None) -> tuple[Quote, User]:
    """The price the resident (the actor, or the one they act for) would pay, and that resident."""
    check_customer(session, actor, resident_id)
    check_quantity(quantity)
    ctx = slot_context(session, slot_id)
    customer = customer_of(session, actor, resident_id, ctx)
    _check_bookable(ctx, utcnow())
    operator_type = plugins.type_of(ctx.operator.type)
    check_places(operator_type, quantity)
    return price(session, operator_type, ctx, customer, quantity)[0], customer


def check_customer(session: Session, actor: User | None, resident_id: int | None) -> None:
    """Authorization before anything else: a resident for themselves, or someone who may act for another."""
    if resident_id is None:
        policy.require(actor, "resident")
    else:
        residents.acting_for(session, actor, resident_id)


def customer_of(session: Session, actor: User, resident_id: int | None, ctx: SlotContext) -> User:
    """Whose booking it is: the actor's own, or the resident they act for at this operator."""
    if resident_id is None:
        return actor
    return residents.acting_for(session, actor, resident_id, ctx.operator)


def check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise INVALID_QUANTITY(most=MAX_QUANTITY, field="quantity")


def check_places(operator_type: OperatorType, quantity: int) -> None:
    """Several places in one booking only where the type sells them (a family's lunches, not a stall or a shift)."""
    if quantity > 1 and not operator_type.sells_several_places:
        raise ONE_PLACE_PER_BOOKING(field="quantity")


def check_taking_bookings(ctx: SlotContext) -> None:
    """The listing takes new bookings, online or at the counter: its operator serves, it is active, and its
    community has not switched its type off (the community row is in the context: no query of its own)."""
    if ctx.operator.status not in TAKING_BOOKINGS or not ctx.listing.is_active:
        raise NOT_TAKING_BOOKINGS()
    require_type_on(ctx.community, ctx.operator.type)


def _check_bookable(ctx: SlotContext, now: dt.datetime) -> None:
    check_taking_bookings(ctx)
    if ctx.slot.cancelled_at is not None:
        raise SLOT_CALLED_OFF(reason=ctx.slot.cancel_reason)
    if ctx.slot.starts_at <= now:
        raise SLOT_STARTED()


# --- the money side, as this module sees it ----------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentMethod:
    """How a booking is paid: an online method holds the places for ``hold`` until the payment is confirmed."""

    key: str
    online: bool
    hold: dt.timedelta | None = None


@dataclass(frozen=True)
class RefundGift:
    """The resident gives a cancelled booking's refund to the community fund instead of taking it back
    (:mod:`core.donated_refunds`): ``by`` who cancelled, in the resident's name unless ``anonymous``."""

    by: User
    anonymous: bool = False


class Payments(Protocol):
    """What a booking's life needs from the money side; ``core.payments.service.BookingPayments`` is it."""

    def method_for(self, offer: Quote, method: str | None) -> PaymentMethod | None:
        """The method that collects ``offer`` (None for a free booking), or a 422 naming the methods there are."""

    def start(self, session: Session, booking: Booking, ctx: SlotContext) -> object | None:
        """Begin collecting an online booking's money; return what the resident's page needs to pay."""

    def cancelled(self, session: Session, booking: Booking, ctx: SlotContext,
                  gift: RefundGift | None = None) -> None:
        """Give back what was paid for a cancelled booking (or, with ``gift``, give it to the fund: 409 when nothing
        was paid), or stop its payment still pending."""

    def fulfilled(self, session: Session, booking: Booking, ctx: SlotContext) -> None:
        """Record what a checked-in booking brings: cash taken at the counter, a per-booking donation."""


# --- placing a booking -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingRequest:
    slot_id: int
    quantity: int
    payment_method: str | None
    details: dict | None
    resident_id: int | None = None
    """Booking for another resident (staff, operator staff, a linked family member): theirs, at their tier."""


def book(session: Session, plugins: Plugins, payments: Payments, user: User | None,
         request: BookingRequest) -> tuple[Booking, object | None]:
    """Price, validate and take the places of a booking, all in the caller's transaction; return it and, for an
    online payment, what the resident's page needs to pay.

    The places may be taken first, so a refusal leaves them taken in the transaction: the caller rolls it back,
    as it does for any refusal.
    """
    check_customer(session, user, request.resident_id)
    now = utcnow()
    check_quantity(request.quantity)
    ctx = take_with_context(session, request.slot_id, request.quantity)
    places_taken = ctx is not None
    ctx = ctx or slot_context(session, request.slot_id)
    customer = customer_of(session, user, request.resident_id, ctx)
    operator_type, details, offer = vet(session, plugins, ctx, customer, request.quantity, request.details, now)
    method = payments.method_for(offer, request.payment_method)
    if not places_taken:
        take_places(session, plugins, ctx.slot, request.quantity, now)
    online = method is not None and method.online
    booking = Booking(
        slot_id=ctx.slot.id, resident_id=customer.id, booked_by_id=None if customer is user else user.id,
        operator_id=ctx.operator.id, operator=ctx.operator, quantity=request.quantity, **priced(offer),
        status="pending_payment" if online else "confirmed", payment_method=method.key if method else None,
        details=details, hold_expires_at=now + method.hold if online else None, created_at=now, updated_at=now,
    )
    place(session, plugins, operator_type, booking, ctx)
    if booking.booked_by_id is not None:
        audit.record(session, user, "booked_on_behalf", "booking", booking.id, ctx.community.id,
                     resident_id=customer.id)
    if booking.status == "confirmed":
        return booking, None
    return booking, payments.start(session, booking, ctx)


def vet(session: Session, plugins: Plugins, ctx: SlotContext, customer: User, quantity: int, details: dict | None,
        now: dt.datetime) -> tuple[OperatorType, dict, Quote]:
    """Whether ``customer`` may book ``quantity`` places of this time, as far as the time, the operator type and its
    rules say (places and payment aside): its type, the details loaded, and the price; raises the refusal. A waiting
    list's entry is vetted so too, so whoever the booking rules refuse may not wait either."""
    _check_bookable(ctx, now)
    operator_type = plugins.type_of(ctx.operator.type)
    check_places(operator_type, quantity)
    details = load_details(operator_type.booking_schema, details, "details")
    offer, person = price(session, operator_type, ctx, customer, quantity)
    operator_type.validate_booking(session, ctx, customer, person, quantity, details)
    return operator_type, details, offer


def place(session: Session, plugins: Plugins, operator_type: OperatorType, booking: Booking,
          ctx: SlotContext) -> None:
    """Write a new booking whose places are taken: its row, the volunteer hours a reward's price spends, its type's
    placing, and the events (created, and confirmed if it is) after the commit.

    409 ``already_booked`` when its resident holds as many live bookings of the time as the type allows: counted by
    the INSERT itself, which runs after this transaction took places on the slot and so waited for the slot's row —
    of two bookings made at once by one resident the second counts the first once it has committed.
    """
    limit = operator_type.bookings_per_resident_per_slot if booking.resident_id is not None else None
    _insert(session, booking, ["booking_created", *(["booking_confirmed"] if booking.status == "confirmed" else [])],
            limit)
    rewards.spend(session, booking, ctx.listing)
    operator_type.booking_placed(session, booking, ctx)


_BOOKING_COLUMNS = [attr.key for attr in inspect(Booking).column_attrs if attr.key != "id"]
_PER_RESIDENT = bindparam("per_resident", type_=Integer)
_WITHIN_LIMIT = select(func.count()).where(
    Booking.slot_id == bindparam("slot_id", type_=Integer), Booking.resident_id == bindparam("resident_id", type_=Integer),
    Booking.status.in_(LIVE)).scalar_subquery() < _PER_RESIDENT
_INSERT_BOOKING = RowWithTask(Booking.__table__, "booking.event", "booking_id", guard=_WITHIN_LIMIT)


def _insert(session: Session, booking: Booking, events: list[str], limit: int | None = None) -> None:
    """Insert a new booking, every column given, with the outbox task of its first ``events``, and keep it in the
    session as if it had been loaded; with a ``limit``, only while its resident holds fewer live bookings of the time.

    One plain INSERT instead of the unit of work's flush (0.22 ms of CPU against 0.58 ms per booking, measured), the
    task in the same statement on PostgreSQL; ``make_transient_to_detached`` and ``add`` then make it the session's
    object for that row, so a later change (a type's ``booking_placed`` filling ``details``) is saved as an UPDATE.
    Every column is set on it as inserted, so that reading one (``cancel_reason`` when the answer is written) never
    loads it again.
    """
    values = {key: getattr(booking, key) for key in _BOOKING_COLUMNS}
    booking_id = _INSERT_BOOKING.insert(session, values | {"per_resident": limit}, guarded=limit is not None,
                                        events=events)
    if booking_id is None:
        raise ALREADY_BOOKED(booking_id=live_booking_id(session, booking.slot_id, booking.resident_id))
    booking.id = booking_id
    make_transient_to_detached(booking)
    for key in _BOOKING_COLUMNS:
        if key not in booking.__dict__:
            set_committed_value(booking, key, values[key])
    session.add(booking)


def live_count(slot_id: int) -> Select:
    """How many live bookings a slot has (what calling it off would cancel)."""
    return select(func.count()).select_from(Booking).where(Booking.slot_id == slot_id, Booking.status.in_(LIVE))


def priced(offer: Quote) -> dict:
    """A booking's snapshot of its price: later changes of the rules never alter it."""
    return {"tier": offer.tier, "unit_amount": offer.unit_amount, "extra_unit_amount": offer.extra_unit_amount,
            "total_amount": offer.total_amount, "currency": offer.currency, "rule": offer.rule}


def check_limit(session: Session, operator_type: OperatorType, slot_id: int, resident_id: int,
                excluding: int | None = None) -> None:
    """409 when the resident holds as many live bookings of this time as the type allows (``excluding`` the one
    being revived).

    Call it once this transaction has taken places on the slot: that locks the slot's row, so of two bookings made
    at once the second is counted after the first has committed.
    """
    held = live_booking(session, operator_type, slot_id, resident_id, excluding)
    if held is not None:
        raise ALREADY_BOOKED(booking_id=held)


def live_booking(session: Session, operator_type: OperatorType, slot_id: int, resident_id: int,
                 excluding: int | None = None) -> int | None:
    """The resident's first live booking of this time once they may book it no more (the page shows it), else None."""
    limit = operator_type.bookings_per_resident_per_slot
    if limit is None:
        return None
    held = session.scalars(_live_of(slot_id, resident_id, excluding).limit(limit)).all()
    return held[0] if len(held) >= limit else None


def live_booking_id(session: Session, slot_id: int, resident_id: int) -> int | None:
    """The resident's first live booking of this time: what a refused further booking names."""
    return session.scalar(_live_of(slot_id, resident_id).limit(1))


def _live_of(slot_id: int, resident_id: int, excluding: int | None = None) -> Select:
    query = select(Booking.id).where(Booking.slot_id == slot_id, Booking.resident_id == resident_id,
                                     Booking.status.in_(LIVE))
    if excluding is not None:
        query = query.where(Booking.id != excluding)
    return query.order_by(Booking.id)


def take_places(session: Session, plugins: Plugins, slot: Slot, quantity: int, now: dt.datetime) -> None:
    """Take ``quantity`` places atomically, releasing stale holds first if that is what it takes."""
    if try_take_places(session, slot.id, quantity):
        return
    expire_holds(session, plugins, now, slot_id=slot.id)
    if not try_take_places(session, slot.id, quantity):
        left = session.scalar(select(Slot.capacity - Slot.taken).where(Slot.id == slot.id))
        raise SLOT_FULL(left=left, field="quantity")


def try_take_places(session: Session, slot_id: int, quantity: int) -> bool:
    result = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.cancelled_at.is_(None), Slot.taken + quantity <= Slot.capacity)
        .values(taken=Slot.taken + quantity).execution_options(synchronize_session=False))
    return result.rowcount == 1


def free_places(session: Session, slot_id: int, quantity: int) -> None:
    """Give places back, no more (the UPDATE locks the slot's row until the commit); see :func:`release_places`."""
    session.execute(update(Slot).where(Slot.id == slot_id).values(taken=Slot.taken - quantity)
                    .execution_options(synchronize_session=False))


def release_places(session: Session, slot_id: int, quantity: int) -> None:
    """The one place freed places go back: to the time's waiting list first (held for the residents offered them,
    in the same transaction, under the slot's lock), and what nobody waits for to anyone booking."""
    from core import waitlist  # it books through this module

    free_places(session, slot_id, quantity)
    waitlist.offer(session, slot_id)


# --- a booking's life --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A change of status: the states it may start from, where it leads, what it does to the places, the operator
    type's method that reacts inside the transaction, and the hook fired for everyone after the commit."""

    sources: tuple[str, ...]
    target: str
    places: int  # +1 takes the booking's places again, -1 frees them
    reaction: str
    event: str


CONFIRM = Move(("pending_payment",), "confirmed", 0, "booking_confirmed", "booking_confirmed")
REVIVE = Move(("expired",), "confirmed", +1, "booking_revived", "booking_confirmed")
EXPIRE = Move(("pending_payment",), "expired", -1, "booking_expired", "booking_expired")
CANCEL = Move(LIVE, "cancelled", -1, "booking_cancelled", "booking_cancelled")
CHECK_IN = Move(("confirmed",), "fulfilled", 0, "booking_fulfilled", "booking_fulfilled")
NO_SHOW = Move(("confirmed",), "no_show", 0, "booking_no_show", "booking_no_show")


def _move(session: Session, plugins: Plugins, booking: Booking, ctx: SlotContext, move: Move,
          actor: User | None = None) -> None:
    """The one place a booking changes status: only from an allowed state (re-checked by the database, so two
    racing changes cannot both win), its places (and a reward's volunteer hours) taken or given back, its type told,
    the event fired after commit."""
    now = utcnow()
    values = {"status": move.target, "updated_at": now}
    if move.target == "confirmed":
        values["hold_expires_at"] = None
    result = session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(move.sources))
        .values(**values).execution_options(synchronize_session=False))
    session.refresh(booking)
    if result.rowcount != 1:
        raise BOOKING_NOT_CHANGEABLE()
    operator_type = plugins.operator_types.get(ctx.operator.type)
    if move.places > 0:
        _take_again(session, operator_type, booking)
        rewards.spend_again(session, booking)
    if move.places < 0:
        release_places(session, booking.slot_id, booking.quantity)
        rewards.give_back(session, booking, actor)
    if operator_type is not None:
        getattr(operator_type, move.reaction)(session, booking, ctx, actor)
    _announce(session, plugins, booking, move.event)


def _take_again(session: Session, operator_type: OperatorType | None, booking: Booking) -> None:
    """An expired booking takes its places again: if they are still free, and its resident has not booked the time
    again meanwhile (counted under the slot's lock, as a new booking is)."""
    if not try_take_places(session, booking.slot_id, booking.quantity):
        raise PLACES_GONE()
    if operator_type is not None and booking.resident_id is not None:
        check_limit(session, operator_type, booking.slot_id, booking.resident_id, excluding=booking.id)


def _announce(session: Session, plugins: Plugins, booking: Booking, *events: str) -> None:
    """Write the events to the outbox with the change, as one task: the ``booking_*`` hooks fire, in this order,
    once the transaction commits (never, if it rolls back), even if this process dies right after the commit."""
    enqueue(session, BOOKING_EVENT, events=list(events), booking_id=booking.id)


BOOKING_EVENT = _INSERT_BOOKING.task
"""The outbox task of a booking's change of status (run by :func:`announced`)."""


def announced(session: Session, plugins: Plugins, event: str, booking_id: int) -> None:
    """Fire the ``booking_*`` hook ``event`` about a committed change (in a task of its own)."""
    getattr(plugins.hook, event)(session=session, booking=session.get(Booking, booking_id))


def confirm_paid(session: Session, plugins: Plugins, booking: Booking) -> bool:
    """The booking's money arrived: confirm it, or revive it if its hold ran out meanwhile. False when it cannot be
    kept (cancelled, its places or what its type gave it gone, its resident booked the time again): the payments
    side then refunds."""
    if booking.status == "pending_payment":
        _move(session, plugins, booking, slot_context(session, booking.slot_id), CONFIRM)
        return True
    if booking.status == "expired":
        return _revive(session, plugins, booking)
    return booking.status != "cancelled"


def _revive(session: Session, plugins: Plugins, booking: Booking) -> bool:
    """Take an expired booking's places again and let its type place it again, as a new booking would be, or
    change nothing and say no."""
    ctx = slot_context(session, booking.slot_id)
    try:
        with session.begin_nested():
            resident = session.get(User, booking.resident_id)
            plugins.type_of(ctx.operator.type).validate_booking(
                session, ctx, resident, person_for(resident, ctx.listing.community_id, ctx.day), booking.quantity,
                booking.details)
            _move(session, plugins, booking, ctx, REVIVE)
    except DomainError:
        session.refresh(booking)
        return False
    return True


def expire(session: Session, plugins: Plugins, booking: Booking) -> None:
    """The payment failed or was cancelled: a booking still holding places lets them go."""
    if booking.status == "pending_payment":
        _move(session, plugins, booking, slot_context(session, booking.slot_id), EXPIRE)


def expire_holds(session: Session, plugins: Plugins, now: dt.datetime, slot_id: int | None = None) -> int:
    """Expire every payment hold that has run out and free its places; return how many."""
    query = select(Booking).where(Booking.status == "pending_payment", Booking.hold_expires_at <= now)
    if slot_id is not None:
        query = query.where(Booking.slot_id == slot_id)
    expired = 0
    for booking in session.scalars(query.order_by(Booking.id)).all():
        try:
            with session.begin_nested():
                _move(session, plugins, booking, slot_context(session, booking.slot_id), EXPIRE)
            expired += 1
        except DomainError:  # paid or cancelled since it was read
            continue
    return expired


def booking_or_404(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BOOKING_NOT_FOUND(booking_id=booking_id)
    return booking


def can_see(session: Session, user: User, booking: Booking, community_id: int) -> bool:
    return (booking.resident_id == user.id or booking.booked_by_id == user.id
            or policy.has_role(user, "operator_staff", operator_id=booking.operator_id)
            or policy.has_role(user, "community_staff", community_id=community_id)
            or booking.resident_id is not None and residents.is_helper(session, user, booking.resident_id))


def visible_booking(session: Session, user: User | None, booking_id: int) -> tuple[Booking, SlotContext]:
    """A booking its resident, its operator's staff or its community's staff may see; 404 for anyone else."""
    policy.require_user(user)
    booking = booking_or_404(session, booking_id)
    ctx = slot_context(session, booking.slot_id)
    if not can_see(session, user, booking, ctx.community.id):
        raise BOOKING_NOT_FOUND(booking_id=booking_id)
    return booking, ctx


def cancel(session: Session, plugins: Plugins, payments: Payments, user: User | None, booking_id: int,
           donate_refund: bool = False, anonymous: bool = False) -> Booking:
    """The resident (or someone who may act for them) cancels up to the listing's cutoff; the places are freed at
    once and the money given back, or given to the community fund (``donate_refund``; ``anonymous``: not in the
    resident's name)."""
    booking, ctx = visible_booking(session, user, booking_id)
    on_behalf = booking.resident_id != user.id
    if on_behalf and (booking.resident_id is None or not residents.may_act_for(
            session, user, residents.profile_or_404(session, booking.resident_id), ctx.operator)):
        raise NOT_YOUR_BOOKING()
    if donate_refund and on_behalf and not residents.is_helper(session, user, booking.resident_id):
        raise NOT_YOURS_TO_GIVE()  # staff may cancel for a resident, but not give the resident's money away
    cutoff = ctx.slot.starts_at - dt.timedelta(minutes=ctx.listing.cancel_cutoff_minutes)
    if booking.status in LIVE and utcnow() >= cutoff:
        raise CANCELLATION_CLOSED(when=f"{cutoff.astimezone(ZoneInfo(ctx.community.timezone)):%Y-%m-%d %H:%M}")
    _move(session, plugins, booking, ctx, CANCEL, user)
    payments.cancelled(session, booking, ctx, RefundGift(user, anonymous) if donate_refund else None)
    if on_behalf:
        audit.record(session, user, "cancelled_on_behalf", "booking", booking.id, ctx.community.id,
                     resident_id=booking.resident_id)
    return booking


def call_off(session: Session, plugins: Plugins, payments: Payments, booking: Booking, ctx: SlotContext,
             actor: User, reason: str) -> None:
    """The operator called the booking's time off: cancelled whatever the cutoff, fully refunded, the reason kept
    for the resident to read."""
    _move(session, plugins, booking, ctx, CANCEL, actor)
    booking.cancel_reason = reason
    payments.cancelled(session, booking, ctx)


def _require_operator_staff(user: User | None, booking: Booking) -> None:
    policy.require_user(user)
    if not policy.has_role(user, "operator_staff", operator_id=booking.operator_id):
        raise OPERATOR_STAFF_ONLY()


def check_in(session: Session, plugins: Plugins, payments: Payments, user: User | None, booking_id: int) -> Booking:
    """Operator staff mark the resident as served, from 3 hours before the slot until a day after it ends."""
    booking, ctx = visible_booking(session, user, booking_id)
    _require_operator_staff(user, booking)
    check_check_in_window(ctx, utcnow())
    serve(session, plugins, payments, booking, ctx, user)
    return booking


def serve(session: Session, plugins: Plugins, payments: Payments, booking: Booking, ctx: SlotContext,
          actor: User | None) -> None:
    """A confirmed booking is served: fulfilled, and what that brings recorded (cash taken, a per-booking gift)."""
    _move(session, plugins, booking, ctx, CHECK_IN, actor)
    payments.fulfilled(session, booking, ctx)


def check_check_in_window(ctx: SlotContext, now: dt.datetime) -> None:
    """From 3 hours before the slot starts until a day after it ends: when staff serve, at the window too."""
    if now < ctx.slot.starts_at - CHECK_IN_OPENS:
        raise CHECK_IN_NOT_OPEN()
    if now > ctx.slot.ends_at + CHECK_IN_GRACE:
        raise CHECK_IN_CLOSED()


def mark_no_show(session: Session, plugins: Plugins, user: User | None, booking_id: int) -> Booking:
    """Operator staff record that nobody came; allowed once the slot has started."""
    booking, ctx = visible_booking(session, user, booking_id)
    _require_operator_staff(user, booking)
    if utcnow() < ctx.slot.starts_at:
        raise NO_SHOW_TOO_EARLY()
    _move(session, plugins, booking, ctx, NO_SHOW, user)
    return booking


def bookings_visible_to(user: User | None, status: str | None = None, slot_id: int | None = None):
    """The bookings query of what this user may see: own, own operators', own communities'."""
    policy.require_user(user)
    query = select(Booking).order_by(Booking.id.desc())
    if not policy.is_admin(user):
        communities = policy.community_ids(user, "community_staff")
        scope = [Booking.resident_id == user.id, Booking.booked_by_id == user.id,
                 Booking.resident_id.in_(residents.helped_ids(user))]
        if policy.operator_ids(user):
            scope.append(Booking.operator_id.in_(policy.operator_ids(user)))
        if communities:
            scope.append(Booking.operator_id.in_(select(Operator.id).where(Operator.community_id.in_(communities))))
        query = query.where(or_(*scope))
    if status:
        query = query.where(Booking.status == status)
    if slot_id:
        query = query.where(Booking.slot_id == slot_id)
    return query
