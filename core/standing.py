"""An operator's standing: community staff suspend it, reinstate it, or make it leave (SPEC §11.6).

Each change is a recorded decision: the reason is required, the audit log keeps it (that log is the standing's
history), and the operator's staff are told. A suspended or exited operator's listings take no new bookings (the
booking path checks ``TAKING_BOOKINGS``). On an exit its agreements end on a day staff choose, and its bookings still
to come are either honoured (served, checked in as ever) or called off with full refunds through the same path as
an operator calling off a time (``core.schedules.call_off_slot``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit, policy
from core import booking as bookings
from core.db import utcnow
from core.errors import N_, Message, conflict, invalid
from core.listings import touch_catalog
from core.models import Agreement, AuditEvent, Booking, Community, Listing, Operator, Slot, User
from core.notices import people_with_role
from core.notifications import notify
from core.schedules import call_off_slot, today_in

if TYPE_CHECKING:
    from core.plugins import Plugins

SUSPENDABLE = ("active", "exit_proposed")
REINSTATABLE = ("suspended", "exit_proposed")
EXITABLE = ("active", "exit_proposed", "suspended")
EXISTING_BOOKINGS = ("honour", "cancel")
ACTIONS = ("operator_exit_proposed", "operator_suspended", "operator_reinstated", "operator_exited")
"""The audit actions that make up an operator's standing history (the evaluation records the first)."""

REASON_REQUIRED = invalid("standing_reason_required", N_("Please write why: the operator reads it."))
NOT_SERVING = conflict("operator_not_serving", N_(
    "Only an operator that is serving residents can be suspended."))
NOT_SUSPENDED = conflict("operator_not_suspended", N_(
    "Only a suspended operator, or one whose exit is proposed, can be reinstated."))
CANNOT_EXIT = conflict("operator_cannot_exit", N_(
    "This operator cannot be made to leave: it has left already, or was never approved."))
EXIT_DAY_PAST = invalid("exit_day_in_the_past", N_("The agreement cannot end before today."))
UNKNOWN_CHOICE = invalid("unknown_existing_bookings", N_(
    "Choose whether the bookings already made are honoured or cancelled."))

SUSPENDED_TITLE = N_("%(name)s is suspended")
SUSPENDED_BODY = N_("Community staff suspended %(name)s: %(reason)s. Its services take no new bookings until it is "
                    "reinstated. Bookings already made still stand.")
REINSTATED_TITLE = N_("%(name)s is reinstated")
REINSTATED_BODY = N_("Community staff reinstated %(name)s: %(reason)s. Its services take bookings again.")
EXITED_TITLE = N_("%(name)s must leave")
EXITED_HONOURED = N_("Community staff decided that %(name)s leaves: %(reason)s. Its agreement ends on %(ends_on)s. "
                     "Its services take no new bookings; please serve the bookings already made.")
EXITED_CANCELLED = N_("Community staff decided that %(name)s leaves: %(reason)s. Its agreement ends on %(ends_on)s. "
                      "Its services take no new bookings; %(count)s bookings still to come were cancelled and "
                      "refunded.")


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise REASON_REQUIRED(field="reason")
    return reason


def _change(session: Session, actor: User, operator: Operator, allowed: tuple[str, ...], error, status: str,
            action: str, reason: str | None, **data) -> tuple[str, AuditEvent]:
    """Check who and from where, then move the operator to ``status`` and record it. The move is one conditional
    UPDATE, so of two staff deciding at once the second finds the status changed and is refused."""
    policy.require(actor, "community_staff", community_id=operator.community_id)
    reason = _reason(reason)
    before = operator.status
    moved = session.execute(update(Operator).where(Operator.id == operator.id, Operator.status.in_(allowed))
                            .values(status=status).execution_options(synchronize_session=False))
    session.refresh(operator)
    if moved.rowcount != 1:
        raise error()
    touch_catalog(session.connection(), {operator.community_id})  # the search hides an operator not serving
    event = audit.record(session, actor, action, "operator", operator.id, operator.community_id,
                         reason=reason, before=before, after=status, **data)
    session.flush()
    return reason, event


def _tell_staff(session: Session, operator: Operator, title: str, body: str, **values) -> None:
    params = {"name": operator.name, **values}
    for user_id in people_with_role(session, "operator_staff", operator_id=operator.id):
        notify(session, user_id, "operator_standing", Message(title, params), Message(body, params),
               link=f"/operators/{operator.id}/scores")


