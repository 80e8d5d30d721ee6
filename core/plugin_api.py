"""Everything a plugin may use of the core beyond ``core`` itself: one module, so the seam stays visible.

Plugins import from here, from ``core`` (``hookimpl``, ``OperatorType``, the error
declarations ``conflict``/``invalid``/… and ``N_``) and from ``core.demo``, never
from the core's other modules. A third-party plugin is written against these names.

- **Data**: the models a plugin reads (``Booking``, ``Slot``, ``Listing`` …),
  ``Base``, ``MinorUnits`` and ``UTCDateTime`` for its own tables, ``utcnow``.
- **The request**: ``session`` (the request's database session) and ``commit``,
  ``current_user`` (the API's bearer-token user), ``web_user`` (the pages').
- **Who may**: ``has_role``, ``require``, ``require_user``; ``operator_of_type``
  (an operator of the plugin's type that the user may read, or manage),
  ``operator_or_404``, ``may_read_operator``; ``may_record_in_kind`` and
  ``require_in_kind_recorder``.
- **Bookings**: ``SlotContext`` and ``slot_context`` (a slot with its listing,
  operator and community).
- **Money**: ``record_revenue`` (revenue outside bookings), ``declare_cost``,
  ``pledge_donation``, ``record_in_kind``, ``parse_period``.
- **Payment providers**: subclass ``PaymentProvider``: ``start`` returns a
  ``PaymentStart`` (``action`` ``qr`` with a ``code_url``, ``redirect`` with a
  ``redirect_url``, or ``client``); ``cancel`` closes, ``query`` asks, ``refund``
  returns; ``parse_notification`` verifies what arrives at
  ``/api/v1/payments/<key>/notify`` and says what it means as a ``Notification``
  (``RefundNotice``, ``ShareResult``), answered with ``reply``/``refusal`` in the
  provider's own format (``Reply``) — the core deduplicates it and applies it;
  ``splits_share`` providers split the fund's share after payment
  (``split_share``/``share_state``, run and retried by a job); ``statement``
  gives the provider's day as ``StatementLine``s for reconciliation. Amounts are
  minor units: ``major_units``/``minor_units`` convert the providers' decimal
  strings exactly. Raise ``PROVIDER_UNAVAILABLE``, ``BAD_SIGNATURE`` or
  ``PAYMENT_DECLINED``.
- **SMS providers**: subclass ``SmsProvider`` (``is_configured(config)``, ``send(Sms, config)`` returning the
  gateway's message id, raising ``SmsNotSent`` when the text can never go and anything else on a failure worth
  retrying); register it with ``register_sms_providers``.
- **Background work**: ``Task(name, run, schedule=None)`` registered with ``register_tasks`` (``run(job:
  JobContext, **payload)``; a ``schedule`` makes it periodic), ``enqueue(session, name, **payload)`` writes one in
  the caller's transaction, run after the commit (retried with backoff; it must be idempotent).
  ``notify(session, user_id, kind, title, body, key=, link=)`` tells someone (inbox, and email or text as they
  chose; a ``key`` tells them once) in messages (``Message``) said in their language; ``people_with_role(session,
  role, community_id=…, operator_id=…)`` is whom to tell.
- **Volunteer tasks** (the time bank, ``core.time_bank``): ``offer_volunteer_task(session, community_id=,
  operator_id=, kind=, title=, starts_at=, hours=, key=, details="", by=None)`` offers a task under the plugin's own
  ``key`` (unique; offering it again returns the same task, its ``details`` brought up to date, opened again if it
  was called off); ``details`` (an address, say) is read only by the task's volunteer and those who manage it.
  ``withdraw_volunteer_task(session, key, by=None)`` calls off such a task not done yet (its volunteer is told);
  ``volunteer_tasks_offered(session, keys)`` finds them by key; ``assign_volunteer_task(session, user, task_id,
  volunteer_id)`` gives one to a volunteer and ``confirm_volunteer_task(session, user, task_id)`` credits its hours
  once it is done (the community's or the task's operator's staff);
  ``active_volunteers(session, community_id)`` lists whom, as ``(id, name)``.
- **Errors shared with the core**: ``BOOKING_NOT_FOUND``, ``UNKNOWN_USER``,
  ``NO_ACCOUNT``, ``VALIDATION_FAILED``.
- **The API**: ``ApiBlueprint`` (joins the OpenAPI document under /api/v1),
  ``public`` (an operation anyone may call), ``PageArgs``, ``page_schema``,
  ``paginate``, validators ``ID``, ``DAY``, ``MONTH``, ``NOT_BLANK``.
- **Pages** (a plain Flask blueprint whose templates extend ``layout.html``):
  ``page_blueprint`` (domain errors become a readable page, a 401 the login
  page), ``attempt`` (run a service call and commit, or roll back and return the
  error), ``submit_form`` (validate a posted form, then ``attempt``, putting the
  service's field messages on the form), ``load_input`` (form input through the
  API's marshmallow schema), ``amount_of`` (a decimal field in minor units),
  ``refuse_field``, ``field_errors``, ``flash_error``, ``headline``, ``back_to``
  (a 303 redirect), ``ActionForm`` (a button that only carries the CSRF token),
  ``Finite``, ``money`` / ``to_minor_units`` and ``say`` (a message in the reader's
  language).
- **Files**: ``csv_download(Table(columns, rows, currency), filename)``: for people by
  default (``Column`` labels and ``Shown`` words in the reader's language, amounts of
  ``amount`` columns as 1,250.00 beside a currency column, a byte-order mark for Excel),
  for tools with ``?raw=1`` (the columns' English names, minor units, codes, no mark);
  ``RAW`` declares that query parameter in an API schema; formulas are guarded
  (``safe_cell``).
"""
from flask import current_app

