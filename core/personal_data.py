"""A person's own data, as China's Personal Information Protection Law lets them ask for it: one JSON document.

What Linli keeps about them (their account, their entry in the register, what the office checked), what they did
(bookings with their times, services and amounts, ratings), what Linli told them and how they chose to be told,
and who may book for them. Nothing about anyone else
but a name: the staff who checked something are not named, a helper's phone is not shown.
"""
from __future__ import annotations

from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import notifications, residents
from core.models import Booking, Community, Listing, Operator, Rating, Slot, User


class AccountPart(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    created_at = fields.DateTime()
    roles = fields.List(fields.Dict(), metadata={"description": "role, community_id, operator_id"})


class ProfilePart(Schema):
    community = fields.String(metadata={"description": "the community's name"})
    phone = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    date_of_birth_verified = fields.Boolean(metadata={"description": "the office has seen the ID card"})
    address = fields.String(allow_none=True)
    building = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending until the office verifies them, inactive once moved away"})
    registered_at = fields.DateTime(allow_none=True)


class AttributePart(Schema):
    attribute = fields.String()
    verified_at = fields.DateTime()
    expires_on = fields.Date(allow_none=True)


class BookingPart(Schema):
    id = fields.Integer()
    service = fields.String()
    operator = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    quantity = fields.Integer()
    tier = fields.String()
    unit_amount = fields.Integer()
    extra_unit_amount = fields.Integer(allow_none=True)
    total_amount = fields.Integer()
    currency = fields.String()
    status = fields.String()
    payment_method = fields.String(allow_none=True)
    details = fields.Dict()
    booked_by = fields.String(allow_none=True, metadata={"description": "who booked it for them, if not they"})
    created_at = fields.DateTime()


class RatingPart(Schema):
    booking_id = fields.Integer()
    service = fields.String()
    stars = fields.Integer()
    comment = fields.String()
    created_at = fields.DateTime()


class NotificationPart(Schema):
    kind = fields.String()
    title = fields.String(metadata={"description": "in English (the pages and the API say it in your language)"})
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    emailed_at = fields.DateTime(allow_none=True)
    texted_at = fields.DateTime(allow_none=True)


class NotificationPreferencesPart(Schema):
    email = fields.Boolean()
    sms = fields.Boolean()
    language = fields.String()


class PersonPart(Schema):
    name = fields.String()
    linked_at = fields.DateTime(allow_none=True)


class PersonalDataSchema(Schema):
    """Everything Linli keeps about the person asking, and nobody else's."""

    account = fields.Nested(AccountPart)
    profile = fields.Nested(ProfilePart, allow_none=True)
    attributes = fields.List(fields.Nested(AttributePart))
    bookings = fields.List(fields.Nested(BookingPart))
    ratings = fields.List(fields.Nested(RatingPart))
    notifications = fields.List(fields.Nested(NotificationPart))
    notification_preferences = fields.Nested(NotificationPreferencesPart)
    helpers = fields.List(fields.Nested(PersonPart), metadata={"description": "who may book for them"})
    helping = fields.List(fields.Nested(PersonPart), metadata={"description": "whom they may book for"})


def export(session: Session, user: User) -> dict:
    """The person's own data, ready for :class:`PersonalDataSchema` (the API's and the page's one document)."""
    profile = user.profile
    return {
        "account": {"id": user.id, "name": user.name, "email": user.email, "created_at": user.created_at,
                    "roles": [{"role": g.role, "community_id": g.community_id, "operator_id": g.operator_id}
                              for g in user.grants]},
        "profile": _profile(session, profile) if profile else None,
        "attributes": list(profile.attributes) if profile else [],
        "bookings": _bookings(session, user),
        "ratings": [{"booking_id": rating.booking_id, "service": title, "stars": rating.stars,
                     "comment": rating.comment, "created_at": rating.created_at}
                    for rating, title in session.execute(
                        select(Rating, Listing.title).join(Listing, Listing.id == Rating.listing_id)
                        .where(Rating.resident_id == user.id).order_by(Rating.id))],
        "notifications": [{"kind": n.kind, "title": str(n.title_message), "body": str(n.body_message),
                           "link": n.link, "created_at": n.created_at, "read_at": n.read_at,
                           "emailed_at": n.emailed_at, "texted_at": n.texted_at}
                          for n in session.scalars(notifications.inbox_query(user.id))],
        "notification_preferences": notifications.preferences(session, user.id),
        "helpers": [{"name": helper.name, "linked_at": link.linked_at}
                    for link, helper in residents.helpers_of(session, user.id)] if profile else [],
        "helping": [{"name": p.user.name, "linked_at": None} for p in residents.helped_by(session, user)],
    }


def _profile(session: Session, profile) -> dict:
    return {"community": session.get(Community, profile.community_id).name, "phone": profile.phone,
            "date_of_birth": profile.date_of_birth, "date_of_birth_verified": profile.born_verified,
            "address": profile.address, "building": profile.building, "status": profile.status,
            "registered_at": profile.registered_at}


def _bookings(session: Session, user: User) -> list[dict]:
    rows = session.execute(
        select(Booking, Slot, Listing.title, Operator.name, User.name).join(Slot, Slot.id == Booking.slot_id)
        .join(Listing, Listing.id == Slot.listing_id).join(Operator, Operator.id == Booking.operator_id)
        .outerjoin(User, User.id == Booking.booked_by_id)
        .where(Booking.resident_id == user.id).order_by(Slot.starts_at, Booking.id))
    return [{"id": b.id, "service": title, "operator": operator, "starts_at": slot.starts_at,
             "ends_at": slot.ends_at, "quantity": b.quantity, "tier": b.tier, "unit_amount": b.unit_amount,
             "extra_unit_amount": b.extra_unit_amount, "total_amount": b.total_amount, "currency": b.currency,
             "status": b.status, "payment_method": b.payment_method, "details": b.details or {},
             "booked_by": booker if b.booked_by_id not in (None, user.id) else None, "created_at": b.created_at}
            for b, slot, title, operator, booker in rows]
