"""``linli check``: the invariants that must hold whatever happened, each violation named."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import ledger
from core.ledger import signed
from core.models import Booking, Community, JournalLine, Slot

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


def fund_mismatches(session: Session, community: Community) -> list[str]:
    """Fund cash = donations received (income not still receivable) − disbursements."""
    b = ledger.balances(session, community.id, ["fund_cash", "donation_income", "donations_receivable",
                                                "fund_disbursed"])
    expected = b.get("donation_income", 0) - b.get("donations_receivable", 0) - b.get("fund_disbursed", 0)
    if b.get("fund_cash", 0) != expected:
        return [f"community {community.slug}: fund balance {b.get('fund_cash', 0)} != inflows − outflows {expected}"]
    return []


def violations(session: Session) -> list[str]:
    found = unbalanced_entries(session) + bad_lines(session) + slots_over_capacity(session)
    for community in session.scalars(select(Community).order_by(Community.id)):
        found += fund_mismatches(session, community)
        found += [f"community {community.slug}: {p}" for p in ledger.verify(session, community.id)]
    return found
