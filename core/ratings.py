"""Ratings: a resident's stars for a service they were given, and each listing's average.

A rating belongs to one fulfilled booking and is given once, by the resident who
booked: stars from an operator's own staff, or for a meal nobody ate, would make
the published averages meaningless. The unique constraint on ``booking_id`` backs
the "once" up under concurrency.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import booking as bookings
from core import policy
from core.errors import N_, conflict, invalid, not_found
from core.models import Listing, Rating, User

STARS = range(1, 6)
MAX_COMMENT = 1000


NOT_SERVED_YET = conflict("not_served_yet", N_("You can rate a service after you have been served."))
INVALID_STARS = invalid("invalid_stars", N_("Please give 1 to 5 stars."))
COMMENT_TOO_LONG = invalid("comment_too_long", N_("Please write at most %(most)s characters."))
ALREADY_RATED = conflict("already_rated", N_("You have already rated this. Thank you."))
NOT_RATED = not_found("not_rated", N_("Booking %(booking_id)s has not been rated."))


@dataclass(frozen=True)
class Average:
    """The mean of a listing's stars (one decimal is what a page shows) and how many ratings it has."""

    stars: float
    count: int


def rate(session: Session, user: User | None, booking_id: int, stars: int, comment: str = "") -> Rating:
    """Record the resident's stars for their fulfilled booking; 403 for anyone else, 409 before or after."""
    policy.require(user, "resident")
    booking, ctx = bookings.visible_booking(session, user, booking_id)
    if booking.resident_id != user.id:
        raise bookings.NOT_YOUR_BOOKING()
    if booking.status != "fulfilled":
        raise NOT_SERVED_YET()
    if stars not in STARS:
        raise INVALID_STARS(field="stars")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise COMMENT_TOO_LONG(most=MAX_COMMENT, field="comment")
    if rating_of(session, booking.id) is not None:
        raise ALREADY_RATED()
    rating = Rating(booking_id=booking.id, resident_id=user.id, operator_id=booking.operator_id,
                    listing_id=ctx.listing.id, stars=stars, comment=comment)
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError:  # a second tap that raced the first
        raise ALREADY_RATED() from None
    return rating


def rating_of(session: Session, booking_id: int) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.booking_id == booking_id))


def averages(session: Session, listing_ids: list[int]) -> dict[int, Average]:
    """Each listed listing's average stars, for those that have any ratings."""
    if not listing_ids:
        return {}
    rows = session.execute(select(Rating.listing_id, func.avg(Rating.stars), func.count())
                           .where(Rating.listing_id.in_(listing_ids)).group_by(Rating.listing_id))
    return {listing_id: Average(round(float(mean), 1), count) for listing_id, mean, count in rows}


def recent(session: Session, operator_id: int, limit: int = 50) -> list[tuple[Rating, str]]:
    """The operator's latest ratings, newest first, each with its listing's title; no resident is named."""
    return [(rating, listing.title) for rating, listing in session.execute(
        select(Rating, Listing).join(Listing, Listing.id == Rating.listing_id)
        .where(Rating.operator_id == operator_id).order_by(Rating.created_at.desc(), Rating.id.desc()).limit(limit))]


def rated_bookings(session: Session, booking_ids: list[int]) -> set[int]:
    """Which of these bookings already have their rating (so a page offers no second one)."""
    if not booking_ids:
        return set()
    return set(session.scalars(select(Rating.booking_id).where(Rating.booking_id.in_(booking_ids))))

