"""Scenarios as Excel workbooks: read, write, and a blank template.

A scenario workbook has one sheet per table, named as the keys of
:data:`wfplan.scenario.schema.TABLES`, with the column names in the first row, and a
``scenario`` sheet of key/value rows for the manifest (``name``,
``horizon.start``, ``horizon.end``, ``horizon.step``, ``objective.*``,
``model.*``).  The ``instructions`` and hidden ``lists`` sheets, and sheets
named ``_...``, are ignored.  Cells are read as the text a CSV would hold and
validated by the same code as CSV tables, so a problem is reported with the
workbook, sheet, row and column just like a CSV problem.  A formula cell is
read through the value the spreadsheet saved with it.

Reading is bounded: the file is checked first (:mod:`wfplan.files.xlsx_guard`: no
zip bomb, no XML entities, at most a million cells), then each sheet is
parsed row by row, so only cells that exist cost anything, and a cell beyond
row 1,000,000 or column 256 is an error naming the sheet and the cell.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import SHEET_MAIN_NS
from pydantic import ValidationError

from wfplan.errors import Problem, ScenarioError, display_path
from wfplan.files import excel_style as st
from wfplan.files.safe_read import read_input_bytes
from wfplan.files.xlsx_guard import check_workbook
from wfplan.limits import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_WORKBOOK_CELLS
from wfplan.scenario import Scenario
from wfplan.scenario import excel_template as tpl
from wfplan.scenario.manifest import Horizon, Manifest, ModelSettings, Objective
from wfplan.scenario.schema import TABLES
from wfplan.scenario.snapshot import manifest_dict
from wfplan.scenario.tables import Located, check_header, validate_records

FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"

MANIFEST_SHEET = "scenario"
IGNORED = {tpl.INSTRUCTIONS_SHEET, tpl.LISTS_SHEET}
MANIFEST_SECTIONS = {"horizon": Horizon, "objective": Objective, "model": ModelSettings}


def cell_text(value: Any) -> str:
    """A cell's value as the text a CSV would hold (numbers without spurious '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- reading ------------------------------------------------------------------


class _CellParser(WorkSheetParser):
    """openpyxl's sheet parser reading saved values (``data_only``) that also says which cells hold formulas."""

    def parse_cell(self, element):  # type: ignore[no-untyped-def]
        cell = super().parse_cell(element)
        formula = element.find(FORMULA_TAG)
        cell["formula"] = None if formula is None else "=" + (formula.text or "")
        return cell


def _open(data: bytes, shown: str) -> Workbook:
    """The workbook, read-only (sheets are parsed row by row when read), after the safety checks."""
    check_workbook(data, shown)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError,
            IndexError, AttributeError, SyntaxError) as exc:
        raise ScenarioError(Problem(shown, f"is not a readable .xlsx workbook: {exc}")) from None


