"""What binds and what it is worth: marginal values of the plan's limits.

For a linear program the dual value of a constraint is the change in the
optimum per unit change of its limit.  A wfplan plan is solved
lexicographically (budget overrun, then goals by priority, then cost, then ARRS
claims), so the question "what is one more starter worth" has an answer per
level.  :func:`level_solves` re-solves each level as an LP with HiGHS, the
earlier levels held at their optima, and keeps every level's row duals and
reduced costs.  A limit's marginal value is taken at the *first* level where
its dual is not zero: that is the level its change moves (earlier levels do
not move, locally); later levels adjust within what it leaves.  The last
level, ARRS claims, is taken as the plan takes it: on the plan's staffing
(:func:`claims_solve`), not on a staffing of the re-solve's own, so that a
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
import scipy.sparse as sp

from solvers import SolveOptions, SolveResult, Status, get_solver
from solvers.base import LinearProgram
from wfplan.explain.common import BINDING_TOL, Names, fmt, money
from wfplan.model import formulation
from wfplan.model import inputs as model_inputs
from wfplan.model.formulation import CLAIMS_LEVEL, Model
from wfplan.model.solve import ABSOLUTE_TOLERANCE, claims_columns, lp_method, solve, solve_claims
from wfplan.scenario import Scenario

DUAL_EPS = 1e-9
HOLD_TOLERANCE = 1e-7
"""Earlier levels are held within this (relative) of their optimum, and at least within the
planner's absolute slack (``ABSOLUTE_TOLERANCE`` per unit of the level's largest coefficient):
holding a level that is 0 within 1e-7 made the N&W cost level, priced year by year, stop
with HiGHS "Not Set" after 25 s; with the planner's slack it solves in 7 s."""
CAVEAT = ("These are local, marginal estimates: valid for small changes of one limit while the same rules stay "
          "binding; re-plan (wfplan sensitivity) for larger changes.")
COLUMNS = ["rule", "name", "area", "role", "period", "limit", "usage", "marginal_value", "unit", "level", "text"]


@dataclass
class LevelSolve:
    """One level's LP solve: its optimum, the plan, the duals of the model's rows and columns."""

    level: str
    value: float
    x: np.ndarray
    row_duals: np.ndarray
    col_duals: np.ndarray


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


def fix_integers(lp: LinearProgram, x: np.ndarray) -> LinearProgram:
    """The LP left when every integer column is fixed at (rounded) ``x``."""
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    fixed = np.round(x[lp.integrality])
    lower[lp.integrality] = fixed
    upper[lp.integrality] = fixed
    return LinearProgram(lp.c, lp.A, lp.row_lower, lp.row_upper, lower, upper, np.zeros_like(lp.integrality))


def fixed_from_plan(model: Model, plan: pd.DataFrame) -> LinearProgram:
    """The model's LP with the whole-people decisions fixed at a written plan's values (``plan.csv``).

    Staff, starters, leavers, releases and short-time are fixed from the file;
    the ARRS baseline switch follows from the staff; transition flows (not
    written per transition) are left free within the fixed staff.
    """
    b, inputs = model.builder, model.inputs
    lp = b.build()
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    P, R, T = inputs.shape
    p_index = {p: i for i, p in enumerate(inputs.pcns)}
    r_index = {r: i for i, r in enumerate(inputs.roles)}
    t_index = {inputs.horizon.label(p): i for i, p in enumerate(inputs.periods)}
    sel = plan[plan["pcn"].isin(p_index) & plan["role"].isin(r_index) & plan["period"].isin(t_index)]
    pi = sel["pcn"].map(p_index).to_numpy(int)
    ri = sel["role"].map(r_index).to_numpy(int)
    ti = sel["period"].map(t_index).to_numpy(int)
    values: dict[str, np.ndarray] = {}
    for block, column in (("stock", "staff_headcount"), ("starters", "starters"), ("leavers", "leavers"),
                          ("released", "released"), ("short_time", "short_time")):
        grid = np.zeros((P, R, T))
        if column in sel:
            grid[pi, ri, ti] = sel[column].to_numpy(float)
        values[block] = grid
        if block in b.variables:
            ids = b.variables[block].ids
            present = ids >= 0
            lower[ids[present]] = grid[present]
            upper[ids[present]] = grid[present]
    if "above_baseline" in b.variables:
        ids = b.variables["above_baseline"].ids
        present = ids >= 0
        fte = values["stock"] * inputs.participation[None, :, None]
        above = (fte >= inputs.baseline_fte[:, :, None] - 1e-9).astype(float)
        lower[ids[present]] = above[present]
        upper[ids[present]] = above[present]
    return LinearProgram(lp.c, lp.A, lp.row_lower, lp.row_upper, lower, upper, np.zeros_like(lp.integrality))


