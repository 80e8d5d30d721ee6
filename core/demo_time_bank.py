"""The demo's time bank: three neighbours who volunteer, and the past weeks of what they did for their community.

Huang Li (黄丽) takes lunches home to the 90+ on weekday mornings, Zhou Fang (周芳) knocks on old neighbours' doors
(敲门行动), Wu Min (吴敏) helps at the market fair; each task was assigned, done and confirmed by the office through
the time bank itself, so their hours, Huang Li's star and the public totals are what the time bank would have made.
The spec's own accounts are never volunteers. The canteen makes the day's delivery tasks itself (its demo activity).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import time_bank
from core.db import utcnow
from core.models import Community, Notification, User, Volunteer

VOLUNTEERS = (("neighbour", "骑车送餐", "工作日上午"), ("sewer1", "探望老人、聊天", "周末下午"),
              ("sewer2", "集市帮忙、搬运", "周六"))
"""(demo account, what they can do, when they are free)."""
DELIVERY = ("delivery", "和平社区食堂 · 社区午餐", 11, "0.5")
VISIT = ("visit", "敲门行动：探望独居老人", 15, "2")
FAIR = ("fair", "邻里集市：摆摊和搬运", 8, "3")
PAST = {"neighbour": [(days, DELIVERY) for days in range(1, 7)] + [(9, VISIT), (16, VISIT), (20, FAIR)],
        "sewer1": [(6, VISIT), (13, VISIT)],
        "sewer2": [(20, FAIR)]}
"""Each volunteer's past tasks, by days before the demo day: Huang Li's six deliveries, two visits and a fair make
her 10 hours (one star), Zhou Fang's two visits 4 hours, Wu Min's fair 3."""


def seed_time_bank(session: Session, community: Community, today: dt.date, office: User) -> None:
    """Register the volunteers (with their consent) and credit their past tasks, once."""
    if session.scalar(select(Volunteer.id).where(Volunteer.community_id == community.id)) is not None:
        return
    for local, skills, availability in VOLUNTEERS:
        user = session.scalar(select(User).where(User.email == f"{local}@example.org"))
        volunteer = time_bank.register(session, office, community, user.id, skills, availability, consent=True)
        for days_ago, (kind, title, hour, hours) in PAST[local]:
            starts_at = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour),
                                            ZoneInfo(community.timezone))
            task = time_bank.create_task(session, office, community, kind, title, starts_at, hours)
            time_bank.assign(session, office, task.id, volunteer.id)
            time_bank.mark_done(session, user, task.id)
            time_bank.confirm(session, office, task.id)
    session.execute(update(Notification).where(Notification.kind.like("volunteer_%"))
                    .values(read_at=utcnow()))  # they heard of their tasks at the time
