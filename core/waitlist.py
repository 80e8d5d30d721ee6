"""The waiting list of a full time (SPEC §11.7): places freed go to those waiting, in the order they joined.

A freed place is never simply free while someone waits: :func:`offer` runs where the booking module gives places
back (``core.booking._release_places``) and where the operator adds places, in the same transaction and under the
slot's row lock that freeing took. Each offer takes the place for its entry (it stays counted in ``slots.taken``),
so nobody else can book it, no place is offered twice and capacity is never passed. The offer is then accepted
(the place handed to the booking, made through the ordinary booking path), declined, or it lapses; the last two
give the place back through the same door, so it goes to the next in line.

Every change of an entry is a conditional UPDATE on its status (and, for accepting and lapsing, on the offer's
expiry), so of an accept racing the lapse job exactly one wins.

Whoever may book for a resident (``core.booking.check_customer``/``customer_of``: the office, the operator's staff
for its own services, a family member the office linked) may put them on a list and act on their entry; the offer
is the resident's, and so is its notification.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from core import booking as bookings
from core import audit, notices, policy, residents
from core.config import DEFAULTS
from core.db import utcnow
from core.errors import N_, conflict, not_found
from core.listings import remaining_places
from core.models import WAITLIST_LIVE, Booking, ResidentProfile, Slot, User, WaitlistEntry

PLACES_REMAIN = conflict("places_remain", N_("Places are still free at this time: please book one instead."))
ALREADY_WAITING = conflict("already_waiting", N_("You are on this time's waiting list already."))
ENTRY_NOT_FOUND = not_found("waitlist_entry_not_found", N_("We could not find waiting list entry %(entry_id)s."))
NO_OFFER = conflict("no_offer", N_("No place is held for you on this entry (its offer was taken up, declined or "
                                   "has run out)."))
NOT_WAITING = conflict("not_waiting", N_("You are not on this waiting list any more."))


def offer_window(session: Session) -> dt.timedelta:
    """How long an offered place is held: ``LINLI_WAITLIST_OFFER_MINUTES``, which the app's sessions carry
    (``core.app``), else its default."""
    minutes = session.info.get("waitlist_offer_minutes", DEFAULTS["WAITLIST_OFFER_MINUTES"])
    return dt.timedelta(minutes=float(minutes))


def _lock_slot(session: Session, slot_id: int) -> None:
    """Hold the slot's row until the commit (a write changing nothing: PostgreSQL locks the row, SQLite takes its one
    writer's lock), so a join is counted after a freeing, and joins one after another."""
    result = session.execute(update(Slot).where(Slot.id == slot_id).values(taken=Slot.taken)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise bookings.SLOT_NOT_FOUND(slot_id=slot_id)


def join(session: Session, plugins, user: User | None, slot_id: int, details: dict | None = None,
         resident_id: int | None = None) -> WaitlistEntry:
    """Put the resident (the user, or the one they act for: ``resident_id``) on a full time's waiting list, if the
    booking rules would let them book it."""
    bookings.check_customer(session, user, resident_id)
    _lock_slot(session, slot_id)
    ctx = bookings.slot_context(session, slot_id)
    customer = bookings.customer_of(session, user, resident_id, ctx)
    now = utcnow()
    operator_type, _, _ = bookings.vet(session, plugins, ctx, customer, 1, details, now)
    held = bookings.live_booking(session, operator_type, slot_id, customer.id)
    if held is not None:
        raise bookings.ALREADY_BOOKED(booking_id=held)
    if remaining_places(session, [ctx.slot])[slot_id] > 0:
        raise PLACES_REMAIN()
    if session.scalar(select(WaitlistEntry.id).where(WaitlistEntry.slot_id == slot_id,
                                                     WaitlistEntry.resident_id == customer.id,
                                                     WaitlistEntry.status.in_(WAITLIST_LIVE))) is not None:
        raise ALREADY_WAITING()
    entry = WaitlistEntry(slot_id=slot_id, resident_id=customer.id, status="waiting", created_at=now, updated_at=now)
    session.add(entry)
    session.flush()
    if customer is not user:
        audit.record(session, user, "waitlist_joined_on_behalf", "waitlist_entry", entry.id, ctx.community.id,
                     resident_id=customer.id, slot_id=slot_id)
    return entry


def _ahead(entry: WaitlistEntry):
    """SQL: an entry waiting before ``entry`` on its time."""
    return and_(WaitlistEntry.slot_id == entry.slot_id, WaitlistEntry.status == "waiting",
                or_(WaitlistEntry.created_at < entry.created_at,
                    and_(WaitlistEntry.created_at == entry.created_at, WaitlistEntry.id < entry.id)))


def position(session: Session, entry: WaitlistEntry) -> int | None:
    """1 for the next in line; None once the entry waits no more (offered, or over)."""
    if entry.status != "waiting":
        return None
    return session.scalar(select(func.count()).select_from(WaitlistEntry).where(_ahead(entry))) + 1


def offer(session: Session, slot_id: int) -> list[WaitlistEntry]:
    """Offer the time's free places to the first waiting entries, each place taken for its entry; call it with the
    slot's row locked (freeing places locks it). A called-off or started time offers nothing."""
    now = utcnow()
    slot = session.get(Slot, slot_id, populate_existing=True)
    offered: list[WaitlistEntry] = []
    if slot.cancelled_at is not None or slot.starts_at <= now:
        return offered
    until = min(now + offer_window(session), slot.starts_at)
    while True:
        entry = session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == "waiting")
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(1).with_for_update()
            .execution_options(populate_existing=True)).first()
        if entry is None or not bookings.try_take_places(session, slot_id, 1):
            return offered
        _change(session, entry, ("waiting",), "offered", offered_at=now, offer_expires_at=until)
        notices.waitlist_offered(session, entry.resident_id, entry.id, slot, until)
        offered.append(entry)


