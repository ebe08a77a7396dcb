"""Read one tidy table (CSV) into validated rows, locating every problem.

Handles what spreadsheets actually produce: a UTF-8 byte-order mark, Windows-1252
text (a pound sign saved by Excel), blank trailing rows, stray whitespace.
Each row is validated with its pydantic row model from :mod:`wfplan.schema`;
errors become :class:`~wfplan.errors.Problem` with file, row, column and value.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from wfplan.errors import Problem, ScenarioError
from wfplan.schema import Row


@dataclass(frozen=True)
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


def decode_text(data: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), else Windows-1252 as Excel saves."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def _pydantic_message(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "a value is required here (blank or missing)"
    if kind == "extra_forbidden":
        return "unknown column"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


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
    records: list[tuple[int, dict[str, str]]],
    model: type[Row],
    file: str,
    sheet: str | None = None,
) -> list[Located]:
    """Validate (line, {column: text}) records; raise one error listing every bad cell."""
    rows, problems = collect_records(records, model, file, sheet)
    if problems:
        raise ScenarioError(problems)
    return rows


def collect_records(
    records: list[tuple[int, dict[str, str]]],
    model: type[Row],
    file: str,
    sheet: str | None = None,
) -> tuple[list[Located], list[Problem]]:
    """Validate (line, {column: text}) records: the rows that are valid and a problem per bad cell."""
    problems: list[Problem] = []
    rows: list[Located] = []
    for line, record in records:
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


def read_csv_table(path: Path, model: type[Row], display: str) -> list[Located]:
    """Read and validate one CSV table; raise :class:`ScenarioError` on any problem."""
    rows, problems = collect_csv_table(path, model, display)
    if problems:
        raise ScenarioError(problems)
    return rows


def collect_csv_table(path: Path, model: type[Row], display: str) -> tuple[list[Located], list[Problem]]:
    """Read and validate one CSV table: its valid rows and every problem found.

    A file that cannot be read as a table (missing, not text, bad header) gives
    no rows; otherwise each bad row is a problem and the other rows are kept,
    so that a caller can check them against the rest of the scenario too."""
    if path.is_dir():
        return [], [Problem(display, "is a directory; expected a CSV file")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem(display, f"cannot be read: {exc.strerror}")]
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        return [], [Problem(display, "is not text (UTF-8 or Windows-1252 CSV expected)")]
    if "\x00" in text:
        return [], [Problem(display, "contains NUL bytes: is it a CSV file?")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = list(reader)
    except csv.Error as exc:
        return [], [Problem(display, f"is not valid CSV: {exc}")]
    if not lines or not any(cell.strip() for cell in lines[0]):
        return [], [Problem(display, "is empty: expected a header row naming the columns")]
    header = [cell.strip() for cell in lines[0]]
    problems = check_header(header, model, display)
    if problems:
        return [], problems
    records: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            extra = [c for c in cells[len(header):] if c.strip()]
            if extra:
                problems.append(
                    Problem(display, f"row has {len(cells)} cells but the header has {len(header)}",
                            row=number, value=extra[0])
                )
                continue
        records.append((number, dict(zip(header, cells, strict=False))))
    rows, row_problems = collect_records(records, model, display)
    return rows, problems + row_problems
