"""Solve a built model: lexicographic (priority by priority) or weighted.

Lexicographic: for each objective level in order, minimise it, then hold it
within a tolerance of its optimum while the next levels are minimised.  The
reported objective per level is the level's value in the final plan.  A
time limit applies to the whole run, shared across levels; if a level stops
early its best plan is kept and the run is labelled not proven optimal.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from solvers import Basis, SolveOptions, SolveResult, Status, get_solver
from solvers.base import LinearProgram
from wfplan.model.decompose import Part, empty_rows_feasible, independent_parts, sub_program
from wfplan.model.formulation import CLAIMS_FREE_VARIABLES, CLAIMS_LEVEL, Model
from wfplan.model.start import no_recruitment_bounds, start_from_bounds
from wfplan.progress import step
from wfplan.schema import Objective
from wfplan.workers import process_pool

WEIGHTED_LEVEL_WEIGHTS = {"budget": 1e3}
GOAL_COST_TIEBREAK = 1e-7
"""Goal levels also carry this weight per unit of the final level (GBP of cost),
so that among plans that meet goals equally well the solver finds a cheap one
early; the final level then starts from a good plan.  At 1e-7 a GBP 10m plan
adds 1 unit (a person short, or an appointment) to a goal level's objective."""

ABSOLUTE_TOLERANCE = 1e-5
"""Slack when holding a level at its optimum, per unit of the level's largest coefficient:
some backends report solutions to ~6 digits."""
CLAIMS_MINIMUM_SECONDS = 30.0

MIP_PART_COLUMNS = 2_000
"""With integers, components are packed only up to this many columns: a
component bigger than that is a part of its own (one branch and bound each),
smaller ones (a role no rule couples, a budget with no members) share one."""

MIN_PART_SECONDS = 2.0
"""A part's share of the time limit is at least this (within the time left):
a share of 0.01 s, for a one-column part, is less than CBC takes to start."""

PARALLEL_MIN_COLUMNS = 50_000
"""Smaller programs are solved part by part in this process: starting worker processes costs more."""

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
    bases: list[dict[str, Basis]] = field(default_factory=list)  # per part: optimal LP basis per level, when kept

    @property
    def proven_optimal(self) -> bool:
        return self.status == Status.OPTIMAL


def solve(model: Model, solver: str = "highs", time_limit: float | None = None, gap: float = 1e-4,
          threads: int = 1, build_seconds: float = 0.0, workers: int = 1, decompose: bool = True,
          warm_bases: list[dict[str, Basis]] | None = None, keep_bases: bool = False) -> PlanSolution:
    """Solve every objective level of ``model``.

    With ``decompose`` the program is split into independent parts (see
    :mod:`wfplan.model.decompose`), each solved on its own, on ``workers``
    processes; the plan is the same as the single model's.

    ``keep_bases`` reports each LP level's optimal basis in
    :attr:`PlanSolution.bases`, one dict per part (one for a program solved
    whole); ``warm_bases`` (such bases from a model of the same shape, e.g. a
    sweep's base scenario) start each part's and level's simplex.  A basis that
    does not fit is ignored: a warm start only ever changes the speed.
    """
    started = time.perf_counter()
    backend = get_solver(solver)
    lp = model.builder.build()
    vectors = {level: model.builder.objective_vector(level) for level in model.level_order}
    free = claims_columns(model, lp.num_cols)
    bounds = no_recruitment_bounds(model, lp) if objective_mode(model) == "lexicographic" else None
    # branch and bound gains most from small parts; LPs are packed to save calls
    parts = independent_parts(lp, MIP_PART_COLUMNS if lp.num_integer else None) if decompose else []
    build_seconds += time.perf_counter() - started
    objective = model.inputs.scenario.manifest.objective
    if len(parts) > 1 and empty_rows_feasible(lp):
        workers = min(workers, len(parts)) if lp.num_cols >= PARALLEL_MIN_COLUMNS else 1
        warm = warm_bases if warm_bases is not None and len(warm_bases) == len(parts) else [{}] * len(parts)
        return _solve_parts(backend.name, lp, vectors, free, bounds, model.level_order, objective, parts,
                            time_limit, gap, threads, workers, build_seconds, warm, keep_bases)
    run = _solve_levels(backend.name, lp, vectors, model.level_order, objective, time_limit, gap, threads, free,
                        bounds, warm_bases=warm_bases[0] if warm_bases and len(warm_bases) == 1 else None,
                        keep_bases=keep_bases)
    solution = _solution(backend.name, run.final, run.levels, vectors, model.level_order, build_seconds,
                         sum(float(rec["seconds"]) for rec in run.levels), run.current)
    solution.bases = [run.bases]
    return solution