def _change(session: Session, entry: WaitlistEntry, sources: tuple[str, ...], target: str, *conditions,
            **values) -> bool:
    """Move the entry from one of ``sources`` to ``target`` if it still is there (re-checked by the database)."""
    result = session.execute(
        update(WaitlistEntry).where(WaitlistEntry.id == entry.id, WaitlistEntry.status.in_(sources), *conditions)
        .values(status=target, updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    session.refresh(entry)
    return result.rowcount == 1


def own_entry(session: Session, user: User | None, entry_id: int) -> WaitlistEntry:
    """The resident's own entry, or that of a resident the user may book for at its time's operator; 404 for
    anyone else (nobody learns whether it exists)."""
    policy.require_user(user)
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or not (entry.resident_id == user.id or _acts_for(session, user, entry)):
        raise ENTRY_NOT_FOUND(entry_id=entry_id)
    return entry


def _acts_for(session: Session, user: User, entry: WaitlistEntry) -> bool:
    profile = session.get(ResidentProfile, entry.resident_id)
    operator = bookings.slot_context(session, entry.slot_id).operator
    return profile is not None and residents.may_act_for(session, user, profile, operator)


def accept(session: Session, plugins, payments: bookings.Payments, user: User | None, entry_id: int,
           payment_method: str | None, details: dict | None) -> tuple[Booking, object | None]:
    """Book the place held for the resident, at their own tier and paid as any booking is. The held place is given
    back and taken again by the booking in one transaction under the slot's lock, so it is never taken twice nor
    lost to another; a refusal (the caller rolls back) leaves the offer as it was."""
    entry = own_entry(session, user, entry_id)
    if not _change(session, entry, ("offered",), "booked", WaitlistEntry.offer_expires_at > utcnow()):
        raise NO_OFFER()
    bookings.free_places(session, entry.slot_id, 1)
    on_behalf = entry.resident_id if entry.resident_id != user.id else None
    booking, started = bookings.book(session, plugins, payments, user,
                                     bookings.BookingRequest(entry.slot_id, 1, payment_method, details, on_behalf))
    entry.booking_id = booking.id
    session.flush()
    return booking, started


def decline(session: Session, user: User | None, entry_id: int) -> WaitlistEntry:
    """The resident does not want the place held for them: it goes to the next in line."""
    entry = own_entry(session, user, entry_id)
    if not _change(session, entry, ("offered",), "declined"):
        raise NO_OFFER()
    bookings.release_places(session, entry.slot_id, 1)
    return entry


def leave(session: Session, user: User | None, entry_id: int) -> WaitlistEntry:
    """The resident stops waiting; a place held for them goes to the next in line."""
    entry = own_entry(session, user, entry_id)
    if _change(session, entry, ("waiting",), "left"):
        return entry
    if not _change(session, entry, ("offered",), "left"):
        raise NOT_WAITING()
    bookings.release_places(session, entry.slot_id, 1)
    return entry


def lapse(session: Session, now: dt.datetime) -> int:
    """Offers that ran out give their places to the next in line; entries of a time that started or was called
    off stop waiting. Idempotent: what lapsed is not offered or waiting any more. Returns the offers lapsed."""
    lapsed = 0
    expired = select(WaitlistEntry).where(WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at <= now)
    for entry in session.scalars(expired.order_by(WaitlistEntry.offer_expires_at, WaitlistEntry.id)).all():
        if _change(session, entry, ("offered",), "lapsed", WaitlistEntry.offer_expires_at <= now):
            bookings.release_places(session, entry.slot_id, 1)
            lapsed += 1
    over = select(Slot.id).where(or_(Slot.starts_at <= now, Slot.cancelled_at.is_not(None)))
    session.execute(update(WaitlistEntry).where(WaitlistEntry.status == "waiting", WaitlistEntry.slot_id.in_(over))
                    .values(status="lapsed", updated_at=now).execution_options(synchronize_session=False))
    return lapsed


def mine(user: User | None) -> Select:
    """The resident's entries, the live ones first, newest first."""
    policy.require_user(user)
    return (select(WaitlistEntry).where(WaitlistEntry.resident_id == user.id)
            .order_by(WaitlistEntry.status.not_in(WAITLIST_LIVE), WaitlistEntry.created_at.desc(),
                      WaitlistEntry.id.desc()))


def of_slot(session: Session, user: User | None, slot_id: int) -> list[tuple[WaitlistEntry, User]]:
    """The time's live entries in their order, for its operator's staff and its community's staff."""
    policy.require_user(user)
    ctx = bookings.slot_context(session, slot_id)
    if not (policy.has_role(user, "operator_staff", operator_id=ctx.operator.id)
            or policy.has_role(user, "community_staff", community_id=ctx.community.id)):
        raise policy.ROLE_REQUIRED()
    return list(session.execute(
        select(WaitlistEntry, User).join(User, User.id == WaitlistEntry.resident_id)
        .where(WaitlistEntry.slot_id == slot_id, WaitlistEntry.status.in_(WAITLIST_LIVE))
        .order_by(WaitlistEntry.status == "waiting", WaitlistEntry.created_at, WaitlistEntry.id)).all())
