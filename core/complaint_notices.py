"""Who hears of a complaint, and in which words: each step tells the people it concerns, once (SPEC §11.6).

The resident hears of every step of their own complaint; the community's staff of a new one (a food-safety one as
urgent), of the operator's answer and of one left overdue; the operator's staff of a complaint about them and its
resolution — never who made it. Messages are said in the reader's language when read (``core.notifications``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.errors import N_, Message
from core.models import Operator
from core.notices import people_with_role
from core.notifications import notify

if TYPE_CHECKING:
    from core.complaints import Context

CATEGORY_NAMES = {
    "food_safety": N_("Food safety"), "quality": N_("Quality"), "hygiene": N_("Hygiene"),
    "attitude": N_("Staff attitude"), "price": N_("Price"), "lateness": N_("Lateness"), "other": N_("Other"),
}
URGENT = "food_safety"
"""A complaint of this category is urgent: staff are told so."""

FILED_TITLE = N_("We received your complaint")
FILED_BODY = N_("About %(title)s on %(day)s/%(month)s. The community office will answer by %(due)s.")
NEW_TITLE = N_("New complaint: %(category)s")
NEW_BODY = N_("About %(title)s on %(day)s/%(month)s at %(time)s (%(operator)s). Please answer by %(due)s.")
URGENT_TITLE = N_("URGENT: a food safety complaint about %(title)s")
URGENT_BODY = N_("A resident reports a food safety problem with %(title)s on %(day)s/%(month)s at %(time)s "
                 "(%(operator)s). Please look at it today.")
ABOUT_YOU_TITLE = N_("A complaint about %(title)s")
ABOUT_YOU_BODY = N_("%(category)s: %(title)s on %(day)s/%(month)s at %(time)s. The community office handles it; "
                    "you may answer once.")
ACKNOWLEDGED_TITLE = N_("Your complaint is being handled")
ACKNOWLEDGED_BODY = N_("The community office has read your complaint about %(title)s and is looking into it.")
RESOLVED_TITLE = N_("Your complaint is answered")
UPHELD_BODY = N_("Your complaint about %(title)s is upheld: %(note)s")
NOT_UPHELD_BODY = N_("Your complaint about %(title)s is not upheld: %(note)s")
OPERATOR_RESOLVED_TITLE = N_("A complaint about %(title)s is resolved")
OPERATOR_UPHELD_BODY = N_("The community office upheld the complaint: %(note)s")
OPERATOR_NOT_UPHELD_BODY = N_("The community office did not uphold the complaint: %(note)s")
REPLIED_TITLE = N_("%(operator)s answered the complaint about %(title)s")
REPLIED_BODY = N_("Their answer: %(reply)s")
OVERDUE_TITLE = N_("Complaint overdue: %(title)s")
OVERDUE_BODY = N_("A complaint about %(title)s (%(operator)s) was to be answered by %(due)s. Please answer it now.")


def category(code: str) -> Message:
    return Message(CATEGORY_NAMES.get(code, code))


def _params(session, ctx: Context, **values) -> dict:
    local = ctx.slot.starts_at.astimezone(ZoneInfo(ctx.community.timezone))
    return {"title": ctx.listing.title, "day": local.day, "month": local.month, "time": local.strftime("%H:%M"),
            "due": ctx.complaint.due_on.isoformat(), "category": category(ctx.complaint.category),
            "operator": session.get(Operator, ctx.complaint.operator_id).name, **values}


def _links(ctx: Context) -> dict[str, str]:
    complaint_id = ctx.complaint.id
    return {"resident": f"/my/complaints/{complaint_id}",
            "staff": f"/communities/{ctx.community.slug}/complaints/{complaint_id}",
            "operator": f"/operators/{ctx.complaint.operator_id}/complaints/{complaint_id}"}


def _tell(session, people, kind: str, title: str, body: str, params: dict, ctx: Context, link: str) -> None:
    for user_id in people:
        notify(session, user_id, kind, Message(title, params), Message(body, params),
               key=f"{kind}:{ctx.complaint.id}", link=_links(ctx)[link])


def _staff(session, ctx: Context) -> list[int]:
    return people_with_role(session, "community_staff", community_id=ctx.community.id)


def _operator(session, ctx: Context) -> list[int]:
    return people_with_role(session, "operator_staff", operator_id=ctx.complaint.operator_id)


def filed(session, ctx: Context) -> None:
    """The resident hears it arrived; staff of a new complaint (urgent for food safety); the operator of one about
    them."""
    params = _params(session, ctx)
    _tell(session, [ctx.complaint.resident_id], "complaint_filed", FILED_TITLE, FILED_BODY, params, ctx, "resident")
    urgent = ctx.complaint.category == URGENT
    _tell(session, _staff(session, ctx), "complaint_urgent" if urgent else "complaint_new",
          URGENT_TITLE if urgent else NEW_TITLE, URGENT_BODY if urgent else NEW_BODY, params, ctx, "staff")
    _tell(session, _operator(session, ctx), "complaint_about_you", ABOUT_YOU_TITLE, ABOUT_YOU_BODY, params, ctx,
          "operator")


def acknowledged(session, ctx: Context) -> None:
    _tell(session, [ctx.complaint.resident_id], "complaint_acknowledged", ACKNOWLEDGED_TITLE, ACKNOWLEDGED_BODY,
          _params(session, ctx), ctx, "resident")


def resolved(session, ctx: Context) -> None:
    """The resident reads the decision and its note; the operator's staff too."""
    complaint = ctx.complaint
    params = _params(session, ctx, note=complaint.resolution_note)
    _tell(session, [complaint.resident_id], "complaint_resolved", RESOLVED_TITLE,
          UPHELD_BODY if complaint.upheld else NOT_UPHELD_BODY, params, ctx, "resident")
    _tell(session, _operator(session, ctx), "complaint_resolved_operator", OPERATOR_RESOLVED_TITLE,
          OPERATOR_UPHELD_BODY if complaint.upheld else OPERATOR_NOT_UPHELD_BODY, params, ctx, "operator")


def replied(session, ctx: Context) -> None:
    params = _params(session, ctx, reply=ctx.complaint.operator_reply)
    _tell(session, [ctx.complaint.resident_id], "complaint_replied", REPLIED_TITLE, REPLIED_BODY, params, ctx,
          "resident")
    _tell(session, _staff(session, ctx), "complaint_replied_staff", REPLIED_TITLE, REPLIED_BODY, params, ctx, "staff")


def overdue(session, ctx: Context) -> None:
    """The community's staff hear, once, of a complaint left unanswered past its day."""
    _tell(session, _staff(session, ctx), "complaint_overdue", OVERDUE_TITLE, OVERDUE_BODY, _params(session, ctx),
          ctx, "staff")
