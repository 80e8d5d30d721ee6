"""Hook implementations of the co-prosperity workshop."""
from core import OperatorType, hookimpl
from core.demo import ensure_listing, ensure_operator, local_time, next_days
from plugins.workshop.schemas import WorkshopListingDetails

KEY = "workshop"
SHIFT_RULES = [{"name": "anyone", "when": {}, "tier": "free", "amount": 0}]


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
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, "Heping Co-prosperity Workshop", KEY, "workshop", "warehouse",
                               {"kind": "fixed_per_period", "amount": 5_000_000, "period": "year"})
    ensure_listing(session, operator, "Hand-sewing piece-work", "Daily shifts sewing by hand, paid per piece.",
                   SHIFT_RULES,
                   [(local_time(community, day, 8, 30), local_time(community, day, 16, 30), 20)
                    for day in next_days(today)],
                   details={"product": "Embroidered bags", "merchant": "Hangzhou Crafts Co."})
