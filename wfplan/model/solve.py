"""Solve a built model: lexicographic (priority by priority) or weighted.

Lexicographic: for each objective level in order, minimise it, then hold it
within a tolerance of its optimum while the next levels are minimised.  The
reported objective per level is the level's value in the final plan.  A
time limit applies to the whole run, shared across levels; if a level stops
early its best plan is kept and the run is labelled not proven optimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from solvers import SolveOptions, SolveResult, Status, get_solver
from solvers.base import LinearProgram
from wfplan.model.formulation import CLAIMS_LEVEL, Model
from wfplan.progress import step

WEIGHTED_LEVEL_WEIGHTS = {"budget": 1e3}
GOAL_COST_TIEBREAK = 1e-7
"""Goal levels also carry this weight per unit of the final level (GBP of cost),
so that among plans that meet goals equally well the solver finds a cheap one
early; the final level then starts from a good plan.  At 1e-7 a GBP 10m plan
adds 1 unit (a person short, or an appointment) to a goal level's objective."""

ABSOLUTE_TOLERANCE = 1e-5
"""Slack when holding a level at its optimum: some backends report solutions to ~6 digits."""
CLAIMS_MINIMUM_SECONDS = 30.0

RELATIVE_TOLERANCE = 1e-7
"""Relative slack when holding a level: CBC (through PuLP) reports values to 8 significant digits."""


@dataclass
class PlanSolution:
    """The outcome of solving a model."""

    solver: str
    status: Status
    x: np.ndarray | None
    objectives: dict[str, float]
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    levels: list[dict[str, object]] = field(default_factory=list)
    message: str = ""
    lp: LinearProgram | None = None
    final: SolveResult | None = None

    @property
    def proven_optimal(self) -> bool:
        return self.status == Status.OPTIMAL


def solve(model: Model, solver: str = "highs", time_limit: float | None = None, gap: float = 1e-4,
          threads: int = 1, build_seconds: float = 0.0) -> PlanSolution:
    started = time.perf_counter()
    backend = get_solver(solver)
    lp = model.builder.build()
    objective = model.inputs.scenario.manifest.objective
    vectors = {level: model.builder.objective_vector(level) for level in model.level_order}
    build_seconds += time.perf_counter() - started
    deadline = None if time_limit is None else time.perf_counter() + time_limit

    def options(start: np.ndarray | None = None, minimum: float = 0.01) -> SolveOptions:
        remaining = None if deadline is None else max(deadline - time.perf_counter(), minimum)
        return SolveOptions(time_limit=remaining, mip_gap=gap, threads=threads, seed=0, start=start)

    levels: list[dict[str, object]] = []
    if objective.mode == "weighted":
        c = np.zeros(lp.num_cols)
        for level, vec in vectors.items():
            weight = WEIGHTED_LEVEL_WEIGHTS.get(level, objective.cost_weight if level.startswith("final") else 1.0)
            c += weight * vec
        with step(f"solving (weighted) with {backend.name}"):
            result = backend.solve(lp.with_objective(c), options())
        levels.append(_level_record("weighted", result))
        final, current = result, lp
    else:
        current = lp
        final = None
        start = None
        final_level = next((lv for lv in model.level_order if lv.startswith("final_")), None)
        final_vec = vectors[final_level] if final_level else None
        for level in model.level_order:
            vec = vectors[level]
            objective_vec = vec
            if level.startswith("p") and final_vec is not None:
                objective_vec = vec + GOAL_COST_TIEBREAK * final_vec
            problem = current.with_objective(objective_vec)
            if level == CLAIMS_LEVEL and start is not None and problem.integrality.any():
                problem = _fix_integers(problem, start, base_rows=lp.num_rows)
            # the previous level's plan is feasible for this one: a MIP start
            with step(f"solving level {level} ({len(levels) + 1}/{len(model.level_order)}) with {backend.name}"):
                # the claims step is a small LP: it always gets time, or the plan claims nothing
                result = backend.solve(problem, options(start, CLAIMS_MINIMUM_SECONDS if level == CLAIMS_LEVEL else 0.01))
                if level == CLAIMS_LEVEL and result.status == Status.INFEASIBLE and start is not None \
                        and lp.integrality.any():
                    # rounding the integers moved the levels held above: hold them again on the rounded plan
                    held = [lv for lv in model.level_order if lv != CLAIMS_LEVEL]
                    problem = _rehold_levels(backend, lp, start, held, vectors, objective.relative_tolerance,
                                             options(None, CLAIMS_MINIMUM_SECONDS)).with_objective(objective_vec)
                    result = backend.solve(problem, options(None, CLAIMS_MINIMUM_SECONDS))
            levels.append(_level_record(level, result))
            if not result.status.has_solution:
                # keep the previous level's plan: it satisfies every rule
                final = final if final is not None and final.x is not None else result
                break
            final = result
            value = float(vec @ result.x)
            tol = max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * abs(value), objective.relative_tolerance * abs(value))
            start = result.x
            row = sp.csr_matrix(vec.reshape(1, -1))
            current = current.with_rows(row, np.array([-np.inf]), np.array([value + tol]))
    assert final is not None
    status = final.status
    incomplete = any(rec["status"] != Status.OPTIMAL.value for rec in levels)
    if status.has_solution and incomplete:
        status = Status.FEASIBLE
    objectives = {}
    if final.x is not None:
        objectives = {level: float(vectors[level] @ final.x) for level in model.level_order}
    ranked = [rec for rec in levels if str(rec["level"]).startswith("final_")] or levels
    return PlanSolution(
        solver=backend.name, status=status, x=final.x, objectives=objectives, bound=ranked[0]["bound"],
        gap=_worst_gap(levels), build_seconds=build_seconds,
        solve_seconds=sum(float(rec["seconds"]) for rec in levels), levels=levels,
        message=final.message, lp=current, final=final,
    )


