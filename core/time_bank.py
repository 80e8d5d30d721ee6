"""The volunteer time bank (SPEC §11.7): "时间银行…记录他们志愿服务的时长,达到一定的标准给予奖励".

Community staff register a resident who consents as a volunteer and create tasks (an operator's staff create them
for their operator); staff assign a task; the volunteer taps "Done" on their phone; the community's staff or the
task's operator's staff confirm it, which credits its hours once. Staff redeem hours for a reward, never below zero.

Hours are integers in tenths of an hour (1.5 hours is 15), given and shown as numbers with at most one decimal. The
hours are an append-only ledger (``VolunteerHours``): every change to a balance goes through :func:`post_hours`,
which locks the volunteer's row (``SELECT … FOR UPDATE`` on PostgreSQL), so two redemptions at once cannot both spend
the same hours; a booking at a reward's price spends them too (:mod:`core.rewards`). Stars reward the hours credited
over time (redeeming does not take stars away): see :data:`STAR_HOURS`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, policy, time_bank_notices
from core.accounts import COMMUNITY_NOT_FOUND
from core.db import utcnow
from core.errors import N_, conflict, invalid, not_found
from core.models import (
    TASK_KINDS, Community, Operator, RoleGrant, User, Volunteer, VolunteerHours, VolunteerTask,
)
from core.tenths import tenths

STAR_HOURS = (10, 50, 100, 200, 500)
"""Hours credited in all for 1★, 2★, 3★, 4★ and 5★."""
MOST_TASK_HOURS = 24
MOST_REDEEM_HOURS = 10_000
MAX_TITLE = 200
MAX_SKILLS = 500
MAX_REASON = 500
MAX_KEY = 120
MAX_DETAILS = 2000

VOLUNTEER_NOT_FOUND = not_found("volunteer_not_found", N_("We could not find volunteer %(volunteer_id)s."))
TASK_NOT_FOUND = not_found("volunteer_task_not_found", N_("We could not find volunteer task %(task_id)s."))
CONSENT_REQUIRED = invalid("volunteer_consent_required", N_(
    "The resident must agree to be registered as a volunteer first."))
NOT_A_RESIDENT = invalid("not_a_resident_here", N_("This person is not a resident of this community."))
ALREADY_VOLUNTEER = conflict("already_volunteer", N_("This resident is registered as a volunteer already."))
INVALID_HOURS = invalid("invalid_hours", N_("Give the hours as a number above 0, at most %(most)s, with at most one "
                                            "decimal, e.g. 1.5."))
UNKNOWN_KIND = invalid("unknown_task_kind", N_("Please choose what kind of task this is."))
TITLE_REQUIRED = invalid("task_title_required", N_("Please give the task a title of at most %(most)s characters."))
REASON_REQUIRED = invalid("redeem_reason_required", N_("Please say what the hours are exchanged for."))
OPERATOR_NOT_HERE = invalid("task_operator_not_here", N_("This operator does not serve this community."))
VOLUNTEER_NOT_HERE = invalid("volunteer_not_in_community", N_(
    "This volunteer is not an active volunteer of the task's community."))
TASK_NOT_OPEN = conflict("task_not_open", N_("Only a task not done yet can be assigned."))
TASK_NOT_ASSIGNED = conflict("task_not_assigned", N_(
    "Only a task assigned to you and not done yet can be marked done."))
TASK_NOT_DONE = conflict("task_not_done", N_("The volunteer has not marked this task done yet."))
TASK_CONFIRMED = conflict("task_confirmed", N_("This task is confirmed already: its hours were credited."))
KEY_REQUIRED = invalid("task_key_required", N_("A task offered by a plugin needs a key of at most %(most)s "
                                               "characters."))
DETAILS_TOO_LONG = invalid("task_details_too_long", N_("A task's details take at most %(most)s characters."))
START_REQUIRED = invalid("task_start_required", N_("Please say when the task starts, with its time zone."))
NOT_ENOUGH_HOURS = conflict("not_enough_hours", N_(
    "The volunteer has %(balance)s hours: not enough to redeem %(hours)s."))


# --- hours as people write them --------------------------------------------------------------------------------

def tenths_of(value, most: int, field: str = "hours") -> int:
    """Hours given as a number above 0 and at most ``most`` with at most one decimal, in tenths."""
    given = tenths(value)
    if given is None or not 0 < given <= most * 10:
        raise INVALID_HOURS(most=most, field=field)
    return given


def hours(tenths: int) -> float:
    """Tenths of an hour as the number people read (15 → 1.5)."""
    return tenths / 10


def stars(credited_tenths: int) -> int:
    """0 to 5 stars for the hours credited in all (:data:`STAR_HOURS`)."""
    return sum(credited_tenths >= line * 10 for line in STAR_HOURS)


# --- who may do what -----------------------------------------------------------------------------------------------

def is_staff(user: User | None, community_id: int) -> bool:
    return policy.has_role(user, "community_staff", community_id=community_id)


def manages(user: User | None, task: VolunteerTask) -> bool:
    """The community's staff, or the staff of the operator the task is done for."""
    return is_staff(user, task.community_id) or (
        task.operator_id is not None and policy.has_role(user, "operator_staff", operator_id=task.operator_id))


