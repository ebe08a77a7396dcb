"""Solve a built model: lexicographic (priority by priority) or weighted.

Lexicographic: for each objective level in order, minimise it, then hold it
within a tolerance of its optimum while the next levels are minimised.  The
reported objective per level is the level's value in the final plan.  A
time limit applies to the whole run, shared across levels; if a level stops
early its best plan is kept and the run is labelled not proven optimal.

Whole-people plans (integer mode) are made in three steps
(:func:`_solve_whole_people`): the LP relaxation is solved level by level,
which bounds every level of any whole-people plan; its plan is rounded to
whole people (:mod:`wfplan.model.rounding`); with the whole people fixed,
the rest of the plan (replacements, shortfalls, claims) is solved level by
level again.  Each level's distance from the LP's value is the proof of how
far the plan can be from the best possible one.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from solvers import Basis, SolveOptions, SolveResult, Status, get_solver
from solvers.base import LinearProgram
from wfplan.model.decompose import Part, empty_rows_feasible, independent_parts, sub_program
from wfplan.model.formulation import CLAIMS_FREE_VARIABLES, CLAIMS_LEVEL, Model
from wfplan.model.levels import WEIGHTED, LevelKind, LevelRecord
from wfplan.model.levels import level as level_of
from wfplan.model.rounding import round_plan
from wfplan.model.settings import SolveSettings
from wfplan.progress import step
from wfplan.workers import process_pool

"""Relative gap at which a level counts as solved, unless the user asks for another."""

WEIGHTED_LEVEL_WEIGHTS = {"budget": 1e3}
GOAL_COST_TIEBREAK = 1e-7
"""Goal levels also carry this weight per unit of the final level (GBP of cost),
so that among plans that meet goals equally well the solver finds a cheap one.
At 1e-7 a GBP 10m plan adds 1 unit (a person short, or an appointment) to a
goal level's objective.  It also proves the final level: a plan that is
optimal for ``goal + 1e-7 x cost`` is the cheapest of all plans at least as
good on the goal (any cheaper one would have a lower weighted objective), so
when the last goal level was solved to optimality as an LP the final level
needs no solve of its own (:func:`_certified_by_tiebreak`)."""

ABSOLUTE_TOLERANCE = 1e-5
"""Slack when holding a level at its optimum, per unit of the level's largest coefficient:
some backends report solutions to ~6 digits."""
CLAIMS_MINIMUM_SECONDS = 30.0

BRANCH_AND_BOUND_SECONDS = 20.0
"""With no time limit, how long branch and bound may try to improve a rounded plan
that is not proven within the gap (on models small enough for it to help)."""

BRANCH_AND_BOUND_MAX_INTEGERS = 1_500
"""Above this many whole-people columns, branch and bound is not tried without a
time limit: on N&W's 3,060 it closes no gap in minutes (see benchmarks/)."""

PROOF_ABSOLUTE = 1e-4
"""A level whose LP bound is 0 counts as proven when the plan is within this many
units (per unit of the level's largest coefficient) of it: a ten-thousandth of
a person or an appointment, ten times the tolerance each level is held to
(:data:`ABSOLUTE_TOLERANCE`), which LP and whole-people solves both accumulate."""

IPM_MIN_COLUMNS = 1_500
"""LP levels whose objective touches at least this many columns (and with no warm
basis) are solved by the interior point method: on the N&W LP its demand and
fair-share levels (PCNs competing for the same scarce recruits, a degenerate LP)
take 1.5 s against 13 s by simplex, while its budget and target levels (3 and
1,037 columns) take 0.2 s by simplex against 0.7-1.6 s.  On a 50-PCN synthetic
scenario's parts the target levels touch 456-1,216 columns (simplex: 0.1-0.4 s)
and one part's demand level 1,833 (simplex 12.4 s, 37 s in the whole-people
re-solve; the other parts' demand levels, 2,115-2,256 columns, 2.5-3 s by IPM):
hence 1,500."""


