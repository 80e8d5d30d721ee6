"""Who may do what: role checks scoped to a community or an operator.

Every endpoint and page asks this module, so the rules live in one place. An
``admin`` grant passes everywhere; every other role counts only inside the
community (and, for operator staff, the operator) it was granted for.
"""
from __future__ import annotations

from core.errors import N_, forbidden, unauthorized
from core.models import User

LOGIN_REQUIRED = unauthorized("login_required", N_("Please log in first."))
ROLE_REQUIRED = forbidden("role_required", N_("Your account is not allowed to do this here."))


def has_role(user: User | None, role: str, community_id: int | None = None, operator_id: int | None = None) -> bool:
    if user is None:
        return False
    for grant in user.grants:
        if grant.role == "admin":
            return True
        if grant.role != role:
            continue
        if community_id is not None and grant.community_id != community_id:
            continue
        if operator_id is not None and grant.operator_id != operator_id:
            continue
        return True
    return False


def require_user(user: User | None) -> User:
    if user is None:
        raise LOGIN_REQUIRED()
    return user


def require(user: User | None, *roles: str, community_id: int | None = None, operator_id: int | None = None) -> User:
    """Pass if the user holds one of ``roles`` in that scope, else raise 401/403."""
    require_user(user)
    if any(has_role(user, role, community_id, operator_id) for role in roles):
        return user
    raise ROLE_REQUIRED()


def is_admin(user: User | None) -> bool:
    return user is not None and any(g.role == "admin" for g in user.grants)


def operator_ids(user: User) -> set[int]:
    return {g.operator_id for g in user.grants if g.role == "operator_staff" and g.operator_id}


def community_ids(user: User, *roles: str) -> set[int]:
    return {g.community_id for g in user.grants if g.role in roles and g.community_id}