def _worst_gap(levels: list[dict[str, object]]) -> float | None:
    """The run's gap: the largest gap of any level (None if a level has no bound)."""
    gaps = [rec["gap"] for rec in levels]
    if any(g is None for g in gaps):
        return None
    return max((float(g) for g in gaps), default=0.0)


def _rehold_levels(backend, lp: LinearProgram, x: np.ndarray, held: list[str], vectors: dict[str, np.ndarray],
                   relative_tolerance: float, options: SolveOptions) -> LinearProgram:
    """The continuous program left when every integer variable is fixed at ``x``
    (rounded), with each earlier level minimised again on it and held, in order.

    :func:`_fix_integers` widens the held levels to admit the rounded integers
    with the continuous columns unchanged, but rounding moves continuous columns
    that follow from the integers (stock, claims allowed by the 'above baseline'
    binary, budget overrun): 0.9999993 starters cost pennies less than 1, and a
    binary at 3e-7 allows a claim of 2e-5 WTE below the baseline.  That fixed
    program can be infeasible; this one is feasible whenever the rounded integers
    admit a plan at all.
    """
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[lp.integrality] = upper[lp.integrality] = np.round(x[lp.integrality])
    current = LinearProgram(lp.c, lp.A, lp.row_lower, lp.row_upper, lower, upper,
                            np.zeros_like(lp.integrality), lp.offset, lp.col_names, lp.row_names)
    for level in held:
        vec = vectors[level]
        result = backend.solve(current.with_objective(vec), options)
        if not result.status.has_solution:
            break  # the claims step then fails and the previous plan is kept
        value = float(vec @ result.x)
        tol = max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * abs(value), relative_tolerance * abs(value))
        current = current.with_rows(sp.csr_matrix(vec.reshape(1, -1)), np.array([-np.inf]), np.array([value + tol]))
    return current


def _fix_integers(lp: LinearProgram, x: np.ndarray, base_rows: int) -> LinearProgram:
    """The continuous program left when every integer variable is fixed at ``x``
    (rounded).  Rounding moves each held level's value slightly, so the level
    rows (from ``base_rows`` on) are widened to admit the rounded plan."""
    fixed = np.round(x[lp.integrality])
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[lp.integrality] = fixed
    upper[lp.integrality] = fixed
    rounded = x.copy()
    rounded[lp.integrality] = fixed
    row_upper = lp.row_upper.copy()
    row_upper[base_rows:] = np.maximum(row_upper[base_rows:], lp.A[base_rows:] @ rounded + ABSOLUTE_TOLERANCE)
    return LinearProgram(lp.c, lp.A, lp.row_lower, row_upper, lower, upper,
                         np.zeros_like(lp.integrality), lp.offset, lp.col_names, lp.row_names)


def _level_record(level: str, result: SolveResult) -> dict[str, object]:
    return {
        "level": level, "status": result.status.value, "objective": result.objective,
        "bound": result.bound, "gap": result.gap, "seconds": round(result.solve_seconds, 6),
    }