def lp_method(level_vector: np.ndarray) -> str:
    """The LP method for a level with no warm basis: "ipm" for large levels (see :data:`IPM_MIN_COLUMNS`)."""
    return "ipm" if int(np.count_nonzero(level_vector)) >= IPM_MIN_COLUMNS else "auto"


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
    levels: list[LevelRecord] = field(default_factory=list)
    message: str = ""
    lp: LinearProgram | None = None
    final: SolveResult | None = None
    bases: list[dict[str, Basis]] = field(default_factory=list)  # per part: optimal LP basis per level, when kept
    method: str = "direct"  # "direct" (LP or branch and bound) or "rounded LP" (whole people)

    @property
    def proven_optimal(self) -> bool:
        return self.status == Status.OPTIMAL


@dataclass(frozen=True)
class LevelPlan:
    """What a level-by-level solve of one program needs, whatever the program
    (the whole model, or one independent part): picklable for worker processes."""

    settings: SolveSettings
    vectors: dict[str, np.ndarray]
    level_order: list[str]
    claims_free: np.ndarray | None = None
    first_start: np.ndarray | None = None  # a whole plan to start the first level's branch and bound from
    hold_reference: np.ndarray | None = None  # a plan (the LP's): levels are held no tighter than it + the gap
    slack_share: float = 1.0  # this program's share of a level's absolute slack (1 / the number of parts)
    warm_bases: dict[str, Basis] = field(default_factory=dict)
    progress: bool = True

    def within(self, time_limit: float | None, **changes) -> LevelPlan:
        """This plan with another time limit (and other changes)."""
        return replace(self, settings=self.settings.but(time_limit=time_limit), **changes)

    def part(self, part: Part, time_limit: float | None, warm_bases: dict[str, Basis], parts: int) -> LevelPlan:
        """This plan for one independent part's columns (one of ``parts``)."""
        free = None if self.claims_free is None else self.claims_free[part.cols]
        start = None if self.first_start is None else self.first_start[part.cols]
        reference = None if self.hold_reference is None else self.hold_reference[part.cols]
        return self.within(time_limit, vectors={k: v[part.cols] for k, v in self.vectors.items()},
                           claims_free=free, first_start=start, hold_reference=reference, warm_bases=warm_bases,
                           slack_share=self.slack_share / parts, progress=False)

    def hold_floor(self, level: str) -> float:
        """The least a level is held at: its value in :attr:`hold_reference` plus the proof's slack."""
        if self.hold_reference is None or level == CLAIMS_LEVEL:
            return -np.inf
        vec = self.vectors[level]
        value = float(vec @ self.hold_reference)
        return value + _proof_slack(vec, value, self.settings.gap, self.slack_share)


