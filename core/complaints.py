"""Residents' complaints and their loop: found, handled, answered, rated ("发现—处置—反馈—激励", SPEC §11.6).

A resident complains about one of their own bookings (not one that started more than 90 days ago); the community's
staff acknowledge it and resolve it, upheld or not, with a note the resident reads, by the day the community's
``answer_days`` set (else it is flagged overdue, once); the operator's staff may answer once; the resident rates the
handling once it is resolved. The operator reads what it needs to answer — the category, the text, the booking's
service and time, the resolution — and never who complained. Every step is audited and the people concerned told.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from core import accountability_settings, audit, complaint_notices, photos, policy
from core import booking as bookings
from core.db import utcnow
from core.errors import N_, conflict, invalid, not_found
from core.models import COMPLAINT_CATEGORIES, COMPLAINT_STATUSES, Booking, Community, Complaint, Listing, Slot, User

MOST_DAYS_AFTER = 90
"""A booking can be complained about until 90 days after its time started."""
MAX_TEXT = 2000
MAX_NOTE = 2000
RESIDENT, STAFF, OPERATOR = AUDIENCES = ("resident", "staff", "operator")
"""Who reads a complaint: the resident who made it, the community's staff, the operator's staff (never told who)."""

COMPLAINT_NOT_FOUND = not_found("complaint_not_found", N_("We could not find complaint %(complaint_id)s."))
BOOKING_TOO_OLD = conflict("booking_too_old", N_(
    "This booking is more than %(days)s days old: please speak to the community office instead."))
UNKNOWN_CATEGORY = invalid("unknown_category", N_("Please choose what the complaint is about."))
TEXT_REQUIRED = invalid("complaint_text_required", N_("Please say what happened."))
TEXT_TOO_LONG = invalid("complaint_text_too_long", N_("Please write at most %(most)s characters."))
NOTE_REQUIRED = invalid("resolution_note_required", N_("Please write the note the resident will read."))
ALREADY_RESOLVED = conflict("complaint_resolved", N_("This complaint is resolved already."))
ALREADY_ACKNOWLEDGED = conflict("complaint_acknowledged", N_("This complaint is acknowledged already."))
ALREADY_REPLIED = conflict("already_replied", N_("The operator has answered this complaint already."))
NOT_RESOLVED_YET = conflict("complaint_not_resolved", N_("You can rate the handling once the complaint is resolved."))
ALREADY_RATED = conflict("complaint_rated", N_("You have rated the handling of this complaint already. Thank you."))
INVALID_STARS = invalid("invalid_handling_stars", N_("Please give 1 to 5 stars."))
NO_PHOTO = not_found("no_photo", N_("This complaint has no photo."))
PHOTOS = photos.PhotoFolder("complaints", NO_PHOTO)
"""A complaint's photo: for the resident, the community office and the operator's staff (never public)."""


@dataclass(frozen=True)
class Context:
    """A complaint with what its pages show beside it: the booking's service, time and community."""

    complaint: Complaint
    listing: Listing
    slot: Slot
    community: Community

    @property
    def overdue(self) -> bool:
        return is_overdue(self.complaint, self.community)


