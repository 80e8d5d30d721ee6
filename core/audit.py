"""Recording who did what: one row per action, written in the action's own transaction."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEvent, User


def record(session: Session, actor: User | None, action: str, subject_type: str, subject_id: int,
           community_id: int | None = None, **data) -> AuditEvent:
    event = AuditEvent(actor_id=actor.id if actor else None, action=action, subject_type=subject_type,
                       subject_id=subject_id, community_id=community_id, data=data)
    session.add(event)
    return event


def history(session: Session, subject_type: str, subject_id: int,
            limit: int = 200) -> list[tuple[AuditEvent, str | None]]:
    """What was done to one subject, newest first, with the name of who did it (None: the person themselves)."""
    return [tuple(row) for row in session.execute(
        select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))]
