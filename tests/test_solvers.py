"""Every solver backend on small programs with known answers.

Each test runs on all four backends (highs, cbc, scip, cpsat).  CP-SAT takes
all-integer programs only, so the LP-shaped tests hand it the same program with
every column integer; they are built so that the LP optimum is integral and the
expected answer is the same.  Backends whose library is missing are skipped.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import solvers
from solvers import (
    SOLVERS,
    LinearProgram,
    SolveOptions,
    SolveResult,
    Status,
    available_solvers,
    get_solver,
)
from solvers.ortools_backends import ScipSolver
from wfplan.errors import SolverUnavailableError

INF = np.inf
BACKENDS = list(SOLVERS)
DUAL_BACKENDS = ["highs", "cbc"]  # backends that report LP duals


def program(
    c: list[float],
    A: list[list[float]],
    row_lower: list[float],
    row_upper: list[float],
    col_lower: list[float],
    col_upper: list[float],
    integer: bool | list[bool] = False,
    offset: float = 0.0,
) -> LinearProgram:
    """A small LinearProgram from lists (dense A, converted to CSR)."""
    n = len(c)
    integrality = np.full(n, integer, dtype=bool) if isinstance(integer, bool) else integer
    return LinearProgram(
        c=np.asarray(c, dtype=float),
        A=sp.csr_matrix(np.asarray(A, dtype=float).reshape(len(row_lower), n)),
        row_lower=np.asarray(row_lower, dtype=float),
        row_upper=np.asarray(row_upper, dtype=float),
        col_lower=np.asarray(col_lower, dtype=float),
        col_upper=np.asarray(col_upper, dtype=float),
        integrality=np.asarray(integrality, dtype=bool),
        offset=offset,
    )


def for_backend(lp: LinearProgram, name: str) -> LinearProgram:
    """``lp`` as given, or with every column integer for CP-SAT (which needs that)."""
    if name != "cpsat":
        return lp
    return LinearProgram(
        lp.c, lp.A, lp.row_lower, lp.row_upper, lp.col_lower, lp.col_upper,
        np.ones(lp.num_cols, dtype=bool), lp.offset, lp.col_names, lp.row_names,
    )


def solve(name: str, lp: LinearProgram, **options: object) -> SolveResult:
    if name not in available_solvers():
        pytest.skip(f"{name} is not installed here")
    return get_solver(name).solve(lp, SolveOptions(**options))


def assert_feasible(lp: LinearProgram, x: np.ndarray, tol: float = 1e-6) -> None:
    activity = lp.A @ x
    assert np.all(activity >= lp.row_lower - tol)
    assert np.all(activity <= lp.row_upper + tol)
    assert np.all(x >= lp.col_lower - tol)
    assert np.all(x <= lp.col_upper + tol)
    integer = lp.integrality.astype(bool)
    assert np.allclose(x[integer], np.round(x[integer]), atol=tol)


def small_lp() -> LinearProgram:
    """max 3x + 2y  s.t.  x + y <= 4,  x + 3y <= 9,  x <= 3  (as a row);  x, y >= 0.

    Optimum x = 3, y = 1, objective -11 (minimised) plus offset 5 = -6.  Rows 0
    and 2 bind with duals -2 and -1; row 1 is slack (dual 0).
    """
    return program(
        c=[-3, -2], A=[[1, 1], [1, 3], [1, 0]],
        row_lower=[-INF, -INF, -INF], row_upper=[4, 9, 3],
        col_lower=[0, 0], col_upper=[INF, INF], offset=5.0,
    )


def knapsack(n: int = 60, seed: int = 0) -> LinearProgram:
    """A 3-constraint 0/1 multi-knapsack that no backend proves optimal in a few ms."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(20, 100, size=(3, n)).astype(float)
    values = weights.sum(axis=0) + rng.integers(-10, 10, size=n)
    return LinearProgram(
        c=-values, A=sp.csr_matrix(weights),
        row_lower=np.full(3, -INF), row_upper=weights.sum(axis=1) / 2,
        col_lower=np.zeros(n), col_upper=np.ones(n), integrality=np.ones(n, dtype=bool),
        offset=7.5,
    )


@pytest.mark.parametrize("name", BACKENDS)
def test_small_lp_optimum(name: str) -> None:
    lp = for_backend(small_lp(), name)
    result = solve(name, lp)
    assert result.status == Status.OPTIMAL
    assert result.solver == name
    assert result.objective == pytest.approx(-6.0)
    assert result.bound == pytest.approx(-6.0)
    assert result.gap == 0.0
    np.testing.assert_allclose(result.x, [3.0, 1.0], atol=1e-6)
    assert result.solve_seconds >= 0.0


