"""What a plugin may use of the core beyond ``core`` itself: one module, so the seam stays visible.

Models, the request's session and current user, role checks, and the services
that move money (costs, revenue, in-kind gifts). Plugins import from here (and
from ``core`` and ``core.demo``), never from the core's other modules.
"""
from core.api.common import DAY, ID, PageArgs, current_user, page_schema, paginate
from core.booking import slot_context
from core.db import Base, MinorUnits, UTCDateTime, commit, session, utcnow
from core.donations import pledge as pledge_donation
from core.exports import safe_cell
from core.fund import record_in_kind
from core.models import Booking, Community, Listing, Operator, Slot, User
from core.payments.service import record_revenue
from core.policy import has_role, require, require_user
from core.settlement import declare_cost, parse_period


def acting_user() -> User | None:
    """Who acts in this request: the API's bearer-token user, else the user logged in to the pages.

    A hook fired by an action names no actor; a plugin that must record who did it
    (e.g. a cost it declares) asks here, and gets the same answer from either door.
    """
    from core.web.common import web_user

    return current_user() or web_user()


__all__ = [
    "acting_user", "Base", "Booking", "Community", "DAY", "ID", "Listing", "MinorUnits", "Operator", "PageArgs",
    "Slot", "UTCDateTime", "User", "commit", "current_user", "declare_cost", "has_role", "page_schema", "paginate",
    "parse_period", "pledge_donation", "record_in_kind", "record_revenue", "require", "require_user", "safe_cell",
    "session", "slot_context", "utcnow",
]