def local_today(community: Community, now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(ZoneInfo(community.timezone)).date()


def is_overdue(complaint: Complaint, community: Community, now: dt.datetime | None = None) -> bool:
    """Not resolved, and the day it was due has passed in the community's own time."""
    return complaint.status != "resolved" and local_today(community, now) > complaint.due_on


def _clean(text: str | None, most: int, required, too_long, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise required(field=field)
    if len(text) > most:
        raise too_long(most=most, field=field)
    return text


# --- the resident ------------------------------------------------------------------------------------------------

def file(session: Session, resident: User | None, booking_id: int, category: str, text: str,
         photo: bytes | None = None, photos_folder: str | None = None) -> Complaint:
    """The resident complains about their own booking, with a photo's bytes if they took one (kept under
    ``photos_folder``, the app's instance folder, once everything else holds)."""
    booking, ctx = bookings.visible_booking(session, resident, booking_id)
    if booking.resident_id != resident.id:
        raise bookings.NOT_YOUR_BOOKING()
    if category not in COMPLAINT_CATEGORIES:
        raise UNKNOWN_CATEGORY(field="category")
    text = _clean(text, MAX_TEXT, TEXT_REQUIRED, TEXT_TOO_LONG, "text")
    if photo:
        photos.checked(photo)
    now = utcnow()
    if ctx.slot.starts_at < now - dt.timedelta(days=MOST_DAYS_AFTER):
        raise BOOKING_TOO_OLD(days=MOST_DAYS_AFTER)
    stored = PHOTOS.store(photos_folder, photo) if photo else (None, None)
    due = local_today(ctx.community, now) + dt.timedelta(days=accountability_settings.of(ctx.community).answer_days)
    complaint = Complaint(community_id=ctx.community.id, operator_id=booking.operator_id, booking_id=booking.id,
                          resident_id=resident.id, category=category, text=text, status="open", due_on=due,
                          photo=stored[0], photo_type=stored[1], created_at=now)
    session.add(complaint)
    session.flush()
    audit.record(session, resident, "complaint_filed", "complaint", complaint.id, ctx.community.id,
                 booking_id=booking.id, category=category, photo=bool(photo))
    complaint_notices.filed(session, Context(complaint, ctx.listing, ctx.slot, ctx.community))
    return complaint


def attach_photo(session: Session, user: User | None, complaint_id: int, instance_path: str, data: bytes) -> Complaint:
    """The resident adds (or replaces) the photo of their complaint, until it is resolved."""
    ctx, audience = visible(session, user, complaint_id)
    complaint = ctx.complaint
    if audience != RESIDENT or complaint.resident_id != user.id:
        raise policy.ROLE_REQUIRED()
    if complaint.status == "resolved":
        raise ALREADY_RESOLVED()
    name, kind = PHOTOS.store(instance_path, data)
    old, complaint.photo, complaint.photo_type = complaint.photo, name, kind
    PHOTOS.remove(instance_path, old)
    audit.record(session, user, "complaint_photo", "complaint", complaint.id, complaint.community_id)
    return complaint


def rate(session: Session, user: User | None, complaint_id: int, stars: int) -> Complaint:
    """The resident's 1–5 stars for how their complaint was handled, once it is resolved, once."""
    ctx, audience = visible(session, user, complaint_id)
    complaint = ctx.complaint
    if audience != RESIDENT or complaint.resident_id != user.id:
        raise policy.ROLE_REQUIRED()
    if stars not in range(1, 6):
        raise INVALID_STARS(field="stars")
    if complaint.status != "resolved":
        raise NOT_RESOLVED_YET()
    _once(session, complaint, Complaint.resident_rating.is_(None), ALREADY_RATED, resident_rating=stars)
    audit.record(session, user, "complaint_rated", "complaint", complaint.id, complaint.community_id, stars=stars)
    return complaint


# --- the community's staff and the operator's -------------------------------------------------------------------

def acknowledge(session: Session, user: User | None, complaint_id: int) -> Complaint:
    """Staff have seen the complaint and are handling it; the resident is told."""
    ctx = _for_staff(session, user, complaint_id)
    complaint = ctx.complaint
    if complaint.status == "resolved":
        raise ALREADY_RESOLVED()
    _once(session, complaint, Complaint.status == "open", ALREADY_ACKNOWLEDGED, status="acknowledged",
          acknowledged_at=utcnow(), acknowledged_by=user.id)
    audit.record(session, user, "complaint_acknowledged", "complaint", complaint.id, complaint.community_id)
    complaint_notices.acknowledged(session, ctx)
    return complaint


def resolve(session: Session, user: User | None, complaint_id: int, upheld: bool, note: str) -> Complaint:
    """Staff decide: upheld or not, with a note the resident reads (and the operator too)."""
    ctx = _for_staff(session, user, complaint_id)
    complaint = ctx.complaint
    note = _clean(note, MAX_NOTE, NOTE_REQUIRED, TEXT_TOO_LONG, "note")
    now = utcnow()
    values = {"status": "resolved", "upheld": bool(upheld), "resolution_note": note, "resolved_at": now,
              "resolved_by": user.id}
    if complaint.acknowledged_at is None:
        values |= {"acknowledged_at": now, "acknowledged_by": user.id}
    _once(session, complaint, Complaint.status != "resolved", ALREADY_RESOLVED, **values)
    audit.record(session, user, "complaint_resolved", "complaint", complaint.id, complaint.community_id,
                 upheld=bool(upheld))
    complaint_notices.resolved(session, ctx)
    return complaint


def reply(session: Session, user: User | None, complaint_id: int, text: str) -> Complaint:
    """The operator's staff answer the complaint, once; the resident and the community's staff read it."""
    ctx, _audience = visible(session, user, complaint_id)
    complaint = ctx.complaint
    if not policy.has_role(user, "operator_staff", operator_id=complaint.operator_id):
        raise policy.ROLE_REQUIRED()
    text = _clean(text, MAX_TEXT, TEXT_REQUIRED, TEXT_TOO_LONG, "text")
    _once(session, complaint, Complaint.operator_reply.is_(None), ALREADY_REPLIED, operator_reply=text,
          operator_replied_at=utcnow())
    audit.record(session, user, "complaint_replied", "complaint", complaint.id, complaint.community_id)
    complaint_notices.replied(session, ctx)
    return complaint


def _once(session: Session, complaint: Complaint, condition, refused, **values) -> None:
    """Change the complaint only where ``condition`` still holds (a conditional UPDATE: two taps, one change)."""
    changed = session.execute(update(Complaint).where(Complaint.id == complaint.id, condition).values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise refused()
    session.refresh(complaint)


def _for_staff(session: Session, user: User | None, complaint_id: int) -> Context:
    ctx, audience = visible(session, user, complaint_id)
    if audience != STAFF:
        raise policy.ROLE_REQUIRED()
    return ctx


# --- who sees what ------------------------------------------------------------------------------------------------

def context(session: Session, complaint_id: int) -> Context:
    row = session.execute(
        select(Complaint, Listing, Slot, Community).join(Booking, Booking.id == Complaint.booking_id)
        .join(Slot, Slot.id == Booking.slot_id).join(Listing, Listing.id == Slot.listing_id)
        .join(Community, Community.id == Complaint.community_id).where(Complaint.id == complaint_id)).first()
    if row is None:
        raise COMPLAINT_NOT_FOUND(complaint_id=complaint_id)
    return Context(*row)


def audience_of(user: User, complaint: Complaint) -> str | None:
    """How this user reads the complaint: as its resident, the community's staff, the operator's staff, or not."""
    if complaint.resident_id == user.id:
        return RESIDENT
    if policy.has_role(user, "community_staff", community_id=complaint.community_id):
        return STAFF
    if policy.has_role(user, "operator_staff", operator_id=complaint.operator_id):
        return OPERATOR
    return None


def visible(session: Session, user: User | None, complaint_id: int) -> tuple[Context, str]:
    """The complaint and how this user reads it; 404 for everybody else."""
    policy.require_user(user)
    ctx = context(session, complaint_id)
    audience = audience_of(user, ctx.complaint)
    if audience is None:
        raise COMPLAINT_NOT_FOUND(complaint_id=complaint_id)
    return ctx, audience


def contexts(session: Session, complaints: list[Complaint]) -> list[Context]:
    """The listed complaints with their service, time and community (one query)."""
    if not complaints:
        return []
    rows = {row.Booking.id: row for row in session.execute(
        select(Booking, Listing, Slot, Community).join(Slot, Slot.id == Booking.slot_id)
        .join(Listing, Listing.id == Slot.listing_id).join(Community, Community.id == Listing.community_id)
        .where(Booking.id.in_({c.booking_id for c in complaints})))}
    return [Context(c, rows[c.booking_id].Listing, rows[c.booking_id].Slot, rows[c.booking_id].Community)
            for c in complaints]


def _newest(query: Select) -> Select:
    return query.order_by(Complaint.created_at.desc(), Complaint.id.desc())


def of_resident(user: User | None) -> Select:
    policy.require_user(user)
    return _newest(select(Complaint).where(Complaint.resident_id == user.id))


def of_community(user: User | None, community: Community, status: str | None = None,
                 overdue: bool | None = None) -> Select:
    """The community's queue, for its staff: the overdue first when asked for them, else newest first."""
    policy.require(user, "community_staff", community_id=community.id)
    query = select(Complaint).where(Complaint.community_id == community.id)
    if status in COMPLAINT_STATUSES:
        query = query.where(Complaint.status == status)
    if overdue is not None:
        late = (Complaint.status != "resolved") & (Complaint.due_on < local_today(community))
        query = query.where(late if overdue else ~late)
    return _newest(query)


def of_operator(user: User | None, operator_id: int, community_id: int) -> Select:
    """Complaints about an operator, for its staff and its community's staff."""
    policy.require_user(user)
    if not (policy.has_role(user, "operator_staff", operator_id=operator_id)
            or policy.has_role(user, "community_staff", community_id=community_id)):
        raise policy.ROLE_REQUIRED()
    return _newest(select(Complaint).where(Complaint.operator_id == operator_id))


# --- overdue ------------------------------------------------------------------------------------------------------

def flag_overdue(session: Session, now: dt.datetime) -> int:
    """Flag, once, each complaint not resolved by its due day (its community's), telling the staff once."""
    flagged = 0
    for community in session.scalars(select(Community).order_by(Community.id)):
        late = list(session.scalars(select(Complaint).where(
            Complaint.community_id == community.id, Complaint.status != "resolved",
            Complaint.overdue_flagged_at.is_(None), Complaint.due_on < local_today(community, now))
            .order_by(Complaint.id)))
        for ctx in contexts(session, late):
            changed = session.execute(update(Complaint).where(
                Complaint.id == ctx.complaint.id, Complaint.overdue_flagged_at.is_(None))
                .values(overdue_flagged_at=now).execution_options(synchronize_session=False)).rowcount
            if changed:
                audit.record(session, None, "complaint_overdue", "complaint", ctx.complaint.id, community.id)
                complaint_notices.overdue(session, ctx)
                flagged += 1
    return flagged