@dataclass
class LevelRun:
    """One program solved level by level: the last plan and each level's record."""

    final: SolveResult
    levels: list[dict[str, object]]
    current: LinearProgram
    bases: dict[str, Basis] = field(default_factory=dict)


def _solve_levels(solver: str, lp: LinearProgram, vectors: dict[str, np.ndarray], level_order: list[str],
                  objective: Objective, time_limit: float | None, gap: float, threads: int,
                  claims_free: np.ndarray | None = None, start_bounds: tuple[np.ndarray, np.ndarray] | None = None,
                  progress: bool = True, warm_bases: dict[str, Basis] | None = None,
                  keep_bases: bool = False) -> LevelRun:
    """Lexicographic (or weighted) solve of one program within ``time_limit`` seconds
    (``warm_bases``/``keep_bases``: see :func:`solve`)."""
    backend = get_solver(solver)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    warm_bases = warm_bases or {}
    bases: dict[str, Basis] = {}

    def options(start: np.ndarray | None = None, minimum: float = 0.01, level: str = "") -> SolveOptions:
        remaining = None if deadline is None else max(deadline - time.perf_counter(), minimum)
        return SolveOptions(time_limit=remaining, mip_gap=gap, threads=threads, seed=0, start=start,
                            basis=warm_bases.get(level), keep_basis=keep_bases)

    levels: list[dict[str, object]] = []
    if objective.mode == "weighted":
        c = np.zeros(lp.num_cols)
        for level, vec in vectors.items():
            weight = WEIGHTED_LEVEL_WEIGHTS.get(level, objective.cost_weight if level.startswith("final") else 1.0)
            c += weight * vec
        result = backend.solve(lp.with_objective(c), options(level="weighted"))
        kept = {"weighted": result.basis} if result.basis is not None else {}
        return LevelRun(result, [_level_record("weighted", result)], lp, kept)
    current = lp
    final = None
    start = None
    if start_bounds is not None and level_order:
        # recruit nobody: a whole-people plan for the first level to start from
        start = start_from_bounds(lp, start_bounds, vectors[level_order[0]], options())
    final_level = next((lv for lv in level_order if lv.startswith("final_")), None)
    final_vec = vectors[final_level] if final_level else None
    stopped = False  # a level found no plan: the plan above it stands
    for level in level_order:
        if stopped and level != CLAIMS_LEVEL:
            continue
        vec = vectors[level]
        objective_vec = vec
        if level.startswith("p") and final_vec is not None:
            objective_vec = vec + GOAL_COST_TIEBREAK * final_vec
        if level == CLAIMS_LEVEL and start is not None and claims_free is not None:
            # staffing is settled: only who pays is left, a small program over the claim columns
            with step("solving level claims") if progress else nullcontext():
                held = [vectors[lv] for lv in level_order if lv != CLAIMS_LEVEL]
                result = solve_claims(backend, current, start, claims_free, objective_vec, held, lp.num_rows,
                                      options(None, CLAIMS_MINIMUM_SECONDS))
        else:
            problem = current.with_objective(objective_vec)
            # the previous level's plan is feasible for this one: a MIP start
            with step(f"solving level {level} ({len(levels) + 1}/{len(level_order)}) with {solver}") \
                    if progress else nullcontext():
                result = backend.solve(problem, options(start, level=level))
        if result.basis is not None:
            bases[level] = result.basis
        levels.append(_level_record(level, result))
        if not result.status.has_solution:
            # keep the previous level's plan: it satisfies every rule.  Who pays
            # for it is still settled (a small LP): otherwise the plan would
            # show no ARRS claims at all.
            final = final if final is not None and final.x is not None else result
            if start is None or claims_free is None or level == CLAIMS_LEVEL:
                break
            stopped = True
            continue
        final = result
        value = float(vec @ result.x)
        tol = max(ABSOLUTE_TOLERANCE * _largest(vec), RELATIVE_TOLERANCE * abs(value),
                  objective.relative_tolerance * abs(value))
        start = result.x
        row = sp.csr_matrix(vec.reshape(1, -1))
        current = current.with_rows(row, np.array([-np.inf]), np.array([value + tol]))
    assert final is not None
    return LevelRun(final, levels, current, bases)


