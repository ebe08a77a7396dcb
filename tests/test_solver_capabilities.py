"""Each backend's declared :class:`~solvers.Capabilities` match what it really does.

Callers choose a backend by capability (``get_solver(lp_duals=True)``), so a
flag that lies sends marginal values or a fallback solve to a backend that
cannot give them.  Every flag is checked here on a tiny program against the
backend's behaviour, on every backend installed here.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from solvers import (
    DEFAULT_SOLVER,
    SOLVERS,
    Capabilities,
    LinearProgram,
    SolveOptions,
    SolverUnavailableError,
    Status,
    available_solvers,
    get_solver,
    solvers_with,
)

INF = np.inf


def two_column_program(integer: bool) -> LinearProgram:
    """min -x - y  s.t.  x + 2y <= 4,  3x + y <= 6,  0 <= x, y <= 10.

    LP optimum x = 1.6, y = 1.2 (objective -2.8, row duals -0.4 and -0.2);
    in integers the optimum is -2 (x + y = 2, e.g. x = y = 1)."""
    return LinearProgram(
        c=np.array([-1.0, -1.0]),
        A=sp.csr_matrix(np.array([[1.0, 2.0], [3.0, 1.0]])),
        row_lower=np.array([-INF, -INF]), row_upper=np.array([4.0, 6.0]),
        col_lower=np.zeros(2), col_upper=np.full(2, 10.0),
        integrality=np.full(2, integer),
    )


def backend_or_skip(name: str):
    if name not in available_solvers():
        pytest.skip(f"{name} is not installed here")
    return get_solver(name)


def capable_program(name: str) -> LinearProgram:
    """A program the backend takes: continuous where it can, all-integer otherwise."""
    return two_column_program(integer=not SOLVERS[name].capabilities.continuous_columns)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_lp_duals_are_reported_exactly_when_declared(name: str) -> None:
    backend = backend_or_skip(name)
    result = backend.solve(capable_program(name))
    assert result.status == Status.OPTIMAL
    if backend.capabilities.lp_duals:
        assert result.row_duals is not None and result.col_duals is not None
        np.testing.assert_allclose(result.row_duals, [-0.4, -0.2], atol=1e-7)  # d objective / d row bound
    else:
        assert result.row_duals is None


@pytest.mark.parametrize("name", list(SOLVERS))
def test_an_optimal_basis_is_kept_exactly_when_declared(name: str) -> None:
    backend = backend_or_skip(name)
    result = backend.solve(capable_program(name), SolveOptions(keep_basis=True))
    assert result.status == Status.OPTIMAL
    assert (result.basis is not None) == backend.capabilities.keep_basis


@pytest.mark.parametrize("name", solvers_with(basis_start=True, keep_basis=True))
def test_a_declared_basis_start_resumes_from_the_optimal_basis_without_iterating(name: str) -> None:
    lp = two_column_program(integer=False)
    first = get_solver(name).solve(lp, SolveOptions(keep_basis=True))
    again = get_solver(name).solve(lp, SolveOptions(basis=first.basis))
    assert first.extra["simplex_iterations"] > 0
    assert again.extra["simplex_iterations"] == 0
    assert again.objective == pytest.approx(first.objective)


@pytest.mark.parametrize("name", solvers_with(interior_point=True))
@pytest.mark.parametrize("method", ["ipm", "simplex"])
def test_a_declared_lp_method_solves_with_duals(name: str, method: str) -> None:
    result = get_solver(name).solve(two_column_program(integer=False), SolveOptions(method=method))
    assert result.status == Status.OPTIMAL
    np.testing.assert_allclose(result.x, [1.6, 1.2], atol=1e-7)
    if get_solver(name).capabilities.lp_duals:
        np.testing.assert_allclose(result.row_duals, [-0.4, -0.2], atol=1e-7)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_continuous_columns_are_solved_exactly_when_declared(name: str) -> None:
    backend = backend_or_skip(name)
    result = backend.solve(two_column_program(integer=False))
    if backend.capabilities.continuous_columns:
        assert result.status == Status.OPTIMAL
        assert result.objective == pytest.approx(-2.8)
    else:
        assert result.status == Status.ERROR
        assert "continuous" in result.message


@pytest.mark.parametrize("name", list(SOLVERS))
def test_integer_columns_are_solved_with_a_declared_mip_start(name: str) -> None:
    backend = backend_or_skip(name)
    assert backend.capabilities.integer_columns and backend.capabilities.mip_start
    result = backend.solve(two_column_program(integer=True), SolveOptions(start=np.array([1.0, 1.0])))
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(-2.0)
    np.testing.assert_allclose(result.x, np.round(result.x), atol=1e-6)


def test_solvers_with_lists_the_capable_backends_in_order_of_preference() -> None:
    expected = [name for name in available_solvers() if SOLVERS[name].capabilities.lp_duals]
    assert solvers_with(lp_duals=True) == expected
    assert solvers_with() == available_solvers()
    assert "highs" in solvers_with(lp_duals=True, basis_start=True, continuous_columns=True)


def test_get_solver_picks_the_preferred_backend_with_a_capability() -> None:
    assert get_solver().name == DEFAULT_SOLVER
    assert get_solver(lp_duals=True).name == solvers_with(lp_duals=True)[0]
    assert get_solver(continuous_columns=True, integer_columns=True).name == "highs"


def test_get_solver_refuses_a_named_backend_without_the_capability() -> None:
    lacking = [name for name in available_solvers() if not SOLVERS[name].capabilities.lp_duals]
    if not lacking:
        pytest.skip("every installed backend reports duals")
    with pytest.raises(SolverUnavailableError, match=r"has no lp_duals; installed solvers that have: highs"):
        get_solver(lacking[0], lp_duals=True)


def test_an_unknown_capability_is_an_error_not_a_match() -> None:
    with pytest.raises(TypeError, match="unknown solver capabilities"):
        solvers_with(dual=True)
    with pytest.raises(TypeError, match="unknown solver capabilities"):
        get_solver(warm_start=True)
    assert Capabilities(lp_duals=True).has(lp_duals=True, keep_basis=False)


def test_highs_prints_nothing_on_stdout_even_on_its_first_solve_in_a_process() -> None:
    backend_or_skip("highs")
    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from solvers import get_solver, LinearProgram\n"
        "lp = LinearProgram(np.array([-1.0]), sp.csr_matrix(np.ones((1, 1))), np.array([-np.inf]),\n"
        "                   np.array([1.0]), np.zeros(1), np.array([5.0]), np.zeros(1, bool))\n"
        "print('before')\n"
        "result = get_solver('highs').solve(lp)\n"
        "print('after', result.objective)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "before\nafter -1.0\n"
