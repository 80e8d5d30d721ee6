"""What the fair's pages read beyond the API: its fairs at a glance, who holds each stall, gifts and reports.

Read-only, and scoped as the API's readers are: the fair's staff and its
community's staff (``operator_of_type``); the public sees what the API
shows the public (stall numbers taken, visit counts).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.plugin_api import NO_ACCOUNT, Booking, InKindDonation, Listing, Slot, User, operator_of_type, utcnow
from plugins.market_fair import KEY, service
from plugins.market_fair.models import SalesReport, Stall, Vendor

RECENT = dt.timedelta(days=90)
GIFTS_SHOWN = 20


def _fair_days(session, slots) -> list[dict]:
    return [{"slot": slot, "map": service.stall_map(session, slot.id),
             "visits": service.visit_count(session, slot.id)["visits"]} for slot in slots]


def coming_fairs(session, listing) -> list[dict]:
    """A fair listing's coming days, with the stalls still free and the visits registered (public)."""
    slots = session.scalars(select(Slot).where(Slot.listing_id == listing.id, Slot.ends_at > utcnow())
                            .order_by(Slot.starts_at).limit(10)).all()
    return _fair_days(session, slots)


def fairs(session, user, operator_id: int):
    """The operator's fairs of the last three months and to come (its staff, the community's staff)."""
    operator = operator_of_type(session, user, operator_id, KEY)
    slots = session.scalars(select(Slot).join(Listing, Listing.id == Slot.listing_id)
                            .where(Listing.operator_id == operator.id, Listing.type == KEY,
                                   Slot.ends_at > utcnow() - RECENT)
                            .order_by(Slot.starts_at.desc()).limit(50)).all()
    return operator, _fair_days(session, slots)


def stall_holders(session, user, slot_id: int) -> dict[int, dict]:
    """Who holds each stall of a fair, whether they reported their sales, and whether this user may report them
    (its staff, the community's staff)."""
    ctx = service.fair(session, slot_id)
    operator_of_type(session, user, ctx.operator.id, KEY)
    rows = session.execute(
        select(Stall.stall_number, Booking.id, Booking.resident_id, Booking.status, User.name, Vendor.business_name,
               SalesReport.id)
        .join(Booking, Booking.id == Stall.booking_id).join(User, User.id == Booking.resident_id)
        .outerjoin(Vendor, (Vendor.user_id == Booking.resident_id) & (Vendor.operator_id == Booking.operator_id))
        .outerjoin(SalesReport, SalesReport.booking_id == Booking.id)
        .where(Stall.slot_id == slot_id, Booking.status.in_(service.LIVE)))
    return {number: {"booking_id": booking_id, "status": status, "name": name, "business": business,
                     "reported": report_id is not None,
                     "reportable": service.may_report_sales(user, vendor_id, ctx.operator.id)}
            for number, booking_id, vendor_id, status, name, business, report_id in rows}


def gifts(session, operator_id: int) -> list[InKindDonation]:
    """The latest gifts in kind that came through this fair operator."""
    return session.scalars(select(InKindDonation).where(InKindDonation.operator_id == operator_id)
                           .order_by(InKindDonation.id.desc()).limit(GIFTS_SHOWN)).all()


def report_of(session, booking_id: int) -> SalesReport | None:
    return session.scalar(select(SalesReport).where(SalesReport.booking_id == booking_id))


def sales_rows(session, user, operator_id: int):
    """Every vendor's report with their name and stall, newest first (the fair's and the community's staff)."""
    operator = operator_of_type(session, user, operator_id, KEY)
    rows = session.execute(
        select(SalesReport, User.name, Slot.starts_at, Booking.details)
        .join(Booking, Booking.id == SalesReport.booking_id).join(User, User.id == Booking.resident_id)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(SalesReport.operator_id == operator.id).order_by(SalesReport.id.desc()).limit(200)).all()
    return operator, [{"report": report, "vendor": name, "starts_at": starts_at,
                       "stall_number": details.get("stall_number")} for report, name, starts_at, details in rows]


def user_id_by_email(session, email: str) -> int:
    """The account a vendor is registered under, found by its email (a 422 naming the field when there is none)."""
    found = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if found is None:
        raise NO_ACCOUNT(field="email")
    return found
