"""A notice's sentence in a reader's language, from its kind and stored values: names in the
reader's language where an English one exists, money formatted for the reader."""

from decimal import Decimal, InvalidOperation

from flask_babel import force_locale

from equipment_share.domain.errors import Message
from equipment_share.domain.notices import BILINGUAL_PARAMS, MONEY_PARAMS, TEMPLATES
from equipment_share.i18n import DEFAULT_LOCALE, format_money, reader_locale, translate

NO_REASON = "—"


def _values(params: dict, locale: str) -> dict:
    values = {}
    for name, value in params.items():
        if name.endswith("_en"):
            continue
        if name in BILINGUAL_PARAMS and locale == "en" and params.get(f"{name}_en"):
            value = params[f"{name}_en"]
        elif name in MONEY_PARAMS:
            try:
                value = format_money(Decimal(str(value)), locale)
            except (InvalidOperation, ValueError):
                value = str(value)
        values[name] = value
    if "reason" in values and not values["reason"]:
        values["reason"] = NO_REASON
    return values


class _Defaults(dict):
    """A value a template wants but an older notice lacks reads as a dash, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return NO_REASON


def render(kind: str, params: dict, locale: str | None = None) -> str:
    """The notice in `locale` (default: the reader's language in a request, else Chinese)."""
    locale = locale or reader_locale()
    template = TEMPLATES.get(kind)
    if template is None:
        return kind
    with force_locale(locale):
        text = translate(Message(template))
    return text % _Defaults(_values(params, locale))


def render_chinese(kind: str, params: dict) -> str:
    """For group robots: Chinese offices read them, and nobody's language is known there."""
    return render(kind, params, DEFAULT_LOCALE)
