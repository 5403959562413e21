"""Rate card versions: which one is in force, adding one, and the card frozen on a booking."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from equipment_share.domain.errors import N_, Forbidden, Message, ValidationFailed
from equipment_share.domain.fees import RateCard
from equipment_share.domain.rate_cards import CHARGE_NAMES, to_rate_card, validate_rate_card
from equipment_share.extensions import db
from equipment_share.models import Booking, Equipment, RateCardVersion, User, utcnow
from equipment_share.services import audit
from equipment_share.services.access import owns_equipment
from equipment_share.services.locks import lock_row

# The rate fields an instrument lists itself (API.md); they mirror the version in force.
LISTED_FIELDS = ("hourly_rate", "setup_fee", "min_charge_minutes", "billing_increment_minutes")
STORED_FIELDS = (
    *LISTED_FIELDS,
    "rate_windows",
    "items",
    *(f"{name}_{part}" for name in CHARGE_NAMES for part in ("kind", "value")),
)


def version_values(version: RateCardVersion) -> dict:
    return {name: getattr(version, name) for name in STORED_FIELDS}


def versions(equipment: Equipment) -> list[RateCardVersion]:
    """Newest first."""
    return list(
        db.session.scalars(
            select(RateCardVersion)
            .where(RateCardVersion.equipment_id == equipment.id)
            .order_by(RateCardVersion.effective_from.desc())
        )
    )


def in_force(equipment: Equipment, at: datetime | None = None) -> RateCardVersion | None:
    return db.session.scalar(
        select(RateCardVersion)
        .where(
            RateCardVersion.equipment_id == equipment.id,
            RateCardVersion.effective_from <= (at or utcnow()),
        )
        .order_by(RateCardVersion.effective_from.desc())
        .limit(1)
    )


def listed_rate_card(equipment: Equipment) -> RateCard:
    """The card from the instrument's own listed fields (instruments made before versions)."""
    return to_rate_card(
        {name: getattr(equipment, name) for name in LISTED_FIELDS}, equipment.timezone
    )


def in_force_id(at: datetime):
    """The id of the version in force at `at` for the instrument of the enclosing query (a
    correlated subquery), so the rate card is read in the statement that reads the instrument."""
    return (
        select(RateCardVersion.id)
        .where(RateCardVersion.equipment_id == Equipment.id, RateCardVersion.effective_from <= at)
        .order_by(RateCardVersion.effective_from.desc())
        .limit(1)
        .correlate(Equipment)
        .scalar_subquery()
    )


def rate_card_of(
    equipment: Equipment, version: RateCardVersion | None
) -> tuple[RateCardVersion | None, RateCard]:
    """The card of a version already read (None: the instrument's listed fields)."""
    if version is None:
        return None, listed_rate_card(equipment)
    return version, to_rate_card(version_values(version), equipment.timezone)


def rate_card_in_force(
    equipment: Equipment, at: datetime | None = None
) -> tuple[RateCardVersion | None, RateCard]:
    return rate_card_of(equipment, in_force(equipment, at))


def frozen_rate_card(booking: Booking) -> RateCard:
    """The card the booking was made under: its version, or the rates copied onto it."""
    timezone = booking.equipment.timezone
    if booking.rate_card_id is not None:
        version = db.session.get(RateCardVersion, booking.rate_card_id)
        return to_rate_card(version_values(version), timezone)
    return to_rate_card({name: getattr(booking, name) for name in LISTED_FIELDS}, timezone)


def start_version(actor: User | None, equipment: Equipment) -> RateCardVersion:
    """The first version of a new instrument, from its listed fields, in force at once."""
    values = {name: getattr(equipment, name) for name in LISTED_FIELDS}
    return _append(actor, equipment, values, equipment.created_at or utcnow(), "create")


