"""Gifts to the fund: the committee records them, prints a receipt for each, and lists them (also as a spreadsheet)."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import gifts, ledger, policy
from core.api.gifts import FundGiftSchema
from core.downloads import csv_download
from core.errors import N_
from core.exports import Column, Shown, Table
from core.models import FundGift
from core.request_session import session as db_session
from core.web.capitals import in_capitals
from core.web.common import back_to, community_or_404, headline, page_blueprint, require
from core.web.forms import GiftForm
from core.web.permissions import AUDITORS
from core.web.plugin_pages import amount_of, load_input, submit_form

bp = page_blueprint("web_gifts", __name__, url_prefix="/communities/<slug>/fund/gifts")
READERS = AUDITORS  # the committee and the charity officer: who read the fund's books
PAGE = 50
GIFT_COLUMNS = [Column("id", N_("No.")), Column("received_on", N_("Received on")), Column("donor_kind", N_("Donor")),
                Column("donor_name", N_("Donor's name")), Column("amount", N_("Amount"), amount=True),
                Column("currency", N_("Currency")), Column("reference", N_("Reference")),
                Column("recorded_at", N_("Recorded at"))]


def _reader(slug: str, *roles: str):
    community = community_or_404(slug)
    return require(*(roles or READERS), community_id=community.id), community


@bp.route("")
def gift_list(slug: str):
    """The gifts, newest first, a page at a time, each with its receipt."""
    user, community = _reader(slug)
    db = db_session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    rows = db.scalars(gifts.gifts_query(community).limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    total = db.scalar(select(func.coalesce(func.sum(FundGift.amount), 0)).where(FundGift.community_id == community.id))
    return render_template("committee/gifts.html", community=community, gifts=rows[:PAGE], more=len(rows) > PAGE,
                           page=page, total=total,
                           is_member=policy.has_role(user, "committee_member", community_id=community.id))


@bp.route("/new", methods=["GET", "POST"])
def new_gift(slug: str):
    """A committee member records money given to the fund; then its receipt is ready to print."""
    user, community = _reader(slug, "committee_member")
    form = GiftForm()

    def record(db):
        data = load_input(FundGiftSchema, {
            "donor_kind": form.donor_kind.data, "donor_name": form.donor_name.data or "",
            "amount": amount_of(form.amount, community.currency), "reference": form.reference.data,
            "received_on": form.received_on.data.isoformat()})
        return gifts.record_gift(db, user, community, **data)

    gift, error, status = submit_form(form, record)
    if gift is not None:
        flash(_("The gift is recorded. Here is its receipt."), "success")
        return back_to("web_gifts.receipt", slug=slug, gift_id=gift.id)
    if not form.is_submitted():
        form.received_on.data = ledger.local_today(community)
    return render_template("committee/new_gift.html", community=community, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/<int:gift_id>")
def receipt(slug: str, gift_id: int):
    """The receipt of one gift (收据), ready to print: who gave, how much (in capitals too), when, the reference."""
    _user, community = _reader(slug)
    gift = gifts.gift_or_404(db_session(), community, gift_id)
    return render_template("committee/receipt.html", community=community, gift=gift,
                           capitals=in_capitals(gift.amount, gift.currency))


@bp.route("/export.csv")
def export(slug: str):
    """Every gift as a spreadsheet, newest first."""
    _user, community = _reader(slug)
    rows = [[g.id, g.received_on.isoformat(), Shown(g.donor_kind, gifts.DONORS[g.donor_kind]), g.donor_name, g.amount,
             g.currency, g.reference, g.recorded_at.isoformat()]
            for g in db_session().scalars(gifts.gifts_query(community))]
    return csv_download(Table(GIFT_COLUMNS, rows, community.currency), f"gifts-{community.slug}.csv")