def suspend(session: Session, actor: User, operator: Operator, reason: str | None) -> Operator:
    """An urgent stop (a food-safety complaint): no new bookings until staff reinstate it."""
    reason, _event = _change(session, actor, operator, SUSPENDABLE, NOT_SERVING, "suspended", "operator_suspended",
                             reason)
    _tell_staff(session, operator, SUSPENDED_TITLE, SUSPENDED_BODY, reason=reason)
    return operator


def reinstate(session: Session, actor: User, operator: Operator, reason: str | None) -> Operator:
    """Serving again: after a suspension, or when staff keep an operator whose exit was proposed."""
    reason, _event = _change(session, actor, operator, REINSTATABLE, NOT_SUSPENDED, "active", "operator_reinstated",
                             reason)
    _tell_staff(session, operator, REINSTATED_TITLE, REINSTATED_BODY, reason=reason)
    return operator


def exit(session: Session, actor: User, operator: Operator, reason: str | None, ends_on: dt.date,  # noqa: A001
         existing: str, *, plugins: Plugins | None = None, payments: bookings.Payments | None = None) -> Operator:
    """The operator leaves: its agreements end on ``ends_on``; the bookings still to come are honoured, or (when
    ``existing`` is "cancel") called off and refunded, which needs ``plugins`` and ``payments``."""
    policy.require(actor, "community_staff", community_id=operator.community_id)
    if existing not in EXISTING_BOOKINGS:
        raise UNKNOWN_CHOICE(field="existing_bookings")
    community = session.get(Community, operator.community_id)
    if ends_on < today_in(community):
        raise EXIT_DAY_PAST(field="ends_on")
    reason, event = _change(session, actor, operator, EXITABLE, CANNOT_EXIT, "exited", "operator_exited", reason,
                            ends_on=ends_on.isoformat(), existing_bookings=existing)
    figures = {"agreements_ended": _end_agreements(session, operator, ends_on)}
    if existing == "cancel":
        if plugins is None or payments is None:
            raise TypeError("cancelling an exited operator's bookings needs the plugins and the payments")
        cancelled = _call_off_the_rest(session, plugins, payments, actor, operator, reason)
        figures["bookings_cancelled"] = len(cancelled)
        _tell_staff(session, operator, EXITED_TITLE, EXITED_CANCELLED, reason=reason, ends_on=ends_on.isoformat(),
                    count=len(cancelled))
    else:
        _tell_staff(session, operator, EXITED_TITLE, EXITED_HONOURED, reason=reason, ends_on=ends_on.isoformat())
    event.data = {**event.data, **figures}
    return operator


def _end_agreements(session: Session, operator: Operator, ends_on: dt.date) -> list[int]:
    """Each agreement in force ends on ``ends_on`` (or its own earlier end): "ended" still rules the days before."""
    ended = []
    for agreement in session.scalars(select(Agreement).where(Agreement.operator_id == operator.id,
                                                             Agreement.status == "active").order_by(Agreement.id)):
        agreement.ends_on = min(ends_on, agreement.ends_on or ends_on)
        agreement.status = "ended"
        ended.append(agreement.id)
    return ended


def _call_off_the_rest(session: Session, plugins: Plugins, payments: bookings.Payments, actor: User,
                       operator: Operator, reason: str) -> list[Booking]:
    """Every time of the operator still to come is called off, its live bookings cancelled with full refunds."""
    slots = session.scalars(select(Slot).join(Listing, Listing.id == Slot.listing_id).where(
        Listing.operator_id == operator.id, Slot.cancelled_at.is_(None), Slot.starts_at > utcnow())
        .order_by(Slot.starts_at, Slot.id)).all()
    return [booking for slot in slots for booking in call_off_slot(session, plugins, payments, actor, slot, reason)]


# --- reading the standing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One step of an operator's standing: when, what, why, and who decided (None: the evaluation)."""

    at: dt.datetime
    action: str
    status: str | None
    reason: str | None
    by: str | None
    ends_on: str | None = None
    existing_bookings: str | None = None
    bookings_cancelled: int | None = None


def history(session: Session, operator: Operator) -> list[Change]:
    """The operator's standing changes, newest first."""
    return [Change(at=event.at, action=event.action, status=event.data.get("after"), reason=event.data.get("reason"),
                   by=name, ends_on=event.data.get("ends_on"), existing_bookings=event.data.get("existing_bookings"),
                   bookings_cancelled=event.data.get("bookings_cancelled"))
            for event, name in audit.history(session, "operator", operator.id) if event.action in ACTIONS]
