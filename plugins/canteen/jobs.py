"""The canteen's morning job: the day's home deliveries for 90+ residents, to the canteen and the volunteers' office,
and one volunteer task for each home (made again each run: a home booked since gets its task, the others stay)."""
from __future__ import annotations

import datetime as dt

from celery.schedules import schedule as every
from sqlalchemy import select

from core import N_
from core.plugin_api import JobContext, Message, Operator, Task, notify, people_with_role
from plugins.canteen import KEY
from plugins.canteen.delivery_tasks import make_tasks
from plugins.canteen.service import delivery_count, zone_of

MORNING = 7
"""From this hour of the community's day the day's delivery list goes out (the meals leave before 11)."""
TITLE = N_("Home deliveries today: %(homes)s")
BODY = N_("Today %(meals)s meals go to %(homes)s homes. The list with names and addresses is on the deliveries page.")


def send_delivery_lists(job: JobContext) -> Message:
    """Each active canteen with meals to take home today offers the volunteer tasks of its homes and tells its staff
    and the community's staff (who send the volunteers), once a day, from :data:`MORNING` o'clock."""
    sent = 0
    for operator in job.session.scalars(select(Operator).where(Operator.type == KEY, Operator.status == "active")
                                        .order_by(Operator.id)):
        zone = zone_of(job.session, operator.community_id)
        local_now = job.now.astimezone(zone)
        if local_now.hour < MORNING:
            continue
        homes, meals = delivery_count(job.session, operator, zone, local_now.date())
        if not homes:
            continue
        make_tasks(job.session, operator, local_now.date())
        params = {"homes": homes, "meals": meals}
        for user_id in sorted({*people_with_role(job.session, "operator_staff", operator_id=operator.id),
                               *people_with_role(job.session, "community_staff", community_id=operator.community_id)}):
            notify(job.session, user_id, "delivery_list", Message(TITLE, params), Message(BODY, params),
                   key=f"delivery_list:{operator.id}:{local_now.date().isoformat()}",
                   link=f"/canteen/operators/{operator.id}/deliveries")
        sent += 1
    return Message(N_("%(count)s delivery lists sent"), {"count": sent})


TASKS = [Task("canteen.delivery_list", send_delivery_lists, schedule=every(dt.timedelta(minutes=10)),
              label=N_("The canteen's delivery list each morning"))]