def level_solves(model: Model, lp: LinearProgram | None = None, time_limit: float | None = None,
                 plan: np.ndarray | None = None) -> list[LevelSolve]:
    """Each objective level as an LP with earlier levels held: optimum, plan and duals.

    ``lp`` defaults to the model's program; integrality is dropped for every
    level but the claims step.  The claims level is solved on ``plan``'s
    staffing (default: the level above's solution), see :func:`claims_solve`.
    """
    lp = lp if lp is not None else model.builder.build()
    relaxed = lp.relaxed()
    m = relaxed.num_rows
    backend = get_solver(lp_duals=True)  # the preferred backend with duals (HiGHS)
    current = relaxed
    out: list[LevelSolve] = []
    for level in model.level_order:
        if level == CLAIMS_LEVEL and (out or plan is not None):
            out.append(claims_solve(model, lp, plan if plan is not None else out[-1].x, time_limit))
            continue  # the last level: nothing is held after it
        vec = model.builder.objective_vector(level)
        result = backend.solve(current.with_objective(vec), SolveOptions(time_limit=time_limit, method=lp_method(vec)))
        _check_duals(level, result)
        value = float(vec @ result.x)
        out.append(LevelSolve(level, value, result.x, result.row_duals[:m], result.col_duals))
        tol = max(HOLD_TOLERANCE, HOLD_TOLERANCE * abs(value), ABSOLUTE_TOLERANCE * float(np.abs(vec).max(initial=0.0)))
        current = current.with_rows(sp.csr_matrix(vec.reshape(1, -1)), np.array([-np.inf]), np.array([value + tol]))
    return out


def claims_solve(model: Model, lp: LinearProgram, plan: np.ndarray, time_limit: float | None) -> LevelSolve:
    """The claims level solved as the plan solves it, on ``plan``'s staffing, with its duals.

    The plan's claims step (:func:`wfplan.model.solve.solve_claims`) fixes
    every column but claims, baseline switches and budget overruns at the plan's
    values and keeps only the model's rows that touch those columns.  Taking the
    duals of that very program makes a claims-level marginal the derivative of
    the plan the user sees: on another cost-optimal staffing (the optimum need
    not be unique) the ARRS caps that bind, and so their worth, can differ.
    Rows and columns the step leaves out have no claims-level value (zero).
    """
    vectors = {level: model.builder.objective_vector(level) for level in model.level_order}
    held = [vec for level, vec in vectors.items() if level != CLAIMS_LEVEL]
    free = claims_columns(model, lp.num_cols)
    m = model.builder.num_rows
    result = solve_claims(get_solver(lp_duals=True), lp, plan, free, vectors[CLAIMS_LEVEL], held, m,
                           SolveOptions(time_limit=time_limit))
    _check_duals(CLAIMS_LEVEL, result)
    kept = result.extra["model_rows"]
    row_duals = np.zeros(m)
    row_duals[kept] = result.row_duals[: len(kept)]
    col_duals = np.zeros(lp.num_cols)
    col_duals[free] = result.col_duals
    return LevelSolve(CLAIMS_LEVEL, float(vectors[CLAIMS_LEVEL] @ result.x), result.x, row_duals, col_duals)


def _check_duals(level: str, result: SolveResult) -> None:
    """Stop with the solver's status unless ``level`` was solved to optimality with duals."""
    if result.status != Status.OPTIMAL or result.row_duals is None or result.col_duals is None:
        raise RuntimeError(f"level {level}: {result.status.value} ({result.message}): no duals")


# --- units --------------------------------------------------------------------------


def level_phrase(model: Model, level: str) -> tuple[str, str, str]:
    """(unit, verb when better, verb when worse) for a level's objective."""
    inputs = model.inputs
    if level == "budget":
        return "GBP overrun", "cuts budget overruns by GBP", "raises budget overruns by GBP"
    if level == CLAIMS_LEVEL:
        return "GBP claimed", "raises ARRS claims by GBP", "cuts ARRS claims by GBP"
    if level == "final_cost":
        return "GBP cost", "cuts cost by GBP", "raises cost by GBP"
    if level == "final_redundancy":
        return "redundancies", "cuts redundancies by", "adds redundancies:"
    if level == "fairness":
        return ("shortfall per 10,000 patients", "cuts the worst PCN's shortfall per 10,000 weighted patients by",
                "raises the worst PCN's shortfall per 10,000 weighted patients by")
    if level == formulation.FAIR_SHARE_LEVEL:
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


