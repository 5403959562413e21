"""Language and time zone: zh_CN by default, English one click away; money and times formatted."""

from decimal import ROUND_HALF_EVEN, Decimal

from babel.numbers import format_currency, format_decimal
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_datetime, get_locale, gettext
from flask_login import current_user

from equipment_share.domain.errors import Message
from equipment_share.extensions import babel

LANGUAGE_COOKIE = "language"


def select_locale() -> str:
    """Pages: the language cookie, then the account's choice. API: Accept-Language.
    Otherwise Simplified Chinese."""
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"], default="zh-CN")
        return "en" if best == "en" else default
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return default


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def translate(message: Message | str) -> str:
    """A domain message in the reader's language, its values filled in after translation. A
    value that is itself a Message (a status word, a role) is translated too, so no raw code
    such as `pending` reaches the reader."""
    if isinstance(message, Message):
        template = gettext(message.template)
        if not message.params:
            return template
        return template % {
            name: translate(value) if isinstance(value, Message) else value
            for name, value in message.params.items()
        }
    return gettext(message)


# CNY the Chinese way (¥, two decimals) whatever the language; Babel groups the digits as the
# reader's locale does.
MONEY_PATTERN = "¥#,##0.00;-¥#,##0.00"
# The ISO code, for English mail, where "¥" could be read as yen.
MONEY_CODE_PATTERN = "¤¤ #,##0.00"
DEFAULT_LOCALE = "zh_CN"


def reader_locale() -> str:
    """The reader's locale in a request; Chinese elsewhere (mail, the command line)."""
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale is not None else DEFAULT_LOCALE


# Locales whose digits Babel groups with "," and splits with ".": for them format_money gives
# Babel's text without Babel (a catalogue page shows 20 amounts; Babel parses the pattern and
# walks the locale data for each, about five times the cost). tests/test_money_format.py
# compares both on a corpus.
PLAIN_DIGIT_LOCALES = frozenset({"zh_CN", "zh_Hans_CN", "en"})
CENT = Decimal("0.01")


def format_money(amount: Decimal | None, locale: str | None = None) -> str:
    """¥1,234.50 (and -¥120.00), as Babel writes it, in the given locale or the reader's."""
    if amount is None:
        return ""
    locale = locale or reader_locale()
    if locale in PLAIN_DIGIT_LOCALES:
        value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_EVEN)
        return f"{'-¥' if value.is_signed() else '¥'}{value.copy_abs():,}"
    return format_decimal(Decimal(amount), format=MONEY_PATTERN, locale=locale)


def format_money_code(amount: Decimal, locale: str = "en") -> str:
    """CNY 1,234.50: money with its ISO code, for English mail."""
    return format_currency(
        Decimal(amount), "CNY", format=MONEY_CODE_PATTERN, locale=locale, currency_digits=False
    )


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.filters["datetime"] = lambda value, fmt="yyyy-MM-dd HH:mm": (
        format_datetime(value, fmt) if value else ""
    )
