"""The community fund: what it holds, what it is owed, and the committee's monthly reconciliation.

Design. Every figure is read from the ledger (see :mod:`core.ledger`): the fund
holds ``fund_cash``; operators owe it ``donations_receivable``; its inflows are
``donation_income`` (what operators gave, by their agreements), ``gift_income``
(money others gave, :mod:`core.gifts`) and, kept apart because they cannot be
spent, ``in_kind_income`` at declared value; its outflows are ``fund_disbursed``.
Reconciliation compares, per operator and period, the donation due with what was
received — online at payment (Stripe's application fee, or kept back), by bank
transfer recorded with its reference (counted against the oldest dues it paid,
whenever it arrived: :mod:`core.arrears`), or in kind — and names the variance; a
committee member can explain it in a note and close the period, after which no
entry lands in it: only a later transfer may still clear its arrears.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import arrears, audit, donations, ledger, memos, policy, settlement
from core.errors import N_, conflict, forbidden, invalid, not_found, text
from core.ledger import credit, debit, period_of
from core.models import (
    ClosedPeriod, Community, FundTransfer, InKindDonation, JournalEntry, JournalLine, Operator, Payment,
    ReconciliationNote, User,
)
from core.operator_types import OperatorType
from core.payments import shares, statements
from core.settlement import PERIOD_NOT_ENDED, parse_period

COMMITTEE = ("committee_member",)
FUND_READERS = ("committee_member", "charity_officer", "community_staff")

NOT_AN_OPERATOR_HERE = invalid("not_an_operator_here", N_("Please choose one of this community's operators."))
TRANSFER_EXCEEDS_DEBT = conflict("transfer_exceeds_debt", N_(
    "This is more than the operator owes the fund. Please check the amount."))
IN_KIND_RECORDERS = forbidden("in_kind_recorders", N_(
    "Gifts in kind are recorded by the committee, the community's staff or the operator."))
DATED_IN_THE_FUTURE = invalid("dated_in_the_future", N_("The money cannot have arrived after today."))
SPLIT_NOT_FAILED = conflict("split_not_failed", N_(
    "Only a split the payment service refused can be asked for again."))
NOT_A_PAYMENT_HERE = not_found("not_a_payment_here", N_("There is no such payment in this community."))
PERIOD_CLOSED_ALREADY = conflict("period_closed_already", N_("%(period)s is closed already."))
TRANSFER_MEMO = N_("Bank transfer %(reference)s")
IN_KIND_MEMO = N_("%(quantity)s × %(item)s from %(donor)s")


def community_operator(session: Session, community: Community, operator_id: int) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None or operator.community_id != community.id:
        raise NOT_AN_OPERATOR_HERE(field="operator_id")
    return operator


def record_transfer(session: Session, actor: User | None, community: Community, operator_id: int, amount: int,
                    reference: str, received_on: dt.date) -> FundTransfer:
    """A committee member records an operator's bank transfer of donations it owed (never dated after today, whose
    period could never close)."""
    policy.require(actor, *COMMITTEE, community_id=community.id)
    if received_on > ledger.local_today(community):
        raise DATED_IN_THE_FUTURE(field="received_on")
    operator = community_operator(session, community, operator_id)
    ledger.lock(session, community.id)
    owed = ledger.balances(session, community.id, ["donations_receivable"], by_operator=True).get(
        ("donations_receivable", operator.id), 0)
    if amount > owed:
        raise TRANSFER_EXCEEDS_DEBT(field="amount")
    transfer = FundTransfer(community_id=community.id, operator_id=operator.id, amount=amount,
                            currency=community.currency, reference=reference, received_on=received_on,
                            recorded_by_id=actor.id)
    session.add(transfer)
    session.flush()
    ledger.post(session, community, "transfer", f"transfer:{transfer.id}",
                donations.transfer_lines(amount, operator.id), community.currency, effective_on=received_on,
                memo=text(TRANSFER_MEMO, reference=reference), operator_id=operator.id)
    audit.record(session, actor, "transfer_recorded", "fund_transfer", transfer.id, community.id,
                 amount=amount, reference=reference)
    return transfer


def may_record_in_kind(actor: User | None, community_id: int, operator_id: int | None) -> bool:
    """The committee and staff of the community, and the staff of the operator the gift came through."""
    return (policy.has_role(actor, "committee_member", community_id=community_id)
            or policy.has_role(actor, "community_staff", community_id=community_id)
            or (operator_id is not None and policy.has_role(actor, "operator_staff", operator_id=operator_id)))


def require_in_kind_recorder(actor: User | None, community_id: int, operator_id: int | None) -> None:
    """Refuse anyone who may not record a gift in kind for this community and operator (401 or 403)."""
    policy.require_user(actor)
    if not may_record_in_kind(actor, community_id, operator_id):
        raise IN_KIND_RECORDERS()


def record_in_kind(session: Session, actor: User | None, community: Community, operator_id: int | None, donor: str,
                   item: str, quantity: int, declared_value_amount: int, received_on: dt.date) -> InKindDonation:
    """Goods given to the fund, at declared value; recorded by the committee, community staff or the operator (never
    dated after today, like a transfer)."""
    require_in_kind_recorder(actor, community.id, operator_id)
    if received_on > ledger.local_today(community):
        raise DATED_IN_THE_FUTURE(field="received_on")
    if operator_id is not None:
        community_operator(session, community, operator_id)
    gift = InKindDonation(community_id=community.id, operator_id=operator_id, donor=donor, item=item,
                          quantity=quantity, declared_value_amount=declared_value_amount,
                          currency=community.currency, received_on=received_on, recorded_by_id=actor.id)
    session.add(gift)
    session.flush()
    if declared_value_amount:
        ledger.post(session, community, "in_kind", f"in_kind:{gift.id}",
                    [debit("in_kind_items", declared_value_amount, operator_id),
                     credit("in_kind_income", declared_value_amount, operator_id)],
                    community.currency, effective_on=received_on,
                    memo=text(IN_KIND_MEMO, quantity=quantity, item=item, donor=donor), operator_id=operator_id)
    audit.record(session, actor, "in_kind_recorded", "in_kind_donation", gift.id, community.id, item=item)
    return gift


INFLOWS = {  # each reconciliation figure: (account, *conditions)
    "due_amount": ("donation_income",),
    "received_online_amount": ("fund_cash", JournalEntry.kind.in_(("donation", "refund"))),
    "received_transfer_amount": ("fund_cash", JournalEntry.kind == "transfer"),
    "in_kind_amount": ("in_kind_income",),
    "gift_amount": ("gift_income", JournalEntry.kind != "refund"),
    "gift_owed_amount": ("gift_income", JournalEntry.kind == "refund"),
}
"""``gift_amount``: gifts the fund received in cash; ``gift_owed_amount``: refunds residents gave to the fund, which
the operator holding the money owes it (:mod:`core.donated_refunds`) and pays over by transfer, counted then."""
RECONCILED = ("due_amount", "gift_owed_amount", "received_online_amount", "in_kind_amount")
"""The figures of a month's reconciliation read from its own entries; transfers count where they cleared dues."""


