"""Each objective level re-solved as an LP with its duals: what :mod:`wfplan.explain.marginal` reads.

Every level is minimised with the earlier levels held at their optima (a
little slack, :data:`HOLD_TOLERANCE`), by a backend that reports duals; the
claims level is solved as the plan solves it, on the plan's staffing.  For a
whole-people plan the model's integer decisions can first be fixed at the
plan (:func:`fix_integers`, :func:`fixed_from_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from solvers import SolveOptions, SolveResult, Status, get_solver
from solvers.base import LinearProgram
from wfplan.model.formulation import CLAIMS_LEVEL, Model
from wfplan.model.formulation.money import claim_switch_on
from wfplan.solve.claims import claims_columns, solve_claims
from wfplan.solve.levels import lp_method
from wfplan.solve.tolerances import ABSOLUTE_TOLERANCE

DUAL_EPS = 1e-9


HOLD_TOLERANCE = 1e-7
"""Earlier levels are held within this (relative) of their optimum, and at least within the
planner's absolute slack (``ABSOLUTE_TOLERANCE`` per unit of the level's largest coefficient):
holding a level that is 0 within 1e-7 made the N&W cost level, priced year by year, stop
with HiGHS "Not Set" after 25 s; with the planner's slack it solves in 7 s."""


@dataclass
class LevelSolve:
    """One level's LP solve: its optimum, the plan, the duals of the model's rows and columns."""

    level: str
    value: float
    x: np.ndarray
    row_duals: np.ndarray
    col_duals: np.ndarray


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
    p_index, r_index, t_index = inputs.pcn_index, inputs.role_index, inputs.period_index
    sel = plan[plan["pcn"].isin(p_index) & plan["role"].isin(r_index) & plan["period"].isin(t_index)]
    pi = sel["pcn"].map(p_index).to_numpy(int)
    ri = sel["role"].map(r_index).to_numpy(int)
    ti = sel["period"].map(t_index).to_numpy(int)
    x = np.zeros(lp.num_cols)  # the plan's values of the blocks plan.csv holds
    for block, column in (("stock", "staff_headcount"), ("starters", "starters"), ("leavers", "leavers"),
                          ("released", "released"), ("short_time", "short_time"),
                          ("staff_not_claimable", "staff_not_claimable")):
        if block in b.variables and column in sel:
            grid = np.zeros((P, R, T))
            grid[pi, ri, ti] = sel[column].to_numpy(float)
            ids = b.variables[block].ids
            x[ids[ids >= 0]] = grid[ids >= 0]
    for block in ("stock", "starters", "leavers", "released", "short_time"):
        if block in b.variables:
            ids = b.variables[block].ids
            lower[ids[ids >= 0]] = upper[ids[ids >= 0]] = x[ids[ids >= 0]]
    if "above_baseline" in b.variables:
        # the switch the plan's staffing implies, from the formulation's claimable FTE at the plan
        above = claim_switch_on(inputs, b.evaluate("claimable_fte", x)).astype(float)
        ids = b.variables["above_baseline"].ids
        present = ids >= 0
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

    The plan's claims step (:func:`wfplan.solve.claims.solve_claims`) fixes
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
