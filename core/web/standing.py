"""Operators held to account, in pages: the staff's decision page for one operator (its scores, suspend, reinstate,
exit), the operator's own "Our scores", and the public list of scores and stars."""
from __future__ import annotations

from flask import abort, flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import InputRequired

from core import fund, scorecards, standing
from core.models import Operator
from core.request_session import session as db_session
from core.web.common import (
    attempt, back_to, community_or_404, headline, linli, page_blueprint, require, show_field_errors, today_in,
)
from core.web.forms import CHOSEN, DATE_MESSAGE, NOT_AN_OPTION, REASON, in_the_books, options
from core.web.operator import operator_in_scope
from core.web.periods import month_of, previous_period

bp = page_blueprint("web_standing", __name__)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Why (the operator reads this)"), validators=REASON)


class ExitForm(ReasonForm):
    ends_on = DateField(_l("The agreement ends on"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])
    existing_bookings = RadioField(_l("The bookings already made"), validators=[CHOSEN],
                                   invalid_choice_message=NOT_AN_OPTION, choices=options([
                                       ("honour", _l("Honour them: the operator serves them")),
                                       ("cancel", _l("Cancel those still to come, with full refunds"))]))


def trend_periods(community, months: int = scorecards.TREND_MONTHS) -> list[str]:
    """The last ``months`` whole months, oldest first (this month is not scored until it ends)."""
    periods = [previous_period(month_of(today_in(community)))]
    while len(periods) < months:
        periods.append(previous_period(periods[-1]))
    return periods[::-1]


def _scores_context(db, operator, community) -> dict:
    """What both the staff's and the operator's page show: status, months with breakdown, trend, stars, history."""
    months = scorecards.months_of(db, operator.id)
    return {"operator": operator, "community": community, "months": months,
            "trend": trend_periods(community), "by_period": {m.period: m.score_tenths for m in months},
            "stars": scorecards.stars_of(db, community, [operator.id]).get(operator.id),
            "history": standing.history(db, operator)}


# --- community staff ---------------------------------------------------------------------------------------------

def _staff_operator(slug: str, operator_id: int):
    community = community_or_404(slug)
    user = require("community_staff", community_id=community.id)
    return user, community, fund.community_operator(db_session(), community, operator_id)


def _staff_page(community, operator, forms: dict | None = None, error=None, status: int = 200):
    forms = forms or {}
    exit_form = forms.get("exit") or ExitForm(formdata=None)
    if exit_form.ends_on.data is None:
        exit_form.ends_on.data = today_in(community)
    return render_template(
        "staff/operator_standing.html", suspend_form=forms.get("suspend") or ReasonForm(formdata=None, prefix="suspend"),
        reinstate_form=forms.get("reinstate") or ReasonForm(formdata=None, prefix="reinstate"), exit_form=exit_form,
        error=error, headline=headline(error) if error else None, names=True,
        **_scores_context(db_session(), operator, community)), status


@bp.route("/communities/<slug>/staff/operators/<int:operator_id>")
def staff_operator(slug: str, operator_id: int):
    """One operator as its community's staff see it: its standing, its scores explained, and the decisions."""
    _user, community, operator = _staff_operator(slug, operator_id)
    return _staff_page(community, operator)


def _decide(slug: str, operator_id: int, which: str, form, act, done: str):
    user, community, operator = _staff_operator(slug, operator_id)
    error, status = None, 422
    if form.validate_on_submit():
        _result, error = attempt(lambda db: act(db, user, fund.community_operator(db, community, operator_id)))
        if error is None:
            flash(done, "success")
            return back_to("web_standing.staff_operator", slug=slug, operator_id=operator_id)
        status = error.status
        error = show_field_errors(form, error)
    return _staff_page(community, operator, {which: form}, error, status)


def _with_reason(slug: str, operator_id: int, which: str, decide, done: str):
    """Suspend or reinstate: a reason is all the form asks."""
    form = ReasonForm(prefix=which)
    return _decide(slug, operator_id, which, form,
                   lambda db, user, operator: decide(db, user, operator, form.reason.data), done)


@bp.route("/communities/<slug>/staff/operators/<int:operator_id>/suspend", methods=["POST"])
def suspend(slug: str, operator_id: int):
    return _with_reason(slug, operator_id, "suspend", standing.suspend,
                        _("The operator is suspended: its services take no new bookings."))


@bp.route("/communities/<slug>/staff/operators/<int:operator_id>/reinstate", methods=["POST"])
def reinstate(slug: str, operator_id: int):
    return _with_reason(slug, operator_id, "reinstate", standing.reinstate,
                        _("The operator is reinstated: its services take bookings again."))


@bp.route("/communities/<slug>/staff/operators/<int:operator_id>/exit", methods=["POST"])
def exit_operator(slug: str, operator_id: int):
    form, app = ExitForm(), linli()
    return _decide(slug, operator_id, "exit", form,
                   lambda db, user, operator: standing.exit(
                       db, user, operator, form.reason.data, form.ends_on.data, form.existing_bookings.data,
                       plugins=app.plugins, payments=app.payments),
                   _("The operator leaves: its services take no new bookings."))


# --- the operator's own staff ------------------------------------------------------------------------------------

@bp.route("/operators/<int:operator_id>/scores")
def our_scores(operator_id: int):
    """The operator's own scores, month by month and explained, its trend, its stars and its standing."""
    _user, operator, community = operator_in_scope(operator_id)
    return render_template("operator/scores.html", names=False, **_scores_context(db_session(), operator, community))


# --- everyone ----------------------------------------------------------------------------------------------------

@bp.route("/communities/<slug>/operators/<int:operator_id>")
def public_operator(slug: str, operator_id: int):
    """One operator's public record: its monthly scores (adjusted ones marked), its stars and the decisions about
    it, without reasons or names."""
    community = community_or_404(slug)
    db = db_session()
    operator = db.get(Operator, operator_id)
    if operator is None or operator.community_id != community.id \
            or operator.status not in scorecards.PUBLISHED_STATUSES:
        abort(404)
    return render_template("public/operator.html", public=True, **_scores_context(db, operator, community))


@bp.route("/communities/<slug>/operators")
def public_scores(slug: str):
    """Every operator that serves or served the community, with its last monthly score and last year's stars."""
    community = community_or_404(slug)
    return render_template("public/operators.html", community=community,
                           operators=scorecards.published(db_session(), community),
                           year=scorecards.last_full_year(community))