def solve(model: Model, settings: SolveSettings | None = None, build_seconds: float = 0.0,
          warm_bases: list[dict[str, Basis]] | None = None) -> PlanSolution:
    """Solve every objective level of ``model`` as ``settings`` say.

    With ``settings.decompose`` the program is split into independent parts
    (see :mod:`wfplan.model.decompose`), each solved on its own, on
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
        return _solve_whole_people(model, lp, plan, build_seconds)
    return _solve_program(lp, plan, build_seconds, warm_bases)


def _solve_program(lp: LinearProgram, plan: LevelPlan, build_seconds: float,
                   warm_bases: list[dict[str, Basis]] | None = None) -> PlanSolution:
    """Every level of ``lp``, part by part where it splits into independent parts."""
    started = time.perf_counter()
    # branch and bound gains most from small parts; LPs are packed to save calls
    parts = independent_parts(lp, MIP_PART_COLUMNS if lp.num_integer else None) if plan.settings.decompose else []
    build_seconds += time.perf_counter() - started
    if len(parts) > 1 and empty_rows_feasible(lp):
        workers = min(plan.settings.workers, len(parts)) if lp.num_cols >= PARALLEL_MIN_COLUMNS else 1
        warm = warm_bases if warm_bases is not None and len(warm_bases) == len(parts) else [{}] * len(parts)
        return _solve_parts(lp, plan, parts, workers, build_seconds, warm)
    if warm_bases and len(warm_bases) == 1:
        plan = replace(plan, warm_bases=warm_bases[0])
    run = _solve_levels(lp, plan)
    solution = _solution(plan, run.final, run.levels, build_seconds,
                         sum(rec.seconds for rec in run.levels), run.current)
    solution.bases = [run.bases]
    return solution


def _solve_whole_people(model: Model, lp: LinearProgram, plan: LevelPlan, build_seconds: float) -> PlanSolution:
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
        relaxed = _solve_program(lp.relaxed(), plan, 0.0)
    if relaxed.x is None:
        relaxed.build_seconds = build_seconds
        return relaxed
    # the LP plan's value at each level: held levels are at their LP optimum
    bounds = {level: value for level, value in relaxed.objectives.items() if level != CLAIMS_LEVEL}
    with step("rounding to whole people") if plan.progress else nullcontext():
        rounded = round_plan(model, lp, relaxed.x)
    left = None if plan.settings.time_limit is None else max(plan.settings.time_limit - (time.perf_counter() - started), 1.0)
    whole = _solve_program(rounded.program(lp), plan.within(left, hold_reference=relaxed.x), 0.0)
    seconds = time.perf_counter() - started
    if whole.x is None:
        # the rounding broke a rule it does not model: branch and bound from scratch
        left = None if plan.settings.time_limit is None else max(plan.settings.time_limit - seconds, 1.0)
        direct = _solve_program(lp, plan.within(left), build_seconds)
        direct.message = f"whole-people rounding was infeasible; solved by branch and bound. {direct.message}"
        direct.solve_seconds += seconds
        return direct
    levels = []
    for rec in whole.levels:
        bound = bounds.get(rec.level)
        value = whole.objectives.get(rec.level)
        proof = replace(rec, objective=value)
        if bound is not None and value is not None:
            within = value - bound <= _proof_slack(plan.vectors[rec.level], bound, plan.settings.gap) * (1 + 1e-9)
            proof = replace(proof, bound=bound, gap=_relative_gap(value, bound),
                            status=Status.OPTIMAL if within and rec.status == Status.OPTIMAL else Status.FEASIBLE)
        levels.append(proof)
    solution = _solution(plan, whole.final, levels, build_seconds, seconds, lp)
    solution.method = "rounded LP"
    solution.message = "; ".join(m for m in (relaxed.message, whole.message) if m)
    if solution.proven_optimal:
        return solution
    # not proven within the gap: branch and bound from the rounded plan, where it can help
    left = BRANCH_AND_BOUND_SECONDS if plan.settings.time_limit is None else plan.settings.time_limit - seconds
    if left < 1.0 or (plan.settings.time_limit is None and lp.num_integer > BRANCH_AND_BOUND_MAX_INTEGERS):
        return solution
    with step(f"branch and bound for up to {left:.0f} s from the rounded plan") if plan.progress else nullcontext():
        direct = _solve_program(lp, plan.within(left, first_start=solution.x), build_seconds)
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
        tol = max(ABSOLUTE_TOLERANCE * _largest(plan.vectors[level]), RELATIVE_TOLERANCE * abs(vb))
        if va < vb - tol:
            return True
        if va > vb + tol:
            return False
    return False


def _proof_slack(vector: np.ndarray, bound: float, gap: float, share: float = 1.0) -> float:
    """How far above its bound a level may be and still count as within ``gap``
    (a part of a program takes ``share`` of the absolute allowance)."""
    return max(gap * abs(bound), share * PROOF_ABSOLUTE * _largest(vector))


def _relative_gap(value: float, bound: float) -> float:
    """How far, at most, a level is from the best possible: (value - bound) /
    max(1, |value|), as a solver reports a gap (so a level near 0 is measured in units)."""
    return max(value - bound, 0.0) / max(1.0, abs(value))


@dataclass
class LevelRun:
    """One program solved level by level: the last plan and each level's record."""

    final: SolveResult
    levels: list[LevelRecord]
    current: LinearProgram
    bases: dict[str, Basis] = field(default_factory=dict)


