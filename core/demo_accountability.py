"""The demo's record of holding operators to account: staff's monthly inspections since January last year, the
scores the evaluation makes of them (with whatever else each month holds), last year's stars, and two complaints.

Each operator has a character: the canteen excellent, housekeeping good, the fair fair, the workshop struggling —
its last month under 6, so a warning waits in the staff's inbox and the review shows a failing month.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import complaints, evaluation, ledger, reviews
from core.models import Booking, Community, Operator, User
from core.score_rule import previous

INSPECTIONS = {"canteen": (9.2, 9.5, 9.0, 9.4), "housekeeping": (8.4, 8.0, 8.6, 8.2),
               "market_fair": (7.8, 7.4, 7.0, 7.6), "workshop": (6.6, 6.2, 7.0, 6.4)}
"""Each type's inspection scores, taken in turn month by month."""
LAST_MONTH = {"workshop": 5.4}
NOTES = "月度检查：后厨、台账和居民意见簿均已查看。"
COMPLAINTS = (
    ("sewer1", "price", "计件单价没有提前公示，做完才知道一件多少钱。",
     "已核实：车间未公示单价。已责成车间在门口公示计件单价，本月起执行。", "单价表已贴在车间门口，欢迎监督。"),
    ("sewer2", "hygiene", "车间洗手间没有肥皂，也没有擦手纸。", None, None),
)
"""Two workers' complaints about the workshop: one handled round the loop (upheld, answered), one still open."""


def seed_accountability(session: Session, community: Community, today: dt.date, inspector) -> None:
    """Inspect every active operator each month from January last year to last month, score the months, and grade
    last year."""
    operators = session.scalars(select(Operator).where(Operator.community_id == community.id,
                                                       Operator.status == "active").order_by(Operator.id)).all()
    last = previous(ledger.period_of(today))
    periods = []
    period = f"{today.year - 1}-01"
    while period <= last:
        periods.append(period)
        period = previous(period, -1)
    for index, period in enumerate(periods):
        for operator in operators:
            scores = INSPECTIONS.get(operator.type)
            if scores is None:
                continue
            score = LAST_MONTH.get(operator.type, scores[index % len(scores)]) if period == last \
                else scores[index % len(scores)]
            reviews.record_inspection(session, inspector, operator, period, score, NOTES)
        evaluation.evaluate(session, community, period)
    evaluation.grade_year(session, community, today.year - 1)
    _seed_complaints(session, inspector)


def _seed_complaints(session: Session, staff: User) -> None:
    for local, category, text, note, reply in COMPLAINTS:
        resident, booking_id = session.execute(
            select(User, Booking.id).join(Booking, Booking.resident_id == User.id)
            .where(User.email == f"{local}@example.org", Booking.status == "fulfilled").order_by(Booking.id)).first()
        complaint = complaints.file(session, resident, booking_id, category, text)
        if note is None:
            continue
        complaints.acknowledge(session, staff, complaint.id)
        complaints.resolve(session, staff, complaint.id, True, note)
        operator_staff = session.scalar(select(User).where(User.email == "workshop@example.org"))
        complaints.reply(session, operator_staff, complaint.id, reply)
