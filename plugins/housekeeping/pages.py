"""The housekeeping centre's pages: its roster of workers, and the worker a resident's booking is sent.

Every page calls the API's service functions with the API's schemas, so the
roles, scopes and rules are the same on both.
"""
from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from core.plugin_api import (
    Community, back_to, has_role, headline, load_input, may_read_operator, operator_of_type, page_blueprint, session,
    submit_form, web_user,
)
from plugins.housekeeping import KEY, service
from plugins.housekeeping.schemas import WORKER_SERVICES, WorkerPatchSchema, WorkerSchema

bp = page_blueprint("housekeeping_pages", __name__, url_prefix="/housekeeping")
SKILLS = {"cleaning": _l("Home cleaning"), "elderly_care": _l("Elderly care"),
          "maternity_nanny": _l("Maternity nanny"), "training": _l("Training course")}


class WorkerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Write the worker's name.")),
                                               Length(max=200, message=_l("At most 200 characters."))])
    skills = SelectMultipleField(_l("Trained for"), choices=[SelectChoice(key, SKILLS[key]) for key in WORKER_SERVICES],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                 validators=[DataRequired(message=_l("Choose at least one."))])
    active = BooleanField(_l("On duty: the centre may send this worker to residents"), default=True)

    def worker(self) -> dict:
        return {"name": self.name.data.strip(), "skills": self.skills.data, "active": bool(self.active.data)}


@bp.route("/operators/<int:operator_id>/workers", methods=["GET", "POST"])
def roster(operator_id: int):
    """The roster with each worker's coming visits (the centre's and the community's staff); the centre adds workers."""
    db, user = session(), web_user()
    operator = operator_of_type(db, user, operator_id, KEY)
    keeper = has_role(user, "operator_staff", operator_id=operator.id)
    form = WorkerForm()
    added, error, status = None, None, 200
    if form.is_submitted():
        added, error, status = submit_form(form, lambda db: service.add_worker(
            db, operator_of_type(db, user, operator_id, KEY, manage=True), **load_input(WorkerSchema, form.worker())))
    if added is not None:
        flash(_("%(name)s is on the roster.", name=added.name), "success")
        return back_to("housekeeping_pages.roster", operator_id=operator_id)
    return render_template("housekeeping/roster.html", operator=operator, form=form, error=error,
                           headline=headline(error) if error else None, keeper=keeper,
                           workers=db.scalars(service.roster(operator)).all(),
                           visits=service.coming_visits(db, operator), skills=SKILLS,
                           community=db.get(Community, operator.community_id)), status


@bp.route("/workers/<int:worker_id>", methods=["GET", "POST"])
def edit_worker(worker_id: int):
    """Rename a worker, change what they are trained for, or take them off duty (the centre's staff)."""
    user = web_user()
    worker = service.worker_to_manage(session(), user, worker_id)
    form = WorkerForm(obj=worker)
    changed, error, status = submit_form(form, lambda db: service.update_worker(
        db, user, worker_id, load_input(WorkerPatchSchema, form.worker())))
    if changed is not None:
        flash(_("The roster is updated."), "success")
        return back_to("housekeeping_pages.roster", operator_id=changed.operator_id)
    return render_template("housekeeping/worker_form.html", worker=worker, form=form, error=error,
                           headline=headline(error) if error else None), status


def fragment(page: str, listing, booking) -> str | None:
    """What a resident sees of the centre on the core's pages: who is sent, and what the price pays for."""
    service_kind = listing.details.get("service", "cleaning")
    worker = (booking.details.get("worker") if booking is not None else None)
    return render_template("housekeeping/_visit.html", page=page, booking=booking, worker=worker,
                           sends_worker=service_kind in WORKER_SERVICES,
                           agency_fee=listing.details.get("agency_fee_amount"), kind=SKILLS.get(service_kind),
                           currency=session().get(Community, listing.community_id).currency)


def links(operator, user) -> list[tuple[str, str]]:
    if not may_read_operator(user, operator):
        return []
    return [(_("Workers"), url_for("housekeeping_pages.roster", operator_id=operator.id))]
