"""Write text into Excel cells so that it can never become a formula.

Text from inputs (names, labels, notes) may start with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return: Excel, LibreOffice and openpyxl treat such
a cell as a formula (formula injection, e.g. ``=HYPERLINK(...)``).  Every text
cell wfplan writes goes through :func:`safe_text`, which stores the value as a
string cell (``data_type 's'``) and, when it starts with one of those
characters, also sets the cell's quote prefix (the apostrophe Excel shows), so
that editing the cell in Excel keeps it text.
"""

from __future__ import annotations

from openpyxl.cell.cell import Cell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read text as a formula."""


def is_risky(text: str) -> bool:
    """True when ``text`` would be read as a formula by a spreadsheet."""
    return text.startswith(FORMULA_TRIGGERS)


def safe_text(cell: Cell, value: object) -> Cell:
    """Put ``value`` into ``cell`` as text (never a formula, error code or number)."""
    text = "" if value is None else str(value)
    cell.value = text if text else None
    if text:
        cell.data_type = "s"  # openpyxl would otherwise mark '=...' as a formula, '#N/A' as an error
        if is_risky(text):
            cell.quotePrefix = True
    return cell
