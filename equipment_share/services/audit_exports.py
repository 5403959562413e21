"""The filtered audit log as files: XLSX (openpyxl) and CSV (UTF-8 with a BOM, so that Excel opens
Chinese text correctly).

Unlike the statements, which go to finance offices in Chinese, these files carry the page's own
words in the reader's language: the rows arrive already written (web/audit_words.py, the one
place that formats an entry for the page and the files), and this module only lays them out.
Text is always text: a cell starting with "=" is never run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from equipment_share.services.statement_exports import BOM, FORMULA_STARTS, bold, header_fill

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell

# (width) of the columns: No., When, Who, E-mail, Object, What, Status, Reason, Changes
WIDTHS = (8, 20, 18, 26, 30, 22, 24, 30, 60)


@cache
def wrap():  # openpyxl only when a file is written (statement_exports.bold says why)
    from openpyxl.styles import Alignment

    return Alignment(wrap_text=True, vertical="top")


SHEET = "audit"


def audit_filename(extension: str) -> str:
    return f"audit-log.{extension}"


def audit_xlsx(title: str, filters_text: str, headers: list[str], rows: Iterable[list]) -> bytes:
    """A title row, the filters, an empty row, the header, one row per entry (write-only, so a
    large log is not held as cell objects)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(ord("A") + column - 1)].width = width
    sheet.freeze_panes = "A5"
    sheet.append([_text_cell(sheet, title, bold_text=True)])
    sheet.append([_text_cell(sheet, filters_text)])
    sheet.append([])
    header_cells = []
    for header in headers:
        cell = _text_cell(sheet, header, bold_text=True)
        cell.fill = header_fill()
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _text_cell(sheet, value: str, bold_text: bool = False) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold_text:
        cell.font = bold()
    return cell


def _cell(sheet, value) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = _text_cell(sheet, value)
        if "\n" in value:
            cell.alignment = wrap()
        return cell
    from openpyxl.cell import WriteOnlyCell

    return WriteOnlyCell(sheet, value=value)


def audit_csv(headers: list[str], rows: Iterable[list]) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return (BOM + output.getvalue()).encode("utf-8")


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # Excel runs a CSV cell starting with "=" as a formula; a leading quote keeps it text
        return f"'{value}"
    return str(value)
