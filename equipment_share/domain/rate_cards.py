"""Rate card versions as the platform enters them, and as the fee rules read them.

A version is stored as plain values (money as decimal strings inside its JSON lists); this module
checks what a platform enters and turns a stored version into a `fees.RateCard`.
Field errors inside lists are keyed by path, e.g. ``rate_windows.1.start``.
"""

import re
from collections.abc import Mapping
from datetime import time
from decimal import Decimal

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fees import Charge, RateCard, RateWindow
from equipment_share.domain.fields import (
    REQUIRED,
    check_int,
    check_money,
    check_text,
    parse_money,
)

MAX_RATE_WINDOWS = 10
MAX_ITEMS = 50
CHARGE_NAMES = ("no_show_fee", "late_cancellation_fee")
ITEM_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
BASE_FIELDS = {
    "min_charge_minutes": (0, 1440),
    "billing_increment_minutes": (1, 1440),
}


def validate_rate_card(values: Mapping) -> dict:
    """Check a rate card as entered; return it in stored form or raise ValidationFailed."""
    errors: dict[str, Message] = {}
    cleaned: dict = {}
    for name in ("hourly_rate", "setup_fee"):
        _clean_money(values.get(name), name, cleaned, errors)
    for name, limits in BASE_FIELDS.items():
        if (message := check_int(values.get(name), *limits)) is not None:
            errors[name] = message
        else:
            cleaned[name] = values[name]
    cleaned["rate_windows"] = _clean_list(
        values.get("rate_windows"), "rate_windows", MAX_RATE_WINDOWS, _clean_window, errors
    )
    cleaned["items"] = _clean_list(values.get("items"), "items", MAX_ITEMS, _clean_item, errors)
    codes = [item["code"] for item in cleaned["items"]]
    if len(codes) != len(set(codes)):
        errors["items"] = Message(N_("Each item needs its own code."))
    for name in CHARGE_NAMES:
        charge = _clean_charge(values.get(name, _stored_charge(values, name)), name, errors)
        cleaned[f"{name}_kind"], cleaned[f"{name}_value"] = charge
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def to_rate_card(version: Mapping, timezone: str) -> RateCard:
    """The fee rules' view of a stored version (a mapping of its columns)."""
    return RateCard(
        hourly_rate=version["hourly_rate"],
        setup_fee=version["setup_fee"],
        min_charge_minutes=version["min_charge_minutes"],
        billing_increment_minutes=version["billing_increment_minutes"],
        rate_windows=tuple(
            RateWindow(
                frozenset(window["weekdays"]) if window.get("weekdays") else None,
                time.fromisoformat(window["start"]),
                time.fromisoformat(window["end"]),
                Decimal(window["hourly_rate"]),
            )
            for window in version.get("rate_windows") or ()
        ),
        timezone=timezone,
        items={
            item["code"]: (item["label"], Decimal(item["unit_price"]))
            for item in version.get("items") or ()
        },
        no_show_fee=_charge(version, "no_show_fee"),
        late_cancellation_fee=_charge(version, "late_cancellation_fee"),
    )


def _stored_charge(values: Mapping, name: str) -> dict | None:
    """A charge in stored form (`no_show_fee_kind`, `no_show_fee_value`) as entered, so a
    stored version's values can be entered again unchanged."""
    kind = values.get(f"{name}_kind")
    return {"kind": kind, "value": values.get(f"{name}_value")} if kind else None


def _charge(version: Mapping, name: str) -> Charge | None:
    kind, value = version.get(f"{name}_kind"), version.get(f"{name}_value")
    return Charge(kind, Decimal(value)) if kind else None


def _clean_money(value, name: str, cleaned: dict, errors: dict) -> None:
    if (message := check_money(value)) is not None:
        errors[name] = message
    else:
        cleaned[name] = parse_money(value)


def _clean_list(value, name: str, limit: int, clean_one, errors: dict) -> list:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors[name] = Message(N_("A list is required."))
        return []
    if len(value) > limit:
        errors[name] = Message(N_("At most %(max)d entries."), {"max": limit})
        return []
    cleaned = []
    for index, entry in enumerate(value):
        prefix = f"{name}.{index}"
        if not isinstance(entry, Mapping):
            errors[prefix] = Message(N_("An object is required."))
            continue
        entry_errors: dict[str, Message] = {}
        result = clean_one(entry, entry_errors)
        errors.update({f"{prefix}.{field}": message for field, message in entry_errors.items()})
        if not entry_errors:
            cleaned.append(result)
    return cleaned


def _clean_window(window: Mapping, errors: dict) -> dict:
    weekdays = window.get("weekdays")
    if weekdays in (None, []):
        weekdays = None
    elif not (
        isinstance(weekdays, list | tuple)
        and all(isinstance(day, int) and not isinstance(day, bool) for day in weekdays)
        and all(0 <= day <= 6 for day in weekdays)
    ):
        errors["weekdays"] = Message(N_("Weekdays are numbers from 0 (Monday) to 6 (Sunday)."))
    else:
        weekdays = sorted(set(weekdays))
    for name in ("start", "end"):
        value = window.get(name)
        if value in (None, ""):
            errors[name] = REQUIRED
        elif not isinstance(value, str) or not CLOCK.match(value):
            errors[name] = Message(N_("A time as HH:MM is required."))
    if not errors and window["start"] == window["end"]:
        errors["end"] = Message(N_("The end must differ from the start."))
    rate = window.get("hourly_rate")
    if (message := check_money(rate)) is not None:
        errors["hourly_rate"] = message
    return {
        "weekdays": weekdays,
        "start": window.get("start"),
        "end": window.get("end"),
        "hourly_rate": str(parse_money(rate)) if not errors else None,
    }


def _clean_item(item: Mapping, errors: dict) -> dict:
    code = item.get("code")
    if not isinstance(code, str) or not ITEM_CODE.match(code):
        errors["code"] = Message(N_("A short code of letters, digits, '.', '_' or '-'."))
    label = item.get("label")
    if not isinstance(label, str) or (message := check_text(label, 200, required=True)):
        errors["label"] = message if isinstance(label, str) else REQUIRED
    price = item.get("unit_price")
    if (message := check_money(price)) is not None:
        errors["unit_price"] = message
    if errors:
        return {}
    return {"code": code, "label": label.strip(), "unit_price": str(parse_money(price))}


def _clean_charge(value, name: str, errors: dict) -> tuple[str | None, Decimal | None]:
    if value in (None, {}):
        return None, None
    if not isinstance(value, Mapping) or value.get("kind") not in ("fixed", "percent"):
        errors[name] = Message(N_("Choose a fixed amount or a percentage."))
        return None, None
    amount = parse_money(value.get("value"))
    if amount is None:
        errors[name] = Message(N_("An amount of at least 0 with at most two decimals is required."))
        return None, None
    if value["kind"] == "percent" and amount > 100:
        errors[name] = Message(N_("A percentage is at most 100."))
        return None, None
    return value["kind"], amount
