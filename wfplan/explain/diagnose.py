"""What cannot be met, and why: infeasibility and shortfall diagnosis.

When hard rules conflict (a hard target, an exact requirement, supply too
small, a cap below a required level) the plan is infeasible and a solver only
says so.  :func:`diagnose` finds the smallest relaxation that makes the rules
consistent, by an *elastic* (goal) formulation of the same model:

* the model's :class:`~solvers.base.LinearProgram` is built as for planning;
* every hard row of the chosen families gets a non-negative slack column
  (``A x - s <= upper`` or ``A x + s >= lower``; both for exact requirements),
  and every finite column limit of a limit family (transition places,
  overstaffing, short-time) becomes a row ``x - s <= limit``;
* the weighted sum of slacks is minimised (an LP, or a MIP when the plan is
  in whole people), with any backend.

Two passes.  First *goals before rules*: hard targets and exact requirements
are relaxed in preference (weight 1 per person, spread over the periods a
target applies), rules only where relaxing goals cannot help (weight 1,000 per
person, 0.1 per GBP).  This gives "Breckland PCN cannot reach 3 first contact
physiotherapists by 2022/23 Q4: first contact physiotherapist supply in the
system is used up in 2022/23 Q1 (...); short by 1 person", with the rules at
their limit in the relaxed plan as the cause.  Second, the *alternative*:
goals kept, rules relaxed (1 per person, 1e-4 per GBP): "or raise first
contact physiotherapist supply in the system in 2022/23 Q1 from 2 to 6".

The slacks are an L1 minimum, not a minimum count of rules; where several
relaxations cost the same the solver picks one.  When the plan is feasible,
:func:`diagnose` plans it and explains each missed (soft) goal by the rules at
their limit in the plan: supply used up before the goal's date, no supply,
transition places, a spent budget with the ARRS entitlement or number caps
that could not cover more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solvers import DEFAULT_SOLVER, get_solver
from solvers.base import DEFAULT_GAP, LinearProgram
from wfplan.explain.common import (
    TOL,
    Activity,
    Cause,
    Names,
    causes_over,
    causes_short,
    fmt,
    money,
    plural,
)
from wfplan.explain.elastic import (
    FAMILIES,
    GOAL_FAMILIES,
    RULES_AFTER_GOALS,
    Elastic,
    elastic_catalogue,
    elastic_program,
    solve_elastic,
)
from wfplan.model.formulation import Model
from wfplan.pipeline import build_model
from wfplan.scenario import Scenario

SHOWN_SHORTFALL = 5e-3
"""Missed goals are reported from this shortfall (half the two decimals shown): smaller ones are
the solver's tolerances, not a plan's choice."""

COLUMNS = ["kind", "rule", "name", "level", "area", "role", "period", "limit", "value", "change", "unit", "text"]


@dataclass
class DiagnosisItem:
    kind: str  # relax | alternative | cause | missed | note
    rule: str
    text: str
    name: str = ""
    level: str = ""
    area: str = ""
    role: str = ""
    period: str = ""
    limit: float = float("nan")
    value: float = float("nan")
    change: float = float("nan")
    unit: str = ""


@dataclass
class Diagnosis:
    """The outcome of :func:`diagnose`: ``feasible`` and the items found."""

    scenario: str
    feasible: bool
    items: list[DiagnosisItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    solver: str = ""

    def headline(self) -> list[DiagnosisItem]:
        return [it for it in self.items if it.kind in ("relax", "missed", "alternative", "note")]

    def text_lines(self) -> list[str]:
        lines = [f"diagnosis of {self.scenario} ({self.solver}):"]
        if not self.feasible:
            lines.append("the hard rules conflict: no plan keeps them all. The smallest relaxation found "
                         "(goals relaxed before rules):")
        elif any(it.kind == "missed" for it in self.items):
            lines.append("every hard rule can be kept; goals the plan misses, and the rules that stop them:")
        elif any(it.kind == "note" for it in self.items):
            lines.append("every hard rule can be kept:")
        else:
            lines.append("every hard rule can be kept and the plan meets every goal.")
        alt_started = False
        for it in self.headline():
            if it.kind == "alternative" and not alt_started:
                lines.append("alternatively, keeping every goal, relax these rules:")
                alt_started = True
            lines.append(f"  - {it.text}")
        lines += [f"note: {n}" for n in self.notes]
        return lines

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([{c: getattr(it, c) for c in COLUMNS} for it in self.items], columns=COLUMNS)

    def write(self, path: Path) -> None:
        from wfplan.files.output import write_csv

        write_csv(self.frame(), Path(path))


# --- describing relaxations ---------------------------------------------------------


def _describe(model: Model, names: Names, el: Elastic, amount: float, kind: str, lp: LinearProgram,
              act: Activity | None) -> list[DiagnosisItem]:
    """Items for one relaxed limit (the headline and, for goals, its causes)."""
    inputs = model.inputs
    if el.family in GOAL_FAMILIES:
        cell = inputs.targets.frame.loc[el.info[0]]
        return [DiagnosisItem(kind, el.family, "", cell["target"], cell["level"], cell["area"], cell["role"],
                              cell["period"], float(cell["required"]),
                              float(cell["required"] - amount if el.family != "exact_over" else cell["required"] + amount),
                              -amount if el.family != "exact_over" else amount, cell["unit"])]
    if el.family == "supply":
        row = inputs.supply.loc[el.info[0]]
        limit = float(row["max_starters"])
        text = (f"raise {names.role(int(row['ri']))} supply in {names.area(row['level'], row['area'])} in "
                f"{row['period']} from {fmt(limit)} to {fmt(limit + amount)} starters (+{fmt(amount)})")
        return [DiagnosisItem(kind, "supply", text, f"supply {row['role']} {row['area']} {row['period']}",
                              row["level"], row["area"], row["role"], row["period"], limit, limit + amount,
                              amount, "starters")]
    if el.family == "entitlement":
        row = inputs.entitlement.loc[el.info[0]]
        pcn = inputs.pcns[int(row["pi"])]
        text = (f"raise the ARRS entitlement of {names.pcn(pcn)} for {row['year']} by {money(amount)} "
                f"(from {money(row['amount'])})")
        return [DiagnosisItem(kind, "entitlement", text, f"entitlement {pcn} {row['year']}", "pcn", pcn, "",
                              row["year"], float(row["amount"]), float(row["amount"] + amount), amount, "GBP")]
    if el.family == "overstaffing_total":
        t = el.info[0]
        limit = float(lp.row_upper[el.index])
        text = f"allow {fmt(amount)} more overstaffing in {names.period(t)} (limit {fmt(limit)})"
        return [DiagnosisItem(kind, el.family, text, "overstaffing_limit_total", "", "", "", names.period(t),
                              limit, limit + amount, amount, "people")]
    if el.family == "transition_share":
        name, p, t = el.info
        limit = float(lp.row_upper[el.index])
        text = (f"allow {fmt(amount)} more people into transition {name} at {names.pcn(int(p))} in "
                f"{names.period(t)} (max_share_of_destination)")
        return [DiagnosisItem(kind, el.family, text, name, "pcn", inputs.pcns[int(p)], "", names.period(t),
                              limit, limit + amount, amount, "people")]
    limit = float(lp.col_upper[el.index])
    p, k_or_r, t = (int(v) for v in el.info)
    if el.family == "transition_limit":
        name = str(inputs.transitions.loc[k_or_r, "transition"])
        text = (f"allow {fmt(amount)} more people a period into transition {name} at {names.pcn(p)} in "
                f"{names.period(t)} (max_per_period {fmt(limit)})")
        role = str(inputs.transitions.loc[k_or_r, "to_role"])
    else:
        what = "overstaffing" if el.family == "overstaffing_limit" else "short-time working"
        name = inputs.roles[k_or_r]
        role = name
        text = (f"allow {fmt(amount)} more {what} of {names.role(k_or_r)} at {names.pcn(p)} in "
                f"{names.period(t)} (limit {fmt(limit)})")
    return [DiagnosisItem(kind, el.family, text, name, "pcn", inputs.pcns[p], role, names.period(t), limit,
                          limit + amount, amount, "people")]


def _goal_headlines(model: Model, names: Names, items: list[DiagnosisItem], elastics: list[Elastic],
                    act: Activity, kind: str) -> list[DiagnosisItem]:
    """One sentence per relaxed goal (target x area), with the rules that stop it as causes."""
    inputs = model.inputs
    cells = inputs.targets.frame
    out: list[DiagnosisItem] = []
    goal_items = [(it, el) for it, el in zip(items, elastics, strict=True) if el.family in GOAL_FAMILIES]
    groups: dict[tuple[str, str, str], list[tuple[DiagnosisItem, Elastic]]] = {}
    for it, el in goal_items:
        groups.setdefault((it.name, it.area, el.family), []).append((it, el))
    for (target, _area, family), members in groups.items():
        members.sort(key=lambda pair: int(cells.loc[pair[1].info[0], "t"]))
        first_item, first_el = members[0]
        i = first_el.info[0]
        cell = cells.loc[i]
        ri, t = int(cell["ri"]), int(cell["t"])
        pcn_members = inputs.targets.pcn_members[i]
        amount = abs(first_item.change)
        worst_item = max(members, key=lambda pair: abs(pair[0].change))[0]
        role_name = names.role(ri)
        unit = names.unit(cell["unit"], amount)
        area_name = names.area(cell["level"], cell["area"])
        if family == "exact_over":
            causes = causes_over(act, names, ri, pcn_members, t)
            text = (f"{area_name} cannot bring {role_name} staff down to {fmt(cell['required'])} in {cell['period']}"
                    f" ({target})")
            tail = f"over by {fmt(amount)} {unit}"
        else:
            causes = causes_short(act, names, ri, pcn_members, t)
            if family == "exact_short":
                text = (f"{area_name} cannot reach the required {fmt(cell['required'])} "
                        f"{plural(role_name, cell['required'])} in {cell['period']} ({target})")
            else:
                text = (f"{area_name} cannot reach {fmt(cell['required'])} {plural(role_name, cell['required'])}"
                        f" by {cell['period']} ({target})")
            tail = f"short by {fmt(amount)} {unit}"
        reasons = "; ".join(c.text for c in causes)
        text = text[:1].upper() + text[1:] + (f": {reasons}" if reasons else "") + f"; {tail}"
        if abs(worst_item.change) > amount + TOL:
            text += f" (up to {fmt(abs(worst_item.change))} in {worst_item.period})"
        headline = DiagnosisItem(kind, family, text, target, cell["level"], cell["area"], cell["role"],
                                 cell["period"], float(cell["required"]), first_item.value, first_item.change,
                                 cell["unit"])
        out.append(headline)
        out += [_cause_item(c, target) for c in causes]
    return out


def _cause_item(c: Cause, target: str) -> DiagnosisItem:
    return DiagnosisItem("cause", c.rule, c.text, target, c.level, c.area, c.role, c.period, c.limit, c.usage,
                         float("nan"), c.unit)


def _relaxations(model: Model, names: Names, lp: LinearProgram, elastics: list[Elastic], slack: np.ndarray,
                 x: np.ndarray, kind: str) -> list[DiagnosisItem]:
    used = [k for k in range(len(elastics))
            if slack[k] > TOL * max(1.0, abs(_limit_of(lp, elastics[k])))]
    act = Activity(model, x, lp)
    detail: list[DiagnosisItem] = []
    detail_el: list[Elastic] = []
    rules: list[DiagnosisItem] = []
    for k in used:
        for it in _describe(model, names, elastics[k], float(slack[k]), kind, lp, act):
            if elastics[k].family in GOAL_FAMILIES:
                detail.append(it)
                detail_el.append(elastics[k])
            else:
                rules.append(it)
    out = _goal_headlines(model, names, detail, detail_el, act, kind) if detail else []
    # the per-period goal cells as detail rows (kind "cell") for the CSV
    for it in detail:
        out.append(DiagnosisItem("cell", it.rule, f"{it.name} in {it.area} at {it.period}: "
                                 f"{'short' if it.change < 0 else 'over'} by {fmt(abs(it.change))}",
                                 it.name, it.level, it.area, it.role, it.period, it.limit, it.value, it.change,
                                 it.unit))
    return out + rules


def _limit_of(lp: LinearProgram, el: Elastic) -> float:
    if el.kind == "col_up":
        return float(lp.col_upper[el.index])
    bound = lp.row_upper[el.index] if el.kind == "row_up" else lp.row_lower[el.index]
    return float(bound) if np.isfinite(bound) else 0.0


# --- soft goals missed in a plan ----------------------------------------------------


def missed_goals(result, names: Names | None = None) -> list[DiagnosisItem]:
    """Each soft goal the plan misses, and the rules at their limit that stop it."""
    model, sol = result.model, result.solution
    names = names or Names(model)
    inputs = model.inputs
    if sol.x is None or result.tables is None:
        return []
    act = Activity(model, sol.x)
    goals = result.tables.goals
    cells = inputs.targets.frame
    out: list[DiagnosisItem] = []
    missed = goals[(goals["goal"] == "target") & (goals["shortfall"] > SHOWN_SHORTFALL)]
    for (target, area), group in missed.groupby(["id", "area"], sort=False):
        first = group.iloc[0]
        match = cells[(cells["target"] == target) & (cells["area"] == area) & (cells["period"] == first["period"])]
        if match.empty:
            continue
        i = int(match.index[0])
        cell = cells.loc[i]
        ri, t = int(cell["ri"]), int(cell["t"])
        causes = causes_short(act, names, ri, inputs.targets.pcn_members[i], t)
        amount = float(first["shortfall"])
        worst = group.loc[group["shortfall"].idxmax()]
        role_name = names.role(ri)
        text = (f"{names.area(cell['level'], area)} misses {fmt(cell['required'])} "
                f"{plural(role_name, cell['required'])} by {first['period']} ({target}, priority "
                f"{int(cell['priority'])}): short by {fmt(amount)} {names.unit(cell['unit'], amount)}")
        if worst["shortfall"] > amount + TOL:
            text += f" (up to {fmt(worst['shortfall'])} in {worst['period']})"
        text += "; " + "; ".join(c.text for c in causes)
        text = text[:1].upper() + text[1:]
        out.append(DiagnosisItem("missed", "target", text, target, cell["level"], area, cell["role"],
                                 first["period"], float(cell["required"]), float(first["achieved"]), -amount,
                                 cell["unit"]))
        out += [_cause_item(c, target) for c in causes]
    demand = goals[(goals["goal"] == "demand") & (goals["shortfall"] > SHOWN_SHORTFALL)]
    d = inputs.demand
    useful = np.flatnonzero(inputs.capacity * inputs.participation > 0)
    for goal_id, group in demand.groupby("id", sort=False):
        total = float(group["shortfall"].sum())
        last = group.iloc[-1]
        match = d[(d["area"] == last["area"]) & (d["period"] == last["period"])]
        causes: list[Cause] = []
        if len(match):
            members, t = match.iloc[0]["members"], int(match.iloc[0]["t"])
            seen: set[str] = set()
            for ri in useful:
                for c in causes_short(act, names, int(ri), members, t):
                    if c.rule in ("supply", "no_supply", "budget", "transition_limit") and c.text not in seen:
                        seen.add(c.text)
                        causes.append(c)
        text = (f"{names.area(last['level'], last['area'])} leaves {fmt(total, 0)} appointments unmet over the "
                f"horizon (from {group.iloc[0]['period']}, priority {int(last['priority'])})")
        if causes:
            text += "; " + "; ".join(c.text for c in causes)
        text = text[:1].upper() + text[1:]
        out.append(DiagnosisItem("missed", "demand", text, str(goal_id), last["level"], last["area"], "",
                                 str(group.iloc[0]["period"]), float(group["required"].sum()),
                                 float(group["achieved"].sum()), -total, "appointments"))
        out += [_cause_item(c, str(goal_id)) for c in causes]
    return out


# --- the entry point ----------------------------------------------------------------


def diagnose(scenario: Scenario | None = None, solver: str = DEFAULT_SOLVER, *, integer: bool | None = None,
             time_limit: float | None = None, gap: float = DEFAULT_GAP, result=None,
             families: tuple[str, ...] = FAMILIES) -> Diagnosis:
    """Diagnose a scenario (or a :class:`~wfplan.pipeline.PlanResult`, reusing its model).

    Infeasible: the smallest relaxation (goals before rules), its causes, and
    the alternative relaxation of rules only.  Feasible: the plan's missed
    goals and the rules that stop them (the scenario is planned unless
    ``result`` holds a plan).
    """
    if result is not None:
        model = result.model
        scenario = result.scenario
    else:
        if scenario is None:
            raise ValueError("diagnose needs a scenario or a plan result")
        model = build_model(scenario, integer=integer)
    names = Names(model)
    notes = [f"model in {'whole people (MIP)' if model.inputs.integer else 'LP (fractional people)'}"]
    lp = model.builder.build()
    elastics = elastic_catalogue(model, lp, families)
    n = lp.num_cols
    base_w = np.array([el.weight for el in elastics], dtype=float)
    goal = np.array([el.family in GOAL_FAMILIES for el in elastics], dtype=bool)
    weights = np.where(goal, base_w, base_w * RULES_AFTER_GOALS)
    first = solve_elastic(elastic_program(lp, elastics, weights), solver, time_limit, gap, notes)
    solver_name = first.solver
    if not first.status.has_solution:
        diag = Diagnosis(scenario.name, False, solver=solver_name, notes=notes)
        diag.items.append(DiagnosisItem(
            "note", "unresolved", "even with every goal and limit relaxed no plan exists "
            f"({first.message}): the conflict is in rules that are not relaxed here (stock and flow, "
            "transitions, whole-people rounding)"))
        return diag
    slack = first.x[n:]
    if float(weights @ slack) <= TOL:
        diag = Diagnosis(scenario.name, True, solver=solver_name, notes=notes)
        if result is None or result.solution.x is None:
            from wfplan.pipeline import run_plan

            result = run_plan(scenario, solver=solver, time_limit=time_limit, gap=gap, integer=model.inputs.integer)
            fallback = get_solver(continuous_columns=True, integer_columns=True).name  # any program (HiGHS)
            if result.solution.x is None and result.solution.solver != fallback:
                notes.append(f"the plan could not be solved with {result.solution.solver} "
                             f"({result.solution.message}); planned with {fallback}")
                result = run_plan(scenario, solver=fallback, time_limit=time_limit, gap=gap,
                                  integer=model.inputs.integer)
        if result.solution.x is None:
            diag.items.append(DiagnosisItem("note", "unsolved", f"the rules can all be kept, but no plan was found "
                                            f"({result.solution.status.value}: {result.solution.message}); "
                                            "try a longer --time-limit"))
            return diag
        diag.items += missed_goals(result, names)
        return diag
    diag = Diagnosis(scenario.name, False, solver=solver_name, notes=notes)
    diag.items += _relaxations(model, names, lp, elastics, slack, first.x, "relax")
    # the alternative: keep every goal, relax rules only
    rule_idx = [k for k, el in enumerate(elastics) if el.family not in GOAL_FAMILIES]
    if rule_idx and goal.any():
        rule_el = [elastics[k] for k in rule_idx]
        second = solve_elastic(elastic_program(lp, rule_el, base_w[rule_idx]), solver, time_limit, gap, notes)
        if second.status.has_solution:
            alt = _relaxations(model, names, lp, rule_el, second.x[n:], second.x, "alternative")
            diag.items += [it for it in alt if it.kind == "alternative"]
        else:
            diag.items.append(DiagnosisItem("alternative", "none", "no relaxation of supply, entitlement or limits "
                                            "alone meets every goal: a goal itself must change"))
    return diag