@dataclass
class _Rule:
    rule: str
    name: str
    area: str
    role: str
    period: str
    limit: float
    usage: float
    per: str  # the limit's unit ("starter", "GBP", "WTE", "person")
    phrase: str  # "one more ... starter in ... in ..."
    scale: float  # value shown per this many units of the limit (GBP 10,000)
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    binding: bool = False
    extra: str = ""


def _rules(model: Model, lp: LinearProgram, x: np.ndarray, names: Names) -> list[_Rule]:
    b, inputs = model.builder, model.inputs
    activity = lp.A @ x
    out: list[_Rule] = []

    def at_upper(row: int) -> bool:
        return bool(activity[row] >= lp.row_upper[row] - max(BINDING_TOL, 1e-6 * abs(lp.row_upper[row])))

    sup = inputs.supply
    if len(sup) and "supply" in b.constraints:
        ids = b.constraints["supply"].ids
        for (ri, level, area), group in sup.groupby(["ri", "level", "area"], sort=False):
            role = names.role(int(ri))
            where = names.area(level, area)
            for i, row in group.iterrows():
                out.append(_Rule("supply", f"supply {row['role']} {area} {row['period']}", area, row["role"],
                                 row["period"], float(row["max_starters"]), float(activity[ids[i]]), "starter",
                                 f"one more {role} starter in {where} in {row['period']}", 1.0,
                                 rows=[int(ids[i])], binding=at_upper(int(ids[i]))))
            if len(group) > 1:
                rows = [int(ids[i]) for i in group.index]
                out.append(_Rule("supply_every_period", f"supply {inputs.roles[int(ri)]} {area}", area,
                                 inputs.roles[int(ri)], "every period", float(group["max_starters"].sum()),
                                 float(activity[rows].sum()), "starter a period",
                                 f"one more {role} starter a {'quarter' if inputs.horizon.step == 'quarter' else 'year'}"
                                 f" in {where} (every period with supply)", 1.0, rows=rows,
                                 binding=any(at_upper(r) for r in rows)))
    ent = inputs.entitlement
    if len(ent) and "entitlement" in b.constraints:
        ids = b.constraints["entitlement"].ids
        claim = b.value("claim_wte", x) if "claim_wte" in b.variables else None
        for i, row in ent.iterrows():
            pi = int(row["pi"])
            extra = _buys(model, names, claim, pi, row["year"]) if claim is not None else ""
            out.append(_Rule("entitlement", f"entitlement {inputs.pcns[pi]} {row['year']}", inputs.pcns[pi], "",
                             row["year"], float(row["amount"]), float(activity[ids[i]]), "GBP",
                             f"+GBP 10,000 ARRS entitlement for {names.pcn(pi)} in {row['year']}", 1e4,
                             rows=[int(ids[i])], binding=at_upper(int(ids[i])), extra=extra))
        for year, group in ent.groupby("year", sort=False):
            rows = [int(ids[i]) for i in group.index]
            if len(rows) > 1:
                out.append(_Rule("entitlement_every_pcn", f"entitlement {year}", "every PCN", "", year,
                                 float(group["amount"].sum()), float(activity[rows].sum()), "GBP per PCN",
                                 f"+GBP 10,000 ARRS entitlement for every PCN in {year}", 1e4, rows=rows,
                                 binding=any(at_upper(r) for r in rows)))
    if "budget" in b.constraints:
        limited = inputs.budgets[inputs.budgets["amount"].notna()].reset_index(drop=True)
        ids = b.constraints["budget"].ids
        overrun = b.value("budget_overrun", x)
        for i, row in limited.iterrows():
            spend = float(activity[ids[i]] + overrun[i])
            out.append(_Rule("budget", f"budget {row['budget']} {row['area']} {row['year']}", row["area"], "",
                             row["year"], float(row["amount"]), spend, "GBP",
                             f"+GBP 10,000 on budget {row['budget']} for {names.area(row['level'], row['area'])} "
                             f"in {row['year']}", 1e4, rows=[int(ids[i])],
                             binding=spend >= row["amount"] - max(BINDING_TOL, 1e-6 * row["amount"])))
    out += _column_rules(model, lp, x, names)
    cells = inputs.targets.frame
    if "targets" in b.constraints and len(cells):
        ids = b.constraints["targets"].ids
        for i, cell in cells.iterrows():
            if cell["kind"] == "at_least" and not cell["hard"]:
                continue
            what = "exactly " if cell["kind"] == "exact" else ""
            row = int(ids[i])
            out.append(_Rule("hard_target" if cell["kind"] == "at_least" else "exact_requirement", cell["target"],
                             cell["area"], cell["role"], cell["period"], float(cell["required"]),
                             float(activity[row]), "person" if cell["unit"] == "headcount" else "FTE",
                             f"requiring {what}one more {names.role(int(cell['ri']))} ({cell['target']}) in "
                             f"{names.area(cell['level'], cell['area'])} in {cell['period']}", 1.0, rows=[row],
                             binding=True))
    if "overstaffing_total" in b.constraints:
        ids = [int(row) for row in b.constraints["overstaffing_total"].ids]
        for t, row in enumerate(ids):
            out.append(_Rule("overstaffing_total", "overstaffing_limit_total", "", "", names.period(t),
                             float(lp.row_upper[row]), float(activity[row]), "person",
                             f"allowing one more overstaffed person in total in {names.period(t)}", 1.0,
                             rows=[row], binding=at_upper(row)))
        if len(ids) > 1:
            out.append(_Rule("overstaffing_total_every_period", "overstaffing_limit_total", "", "", "every period",
                             float(lp.row_upper[ids[0]]), float(activity[ids].max()), "person a period",
                             "allowing one more overstaffed person in total in every period (the manifest's "
                             "overstaffing_limit_total)", 1.0, rows=ids, binding=any(at_upper(r) for r in ids)))
    return out


