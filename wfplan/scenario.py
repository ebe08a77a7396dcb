"""A validated scenario: tables as DataFrames, cross-references checked.

:meth:`Scenario.build` is the last validation step of loading: every reference
between tables (a PCN's place, a flow's role, a target's area...) is checked,
keys are unique, ARRS years have no gaps, and dated rows fall inside the
horizon.  After that, the rest of wfplan may trust the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from wfplan.column_types import Level
from wfplan.errors import Problem, ScenarioError
from wfplan.limits import MAX_PROBLEMS
from wfplan.manifest import Manifest
from wfplan.periods import FinancialYear, PeriodError, Quarter
from wfplan.schema import TABLES
from wfplan.tables import Located

KEYS: dict[str, tuple[str, ...]] = {
    "places": ("place",),
    "pcns": ("pcn",),
    "practices": ("practice",),
    "roles": ("role",),
    "staff_in_post": ("level", "area", "role", "as_at"),
    "flow_types": ("role", "direction", "flow"),
    "planned_flows": ("level", "area", "role", "direction", "flow", "period"),
    "historic_fte": ("level", "area", "role", "quarter"),
    "attrition": ("role",),
    "supply": ("role", "level", "area", "period", "route"),
    "transitions": ("transition",),
    "planned_leavers": ("level", "area", "role", "period", "reason"),
    "trainees_on_course": ("level", "area", "transition", "started", "completes"),
    "role_costs": ("role", "year"),
    "arrs_years": ("year",),
    "arrs_pots": ("year", "pot"),
    "arrs_roles": ("year", "role", "from_quarter"),
    "recruitment_routes": ("year", "role", "route"),
    "budgets": ("budget", "year", "level", "area"),
    "targets": ("target",),
    "demand": ("level", "area", "from_period"),
}
"""The columns that identify a row of each table (duplicates are errors)."""

ROLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "staff_in_post": ("role",),
    "flow_types": ("role",),
    "planned_flows": ("role",),
    "historic_fte": ("role",),
    "attrition": ("role",),
    "supply": ("role",),
    "transitions": ("from_role", "to_role"),
    "planned_leavers": ("role",),
    "role_costs": ("role",),
    "arrs_roles": ("role",),
    "recruitment_routes": ("role",),
    "targets": ("role",),
}


@dataclass(frozen=True)
class Horizon:
    """The planning periods: indices (quarter or year index) and labels."""

    step: str
    periods: tuple[int, ...]

    @property
    def periods_per_year(self) -> int:
        return 4 if self.step == "quarter" else 1

    def label(self, index: int) -> str:
        return Quarter(index).label if self.step == "quarter" else FinancialYear(index).label

    def index(self, label: str) -> int:
        """The period index of a label in this horizon's step (raises PeriodError)."""
        if self.step == "quarter":
            return Quarter.parse(label).index
        return FinancialYear.parse(label).start

    def year_of(self, index: int) -> str:
        return Quarter(index).year.label if self.step == "quarter" else FinancialYear(index).label

    @property
    def labels(self) -> list[str]:
        return [self.label(p) for p in self.periods]

    @property
    def first(self) -> int:
        return self.periods[0]

    @property
    def last(self) -> int:
        return self.periods[-1]


