"""format_money writes exactly what Babel writes with MONEY_PATTERN, without Babel for the
locales with plain digits (i18n.PLAIN_DIGIT_LOCALES)."""

import random
from decimal import Decimal

import pytest
from babel.numbers import format_decimal

from equipment_share.i18n import MONEY_PATTERN, PLAIN_DIGIT_LOCALES, format_money

EDGES = [
    "0",
    "-0",
    "-0.00",
    "0.005",
    "0.015",
    "0.025",
    "-0.005",
    "-0.015",
    "-0.004",
    "2.675",
    "1.005",
    "999.995",
    "1234567.891",
    "-1234567.895",
    "1E+6",
    "12",
    "-12.3",
    "100000000.00",
]


def corpus() -> list[Decimal]:
    generator = random.Random(20261207)
    amounts = [
        Decimal(generator.randint(-(10**10), 10**10)).scaleb(-generator.randint(0, 4))
        for _ in range(3000)
    ]
    return [Decimal(text) for text in EDGES] + amounts


@pytest.mark.parametrize("locale", sorted(PLAIN_DIGIT_LOCALES))
def test_money_text_is_babels(locale):
    for amount in corpus():
        assert format_money(amount, locale) == format_decimal(
            amount, format=MONEY_PATTERN, locale=locale
        ), amount


def test_other_locales_still_go_through_babel():
    assert format_money(Decimal("1234.5"), "de_DE") == "¥1.234,50"
    assert format_money(Decimal("-1234.5"), "zh_CN") == "-¥1,234.50"
    assert format_money(None, "zh_CN") == ""
