"""The market fair's pages: its fairs, each fair's stall map, the vendor register, sales reports and gifts in kind.

Every page calls the API's service functions with the API's schemas, so the
roles, scopes and rules are the API's; what only pages show is read in
``overview``, scoped the same way.
"""
from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _

from core.plugin_api import (
    Community, amount_of, attempt, back_to, flash_error, has_role, headline, load_input, may_read_operator,
    may_record_in_kind, money, operator_of_type, page_blueprint, require_user, session, submit_form, utcnow, web_user,
)
from plugins.market_fair import KEY, overview, service
from plugins.market_fair.forms import GiftForm, SalesForm, VendorChangeForm, VendorForm, basis_points
from plugins.market_fair.schemas import GiftSchema, SalesReportSchema, VendorPatchSchema, VendorSchema

bp = page_blueprint("market_fair_pages", __name__, url_prefix="/market-fair")
bp.static_folder = "static"


def _page(template: str, operator, **values):
    """A page about one fair operator, with the operator desk's tabs for the fair's own staff."""
    user = web_user()
    return render_template(template, operator=operator, community=session().get(Community, operator.community_id),
                           keeper=has_role(user, "operator_staff", operator_id=operator.id), **values)


@bp.route("/operators/<int:operator_id>/fairs")
def fairs(operator_id: int):
    """The fairs of the last three months and to come: stalls taken, visits registered, and what to do next."""
    operator, days = overview.fairs(session(), web_user(), operator_id)
    return _page("market_fair/fairs.html", operator, days=days,
                 may_gift=may_record_in_kind(web_user(), operator.community_id, operator.id))


@bp.route("/slots/<int:slot_id>/stalls")
def stall_map(slot_id: int):
    """A fair's map: which stalls are free (everyone), and who holds the others (its staff, the community's)."""
    db, user = session(), web_user()
    ctx = service.fair(db, slot_id)
    holders = overview.stall_holders(db, user, slot_id) if may_read_operator(user, ctx.operator) else {}
    return render_template("market_fair/stall_map.html", ctx=ctx, map=service.stall_map(db, slot_id),
                           holders=holders, bookable=ctx.slot.starts_at > utcnow())


@bp.route("/slots/<int:slot_id>/visits", methods=["POST"])
def register_visit(slot_id: int):
    """A resident says they will come to the fair: free, counted, once."""
    user = require_user(web_user())
    ctx = service.fair(session(), slot_id)
    result, error = attempt(lambda db: service.register_visit(db, user, slot_id))
    if error is not None:
        flash_error(error)
    elif result[1]:
        flash(_("Thank you: you are registered to visit the fair."), "success")
    else:
        flash(_("You are registered to visit this fair already."), "success")
    return back_to("web_public.service", listing_id=ctx.listing.id)


@bp.route("/operators/<int:operator_id>/vendors", methods=["GET", "POST"])
def vendors(operator_id: int):
    """The vendor register (the fair's and the community's staff); the fair's staff add merchants to it."""
    db, user = session(), web_user()
    operator = operator_of_type(db, user, operator_id, KEY)
    form = VendorForm()
    added, error, status = submit_form(form, lambda db: service.register_vendor(
        db, user, operator_of_type(db, user, operator_id, KEY, manage=True), **load_input(VendorSchema, {
            "user_id": overview.user_id_by_email(db, form.email.data), "business_name": form.business_name.data,
            "tier": form.tier.data})))
    if added is not None:
        flash(_("%(name)s is on the register.", name=added.business_name), "success")
        return back_to("market_fair_pages.vendors", operator_id=operator_id)
    return _page("market_fair/vendors.html", operator, form=form, error=error,
                 headline=headline(error) if error else None,
                 vendors=db.scalars(service.vendors(operator)).all(), change=VendorChangeForm()), status


@bp.route("/vendors/<int:vendor_id>", methods=["POST"])
def change_vendor(vendor_id: int):
    """Change a vendor's business name or kind (the fair's staff); a refusal is named at the top of the register."""
    user = web_user()
    vendor = service.vendor_to_manage(session(), user, vendor_id)
    operator_id = vendor.operator_id
    form = VendorChangeForm()
    changed, error, _status = submit_form(form, lambda db: service.update_vendor(db, user, vendor_id, load_input(
        VendorPatchSchema, {"business_name": form.business_name.data, "tier": form.tier.data})))
    if changed is not None:
        flash(_("The register is updated."), "success")
    elif error is not None:
        flash_error(error)
    else:
        problems = "; ".join(str(message) for messages in form.errors.values() for message in messages)
        flash(_("Nothing was changed: %(problems)s", problems=problems), "error")
    return back_to("market_fair_pages.vendors", operator_id=operator_id)


