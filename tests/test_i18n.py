"""Words and numbers for readers: domain messages translated with their status words, money
formatted by Babel in the Chinese convention."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from equipment_share.domain.errors import Message
from equipment_share.i18n import format_money, format_money_code, translate


@pytest.mark.parametrize(
    ("amount", "locale", "shown"),
    [
        (Decimal("1234.5"), "zh_CN", "¥1,234.50"),
        (Decimal("1234.5"), "en", "¥1,234.50"),
        (Decimal("0"), "zh_CN", "¥0.00"),
        (Decimal("-120"), "zh_CN", "-¥120.00"),
        (Decimal("1234567.89"), "en", "¥1,234,567.89"),
        (Decimal("1234.5"), "de_DE", "¥1.234,50"),  # Babel groups as the locale does
    ],
)
def test_money_is_yuan_with_two_decimals_grouped_by_babel(amount, locale, shown):
    assert format_money(amount, locale) == shown


def test_money_follows_the_readers_language_on_pages_and_is_chinese_elsewhere(app):
    assert format_money(Decimal("1234.5")) == "¥1,234.50"  # no request: Chinese
    with app.test_request_context(), force_locale("de_DE"):
        assert format_money(Decimal("1234.5")) == "¥1.234,50"
    assert app.jinja_env.filters["money"](Decimal("360")) == "¥360.00"
    assert format_money(None) == ""


def test_english_mail_names_the_currency_by_its_code():
    assert format_money_code(Decimal("1350.5")) == "CNY 1,350.50"
    assert format_money_code(Decimal("-20")) == "-CNY 20.00"


def test_words_inside_a_message_are_translated_too(app):
    message = Message(
        "The booking is %(status)s: it cannot be changed that way (%(action)s).",
        {"status": Message("pending approval"), "action": Message("cancel")},
    )

    with app.test_request_context(), force_locale("zh_CN"):
        chinese = translate(message)
    with app.test_request_context(), force_locale("en"):
        english = translate(message)

    assert "pending" not in chinese and "cancel" not in chinese
    assert "待审核" in chinese
    assert english == "The booking is pending approval: it cannot be changed that way (cancel)."
