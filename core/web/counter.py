"""The counter: operator staff sell places at the window, one sale after another, by keyboard or on a tablet.

One page, its state in the address (``slot``, ``q``, ``customer``, ``quantity``, ``sold``): choose the meal (the
one being served is chosen already), find the resident by the last digits of their phone or the start of their
name (or serve a visitor), see the price, take the cash. A sale is made only at the price its button showed, and a
form sent twice (a double tap, a reload) sells once: its one-time nonce is claimed in the sale's transaction.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from core import booking as bookings
from core import catalog, counter, listings
from core.api import idempotency
from core.api.common import MAX_ID
from core.counter import Customer
from core.db import utcnow
from core.errors import DomainError
from core.models import Booking, Community, Listing, Operator, Slot, User
from core.pricing import Quote
from core.request_session import session as db_session
from core.web.common import attempt, back_to, field_errors, headline, linli, page_blueprint, require
from core.web.forms import SaleForm
from core.web.paying import Waiting, awaiting_payment, status_response, waiting_of

bp = page_blueprint("web_counter", __name__)
VISITOR = "visitor"


@dataclass
class Buyer:
    """Whom the sale is for: a resident of the register, a visitor, or nobody chosen yet."""

    resident: Customer | None = None
    visitor: bool = False

    @property
    def chosen(self) -> bool:
        return self.visitor or self.resident is not None

    @property
    def resident_id(self) -> int | None:
        return self.resident.id if self.resident else None

    @property
    def code(self) -> str:
        return VISITOR if self.visitor else str(self.resident_id or "")


@bp.route("/operators/<int:operator_id>/counter", methods=["GET", "POST"])
def counter_page(operator_id: int):
    """The window: the meal, the customer, the price, the cash; after a sale, the next one."""
    user = require("operator_staff", operator_id=operator_id)
    db, now = db_session(), utcnow()
    operator = catalog.operator_or_404(db, operator_id)
    open_slots = counter.open_for_sale(db, operator, now)
    asked = _id("slot")
    chosen = next((row for row in open_slots if row[0].id == asked), None) or counter.current_or_next(open_slots, now)
    # A sale is for the time its form showed, never another: one no longer sold is refused, saying why.
    slot_id = asked if request.method == "POST" else chosen and chosen[0].id
    buyer, error = _buyer(user, operator)
    form, several = SaleForm(formdata=request.form if request.method == "POST" else None), _sells_several(operator)
    if request.method == "GET":
        form.quantity.data = request.args.get("quantity", 1, type=int) if several else 1
        form.nonce.data = secrets.token_urlsafe(16)
    valid = request.method == "GET" or form.validate()
    quote = repriced = None
    if slot_id and buyer.chosen and error is None and valid:
        quote, error = _quote(user, slot_id, form.quantity.data, buyer)
    if quote is not None and request.method == "POST" and request.form.get("action") == "sell":
        repriced = form.shown_total.data != str(quote.total_amount)
        if not repriced:
            sold, error = attempt(lambda db: _sell(db, user, slot_id, form.quantity.data, buyer, form.nonce.data))
            if error is None:
                return _after_sale(operator, slot_id, *sold)
    status = 422 if not valid else error.status if error is not None else 200
    return render_template(
        "operator/counter.html", operator=operator, community=db.get(Community, operator.community_id),
        open_slots=open_slots, chosen=chosen, left=listings.remaining_places(db, [row[0] for row in open_slots]),
        next_sale=None if open_slots else counter.next_opening(db, operator, now), buyer=buyer, form=form,
        quote=quote, repriced=repriced, error=error, headline=headline(error) if error else None,
        problems={name: said for name, said in field_errors(error).items() if name != "quantity"},
        q=_search_text(), found=_found(user, operator, buyer), sold=_sold(operator), limit=counter.SHOWN_CUSTOMERS,
        sale_opens=counter.sale_opens, several=several, awaiting=awaiting_payment(db, operator.id)), status


@bp.route("/operators/<int:operator_id>/counter/pay/<int:booking_id>")
def pay(operator_id: int, booking_id: int):
    """A booking's QR code, big on the counter's tablet, for a resident who pays with their phone; the page moves on
    by itself once the money arrived."""
    operator, waiting = _waiting_at(operator_id, booking_id)
    db = db_session()
    booking = waiting.booking
    return render_template("operator/counter_pay.html", operator=operator, waiting=waiting,
                           community=db.get(Community, operator.community_id),
                           ctx=bookings.slot_context(db, booking.slot_id),
                           resident=db.get(User, booking.resident_id) if booking.resident_id else None)


@bp.route("/operators/<int:operator_id>/counter/pay/<int:booking_id>/status.json")
def pay_status(operator_id: int, booking_id: int):
    """What the counter's QR page asks every few seconds: is the booking still waiting for its payment?"""
    return status_response(_waiting_at(operator_id, booking_id)[1])


