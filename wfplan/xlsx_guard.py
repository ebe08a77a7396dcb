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
  one; Excel never writes one).

Sheet dimensions are bounded while reading (:mod:`wfplan.excel_io`).
"""

from __future__ import annotations

import io
import zipfile
import zlib

from wfplan.errors import Problem, ScenarioError
from wfplan.limits import ENVIRONMENT_VARIABLE, MAX_WORKBOOK_MEMBERS, max_input_bytes

UNPACK_FACTOR = 4
"""A workbook may unpack to this many times the input size limit (XML compresses about 10:1)."""

DOCTYPE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
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
        for member in members:
            if member.is_dir():
                continue
            budget = _scan_member(archive, member, shown, budget)


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, shown: str, budget: int) -> int:
    """Decompress one member in chunks, counting bytes and looking for DOCTYPE; return the budget left."""
    scan = member.filename.lower().endswith(XML_SUFFIXES)
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
                    tail = window[-16:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError, OSError,
            ValueError) as exc:
        raise ScenarioError(Problem(shown, f"is not a readable .xlsx workbook: part {member.filename!r}: "
                                           f"{exc}")) from None
    return budget
