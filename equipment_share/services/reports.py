"""The annual sharing-evaluation report of a platform (开放共享评价), as a page and as XLSX.

Per instrument: whether it was open (offered idle time), machine hours (all recorded use),
shared machine hours (use by other organisations), sharing rate, users served, revenue,
subsidy and, for instruments of ¥500,000 and more, the revenue rate; the platform's openness,
its distinct users and its average machine hours per instrument against the national benchmark
of 1,200–1,600 hours a year. The figures are services/metrics.py's, so they agree with the
metrics API and the statements.
"""

import io
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select

from equipment_share.domain.errors import NotFound
from equipment_share.domain.metrics import (
    BENCHMARK_HOURS,
    Benchmark,
    SharingReport,
    report_totals,
    sharing_report_row,
    year_period,
)
from equipment_share.domain.statements import Period
from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Equipment,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    UsageRecord,
    User,
)
from equipment_share.services.access import require_role
from equipment_share.services.availability import with_idle_windows
from equipment_share.services.metrics import OPERATORS, instrument_sums
from equipment_share.services.statement_exports import bold, header_fill


def report_platforms(viewer: User) -> list[Organization]:
    """The platforms whose report the viewer may open: its own, or all for finance and admin."""
    require_role(viewer, Role.PLATFORM, *OPERATORS)
    if viewer.role == Role.PLATFORM:
        return [viewer.organization]
    return list(
        db.session.scalars(
            select(Organization)
            .where(
                Organization.kind == OrganizationKind.PLATFORM,
                Organization.status == OrganizationStatus.APPROVED,
            )
            .order_by(Organization.name)
        )
    )


def sharing_report(viewer: User, platform_id: int, year: int, zone: ZoneInfo) -> SharingReport:
    """Another platform's report is NotFound for a platform user."""
    require_role(viewer, Role.PLATFORM, *OPERATORS)
    platform = db.session.get(Organization, platform_id)
    if (
        platform is None
        or platform.kind != OrganizationKind.PLATFORM
        or (viewer.role == Role.PLATFORM and viewer.organization_id != platform_id)
    ):
        raise NotFound()
    period = Period(*year_period(year, zone))
    instruments = list(
        db.session.scalars(
            with_idle_windows(
                select(Equipment).where(Equipment.platform_id == platform_id).order_by(Equipment.id)
            )
        )
    )
    sums = instrument_sums(instruments, period, platform_id)
    rows = [
        sharing_report_row(
            sums[equipment.id],
            name=equipment.name,
            original_value=equipment.original_value,
            purchase_year=equipment.purchase_year,
        )
        for equipment in instruments
    ]
    return SharingReport(
        platform_id=platform_id,
        platform_name=platform.name,
        year=year,
        rows=rows,
        users_served=_users_served(platform_id, period),
        totals=report_totals(rows),
    )


def _users_served(platform_id: int, period: Period) -> int:
    """Distinct organisations with recorded use of any of the platform's instruments."""
    return db.session.scalar(
        select(func.count(distinct(UsageRecord.organization_id))).where(
            UsageRecord.platform_id == platform_id,
            UsageRecord.kind == UsageKind.USAGE,
            UsageRecord.status != UsageStatus.IN_PROGRESS,
            UsageRecord.occurred_at >= period.start,
            UsageRecord.occurred_at < period.end,
        )
    )


# --- XLSX, in Chinese: it goes to the evaluation office ----------------------------------------

BENCHMARK_WORDS = {
    Benchmark.BELOW: "低于基准",
    Benchmark.WITHIN: "达到基准",
    Benchmark.ABOVE: "高于基准",
}
COLUMNS = (
    ("仪器名称", 30),
    ("原值（元）", 16),
    ("购置年份", 10),
    ("参评（原值≥50万元）", 18),
    ("是否开放", 10),
    ("发布闲置机时", 14),
    ("有效工作机时", 14),
    ("对外服务机时", 14),
    ("共享率", 10),
    ("服务用户数", 12),
    ("服务收入（元）", 16),
    ("补贴（元）", 14),
    ("收益率", 10),
    ("对照全国基准", 14),
)
MONEY_FORMAT = "#,##0.00"
HOURS_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
HEADER_ROW = 4
FORMATS = {2: MONEY_FORMAT, 6: HOURS_FORMAT, 7: HOURS_FORMAT, 8: HOURS_FORMAT, 9: PERCENT_FORMAT}
FORMATS |= {11: MONEY_FORMAT, 12: MONEY_FORMAT, 13: PERCENT_FORMAT}


def sharing_report_xlsx(report: SharingReport) -> bytes:
    from openpyxl import Workbook  # when a file is written: statement_exports.bold says why
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "开放共享评价"
    low, high = BENCHMARK_HOURS
    _text(
        sheet, 1, 1, f"{report.platform_name} {report.year}年度科研仪器开放共享评价"
    ).font = bold()
    sheet.cell(
        2, 1, f"全国基准：年有效工作机时约 {low:,.0f}–{high:,.0f} 小时；开放率＝开放仪器数÷仪器总数"
    )
    for column, (header, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(HEADER_ROW, column, header)
        cell.font, cell.fill = bold(), header_fill()
        sheet.column_dimensions[get_column_letter(column)].width = width
    for offset, row in enumerate(report.rows, start=1):
        values = (
            None,
            row.original_value,
            row.purchase_year,
            "是" if row.evaluated else "否",
            "是" if row.open else "否",
            row.idle_hours,
            row.machine_hours,
            row.shared_hours,
            row.sharing_rate,
            row.users_served,
            row.revenue,
            row.subsidy,
            row.revenue_rate,
            BENCHMARK_WORDS[row.benchmark],
        )
        _text(sheet, HEADER_ROW + offset, 1, row.name)
        for column, value in enumerate(values[1:], start=2):
            cell = sheet.cell(HEADER_ROW + offset, column, value)
            if column in FORMATS:
                cell.number_format = FORMATS[column]
    _total_rows(sheet, report, HEADER_ROW + len(report.rows) + 1)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _total_rows(sheet, report: SharingReport, row: int) -> None:
    totals = report.totals
    _text(sheet, row, 1, "合计").font = bold()
    for column, key in ((6, "idle_hours"), (7, "machine_hours"), (8, "shared_hours")):
        sheet.cell(row, column, totals[key]).number_format = HOURS_FORMAT
    sheet.cell(row, 9, totals["sharing_rate"]).number_format = PERCENT_FORMAT
    sheet.cell(row, 10, report.users_served)
    sheet.cell(row, 11, totals["revenue"]).number_format = MONEY_FORMAT
    sheet.cell(row, 12, totals["subsidy"]).number_format = MONEY_FORMAT
    sheet.cell(row + 1, 1, "开放率")
    sheet.cell(row + 1, 2, report.openness).number_format = PERCENT_FORMAT
    sheet.cell(row + 2, 1, "每台平均有效工作机时")
    sheet.cell(row + 2, 2, totals["average_machine_hours"]).number_format = HOURS_FORMAT
    sheet.cell(row + 2, 3, BENCHMARK_WORDS[totals["benchmark"]])


def _text(sheet, row: int, column: int, value: str):
    """A cell holding text as text: a name starting with "=" must not become a formula."""
    cell = sheet.cell(row, column)
    cell.value = value
    cell.data_type = "s"
    return cell
