"""The market fair's rules: stalls, the vendor register and its prices, visits, sales pledges and gifts in kind.

A stall of one fair is held by one live booking: a row per booking in
``market_fair_stalls`` with a unique (slot, stall) constraint. Rows of bookings
that are no longer live (cancelled, expired) are purged when the next stall of
that fair is placed, inside that booking's transaction, so a freed stall can be
booked again without relying on any after-commit event.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, func, not_, or_, select
from sqlalchemy.exc import IntegrityError

from core import N_, Quote, conflict, forbidden, invalid, not_found, share_bps, text
from core.plugin_api import (
    BOOKING_NOT_FOUND, UNKNOWN_USER, Booking, InKindDonation, Operator, User, has_role, operator_of_type,
    pledge_donation, record_in_kind, require, require_in_kind_recorder, require_user, slot_context, utcnow,
)
from plugins.market_fair import KEY
from plugins.market_fair.models import SalesReport, Stall, Vendor, Visit
from plugins.market_fair.schemas import DEFAULT_STALLS, LOCAL_MERCHANT_AMOUNT

LIVE = ("pending_payment", "confirmed", "fulfilled")

PLEDGE_MEMO = N_("Stall %(stall)s at the fair of %(day)s: %(percent)s%% of sales pledged")
NO_SUCH_STALL = invalid("no_such_stall", N_("This fair has stalls 1 to %(stalls)s."))
STALL_TAKEN = conflict("stall_taken", N_("Stall %(stall)s is taken for this fair: leave the number out for a free one."))
NO_STALL_LEFT = conflict("no_stall_left", N_("Every stall of this fair is taken."))
NOT_A_FAIR = not_found("not_a_fair", N_("Time %(slot_id)s is not a market fair."))
ON_THE_REGISTER = conflict("vendor_registered_already", N_(
    "This person is on the register already: change their entry instead."))
VENDOR_NOT_FOUND = not_found("vendor_not_found", N_("We could not find vendor %(vendor_id)s."))
VISITORS = forbidden("visitors_are_residents", N_("Visits are registered by residents of the fair's community."))
FAIR_OVER = conflict("fair_over", N_("This fair is over."))
SALES_REPORTERS = forbidden("sales_reporters", N_("Sales are reported by the vendor or the fair's staff."))
NO_SALES_TO_REPORT = conflict("no_sales_to_report", N_("This stall was not taken: it has no sales to report."))
FAIR_NOT_OVER = conflict("fair_not_over", N_("Sales are reported after the fair."))
SALES_REPORTED = conflict("sales_reported_already", N_("The sales of this stall were reported already."))


def stall_count(listing) -> int:
    return listing.details.get("stalls", DEFAULT_STALLS)


def check_stall_number(listing, details: dict) -> None:
    """A chosen stall must exist on the fair's map (422)."""
    wanted, stalls = details.get("stall_number"), stall_count(listing)
    if wanted is not None and wanted > stalls:
        raise NO_SUCH_STALL(stalls=stalls, field="details.stall_number")


def _holds_stall(now: dt.datetime):
    """A booking keeps its stall while it is live; a payment hold that ran out keeps none (even before it expires)."""
    return and_(Booking.status.in_(LIVE),
                or_(Booking.status != "pending_payment", Booking.hold_expires_at.is_(None),
                    Booking.hold_expires_at > now))


def _taken(session, slot_id: int) -> set[int]:
    return set(session.scalars(select(Stall.stall_number).join(Booking, Booking.id == Stall.booking_id)
                               .where(Stall.slot_id == slot_id, _holds_stall(utcnow()))))


def _hold(session, booking: Booking, number: int) -> bool:
    """Insert the stall row; False if a concurrent booking holds that stall already."""
    try:
        with session.begin_nested():
            session.add(Stall(slot_id=booking.slot_id, stall_number=number, booking_id=booking.id))
    except IntegrityError:
        return False
    booking.details = {**booking.details, "stall_number": number}
    return True


def _purge_stalls_let_go(session, slot_id: int) -> None:
    """Delete the stall rows of the fair's bookings that hold no stall any more (cancelled, expired, hold run out)."""
    session.execute(delete(Stall).where(Stall.slot_id == slot_id, Stall.booking_id.in_(
        select(Booking.id).where(Booking.slot_id == slot_id, not_(_holds_stall(utcnow()))))))


