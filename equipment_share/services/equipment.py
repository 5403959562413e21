"""Publishing instruments, their rate cards, booking rules and idle windows; the catalogue."""

from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager

from equipment_share.domain.availability import Interval, is_bookable
from equipment_share.domain.bookings import ACTIVE_STATUSES
from equipment_share.domain.equipment import (
    FIELDS,
    validate_equipment,
    validate_one_off_window,
    validate_weekly_window,
)
from equipment_share.domain.errors import N_, Forbidden, InvalidState, NotFound
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    IdleWindow,
    IdleWindowKind,
    Organization,
    OrganizationStatus,
    Role,
    User,
    utcnow,
)
from equipment_share.services import rate_cards
from equipment_share.services.access import owns_equipment, require_role
from equipment_share.services.availability import equipment_idle_time
from equipment_share.services.bookings import cancel
from equipment_share.services.locks import lock_equipment_for_booking

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
    "original_value": None,
    "purchase_year": None,
    "keywords": [],
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
    rate_cards.start_version(actor, equipment)
    return equipment


def update_equipment(actor: User, equipment: Equipment, changes: dict) -> Equipment:
    _require_owner(actor, equipment)
    before = equipment_values(equipment)
    cleaned = validate_equipment(before | changes)
    for name, value in cleaned.items():
        setattr(equipment, name, value)
    db.session.flush()
    rate_cards.follow_listed_fields(actor, equipment, before)
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


# Stored as the cancelled bookings' reason, which mails quote in both languages.
IDLE_WINDOW_WITHDRAWN = "平台已撤回该闲置时段 / Idle window withdrawn by the platform"


def bookings_depending_on_window(
    equipment: Equipment, window: IdleWindow, now: datetime | None = None
) -> list[Booking]:
    """Active bookings that start in the future and would lie outside idle time without the
    window (one that another window also covers does not depend on it)."""
    upcoming = db.session.scalars(
        select(Booking)
        .where(
            Booking.equipment_id == equipment.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at > (now or utcnow()),
        )
        .order_by(Booking.start_at, Booking.id)
    )
    return [
        booking
        for booking in upcoming
        if not is_bookable(
            interval := Interval(booking.start_at, booking.end_at),
            equipment_idle_time(equipment, interval, without=window),
        )
    ]


def delete_idle_window(
    actor: User,
    equipment: Equipment,
    window_id: int,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> list[Booking]:
    """Withdraw an idle window. Refused (invalid_state) while future active bookings depend on
    it, unless `force`: then those bookings are cancelled first (audited, both sides notified).
    Returns the bookings cancelled."""
    _require_owner(actor, equipment)
    # Taken before looking for dependent bookings, so none can be booked into the window meanwhile.
    lock_equipment_for_booking(equipment.id)
    window = find_idle_window(equipment, window_id)
    dependent = bookings_depending_on_window(equipment, window, now)
    if dependent and not force:
        raise InvalidState(
            N_(
                "Upcoming bookings depend on this idle window (%(count)d). Cancel them first, "
                "or withdraw the window anyway, which cancels them."
            ),
            details={"booking_ids": [booking.id for booking in dependent]},
            count=len(dependent),
        )
    for booking in dependent:
        cancel(actor, booking, IDLE_WINDOW_WITHDRAWN, now)
    equipment.idle_windows.remove(window)
    # the window leaves no row to date the change by: the instrument carries it (feeds'
    # Last-Modified)
    equipment.updated_at = utcnow()
    db.session.flush()
    return dependent


def find_idle_window(equipment: Equipment, window_id: int) -> IdleWindow:
    for window in equipment.idle_windows:
        if window.id == window_id:
            return window
    raise NotFound()


def _require_owner(actor: User, equipment: Equipment) -> None:
    require_role(actor, Role.PLATFORM)
    if not owns_equipment(actor, equipment):
        raise Forbidden()


def upcoming_window(days: int = 14, now: datetime | None = None) -> Interval:
    start = (now or utcnow()).replace(second=0, microsecond=0)
    return Interval(start, start + timedelta(days=days))


LIKE_ESCAPE = "\\"


def like_escaped(text: str) -> str:
    """Text a LIKE pattern matches literally: "%" and "_" are characters, not wildcards."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text


def catalogue_query(
    viewer: User | None,
    *,
    text: str | None = None,
    category: str | None = None,
    platform_id: int | None = None,
) -> Select:
    """Instruments the viewer may see, filtered; active ones of approved platforms for everyone,
    plus a platform's own inactive ones for its staff and everything for admin and finance."""
    # the platform is joined for the filters anyway: load it from the same row (its name is on
    # every card), not with one query per platform on the page
    query = select(Equipment).join(Equipment.platform).options(contains_eager(Equipment.platform))
    if viewer is None or viewer.role not in (Role.ADMIN, Role.FINANCE):
        public = Equipment.active & (Organization.status == OrganizationStatus.APPROVED)
        own = Equipment.platform_id == (viewer.organization_id if viewer else None)
        query = query.where(or_(public, own) if viewer and viewer.role == Role.PLATFORM else public)
    if text:
        pattern = f"%{like_escaped(text.strip())}%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape=LIKE_ESCAPE)
                    for column in (
                        Equipment.name,
                        Equipment.name_en,
                        Equipment.model,
                        Equipment.description,
                        Equipment.location,
                        Equipment.keywords_text,
                    )
                )
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
