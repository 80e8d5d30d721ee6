"""Joining a community: an organisation applies to serve it, then proposes its space-for-service agreement.

Both wait for the community staff's approval (core/web/staff.py); the services
are those of the API's ``POST /operators`` and ``POST /operators/{id}/agreements``.
"""
from __future__ import annotations

from flask import flash, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from core import catalog
from core.models import Agreement, Community, Operator, Space
from core.request_session import session as db_session
from core.web.common import (
    attempt, back_to, community_or_404, headline, linli, logged_in, page_blueprint, require, show_field_errors,
)
from core.web.forms import AgreementForm, ApplyForm, options
from core.web.labels import type_label

bp = page_blueprint("web_agreements", __name__)


@bp.route("/communities/<slug>/apply", methods=["GET", "POST"])
def apply(slug: str):
    """Ask to serve the community's residents; the person applying becomes the operator's staff."""
    community = community_or_404(slug)
    user = logged_in()
    types = linli().plugins.operator_types
    form, error, status = ApplyForm(), None, 200
    form.type.choices = options((key, type_label(t)) for key, t in sorted(types.items()))
    if form.validate_on_submit():
        operator, error = attempt(lambda db: catalog.apply_operator(
            db, user, db.get(Community, community.id), form.name.data.strip(), form.type.data, types,
            (form.contact_email.data or "").strip() or None))
        if error is None:
            flash(_("Thank you. The community office will look at your application."), "success")
            return back_to("web_agreements.agreement", operator_id=operator.id)
        status = error.status
        show_field_errors(form, error)
    elif form.is_submitted():
        status = 422
    return render_template("operator/apply.html", community=community, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/operators/<int:operator_id>/agreement", methods=["GET", "POST"])
def agreement(operator_id: int):
    """The operator's agreements with the community, and a form to propose one."""
    user = require("operator_staff", operator_id=operator_id)
    db = db_session()
    operator = catalog.operator_or_404(db, operator_id)
    community = db.get(Community, operator.community_id)
    spaces = db.scalars(select(Space).where(Space.community_id == community.id).order_by(Space.id)).all()
    form, error, status = AgreementForm(), None, 200
    form.space_id.choices = options((space.id, space.name) for space in spaces)
    operator_type = linli().plugins.operator_types.get(operator.type)
    if form.validate_on_submit() and operator_type is not None:
        _row, error = attempt(lambda db: catalog.create_agreement(
            db, user, db.get(Operator, operator.id), form.space_id.data, form.starts_on.data, form.ends_on.data,
            None, operator_type))
        if error is None:
            flash(_("Your proposal is sent to the community office."), "success")
            return back_to("web_agreements.agreement", operator_id=operator_id)
        status = error.status
        show_field_errors(form, error)
    elif form.is_submitted():
        status = 422
    agreements = db.scalars(select(Agreement).where(Agreement.operator_id == operator.id)
                            .order_by(Agreement.id.desc())).all()
    return render_template("operator/agreement.html", operator=operator, community=community, form=form,
                           agreements=agreements, spaces={s.id: s.name for s in spaces}, error=error,
                           default_donation=_default_donation(operator_type),
                           headline=headline(error) if error else None), status


def _default_donation(operator_type):
    """The donation rule a proposal carries: the operator type's default, shaped like an agreement."""
    if operator_type is None:
        return None
    rule = catalog.validate_donation(operator_type.default_donation)
    return Agreement(donation_kind=rule["kind"], donation_bps=rule.get("bps"), donation_amount=rule.get("amount"),
                     donation_period=rule.get("period"))
