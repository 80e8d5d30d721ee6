"""The public report of a community's fund: where the money came from and where it went, no personal data."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import fund, gifts, ledger, outcomes, proposals
from core.errors import N_, not_found
from core.models import Community, InKindDonation, Operator
from core.settlement import parse_period


OPERATOR_NOT_HERE = not_found("operator_not_in_community", N_("Operator %(operator_id)s does not serve this community."))

def operator_names(session: Session, community: Community) -> dict[int, str]:
    """The community's operators by id, named in the reader's language (core.reading)."""
    return {operator.id: operator.name
            for operator in session.scalars(select(Operator).where(Operator.community_id == community.id))}


def named(rows: list[dict], names: dict[int, str]) -> list[dict]:
    """Money rows with each operator's name in the reader's language (the fund's own rows carry the stored one)."""
    return [row | {"operator": names[row["operator_id"]]} if row.get("operator_id") in names else row for row in rows]


def fund_as_read(session: Session, community: Community) -> dict:
    """The fund's view (core.fund), its operators named in the reader's language."""
    view = fund.fund_view(session, community)
    return view | {"inflows": named(view["inflows"], operator_names(session, community))}


def in_kind_items(session: Session, community: Community, period: str | None) -> list[dict]:
    """Gifts in kind; a donor is named only when it is an operator (people stay anonymous)."""
    names = operator_names(session, community)
    rows = []
    for gift in session.scalars(select(InKindDonation).where(InKindDonation.community_id == community.id)
                                .order_by(InKindDonation.received_on, InKindDonation.id)):
        if period and ledger.period_of(gift.received_on) != period:
            continue
        rows.append({"item": gift.item, "quantity": gift.quantity, "declared_value_amount": gift.declared_value_amount,
                     "currency": gift.currency, "received_on": gift.received_on.isoformat(),
                     "donor": names.get(gift.operator_id, "a neighbour")})
    return rows


def report(session: Session, community: Community, period: str | None = None) -> dict:
    if period:
        parse_period(period)
    view = fund_as_read(session, community)
    inflows = [row for row in view["inflows"] if not period or row["period"] == period]
    return {
        "community": {"id": community.id, "slug": community.slug, "name": community.name},
        "period": period, "currency": community.currency,
        "balance_amount": view["balance_amount"], "receivable_amount": view["receivable_amount"],
        "in_kind_amount": view["in_kind_amount"],
        "inflows": inflows,
        "in_kind_items": in_kind_items(session, community, period),
        "gifts": gifts.public_gifts(session, community, period),
        "disbursements": outcomes.with_outcomes(session, community, proposals.outflows(session, community, period)),
        "monthly": monthly(inflows, proposals.outflows(session, community, period)),
        "chain_head": view["chain_head"],
    }


def monthly(inflows: list[dict], outflows: list[dict]) -> list[dict]:
    """Money in (received) and out per month, for the chart."""
    months: dict[str, dict] = {}
    for row in inflows:
        month = months.setdefault(row["period"], {"period": row["period"], "in_amount": 0, "out_amount": 0})
        month["in_amount"] += fund.received(row)
    for row in outflows:
        month = months.setdefault(row["period"], {"period": row["period"], "in_amount": 0, "out_amount": 0})
        month["out_amount"] += row["amount"]
    return [months[p] for p in sorted(months)]


def donor_statement(session: Session, community: Community, operator_id: int) -> dict:
    """What one operator gave, month by month, and what the fund spent in those months."""
    operator = session.get(Operator, operator_id)
    if operator is None or operator.community_id != community.id:
        raise OPERATOR_NOT_HERE(operator_id=operator_id)
    view = fund_as_read(session, community)
    given = [row for row in view["inflows"] if row["operator_id"] == operator.id]
    months = {row["period"] for row in given}
    spent = [row for row in view["outflows"] if row["period"] in months]
    return {"operator": {"id": operator.id, "name": operator.name, "type": operator.type},
            "currency": community.currency, "given": given, "fund_spent_in_those_months": spent,
            "chain_head": view["chain_head"]}
