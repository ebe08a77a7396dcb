"""A level that finds no plan: the plan above it stands, and its ARRS claims are still settled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from solvers import SolveOptions, SolveResult, Status, get_solver
from tests.checker import check_plan
from wfplan.pipeline import run_plan
from wfplan.scenario.load import load_scenario
from wfplan.solve import levels as levels_module

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


def test_claims_are_settled_on_the_last_plan_when_a_goal_level_finds_none(monkeypatch) -> None:
    scenario = load_scenario(NW)
    whole = run_plan(scenario, integer=False)
    builder = whole.model.builder
    demand_level = builder.objective_vector("p2") + levels_module.GOAL_COST_TIEBREAK * builder.objective_vector(
        "final_cost")
    monkeypatch.setattr(levels_module, "get_solver", lambda name: FailsOn(name, demand_level))
    failed = run_plan(scenario, integer=False)
    statuses = {rec.level: rec.status for rec in failed.solution.levels}
    # the levels after the failed one are not solved; the claims step still settles who pays
    assert statuses == {"budget": "optimal", "p1": "optimal", "p2": "error", "claims": "optimal"}
    assert failed.solution.status == Status.FEASIBLE  # a plan, not proven optimal
    # the targets are as good as the full run's; the claims are not dropped to nothing
    assert failed.solution.objectives["p1"] == pytest.approx(whole.solution.objectives["p1"], abs=1e-4)
    assert failed.tables.arrs["claims"].sum() > 0.1 * whole.tables.arrs["claims"].sum()
    assert check_plan(scenario, failed.tables, integer=False) == []


def test_the_cost_level_is_proven_by_the_last_goal_levels_tie_break_without_a_solve(monkeypatch) -> None:
    scenario = load_scenario(NW)
    whole = run_plan(scenario, integer=False)
    cost = whole.model.builder.objective_vector("final_cost")
    monkeypatch.setattr(levels_module, "get_solver", lambda name: FailsOn(name, cost))
    again = run_plan(scenario, integer=False)
    record = next(rec for rec in again.solution.levels if rec.level == "final_cost")
    assert record.status == "optimal" and record.seconds == 0.0
    # a solve of the cost level on its own, with the goals held at the plan's values (to a
    # ten-millionth, at least a millionth of a unit), finds no plan cheaper by more than what
    # that slack buys: about 0.03 appointments, worth a few thousand pounds (measured: GBP 1,848)
    builder = whole.model.builder
    held = builder.build()
    for level in ("budget", "p1", "p2", "p_fair_share"):
        vector = builder.objective_vector(level)
        held = held.with_rows(sp.csr_matrix(vector.reshape(1, -1)), np.array([-np.inf]),
                              np.array([again.solution.objectives[level] + max(1e-6, 1e-7 * again.solution.objectives[level])]))
    direct = get_solver("highs").solve(held.with_objective(cost), SolveOptions(method="ipm"))  # as the plan solves big levels
    assert direct.objective == pytest.approx(again.solution.objectives["final_cost"], rel=1e-4)
