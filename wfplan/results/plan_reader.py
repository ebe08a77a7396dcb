"""Read a plan directory back, validated as strictly as a scenario.

``wfplan report``, ``export checkpoint``, ``trajectory``, ``explain`` and
``compare`` read plan directories that may have been edited, truncated or
sent by someone else.  :func:`read_plan_directory` checks everything they
use before any of it is used, so a damaged plan directory is exit 2 with
file, row, column and value, never a traceback:

* ``summary.json``: a JSON object (bounded like a manifest) whose fields have
  the types wfplan writes; ``NaN`` and ``Infinity`` are not JSON;
* ``scenario/``: loaded and validated like any scenario;
* ``plan.csv``, ``arrs.csv``, ``goals.csv``, ``budgets.csv``: every column
  wfplan writes is present and every cell has its type (finite numbers, true
  or false); PCNs and roles are the scenario's, keys are unique;
* ``planned_flows.csv``, ``flow_types.csv``, ``historic_fte.csv``: validated
  with the scenario's own row models and cross-checks (roles, areas, flows);
* when the summary says the plan was solved, those files must all be there.

Every file is read with :func:`wfplan.files.safe_read.read_input_bytes` (regular
files only, bounded size), and text cells undo the apostrophe that
:func:`wfplan.files.excel_safety.csv_safe` put before formula-like text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wfplan.errors import Problem, ScenarioError, display_path
from wfplan.files.excel_safety import csv_text
from wfplan.files.safe_read import read_input_bytes
from wfplan.files.structured_text import parse_document
from wfplan.limits import MAX_MANIFEST_BYTES, MAX_PROBLEMS
from wfplan.scenario import Scenario
from wfplan.scenario.tables import UndecodableText, capped, decode_text

PLAN_MARKER = "summary.json"
SOLVED = ("optimal", "feasible")

TEXT, NUMBER, OPTIONAL_NUMBER, FLAG = "text", "number", "optional number", "flag"

PLAN_TABLES: dict[str, dict[str, str]] = {
    "plan": {
        "pcn": TEXT, "place": TEXT, "role": TEXT, "staff_group": TEXT, "period": TEXT, "year": TEXT,
        **{c: NUMBER for c in ("starters", "replacements", "leavers", "planned_leavers", "released",
                               "training_starts",
                               "transitions_out", "training_leavers", "transitions_in", "staff_headcount",
                               "staff_fte", "vacancies", "recruits_not_claimable", "staff_not_claimable",
                               "short_time", "overstaffed", "employment_cost",
                               "arrs_claim_wte", "arrs_claim_gbp", "other_spend")},
    },
    "arrs": {"pcn": TEXT, "year": TEXT, "entitlement": NUMBER, "claims": NUMBER, "headroom": NUMBER},
    "goals": {
        **{c: TEXT for c in ("goal", "id", "role", "level", "area", "period", "by", "unit", "kind")},
        "priority": NUMBER, "hard": FLAG, "required": NUMBER, "achieved": NUMBER, "shortfall": NUMBER,
    },
    "budgets": {"budget": TEXT, "year": TEXT, "level": TEXT, "area": TEXT, "amount": OPTIONAL_NUMBER,
                "spend": NUMBER, "overrun": NUMBER},
}
"""The columns of each plan table that readers use, with their types (more columns are kept as text)."""

UNIQUE_KEYS = {"plan": ("pcn", "role", "period"), "arrs": ("pcn", "year")}
FLOW_FILES = {"planned_flows": "planned_flows.csv", "flow_types": "flow_types.csv",
              "historic_fte": "historic_fte.csv"}
FLAGS = {"true": True, "false": False, "1": True, "0": False}


class _Level(BaseModel):
    model_config = ConfigDict(extra="allow")

    level: str
    status: str
    objective: float | None = None


class Summary(BaseModel):
    """The fields of summary.json that readers use, with their types (more are allowed)."""

    model_config = ConfigDict(extra="allow")

    status: str
    scenario: str = ""
    solver: str = ""
    input_checksum: str = ""
    proven_optimal: bool = False
    integer: bool | None = None
    gap: float | None = None
    bound: float | None = None
    objective_by_level: dict[str, float | None] = Field(default_factory=dict)
    levels: list[_Level] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    message: str | None = None
    horizon: dict[str, str] = Field(default_factory=dict)
    pcns: int | None = None
    roles: list[str] = Field(default_factory=list)
    totals: dict[str, float] = Field(default_factory=dict)
    goals: dict[str, float] = Field(default_factory=dict)


@dataclass
class PlanDirectory:
    """A validated plan directory: its summary, scenario and tables (None where a file is absent)."""

    path: Path
    summary: dict[str, Any]
    scenario: Scenario
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        return self.summary.get("status") in SOLVED

    def table(self, name: str) -> pd.DataFrame:
        """A plan table, or an empty one with its columns when the file is absent."""
        frame = self.tables.get(name)
        return frame if frame is not None else pd.DataFrame(columns=list(PLAN_TABLES.get(name, {})))


def is_plan_dir(path: Path) -> bool:
    path = Path(path)
    return path.is_dir() and (path / PLAN_MARKER).is_file() and (path / "scenario").is_dir()


def plan_files(path: Path) -> list[Path]:
    """The files of a plan directory that every reader may read (not binding.csv, which ``explain``
    writes into it, nor outputs added later such as report.html)."""
    return [path / PLAN_MARKER, *(path / f"{name}.csv" for name in PLAN_TABLES),
            *(path / name for name in FLOW_FILES.values())]


def _text(path: Path, limit: int | None = None) -> str:
    shown = display_path(path)
    data = read_input_bytes(path, shown, limit=limit, within=path.parent)
    try:
        return decode_text(data)
    except UndecodableText as exc:
        raise ScenarioError(Problem(shown, f"is not text: {exc.message}", row=exc.line)) from None


def read_summary(path: Path) -> dict[str, Any]:
    """summary.json as a dict whose used fields have their types."""
    shown = display_path(path)
    data = parse_document(_text(path, limit=MAX_MANIFEST_BYTES), "json", shown)
    if not isinstance(data, dict):
        raise ScenarioError(Problem(shown, f"must be a JSON object; it is a {type(data).__name__}"))
    try:
        Summary.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([
            Problem(shown, str(e.get("msg", "invalid")), column=".".join(str(p) for p in e.get("loc", ())),
                    value=None if isinstance(e.get("input"), dict | list) else e.get("input"))
            for e in exc.errors()
        ]) from None
    return data


def _bad_cells(kind: str, column: pd.Series) -> tuple[pd.Series, object, str]:
    """(which cells are bad, the column's values, what was expected) for a column of text cells."""
    stripped = column.str.strip()
    if kind == FLAG:
        lowered = stripped.str.lower()
        return ~lowered.isin(FLAGS), lowered.map(FLAGS), "expected true or false"
    numbers = pd.to_numeric(stripped, errors="coerce").astype(float)
    blank = stripped == ""
    finite = np.isfinite(numbers.to_numpy())
    if kind == OPTIONAL_NUMBER:
        return pd.Series(~finite & ~blank.to_numpy(), index=column.index), numbers, "expected a finite number or blank"
    return pd.Series(~finite, index=column.index), numbers, "expected a finite number (not blank, NaN or infinity)"


def read_plan_table(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """One plan CSV with every listed column present and every cell of its type (other columns: text).

    Parsed by pandas' C reader and checked column by column, so a national
    plan.csv (hundreds of thousands of rows) reads in seconds.
    """
    shown = display_path(path)
    text = _text(path)
    header_line = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or len(text)], newline="")), None)
    if not header_line or not any(h.strip() for h in header_line):
        raise ScenarioError(Problem(shown, "is empty: expected a header row naming the columns"))
    header = [h.strip() for h in header_line]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ScenarioError([Problem(shown, "required column is missing", row=1, column=c) for c in missing])
    if len(set(header)) != len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise ScenarioError(Problem(shown, "column appears twice", row=1, column=twice))
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                          skip_blank_lines=False, header=0, names=header, engine="c")
    except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ScenarioError(Problem(shown, f"is not valid CSV: {' '.join(str(exc).split())}",
                                    row=int(line.group(1)) if line else None)) from None
    del text
    raw = raw[(raw != "").any(axis=1)] if len(raw.columns) else raw  # blank lines
    problems: list[Problem] = []
    frame = pd.DataFrame(index=raw.index)
    for name in header:
        kind = columns.get(name, TEXT)
        if kind == TEXT:
            frame[name] = raw[name].map(csv_text).astype(object)
            continue
        bad, values, expected = _bad_cells(kind, raw[name])
        for index in bad.to_numpy().nonzero()[0][:MAX_PROBLEMS]:
            problems.append(Problem(shown, expected, row=int(raw.index[index]) + 2, column=name,
                                    value=raw[name].iloc[index]))
        frame[name] = values
    if problems:
        problems.sort(key=lambda p: (p.row or 0, header.index(p.column) if p.column in header else 0))
        raise ScenarioError(capped(problems[:MAX_PROBLEMS]))
    return frame.reset_index(drop=True)


