"""Statements from the database: whose records, which period, which names, who may see them.

March 2026 in Asia/Shanghai: [2026-03-01 00:00+08:00, 2026-04-01 00:00+08:00).
"""

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from equipment_share.domain.errors import NotFound, ValidationFailed
from equipment_share.domain.statements import Party
from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.extensions import db
from equipment_share.models import OrganizationStatus
from equipment_share.services.statements import statement_for, statement_organizations
from tests.statement_helpers import (
    RATE,
    SETUP,
    confirmed_use,
    disputed_use,
    local,
    no_show_charge,
    recorded_use,
    use_in_progress,
)

MARCH_START = local(date(2026, 3, 1))
APRIL_START = local(date(2026, 4, 1))


@pytest.fixture
def coal(make_org):
    return make_org("platform", name="煤炭创新平台", name_en="Coal Platform")


@pytest.fixture
def foundry(make_org):
    return make_org("platform", name="铸造平台")


@pytest.fixture
def coal_user(make_user, coal):
    return make_user("platform", coal)


@pytest.fixture
def foundry_user(make_user, foundry):
    return make_user("platform", foundry)


@pytest.fixture
def sme_user(make_user, make_org):
    return make_user("sme", make_org("sme", name="吕梁新材料有限公司", name_en="Lvliang Materials"))


@pytest.fixture
def other_sme_user(make_user, make_org):
    return make_user("sme", make_org("sme", name="汾阳酒业有限公司"))


@pytest.fixture
def xrd(make_equipment, coal):
    return make_equipment(
        coal, name="X射线衍射仪", name_en="XRD", hourly_rate=RATE, setup_fee=SETUP
    )


@pytest.fixture
def sem(make_equipment, coal):
    return make_equipment(coal, name="扫描电镜", hourly_rate="100.00")


@pytest.fixture
def furnace(make_equipment, foundry):
    return make_equipment(foundry, name="真空炉", hourly_rate="80.00")


def march(viewer, organization_id, **options):
    return statement_for(viewer, organization_id, MARCH_START, APRIL_START, **options)


def test_an_sme_statement_has_its_fees_by_platform_and_instrument(
    coal_user, foundry_user, sme_user, other_sme_user, xrd, sem, furnace
):
    day = date(2026, 3, 10)
    first = confirmed_use(coal_user, sme_user, xrd, local(day, 9))  # 2 h × 150 + 60
    second = recorded_use(coal_user, sme_user, sem, local(day, 14), hours=3)  # 3 h × 100
    third = recorded_use(foundry_user, sme_user, furnace, local(day, 10), hours=1)  # 80
    recorded_use(coal_user, other_sme_user, xrd, local(day, 15))  # another SME's

    statement = march(sme_user, sme_user.organization_id)

    assert statement.party == Party.SME
    assert statement.organization_name == "吕梁新材料有限公司"
    assert [line.usage_id for line in statement.lines] == [first.id, third.id, second.id]
    assert [line.fee for line in statement.lines] == [
        Decimal("360.00"),
        Decimal("80.00"),
        Decimal("300.00"),
    ]
    assert statement.total == Decimal("740.00")
    by_platform = {group.name: group for group in statement.groups}
    assert by_platform["煤炭创新平台"].subtotal == Decimal("660.00")
    assert by_platform["铸造平台"].subtotal == Decimal("80.00")
    assert {sub.name: sub.subtotal for sub in by_platform["煤炭创新平台"].subgroups} == {
        "X射线衍射仪": Decimal("360.00"),
        "扫描电镜": Decimal("300.00"),
    }
    line = statement.lines[0]
    assert (line.counterparty_id, line.equipment_id) == (xrd.platform_id, xrd.id)
    assert (line.actual_start, line.actual_end) == (local(day, 9), local(day, 11))
    assert (line.billable_minutes, line.status) == (120, UsageStatus.CONFIRMED)


def test_a_platform_statement_has_the_fees_earned_on_its_instruments_by_sme(
    coal_user, foundry_user, sme_user, other_sme_user, xrd, sem, furnace
):
    day = date(2026, 3, 12)
    mine = recorded_use(coal_user, sme_user, xrd, local(day, 9))
    theirs = recorded_use(coal_user, other_sme_user, sem, local(day, 13))
    recorded_use(foundry_user, sme_user, furnace, local(day, 9))  # the other platform's

    statement = march(coal_user, coal_user.organization_id)

    assert statement.party == Party.PLATFORM
    assert [line.usage_id for line in statement.lines] == [mine.id, theirs.id]
    assert {group.id: group.subtotal for group in statement.groups} == {
        sme_user.organization_id: Decimal("360.00"),
        other_sme_user.organization_id: Decimal("200.00"),
    }
    assert all(group.subgroups == () for group in statement.groups)
    assert statement.lines[1].counterparty_name == "汾阳酒业有限公司"