def _solution(solver: str, final: SolveResult, levels: list[dict[str, object]], vectors: dict[str, np.ndarray],
              level_order: list[str], build_seconds: float, solve_seconds: float,
              lp: LinearProgram) -> PlanSolution:
    status = final.status
    incomplete = any(rec["status"] != Status.OPTIMAL.value for rec in levels)
    if status.has_solution and incomplete:
        status = Status.FEASIBLE
    objectives = {}
    if final.x is not None:
        objectives = {level: float(vectors[level] @ final.x) for level in level_order}
    ranked = [rec for rec in levels if str(rec["level"]).startswith("final_")] or levels
    return PlanSolution(
        solver=solver, status=status, x=final.x, objectives=objectives, bound=ranked[0]["bound"],
        gap=_worst_gap(levels), build_seconds=build_seconds, solve_seconds=solve_seconds, levels=levels,
        message=final.message, lp=lp, final=final,
    )


def objective_mode(model: Model) -> str:
    return model.inputs.scenario.manifest.objective.mode


def claims_columns(model: Model, num_cols: int) -> np.ndarray:
    """Columns the claims step may change (see :data:`CLAIMS_FREE_VARIABLES`)."""
    free = np.zeros(num_cols, dtype=bool)
    for name in CLAIMS_FREE_VARIABLES:
        block = model.builder.variables.get(name)
        if block is not None:
            free[block.ids[block.ids >= 0]] = True
    return free