def volunteer_or_404(session: Session, user: User | None, volunteer_id: int) -> Volunteer:
    """The volunteer, for themself and their community's staff; 404 for everybody else."""
    policy.require_user(user)
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None or not (volunteer.user_id == user.id or is_staff(user, volunteer.community_id)):
        raise VOLUNTEER_NOT_FOUND(volunteer_id=volunteer_id)
    return volunteer


def task_or_404(session: Session, user: User | None, task_id: int) -> VolunteerTask:
    """The task, for those who manage it and its volunteer; 404 for everybody else."""
    policy.require_user(user)
    task = session.get(VolunteerTask, task_id)
    if task is None or not (manages(user, task) or _volunteers_for(session, user, task)):
        raise TASK_NOT_FOUND(task_id=task_id)
    return task


def _volunteers_for(session: Session, user: User, task: VolunteerTask) -> bool:
    return task.volunteer_id is not None and session.scalar(
        select(Volunteer.user_id).where(Volunteer.id == task.volunteer_id)) == user.id


# --- volunteers -------------------------------------------------------------------------------------------------

def register(session: Session, user: User | None, community: Community, user_id: int, skills: str,
             availability: str = "", consent: bool = False) -> Volunteer:
    """Community staff register a resident of the community who agreed to volunteer."""
    policy.require(user, "community_staff", community_id=community.id)
    if consent is not True:
        raise CONSENT_REQUIRED(field="consent")
    resident = session.scalar(select(RoleGrant.user_id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == "resident", RoleGrant.community_id == community.id))
    if resident is None:
        raise NOT_A_RESIDENT(field="user_id")
    if session.scalar(select(Volunteer.id).where(Volunteer.community_id == community.id,
                                                 Volunteer.user_id == user_id)):
        raise ALREADY_VOLUNTEER()
    now = utcnow()
    volunteer = Volunteer(community_id=community.id, user_id=user_id, skills=(skills or "").strip()[:MAX_SKILLS],
                          availability=(availability or "").strip(), consent_at=now, status="active",
                          balance_tenths=0, registered_by=user.id, created_at=now)
    session.add(volunteer)
    session.flush()
    audit.record(session, user, "volunteer_registered", "volunteer", volunteer.id, community.id, user_id=user_id)
    return volunteer


# --- tasks -----------------------------------------------------------------------------------------------------

def create_task(session: Session, user: User | None, community: Community, kind: str, title: str,
                starts_at: dt.datetime, hours_given, operator_id: int | None = None) -> VolunteerTask:
    """A task of the community, by its staff, or for an operator of it, by that operator's staff."""
    policy.require_user(user)
    if operator_id is None:
        policy.require(user, "community_staff", community_id=community.id)
    elif not (is_staff(user, community.id) or policy.has_role(user, "operator_staff", operator_id=operator_id)):
        raise policy.ROLE_REQUIRED()
    return _new_task(session, user, community, kind, title, starts_at, hours_given, operator_id)


