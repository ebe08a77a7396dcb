"""A level that finds no plan: the plan above it stands, and its ARRS claims are still settled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solvers import SolveResult, Status, get_solver
from tests.checker import check_plan
from wfplan.load import load_scenario
from wfplan.model import solve as solve_module
from wfplan.planner import run_plan

NW = Path(__file__).resolve().parents[1] / "examples" / "norfolk_waveney"


class FailsOn:
    """A backend that reports "error, no plan" for programs whose objective is ``vector``."""

    def __init__(self, name: str, vector: np.ndarray) -> None:
        self.backend, self.vector = get_solver(name), vector
        self.name = self.backend.name

    def solve(self, lp, options=None) -> SolveResult:
        if lp.num_cols == len(self.vector) and np.array_equal(lp.c, self.vector):
            return SolveResult(self.name, Status.ERROR, message="stopped with no plan (test)")
        return self.backend.solve(lp, options)


def test_claims_are_settled_on_the_last_plan_when_the_cost_level_finds_none(monkeypatch) -> None:
    scenario = load_scenario(NW)
    whole = run_plan(scenario, integer=False)
    cost = whole.model.builder.objective_vector("final_cost")
    monkeypatch.setattr(solve_module, "get_solver", lambda name: FailsOn(name, cost))
    failed = run_plan(scenario, integer=False)
    statuses = {rec["level"]: rec["status"] for rec in failed.solution.levels}
    assert statuses == {"budget": "optimal", "p1": "optimal", "p2": "optimal", "final_cost": "error",
                        "claims": "optimal"}
    assert failed.solution.status == Status.FEASIBLE  # a plan, not proven optimal
    # the goals are as good as the full run's; the claims are not dropped to nothing
    assert failed.solution.objectives["p2"] == pytest.approx(whole.solution.objectives["p2"], rel=1e-6)
    assert failed.tables.arrs["claims"].sum() > 0.5 * whole.tables.arrs["claims"].sum()
    assert check_plan(scenario, failed.tables, integer=False) == []
