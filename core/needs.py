"""The demand board: residents order, the community compiles, an organisation takes the order, a sponsor pays
("居民点单—社区制单—社会组织承单—政府买单", SPEC §11.7).

A resident of a community posts a need and supports others' (once each: a unique row, inserted with ``ON CONFLICT DO
NOTHING``, so concurrent taps count once). Community staff compile one or more open needs into a service order with
a scope, a budget and a sponsor; a fund-sponsored order drafts a fund proposal through :mod:`core.proposals`, which
then goes through the committee as every proposal does. An operator of the community takes an open order (once:
a conditional UPDATE); staff mark it delivered, naming the listing or the proposal it led to; then the residents
who asked or supported rate it, once each. Those residents are told at each step (:mod:`core.need_notices`). Every
step is audited. Nobody but the community's staff reads who asked.
"""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit, need_notices, policy, proposals
from core.db import INSERTS, utcnow
from core.errors import N_, conflict, invalid, not_found
from core.models import (
    SPONSOR_KINDS, Community, Listing, Need, NeedSupport, Operator, OrderRating, ServiceOrder, User,
)

MAX_TITLE = 120
MAX_DESCRIPTION = 2000
MAX_SCOPE = 2000
MAX_SPONSOR_NAME = 120
SORTS = ("support", "new")

NEED_NOT_FOUND = not_found("need_not_found", N_("We could not find need %(need_id)s."))
ORDER_NOT_FOUND = not_found("order_not_found", N_("We could not find service order %(order_id)s."))
TITLE_REQUIRED = invalid("need_title_required", N_("Please give it a short title."))
TOO_LONG = invalid("text_too_long", N_("Please write at most %(most)s characters."))
SCOPE_REQUIRED = invalid("order_scope_required", N_("Please say what the service order covers."))
UNKNOWN_SPONSOR = invalid("unknown_sponsor", N_("Please say who pays: the fund, the subdistrict or a company."))
SPONSOR_NAME_REQUIRED = invalid("sponsor_name_required", N_("Please name who pays."))
OWN_NEED = conflict("own_need", N_("This is your own need: others can support it."))
ALREADY_SUPPORTED = conflict("already_supported", N_("You support this need already. Thank you."))
NEED_NOT_OPEN = conflict("need_not_open", N_("This need is on a service order already."))
ORDER_TAKEN = conflict("order_taken", N_("This service order is taken already."))
ORDER_NOT_TAKEN = conflict("order_not_taken", N_("Only a taken service order can be delivered."))
NOT_DELIVERED = conflict("order_not_delivered", N_("You can rate the service order once it is delivered."))
ALREADY_RATED = conflict("order_rated", N_("You have rated this service order already. Thank you."))
INVALID_STARS = invalid("invalid_order_stars", N_("Please give 1 to 5 stars."))
OPERATOR_REQUIRED = invalid("operator_required", N_("Please say which of your organisations takes the order."))
UNKNOWN_LISTING = invalid("unknown_listing", N_("Please choose one of the organisation's own listings."))
UNKNOWN_PROPOSAL = invalid("unknown_proposal", N_("Please choose a fund proposal of this community."))
FUND_NAME = N_("The community fund")
SPONSOR_NAMES = {"fund": FUND_NAME, "subdistrict": N_("The subdistrict office"), "company": N_("A company")}


def _clean(value: str | None, most: int, required, field: str) -> str:
    value = (value or "").strip()
    if required is not None and not value:
        raise required(field=field)
    if len(value) > most:
        raise TOO_LONG(most=most, field=field)
    return value


def is_resident(user: User | None, community_id: int) -> bool:
    return policy.has_role(user, "resident", community_id=community_id)


# --- residents: post and support ---------------------------------------------------------------------------------

def post(session: Session, user: User | None, community: Community, title: str, description: str) -> Need:
    """A resident of the community posts what they need."""
    policy.require(user, "resident", community_id=community.id)
    title = _clean(title, MAX_TITLE, TITLE_REQUIRED, "title")
    description = _clean(description, MAX_DESCRIPTION, None, "description")
    need = Need(community_id=community.id, resident_id=user.id, title=title, description=description, status="open",
                created_at=utcnow())
    session.add(need)
    session.flush()
    audit.record(session, user, "need_posted", "need", need.id, community.id)
    return need


