"""The volunteer time bank (SPEC §11.7): volunteers, their tasks, their hours and what they redeem them for.

Hours are numbers with at most one decimal (1.5), kept exactly as integers in tenths of an hour (core.time_bank).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import time_bank
from core.api.common import (
    ID, MOMENT, ApiBlueprint, JsonBoolean, PageArgs, community_by_ref, current_user, page_schema, paginate, public,
)
from core.db import commit
from core.models import HOURS_KINDS, TASK_KINDS, TASK_STATUSES, VOLUNTEER_STATUSES
from core.request_session import session

blp = ApiBlueprint("volunteering", __name__, url_prefix="", description="The volunteer time bank")


def _hours_field(most: int) -> fields.Raw:
    """Hours as a number; core.time_bank checks it (422 ``invalid_hours``) and keeps it in tenths."""
    return fields.Raw(required=True, metadata={"type": "number", "minimum": 0, "exclusiveMinimum": True,
                                               "maximum": most, "multipleOf": 0.1,
                                               "description": "hours, at most one decimal"})


class VolunteerRequest(Schema):
    user_id = fields.Integer(required=True, strict=True, validate=ID)
    skills = fields.String(load_default="", validate=validate.Length(max=time_bank.MAX_SKILLS))
    availability = fields.String(load_default="", validate=validate.Length(max=1000))
    consent = JsonBoolean(required=True, metadata={"description": "true: the resident agreed to be registered"})


class TaskRequest(Schema):
    community_id = fields.Integer(required=True, strict=True, validate=ID)
    operator_id = fields.Integer(strict=True, validate=ID, allow_none=True, load_default=None,
                                 metadata={"description": "the operator the task is for (its staff may create it)"})
    kind = fields.String(required=True, validate=validate.Length(max=16), metadata={"enum": list(TASK_KINDS)})
    title = fields.String(required=True, metadata={"description": f"at most {time_bank.MAX_TITLE} characters"})
    starts_at = fields.AwareDateTime(required=True, format="iso", validate=MOMENT)
    hours = _hours_field(time_bank.MOST_TASK_HOURS)


class AssignRequest(Schema):
    volunteer_id = fields.Integer(required=True, strict=True, validate=ID)


class RedeemRequest(Schema):
    hours = _hours_field(time_bank.MOST_REDEEM_HOURS)
    reason = fields.String(required=True, metadata={"description": "what the hours are exchanged for"})


class TaskQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))


class VolunteerSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    skills = fields.String()
    availability = fields.String()
    status = fields.String(validate=validate.OneOf(VOLUNTEER_STATUSES))
    consent_at = fields.DateTime()
    balance_hours = fields.Float()
    credited_hours = fields.Float(metadata={"description": "hours credited in all, what the stars are earned by"})
    stars = fields.Integer(metadata={"description": "0–5: 1★ from 10 hours credited, 2★ 50, 3★ 100, 4★ 200, 5★ 500"})


class TaskSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    operator_id = fields.Integer(allow_none=True)
    kind = fields.String(validate=validate.OneOf(TASK_KINDS))
    title = fields.String()
    starts_at = fields.DateTime()
    hours = fields.Float()
    volunteer_id = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    done_at = fields.DateTime(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    details = fields.String(metadata={"description": "what only the task's volunteer and those who manage it read: "
                                                     "a delivery's address and who lives there"})


class EntrySchema(Schema):
    id = fields.Integer()
    hours = fields.Float(metadata={"description": "signed: a credit is positive, a redemption negative"})
    kind = fields.String(validate=validate.OneOf(HOURS_KINDS), metadata={
        "description": "reward: spent by a booking at a reward's price; reward_returned: given back when it was "
                       "cancelled"})
    task_id = fields.Integer(allow_none=True)
    booking_id = fields.Integer(allow_none=True, metadata={"description": "the booking of a reward"})
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class HoursSchema(Schema):
    volunteer_id = fields.Integer()
    balance_hours = fields.Float()
    credited_hours = fields.Float()
    stars = fields.Integer()
    entries = fields.List(fields.Nested(EntrySchema), metadata={"description": "newest first"})


class MineSchema(Schema):
    volunteer = fields.Nested(VolunteerSchema)
    tasks = fields.List(fields.Nested(TaskSchema))


class TotalsSchema(Schema):
    volunteers = fields.Integer()
    hours_credited = fields.Float()
    deliveries_confirmed = fields.Integer()


VOLUNTEER_PAGE = page_schema(VolunteerSchema)
TASK_PAGE = page_schema(TaskSchema)


def volunteers_json(volunteers) -> list[dict]:
    """The volunteers with their names and hours, read for all of them at once."""
    db = session()
    names = time_bank.names_of(db, volunteers)
    credited = time_bank.credited_of(db, [v.id for v in volunteers])
    return [volunteer_json(v, names[v.user_id], credited[v.id]) for v in volunteers]


def volunteer_json(volunteer, name: str, credited: int) -> dict:
    return {"id": volunteer.id, "community_id": volunteer.community_id, "user_id": volunteer.user_id,
            "name": name, "skills": volunteer.skills,
            "availability": volunteer.availability, "status": volunteer.status, "consent_at": volunteer.consent_at,
            "balance_hours": time_bank.hours(volunteer.balance_tenths),
            "credited_hours": time_bank.hours(credited), "stars": time_bank.stars(credited)}


def task_json(task) -> dict:
    return {name: getattr(task, name) for name in (
        "id", "community_id", "operator_id", "kind", "title", "starts_at", "volunteer_id", "status", "done_at",
        "confirmed_at", "details")} | {"hours": time_bank.hours(task.hours_tenths)}


def _task_done(task) -> dict:
    commit(session())
    return task_json(task)


@blp.route("/communities/<ref>/volunteers", methods=["POST"])
@blp.arguments(VolunteerRequest)
@blp.response(201, VolunteerSchema)
def register_volunteer(data, ref):
    """Community staff register a resident who agreed to volunteer (``consent: true``, else 422
    ``volunteer_consent_required``); 409 ``already_volunteer``."""
    db = session()
    volunteer = time_bank.register(db, current_user(), community_by_ref(db, ref), data["user_id"], data["skills"],
                                   data["availability"], data["consent"])
    commit(db)
    return volunteers_json([volunteer])[0]


@blp.route("/communities/<ref>/volunteers")
@blp.arguments(PageArgs, location="query")
@blp.response(200, VOLUNTEER_PAGE)
def list_volunteers(args, ref):
    """The community's volunteers, for its staff."""
    db = session()
    page = paginate(db, time_bank.volunteers_of(current_user(), community_by_ref(db, ref)), args)
    return page | {"items": volunteers_json(page["items"])}


