"""Fee statements from plain lines: order, groups, exact totals, and periods of local days."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equipment_share.domain.errors import ValidationFailed
from equipment_share.domain.statements import (
    MAX_PERIOD_DAYS,
    Party,
    Period,
    StatementLine,
    build_statement,
    check_period,
    month_of,
    period_of_days,
)
from equipment_share.domain.usage import UsageKind, UsageStatus
from tests.clock import SHANGHAI

BERLIN = ZoneInfo("Europe/Berlin")
MARCH = Period(datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC))
PROPERTIES = settings(max_examples=200, deadline=None, derandomize=True, database=None)

COAL = (1, "煤炭平台")
FOUNDRY = (2, "铸造平台")
XRD = (10, "X射线衍射仪")
SEM = (11, "扫描电镜")
FURNACE = (20, "真空炉")


def line(
    usage_id: int,
    day: int,
    fee: str,
    *,
    counterparty=COAL,
    equipment=XRD,
    status=UsageStatus.CONFIRMED,
    kind=UsageKind.USAGE,
) -> StatementLine:
    start = datetime(2026, 3, day, 1, tzinfo=UTC)
    return StatementLine(
        usage_id=usage_id,
        booking_id=usage_id + 100,
        kind=kind,
        status=status,
        occurred_at=start,
        actual_start=start,
        actual_end=start + timedelta(hours=2),
        billable_minutes=120,
        fee=Decimal(fee),
        equipment_id=equipment[0],
        equipment_name=equipment[1],
        counterparty_id=counterparty[0],
        counterparty_name=counterparty[1],
    )


def statement(lines, party=Party.SME):
    return build_statement(7, "某企业", party, MARCH, lines)


def test_lines_are_in_time_order_whatever_order_they_come_in():
    lines = [line(5, 3, "1.00"), line(2, 1, "1.00"), line(9, 2, "1.00"), line(1, 3, "1.00")]
    random.Random(4).shuffle(lines)

    shown = statement(lines).lines

    # the same instant: the older record first
    assert [item.usage_id for item in shown] == [2, 9, 1, 5]


def test_an_sme_statement_groups_by_platform_then_instrument_each_with_its_subtotal():
    lines = [
        line(1, 1, "360.00", counterparty=FOUNDRY, equipment=FURNACE),
        line(2, 2, "100.50", counterparty=COAL, equipment=SEM),
        line(3, 3, "200.25", counterparty=COAL, equipment=XRD),
        line(4, 4, "50.00", counterparty=COAL, equipment=SEM),
    ]

    groups = statement(lines).groups

    # by name, in code-point order: 煤 (U+7164) before 铸 (U+94F8), "X" before 扫
    assert [(group.id, group.subtotal) for group in groups] == [
        (1, Decimal("350.75")),
        (2, Decimal("360.00")),
    ]
    coal = groups[0]
    assert [(sub.name, sub.subtotal) for sub in coal.subgroups] == [
        ("X射线衍射仪", Decimal("200.25")),
        ("扫描电镜", Decimal("150.50")),
    ]
    assert [item.usage_id for item in coal.subgroups[1].lines] == [2, 4]
    assert [item.usage_id for item in coal.lines] == [2, 3, 4]


def test_a_platform_statement_groups_by_sme_without_instrument_subgroups():
    sme_a, sme_b = (31, "甲公司"), (32, "乙公司")
    lines = [
        line(1, 1, "10.00", counterparty=sme_b),
        line(2, 2, "20.00", counterparty=sme_a, equipment=SEM),
        line(3, 3, "30.00", counterparty=sme_b, equipment=SEM),
    ]

    groups = statement(lines, Party.PLATFORM).groups

    # 乙 (U+4E59) sorts before 甲 (U+7532)
    assert [(group.name, group.subtotal) for group in groups] == [
        ("乙公司", Decimal("40.00")),
        ("甲公司", Decimal("20.00")),
    ]
    assert all(group.subgroups == () for group in groups)
    assert [item.usage_id for item in groups[0].lines] == [1, 3]


def test_two_counterparties_of_the_same_name_stay_apart():
    twin_a, twin_b = (41, "同名公司"), (42, "同名公司")
    lines = [line(1, 1, "1.00", counterparty=twin_b), line(2, 2, "2.00", counterparty=twin_a)]

    groups = statement(lines, Party.PLATFORM).groups

    assert [(group.id, group.subtotal) for group in groups] == [
        (41, Decimal("2.00")),
        (42, Decimal("1.00")),
    ]


def test_records_in_progress_are_counted_but_not_on_the_statement():
    lines = [
        line(1, 1, "0.00", status=UsageStatus.IN_PROGRESS),
        line(2, 2, "80.00", status=UsageStatus.RECORDED),
    ]

    result = statement(lines)

    assert [item.usage_id for item in result.lines] == [2]
    assert result.in_progress == 1
    assert [item.usage_id for group in result.groups for item in group.lines] == [2]


def test_totals_by_status_cover_recorded_disputed_and_confirmed():
    lines = [
        line(1, 1, "100.00", status=UsageStatus.RECORDED),
        line(2, 2, "40.00", status=UsageStatus.DISPUTED),
        line(3, 3, "60.00", status=UsageStatus.CONFIRMED),
        line(4, 4, "5.55", status=UsageStatus.RECORDED, kind=UsageKind.NO_SHOW),
    ]

    result = statement(lines)

    assert result.totals_by_status == {
        UsageStatus.RECORDED: Decimal("105.55"),
        UsageStatus.DISPUTED: Decimal("40.00"),
        UsageStatus.CONFIRMED: Decimal("60.00"),
    }
    assert result.total == Decimal("205.55")


def test_totals_are_exact_decimals():
    result = statement([line(i, 1 + i % 28, "0.10") for i in range(1, 11)])

    assert result.total == Decimal("1.00")
    assert isinstance(result.total, Decimal)


def test_an_empty_statement_totals_zero_in_every_status():
    result = statement([])

    assert result.total == Decimal("0.00")
    assert result.groups == ()
    assert set(result.totals_by_status.values()) == {Decimal("0.00")}


# --- periods ---


def test_a_period_of_days_runs_from_local_midnight_to_the_midnight_after_the_last_day():
    period = period_of_days(date(2026, 3, 1), date(2026, 3, 31), SHANGHAI)

    assert period == MARCH
    assert period.days(SHANGHAI) == (date(2026, 3, 1), date(2026, 3, 31))


def test_a_single_day_is_a_period():
    period = period_of_days(date(2026, 3, 5), date(2026, 3, 5), SHANGHAI)

    assert period.end - period.start == timedelta(days=1)


def test_a_day_across_a_daylight_saving_change_is_23_hours_long():
    period = period_of_days(date(2026, 3, 29), date(2026, 3, 29), BERLIN)

    assert period.end - period.start == timedelta(hours=23)
    assert period.days(BERLIN) == (date(2026, 3, 29), date(2026, 3, 29))


def test_a_period_not_on_local_midnights_has_no_days():
    period = Period(datetime(2026, 3, 1, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))

    assert period.days(SHANGHAI) is None


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 3, 2), date(2026, 3, 1)),
        (date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=MAX_PERIOD_DAYS)),
        (date(2026, 1, 1), date.max),
        (date.min, date(2026, 1, 1)),
    ],
    ids=["last before first", "longer than allowed", "beyond the calendar", "before it"],
)
def test_a_bad_period_of_days_is_refused_on_the_to_field(first, last):
    with pytest.raises(ValidationFailed) as refusal:
        period_of_days(first, last, SHANGHAI)

    assert set(refusal.value.fields) == {"to"}


def test_a_leap_year_is_the_longest_period():
    period = period_of_days(date(2028, 1, 1), date(2028, 12, 31), SHANGHAI)

    assert period.end - period.start == timedelta(days=MAX_PERIOD_DAYS)


@pytest.mark.parametrize(
    ("end", "accepted"),
    [
        (datetime(2026, 3, 1, tzinfo=UTC), False),
        (datetime(2026, 3, 1, 0, 1, tzinfo=UTC), True),
        (datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=MAX_PERIOD_DAYS), True),
        (datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=MAX_PERIOD_DAYS, seconds=1), False),
    ],
)
def test_check_period_wants_an_end_after_the_start_and_at_most_the_longest_period(end, accepted):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    if accepted:
        assert check_period(start, end) == Period(start, end)
    else:
        with pytest.raises(ValidationFailed):
            check_period(start, end)


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (date(2026, 3, 15), (date(2026, 3, 1), date(2026, 3, 31))),
        (date(2028, 2, 29), (date(2028, 2, 1), date(2028, 2, 29))),
        (date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
        (date(2026, 1, 1), (date(2026, 1, 1), date(2026, 1, 31))),
    ],
)
def test_month_of_gives_the_first_and_last_day(day, month):
    assert month_of(day) == month


# --- properties ---

fees = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
statuses = st.sampled_from(list(UsageStatus))
counterparties = st.sampled_from([COAL, FOUNDRY, (3, "煤炭平台"), (4, "另一平台")])
instruments = st.sampled_from([XRD, SEM, FURNACE, (12, "扫描电镜")])


@st.composite
def line_lists(draw):
    count = draw(st.integers(min_value=0, max_value=40))
    return [
        line(
            usage_id,
            draw(st.integers(min_value=1, max_value=31)),
            str(draw(fees)),
            counterparty=draw(counterparties),
            equipment=draw(instruments),
            status=draw(statuses),
        )
        for usage_id in range(1, count + 1)
    ]


@PROPERTIES
@given(lines=line_lists(), party=st.sampled_from(list(Party)))
def test_the_total_is_the_sum_of_the_group_subtotals_and_of_the_lines(lines, party):
    result = build_statement(7, "某", party, MARCH, lines)

    settled = [item for item in lines if item.status != UsageStatus.IN_PROGRESS]
    line_sum = sum((item.fee for item in settled), Decimal("0"))
    assert result.total == line_sum
    assert result.total == sum((group.subtotal for group in result.groups), Decimal("0"))
    assert result.total == sum(result.totals_by_status.values(), Decimal("0"))
    assert result.in_progress == len(lines) - len(settled)
    for group in result.groups:
        if party == Party.SME:
            assert group.subtotal == sum((sub.subtotal for sub in group.subgroups), Decimal("0"))
        else:
            assert group.subgroups == ()


@PROPERTIES
@given(lines=line_lists(), party=st.sampled_from(list(Party)))
def test_every_line_is_in_exactly_one_group_in_time_order(lines, party):
    result = build_statement(7, "某", party, MARCH, lines)

    grouped = [item for group in result.groups for item in group.lines]
    assert sorted(item.usage_id for item in grouped) == sorted(
        item.usage_id for item in result.lines
    )
    order = [(item.occurred_at, item.usage_id) for item in result.lines]
    assert order == sorted(order)
    for group in result.groups:
        assert {item.counterparty_id for item in group.lines} == {group.id}
        for sub in group.subgroups:
            assert {item.equipment_id for item in sub.lines} == {sub.id}
