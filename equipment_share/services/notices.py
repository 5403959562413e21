"""Notices in the app (the bell), and `announce`, which writes them with the group-robot posts.

The mail modules (services/notifications.py, claim_mail.py, fund_mail.py) call `announce` where
they write their mail, so every change that mails someone also leaves a notice for each
recipient in the app and a post for their organisation's robot: in the change's own transaction,
or, for a booking's changes, when its outbox event is sent (services/notifications), so that
booking a slot does not also read the platform's users and write their notices. The services
that make changes do not grow a line.
"""

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update

from equipment_share.domain.errors import NotFound
from equipment_share.extensions import db
from equipment_share.models import (
    Adjustment,
    Booking,
    Claim,
    Notification,
    Role,
    UsageRecord,
    User,
    utcnow,
)
from equipment_share.services import webhooks
from equipment_share.services.notice_text import render_chinese


def announce(
    kind: str,
    object_type: str,
    object_id: int | None,
    params: dict,
    recipients: Iterable[User],
    *,
    exclude_id: int | None = None,
) -> list[Notification]:
    """A notice for each active recipient (not the user `exclude_id`, who made the change), and
    a post to the robot of each of their organisations that has one."""
    users = {user.id: user for user in recipients if user is not None and user.active}
    users.pop(exclude_id, None)
    notices = [
        Notification(
            user_id=user_id, kind=kind, object_type=object_type, object_id=object_id, params=params
        )
        for user_id in sorted(users)
    ]
    db.session.add_all(notices)
    organizations = {user.organization_id for user in users.values() if user.organization_id}
    if organizations:
        webhooks.queue(organizations, render_chinese(kind, params))
    return notices


def organization_users(organization_id: int | None, role: Role) -> list[User]:
    if organization_id is None:
        return []
    return list(
        db.session.scalars(
            select(User).where(
                User.organization_id == organization_id, User.role == role, User.active.is_(True)
            )
        )
    )


def finance_users() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.role == Role.FINANCE, User.active.is_(True)))
    )


# --- the values a notice keeps (names in both languages; times in the instrument's zone) ---


def _when(start: datetime, end: datetime, zone_name: str) -> str:
    zone = ZoneInfo(zone_name)
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def booking_params(booking: Booking) -> dict:
    equipment, organization = booking.equipment, booking.organization
    return {
        "booking": booking.id,
        "equipment": equipment.name,
        "equipment_en": equipment.name_en or "",
        "enterprise": organization.name,
        "enterprise_en": organization.name_en or "",
        "when": _when(booking.start_at, booking.end_at, equipment.timezone),
        "reason": booking.status_reason or "",
    }


def usage_params(record: UsageRecord) -> dict:
    booking = record.booking
    params = booking_params(booking)
    params.update(
        usage=record.id,
        when=_when(
            record.actual_start or booking.start_at,
            record.actual_end or booking.end_at,
            booking.equipment.timezone,
        ),
        fee=str(record.fee),
        reason=record.status_reason or "",
    )
    return params


def claim_params(claim: Claim) -> dict:
    organization = claim.organization
    return {
        "claim": claim.id,
        "enterprise": organization.name,
        "enterprise_en": organization.name_en or "",
        "period": f"{claim.period_from:%Y-%m-%d} – {claim.period_to:%Y-%m-%d}",
        "subsidy": str(claim.subsidy),
        "reason": claim.status_reason or "",
        "notice_to": f"{claim.notice_to:%Y-%m-%d}" if claim.notice_to else "",
    }


def adjustment_params(adjustment: Adjustment) -> dict:
    return {
        "usage": adjustment.usage_id,
        "delta": str(adjustment.fee_delta),
        "reason": adjustment.reason,
    }


# --- reading and marking ---


def unread_count(user: User | None) -> int:
    """The bell's number: one COUNT over the partial index of unread notices."""
    if user is None:
        return 0
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def notices_query(user: User, *, unread: bool = False) -> Select:
    """The user's own notices, newest first (the page and the API share it)."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def own_notice(user: User, notice_id: int) -> Notification:
    """The user's notice; anyone else's answers 404, as if it did not exist."""
    notice = db.session.scalar(
        select(Notification)
        .where(Notification.id == notice_id, Notification.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    if notice is None:
        raise NotFound()
    return notice


def mark_read(user: User, notice_id: int) -> Notification:
    """Read now, unless it was read already: one conditional UPDATE, so marking twice (two tabs,
    two clicks at once) keeps the first time and changes nothing else."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.id == notice_id,
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return own_notice(user, notice_id)


def mark_all_read(user: User) -> int:
    """Every unread notice of the user read now; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