def _new_task(session: Session, user: User | None, community: Community, kind: str, title: str,
              starts_at: dt.datetime, hours_given, operator_id: int | None, **offered) -> VolunteerTask:
    """The one way a task is made: its operator, kind, title and hours checked, the making audited."""
    if operator_id is not None:
        operator = session.get(Operator, operator_id)
        if operator is None or operator.community_id != community.id:
            raise OPERATOR_NOT_HERE(field="operator_id")
    if kind not in TASK_KINDS:
        raise UNKNOWN_KIND(field="kind")
    title = title.strip() if isinstance(title, str) else ""
    if not title or len(title) > MAX_TITLE:
        raise TITLE_REQUIRED(most=MAX_TITLE, field="title")
    task = VolunteerTask(community_id=community.id, operator_id=operator_id, kind=kind, title=title,
                         starts_at=starts_at, hours_tenths=tenths_of(hours_given, MOST_TASK_HOURS), status="open",
                         created_by=user.id if user else None, created_at=utcnow(), **offered)
    session.add(task)
    session.flush()
    audit.record(session, user, "volunteer_task_created", "volunteer_task", task.id, community.id, kind=kind,
                 hours_tenths=task.hours_tenths)
    return task


def assign(session: Session, user: User | None, task_id: int, volunteer_id: int) -> VolunteerTask:
    """Those who manage the task give it to an active volunteer of its community (again, until it is done)."""
    task = _managed(session, user, task_id)
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.community_id != task.community_id or volunteer.status != "active":
        raise VOLUNTEER_NOT_HERE(field="volunteer_id")
    _move(session, task, VolunteerTask.status.in_(("open", "assigned")), TASK_NOT_OPEN, status="assigned",
          volunteer_id=volunteer.id)
    audit.record(session, user, "volunteer_task_assigned", "volunteer_task", task.id, task.community_id,
                 volunteer_id=volunteer.id)
    time_bank_notices.assigned(session, task)
    return task


def mark_done(session: Session, user: User | None, task_id: int) -> VolunteerTask:
    """The volunteer's one tap: the task is done, waiting for staff to confirm it."""
    task = task_or_404(session, user, task_id)
    if not _volunteers_for(session, user, task):
        raise policy.ROLE_REQUIRED()
    _move(session, task, VolunteerTask.status == "assigned", TASK_NOT_ASSIGNED, status="done", done_at=utcnow())
    audit.record(session, user, "volunteer_task_done", "volunteer_task", task.id, task.community_id)
    return task


def confirm(session: Session, user: User | None, task_id: int) -> VolunteerTask:
    """Staff confirm the task was done: its hours are credited to its volunteer, once (a second confirm is 409)."""
    task = _managed(session, user, task_id)
    if task.status == "confirmed":
        raise TASK_CONFIRMED()
    _move(session, task, VolunteerTask.status == "done", TASK_NOT_DONE, status="confirmed", confirmed_by=user.id,
          confirmed_at=utcnow())
    post_hours(session, task.volunteer_id, task.hours_tenths, "credit", user, task_id=task.id)
    audit.record(session, user, "volunteer_task_confirmed", "volunteer_task", task.id, task.community_id,
                 hours_tenths=task.hours_tenths)
    time_bank_notices.credited(session, task)
    return task


def _managed(session: Session, user: User | None, task_id: int) -> VolunteerTask:
    task = task_or_404(session, user, task_id)
    if not manages(user, task):
        raise policy.ROLE_REQUIRED()
    return task


def _move(session: Session, task: VolunteerTask, condition, refused, **values) -> None:
    """Change the task only where ``condition`` still holds (a conditional UPDATE: two taps, one change)."""
    if not _moved(session, task, condition, **values):
        raise TASK_CONFIRMED() if task.status == "confirmed" else refused()


