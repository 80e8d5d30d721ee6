"""Hook implementations of the housekeeping centre."""
import datetime as dt
from pathlib import Path

from core import OperatorType, hookimpl
from core.demo import (
    demo_listing, demo_user, english, ensure_daily, ensure_listing, ensure_operator, local_time, next_weekday, slots_on,
)
from plugins.housekeeping import KEY, pages, service
from plugins.housekeeping.schemas import HousekeepingBookingDetails, HousekeepingListingDetails

CENTRE = ("和平家政服务中心", "Heping Home Services")
CLEANING = "居家保洁（2小时）"
CLEANING_RULES = [
    {"name": "low_income", "when": {"attributes": ["low_income"]}, "tier": "low_cost", "amount": 6000},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 12000},
]
TRAINING_RULES = [{"name": "anyone", "when": {}, "tier": "free", "amount": 0}]
# A placement's price is the worker's fee plus the centre's agency fee; only the agency fee is shared with the fund.
CARE_VISIT = {"worker_fee": 6000, "agency_fee": 2000}  # ¥60 to the carer, ¥20 to the centre
NANNY_PACKAGE = {"worker_fee": 1_500_000, "agency_fee": 300_000, "days": 26}  # ¥15,000 to the nanny, ¥3,000 fee
CARE_RULES = [
    {"name": "low_income", "when": {"attributes": ["low_income"]}, "tier": "low_cost",
     "amount": CARE_VISIT["worker_fee"] // 2 + CARE_VISIT["agency_fee"]},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": CARE_VISIT["worker_fee"] + CARE_VISIT["agency_fee"]},
]
NANNY_RULES = [{"name": "anyone", "when": {}, "tier": "paid",
                "amount": NANNY_PACKAGE["worker_fee"] + NANNY_PACKAGE["agency_fee"]}]
TRAINEE_ALLOWANCE = 1500 + 1000  # lunch and ¥10 travel, per trainee per day
DEMO_ROSTER = [("刘桂芳", ["cleaning", "elderly_care"]), ("孙美丽", ["cleaning"]),  # Liu Guifang, Sun Meili
               ("周秀英", ["cleaning", "maternity_nanny"]), ("吴兰英", ["elderly_care", "maternity_nanny"])]


class Housekeeping(OperatorType):
    """Visits by trained workers: one free worker with the skill is sent to each, and only the agency fee is shared."""

    key = KEY
    label = "Housekeeping centre"
    description = "Home cleaning, elderly care and maternity nannies; free training for new workers."
    listing_schema = HousekeepingListingDetails
    booking_schema = HousekeepingBookingDetails
    default_price_rules = CLEANING_RULES
    default_donation = {"kind": "percent_of_revenue", "bps": 1000}  # noqa: RUF012
    served_at_home = True

    def booking_placed(self, session, booking, ctx):
        service.assign_worker(session, booking, ctx)

    def booking_fulfilled(self, session, booking, ctx, actor):
        service.record_trainee_allowance(session, booking, ctx, actor)

    def donation(self, agreement, base):
        return service.agency_fee_donation(agreement, base)

    def page_fragment(self, page, listing, slot, booking, user):
        return pages.fragment(page, listing, booking)

    def operator_page_links(self, operator, user):
        return pages.links(operator, user)


@hookimpl
def register_operator_types():
    return [Housekeeping()]


@hookimpl
def register_blueprints():
    from plugins.housekeeping.views import blp

    return [blp, pages.bp]


@hookimpl
def register_migration_paths():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, CENTRE[0], KEY, "housekeeping", "room",
                               {"kind": "percent_of_revenue", "bps": 1000}, english(name=CENTRE[1]))
    cleaning = ensure_listing(session, operator, CLEANING, "受过培训的保洁员上门打扫两小时。", CLEANING_RULES,
                              details={"service": "cleaning", "duration_hours": 2},
                              translations=english(title="Home cleaning, 2 hours",
                                                   description="A trained cleaner comes to your home for two hours."))
    ensure_daily(session, cleaning, today, dt.time(9), dt.time(11), 3)
    ensure_daily(session, cleaning, today, dt.time(14), dt.time(16), 3)
    monday = next_weekday(today, 0)
    ensure_listing(session, operator, "月嫂培训班", "为想做月嫂的居民免费培训，管午饭，报销路费。",
                   TRAINING_RULES, [(local_time(community, monday, 9), local_time(community, monday, 17), 20)],
                   details={"service": "training", "duration_hours": 8, "trainee_allowance_amount": TRAINEE_ALLOWANCE},
                   translations=english(title="Maternity-nanny training course", description=(
                       "Free training for residents who want to work as maternity nannies; lunch and travel paid.")))
    _seed_placements(session, community, operator, today)
    service.ensure_workers(session, operator, DEMO_ROSTER)


@hookimpl
def seed_demo_activity(session, community, today, book):
    """Huang Li's (黄丽) cleaning at the end of the week, with the worker the centre sends her."""
    cleaning, neighbour = demo_listing(session, community, CLEANING), demo_user(session, "neighbour")
    if cleaning is not None and neighbour is not None:
        book(neighbour, slots_on(session, cleaning, today + dt.timedelta(days=7))[-1],
             {"address": neighbour.profile.address}, payment_method="cash")


def _seed_placements(session, community, operator, today) -> None:
    """The catalogue beyond cleaning: care visits and the 26-day nanny package, priced worker fee + agency fee."""
    care = ensure_listing(session, operator, "助老上门服务", "受过培训的护理员上门两小时：陪伴、做饭、洗漱、散步。",
                          CARE_RULES, details={"service": "elderly_care", "duration_hours": 2,
                                               "agency_fee_amount": CARE_VISIT["agency_fee"]},
                          translations=english(title="Elderly care visit", description=(
                              "A trained carer visits for two hours: company, a meal, a wash, a walk.")))
    ensure_daily(session, care, today, dt.time(10), dt.time(12), 2)
    start = next_weekday(today, 0) + dt.timedelta(days=7)
    days = NANNY_PACKAGE["days"]
    ensure_listing(session, operator, f"月嫂套餐（{days}天）", f"受过培训的月嫂在产后住家照顾 {days} 天。", NANNY_RULES,
                   [(local_time(community, start, 8), local_time(community, start + dt.timedelta(days=days - 1), 20),
                     2)],
                   details={"service": "maternity_nanny", "duration_hours": days * 24,
                            "agency_fee_amount": NANNY_PACKAGE["agency_fee"]},
                   translations=english(title=f"Maternity-nanny package, {days} days", description=(
                       f"A trained maternity nanny lives in for {days} days after the birth.")))