def _solve_levels(lp: LinearProgram, plan: LevelPlan) -> LevelRun:
    """Lexicographic (or weighted) solve of one program within ``plan.settings.time_limit`` seconds."""
    backend = get_solver(plan.settings.solver)
    deadline = None if plan.settings.time_limit is None else time.perf_counter() + plan.settings.time_limit
    bases: dict[str, Basis] = {}
    vectors = plan.vectors

    def options(start: np.ndarray | None = None, minimum: float = 0.01, level: str = "",
                program: LinearProgram | None = None) -> SolveOptions:
        remaining = None if deadline is None else max(deadline - time.perf_counter(), minimum)
        basis = plan.warm_bases.get(level)
        method = "auto"
        if program is not None and program.num_integer == 0 and level in vectors:
            method = lp_method(vectors[level])
            if method == "ipm":
                # a warm basis means the simplex, which on these degenerate levels is
                # slower from the base scenario's basis than the interior point method
                # from nothing (N&W sweep sample: 33-39 s warm against 3.4-5.1 s cold)
                basis = None
        return SolveOptions(time_limit=remaining, mip_gap=plan.settings.gap, threads=plan.settings.threads, seed=0, start=start,
                            basis=basis, keep_basis=plan.settings.keep_bases, method=method)

    records: list[LevelRecord] = []
    if plan.settings.mode == "weighted":
        c = np.zeros(lp.num_cols)
        for level, vec in vectors.items():
            weight = WEIGHTED_LEVEL_WEIGHTS.get(
                level, plan.settings.cost_weight if level_of(level).kind == LevelKind.FINAL else 1.0)
            c += weight * vec
        result = backend.solve(lp.with_objective(c), options(level="weighted"))
        kept = {"weighted": result.basis} if result.basis is not None else {}
        return LevelRun(result, [_level_record(WEIGHTED.name, result)], lp, kept)
    current = lp
    final = None
    start = plan.first_start
    final_level = next((lv for lv in plan.level_order if level_of(lv).kind == LevelKind.FINAL), None)
    final_vec = vectors[final_level] if final_level else None
    previous_level = None
    stopped = False  # a level found no plan: the plan above it stands
    for level in plan.level_order:
        if stopped and level != CLAIMS_LEVEL:
            continue
        vec = vectors[level]
        objective_vec = vec
        if level_of(level).carries_cost_tiebreak and final_vec is not None:
            objective_vec = vec + GOAL_COST_TIEBREAK * final_vec
        if level == CLAIMS_LEVEL and start is not None and plan.claims_free is not None:
            # staffing is settled: only who pays is left, a small program over the claim columns
            with step("solving level claims") if plan.progress else nullcontext():
                held = [vectors[lv] for lv in plan.level_order if lv != CLAIMS_LEVEL]
                result = solve_claims(backend, current, start, plan.claims_free, objective_vec, held, lp.num_rows,
                                      options(None, CLAIMS_MINIMUM_SECONDS))
        elif level == final_level and _certified_by_tiebreak(final, previous_level, current):
            result = replace(final, objective=float(vec @ final.x), bound=float(vec @ final.x), solve_seconds=0.0,
                             message=f"{final.message} (certified by the {previous_level} level's cost tie-break)")
        else:
            problem = current.with_objective(objective_vec)
            # the previous level's plan is feasible for this one: a MIP start
            with step(f"solving level {level} ({len(records) + 1}/{len(plan.level_order)}) with {plan.settings.solver}") \
                    if plan.progress else nullcontext():
                result = backend.solve(problem, options(start, level=level, program=problem))
        if result.basis is not None:
            bases[level] = result.basis
        records.append(_level_record(level, result, vec))
        if not result.status.has_solution:
            # keep the previous level's plan: it satisfies every rule.  Who pays
            # for it is still settled (a small LP): otherwise the plan would
            # show no ARRS claims at all.
            final = final if final is not None and final.x is not None else result
            if start is None or plan.claims_free is None or level == CLAIMS_LEVEL:
                break
            stopped = True
            continue
        final = result
        previous_level = level
        value = float(vec @ result.x)
        tol = max(ABSOLUTE_TOLERANCE * _largest(vec), RELATIVE_TOLERANCE * abs(value),
                  plan.settings.relative_tolerance * abs(value))
        start = result.x
        row = sp.csr_matrix(vec.reshape(1, -1))
        hold = max(value + tol, plan.hold_floor(level))
        current = current.with_rows(row, np.array([-np.inf]), np.array([hold]))
    assert final is not None
    return LevelRun(final, records, current, bases)


