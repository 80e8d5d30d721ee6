"""``linli check``: the invariants that must hold whatever happened, each violation named."""
from __future__ import annotations

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from core import ledger
from core.db import utcnow
from core.ledger import signed
from core.models import (
    Booking, Community, JournalEntry, JournalLine, Payment, Refund, Slot, Volunteer, VolunteerHours,
)
from core.payments import statements

PLACE_HOLDING = ("pending_payment", "confirmed", "fulfilled", "no_show")


def unbalanced_entries(session: Session) -> list[str]:
    query = (select(JournalLine.entry_id, JournalLine.currency, func.sum(signed("D")))
             .group_by(JournalLine.entry_id, JournalLine.currency).having(func.sum(signed("D")) != 0))
    return [f"entry {entry}: debits and credits differ by {total} {currency}"
            for entry, currency, total in session.execute(query)]


def bad_lines(session: Session) -> list[str]:
    query = select(JournalLine.entry_id, JournalLine.account).where(
        JournalLine.account.not_in(list(ledger.ACCOUNTS)) | (JournalLine.amount <= 0))
    return [f"entry {entry}: invalid line on {account!r}" for entry, account in session.execute(query)]


def slots_over_capacity(session: Session) -> list[str]:
    held = (select(Booking.slot_id, func.sum(Booking.quantity).label("places"))
            .where(Booking.status.in_(PLACE_HOLDING)).group_by(Booking.slot_id).subquery())
    query = (select(Slot.id, Slot.capacity, Slot.taken, func.coalesce(held.c.places, 0))
             .outerjoin(held, held.c.slot_id == Slot.id)
             .where((Slot.taken > Slot.capacity) | (Slot.taken != func.coalesce(held.c.places, 0))))
    return [f"slot {slot}: capacity {capacity}, taken {taken}, booked {booked}"
            for slot, capacity, taken, booked in session.execute(query)]


def _posted(account: str, normal: str, *where):
    """SQL: the sum of a group's lines on ``account`` (and meeting ``where``), positive on its ``normal`` side."""
    return func.coalesce(func.sum(case((and_(JournalLine.account == account, *where), signed(normal)), else_=0)), 0)


def payment_mismatches(session: Session) -> list[str]:
    """Each payment's stored figures against what the ledger posted for it, its refunds and its booking's total.

    A payment counts in the ledger once it succeeded: its revenue, its donation share (less nothing: refunds post
    their reversals apart) and its refunds; until then nothing is posted for it.
    """
    posted = (select(JournalEntry.payment_id,
                     _posted("operator_revenue", "C").label("paid"),
                     _posted("donation_income", "C", JournalEntry.kind != "refund").label("donated"),
                     _posted("refunds", "D").label("refunded"))
              .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
              .where(JournalEntry.payment_id.is_not(None),
                     JournalLine.account.in_(["operator_revenue", "donation_income", "refunds"]))
              .group_by(JournalEntry.payment_id).subquery())
    given_back = (select(Refund.payment_id, func.sum(Refund.amount).label("amount"))
                  .group_by(Refund.payment_id).subquery())
    succeeded = Payment.status == "succeeded"
    paid, donated = (func.coalesce(column, 0) for column in (posted.c.paid, posted.c.donated))
    refunded, refunds = func.coalesce(posted.c.refunded, 0), func.coalesce(given_back.c.amount, 0)
    expected_paid = case((succeeded, Payment.amount), else_=0)
    expected_donated = case((succeeded, Payment.donation_amount), else_=0)
    query = (select(Payment.id, Payment.status, Payment.amount, Payment.donation_amount, Payment.refunded_amount,
                    Payment.booking_id, Booking.total_amount, paid, donated, refunded, refunds)
             .join(Booking, Booking.id == Payment.booking_id)
             .outerjoin(posted, posted.c.payment_id == Payment.id)
             .outerjoin(given_back, given_back.c.payment_id == Payment.id)
             .where(or_(paid != expected_paid, donated != expected_donated, refunded != Payment.refunded_amount,
                        refunds != Payment.refunded_amount, succeeded & (Payment.amount != Booking.total_amount)))
             .order_by(Payment.id))
    return [message for row in session.execute(query) for message in _payment_messages(*row)]


def _payment_messages(pid, status, amount, donation, refunded_amount, booking, total, paid, donated, refunded,
                      refunds) -> list[str]:
    checks = [
        (status != "succeeded" and bool(paid or donated),
         f"payment {pid}: {status}, yet the ledger posted {paid} of revenue and {donated} of donation for it"),
        (status == "succeeded" and amount != paid, f"payment {pid}: amount {amount} != {paid} posted in the ledger"),
        (status == "succeeded" and donation != donated,
         f"payment {pid}: donation_amount {donation} != {donated} posted in the ledger"),
        (status == "succeeded" and amount != total,
         f"payment {pid}: amount {amount} != total_amount {total} of booking {booking}"),
        (refunded_amount != refunded,
         f"payment {pid}: refunded_amount {refunded_amount} != {refunded} of refunds posted in the ledger"),
        (refunded_amount != refunds, f"payment {pid}: refunded_amount {refunded_amount} != {refunds}, the sum of its "
                                     f"refunds"),
    ]
    return [message for wrong, message in checks if wrong]


