"""A statement as files for finance offices: XLSX (openpyxl) and CSV (UTF-8 with a BOM).

Both are in Chinese whatever the page language: they go to Chinese finance offices. Money is
stored as exact Decimal numbers with two places shown; times are Excel datetimes in the
deployment's local time (Excel has no time zones). The CSV has the XLSX table's rows: the
header, one row per record, and the total row; money as "360.00", times as "2026-03-02 09:00".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from equipment_share.domain.statements import LineGroup, Party, Statement, StatementLine
from equipment_share.domain.usage import UsageKind, UsageStatus

MONEY_FORMAT = "#,##0.00"
MINUTES_FORMAT = "#,##0"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
CSV_DATETIME = "%Y-%m-%d %H:%M"
BOM = "\ufeff"
# Text a spreadsheet would run as a formula (names are typed in by users: "=HYPERLINK(...)")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

STATUS_WORDS = {
    UsageStatus.IN_PROGRESS: "进行中",
    UsageStatus.RECORDED: "待确认",
    UsageStatus.DISPUTED: "有异议",
    UsageStatus.CONFIRMED: "已确认",
}
KIND_WORDS = {
    UsageKind.USAGE: "使用",
    UsageKind.NO_SHOW: "未到场收费",
    UsageKind.LATE_CANCELLATION: "逾期取消收费",
}
TITLES = {Party.SME: "费用对账单（应付）", Party.PLATFORM: "费用对账单（应收）"}
COUNTERPARTY_HEADERS = {Party.SME: "平台", Party.PLATFORM: "企业"}
TOTAL_LABEL = "合计"
LINES_SHEET = "对账单"
GROUPS_SHEET = "分组小计"
# the table starts below the title, the period and an empty row
HEADER_ROW = 4
# (header, width) of the line table; the counterparty's header depends on the statement
COLUMNS = (
    ("使用记录编号", 14),
    ("预约编号", 11),
    ("发生时间", 18),
    (None, 30),
    ("仪器", 30),
    ("类型", 10),
    ("开始", 18),
    ("结束", 18),
    ("计费分钟", 11),
    ("费用（元）", 15),
    ("状态", 10),
)
MINUTES_COLUMN = 9
FEE_COLUMN = 10

if TYPE_CHECKING:
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet


# openpyxl is imported when a file is written, not at start: about 8 MB of every worker.
@cache
def bold() -> Font:
    from openpyxl.styles import Font

    return Font(bold=True)


@cache
def header_fill():
    from openpyxl.styles import PatternFill

    return PatternFill("solid", start_color="DDE7F0")


def headers(statement: Statement) -> list[str]:
    return [header or COUNTERPARTY_HEADERS[statement.party] for header, _width in COLUMNS]


def period_text(statement: Statement, zone: ZoneInfo) -> str:
    """期间：2026-03-01 至 2026-03-31 for whole days, else the instants, the end excluded."""
    days = statement.period.days(zone)
    if days is not None:
        return f"期间：{days[0].isoformat()} 至 {days[1].isoformat()}"
    start, end = (local(moment, zone) for moment in (statement.period.start, statement.period.end))
    return f"期间：{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}（不含）"


def export_filename(statement: Statement, zone: ZoneInfo, extension: str) -> str:
    """statement-<organisation id>-<first day>-<last day>.<extension> (ASCII, safe anywhere)."""
    days = statement.period.days(zone)
    if days is not None:
        first, last = (day.isoformat() for day in days)
    else:
        first, last = (
            f"{local(moment, zone):%Y%m%dT%H%M}"
            for moment in (statement.period.start, statement.period.end)
        )
    return f"statement-{statement.organization_id}-{first}-{last}.{extension}"


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A naive local datetime, as Excel keeps times."""
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def line_values(line: StatementLine, zone: ZoneInfo) -> list:
    """One record's cells, in COLUMNS order."""
    return [
        line.usage_id,
        line.booking_id,
        local(line.occurred_at, zone),
        line.counterparty_name,
        line.equipment_name,
        KIND_WORDS[line.kind],
        local(line.actual_start, zone),
        local(line.actual_end, zone),
        line.billable_minutes,
        line.fee,
        STATUS_WORDS[line.status],
    ]