def need_or_404(session: Session, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NEED_NOT_FOUND(need_id=need_id)
    return need


def support(session: Session, user: User | None, need_id: int) -> Need:
    """A resident of the need's community supports an open need, once; their own is a 409, and so is one on an
    order already (those behind an order are told of it and rate it: they are known when it is made)."""
    policy.require_user(user)
    need = need_or_404(session, need_id)
    policy.require(user, "resident", community_id=need.community_id)
    if need.resident_id == user.id:
        raise OWN_NEED()
    if need.status != "open":
        raise NEED_NOT_OPEN()
    added = session.scalar(INSERTS[session.get_bind().dialect.name](NeedSupport)
                           .values(need_id=need.id, resident_id=user.id, created_at=utcnow())
                           .on_conflict_do_nothing(index_elements=["need_id", "resident_id"])
                           .returning(NeedSupport.id))
    if added is None:
        raise ALREADY_SUPPORTED()
    audit.record(session, user, "need_supported", "need", need.id, need.community_id)
    return need


def support_counts(session: Session, need_ids: list[int]) -> dict[int, int]:
    rows = session.execute(select(NeedSupport.need_id, func.count()).where(NeedSupport.need_id.in_(need_ids))
                           .group_by(NeedSupport.need_id))
    return {need_id: count for need_id, count in rows}


def supported_by(session: Session, user: User | None, need_ids: list[int]) -> set[int]:
    if user is None:
        return set()
    return set(session.scalars(select(NeedSupport.need_id).where(NeedSupport.need_id.in_(need_ids),
                                                                 NeedSupport.resident_id == user.id)))


def board(community: Community, sort: str = "support", status: str | None = None):
    """The community's needs, the most supported first (newest among equals), or newest first."""
    supports = (select(func.count()).where(NeedSupport.need_id == Need.id).correlate(Need).scalar_subquery())
    query = select(Need).where(Need.community_id == community.id)
    if status is not None:
        query = query.where(Need.status == status)
    order = [Need.created_at.desc(), Need.id.desc()]
    return query.order_by(*([supports.desc()] if sort == "support" else []), *order)


def may_see_names(user: User | None, community_id: int) -> bool:
    """Only the community's staff read who asked for a need; everybody else reads what was asked."""
    return policy.has_role(user, "community_staff", community_id=community_id)


# --- community staff: compile ----------------------------------------------------------------------------------

def compile_order(session: Session, user: User | None, need_id: int, title: str, scope: str, budget_amount: int,
                  sponsor: dict, more_need_ids: list[int] = ()) -> ServiceOrder:
    """Compile the need, and any more open needs of the same community, into a service order. A fund sponsor drafts
    a fund proposal for the budget (the committee decides it as any other)."""
    policy.require_user(user)
    need = need_or_404(session, need_id)
    community = session.get(Community, need.community_id)
    policy.require(user, "community_staff", community_id=community.id)
    needs = [need] + [need_or_404(session, other) for other in dict.fromkeys(more_need_ids) if other != need.id]
    if any(other.community_id != community.id for other in needs):
        raise NEED_NOT_FOUND(need_id=next(o.id for o in needs if o.community_id != community.id))
    title = _clean(title, MAX_TITLE, TITLE_REQUIRED, "title")
    scope = _clean(scope, MAX_SCOPE, SCOPE_REQUIRED, "scope")
    kind, name = _sponsor(sponsor)
    order = ServiceOrder(community_id=community.id, title=title, scope=scope, budget_amount=budget_amount,
                         currency=community.currency, sponsor_kind=kind, sponsor_name=name, status="open",
                         created_by=user.id, created_at=utcnow())
    session.add(order)
    session.flush()
    claimed = session.execute(update(Need).where(Need.id.in_([n.id for n in needs]), Need.status == "open")
                              .values(status="compiled", order_id=order.id)
                              .execution_options(synchronize_session=False)).rowcount
    if claimed != len(needs):
        raise NEED_NOT_OPEN()
    if kind == "fund":
        proposal = proposals.draft(session, user, community, {
            "title": title, "purpose": scope, "requested_amount": budget_amount, "beneficiary": community.name})
        order.proposal_id = proposal.id
    audit.record(session, user, "order_compiled", "service_order", order.id, community.id,
                 need_ids=[n.id for n in needs], sponsor_kind=kind, budget_amount=budget_amount)
    need_notices.tell(session, order, "compiled")
    return order


def _sponsor(sponsor: dict) -> tuple[str, str]:
    kind = sponsor.get("kind")
    if kind not in SPONSOR_KINDS:
        raise UNKNOWN_SPONSOR(field="sponsor")
    name = _clean(sponsor.get("name"), MAX_SPONSOR_NAME, None if kind == "fund" else SPONSOR_NAME_REQUIRED, "sponsor")
    return kind, name or FUND_NAME


# --- operators: take; staff: deliver -----------------------------------------------------------------------------

def order_or_404(session: Session, order_id: int) -> ServiceOrder:
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise ORDER_NOT_FOUND(order_id=order_id)
    return order


def take(session: Session, user: User | None, order_id: int, operator_id: int | None = None) -> ServiceOrder:
    """An operator of the order's community takes it: the caller's operator named, or their only one there."""
    policy.require_user(user)
    order = order_or_404(session, order_id)
    operator = _takers_operator(session, user, order, operator_id)
    changed = session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id, ServiceOrder.status == "open")
                              .values(status="taken", taken_by=operator.id, taken_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise ORDER_TAKEN()
    session.refresh(order)
    audit.record(session, user, "order_taken", "service_order", order.id, order.community_id, operator_id=operator.id)
    need_notices.tell(session, order, "taken", operator=operator.name)
    return order


def _takers_operator(session: Session, user: User, order: ServiceOrder, operator_id: int | None) -> Operator:
    mine = [session.get(Operator, oid) for oid in sorted(policy.operator_ids(user))]
    mine = [op for op in mine if op is not None and op.community_id == order.community_id]
    if operator_id is not None:
        operator = session.get(Operator, operator_id)
        if operator is None or operator.community_id != order.community_id:
            raise OPERATOR_REQUIRED(field="operator_id")
        policy.require(user, "operator_staff", operator_id=operator.id)
        return operator
    if policy.is_admin(user) and not mine:
        raise OPERATOR_REQUIRED(field="operator_id")
    if not mine:
        raise policy.ROLE_REQUIRED()
    if len(mine) > 1:
        raise OPERATOR_REQUIRED(field="operator_id")
    return mine[0]


def may_deliver(user: User | None, order: ServiceOrder) -> bool:
    return (policy.has_role(user, "community_staff", community_id=order.community_id)
            or order.taken_by is not None and policy.has_role(user, "operator_staff", operator_id=order.taken_by))


def deliver(session: Session, user: User | None, order_id: int, listing_id: int | None = None,
            proposal_id: int | None = None) -> ServiceOrder:
    """The community's staff, or the taking operator's, mark a taken order delivered, naming the listing (one of the
    operator's) or the fund proposal it led to."""
    policy.require_user(user)
    order = order_or_404(session, order_id)
    if not may_deliver(user, order):
        raise policy.ROLE_REQUIRED()
    if order.status != "taken":
        raise ORDER_NOT_TAKEN()
    values = {"status": "delivered", "delivered_at": utcnow()}
    if listing_id is not None:
        listing = session.get(Listing, listing_id)
        if listing is None or listing.operator_id != order.taken_by:
            raise UNKNOWN_LISTING(field="listing_id")
        values["listing_id"] = listing.id
    if proposal_id is not None:
        proposal = session.get(proposals.Proposal, proposal_id)
        if proposal is None or proposal.community_id != order.community_id:
            raise UNKNOWN_PROPOSAL(field="proposal_id")
        values["proposal_id"] = proposal.id
    changed = session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id, ServiceOrder.status == "taken")
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise ORDER_NOT_TAKEN()
    session.execute(update(Need).where(Need.order_id == order.id).values(status="closed")
                    .execution_options(synchronize_session=False))
    session.refresh(order)
    audit.record(session, user, "order_delivered", "service_order", order.id, order.community_id,
                 listing_id=order.listing_id, proposal_id=order.proposal_id)
    need_notices.tell(session, order, "delivered")
    return order