def place_stall(session, booking: Booking, ctx) -> None:
    """Give the booking the stall it asked for, or the lowest free one; 409 when it is taken or none is left.

    Rows of bookings that hold no stall any more are purged first. A stall lost to a
    concurrent booking (the unique constraint) is a 409 when it was asked for by
    number, and the next free stall when it was not.
    """
    _purge_stalls_let_go(session, ctx.slot.id)
    taken, wanted = _taken(session, ctx.slot.id), booking.details.get("stall_number")
    if wanted is not None:
        if wanted in taken or not _hold(session, booking, wanted):
            raise STALL_TAKEN(stall=wanted, field="details.stall_number")
        return
    _hold_a_free_stall(session, booking, ctx, taken)


def place_stall_again(session, booking: Booking, ctx) -> None:
    """A booking paid after its hold ran out: its stall if nobody took it meanwhile, else the lowest free one."""
    if session.scalar(select(Stall.id).where(Stall.booking_id == booking.id)):
        return  # nobody placed a stall since the hold ran out: the row, and the stall, are still its own
    _purge_stalls_let_go(session, ctx.slot.id)
    taken, old = _taken(session, ctx.slot.id), booking.details.get("stall_number")
    if old is None or old in taken or not _hold(session, booking, old):
        _hold_a_free_stall(session, booking, ctx, taken)


def _hold_a_free_stall(session, booking: Booking, ctx, taken: set[int]) -> None:
    free = (n for n in range(1, stall_count(ctx.listing) + 1) if n not in taken)
    if not any(_hold(session, booking, n) for n in free):
        raise NO_STALL_LEFT(field="details.stall_number")


def fair(session, slot_id: int):
    """The slot's context, if the slot is a market fair (404 otherwise)."""
    ctx = slot_context(session, slot_id)
    if ctx.listing.type != KEY:
        raise NOT_A_FAIR(slot_id=slot_id)
    return ctx


def stall_map(session, slot_id: int) -> dict:
    ctx = fair(session, slot_id)
    taken, stalls = sorted(_taken(session, slot_id)), stall_count(ctx.listing)
    return {"slot_id": slot_id, "stalls": stalls, "taken": taken, "free": stalls - len(taken)}


def vendors(operator: Operator):
    return select(Vendor).where(Vendor.operator_id == operator.id).order_by(Vendor.id)


def register_vendor(session, user, operator: Operator, user_id: int, business_name: str, tier: str) -> Vendor:
    if session.get(User, user_id) is None:
        raise UNKNOWN_USER(field="user_id")
    vendor = Vendor(operator_id=operator.id, user_id=user_id, business_name=business_name, tier=tier,
                    registered_by_id=user.id)
    try:
        with session.begin_nested():
            session.add(vendor)
    except IntegrityError:
        raise ON_THE_REGISTER(field="user_id") from None
    return vendor


def ensure_vendor(session, operator: Operator, email: str, business_name: str, tier: str) -> None:
    """Demo register: the user with this email on it once."""
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and session.scalar(select(Vendor.id).where(Vendor.operator_id == operator.id,
                                                                   Vendor.user_id == user.id)) is None:
        session.add(Vendor(operator_id=operator.id, user_id=user.id, business_name=business_name, tier=tier))


def vendor_to_manage(session, user, vendor_id: int) -> Vendor:
    """A vendor on the register of a fair the user keeps (its staff)."""
    require(user, "operator_staff")
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise VENDOR_NOT_FOUND(vendor_id=vendor_id)
    operator_of_type(session, user, vendor.operator_id, KEY, manage=True)
    return vendor


def update_vendor(session, user, vendor_id: int, changes: dict) -> Vendor:
    vendor = vendor_to_manage(session, user, vendor_id)
    for field, value in changes.items():
        setattr(vendor, field, value)
    session.flush()
    return vendor


def local_merchant_quote(session, listing, resident, quantity: int, quote: Quote) -> Quote | None:
    """A local merchant on the register pays the low-cost price where the rules would charge the paid one."""
    if quote.tier != "paid":
        return None
    tier = session.scalar(select(Vendor.tier).where(Vendor.operator_id == listing.operator_id,
                                                    Vendor.user_id == resident.id))
    amount = listing.details.get("local_merchant_amount", LOCAL_MERCHANT_AMOUNT)
    if tier != "local" or amount >= quote.unit_amount:
        return None
    return Quote(tier="low_cost", unit_amount=amount, quantity=quantity, currency=quote.currency,
                 rule="local_merchant")


