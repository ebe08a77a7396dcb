"""Turn a solved model into the plan's tables (what ``plan.csv``, ``arrs.csv``,
``goals.csv``, ``budgets.csv`` and the checkpoint flows hold; see
:mod:`wfplan.results.plan_directory`).  Every figure is the formulation's own
variable or named expression at the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wfplan.model.formulation import Model
from wfplan.results.headroom import unused_reasons
from wfplan.scenario import Scenario
from wfplan.solve import PlanSolution

SHORTFALL_NOISE = 1e-4
"""Shortfalls below this (solver rounding in LP mode) are reported as met."""


@dataclass
class PlanTables:
    plan: pd.DataFrame
    arrs: pd.DataFrame
    goals: pd.DataFrame
    budgets: pd.DataFrame
    flows: pd.DataFrame
    flow_types: pd.DataFrame
    historic: pd.DataFrame


@dataclass
class PlanResult:
    """A planned scenario: its model, the solver's solution and the plan tables (None without a plan)."""

    scenario: Scenario
    model: Model
    solution: PlanSolution
    tables: PlanTables | None


def clean_solution(lp, x: np.ndarray) -> np.ndarray:
    """The solution with solver noise rounded: whole-people decisions (integer columns)
    to whole numbers, values within 1e-9 of zero to zero.  Every plan table is read
    from this one vector, so a figure and its parts agree."""
    clean = np.where(np.abs(x) < 1e-9, 0.0, x)
    whole = lp.integrality if lp is not None else np.zeros(len(x), dtype=bool)
    clean[whole] = np.round(x[whole]) + 0.0
    return clean


def decode(model: Model, solution: PlanSolution) -> PlanTables:
    """Read the plan out of the solution vector.

    Decisions (recruits, course starts, releases, short time) are whole people
    in integer mode; leavers, replacements (which follow leavers), course
    completions and so staff in post are expected values, as the formulation
    defines them.  Every derived figure (FTE, cost, claims, course flows) is
    the formulation's named expression evaluated at the plan, not a copy of it.
    """
    inputs, b = model.inputs, model.builder
    assert solution.x is not None
    x = clean_solution(solution.lp, solution.x)
    P, R, T = inputs.shape
    zeros = np.zeros((P, R, T))

    def value(name: str) -> np.ndarray:
        return b.value(name, x) if name in b.variables else zeros

    def expression(name: str) -> np.ndarray:
        return b.evaluate(name, x)

    stock = value("stock")
    claim = value("claim_wte")
    places, groups = inputs.place_names, inputs.staff_groups
    labels = [inputs.horizon.label(p) for p in inputs.periods]
    years = inputs.period_years.tolist()
    pi, ri, ti = np.meshgrid(np.arange(P), np.arange(R), np.arange(T), indexing="ij")
    pi, ri, ti = pi.ravel(), ri.ravel(), ti.ravel()
    plan = pd.DataFrame({
        "pcn": np.array(inputs.pcns)[pi], "place": places[pi], "role": np.array(inputs.roles)[ri],
        "staff_group": groups[ri], "period": np.array(labels)[ti], "year": np.array(years)[ti],
        "starters": value("starters").ravel(), "replacements": value("replacements").ravel(),
        "leavers": value("leavers").ravel(), "planned_leavers": inputs.planned_leavers.ravel(),
        "released": value("released").ravel(), "training_starts": expression("training_starts").ravel(),
        "transitions_out": expression("transitions_out").ravel(),
        "training_leavers": expression("training_leavers").ravel(),
        "transitions_in": expression("transitions_in").ravel(),
        "staff_headcount": stock.ravel(), "staff_fte": expression("staff_fte").ravel(),
        "vacancies": value("vacancies").ravel(),
        "recruits_not_claimable": expression("recruits_not_claimable").ravel(),
        "staff_not_claimable": value("staff_not_claimable").ravel(),
        "short_time": value("short_time").ravel(), "overstaffed": value("overstaffed").ravel(),
        "employment_cost": expression("employment_cost").ravel(),
        "arrs_claim_wte": claim.ravel(), "arrs_claim_gbp": expression("arrs_claim_gbp").ravel(),
    })
    plan["other_spend"] = plan["employment_cost"] - plan["arrs_claim_gbp"]
    goals = _goals(model, solution)
    arrs = _arrs_table(inputs, expression("main_claim_gbp"), expression("ring_fenced_claim_gbp"))
    arrs["unused_reason"] = unused_reasons(inputs, plan, goals, arrs)
    return PlanTables(plan=plan, arrs=arrs, goals=goals, budgets=_budget_table(inputs, plan),
                      **_flows(inputs, plan))


