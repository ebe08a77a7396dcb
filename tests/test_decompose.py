"""Independent parts: found exactly, solved separately, same plan as the single model."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from solvers.base import LinearProgram, Status
from tests.checker import check_plan
from wfplan.model.levels import LevelRecord
from wfplan.pipeline import run_plan
from wfplan.results.summary import level_lines
from wfplan.scenario.synth import synth_scenario
from wfplan.solve import decompose as decompose_module
from wfplan.solve import parts as parts_module
from wfplan.solve.decompose import independent_parts, sub_program


def _program(dense: list[list[float]]) -> LinearProgram:
    A = sp.csr_matrix(np.array(dense, dtype=float))
    m, n = A.shape
    return LinearProgram(np.zeros(n), A, np.zeros(m), np.ones(m), np.zeros(n), np.ones(n), np.zeros(n, bool))


def test_columns_sharing_a_row_stay_in_one_part_and_unrelated_columns_split() -> None:
    lp = _program([
        [1, 1, 0, 0, 0],  # couples 0 and 1
        [0, 1, 0, 0, 1],  # couples 1 and 4 (so 0, 1, 4 together)
        [0, 0, 1, 0, 0],
        [0, 0, 0, 1, 0],
    ])
    parts = independent_parts(lp, part_columns=1)
    assert sorted(sorted(p.cols.tolist()) for p in parts) == [[0, 1, 4], [2], [3]]
    assert sorted(sorted(p.rows.tolist()) for p in parts) == [[0, 1], [2], [3]]


def test_small_components_are_packed_together_and_every_column_is_in_exactly_one_part() -> None:
    lp = _program(np.eye(7).tolist())
    parts = independent_parts(lp, part_columns=3)
    assert [len(p.cols) for p in parts] == [3, 3, 1]
    assert sorted(np.concatenate([p.cols for p in parts]).tolist()) == list(range(7))
    sub = sub_program(lp, parts[0])
    assert sub.A.shape == (3, 3)


@pytest.fixture(scope="module")
def places() -> object:
    """Eight synthetic PCNs in places that share nothing: several independent parts."""
    return synth_scenario(8, 1, seed=3)


@pytest.fixture(autouse=True)
def one_component_per_part(monkeypatch) -> None:
    """Parts of one component each, so that the eight PCNs are solved in several parts."""
    monkeypatch.setattr(decompose_module, "PART_COLUMNS", 1)


def _records(result) -> list[dict[str, object]]:
    return [rec.as_dict(timings=False) for rec in result.solution.levels]


def _parts(scenario, integer: bool) -> int:
    from wfplan.model import formulation
    from wfplan.model import inputs as model_inputs

    lp = formulation.build(model_inputs.prepare(scenario, integer=integer)).builder.build()
    return len(independent_parts(lp, part_columns=1))


def test_decomposed_lp_plan_meets_every_level_as_well_as_the_single_model(places) -> None:
    assert _parts(places, integer=False) > 1
    single = run_plan(places, integer=False, decompose=False)
    parts = run_plan(places, integer=False, decompose=True)
    assert single.solution.status.value == parts.solution.status.value == "optimal"
    for level, value in single.solution.objectives.items():
        if level == "claims":
            continue  # staffing optima are not unique; claims follow the staffing chosen
        assert parts.solution.objectives[level] == pytest.approx(value, rel=1e-5, abs=1e-3), level
    assert check_plan(places, parts.tables, integer=False) == []


def test_decomposed_plan_is_identical_on_one_or_two_worker_processes(places, monkeypatch) -> None:
    monkeypatch.setattr(parts_module, "PARALLEL_MIN_COLUMNS", 0)
    one = run_plan(places, integer=False, workers=1)
    two = run_plan(places, integer=False, workers=2)
    assert _records(one) == _records(two)
    assert np.array_equal(one.solution.x, two.solution.x)
    assert all(rec.parts > 1 for rec in one.solution.levels)


def test_decomposed_integer_plan_keeps_every_rule_in_whole_people(places) -> None:
    result = run_plan(places, gap=0.01, time_limit=20)
    assert result.solution.status.has_solution
    assert all(rec.parts > 1 for rec in result.solution.levels)
    assert check_plan(places, result.tables, integer=True) == []


def test_a_level_merged_from_parts_counts_the_parts_that_proved_no_bound() -> None:
    def record(status: str, objective: float, bound: float | None) -> LevelRecord:
        return LevelRecord("p2", Status(status), objective, bound, None, 1.0)

    merged = parts_module.merge_level("p2", [[record("optimal", 5.0, 5.0)], [record("feasible", 9.0, None)], []])
    assert merged.status == "error"  # the third part never reached p2
    assert merged.bound is None and merged.gap is None
    assert (merged.parts, merged.parts_total, merged.parts_without_bound) == (2, 3, 2)
    proven = parts_module.merge_level("p2", [[record("optimal", 5.0, 5.0)], [record("feasible", 9.0, 6.0)]])
    assert proven.bound == 11.0 and proven.gap == pytest.approx(3.0 / 14.0)
    assert proven.parts_without_bound == 0


def test_console_says_what_is_proven_about_each_unfinished_level() -> None:
    summary = {"objective_by_level": {"p1": 1.0, "p2": 14.0, "p3": 2.0, "final_cost": 40_000_000.0},
               "levels": [{"level": "p1", "status": "optimal", "bound": 1.0, "gap": 0.0},
                          {"level": "p2", "status": "feasible", "bound": 11.0, "gap": 0.2143},
                          {"level": "p3", "status": "error", "bound": None, "gap": None, "parts_total": 3,
                           "parts_without_bound": 2},
                          {"level": "final_cost", "status": "feasible", "bound": None, "gap": None}]}
    assert level_lines(summary) == [
        "  priority-1 goals (weighted shortfall: unmet appointments and people short of targets): 1, the best possible (proven)",
        "  priority-2 goals (weighted shortfall: unmet appointments and people short of targets): 14, at most 3 (21.4%) from the best possible, 11",
        "  priority-3 goals (weighted shortfall: unmet appointments and people short of targets): 2, not proven: 2 of 3 parts stopped before proving how close they are",
        "  cost: GBP 40.00m, not proven (no bound)",
    ]
