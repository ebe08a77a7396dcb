"""Read one tidy table (CSV) into validated rows, locating every problem.

Handles what spreadsheets actually produce: a UTF-8 byte-order mark, Windows-1252
text (a pound sign saved by Excel), blank trailing rows, stray whitespace.
Decoding is strict: a file is UTF-8, or else wholly Windows-1252 (what
Excel's "CSV" saves); a file that mixes the two (text pasted from two
sources) is an error at the first byte that is not UTF-8, never mojibake.
Each row is validated with its pydantic row model from :mod:`wfplan.scenario.schema`;
errors become :class:`~wfplan.errors.Problem` with file, row, column and value.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from wfplan.errors import Problem, ScenarioError
from wfplan.files.safe_read import read_input_bytes
from wfplan.limits import MAX_PROBLEMS, MAX_TABLE_COLUMNS, max_scenario_rows
from wfplan.scenario.schema import Row

UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
"""A well-formed UTF-8 sequence of two or more bytes: a Windows-1252 file practically never holds one."""


@dataclass(frozen=True, slots=True)
class Located:
    """A validated row and where it came from (for cross-reference errors)."""

    row: Row
    file: str
    line: int
    sheet: str | None = None

    def problem(self, column: str, message: str) -> Problem:
        return Problem(
            file=self.file, sheet=self.sheet, row=self.line, column=column,
            value=getattr(self.row, column, None), message=message,
        )


class UndecodableText(ValueError):
    """Bytes that are neither UTF-8 nor wholly Windows-1252; ``line`` is where (1-based)."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def decode_text(data: bytes) -> str:
    """Decode as UTF-8 (with or without BOM), else as Windows-1252 as Excel saves.

    Raises :class:`UndecodableText` for a file that mixes UTF-8 with another
    encoding, or that is not text in either.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        bom = True
    else:
        bom = False
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    utf8 = UTF8_MULTIBYTE.search(data)
    if bom or utf8 is not None:
        where = "" if utf8 is None else f" (line {_line_of(data, utf8.start())} holds UTF-8 text)"
        raise UndecodableText(_line_of(data, bad), f"byte 0x{data[bad]:02x} is not UTF-8, but the file is "
                              f"UTF-8 elsewhere{where}: it mixes encodings; save it again as CSV UTF-8") from None
    try:
        return data.decode("cp1252", errors="strict")
    except UnicodeDecodeError as exc:
        raise UndecodableText(_line_of(data, exc.start), f"byte 0x{data[exc.start]:02x} is not text in UTF-8 or "
                              "Windows-1252: is it a CSV file?") from None


def _pydantic_message(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "a value is required here (blank or missing)"
    if kind == "extra_forbidden":
        return "unknown column"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def capped(problems: list[Problem]) -> list[Problem]:
    """``problems``, saying so when validation stopped at :data:`MAX_PROBLEMS`."""
    if len(problems) < MAX_PROBLEMS:
        return problems
    last = problems[-1]
    return [*problems, Problem(last.file, f"stopped after {MAX_PROBLEMS:,} problems", row=last.row,
                               sheet=last.sheet)]


def expected_columns(model: type[Row]) -> tuple[list[str], list[str]]:
    """(required, optional) column names of a row model."""
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    optional = [n for n, f in model.model_fields.items() if not f.is_required()]
    return required, optional


def check_header(header: list[str], model: type[Row], file: str, sheet: str | None = None) -> list[Problem]:
    """Missing, unknown (with a suggestion) and duplicated columns."""
    problems: list[Problem] = []
    required, optional = expected_columns(model)
    known = required + optional
    if len(header) > MAX_TABLE_COLUMNS:
        return [Problem(file, f"the header has {len(header):,} columns; this table has {len(known)} "
                              f"({', '.join(known)})", row=1, sheet=sheet)]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(file, "column appears twice", row=1, column=name, sheet=sheet))
        seen.add(name)
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; expected columns: {', '.join(known)}"
            problems.append(Problem(file, f"unknown column{hint}", row=1, column=name, sheet=sheet))
    for name in required:
        if name not in seen:
            close = difflib.get_close_matches(name, header, n=1)
            hint = f" (found '{close[0]}': misspelt?)" if close else ""
            problems.append(Problem(file, f"required column is missing{hint}", column=name, sheet=sheet))
    return problems


def validate_records(
    records: Iterable[tuple[int, dict[str, str]]],
    model: type[Row],
    file: str,
    sheet: str | None = None,
) -> list[Located]:
    """Validate (line, {column: text}) records; raise one error listing every bad cell."""
    rows, problems = collect_records(records, model, file, sheet)
    if problems:
        raise ScenarioError(capped(problems))
    return rows


def collect_records(
    records: Iterable[tuple[int, dict[str, str]]],
    model: type[Row],
    file: str,
    sheet: str | None = None,
    problems: list[Problem] | None = None,
) -> tuple[list[Located], list[Problem]]:
    """Validate (line, {column: text}) records: the rows that are valid and a problem per bad cell.

    ``records`` may be a generator: each is validated as it comes, so the raw
    text of a large table is never held all at once.  Problems are appended to
    ``problems`` (a new list by default; the generator may add its own to the
    same list) and validation stops once it holds :data:`MAX_PROBLEMS`.
    """
    problems = [] if problems is None else problems
    rows: list[Located] = []
    for line, record in records:
        if len(problems) >= MAX_PROBLEMS:
            break
        data = {k: v.strip() if isinstance(v, str) else v for k, v in record.items()
                if v is not None and str(v).strip() != ""}
        try:
            rows.append(Located(model.model_validate(data), file, line, sheet))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc") or ()
                column = str(loc[0]) if loc else None
                value = record.get(column) if column else None
                problems.append(
                    Problem(file, _pydantic_message(err), row=line, column=column, value=value, sheet=sheet)
                )
    return rows, problems


def read_csv_table(path: Path, model: type[Row], display: str,
                   cell: Callable[[str], str] | None = None, max_rows: int | None = None) -> list[Located]:
    """Read and validate one CSV table; raise :class:`ScenarioError` on any problem
    (see :func:`collect_csv_table` for ``cell`` and ``max_rows``)."""
    rows, problems = collect_csv_table(path, model, display, cell=cell, max_rows=max_rows)
    if problems:
        raise ScenarioError(capped(problems))
    return rows


def collect_csv_table(path: Path, model: type[Row], display: str,
                      cell: Callable[[str], str] | None = None, max_rows: int | None = None,
                      ) -> tuple[list[Located], list[Problem]]:
    """Read and validate one CSV table: its valid rows and every problem found (at most
    :data:`MAX_PROBLEMS`; :func:`capped` says so when the list is cut).

    A file that cannot be read as a table (missing, too large, not a regular
    file, not text, bad header) gives no rows; otherwise each bad row is a
    problem and the other rows are kept, so that a caller can check them
    against the rest of the scenario too.  Rows are validated as they are
    parsed, so a large table's raw text is never held whole.

    ``cell`` maps each data cell's text before validation (plan directories'
    CSVs undo the apostrophe :func:`wfplan.files.excel_safety.csv_safe` added).
    More than ``max_rows`` rows (default :func:`~wfplan.limits.max_scenario_rows`)
    is an error and stops the reading: memory and time grow with the rows validated.
    """
    max_rows = max_scenario_rows() if max_rows is None else max_rows
    if path.is_dir():
        return [], [Problem(display, "is a directory; expected a CSV file")]
    try:
        data = read_input_bytes(path, display)
    except ScenarioError as exc:
        return [], list(exc.problems)
    try:
        text = decode_text(data)
    except UndecodableText as exc:
        return [], [Problem(display, f"is not text (UTF-8 or Windows-1252 CSV expected): {exc.message}",
                            row=exc.line)]
    if "\x00" in text:
        return [], [Problem(display, "contains NUL bytes: is it a CSV file?")]
    reader = csv.reader(io.StringIO(text, newline=""))
    del data, text  # the reader holds its own copy: keep one, not three
    try:
        first = next(reader, None)
    except csv.Error as exc:
        return [], [Problem(display, f"is not valid CSV: {exc}", row=reader.line_num)]
    if first is None or not any(c.strip() for c in first):
        return [], [Problem(display, "is empty: expected a header row naming the columns")]
    header = [c.strip() for c in first]
    header_problems = check_header(header, model, display)
    if header_problems:
        return [], header_problems
    problems: list[Problem] = []  # shared with collect_records, so they come in line order

    def records() -> Iterator[tuple[int, dict[str, str]]]:
        count = 0
        try:
            for number, cells in enumerate(reader, start=2):
                if len(problems) >= MAX_PROBLEMS:
                    return
                if not any(c.strip() for c in cells):
                    continue
                count += 1
                if count > max_rows:
                    problems.append(Problem(display, f"has more than {max_rows:,} rows (with the other tables "
                                                     "of the scenario): if it is genuine, raise the input limit "
                                                     "with wfplan --max-input-mb", row=number))
                    return
                if len(cells) > len(header):
                    extra = [c for c in cells[len(header):] if c.strip()]
                    if extra:
                        problems.append(Problem(display, f"row has {len(cells)} cells but the header has "
                                                         f"{len(header)}", row=number, value=extra[0]))
                        continue
                if cell is not None:
                    cells = [cell(c) for c in cells]
                yield number, dict(zip(header, cells, strict=False))
        except csv.Error as exc:
            problems.append(Problem(display, f"is not valid CSV: {exc}", row=reader.line_num))

    rows, _ = collect_records(records(), model, display, problems=problems)
    return rows, problems
