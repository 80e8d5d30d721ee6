"""Hook implementations of the housekeeping centre."""
from core import OperatorType, hookimpl
from core.demo import ensure_listing, ensure_operator, local_time, next_days, next_weekday
from plugins.housekeeping.schemas import HousekeepingBookingDetails, HousekeepingListingDetails

KEY = "housekeeping"
CLEANING_RULES = [
    {"name": "low_income", "when": {"attributes": ["low_income"]}, "tier": "low_cost", "amount": 6000},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 12000},
]
TRAINING_RULES = [{"name": "anyone", "when": {}, "tier": "free", "amount": 0}]


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
                   details={"service": "training", "duration_hours": 8})