def total_values(statement: Statement) -> list:
    values: list = [None] * len(COLUMNS)
    values[0] = TOTAL_LABEL
    values[MINUTES_COLUMN - 1] = sum(line.billable_minutes for line in statement.lines)
    values[FEE_COLUMN - 1] = statement.total
    return values


# --- XLSX ---


def statement_xlsx(statement: Statement, zone: ZoneInfo) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    _write_lines_sheet(workbook.active, statement, zone)
    _write_groups_sheet(workbook.create_sheet(GROUPS_SHEET), statement)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _write_lines_sheet(sheet: Worksheet, statement: Statement, zone: ZoneInfo) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.title = LINES_SHEET
    _cells(sheet, 1, [f"{statement.organization_name} {TITLES[statement.party]}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = period_text(statement, zone)
    _header_row(sheet, HEADER_ROW, headers(statement))
    for offset, line in enumerate(statement.lines, start=1):
        _cells(sheet, HEADER_ROW + offset, line_values(line, zone))
    total_row = HEADER_ROW + len(statement.lines) + 1
    _cells(sheet, total_row, total_values(statement), font=bold())
    for row, (status, amount) in enumerate(statement.totals_by_status.items(), start=total_row + 1):
        sheet.cell(row, 1, f"其中{STATUS_WORDS[status]}").font = bold()
        sheet.cell(row, FEE_COLUMN, amount).number_format = MONEY_FORMAT
    if statement.in_progress:
        sheet.cell(
            total_row + len(statement.totals_by_status) + 1,
            1,
            f"另有 {statement.in_progress} 条使用记录仍在进行中，尚无费用，未列入本对账单。",
        )
    for column, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    if statement.lines:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{total_row - 1}"


def _write_groups_sheet(sheet: Worksheet, statement: Statement) -> None:
    """Subtotals: an SME's by platform and instrument, a platform's by SME."""
    from openpyxl.utils import get_column_letter

    by_instrument = statement.party == Party.SME
    names = [COUNTERPARTY_HEADERS[statement.party], *(["仪器"] if by_instrument else [])]
    _header_row(sheet, 1, [*names, "笔数", "费用（元）"])
    row = 2
    for group in statement.groups:
        _cells(sheet, row, _group_values(group, len(names), 0), font=bold())
        row += 1
        for subgroup in group.subgroups:
            _cells(sheet, row, _group_values(subgroup, len(names), 1))
            row += 1
    total = [TOTAL_LABEL, *[None] * (len(names) - 1), len(statement.lines), statement.total]
    _cells(sheet, row, total, font=bold())
    for column, width in enumerate([30] * len(names) + [8, 15], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


def _group_values(group: LineGroup, name_columns: int, level: int) -> list:
    names: list = [None] * name_columns
    names[level] = group.name
    return [*names, len(group.lines), group.subtotal]


def _header_row(sheet: Worksheet, row: int, values: Iterable[str]) -> None:
    from openpyxl.styles import Alignment

    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row, column, value)
        cell.font = bold()
        cell.fill = header_fill()
        cell.alignment = Alignment(horizontal="center")


def _cells(sheet: Worksheet, row: int, values: list, font: Font | None = None) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row, column, value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        elif isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        elif isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, int):
            cell.number_format = MINUTES_FORMAT if column == MINUTES_COLUMN else "0"
        if font is not None:
            cell.font = font


# --- CSV ---


def statement_csv(statement: Statement, zone: ZoneInfo) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(headers(statement))
    for line in statement.lines:
        writer.writerow(_csv_cells(line_values(line, zone)))
    writer.writerow(_csv_cells(total_values(statement)))
    return (BOM + output.getvalue()).encode("utf-8")


def _csv_cells(values: list) -> list[str]:
    return [_csv_text(value) for value in values]


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # Excel runs a CSV cell starting with "=" as a formula; a leading quote keeps it text
        return f"'{value}"
    return str(value)