def refund_mismatches(session: Session) -> list[str]:
    """Each refund's amount and donation reversed against its ledger entry (``refund:<id>``)."""
    posted = (select(JournalEntry.source, _posted("refunds", "D").label("amount"),
                     _posted("donation_income", "D").label("reversed"))
              .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
              .where(JournalEntry.kind == "refund", JournalLine.account.in_(["refunds", "donation_income"]))
              .group_by(JournalEntry.source).subquery())
    amount, reversed_ = func.coalesce(posted.c.amount, 0), func.coalesce(posted.c.reversed, 0)
    query = (select(Refund.id, Refund.payment_id, Refund.amount, Refund.donation_reversed, amount, reversed_)
             .outerjoin(posted, posted.c.source == literal("refund:") + cast(Refund.id, String))
             .where((Refund.amount != amount) | (Refund.donation_reversed != reversed_))
             .order_by(Refund.id))
    found = []
    for refund, payment, stored, stored_reversal, posted_amount, posted_reversal in session.execute(query):
        if stored != posted_amount:
            found.append(f"refund {refund} of payment {payment}: amount {stored} != {posted_amount} posted in the "
                         f"ledger")
        if stored_reversal != posted_reversal:
            found.append(f"refund {refund} of payment {payment}: donation_reversed {stored_reversal} != "
                         f"{posted_reversal} reversed in the ledger")
    return found


def share_mismatches(session: Session) -> list[str]:
    """A fund share split off after payment is received in the ledger (``share:payment:<id>``) exactly once it is
    ``done``, for its ``share_amount``, and never before."""
    posted = (select(JournalEntry.source, _posted("fund_cash", "D").label("amount"))
              .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
              .where(JournalEntry.kind == "donation", JournalEntry.source.like("share:payment:%"),
                     JournalLine.account == "fund_cash")
              .group_by(JournalEntry.source).subquery())
    amount = func.coalesce(posted.c.amount, 0)
    expected = case((Payment.share_status == "done", Payment.share_amount), else_=0)
    query = (select(Payment.id, Payment.share_status, Payment.share_amount, amount)
             .outerjoin(posted, posted.c.source == literal("share:payment:") + cast(Payment.id, String))
             .where(amount != expected).order_by(Payment.id))
    return [f"payment {payment}: fund share {status or 'not split'} of {share}, yet {received} received in the ledger"
            for payment, status, share, received in session.execute(query)]


def booking_amounts(session: Session) -> list[str]:
    """A booking's total is its first place's price plus its further places' (at ``unit_amount`` when not set)."""
    extra = func.coalesce(Booking.extra_unit_amount, Booking.unit_amount)
    query = (select(Booking.id, Booking.total_amount, Booking.unit_amount, Booking.extra_unit_amount, Booking.quantity)
             .where(Booking.total_amount != Booking.unit_amount + extra * (Booking.quantity - 1)).order_by(Booking.id))
    return [f"booking {booking}: total_amount {total} != {_places(unit, extra, quantity)}"
            for booking, total, unit, extra, quantity in session.execute(query)]


def _places(unit: int, extra: int | None, quantity: int) -> str:
    if extra is None:
        return f"unit_amount {unit} × quantity {quantity}"
    return f"unit_amount {unit} + extra_unit_amount {extra} × {quantity - 1} further places"


def fund_mismatches(session: Session, community: Community) -> list[str]:
    """Fund cash = donations received (income not still receivable) + gifts − disbursements."""
    b = ledger.balances(session, community.id, ["fund_cash", "donation_income", "donations_receivable",
                                                "gift_income", "fund_disbursed"])
    expected = (b.get("donation_income", 0) - b.get("donations_receivable", 0) + b.get("gift_income", 0)
                - b.get("fund_disbursed", 0))
    if b.get("fund_cash", 0) != expected:
        return [f"community {community.slug}: fund balance {b.get('fund_cash', 0)} != inflows − outflows {expected}"]
    return []


def volunteer_hours(session: Session) -> list[str]:
    """A volunteer's balance is the sum of their hours entries, and no entry ever took that sum below zero."""
    total = (select(VolunteerHours.volunteer_id, func.sum(VolunteerHours.tenths).label("tenths"))
             .group_by(VolunteerHours.volunteer_id).subquery())
    summed = func.coalesce(total.c.tenths, 0)
    found = [f"volunteer {volunteer}: balance {balance} tenths != {entries}, the sum of its hours entries"
             for volunteer, balance, entries in session.execute(
                 select(Volunteer.id, Volunteer.balance_tenths, summed)
                 .outerjoin(total, total.c.volunteer_id == Volunteer.id)
                 .where(Volunteer.balance_tenths != summed).order_by(Volunteer.id))]
    running = select(VolunteerHours.volunteer_id, VolunteerHours.id, func.sum(VolunteerHours.tenths).over(
        partition_by=VolunteerHours.volunteer_id, order_by=VolunteerHours.id).label("after")).subquery()
    found += [f"volunteer {volunteer}: hours entry {entry} took the balance to {after} tenths, below zero"
              for volunteer, entry, after in session.execute(
                  select(running.c.volunteer_id, running.c.id, running.c.after).where(running.c.after < 0)
                  .order_by(running.c.volunteer_id, running.c.id))]
    return found


def violations(session: Session) -> list[str]:
    found = unbalanced_entries(session) + bad_lines(session) + slots_over_capacity(session)
    found += booking_amounts(session) + payment_mismatches(session) + refund_mismatches(session)
    found += share_mismatches(session) + volunteer_hours(session)
    found += statements.unknown_lines(session, utcnow())
    for community in session.scalars(select(Community).order_by(Community.id)):
        found += fund_mismatches(session, community)
        found += [f"community {community.slug}: {p}" for p in ledger.verify(session, community.id)]
    return found
