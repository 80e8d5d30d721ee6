"""Gifts of money to the fund from residents, companies, the government, or someone who stays unnamed.

A committee member records a gift as it reaches the fund's account, with its
bank or receipt reference, as a transfer is recorded: the gift's row, a balanced
entry (``gift:<id>``: the fund's cash, its gift income) on the day it arrived, and
an audit event. Gifts count in the fund's balance and its inflows. The public
report names companies and the government; a resident is "a resident" (a name
is personal data) and an anonymous donor is never named, even when the
committee knows the name. The ledger's memo names only the kind of donor, since
the ledger can never forget what it holds.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, ledger, policy
from core.errors import N_, invalid, not_found, text
from core.fund import COMMITTEE, DATED_IN_THE_FUTURE
from core.ledger import credit, debit
from core.models import Community, FundGift, User
from core.settlement import parse_period

NAMED_IN_PUBLIC = ("company", "government")
DONORS = {"resident": N_("a resident"), "company": N_("a company"), "government": N_("the government"),
          "anonymous": N_("an anonymous donor")}
GIFT_MEMO = N_("Gift from %(donor)s, reference %(reference)s")
GIFT_NOT_FOUND = not_found("gift_not_found", N_("We could not find gift %(gift_id)s."))
DONOR_NAME_NEEDED = invalid("donor_name_needed", N_(
    "Please write who gave the money; only an anonymous gift may leave the name empty."))


def record_gift(session: Session, actor: User | None, community: Community, donor_name: str, donor_kind: str,
                amount: int, reference: str, received_on: dt.date) -> FundGift:
    """A committee member records money given to the fund (never dated after today, like a transfer)."""
    policy.require(actor, *COMMITTEE, community_id=community.id)
    if received_on > ledger.local_today(community):
        raise DATED_IN_THE_FUTURE(field="received_on")
    donor_name = donor_name.strip()
    if not donor_name and donor_kind != "anonymous":
        raise DONOR_NAME_NEEDED(field="donor_name")
    gift = FundGift(community_id=community.id, donor_name=donor_name, donor_kind=donor_kind, amount=amount,
                    currency=community.currency, reference=reference.strip(), received_on=received_on,
                    recorded_by_id=actor.id)
    session.add(gift)
    session.flush()
    ledger.post(session, community, "gift", f"gift:{gift.id}",
                [debit("fund_cash", amount), credit("gift_income", amount)], community.currency,
                effective_on=received_on,
                memo=text(GIFT_MEMO, donor=text(DONORS[donor_kind]), reference=gift.reference))
    audit.record(session, actor, "gift_recorded", "fund_gift", gift.id, community.id, amount=amount,
                 donor_kind=donor_kind, reference=gift.reference)
    return gift


def gifts_query(community: Community):
    """The community's gifts, newest first."""
    return select(FundGift).where(FundGift.community_id == community.id).order_by(FundGift.received_on.desc(),
                                                                                    FundGift.id.desc())


def gift_or_404(session: Session, community: Community, gift_id: int) -> FundGift:
    gift = session.get(FundGift, gift_id)
    if gift is None or gift.community_id != community.id:
        raise GIFT_NOT_FOUND(gift_id=gift_id)
    return gift


def public_name(gift: FundGift) -> str | None:
    """The name the public may read: a company's or the government's; None for a resident or an anonymous donor."""
    return gift.donor_name if gift.donor_kind in NAMED_IN_PUBLIC else None


def public_gifts(session: Session, community: Community, period: str | None) -> list[dict]:
    """Gifts as the public report shows them, oldest first: the kind of donor, and a name only where it may be read."""
    query = gifts_query(community)
    if period:
        query = query.where(FundGift.received_on.between(*parse_period(period)))
    return [{"donor_kind": gift.donor_kind, "donor_name": public_name(gift), "amount": gift.amount,
             "currency": gift.currency, "received_on": gift.received_on.isoformat()}
            for gift in reversed(session.scalars(query).all())]
