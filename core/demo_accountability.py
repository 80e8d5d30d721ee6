"""The demo's record of holding operators to account: staff's monthly inspections since January last year, the
scores the evaluation makes of them (with whatever else each month holds), and last year's stars.

Each operator has a character: the canteen excellent, housekeeping good, the fair fair, the workshop struggling —
its last month under 6, so a warning waits in the staff's inbox and the review shows a failing month.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import evaluation, ledger, reviews
from core.models import Community, Operator
from core.score_rule import previous

INSPECTIONS = {"canteen": (9.2, 9.5, 9.0, 9.4), "housekeeping": (8.4, 8.0, 8.6, 8.2),
               "market_fair": (7.8, 7.4, 7.0, 7.6), "workshop": (6.6, 6.2, 7.0, 6.4)}
"""Each type's inspection scores, taken in turn month by month."""
LAST_MONTH = {"workshop": 5.4}
NOTES = "月度检查：后厨、台账和居民意见簿均已查看。"


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
