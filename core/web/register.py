"""The resident register for community staff: find residents, register them, verify, correct, check attributes,
link family members, and see what was done and by whom."""
from __future__ import annotations

import datetime as dt

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms.validators import Optional

from core import audit, eligibility, resident_import
from core import residents as register
from core.db import count_rows
from core.errors import N_, invalid
from core.models import RESIDENT_STATUSES, Community, ResidentProfile, User
from core.pricing import ATTRIBUTES, Person
from core.request_session import session as db_session
from core.security import uploads
from core.web.common import (
    attempt, back_to, community_or_404, flash_error, headline, page_blueprint, require,
    show_field_errors, today_in,
)
from core.web.forms import ActionForm, AttributeForm, HelperForm, ResidentForm, options
from core.web.i18n import long_date
from core.web.labels import ATTRIBUTES as ATTRIBUTE_LABELS
from core.web.labels import PARTICULARS, label

bp = page_blueprint("web_register", __name__, url_prefix="/communities/<slug>/staff/residents")
COLUMN_MEANINGS = {
    "name": _l("the name (needed)"),
    "phone": _l("the mobile number (needed): it tells who is who, so importing again corrects and never duplicates"),
    "date_of_birth": _l("e.g. 1950-03-21 or 1950年3月21日; it counts as seen by you"),
    "address": _l("the home address"), "building": _l("the building"), "email": _l("an email, if they have one"),
}
NO_FILE_CHOSEN = invalid("no_file_chosen", N_("Please choose the register's file (CSV) on your computer."))
PER_PAGE = 50
LAST_PAGE = 10_000


def _staff(slug: str) -> tuple[User, Community]:
    community = community_or_404(slug)
    return require("community_staff", community_id=community.id), community


def _resident(slug: str, user_id: int) -> tuple[User, Community, ResidentProfile]:
    user, community = _staff(slug)
    return user, community, register.profile_or_404(db_session(), user_id, community.id)


def age_of(profile: ResidentProfile, today: dt.date) -> int | None:
    """The age from a date of birth the office saw on the ID card; None while it is unverified."""
    return Person(True, profile.date_of_birth).age_on(today) if profile.born_verified else None


def _page_number() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), LAST_PAGE)


def _one_page(db, query, page: int, scalars: bool = False) -> tuple[list, bool]:
    """The rows of one page, and whether there is a next one: never the whole register, and no count of it."""
    query = query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    rows = db.scalars(query).all() if scalars else db.execute(query).all()
    return rows[:PER_PAGE], len(rows) > PER_PAGE


@bp.route("")
def residents(slug: str):
    """One page of the register at a time, searched and filtered by status."""
    _user, community = _staff(slug)
    db = db_session()
    q = request.args.get("q", "").strip()[:100]
    status = request.args.get("status") if request.args.get("status") in RESIDENT_STATUSES else None
    page = _page_number()
    people, more = _one_page(db, register.listed(register.search(community.id, q, status)), page, scalars=True)
    today = today_in(community)
    return render_template("staff/residents.html", community=community, people=people, q=q, status=status,
                           page=page, more=more, today=today, age_of=age_of,
                           counts=register.status_counts(db, community.id),
                           due=count_rows(db, register.recheck_query(community.id, today)))


@bp.route("/recheck")
def recheck(slug: str):
    """Checked attributes that end within a month, or have ended: ask to see the certificate again."""
    _user, community = _staff(slug)
    db = db_session()
    today = today_in(community)
    query = register.recheck_query(community.id, today)
    page = _page_number()
    rows, more = _one_page(db, query, page)
    return render_template("staff/recheck.html", community=community, today=today, rows=rows, page=page,
                           more=more, due=count_rows(db, query), counts=register.status_counts(db, community.id),
                           status="recheck")


def _particulars(form: ResidentForm, **fields) -> register.Particulars:
    return register.Particulars(name=form.name.data, phone=form.phone.data, date_of_birth=form.date_of_birth.data,
                                address=form.address.data, building=form.building.data, **fields)


@bp.route("/new", methods=["GET", "POST"])
def new(slug: str):
    """Register a resident in front of you: the date of birth you write is the one you see on their ID card."""
    user, community = _staff(slug)
    form, error, status = ResidentForm(), None, 200
    if form.validate_on_submit():
        particulars = _particulars(form, email=form.email.data or None, password=form.password.data or None)
        profile, error = attempt(lambda db: register.register(db, user, community, particulars,
                                                              today_in(community)))
        if error is None:
            flash(_("%(name)s is in the register.", name=form.name.data.strip()), "success")
            return back_to("web_register.resident", slug=slug, user_id=profile.user_id)
        status, error = error.status, show_field_errors(form, error)
    elif form.is_submitted():
        status = 422
    return render_template("staff/new_resident.html", community=community, form=form, error=error,
                           headline=headline(error) if error else None), status


