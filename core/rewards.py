"""Rewards the community defines (a free lunch for a volunteer with 10 hours): a price rule with ``volunteer_hours``
matches an active volunteer of the listing's community with that many hours, and a booking at its price spends them.

The hours are read with the volunteer's row locked (``FOR UPDATE``) while the price is decided and spent in the
booking's transaction, so of two bookings made at once the second sees what the first left and, if it is not enough,
falls through to the next rule. A booking that ends unserved (cancelled, called off, its hold run out) gives them back
once; one revived by a late payment spends them again or is not revived; a served booking keeps them spent. Every
change goes through :func:`core.time_bank.post_hours`, so the balance never goes below zero.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Booking, Listing, User, Volunteer, VolunteerHours
from core.pricing import parse_rules
from core.time_bank import post_hours


def locked_balance(session: Session, user_id: int, community_id: int) -> int | None:
    """The user's hours (in tenths) as an active volunteer of the community, their row locked until the transaction
    ends; None for someone who is no active volunteer there."""
    return session.scalar(select(Volunteer.balance_tenths).where(
        Volunteer.user_id == user_id, Volunteer.community_id == community_id, Volunteer.status == "active")
        .with_for_update())


def spend(session: Session, booking: Booking, listing: Listing) -> None:
    """A new booking at a reward's price spends the reward's hours (for the resident's own place only)."""
    rule = next((r for r in parse_rules(listing.price_rules) if r.name == booking.rule), None)
    if rule is None or rule.volunteer_tenths is None or booking.resident_id is None:
        return
    volunteer_id = session.scalar(select(Volunteer.id).where(Volunteer.user_id == booking.resident_id,
                                                             Volunteer.community_id == listing.community_id))
    post_hours(session, volunteer_id, -rule.volunteer_tenths, "reward", None, booking_id=booking.id,
               reason=rule.name)


def give_back(session: Session, booking: Booking, actor: User | None) -> None:
    """A booking that ends unserved gives back the hours it still holds spent: once, however often it is asked."""
    held = _held(session, booking)
    if held is not None and held[1] < 0:
        post_hours(session, held[0], -held[1], "reward_returned", actor, booking_id=booking.id)


def spend_again(session: Session, booking: Booking) -> None:
    """A booking revived after its hours came back spends them again (409 ``not_enough_hours``: not revived)."""
    held = _held(session, booking)
    if held is None or held[1] < 0:
        return
    spent = session.scalars(select(VolunteerHours).where(VolunteerHours.booking_id == booking.id,
                                                         VolunteerHours.kind == "reward")).first()
    post_hours(session, held[0], spent.tenths, "reward", None, booking_id=booking.id, reason=spent.reason)


def _held(session: Session, booking: Booking) -> tuple[int, int] | None:
    """The volunteer whose hours the booking spent and the sum of its entries (negative while spent), read with
    the volunteer's row locked; None for a booking that spent none."""
    volunteer_id = session.scalar(select(VolunteerHours.volunteer_id).where(VolunteerHours.booking_id == booking.id)
                                  .limit(1))
    if volunteer_id is None:
        return None
    session.execute(select(Volunteer.id).where(Volunteer.id == volunteer_id).with_for_update())
    return volunteer_id, session.scalar(select(func.sum(VolunteerHours.tenths)).where(
        VolunteerHours.booking_id == booking.id))


def used_by(session: Session, booking_ids: list[int]) -> dict[int, int]:
    """The hours (in tenths) each of these bookings holds spent, for those that hold any: one query."""
    if not booking_ids:
        return {}
    rows = session.execute(select(VolunteerHours.booking_id, func.sum(VolunteerHours.tenths))
                           .where(VolunteerHours.booking_id.in_(booking_ids))
                           .group_by(VolunteerHours.booking_id)).all()
    return {booking_id: -total for booking_id, total in rows if total < 0}
