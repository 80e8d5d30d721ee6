"""The canteen's pages: menus for residents on the core's lunch pages, publishing them, and the delivery list.

Every page calls the same service function as the API, so the roles, scopes and
rules are the API's; a form is validated by the API's own schema.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired

from core import NotFound
from core.plugin_api import (
    ActionForm, Community, active_volunteers, assign_volunteer_task, attempt, back_to, confirm_volunteer_task,
    flash_error, has_role, headline, load_input, may_read_operator, operator_of_type, page_blueprint, require,
    require_user, session, submit_form, utcnow, web_user,
)
from plugins.canteen import KEY, delivery_tasks, service
from plugins.canteen.schemas import CanteenDayQuery, CanteenMenuSchema

bp = page_blueprint("canteen_pages", __name__, url_prefix="/canteen")
COMING_MENUS = 7


class MenuForm(FlaskForm):
    dishes = TextAreaField(_l("Dishes, one on each line"),
                           validators=[DataRequired(message=_l("Write at least one dish."))])
    soup = StringField(_l("Soup (leave empty if there is none)"))
    notes = TextAreaField(_l("A note for residents (optional)"))

    def menu(self) -> dict:
        """What the API's menu schema expects."""
        dishes = [line.strip() for line in (self.dishes.data or "").splitlines() if line.strip()]
        return {"dishes": dishes, "soup": (self.soup.data or "").strip() or None, "notes": self.notes.data or ""}


@bp.route("/operators/<int:operator_id>/menus")
def menus(operator_id: int):
    """The canteen's coming meals, with the menu of each or a button to publish one (the canteen's staff)."""
    operator, meals = service.upcoming_meals(session(), web_user(), operator_id)
    return render_template("canteen/menus.html", operator=operator, meals=meals,
                           community=session().get(Community, operator.community_id))


@bp.route("/slots/<int:slot_id>/menu", methods=["GET", "POST"])
def publish_menu(slot_id: int):
    """Publish or change one meal's menu (the canteen's staff)."""
    user = web_user()
    ctx = service.canteen_slot(session(), slot_id)
    require(user, "operator_staff", operator_id=ctx.operator.id)
    form = MenuForm()
    if not form.is_submitted():
        _fill(form, slot_id)
    published, error, status = submit_form(form, lambda db: service.publish_menu(
        db, user, slot_id, load_input(CanteenMenuSchema, form.menu())))
    if published is not None:
        flash(_("The menu is published. Residents see it on the lunch page."), "success")
        return back_to("canteen_pages.menus", operator_id=ctx.operator.id)
    return render_template("canteen/menu_form.html", ctx=ctx, form=form, error=error,
                           headline=headline(error) if error else None), status


def _fill(form: MenuForm, slot_id: int) -> None:
    try:
        menu = service.menu_of(session(), slot_id)
    except NotFound:
        return
    form.dishes.data, form.soup.data, form.notes.data = "\n".join(menu["dishes"]), menu["soup"] or "", menu["notes"]


@bp.route("/operators/<int:operator_id>/deliveries")
def deliveries(operator_id: int):
    """The meals volunteers take home on a day: who, where, how many, and each home's volunteer task to assign and
    confirm (the canteen's and the community's staff)."""
    db, user = session(), require_user(web_user())
    operator = operator_of_type(db, user, operator_id, KEY)
    asked = {key: request.args[key] for key in ("date", "page") if request.args.get(key)}
    found = service.deliveries(db, user, operator_id, load_input(CanteenDayQuery, {**asked, "per_page": "200"}))
    day = found["date"]
    community = db.get(Community, operator.community_id)
    volunteers, homes = active_volunteers(db, operator.community_id), delivery_tasks.tasks_of_day(db, operator, day)
    return render_template("canteen/deliveries.html", operator=operator, found=found, day=day, community=community,
                           previous=day - dt.timedelta(days=1), following=day + dt.timedelta(days=1),
                           is_operator_staff=has_role(user, "operator_staff", operator_id=operator.id),
                           next_day=None if found["items"] else service.next_delivery_day(db, operator, day),
                           homes=homes, to_make=any(task is None or task.status == "cancelled" for _h, task in homes),
                           volunteers=volunteers,
                           volunteer_names=dict(volunteers), today=_today(community),
                           hours_each=delivery_tasks.HOURS_PER_DELIVERY)


