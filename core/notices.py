"""Who is told what, and in which words: the notifications of the core's events (SPEC §11.4).

Short, plain sentences a 92-year-old reads at a glance: what, when, and what to do. Each is a message said in the
reader's language when read (``core.notifications``), keyed so that a job run twice tells nobody twice.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, exists, literal, select

from core.errors import N_, Message
from core.models import Booking, Community, Listing, Notification, Proposal, RoleGrant, Slot, User
from core.notifications import notify
from core.payments.statements import mismatch_digest

CONFIRMED_TITLE = N_("Booked: %(title)s")
CONFIRMED_BODY = N_("%(title)s on %(day)s/%(month)s at %(time)s. Please come on time.")
CALLED_OFF_TITLE = N_("Called off: %(title)s")
CALLED_OFF_BODY = N_("%(title)s on %(day)s/%(month)s at %(time)s is called off: %(reason)s. "
                     "Anything you paid is given back.")
REMINDER_TITLE = N_("Tomorrow: %(title)s")
REMINDER_BODY = N_("Tomorrow, %(day)s/%(month)s at %(time)s: %(title)s. Please come on time.")
HOLD_TITLE = N_("Please pay for %(title)s")
HOLD_BODY = N_("Your place is kept for %(minutes)s more minutes. Pay now, or it goes to someone else.")
VOTE_TITLE = N_("Please vote: %(title)s")
VOTE_BODY = N_("A proposal asks the fund for %(amount)s. Please read it and vote.")
CHARITY_TITLE = N_("The charity decided: %(title)s")
CHARITY_APPROVED = N_("The charity approved the proposal. It can now be paid out.")
CHARITY_REJECTED = N_("The charity did not approve the proposal: %(reason)s")
STATEMENT_TITLE = N_("The statements of %(period)s are ready")
STATEMENT_BODY = N_("Every operator's statement of %(period)s is settled. Please reconcile the donations.")
MISMATCH_TITLE = N_("The payment services' statements differ from the books")
MISMATCH_BODY = N_("%(count)s payments, refunds or splits of %(period)s are not as the payment services' statements "
                   "say. Please look at the reconciliation.")
CHECK_TITLE = N_("The nightly check found problems")
CHECK_BODY = N_("%(count)s problems: %(found)s")

HOLD_WARNING = dt.timedelta(minutes=5)
"""How long before a hold runs out its resident is reminded to pay."""


def amount(minor_units: int, currency: str) -> str:
    """An amount as a message says it: ¥1,250.00 (other currencies by their code)."""
    figure = f"{minor_units // 100:,}.{minor_units % 100:02d}"
    return f"¥{figure}" if currency == "CNY" else f"{figure} {currency}"


def _when(slot: Slot, community: Community) -> dict:
    local = slot.starts_at.astimezone(ZoneInfo(community.timezone))
    return {"day": local.day, "month": local.month, "time": local.strftime("%H:%M")}


def _booked(session, booking: Booking) -> tuple[Slot, Listing, Community]:
    slot = session.get(Slot, booking.slot_id)
    listing = session.get(Listing, slot.listing_id)
    return slot, listing, session.get(Community, listing.community_id)


def _about(session, booking: Booking, kind: str, title: str, body: str, **values) -> bool:
    """Tell the booking's resident, once (a visitor served at the counter has no account: nobody to tell)."""
    if booking.resident_id is None:
        return False
    slot, listing, community = _booked(session, booking)
    params = {"title": listing.title, **_when(slot, community), **values}
    return notify(session, booking.resident_id, kind, Message(title, params), Message(body, params),
                  key=f"{kind}:{booking.id}", link=f"/my/bookings/{booking.id}")


def _untold(kind: str):
    """SQL: the booking's resident has not been told ``kind`` of it yet (the key :func:`_about` gives)."""
    return ~exists().where(Notification.user_id == Booking.resident_id,
                           Notification.key == literal(f"{kind}:") + cast(Booking.id, String))


def booking_event(session, event: str, booking: Booking) -> None:
    """A booking confirmed, or called off by its operator (a resident's own cancellation needs no message)."""
    if event == "booking_confirmed" and booking.status == "confirmed":
        _about(session, booking, "booking_confirmed", CONFIRMED_TITLE, CONFIRMED_BODY)
    elif event == "booking_cancelled" and booking.cancel_reason:
        _about(session, booking, "booking_called_off", CALLED_OFF_TITLE, CALLED_OFF_BODY,
               reason=booking.cancel_reason)


OFFERED_TITLE = N_("A place is free for you: %(title)s")
OFFERED_BODY = N_("A place at %(title)s on %(day)s/%(month)s at %(time)s is held for you until %(until)s. "
                  "Accept it on “My waiting lists” before then, or it goes to the next in line.")


def waitlist_offered(session, resident_id: int, entry_id: int, slot: Slot, until: dt.datetime) -> bool:
    """Tell a waiting resident that a place is held for them, and until when (their community's time)."""
    listing = session.get(Listing, slot.listing_id)
    community = session.get(Community, listing.community_id)
    params = {"title": listing.title, **_when(slot, community),
              "until": until.astimezone(ZoneInfo(community.timezone)).strftime("%H:%M")}
    return notify(session, resident_id, "waitlist_offered", Message(OFFERED_TITLE, params),
                  Message(OFFERED_BODY, params), key=f"waitlist_offered:{entry_id}", link="/my/waitlist")


