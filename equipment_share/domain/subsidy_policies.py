"""What a subsidy policy's settings must satisfy, read from plain values (API body or form).

`read_policy(values)` returns the clean settings or raises ValidationFailed naming every bad
field. Sources are given as a list, or by the shorthand of top-level `rate`, `annual_cap` and
`per_claim_cap`, which makes one source.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from equipment_share.domain.bookings import PURPOSE_CATEGORIES
from equipment_share.domain.equipment import CATEGORIES
from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fields import REQUIRED, check_money, check_text, parse_money

NAME_MAX_LENGTH = 200
SOURCE_NAME_MAX_LENGTH = 100
MAX_SOURCES = 10
DEFAULT_SOURCE_NAME = "city"
ONE = Decimal(1)
RATE_PLACES = 4


@dataclass(frozen=True)
class SourceSettings:
    name: str
    rate: Decimal
    annual_cap: Decimal
    per_claim_cap: Decimal | None


@dataclass(frozen=True)
class PolicySettings:
    name: str
    valid_from: date
    valid_to: date | None
    sources: tuple[SourceSettings, ...]
    min_claim_amount: Decimal
    eligible_categories: list[str] | None
    eligible_purposes: list[str] | None
    require_tech_sme: bool
    exclude_related_parties: bool
    group_caps: bool
    require_invoice: bool
    platform_reward_rate: Decimal | None


RATE_MESSAGE = Message(N_("A rate between 0 and 1 with at most four decimals, such as 0.30."))


def parse_rate(value) -> Decimal | None:
    """A fraction 0 ≤ rate ≤ 1 with at most four decimals, from a string; None when not one."""
    if isinstance(value, bool | float) or value is None:
        return None
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not rate.is_finite() or not 0 <= rate <= ONE or rate.as_tuple().exponent < -RATE_PLACES:
        return None
    return rate.quantize(Decimal("0.0001"))


def _choices(value, allowed, errors: dict, name: str) -> list[str] | None:
    """A list of known values, or None (= all)."""
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        errors[name] = Message(N_("A list of values, or null for all."))
        return None
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        errors[name] = Message(
            N_("Unknown values: %(values)s. Choose from: %(choices)s."),
            {"values": ", ".join(unknown), "choices": ", ".join(sorted(allowed))},
        )
        return None
    return sorted(set(value))


def _flag(values: Mapping, name: str, default: bool, errors: dict) -> bool:
    value = values.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        errors[name] = Message(N_("Choose yes or no."))
        return default
    return value


def _source(raw, index: int, errors: dict) -> SourceSettings | None:
    prefix = f"sources.{index}"
    if not isinstance(raw, Mapping):
        errors[prefix] = Message(N_("A funding source needs a name, a rate and an annual cap."))
        return None
    problems = {}
    name = raw.get("name")
    if (message := check_text(name, SOURCE_NAME_MAX_LENGTH, required=True)) is not None:
        problems["name"] = message
    rate = parse_rate(raw.get("rate"))
    if rate is None:
        problems["rate"] = REQUIRED if raw.get("rate") in (None, "") else RATE_MESSAGE
    if (message := check_money(raw.get("annual_cap"))) is not None:
        problems["annual_cap"] = message
    per_claim = raw.get("per_claim_cap")
    if per_claim not in (None, "") and (message := check_money(per_claim)) is not None:
        problems["per_claim_cap"] = message
    for field_name, message in problems.items():
        errors[f"{prefix}.{field_name}"] = message
    if problems:
        return None
    return SourceSettings(
        name=name.strip(),
        rate=rate,
        annual_cap=parse_money(raw["annual_cap"]),
        per_claim_cap=parse_money(per_claim) if per_claim not in (None, "") else None,
    )


def _sources(values: Mapping, errors: dict) -> tuple[SourceSettings, ...]:
    raw_sources = values.get("sources")
    if raw_sources is None and any(
        values.get(name) is not None for name in ("rate", "annual_cap", "per_claim_cap")
    ):
        raw_sources = [
            {
                "name": values.get("source_name") or DEFAULT_SOURCE_NAME,
                "rate": values.get("rate"),
                "annual_cap": values.get("annual_cap"),
                "per_claim_cap": values.get("per_claim_cap"),
            }
        ]
    if not raw_sources or not isinstance(raw_sources, list | tuple):
        errors["sources"] = Message(N_("At least one funding source is required."))
        return ()
    if len(raw_sources) > MAX_SOURCES:
        errors["sources"] = Message(N_("At most %(max)d funding sources."), {"max": MAX_SOURCES})
        return ()
    sources = [_source(raw, index, errors) for index, raw in enumerate(raw_sources)]
    sources = [source for source in sources if source is not None]
    if len(sources) == len(raw_sources):
        if len({source.name for source in sources}) != len(sources):
            errors["sources"] = Message(N_("Each funding source needs its own name."))
        elif sum(source.rate for source in sources) > ONE:
            errors["sources"] = Message(N_("The sources' rates together are at most 1."))
    return tuple(sources)


def read_policy(values: Mapping) -> PolicySettings:
    """The policy's settings from plain values, or ValidationFailed naming each bad field."""
    errors: dict[str, Message] = {}
    name = values.get("name")
    if (message := check_text(name, NAME_MAX_LENGTH, required=True)) is not None:
        errors["name"] = message
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if not isinstance(valid_from, date):
        errors["valid_from"] = REQUIRED
    if valid_to is not None and not isinstance(valid_to, date):
        errors["valid_to"] = Message(N_("A date like 2026-12-01 is required."))
    elif isinstance(valid_from, date) and valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = Message(N_("Must not be before the start date."))
    sources = _sources(values, errors)
    min_claim = values.get("min_claim_amount")
    if min_claim in (None, ""):
        min_claim = "0.00"
    if (message := check_money(min_claim)) is not None:
        errors["min_claim_amount"] = message
    categories = _choices(
        values.get("eligible_categories"), CATEGORIES, errors, "eligible_categories"
    )
    purposes = _choices(
        values.get("eligible_purposes"), PURPOSE_CATEGORIES, errors, "eligible_purposes"
    )
    reward = values.get("platform_reward_rate")
    reward_rate = None
    if reward not in (None, ""):
        reward_rate = parse_rate(reward)
        if reward_rate is None:
            errors["platform_reward_rate"] = RATE_MESSAGE
    flags = {
        name: _flag(values, name, default, errors)
        for name, default in (
            ("require_tech_sme", True),
            ("exclude_related_parties", True),
            ("group_caps", False),
            ("require_invoice", False),
        )
    }
    if errors:
        raise ValidationFailed(errors)
    return PolicySettings(
        name=name.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        sources=sources,
        min_claim_amount=parse_money(min_claim),
        eligible_categories=categories,
        eligible_purposes=purposes,
        platform_reward_rate=reward_rate,
        **flags,
    )
