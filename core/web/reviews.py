"""Community staff's monthly review of their operators: each one's score with its breakdown, the evaluation run on
demand, inspections, adjustments with a reason, and the scoring settings."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from core import catalog, evaluation, ledger, reviews
from core.models import SCORE_PARTS, Community, Operator
from core.request_session import session as db_session
from core.score_rule import previous
from core.scoring import score_text
from core.settlement import PERIOD
from core.web.common import attempt, back_to, community_or_404, page_blueprint, require
from core.web.forms import ActionForm
from core.web.i18n import say
from core.web.labels import SCORE_PARTS as SCORE_PARTS_SAID

bp = page_blueprint("web_reviews", __name__, url_prefix="/communities/<slug>/reviews")

REQUIRED = InputRequired(message=_l("Please fill this in."))
WHOLE = NumberRange(0, 1000, message=_l("Give a whole number from 0 to 1000."))


class InspectionForm(FlaskForm):
    period = StringField(_l("Month (YYYY-MM)"), validators=[REQUIRED, Length(max=7)])
    score = StringField(_l("Score (0 to 10, e.g. 7.5)"), validators=[REQUIRED, Length(max=10)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=reviews.MAX_NOTES)])


class AdjustForm(FlaskForm):
    score = StringField(_l("Score that counts (0 to 10)"), validators=[REQUIRED, Length(max=10)])
    reason = TextAreaField(_l("Why it is adjusted"), validators=[REQUIRED, Length(max=reviews.MAX_REASON)])


class SettingsForm(FlaskForm):
    answer_days = IntegerField(_l("Days to answer a complaint (1 to 60)"),
                               validators=[InputRequired(message=_l("Give a number of days from 1 to 60.")),
                                           NumberRange(1, 60, message=_l("Give a number of days from 1 to 60."))])
    ratings = IntegerField(SCORE_PARTS_SAID["ratings"], validators=[REQUIRED, WHOLE])
    complaints = IntegerField(SCORE_PARTS_SAID["complaints"], validators=[REQUIRED, WHOLE])
    fulfilment = IntegerField(SCORE_PARTS_SAID["fulfilment"], validators=[REQUIRED, WHOLE])
    inspection = IntegerField(SCORE_PARTS_SAID["inspection"], validators=[REQUIRED, WHOLE])
    donations = IntegerField(SCORE_PARTS_SAID["donations"], validators=[REQUIRED, WHOLE])
    five = StringField(_l("Five stars from a year's mean of"), validators=[REQUIRED, Length(max=10)])
    four = StringField(_l("Four stars from"), validators=[REQUIRED, Length(max=10)])
    three = StringField(_l("Three stars from"), validators=[REQUIRED, Length(max=10)])


def _staff(slug: str):
    community = community_or_404(slug)
    return require("community_staff", community_id=community.id), community


def chosen_period(community: Community) -> str:
    """The month asked for (``?period=``), else the last one that ended."""
    asked = request.args.get("period", "")
    return asked if PERIOD.match(asked) else previous(ledger.period_of(ledger.local_today(community)))


@bp.route("")
def review(slug: str):
    """Every scored operator's month, with the breakdown of its score."""
    _user, community = _staff(slug)
    db = db_session()
    period = chosen_period(community)
    operators = evaluation.evaluated_operators(db, community)
    scores = {op.id: evaluation.score_of(db, op.id, period) for op in operators}
    return render_template("staff/review.html", community=community, period=period, operators=operators,
                           scores=scores, said=score_text,
                           before=previous(period), after=previous(period, -1), form=ActionForm())


@bp.route("/evaluate", methods=["POST"])
def evaluate(slug: str):
    user, community = _staff(slug)
    period = request.form.get("period", "")
    rows, error = attempt(lambda db: reviews.run_evaluation(db, user, community, period))
    if error is not None:
        flash(say(error.detail), "error")
    else:
        flash(_("%(period)s is scored: %(count)s operators have a score.", period=period, count=len(rows)), "success")
    return back_to("web_reviews.review", slug=slug, period=period if PERIOD.match(period) else None)


