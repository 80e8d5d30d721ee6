"""Hook implementations of the housekeeping centre."""
from pathlib import Path

from core import OperatorType, hookimpl
from core.demo import ensure_listing, ensure_operator, local_time, next_days, next_weekday
from core.plugin_api import acting_user
from plugins.housekeeping import service
from plugins.housekeeping.schemas import HousekeepingBookingDetails, HousekeepingListingDetails
from plugins.housekeeping.views import blp

KEY = service.KEY
CLEANING_RULES = [
    {"name": "low_income", "when": {"attributes": ["low_income"]}, "tier": "low_cost", "amount": 6000},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 12000},
]
TRAINING_RULES = [{"name": "anyone", "when": {}, "tier": "free", "amount": 0}]
TRAINEE_ALLOWANCE = 1500 + 1000  # lunch and ¥10 travel, per trainee per day
DEMO_ROSTER = [("Liu Guifang", ["cleaning", "elderly_care"]), ("Sun Meili", ["cleaning"]),
               ("Zhou Xiuying", ["cleaning", "maternity_nanny"]), ("Wu Lanying", ["elderly_care", "maternity_nanny"])]


@hookimpl
def register_operator_types():
    return [OperatorType(
        key=KEY, label="Housekeeping centre",
        description="Home cleaning, elderly care and maternity nannies; free training for new workers.",
        listing_schema=HousekeepingListingDetails, booking_schema=HousekeepingBookingDetails,
        default_price_rules=CLEANING_RULES,
        default_donation={"kind": "percent_of_revenue", "bps": 1000},
    )]


@hookimpl
def register_blueprints():
    return [blp]


@hookimpl
def register_migration_paths():
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def booking_placed(session, booking, listing, slot):
    service.assign_worker(session, booking, listing, slot)


@hookimpl
def booking_confirmed(session, booking):
    service.keep_worker(session, booking)


@hookimpl
def booking_fulfilled(session, booking):
    # the hook names no actor: the cost is declared by the staff member whose check-in this is
    service.record_trainee_allowance(session, booking, acting_user())


@hookimpl(trylast=True)
def compute_donation(operator, agreement, base):
    return service.agency_fee_donation(agreement, base) if operator.type == KEY else None


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, "Heping Home Services", KEY, "housekeeping", "room",
                               {"kind": "percent_of_revenue", "bps": 1000})
    cleaning = []
    for day in next_days(today):
        cleaning.append((local_time(community, day, 9), local_time(community, day, 11), 3))
        cleaning.append((local_time(community, day, 14), local_time(community, day, 16), 3))
    ensure_listing(session, operator, "Home cleaning, 2 hours", "A trained cleaner comes to your home for two hours.",
                   CLEANING_RULES, cleaning, details={"service": "cleaning", "duration_hours": 2})
    monday = next_weekday(today, 0)
    ensure_listing(session, operator, "Maternity-nanny training course",
                   "Free training for residents who want to work as maternity nannies; lunch and travel paid.",
                   TRAINING_RULES, [(local_time(community, monday, 9), local_time(community, monday, 17), 20)],
                   details={"service": "training", "duration_hours": 8, "trainee_allowance_amount": TRAINEE_ALLOWANCE})
    service.ensure_workers(session, operator, DEMO_ROSTER)