class VolunteerChoice(FlaskForm):
    volunteer_id = SelectField(_l("Volunteer"), coerce=int,
                               validators=[InputRequired(message=_l("Please choose a volunteer."))],
                               invalid_choice_message=_l("Please choose a volunteer."))


def _today(community) -> dt.date:
    return utcnow().astimezone(ZoneInfo(community.timezone)).date()


def _asked_day(operator) -> dt.date:
    """The day a delivery form acts on (``?date=``), today by default."""
    asked = load_input(CanteenDayQuery, {"date": request.args["date"]} if request.args.get("date") else {})
    return asked.get("date") or _today(session().get(Community, operator.community_id))


def _act(operator_id: int, form_for, action, success):
    """Validate the form ``form_for(operator)`` and run ``action(db, user, day)`` for the canteen's or the community's
    staff, then back to the day's list saying ``success(result)`` or what went wrong."""
    db, user = session(), require_user(web_user())
    operator = operator_of_type(db, user, operator_id, KEY)
    day, form = _asked_day(operator), form_for(operator)
    if not form.validate_on_submit():
        errors = [str(message) for messages in form.errors.values() for message in messages]
        flash(" ".join(errors) or _("Please try again."), "error")
    else:
        done, error = attempt(lambda db: action(db, user, operator, day))
        if error is not None:
            flash_error(error)
        else:
            flash(success(done), "success")
    return back_to("canteen_pages.deliveries", operator_id=operator.id, date=day.isoformat())


def _volunteer_choice(operator) -> VolunteerChoice:
    form = VolunteerChoice()
    form.volunteer_id.choices = active_volunteers(session(), operator.community_id)
    return form


@bp.route("/operators/<int:operator_id>/deliveries/tasks", methods=["POST"])
def make_delivery_tasks(operator_id: int):
    """One volunteer task for each home of the day, made now rather than by the morning job (made once)."""
    return _act(operator_id, lambda _operator: ActionForm(), lambda db, user, operator, day: delivery_tasks.make_tasks(
        db, operator, day, user), lambda made: ngettext(
        "%(num)d delivery task is ready to be given to a volunteer.",
        "%(num)d delivery tasks are ready to be given to volunteers.", len(made)))


@bp.route("/operators/<int:operator_id>/deliveries/tasks/<int:task_id>/assign", methods=["POST"])
def assign_delivery(operator_id: int, task_id: int):
    """Give one home's delivery to a volunteer of the community."""
    def assign(db, user, _operator, _day):
        return assign_volunteer_task(db, user, task_id, request.form.get("volunteer_id", type=int))

    return _act(operator_id, _volunteer_choice, assign, lambda _task: _("The task is assigned."))


@bp.route("/operators/<int:operator_id>/deliveries/tasks/<int:task_id>/confirm", methods=["POST"])
def confirm_delivery(operator_id: int, task_id: int):
    """The meals arrived: the volunteer's hours are credited, once."""
    return _act(operator_id, lambda _operator: ActionForm(), lambda db, user, operator, day: confirm_volunteer_task(
        db, user, task_id), lambda _task: _("Confirmed: the hours are credited."))


def fragment(page: str, listing, slot, booking) -> str | None:
    """The menus on the core's lunch pages: the coming ones on the listing, the meal's own when booking it."""
    db = session()
    if page == "service":
        coming = service.menus(db, listing.id, {"page": 1, "per_page": COMING_MENUS})["items"]
        return render_template("canteen/_coming_menus.html", menus=coming)
    try:
        menu = service.menu_of(db, slot.id)
    except NotFound:
        menu = None
    address = service.delivery_address(db, booking.id) if booking is not None else None
    return render_template("canteen/_meal.html", menu=menu, address=address)


def links(operator, user) -> list[tuple[str, str]]:
    """The menus for the canteen's staff; the delivery list for them and the community's staff."""
    found = []
    if has_role(user, "operator_staff", operator_id=operator.id):
        found.append((_("Menus"), url_for("canteen_pages.menus", operator_id=operator.id)))
    if may_read_operator(user, operator):
        found.append((_("Home deliveries"), url_for("canteen_pages.deliveries", operator_id=operator.id)))
    return found