def _known_values(name: str, scenario: Scenario) -> dict[str, set[str]]:
    """The values each identifying column of a plan table may take, from the plan's scenario."""
    from wfplan.scenario.column_types import StaffGroup

    years = {scenario.horizon.year_of(p) for p in scenario.horizon.periods} if scenario.horizon else set()
    periods = set(scenario.horizon.labels) if scenario.horizon else set()
    if name == "plan":
        return {"pcn": set(scenario.pcns.index), "role": set(scenario.roles.index), "period": periods,
                "year": years, "staff_group": {g.value for g in StaffGroup}}
    if name == "arrs":
        return {"pcn": set(scenario.pcns.index), "year": years}
    return {}


def _check_against_scenario(name: str, frame: pd.DataFrame, scenario: Scenario, shown: str) -> list[Problem]:
    """PCNs, roles, periods and years are the scenario's; keys are unique."""
    problems: list[Problem] = []
    for column, known in _known_values(name, scenario).items():
        unknown = ~frame[column].isin(known)
        if unknown.any():
            i = int(unknown.to_numpy().nonzero()[0][0])
            problems.append(Problem(shown, f"not a {column} of the plan's scenario/", row=i + 2, column=column,
                                    value=frame[column].iloc[i]))
    key = UNIQUE_KEYS.get(name)
    if key is not None:
        duplicated = frame.duplicated(list(key))
        if duplicated.any():
            i = int(duplicated.to_numpy().nonzero()[0][0])
            problems.append(Problem(shown, f"duplicate row (same {', '.join(key)})", row=i + 2, column=key[-1],
                                    value=frame[key[-1]].iloc[i]))
    return problems


