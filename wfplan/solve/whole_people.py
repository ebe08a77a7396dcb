"""Whole-people plans: the LP relaxation, rounded to whole people, the rest re-solved, each level proven.

1. The LP relaxation, level by level: its value at each level bounds what any
   whole-people plan can do there.
2. Its plan rounded to whole people (:mod:`wfplan.solve.rounding`).
3. With those fixed, the rest of the plan solved level by level again; each
   level's distance from the LP's value is the proof of how far the plan can
   be from the best possible one.  Small models not proven within the gap
   are then given to branch and bound from the rounded plan.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import replace

from solvers import Status
from solvers.base import LinearProgram
from wfplan.model.formulation import CLAIMS_LEVEL, Model
from wfplan.progress import step
from wfplan.solve.levels import LevelPlan
from wfplan.solve.parts import solve_program
from wfplan.solve.rounding import round_plan
from wfplan.solve.solution import PlanSolution, solution_of
from wfplan.solve.tolerances import (
    ABSOLUTE_TOLERANCE,
    RELATIVE_TOLERANCE,
    largest_coefficient,
    proof_slack,
    relative_gap,
)

BRANCH_AND_BOUND_SECONDS = 20.0
"""With no time limit, how long branch and bound may try to improve a rounded plan
that is not proven within the gap (on models small enough for it to help)."""


BRANCH_AND_BOUND_MAX_INTEGERS = 1_500
"""Above this many whole-people columns, branch and bound is not tried without a
time limit: on N&W's 3,060 it closes no gap in minutes (see benchmarks/)."""


def solve_whole_people(model: Model, lp: LinearProgram, plan: LevelPlan, build_seconds: float) -> PlanSolution:
    """A whole-people plan from the LP relaxation's, with each level's proof.

    1. The LP relaxation, level by level: its value at each level bounds what
       any whole-people plan can do there (the whole-people plans are some of
       the LP's plans, held at the same levels).
    2. Its plan rounded to whole people (recruits, course starts, releases).
    3. With those fixed, the rest of the plan solved level by level, each level
       held no tighter than the LP's value plus the gap (so a level within the
       gap leaves room for the next).

    A level is proven when its value is within the gap of the LP's (or, where
    the LP's is 0, within :data:`PROOF_ABSOLUTE`).  Should the rounded plan
    break a rule the rounding does not foresee (a hard target, an exact
    requirement), the model is solved by branch and bound instead.
    """
    started = time.perf_counter()
    with step("solving the LP relaxation (fractional people)") if plan.progress else nullcontext():
        relaxed = solve_program(lp.relaxed(), plan, 0.0)
    if relaxed.x is None:
        relaxed.build_seconds = build_seconds
        return relaxed
    # the LP plan's value at each level: held levels are at their LP optimum
    bounds = {level: value for level, value in relaxed.objectives.items() if level != CLAIMS_LEVEL}
    with step("rounding to whole people") if plan.progress else nullcontext():
        rounded = round_plan(model, lp, relaxed.x)
    left = None if plan.settings.time_limit is None else max(plan.settings.time_limit - (time.perf_counter() - started), 1.0)
    whole = solve_program(rounded.program(lp), plan.within(left, hold_reference=relaxed.x), 0.0)
    seconds = time.perf_counter() - started
    if whole.x is None:
        # the rounding broke a rule it does not model: branch and bound from scratch
        left = None if plan.settings.time_limit is None else max(plan.settings.time_limit - seconds, 1.0)
        direct = solve_program(lp, plan.within(left), build_seconds)
        direct.message = f"whole-people rounding was infeasible; solved by branch and bound. {direct.message}"
        direct.solve_seconds += seconds
        return direct
    levels = []
    for rec in whole.levels:
        bound = bounds.get(rec.level)
        value = whole.objectives.get(rec.level)
        proof = replace(rec, objective=value)
        if bound is not None and value is not None:
            within = value - bound <= proof_slack(plan.vectors[rec.level], bound, plan.settings.gap) * (1 + 1e-9)
            proof = replace(proof, bound=bound, gap=relative_gap(value, bound),
                            status=Status.OPTIMAL if within and rec.status == Status.OPTIMAL else Status.FEASIBLE)
        levels.append(proof)
    solution = solution_of(plan, whole.final, levels, build_seconds, seconds, lp)
    solution.method = "rounded LP"
    solution.message = "; ".join(m for m in (relaxed.message, whole.message) if m)
    if solution.proven_optimal:
        return solution
    # not proven within the gap: branch and bound from the rounded plan, where it can help
    left = BRANCH_AND_BOUND_SECONDS if plan.settings.time_limit is None else plan.settings.time_limit - seconds
    if left < 1.0 or (plan.settings.time_limit is None and lp.num_integer > BRANCH_AND_BOUND_MAX_INTEGERS):
        return solution
    with step(f"branch and bound for up to {left:.0f} s from the rounded plan") if plan.progress else nullcontext():
        direct = solve_program(lp, plan.within(left, first_start=solution.x), build_seconds)
    direct.solve_seconds += seconds
    # the branch and bound plan, when better, or as good and with its proof
    if direct.x is not None and (_lexicographically_better(direct, solution, plan) or (
            direct.proven_optimal and not _lexicographically_better(solution, direct, plan))):
        direct.method = "rounded LP, improved by branch and bound"
        return direct
    solution.solve_seconds = direct.solve_seconds
    return solution


def _lexicographically_better(a: PlanSolution, b: PlanSolution, plan: LevelPlan) -> bool:
    """Whether plan ``a`` is better than ``b`` at the first level where they differ
    by more than the level's holding tolerance (the claims step excluded)."""
    for level in plan.level_order:
        if level == CLAIMS_LEVEL:
            continue
        va, vb = a.objectives.get(level), b.objectives.get(level)
        if va is None or vb is None:
            return vb is None and va is not None
        tol = max(ABSOLUTE_TOLERANCE * largest_coefficient(plan.vectors[level]), RELATIVE_TOLERANCE * abs(vb))
        if va < vb - tol:
            return True
        if va > vb + tol:
            return False
    return False