def _moved(session: Session, task: VolunteerTask, condition, **values) -> bool:
    changed = session.execute(update(VolunteerTask).where(VolunteerTask.id == task.id, condition).values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    session.refresh(task)
    return bool(changed)


# --- tasks offered by plugins ------------------------------------------------------------------------------------

def offer(session: Session, *, community_id: int, operator_id: int | None, kind: str, title: str,
          starts_at: dt.datetime, hours, key: str, details: str = "", by: User | None = None) -> VolunteerTask:
    """A plugin offers a task under its own ``key`` (its job runs twice, its staff press twice: one task). The task
    offered before is returned, its ``details`` brought up to date while not done, opened again if it was called
    off; a new one is checked as :func:`create_task` checks it."""
    key = key.strip() if isinstance(key, str) else ""
    if not key or len(key) > MAX_KEY:
        raise KEY_REQUIRED(most=MAX_KEY, field="key")
    if not isinstance(details, str) or len(details) > MAX_DETAILS:
        raise DETAILS_TOO_LONG(most=MAX_DETAILS, field="details")
    task = offered(session, [key]).get(key)
    if task is None:
        community = session.get(Community, community_id) if isinstance(community_id, int) else None
        if community is None:
            raise COMMUNITY_NOT_FOUND(community=str(community_id)[:64])
        if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
            raise START_REQUIRED(field="starts_at")
        try:
            with session.begin_nested():
                return _new_task(session, by, community, kind, title, starts_at, hours, operator_id,
                                 source_key=key, details=details)
        except IntegrityError:  # the same key offered at the same moment: the other offer made it
            task = offered(session, [key])[key]
    if task.status == "cancelled" and _moved(session, task, VolunteerTask.status == "cancelled", status="open",
                                             volunteer_id=None, details=details):
        audit.record(session, by, "volunteer_task_reopened", "volunteer_task", task.id, task.community_id)
    elif task.status in ("open", "assigned") and task.details != details:
        task.details = details
        session.flush()
    return task


def withdraw(session: Session, key: str, by: User | None = None) -> VolunteerTask | None:
    """A plugin calls off the task it offered under ``key`` while nobody has done it yet (the booking behind it was
    cancelled): cancelled, its volunteer told. None when there is no such task to call off."""
    task = offered(session, [key]).get(key)
    if task is None or not _moved(session, task, VolunteerTask.status.in_(("open", "assigned")), status="cancelled"):
        return None
    audit.record(session, by, "volunteer_task_cancelled", "volunteer_task", task.id, task.community_id)
    if task.volunteer_id is not None:
        time_bank_notices.cancelled(session, task)
    return task


def offered(session: Session, keys: list[str]) -> dict[str, VolunteerTask]:
    """The tasks offered under these keys, by key."""
    return {task.source_key: task for task in session.scalars(
        select(VolunteerTask).where(VolunteerTask.source_key.in_(keys)))} if keys else {}


def active_volunteers(session: Session, community_id: int) -> list[tuple[int, str]]:
    """``(volunteer id, name)`` of the community's active volunteers, by name: whom a task may be given to."""
    return [tuple(row) for row in session.execute(
        select(Volunteer.id, User.name).join(User, User.id == Volunteer.user_id)
        .where(Volunteer.community_id == community_id, Volunteer.status == "active").order_by(User.name, Volunteer.id))]


# --- the hours ledger ------------------------------------------------------------------------------------------

def redeem(session: Session, user: User | None, volunteer_id: int, hours_given, reason: str) -> VolunteerHours:
    """Community staff exchange some of a volunteer's hours for a reward; 409 ``not_enough_hours`` rather than
    going below zero."""
    volunteer = volunteer_or_404(session, user, volunteer_id)
    policy.require(user, "community_staff", community_id=volunteer.community_id)
    tenths = tenths_of(hours_given, MOST_REDEEM_HOURS)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise REASON_REQUIRED(field="reason")
    entry = post_hours(session, volunteer.id, -tenths, "redeem", user, reason=reason)
    audit.record(session, user, "volunteer_hours_redeemed", "volunteer", volunteer.id, volunteer.community_id,
                 hours_tenths=tenths)
    return entry


def post_hours(session: Session, volunteer_id: int, tenths: int, kind: str, user: User | None,
               **entry) -> VolunteerHours:
    """Append one entry and move the balance with it, the volunteer's row locked until the transaction ends."""
    volunteer = session.scalar(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()
                               .execution_options(populate_existing=True))
    balance = volunteer.balance_tenths + tenths
    if balance < 0:
        raise NOT_ENOUGH_HOURS(balance=hours(volunteer.balance_tenths), hours=hours(-tenths), field="hours")
    volunteer.balance_tenths = balance
    row = VolunteerHours(volunteer_id=volunteer.id, tenths=tenths, kind=kind, by_id=user.id if user else None,
                         at=utcnow(), **entry)
    session.add(row)
    session.flush()
    return row


def entries(session: Session, volunteer: Volunteer) -> list[VolunteerHours]:
    return list(session.scalars(select(VolunteerHours).where(VolunteerHours.volunteer_id == volunteer.id)
                                .order_by(VolunteerHours.id.desc())))


def credited(session: Session, volunteer_id: int) -> int:
    """Tenths of an hour credited for tasks in all: what the stars are earned by."""
    return credited_of(session, [volunteer_id])[volunteer_id]


def credited_of(session: Session, volunteer_ids: list[int]) -> dict[int, int]:
    """:func:`credited` of each volunteer listed, in one query."""
    found = dict(session.execute(select(VolunteerHours.volunteer_id, func.sum(VolunteerHours.tenths)).where(
        VolunteerHours.volunteer_id.in_(volunteer_ids), VolunteerHours.kind == "credit")
        .group_by(VolunteerHours.volunteer_id)).all()) if volunteer_ids else {}
    return {volunteer_id: found.get(volunteer_id, 0) for volunteer_id in volunteer_ids}


def names_of(session: Session, volunteers: list[Volunteer]) -> dict[int, str]:
    """The volunteers' names by user id, in one query."""
    ids = {v.user_id for v in volunteers}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


# --- lists ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mine:
    """A user's volunteering in one community: the record, its tasks (not cancelled), hours credited in all."""

    volunteer: Volunteer
    tasks: list[VolunteerTask]
    credited_tenths: int

    @property
    def stars(self) -> int:
        return stars(self.credited_tenths)


def mine(session: Session, user: User | None) -> list[Mine]:
    policy.require_user(user)
    found = []
    for volunteer in session.scalars(select(Volunteer).where(Volunteer.user_id == user.id).order_by(Volunteer.id)):
        tasks = list(session.scalars(select(VolunteerTask).where(
            VolunteerTask.volunteer_id == volunteer.id, VolunteerTask.status != "cancelled")
            .order_by(VolunteerTask.starts_at.desc(), VolunteerTask.id.desc())))
        found.append(Mine(volunteer, tasks, credited(session, volunteer.id)))
    return found


def volunteers_of(user: User | None, community: Community) -> Select:
    policy.require(user, "community_staff", community_id=community.id)
    return select(Volunteer).where(Volunteer.community_id == community.id).order_by(Volunteer.id)


def tasks_of(user: User | None, community: Community, status: str | None = None) -> Select:
    """The community's tasks, for its staff, soonest first."""
    policy.require(user, "community_staff", community_id=community.id)
    query = select(VolunteerTask).where(VolunteerTask.community_id == community.id)
    if status:
        query = query.where(VolunteerTask.status == status)
    return query.order_by(VolunteerTask.starts_at, VolunteerTask.id)


def community_totals(session: Session, community: Community) -> dict:
    """What anyone may read: how many volunteers, the hours credited, the deliveries confirmed (no names)."""
    return {
        "volunteers": session.scalar(select(func.count(Volunteer.id)).where(Volunteer.community_id == community.id)),
        "hours_credited": hours(session.scalar(
            select(func.coalesce(func.sum(VolunteerHours.tenths), 0)).join(Volunteer)
            .where(Volunteer.community_id == community.id, VolunteerHours.kind == "credit"))),
        "deliveries_confirmed": session.scalar(select(func.count(VolunteerTask.id)).where(
            VolunteerTask.community_id == community.id, VolunteerTask.kind == "delivery",
            VolunteerTask.status == "confirmed")),
    }
