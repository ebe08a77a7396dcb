"""One program solved level by level (lexicographic) or once (weighted).

For each objective level in order: minimise it (goal levels with a small
share of cost as tie-break), then hold it within a tolerance of its
optimum while the next levels are minimised.  A time limit is shared
across levels; a level that stops early keeps the plan above it.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from solvers import Basis, SolveOptions, SolveResult, Status, get_solver
from solvers.base import LinearProgram
from wfplan.model.formulation import CLAIMS_LEVEL
from wfplan.model.levels import BUDGET, WEIGHTED, LevelKind, LevelRecord
from wfplan.model.levels import level as level_of
from wfplan.model.settings import SolveSettings
from wfplan.progress import step
from wfplan.solve.claims import CLAIMS_MINIMUM_SECONDS, solve_claims
from wfplan.solve.decompose import Part
from wfplan.solve.tolerances import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, largest_coefficient, proof_slack

WEIGHTED_LEVEL_WEIGHTS = {BUDGET.name: 1e3}
"""Weighted mode: a GBP of budget overrun weighs as much as a thousand units of a goal."""


GOAL_COST_TIEBREAK = 1e-7
"""Goal levels also carry this weight per unit of the final level (GBP of cost),
so that among plans that meet goals equally well the solver finds a cheap one.
At 1e-7 a GBP 10m plan adds 1 unit (a person short, or an appointment) to a
goal level's objective.  It also proves the final level: a plan that is
optimal for ``goal + 1e-7 x cost`` is the cheapest of all plans at least as
good on the goal (any cheaper one would have a lower weighted objective), so
when the last goal level was solved to optimality as an LP the final level
needs no solve of its own (:func:`_certified_by_tiebreak`)."""


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

    def options(self, time_limit: float | None, start: np.ndarray | None, level: str,
                program: LinearProgram | None) -> SolveOptions:
        """The backend's options for one level: the time left, a MIP start, a warm basis
        where one fits, and the interior point method for large LP levels."""
        basis = self.warm_bases.get(level)
        method = "auto"
        if program is not None and program.num_integer == 0 and level in self.vectors:
            method = lp_method(self.vectors[level])
            if method == "ipm":
                # a warm basis means the simplex, which on these degenerate levels is
                # slower from the base scenario's basis than the interior point method
                # from nothing (N&W sweep sample: 33-39 s warm against 3.4-5.1 s cold)
                basis = None
        return SolveOptions(time_limit=time_limit, mip_gap=self.settings.gap, threads=self.settings.threads, seed=0,
                            start=start, basis=basis, keep_basis=self.settings.keep_bases, method=method)

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
        return value + proof_slack(vec, value, self.settings.gap, self.slack_share)


@dataclass
class LevelRun:
    """One program solved level by level: the last plan and each level's record."""

    final: SolveResult
    levels: list[LevelRecord]
    current: LinearProgram
    bases: dict[str, Basis] = field(default_factory=dict)


def solve_levels(lp: LinearProgram, plan: LevelPlan) -> LevelRun:
    """Lexicographic (or weighted) solve of one program within ``plan.settings.time_limit`` seconds."""
    backend = get_solver(plan.settings.solver)
    deadline = None if plan.settings.time_limit is None else time.perf_counter() + plan.settings.time_limit
    bases: dict[str, Basis] = {}
    vectors = plan.vectors

    def options(start: np.ndarray | None = None, minimum: float = 0.01, level: str = "",
                program: LinearProgram | None = None) -> SolveOptions:
        remaining = None if deadline is None else max(deadline - time.perf_counter(), minimum)
        return plan.options(remaining, start, level, program)

    records: list[LevelRecord] = []
    if plan.settings.mode == "weighted":
        c = np.zeros(lp.num_cols)
        for level, vec in vectors.items():
            weight = WEIGHTED_LEVEL_WEIGHTS.get(
                level, plan.settings.cost_weight if level_of(level).kind == LevelKind.FINAL else 1.0)
            c += weight * vec
        result = backend.solve(lp.with_objective(c), options(level="weighted"))
        kept = {"weighted": result.basis} if result.basis is not None else {}
        return LevelRun(result, [level_record(WEIGHTED.name, result)], lp, kept)
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
        records.append(level_record(level, result, vec))
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
        tol = max(ABSOLUTE_TOLERANCE * largest_coefficient(vec), RELATIVE_TOLERANCE * abs(value),
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


def level_record(level: str, result: SolveResult, vec: np.ndarray | None = None) -> LevelRecord:
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