def follow_listed_fields(actor: User | None, equipment: Equipment, before: dict) -> None:
    """After an edit of the instrument's listed rates: a new version in force now, keeping the
    rate windows, items and charges of the version it replaces."""
    listed = {name: getattr(equipment, name) for name in LISTED_FIELDS}
    if all(before.get(name) == value for name, value in listed.items()):
        return
    current = in_force(equipment)
    values = (version_values(current) if current else {}) | listed
    _append(actor, equipment, values, utcnow(), "revise")


def effective_instant(effective_date: date | datetime | None, timezone: str) -> datetime:
    """A date means local midnight; never earlier than now (the past is frozen on bookings)."""
    now = utcnow()
    if effective_date is None:
        return now
    if not isinstance(effective_date, datetime):
        effective_date = datetime.combine(effective_date, time(0), tzinfo=ZoneInfo(timezone))
    return max(effective_date, now)


def add_version(
    actor: User, equipment: Equipment, values: dict, effective_from: date | datetime | None
) -> RateCardVersion:
    """A platform sets new rates for its instrument from a date on (today: at once)."""
    if not owns_equipment(actor, equipment):
        raise Forbidden(N_("Only the platform that owns the instrument may do this."))
    cleaned = validate_rate_card(values)
    if (
        isinstance(effective_from, date)
        and not isinstance(effective_from, datetime)  # a datetime is a date too, not comparable
        and effective_from < utcnow().astimezone(ZoneInfo(equipment.timezone)).date()
    ):
        raise ValidationFailed(
            {"effective_from": Message(N_("A new rate card cannot take effect in the past."))}
        )
    effective = effective_instant(effective_from, equipment.timezone)
    if _version_from(equipment, effective) is not None:  # else the unique constraint: a 500
        raise ValidationFailed(
            {
                "effective_from": Message(
                    N_("Another rate card already takes effect then; choose another day.")
                )
            }
        )
    return _append(actor, equipment, cleaned, effective, "create")


def _version_from(equipment: Equipment, effective_from: datetime) -> RateCardVersion | None:
    return db.session.scalar(
        select(RateCardVersion).where(
            RateCardVersion.equipment_id == equipment.id,
            RateCardVersion.effective_from == effective_from,
        )
    )


def apply_due_versions(now: datetime | None = None) -> int:
    """Copy the version now in force onto each instrument's listed rates (a daily job, so the
    catalogue shows a scheduled change once it takes effect); returns how many changed."""
    changed = 0
    for equipment in db.session.scalars(select(Equipment).order_by(Equipment.id)).all():
        version = in_force(equipment, now)
        if version is None or _listed(equipment) == _listed(version):
            continue
        # Another run of this job (a second app server's cron) may be at the same instrument:
        # lock it and look again, so the change and its audit entry are written once.
        lock_row(equipment)
        before, after = _listed(equipment), _listed(version)
        if before != after:
            for name, value in after.items():
                setattr(equipment, name, value)
            audit.record(
                None,
                "equipment",
                equipment.id,
                "apply_rate_card",
                changes={"rate_card_from": version.effective_from}
                | audit.value_changes(before, after),
            )
            changed += 1
    return changed


def _listed(rates: Equipment | RateCardVersion) -> dict:
    return {name: getattr(rates, name) for name in LISTED_FIELDS}


def _append(
    actor: User | None, equipment: Equipment, values: dict, effective_from: datetime, action: str
) -> RateCardVersion:
    version = RateCardVersion(
        equipment_id=equipment.id,
        effective_from=effective_from,
        created_by_id=actor.id if actor else None,
        **{name: values.get(name) for name in STORED_FIELDS},
    )
    version.rate_windows = version.rate_windows or []
    version.items = version.items or []
    db.session.add(version)
    db.session.flush()
    if effective_from <= utcnow():
        for name in LISTED_FIELDS:
            setattr(equipment, name, getattr(version, name))
    audit.record(
        actor,
        "rate_card",
        version.id,
        action,
        changes={
            "equipment_id": equipment.id,
            "effective_from": effective_from,
            **{name: getattr(version, name) for name in STORED_FIELDS},
        },
    )
    return version
