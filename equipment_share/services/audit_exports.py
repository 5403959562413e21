"""The filtered audit log as files: XLSX (openpyxl) and CSV (UTF-8 with a BOM, so that Excel opens
Chinese text correctly).

Unlike the statements, which go to finance offices in Chinese, these files carry the page's own
words in the reader's language: the rows arrive already written (web/audit_words.py, the one
place that formats an entry for the page and the files), and this module only lays them out.
Text is always text: a cell starting with "=" is never run as a formula.
"""

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment

from equipment_share.services.statement_exports import BOLD, BOM, FORMULA_STARTS, HEADER_FILL

# (width) of the columns: No., When, Who, E-mail, Object, What, Status, Reason, Changes
WIDTHS = (8, 20, 18, 26, 30, 22, 24, 30, 60)
WRAP = Alignment(wrap_text=True, vertical="top")
SHEET = "audit"


def audit_filename(extension: str) -> str:
    return f"audit-log.{extension}"


def audit_xlsx(title: str, filters_text: str, headers: list[str], rows: Iterable[list]) -> bytes:
    """A title row, the filters, an empty row, the header, one row per entry (write-only, so a
    large log is not held as cell objects)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(ord("A") + column - 1)].width = width
    sheet.freeze_panes = "A5"
    sheet.append([_text_cell(sheet, title, bold=True)])
    sheet.append([_text_cell(sheet, filters_text)])
    sheet.append([])
    header_cells = []
    for header in headers:
        cell = _text_cell(sheet, header, bold=True)
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _text_cell(sheet, value: str, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = BOLD
    return cell


def _cell(sheet, value) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = _text_cell(sheet, value)
        if "\n" in value:
            cell.alignment = WRAP
        return cell
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
