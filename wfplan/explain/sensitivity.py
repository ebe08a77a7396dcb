"""Sensitivity runs: re-plan across a range of one parameter and tabulate key figures.

A parameter is a scale factor on a group of input columns (applied with
:mod:`wfplan.overrides`, so every run is a validated scenario):

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
from dataclasses import dataclass

import pandas as pd

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


@dataclass
class Sensitivity:
    param: str
    table: pd.DataFrame

    def text_lines(self) -> list[str]:
        shown = self.table.to_string(index=False, float_format=lambda v: f"{v:,.2f}")
        return [f"sensitivity to {self.param} (scale factor):", *shown.splitlines()]


def run_sensitivity(scenario: Scenario, param: str, values: list[float], *, solver: str = "highs",
                    integer: bool | None = None, time_limit: float | None = None, gap: float = 1e-4,
                    echo=None) -> Sensitivity:
    from wfplan.overrides import with_overrides
    from wfplan.planner import run_plan

    rows = []
    for value in values:
        varied = with_overrides(scenario, overrides_for(scenario, param, value))
        if echo:
            echo(f"{param} x {value:g} ...")
        result = run_plan(varied, solver=solver, time_limit=time_limit, gap=gap, integer=integer)
        row: dict[str, object] = {"factor": value, "status": result.solution.status.value}
        tables = result.tables
        if tables is not None:
            goals = tables.goals
            for target, s in goals[goals["goal"] == "target"].groupby("id", sort=False)["shortfall"].sum().items():
                row[f"shortfall:{target}"] = float(s)
            row["unmet_appointments"] = float(goals.loc[goals["goal"] == "demand", "shortfall"].sum())
            row["employment_cost_gbp"] = float(tables.plan["employment_cost"].sum())
            row["arrs_claims_gbp"] = float(tables.plan["arrs_claim_gbp"].sum())
            plan = tables.plan
            end = plan[plan["period"] == plan["period"].iloc[-1]]
            for role, fte in end.groupby("role", sort=False)["staff_fte"].sum().items():
                row[f"fte_end:{role}"] = float(fte)
        rows.append(row)
    return Sensitivity(param, pd.DataFrame(rows))
