"""Rules for instruments and their idle windows."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fields import check_int, check_money, check_text, collect, parse_money

# Category key -> English label (msgid). Keys are what the API speaks.
CATEGORIES = {
    "chemical_analysis": N_("Chemical analysis"),
    "spectroscopy": N_("Spectroscopy"),
    "chromatography": N_("Chromatography and mass spectrometry"),
    "microscopy": N_("Microscopy and imaging"),
    "materials_testing": N_("Materials and mechanical testing"),
    "thermal_analysis": N_("Thermal analysis"),
    "process_pilot": N_("Process and pilot equipment"),
    "environmental": N_("Environmental monitoring"),
    "food_biology": N_("Food and biological analysis"),
    "other": N_("Other"),
}

TEXT_LIMITS = {"name": 200, "name_en": 200, "model": 200, "location": 300, "description": 5000}
MINUTES_IN_WEEK = 7 * 24 * 60
INTEGER_RANGES = {
    "min_charge_minutes": (0, 1440),
    "billing_increment_minutes": (1, 1440),
    "slot_minutes": (5, 1440),
    "min_booking_minutes": (5, MINUTES_IN_WEEK),
    "max_booking_minutes": (5, MINUTES_IN_WEEK),
    "lead_time_hours": (0, 24 * 30),
    "horizon_days": (1, 730),
    "cancellation_deadline_hours": (0, 24 * 30),
}
MONEY_FIELDS = ("hourly_rate", "setup_fee")
FLAG_FIELDS = ("requires_approval", "active")
FIELDS = (*TEXT_LIMITS, "category", "timezone", *INTEGER_RANGES, *MONEY_FIELDS, *FLAG_FIELDS)


def is_time_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a directory
        return False
    return True


def _booking_rule_errors(values: dict) -> dict[str, Message]:
    slot = values["slot_minutes"]
    errors = {}
    if 1440 % slot:
        errors["slot_minutes"] = Message(N_("The slot must divide a day evenly (e.g. 15, 30, 60)."))
        return errors
    for name in ("min_booking_minutes", "max_booking_minutes"):
        if values[name] % slot:
            errors[name] = Message(
                N_("Must be a multiple of the slot (%(slot)d minutes)."), {"slot": slot}
            )
    if not errors and values["min_booking_minutes"] > values["max_booking_minutes"]:
        errors["max_booking_minutes"] = Message(N_("Must not be shorter than the minimum booking."))
    return errors


def validate_equipment(values: dict) -> dict:
    """Check a complete set of instrument fields; return them cleaned or raise ValidationFailed."""
    checks = {name: check_text(values.get(name), limit) for name, limit in TEXT_LIMITS.items()}
    checks["name"] = check_text(values.get("name"), TEXT_LIMITS["name"], required=True)
    checks |= {
        name: check_int(values.get(name), *limits) for name, limits in INTEGER_RANGES.items()
    }
    checks |= {name: check_money(values.get(name)) for name in MONEY_FIELDS}
    if values.get("category") not in CATEGORIES:
        checks["category"] = Message(N_("Choose one of the categories."))
    if not is_time_zone(values.get("timezone")):
        checks["timezone"] = Message(N_("Not a known time zone."))
    for name in FLAG_FIELDS:
        if not isinstance(values.get(name), bool):
            checks[name] = Message(N_("Yes or no is required."))
    errors = collect(checks)
    if not errors:
        errors = _booking_rule_errors(values)
    if errors:
        raise ValidationFailed(errors)
    cleaned = {name: values[name] for name in FIELDS}
    cleaned |= {name: parse_money(values[name]) for name in MONEY_FIELDS}
    cleaned |= {name: (values.get(name) or "").strip() for name in TEXT_LIMITS}
    return cleaned


def validate_weekly_window(values: dict) -> dict:
    """weekdays (0=Monday..6), start_time, end_time (time), valid_from, valid_to (date or None).

    An end time at or before the start time means the window runs past midnight.
    """
    errors: dict[str, Message] = {}
    weekdays = values.get("weekdays")
    if (
        not isinstance(weekdays, list | tuple | set)
        or not weekdays
        or any(type(day) is not int or day not in range(7) for day in weekdays)
    ):
        errors["weekdays"] = Message(N_("Choose at least one weekday (0 = Monday … 6 = Sunday)."))
    for name in ("start_time", "end_time"):
        if not isinstance(values.get(name), time):
            errors[name] = Message(N_("A time like 09:00 is required."))
    if not errors and values["start_time"] == values["end_time"]:
        errors["end_time"] = Message(N_("The window must not be empty."))
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        if value is not None and not isinstance(value, date):
            errors[name] = Message(N_("A date like 2026-12-01 is required."))
    if not errors and valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = Message(N_("Must not be before the start date."))
    if errors:
        raise ValidationFailed(errors)
    return {
        "weekdays": sorted(set(weekdays)),
        "start_time": values["start_time"].replace(second=0, microsecond=0),
        "end_time": values["end_time"].replace(second=0, microsecond=0),
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def validate_one_off_window(values: dict) -> dict:
    """start, end: aware datetimes; end after start, at most a year long."""
    start, end = values.get("start"), values.get("end")
    errors: dict[str, Message] = {}
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            errors[name] = Message(N_("A date and time is required."))
    if not errors and end <= start:
        errors["end"] = Message(N_("The end must be after the start."))
    elif not errors and (end - start).days > 366:
        errors["end"] = Message(N_("A one-off window may last at most a year."))
    if errors:
        raise ValidationFailed(errors)
    return {"start": start, "end": end}
