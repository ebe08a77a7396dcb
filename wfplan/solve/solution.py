"""What solving a model gives: the plan vector, each level's record, and the run's status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from solvers import Basis, SolveResult, Status
from solvers.base import LinearProgram
from wfplan.model.levels import LevelKind, LevelRecord
from wfplan.model.levels import level as level_of

if TYPE_CHECKING:
    from wfplan.solve.levels import LevelPlan


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


def solution_of(plan: LevelPlan, final: SolveResult, records: list[LevelRecord], build_seconds: float,
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
        gap=worst_gap(records), build_seconds=build_seconds, solve_seconds=solve_seconds, levels=records,
        message=final.message, lp=lp, final=final,
    )


def worst_gap(records: list[LevelRecord]) -> float | None:
    """The run's gap: the largest gap of any level (None if a level has no bound)."""
    gaps = [rec.gap for rec in records]
    if any(g is None for g in gaps):
        return None
    return max((float(g) for g in gaps), default=0.0)
