"""Hook implementations of the neighbourhood market fair."""
from pathlib import Path

from core import OperatorType, hookimpl
from core.demo import (
    demo_listing, demo_user, english, ensure_listing, ensure_operator, listing_slots, local_time, next_weekday,
)
from plugins.market_fair import KEY, pages, service
from plugins.market_fair.schemas import LOCAL_MERCHANT_AMOUNT, FairListingDetails, StallBookingDetails

ORGANISER = ("和平睦邻集市", "Heping Neighbourhood Fair")
FAIR = "睦邻集市"
DEMO_STALL = 12
DEMO_GIFT = {"donor": "和平水果店", "item": "集市抽奖用的橙子（箱）", "quantity": 12,  # a fruit shop's oranges
             "declared_value_amount": 36_000}
STALL_RULES = [
    {"name": "resident", "when": {"resident": True}, "tier": "free", "amount": 0},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 5000},
]


class MarketFair(OperatorType):
    """Numbered stalls at fairs on the plaza: one booking per stall, local merchants on the register pay less."""

    key = KEY
    label = "Neighbourhood market fair"
    description = "Fairs on the community plaza: stalls for residents' flea market and local merchants."
    listing_schema = FairListingDetails
    booking_schema = StallBookingDetails
    default_price_rules = STALL_RULES
    default_donation = {"kind": "percent_of_revenue", "bps": 500}  # noqa: RUF012

    def quote(self, session, ctx, resident, person, quantity, quote):
        return service.local_merchant_quote(session, ctx.listing, resident, quantity, quote)

    def validate_booking(self, session, ctx, resident, person, quantity, details):
        service.check_stall_number(ctx.listing, details)

    def booking_placed(self, session, booking, ctx):
        service.place_stall(session, booking, ctx)

    def booking_revived(self, session, booking, ctx, actor):
        service.place_stall_again(session, booking, ctx)

    def page_fragment(self, page, listing, slot, booking, user):
        return pages.fragment(page, listing, slot, booking)

    def operator_page_links(self, operator, user):
        return pages.links(operator, user)


@hookimpl
def register_operator_types():
    return [MarketFair()]


@hookimpl
def register_blueprints():
    from plugins.market_fair.views import blp

    return [blp, pages.bp]


@hookimpl
def register_migration_paths():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, ORGANISER[0], KEY, "fair", "plaza",
                               {"kind": "percent_of_revenue", "bps": 500}, english(name=ORGANISER[1]))
    saturday = next_weekday(today, 5)
    ensure_listing(session, operator, FAIR, "社区广场上的摊位，编号 1 到 40。",
                   STALL_RULES, [(local_time(community, saturday, 8), local_time(community, saturday, 12), 40)],
                   details={"stalls": 40, "local_merchant_amount": LOCAL_MERCHANT_AMOUNT},
                   translations=english(title="Neighbourhood fair",
                                        description="Stalls on the community plaza, numbered 1 to 40."))
    # Chen Jie (陈杰) sells noodles from her shop on Heping Road: a local merchant, as well as a resident
    service.ensure_vendor(session, operator, "adult@example.org", "陈记面馆", "local")


@hookimpl
def seed_demo_activity(session, community, today, book):
    """Huang Li's flea-market stall, two residents coming to look, and a shop's gift of fruit for the fund."""
    fair, staff = demo_listing(session, community, FAIR), demo_user(session, "fair")
    if fair is None or staff is None:
        return
    slot = listing_slots(session, fair)[0]
    neighbour, elder = demo_user(session, "neighbour"), demo_user(session, "elder95")
    if neighbour is not None:
        book(neighbour, slot, {"stall_number": DEMO_STALL})
    for visitor in (v for v in (neighbour, elder) if v is not None):
        service.register_visit(session, visitor, slot.id)
    service.ensure_gift(session, staff, slot.id, DEMO_GIFT, today)
