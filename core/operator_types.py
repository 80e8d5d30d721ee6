"""An operator type: what a plugin declares about its kind of service, and how that kind's bookings behave.

A plugin subclasses :class:`OperatorType`, sets its attributes, overrides the methods
its type needs, and registers an instance through ``register_operator_types``. The
core asks a listing's own type, never every plugin: each method has one call site in
the core, and its default does nothing (or lets the core decide). The booking methods
run inside the booking's transaction, so raising a domain error refuses the change
and keeps nothing; events for everyone else (``booking_confirmed`` …) are pluggy
hooks fired after the commit.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from marshmallow import RAISE, Schema, ValidationError

from core.errors import N_, VALIDATION_FAILED, invalid

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.booking import SlotContext
    from core.donations import DonationBase
    from core.models import Agreement, Booking, Listing, Operator, Slot, User
    from core.pricing import Person, Quote


class NoDetails(Schema):
    """A type whose listings or bookings take no details: any field is unknown."""

    class Meta:
        unknown = RAISE


class OperatorType:
    """A kind of operator (canteen, housekeeping centre …): its details, defaults and booking behaviour."""

    key: str = ""
    label: str = ""
    description: str = ""
    listing_schema: type[Schema] = NoDetails
    booking_schema: type[Schema] = NoDetails
    default_price_rules: list[dict] = []  # noqa: RUF012 - read, never changed
    default_donation: dict = {"kind": "percent_of_revenue", "bps": 0}  # noqa: RUF012
    bookings_per_resident_per_slot: int | None = 1
    """Live bookings one resident may hold for one time (None: any number): nobody books the same lunch twice by
    accident, while a type whose residents book several times over (loads at a laundry) may allow more."""
    sells_several_places: bool = False
    """A booking may take several places (a family's lunches); otherwise each booking is one person's one place
    (a stall, a shift, a visit), and its form asks no quantity."""
    served_at_home: bool = False
    """The service comes to the resident's home (a cleaning, a visit): cash is paid to the worker there."""
    everyday: bool = False
    """Residents use it every day (a canteen's meals): a resident's home page offers its next time first."""

    def __init__(self, **attributes) -> None:
        """Attributes for a type with no behaviour of its own: ``OperatorType(key="laundry", label="Laundry")``."""
        for name, value in attributes.items():
            if name not in OperatorType.__annotations__:
                raise TypeError(f"an operator type has no attribute {name!r}")
            setattr(self, name, value)
        if not self.key or not self.label:
            raise TypeError(f"{type(self).__name__} needs a key and a label")

    def public(self) -> dict:
        return {
            "key": self.key, "label": self.label, "description": self.description,
            "default_price_rules": self.default_price_rules, "default_donation": self.default_donation,
            "sells_several_places": self.sells_several_places,
            "bookings_per_resident_per_slot": self.bookings_per_resident_per_slot,
        }

    # Pricing and booking, inside the booking's transaction.

    def quote(self, session: Session, ctx: SlotContext, resident: User, person: Person, quantity: int,
              quote: Quote) -> Quote | None:
        """A price other than the one the listing's rules decided (``quote``), or None to keep it. Not asked for a
        visitor served at the counter: nobody is known to give another price to."""
        return None

    def booking_questions(self, person: Person, day: dt.date) -> dict[str, object]:
        """What the booking page asks this person about ``booking_schema``'s details, by field: an answer filled in
        for them, or None to leave the question out (it is not theirs to choose). A field not named is asked,
        unanswered, as it is by default. The page's only help: ``validate_booking`` still decides."""
        return {}

    def validate_booking(self, session: Session, ctx: SlotContext, resident: User | None, person: Person,
                         quantity: int, details: dict) -> None:
        """Refuse a booking by raising a domain error; ``details`` passed ``booking_schema``, ``person`` is who the
        price rules saw (``resident`` is None for a visitor served at the counter). Called before a new booking is
        placed and before a late-paid one is revived."""

    def booking_placed(self, session: Session, booking: Booking, ctx: SlotContext) -> None:
        """A new booking has its places and its row: the type's own bookkeeping (send a worker, give a stall).

        Change ``booking.details`` by assigning a new dict; raise a domain error to refuse the booking.
        """

    def booking_revived(self, session: Session, booking: Booking, ctx: SlotContext, actor: User | None) -> None:
        """A booking paid after its hold ran out has its places again: place it again, or raise to refuse it (the
        payment is then refunded). Whatever the type gave it before may have gone to someone else meanwhile."""
        self.booking_placed(session, booking, ctx)

    def booking_confirmed(self, session: Session, booking: Booking, ctx: SlotContext, actor: User | None) -> None:
        """A held booking was paid (a booking confirmed at once is told ``booking_placed`` only)."""

    def booking_cancelled(self, session: Session, booking: Booking, ctx: SlotContext, actor: User | None) -> None:
        """A live booking was cancelled; its places are free again."""

    def booking_fulfilled(self, session: Session, booking: Booking, ctx: SlotContext, actor: User | None) -> None:
        """The operator's staff (``actor``) checked the booking in."""

    def booking_no_show(self, session: Session, booking: Booking, ctx: SlotContext, actor: User | None) -> None:
        """The operator's staff (``actor``) recorded that nobody came."""

    def booking_expired(self, session: Session, booking: Booking, ctx: SlotContext, actor: User | None) -> None:
        """A payment hold ran out (``actor`` is None) or its payment failed; its places are free again."""

    # Money.

    def donation(self, agreement: Agreement, base: DonationBase) -> int | None:
        """This type's own donation for ``base``, in minor units, or None to let the agreement's rule decide."""
        return None

    # Pages (called while a page renders).

    def page_fragment(self, page: str, listing: Listing, slot: Slot | None, booking: Booking | None,
                      user: User | None) -> str | None:
        """Markup this type adds to a core page about one of its listings, rendered from a template (which escapes).

        ``page`` is ``"service"`` (the listing and its times), ``"book"`` (booking ``slot``) or ``"booking"`` (a
        resident's own ``booking`` of ``slot``).
        """
        return None

    def operator_page_links(self, operator: Operator, user: User | None) -> list[tuple[str, str]]:
        """``(label, url)`` of this type's pages about ``operator`` that ``user`` may open, shown beside the
        operator's own tabs."""
        return []


NOT_AN_OBJECT = invalid("not_an_object", N_("Please give the answers as an object of named fields."))


def load_details(schema: type[Schema], raw, field_name: str) -> dict:
    """Details validated by the plugin's schema; unknown fields are an error (422)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise NOT_AN_OBJECT(field=field_name)
    try:
        return _strict(schema).load(raw)
    except ValidationError as e:
        raise VALIDATION_FAILED(errors={field_name: e.messages}) from None


@functools.cache
def _strict(schema: type[Schema]) -> Schema:
    """One strict instance per plugin schema, built once: building one copies every field, and a schema keeps no
    state between loads."""
    return schema(unknown=RAISE)
