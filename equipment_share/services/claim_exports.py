"""Claim lists as XLSX for the finance office, in Chinese whatever the page language, in the
style of the statement exports: a title, the filters, a header row, one row per claim with its
subsidy per funding source, and a total row. Money is exact Decimal with two places shown."""

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.models import Claim
from equipment_share.services.claim_lists import ClaimFilters
from equipment_share.services.statement_exports import (
    MONEY_FORMAT,
    TOTAL_LABEL,
    _cells,
    _header_row,
    bold,
)

STATUS_WORDS = {
    ClaimStatus.DRAFT: "草稿",
    ClaimStatus.SUBMITTED: "已提交",
    ClaimStatus.WITHDRAWN: "已撤回",
    ClaimStatus.APPROVED: "已批准",
    ClaimStatus.REJECTED: "已驳回",
    ClaimStatus.PAID: "已拨付",
}
TITLE = "科研仪器共享补贴申报汇总表"
SHEET = "申报汇总"
HEADER_ROW = 4
# (header, width) before the per-source columns; the fund names follow, then these
LEADING = (
    ("申报编号", 10),
    ("企业名称", 32),
    ("统一社会信用代码", 22),
    ("补贴政策", 28),
    ("申报期间", 24),
    ("状态", 10),
    ("提交时间", 18),
    ("费用合计（元）", 15),
    ("符合条件费用（元）", 17),
)
TRAILING = (
    ("补贴合计（元）", 15),
    ("公示期", 24),
    ("拨付日期", 12),
    ("拨付凭证号", 20),
    ("审核意见", 30),
)
FIRST_MONEY_COLUMN = 8


def claims_filename(filters: ClaimFilters) -> str:
    """claims[-<year>][-<status>].xlsx (ASCII, safe anywhere)."""
    parts = ["claims"]
    if filters.year is not None:
        parts.append(str(filters.year))
    if filters.status is not None:
        parts.append(filters.status.value)
    return "-".join(parts) + ".xlsx"


def _source_names(claims: list[Claim]) -> list[str]:
    names: list[str] = []
    for claim in claims:
        for claim_source in claim.sources:
            if claim_source.source.name not in names:
                names.append(claim_source.source.name)
    return names


def _filter_text(filters: ClaimFilters) -> str:
    parts = []
    if filters.year is not None:
        parts.append(f"年度：{filters.year}")
    if filters.status is not None:
        parts.append(f"状态：{STATUS_WORDS[filters.status]}")
    return "　".join(parts) or "全部申报"


def _claim_row(claim: Claim, sources: list[str], zone: ZoneInfo) -> list:
    by_source = {item.source.name: item.subsidy for item in claim.sources}
    notice = (
        f"{claim.notice_from.isoformat()} 至 {claim.notice_to.isoformat()}"
        if claim.notice_from and claim.notice_to
        else None
    )
    submitted = (
        claim.submitted_at.astimezone(zone).replace(tzinfo=None) if claim.submitted_at else None
    )
    return [
        claim.id,
        claim.organization.name,
        claim.organization.uscc,
        f"{claim.policy.name}（第{claim.policy.version}版）",
        f"{claim.period_from.isoformat()} 至 {claim.period_to.isoformat()}",
        STATUS_WORDS[claim.status],
        submitted,
        claim.total_fee,
        claim.eligible_fee,
        *[by_source.get(name, Decimal("0.00")) for name in sources],
        claim.subsidy,
        notice,
        claim.paid_on.isoformat() if claim.paid_on else None,
        claim.payment_reference or None,
        claim.status_reason or None,
    ]


def claims_xlsx(claims: list[Claim], filters: ClaimFilters, zone_name: str) -> bytes:
    zone = ZoneInfo(zone_name)
    sources = _source_names(claims)
    columns = [*LEADING, *((f"{name}（元）", 15) for name in sources), *TRAILING]
    from openpyxl import Workbook  # when a file is written: statement_exports.bold says why
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet["A1"] = TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = _filter_text(filters)
    _header_row(sheet, HEADER_ROW, [header for header, _width in columns])
    rows = [_claim_row(claim, sources, zone) for claim in claims]
    for offset, row in enumerate(rows, start=1):
        _cells(sheet, HEADER_ROW + offset, row)
    total_row = HEADER_ROW + len(rows) + 1
    totals: list = [None] * len(columns)
    totals[0] = TOTAL_LABEL
    # the fees, each fund's subsidy and the subsidy
    money_columns = range(FIRST_MONEY_COLUMN - 1, len(LEADING) + len(sources) + 1)
    for index in money_columns:
        totals[index] = sum((row[index] for row in rows), Decimal("0.00"))
    _cells(sheet, total_row, totals, font=bold())
    for index in money_columns:
        sheet.cell(total_row, index + 1).number_format = MONEY_FORMAT
    for column, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 3)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