def _certified_by_tiebreak(previous: SolveResult | None, previous_level: str | None,
                           program: LinearProgram) -> bool:
    """Whether the final level's optimum is the previous level's plan (see
    :data:`GOAL_COST_TIEBREAK`): the previous level was a goal level, solved to
    optimality as an LP with the final level as its tie-break."""
    return (previous is not None and previous.x is not None and previous.status == Status.OPTIMAL
            and previous_level is not None and level_of(previous_level).carries_cost_tiebreak
            and program.num_integer == 0)


def _solution(plan: LevelPlan, final: SolveResult, records: list[LevelRecord], build_seconds: float,
              solve_seconds: float, lp: LinearProgram | None) -> PlanSolution:
    status = final.status
    incomplete = any(rec.status != Status.OPTIMAL for rec in records)
    if status.has_solution and incomplete:
        status = Status.FEASIBLE
    objectives = {}
    if final.x is not None:
        objectives = {level: float(plan.vectors[level] @ final.x) for level in plan.level_order}
    ranked = [rec for rec in records if level_of(rec.level).kind == LevelKind.FINAL] or records
    return PlanSolution(
        solver=plan.settings.solver, status=status, x=final.x, objectives=objectives, bound=ranked[0].bound,
        gap=_worst_gap(records), build_seconds=build_seconds, solve_seconds=solve_seconds, levels=records,
        message=final.message, lp=lp, final=final,
    )


def claims_columns(model: Model, num_cols: int) -> np.ndarray:
    """Columns the claims step may change (see :data:`CLAIMS_FREE_VARIABLES`)."""
    free = np.zeros(num_cols, dtype=bool)
    for name in CLAIMS_FREE_VARIABLES:
        block = model.builder.variables.get(name)
        if block is not None:
            free[block.ids[block.ids >= 0]] = True
    return free