from core.accounts import NO_ACCOUNT, UNKNOWN_USER
from core.api.common import (
    DAY, ID, MONTH, NOT_BLANK, RAW, ApiBlueprint, PageArgs, current_user, page_schema, paginate, public,
)
from core.booking import BOOKING_NOT_FOUND, SlotContext, slot_context
from core.catalog import may_read_operator, operator_of_type, operator_or_404
from core.db import Base, MinorUnits, UTCDateTime, commit, utcnow
from core.donations import pledge as pledge_donation
from core.downloads import csv_download
from core.errors import VALIDATION_FAILED, Message
from core.exports import Column, Shown, Table, safe_cell
from core.fund import may_record_in_kind, record_in_kind, require_in_kind_recorder
from core.models import Booking, Community, InKindDonation, Listing, Operator, Payment, Slot, User
from core.money import major_units, minor_units
from core.payments import PaymentProvider, PaymentStart
from core.payments.base import (
    BAD_SIGNATURE, PAYMENT_DECLINED, PROVIDER_UNAVAILABLE, Notification, RefundNotice, Reply, ShareResult,
    StatementLine,
)
from core.payments.service import BookingPayments, payment_by_reference, record_refund, record_revenue
from core.policy import has_role, require, require_user
from core.request_session import session
from core.settlement import declare_cost, parse_period
from core.notices import people_with_role
from core.notifications import notify
from core.outbox import enqueue
from core.sms import Sms, SmsNotSent, SmsProvider
from core.tasks import JobContext, Task
from core.time_bank import active_volunteers
from core.time_bank import assign as assign_volunteer_task
from core.time_bank import confirm as confirm_volunteer_task
from core.time_bank import offer as offer_volunteer_task
from core.time_bank import offered as volunteer_tasks_offered
from core.time_bank import withdraw as withdraw_volunteer_task
from core.web.common import attempt, back_to, field_errors, flash_error, headline, page_blueprint, web_user
from core.web.forms import ActionForm, Finite
from core.web.i18n import money, say, to_minor_units
from core.web.plugin_pages import amount_of, load_input, refuse_field, submit_form


def booking_payments() -> BookingPayments:
    """The money side of this app's bookings, to tell when a provider reports a payment's fate."""
    return current_app.extensions["linli"].payments


__all__ = [
    # data
    "Base", "Booking", "Community", "InKindDonation", "Listing", "MinorUnits", "Operator", "Payment", "Slot",
    "UTCDateTime", "User", "utcnow",
    # the request
    "commit", "current_user", "session", "web_user",
    # who may
    "has_role", "may_read_operator", "may_record_in_kind", "operator_of_type", "operator_or_404", "require",
    "require_in_kind_recorder", "require_user",
    # bookings and money
    "SlotContext", "declare_cost", "parse_period", "pledge_donation", "record_in_kind", "record_revenue",
    "slot_context",
    # payment providers
    "BAD_SIGNATURE", "Notification", "PAYMENT_DECLINED", "PROVIDER_UNAVAILABLE", "PaymentProvider", "PaymentStart",
    "RefundNotice", "Reply", "ShareResult", "StatementLine", "booking_payments", "major_units", "minor_units",
    "payment_by_reference", "record_refund",
    # SMS providers
    "Sms", "SmsNotSent", "SmsProvider",
    # background work and notifications
    "JobContext", "Message", "Task", "enqueue", "notify", "people_with_role",
    # volunteer tasks
    "active_volunteers", "assign_volunteer_task", "confirm_volunteer_task", "offer_volunteer_task",
    "volunteer_tasks_offered", "withdraw_volunteer_task",
    # errors shared with the core
    "BOOKING_NOT_FOUND", "NO_ACCOUNT", "UNKNOWN_USER", "VALIDATION_FAILED",
    # the API
    "ApiBlueprint", "DAY", "ID", "MONTH", "NOT_BLANK", "PageArgs", "RAW", "page_schema", "paginate", "public",
    # pages
    "ActionForm", "Finite", "amount_of", "attempt", "back_to", "field_errors", "flash_error", "headline",
    "load_input", "money", "page_blueprint", "refuse_field", "say", "submit_form", "to_minor_units",
    # files
    "Column", "Shown", "Table", "csv_download", "safe_cell",
]