def _waiting_at(operator_id: int, booking_id: int) -> tuple[Operator, Waiting]:
    """A booking of this operator, for its own staff only; any other booking is not found."""
    require("operator_staff", operator_id=operator_id)
    db = db_session()
    operator = catalog.operator_or_404(db, operator_id)
    booking = db.get(Booking, booking_id)
    if booking is None or booking.operator_id != operator.id:
        raise bookings.BOOKING_NOT_FOUND(booking_id=booking_id)
    return operator, waiting_of(db, booking)


def _sells_several(operator: Operator) -> bool:
    """Whether the window asks how many: only where a booking may take several places (a family's lunches)."""
    operator_type = linli().plugins.operator_types.get(operator.type)
    return operator_type is not None and operator_type.sells_several_places


def _buyer(user: User, operator: Operator) -> tuple[Buyer, DomainError | None]:
    """The customer named in the address: a visitor, or a resident of the operator's community."""
    if request.values.get("customer") == VISITOR:
        return Buyer(visitor=True), None
    resident_id = _id("customer")
    if resident_id is None:
        return Buyer(), None
    try:
        return Buyer(resident=counter.customer(db_session(), user, operator, resident_id)), None
    except DomainError as error:
        return Buyer(), error


def _quote(user: User, slot_id: int, quantity: int, buyer: Buyer) -> tuple[Quote | None, DomainError | None]:
    """The price the sale would charge, or why it cannot be made (not open yet, moved away, too many)."""
    try:
        sale = counter.counter_sale(db_session(), linli().plugins, user, slot_id, quantity, buyer.resident_id)
    except DomainError as error:
        return None, error
    return sale.offer, None


def _sell(db, user: User, slot_id: int, quantity: int, buyer: Buyer, nonce: str) -> tuple[str, bool]:
    """Sell once per form: (the booking's id, False) for a new sale; (what the first sending made, True) for a
    repeat of it."""
    claim, earlier = idempotency.claim_form(db, user, nonce)
    if claim is None:
        return earlier or "", True
    app = linli()
    booking = counter.sell_at_counter(db, app.plugins, app.payments, user, slot_id, quantity, buyer.resident_id)
    idempotency.answer_form(db, claim, str(booking.id))
    return str(booking.id), False


def _after_sale(operator: Operator, slot_id: int, booking_id: str, repeated: bool):
    """To the page again, ready for the next sale, with what was sold; a repeat says nothing was sold twice."""
    if not booking_id.isdigit():
        flash(_("This form was sent already. Please start the sale again."), "error")
        return back_to("web_counter.counter_page", operator_id=operator.id, slot=slot_id)
    if repeated:
        flash(_("This sale was recorded already: nothing was sold twice."), "success")
    return back_to("web_counter.counter_page", operator_id=operator.id, slot=slot_id, sold=booking_id)


def _id(name: str) -> int | None:
    """An id from the address or the form; None for anything that is not one."""
    value = request.values.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def _search_text() -> str:
    return request.args.get("q", "").strip()[:100]


def _found(user: User, operator: Operator, buyer: Buyer) -> list[Customer] | None:
    """The residents the search found (None when nothing was searched, or a customer is chosen)."""
    q = _search_text()
    if not q or buyer.chosen:
        return None
    return counter.find_customers(db_session(), user, operator, q)


def _sold(operator: Operator):
    """The sale just made, to confirm it: the booking, its time, its service, and its resident (None: a visitor)."""
    booking_id = _id("sold")
    if booking_id is None:
        return None
    return db_session().execute(
        select(Booking, Slot, Listing, User).join(Slot, Slot.id == Booking.slot_id)
        .join(Listing, Listing.id == Slot.listing_id).outerjoin(User, User.id == Booking.resident_id)
        .where(Booking.id == booking_id, Booking.operator_id == operator.id)).first()
