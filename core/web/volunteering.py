"""Time bank pages: the volunteer's "My volunteering" (their tasks, one big "Done", their hours and stars) and the
community office's page (register volunteers, make and assign tasks, confirm them, redeem hours)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from core import time_bank
from core.ledger import local_today
from core.models import Community, RoleGrant, User, Volunteer
from core.request_session import session as db_session
from core.web.common import attempt, back_to, community_or_404, flash_error, logged_in, page_blueprint, require
from core.web.forms import ActionForm
from core.web.labels import label
from core.web.volunteer_forms import (
    HOURS_KIND_NAMES, TASK_KIND_NAMES, TASK_STATUS_NAMES, AssignForm, RedeemForm, TaskForm, VolunteerForm,
)

bp = page_blueprint("web_volunteering", __name__)
MOST_LISTED = 500


@bp.app_context_processor
def _labels() -> dict:
    """The time bank's words, on every page: a plugin's page lists the tasks it offered too."""
    return {"task_kind_label": lambda code: label(TASK_KIND_NAMES, code),
            "task_status_label": lambda code: label(TASK_STATUS_NAMES, code),
            "hours_kind_label": lambda code: label(HOURS_KIND_NAMES, code),
            "star_hours": time_bank.STAR_HOURS, "hours_of": time_bank.hours}


# --- the volunteer ------------------------------------------------------------------------------------------------

@bp.route("/my/volunteering")
def mine():
    """Today's deliveries first, each address with one big "I delivered it"; then the other tasks, each to be marked done
    with one tap; then the hours and stars."""
    db = db_session()
    records = time_bank.mine(db, logged_in())
    communities = {c.id: c for c in db.scalars(select(Community).where(
        Community.id.in_({m.volunteer.community_id for m in records})))}
    entries = {m.volunteer.id: time_bank.entries(db, m.volunteer)[:20] for m in records}
    today = {m.volunteer.id: _deliveries_today(m, communities[m.volunteer.community_id]) for m in records}
    return render_template("volunteering/mine.html", records=records, communities=communities, entries=entries,
                           today=today)


def _deliveries_today(record: time_bank.Mine, community: Community) -> list:
    """The volunteer's deliveries of the community's day, to do or done (not confirmed yet)."""
    zone, day = ZoneInfo(community.timezone), local_today(community)
    return [t for t in record.tasks if t.kind == "delivery" and t.status in ("assigned", "done")
            and t.starts_at.astimezone(zone).date() == day]


@bp.route("/my/volunteering/tasks/<int:task_id>/done", methods=["POST"])
def done(task_id: int):
    """The volunteer's one tap: done, for the office to confirm."""
    user = logged_in()
    if not ActionForm().validate_on_submit():
        flash(_("Please try again."), "error")
        return back_to("web_volunteering.mine")
    _task, error = attempt(lambda db: time_bank.mark_done(db, user, task_id))
    if error is not None:
        flash_error(error)
    else:
        flash(_("Thank you! The office will confirm your hours."), "success")
    return back_to("web_volunteering.mine")


# --- the community office -----------------------------------------------------------------------------------------

def _office(slug: str) -> tuple[User, Community]:
    community = community_or_404(slug)
    return require("community_staff", community_id=community.id), community


def _residents(community: Community) -> list[tuple[int, str]]:
    """Residents of the community who are not volunteers yet, by name (the first few hundred)."""
    volunteering = select(Volunteer.user_id).where(Volunteer.community_id == community.id)
    return [(u.id, u.name) for u in db_session().scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == "resident", RoleGrant.community_id == community.id, User.id.not_in(volunteering))
        .order_by(User.name, User.id).limit(MOST_LISTED))]


def _forms(community: Community, volunteers: list[Volunteer]) -> dict:
    names = time_bank.names_of(db_session(), volunteers)
    register, assign = VolunteerForm(), AssignForm()
    register.user_id.choices = [(0, "—")] + _residents(community)
    assign.volunteer_id.choices = [(v.id, names[v.user_id]) for v in volunteers if v.status == "active"]
    return {"register": register, "task_form": TaskForm(), "assign": assign, "redeem": RedeemForm()}


