"""Every hook a Linli plugin can implement.

Naming follows datasette and pretix: ``register_*`` for things a plugin
contributes, past tense for events, ``validate_*`` for vetoes that raise a domain
error, and ``firstresult`` for "who handles this?" questions. Each hook has one
call site in the core.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("linli")


@hookspec
def register_operator_types():
    """Operator types this plugin provides.

    Return a list of :class:`core.OperatorType` (key, label, listing and booking
    details schemas, default price rules, default donation rule). Keys are unique
    across all plugins; a duplicate stops the app at start-up.
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


@hookspec(firstresult=True)
def quote_price(session, listing, slot, resident, person, quantity, quote):
    """Override the quote the price rules gave; return a new :class:`core.Quote` or None.

    ``resident`` is the user, ``person`` the :class:`core.Person` the rules saw,
    ``quote`` what the listing's rules decided; the first plugin returning a quote
    wins. Called for every quote and every booking.
    """


@hookspec
def validate_booking(session, listing, slot, resident, person, day, quantity, details):
    """Veto a booking before any place is taken: raise :class:`core.BookingRejected`.

    ``person`` is the :class:`core.Person` the price rules saw, ``day`` the slot's
    date in the community's time zone, ``details`` what passed the operator type's
    booking schema. Every plugin is called; each checks only its own type's listings.
    """


@hookspec
def booking_placed(session, booking, listing, slot):
    """A booking has its places and its row, inside the booking's own transaction.

    The place for a plugin's own bookkeeping that must succeed or fail with the
    booking: assign a worker or a stall, write the plugin's rows, add to
    ``booking.details`` (assign a new dict). Raise :class:`core.BookingRejected`
    (or :class:`core.Conflict`) to refuse the booking: nothing is kept.
    """


@hookspec
def booking_created(session, booking):
    """A booking was created (confirmed or holding places). Fires after commit."""


@hookspec
def booking_confirmed(session, booking):
    """A held booking was paid and confirmed. Fires after commit."""


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
    """A payment hold ran out and its places were released. Fires after commit."""


@hookspec(firstresult=True)
def compute_donation(operator, agreement, base):
    """Replace the donation computation for an operator type.

    ``base`` is a :class:`core.DonationBase` (revenue, costs, bookings of the
    period or of one payment). Return the donation amount in minor units (int), or
    None to let the agreement's rule decide.
    """


@hookspec
def page_fragment(page, listing, slot, booking, user):
    """HTML this plugin adds to a core page about a listing of its own type; return markup or None.

    ``page`` names the page: ``"service"`` (a listing and its times; ``slot`` and
    ``booking`` are None), ``"book"`` (booking ``slot``; ``booking`` is None) or
    ``"booking"`` (a resident's own ``booking`` of ``slot``). ``user`` is the
    logged-in user or None. The markup is inserted as it is, so render it from a
    template (which escapes). Called while the page renders; every plugin is
    called and each answers only for its own type's listings.
    """


@hookspec
def operator_page_links(operator, user):
    """Links to this plugin's pages about ``operator`` that ``user`` may open: a list of ``(label, url)``.

    Shown beside the operator's own tabs on the operator desk and under the
    operator in the community office. Each plugin answers only for its own type.
    """


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
    hooks) and returns the resident's live booking of that slot if there is one.
    Bookings are made by the demo's neighbours (``core.demo.NEIGHBOURS``), never
    by the spec's accounts. Must be idempotent: running it twice creates nothing new.
    """
