"""Rules for instruments and their idle windows."""

import re
from datetime import date, datetime, time
from functools import cache
from zoneinfo import available_timezones

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fields import (
    check_int,
    check_interval,
    check_money,
    check_text,
    collect,
    parse_money,
)

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
# Asked by the national sharing evaluation; unknown for many instruments, so both may stay empty.
OPTIONAL_MONEY_FIELDS = ("original_value",)
PURCHASE_YEARS = (1900, 2100)
FIELDS = (
    *TEXT_LIMITS,
    "category",
    "timezone",
    *INTEGER_RANGES,
    *MONEY_FIELDS,
    *FLAG_FIELDS,
    *OPTIONAL_MONEY_FIELDS,
    "purchase_year",
    "keywords",
)

# Keywords: aliases and abbreviations the catalogue search matches ("SEM", "扫描电镜"). People
# type them separated by commas (also Chinese ones), semicolons or lines; a keyword holds none.
KEYWORD_SEPARATORS = re.compile(r"[,，、;；\r\n\t]")
MAX_KEYWORDS = 20
KEYWORD_MAX_LENGTH = 50


# Files in the zone database that are not zones a place keeps: "Factory" (a placeholder
# abbreviated "-00"), "posixrules" (the default rules for POSIX TZ strings), "localtime" (this
# machine's own zone, whatever it is).
NOT_ZONES = frozenset({"Factory", "posixrules", "localtime"})


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_ZONES


def is_time_zone(name: str | None) -> bool:
    """An IANA zone name exactly as the database spells it ("Asia/Shanghai")."""
    return isinstance(name, str) and name in time_zone_names()


def split_keywords(text: str | None) -> list[str]:
    """What a person typed in one box ("SEM, 扫描电镜、扫描电子显微镜") as a list of keywords."""
    return [part.strip() for part in KEYWORD_SEPARATORS.split(text or "") if part.strip()]


def check_keywords(keywords) -> Message | None:
    """A list of at most MAX_KEYWORDS short texts, none holding a separator."""
    if keywords is None:
        return None
    if not isinstance(keywords, list | tuple) or not all(isinstance(k, str) for k in keywords):
        return Message(N_("A list of texts is required."))
    if len(keywords) > MAX_KEYWORDS:
        return Message(N_("At most %(max)d keywords."), {"max": MAX_KEYWORDS})
    for keyword in keywords:
        if len(keyword.strip()) > KEYWORD_MAX_LENGTH:
            return Message(
                N_("A keyword has at most %(max)d characters."), {"max": KEYWORD_MAX_LENGTH}
            )
        if KEYWORD_SEPARATORS.search(keyword):
            return Message(
                N_("A keyword holds no comma, semicolon or line break: give each one apart.")
            )
    return None


def clean_keywords(keywords) -> list[str]:
    """Stripped, empty ones dropped, each once (the first spelling kept; case ignored)."""
    cleaned, seen = [], set()
    for keyword in keywords or ():
        keyword = keyword.strip()
        if keyword and keyword.casefold() not in seen:
            seen.add(keyword.casefold())
            cleaned.append(keyword)
    return cleaned


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
    checks |= {
        name: check_money(values[name])
        for name in OPTIONAL_MONEY_FIELDS
        if not _is_empty(values.get(name))
    }
    if not _is_empty(values.get("purchase_year")):
        checks["purchase_year"] = check_int(values["purchase_year"], *PURCHASE_YEARS)
    checks["keywords"] = check_keywords(values.get("keywords"))
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
    cleaned = {name: values.get(name) for name in FIELDS}
    cleaned |= {name: parse_money(values[name]) for name in MONEY_FIELDS}
    cleaned |= {name: (values.get(name) or "").strip() for name in TEXT_LIMITS}
    cleaned |= {
        name: None if _is_empty(values.get(name)) else parse_money(values[name])
        for name in OPTIONAL_MONEY_FIELDS
    }
    cleaned["keywords"] = clean_keywords(values.get("keywords"))
    cleaned["purchase_year"] = (
        None if _is_empty(values.get("purchase_year")) else values["purchase_year"]
    )
    return cleaned


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate_weekly_window(values: dict) -> dict:
    """weekdays (0=Monday..6), start_time, end_time (time), valid_from, valid_to (date or None),
    overnight (bool or None).

    A window that runs past midnight ends at a time before its start. The page always says
    whether it does (its box gives true or false), and an end before the start with `overnight`
    false is refused: it is far more often a typing slip (18:00 to 08:00 meant as 08:00 to
    18:00) than a night shift. An API client that leaves `overnight` out keeps the contract it
    was given (`../shared/API.md`): an end before the start means the next day.
    """
    errors: dict[str, Message] = {}
    weekdays = values.get("weekdays")
    if (
        not isinstance(weekdays, list | tuple | set)
        or not weekdays
        or any(type(day) is not int or day not in range(7) for day in weekdays)
    ):
        errors["weekdays"] = Message(N_("Choose at least one weekday."))
    for name in ("start_time", "end_time"):
        if not isinstance(values.get(name), time):
            errors[name] = Message(N_("A time like 09:00 is required."))
    overnight = values.get("overnight")
    if overnight is not None and not isinstance(overnight, bool):
        errors["overnight"] = Message(N_("Must be true or false."))
    if not errors and values["start_time"] == values["end_time"]:
        errors["end_time"] = Message(N_("The window must not be empty."))
    elif not errors and values["end_time"] < values["start_time"] and overnight is False:
        errors["end_time"] = Message(
            N_(
                "The end is before the start. If the window ends the next day, mark it as "
                "running overnight."
            )
        )
    elif not errors and values["end_time"] > values["start_time"] and overnight is True:
        errors["end_time"] = Message(
            N_("An overnight window ends the next day: its end must be before its start.")
        )
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
    if not errors:
        too_long = N_("A one-off window may last at most a year.")
        if (problem := check_interval(start, end, max_days=366, too_long=too_long)) is not None:
            errors["end"] = problem
    if errors:
        raise ValidationFailed(errors)
    return {"start": start, "end": end}