@bp.route("/communities/<slug>/volunteering")
def office(slug: str):
    """Volunteers with their hours and stars, and the tasks still to be done or confirmed."""
    user, community = _office(slug)
    db = db_session()
    volunteers = list(db.scalars(time_bank.volunteers_of(user, community).limit(MOST_LISTED)))
    tasks = [t for t in db.scalars(time_bank.tasks_of(user, community).limit(MOST_LISTED))
             if t.status in ("open", "assigned", "done")]
    credited = time_bank.credited_of(db, [v.id for v in volunteers])
    return render_template("volunteering/office.html", community=community, volunteers=volunteers, tasks=tasks,
                           names=time_bank.names_of(db_session(), volunteers), credited=credited, stars=time_bank.stars,
                           **_forms(community, volunteers))


def _posted(form, slug: str, action, success: str):
    """Run the form's action, then back to the office's page with what happened said."""
    if not form.validate_on_submit():
        errors = [str(message) for messages in form.errors.values() for message in messages]
        flash(" ".join(errors) or _("Please try again."), "error")
        return back_to("web_volunteering.office", slug=slug)
    _done, error = attempt(action)
    if error is not None:
        flash_error(error)
    else:
        flash(success, "success")
    return back_to("web_volunteering.office", slug=slug)


@bp.route("/communities/<slug>/volunteering/volunteers", methods=["POST"])
def register(slug: str):
    user, community = _office(slug)
    form = VolunteerForm()
    form.user_id.choices = _residents(community)
    return _posted(form, slug, lambda db: time_bank.register(
        db, user, community, form.user_id.data, form.skills.data, form.availability.data, form.consent.data),
        _("The volunteer is registered."))


@bp.route("/communities/<slug>/volunteering/tasks", methods=["POST"])
def new_task(slug: str):
    user, community = _office(slug)
    form = TaskForm()

    def create(db):
        starts = dt.datetime.combine(form.day.data, form.starts.data, ZoneInfo(community.timezone))
        return time_bank.create_task(db, user, community, form.kind.data, form.title.data, starts, form.hours.data)

    return _posted(form, slug, create, _("The task is added."))


def _task_here(community: Community, task_id: int, user: User):
    task = time_bank.task_or_404(db_session(), user, task_id)
    if task.community_id != community.id:
        raise time_bank.TASK_NOT_FOUND(task_id=task_id)
    return task


@bp.route("/communities/<slug>/volunteering/tasks/<int:task_id>/assign", methods=["POST"])
def assign(slug: str, task_id: int):
    user, community = _office(slug)
    _task_here(community, task_id, user)
    form = AssignForm()
    form.volunteer_id.choices = [(v.id, "") for v in db_session().scalars(
        select(Volunteer).where(Volunteer.community_id == community.id))]
    return _posted(form, slug, lambda db: time_bank.assign(db, user, task_id, form.volunteer_id.data),
                   _("The task is assigned."))


@bp.route("/communities/<slug>/volunteering/tasks/<int:task_id>/confirm", methods=["POST"])
def confirm(slug: str, task_id: int):
    user, community = _office(slug)
    _task_here(community, task_id, user)
    return _posted(ActionForm(), slug,
                   lambda db: time_bank.confirm(db, user, task_id), _("Confirmed: the hours are credited."))


@bp.route("/communities/<slug>/volunteering/volunteers/<int:volunteer_id>/redeem", methods=["POST"])
def redeem(slug: str, volunteer_id: int):
    user, community = _office(slug)
    volunteer = time_bank.volunteer_or_404(db_session(), user, volunteer_id)
    if volunteer.community_id != community.id:
        raise time_bank.VOLUNTEER_NOT_FOUND(volunteer_id=volunteer_id)
    form = RedeemForm()
    return _posted(form, slug, lambda db: time_bank.redeem(db, user, volunteer_id, form.hours.data, form.reason.data),
                   _("The hours are redeemed."))