def _sheet_cells(ws: Any, shown: str, problems: list[Problem], budget: list[int]) -> list[tuple[int, list[str]]]:
    """(row number, cell texts) for every row of a sheet that has cells; formulas read through their saved values.

    Rows are parsed one at a time from the sheet's XML, so only cells that exist
    cost anything; a cell beyond :data:`MAX_SHEET_ROWS` x :data:`MAX_SHEET_COLUMNS`,
    or more than ``budget[0]`` cells in the workbook, stop reading with an error.
    """
    out: list[tuple[int, list[str]]] = []

    def column(number: int) -> str:  # the header name, as CSV errors give it, else the column letter
        names = out[0][1] if out and out[0][0] == 1 else []
        index = number - 1
        return names[index].strip() if index < len(names) and names[index].strip() else get_column_letter(number)

    wb = ws.parent
    with ws._get_source() as source:  # openpyxl's own read-only iteration pads every row to the sheet's width
        parser = _CellParser(source, ws._shared_strings, data_only=True, epoch=wb.epoch,
                             date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        for number, cells in parser.parse():
            if number > MAX_SHEET_ROWS or any(c["column"] > MAX_SHEET_COLUMNS for c in cells):
                far = max(cells, key=lambda c: c["column"]) if cells else {"column": 1}
                raise ScenarioError(Problem(shown, f"the sheet uses cells up to {get_column_letter(far['column'])}"
                                            f"{number}; wfplan reads at most {MAX_SHEET_ROWS:,} rows and "
                                            f"{MAX_SHEET_COLUMNS} columns (delete the unused rows and columns)",
                                            sheet=ws.title))
            budget[0] -= len(cells) + 1
            if budget[0] < 0:
                raise ScenarioError(Problem(shown, f"holds more than {MAX_WORKBOOK_CELLS:,} cells and rows",
                                            sheet=ws.title))
            texts = [""] * (max((c["column"] for c in cells), default=0))
            for cell in cells:
                value = cell["value"]
                if cell["formula"] is not None and value is None:
                    problems.append(Problem(shown, "formula without a saved result: enter the value, or open and "
                                            "save the workbook in a spreadsheet program", row=number,
                                            column=column(cell["column"]), value=cell["formula"], sheet=ws.title))
                elif cell["data_type"] == "e":
                    problems.append(Problem(shown, "cell holds a spreadsheet error", row=number,
                                            column=column(cell["column"]), value=value, sheet=ws.title))
                    value = None
                texts[cell["column"] - 1] = cell_text(value)
            if not out and number != 1:
                out.append((1, []))  # row 1 (the header) is empty
            out.append((number, texts))
    return out


def _table(name: str, rows: list[tuple[int, list[str]]], shown: str) -> list[Located]:
    """Validate one table sheet exactly as a CSV table (header check, then every row)."""
    model = TABLES[name]
    if not rows or not any(t.strip() for t in rows[0][1]):
        raise ScenarioError(Problem(shown, "is empty: expected a header row naming the columns", sheet=name))
    header = [t.strip() for t in rows[0][1]]
    while header and not header[-1]:
        header.pop()
    problems = check_header(header, model, shown, sheet=name)
    if problems:
        raise ScenarioError(problems)
    records = []
    for number, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        extra = [c for c in cells[len(header):] if c.strip()]
        if extra:
            problems.append(Problem(shown, f"row has a value beyond the header's {len(header)} columns",
                                    row=number, value=extra[0], sheet=name))
            continue
        records.append((number, dict(zip(header, cells, strict=False))))
    if problems:
        raise ScenarioError(problems)
    return validate_records(records, model, shown, sheet=name)


def _manifest(rows: list[tuple[int, list[str]]], shown: str) -> Manifest:
    """Build the manifest from key/value rows; locate each problem at its key's row."""
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    where: dict[str, int] = {}
    rows_of: dict[str, int] = {}  # every key's row, blank or not, to locate "required" errors
    for number, cells in rows[1:] if rows and rows[0][1][:1] == ["key"] else rows:
        key = cells[0].strip() if cells else ""
        value = cells[1] if len(cells) > 1 else ""
        rows_of.setdefault(key, number)
        if not key or not value.strip():
            continue
        if key in where:
            problems.append(Problem(shown, f"key appears twice (first at row {where[key]})", row=number,
                                    column="key", value=key, sheet=MANIFEST_SHEET))
            continue
        where[key] = number
        if key in ("extends", "tables"):
            problems.append(Problem(shown, f"'{key}' is not supported in a workbook: one workbook is one whole "
                                    "scenario", row=number, column="key", value=key, sheet=MANIFEST_SHEET))
            continue
        if key == "overrides":
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                problems.append(Problem(shown, f"must be a JSON list: {exc}", row=number, column="value",
                                        value=value, sheet=MANIFEST_SHEET))
                continue
        target = data
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            target[leaf] = value
    if problems:
        raise ScenarioError(problems)
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(p) for p in err.get("loc", ()))
            row = rows_of.get(key) or next((r for k, r in rows_of.items() if k.startswith(key + ".")), None)
            kind = err.get("type")
            message = {"extra_forbidden": "unknown setting", "missing": "a value is required here (blank or "
                       "missing)"}.get(kind, str(err.get("msg")).removeprefix("Value error, "))
            problems.append(Problem(shown, f"{key}: {message}", row=row, column="value",
                                    value=err.get("input") if not isinstance(err.get("input"), dict) else None,
                                    sheet=MANIFEST_SHEET))
        raise ScenarioError(problems) from None


