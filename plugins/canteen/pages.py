"""The canteen's pages: menus for residents on the core's lunch pages, publishing them, and the delivery list.

Every page calls the same service function as the API, so the roles, scopes and
rules are the API's; a form is validated by the API's own schema.
"""
from __future__ import annotations

import datetime as dt

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

from core import NotFound
from core.plugin_api import (
    Community, back_to, has_role, headline, load_input, may_read_operator, operator_of_type, page_blueprint, require,
    require_user, session, submit_form, web_user,
)
from plugins.canteen import KEY, service
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
    """The meals volunteers take home on a day: who, where, how many (the canteen's and the community's staff)."""
    db, user = session(), require_user(web_user())
    operator = operator_of_type(db, user, operator_id, KEY)
    asked = {key: request.args[key] for key in ("date", "page") if request.args.get(key)}
    found = service.deliveries(db, user, operator_id, load_input(CanteenDayQuery, {**asked, "per_page": "200"}))
    day = found["date"]
    return render_template("canteen/deliveries.html", operator=operator, found=found, day=day,
                           community=db.get(Community, operator.community_id),
                           previous=day - dt.timedelta(days=1), following=day + dt.timedelta(days=1),
                           is_operator_staff=has_role(user, "operator_staff", operator_id=operator.id),
                           next_day=None if found["items"] else service.next_delivery_day(db, operator, day))


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