@blp.route("/communities/<ref>/volunteer-tasks")
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TASK_PAGE)
def list_tasks(args, ref):
    """The community's volunteer tasks, for its staff, soonest first; by ``status``."""
    db = session()
    query = time_bank.tasks_of(current_user(), community_by_ref(db, ref), args.get("status"))
    page = paginate(db, query, args)
    return page | {"items": [task_json(t) for t in page["items"]]}


@blp.route("/volunteer-tasks", methods=["POST"])
@blp.arguments(TaskRequest)
@blp.response(201, TaskSchema)
def create_task(data):
    """A task, by the community's staff, or by an operator's staff for their operator (``operator_id``)."""
    db = session()
    task = time_bank.create_task(db, current_user(), community_by_ref(db, data["community_id"]), data["kind"],
                                 data["title"], data["starts_at"], data["hours"], data["operator_id"])
    return _task_done(task)


@blp.route("/volunteer-tasks/<int:task_id>")
@blp.response(200, TaskSchema)
def get_task(task_id):
    """The task, for those who manage it and its volunteer."""
    return task_json(time_bank.task_or_404(session(), current_user(), task_id))


@blp.route("/volunteer-tasks/<int:task_id>/assign", methods=["POST"])
@blp.arguments(AssignRequest)
@blp.response(200, TaskSchema)
def assign_task(data, task_id):
    """Give the task to an active volunteer of its community (again, until it is done); 409 ``task_not_open``."""
    return _task_done(time_bank.assign(session(), current_user(), task_id, data["volunteer_id"]))


@blp.route("/volunteer-tasks/<int:task_id>/done", methods=["POST"])
@blp.response(200, TaskSchema)
def mark_task_done(task_id):
    """The task's volunteer has done it (one tap); 409 ``task_not_assigned``."""
    return _task_done(time_bank.mark_done(session(), current_user(), task_id))


@blp.route("/volunteer-tasks/<int:task_id>/confirm", methods=["POST"])
@blp.response(200, TaskSchema)
def confirm_task(task_id):
    """Staff confirm it was done: its hours are credited once; 409 ``task_confirmed`` after, ``task_not_done``
    before the volunteer marked it done."""
    return _task_done(time_bank.confirm(session(), current_user(), task_id))


def hours_json(volunteer) -> dict:
    db = session()
    credited = time_bank.credited(db, volunteer.id)
    rows = [{"id": e.id, "hours": time_bank.hours(e.tenths), "kind": e.kind, "task_id": e.task_id,
             "booking_id": e.booking_id, "reason": e.reason, "at": e.at} for e in time_bank.entries(db, volunteer)]
    return {"volunteer_id": volunteer.id, "balance_hours": time_bank.hours(volunteer.balance_tenths),
            "credited_hours": time_bank.hours(credited), "stars": time_bank.stars(credited), "entries": rows}


@blp.route("/volunteers/<int:volunteer_id>/hours")
@blp.response(200, HoursSchema)
def volunteer_hours(volunteer_id):
    """The volunteer's balance and every entry, for themself and their community's staff."""
    return hours_json(time_bank.volunteer_or_404(session(), current_user(), volunteer_id))


@blp.route("/volunteers/<int:volunteer_id>/redeem", methods=["POST"])
@blp.arguments(RedeemRequest)
@blp.response(200, HoursSchema)
def redeem_hours(data, volunteer_id):
    """Community staff exchange hours for a reward; 409 ``not_enough_hours`` rather than going below zero."""
    db = session()
    time_bank.redeem(db, current_user(), volunteer_id, data["hours"], data["reason"])
    commit(db)
    return hours_json(time_bank.volunteer_or_404(db, current_user(), volunteer_id))


@blp.route("/me/volunteer")
@blp.response(200, MineSchema(many=True))
def my_volunteering():
    """Your volunteering, per community: your record (balance, stars) and your tasks, newest first."""
    records = time_bank.mine(session(), current_user())
    return [{"volunteer": shown, "tasks": [task_json(t) for t in m.tasks]}
            for m, shown in zip(records, volunteers_json([m.volunteer for m in records]), strict=True)]


@blp.route("/public/communities/<ref>/volunteering")
@blp.response(200, TotalsSchema)
@public
def volunteering_totals(ref):
    """Anyone: how many volunteers, hours credited, deliveries confirmed (no names)."""
    db = session()
    return time_bank.community_totals(db, community_by_ref(db, ref))
