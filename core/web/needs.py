"""Demand board pages: residents post needs and support others' with one big button; community staff compile needs
into a service order and mark it delivered; operators take open orders. The board and the orders are public (what
was asked and what was done), naming nobody but to the community's staff."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import need_notices, needs, policy
from core.errors import Message
from core.models import Community, Listing, Need, Operator, User
from core.request_session import session as db_session
from core.web.common import (
    attempt, back_to, community_or_404, flash_error, headline, logged_in, page_blueprint, require, show_field_errors,
    web_user,
)
from core.web.forms import ActionForm, CompileForm, DeliverForm, HandlingForm, NeedForm
from core.web.i18n import say, to_minor_units

bp = page_blueprint("web_needs", __name__)
PER_PAGE = 50
NEED_STATUSES = {"open": _l("Open for support"), "compiled": _l("On a service order"), "closed": _l("Done")}
ORDER_STATUSES = {"open": _l("Waiting for an organisation"), "taken": _l("Being done"), "delivered": _l("Delivered"),
                  "closed": _l("Closed")}


@bp.context_processor
def _labels() -> dict:
    """The demand board's words for its statuses, for its own pages."""
    return {"need_status_label": lambda code: str(NEED_STATUSES.get(code, code)),
            "order_status_label": lambda code: str(ORDER_STATUSES.get(code, code)),
            "sponsor_label": sponsor_label}


def sponsor_label(order) -> str:
    """Who pays, in the reader's language: the fund by its name here, others as staff wrote them."""
    return say(Message(needs.FUND_NAME)) if order.sponsor_kind == "fund" else order.sponsor_name


def _board(community: Community, form: NeedForm, error=None, status: int = 200):
    db, user = db_session(), web_user()
    sort = request.args.get("sort") if request.args.get("sort") in needs.SORTS else "support"
    rows = list(db.scalars(needs.board(community, sort).limit(PER_PAGE)))
    ids = [need.id for need in rows]
    names = ({need.id: db.get(User, need.resident_id).name for need in rows}
             if needs.may_see_names(user, community.id) else {})
    return render_template("needs/board.html", community=community, rows=rows, sort=sort, names=names,
                           counts=needs.support_counts(db, ids), supported=needs.supported_by(db, user, ids),
                           form=form, action=ActionForm(), error=error, headline=headline(error) if error else None,
                           resident=needs.is_resident(user, community.id), user=user,
                           staff=policy.has_role(user, "community_staff", community_id=community.id)), status


@bp.route("/communities/<slug>/needs", methods=["GET", "POST"])
def board(slug: str):
    """The board: the most supported needs first; a resident of the community posts one here."""
    community = community_or_404(slug)
    form = NeedForm()
    if request.method == "POST":
        user = require("resident", community_id=community.id)
        if not form.validate_on_submit():
            return _board(community, form, status=422)
        _made, error = attempt(lambda db: needs.post(db, user, community, form.title.data, form.description.data))
        if error is not None:
            return _board(community, form, show_field_errors(form, error), error.status)
        flash(_("Your need is on the board. Neighbours can support it."), "success")
        return back_to("web_needs.board", slug=slug)
    return _board(community, form)


@bp.route("/needs/<int:need_id>/support", methods=["POST"])
def support(need_id: int):
    """The big "me too" button."""
    user = logged_in()
    need = needs.need_or_404(db_session(), need_id)
    slug = db_session().get(Community, need.community_id).slug
    if ActionForm().validate_on_submit():
        _done, error = attempt(lambda db: needs.support(db, user, need_id))
        if error is not None:
            flash_error(error)
        else:
            flash(_("Thank you: your support is counted."), "success")
    return back_to("web_needs.board", slug=slug)