def inflows(session: Session, community_id: int, by: list, *where) -> list[dict]:
    """The fund's inflows per group of ``by``, from one scan of the ledger; groups where all are 0 are left out."""
    rows = ledger.totals(session, community_id, INFLOWS, by, *where)
    return [{k: int(v) if k in INFLOWS else v for k, v in row._mapping.items()}
            for row in rows if any(row._mapping[name] for name in INFLOWS)]


def received(row: dict) -> int:
    """The money an inflows row brought in: received from operators online and by transfer, and gifts."""
    return row["received_online_amount"] + row["received_transfer_amount"] + row["gift_amount"]


def fund_view(session: Session, community: Community) -> dict:
    """Balance, receivable, inflows by operator and month (by channel; in kind apart), outflows by project."""
    totals = ledger.balances(session, community.id, ["fund_cash", "donations_receivable", "in_kind_items"])
    names = dict(session.execute(select(Operator.id, Operator.name).where(Operator.community_id == community.id)).all())
    by_month = [row | {"operator": names.get(row["operator_id"], "individual donors")}
                for row in inflows(session, community.id, [JournalLine.operator_id, JournalEntry.period])]
    from core import proposals  # imported here: proposals depend on the ledger this module reads

    return {
        "community_id": community.id, "currency": community.currency,
        "balance_amount": totals.get("fund_cash", 0),
        "receivable_amount": totals.get("donations_receivable", 0),
        "in_kind_amount": totals.get("in_kind_items", 0),
        "inflows": sorted(by_month, key=lambda r: (r["period"], r["operator_id"] or 0)),
        "outflows": proposals.outflows(session, community),
        "chain_head": ledger.head_hash(session, community.id),
    }


def is_closed(session: Session, community_id: int, period: str) -> bool:
    return session.scalar(select(ClosedPeriod.id).where(ClosedPeriod.community_id == community_id,
                                                        ClosedPeriod.period == period)) is not None


