"""What-if overrides: change a validated scenario's values from its manifest.

A what-if scenario extends a base (``extends``: its tables replace the base's
tables of the same name) and may change single values without copying tables,
with ``[[overrides]]`` entries in its manifest::

    [[overrides]]            # recruitment 20% below plan for FCPs
    table = "supply"
    column = "max_starters"
    scale = 0.8
    where = { role = "first_contact_physiotherapist" }

    [[overrides]]            # attrition +2 points
    table = "attrition"
    column = "annual_rate"
    add = 0.02

    [[overrides]]            # a pay award inside a flat pot: caps up 6%, entitlement unchanged
    table = "arrs_roles"
    column = "cap_per_wte"
    scale = 1.06
    where = { year = "2023/24" }

    [[overrides]]            # bring the FCP target forward a year
    table = "targets"
    shift_periods = -4
    where = { target = "fcp_3_per_pcn_mar2024" }

Each entry names a ``table`` and one operation: ``scale`` (multiply),
``add``, ``set`` (any value the column accepts) or ``shift_periods`` (move
period labels by whole horizon steps; for ``targets`` without a ``column`` both
``by`` and ``until``).  ``where`` selects rows by column values (a list means
any of them); without it every row changes.  Blank values are left blank by
``scale``, ``add`` and ``shift_periods``.  Overrides apply in order, after the
tables are loaded and merged and before the scenario's cross-checks, so every
changed row is validated again by its row model and the scenario as a whole:
a bad override is a located error naming the manifest, the override's index
and the row it broke.  Only the manifest of the scenario being loaded is read
for overrides (not those of its bases).

:func:`apply_overrides` returns a new :class:`~wfplan.scenario.Scenario` whose
manifest has no overrides left (they are in its values), so a plan
directory's ``scenario/`` holds the values used and applying again changes
nothing.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wfplan.errors import Problem, ScenarioError, display_path
from wfplan.scenario import Scenario
from wfplan.scenario.periods import FinancialYear, PeriodError, Quarter
from wfplan.scenario.schema import TABLES
from wfplan.scenario.tables import Located

Scalar = str | bool | int | float
Finite = Annotated[float, Field(allow_inf_nan=False)]
OPERATIONS = ("scale", "add", "set", "shift_periods")
DEFAULT_SHIFT_COLUMNS = {"targets": ("by", "until"), "supply": ("period",), "demand": ("from_period",),
                         "planned_leavers": ("period",), "trainees_on_course": ("started", "completes")}


class Override(BaseModel):
    """One ``[[overrides]]`` entry of a manifest."""

    model_config = ConfigDict(extra="forbid")

    table: str
    column: str | None = None
    where: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    scale: Finite | None = None
    add: Finite | None = None
    set: Scalar | None = None
    shift_periods: Annotated[int, Field(ge=-400, le=400)] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_operation_on_known_columns(self) -> Override:
        if self.table not in TABLES:
            raise ValueError(f"unknown table {self.table!r}; known: {', '.join(TABLES)}")
        given = [op for op in OPERATIONS if op in self.model_fields_set and getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(OPERATIONS)} (found {', '.join(given) or 'none'})")
        fields = TABLES[self.table].model_fields
        if self.column is None and not (given[0] == "shift_periods" and self.table in DEFAULT_SHIFT_COLUMNS):
            raise ValueError("'column' is required (name the column to change)")
        if self.column is not None and self.column not in fields:
            raise ValueError(f"table {self.table} has no column {self.column!r}; columns: {', '.join(fields)}")
        unknown = [k for k in self.where if k not in fields]
        if unknown:
            raise ValueError(f"'where' names unknown column(s) of {self.table}: {', '.join(unknown)}")
        return self

    @property
    def operation(self) -> str:
        return next(op for op in OPERATIONS if op in self.model_fields_set and getattr(self, op) is not None)

    @property
    def columns(self) -> tuple[str, ...]:
        if self.column is not None:
            return (self.column,)
        return DEFAULT_SHIFT_COLUMNS[self.table]

    def describe(self) -> str:
        op = self.operation
        what = f"{self.table}.{'/'.join(self.columns)} {op} {getattr(self, op)!r}"
        if self.where:
            what += " where " + ", ".join(f"{k}={v!r}" for k, v in self.where.items())
        return what


def manifest_name(scenario: Scenario) -> str:
    return display_path(scenario.source_files[0]) if scenario.source_files else "scenario manifest"


def parse_overrides(raw: list[dict[str, object]], manifest: str) -> list[Override]:
    """Validate the manifest's override entries; errors name the entry's index and field."""
    out, problems = [], []
    for i, entry in enumerate(raw):
        try:
            out.append(Override.model_validate(entry))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err.get("loc", ()))
                where = f"overrides[{i}]" + (f".{loc}" if loc else "")
                value = err.get("input")
                problems.append(Problem(manifest, str(err.get("msg", "invalid")).removeprefix("Value error, "),
                                        column=where, value=None if isinstance(value, dict) else value))
    if problems:
        raise ScenarioError(problems)
    return out


def _equal(value: object, wanted: Scalar) -> bool:
    if isinstance(value, bool) or isinstance(wanted, bool):
        return str(value).lower() == str(wanted).lower()
    if isinstance(value, int | float) and isinstance(wanted, int | float):
        return math.isclose(float(value), float(wanted), rel_tol=1e-12, abs_tol=0.0)
    return value is not None and str(value) == str(wanted)


def matches(row: object, where: dict[str, Scalar | list[Scalar]]) -> bool:
    data = row.model_dump(mode="json")  # type: ignore[attr-defined]
    for column, wanted in where.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if not any(_equal(data.get(column), w) for w in options):
            return False
    return True


def shift_label(label: str, steps: int) -> str:
    """Move a quarter (``2023/24 Q4``) by quarters or a year (``2023/24``) by years."""
    try:
        return (Quarter.parse(label) + steps).label
    except PeriodError:
        pass
    return FinancialYear(FinancialYear.parse(label).start + steps).label


def _new_value(ov: Override, old: object) -> object:
    """The overridden value (raises ValueError with a reason)."""
    op = ov.operation
    if op == "set":
        return ov.set
    if old is None:
        return None  # blank stays blank
    if op == "shift_periods":
        if not isinstance(old, str):
            raise ValueError(f"shift_periods needs period labels; the column holds {old!r}")
        try:
            return shift_label(old, int(ov.shift_periods or 0))
        except PeriodError as exc:
            raise ValueError(f"cannot shift {old!r}: {exc}") from None
    if isinstance(old, bool) or not isinstance(old, int | float):
        raise ValueError(f"{op} needs a number; the column holds {old!r}")
    new = old * float(ov.scale) if op == "scale" else old + float(ov.add)  # type: ignore[arg-type]
    return round(new) if isinstance(old, int) else new


def apply_overrides(scenario: Scenario, overrides: list[dict[str, object]] | None = None) -> Scenario:
    """A new validated scenario with the manifest's overrides (or ``overrides``) applied.

    :func:`~wfplan.scenario.load.load_scenario` applies the manifest's own overrides,
    once, so a loaded scenario has none left; ``overrides`` are further
    what-if changes on top of a loaded scenario (sensitivity, tests).  A
    scenario whose own overrides are still pending cannot take further ones:
    they would be dropped unapplied.

    Raises :class:`~wfplan.errors.ScenarioError` with located problems: an
    unknown table or column, an operation that does not fit the column, a
    ``where`` that matches no row, or a value the row model or the scenario's
    cross-checks reject (naming the manifest, ``overrides[i]`` and the row).
    """
    if overrides is not None and scenario.manifest.overrides:
        raise ValueError("the scenario's own overrides are not applied yet: load it with load_scenario first")
    raw = scenario.manifest.overrides if overrides is None else overrides
    if not raw:
        return scenario
    shown = manifest_name(scenario)
    parsed = parse_overrides(list(raw), shown)
    rows: dict[str, list[Located]] = {name: list(located) for name, located in scenario.rows.items()}
    problems: list[Problem] = []
    changed_by: dict[tuple[str, int], list[int]] = {}
    for i, ov in enumerate(parsed):
        model = TABLES[ov.table]
        located = rows.get(ov.table, [])
        changed: list[Located] = []
        matched = 0
        for loc in located:
            if not matches(loc.row, ov.where):
                changed.append(loc)
                continue
            matched += 1
            update: dict[str, object] = {}
            try:
                for column in ov.columns:
                    update[column] = _new_value(ov, getattr(loc.row, column))
            except ValueError as exc:
                problems.append(Problem(shown, f"{exc} ({loc.file} row {loc.line})", column=f"overrides[{i}]",
                                        value=getattr(loc.row, ov.columns[0], None)))
                changed.append(loc)
                continue
            # the row's values with the update (as model_copy(update=...) would give, without
            # serialising a value of the wrong type), re-validated by the row model; blanks are left
            # out, as the CSV loader does, so optional columns take their defaults
            data = {k: v for k, v in {**loc.row.model_dump(), **update}.items() if v is not None}
            try:
                row = model.model_validate(data)
            except ValidationError as exc:
                for err in exc.errors():
                    column = ".".join(str(p) for p in err.get("loc", ())) or ov.columns[0]
                    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
                    problems.append(Problem(shown, f"{ov.describe()} makes {loc.file} row {loc.line} invalid: "
                                                   f"{column} {msg}", column=f"overrides[{i}]",
                                            value=update.get(column, err.get("input"))))
                changed.append(loc)
                continue
            changed.append(Located(row, loc.file, loc.line, loc.sheet))
            changed_by.setdefault((loc.file, loc.line), []).append(i)
        if matched == 0:
            problems.append(Problem(shown, f"matches no row of {ov.table}"
                                           + (f" ({len(located)} rows, none with those values)" if located else
                                              " (the scenario has no such table)"),
                                    column=f"overrides[{i}].where" if ov.where else f"overrides[{i}].table",
                                    value=ov.where or ov.table))
        rows[ov.table] = changed
    if problems:
        raise ScenarioError(problems)
    manifest = scenario.manifest.model_copy(update={"overrides": []})
    try:
        return Scenario.build(manifest, rows, scenario.source_files, scenario.root)
    except ScenarioError as exc:
        located = []
        for p in exc.problems:
            by = changed_by.get((p.file, p.row)) if p.row is not None else None
            which = ", ".join(f"overrides[{i}]" for i in by) if by else "the overrides"
            located.append(Problem(p.file, f"{p.message} (after {which} of {shown})", p.row, p.column, p.value,
                                   p.sheet))
        raise ScenarioError(located) from None

