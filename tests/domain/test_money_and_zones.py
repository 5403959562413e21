"""Single-value checks: money as plain decimal text, time zones as IANA names."""

from decimal import Decimal

import pytest

from equipment_share.domain.equipment import is_time_zone
from equipment_share.domain.fields import check_money, parse_money


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("0", Decimal("0.00")),
        ("360", Decimal("360.00")),
        ("360.5", Decimal("360.50")),
        ("360.05", Decimal("360.05")),
        ("99999999.99", Decimal("99999999.99")),
        (Decimal("12.30"), Decimal("12.30")),
        (12, Decimal("12.00")),
    ],
)
def test_plain_amounts_are_read(value, amount):
    assert parse_money(value) == amount
    assert check_money(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "1_000",
        "１０００",  # full-width
        "١٠٠",  # Arabic-Indic digits: also \\d
        " 100",
        "100 ",
        "\t100",
        "+100",
        "-5",  # a valid shape, but money here is never negative
        "1e3",
        "100.",
        ".5",
        "1.234",
        "1,000.00",
        "NaN",
        "Infinity",
        "100000000.00",
        1.5,
        True,
        None,
    ],
)
def test_anything_else_is_not_money(value):
    assert parse_money(value) is None


@pytest.mark.parametrize("name", ["Asia/Shanghai", "Asia/Urumqi", "Europe/Berlin", "UTC"])
def test_iana_zones_are_time_zones(name):
    assert is_time_zone(name)


@pytest.mark.parametrize(
    "name",
    [
        "Factory",
        "posixrules",
        "localtime",
        "asia/shanghai",
        "Asia",
        "Asia/",
        "../etc/passwd",
        "",
        None,
        8,
    ],
)
def test_other_names_are_not(name):
    assert not is_time_zone(name)
