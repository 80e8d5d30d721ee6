"""Who hears of a volunteer task, and in which words: the volunteer when it is given to them, when it is called off and
when its hours are credited, once each (a reassigned task tells its new volunteer). Said in the reader's language when read."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.errors import N_, Message
from core.models import Community, Volunteer, VolunteerTask
from core.notifications import notify

MINE = "/my/volunteering"
ASSIGNED_TITLE = N_("A volunteer task for you: %(title)s")
ASSIGNED_BODY = N_("On %(day)s/%(month)s at %(time)s, %(hours)s hours. Thank you! When it is done, press “Done” in "
                   "My volunteering.")
CANCELLED_TITLE = N_("Called off: %(title)s")
CANCELLED_BODY = N_("The task on %(day)s/%(month)s at %(time)s is not needed any more. Thank you all the same!")
CREDITED_TITLE = N_("Your hours are credited: %(hours)s hours")
CREDITED_BODY = N_("The community office confirmed %(title)s. Thank you for your time!")


def _params(session: Session, task: VolunteerTask) -> dict:
    local = task.starts_at.astimezone(ZoneInfo(session.get(Community, task.community_id).timezone))
    return {"title": task.title, "day": local.day, "month": local.month, "time": local.strftime("%H:%M"),
            "hours": f"{task.hours_tenths / 10:.1f}"}


def _tell(session: Session, task: VolunteerTask, kind: str, title: str, body: str) -> None:
    volunteer = session.get(Volunteer, task.volunteer_id)
    params = _params(session, task)
    notify(session, volunteer.user_id, kind, Message(title, params), Message(body, params),
           key=f"{kind}:{task.id}:{volunteer.id}", link=MINE)


def assigned(session: Session, task: VolunteerTask) -> None:
    _tell(session, task, "volunteer_task_assigned", ASSIGNED_TITLE, ASSIGNED_BODY)


def credited(session: Session, task: VolunteerTask) -> None:
    _tell(session, task, "volunteer_hours_credited", CREDITED_TITLE, CREDITED_BODY)


def cancelled(session: Session, task: VolunteerTask) -> None:
    _tell(session, task, "volunteer_task_cancelled", CANCELLED_TITLE, CANCELLED_BODY)