def test_the_period_includes_its_start_and_excludes_its_end(coal_user, sme_user, xrd):
    at_start = recorded_use(coal_user, sme_user, xrd, MARCH_START)
    # starts in the last minute of March, ends in April: on March's statement
    last_minute = recorded_use(coal_user, sme_user, xrd, APRIL_START - timedelta(minutes=1))
    recorded_use(coal_user, sme_user, xrd, APRIL_START)
    recorded_use(coal_user, sme_user, xrd, MARCH_START - timedelta(hours=3))

    statement = march(sme_user, sme_user.organization_id)

    assert [line.usage_id for line in statement.lines] == [at_start.id, last_minute.id]


def test_status_totals_and_what_is_left_out(coal_user, sme_user, xrd):
    day = date(2026, 3, 3)
    recorded_use(coal_user, sme_user, xrd, local(day, 8))
    disputed_use(coal_user, sme_user, xrd, local(day, 10), hours=1)
    confirmed_use(coal_user, sme_user, xrd, local(day, 12), hours=3)
    charge = no_show_charge(coal_user, sme_user, xrd, local(day, 16))
    use_in_progress(coal_user, sme_user, xrd, local(day, 19))

    statement = march(sme_user, sme_user.organization_id)

    assert statement.totals_by_status == {
        UsageStatus.RECORDED: Decimal("450.00"),  # 360.00 + the 90.00 no-show charge
        UsageStatus.DISPUTED: Decimal("210.00"),
        UsageStatus.CONFIRMED: Decimal("510.00"),
    }
    assert statement.total == Decimal("1170.00")
    assert statement.in_progress == 1
    no_show = statement.lines[-1]
    assert (no_show.usage_id, no_show.kind) == (charge.id, UsageKind.NO_SHOW)
    assert (no_show.actual_start, no_show.actual_end) == (None, None)
    assert no_show.occurred_at == local(day, 16)


def test_names_in_english_where_asked_and_known(coal_user, sme_user, xrd):
    recorded_use(coal_user, sme_user, xrd, local(date(2026, 3, 3), 8))

    english = march(sme_user, sme_user.organization_id, locale="en")
    chinese = march(sme_user, sme_user.organization_id)

    assert (english.organization_name, english.lines[0].counterparty_name) == (
        "Lvliang Materials",
        "Coal Platform",
    )
    assert english.lines[0].equipment_name == "XRD"
    assert (chinese.lines[0].counterparty_name, chinese.lines[0].equipment_name) == (
        "煤炭创新平台",
        "X射线衍射仪",
    )


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_see_any_organisation_s_statement(
    role, make_user, coal_user, sme_user, xrd
):
    recorded_use(coal_user, sme_user, xrd, local(date(2026, 3, 3), 8))
    operator = make_user(role)

    assert march(operator, sme_user.organization_id).total == Decimal("360.00")
    assert march(operator, coal_user.organization_id).total == Decimal("360.00")


def test_another_organisation_s_statement_does_not_exist_for_the_viewer(
    coal_user, sme_user, other_sme_user, foundry_user, xrd
):
    recorded_use(coal_user, sme_user, xrd, local(date(2026, 3, 3), 8))

    # not even the platform that earned the fees sees the SME's statement, nor the other way
    for viewer, organization_id in [
        (other_sme_user, sme_user.organization_id),
        (coal_user, sme_user.organization_id),
        (sme_user, coal_user.organization_id),
        (foundry_user, coal_user.organization_id),
        (sme_user, 2**31 - 1),
        (None, sme_user.organization_id),
    ]:
        with pytest.raises(NotFound):
            march(viewer, organization_id)


def test_an_empty_or_reversed_period_is_refused(sme_user):
    with pytest.raises(ValidationFailed) as refusal:
        statement_for(sme_user, sme_user.organization_id, APRIL_START, MARCH_START)

    assert set(refusal.value.fields) == {"to"}


@contextmanager
def counted_queries():
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_statement_takes_the_same_few_queries_however_many_lines(
    coal_user, foundry_user, sme_user, xrd, sem, furnace
):
    for hour, equipment, platform_user in [(8, xrd, coal_user), (11, sem, coal_user)]:
        recorded_use(platform_user, sme_user, equipment, local(date(2026, 3, 3), hour))
    db.session.expire_all()
    with counted_queries() as few:
        march(sme_user, sme_user.organization_id)
    for day in range(4, 10):
        recorded_use(foundry_user, sme_user, furnace, local(date(2026, 3, day), 9))
    db.session.expire_all()

    with counted_queries() as more:
        statement = march(sme_user, sme_user.organization_id)

    assert len(statement.lines) == 8
    assert len(more) == len(few) <= 3


def test_finance_chooses_among_approved_organisations_an_sme_sees_its_own(
    make_user, make_org, coal, sme_user
):
    pending = make_org("sme", status=OrganizationStatus.PENDING)

    choices = statement_organizations(make_user("finance"))

    assert coal in choices and sme_user.organization in choices
    assert pending not in choices
    assert choices.index(coal) < choices.index(sme_user.organization)  # platforms first
    assert statement_organizations(sme_user) == [sme_user.organization]
