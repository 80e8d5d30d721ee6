"""The fund committee's and the charity officer's pages: the fund, reconciliation, periods, proposals, ledger."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import fund, ledger, policy, proposals, settlement, transparency
from core.downloads import csv_download
from core.exports import reconciliation_table
from core.models import JournalEntry, Operator, Proposal, User
from core.request_session import session as db_session
from core.settlement import PERIOD
from core.web.common import (
    attempt, back_to, community_or_404, flash_error, headline, linli, page_blueprint, require, show_field_errors,
)
from core.web.forms import ActionForm, CharityDecisionForm, DisburseForm, NoteForm, TransferForm, VoteForm, options
from core.web.i18n import to_minor_units
from core.web.labels import STATEMENT_KINDS
from core.web.periods import month_of, next_period, previous_period
from core.web.permissions import AUDITORS

bp = page_blueprint("web_committee", __name__, url_prefix="/communities/<slug>/fund")
LEDGER_PAGE = 50
MAX_PAGE = 100_000


def _reader(slug: str, *roles: str):
    community = community_or_404(slug)
    return require(*(roles or fund.FUND_READERS), community_id=community.id), community


def _period(community) -> str:
    period = request.args.get("period", "")
    return period if PERIOD.match(period) else month_of(ledger.local_today(community))


@bp.route("")
def overview(slug: str):
    """What the fund holds and is owed, with charts of money in by operator and money in and out by month."""
    _user, community = _reader(slug)
    db = db_session()
    view = transparency.fund_as_read(db, community)
    monthly = transparency.monthly(view["inflows"], view["outflows"])
    return render_template("committee/overview.html", community=community, view=view, monthly=monthly,
                           period=_period(community))


@bp.route("/reconciliation")
def reconciliation(slug: str):
    """Per operator: donation due against received, the difference highlighted, with notes and drill-down."""
    user, community = _reader(slug, *AUDITORS)
    period = _period(community)
    report = fund.reconciliation(db_session(), community, period)
    statement_rows = [row for row in report["operators"] if any(
        row["provider_statement"][name] for name in ("matched_count", "awaiting_count", "mismatches"))]
    split_rows = [row for row in report["operators"] if row["shares"]["awaiting_count"] or row["shares"]["failed"]]
    return render_template("committee/reconciliation.html", community=community, report=report, period=period,
                           statement_rows=statement_rows, split_rows=split_rows, statement_kinds=STATEMENT_KINDS,
                           previous=previous_period(period), following=next_period(period),
                           is_member=policy.has_role(user, "committee_member", community_id=community.id),
                           ended=period < ledger.period_of(ledger.local_today(community)),
                           action=ActionForm(), note_form=NoteForm())


@bp.route("/reconciliation/<period>/export.csv")
def export(slug: str, period: str):
    """The reconciliation as a spreadsheet in the page's language (``?raw=1``: for tools; the same files as the
    API's ``?format=csv``)."""
    _user, community = _reader(slug, *AUDITORS)
    report = fund.reconciliation(db_session(), community, period)
    return csv_download(reconciliation_table(report, linli().plugins.operator_types),
                        f"reconciliation-{community.slug}-{period}.csv")


@bp.route("/reconciliation/<period>/operators/<int:operator_id>")
def drill_down(slug: str, period: str, operator_id: int):
    """The ledger entries behind one operator's figures of the month, with their bookings, and the transfers that
    cleared its dues (perhaps arriving months later) or that arrived in it."""
    _user, community = _reader(slug, *AUDITORS)
    db = db_session()
    entries = fund.drill_down(db, community, period, operator_id)
    return render_template("committee/drill_down.html", community=community, period=period,
                           operator=db.get(Operator, operator_id), entries=entries,
                           transfers=fund.transfers_of(db, community, period, operator_id))


@bp.route("/reconciliation/<period>/settle", methods=["POST"])
def settle(slug: str, period: str):
    """Compute the month's profit shares and fixed donations (safe to repeat: nothing is posted twice)."""
    _user, community = _reader(slug, "committee_member")
    _rows, error = attempt(lambda db: settlement.settle(db, linli().plugins.operator_types, community, period))
    if error is not None:
        flash_error(error)
    else:
        flash(_("The donations due for this month are up to date."), "success")
    return back_to("web_committee.reconciliation", slug=slug, period=period)


@bp.route("/reconciliation/<period>/notes", methods=["POST"])
def annotate(slug: str, period: str):
    user, community = _reader(slug, "committee_member")
    form = NoteForm()
    if not form.validate():
        flash(_("Write a note before saving it."), "error")
        return back_to("web_committee.reconciliation", slug=slug, period=period)
    operator_id = int(form.operator_id.data) if form.operator_id.data.isdigit() else 0
    _note, error = attempt(lambda db: fund.annotate(db, user, community, period, operator_id, form.note.data.strip()))
    if error is not None:
        flash_error(error)
    else:
        flash(_("Your note is saved."), "success")
    return back_to("web_committee.reconciliation", slug=slug, period=period)


@bp.route("/reconciliation/<period>/splits/<int:payment_id>/retry", methods=["POST"])
def retry_split(slug: str, period: str, payment_id: int):
    """Ask the payment service again for a split of the fund's share it refused."""
    user, community = _reader(slug, "committee_member")
    _payment, error = attempt(lambda db: fund.retry_split(db, user, community, payment_id))
    if error is not None:
        flash_error(error)
    else:
        flash(_("The split is asked for again. Its state shows here in a few minutes."), "success")
    return back_to("web_committee.reconciliation", slug=slug, period=period)


