"""Hook implementations of the community canteen."""
import datetime as dt
from pathlib import Path

from core import N_, OperatorType, hookimpl, invalid
from core.demo import (
    demo_listing, demo_user, english, ensure_daily, ensure_listing, ensure_operator, ensure_slot, local_time,
    next_days, slots_on,
)
from core.plugin_api import Operator, active_volunteers, assign_volunteer_task
from plugins.canteen import KEY, delivery_tasks, pages, service
from plugins.canteen.schemas import CanteenBookingDetails, CanteenListingDetails

DELIVERY_MIN_AGE = 90
DELIVERY_FOR_90_PLUS = invalid("home_delivery_for_90_plus", N_("Home delivery is for residents aged 90 and over."))
NO_HOME_ADDRESS = invalid("no_home_address", N_(
    "We have no home address for you: please ask the community office to add it."))
CANTEEN = ("和平社区食堂", "Heping Canteen")
LUNCH = "社区午餐"
LUNCH_IN_ENGLISH = english(title="Community lunch", description="Four dishes and a soup, cooked fresh every day.")
DEFAULT_RULES = [
    {"name": "age_90_plus", "when": {"min_age": 90}, "tier": "free", "amount": 0},
    {"name": "age_60_plus", "when": {"min_age": 60}, "tier": "low_cost", "amount": 500},
    {"name": "student", "when": {"attributes": ["student"]}, "tier": "low_cost", "amount": 800},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 1000},
]
VOLUNTEER_LUNCH = {"name": "volunteer_lunch", "when": {"volunteer_hours": 10}, "tier": "free", "amount": 0}
"""The demo lunch's reward, which the community defines: free for a volunteer with 10 hours, spending them."""
DEMO_MENUS = [  # (four dishes, soup), one a day in turn
    (["土豆烧肉", "清炒时蔬", "番茄炒蛋", "麻婆豆腐"], "紫菜蛋花汤"),
    (["清蒸鱼", "蒜蓉西兰花", "红烧茄子", "炒土豆丝"], "冬瓜汤"),
    (["香菇滑鸡", "清炒小白菜", "韭菜炒蛋", "凉拌黄瓜"], "玉米排骨汤"),
    (["青椒牛肉", "清炒菠菜", "家常豆腐", "醋溜白菜"], "番茄蛋汤"),
]


class Canteen(OperatorType):
    """Daily meals at tiered prices; residents aged 90 and over may have theirs brought home."""

    key = KEY
    label = "Community canteen"
    description = "Daily meals at tiered prices; residents aged 90+ eat free, delivered home."
    listing_schema = CanteenListingDetails
    booking_schema = CanteenBookingDetails
    default_price_rules = DEFAULT_RULES
    default_donation = {"kind": "percent_of_profit", "bps": 1000}  # noqa: RUF012
    everyday = True
    sells_several_places = True  # a family's lunches: the resident's own price for one, the price for everyone after

    def booking_questions(self, person, day):
        """Home delivery is ticked for a resident of 90 or more, and not offered to anyone else."""
        age = person.age_on(day) if person.resident else None
        return {"home_delivery": True if age is not None and age >= DELIVERY_MIN_AGE else None}

    def validate_booking(self, session, ctx, resident, person, quantity, details):
        if not details.get("home_delivery"):
            return
        age = person.age_on(ctx.day) if person.resident else None
        if age is None or age < DELIVERY_MIN_AGE:
            raise DELIVERY_FOR_90_PLUS(field="details.home_delivery")
        if not resident.profile.address:
            raise NO_HOME_ADDRESS(field="details.home_delivery")

    def booking_placed(self, session, booking, ctx):
        if booking.details.get("home_delivery"):
            service.record_delivery(session, booking)

    def booking_cancelled(self, session, booking, ctx, actor):
        delivery_tasks.booking_called_off(session, booking, ctx, actor)

    def page_fragment(self, page, listing, slot, booking, user):
        return pages.fragment(page, listing, slot, booking)

    def operator_page_links(self, operator, user):
        return pages.links(operator, user)


@hookimpl
def register_operator_types():
    return [Canteen()]


@hookimpl
def register_blueprints():
    from plugins.canteen.views import blp

    return [blp, pages.bp]


@hookimpl
def register_tasks():
    from plugins.canteen.jobs import TASKS

    return TASKS


@hookimpl
def register_migration_paths():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def seed_demo(session, community, today):
    operator = ensure_operator(session, community, CANTEEN[0], KEY, "canteen", "canteen",
                               {"kind": "percent_of_profit", "bps": 1000}, english(name=CANTEEN[1]))
    lunch = ensure_listing(session, operator, LUNCH, "四菜一汤，每天现做。", [VOLUNTEER_LUNCH, *DEFAULT_RULES],
                           details={"meal": "lunch", "dishes": 4, "soup": True}, translations=LUNCH_IN_ENGLISH)
    ensure_daily(session, lunch, today, dt.time(11, 30), dt.time(13), 100)
    service.ensure_menus(session, lunch, demo_user(session, "canteen"), DEMO_MENUS)


@hookimpl
def seed_demo_activity(session, community, today, book):
    """Sun Yeye (孙爷爷), 95, has the last lunch of the week brought home: he is on that day's delivery list, and its
    volunteer task is Huang Li's (黄丽), as are today's if there are any. Today's lunch is on too, so the counter has a
    meal to sell (from 08:30, three hours before it starts)."""
    lunch, elder = demo_listing(session, community, LUNCH), demo_user(session, "elder95")
    if lunch is not None and elder is not None:
        book(elder, slots_on(session, lunch, today + dt.timedelta(days=7))[0], {"home_delivery": True})
    if lunch is not None:
        ensure_slot(session, lunch, local_time(community, today, 11, 30), local_time(community, today, 13), 100)
        _seed_delivery_tasks(session, community, session.get(Operator, lunch.operator_id), today)


def _seed_delivery_tasks(session, community, operator, today):
    """The week's delivery tasks, given to the demo's delivering volunteer when she is one."""
    cook, courier = demo_user(session, "canteen"), demo_user(session, "neighbour")
    volunteers = {name: volunteer_id for volunteer_id, name in active_volunteers(session, community.id)}
    for day in (today, *next_days(today)):
        for task in delivery_tasks.make_tasks(session, operator, day, cook):
            if task.status == "open" and courier is not None and courier.name in volunteers:
                assign_volunteer_task(session, cook, task.id, volunteers[courier.name])