@bp.route("/bookings/<int:booking_id>/sales-report", methods=["GET", "POST"])
def sales_report(booking_id: int):
    """After the fair, the vendor (or the fair's staff) reports sales and the share pledged to the fund."""
    db, user = session(), web_user()
    booking, ctx = service.stall_for_report(db, user, booking_id)
    form = SalesForm()
    report, error, status = submit_form(form, lambda db: service.report_sales(
        db, user, booking_id, **load_input(SalesReportSchema, {
            "sales_amount": amount_of(form.sales_amount, ctx.community.currency),
            "pledged_bps": basis_points(form.pledged_bps)})))
    if report is not None:
        flash(_("Thank you. %(amount)s is pledged to the community fund.",
                amount=money(report.pledged_amount, report.currency)), "success")
        return back_to("market_fair_pages.sales_report", booking_id=booking_id)
    return render_template("market_fair/sales_report.html", booking=booking, ctx=ctx, form=form, error=error,
                           headline=headline(error) if error else None, report=overview.report_of(db, booking_id),
                           over=ctx.slot.ends_at <= utcnow()), status


@bp.route("/operators/<int:operator_id>/sales-reports")
def sales_reports(operator_id: int):
    """Every vendor's reported sales and pledge (the fair's and the community's staff)."""
    operator, rows = overview.sales_rows(session(), web_user(), operator_id)
    return _page("market_fair/sales_reports.html", operator, rows=rows)


@bp.route("/slots/<int:slot_id>/in-kind", methods=["GET", "POST"])
def gift(slot_id: int):
    """Goods given at a fair, into the fund at declared value (the fair's and the community's staff, the committee)."""
    db, user = session(), web_user()
    ctx = service.gift_fair(db, user, slot_id)
    form = GiftForm()

    def record(db):
        typed = {"donor": form.donor.data, "item": form.item.data, "quantity": form.quantity.data,
                 "declared_value_amount": amount_of(form.declared_value_amount, ctx.community.currency)}
        if form.received_on.data:
            typed["received_on"] = form.received_on.data.isoformat()
        return service.record_gift(db, user, slot_id, **load_input(GiftSchema, typed))

    recorded, error, status = submit_form(form, record)
    if recorded is not None:
        flash(_("Recorded: %(quantity)d × %(item)s from %(donor)s, at %(value)s.", quantity=recorded.quantity,
                item=recorded.item, donor=recorded.donor,
                value=money(recorded.declared_value_amount, recorded.currency)), "success")
        return back_to("market_fair_pages.gift", slot_id=slot_id)
    return render_template("market_fair/gift_form.html", ctx=ctx, form=form, error=error,
                           headline=headline(error) if error else None,
                           gifts=overview.gifts(db, ctx.operator.id)), status


def fragment(page: str, listing, slot, booking) -> str:
    """On the core's pages: the coming fairs and visits, the free stalls when booking, the vendor's own stall."""
    db, user = session(), web_user()
    if page == "service":
        return render_template("market_fair/_coming_fairs.html", days=overview.coming_fairs(db, listing),
                               resident=has_role(user, "resident", community_id=listing.community_id))
    if page == "book":
        return render_template("market_fair/_choose_stall.html", slot=slot, map=service.stall_map(db, slot.id))
    return render_template("market_fair/_my_stall.html", booking=booking, slot=slot,
                           report=overview.report_of(db, booking.id), over=slot.ends_at <= utcnow(),
                           reporter=service.may_report_sales(user, booking.resident_id, booking.operator_id))


def links(operator, user) -> list[tuple[str, str]]:
    """The fairs, the register and the sales reports, for the fair's staff and its community's staff."""
    if not may_read_operator(user, operator):
        return []
    return [(_("Fairs"), url_for("market_fair_pages.fairs", operator_id=operator.id)),
            (_("Vendors"), url_for("market_fair_pages.vendors", operator_id=operator.id)),
            (_("Sales reports"), url_for("market_fair_pages.sales_reports", operator_id=operator.id))]
