"""What binds and what it is worth: marginal values of the plan's limits.

For a linear program the dual value of a constraint is the change in the
optimum per unit change of its limit.  A wfplan plan is solved
lexicographically (budget overrun, then goals by priority, then cost, then ARRS
claims), so the question "what is one more starter worth" has an answer per
level.  :func:`~wfplan.explain.level_solves.level_solves` re-solves each level as an LP with HiGHS, the
earlier levels held at their optima, and keeps every level's row duals and
reduced costs.  A limit's marginal value is taken at the *first* level where
its dual is not zero: that is the level its change moves (earlier levels do
not move, locally); later levels adjust within what it leaves.  The last
level, ARRS claims, is taken as the plan takes it: on the plan's staffing
(:func:`~wfplan.explain.level_solves.claims_solve`), not on a staffing of the re-solve's own, so that a
claims-level value is the derivative of the plan the user sees.

Integer plans: ``mode="relaxation"`` (default) solves the LP version of the
model (fractional people); ``mode="fixed"`` fixes every whole-people
decision at the plan's values and re-solves the rest (claims, overstaffing and
the like), which says what binds *given these hires*.  Either way:

    These are local, marginal estimates: valid for small changes of one limit
    while the same rules stay binding.  A large change can move other rules
    to their limits; re-plan (``wfplan sensitivity``) to see that.

Signs: ``marginal_value`` is the *improvement* of the level (less shortfall,
less unmet demand, less cost, more ARRS claimed) per +1 unit of the limit
(one starter, GBP 1, one WTE...).  For a requirement (a hard target) raising
it makes things worse, so its value is negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solvers.base import LinearProgram
from wfplan.explain.common import BINDING_TOL, Names, fmt, money
from wfplan.explain.level_solves import DUAL_EPS, LevelSolve, fix_integers, fixed_from_plan, level_solves
from wfplan.explain.rules import rules
from wfplan.model import levels
from wfplan.model.formulation import CLAIMS_LEVEL, Model
from wfplan.model.settings import SolveSettings
from wfplan.pipeline import build_model
from wfplan.scenario import Scenario
from wfplan.solve import solve

CAVEAT = ("These are local, marginal estimates: valid for small changes of one limit while the same rules stay "
          "binding; re-plan (wfplan sensitivity) for larger changes.")
COLUMNS = ["rule", "name", "area", "role", "period", "limit", "usage", "marginal_value", "unit", "level", "text"]


@dataclass
class Marginals:
    """Binding rules and their marginal values (:meth:`frame` is ``binding.csv``)."""

    scenario: str
    mode: str
    levels: list[LevelSolve]
    rows: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)

    def text_lines(self, limit: int = 40, written_to: str | None = None, verbose: bool = False) -> list[str]:
        """The console lines: the ``limit`` most valuable rules; ``written_to`` names the file holding
        every rule (say where to get it when None); ``verbose`` adds each value's level and unit."""
        lines = [f"what binds in {self.scenario} and what it is worth ({self.mode}):", CAVEAT]
        valued = [r for r in self.rows if abs(float(r["marginal_value"])) > DUAL_EPS]
        idle = [r for r in self.rows if abs(float(r["marginal_value"])) <= DUAL_EPS]
        order = {lv.level: i for i, lv in enumerate(self.levels)}
        valued.sort(key=lambda r: (order.get(str(r["level"]), len(order)), -abs(float(r["marginal_value"]))))
        where = f"in {written_to}" if written_to else "(add --out DIR to write every rule to binding.csv)"
        for r in valued[:limit]:
            lines.append(f"  - {r['text']}" + (f" [level {r['level']}: {r['unit']}]" if verbose else ""))
        if len(valued) > limit:
            lines.append(f"  ... and {len(valued) - limit} more {where}")
        if idle:
            see = f"see {written_to}" if written_to else "add --out DIR to write them to binding.csv"
            lines.append(f"{len(idle)} more rules are at their limit with no marginal value (others bind too): {see}")
        lines += [f"note: {n}" for n in self.notes]
        return lines


# --- the level solves ---------------------------------------------------------------


# --- units --------------------------------------------------------------------------


def level_phrase(model: Model, level: str) -> tuple[str, str, str]:
    """(unit, verb when better, verb when worse) for a level's objective."""
    inputs = model.inputs
    if level == levels.BUDGET.name:
        return "GBP overrun", "cuts budget overruns by GBP", "raises budget overruns by GBP"
    if level == CLAIMS_LEVEL:
        return "GBP claimed", "raises ARRS claims by GBP", "cuts ARRS claims by GBP"
    if level == levels.COST.name:
        return "GBP cost", "cuts cost by GBP", "raises cost by GBP"
    if level == levels.REDUNDANCY.name:
        return "redundancies", "cuts redundancies by", "adds redundancies:"
    if level == levels.FAIRNESS.name:
        return ("shortfall per 10,000 patients", "cuts the worst PCN's shortfall per 10,000 weighted patients by",
                "raises the worst PCN's shortfall per 10,000 weighted patients by")
    if level == levels.FAIR_SHARE.name:
        return ("person-quarters above fair share", "cuts staff above twice a PCN's share of need by",
                "adds staff above twice a PCN's share of need:")
    k = int(level[1:])
    cells = inputs.targets.frame
    soft = cells[(cells["kind"] == "at_least") & ~cells["hard"].astype(bool) & (cells["priority"] == k)]
    dem = inputs.demand[inputs.demand["priority"] == k] if len(inputs.demand) else inputs.demand
    penalties = set(soft["penalty"]) | set(dem["penalty"] if len(dem) else [])
    weighted = penalties - {1.0}
    if len(soft) and not len(dem) and not weighted and soft["unit"].nunique() == 1:
        unit = "people short" if soft["unit"].iloc[0] == "headcount" else "FTE short"
        return unit, f"cuts priority-{k} target shortfall by", f"adds priority-{k} target shortfall:"
    if len(dem) and not len(soft) and not weighted:
        return "appointments unmet", "cuts unmet appointments by", "adds unmet appointments:"
    what = ("unmet appointments and staff short of priority-{k} targets" if len(soft) and len(dem)
            else "staff short of priority-{k} targets" if len(soft) else "unmet priority-{k} appointments").format(k=k)
    how = "added together, each weighted by its goal's penalty" if weighted else "added together"
    return (f"priority-{k} weighted shortfall", f"cuts {what} ({how}) by", f"adds to {what} ({how}):")


