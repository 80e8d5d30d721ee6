"""Complaint pages: a resident complains about a booking and follows it; the community office works its queue
(acknowledge, resolve with a note); the operator reads complaints about it, never who made them, and answers once."""
from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import gettext as _

from core import booking as bookings
from core import complaints, photos
from core.db import count_rows
from core.downloads import inline_file
from core.models import User
from core.request_session import session as db_session
from core.security import uploads
from core.web.common import (
    attempt, back_to, community_or_404, flash_error, headline, logged_in, page_blueprint, require, show_field_errors,
)
from core.web.forms import ActionForm, ComplaintForm, HandlingForm, ReplyForm, ResolveForm
from core.web.operator import operator_in_scope

bp = page_blueprint("web_complaints", __name__)
PER_PAGE = 30


def _listed(query, page: int):
    """A page of complaints with their service and time, and whether there is a next page."""
    db = db_session()
    rows = list(db.scalars(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)))
    return complaints.contexts(db, rows[:PER_PAGE]), len(rows) > PER_PAGE


def _page_number() -> int:
    return max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))


# --- the resident -------------------------------------------------------------------------------------------------

@bp.route("/my/bookings/<int:booking_id>/complain", methods=["GET", "POST"])
@uploads(photos.UPLOAD_MOST_BYTES)
def complain(booking_id: int):
    """Something went wrong with a booking: what it was about, what happened, a photo if there is one."""
    user = logged_in()
    booking, ctx = bookings.visible_booking(db_session(), user, booking_id)
    if booking.resident_id != user.id:
        raise bookings.BOOKING_NOT_FOUND(booking_id=booking_id)
    form, error, status = ComplaintForm(), None, 200
    if form.validate_on_submit():
        upload = request.files.get("photo")
        photo = upload.read() if upload is not None and upload.filename else None
        made, error = attempt(lambda db: complaints.file(db, user, booking_id, form.category.data, form.text.data,
                                                         photo, current_app.instance_path))
        if error is None:
            flash(_("Your complaint is sent. The community office will answer by %(day)s.",
                    day=made.due_on.isoformat()), "success")
            return back_to("web_complaints.mine_one", complaint_id=made.id)
        error, status = show_field_errors(form, error), error.status
    elif form.is_submitted():
        status = 422
    return render_template("complaints/new.html", booking=booking, ctx=ctx, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/my/complaints")
def mine():
    """The resident's complaints, newest first, each with where it stands."""
    user = logged_in()
    page = _page_number()
    rows, more = _listed(complaints.of_resident(user), page)
    return render_template("complaints/mine.html", rows=rows, page=page, more=more)


def _own(complaint_id: int) -> complaints.Context:
    user = logged_in()
    ctx, audience = complaints.visible(db_session(), user, complaint_id)
    if audience != complaints.RESIDENT:
        raise complaints.COMPLAINT_NOT_FOUND(complaint_id=complaint_id)
    return ctx


@bp.route("/my/complaints/<int:complaint_id>")
def mine_one(complaint_id: int):
    """Follow one complaint: where it stands, the day it is due, the office's note, the operator's answer."""
    return render_template("complaints/resident.html", c=_own(complaint_id), form=HandlingForm())


@bp.route("/my/complaints/<int:complaint_id>/rate", methods=["POST"])
def rate(complaint_id: int):
    """How was the complaint handled? Stars, once, after it is answered."""
    ctx = _own(complaint_id)
    form = HandlingForm()
    if not form.validate_on_submit():
        return render_template("complaints/resident.html", c=ctx, form=form), 422
    _done, error = attempt(lambda db: complaints.rate(db, logged_in(), complaint_id, form.stars.data))
    if error is not None:
        flash_error(error)
    else:
        flash(_("Thank you for your rating."), "success")
    return back_to("web_complaints.mine_one", complaint_id=complaint_id)


@bp.route("/complaints/<int:complaint_id>/photo")
def photo(complaint_id: int):
    """The complaint's photo, for the resident, the community office and the operator's staff."""
    ctx, _audience = complaints.visible(db_session(), logged_in(), complaint_id)
    data = complaints.PHOTOS.read(current_app.instance_path, ctx.complaint.photo)
    return inline_file(data, ctx.complaint.photo_type or photos.image_type(data))


# --- the community office -----------------------------------------------------------------------------------------

def _office(slug: str):
    community = community_or_404(slug)
    return require("community_staff", community_id=community.id), community


@bp.route("/communities/<slug>/complaints")
def queue(slug: str):
    """The office's complaints: the open ones first to hand, by status, the overdue ones marked."""
    user, community = _office(slug)
    status = request.args.get("status") or None
    status = status if status in complaints.COMPLAINT_STATUSES else None
    overdue = True if request.args.get("overdue") == "1" else None
    page = _page_number()
    query = complaints.of_community(user, community, status, overdue)
    rows, more = _listed(query, page)
    return render_template("complaints/queue.html", community=community, rows=rows, page=page, more=more,
                           status=status, overdue=overdue, total=count_rows(db_session(), query))


def _in_office(slug: str, complaint_id: int) -> tuple[User, complaints.Context]:
    user, community = _office(slug)
    ctx, _audience = complaints.visible(db_session(), user, complaint_id)
    if ctx.complaint.community_id != community.id:
        raise complaints.COMPLAINT_NOT_FOUND(complaint_id=complaint_id)
    return user, ctx


def _office_page(ctx: complaints.Context, form: ResolveForm, error=None, status: int = 200):
    resident = db_session().get(User, ctx.complaint.resident_id)
    return render_template("complaints/staff.html", c=ctx, community=ctx.community, form=form, resident=resident,
                           action=ActionForm(), error=error, headline=headline(error) if error else None), status


@bp.route("/communities/<slug>/complaints/<int:complaint_id>")
def office_one(slug: str, complaint_id: int):
    _user, ctx = _in_office(slug, complaint_id)
    return _office_page(ctx, ResolveForm())


@bp.route("/communities/<slug>/complaints/<int:complaint_id>/acknowledge", methods=["POST"])
def acknowledge(slug: str, complaint_id: int):
    """The office has read it: the resident is told it is being handled."""
    user, _ctx = _in_office(slug, complaint_id)
    _done, error = attempt(lambda db: complaints.acknowledge(db, user, complaint_id))
    if error is not None:
        flash_error(error)
    else:
        flash(_("The resident is told that their complaint is being handled."), "success")
    return back_to("web_complaints.office_one", slug=slug, complaint_id=complaint_id)


@bp.route("/communities/<slug>/complaints/<int:complaint_id>/resolve", methods=["POST"])
def resolve(slug: str, complaint_id: int):
    """The office decides, upheld or not, with the note the resident reads."""
    user, ctx = _in_office(slug, complaint_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        return _office_page(ctx, form, status=422)
    _done, error = attempt(lambda db: complaints.resolve(db, user, complaint_id, form.upheld.data == "yes",
                                                         form.note.data))
    if error is not None:
        return _office_page(complaints.context(db_session(), complaint_id), form, show_field_errors(form, error),
                            error.status)
    flash(_("The complaint is resolved and the resident told."), "success")
    return back_to("web_complaints.office_one", slug=slug, complaint_id=complaint_id)


# --- the operator -------------------------------------------------------------------------------------------------

@bp.route("/operators/<int:operator_id>/complaints")
def operator_queue(operator_id: int):
    """Complaints about the operator's services, newest first; who made them is not shown."""
    user, operator, community = operator_in_scope(operator_id)
    page = _page_number()
    rows, more = _listed(complaints.of_operator(user, operator.id, community.id), page)
    return render_template("complaints/operator_queue.html", operator=operator, community=community, rows=rows,
                           page=page, more=more)


@bp.route("/operators/<int:operator_id>/complaints/<int:complaint_id>", methods=["GET", "POST"])
def operator_one(operator_id: int, complaint_id: int):
    """One complaint about the operator, and its one answer."""
    user, operator, community = operator_in_scope(operator_id)
    ctx, _audience = complaints.visible(db_session(), user, complaint_id)
    if ctx.complaint.operator_id != operator.id:
        raise complaints.COMPLAINT_NOT_FOUND(complaint_id=complaint_id)
    form, error, status = ReplyForm(), None, 200
    if form.validate_on_submit():
        _done, error = attempt(lambda db: complaints.reply(db, user, complaint_id, form.text.data))
        if error is None:
            flash(_("Your answer is sent to the resident and the community office."), "success")
            return back_to("web_complaints.operator_one", operator_id=operator_id, complaint_id=complaint_id)
        error, status = show_field_errors(form, error), error.status
        ctx = complaints.context(db_session(), complaint_id)
    elif form.is_submitted():
        status = 422
    return render_template("complaints/operator.html", c=ctx, operator=operator, community=community, form=form,
                           error=error, headline=headline(error) if error else None), status
