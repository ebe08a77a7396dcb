"""Names and labels from input: which characters they may hold.

A name (a PCN's, a role's, a flow label, the scenario's) is shown on
terminals, in HTML reports, in chart titles and in Excel cells.  Control
characters there ring bells, rewrite the terminal, reorder text (a
right-to-left override) or make the workbook unreadable (Excel's XML cannot
hold most C0 controls: openpyxl raises ``IllegalCharacterError``).  So the
schema *rejects* them in names (:func:`check_name`), with a located error,
and in free text (``note``, ``source``, ``description``) allows only tab and
line breaks, which spreadsheets produce (:func:`check_free_text`).

:func:`excel_safe` is the Excel writers' last line of defence for text that
did not come through the schema (a hand-edited plan directory): it drops
characters Excel cannot store rather than crash.
"""

from __future__ import annotations

import re

from wfplan.message_text import escape_controls, is_control

FREE_TEXT_ALLOWED = frozenset("\t\n\r")

EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""What openpyxl refuses to write into a cell (XML 1.0 cannot hold it)."""


def _first_control(text: str, allowed: frozenset[str]) -> str | None:
    if text.isprintable():  # the common case, at C speed: no control, format or unassigned character
        return None
    return next((c for c in text if c not in allowed and is_control(c)), None)


def check_name(value: str) -> str:
    """A name or label: no control, formatting or bidirectional characters (pydantic validator)."""
    bad = _first_control(value, frozenset())
    if bad is not None:
        raise ValueError(f"contains the control character {escape_controls(bad)}: names may not hold "
                         "control, formatting or text-direction characters")
    return value


def check_free_text(value: str | None) -> str | None:
    """Free text (notes, sources, descriptions): tab and line breaks only (pydantic validator)."""
    if value is None:
        return None
    bad = _first_control(value, FREE_TEXT_ALLOWED)
    if bad is not None:
        raise ValueError(f"contains the control character {escape_controls(bad)}: text may hold tabs and "
                         "line breaks but no other control, formatting or text-direction characters")
    return value


def excel_safe(text: str) -> str:
    """``text`` without the characters an Excel cell cannot hold."""
    return EXCEL_ILLEGAL.sub("", text)