def register_visit(session, user, slot_id: int) -> tuple[Visit, bool]:
    """A resident of the fair's community registers a free visit; return it and whether it is new."""
    require(user, "resident")
    ctx = fair(session, slot_id)
    if not has_role(user, "resident", community_id=ctx.community.id):
        raise VISITORS()
    if ctx.slot.ends_at <= utcnow():
        raise FAIR_OVER()
    query = select(Visit).where(Visit.slot_id == slot_id, Visit.user_id == user.id)
    try:
        with session.begin_nested():
            visit = Visit(slot_id=slot_id, user_id=user.id)
            session.add(visit)
    except IntegrityError:
        return session.scalar(query), False
    return visit, True


def visit_count(session, slot_id: int) -> dict:
    fair(session, slot_id)
    count = session.scalar(select(func.count()).select_from(Visit).where(Visit.slot_id == slot_id))
    return {"slot_id": slot_id, "visits": count}


def stall_for_report(session, user, booking_id: int):
    """A stall booking whose sales this user may report (its vendor, the fair's staff): the booking and its fair."""
    require_user(user)
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BOOKING_NOT_FOUND(booking_id=booking_id)
    if not may_report_sales(user, booking.resident_id, booking.operator_id):
        raise SALES_REPORTERS()
    return booking, fair(session, booking.slot_id)


def may_report_sales(user, vendor_id: int | None, operator_id: int) -> bool:
    """The stall's vendor, or the fair's own staff for them (the community's staff read reports, not write them)."""
    return user is not None and (vendor_id == user.id or has_role(user, "operator_staff", operator_id=operator_id))


def report_sales(session, user, booking_id: int, sales_amount: int, pledged_bps: int) -> SalesReport:
    """After the fair a vendor (or the fair's staff for them) reports sales; the pledged share becomes due, once."""
    booking, ctx = stall_for_report(session, user, booking_id)
    if booking.status not in ("confirmed", "fulfilled"):
        raise NO_SALES_TO_REPORT()
    if ctx.slot.ends_at > utcnow():
        raise FAIR_NOT_OVER()
    report = SalesReport(booking_id=booking.id, operator_id=booking.operator_id, sales_amount=sales_amount,
                         pledged_bps=pledged_bps, pledged_amount=share_bps(sales_amount, pledged_bps),
                         currency=ctx.community.currency, reported_by_id=user.id)
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:
        raise SALES_REPORTED() from None
    if report.pledged_amount:
        pledge_donation(session, ctx.operator, report.pledged_amount, f"market_fair:sales:{report.id}",
                        text(PLEDGE_MEMO, stall=booking.details.get("stall_number"), day=ctx.day.isoformat(),
                             percent=f"{pledged_bps / 100:g}"))
    return report


def sales_reports(operator: Operator):
    return select(SalesReport).where(SalesReport.operator_id == operator.id).order_by(SalesReport.id.desc())


def gift_fair(session, user, slot_id: int):
    """The fair a user may record gifts at: the committee and staff of its community, the fair's own staff."""
    require(user, "operator_staff", "community_staff", "committee_member")
    ctx = fair(session, slot_id)
    require_in_kind_recorder(user, ctx.community.id, ctx.operator.id)
    return ctx


def record_gift(session, user, slot_id: int, donor: str, item: str, quantity: int, declared_value_amount: int,
                received_on: dt.date | None):
    """Goods given at a fair go into the fund at declared value, apart from its cash."""
    ctx = gift_fair(session, user, slot_id)
    return record_in_kind(session, user, ctx.community, ctx.operator.id, donor, item, quantity,
                          declared_value_amount, received_on or ctx.day)


def ensure_gift(session, user, slot_id: int, gift: dict, received_on: dt.date) -> None:
    """Demo data: this gift at this fair, recorded once."""
    ctx = fair(session, slot_id)
    if session.scalar(select(InKindDonation.id).where(InKindDonation.operator_id == ctx.operator.id,
                                                      InKindDonation.donor == gift["donor"],
                                                      InKindDonation.item == gift["item"])) is None:
        record_gift(session, user, slot_id, received_on=received_on, **gift)
