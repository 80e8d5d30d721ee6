"""Every hook a Linli plugin can implement.

Hooks are for what concerns every plugin: contributions (``register_*``, as
datasette and pretix name them) and events (past tense) that any plugin may
follow. What one operator type does with its own listings and bookings is not a
hook but a method of its :class:`core.OperatorType`, asked only for that type's
listings. Each hook has one call site in the core.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("linli")


@hookspec
def register_operator_types():
    """Operator types this plugin provides.

    Return a list of :class:`core.OperatorType` instances (usually of the plugin's
    own subclass: key, label, details schemas, defaults, and the type's behaviour).
    Keys are unique across all plugins; a duplicate stops the app at start-up.
    """


@hookspec
def register_blueprints():
    """Flask blueprints (pages or API) this plugin adds. Return a list of blueprints."""


@hookspec
def register_cli_commands():
    """Click commands this plugin adds to ``linli``. Return a list of commands."""


@hookspec
def register_migration_paths():
    """Folders of this plugin's own Alembic branch, for its own tables. Return a list of paths."""


@hookspec
def register_payment_providers():
    """Payment providers this plugin adds (e.g. a direct WeChat Pay integration).

    Return a list of :class:`core.payments.PaymentProvider`; keys are unique.
    """


@hookspec
def register_tasks():
    """Background work this plugin adds: a list of :class:`core.plugin_api.Task` (a task its code enqueues with
    ``enqueue``, or, with a ``schedule``, a periodic job the scheduler runs). Names are unique."""


@hookspec
def register_sms_providers():
    """SMS providers this plugin adds (e.g. Aliyun or Tencent Cloud SMS).

    Return a list of :class:`core.sms.SmsProvider`; keys are unique. ``LINLI_SMS_PROVIDER`` names the one used.
    """


@hookspec
def booking_created(session, booking):
    """A booking was created (confirmed or holding places). Fires after commit."""


@hookspec
def booking_confirmed(session, booking):
    """A booking was confirmed: booked free or with cash, or paid online (also after its hold ran out, when its
    places and its type's arrangements could be had again). Fires after commit."""


@hookspec
def booking_cancelled(session, booking):
    """A booking was cancelled by its resident. Fires after commit."""


@hookspec
def booking_fulfilled(session, booking):
    """A booking was checked in. Fires after commit."""


@hookspec
def booking_no_show(session, booking):
    """A booking was marked as a no-show. Fires after commit."""


@hookspec
def booking_expired(session, booking):
    """A payment hold ran out, or its payment failed, and its places were released. Fires after commit."""


@hookspec
def seed_demo(session, community, today):
    """Add this plugin's part of the demo data (its operator, listings, slots).

    Must be idempotent: running it twice creates nothing new.
    """


@hookspec
def seed_demo_activity(session, community, today, book):
    """Show this plugin's type in action in the demo: bookings and records of its own, after ``seed_demo``.

    Run by ``linli demo`` (and ``linli seed-demo --activity``), never by plain
    seeding, so the demo data of the spec stays untouched for those who test
    against it. ``book(resident, slot, details=None, payment_method=None)`` books
    one place through the booking engine (priced, validated, placed by the
    operator type) and returns the resident's live booking of that slot if there is one.
    Bookings are made by the demo's neighbours (``core.demo.NEIGHBOURS``), never
    by the spec's accounts. Must be idempotent: running it twice creates nothing new.
    """