def _solve_parts(solver: str, lp: LinearProgram, vectors: dict[str, np.ndarray], free: np.ndarray,
                 bounds: tuple[np.ndarray, np.ndarray] | None, level_order: list[str],
                 objective: Objective, parts: list[Part], time_limit: float | None, gap: float, threads: int,
                 workers: int, build_seconds: float, warm_bases: list[dict[str, Basis]],
                 keep_bases: bool) -> PlanSolution:
    """Solve independent parts (on ``workers`` processes) and put their plans together.

    A part starts with a share of the time left in proportion to its columns
    among the parts not yet finished (times the number of workers, as parts
    run side by side), so time a part does not use passes to the parts after
    it.  A level's objective and bound are the sums over parts; its status
    is the worst part's.
    """
    started = time.perf_counter()
    deadline = None if time_limit is None else started + time_limit
    weights = [len(part.cols) for part in parts]
    unfinished = float(sum(weights))

    def task(i: int) -> tuple:
        share = None
        if deadline is not None:
            left = max(deadline - time.perf_counter(), 0.01)
            share = min(left, max(left * workers * weights[i] / unfinished, MIN_PART_SECONDS))
        part = parts[i]
        part_bounds = None if bounds is None else (bounds[0][part.cols], bounds[1][part.cols])
        return (solver, sub_program(lp, part), {k: v[part.cols] for k, v in vectors.items()},
                free[part.cols], part_bounds, level_order, objective, share, gap, threads, warm_bases[i], keep_bases)

    runs: list[LevelRun | None] = [None] * len(parts)
    with step(f"solving {len(parts)} independent parts with {solver} on {workers} process(es)"):
        if workers > 1:
            with process_pool(workers) as pool:
                waiting = list(range(len(parts)))
                running = {}
                while waiting or running:
                    while waiting and len(running) < workers:
                        i = waiting.pop(0)
                        running[pool.submit(_solve_task, task(i))] = i
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        i = running.pop(future)
                        runs[i] = future.result()
                        unfinished -= weights[i]
        else:
            for i in range(len(parts)):
                runs[i] = _solve_task(task(i))
                unfinished -= weights[i]
    solve_seconds = time.perf_counter() - started
    levels = [_merge_level(level, [run.levels for run in runs]) for level in level_order]
    levels = [rec for rec in levels if rec is not None]
    failed = next((run.final for run in runs if run.final.x is None), None)
    if failed is not None:
        return _solution(solver, failed, levels, vectors, level_order, build_seconds, solve_seconds, lp)
    bases = [run.bases for run in runs]
    x = np.zeros(lp.num_cols)
    for part, run in zip(parts, runs, strict=True):
        x[part.cols] = run.final.x
    statuses = [run.final.status for run in runs]
    status = Status.OPTIMAL if all(s == Status.OPTIMAL for s in statuses) else Status.FEASIBLE
    messages = sorted({run.final.message for run in runs if run.final.message})
    final = SolveResult(solver, status, objective=None, x=x, solve_seconds=solve_seconds,
                        message="; ".join(messages), extra={"parts": len(parts)})
    solution = _solution(solver, final, levels, vectors, level_order, build_seconds, solve_seconds, lp)
    solution.bases = bases
    return solution


def _solve_task(task: tuple) -> LevelRun:
    solver, lp, vectors, free, bounds, level_order, objective, time_limit, gap, threads, warm, keep = task
    run = _solve_levels(solver, lp, vectors, level_order, objective, time_limit, gap, threads, free, bounds,
                        progress=False, warm_bases=warm, keep_bases=keep)
    return LevelRun(run.final, run.levels, lp, run.bases)  # the held rows stay in the worker


def _merge_level(level: str, part_levels: list[list[dict[str, object]]]) -> dict[str, object] | None:
    """One level's record for the whole program from its parts' records."""
    records = [next((rec for rec in recs if rec["level"] == level), None) for recs in part_levels]
    found = [rec for rec in records if rec is not None]
    if not found:
        return None
    if len(found) < len(records):
        status = Status.ERROR.value  # some part stopped before this level
    elif all(rec["status"] == Status.OPTIMAL.value for rec in found):
        status = Status.OPTIMAL.value
    else:
        status = next((rec["status"] for rec in found if not Status(rec["status"]).has_solution),
                      Status.FEASIBLE.value)
    objective = None if any(rec["objective"] is None for rec in found) else sum(rec["objective"] for rec in found)
    bound = None if any(rec["bound"] is None for rec in found) else sum(rec["bound"] for rec in found)
    gap = 0.0 if status == Status.OPTIMAL.value else None
    if gap is None and objective is not None and bound is not None and len(found) == len(records):
        gap = abs(objective - bound) / max(1.0, abs(objective))
    # parts that proved no bound for this level: stopped before one, or before the level
    without_bound = sum(1 for rec in records if rec is None or rec["bound"] is None)
    return {"level": level, "status": status, "objective": objective, "bound": bound, "gap": gap,
            "seconds": round(sum(float(rec["seconds"]) for rec in found), 6), "parts": len(found),
            "parts_total": len(records), "parts_without_bound": without_bound}


def _worst_gap(levels: list[dict[str, object]]) -> float | None:
    """The run's gap: the largest gap of any level (None if a level has no bound)."""
    gaps = [rec["gap"] for rec in levels]
    if any(g is None for g in gaps):
        return None
    return max((float(g) for g in gaps), default=0.0)