# --- rules and their duals ----------------------------------------------------------


# --- the entry points ---------------------------------------------------------------


def marginals(model: Model, lp: LinearProgram | None = None, mode: str = "relaxation",
              time_limit: float | None = None, include_idle: bool = False,
              plan: np.ndarray | None = None) -> Marginals:
    """Binding rules and marginal values of a built model (``lp`` its program, possibly fixed).

    ``plan`` (a solution vector of ``lp``): the plan whose staffing the claims
    level is taken on (see :func:`~wfplan.explain.level_solves.claims_solve`); usage and "at its limit" are
    then read from that plan too.
    """
    names = Names(model)
    lp = lp if lp is not None else model.builder.build()
    levels = level_solves(model, lp, time_limit=time_limit, plan=plan)
    lp = lp.relaxed()
    x = levels[-1].x
    phrases = {lv.level: level_phrase(model, lv.level) for lv in levels}
    result = Marginals(model.inputs.scenario.name, mode, levels)
    for rule in rules(model, lp, x, names):
        chosen, value = "", 0.0
        for lv in levels:
            d = float(lv.row_duals[rule.rows].sum()) if rule.rows else 0.0
            if rule.cols:
                d += float(sum(lv.col_duals[c] for c in rule.cols if lv.x[c] >= lp.col_upper[c] - BINDING_TOL))
            if abs(d) > DUAL_EPS * max(1.0, abs(lv.value)) and abs(d) > DUAL_EPS:
                chosen, value = lv.level, -d
                break
        if not (rule.binding or chosen or include_idle):
            continue
        unit, better, worse = phrases.get(chosen, ("", "", "")) if chosen else ("", "", "")
        shown = value * rule.scale
        if chosen:
            verb = better if shown >= 0 else worse
            amount = money(abs(shown))[4:] if "GBP" in verb else fmt(abs(shown), 4 if abs(shown) < 10 else 2)
            text = f"{rule.phrase} {verb} {amount}"
            text += rule.extra if chosen == CLAIMS_LEVEL else ""
        else:
            text = f"{rule.phrase}: at its limit ({fmt(rule.limit)}) but worth nothing at the margin (others bind too)"
        result.rows.append({
            "rule": rule.rule, "name": rule.name, "area": rule.area, "role": rule.role, "period": rule.period,
            "limit": rule.limit, "usage": rule.usage, "marginal_value": value,
            "unit": f"{unit} per {rule.per}" if chosen else "", "level": chosen, "text": text,
        })
    return result


def explain_scenario(scenario: Scenario, mode: str = "relaxation", x_plan: np.ndarray | None = None,
                     plan: pd.DataFrame | None = None, time_limit: float | None = None) -> Marginals:
    """Marginal values for a scenario.

    ``mode="relaxation"``: the LP version of the model (fractional people).
    ``mode="fixed"``: the whole-people model with its integer decisions fixed
    at a plan (``x_plan``, a solution vector of that model, or ``plan``, a
    written ``plan.csv``), re-solved as an LP.
    """
    if mode == "fixed":
        model = build_model(scenario, integer=True)
        if x_plan is not None:
            lp = fix_integers(model.builder.build(), x_plan)
        elif plan is not None:
            lp = fixed_from_plan(model, plan)
        else:
            raise ValueError("mode 'fixed' needs the plan (solution vector or plan.csv)")
        out = marginals(model, lp, mode="the plan's whole-people hires held fixed", time_limit=time_limit, plan=x_plan)
        out.notes.append("whole-people decisions (hires, leavers, staff) are fixed at the plan: values are for the "
                         "continuous quantities given these hires")
        return out
    model = build_model(scenario, integer=False)
    out = marginals(model, mode="planned in fractional people", time_limit=time_limit,
                    plan=_lp_plan(model, SolveSettings.for_scenario(scenario, time_limit=time_limit)))
    if scenario.manifest.model.integer:
        out.notes.append("the scenario plans whole people; these values are from its LP version (fractional "
                         "people): use --fixed for the values given the integer plan's hires")
    if model.builder.num_integer:
        out.notes.append("the ARRS baseline switch (claimable only above the 2019 baseline) is relaxed here")
    return out


def _lp_plan(model: Model, settings: SolveSettings) -> np.ndarray:
    """The plan of the LP model as ``wfplan plan`` solves it: the staffing its claims step works on."""
    solution = solve(model, settings)
    if solution.x is None:
        raise RuntimeError(f"the plan is {solution.status.value} ({solution.message})")
    return solution.x