def _operator(community: Community, operator_id: int) -> Operator:
    """The community's operator, else 404."""
    operator = catalog.operator_or_404(db_session(), operator_id)
    if operator.community_id != community.id:
        raise catalog.OPERATOR_NOT_FOUND(operator_id=operator_id)
    return operator


@bp.route("/operators/<int:operator_id>/inspection", methods=["GET", "POST"])
def inspection(slug: str, operator_id: int):
    """Record an inspection of the operator: the month, a score from 0 to 10, notes."""
    user, community = _staff(slug)
    operator = _operator(community, operator_id)
    form, status = InspectionForm(), 200
    if request.method == "GET":
        form.period.data = ledger.period_of(ledger.local_today(community))
    if form.validate_on_submit():
        _made, error = attempt(lambda db: reviews.record_inspection(db, user, db.get(Operator, operator_id),
                                                                   form.period.data.strip(), form.score.data.strip(),
                                                                   form.notes.data))
        if error is None:
            flash(_("The inspection of %(name)s is recorded.", name=operator.name), "success")
            return back_to("web_reviews.review", slug=slug, period=form.period.data.strip())
        status = show_error(form, error)
    elif form.is_submitted():
        status = 422
    return render_template("staff/inspection.html", community=community, operator=operator, form=form,
                           inspections=reviews.inspections_of(db_session(), operator.id), said=score_text), status


def show_error(form: FlaskForm, error) -> int:
    """Put a domain error beside its field (or above the form) and return its status."""
    fields = error.errors or {}
    placed = False
    for name, messages in fields.items():
        if name in form:
            form[name].errors = list(form[name].errors) + [say(m) for m in messages]
            placed = True
    if not placed:
        flash(say(error.detail), "error")
    return error.status


@bp.route("/operators/<int:operator_id>/<period>/adjust", methods=["GET", "POST"])
def adjust(slug: str, operator_id: int, period: str):
    """Set the month's score that counts, saying why (the computed score stays beside it)."""
    user, community = _staff(slug)
    operator = _operator(community, operator_id)
    row = evaluation.score_of(db_session(), operator.id, period) if PERIOD.match(period) else None
    form, status = AdjustForm(), 200
    if form.validate_on_submit():
        _row, error = attempt(lambda db: reviews.adjust(db, user, db.get(Operator, operator_id), period,
                                                        form.score.data.strip(), form.reason.data))
        if error is None:
            flash(_("The score of %(name)s for %(period)s is adjusted.", name=operator.name, period=period),
                  "success")
            return back_to("web_reviews.review", slug=slug, period=period)
        status = show_error(form, error)
    elif form.is_submitted():
        status = 422
    elif row is not None:
        form.score.data = score_text(row.score_tenths)
    return render_template("staff/adjust.html", community=community, operator=operator, period=period, row=row,
                           form=form, said=score_text), status


@bp.route("/settings", methods=["GET", "POST"])
def settings(slug: str):
    """How many days complaints are answered in, each part's weight, and the lines of the year's stars."""
    user, community = _staff(slug)
    form, status = SettingsForm(), 200
    if form.validate_on_submit():
        weights = {part: form[part].data for part in SCORE_PARTS}
        lines = {"5": form.five.data.strip(), "4": form.four.data.strip(), "3": form.three.data.strip()}
        _saved, error = attempt(lambda db: reviews.save_settings(db, user, db.get(Community, community.id),
                                                                 form.answer_days.data, weights, lines))
        if error is None:
            flash(_("The settings are saved."), "success")
            return back_to("web_reviews.settings", slug=slug)
        flash(say(error.detail), "error")
        status = error.status
    elif form.is_submitted():
        status = 422
    else:
        current = reviews.settings_json(community)
        form.answer_days.data = current["answer_days"]
        for part in SCORE_PARTS:
            form[part].data = current["weights"][part]
        form.five.data, form.four.data, form.three.data = (f"{current['star_lines'][k]:.1f}" for k in "543")
    return render_template("staff/score_settings.html", community=community, form=form), status