@bp.route("/needs/<int:need_id>/compile", methods=["GET", "POST"])
def compile_page(need_id: int):
    """Community staff compile this need, and others they tick, into a service order."""
    db = db_session()
    need = needs.need_or_404(db, need_id)
    community = db.get(Community, need.community_id)
    user = require("community_staff", community_id=community.id)
    others = list(db.scalars(select(Need).where(Need.community_id == community.id, Need.status == "open",
                                                Need.id != need.id).order_by(Need.id)))
    form, error, status = CompileForm(), None, 200
    form.more.choices = [(other.id, other.title) for other in others]
    if form.validate_on_submit():
        budget = to_minor_units(form.budget.data, community.currency)
        sponsor = {"kind": form.sponsor_kind.data, "name": form.sponsor_name.data or ""}
        order, error = attempt(lambda db: needs.compile_order(db, user, need_id, form.title.data, form.scope.data,
                                                              budget, sponsor, form.more.data or []))
        if error is None:
            flash(_("The service order is made. Operators can now take it."), "success")
            return back_to("web_needs.order", order_id=order.id)
        error, status = show_field_errors(form, error, {"sponsor": "sponsor_name"}), error.status
    elif form.is_submitted():
        status = 422
    return render_template("needs/compile.html", need=need, community=community, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/communities/<slug>/orders")
def orders(slug: str):
    """What residents asked for and what was done: every service order, newest first (public, nobody named)."""
    community = community_or_404(slug)
    rows = list(db_session().scalars(needs.orders_of(community).limit(PER_PAGE)))
    user = web_user()
    operator_here = policy.is_admin(user) or bool(user and _operators_here(user, community))
    return render_template("needs/orders.html", community=community, rows=rows,
                           operator_here=operator_here, action=ActionForm())


def _operators_here(user: User, community: Community) -> list[int]:
    db = db_session()
    return [oid for oid in sorted(policy.operator_ids(user)) if db.get(Operator, oid).community_id == community.id]


@bp.route("/orders/<int:order_id>")
def order(order_id: int):
    """One service order: what it covers, who pays, who took it, what it led to; the buttons of whoever may act."""
    db, user = db_session(), web_user()
    found = needs.order_or_404(db, order_id)
    community = db.get(Community, found.community_id)
    deliver_form = DeliverForm()
    if found.taken_by is not None:
        listings = db.scalars(select(Listing).where(Listing.operator_id == found.taken_by).order_by(Listing.id))
        deliver_form.listing_id.choices = [(0, _("No listing"))] + [(item.id, item.title) for item in listings]
    may_rate = (user is not None and user.id in need_notices.askers(db, found.id)
                and not needs.has_rated(db, found.id, user.id))
    return render_template(
        "needs/order.html", order=found, community=community,
        listing=db.get(Listing, found.listing_id) if found.listing_id else None,
        operator=db.get(Operator, found.taken_by) if found.taken_by else None,
        asked=needs.needs_of(db, found.id), summary=needs.rating_summary(db, found.id), action=ActionForm(),
        may_take=found.status == "open" and user is not None and (
            policy.is_admin(user) or bool(_operators_here(user, community))),
        may_deliver=found.status == "taken" and needs.may_deliver(user, found), deliver_form=deliver_form,
        may_rate=found.status == "delivered" and may_rate, rate_form=HandlingForm())


def _acted(order_id: int, action, done: str):
    error = None
    if ActionForm().validate_on_submit():
        _result, error = attempt(action)
        if error is not None:
            flash_error(error)
        else:
            flash(done, "success")
    return back_to("web_needs.order", order_id=order_id)


@bp.route("/orders/<int:order_id>/take", methods=["POST"])
def take(order_id: int):
    """An operator takes the order (the operator chosen, when the person works for several here)."""
    user = logged_in()
    chosen = request.form.get("operator_id", type=int)
    return _acted(order_id, lambda db: needs.take(db, user, order_id, chosen),
                  _("The order is yours. The residents who asked are told."))


@bp.route("/orders/<int:order_id>/deliver", methods=["POST"])
def deliver(order_id: int):
    """Staff mark the order delivered, with the listing it led to if there is one."""
    user = logged_in()
    listing_id = request.form.get("listing_id", type=int) or None
    return _acted(order_id, lambda db: needs.deliver(db, user, order_id, listing_id),
                  _("The order is delivered. The residents who asked are told."))


@bp.route("/orders/<int:order_id>/rate", methods=["POST"])
def rate(order_id: int):
    """A resident who asked or supported rates the delivered order, once."""
    user = logged_in()
    form = HandlingForm()
    if not form.validate_on_submit():
        flash(_("Please choose how many stars."), "error")
        return back_to("web_needs.order", order_id=order_id)
    return _acted(order_id, lambda db: needs.rate(db, user, order_id, form.stars.data),
                  _("Thank you for your rating."))
