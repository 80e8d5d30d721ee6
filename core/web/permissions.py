"""What the reader may use: the pages ask before they offer a link or a button, so nobody is shown a door that
would refuse them ("您没有权限").

Templates call ``may("question", subject)``; each question is answered by the roles or the predicate the page it
leads to enforces, so the offer and the door cannot disagree. A visitor who is not logged in is offered what
logging in opens for a resident (the page asks them to log in; it never refuses them).
"""
from __future__ import annotations

from core import policy, residents
from core.models import Community, Operator, User
from core.request_session import session as db_session
from core.web.acting import acting_for
from core.web.common import web_user

AUDITORS = ("committee_member", "charity_officer")
"""Who reads the reconciliation and the ledger of a community's fund (the committee's pages check the same)."""


def may_book(user: User | None, operator: Operator) -> bool:
    """Book at this operator: a resident for themselves, or someone for the resident they act for now (the booking
    checks the same: operator staff act only at their own operator)."""
    resident = acting_for()
    if resident is not None:
        return residents.may_act_for(db_session(), user, resident.profile, operator)
    return user is None or policy.has_role(user, "resident")


def may_book_for_a_resident(user: User | None, operator: Operator) -> bool:
    """Choose a resident to book for at this operator (代办), when acting for nobody yet: the community's staff, the
    operator's own staff, or a family member the office linked to a resident there."""
    if user is None or acting_for() is not None or policy.has_role(user, "resident"):
        return False
    return (policy.has_role(user, "community_staff", community_id=operator.community_id)
            or policy.has_role(user, "operator_staff", operator_id=operator.id)
            or any(p.community_id == operator.community_id for p in residents.helped_by(db_session(), user)))


def may_audit_fund(user: User | None, community: Community) -> bool:
    """Read the fund's reconciliation and ledger: the committee and the charity officer, not the office."""
    return any(policy.has_role(user, role, community_id=community.id) for role in AUDITORS)


QUESTIONS = {"book": may_book, "book_for_a_resident": may_book_for_a_resident, "audit_fund": may_audit_fund}


def may(question: str, subject) -> bool:
    """Whether the logged-in reader (or a visitor) may use what ``question`` names about ``subject``."""
    return QUESTIONS[question](web_user(), subject)


def register_globals(app) -> None:
    app.jinja_env.globals["may"] = may