def read_plan_directory(path: Path | str, tables: tuple[str, ...] = tuple(PLAN_TABLES)) -> PlanDirectory:
    """Read and validate a plan directory written by ``wfplan plan``."""
    path = Path(path)
    shown = display_path(path)
    if not is_plan_dir(path):
        raise ScenarioError(Problem(shown, "not a plan directory (no summary.json and scenario/): write one "
                                           "with `wfplan plan SCENARIO --out DIR`"))
    from wfplan.scenario.load import load_scenario

    summary = read_summary(path / PLAN_MARKER)
    scenario = load_scenario(path / "scenario")
    plan = PlanDirectory(path, summary, scenario)
    problems: list[Problem] = []
    for name in tables:
        file = path / f"{name}.csv"
        if not file.exists() and not file.is_symlink():
            if plan.solved:
                problems.append(Problem(display_path(file), f"is missing, but summary.json says the plan is "
                                                            f"{summary.get('status')}"))
            plan.tables[name] = None
            continue
        try:
            frame = read_plan_table(file, PLAN_TABLES[name])
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        problems += _check_against_scenario(name, frame, scenario, display_path(file))
        plan.tables[name] = frame
    if problems:
        raise ScenarioError(problems)
    return plan


def read_plan_flows(plan: PlanDirectory) -> tuple[Scenario, pd.DataFrame, pd.DataFrame]:
    """The plan as checkpoint flows: (scenario with the plan's flow types, flows, historic FTE).

    The three files are validated with the scenario's row models and, with the
    scenario's other tables, by the scenario's cross-checks.
    """
    from wfplan.scenario.schema import TABLES
    from wfplan.scenario.tables import read_csv_table

    problems: list[Problem] = []
    rows = {}
    for table, name in FLOW_FILES.items():
        file = plan.path / name
        if not file.exists() and not file.is_symlink():
            problems.append(Problem(display_path(file), "is missing: the plan has no checkpoint flows"
                                    + ("" if plan.solved else f" (the plan is {plan.summary.get('status')})")))
            continue
        try:
            rows[table] = read_csv_table(file, TABLES[table], display_path(file), cell=csv_text)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    checked = Scenario.build(plan.scenario.manifest, {**plan.scenario.rows, **rows}, plan.scenario.source_files,
                             plan.scenario.root)
    merged = Scenario(plan.scenario.manifest, plan.scenario.rows, plan.scenario.source_files, plan.scenario.root)
    merged.__dict__["_frames"] = {**plan.scenario._frames, "flow_types": checked.table("flow_types")}
    return merged, checked.table("planned_flows"), checked.table("historic_fte")
