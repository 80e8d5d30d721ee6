"""The day's home deliveries as volunteer tasks ("每天有10多名志愿者义务为老人送餐到家里"): one door, one task.

A volunteer carries the meals of one home: the bookings of a day whose meals go to the same address make one task
(kind ``delivery``) of the canteen, offered to the time bank under a key of the canteen, the day and the address, so
the morning job and the staff's button may make them as often as they like. The address and who lives there are the
task's ``details``, read only by its volunteer and those who manage it; the title names the canteen and the meal.
A home whose every booking of the day is cancelled before the meals go has its task called off.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from core.plugin_api import (
    Booking, Listing, Operator, Slot, User, offer_volunteer_task, volunteer_tasks_offered, withdraw_volunteer_task,
)
from plugins.canteen.models import CanteenDelivery
from plugins.canteen.service import deliveries_of_day, zone_of

HOURS_PER_DELIVERY = "0.5"
"""The hours a volunteer is credited for taking one home its meals (half an hour: there, hand over, back)."""


@dataclass
class Home:
    """One door's meals of a day: where, who, how many, from when, of which meal."""

    address: str
    starts_at: dt.datetime
    meal: str
    names: list[str] = field(default_factory=list)
    meals: int = 0

    @property
    def details(self) -> str:
        return f"{self.address}\n{'、'.join(self.names)} × {self.meals}"


def task_key(operator: Operator, day: dt.date, address: str) -> str:
    """The time bank's key of a home's task: the canteen, the day, the address (hashed: keys are no place for it)."""
    digest = hashlib.sha256(address.encode()).hexdigest()[:24]
    return f"canteen.delivery:{operator.id}:{day.isoformat()}:{digest}"


def homes_of_day(session, operator: Operator, day: dt.date) -> dict[str, Home]:
    """The homes the canteen's meals go to on ``day``, by address, the earliest meal first."""
    rows = session.execute(deliveries_of_day(
        select(CanteenDelivery.address, Slot.starts_at, Listing.title, User.name, Booking.quantity),
        operator, zone_of(session, operator.community_id), day)
        .join(Listing, Listing.id == Slot.listing_id).order_by(Slot.starts_at, Booking.id)).all()
    homes: dict[str, Home] = {}
    for address, starts_at, meal, name, quantity in rows:
        home = homes.setdefault(address.strip(), Home(address.strip(), starts_at, meal))
        if name not in home.names:
            home.names.append(name)
        home.meals += quantity
    return homes


def offer_home(session, operator: Operator, day: dt.date, home: Home, by: User | None = None):
    return offer_volunteer_task(
        session, community_id=operator.community_id, operator_id=operator.id, kind="delivery",
        title=f"{operator.name} · {home.meal}", starts_at=home.starts_at, hours=HOURS_PER_DELIVERY,
        key=task_key(operator, day, home.address), details=home.details, by=by)


def make_tasks(session, operator: Operator, day: dt.date, by: User | None = None) -> list:
    """Each home of the day has its task (made once, its details brought up to date); the tasks, in order."""
    return [offer_home(session, operator, day, home, by) for home in homes_of_day(session, operator, day).values()]


def tasks_of_day(session, operator: Operator, day: dt.date) -> list[tuple[Home, object | None]]:
    """Each home of the day with its task, or None before the tasks are made."""
    homes = homes_of_day(session, operator, day)
    tasks = volunteer_tasks_offered(session, [task_key(operator, day, address) for address in homes])
    return [(home, tasks.get(task_key(operator, day, address))) for address, home in homes.items()]


def booking_called_off(session, booking: Booking, ctx, actor: User | None) -> None:
    """A delivered booking was cancelled: its home's task keeps the other bookings of the day, or is called off."""
    address = session.scalar(select(CanteenDelivery.address).where(CanteenDelivery.booking_id == booking.id))
    if address is None:
        return
    day = ctx.slot.starts_at.astimezone(zone_of(session, ctx.operator.community_id)).date()
    key = task_key(ctx.operator, day, address.strip())
    if key not in volunteer_tasks_offered(session, [key]):
        return
    home = homes_of_day(session, ctx.operator, day).get(address.strip())
    if home is None:
        withdraw_volunteer_task(session, key, by=actor)
    else:
        offer_home(session, ctx.operator, day, home, actor)

