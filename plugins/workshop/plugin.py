"""Hook implementations of the co-prosperity workshop."""
import datetime as dt
from pathlib import Path

from core import OperatorType, hookimpl
from core.demo import ensure_listing, ensure_operator, ensure_user, local_time, next_days
from plugins.workshop import KEY, service
from plugins.workshop.schemas import WorkshopListingDetails

SHIFT_RULES = [{"name": "anyone", "when": {}, "tier": "free", "amount": 0}]
DEMO_JOB = {"merchant": "Hangzhou Crafts Co.", "product": "Embroidered bags", "unit_rate_amount": 350,
            "merchant_price_amount": 900, "quantity": 2000}


@hookimpl
def register_operator_types():
    return [OperatorType(
        key=KEY, label="Co-prosperity workshop",
        description="Piece-work near home in an idle warehouse; a merchant supplies materials and sells the product.",
        listing_schema=WorkshopListingDetails,
        default_price_rules=SHIFT_RULES,
        default_donation={"kind": "fixed_per_period", "amount": 5_000_000, "period": "year"},
        max_per_resident_per_slot=1,
    )]


@hookimpl
def register_blueprints():
    from plugins.workshop.views import blp

    return [blp]


@hookimpl
def register_migration_paths():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, "Heping Co-prosperity Workshop", KEY, "workshop", "warehouse",
                               {"kind": "fixed_per_period", "amount": 5_000_000, "period": "year"})
    ensure_listing(session, operator, "Hand-sewing piece-work", "Daily shifts sewing by hand, paid per piece.",
                   SHIFT_RULES,
                   [(local_time(community, day, 8, 30), local_time(community, day, 16, 30), 20)
                    for day in next_days(today)],
                   details={"product": DEMO_JOB["product"], "merchant": DEMO_JOB["merchant"]})
    staff = ensure_user(session, "workshop", "Heping Co-prosperity Workshop staff", "operator_staff", community.id,
                        operator.id)
    service.ensure_job(session, operator, staff, {**DEMO_JOB, "due_on": today + dt.timedelta(days=30)})
