"""Solver backends for wfplan's :class:`LinearProgram`, and the registry that picks one.

Backends: ``highs`` (default, HiGHS via highspy), ``cbc`` (CBC via PuLP),
``scip`` and ``cpsat`` (both via OR-Tools).  The backend modules import their
solver library only when they solve or check availability, so importing this
package never fails for a missing library: a missing library makes only its own
backend unavailable, and :func:`get_solver` says which others are installed.
"""

from __future__ import annotations

from functools import cache

from .base import Basis, LinearProgram, SolveOptions, Solver, SolveResult, SolverUnavailableError, Status
from .cbc import CbcSolver
from .highs import HighsSolver
from .ortools_backends import CpSatSolver, ScipSolver

__all__ = [
    "SOLVERS",
    "DEFAULT_SOLVER",
    "Basis",
    "LinearProgram",
    "SolveOptions",
    "SolveResult",
    "Solver",
    "Status",
    "SolverUnavailableError",
    "available_solvers",
    "get_solver",
]

SOLVERS: dict[str, type[Solver]] = {
    "highs": HighsSolver,
    "cbc": CbcSolver,
    "cpsat": CpSatSolver,
    "scip": ScipSolver,
}
DEFAULT_SOLVER = "highs"


@cache
def _unavailable_reason(name: str) -> str | None:
    """Why backend ``name`` cannot run here, or None; cached (it may import a library)."""
    try:
        return SOLVERS[name].unavailable_reason()
    except Exception as exc:  # a broken install must not take the registry down
        return f"{type(exc).__name__}: {exc}"


def available_solvers() -> list[str]:
    """Names of the backends that can run here, in registry order."""
    return [name for name in SOLVERS if _unavailable_reason(name) is None]


def get_solver(name: str = DEFAULT_SOLVER) -> Solver:
    """A ready backend by name (case-insensitive; ``cp-sat`` is accepted for ``cpsat``).

    Raises :class:`~solvers.base.SolverUnavailableError` naming the installed
    alternatives when ``name`` is unknown or its library cannot run here.
    """
    key = name.strip().lower().replace("-", "").replace("_", "")
    installed = ", ".join(available_solvers()) or "none"
    if key not in SOLVERS:
        raise SolverUnavailableError(
            f"unknown solver {name!r}; choose one of: {', '.join(SOLVERS)} "
            f"(installed here: {installed})"
        )
    reason = _unavailable_reason(key)
    if reason is not None:
        raise SolverUnavailableError(
            f"solver {key!r} is not available: {reason}; installed here: {installed}"
        )
    return SOLVERS[key]()