def reconciliation(session: Session, community: Community, period: str) -> dict:
    """Per operator: donation due (and refunds given to the fund that it holds, ``gift_owed_amount``) vs received
    (online; by transfer, whenever it came, for the dues it cleared — ``cleared_by`` names each; in kind apart), the
    variance and its notes; what the payment services' statements say of its payments (``provider_statement``) and
    the state of the splits of the fund's share (``shares``)."""
    parse_period(period)
    rows = {op.id: {"operator_id": op.id, "operator": op.name, "type": op.type, "due_amount": 0,
                    "gift_owed_amount": 0, "received_online_amount": 0, "received_transfer_amount": 0,
                    "in_kind_amount": 0, "cleared_by": [], "notes": []}
            for op in session.scalars(select(Operator).where(Operator.community_id == community.id)
                                      .order_by(Operator.id))}
    for row in inflows(session, community.id, [JournalLine.operator_id], JournalEntry.period == period):
        if row["operator_id"] in rows:
            rows[row["operator_id"]].update({name: row[name] for name in RECONCILED})
    for part in arrears.clearing(session, community.id):
        if part.period == period and part.operator_id in rows:
            rows[part.operator_id]["received_transfer_amount"] += part.amount
            rows[part.operator_id]["cleared_by"].append(part.as_json())
    for note in session.scalars(select(ReconciliationNote).where(ReconciliationNote.community_id == community.id,
                                                                 ReconciliationNote.period == period)
                                .order_by(ReconciliationNote.id)):
        rows[note.operator_id]["notes"].append({"note": note.note, "author_id": note.author_id,
                                                "created_at": note.created_at.isoformat()})
    matched, splits = statements.matches(session, community, period), shares.of_month(session, community, period)
    for row in rows.values():
        row["received_amount"] = row["received_online_amount"] + row["received_transfer_amount"]
        row["variance_amount"] = row["due_amount"] + row["gift_owed_amount"] - row["received_amount"]
        row["provider_statement"] = matched[row["operator_id"]]
        row["shares"] = splits.get(row["operator_id"]) or shares.none_of_month()
    return {"community_id": community.id, "period": period, "currency": community.currency,
            "closed": is_closed(session, community.id, period), "operators": list(rows.values())}


def drill_down(session: Session, community: Community, period: str, operator_id: int) -> list[dict]:
    """The ledger entries behind an operator's figures of the period, with their bookings and payments."""
    parse_period(period)
    community_operator(session, community, operator_id)
    entries = session.scalars(select(JournalEntry).where(
        JournalEntry.community_id == community.id, JournalEntry.period == period,
        JournalEntry.operator_id == operator_id).order_by(JournalEntry.seq))
    return [entry_json(entry) for entry in entries]


def transfers_of(session: Session, community: Community, period: str, operator_id: int) -> dict:
    """For the drill-down: the transfers that cleared the month's dues (``cleared``), and where the transfers
    received in the month went (``applied``: perhaps to older months' arrears)."""
    parts = arrears.clearing(session, community.id, operator_id)
    return {"cleared": [p.as_json() for p in parts if p.period == period],
            "applied": [p.as_json() for p in parts if period_of(p.received_on) == period]}


def entry_json(entry: JournalEntry) -> dict:
    return {"id": entry.id, "seq": entry.seq, "kind": entry.kind, "source": entry.source, "memo": entry.memo,
            "memo_message": memos.as_json(entry.memo_message),
            "effective_on": entry.effective_on.isoformat(), "period": entry.period, "late_from": entry.late_from,
            "operator_id": entry.operator_id, "booking_id": entry.booking_id, "payment_id": entry.payment_id,
            "prev_hash": entry.prev_hash, "hash": entry.hash,
            "lines": [{"account": line.account, "operator_id": line.operator_id, "side": line.side,
                       "amount": line.amount, "currency": line.currency} for line in entry.lines]}


def annotate(session: Session, actor: User | None, community: Community, period: str, operator_id: int,
             note: str) -> ReconciliationNote:
    policy.require(actor, *COMMITTEE, community_id=community.id)
    parse_period(period)
    community_operator(session, community, operator_id)
    row = ReconciliationNote(community_id=community.id, period=period, operator_id=operator_id, note=note,
                             author_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "variance_annotated", "reconciliation_note", row.id, community.id, period=period)
    return row


def close_period(session: Session, actor: User | None, community: Community, period: str, today: dt.date,
                 types: dict[str, OperatorType]) -> ClosedPeriod:
    """Close a month that has ended (in the community's time), after working out its profit shares and fixed
    donations (settling twice posts nothing twice); its entries and figures are final from now on."""
    policy.require(actor, *COMMITTEE, community_id=community.id)
    parse_period(period)
    if period >= period_of(today):
        raise PERIOD_NOT_ENDED(period=period)
    ledger.lock(session, community.id)  # no posting can slip into the period while it closes
    if is_closed(session, community.id, period):
        raise PERIOD_CLOSED_ALREADY(period=period)
    settlement.settle(session, types, community, period)
    row = ClosedPeriod(community_id=community.id, period=period, closed_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "period_closed", "closed_period", row.id, community.id, period=period)
    return row


def retry_split(session: Session, actor: User | None, community: Community, payment_id: int) -> Payment:
    """A committee member asks the payment service again for a split of the fund's share it refused (once its cause,
    e.g. a receiving account not bound, is fixed); the split is requested by a task after the commit."""
    policy.require(actor, *COMMITTEE, community_id=community.id)
    payment = session.get(Payment, payment_id, with_for_update=True)
    if payment is None or session.get(Operator, payment.operator_id).community_id != community.id:
        raise NOT_A_PAYMENT_HERE()
    if payment.share_status != "failed":
        raise SPLIT_NOT_FAILED()
    reason = payment.share_error or ""
    shares.retry(session, payment)
    audit.record(session, actor, "split_retried", "payment", payment.id, community.id, reason=reason)
    return payment


def require_reader(actor: User | None, community: Community, *roles: str) -> None:
    policy.require(actor, *(roles or FUND_READERS), community_id=community.id)
