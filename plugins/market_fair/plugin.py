"""Hook implementations of the neighbourhood market fair."""
from core import OperatorType, hookimpl
from core.demo import ensure_listing, ensure_operator, local_time, next_weekday
from plugins.market_fair.schemas import FairListingDetails, StallBookingDetails

KEY = "market_fair"
STALL_RULES = [
    {"name": "resident", "when": {"resident": True}, "tier": "free", "amount": 0},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 5000},
]


@hookimpl
def register_operator_types():
    return [OperatorType(
        key=KEY, label="Neighbourhood market fair",
        description="Fairs on the community plaza: stalls for residents' flea market and local merchants.",
        listing_schema=FairListingDetails, booking_schema=StallBookingDetails,
        default_price_rules=STALL_RULES,
        default_donation={"kind": "percent_of_revenue", "bps": 500},
        max_per_resident_per_slot=1,
    )]


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, "Heping Neighbourhood Fair", KEY, "fair", "plaza",
                               {"kind": "percent_of_revenue", "bps": 500})
    saturday = next_weekday(today, 5)
    ensure_listing(session, operator, "Neighbourhood fair", "Stalls on the community plaza, numbered 1 to 40.",
                   STALL_RULES, [(local_time(community, saturday, 8), local_time(community, saturday, 12), 40)],
                   details={"stalls": 40})
