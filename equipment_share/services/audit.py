"""The audit log: every change to a business object appends one entry in the same transaction."""

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, User


def record(
    actor: User | None,
    object_type: str,
    object_id: int,
    action: str,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        object_type=object_type,
        object_id=object_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=changes or {},
    )
    db.session.add(entry)
    return entry