def remind_tomorrow(session, now: dt.datetime, from_hour: int) -> int:
    """Remind each confirmed booking of tomorrow (its community's day), once, from ``from_hour`` o'clock on."""
    reminded = 0
    for community in session.scalars(select(Community)):
        local_now = now.astimezone(ZoneInfo(community.timezone))
        if local_now.hour < from_hour:
            continue
        tomorrow = local_now.date() + dt.timedelta(days=1)
        start = dt.datetime.combine(tomorrow, dt.time(), ZoneInfo(community.timezone))
        bookings = session.scalars(
            select(Booking).join(Slot, Slot.id == Booking.slot_id).join(Listing, Listing.id == Slot.listing_id)
            .where(Listing.community_id == community.id, Booking.status == "confirmed",
                   Booking.resident_id.is_not(None), Slot.starts_at >= start,
                   Slot.starts_at < start + dt.timedelta(days=1), _untold("booking_reminder"))
            .order_by(Booking.id))
        for booking in bookings:
            reminded += _about(session, booking, "booking_reminder", REMINDER_TITLE, REMINDER_BODY)
    return reminded


def holds_running_out(session, now: dt.datetime) -> int:
    """Remind each resident whose payment hold runs out within :data:`HOLD_WARNING` to pay, once."""
    told = 0
    for booking in session.scalars(select(Booking).where(
            Booking.status == "pending_payment", Booking.hold_expires_at > now,
            Booking.hold_expires_at <= now + HOLD_WARNING, _untold("hold_expiring")).order_by(Booking.id)):
        minutes = max(1, int((booking.hold_expires_at - now).total_seconds() // 60))
        told += _about(session, booking, "hold_expiring", HOLD_TITLE, HOLD_BODY, minutes=minutes)
    return told


def people_with_role(session, role: str, *, community_id: int | None = None,
                     operator_id: int | None = None) -> list[int]:
    """The active users holding ``role`` — in a community, at an operator, or (neither given) anywhere."""
    query = (select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
             .where(RoleGrant.role == role, User.is_active.is_(True)))
    if community_id is not None:
        query = query.where(RoleGrant.community_id == community_id)
    if operator_id is not None:
        query = query.where(RoleGrant.operator_id == operator_id)
    return list(session.scalars(query.order_by(RoleGrant.user_id).distinct()))


def proposal_submitted(session, community: Community, proposal: Proposal, amount: str) -> None:
    """Each committee member is asked for their vote."""
    params = {"title": proposal.title, "amount": amount}
    for member in people_with_role(session, "committee_member", community_id=community.id):
        notify(session, member, "proposal_vote", Message(VOTE_TITLE, params), Message(VOTE_BODY, params),
               key=f"proposal_vote:{proposal.id}",
               link=f"/communities/{community.slug}/fund/proposals/{proposal.id}")


def charity_decided(session, community: Community, proposal: Proposal) -> None:
    """The committee and whoever wrote the proposal hear the charity's decision."""
    approved = proposal.status == "charity_approved"
    body = Message(CHARITY_APPROVED) if approved else Message(CHARITY_REJECTED, {"reason": proposal.charity_reason})
    told = {*people_with_role(session, "committee_member", community_id=community.id), proposal.created_by_id}
    for user_id in sorted(told):
        notify(session, user_id, "charity_decision", Message(CHARITY_TITLE, {"title": proposal.title}), body,
               key=f"charity_decision:{proposal.id}",
               link=f"/communities/{community.slug}/fund/proposals/{proposal.id}")


def statements_ready(session, community: Community, period: str) -> None:
    """The committee hears that the month is settled and may be reconciled."""
    params = {"period": period}
    for member in {*people_with_role(session, "committee_member", community_id=community.id),
                   *people_with_role(session, "charity_officer", community_id=community.id)}:
        notify(session, member, "statement_ready", Message(STATEMENT_TITLE, params), Message(STATEMENT_BODY, params),
               key=f"statement_ready:{community.id}:{period}",
               link=f"/communities/{community.slug}/fund/reconciliation?period={period}")


def statement_mismatch(session, community: Community, period: str, report: dict[int, dict]) -> int:
    """The committee hears of differences between the books and the payment services' statements, once for each
    set of them (the same differences found again the next night tell nobody again); return how many were told."""
    digest = mismatch_digest(report)
    if digest is None:
        return 0
    params = {"period": period, "count": sum(len(row["mismatches"]) for row in report.values())}
    return sum(notify(session, member, "statement_mismatch", Message(MISMATCH_TITLE), Message(MISMATCH_BODY, params),
                      key=f"statement_mismatch:{community.id}:{period}:{digest}",
                      link=f"/communities/{community.slug}/fund/reconciliation?period={period}")
               for member in people_with_role(session, "committee_member", community_id=community.id))


def check_failed(session, day: dt.date, found: list[str]) -> None:
    """Every administrator hears of a failed nightly check (once a day)."""
    admins = people_with_role(session, "admin")
    body = Message(CHECK_BODY, {"count": len(found), "found": "; ".join(found)[:1500]})
    for admin in admins:
        notify(session, admin, "check_failed", Message(CHECK_TITLE), body, key=f"check_failed:{day.isoformat()}",
               link="/admin/jobs")
