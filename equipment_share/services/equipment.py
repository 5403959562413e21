"""Publishing instruments, their rate cards, booking rules and idle windows; the catalogue."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select

from equipment_share.domain.availability import Interval, WeeklyRule, idle_time
from equipment_share.domain.equipment import (
    FIELDS,
    validate_equipment,
    validate_one_off_window,
    validate_weekly_window,
)
from equipment_share.domain.errors import Forbidden, NotFound
from equipment_share.extensions import db
from equipment_share.models import (
    Equipment,
    IdleWindow,
    IdleWindowKind,
    Organization,
    OrganizationStatus,
    Role,
    User,
    utcnow,
)
from equipment_share.services.access import owns_equipment, require_role

DEFAULT_VALUES = {
    "name_en": "",
    "model": "",
    "location": "",
    "description": "",
    "timezone": "Asia/Shanghai",
    "setup_fee": "0.00",
    "min_charge_minutes": 0,
    "billing_increment_minutes": 30,
    "slot_minutes": 30,
    "min_booking_minutes": 30,
    "max_booking_minutes": 480,
    "lead_time_hours": 24,
    "horizon_days": 60,
    "cancellation_deadline_hours": 24,
    "requires_approval": True,
    "active": True,
}


def equipment_values(equipment: Equipment) -> dict:
    return {name: getattr(equipment, name) for name in FIELDS}


def create_equipment(actor: User, values: dict) -> Equipment:
    """A platform publishes an instrument; missing optional fields take the defaults."""
    require_role(actor, Role.PLATFORM)
    cleaned = validate_equipment(DEFAULT_VALUES | values)
    equipment = Equipment(platform_id=actor.organization_id, **cleaned)
    db.session.add(equipment)
    db.session.flush()
    return equipment


def update_equipment(actor: User, equipment: Equipment, changes: dict) -> Equipment:
    _require_owner(actor, equipment)
    cleaned = validate_equipment(equipment_values(equipment) | changes)
    for name, value in cleaned.items():
        setattr(equipment, name, value)
    db.session.flush()
    return equipment


def set_photo(actor: User, equipment: Equipment, filename: str | None) -> None:
    _require_owner(actor, equipment)
    equipment.photo_filename = filename


def add_weekly_window(actor: User, equipment: Equipment, values: dict) -> IdleWindow:
    _require_owner(actor, equipment)
    cleaned = validate_weekly_window(values)
    window = IdleWindow(
        kind=IdleWindowKind.WEEKLY,
        weekdays=",".join(str(day) for day in cleaned["weekdays"]),
        start_time=cleaned["start_time"],
        end_time=cleaned["end_time"],
        valid_from=cleaned["valid_from"],
        valid_to=cleaned["valid_to"],
    )
    equipment.idle_windows.append(window)
    db.session.flush()
    return window


def add_one_off_window(actor: User, equipment: Equipment, values: dict) -> IdleWindow:
    _require_owner(actor, equipment)
    cleaned = validate_one_off_window(values)
    window = IdleWindow(kind=IdleWindowKind.ONCE, start_at=cleaned["start"], end_at=cleaned["end"])
    equipment.idle_windows.append(window)
    db.session.flush()
    return window


def delete_idle_window(actor: User, equipment: Equipment, window_id: int) -> None:
    _require_owner(actor, equipment)
    window = find_idle_window(equipment, window_id)
    equipment.idle_windows.remove(window)
    db.session.flush()


def find_idle_window(equipment: Equipment, window_id: int) -> IdleWindow:
    for window in equipment.idle_windows:
        if window.id == window_id:
            return window
    raise NotFound()


def _require_owner(actor: User, equipment: Equipment) -> None:
    require_role(actor, Role.PLATFORM)
    if not owns_equipment(actor, equipment):
        raise Forbidden()


def weekly_rules(equipment: Equipment) -> list[WeeklyRule]:
    return [
        WeeklyRule(
            weekdays=frozenset(window.weekday_numbers),
            start_time=window.start_time,
            end_time=window.end_time,
            valid_from=window.valid_from,
            valid_to=window.valid_to,
        )
        for window in equipment.idle_windows
        if window.kind == IdleWindowKind.WEEKLY
    ]


def one_off_windows(equipment: Equipment) -> list[Interval]:
    return [
        Interval(window.start_at, window.end_at)
        for window in equipment.idle_windows
        if window.kind == IdleWindowKind.ONCE
    ]


def equipment_idle_time(equipment: Equipment, window: Interval) -> list[Interval]:
    return idle_time(
        weekly_rules(equipment), one_off_windows(equipment), ZoneInfo(equipment.timezone), window
    )


def upcoming_window(days: int = 14, now: datetime | None = None) -> Interval:
    start = (now or utcnow()).replace(second=0, microsecond=0)
    return Interval(start, start + timedelta(days=days))


def catalogue_query(
    viewer: User | None,
    *,
    text: str | None = None,
    category: str | None = None,
    platform_id: int | None = None,
) -> Select:
    """Instruments the viewer may see, filtered; active ones of approved platforms for everyone,
    plus a platform's own inactive ones for its staff and everything for admin and finance."""
    query = select(Equipment).join(Equipment.platform)
    if viewer is None or viewer.role not in (Role.ADMIN, Role.FINANCE):
        public = Equipment.active & (Organization.status == OrganizationStatus.APPROVED)
        own = Equipment.platform_id == (viewer.organization_id if viewer else None)
        query = query.where(or_(public, own) if viewer and viewer.role == Role.PLATFORM else public)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            or_(
                Equipment.name.ilike(pattern),
                Equipment.name_en.ilike(pattern),
                Equipment.model.ilike(pattern),
                Equipment.description.ilike(pattern),
                Equipment.location.ilike(pattern),
            )
        )
    if category:
        query = query.where(Equipment.category == category)
    if platform_id:
        query = query.where(Equipment.platform_id == platform_id)
    return query.order_by(Equipment.id)


def approved_platforms() -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .where(
                Organization.kind == "platform", Organization.status == OrganizationStatus.APPROVED
            )
            .order_by(Organization.name)
        )
    )
