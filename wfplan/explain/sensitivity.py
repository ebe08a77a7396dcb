"""Sensitivity runs: re-plan across a range of one parameter and tabulate key figures.

A parameter is a scale factor on a group of input columns (applied with
:mod:`wfplan.scenario.overrides`, so every run is a validated scenario):

=========================  =====================================================
``supply``                 supply ``max_starters`` (``supply:ROLE`` one role)
``attrition``              attrition ``annual_rate`` and ``first_year_annual_rate``
                           (``attrition:ROLE``)
``entitlement``            ARRS entitlement per weighted patient / per PCN
``budget``                 ARRS entitlement and every named budget's amount
                           (``budget:NAME`` one named budget only)
``demand``                 appointments per patient (``demand:AREA``)
``cap``                    ARRS ``cap_per_wte`` (``cap:ROLE``)
``cost``                   role ``annual_cost`` (``cost:ROLE``)
``target``                 target ``quantity`` (``target:TARGET``)
=========================  =====================================================

Key figures per value: plan status, total shortfall per target, unmet
appointments, employment cost, ARRS claims, and system FTE per role at the
horizon's end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from solvers import DEFAULT_SOLVER
from solvers.base import DEFAULT_GAP
from wfplan.errors import Problem, ScenarioError
from wfplan.scenario import Scenario

PARAMS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "supply": (("supply", "max_starters", "role"),),
    "attrition": (("attrition", "annual_rate", "role"), ("attrition", "first_year_annual_rate", "role")),
    "entitlement": (("arrs_years", "entitlement_per_weighted_patient", None),
                    ("arrs_years", "entitlement_per_pcn", None)),
    "budget": (("arrs_years", "entitlement_per_weighted_patient", None),
               ("arrs_years", "entitlement_per_pcn", None), ("budgets", "amount", "budget")),
    "demand": (("demand", "appointments_per_patient", "area"),),
    "cap": (("arrs_roles", "cap_per_wte", "role"),),
    "cost": (("roles", "annual_cost", "role"),),
    "target": (("targets", "quantity", "target"),),
}
MAX_RUNS = 200


def parse_range(text: str) -> list[float]:
    """``a:b:step`` -> [a, a+step, ..., <= b] (at most :data:`MAX_RUNS` values)."""
    parts = text.split(":")
    try:
        a, b, step = (float(p) for p in parts) if len(parts) == 3 else (float("nan"),) * 3
    except ValueError:
        a = b = step = float("nan")
    if not all(math.isfinite(v) for v in (a, b, step)):
        raise ScenarioError(Problem("--range", "expected a:b:step with numbers, e.g. 0.8:1.2:0.1", value=text))
    if step <= 0 or b < a:
        raise ScenarioError(Problem("--range", "needs a <= b and a positive step", value=text))
    count = int(math.floor((b - a) / step + 1e-9)) + 1
    if count > MAX_RUNS:
        raise ScenarioError(Problem("--range", f"gives {count} runs; at most {MAX_RUNS}", value=text))
    return [round(a + i * step, 10) for i in range(count)]


def overrides_for(scenario: Scenario, param: str, factor: float) -> list[dict[str, object]]:
    """The override entries that scale ``param`` by ``factor`` (tables without rows are skipped)."""
    name, _, selector = param.partition(":")
    if name not in PARAMS:
        raise ScenarioError(Problem("--vary", f"unknown parameter; choose one of {', '.join(PARAMS)} "
                                              "(optionally NAME:SELECTOR, e.g. supply:first_contact_physiotherapist)",
                                    value=param))
    out: list[dict[str, object]] = []
    for table, column, key in PARAMS[name]:
        if name == "budget" and selector and table != "budgets":
            continue
        rows = scenario.rows.get(table, [])
        if not rows or all(getattr(loc.row, column) is None for loc in rows):
            continue
        entry: dict[str, object] = {"table": table, "column": column, "scale": factor}
        if selector:
            if key is None:
                raise ScenarioError(Problem("--vary", f"{name} takes no selector", value=param))
            entry["where"] = {key: selector}
        out.append(entry)
    if not out:
        raise ScenarioError(Problem("--vary", f"the scenario has no rows for {name}", value=param))
    return out


PARAM_WORDS = {
    "supply": "recruitment supply", "attrition": "leaving rates", "entitlement": "ARRS entitlement",
    "budget": "ARRS entitlement and budgets", "demand": "appointment demand", "cap": "ARRS caps per WTE",
    "cost": "employment costs", "target": "target quantities",
}
WIDTH = 100
"""Console lines are at most this wide: the table is one row per figure and one column per value,
in as many blocks of columns as the width needs."""
LABEL_WIDTH = 40


@dataclass
class Sensitivity:
    """``table`` is ``sensitivity.csv`` (one row per value); ``labels`` name its columns in words."""

    param: str
    table: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)

    def text_lines(self, width: int = WIDTH) -> list[str]:
        """One row per figure (plan, each target, demand, cost, claims, staff at the end), one column per
        value of the parameter, wrapped into blocks of columns so that no line is wider than ``width``."""
        from wfplan.results import words
        from wfplan.results.report_text import columns_table

        name, _, selector = self.param.partition(":")
        what = PARAM_WORDS.get(name, name) + (f" ({selector})" if selector else "")
        lines = [f"sensitivity to {what}, scaled by each factor:"]
        shown = [(c, label) for c, label in self.labels.items() if c in self.table]
        cells: dict[str, list[str]] = {}
        for column, _ in shown:
            values = self.table[column].tolist()
            if column.startswith(("met:", "plan")):
                cells[column] = [str(v) for v in values]
            elif column.endswith("_gbp"):
                cells[column] = [words.money_short(v) for v in values]
            elif column.startswith("fte_end:"):
                cells[column] = [words.number(v, 1) for v in values]
            else:
                cells[column] = [words.number(v, 0) for v in values]
        factors = [f"x{float(f):.2f}" for f in self.table["factor"]]
        rows = [(label, cells[column]) for column, label in shown]
        return lines + columns_table(factors, rows, width=width, label_width=LABEL_WIDTH)


def _labels(scenario: Scenario, table: pd.DataFrame) -> dict[str, str]:
    """The figures shown on the console, in words, in display order."""
    from wfplan.results import words

    targets = words.scenario_targets(scenario)
    roles = scenario.table("roles")
    role_names = dict(zip(roles["role"], roles["name"], strict=True))
    labels = {"plan": "plan"}
    for column in table.columns:
        if column.startswith("met:"):
            target = targets.get(column[4:])
            noun = words.AREA_NOUN.get(target.level if target else "pcn", ("area", "areas"))[1]
            labels[column] = (words.goal_name(target) if target else column[4:]) + f": {noun} where met"
    labels["unmet_appointments"] = "unmet appointments over the plan"
    labels["employment_cost_gbp"] = "employment cost over the plan"
    labels["arrs_claims_gbp"] = "ARRS claims over the plan"
    end = scenario.horizon.label(scenario.horizon.last) if scenario.horizon else "the end"
    for column in table.columns:
        if column.startswith("fte_end:"):
            role = column[8:]
            labels[column] = f"{role_names.get(role, role)}, FTE in {words.period_end(end)}"
    return labels


def run_sensitivity(scenario: Scenario, param: str, values: list[float], *, solver: str = DEFAULT_SOLVER,
                    integer: bool | None = None, time_limit: float | None = None, gap: float = DEFAULT_GAP,
                    echo=None) -> Sensitivity:
    from wfplan.pipeline import run_plan
    from wfplan.results import words
    from wfplan.results.summary import plan_summary
    from wfplan.scenario.overrides import apply_overrides

    rows = []
    for value in values:
        varied = apply_overrides(scenario, overrides_for(scenario, param, value))
        if echo:
            echo(f"{param} x {value:g} ...")
        result = run_plan(varied, solver=solver, time_limit=time_limit, gap=gap, integer=integer)
        row: dict[str, object] = {"factor": value, "status": result.solution.status.value,
                                  "plan": words.plan_status_short(plan_summary(result))}
        tables = result.tables
        if tables is not None:
            goals = tables.goals
            for target, s in goals[goals["goal"] == "target"].groupby("id", sort=False)["shortfall"].sum().items():
                row[f"shortfall:{target}"] = float(s)
            for rec in words.target_attainment(goals, varied).to_dict("records"):
                row[f"met:{rec['target']}"] = f"{rec['met']} of {rec['areas']}"
            row["unmet_appointments"] = float(goals.loc[goals["goal"] == "demand", "shortfall"].sum())
            row["employment_cost_gbp"] = float(tables.plan["employment_cost"].sum())
            row["arrs_claims_gbp"] = float(tables.plan["arrs_claim_gbp"].sum())
            plan = tables.plan
            end = plan[plan["period"] == plan["period"].iloc[-1]]
            for role, fte in end.groupby("role", sort=False)["staff_fte"].sum().items():
                row[f"fte_end:{role}"] = float(fte)
        rows.append(row)
    table = pd.DataFrame(rows)
    return Sensitivity(param, table, _labels(scenario, table))
