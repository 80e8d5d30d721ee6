"""The workshop's pages: jobs, the pieces each worker made in a shift, and the wage sheet with its CSV.

Every page calls the API's service functions with the API's schemas, so the
roles, scopes and rules (pieces never beyond the order) are the API's.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from core.plugin_api import (
    ActionForm, Community, Finite, amount_of, attempt, back_to, flash_error, has_role, headline, load_input,
    may_read_operator, operator_or_404, page_blueprint, require, require_user, session, submit_form, web_user,
)
from plugins.workshop import KEY, service, wages
from plugins.workshop.schemas import WorkshopJobSchema, WorkshopPiecesSchema, WorkshopWageQuery

bp = page_blueprint("workshop_pages", __name__, url_prefix="/workshop")
REQUIRED = DataRequired(message=_l("Please fill this in."))
RATE = [InputRequired(message=_l("Write an amount, e.g. 3.50.")), Finite(),
        NumberRange(min=0.01, max=10_000, message=_l("Write an amount above zero, e.g. 3.50."))]


class JobForm(FlaskForm):
    merchant = StringField(_l("Merchant"), validators=[REQUIRED, Length(max=200)])
    product = StringField(_l("Product"), validators=[REQUIRED, Length(max=200)])
    unit_rate_amount = DecimalField(_l("Wage per piece, paid to the worker"), places=2, validators=RATE)
    merchant_price_amount = DecimalField(_l("Price per piece, paid by the merchant"), places=2, validators=RATE)
    quantity = IntegerField(_l("Pieces ordered"), validators=[
        InputRequired(message=_l("Write how many pieces, e.g. 500.")),
        NumberRange(1, 1_000_000, message=_l("Between 1 and 1,000,000."))])
    due_on = DateField(_l("Due on"), validators=[InputRequired(message=_l("Write the date as YYYY-MM-DD."))])


class PiecesForm(FlaskForm):
    shift_worker = SelectField(_l("Worker and shift"), validators=[InputRequired(message=_l("Please choose one."))])
    pieces = IntegerField(_l("Pieces made"), validators=[
        InputRequired(message=_l("Write how many pieces, e.g. 40.")),
        NumberRange(1, 1_000_000, message=_l("Between 1 and 1,000,000."))])


def _page(template: str, operator, **values):
    user = web_user()
    return render_template(template, operator=operator, community=session().get(Community, operator.community_id),
                           keeper=has_role(user, "operator_staff", operator_id=operator.id), **values)


@bp.route("/operators/<int:operator_id>/jobs", methods=["GET", "POST"])
def jobs(operator_id: int):
    """The merchants' orders, newest first (the workshop's and the community's staff); its staff take on new ones."""
    db, user = session(), require_user(web_user())
    found = service.jobs(db, user, operator_id, {"page": 1, "per_page": 100})
    operator = operator_or_404(db, operator_id, KEY)
    currency = db.get(Community, operator.community_id).currency
    form = JobForm()
    job, error, status = submit_form(form, lambda db: service.create_job(db, user, operator_id, load_input(
        WorkshopJobSchema, {"merchant": form.merchant.data, "product": form.product.data,
                            "unit_rate_amount": amount_of(form.unit_rate_amount, currency),
                            "merchant_price_amount": amount_of(form.merchant_price_amount, currency),
                            "quantity": form.quantity.data, "due_on": form.due_on.data.isoformat()})))
    if job is not None:
        flash(_("The job is taken on: %(product)s for %(merchant)s.", product=job.product, merchant=job.merchant),
              "success")
        return back_to("workshop_pages.job", job_id=job.id)
    return _page("workshop/jobs.html", operator, jobs=found["items"], form=form, error=error,
                 headline=headline(error) if error else None), status