@bp.route("/periods/<period>/close", methods=["GET", "POST"])
def close_period(slug: str, period: str):
    """Ask once more, then close the month: its figures never change again."""
    user, community = _reader(slug, "committee_member")
    settlement.parse_period(period)
    if request.method == "POST":
        _row, error = attempt(lambda db: fund.close_period(db, user, community, period, ledger.local_today(community),
                                                          linli().plugins.operator_types))
        if error is not None:
            flash_error(error)
        else:
            flash(_("The month is closed."), "success")
        return back_to("web_committee.reconciliation", slug=slug, period=period)
    return render_template("committee/close.html", community=community, period=period, form=ActionForm())


@bp.route("/transfers/new", methods=["GET", "POST"])
def new_transfer(slug: str):
    """Record an operator's bank transfer of the donations it owed."""
    user, community = _reader(slug, "committee_member")
    form, error, status = TransferForm(), None, 200
    operators = db_session().scalars(select(Operator).where(Operator.community_id == community.id)
                                     .order_by(Operator.id)).all()
    form.operator_id.choices = options((op.id, op.name) for op in operators)
    if form.validate_on_submit():
        amount = to_minor_units(form.amount.data, community.currency)
        if amount is None:
            form.amount.errors = [_("Use at most two decimals.")]
            status = 422
        else:
            _row, error = attempt(lambda db: fund.record_transfer(
                db, user, community, form.operator_id.data, amount, form.reference.data.strip(),
                form.received_on.data))
            if error is None:
                flash(_("The transfer is recorded."), "success")
                return back_to("web_committee.reconciliation", slug=slug, period=month_of(form.received_on.data))
            status = error.status
            show_field_errors(form, error)
    elif form.is_submitted():
        status = 422
    return render_template("committee/new_transfer.html", community=community, form=form, error=error,
                           headline=headline(error) if error else None), status


@bp.route("/proposals")
def proposal_list(slug: str):
    _user, community = _reader(slug)
    rows = db_session().scalars(select(Proposal).where(Proposal.community_id == community.id)
                                .order_by(Proposal.id.desc()).limit(200)).all()
    return render_template("committee/proposals.html", community=community, proposals=rows)


@bp.route("/proposals/<int:proposal_id>")
def proposal(slug: str, proposal_id: int):
    """A proposal with its votes, and the one step this user can take on it now."""
    user, community = _reader(slug)
    db = db_session()
    item = proposals.proposal_or_404(db, community, proposal_id)
    voters = {u.id: u.name for u in db.scalars(select(User).where(User.id.in_([v.member_id for v in item.votes])))}
    member = any(m.id == user.id for m in proposals.committee(db, community.id))
    steps = {
        "vote": member and item.status == "submitted" and all(v.member_id != user.id for v in item.votes),
        "charity": item.status == "committee_approved" and policy.has_role(user, "charity_officer",
                                                                           community_id=community.id),
        "disburse": item.status == "charity_approved" and policy.has_role(user, "charity_officer",
                                                                          community_id=community.id),
    }
    balance = fund.fund_view(db, community)["balance_amount"]
    return render_template("committee/proposal.html", community=community, proposal=item, voters=voters,
                           tally=proposals.tally(db, item), steps=steps, balance=balance, vote_form=VoteForm(),
                           charity_form=CharityDecisionForm(), disburse_form=DisburseForm())


@bp.route("/proposals/<int:proposal_id>/<any('votes', 'charity-decision', 'disburse'):step>", methods=["POST"])
def proposal_step(slug: str, proposal_id: int, step: str):
    """Vote, decide as the charity, or pay out; the service checks who may and when."""
    user, community = _reader(slug, "committee_member", "charity_officer")
    form = {"votes": VoteForm, "charity-decision": CharityDecisionForm, "disburse": DisburseForm}[step]()
    if not form.validate():
        flash(" ".join(str(m) for messages in form.errors.values() for m in messages), "error")
        return back_to("web_committee.proposal", slug=slug, proposal_id=proposal_id)
    if step == "votes":
        def action(db):
            return proposals.vote(db, user, community, proposal_id, form.decision.data, form.comment.data or "")
    elif step == "charity-decision":
        def action(db):
            return proposals.charity_decision(db, user, community, proposal_id, form.decision.data == "approve",
                                              form.reason.data or "")
    else:
        def action(db):
            return proposals.disburse(db, user, community, proposal_id, form.reference.data.strip())
    _proposal, error = attempt(action)
    if error is not None:
        flash_error(error)
    else:
        flash(_("Done. The proposal is now: %(status)s.", status=_status_label(_proposal.status)), "success")
    return back_to("web_committee.proposal", slug=slug, proposal_id=proposal_id)


def _status_label(status: str) -> str:
    from core.web.labels import PROPOSAL_STATUSES, label

    return label(PROPOSAL_STATUSES, status)


@bp.route("/ledger")
def ledger_page(slug: str):
    """The journal, newest first, with each entry's hash: what an auditor checks."""
    _user, community = _reader(slug, *AUDITORS)
    db = db_session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)  # an offset the database can hold
    total = db.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.community_id == community.id))
    entries = db.scalars(select(JournalEntry).where(JournalEntry.community_id == community.id)
                         .order_by(JournalEntry.seq.desc()).limit(LEDGER_PAGE).offset((page - 1) * LEDGER_PAGE))
    return render_template("committee/ledger.html", community=community, entries=[fund.entry_json(e) for e in entries],
                           page=page, pages=max((total + LEDGER_PAGE - 1) // LEDGER_PAGE, 1),
                           head=ledger.head_hash(db, community.id))
