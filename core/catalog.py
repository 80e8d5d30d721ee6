"""Communities, spaces, operators and their agreements: who may serve where, on what terms."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core import policy
from core.errors import N_, VALIDATION_FAILED, conflict, forbidden, invalid, not_found, text
from core.models import Agreement, Community, Operator, RoleGrant, Space, User
from core.operator_types import OperatorType


UNKNOWN_TYPE = invalid("unknown_operator_type", N_("There is no such kind of service: choose one of %(types)s."))
TYPE_SWITCHED_OFF = conflict("operator_type_switched_off", N_(
    "This community has switched this kind of service off: it takes no new services or bookings of it."))
OPERATOR_NOT_APPROVABLE = conflict("operator_not_approvable", N_("This operator is approved already."))
OPERATOR_SCOPE = forbidden("operator_scope", N_("Only the operator's own staff or its community's staff can do this."))
OPERATOR_STAFF_ONLY = forbidden("operator_staff_only", N_("Only the operator's own staff can do this."))
UNKNOWN_SPACE = invalid("unknown_space", N_("Please choose one of the community's spaces."))
TERM_ENDS_BEFORE_START = invalid("term_ends_before_start", N_("The agreement must end after it starts."))
AGREEMENT_NOT_APPROVABLE = conflict("agreement_not_approvable", N_("This agreement is in force already."))
UNKNOWN_DONATION_RULE = invalid("unknown_donation_rule", N_(
    "There is no such kind of donation: choose one of %(kinds)s."))
OPERATOR_NOT_FOUND = not_found("operator_not_found", N_("We could not find operator %(operator_id)s."))
AGREEMENT_NOT_FOUND = not_found("agreement_not_found", N_("We could not find that agreement."))


def require_type_on(community: Community, type_key: str) -> None:
    """A new listing or booking of ``type_key`` only where the community has not switched that type off
    (``core.communities``)."""
    if type_key in (community.operator_types_off or ()):
        raise TYPE_SWITCHED_OFF()


def add_space(session: Session, actor: User, community: Community, name: str, kind: str,
              area_m2: int | None) -> Space:
    policy.require(actor, "community_staff", community_id=community.id)
    space = Space(community_id=community.id, name=name, kind=kind, area_m2=area_m2)
    session.add(space)
    session.flush()
    return space


def apply_operator(session: Session, actor: User, community: Community, name: str, type_key: str,
                   types: dict[str, OperatorType], contact_email: str | None = None) -> Operator:
    """An organisation applies to serve a community; the applicant becomes its staff."""
    policy.require_user(actor)
    if type_key not in types:
        raise UNKNOWN_TYPE(types=", ".join(sorted(types)), field="type")
    operator = Operator(community_id=community.id, name=name, type=type_key, status="pending",
                        contact_email=contact_email or actor.email)
    session.add(operator)
    session.flush()
    session.add(RoleGrant(user_id=actor.id, role="operator_staff", community_id=community.id, operator_id=operator.id))
    return operator


def approve_operator(session: Session, actor: User, operator: Operator) -> Operator:
    policy.require(actor, "community_staff", community_id=operator.community_id)
    if operator.status != "pending":  # a suspended one comes back through core.standing.reinstate, with a reason
        raise OPERATOR_NOT_APPROVABLE()
    operator.status = "active"
    return operator


def may_read_operator(user: User | None, operator: Operator) -> bool:
    """The operator's own staff, or the staff of its community."""
    return (policy.has_role(user, "community_staff", community_id=operator.community_id)
            or policy.has_role(user, "operator_staff", operator_id=operator.id))


def require_operator_scope(actor: User | None, operator: Operator) -> None:
    """The operator's own staff, or the staff of its community."""
    policy.require_user(actor)
    if not may_read_operator(actor, operator):
        raise OPERATOR_SCOPE()


