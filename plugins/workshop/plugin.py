"""Hook implementations of the co-prosperity workshop."""
import datetime as dt
from pathlib import Path

from core import OperatorType, hookimpl
from core.demo import (
    demo_listing, demo_user, english, ensure_daily, ensure_listing, ensure_operator, ensure_past_booking,
    listing_slots, local_time, slots_on,
)
from core.plugin_api import Operator
from plugins.workshop import KEY, pages, service
from plugins.workshop.schemas import WorkshopListingDetails

WORKSHOP = ("和平共富工坊", "Heping Co-prosperity Workshop")
SHIFTS = "手工缝制计件活"
SHIFT_RULES = [{"name": "anyone", "when": {}, "tier": "free", "amount": 0}]
DEMO_JOB = {"merchant": "杭州工艺品有限公司", "product": "刺绣手袋", "unit_rate_amount": 350,  # embroidered bags
            "merchant_price_amount": 900, "quantity": 2000}
# The week's history: who sewed how many bags in the two shifts before today (worker, [pieces per shift]).
DEMO_PIECES = [("sewer1", [120, 95]), ("sewer2", [80, 110])]


class Workshop(OperatorType):
    """Shifts of piece-work near home: residents book a shift, the staff record the pieces each worker made."""

    key = KEY
    label = "Co-prosperity workshop"
    description = "Piece-work near home in an idle warehouse; a merchant supplies materials and sells the product."
    listing_schema = WorkshopListingDetails
    default_price_rules = SHIFT_RULES
    default_donation = {"kind": "fixed_per_period", "amount": 5_000_000, "period": "year"}  # noqa: RUF012

    def page_fragment(self, page, listing, slot, booking, user):
        return pages.fragment(page, listing, slot)

    def operator_page_links(self, operator, user):
        return pages.links(operator, user)


@hookimpl
def register_operator_types():
    return [Workshop()]


@hookimpl
def register_blueprints():
    from plugins.workshop.views import blp

    return [blp, pages.bp]


@hookimpl
def register_migration_paths():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, WORKSHOP[0], KEY, "workshop", "warehouse",
                               {"kind": "fixed_per_period", "amount": 5_000_000, "period": "year"},
                               english(name=WORKSHOP[1]))
    shifts = ensure_listing(session, operator, SHIFTS, "每天一班，手工缝制，按件计酬。", SHIFT_RULES,
                            details={"product": DEMO_JOB["product"], "merchant": DEMO_JOB["merchant"]},
                            translations=english(title="Hand-sewing piece-work",
                                                 description="Daily shifts sewing by hand, paid per piece."))
    ensure_daily(session, shifts, today, dt.time(8, 30), dt.time(16, 30), 20)
    staff = demo_user(session, "workshop")
    service.ensure_job(session, operator, staff, {**DEMO_JOB, "due_on": today + dt.timedelta(days=30)})


@hookimpl
def seed_demo_activity(session, community, today, book):
    """Zhou Fang (周芳) signed up for the week's last shift; she and Wu Min sewed bags in the two shifts before today."""
    shifts, staff = demo_listing(session, community, SHIFTS), demo_user(session, "workshop")
    if shifts is None or staff is None:
        return
    operator = session.get(Operator, shifts.operator_id)
    job = service.ensure_job(session, operator, staff, {**DEMO_JOB, "due_on": today + dt.timedelta(days=30)})
    sewer = demo_user(session, "sewer1")
    if sewer is not None:
        book(sewer, slots_on(session, shifts, today + dt.timedelta(days=7))[0])
    _seed_past_shifts(session, community, operator, staff, job, today)


def _seed_past_shifts(session, community, operator, staff, job, today) -> None:
    """The two shifts before today, closed: the pieces each worker made, for the wage sheet."""
    days = [today - dt.timedelta(days=n) for n in (2, 1)]
    past = ensure_listing(session, operator, f"{SHIFTS}（已做完的班次）", f"已经做完的班次；新的班次请在“{SHIFTS}”下预约。",
                          SHIFT_RULES,
                          [(local_time(community, day, 8, 30), local_time(community, day, 16, 30), 20) for day in days],
                          details={"product": DEMO_JOB["product"], "merchant": DEMO_JOB["merchant"]},
                          translations=english(title="Hand-sewing piece-work (past shifts)", description=(
                              "Shifts already worked; new shifts are booked under “Hand-sewing piece-work”.")))
    past.is_active = False  # nothing left to book: it stays off the list of services
    for local, pieces in DEMO_PIECES:
        worker = demo_user(session, local)
        if worker is None:
            continue
        for slot, count in zip(listing_slots(session, past), pieces):
            service.ensure_pieces(session, staff, job, ensure_past_booking(session, worker, slot), count)
