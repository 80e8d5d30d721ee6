"""What a plugin may use of the core beyond ``core`` itself: one module, so the seam stays visible.

Models, the request's session and current user, role checks, and the services
that move money (costs, revenue, in-kind gifts). Plugins import from here (and
from ``core`` and ``core.demo``), never from the core's other modules.

For pages (a plugin's plain Flask blueprint whose templates extend
``layout.html``): ``page_blueprint`` (domain errors become a readable page, a
401 the login page), ``web_user`` (the user of the session cookie),
``attempt`` (run a service call and commit, or roll back and return the
error), ``submit_form`` (validate a posted form, then ``attempt``, putting the
service's field messages on the form), ``load_input`` (form input through the
API's marshmallow schema), ``amount_of`` (a decimal field in minor units),
``refuse_field`` (a form error on one field), ``field_errors``,
``flash_error``, ``headline`` and ``back_to`` (a 303 redirect), ``ActionForm``
(a button that only carries the CSRF token), ``Finite`` (a decimal field's
guard against "NaN" and "Infinity"), and ``money`` / ``to_minor_units`` to
show and read amounts as people write them.
"""
from core.api.common import DAY, ID, ApiBlueprint, PageArgs, current_user, page_schema, paginate
from core.booking import SlotContext, slot_context
from core.catalog import may_read_operator, operator_of_type, operator_or_404
from core.db import Base, MinorUnits, UTCDateTime, commit, utcnow
from core.donations import pledge as pledge_donation
from core.downloads import csv_download
from core.exports import safe_cell
from core.fund import may_record_in_kind, record_in_kind
from core.models import Booking, Community, InKindDonation, Listing, Operator, Slot, User
from core.payments.service import record_revenue
from core.policy import has_role, require, require_user
from core.request_session import session
from core.settlement import declare_cost, parse_period
from core.web.common import attempt, back_to, field_errors, flash_error, headline, page_blueprint, web_user
from core.web.forms import ActionForm, Finite
from core.web.i18n import money, to_minor_units
from core.web.plugin_pages import amount_of, load_input, refuse_field, submit_form


__all__ = [
    "ActionForm", "ApiBlueprint", "Base", "Booking", "Community", "DAY", "Finite", "ID", "InKindDonation", "Listing",
    "MinorUnits", "Operator", "PageArgs", "Slot", "SlotContext", "UTCDateTime", "User", "amount_of",
    "attempt", "back_to", "commit", "csv_download", "current_user", "declare_cost", "field_errors", "flash_error", "has_role",
    "headline", "load_input", "may_read_operator", "may_record_in_kind", "money", "operator_of_type",
    "operator_or_404", "page_blueprint", "page_schema", "paginate", "parse_period", "pledge_donation",
    "record_in_kind", "record_revenue", "refuse_field", "require", "require_user", "safe_cell", "session",
    "slot_context", "submit_form", "to_minor_units", "utcnow", "web_user",
]