@pytest.mark.parametrize("name", BACKENDS)
def test_mip_optimum_differs_from_relaxation(name: str) -> None:
    # max 5x + 4y  s.t.  6x + 4y <= 24,  x + 2y <= 6;  relaxation 21 at (3, 1.5),
    # integer optimum 20 at (4, 0) only.
    lp = program(
        c=[-5, -4], A=[[6, 4], [1, 2]], row_lower=[-INF, -INF], row_upper=[24, 6],
        col_lower=[0, 0], col_upper=[10, 10], integer=True,
    )
    result = solve(name, lp)
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(-20.0)
    np.testing.assert_allclose(result.x, [4.0, 0.0], atol=1e-6)
    assert result.bound is not None and result.bound <= -20.0 + 1e-6
    if name != "cpsat":
        relaxed = solve(name, lp.relaxed())
        assert relaxed.status == Status.OPTIMAL
        assert relaxed.objective == pytest.approx(-21.0)


@pytest.mark.parametrize("name", BACKENDS)
def test_infeasible(name: str) -> None:
    # x + y >= 5 and x + y <= 3
    lp = program(
        c=[1, 1], A=[[1, 1], [1, 1]], row_lower=[5, -INF], row_upper=[INF, 3],
        col_lower=[0, 0], col_upper=[10, 10], integer=True,
    )
    result = solve(name, lp)
    assert result.status == Status.INFEASIBLE
    assert not result.status.has_solution
    assert result.objective is None and result.x is None
    if name != "cpsat":
        assert solve(name, lp.relaxed()).status == Status.INFEASIBLE


@pytest.mark.parametrize("name", BACKENDS)
def test_unbounded(name: str) -> None:
    # min -x with x >= 1 and no upper bound
    lp = program(c=[-1], A=[[1]], row_lower=[1], row_upper=[INF],
                 col_lower=[0], col_upper=[INF], integer=True)
    assert solve(name, lp).status == Status.UNBOUNDED


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize(
    ("c", "expected"),
    [
        ([1, 2, 3], 10.0),  # ranged row's lower bound binds: x = 2, y = 4, z = 0
        ([1, -1, 0], -4.0),  # its upper bound binds: y - x = 4
    ],
)
def test_equality_and_ranged_rows(name: str, c: list[float], expected: float) -> None:
    # x + y + z == 6;  2 <= y - x <= 4;  0 <= x, y, z <= 10
    lp = program(
        c=c, A=[[1, 1, 1], [-1, 1, 0]], row_lower=[6, 2], row_upper=[6, 4],
        col_lower=[0, 0, 0], col_upper=[10, 10, 10],
    )
    lp = for_backend(lp, name)
    result = solve(name, lp)
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(expected)
    assert_feasible(lp, result.x)
    assert result.x.sum() == pytest.approx(6.0)
    if c == [1, 2, 3]:
        np.testing.assert_allclose(result.x, [2.0, 4.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("name", BACKENDS)
def test_free_variables_and_offset(name: str) -> None:
    # min 2x + y + 100  s.t.  x - y >= -3,  x + y >= -1;  x, y free.
    # Optimum at x = -2, y = 1: objective -3 + 100 = 97.
    lp = program(
        c=[2, 1], A=[[1, -1], [1, 1]], row_lower=[-3, -1], row_upper=[INF, INF],
        col_lower=[-INF, -INF], col_upper=[INF, INF], offset=100.0,
    )
    result = solve(name, for_backend(lp, name))
    assert result.status == Status.OPTIMAL
    np.testing.assert_allclose(result.x, [-2.0, 1.0], atol=1e-6)
    assert result.objective == pytest.approx(97.0)
    assert result.bound == pytest.approx(97.0)


@pytest.mark.parametrize("name", BACKENDS)
def test_offset_in_mip_objective_and_bound(name: str) -> None:
    lp = knapsack(n=8)
    result = solve(name, lp)
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(float(lp.c @ result.x) + 7.5)
    assert result.bound == pytest.approx(result.objective, rel=1e-4)


@pytest.mark.parametrize("name", BACKENDS)
def test_program_without_columns(name: str) -> None:
    empty = sp.csr_matrix((2, 0))
    feasible = LinearProgram(
        np.zeros(0), empty, np.array([-1.0, 0.0]), np.array([0.0, INF]),
        np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool), offset=4.0,
    )
    result = solve(name, feasible)
    assert result.status == Status.OPTIMAL
    assert result.objective == 4.0
    assert result.x.shape == (0,)
    infeasible = LinearProgram(
        np.zeros(0), empty, np.array([1.0, 0.0]), np.array([2.0, INF]),
        np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool),
    )
    assert solve(name, infeasible).status == Status.INFEASIBLE


