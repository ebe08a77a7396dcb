"""The limits of a plan a user can change (supply, entitlement, budgets, caps, hard targets, ...), as rules:
each with its rows or columns in the model, its limit and usage, and a phrase for one more unit of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers.base import LinearProgram
from wfplan.explain.common import BINDING_TOL, Names
from wfplan.model.formulation import Model


@dataclass
class Rule:
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


@dataclass(frozen=True)
class _Context:
    """A solved program and what every family of rules reads from it."""

    model: Model
    lp: LinearProgram
    x: np.ndarray
    names: Names
    activity: np.ndarray

    def at_upper(self, row: int) -> bool:
        """Whether a row is at its upper limit (within the binding tolerance)."""
        upper = self.lp.row_upper[row]
        return bool(self.activity[row] >= upper - max(BINDING_TOL, 1e-6 * abs(upper)))


def rules(model: Model, lp: LinearProgram, x: np.ndarray, names: Names) -> list[Rule]:
    """Every limit of the plan a user can change, with its rows (or columns), usage and limit."""
    ctx = _Context(model, lp, x, names, lp.A @ x)
    return [*_supply_rules(ctx), *_entitlement_rules(ctx), *_budget_rules(ctx), *_column_rules(model, lp, x, names),
            *_target_rules(ctx), *_overstaffing_rules(ctx)]


def _supply_rules(ctx: _Context) -> list[Rule]:
    """Supply limits: each row, and each area and role in every period."""
    model, names, activity = ctx.model, ctx.names, ctx.activity
    b, inputs, at_upper = model.builder, model.inputs, ctx.at_upper
    out: list[Rule] = []
    sup = inputs.supply
    if len(sup) and "supply" in b.constraints:
        ids = b.constraints["supply"].ids
        for (ri, level, area), group in sup.groupby(["ri", "level", "area"], sort=False):
            role = names.role(int(ri))
            where = names.area(level, area)
            for i, row in group.iterrows():
                out.append(Rule("supply", f"supply {row['role']} {area} {row['period']}", area, row["role"],
                                 row["period"], float(row["max_starters"]), float(activity[ids[i]]), "starter",
                                 f"one more {role} starter in {where} in {row['period']}", 1.0,
                                 rows=[int(ids[i])], binding=at_upper(int(ids[i]))))
            if len(group) > 1:
                rows = [int(ids[i]) for i in group.index]
                out.append(Rule("supply_every_period", f"supply {inputs.roles[int(ri)]} {area}", area,
                                 inputs.roles[int(ri)], "every period", float(group["max_starters"].sum()),
                                 float(activity[rows].sum()), "starter a period",
                                 f"one more {role} starter a {'quarter' if inputs.horizon.step == 'quarter' else 'year'}"
                                 f" in {where} (every period with supply)", 1.0, rows=rows,
                                 binding=any(at_upper(r) for r in rows)))
    return out


def _entitlement_rules(ctx: _Context) -> list[Rule]:
    """ARRS entitlement: each PCN's year, and every PCN's in a year."""
    model, x, names, activity = ctx.model, ctx.x, ctx.names, ctx.activity
    b, inputs, at_upper = model.builder, model.inputs, ctx.at_upper
    out: list[Rule] = []
    ent = inputs.entitlement
    if len(ent) and "entitlement" in b.constraints:
        ids = b.constraints["entitlement"].ids
        claim = b.value("claim_wte", x) if "claim_wte" in b.variables else None
        for i, row in ent.iterrows():
            pi = int(row["pi"])
            extra = _buys(model, names, claim, pi, row["year"]) if claim is not None else ""
            out.append(Rule("entitlement", f"entitlement {inputs.pcns[pi]} {row['year']}", inputs.pcns[pi], "",
                             row["year"], float(row["amount"]), float(activity[ids[i]]), "GBP",
                             f"+GBP 10,000 ARRS entitlement for {names.pcn(pi)} in {row['year']}", 1e4,
                             rows=[int(ids[i])], binding=at_upper(int(ids[i])), extra=extra))
        for year, group in ent.groupby("year", sort=False):
            rows = [int(ids[i]) for i in group.index]
            if len(rows) > 1:
                out.append(Rule("entitlement_every_pcn", f"entitlement {year}", "every PCN", "", year,
                                 float(group["amount"].sum()), float(activity[rows].sum()), "GBP per PCN",
                                 f"+GBP 10,000 ARRS entitlement for every PCN in {year}", 1e4, rows=rows,
                                 binding=any(at_upper(r) for r in rows)))
    return out


def _budget_rules(ctx: _Context) -> list[Rule]:
    """Limited budgets: spend (net of claims, with any overrun) against the amount."""
    model, x, names, activity = ctx.model, ctx.x, ctx.names, ctx.activity
    b, inputs = model.builder, model.inputs
    out: list[Rule] = []
    if "budget" in b.constraints:
        limited = inputs.budgets[inputs.budgets["amount"].notna()].reset_index(drop=True)
        ids = b.constraints["budget"].ids
        overrun = b.value("budget_overrun", x)
        for i, row in limited.iterrows():
            spend = float(activity[ids[i]] + overrun[i])
            out.append(Rule("budget", f"budget {row['budget']} {row['area']} {row['year']}", row["area"], "",
                             row["year"], float(row["amount"]), spend, "GBP",
                             f"+GBP 10,000 on budget {row['budget']} for {names.area(row['level'], row['area'])} "
                             f"in {row['year']}", 1e4, rows=[int(ids[i])],
                             binding=spend >= row["amount"] - max(BINDING_TOL, 1e-6 * row["amount"])))
    return out


def _target_rules(ctx: _Context) -> list[Rule]:
    """Hard targets and exact requirements (soft targets are goals, not limits)."""
    model, names, activity = ctx.model, ctx.names, ctx.activity
    b, inputs = model.builder, model.inputs
    out: list[Rule] = []
    cells = inputs.targets.frame
    if "targets" in b.constraints and len(cells):
        ids = b.constraints["targets"].ids
        for i, cell in cells.iterrows():
            if cell["kind"] == "at_least" and not cell["hard"]:
                continue
            what = "exactly " if cell["kind"] == "exact" else ""
            row = int(ids[i])
            out.append(Rule("hard_target" if cell["kind"] == "at_least" else "exact_requirement", cell["target"],
                             cell["area"], cell["role"], cell["period"], float(cell["required"]),
                             float(activity[row]), "person" if cell["unit"] == "headcount" else "FTE",
                             f"requiring {what}one more {names.role(int(cell['ri']))} ({cell['target']}) in "
                             f"{names.area(cell['level'], cell['area'])} in {cell['period']}", 1.0, rows=[row],
                             binding=True))
    return out


def _overstaffing_rules(ctx: _Context) -> list[Rule]:
    """The total overstaffing limit, per period and in every period."""
    model, lp, names, activity = ctx.model, ctx.lp, ctx.names, ctx.activity
    b, at_upper = model.builder, ctx.at_upper
    out: list[Rule] = []
    if "overstaffing_total" in b.constraints:
        ids = [int(row) for row in b.constraints["overstaffing_total"].ids]
        for t, row in enumerate(ids):
            out.append(Rule("overstaffing_total", "overstaffing_limit_total", "", "", names.period(t),
                             float(lp.row_upper[row]), float(activity[row]), "person",
                             f"allowing one more overstaffed person in total in {names.period(t)}", 1.0,
                             rows=[row], binding=at_upper(row)))
        if len(ids) > 1:
            out.append(Rule("overstaffing_total_every_period", "overstaffing_limit_total", "", "", "every period",
                             float(lp.row_upper[ids[0]]), float(activity[ids].max()), "person a period",
                             "allowing one more overstaffed person in total in every period (the manifest's "
                             "overstaffing_limit_total)", 1.0, rows=ids, binding=any(at_upper(r) for r in ids)))
    return out


def _column_rules(model: Model, lp: LinearProgram, x: np.ndarray, names: Names) -> list[Rule]:
    """Limits held as column upper bounds: ARRS number caps, transition places, overstaffing, short-time."""
    b, inputs = model.builder, model.inputs
    out: list[Rule] = []

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
                    out.append(Rule("number_cap", f"ARRS cap {inputs.roles[r]} {inputs.pcns[pi]} {year}",
                                     inputs.pcns[pi], inputs.roles[r], year, float(lp.col_upper[cols[0]]),
                                     float(max(x[c] for c in cols)), "WTE",
                                     f"+1 WTE on the ARRS cap for {names.role(r)} at {names.pcn(pi)} in {year}", 1.0,
                                     cols=cols, binding=at_cap(cols)))
                if every and len(inputs.pcns) > 1:
                    out.append(Rule("number_cap_every_pcn", f"ARRS cap {inputs.roles[r]} {year}", "every PCN",
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
                out.append(Rule("transition_limit", str(tr.loc[k, "transition"]), "", str(tr.loc[k, "to_role"]),
                                 names.period(t), float(lp.col_upper[cols[0]]), float(sum(x[c] for c in cols)),
                                 "place", f"one more place on {tr.loc[k, 'transition']} in {names.period(t)}", 1.0,
                                 cols=cols, binding=at_cap(cols)))
            if every and len(inputs.periods) > 1:
                out.append(Rule("transition_limit_every_period", str(tr.loc[k, "transition"]), "",
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
                out.append(Rule(rule, f"{rule} {inputs.roles[r]}", "", inputs.roles[r], names.period(t),
                                 float(lp.col_upper[cols[0]]), float(sum(x[c] for c in cols)), "person",
                                 f"one more person of {what} allowed for {names.role(r)} in {names.period(t)}", 1.0,
                                 cols=cols, binding=at_cap(cols)))
            if every and len(inputs.periods) > 1:
                out.append(Rule(f"{rule}_every_period", f"{rule} {inputs.roles[r]}", "", inputs.roles[r],
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