def _correction_form(profile: ResidentProfile, formdata=None) -> ResidentForm:
    form = ResidentForm(formdata=formdata, data={
        "name": profile.user.name, "phone": profile.phone, "date_of_birth": profile.date_of_birth,
        "address": profile.address, "building": profile.building, "email": profile.user.email})
    form.password.label.text = _("New password (optional)")
    form.date_of_birth.validators = [Optional()]  # empty: left as it is
    return form


def _changes(form: ResidentForm, profile: ResidentProfile) -> register.Particulars:
    """Only what the office changed: a date of birth sent again unchanged must not count as seen on the ID card."""
    typed = {"name": form.name.data.strip(), "phone": form.phone.data.strip(), "date_of_birth": form.date_of_birth.data,
             "address": (form.address.data or "").strip(), "building": (form.building.data or "").strip(),
             "email": (form.email.data or "").strip().lower()}
    held = {"name": profile.user.name, "phone": profile.phone, "date_of_birth": profile.date_of_birth,
            "address": profile.address or "", "building": profile.building or "", "email": profile.user.email or ""}
    changed = {key: value for key, value in typed.items() if value != held[key] and value is not None}
    return register.Particulars(**changed, password=form.password.data or None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def resident(slug: str, user_id: int):
    """One resident: particulars to correct, verification, attributes, family members, and the history."""
    user, community, profile = _resident(slug, user_id)
    if request.method == "GET":
        return _page(community, profile)
    form, error = _correction_form(profile, request.form), None
    if form.validate():
        changes = _changes(form, profile)
        if changes == register.Particulars():
            flash(_("Nothing was changed."), "success")
            return back_to("web_register.resident", slug=slug, user_id=user_id)
        _done, error = attempt(lambda db: register.correct(db, user, profile, changes, today_in(community)))
        if error is None:
            flash(_("The changes are saved."), "success")
            return back_to("web_register.resident", slug=slug, user_id=user_id)
        form.password.label.text = _("New password (optional)")
        return _page(community, profile, error.status, form=form, error=show_field_errors(form, error))
    return _page(community, profile, 422, form=form)


def _page(community: Community, profile: ResidentProfile, status: int = 200, **shown):
    db = db_session()
    attribute_form = AttributeForm(formdata=None)
    attribute_form.attribute.choices = options((a, str(ATTRIBUTE_LABELS[a])) for a in ATTRIBUTES)
    helpers = register.helpers_of(db, profile.user_id)
    error = shown.pop("error", None)
    page = {"form": _correction_form(profile), "attribute_form": attribute_form,
            "helper_form": HelperForm(formdata=None), "action": ActionForm()} | shown
    today = today_in(community)
    return render_template("staff/resident.html", community=community, profile=profile, helpers=helpers,
                           history=_history(db, profile, helpers), today=today, age=age_of(profile, today),
                           error=error, headline=headline(error) if error else None, **page), status


def _history(db, profile: ResidentProfile, helpers) -> list[tuple[dt.datetime, str, str]]:
    """(when, who, what) of each change the audit log holds about this resident."""
    names = {helper.id: helper.name for _link, helper in helpers}
    return [(event.at, actor or _("The resident, on the website"), _what(event.action, event.data or {}, names))
            for event, actor in audit.history(db, "resident", profile.user_id)]


def _what(action: str, data: dict, helpers: dict[int, str]) -> str:
    what = label(ATTRIBUTE_LABELS, data.get("attribute"))
    if action == "resident_corrected":
        return _("Changed: %(fields)s", fields=", ".join(label(PARTICULARS, f) for f in data.get("fields", [])))
    if action == "attribute_verified" and data.get("expires_on"):
        return _("Checked: %(what)s, until %(day)s", what=what, day=long_date(data["expires_on"]))
    if action == "helper_linked":
        return _("%(name)s may book for them", name=helpers.get(data.get("helper_id"), "?"))
    return {"resident_registered": _("Registered by the office"), "resident_signed_up": _("Signed up on the website"),
            "resident_verified": _("Verified: the ID card was seen"), "resident_deactivated": _("Moved away"),
            "attribute_verified": _("Checked: %(what)s", what=what),
            "attribute_cleared": _("Withdrawn: %(what)s", what=what)}.get(action, action.replace("_", " "))


@bp.route("/<int:user_id>/verify", methods=["POST"])
def verify(slug: str, user_id: int):
    """You have seen the ID card of a resident who signed up: their date of birth now counts for prices."""
    user, _community, profile = _resident(slug, user_id)
    _done, error = attempt(lambda db: register.verify(db, user, profile))
    if error is not None:
        flash_error(error)
    else:
        flash(_("%(name)s is verified: their age and residency now count for prices.", name=profile.user.name),
              "success")
    return back_to("web_register.resident", slug=slug, user_id=user_id)


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate(slug: str, user_id: int):
    """Ask once more, then mark the resident as moved away: history kept, no login, nothing new booked."""
    user, community, profile = _resident(slug, user_id)
    if request.method == "GET":
        return render_template("staff/deactivate.html", community=community, profile=profile, form=ActionForm())
    _done, error = attempt(lambda db: register.deactivate(db, user, profile))
    if error is not None:
        flash_error(error)
    else:
        flash(_("%(name)s is marked as moved away.", name=profile.user.name), "success")
    return back_to("web_register.resident", slug=slug, user_id=user_id)


@bp.route("/<int:user_id>/attributes", methods=["POST"])
def check_attribute(slug: str, user_id: int):
    """Record what you checked (a student card, a dibao certificate), until a last day if it has one; again renews."""
    user, community, profile = _resident(slug, user_id)
    form = AttributeForm()
    form.attribute.choices = options((a, str(ATTRIBUTE_LABELS[a])) for a in ATTRIBUTES)
    if not form.validate_on_submit():
        return _page(community, profile, 422, attribute_form=form)
    attribute, until = form.attribute.data, form.expires_on.data
    _row, error = attempt(lambda db: eligibility.verify(db, user, profile, attribute, until, today_in(community)))
    if error is not None:
        return _page(community, profile, error.status, attribute_form=form, error=show_field_errors(form, error))
    what = str(ATTRIBUTE_LABELS[attribute])
    flash(_("Recorded as checked: %(what)s, until %(day)s.", what=what, day=long_date(until)) if until
          else _("Recorded as checked: %(what)s.", what=what), "success")
    return back_to("web_register.resident", slug=slug, user_id=user_id)


@bp.route("/<int:user_id>/attributes/<attribute>/clear", methods=["POST"])
def clear(slug: str, user_id: int, attribute: str):
    user, _community, profile = _resident(slug, user_id)
    _row, error = attempt(lambda db: eligibility.clear(db, user, profile, attribute))
    if error is not None:
        flash_error(error)
    else:
        flash(_("Withdrawn: %(what)s.", what=label(ATTRIBUTE_LABELS, attribute)), "success")
    return back_to("web_register.resident", slug=slug, user_id=user_id)


@bp.route("/<int:user_id>/helpers", methods=["POST"])
def link_helper(slug: str, user_id: int):
    """Let a family member (found by their email, or their mobile number in this community) book for the resident."""
    user, community, profile = _resident(slug, user_id)
    form = HelperForm()
    if not form.validate_on_submit():
        return _page(community, profile, 422, helper_form=form)
    link, error = attempt(lambda db: register.link_helper(
        db, user, profile, register.find_person(db, community.id, form.contact.data)))
    if error is not None:
        return _page(community, profile, error.status, helper_form=form,
                     error=show_field_errors(form, error, {"helper_id": "contact"}))
    helper = db_session().scalar(select(User.name).where(User.id == link.helper_id))
    flash(_("%(helper)s may now book for %(name)s.", helper=helper, name=profile.user.name), "success")
    return back_to("web_register.resident", slug=slug, user_id=user_id)


@bp.route("/import", methods=["GET", "POST"])
@uploads(resident_import.MOST_BYTES)
def import_sheet(slug: str):
    """The office's spreadsheet, saved as CSV: checked first (nothing written), then imported; every bad row named."""
    user, community = _staff(slug)
    report, error, dry_run, status = None, None, True, 200
    if request.method == "POST":
        upload, dry_run = request.files.get("file"), request.form.get("write") != "yes"

        def run(db):
            if upload is None or not upload.filename:
                raise NO_FILE_CHOSEN(field="file")
            sheet = resident_import.read(upload.read(), today_in(community))
            found = resident_import.import_sheet(db, user, community, sheet, dry_run=dry_run)
            if dry_run:
                db.rollback()
            return found

        report, error = attempt(run)
        status = error.status if error else 200
    return render_template("staff/import.html", community=community, report=report, error=error,
                           headline=headline(error) if error else None, dry_run=dry_run,
                           headers=resident_import.HEADERS, meanings=COLUMN_MEANINGS,
                           most=resident_import.MOST_BYTES // (1024 * 1024)), status