def solve_claims(backend, lp: LinearProgram, x: np.ndarray, free: np.ndarray, c: np.ndarray,
                 held: list[np.ndarray], base_rows: int, options: SolveOptions) -> SolveResult:
    """The claims step: every column but ``free`` (claims, the above-baseline
    switches, budget overruns) fixed at ``x``, ``c`` minimised over the rest.

    Only the model's own rows that touch a free column remain, their bounds
    moved by the fixed columns' activity, so levels settled by staffing (a
    GBP 70m cost row, say) drop out instead of making the step badly scaled.
    Levels that free columns can change (budget overrun, netted of claims)
    are minimised again here and held, then claims are maximised.  The
    switches are then settled at whole values and the same solved again as
    a pure LP: a switch at 1e-9 (integrality tolerance) times a big M would
    otherwise allow a claim below the baseline.

    The result's ``x`` is the whole plan; its duals are those of the step's
    own program, whose first rows are the model rows listed in
    ``extra["model_rows"]`` (the held levels come after them).
    """
    # the last level's plan is feasible to the solver's tolerance (a stock of -7e-7): clean it first
    x = np.clip(x, lp.col_lower, lp.col_upper)
    x[lp.integrality] = np.round(x[lp.integrality])
    fixed = ~free
    A = lp.A[:base_rows].tocsc()
    A_free, A_fixed = A[:, free].tocsr(), A[:, fixed].tocsr()
    used = np.diff(A_free.indptr) > 0
    activity = (A_fixed @ x[fixed])[used]
    program = LinearProgram(np.zeros(int(free.sum())), A_free[used], lp.row_lower[:base_rows][used] - activity,
                            lp.row_upper[:base_rows][used] - activity, lp.col_lower[free], lp.col_upper[free],
                            lp.integrality[free])
    levels = [(vec[free], float(vec[fixed] @ x[fixed])) for vec in held if np.any(vec[free])]
    options = SolveOptions(options.time_limit, options.mip_gap, options.threads, options.seed)

    def lexicographic(program: LinearProgram) -> SolveResult:
        for vec, constant in levels:
            result = backend.solve(program.with_objective(vec), options)
            if not result.status.has_solution:
                return result
            value = float(vec @ result.x)
            total = abs(value + constant)
            tol = max(ABSOLUTE_TOLERANCE * _largest(vec), RELATIVE_TOLERANCE * total)
            program = program.with_rows(sp.csr_matrix(vec.reshape(1, -1)), np.array([-np.inf]),
                                        np.array([value + tol]))
        return backend.solve(program.with_objective(c[free]), options)

    result = lexicographic(program)
    switches = program.integrality
    if result.x is not None and switches.any():
        settled = program.with_objective(program.c)
        settled.col_lower, settled.col_upper = program.col_lower.copy(), program.col_upper.copy()
        settled.col_lower[switches] = settled.col_upper[switches] = np.round(result.x[switches])
        settled.integrality = np.zeros_like(switches)
        again = lexicographic(settled)
        if again.x is not None:
            result = again
    if result.x is not None:
        full = x.copy()
        full[free] = result.x
        result.x = full
    result.extra["model_rows"] = np.flatnonzero(used)
    return result


def _largest(vec: np.ndarray) -> float:
    """The largest coefficient of a level (at least 1): the absolute slack is
    1e-5 of a unit of its biggest term, so a level of shortfalls priced at
    GBP 1,000 a person is held to 1e-5 of a person, not 1e-8 (below what
    CBC can tell from zero)."""
    return max(1.0, float(np.abs(vec).max(initial=0.0)))


def _level_record(level: str, result: SolveResult) -> dict[str, object]:
    return {
        "level": level, "status": result.status.value, "objective": result.objective,
        "bound": result.bound, "gap": result.gap, "seconds": round(result.solve_seconds, 6),
    }
