"""Locked periods: once finance locks a period (dates inclusive, in the deployment's zone), its
usage can no longer be recorded, checked out, corrected, waived or charged; a later finding
becomes an adjustment instead (services/adjustments.py).

The usage service calls `require_open` inside the change's own transaction, after
`serialise_with_period_locks`, so a record is never written into a period locked after the
check (see database.serialise_with_period_locks).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select

from equipment_share.database import serialise_with_period_locks
from equipment_share.domain.errors import N_, Message, PeriodLocked, ValidationFailed
from equipment_share.domain.fields import REQUIRED, collect
from equipment_share.extensions import db
from equipment_share.models import PeriodLock, Role, User
from equipment_share.services import audit
from equipment_share.services.access import require_role


def local_day(instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def lock_covering(day: date) -> PeriodLock | None:
    return db.session.scalars(
        select(PeriodLock)
        .where(PeriodLock.period_from <= day, PeriodLock.period_to >= day)
        .order_by(PeriodLock.id)
        .limit(1)
    ).first()


def is_locked(instant: datetime | None) -> bool:
    return instant is not None and lock_covering(local_day(instant)) is not None


def require_open(*instants: datetime | None) -> None:
    """PeriodLocked when any of these instants falls on a day of a locked period. Call it after
    `serialise_with_period_locks(exclusive=False)` in the transaction that writes."""
    for instant in instants:
        if instant is None:
            continue
        lock = lock_covering(local_day(instant))
        if lock is not None:
            raise PeriodLocked(
                N_(
                    "The period %(period_from)s to %(period_to)s is locked: its usage can no "
                    "longer be changed. Ask finance for an adjustment instead."
                ),
                details={
                    "period_lock_id": lock.id,
                    "period_from": lock.period_from.isoformat(),
                    "period_to": lock.period_to.isoformat(),
                },
                period_from=lock.period_from.isoformat(),
                period_to=lock.period_to.isoformat(),
            )


def check_period(period_from: date | None, period_to: date | None) -> dict[str, Message]:
    problems = collect(
        {
            "period_from": REQUIRED if period_from is None else None,
            "period_to": REQUIRED if period_to is None else None,
        }
    )
    if not problems and period_from > period_to:
        problems["period_to"] = Message(N_("The end of the period must not be before its start."))
    return problems


def create_period_lock(actor: User, period_from: date | None, period_to: date | None) -> PeriodLock:
    """Lock a period (finance). Waits for usage changes already under way, so that none of them
    writes into the period after the lock."""
    require_role(actor, Role.FINANCE)
    if problems := check_period(period_from, period_to):
        raise ValidationFailed(problems)
    serialise_with_period_locks(exclusive=True)
    lock = PeriodLock(period_from=period_from, period_to=period_to, created_by_id=actor.id)
    db.session.add(lock)
    db.session.flush()
    audit.record(
        actor,
        "period_lock",
        lock.id,
        "lock",
        to_state="locked",
        changes={
            "period_from": {"from": None, "to": period_from.isoformat()},
            "period_to": {"from": None, "to": period_to.isoformat()},
        },
    )
    return lock


def period_locks_query(viewer: User) -> Select:
    """Every lock, newest period first: finance and admin."""
    require_role(viewer, Role.FINANCE, Role.ADMIN)
    return select(PeriodLock).order_by(PeriodLock.period_from.desc(), PeriodLock.id.desc())
