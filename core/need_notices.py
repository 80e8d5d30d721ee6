"""Who hears of a need's progress, and in which words: the residents who asked for it or supported it are told when
it is compiled into an order, when an operator takes the order and when it is delivered, once each step (keyed),
in their own language when they read it (``core.notifications``)."""
from __future__ import annotations

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from core.errors import N_, Message
from core.models import Need, NeedSupport, ServiceOrder
from core.notifications import notify

STEPS = {
    "compiled": (N_("Your need is on an order: %(title)s"),
                 N_("The community office put what you asked for into the service order “%(title)s”. "
                    "We will tell you when an organisation takes it.")),
    "taken": (N_("An organisation took the order: %(title)s"),
              N_("%(operator)s will do “%(title)s”. We will tell you when it is done.")),
    "delivered": (N_("Done: %(title)s"),
                  N_("“%(title)s”, which you asked for or supported, is delivered. Please rate how it went.")),
}


def askers(session: Session, order_id: int) -> list[int]:
    """The residents who asked for one of the order's needs or supported one, each once."""
    asked = select(Need.resident_id.label("user_id")).where(Need.order_id == order_id)
    supported = (select(NeedSupport.resident_id.label("user_id")).join(Need, Need.id == NeedSupport.need_id)
                 .where(Need.order_id == order_id))
    return sorted(session.scalars(select(union(asked, supported).subquery().c.user_id)))


def tell(session: Session, order: ServiceOrder, step: str, **values) -> int:
    """Tell everyone behind the order of this step; how many were told for the first time."""
    title, body = STEPS[step]
    params = {"title": order.title, **values}
    told = 0
    for user_id in askers(session, order.id):
        told += notify(session, user_id, f"order_{step}", Message(title, params), Message(body, params),
                       key=f"order_{step}:{order.id}", link=f"/orders/{order.id}")
    return told
