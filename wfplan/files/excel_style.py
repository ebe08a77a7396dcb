"""Shared look of the workbooks wfplan writes (the NHSE template's conventions).

The GPFV trajectory template marks each cell as a *Calculated Field*, a
*Prepopulated Cell* or a cell to *Enter Data in* (``seeds/002:1837-1839``).
The helpers here apply those fills, write headers and the legend, and route
every text cell through :func:`wfplan.files.excel_safety.safe_text`.
"""

from __future__ import annotations

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from wfplan.files.excel_safety import safe_text

CALCULATED = PatternFill("solid", fgColor="D9D9D9")
PREPOPULATED = PatternFill("solid", fgColor="DDEBF7")
ENTER = PatternFill("solid", fgColor="FFF2CC")
HEADER = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)

FTE_FORMAT = "#,##0.00"
GBP_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"

LEGEND = (("Calculated Field", CALCULATED), ("Prepopulated Cell", PREPOPULATED), ("Enter Data in Cell", ENTER))


def text(ws: Worksheet, row: int, column: int, value: object, font: Font | None = None,
         fill: PatternFill | None = None, align: Alignment | None = None) -> Cell:
    """Write a text cell safely, with optional styling."""
    cell = safe_text(ws.cell(row=row, column=column), value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if align is not None:
        cell.alignment = align
    return cell


def header(ws: Worksheet, row: int, column: int, value: str) -> Cell:
    """A dark header cell with white bold text."""
    return text(ws, row, column, value, font=HEADER_FONT, fill=HEADER, align=CENTRE)


def number(ws: Worksheet, row: int, column: int, value: float | int | str | None, fill: PatternFill,
           number_format: str = FTE_FORMAT) -> Cell:
    """A numeric value or a formula (a string starting with '=' that wfplan built itself)."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    cell.fill = fill
    cell.border = BOX
    cell.number_format = number_format
    return cell


def legend(ws: Worksheet, row: int, column: int) -> int:
    """The template's three-cell legend; returns the row after it."""
    for offset, (label, fill) in enumerate(LEGEND):
        text(ws, row + offset, column, label, fill=fill).border = BOX
    return row + len(LEGEND)


def widths(ws: Worksheet, sizes: dict[str, float]) -> None:
    for letter, size in sizes.items():
        ws.column_dimensions[letter].width = size
