"""The checks across a scenario's tables: what one row cannot say alone.

Keys are unique; a scenario has one system; every reference between tables
(a PCN's place, a flow's role, a target's area, a supply row's route, a
course's transition, a role's budget) names a row that exists; dated rows
fall inside the horizon and are in its step; trainees on course began before
it and have not finished by its start; ARRS years have no gaps and their pots,
roles and routes name a year with a rule.  :meth:`wfplan.scenario.Scenario.check`
runs them all; every problem is located (file, row, column, value), at most
:data:`~wfplan.limits.MAX_PROBLEMS` of a kind.
"""

from __future__ import annotations

from typing import Protocol

from wfplan.errors import Problem
from wfplan.limits import MAX_PROBLEMS
from wfplan.scenario.column_types import Level
from wfplan.scenario.manifest import Manifest
from wfplan.scenario.periods import FinancialYear, Horizon, PeriodError, Quarter
from wfplan.scenario.schema import KEYS
from wfplan.scenario.tables import Located


class ScenarioView(Protocol):
    """What the checks read of a :class:`wfplan.scenario.Scenario` (which calls them, so they do not
    import it)."""

    rows: dict[str, list[Located]]
    manifest: Manifest

    @property
    def horizon(self) -> Horizon | None: ...

    def areas(self, level: str) -> set[str]: ...

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
"""The columns of each table that name a role (of ``roles``)."""


