"""Recording who did what: one row per action, written in the action's own transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import AuditEvent, User


def record(session: Session, actor: User | None, action: str, subject_type: str, subject_id: int,
           community_id: int | None = None, **data) -> AuditEvent:
    event = AuditEvent(actor_id=actor.id if actor else None, action=action, subject_type=subject_type,
                       subject_id=subject_id, community_id=community_id, data=data)
    session.add(event)
    return event
