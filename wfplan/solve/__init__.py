"""Solve a built model: lexicographic (priority by priority) or weighted.

Lexicographic: for each objective level in order, minimise it, then hold it
within a tolerance of its optimum while the next levels are minimised.  The
reported objective per level is the level's value in the final plan.  A
time limit applies to the whole run, shared across levels; if a level stops
early its best plan is kept and the run is labelled not proven optimal.

Whole-people plans (integer mode) are made in three steps
(:mod:`wfplan.solve.whole_people`): the LP relaxation is solved level by level,
which bounds every level of any whole-people plan; its plan is rounded to
whole people (:mod:`wfplan.solve.rounding`); with the whole people fixed,
the rest of the plan (replacements, shortfalls, claims) is solved level by
level again.  Each level's distance from the LP's value is the proof of how
far the plan can be from the best possible one.
"""

from __future__ import annotations

import time

from solvers import Basis, get_solver
from wfplan.model.formulation import Model
from wfplan.model.settings import SolveSettings
from wfplan.solve.claims import claims_columns
from wfplan.solve.levels import LevelPlan
from wfplan.solve.parts import solve_program
from wfplan.solve.solution import PlanSolution
from wfplan.solve.whole_people import solve_whole_people

__all__ = ["PlanSolution", "solve"]


def solve(model: Model, settings: SolveSettings | None = None, build_seconds: float = 0.0,
          warm_bases: list[dict[str, Basis]] | None = None) -> PlanSolution:
    """Solve every objective level of ``model`` as ``settings`` say.

    With ``settings.decompose`` the program is split into independent parts
    (see :mod:`wfplan.solve.decompose`), each solved on its own, on
    ``settings.workers`` processes; the plan is the same as the single model's.

    ``settings.keep_bases`` reports each LP level's optimal basis in
    :attr:`PlanSolution.bases`, one dict per part (one for a program solved
    whole); ``warm_bases`` (such bases from a model of the same shape, e.g. a
    sweep's base scenario) start each part's and level's simplex.  A basis that
    does not fit is ignored: a warm start only ever changes the speed.
    """
    started = time.perf_counter()
    settings = settings or SolveSettings()
    backend = get_solver(settings.solver)
    lp = model.builder.build()
    plan = LevelPlan(
        settings=settings.but(solver=backend.name),
        vectors={level: model.builder.objective_vector(level) for level in model.level_order},
        level_order=model.level_order, claims_free=claims_columns(model, lp.num_cols))
    build_seconds += time.perf_counter() - started
    if lp.num_integer and settings.mode == "lexicographic" and "starters" in model.builder.variables:
        return solve_whole_people(model, lp, plan, build_seconds)
    return solve_program(lp, plan, build_seconds, warm_bases)