def _arrs_table(inputs, main: np.ndarray, pot: np.ndarray) -> pd.DataFrame:
    """Per PCN and year: the main ARRS sum, its claims and headroom; and the ring-fenced
    pots of the year (summed, where a year has any) with the claims they pay."""
    columns = ["pcn", "year", "entitlement", "claims", "headroom", "ring_fenced_entitlement", "ring_fenced_claims"]
    ent = inputs.entitlement.copy()
    if ent.empty:
        return pd.DataFrame(columns=[*columns, "unused_reason"])
    year_of_t = inputs.period_years
    ent["pcn"] = [inputs.pcns[i] for i in ent["pi"]]
    ent["claims"] = [float(main[pi][:, year_of_t == y].sum()) for pi, y in zip(ent["pi"], ent["year"], strict=True)]
    ent = ent.rename(columns={"amount": "entitlement"})
    ent["headroom"] = ent["entitlement"] - ent["claims"]
    pots = inputs.pot_entitlement.groupby(["pi", "year"])["amount"].sum()
    ent["ring_fenced_entitlement"] = [float(pots.get((pi, y), 0.0)) for pi, y in zip(ent["pi"], ent["year"], strict=True)]
    ent["ring_fenced_claims"] = [float(pot[pi][:, year_of_t == y].sum())
                                 for pi, y in zip(ent["pi"], ent["year"], strict=True)]
    return ent[columns].reset_index(drop=True)


def _goals(model: Model, solution: PlanSolution) -> pd.DataFrame:
    """Every target and demand goal: required, achieved and shortfall.

    ``achieved`` is the formulation's own measure (``target_measure``,
    ``demand_met``) at the solution, so it is defined once.  A shortfall below
    :data:`SHORTFALL_NOISE` (solver rounding) is reported as met, with the
    requirement as achieved.
    """
    inputs, b, x = model.inputs, model.builder, solution.x
    frames = []
    cells = inputs.targets.frame
    if len(cells):
        measure = b.evaluate("target_measure", x)
        frames.append(pd.DataFrame({
            "goal": "target", "id": cells["target"], "role": cells["role"], "level": cells["level"],
            "area": cells["area"], "period": cells["period"], "by": cells["by"], "unit": cells["unit"],
            "kind": cells["kind"], "priority": cells["priority"], "hard": cells["hard"],
            "required": cells["required"], "achieved": measure,
            "shortfall": np.where(cells["kind"] == "at_least", np.maximum(cells["required"] - measure, 0.0), 0.0)}))
    d = inputs.demand
    if len(d):
        delivered = b.evaluate("demand_met", x)
        frames.append(pd.DataFrame({
            "goal": "demand", "id": "demand_" + d["source_level"] + "_" + d["source_area"], "role": "",
            "level": d["level"], "area": d["area"],
            "period": d["period"], "by": "", "unit": "appointments", "kind": "at_least",
            "priority": d["priority"], "hard": False, "required": d["required"], "achieved": delivered,
            "shortfall": np.maximum(d["required"] - delivered, 0.0)}))
    columns = ["goal", "id", "role", "level", "area", "period", "by", "unit", "kind", "priority", "hard",
               "required", "achieved", "shortfall"]
    out = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    noise = out["shortfall"] <= SHORTFALL_NOISE
    out["shortfall"] = out["shortfall"].where(~noise, 0.0)
    met = noise & (out["kind"] == "at_least")
    out["achieved"] = out["achieved"].where(~met, np.maximum(out["achieved"], out["required"]))
    return out