def _column_rules(model: Model, lp: LinearProgram, x: np.ndarray, names: Names) -> list[_Rule]:
    """Limits held as column upper bounds: ARRS number caps, transition places, overstaffing, short-time."""
    b, inputs = model.builder, model.inputs
    out: list[_Rule] = []

    def at_cap(cols: list[int]) -> bool:
        return any(x[c] >= lp.col_upper[c] - BINDING_TOL for c in cols)

    if "claim_wte" in b.variables:
        ids = b.variables["claim_wte"].ids
        years = inputs.period_years
        for r in range(len(inputs.roles)):
            for year in dict.fromkeys(years):
                ts = np.flatnonzero(years == year)
                every: list[int] = []
                for pi in range(len(inputs.pcns)):
                    cols = [int(ids[pi, r, t]) for t in ts if ids[pi, r, t] >= 0 and np.isfinite(lp.col_upper[ids[pi, r, t]])]
                    if not cols:
                        continue
                    every += cols
                    out.append(_Rule("number_cap", f"ARRS cap {inputs.roles[r]} {inputs.pcns[pi]} {year}",
                                     inputs.pcns[pi], inputs.roles[r], year, float(lp.col_upper[cols[0]]),
                                     float(max(x[c] for c in cols)), "WTE",
                                     f"+1 WTE on the ARRS cap for {names.role(r)} at {names.pcn(pi)} in {year}", 1.0,
                                     cols=cols, binding=at_cap(cols)))
                if every and len(inputs.pcns) > 1:
                    out.append(_Rule("number_cap_every_pcn", f"ARRS cap {inputs.roles[r]} {year}", "every PCN",
                                     inputs.roles[r], year, float(lp.col_upper[every[0]]),
                                     float(max(x[c] for c in every)), "WTE per PCN",
                                     f"+1 WTE on the ARRS cap for {names.role(r)} in {year} (every PCN)", 1.0,
                                     cols=every, binding=at_cap(every)))
    if "started" in b.variables:
        ids = b.variables["started"].ids
        tr = inputs.transitions
        for k in range(len(tr)):
            every: list[int] = []
            for t in range(len(inputs.periods)):
                cols = [int(c) for c in ids[:, k, t] if c >= 0 and np.isfinite(lp.col_upper[c])]
                if not cols:
                    continue
                every += cols
                out.append(_Rule("transition_limit", str(tr.loc[k, "transition"]), "", str(tr.loc[k, "to_role"]),
                                 names.period(t), float(lp.col_upper[cols[0]]), float(sum(x[c] for c in cols)),
                                 "place", f"one more place on {tr.loc[k, 'transition']} in {names.period(t)}", 1.0,
                                 cols=cols, binding=at_cap(cols)))
            if every and len(inputs.periods) > 1:
                out.append(_Rule("transition_limit_every_period", str(tr.loc[k, "transition"]), "",
                                 str(tr.loc[k, "to_role"]), "every period", float(lp.col_upper[every[0]]),
                                 float(max(x[c] for c in every)), "place a period",
                                 f"one more place a period on {tr.loc[k, 'transition']}", 1.0, cols=every,
                                 binding=at_cap(every)))
    for block, rule, what in (("overstaffed", "overstaffing_limit", "overstaffing"),
                              ("short_time", "short_time_limit", "short-time working")):
        if block not in b.variables:
            continue
        ids = b.variables[block].ids
        for r in range(len(inputs.roles)):
            every: list[int] = []
            for t in range(len(inputs.periods)):
                cols = [int(c) for c in ids[:, r, t] if c >= 0 and np.isfinite(lp.col_upper[c])]
                if not cols:
                    continue
                every += cols
                out.append(_Rule(rule, f"{rule} {inputs.roles[r]}", "", inputs.roles[r], names.period(t),
                                 float(lp.col_upper[cols[0]]), float(sum(x[c] for c in cols)), "person",
                                 f"one more person of {what} allowed for {names.role(r)} in {names.period(t)}", 1.0,
                                 cols=cols, binding=at_cap(cols)))
            if every and len(inputs.periods) > 1:
                out.append(_Rule(f"{rule}_every_period", f"{rule} {inputs.roles[r]}", "", inputs.roles[r],
                                 "every period", float(lp.col_upper[every[0]]), float(max(x[c] for c in every)),
                                 "person a period", f"one more person of {what} allowed for {names.role(r)} "
                                 "in every period", 1.0, cols=every, binding=at_cap(every)))
    return out


