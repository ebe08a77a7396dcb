"""A whole-people plan to start branch and bound from: recruit nobody.

In integer mode HiGHS often spends its whole time on a small model without
finding any plan for the first level: leavers must be whole people whose
running total stays within :data:`~wfplan.model.formulation.LEAVER_WINDOW` of
the expected attrition, and its heuristics rarely hit that.  Recruiting
nobody is a plan whenever goals are soft, and it is easy to write down: each
quarter the fewest whole leavers that keep the running total no more than one
person behind the expectation.  The rest (shortfalls, unmet demand, budget
overrun) follows by one LP with those people fixed.  The first level then
starts from this plan; each later level starts from the level before.
"""

from __future__ import annotations

import numpy as np

from solvers import SolveOptions, get_solver
from solvers.base import LinearProgram
from wfplan.model.formulation import LEAVER_WINDOW, Model

ZERO_BLOCKS = ("starters", "released", "started", "completed", "completion_rounding", "short_time",
               "above_baseline", "claim_wte")
"""Columns that are zero when nobody is recruited, retrained, released or claimed for."""


def no_recruitment_bounds(model: Model, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray] | None:
    """Column bounds that hold every people column at the recruit-nobody plan
    (None when the model has no whole-people leavers, or the plan breaks a bound)."""
    b, inputs = model.builder, model.inputs
    if not lp.integrality.any() or "leaver_rounding" not in b.variables:
        return None
    P, R, T = inputs.shape
    stock = np.zeros((P, R, T))
    leavers = np.zeros((P, R, T))
    drift = np.zeros((P, R, T))
    previous_stock = inputs.initial.astype(float)
    previous_drift = np.zeros((P, R))
    attrition = inputs.attrition[None, :]
    for t in range(T):
        expected = attrition * previous_stock
        # the fewest whole leavers that keep the running total at most one person behind
        need = np.ceil(expected + LEAVER_WINDOW[0] - previous_drift - 1e-9)
        leavers[:, :, t] = np.clip(need, 0.0, previous_stock)
        drift[:, :, t] = previous_drift + leavers[:, :, t] - expected
        stock[:, :, t] = previous_stock - leavers[:, :, t]
        previous_stock, previous_drift = stock[:, :, t], drift[:, :, t]

    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    settled = {"stock": stock, "leavers": leavers, "leaver_rounding": drift}
    for name in ZERO_BLOCKS:
        if name in b.variables:
            settled[name] = np.zeros(b.variables[name].ids.shape)
    for name, values in settled.items():
        ids = b.variables[name].ids
        present = ids >= 0
        lower[ids[present]] = upper[ids[present]] = values[present]
    if np.any(lower > lp.col_upper + 1e-9) or np.any(upper < lp.col_lower - 1e-9):
        return None  # e.g. a drift outside the window: not this model's rules
    return lower, upper


def start_from_bounds(lp: LinearProgram, bounds: tuple[np.ndarray, np.ndarray], objective: np.ndarray,
                      options: SolveOptions) -> np.ndarray | None:
    """The rest of the plan (shortfalls, overruns...) by one LP with the people columns held."""
    rest = LinearProgram(objective, lp.A, lp.row_lower, lp.row_upper, bounds[0], bounds[1],
                         np.zeros_like(lp.integrality))
    result = get_solver("highs").solve(rest, options)
    return result.x if result.status.has_solution else None