def _budget_table(inputs, plan: pd.DataFrame) -> pd.DataFrame:
    budgets = inputs.budgets
    role_budget = dict(zip(inputs.roles, inputs.funding_budget, strict=True))
    spend_by = plan.assign(budget=plan["role"].map(role_budget))
    rows = []
    for _, row in budgets.iterrows():
        members = [inputs.pcns[i] for i in row["members"]]
        sel = spend_by[(spend_by["budget"] == row["budget"]) & (spend_by["year"] == row["year"])
                       & spend_by["pcn"].isin(members)]
        spend = float(sel["other_spend"].sum())
        amount = row["amount"]
        over = max(spend - amount, 0.0) if pd.notna(amount) else 0.0
        rows.append({"budget": row["budget"], "year": row["year"], "level": row["level"], "area": row["area"],
                     "amount": amount, "spend": spend, "overrun": over if over > 1e-6 else 0.0})
    return pd.DataFrame(rows, columns=["budget", "year", "level", "area", "amount", "spend", "overrun"])


def _flows(inputs, plan: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The plan as checkpoint flows (PCN level) with per-role participation rates."""
    types = []
    for role, rate in zip(inputs.roles, inputs.participation, strict=True):
        for direction, flow, label in (("inflow", "recruitment", "Recruited"),
                                       ("inflow", "replacement", "Recruited to replace leavers (expected)"),
                                       ("inflow", "transition_in", "From training or retraining"),
                                       ("outflow", "leavers", "Leavers (expected)"),
                                       ("outflow", "planned_leavers",
                                        "Known leavers (retirements, contracts ending: planned_leavers)"),
                                       ("outflow", "released", "Released (redundancy)"),
                                       ("outflow", "transition_out", "Into another role after training or retraining"),
                                       ("outflow", "training_leavers",
                                        "Left during training or retraining (did not complete)")):
            types.append({"role": role, "direction": direction, "flow": flow, "label": label,
                          "participation_rate": float(rate)})
    flow_types = pd.DataFrame(types)
    parts = []
    for column, direction, flow in (("starters", "inflow", "recruitment"), ("replacements", "inflow", "replacement"),
                                    ("transitions_in", "inflow", "transition_in"),
                                    ("leavers", "outflow", "leavers"),
                                    ("planned_leavers", "outflow", "planned_leavers"),
                                    ("released", "outflow", "released"),
                                    ("transitions_out", "outflow", "transition_out"),
                                    ("training_leavers", "outflow", "training_leavers")):
        part = plan[["pcn", "role", "period", column]].rename(columns={column: "headcount", "pcn": "area"})
        part = part[part["headcount"] != 0]
        parts.append(part.assign(level="pcn", direction=direction, flow=flow))
    flows = pd.concat(parts, ignore_index=True)[["level", "area", "role", "direction", "flow", "period", "headcount"]]
    h = inputs.horizon
    before = h.label(h.first - 1)
    hist = pd.DataFrame({
        "level": "pcn", "area": np.repeat(inputs.pcns, len(inputs.roles)),
        "role": np.tile(inputs.roles, len(inputs.pcns)), "quarter": before,
        "fte": (inputs.initial * inputs.participation[None, :]).ravel(),
    }) if h.step == "quarter" else pd.DataFrame(columns=["level", "area", "role", "quarter", "fte"])
    return {"flows": flows, "flow_types": flow_types, "historic": hist}


def load_scenario_or_plan(path: Path) -> tuple[object, pd.DataFrame | None, pd.DataFrame | None]:
    """A scenario (its own flows) or a plan directory (the plan's flows), validated
    (:mod:`wfplan.results.plan_reader`: a damaged plan directory is a located error)."""
    from wfplan.results.plan_reader import is_plan_dir, read_plan_directory, read_plan_flows
    from wfplan.scenario.load import load_scenario

    path = Path(path)
    if is_plan_dir(path):
        return read_plan_flows(read_plan_directory(path, tables=()))
    return load_scenario(path), None, None