@pytest.mark.parametrize("name", BACKENDS)
def test_time_limit_returns_a_plan_or_optimum(name: str) -> None:
    lp = knapsack()
    result = solve(name, lp, time_limit=0.02)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE), result.message
    assert_feasible(lp, result.x)
    assert result.objective == pytest.approx(float(lp.c @ result.x) + lp.offset)
    assert result.gap is not None and np.isfinite(result.gap)
    assert result.bound is not None and result.bound <= result.objective + 1e-6
    assert result.solve_seconds < 5.0


def market_split(n: int = 40, rows: int = 4, seed: int = 0) -> tuple[LinearProgram, np.ndarray]:
    """A market split program (0/1, equality rows; a plan is hard to find) and a plan it has."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(0, 100, size=(rows, n)).astype(float)
    plan = rng.integers(0, 2, size=n).astype(float)
    target = weights @ plan
    lp = LinearProgram(
        c=rng.uniform(-1, 1, size=n), A=sp.csr_matrix(weights), row_lower=target, row_upper=target,
        col_lower=np.zeros(n), col_upper=np.ones(n), integrality=np.ones(n, dtype=bool),
    )
    return lp, plan


@pytest.mark.parametrize("name", BACKENDS)
def test_a_start_is_a_plan_when_the_time_is_too_short_to_find_one(name: str) -> None:
    lp, plan = market_split()
    result = solve(name, lp, time_limit=0.05, start=plan)
    assert result.status.has_solution, result.message
    assert_feasible(lp, result.x)
    assert result.objective <= float(lp.c @ plan) + 1e-6


@pytest.mark.parametrize("name", DUAL_BACKENDS)
def test_lp_duals_match_finite_differences(name: str) -> None:
    lp = small_lp()
    result = solve(name, lp)
    assert result.row_duals is not None and result.col_duals is not None
    np.testing.assert_allclose(result.row_duals, [-2.0, 0.0, -1.0], atol=1e-7)
    # Reduced costs are c - A^T y.
    np.testing.assert_allclose(result.col_duals, lp.c - lp.A.T @ result.row_duals, atol=1e-7)

    # Row dual = d objective / d row bound: move each row's upper bound a little.
    step = 1e-3
    for i in range(lp.num_rows):
        upper = lp.row_upper.copy()
        upper[i] += step
        moved = LinearProgram(lp.c, lp.A, lp.row_lower, upper, lp.col_lower, lp.col_upper,
                              lp.integrality, lp.offset)
        shifted = solve(name, moved)
        slope = (shifted.objective - result.objective) / step
        assert slope == pytest.approx(result.row_duals[i], abs=1e-6)


@pytest.mark.parametrize("name", DUAL_BACKENDS)
def test_ranged_and_equality_row_duals(name: str) -> None:
    # The ranged-row program with its lower bound binding; compare with finite differences.
    lp = program(
        c=[1, 2, 3], A=[[1, 1, 1], [-1, 1, 0]], row_lower=[6, 2], row_upper=[6, 4],
        col_lower=[0, 0, 0], col_upper=[10, 10, 10],
    )
    result = solve(name, lp)
    assert result.row_duals is not None
    step = 1e-3
    for i in range(lp.num_rows):
        lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
        lower[i] += step
        if lower[i] > upper[i]:
            upper[i] = lower[i]  # the equality row moves both bounds
        moved = LinearProgram(lp.c, lp.A, lower, upper, lp.col_lower, lp.col_upper,
                              lp.integrality)
        slope = (solve(name, moved).objective - result.objective) / step
        assert slope == pytest.approx(result.row_duals[i], abs=1e-6)


@pytest.mark.parametrize("name", ["scip", "cpsat"])
def test_no_duals_where_unsupported(name: str) -> None:
    result = solve(name, for_backend(small_lp(), name))
    assert result.status == Status.OPTIMAL
    assert result.row_duals is None and result.col_duals is None


@pytest.mark.parametrize("name", BACKENDS)
def test_no_duals_for_mip(name: str) -> None:
    result = solve(name, knapsack(n=8))
    assert result.row_duals is None and result.col_duals is None


def test_cpsat_refuses_continuous_columns() -> None:
    # OR-Tools 9.15 would hand this to CP-SAT, which discretises the continuous
    # columns and reports objective 0 as "optimal"; the true optimum is -0.5.
    lp = program(
        c=[-1, -1], A=[[3, 1], [1, 3]], row_lower=[-INF, -INF], row_upper=[1, 1],
        col_lower=[0, 0], col_upper=[INF, INF], integer=[True, False],
    )
    result = solve("cpsat", lp)
    assert result.status == Status.ERROR
    assert "all-integer" in result.message and "1 continuous column" in result.message
    assert result.x is None
    assert solve("highs", lp).objective == pytest.approx(-1.0 / 3.0)  # x = 0, y = 1/3


def transport_lp(supply_scale: float = 1.0) -> LinearProgram:
    """A 6 x 8 transport LP (supply rows, demand rows): enough pivots for a warm start to save some."""
    rng = np.random.default_rng(3)
    sources, sinks = 6, 8
    cost = rng.uniform(1, 10, size=sources * sinks)
    supply_rows = sp.kron(sp.eye(sources), np.ones((1, sinks)))
    demand_rows = sp.kron(np.ones((1, sources)), sp.eye(sinks))
    supply = rng.uniform(20, 40, size=sources) * supply_scale
    demand = rng.uniform(5, 15, size=sinks)
    return LinearProgram(
        c=cost, A=sp.vstack([supply_rows, demand_rows], format="csr"),
        row_lower=np.concatenate([np.full(sources, -INF), demand]),
        row_upper=np.concatenate([supply, np.full(sinks, INF)]),
        col_lower=np.zeros(sources * sinks), col_upper=np.full(sources * sinks, INF),
        integrality=np.zeros(sources * sinks, dtype=bool),
    )


def test_highs_warm_start_from_a_similar_lps_basis_reaches_the_same_optimum_in_fewer_pivots() -> None:
    base = solve("highs", transport_lp(), keep_basis=True)
    assert base.status == Status.OPTIMAL and base.basis is not None
    assert base.basis.fits(transport_lp()) and len(base.basis.row_status) == 14
    perturbed = transport_lp(supply_scale=0.9)
    cold = solve("highs", perturbed)
    warm = solve("highs", perturbed, basis=base.basis)
    assert warm.status == cold.status == Status.OPTIMAL
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.extra["simplex_iterations"] < cold.extra["simplex_iterations"]
    assert cold.basis is None  # only kept when asked for


def test_highs_ignores_a_basis_of_another_shape() -> None:
    basis = solve("highs", transport_lp(), keep_basis=True).basis
    result = solve("highs", small_lp(), basis=basis)
    assert result.status == Status.OPTIMAL and result.objective == pytest.approx(-6.0)


def test_highs_thread_count_can_change_between_solves() -> None:
    lp = knapsack(n=8)
    first = solve("highs", lp, threads=2)
    second = solve("highs", lp, threads=1)
    assert first.status == second.status == Status.OPTIMAL
    assert first.objective == pytest.approx(second.objective)


@pytest.mark.parametrize("name", BACKENDS)
def test_repeat_solves_are_identical(name: str) -> None:
    lp = knapsack(n=12)
    first, second = solve(name, lp, seed=0), solve(name, lp, seed=0)
    assert first.status == Status.OPTIMAL
    np.testing.assert_array_equal(first.x, second.x)


def test_registry_names_and_lookup() -> None:
    assert set(SOLVERS) == {"highs", "cbc", "cpsat", "scip"}
    assert "highs" in available_solvers()
    assert get_solver("HiGHS").name == "highs"
    if "cpsat" in available_solvers():
        assert get_solver("cp-sat").name == "cpsat"


def test_unknown_solver_names_installed_alternatives() -> None:
    with pytest.raises(SolverUnavailableError, match="unknown solver 'gurobi'.*highs"):
        get_solver("gurobi")


def test_missing_library_only_disables_its_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ScipSolver, "unavailable_reason", classmethod(lambda cls: "no SCIP here"))
    solvers._unavailable_reason.cache_clear()
    try:
        assert "scip" not in available_solvers()
        assert "highs" in available_solvers()
        with pytest.raises(SolverUnavailableError, match="no SCIP here.*installed here: highs"):
            get_solver("scip")
    finally:
        monkeypatch.undo()
        solvers._unavailable_reason.cache_clear()


@pytest.mark.parametrize("name", BACKENDS)
def test_column_in_no_row_and_not_in_objective(name: str) -> None:
    # Column 1 appears nowhere; it still needs a value within its bounds.
    lp = program(c=[1, 0], A=[[1, 0]], row_lower=[1], row_upper=[INF],
                 col_lower=[0, 2], col_upper=[10, 5], integer=True)
    result = solve(name, lp)
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(1.0)
    assert 2.0 - 1e-9 <= result.x[1] <= 5.0 + 1e-9
