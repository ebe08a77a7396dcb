"""Independent reference model: H.P. Williams' "Manpower planning" problem.

Problem 12.5 in *Model Building in Mathematical Programming* (4th/5th ed.;
"Problem 5" in the 3rd ed.).  This module is deliberately standalone: it
builds the LP/MIP directly with ``scipy.optimize.linprog`` (HiGHS) and does NOT
import anything from ``wfplan``.  Use it as an oracle when checking the wfplan
engine against the published optimum.

Sources (every number below was cross-checked in at least two of these):

* [GRB] Gurobi modeling-examples, repository ``Gurobi/modeling-examples``,
  path ``manpower_planning/manpower_planning.ipynb`` (data cell, ``Balance``
  constraint, log "Optimal objective 8.417968750e+02", and the text
  "By minimizing the cost instead ... $498,677.29 over the three-year period
  and result in 1,423.7 layoffs").  Also https://www.gurobi.com/resources/manpower-planning/
* [SAS] SAS/OR "Mathematical Programming Examples", Example 5 "Manpower
  Planning: How to Recruit, Retrain, Make Redundant, or Overman":
  repository ``sassoftware/optimization-examples``, path ``mpex/mpex05.sas``
  (data + ``Flow_balance_con`` + ``Demand_con``); constraint statement at
  http://support.sas.com/documentation/cdl/en/ormpex/67518/HTML/default/ormpex_ex5_sect012.htm ;
  problem text (retraining / downgrading paragraph) at
  http://support.sas.com/documentation/cdl/en/ormpex/68157/HTML/default/ormpex_ex5_sect003.htm
* [OPL] IBM CPLEX OPL example "Manpower" ("Problem 5 from Model Building in
  Mathematical Programming, 3rd ed."), repository
  ``cswaroop-opensource/opl``, paths ``models/Manpower/manpower.mod`` and
  ``models/Manpower/manpower.dat`` (``Retain`` matrix: .90/.95/.95 on the
  diagonal, .95 for retraining upwards, .50 for downgrading;
  ``RetainRecruit`` = .75/.80/.90).
* [TXT] Williams' problem statement as reproduced in repository
  ``romz-pl/AMPL-models``, path ``006-manpower-planning/in/0-prompt.md``
  ("all workers in the current labour force have been employed for more
  than one year"; "An employee on short-time working meets the production
  requirements of half a full-time employee").

Standard formulation (identical in [GRB], [SAS], [OPL]); for grade g, year t:

    n[g,t] = (1 - w_old[g]) * n[g,t-1]                 (experienced wastage)
           + (1 - w_new[g]) * recruit[g,t]             (first-year wastage)
           + (1 - w_old[g]) * sum_{i->g retrain} retrain[i,g,t]
           + (1 - 0.5)      * sum_{i->g downgrade} downgrade[i,g,t]
           - sum_{g->j retrain} retrain[g,j,t]
           - sum_{g->j downgrade} downgrade[g,j,t]
           - redundant[g,t]

    n[g,t] - overman[g,t] - 0.5 * short[g,t] = requirement[g,t]

Notes on the conventions this encodes:

* recruits are hit by the *first-year* (<1 year service) wastage rate;
* retrained workers arrive with the *experienced* (>1 year) wastage rate of
  the DESTINATION grade (0.95 for both semi-skilled and skilled, so the
  source/destination choice is numerically irrelevant here);
* downgraded workers arrive with coefficient 0.5 only: the 50 % who leave
  on downgrading, and NO natural wastage on top, although the problem text
  says this loss is "additional to the natural wastage" [SAS sect003];
* outflows (retraining out, downgrading out, redundancy) carry coefficient 1
  while the previous stock carries (1 - w_old): i.e. they are drawn from the
  stock that survives natural wastage (equivalently they are treated as
  happening *after* wastage, or as exempt from it).  If redundancy happened
  first, the term would be (1 - w_old) * (n[g,t-1] - redundant[g,t]).
* only unskilled->semi-skilled (<= 200/yr, GBP 400) and semi->skilled
  (<= 0.25 * n[skilled,t], same-year stock, GBP 500) retraining exist;
  downgrading semi->un, skilled->semi and skilled->un is free.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog

# ---------------------------------------------------------------- data
GRADES = ("unskilled", "semiskilled", "skilled")
YEARS = (1, 2, 3)

CURRENT_STRENGTH = {"unskilled": 2000, "semiskilled": 1500, "skilled": 1000}
REQUIREMENT = {  # [GRB] demand, [SAS] demand_data
    ("unskilled", 1): 1000, ("semiskilled", 1): 1400, ("skilled", 1): 1000,
    ("unskilled", 2): 500, ("semiskilled", 2): 2000, ("skilled", 2): 1500,
    ("unskilled", 3): 0, ("semiskilled", 3): 2500, ("skilled", 3): 2000,
}
WASTE_NEW = {"unskilled": 0.25, "semiskilled": 0.20, "skilled": 0.10}  # < 1 yr service
WASTE_OLD = {"unskilled": 0.10, "semiskilled": 0.05, "skilled": 0.05}  # > 1 yr service
RECRUIT_UB = {"unskilled": 500, "semiskilled": 800, "skilled": 500}  # per year
REDUNDANCY_COST = {"unskilled": 200, "semiskilled": 500, "skilled": 500}
OVERMAN_COST = {"unskilled": 1500, "semiskilled": 2000, "skilled": 3000}  # per yr
SHORT_COST = {"unskilled": 500, "semiskilled": 400, "skilled": 400}  # per yr
SHORT_UB = 50  # per grade per year
SHORT_FRAC = 0.5  # a short-time worker counts as half a worker
OVERMAN_UB = 150  # total over the company per year
RETRAIN = {  # (from, to): (per-year absolute cap or None, cost)
    ("unskilled", "semiskilled"): (200, 400),
    ("semiskilled", "skilled"): (None, 500),
}
SEMI_TO_SKILLED_FRAC = 0.25  # retrain semi->skilled <= 0.25 * skilled stock (same year)
DOWNGRADES = (("semiskilled", "unskilled"), ("skilled", "semiskilled"), ("skilled", "unskilled"))
DOWNGRADE_LEAVE_FRAC = 0.5

# published optima
PUBLISHED_MIN_REDUNDANCY = 841.796875  # [GRB] log "8.417968750e+02", text "841.80"
PUBLISHED_MIN_COST = 498677.29  # [GRB] text "$498,677.29"; redundancy there 1,423.7


# ---------------------------------------------------------------- model
def _build():
    idx: dict[tuple, int] = {}

    def add(key):
        idx[key] = len(idx)

    for g, t in itertools.product(GRADES, YEARS):
        for kind in ("workforce", "recruit", "redundancy", "overmanning", "short_time"):
            add((kind, g, t))
    for (a, b), t in itertools.product(RETRAIN, YEARS):
        add(("retrain", a, b, t))
    for (a, b), t in itertools.product(DOWNGRADES, YEARS):
        add(("downgrade", a, b, t))
    return idx


def solve_williams(objective: str = "redundancy", integer: bool = False,
                   strict_integer: bool = False,
                   redundancy_cap: float | None = None,
                   cost_cap: float | None = None) -> dict:
    """Solve Williams' manpower planning model.

    objective: "redundancy" (total redundancies) or "cost" (GBP).
    integer: recruit, retrain, downgrade, redundancy and short-time integer
        (workforce and overmanning stay continuous: they are expected values
        after fractional wastage).
    strict_integer: additionally force workforce and overmanning integer.
    redundancy_cap / cost_cap: optional upper bounds (for lexicographic runs).
    """
    if objective not in ("redundancy", "cost"):
        raise ValueError(objective)
    idx = _build()
    nv = len(idx)
    c_red = np.zeros(nv)
    c_cost = np.zeros(nv)
    lb = np.zeros(nv)
    ub = np.full(nv, np.inf)
    integrality = np.zeros(nv, dtype=int)

    for key, j in idx.items():
        kind = key[0]
        if kind == "recruit":
            ub[j] = RECRUIT_UB[key[1]]
        elif kind == "short_time":
            ub[j] = SHORT_UB
            c_cost[j] = SHORT_COST[key[1]]
        elif kind == "redundancy":
            c_red[j] = 1.0
            c_cost[j] = REDUNDANCY_COST[key[1]]
        elif kind == "overmanning":
            c_cost[j] = OVERMAN_COST[key[1]]
        elif kind == "retrain":
            cap, cost = RETRAIN[(key[1], key[2])]
            if cap is not None:
                ub[j] = cap
            c_cost[j] = cost
        if integer or strict_integer:
            if kind in ("recruit", "redundancy", "short_time", "retrain", "downgrade"):
                integrality[j] = 1
            if strict_integer and kind in ("workforce", "overmanning"):
                integrality[j] = 1

    A_eq, b_eq, A_ub, b_ub = [], [], [], []
    for g, t in itertools.product(GRADES, YEARS):
        # balance: n[g,t] - (1-w_old) n[g,t-1] - (1-w_new) rec - ... + out + red = const
        row = np.zeros(nv)
        row[idx[("workforce", g, t)]] = 1.0
        if t == 1:
            rhs = (1 - WASTE_OLD[g]) * CURRENT_STRENGTH[g]
        else:
            row[idx[("workforce", g, t - 1)]] -= 1 - WASTE_OLD[g]
            rhs = 0.0
        row[idx[("recruit", g, t)]] -= 1 - WASTE_NEW[g]
        for (a, b) in RETRAIN:
            if b == g:
                row[idx[("retrain", a, b, t)]] -= 1 - WASTE_OLD[g]
            if a == g:
                row[idx[("retrain", a, b, t)]] += 1.0
        for (a, b) in DOWNGRADES:
            if b == g:
                row[idx[("downgrade", a, b, t)]] -= 1 - DOWNGRADE_LEAVE_FRAC
            if a == g:
                row[idx[("downgrade", a, b, t)]] += 1.0
        row[idx[("redundancy", g, t)]] += 1.0
        A_eq.append(row)
        b_eq.append(rhs)
        # requirement: n - overman - 0.5 short = req
        row = np.zeros(nv)
        row[idx[("workforce", g, t)]] = 1.0
        row[idx[("overmanning", g, t)]] = -1.0
        row[idx[("short_time", g, t)]] = -SHORT_FRAC
        A_eq.append(row)
        b_eq.append(REQUIREMENT[(g, t)])
    for t in YEARS:
        row = np.zeros(nv)
        for g in GRADES:
            row[idx[("overmanning", g, t)]] = 1.0
        A_ub.append(row)
        b_ub.append(OVERMAN_UB)
        row = np.zeros(nv)
        row[idx[("retrain", "semiskilled", "skilled", t)]] = 1.0
        row[idx[("workforce", "skilled", t)]] = -SEMI_TO_SKILLED_FRAC
        A_ub.append(row)
        b_ub.append(0.0)
    if redundancy_cap is not None:
        A_ub.append(c_red.copy())
        b_ub.append(redundancy_cap)
    if cost_cap is not None:
        A_ub.append(c_cost.copy())
        b_ub.append(cost_cap)

    c = c_red if objective == "redundancy" else c_cost
    res = linprog(c, A_ub=np.array(A_ub), b_ub=np.array(b_ub),
                  A_eq=np.array(A_eq), b_eq=np.array(b_eq),
                  bounds=list(zip(lb, ub, strict=True)), integrality=integrality,
                  method="highs", options={"mip_rel_gap": 0.0})
    if res.status != 0:
        raise RuntimeError(f"solve failed: {res.message}")
    x = res.x

    out: dict = {
        "objective": objective,
        "integer": bool(integer or strict_integer),
        "strict_integer": bool(strict_integer),
        "objective_value": float(res.fun),
        "total_redundancy": float(c_red @ x),
        "total_cost": float(c_cost @ x),
    }
    for kind in ("workforce", "recruit", "redundancy", "overmanning", "short_time"):
        out[kind] = {(g, t): float(x[idx[(kind, g, t)]]) for g in GRADES for t in YEARS}
    out["retrain"] = {(a, b, t): float(x[idx[("retrain", a, b, t)]])
                      for (a, b) in RETRAIN for t in YEARS}
    out["downgrade"] = {(a, b, t): float(x[idx[("downgrade", a, b, t)]])
                        for (a, b) in DOWNGRADES for t in YEARS}
    return out


# ---------------------------------------------------------------- checks
def check_published() -> None:
    lp = solve_williams("redundancy")
    assert round(lp["objective_value"], 3) == 841.797, lp["objective_value"]
    cost = solve_williams("cost")
    assert abs(cost["objective_value"] - PUBLISHED_MIN_COST) < 0.01, cost["objective_value"]


def test_lp_min_redundancy_matches_published():
    sol = solve_williams("redundancy")
    assert round(sol["objective_value"], 3) == 841.797
    # published plan [GRB]: layoffs 443.0 / 166.3 / 232.5 unskilled
    assert [round(sol["redundancy"][("unskilled", t)], 1) for t in YEARS] == [443.0, 166.3, 232.5]


def test_lp_min_cost_matches_published():
    sol = solve_williams("cost")
    assert abs(sol["objective_value"] - PUBLISHED_MIN_COST) < 0.01
    assert round(sol["total_redundancy"], 1) == 1423.7


def test_integer_min_redundancy():
    assert round(solve_williams("redundancy", integer=True)["objective_value"]) == 842
    assert round(solve_williams("redundancy", strict_integer=True)["objective_value"]) == 843


def _fmt(sol: dict) -> str:
    lines = [f"objective={sol['objective']} integer={sol['integer']} strict={sol['strict_integer']}"
             f"  value={sol['objective_value']:.6f}"
             f"  redundancy={sol['total_redundancy']:.4f}  cost={sol['total_cost']:.2f}"]
    for kind in ("workforce", "recruit", "redundancy", "overmanning", "short_time"):
        lines.append(f"  {kind:11s} " + "  ".join(
            f"{g[:4]}{t}={sol[kind][(g, t)]:9.3f}" for t in YEARS for g in GRADES))
    lines.append("  retrain     " + "  ".join(
        f"{a[:4]}>{b[:4]}{t}={v:8.3f}" for (a, b, t), v in sol["retrain"].items()))
    lines.append("  downgrade   " + "  ".join(
        f"{a[:4]}>{b[:4]}{t}={v:8.3f}" for (a, b, t), v in sol["downgrade"].items() if v > 1e-9))
    return "\n".join(lines)


if __name__ == "__main__":
    check_published()
    lp_r = solve_williams("redundancy")
    lp_c = solve_williams("cost")
    ip_r = solve_williams("redundancy", integer=True)
    ip_rs = solve_williams("redundancy", strict_integer=True)
    ip_c = solve_williams("cost", integer=True)
    for s in (lp_r, lp_c, ip_r, ip_rs, ip_c):
        print(_fmt(s))
    # lexicographic ranges (LP has alternative optima)
    lo = solve_williams("cost", redundancy_cap=lp_r["objective_value"] + 1e-6)
    hi = solve_williams("redundancy", cost_cap=lp_c["objective_value"] + 1e-3)
    print(f"min cost s.t. redundancy=min: {lo['objective_value']:.2f}")
    print(f"min redundancy s.t. cost=min: {hi['objective_value']:.4f}")
    ilo = solve_williams("cost", integer=True, redundancy_cap=round(ip_r["objective_value"]))
    print(f"integer: min cost s.t. redundancy={round(ip_r['objective_value'])}: {ilo['objective_value']:.2f}")