def _solve_parts(lp: LinearProgram, plan: LevelPlan, parts: list[Part], workers: int, build_seconds: float,
                 warm_bases: list[dict[str, Basis]]) -> PlanSolution:
    """Solve independent parts (on ``workers`` processes) and put their plans together.

    A part starts with a share of the time left in proportion to its columns
    among the parts not yet finished (times the number of workers, as parts
    run side by side), so time a part does not use passes to the parts after
    it.  A level's objective and bound are the sums over parts; its status
    is the worst part's.
    """
    started = time.perf_counter()
    deadline = None if plan.settings.time_limit is None else started + plan.settings.time_limit
    weights = [len(part.cols) for part in parts]
    unfinished = float(sum(weights))

    def task(i: int) -> tuple[LinearProgram, LevelPlan]:
        share = None
        if deadline is not None:
            left = max(deadline - time.perf_counter(), 0.01)
            share = min(left, max(left * workers * weights[i] / unfinished, MIN_PART_SECONDS))
        return sub_program(lp, parts[i]), plan.part(parts[i], share, warm_bases[i], len(parts))

    runs: list[LevelRun | None] = [None] * len(parts)
    with step(f"solving {len(parts)} independent parts with {plan.settings.solver} on {workers} process(es)") \
            if plan.progress else nullcontext():
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
    levels = [_merge_level(level, [run.levels for run in runs]) for level in plan.level_order]
    levels = [rec for rec in levels if rec is not None]
    failed = next((run.final for run in runs if run.final.x is None), None)
    if failed is not None:
        return _solution(plan, failed, levels, build_seconds, solve_seconds, lp)
    bases = [run.bases for run in runs]
    x = np.zeros(lp.num_cols)
    for part, run in zip(parts, runs, strict=True):
        x[part.cols] = run.final.x
    statuses = [run.final.status for run in runs]
    status = Status.OPTIMAL if all(s == Status.OPTIMAL for s in statuses) else Status.FEASIBLE
    messages = sorted({run.final.message for run in runs if run.final.message})
    final = SolveResult(plan.settings.solver, status, objective=None, x=x, solve_seconds=solve_seconds,
                        message="; ".join(messages), extra={"parts": len(parts)})
    solution = _solution(plan, final, levels, build_seconds, solve_seconds, lp)
    solution.bases = bases
    return solution


def _solve_task(task: tuple[LinearProgram, LevelPlan]) -> LevelRun:
    lp, plan = task
    run = _solve_levels(lp, plan)
    return LevelRun(run.final, run.levels, lp, run.bases)  # the held rows stay in the worker


def _merge_level(level: str, part_levels: list[list[LevelRecord]]) -> LevelRecord | None:
    """One level's record for the whole program from its parts' records."""
    records = [next((rec for rec in recs if rec.level == level), None) for recs in part_levels]
    found = [rec for rec in records if rec is not None]
    if not found:
        return None
    if len(found) < len(records):
        status = Status.ERROR  # some part stopped before this level
    elif all(rec.status == Status.OPTIMAL for rec in found):
        status = Status.OPTIMAL
    else:
        status = next((rec.status for rec in found if not rec.status.has_solution), Status.FEASIBLE)
    objective = None if any(rec.objective is None for rec in found) else sum(rec.objective for rec in found)
    bound = None if any(rec.bound is None for rec in found) else sum(rec.bound for rec in found)
    gap = 0.0 if status == Status.OPTIMAL else None
    if gap is None and objective is not None and bound is not None and len(found) == len(records):
        gap = abs(objective - bound) / max(1.0, abs(objective))
    # parts that proved no bound for this level: stopped before one, or before the level
    without_bound = sum(1 for rec in records if rec is None or rec.bound is None)
    return LevelRecord(level, status, objective, bound, gap, round(sum(rec.seconds for rec in found), 6),
                       parts=len(found), parts_total=len(records), parts_without_bound=without_bound)


def _worst_gap(records: list[LevelRecord]) -> float | None:
    """The run's gap: the largest gap of any level (None if a level has no bound)."""
    gaps = [rec.gap for rec in records]
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


def _level_record(level: str, result: SolveResult, vec: np.ndarray | None = None) -> LevelRecord:
    """A level's record: its own value in the level's plan (not the solver's objective,
    which includes the goal levels' cost tie-break), bound and gap."""
    objective, bound = result.objective, result.bound
    if vec is not None and result.x is not None and objective is not None:
        own = float(vec @ result.x)
        if bound is not None:
            bound = bound - (objective - own)  # the tie-break's share, taken off the bound too
        objective = own
    gap = result.gap
    if gap is not None and objective is not None and bound is not None and result.status != Status.OPTIMAL:
        gap = abs(objective - bound) / max(1.0, abs(objective))
    return LevelRecord(level, result.status, objective, bound, gap, round(result.solve_seconds, 6))
