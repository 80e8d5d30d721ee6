"""Bookings: quotes, capacity, holds and the state machine.

Capacity is guarded by the database, not by the process: a booking takes its
places with one conditional UPDATE (``taken + q <= capacity``), which both SQLite
(one writer at a time) and PostgreSQL (row lock, re-checked condition) make
atomic across any number of processes. Payment holds count in ``taken`` until
they expire; an expired hold is released by the next booking that needs the
places, by ``linli expire-holds``, or by reading ``remaining`` (which ignores
stale holds) — no background thread is needed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, inspect, or_, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from core import policy
from core.db import after_commit, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.models import Booking, Community, Listing, Operator, Slot, User
from core.operator_types import OperatorType, load_details
from core.payments import PaymentProvider
from core.pricing import Person, Quote, parse_rules, quote

LIVE = ("pending_payment", "confirmed")
CHECK_IN_GRACE = dt.timedelta(hours=24)
MAX_QUANTITY = 1000


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
        raise NotFound(f"no slot {slot_id}")
    return SlotContext(*row)


# On PostgreSQL a booking takes its places and loads the slot's context in one statement (UPDATE … FROM …
# RETURNING); SQLite cannot return the joined rows of an UPDATE, and reads them first.
_TAKE_WITH_CONTEXT = (
    update(Slot)
    .where(Slot.id == bindparam("take_slot"), Listing.id == Slot.listing_id, Operator.id == Listing.operator_id,
           Community.id == Listing.community_id, Slot.taken + bindparam("take_quantity") <= Slot.capacity)
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


def person_for(user: User, community_id: int) -> Person:
    """What the price rules may know: residency here, date of birth, verified attributes."""
    profile = user.profile
    if profile is None or profile.community_id != community_id:
        return Person(resident=False)
    return Person(resident=True, date_of_birth=profile.date_of_birth,
                  attributes=frozenset(a.attribute for a in profile.attributes))


def price(session: Session, hook, ctx: SlotContext, user: User, quantity: int) -> tuple[Quote, Person]:
    """The listing's rules decide; a plugin's ``quote_price`` may override."""
    person = person_for(user, ctx.listing.community_id)
    decided = quote(parse_rules(ctx.listing.price_rules), person, ctx.day, quantity, ctx.community.currency)
    override = hook.quote_price(session=session, listing=ctx.listing, slot=ctx.slot, resident=user, person=person,
                                quantity=quantity, quote=decided)
    return (override or decided), person


def quote_for(session: Session, hook, user: User | None, slot_id: int, quantity: int) -> Quote:
    policy.require(user, "resident")
    _check_quantity(quantity)
    ctx = slot_context(session, slot_id)
    _check_bookable(ctx, utcnow())
    return price(session, hook, ctx, user, quantity)[0]


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise Invalid("invalid quantity", {"quantity": [f"between 1 and {MAX_QUANTITY}"]})


def _check_bookable(ctx: SlotContext, now: dt.datetime) -> None:
    if ctx.operator.status != "active" or not ctx.listing.is_active:
        raise Conflict("this service is not taking bookings")
    if ctx.slot.starts_at <= now:
        raise Conflict("this slot has already started")


@dataclass(frozen=True)
class BookingRequest:
    slot_id: int
    quantity: int
    payment_method: str | None
    details: dict | None


def book(session: Session, hook, user: User | None, request: BookingRequest, types: dict[str, OperatorType],
         providers: dict[str, PaymentProvider], config) -> Booking:
    """Price, validate and take the places of a booking, all in the caller's transaction.

    The places may be taken first, so a refusal leaves them taken in the transaction: the caller rolls it back,
    as it does for any refusal.
    """
    policy.require(user, "resident")
    now = utcnow()
    _check_quantity(request.quantity)
    ctx = take_with_context(session, request.slot_id, request.quantity)
    places_taken = ctx is not None
    ctx = ctx or slot_context(session, request.slot_id)
    _check_bookable(ctx, now)
    operator_type = types.get(ctx.operator.type)
    if operator_type is None:
        raise Conflict(f"the operator type {ctx.operator.type!r} is not installed")
    details = load_details(operator_type.booking_schema, request.details, "details")
    offer, person = price(session, hook, ctx, user, request.quantity)
    provider = _provider_for(offer, request.payment_method, providers, config)
    hook.validate_booking(session=session, listing=ctx.listing, slot=ctx.slot, resident=user, person=person,
                          day=ctx.day, quantity=request.quantity, details=details)
    _check_limit(session, operator_type, ctx.slot, user, request.quantity)
    if not places_taken:
        take_places(session, ctx.slot, request.quantity, now, hook)
    online = provider is not None and provider.online
    booking = Booking(
        slot_id=ctx.slot.id, resident_id=user.id, operator_id=ctx.operator.id, operator=ctx.operator,
        quantity=request.quantity,
        tier=offer.tier, unit_amount=offer.unit_amount, total_amount=offer.total_amount, currency=offer.currency,
        rule=offer.rule, status="pending_payment" if online else "confirmed",
        payment_method=provider.key if provider else None, details=details,
        hold_expires_at=now + dt.timedelta(minutes=config["HOLD_MINUTES"]) if online else None,
        created_at=now, updated_at=now,
    )
    _insert(session, booking)
    hook.booking_placed(session=session, booking=booking, listing=ctx.listing, slot=ctx.slot)
    after_commit(session, lambda: hook.booking_created(session=session, booking=booking))
    if booking.status == "confirmed":
        after_commit(session, lambda: hook.booking_confirmed(session=session, booking=booking))
    return booking


_BOOKING_COLUMNS = [attr.key for attr in inspect(Booking).column_attrs if attr.key != "id"]
_INSERT_BOOKING = insert(Booking.__table__).returning(Booking.__table__.c.id)


def _insert(session: Session, booking: Booking) -> None:
    """Insert a new booking, every column given, and keep it in the session as if it had been loaded.

    One plain INSERT instead of the unit of work's flush (0.22 ms of CPU against 0.58 ms per booking, measured);
    ``make_transient_to_detached`` and ``add`` then make it the session's object for that row, so a later change
    (a plugin's ``booking_placed`` filling ``details``) is saved as an UPDATE.
    """
    booking.id = session.execute(_INSERT_BOOKING, {key: getattr(booking, key) for key in _BOOKING_COLUMNS}).scalar_one()
    make_transient_to_detached(booking)
    session.add(booking)


def _provider_for(offer: Quote, method: str | None, providers: dict[str, PaymentProvider],
                  config) -> PaymentProvider | None:
    """The provider that collects the money; none for a free booking (the method is ignored)."""
    if offer.total_amount == 0:
        return None
    if method is None:
        raise Invalid("choose how to pay", {"payment_method": [f"one of {', '.join(sorted(providers))}"]})
    provider = providers.get(method)
    if provider is None:
        known = ", ".join(sorted(providers))
        raise Invalid(f"payment method {method!r} is not available here", {"payment_method": [f"one of {known}"]})
    if not provider.is_configured(config):
        raise Invalid(provider.not_configured_reason(), {"payment_method": [provider.not_configured_reason()]})
    return provider


def _check_limit(session: Session, operator_type: OperatorType, slot: Slot, user: User, quantity: int) -> None:
    limit = operator_type.max_per_resident_per_slot
    if limit is None:
        return
    held = session.scalar(select(func.coalesce(func.sum(Booking.quantity), 0)).where(
        Booking.slot_id == slot.id, Booking.resident_id == user.id, Booking.status.in_(LIVE)))
    if held + quantity > limit:
        raise Conflict(f"at most {limit} per resident in this slot")


def take_places(session: Session, slot: Slot, quantity: int, now: dt.datetime, hook=None) -> None:
    """Take ``quantity`` places atomically, releasing stale holds first if that is what it takes."""
    if try_take_places(session, slot.id, quantity):
        return
    expire_holds(session, now, slot_id=slot.id, hook=hook)
    if not try_take_places(session, slot.id, quantity):
        left = session.scalar(select(Slot.capacity - Slot.taken).where(Slot.id == slot.id))
        raise Conflict(f"not enough places: {left} left", {"quantity": [f"only {left} places left"]})


def try_take_places(session: Session, slot_id: int, quantity: int) -> bool:
    result = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.taken + quantity <= Slot.capacity)
        .values(taken=Slot.taken + quantity).execution_options(synchronize_session=False))
    return result.rowcount == 1


def release_places(session: Session, slot_id: int, quantity: int) -> None:
    session.execute(update(Slot).where(Slot.id == slot_id).values(taken=Slot.taken - quantity)
                    .execution_options(synchronize_session=False))


def expire_holds(session: Session, now: dt.datetime, slot_id: int | None = None, hook=None) -> int:
    """Expire every payment hold that has run out and free its places; return how many."""
    query = (update(Booking)
             .where(Booking.status == "pending_payment", Booking.hold_expires_at <= now)
             .values(status="expired", updated_at=now)
             .returning(Booking.id, Booking.slot_id, Booking.quantity))
    if slot_id is not None:
        query = query.where(Booking.slot_id == slot_id)
    expired = session.execute(query.execution_options(synchronize_session=False)).all()
    freed: dict[int, int] = {}
    for _, expired_slot, quantity in expired:
        freed[expired_slot] = freed.get(expired_slot, 0) + quantity
    for expired_slot, quantity in sorted(freed.items()):
        release_places(session, expired_slot, quantity)
    if hook is not None and expired:
        ids = [row[0] for row in expired]
        after_commit(session, lambda: [hook.booking_expired(session=session, booking=session.get(Booking, i))
                                       for i in ids])
    return len(expired)


def booking_or_404(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"no booking {booking_id}")
    return booking


def can_see(user: User, booking: Booking, community_id: int) -> bool:
    return (booking.resident_id == user.id
            or policy.has_role(user, "operator_staff", operator_id=booking.operator_id)
            or policy.has_role(user, "community_staff", community_id=community_id))


def visible_booking(session: Session, user: User | None, booking_id: int) -> tuple[Booking, SlotContext]:
    """A booking its resident, its operator's staff or its community's staff may see; 404 for anyone else."""
    policy.require_user(user)
    booking = booking_or_404(session, booking_id)
    ctx = slot_context(session, booking.slot_id)
    if not can_see(user, booking, ctx.community.id):
        raise NotFound(f"no booking {booking_id}")
    return booking, ctx


def _transition(session: Session, booking: Booking, allowed: tuple[str, ...], to: str, now: dt.datetime) -> None:
    """Move the booking to ``to`` only if it is still in an allowed state (safe against races)."""
    result = session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(allowed))
        .values(status=to, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.refresh(booking)
        raise Conflict(f"a booking that is {booking.status.replace('_', ' ')} cannot become {to.replace('_', ' ')}")
    session.refresh(booking)


def cancel(session: Session, hook, user: User | None, booking_id: int) -> Booking:
    """The resident cancels up to the listing's cutoff; the places are freed at once."""
    booking, ctx = visible_booking(session, user, booking_id)
    if booking.resident_id != user.id:
        raise Forbidden("only the resident who booked may cancel")
    now = utcnow()
    cutoff = ctx.slot.starts_at - dt.timedelta(minutes=ctx.listing.cancel_cutoff_minutes)
    if booking.status in LIVE and now >= cutoff:
        raise Conflict(f"cancellations closed at {cutoff.astimezone(ZoneInfo(ctx.community.timezone)):%Y-%m-%d %H:%M}")
    _transition(session, booking, LIVE, "cancelled", now)
    release_places(session, booking.slot_id, booking.quantity)
    after_commit(session, lambda: hook.booking_cancelled(session=session, booking=booking))
    return booking


def _require_operator_staff(user: User | None, booking: Booking) -> None:
    policy.require_user(user)
    if not policy.has_role(user, "operator_staff", operator_id=booking.operator_id):
        raise Forbidden("only the operator's staff may do this")


def check_in(session: Session, hook, user: User | None, booking_id: int) -> Booking:
    """Operator staff mark the resident as served, from booking until a day after the slot ends."""
    booking, ctx = visible_booking(session, user, booking_id)
    _require_operator_staff(user, booking)
    now = utcnow()
    if now > ctx.slot.ends_at + CHECK_IN_GRACE:
        raise Conflict("check-in closed 24 hours after the slot ended")
    _transition(session, booking, ("confirmed",), "fulfilled", now)
    after_commit(session, lambda: hook.booking_fulfilled(session=session, booking=booking))
    return booking


def mark_no_show(session: Session, hook, user: User | None, booking_id: int) -> Booking:
    """Operator staff record that nobody came; allowed once the slot has started."""
    booking, ctx = visible_booking(session, user, booking_id)
    _require_operator_staff(user, booking)
    now = utcnow()
    if now < ctx.slot.starts_at:
        raise Conflict("a no-show can be recorded once the slot has started")
    _transition(session, booking, ("confirmed",), "no_show", now)
    after_commit(session, lambda: hook.booking_no_show(session=session, booking=booking))
    return booking


def bookings_visible_to(user: User | None, status: str | None = None, slot_id: int | None = None):
    """The bookings query of what this user may see: own, own operators', own communities'."""
    policy.require_user(user)
    query = select(Booking).order_by(Booking.id.desc())
    if not policy.is_admin(user):
        communities = policy.community_ids(user, "community_staff")
        scope = [Booking.resident_id == user.id]
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
