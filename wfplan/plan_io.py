"""Turn a solved model into the plan's tables, and write / read plan directories.

A plan directory holds:

* ``plan.csv``: PCN x role x period: starters (by source), leavers (expected
  attrition), planned leavers (known, on their dates), releases,
  transitions, staff in post (headcount and FTE), recruits through a route
  that is not ARRS-claimable and those of them in post, cost, ARRS claim;
* ``arrs.csv``: entitlement, claims and headroom per PCN and year (the main
  ARRS sum), and the ring-fenced pots' entitlement and claims;
* ``goals.csv``: each target and demand goal: required, achieved, shortfall;
* ``budgets.csv``: spend against each named budget;
* ``planned_flows.csv``, ``flow_types.csv``, ``historic_fte.csv``: the plan as
  checkpoint flows, so ``wfplan trajectory PLAN_DIR`` gives its trajectory;
* ``scenario/``: the exact validated inputs; ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wfplan.headroom import unused_reasons
from wfplan.model.formulation import Model
from wfplan.model.solve import PlanSolution

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


def _clean(a: np.ndarray, whole: bool) -> np.ndarray:
    """Round solver noise: to whole people for decisions in integer mode, to 1e-9 otherwise."""
    return np.round(a) + 0.0 if whole else np.where(np.abs(a) < 1e-9, 0.0, a)


def decode(model: Model, solution: PlanSolution) -> PlanTables:
    """Read the plan out of the solution vector.

    Decisions (recruits, course starts, releases, short time) are whole people
    in integer mode; leavers, replacements (which follow leavers), course
    completions and so staff in post are expected values, as the formulation
    defines them.
    """
    inputs, b, x = model.inputs, model.builder, solution.x
    assert x is not None
    P, R, T = inputs.shape
    integer = inputs.integer
    val = {name: b.value(name, x) for name in b.variables}
    zeros = np.zeros((P, R, T))
    stock = _clean(val["stock"], False)
    starters = _clean(val["starters"], integer)
    replacements = _clean(val.get("replacements", zeros), False)
    leavers = _clean(val["leavers"], False)
    released = _clean(val.get("released", zeros), integer)
    short = _clean(val.get("short_time", zeros), integer)
    over = val.get("overstaffed", zeros)
    vacancies = _clean(val.get("vacancies", zeros), False)
    # trainees on course at the start: their courses end on their dates, like those started in the plan
    trans_in = inputs.course_completions_by_role.copy()
    trans_out = zeros.copy()
    course_leavers = zeros.copy()
    for k, (ri, success) in enumerate(zip(inputs.transitions["from_ri"], inputs.transitions["success_rate"],
                                          strict=True)):
        trans_out[:, ri, :] += success * inputs.course_exits[:, k, :]
        course_leavers[:, ri, :] += (1.0 - success) * inputs.course_exits[:, k, :]
    course_starts = zeros.copy()
    tr = inputs.transitions
    if "started" in val:
        started = _clean(val["started"], integer)
        for k in range(len(tr)):
            lead, success = int(tr["lead_periods"].iloc[k]), float(tr["success_rate"].iloc[k])
            course_starts[:, tr["from_ri"].iloc[k], :] += started[:, k, :]
            if lead < T:  # people leave the from-role when their course ends: most into the to-role
                cohort = started[:, k, : T - lead]
                trans_out[:, tr["from_ri"].iloc[k], lead:] += success * cohort
                course_leavers[:, tr["from_ri"].iloc[k], lead:] += (1.0 - success) * cohort
            trans_in[:, tr["to_ri"].iloc[k], :] += _clean(val["completed"][:, k, :], False)
    # recruits through a route not claimable in the year they start (the 12-month rule), and those in post
    recruits_not_claimable = zeros.copy()
    if "recruits_via" in val:
        for j, ri in enumerate(inputs.routes["ri"].to_numpy(int)):
            recruits_not_claimable[:, ri, :] += np.where(inputs.route_claimable[j], 0.0, val["recruits_via"][:, j, :])
    recruits_not_claimable = _clean(recruits_not_claimable, False)
    staff_not_claimable = _clean(val.get("staff_not_claimable", zeros), False)
    rate = inputs.claim_rate
    claim = np.where(rate > 0, val.get("claim_wte", zeros), 0.0)
    claim = np.where(np.abs(claim) < 1e-9, 0.0, claim)
    fte = stock * inputs.participation[None, :, None]
    cost = stock * inputs.cost_per_head[None]
    claim_gbp = claim * rate

    pcn_place = inputs.scenario.pcns["place"].reindex(inputs.pcns).to_numpy()
    groups = inputs.scenario.roles["staff_group"].reindex(inputs.roles).to_numpy()
    labels = [inputs.horizon.label(p) for p in inputs.periods]
    years = inputs.period_years.tolist()
    pi, ri, ti = np.meshgrid(np.arange(P), np.arange(R), np.arange(T), indexing="ij")
    pi, ri, ti = pi.ravel(), ri.ravel(), ti.ravel()
    plan = pd.DataFrame({
        "pcn": np.array(inputs.pcns)[pi], "place": pcn_place[pi], "role": np.array(inputs.roles)[ri],
        "staff_group": groups[ri], "period": np.array(labels)[ti], "year": np.array(years)[ti],
        "starters": starters.ravel(), "replacements": replacements.ravel(), "leavers": leavers.ravel(),
        "planned_leavers": inputs.planned_leavers.ravel(),
        "released": released.ravel(), "training_starts": course_starts.ravel(), "transitions_out": trans_out.ravel(),
        "training_leavers": course_leavers.ravel(), "transitions_in": trans_in.ravel(),
        "staff_headcount": stock.ravel(), "staff_fte": fte.ravel(), "vacancies": vacancies.ravel(),
        "recruits_not_claimable": recruits_not_claimable.ravel(), "staff_not_claimable": staff_not_claimable.ravel(),
        "short_time": short.ravel(), "overstaffed": over.ravel(), "employment_cost": cost.ravel(),
        "arrs_claim_wte": claim.ravel(), "arrs_claim_gbp": claim_gbp.ravel(),
    })
    plan["other_spend"] = plan["employment_cost"] - plan["arrs_claim_gbp"]
    goals = _goals(model, solution, val)
    arrs = _arrs_table(inputs, claim)
    arrs["unused_reason"] = unused_reasons(inputs, plan, goals, arrs)
    return PlanTables(plan=plan, arrs=arrs, goals=goals, budgets=_budget_table(inputs, plan, val),
                      **_flows(inputs, plan))


def _arrs_table(inputs, claim: np.ndarray) -> pd.DataFrame:
    """Per PCN and year: the main ARRS sum, its claims and headroom; and the ring-fenced
    pots of the year (summed, where a year has any) with the claims they pay."""
    columns = ["pcn", "year", "entitlement", "claims", "headroom", "ring_fenced_entitlement", "ring_fenced_claims"]
    ent = inputs.entitlement.copy()
    if ent.empty:
        return pd.DataFrame(columns=[*columns, "unused_reason"])
    year_of_t = inputs.period_years
    main, pot = claim * inputs.arrs_rate, claim * inputs.pot_rate
    ent["pcn"] = [inputs.pcns[i] for i in ent["pi"]]
    ent["claims"] = [float(main[pi][:, year_of_t == y].sum()) for pi, y in zip(ent["pi"], ent["year"], strict=True)]
    ent = ent.rename(columns={"amount": "entitlement"})
    ent["headroom"] = ent["entitlement"] - ent["claims"]
    pots = inputs.pot_entitlement.groupby(["pi", "year"])["amount"].sum()
    ent["ring_fenced_entitlement"] = [float(pots.get((pi, y), 0.0)) for pi, y in zip(ent["pi"], ent["year"], strict=True)]
    ent["ring_fenced_claims"] = [float(pot[pi][:, year_of_t == y].sum())
                                 for pi, y in zip(ent["pi"], ent["year"], strict=True)]
    return ent[columns].reset_index(drop=True)


def _goals(model: Model, solution: PlanSolution, val: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every target and demand goal: required, achieved and shortfall.

    ``achieved`` is read off the model's own goal rows (the measure the
    optimiser used, less its shortfall or unmet column), so it is defined once,
    in the formulation.  A shortfall below :data:`SHORTFALL_NOISE` (solver
    rounding) is reported as met, with the requirement as achieved.
    """
    inputs, b = model.inputs, model.builder
    activity = solution.lp.A @ solution.x if solution.lp is not None else None
    frames = []
    cells = inputs.targets.frame
    if len(cells):
        measure = activity[b.constraints["targets"].ids] - val.get("target_shortfall", np.zeros(len(cells)))
        frames.append(pd.DataFrame({
            "goal": "target", "id": cells["target"], "role": cells["role"], "level": cells["level"],
            "area": cells["area"], "period": cells["period"], "by": cells["by"], "unit": cells["unit"],
            "kind": cells["kind"], "priority": cells["priority"], "hard": cells["hard"],
            "required": cells["required"], "achieved": measure,
            "shortfall": np.where(cells["kind"] == "at_least", np.maximum(cells["required"] - measure, 0.0), 0.0)}))
    d = inputs.demand
    if len(d):
        unmet = val["unmet_demand"]
        delivered = activity[b.constraints["demand"].ids] - unmet
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


def _budget_table(inputs, plan: pd.DataFrame, val: dict[str, np.ndarray]) -> pd.DataFrame:
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
    roles = inputs.scenario.roles.reindex(inputs.roles)
    types = []
    for role, rate in zip(inputs.roles, roles["participation_rate"], strict=True):
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
    (:mod:`wfplan.plan_reader`: a damaged plan directory is a located error)."""
    from wfplan.load import load_scenario
    from wfplan.plan_reader import is_plan_dir, read_plan_directory, read_plan_flows

    path = Path(path)
    if is_plan_dir(path):
        return read_plan_flows(read_plan_directory(path, tables=()))
    return load_scenario(path), None, None