# --- residents: rate -------------------------------------------------------------------------------------------

def rate(session: Session, user: User | None, order_id: int, stars: int) -> OrderRating:
    """A resident who asked for the order or supported it rates it, 1–5, once it is delivered, once."""
    policy.require_user(user)
    order = order_or_404(session, order_id)
    if user.id not in need_notices.askers(session, order.id):
        raise policy.ROLE_REQUIRED()
    if stars not in range(1, 6):
        raise INVALID_STARS(field="stars")
    if order.status != "delivered":
        raise NOT_DELIVERED()
    rating_id = session.scalar(INSERTS[session.get_bind().dialect.name](OrderRating)
                               .values(order_id=order.id, resident_id=user.id, stars=stars, created_at=utcnow())
                               .on_conflict_do_nothing(index_elements=["order_id", "resident_id"])
                               .returning(OrderRating.id))
    if rating_id is None:
        raise ALREADY_RATED()
    audit.record(session, user, "order_rated", "service_order", order.id, order.community_id, stars=stars)
    return session.get(OrderRating, rating_id)


def has_rated(session: Session, order_id: int, user_id: int) -> bool:
    return session.scalar(select(OrderRating.id).where(OrderRating.order_id == order_id,
                                                       OrderRating.resident_id == user_id)) is not None


def rating_summary(session: Session, order_id: int) -> dict:
    count, average = session.execute(select(func.count(), func.avg(OrderRating.stars))
                                     .where(OrderRating.order_id == order_id)).one()
    return {"ratings": count, "average_stars": round(float(average), 1) if average is not None else None}


def needs_of(session: Session, order_id: int) -> list[Need]:
    return list(session.scalars(select(Need).where(Need.order_id == order_id).order_by(Need.id)))


def orders_of(community: Community, status: str | None = None):
    """The community's service orders, newest first: what was asked and what was done, public."""
    query = select(ServiceOrder).where(ServiceOrder.community_id == community.id)
    if status is not None:
        query = query.where(ServiceOrder.status == status)
    return query.order_by(ServiceOrder.created_at.desc(), ServiceOrder.id.desc())
