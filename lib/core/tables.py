"""Tables leaving the portal as files: CSV that Excel opens in Chinese, and .xlsx workbooks.

Every export goes through here so each gets the same guards: a BOM for Excel, text a
spreadsheet would run as a formula kept as text, control characters openpyxl refuses removed.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


# a cell starting with one of these is a formula to Excel (CSV injection); numbers are left alone
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(headings: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The rows as CSV in UTF-8 with a BOM, so Excel shows the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(title: str, headings: Sequence[str], rows: Iterable[Sequence[object]],
               widths: Sequence[float], formats: dict[int, str] | None = None) -> bytes:
    """An Excel workbook with a bold, frozen header; ``formats`` maps a 1-based column to its
    number format (e.g. "#,##0.00" for yuan)."""
    import openpyxl  # imported here: slow to import and only needed for a download
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # control characters pasted into a text would make openpyxl refuse the cell
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
                      for value in map(safe_cell, row)])
    for column, number_format in (formats or {}).items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