@bp.route("/jobs/<int:job_id>", methods=["GET", "POST"])
def job(job_id: int):
    """A job and its pieces per worker and shift (its readers); the workshop's staff record pieces here."""
    db, user = session(), require_user(web_user())
    found = service.job(db, user, job_id)
    operator = operator_or_404(db, found.operator_id, KEY)
    keeper = has_role(user, "operator_staff", operator_id=operator.id)
    community = db.get(Community, operator.community_id)
    form = PiecesForm()
    if form.is_submitted() and not keeper:
        require(user, "operator_staff", operator_id=operator.id)  # only the workshop's staff record pieces
    form.shift_worker.choices = _shift_choices(db, user, operator, community) if keeper else []
    recorded, error, status = submit_form(form, lambda db: service.record_pieces(db, user, job_id, load_input(
        WorkshopPiecesSchema, {**_shift_and_worker(form.shift_worker.data), "pieces": form.pieces.data})))
    if recorded is not None:
        flash(ngettext("Recorded: %(num)d piece by %(name)s.", "Recorded: %(num)d pieces by %(name)s.", recorded.pieces,
                       name=recorded.worker.name), "success")
        return back_to("workshop_pages.job", job_id=job_id)
    pieces = service.pieces(db, user, job_id, {"page": 1, "per_page": 200})["items"]
    return _page("workshop/job.html", operator, job=found, pieces=pieces, form=form, error=error,
                 headline=headline(error) if error else None, deliver=ActionForm()), status


def _shift_choices(db, user, operator, community) -> list[SelectChoice]:
    zone = ZoneInfo(community.timezone)
    return [SelectChoice(f"{slot.id}-{worker.id}", f"{slot.starts_at.astimezone(zone):%Y-%m-%d %H:%M} · {worker.name}")
            for slot, worker in service.shift_workers(db, user, operator.id)]


def _shift_and_worker(choice: str) -> dict:
    slot_id, _, worker_id = choice.partition("-")
    return {"slot_id": int(slot_id), "worker_id": int(worker_id)}


@bp.route("/jobs/<int:job_id>/deliver", methods=["POST"])
def deliver(job_id: int):
    """The pieces made go to the merchant: the job closes and its revenue is posted (the workshop's staff)."""
    user = require_user(web_user())
    delivered, error = attempt(lambda db: service.deliver(db, user, job_id))
    if error is not None:
        flash_error(error)
    else:
        flash(ngettext("Delivered: %(num)d piece to %(merchant)s.", "Delivered: %(num)d pieces to %(merchant)s.",
                       delivered.completed, merchant=delivered.merchant), "success")
    return back_to("workshop_pages.job", job_id=job_id)


def _sheet(operator_id: int) -> tuple[dict, str]:
    """The wage sheet of the period asked for (this month by default), as the API reads it."""
    db, user = session(), require_user(web_user())
    operator = operator_or_404(db, operator_id, KEY)
    zone = ZoneInfo(db.get(Community, operator.community_id).timezone)
    period = request.args.get("period") or f"{dt.datetime.now(zone):%Y-%m}"
    args = load_input(WorkshopWageQuery, {"period": period})
    return wages.wage_sheet(db, user, operator_id, args["period"]), args["period"]


@bp.route("/operators/<int:operator_id>/wages")
def wage_sheet(operator_id: int):
    """Pieces × rate per worker for a month: everyone's for the staff, a resident's own for a resident."""
    sheet, period = _sheet(operator_id)
    year, month = (int(part) for part in period.split("-"))
    first = dt.date(year, month, 1)
    return _page("workshop/wages.html", operator_or_404(session(), operator_id, KEY), sheet=sheet, period=period,
                 previous=f"{first - dt.timedelta(days=1):%Y-%m}", following=f"{first + dt.timedelta(days=31):%Y-%m}")


@bp.route("/operators/<int:operator_id>/wages.csv")
def wage_sheet_csv(operator_id: int):
    """The same sheet as a spreadsheet-safe CSV file."""
    return wages.csv_response(_sheet(operator_id)[0])


def fragment(page: str, listing, slot) -> str | None:
    """On a resident's booking of a shift: how the pay works, and the way to their wage sheet."""
    if page != "booking":
        return None
    zone = ZoneInfo(session().get(Community, listing.community_id).timezone)
    return render_template("workshop/_shift.html", operator_id=listing.operator_id,
                           period=f"{slot.starts_at.astimezone(zone):%Y-%m}")


def links(operator, user) -> list[tuple[str, str]]:
    """The jobs and the wage sheet, for the workshop's staff and its community's staff."""
    if not may_read_operator(user, operator):
        return []
    return [(_("Jobs"), url_for("workshop_pages.jobs", operator_id=operator.id)),
            (_("Wage sheet"), url_for("workshop_pages.wage_sheet", operator_id=operator.id))]
