"""Rules for organisations: what a valid platform or SME record is."""

from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import ValidationError as NumberInvalid

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fields import check_text, collect

KINDS = ("platform", "sme")
# A platform's users are platform users and an SME's profile is private: the kind never changes.
FIXED_KIND = Message(N_("The kind of an organisation cannot change once it is made."))
TEXT_LIMITS = {
    "name": 200,
    "name_en": 200,
    "tech_sme_cert_no": 64,
    "industry": 100,
    "address": 300,
    "contact_name": 100,
    "contact_phone": 50,
    "description": 5000,
}


def normalise_uscc(value: str | None) -> str | None:
    """The compact form of a valid USCC, or None when it has a wrong length, character or check."""
    if not value:
        return None
    try:
        return uscc_number.validate(value)
    except NumberInvalid:
        return None


def check_uscc(value: str | None) -> Message | None:
    if not value or not value.strip():
        return Message(N_("This field is required."))
    if normalise_uscc(value) is None:
        return Message(
            N_("Not a valid Unified Social Credit Code (18 characters with a check character).")
        )
    return None


def validate_organization(values: dict) -> dict:
    """Return the cleaned values or raise ValidationFailed naming every bad field."""
    checks = {name: check_text(values.get(name), limit) for name, limit in TEXT_LIMITS.items()}
    checks["name"] = check_text(values.get("name"), TEXT_LIMITS["name"], required=True)
    checks["uscc"] = check_uscc(values.get("uscc"))
    if values.get("kind") not in KINDS:
        checks["kind"] = Message(N_("Choose platform or SME."))
    if values.get("tech_sme_certified") and not (values.get("tech_sme_cert_no") or "").strip():
        checks["tech_sme_cert_no"] = Message(
            N_("A certified tech SME needs its certificate number.")
        )
    errors = collect(checks)
    if errors:
        raise ValidationFailed(errors)
    cleaned = dict(values)
    cleaned["uscc"] = normalise_uscc(values["uscc"])
    cleaned["name"] = values["name"].strip()
    cleaned["tech_sme_certified"] = bool(values.get("tech_sme_certified"))
    return cleaned


def uscc_with_check_character(first_17: str) -> str:
    """Complete 17 characters into a valid USCC (demo data and tests need real-looking codes)."""
    return first_17 + uscc_number.calc_check_digit(first_17)
