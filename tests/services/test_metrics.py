"""Metrics from the database against the hand-computed month in tests/metrics_helpers.py."""

from decimal import Decimal

import pytest

from equipment_share.domain.errors import Forbidden, ValidationFailed
from equipment_share.services.metrics import (
    city_metrics,
    equipment_metrics,
    sme_figures,
)
from equipment_share.services.statements import statement_for
from tests import metrics_helpers
from tests.metrics_helpers import APRIL_START, MARCH_START

march = metrics_helpers.march


def by_instrument(metrics):
    return {row.equipment_id: row for row in metrics}


def test_each_instrument_s_figures_for_the_month(march, make_user):
    finance = make_user("finance")

    rows = by_instrument(equipment_metrics(finance, MARCH_START, APRIL_START))

    xrd = rows[march.xrd.id]
    assert xrd.idle_hours == Decimal("368.00")
    assert xrd.booked_hours == Decimal("7.00")
    assert (xrd.used_hours, xrd.shared_hours) == (Decimal("5.00"), Decimal("5.00"))
    assert xrd.utilisation == Decimal("0.0136")
    assert (xrd.smes_served, xrd.no_shows) == (2, 1)
    assert xrd.revenue == Decimal("960.00")
    sem = rows[march.sem.id]
    assert (sem.idle_hours, sem.used_hours, sem.revenue) == (
        Decimal("372.00"),
        Decimal("1.00"),
        Decimal("100.00"),
    )
    assert sem.utilisation == Decimal("0.0027")  # 60 / 22,320
    assert rows[march.furnace.id].revenue == Decimal("160.00")


def test_a_platform_sees_only_its_own_instruments(march):
    rows = equipment_metrics(march.coal_user, MARCH_START, APRIL_START)

    assert [row.equipment_id for row in rows] == [march.xrd.id, march.sem.id]


def test_an_sme_sees_no_instrument_metrics(march):
    with pytest.raises(Forbidden):
        equipment_metrics(march.sme_a, MARCH_START, APRIL_START)


def test_revenue_agrees_with_the_platform_statement_to_the_fen(march):
    statement = statement_for(
        march.coal_user, march.coal_user.organization_id, MARCH_START, APRIL_START
    )
    rows = equipment_metrics(march.coal_user, MARCH_START, APRIL_START)

    assert sum(row.revenue for row in rows) == statement.total == Decimal("1060.00")


def test_an_instrument_without_idle_time_has_no_utilisation(march, make_equipment):
    idle_less = make_equipment(march.coal_user.organization, weekly=[])

    rows = by_instrument(equipment_metrics(march.coal_user, MARCH_START, APRIL_START))

    assert rows[idle_less.id].idle_hours == Decimal("0.00")
    assert rows[idle_less.id].utilisation is None


def test_an_sme_s_spend_matches_its_statement(march):
    figures = sme_figures(march.sme_a, march.sme_a.organization_id, MARCH_START, APRIL_START)
    statement = statement_for(march.sme_a, march.sme_a.organization_id, MARCH_START, APRIL_START)

    assert figures.spend == statement.total == Decimal("550.00")
    assert figures.used_hours == Decimal("3.00")


def test_an_sme_cannot_see_another_sme_s_figures(march):
    with pytest.raises(Forbidden):
        sme_figures(march.sme_a, march.sme_b.organization_id, MARCH_START, APRIL_START)


def test_city_fees_and_top_lists(march, make_user):
    city = city_metrics(make_user("finance"), MARCH_START, APRIL_START)

    assert city.fees == Decimal("1220.00")
    assert city.used_hours == Decimal("8.00")
    assert city.records == 5
    assert [(entry.name, entry.fees) for entry in city.top_platforms] == [
        ("煤炭创新平台", Decimal("1060.00")),
        ("铸造平台", Decimal("160.00")),
    ]
    assert [(entry.name, entry.fees) for entry in city.top_smes] == [
        ("汾阳酒业有限公司", Decimal("670.00")),
        ("吕梁新材料有限公司", Decimal("550.00")),
    ]


@pytest.mark.parametrize("role", ["platform", "sme"])
def test_city_metrics_are_for_finance_and_admin(march, make_user, role):
    with pytest.raises(Forbidden):
        city_metrics(make_user(role), MARCH_START, APRIL_START)


def test_a_period_ending_before_it_starts_is_refused(march, make_user):
    with pytest.raises(ValidationFailed):
        city_metrics(make_user("admin"), APRIL_START, MARCH_START)