def _buys(model: Model, names: Names, claim: np.ndarray, pi: int, year: str) -> str:
    """What GBP 10,000 more entitlement pays for: FTE-years of the role with most unclaimed FTE."""
    inputs = model.inputs
    ts = [t for t in range(len(inputs.periods)) if inputs.year_of(t) == year]
    best, best_gap = None, 0.0
    for r in range(len(inputs.roles)):
        rate = inputs.arrs_rate[pi, r, ts]
        if not (rate > 0).any():
            continue
        gap = float(np.sum(np.minimum(inputs.arrs_wte_cap[pi, r, ts], 1e9) - claim[pi, r, ts]))
        if gap > best_gap:
            best, best_gap = r, gap
    if best is None:
        return ""
    annual = float(inputs.arrs_rate[pi, best, ts].max() * 4)
    return f"; GBP 10,000 reimburses {10_000 / annual:.2f} FTE-years of {names.role(best)} at the claim rate"


# --- the entry points ---------------------------------------------------------------


def marginals(model: Model, lp: LinearProgram | None = None, mode: str = "relaxation",
              time_limit: float | None = None, include_idle: bool = False,
              plan: np.ndarray | None = None) -> Marginals:
    """Binding rules and marginal values of a built model (``lp`` its program, possibly fixed).

    ``plan`` (a solution vector of ``lp``): the plan whose staffing the claims
    level is taken on (see :func:`claims_solve`); usage and "at its limit" are
    then read from that plan too.
    """
    names = Names(model)
    lp = lp if lp is not None else model.builder.build()
    levels = level_solves(model, lp, time_limit=time_limit, plan=plan)
    lp = lp.relaxed()
    x = levels[-1].x
    phrases = {lv.level: level_phrase(model, lv.level) for lv in levels}
    result = Marginals(model.inputs.scenario.name, mode, levels)
    for rule in _rules(model, lp, x, names):
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
        model = formulation.build(model_inputs.prepare(scenario, integer=True))
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
    model = formulation.build(model_inputs.prepare(scenario, integer=False))
    out = marginals(model, mode="planned in fractional people", time_limit=time_limit,
                    plan=_lp_plan(model, time_limit))
    if scenario.manifest.model.integer:
        out.notes.append("the scenario plans whole people; these values are from its LP version (fractional "
                         "people): use --fixed for the values given the integer plan's hires")
    if model.builder.build().integrality.any():
        out.notes.append("the ARRS baseline switch (claimable only above the 2019 baseline) is relaxed here")
    return out


def _lp_plan(model: Model, time_limit: float | None) -> np.ndarray:
    """The plan of the LP model as ``wfplan plan`` solves it: the staffing its claims step works on."""
    solution = solve(model, time_limit=time_limit)
    if solution.x is None:
        raise RuntimeError(f"the plan is {solution.status.value} ({solution.message})")
    return solution.x