def cross_table_problems(scenario: ScenarioView, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
    """Every cross-table problem of ``scenario``.  ``incomplete`` names tables some of whose rows could not
    be read (their problems are reported already): references into them are not checked, so a missing row
    does not make every row that names it a second problem."""
    problems: list[Problem] = []
    problems += _check_keys(scenario)
    problems += _check_geography(scenario, incomplete)
    problems += _check_references(scenario, incomplete)
    problems += _check_periods(scenario)
    problems += _check_arrs_years(scenario, incomplete)
    return problems


def _check_keys(scenario: ScenarioView) -> list[Problem]:
    problems = []
    for name, located in scenario.rows.items():
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

def _check_geography(scenario: ScenarioView, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
    problems = []
    places = scenario.rows.get("places", [])
    systems = {loc.row.system for loc in places}
    if len(systems) > 1:
        problems.append(places[0].problem("system", f"one system per scenario; found {sorted(systems)}"))
    place_ids = {loc.row.place for loc in places}
    pcn_ids = {loc.row.pcn for loc in scenario.rows.get("pcns", [])}
    for loc in scenario.rows.get("pcns", []):
        if places and loc.row.place not in place_ids and "places" not in incomplete:
            problems.append(loc.problem("place", f"unknown place; known: {', '.join(sorted(place_ids))}"))
    practice_sum: dict[str, int] = {}
    for loc in scenario.rows.get("practices", []):
        if loc.row.pcn not in pcn_ids and "pcns" not in incomplete:
            problems.append(loc.problem("pcn", "unknown PCN (not in pcns)"))
        practice_sum[loc.row.pcn] = practice_sum.get(loc.row.pcn, 0) + loc.row.registered_list
    for loc in [] if "practices" in incomplete else scenario.rows.get("pcns", []):
        given = loc.row.registered_list
        if given is None and loc.row.pcn not in practice_sum:
            problems.append(loc.problem("registered_list", "no list size: give it here or list the PCN's practices"))
        elif given is not None and loc.row.pcn in practice_sum and practice_sum[loc.row.pcn] != given:
            problems.append(loc.problem(
                "registered_list", f"differs from the sum of its practices ({practice_sum[loc.row.pcn]:,})"))
    return problems

def _check_references(scenario: ScenarioView, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
    problems = []
    role_ids = {loc.row.role for loc in scenario.rows.get("roles", [])}
    for name, columns in ROLE_COLUMNS.items():
        for loc in scenario.rows.get(name, []) if "roles" not in incomplete else []:
            if len(problems) >= MAX_PROBLEMS:
                return problems
            for col in columns:
                if getattr(loc.row, col) not in role_ids:
                    problems.append(loc.problem(col, "unknown role (not in roles)"))
    area_tables = {Level.SYSTEM: "places", Level.PLACE: "places", Level.PCN: "pcns"}
    for name in ("staff_in_post", "planned_flows", "historic_fte", "supply", "budgets", "demand", "targets",
                 "planned_leavers", "trainees_on_course"):
        for loc in scenario.rows.get(name, []):
            if len(problems) >= MAX_PROBLEMS:
                return problems
            area = getattr(loc.row, "area", None)
            if area is None:
                continue
            level = loc.row.level
            if area_tables.get(level) in incomplete:
                continue
            known = scenario.areas(level)
            if area not in known:
                problems.append(loc.problem("area", f"unknown {level} (not in the scenario's {level}s)"))
    flows = {(loc.row.role, loc.row.direction, loc.row.flow) for loc in scenario.rows.get("flow_types", [])}
    for loc in scenario.rows.get("planned_flows", []) if "flow_types" not in incomplete else []:
        if (loc.row.role, loc.row.direction, loc.row.flow) not in flows:
            problems.append(loc.problem("flow", f"unknown {loc.row.direction.value} for role {loc.row.role} (not in flow_types)"))
    routes = {(loc.row.role, loc.row.route) for loc in scenario.rows.get("recruitment_routes", [])}
    for loc in scenario.rows.get("supply", []):
        if loc.row.route is not None and (loc.row.role, loc.row.route) not in routes:
            known = sorted(r for role, r in routes if role == loc.row.role)
            hint = f"; routes of {loc.row.role}: {', '.join(known)}" if known else ""
            problems.append(loc.problem("route", f"unknown route for role {loc.row.role} "
                                                 f"(not in recruitment_routes){hint}"))
    lead = {loc.row.transition: loc.row.lead_periods for loc in scenario.rows.get("transitions", [])}
    for loc in scenario.rows.get("trainees_on_course", []):
        if loc.row.transition not in lead:
            problems.append(loc.problem("transition", "unknown transition (not in transitions)"))
        elif lead[loc.row.transition] == 0:
            problems.append(loc.problem("transition", "this transition has lead_periods 0 (an immediate "
                                                      "move): nobody can be on its course"))
    budgets = {loc.row.budget for loc in scenario.rows.get("budgets", [])}
    for loc in scenario.rows.get("roles", []) if "budgets" not in incomplete else []:
        if loc.row.funding_budget is not None and budgets and loc.row.funding_budget not in budgets:
            problems.append(loc.problem("funding_budget", "unknown budget (not in budgets)"))
    return problems

def _check_periods(scenario: ScenarioView) -> list[Problem]:
    horizon = scenario.horizon
    if horizon is None:
        return []
    problems = []
    if horizon.periods == ():
        return [Problem("scenario manifest", "horizon end is before its start", column="horizon.end",
                        value=scenario.manifest.horizon.end)]
    dated = {"supply": ("period",), "targets": ("by", "until"), "demand": ("from_period",),
             "planned_leavers": ("period",)}
    for name, columns in dated.items():
        for loc in scenario.rows.get(name, []):
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
    for loc in scenario.rows.get("targets", []):
        try:
            if loc.row.until is not None and horizon.index(loc.row.until) < horizon.index(loc.row.by):
                problems.append(loc.problem("until", f"is before 'by' ({loc.row.by}): the target would never apply"))
        except PeriodError:
            pass  # reported above
    for loc in scenario.rows.get("staff_in_post", []):
        try:
            horizon.index(loc.row.as_at)
        except PeriodError:
            problems.append(loc.problem("as_at", f"the horizon is in {horizon.step}s"))
    problems += _check_on_course(scenario, horizon)
    return problems

def _check_on_course(scenario: ScenarioView, horizon: Horizon) -> list[Problem]:
    """Trainees on course at the start: begun before the horizon, not yet finished by its start."""
    problems = []
    lead = {loc.row.transition: loc.row.lead_periods for loc in scenario.rows.get("transitions", [])}
    first = horizon.label(horizon.first)
    for loc in scenario.rows.get("trainees_on_course", []):
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

def _check_arrs_years(scenario: ScenarioView, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
    if "arrs_years" in incomplete:
        return []
    years = scenario.rows.get("arrs_years", [])
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
    pots = {(loc.row.year, loc.row.pot) for loc in scenario.rows.get("arrs_pots", [])}
    for loc in scenario.rows.get("arrs_pots", []):
        if loc.row.year not in known:
            problems.append(loc.problem("year", "no ARRS rule for this year in arrs_years"))
        elif loc.row.year in combined:
            problems.append(loc.problem("pot", f"{loc.row.year} has one combined ARRS sum per PCN "
                                               "(combined_pot in arrs_years): no separate pot"))
    for loc in scenario.rows.get("arrs_roles", []):
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
    for loc in scenario.rows.get("recruitment_routes", []):
        if years and loc.row.year not in known:
            problems.append(loc.problem("year", "no ARRS rule for this year in arrs_years"))
    return problems
