"""Write text so that a spreadsheet can never run it as a formula.

Text from inputs (names, labels, notes) may start with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return: Excel, LibreOffice and openpyxl treat such
a cell as a formula (formula injection, e.g. ``=HYPERLINK(...)`` or
``+cmd|'/c calc'!A1``).

* Workbooks: every text cell wfplan writes goes through :func:`safe_text`,
  which stores the value as a string cell (``data_type 's'``) and, when it
  starts with one of those characters, also sets the cell's quote prefix
  (the apostrophe Excel shows), so that editing the cell in Excel keeps it
  text.  Characters an Excel cell cannot hold are dropped
  (:func:`wfplan.files.names.excel_safe`) rather than crash the writer.
* CSVs for people (``plan.csv``, ``goals.csv``, trajectories, comparisons):
  :func:`csv_safe` writes such text with a leading apostrophe
  (``'=HYPERLINK(...)``), which spreadsheets show as text; text that already
  starts with apostrophes before such a character gets one more, so
  :func:`csv_text` undoes it exactly when wfplan reads its own CSVs back.
  Numbers (``-5``) are left alone.
* The scenario copy in a plan directory (``scenario/``) and ``wfplan
  convert`` output are *inputs*: they keep the text exactly as given (the
  README's "Security notes" say so).
"""

from __future__ import annotations

import re

from openpyxl.cell.cell import Cell

from wfplan.files.names import excel_safe

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read text as a formula."""

_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")


def is_risky(text: str) -> bool:
    """True when ``text`` would be read as a formula by a spreadsheet."""
    return text.startswith(FORMULA_TRIGGERS)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_safe(text: str) -> str:
    """``text`` for a CSV that people open in a spreadsheet: formula-like text gets a leading apostrophe."""
    if (is_risky(text) and not _is_number(text)) or _NEUTRALISED.match(text):
        return "'" + text
    return text


def csv_text(text: str) -> str:
    """The text :func:`csv_safe` was given (undoes the apostrophe it added)."""
    return text[1:] if _NEUTRALISED.match(text) else text


def safe_text(cell: Cell, value: object) -> Cell:
    """Put ``value`` into ``cell`` as text (never a formula, error code or number)."""
    text = excel_safe("" if value is None else str(value))
    cell.value = text if text else None
    if text:
        cell.data_type = "s"  # openpyxl would otherwise mark '=...' as a formula, '#N/A' as an error
        if is_risky(text):
            cell.quotePrefix = True
    return cell
