"""Community staff's pages: approve operators, the committee, proposals and what funded ones did (the resident
register: register.py)."""
from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from core import catalog, fund, outcomes, photos, proposals
from core import residents as register
from core.accounts import NO_ACCOUNT
from core.models import Agreement, Operator, Proposal, Space, User
from core.request_session import session as db_session
from core.web.common import (
    attempt, back_to, community_or_404, flash_error, headline, page_blueprint, require, show_field_errors,
)
from core.security import uploads
from core.web.forms import ActionForm, MemberForm, OutcomeForm, ProposalForm
from core.web.i18n import say, to_minor_units

bp = page_blueprint("web_staff", __name__, url_prefix="/communities/<slug>/staff")


def _staff(slug: str):
    community = community_or_404(slug)
    return require("community_staff", community_id=community.id), community


@bp.route("")
def office(slug: str):
    """Operators waiting for approval, residents waiting for verification, and the way to the other tasks."""
    _user, community = _staff(slug)
    db = db_session()
    operators = db.scalars(select(Operator).where(Operator.community_id == community.id)
                           .order_by(Operator.status != "pending", Operator.id)).all()
    agreements: dict[int, list[Agreement]] = {}
    for agreement in db.scalars(select(Agreement).join(Operator, Operator.id == Agreement.operator_id)
                                .where(Operator.community_id == community.id).order_by(Agreement.id)):
        agreements.setdefault(agreement.operator_id, []).append(agreement)
    spaces = {space.id: space.name for space in db.scalars(select(Space).where(Space.community_id == community.id))}
    return render_template("staff/office.html", community=community, operators=operators, agreements=agreements,
                           spaces=spaces, form=ActionForm(),
                           waiting=register.status_counts(db, community.id)["pending"])


@bp.route("/operators/<int:operator_id>/approve", methods=["POST"])
def approve_operator(slug: str, operator_id: int):
    user, community = _staff(slug)
    operator, error = attempt(lambda db: catalog.approve_operator(
        db, user, fund.community_operator(db, community, operator_id)))
    if error is not None:
        flash_error(error)
    else:
        flash(_("%(name)s may now serve residents.", name=operator.name), "success")
    return back_to("web_staff.office", slug=slug)


@bp.route("/operators/<int:operator_id>/agreements/<int:agreement_id>/approve", methods=["POST"])
def approve_agreement(slug: str, operator_id: int, agreement_id: int):
    user, community = _staff(slug)

    def approve(db):
        operator = fund.community_operator(db, community, operator_id)
        return catalog.approve_agreement(db, user, operator, catalog.agreement_of(db, operator, agreement_id))

    _agreement, error = attempt(approve)
    if error is not None:
        flash_error(error)
    else:
        flash(_("The agreement is in force."), "success")
    return back_to("web_staff.office", slug=slug)


@bp.route("/committee", methods=["GET", "POST"])
def committee(slug: str):
    """The fund committee's members; votes count only while it has an odd number of at least three."""
    user, community = _staff(slug)
    form, status = MemberForm(), 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        _member, error = attempt(lambda db: proposals.add_member(db, user, community, _user_id(db, email)))
        if error is None:
            flash(_("%(email)s is now on the committee.", email=email), "success")
            return back_to("web_staff.committee", slug=slug)
        form.email.errors = list(form.email.errors) + [say(error.detail)]
        status = error.status
    elif form.is_submitted():
        status = 422
    members = proposals.committee(db_session(), community.id)
    return render_template("staff/committee.html", community=community, members=members, form=form,
                           action=ActionForm(), can_vote=len(members) >= 3 and len(members) % 2 == 1), status


def _user_id(db, email: str) -> int:
    user_id = db.scalar(select(User.id).where(User.email == email))
    if user_id is None:
        raise NO_ACCOUNT(field="email")
    return user_id


@bp.route("/committee/<int:user_id>/remove", methods=["POST"])
def remove_member(slug: str, user_id: int):
    user, community = _staff(slug)
    _none, error = attempt(lambda db: proposals.remove_member(db, user, community, user_id))
    if error is not None:
        flash_error(error)
    else:
        flash(_("Removed from the committee."), "success")
    return back_to("web_staff.committee", slug=slug)


@bp.route("/proposals")
def proposal_list(slug: str):
    _user, community = _staff(slug)
    rows = db_session().scalars(select(Proposal).where(Proposal.community_id == community.id)
                                .order_by(Proposal.id.desc()).limit(200)).all()
    return render_template("staff/proposals.html", community=community, proposals=rows, action=ActionForm(),
                           reported=outcomes.reported(db_session(), community))


@bp.route("/proposals/new", methods=["GET", "POST"])
def new_proposal(slug: str):
    """Draft a use of the fund; it goes to the committee once submitted."""
    user, community = _staff(slug)
    form, error, status = ProposalForm(), None, 200
    if form.validate_on_submit():
        amount = to_minor_units(form.requested_amount.data, community.currency)
        if amount is None:
            form.requested_amount.errors = [_("Use at most two decimals.")]
            status = 422
        else:
            fields = {"title": form.title.data.strip(), "purpose": form.purpose.data.strip(),
                      "requested_amount": amount, "beneficiary": form.beneficiary.data.strip(),
                      "planned_on": form.planned_on.data, "attachments": []}
            proposal, error = attempt(lambda db: proposals.draft(db, user, community, fields))
            if error is None:
                flash(_("The draft is saved. Submit it when it is ready."), "success")
                return back_to("web_staff.proposal_list", slug=slug)
            status = error.status
            show_field_errors(form, error)
    elif form.is_submitted():
        status = 422
    return render_template("staff/new_proposal.html", community=community, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/proposals/<int:proposal_id>/submit", methods=["POST"])
def submit(slug: str, proposal_id: int):
    user, community = _staff(slug)
    _proposal, error = attempt(lambda db: proposals.submit(db, user, community, proposal_id))
    if error is not None:
        flash_error(error)
    else:
        flash(_("Submitted to the committee."), "success")
    return back_to("web_staff.proposal_list", slug=slug)


@bp.route("/proposals/<int:proposal_id>/outcome", methods=["GET", "POST"])
@uploads(outcomes.MOST_PHOTOS * photos.UPLOAD_MOST_BYTES)
def outcome(slug: str, proposal_id: int):
    """Report what a paid-out project did — for how many people, the money spent, photos — once; then read it."""
    user, community = _staff(slug)
    db = db_session()
    proposal = proposals.proposal_or_404(db, community, proposal_id)
    form, error, status = OutcomeForm(), None, 200
    if outcomes.outcome_of(db, proposal.id) is None and form.validate_on_submit():
        spent = to_minor_units(form.spent_amount.data, community.currency)
        if spent is None:
            form.spent_amount.errors = [_("Use at most two decimals.")]
            status = 422
        else:
            taken = [upload.read() for upload in request.files.getlist("photos") if upload.filename]
            _done, error = attempt(lambda db: outcomes.report(
                db, user, community, proposal.id, form.done.data, form.beneficiaries.data, spent, taken,
                current_app.instance_path))
            if error is None:
                flash(_("Thank you: the report is public on the fund's page."), "success")
                return back_to("web_staff.outcome", slug=slug, proposal_id=proposal_id)
            error, status = show_field_errors(form, error), error.status
    elif form.is_submitted():
        status = 422
    known = outcomes.outcome_of(db, proposal.id)
    return render_template("staff/outcome.html", community=community, proposal=proposal, form=form, error=error,
                           headline=headline(error) if error else None, most=outcomes.MOST_PHOTOS,
                           outcome=outcomes.as_json(known, proposal) if known else None), status