def read_workbook(path: Path) -> tuple[Manifest, dict[str, list[Located]], list[Path]]:
    """Read and validate a scenario workbook: (manifest, tables, files read)."""
    path = Path(path)
    shown = display_path(path)
    wb = _open(read_input_bytes(path, shown), shown)
    problems: list[Problem] = []
    tables: dict[str, list[Located]] = {}
    manifest: Manifest | None = None
    budget = [MAX_WORKBOOK_CELLS]
    try:
        for ws in wb.worksheets:
            name = ws.title
            if name in IGNORED or name.startswith("_"):
                continue
            if name != MANIFEST_SHEET and name not in TABLES:
                close = difflib.get_close_matches(name, [*TABLES, MANIFEST_SHEET], n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known sheets: {MANIFEST_SHEET}, {', '.join(TABLES)}"
                problems.append(Problem(shown, f"unknown sheet; {hint} (name a notes sheet '_...' to keep it)",
                                        sheet=name))
                continue
            cell_problems: list[Problem] = []
            try:
                rows = _sheet_cells(ws, shown, cell_problems, budget)
            except (KeyError, IndexError, ValueError, TypeError, AttributeError, SyntaxError) as exc:
                raise ScenarioError(Problem(shown, f"is not a readable .xlsx workbook: {exc}", sheet=name)) from None
            if cell_problems:
                problems.extend(cell_problems)
                continue
            try:
                if name == MANIFEST_SHEET:
                    manifest = _manifest(rows, shown)
                else:
                    tables[name] = _table(name, rows, shown)
            except ScenarioError as exc:
                problems.extend(exc.problems)
    finally:
        wb.close()
    if manifest is None and not any(p.sheet == MANIFEST_SHEET for p in problems):
        problems.insert(0, Problem(shown, f"no '{MANIFEST_SHEET}' sheet: expected key/value rows (name, "
                                   "horizon.start, horizon.end, horizon.step ...)"))
    if problems:
        raise ScenarioError(problems)
    assert manifest is not None
    return manifest, tables, [path]


# --- writing ------------------------------------------------------------------


def _write_value(ws: Worksheet, row: int, column: int, value: Any) -> None:
    """Numbers and booleans as such; text via safe_text; floats that would lose digits as text."""
    if value is None:
        return
    if isinstance(value, bool | int) or (isinstance(value, float) and float(f"{value:.16g}") == value):
        ws.cell(row=row, column=column, value=value)
    else:
        st.text(ws, row, column, repr(value) if isinstance(value, float) else value)


def _manifest_rows(scenario: Scenario | None) -> list[tuple[str, Any, str]]:
    """(key, value, help) for every manifest setting, values from ``scenario`` if given."""
    data = manifest_dict(scenario) if scenario is not None else {}
    rows: list[tuple[str, Any, str]] = []
    for key in ("name", "description", "source"):
        rows.append((key, data.get(key), tpl.describe(Manifest, key)))
    for section, model in MANIFEST_SECTIONS.items():
        values = data.get(section) or {}
        for key in model.model_fields:
            rows.append((f"{section}.{key}", values.get(key), tpl.describe(model, key)))
    if data.get("overrides"):
        rows.append(("overrides", json.dumps(data["overrides"], sort_keys=True), "JSON list"))
    return rows


def _fill_workbook(wb: Workbook, scenario: Scenario | None) -> None:
    manifest_rows = _manifest_rows(scenario)
    ws = wb.create_sheet(MANIFEST_SHEET)
    for column, label in enumerate(("key", "value", "help"), start=1):
        st.header(ws, 1, column, label)
    for row, (key, value, help_text) in enumerate(manifest_rows, start=2):
        st.text(ws, row, 1, key)
        _write_value(ws, row, 2, value)
        st.text(ws, row, 3, help_text)
    st.widths(ws, {"A": 28, "B": 60, "C": 80})
    ws.freeze_panes = "A2"
    for name, model in TABLES.items():
        ws = wb.create_sheet(name)
        cols = tpl.columns(model)
        for column, label in enumerate(cols, start=1):
            st.header(ws, 1, column, label)
            ws.column_dimensions[ws.cell(row=1, column=column).column_letter].width = max(12, len(label) + 4)
        located = scenario.rows.get(name, []) if scenario is not None else []
        for row, loc in enumerate(located, start=2):
            dumped = loc.row.model_dump(mode="json")
            for column, key in enumerate(cols, start=1):
                _write_value(ws, row, column, dumped.get(key))
        ws.freeze_panes = "A2"
        tpl.add_validations(ws, model, len(located) + 1)
    tpl.add_instructions(wb, [(k, h) for k, _, h in manifest_rows])
    tpl.add_lists(wb)


def write_workbook(scenario: Scenario, path: Path) -> None:
    """Write a scenario (bases merged) as a workbook at ``path``."""
    wb = Workbook()
    wb.remove(wb.active)
    _fill_workbook(wb, scenario)
    wb.save(path)


def write_template(path: Path) -> None:
    """Write a blank scenario workbook: headers, drop-down lists and instructions."""
    wb = Workbook()
    wb.remove(wb.active)
    _fill_workbook(wb, None)
    wb.save(path)
