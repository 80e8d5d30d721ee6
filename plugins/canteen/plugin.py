"""Hook implementations of the community canteen."""
from core import BookingRejected, OperatorType, hookimpl
from core.demo import ensure_listing, ensure_operator, local_time, next_days
from plugins.canteen.schemas import CanteenBookingDetails, CanteenListingDetails

KEY = "canteen"
DELIVERY_MIN_AGE = 90
DEFAULT_RULES = [
    {"name": "age_90_plus", "when": {"min_age": 90}, "tier": "free", "amount": 0},
    {"name": "age_60_plus", "when": {"min_age": 60}, "tier": "low_cost", "amount": 500},
    {"name": "student", "when": {"attributes": ["student"]}, "tier": "low_cost", "amount": 800},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 1000},
]


@hookimpl
def register_operator_types():
    return [OperatorType(
        key=KEY, label="Community canteen",
        description="Daily meals at tiered prices; residents aged 90+ eat free, delivered home.",
        listing_schema=CanteenListingDetails, booking_schema=CanteenBookingDetails,
        default_price_rules=DEFAULT_RULES,
        default_donation={"kind": "percent_of_profit", "bps": 1000},
    )]


@hookimpl
def validate_booking(listing, person, day, details):
    if listing.type != KEY or not details.get("home_delivery"):
        return
    age = person.age_on(day) if person.resident else None
    if age is None or age < DELIVERY_MIN_AGE:
        raise BookingRejected("home delivery is for residents aged 90 and over",
                              {"details": {"home_delivery": ["only residents aged 90+ may choose home delivery"]}})


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, "Heping Canteen", KEY, "canteen", "canteen",
                               {"kind": "percent_of_profit", "bps": 1000})
    ensure_listing(session, operator, "Community lunch", "Four dishes and a soup, cooked fresh every day.",
                   DEFAULT_RULES,
                   [(local_time(community, day, 11, 30), local_time(community, day, 13), 100) for day in next_days(today)],
                   details={"meal": "lunch", "dishes": 4, "soup": True})
