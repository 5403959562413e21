"""Language and time zone: zh_CN by default, English one click away; money and times formatted."""

from decimal import Decimal

from flask import Flask, current_app, request
from flask_babel import format_datetime, gettext
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
    """A domain message in the reader's language, its values filled in after translation."""
    if isinstance(message, Message):
        return (
            gettext(message.template) % message.params
            if message.params
            else gettext(message.template)
        )
    return gettext(message)


def format_money(amount: Decimal | None) -> str:
    """CNY the Chinese way: ¥1,234.50."""
    if amount is None:
        return ""
    return f"¥{Decimal(amount):,.2f}"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.filters["datetime"] = lambda value, fmt="yyyy-MM-dd HH:mm": (
        format_datetime(value, fmt) if value else ""
    )