def operator_of_type(session: Session, user: User | None, operator_id: int, type_key: str,
                     manage: bool = False) -> Operator:
    """The operator ``operator_id`` of type ``type_key``, if ``user`` may read its records (its staff, its community's
    staff) or, with ``manage``, change them (its own staff only). A plugin's guard for its pages and API."""
    policy.require(user, *(("operator_staff",) if manage else ("operator_staff", "community_staff")))
    operator = operator_or_404(session, operator_id, type_key)
    if not policy.has_role(user, "operator_staff", operator_id=operator.id):
        if manage:
            raise OPERATOR_STAFF_ONLY()
        require_operator_scope(user, operator)
    return operator


def create_agreement(session: Session, actor: User, operator: Operator, space_id: int, starts_on: dt.date,
                     ends_on: dt.date | None, donation: dict | None, operator_type: OperatorType) -> Agreement:
    """A space-for-service agreement; staff's own agreements are active at once, an operator's wait for approval."""
    require_operator_scope(actor, operator)
    space = session.get(Space, space_id)
    if space is None or space.community_id != operator.community_id:
        raise UNKNOWN_SPACE(field="space_id")
    if ends_on is not None and ends_on < starts_on:
        raise TERM_ENDS_BEFORE_START(field="ends_on")
    rule = validate_donation(donation or operator_type.default_donation)
    by_staff = policy.has_role(actor, "community_staff", community_id=operator.community_id)
    agreement = Agreement(operator_id=operator.id, space_id=space.id, starts_on=starts_on, ends_on=ends_on,
                          donation_kind=rule["kind"], donation_bps=rule.get("bps"),
                          donation_amount=rule.get("amount"), donation_period=rule.get("period"),
                          status="active" if by_staff else "pending")
    session.add(agreement)
    session.flush()
    return agreement


def agreement_of(session: Session, operator: Operator, agreement_id: int) -> Agreement:
    """The operator's agreement ``agreement_id`` (another operator's is a 404 too)."""
    agreement = session.get(Agreement, agreement_id)
    if agreement is None or agreement.operator_id != operator.id:
        raise AGREEMENT_NOT_FOUND()
    return agreement


def approve_agreement(session: Session, actor: User, operator: Operator, agreement: Agreement) -> Agreement:
    policy.require(actor, "community_staff", community_id=operator.community_id)
    if agreement.status != "pending":
        raise AGREEMENT_NOT_APPROVABLE()
    agreement.status = "active"
    return agreement


DONATION_PARAMETERS = {
    "percent_of_revenue": {"bps"},
    "percent_of_profit": {"bps"},
    "fixed_per_period": {"amount", "period"},
    "per_booking": {"amount"},
}


def validate_donation(rule: dict) -> dict:
    """A donation rule of one of the four kinds, with exactly the parameters its kind needs."""
    kind = rule.get("kind")
    if kind not in DONATION_PARAMETERS:
        raise UNKNOWN_DONATION_RULE(kinds=", ".join(DONATION_PARAMETERS), field="donation.kind")
    needed = DONATION_PARAMETERS[kind]
    missing = sorted(p for p in needed if rule.get(p) is None)
    extra = sorted(p for p in ("bps", "amount", "period") if p not in needed and rule.get(p) is not None)
    problems = ({p: [text(N_("This kind of donation needs it."))] for p in missing}
                | {p: [text(N_("This kind of donation does not use it."))] for p in extra})
    if rule.get("period") not in (None, "year", "month"):
        problems["period"] = [text(N_("Write year or month."))]
    if problems:
        raise VALIDATION_FAILED(errors={"donation": problems})
    return {"kind": kind, **{p: rule[p] for p in needed}}


def operator_or_404(session: Session, operator_id: int, type_key: str | None = None) -> Operator:
    """The operator ``operator_id`` (of type ``type_key``, when given)."""
    operator = session.get(Operator, operator_id)
    if operator is None or (type_key is not None and operator.type != type_key):
        raise OPERATOR_NOT_FOUND(operator_id=operator_id)
    return operator