@dataclass
class Scenario:
    """Validated scenario data; tables are DataFrames with one column per schema field."""

    manifest: Manifest
    rows: dict[str, list[Located]]
    source_files: list[Path] = field(default_factory=list)
    root: Path | None = None

    # --- construction -------------------------------------------------------

    @classmethod
    def build(
        cls,
        manifest: Manifest,
        rows: dict[str, list[Located]],
        source_files: Iterable[Path] = (),
        root: Path | None = None,
    ) -> Scenario:
        scenario = cls(manifest, dict(rows), list(source_files), root)
        problems = scenario.check()
        if problems:
            raise ScenarioError(problems)
        return scenario

    # --- tables -------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        """The table as a DataFrame (empty with the right columns when absent)."""
        return self._frames[name]

    @cached_property
    def _frames(self) -> dict[str, pd.DataFrame]:
        frames = {}
        for name, model in TABLES.items():
            located = self.rows.get(name, [])
            columns = list(model.model_fields)
            records = [loc.row.model_dump(mode="json") for loc in located]
            frames[name] = pd.DataFrame.from_records(records, columns=columns)
        return frames

    @property
    def name(self) -> str:
        return self.manifest.name

    @cached_property
    def horizon(self) -> Horizon | None:
        h = self.manifest.horizon
        if h is None:
            return None
        step = h.step
        parse = (lambda s: Quarter.parse(s).index) if step == "quarter" else (lambda s: FinancialYear.parse(s).start)
        first, last = parse(h.start), parse(h.end)
        return Horizon(step, tuple(range(first, last + 1)))

    @cached_property
    def system(self) -> str:
        places = self.table("places")
        return str(places["system"].iloc[0]) if len(places) else "system"

    @cached_property
    def pcns(self) -> pd.DataFrame:
        """PCNs with ``registered_list`` (given, or summed from practices) and
        ``weighted_list`` (given, else equal to registered: flagged in
        ``weighted_is_estimate``), indexed by pcn id in file order."""
        pcns = self.table("pcns").set_index("pcn", drop=False)
        practices = self.table("practices")
        summed = practices.groupby("pcn")["registered_list"].sum() if len(practices) else pd.Series(dtype=float)
        registered = pcns["registered_list"].astype("Float64").fillna(summed.reindex(pcns.index).astype("Float64"))
        out = pcns[["pcn", "name", "place"]].copy()
        out["registered_list"] = registered.astype(float)
        weighted = pcns["weighted_list"].astype("Float64")
        out["weighted_is_estimate"] = weighted.isna().to_numpy()
        out["weighted_list"] = weighted.fillna(registered).astype(float)
        out["practices"] = practices.groupby("pcn").size().reindex(pcns.index).fillna(0).astype(int) if len(practices) else 0
        need = pcns["need_index"] if "need_index" in pcns else pd.Series(float("nan"), index=pcns.index)
        out["need_index"] = need.astype("Float64").fillna(1.0).astype(float)
        return out

    @cached_property
    def roles(self) -> pd.DataFrame:
        return self.table("roles").set_index("role", drop=False)

    def areas(self, level: str) -> set[str]:
        """The area ids at ``level`` (a set built once: checks call this for every row of every table)."""
        return self._areas[Level(level)]

    @cached_property
    def _areas(self) -> dict[Level, set[str]]:
        return {Level.SYSTEM: {self.system}, Level.PLACE: set(self.table("places")["place"]),
                Level.PCN: set(self.table("pcns")["pcn"])}

    def pcns_in(self, level: str, area: str) -> list[str]:
        """The PCN ids inside an area (file order)."""
        if level == Level.SYSTEM:
            return list(self._pcn_ids)
        if level == Level.PLACE:
            return list(self._pcns_by_place.get(area, ()))
        return [area]

    @cached_property
    def _pcn_ids(self) -> tuple[str, ...]:
        return tuple(self.pcns.index)

    @cached_property
    def _pcns_by_place(self) -> dict[str, tuple[str, ...]]:
        """Place -> its PCN ids in file order (looked up once per row of every table)."""
        by_place: dict[str, list[str]] = {}
        for pcn, place in zip(self.pcns.index, self.pcns["place"], strict=True):
            by_place.setdefault(place, []).append(pcn)
        return {place: tuple(ids) for place, ids in by_place.items()}

    @cached_property
    def checksum(self) -> str:
        """SHA-256 of the validated inputs (manifest and rows), independent of paths."""
        digest = hashlib.sha256()
        digest.update(self.manifest.model_dump_json(exclude={"extends", "tables"}).encode())
        for name in sorted(self.rows):
            for loc in self.rows[name]:
                digest.update(name.encode())
                digest.update(json.dumps(loc.row.model_dump(mode="json"), sort_keys=True).encode())
        return digest.hexdigest()

    # --- validation ---------------------------------------------------------

    def check(self, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
        """Every cross-table problem.  ``incomplete`` names tables some of whose rows could not be
        read (their problems are reported already): references into them are not checked, so a
        missing row does not make every row that names it a second problem."""
        problems: list[Problem] = []
        problems += self._check_keys()
        problems += self._check_geography(incomplete)
        problems += self._check_references(incomplete)
        problems += self._check_periods()
        problems += self._check_arrs_years(incomplete)
        return problems

    def _check_keys(self) -> list[Problem]:
        problems = []
        for name, located in self.rows.items():
            seen: dict[tuple, Located] = {}
            key_cols = KEYS[name]
            for loc in located:
                if len(problems) >= MAX_PROBLEMS:
                    return problems
                key = tuple(getattr(loc.row, c) for c in key_cols)
                if key in seen:
                    first = seen[key]
                    # point at the last key column with a value (a blank optional key, e.g. route, says nothing)
                    column = next(c for c, v in zip(reversed(key_cols), reversed(key), strict=True)
                                  if v is not None or c == key_cols[0])
                    problems.append(loc.problem(
                        column,
                        f"duplicate of row {first.line} (same {', '.join(key_cols)})",
                    ))
                else:
                    seen[key] = loc
        return problems

    def _check_geography(self, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
        problems = []
        places = self.rows.get("places", [])
        systems = {loc.row.system for loc in places}
        if len(systems) > 1:
            problems.append(places[0].problem("system", f"one system per scenario; found {sorted(systems)}"))
        place_ids = {loc.row.place for loc in places}
        pcn_ids = {loc.row.pcn for loc in self.rows.get("pcns", [])}
        for loc in self.rows.get("pcns", []):
            if places and loc.row.place not in place_ids and "places" not in incomplete:
                problems.append(loc.problem("place", f"unknown place; known: {', '.join(sorted(place_ids))}"))
        practice_sum: dict[str, int] = {}
        for loc in self.rows.get("practices", []):
            if loc.row.pcn not in pcn_ids and "pcns" not in incomplete:
                problems.append(loc.problem("pcn", "unknown PCN (not in pcns)"))
            practice_sum[loc.row.pcn] = practice_sum.get(loc.row.pcn, 0) + loc.row.registered_list
        for loc in [] if "practices" in incomplete else self.rows.get("pcns", []):
            given = loc.row.registered_list
            if given is None and loc.row.pcn not in practice_sum:
                problems.append(loc.problem("registered_list", "no list size: give it here or list the PCN's practices"))
            elif given is not None and loc.row.pcn in practice_sum and practice_sum[loc.row.pcn] != given:
                problems.append(loc.problem(
                    "registered_list", f"differs from the sum of its practices ({practice_sum[loc.row.pcn]:,})"))
        return problems

    def _check_references(self, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
        problems = []
        role_ids = {loc.row.role for loc in self.rows.get("roles", [])}
        for name, columns in ROLE_COLUMNS.items():
            for loc in self.rows.get(name, []) if "roles" not in incomplete else []:
                if len(problems) >= MAX_PROBLEMS:
                    return problems
                for col in columns:
                    if getattr(loc.row, col) not in role_ids:
                        problems.append(loc.problem(col, "unknown role (not in roles)"))
        area_tables = {Level.SYSTEM: "places", Level.PLACE: "places", Level.PCN: "pcns"}
        for name in ("staff_in_post", "planned_flows", "historic_fte", "supply", "budgets", "demand", "targets",
                     "planned_leavers", "trainees_on_course"):
            for loc in self.rows.get(name, []):
                if len(problems) >= MAX_PROBLEMS:
                    return problems
                area = getattr(loc.row, "area", None)
                if area is None:
                    continue
                level = loc.row.level
                if area_tables.get(level) in incomplete:
                    continue
                known = self.areas(level)
                if area not in known:
                    problems.append(loc.problem("area", f"unknown {level} (not in the scenario's {level}s)"))
        flows = {(loc.row.role, loc.row.direction, loc.row.flow) for loc in self.rows.get("flow_types", [])}
        for loc in self.rows.get("planned_flows", []) if "flow_types" not in incomplete else []:
            if (loc.row.role, loc.row.direction, loc.row.flow) not in flows:
                problems.append(loc.problem("flow", f"unknown {loc.row.direction.value} for role {loc.row.role} (not in flow_types)"))
        routes = {(loc.row.role, loc.row.route) for loc in self.rows.get("recruitment_routes", [])}
        for loc in self.rows.get("supply", []):
            if loc.row.route is not None and (loc.row.role, loc.row.route) not in routes:
                known = sorted(r for role, r in routes if role == loc.row.role)
                hint = f"; routes of {loc.row.role}: {', '.join(known)}" if known else ""
                problems.append(loc.problem("route", f"unknown route for role {loc.row.role} "
                                                     f"(not in recruitment_routes){hint}"))
        lead = {loc.row.transition: loc.row.lead_periods for loc in self.rows.get("transitions", [])}
        for loc in self.rows.get("trainees_on_course", []):
            if loc.row.transition not in lead:
                problems.append(loc.problem("transition", "unknown transition (not in transitions)"))
            elif lead[loc.row.transition] == 0:
                problems.append(loc.problem("transition", "this transition has lead_periods 0 (an immediate "
                                                          "move): nobody can be on its course"))
        budgets = {loc.row.budget for loc in self.rows.get("budgets", [])}
        for loc in self.rows.get("roles", []) if "budgets" not in incomplete else []:
            if loc.row.funding_budget is not None and budgets and loc.row.funding_budget not in budgets:
                problems.append(loc.problem("funding_budget", "unknown budget (not in budgets)"))
        return problems

    def _check_periods(self) -> list[Problem]:
        horizon = self.horizon
        if horizon is None:
            return []
        problems = []
        if horizon.periods == ():
            return [Problem("scenario manifest", "horizon end is before its start", column="horizon.end",
                            value=self.manifest.horizon.end)]
        dated = {"supply": ("period",), "targets": ("by", "until"), "demand": ("from_period",),
                 "planned_leavers": ("period",)}
        for name, columns in dated.items():
            for loc in self.rows.get(name, []):
                for col in columns:
                    label = getattr(loc.row, col)
                    if label is None:
                        continue
                    try:
                        index = horizon.index(label)
                    except PeriodError:
                        step = "a quarter like '2019/20 Q1'" if horizon.step == "quarter" else "a year like '2019/20'"
                        problems.append(loc.problem(col, f"the horizon is in {horizon.step}s: expected {step}"))
                        continue
                    if name != "demand" and not horizon.first <= index <= horizon.last:
                        problems.append(loc.problem(
                            col, f"outside the horizon {horizon.label(horizon.first)} to {horizon.label(horizon.last)}"))
        for loc in self.rows.get("targets", []):
            try:
                if loc.row.until is not None and horizon.index(loc.row.until) < horizon.index(loc.row.by):
                    problems.append(loc.problem("until", f"is before 'by' ({loc.row.by}): the target would never apply"))
            except PeriodError:
                pass  # reported above
        for loc in self.rows.get("staff_in_post", []):
            try:
                horizon.index(loc.row.as_at)
            except PeriodError:
                problems.append(loc.problem("as_at", f"the horizon is in {horizon.step}s"))
        problems += self._check_on_course(horizon)
        return problems

    def _check_on_course(self, horizon: Horizon) -> list[Problem]:
        """Trainees on course at the start: begun before the horizon, not yet finished by its start."""
        problems = []
        lead = {loc.row.transition: loc.row.lead_periods for loc in self.rows.get("transitions", [])}
        first = horizon.label(horizon.first)
        for loc in self.rows.get("trainees_on_course", []):
            column = "started" if loc.row.started is not None else "completes"
            try:
                index = horizon.index(getattr(loc.row, column))
            except PeriodError:
                step = "a quarter like '2019/20 Q1'" if horizon.step == "quarter" else "a year like '2019/20'"
                problems.append(loc.problem(column, f"the horizon is in {horizon.step}s: expected {step}"))
                continue
            if column == "started" and index >= horizon.first:
                problems.append(loc.problem("started", f"is not before the horizon starts ({first}): a course "
                                                       "begun in the plan is a plan decision, not an input"))
            elif loc.row.transition in lead:
                ends = index + lead[loc.row.transition] if column == "started" else index
                if ends < horizon.first:
                    problems.append(loc.problem(column, f"the course ends in {horizon.label(ends)}, before the "
                                                        f"horizon starts ({first}): these people have finished"))
        return problems

    def _check_arrs_years(self, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
        if "arrs_years" in incomplete:
            return []
        years = self.rows.get("arrs_years", [])
        problems = []
        if years:
            starts = sorted(FinancialYear.parse(loc.row.year).start for loc in years)
            missing = sorted(set(range(starts[0], starts[-1] + 1)) - set(starts))
            if missing:
                problems.append(years[0].problem(
                    "year", f"ARRS years have a gap: {', '.join(FinancialYear(s).label for s in missing)} missing"))
        known = {loc.row.year for loc in years}
        combined = {loc.row.year for loc in years if loc.row.combined_pot}
        uncapped_years = {loc.row.year for loc in years if loc.row.no_number_caps}
        pots = {(loc.row.year, loc.row.pot) for loc in self.rows.get("arrs_pots", [])}
        for loc in self.rows.get("arrs_pots", []):
            if loc.row.year not in known:
                problems.append(loc.problem("year", "no ARRS rule for this year in arrs_years"))
            elif loc.row.year in combined:
                problems.append(loc.problem("pot", f"{loc.row.year} has one combined ARRS sum per PCN "
                                                   "(combined_pot in arrs_years): no separate pot"))
        for loc in self.rows.get("arrs_roles", []):
            if loc.row.year not in known:
                problems.append(loc.problem("year", "no ARRS rule for this year in arrs_years"))
            if loc.row.from_quarter is not None and Quarter.parse(loc.row.from_quarter).year.label != loc.row.year:
                problems.append(loc.problem("from_quarter", f"must be a quarter of {loc.row.year}"))
            if loc.row.pot is not None and loc.row.year in combined:
                problems.append(loc.problem("pot", f"{loc.row.year} has one combined ARRS sum per PCN "
                                                   "(combined_pot in arrs_years): leave pot blank"))
            elif loc.row.pot is not None and (loc.row.year, loc.row.pot) not in pots:
                problems.append(loc.problem("pot", f"unknown pot for {loc.row.year} (not in arrs_pots)"))
            if loc.row.year in uncapped_years and (loc.row.max_wte_per_pcn is not None
                                                   or loc.row.max_wte_per_pcn_large is not None):
                problems.append(loc.problem("max_wte_per_pcn", f"{loc.row.year} has no number caps "
                                                               "(no_number_caps in arrs_years)"))
        for loc in self.rows.get("recruitment_routes", []):
            if years and loc.row.year not in known:
                problems.append(loc.problem("year", "no ARRS rule for this year in arrs_years"))
        return problems
