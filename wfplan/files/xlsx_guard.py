"""Check that a workbook file is safe to open before openpyxl parses it.

An .xlsx is a zip archive of XML.  Hostile ones: a zip bomb (a few KiB that
expand to gigabytes), thousands of members, XML entity tricks (``<!DOCTYPE``
with ``<!ENTITY`` definitions: "billion laughs", external entities).
:func:`check_workbook` reads the archive from memory (the bytes were read
with the input size limit) and refuses, with a message naming the workbook
and the part:

* more than :data:`~wfplan.limits.MAX_WORKBOOK_MEMBERS` members;
* more uncompressed bytes than :func:`max_unpacked_bytes` (counted while
  decompressing, so a lying header does not help);
* any document type declaration in any XML part (a workbook never needs
  one; Excel never writes one);
* more than :data:`~wfplan.limits.MAX_WORKBOOK_CELLS` cells and rows in its
  sheets, counted in the XML at C speed before openpyxl parses any of it.

Each sheet's used range is bounded while reading (:mod:`wfplan.scenario.excel_io`).
"""

from __future__ import annotations

import io
import zipfile
import zlib

from wfplan.errors import Problem, ScenarioError
from wfplan.limits import (
    ENVIRONMENT_VARIABLE,
    MAX_WORKBOOK_CELLS,
    MAX_WORKBOOK_MEMBERS,
    max_input_bytes,
)

UNPACK_FACTOR = 4
"""A workbook may unpack to this many times the input size limit (XML compresses about 10:1)."""

DOCTYPE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
ELEMENT_MARKERS = (b"<c ", b"<c>", b"<c/>", b"<row ", b"<row>", b"<row/>")
"""Cells and rows in sheet XML (not ``<col>``/``<cols>``), with or without a namespace prefix."""
XML_SUFFIXES = (".xml", ".rels", ".vml")


def max_unpacked_bytes() -> int:
    return UNPACK_FACTOR * max_input_bytes()


def check_workbook(data: bytes, shown: str) -> None:
    """Raise :class:`ScenarioError` if the workbook bytes are not safe to give to openpyxl."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ScenarioError(Problem(shown, f"is not a readable .xlsx workbook: {exc}")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_WORKBOOK_MEMBERS:
            raise ScenarioError(Problem(shown, f"holds {len(members):,} parts; a workbook has at most "
                                               f"{MAX_WORKBOOK_MEMBERS:,}"))
        budget = max_unpacked_bytes()
        elements = 0
        for member in members:
            if member.is_dir():
                continue
            budget, found = _scan_member(archive, member, shown, budget)
            elements += found
            if elements > MAX_WORKBOOK_CELLS:
                raise ScenarioError(Problem(shown, f"its sheets hold more than {MAX_WORKBOOK_CELLS:,} cells and "
                                                   "rows (a scenario workbook needs far fewer: delete unused rows, "
                                                   "or use CSV tables)"))


def _elements(window: bytes, tail: bytes) -> int:
    """Cells and rows that start in ``window`` but not in ``tail`` (its first bytes, seen before)."""
    return sum(window.count(m) + window.count(m.replace(b"<", b":", 1)) for m in ELEMENT_MARKERS) - sum(
        tail.count(m) + tail.count(m.replace(b"<", b":", 1)) for m in ELEMENT_MARKERS)


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, shown: str, budget: int) -> tuple[int, int]:
    """Decompress one member in chunks, counting bytes (and, in sheets, cells and rows) and looking for
    DOCTYPE; return the byte budget left and the cells and rows found."""
    scan = member.filename.lower().endswith(XML_SUFFIXES)
    sheet = member.filename.lower().startswith("xl/worksheets/")
    elements = 0
    tail = b""
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                budget -= len(chunk)
                if budget < 0:
                    raise ScenarioError(Problem(shown, f"unpacks to more than {max_unpacked_bytes() / 2**20:,.0f} "
                                                       f"MiB (a zip bomb?); if it is genuine, raise the input "
                                                       f"limit with wfplan --max-input-mb or {ENVIRONMENT_VARIABLE}"))
                if scan:
                    window = tail + chunk
                    if any(marker in window for marker in DOCTYPE_MARKERS):
                        raise ScenarioError(Problem(shown, f"part {member.filename!r} holds an XML document type "
                                                           "declaration (<!DOCTYPE or <!ENTITY>): workbooks with "
                                                           "entity definitions are refused"))
                    if sheet:
                        elements += _elements(window, tail)
                        if elements > MAX_WORKBOOK_CELLS:
                            return budget, elements
                    tail = window[-16:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError, OSError,
            ValueError) as exc:
        raise ScenarioError(Problem(shown, f"is not a readable .xlsx workbook: part {member.filename!r}: "
                                           f"{exc}")) from None
    return budget, elements
