"""Solver backends for wfplan's :class:`LinearProgram`, and the registry that picks one.

Backends: ``highs`` (default, HiGHS via highspy), ``cbc`` (CBC via PuLP),
``scip`` and ``cpsat`` (both via OR-Tools).  The backend modules import their
solver library only when they solve or check availability, so importing this
package never fails for a missing library: a missing library makes only its own
backend unavailable, and :func:`get_solver` says which others are installed.

Each backend declares what it can do as :class:`Capabilities` (LP duals,
basis warm start, MIP start, interior point, continuous and integer columns).
Code that needs a capability asks for it, ``get_solver(lp_duals=True)`` or
:func:`solvers_with`, rather than naming a backend; the registry's order is
the order of preference.
"""

from __future__ import annotations

from functools import cache

from .base import (
    Basis,
    Capabilities,
    LinearProgram,
    SolveOptions,
    Solver,
    SolveResult,
    SolverUnavailableError,
    Status,
)
from .cbc import CbcSolver
from .highs import HighsSolver
from .ortools_backends import CpSatSolver, ScipSolver

__all__ = [
    "SOLVERS",
    "DEFAULT_SOLVER",
    "Basis",
    "Capabilities",
    "LinearProgram",
    "SolveOptions",
    "SolveResult",
    "Solver",
    "Status",
    "SolverUnavailableError",
    "available_solvers",
    "get_solver",
    "solvers_with",
]

SOLVERS: dict[str, type[Solver]] = {  # in order of preference
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


def solvers_with(**required: bool) -> list[str]:
    """Names of the backends available here with every capability given as ``name=True``.

    In order of preference (the registry's).  ``solvers_with(lp_duals=True)``
    lists the backends that report LP duals; an unknown capability name is a
    ``TypeError``.
    """
    return [name for name in available_solvers() if SOLVERS[name].capabilities.has(**required)]


def get_solver(name: str | None = None, **required: bool) -> Solver:
    """A ready backend: by name, or the preferred one with the capabilities asked for.

    ``get_solver("cbc")`` is CBC (case-insensitive; ``cp-sat`` is accepted for
    ``cpsat``); ``get_solver(lp_duals=True)`` is the preferred available
    backend that reports LP duals; ``get_solver()`` is :data:`DEFAULT_SOLVER`.
    A name together with capabilities is that backend, checked to have them.

    Raises :class:`~solvers.base.SolverUnavailableError` naming the installed
    alternatives when the backend is unknown, cannot run here, or lacks a
    capability asked for.
    """
    Capabilities().has(**required)  # rejects unknown capability names before anything else
    wanted = sorted(capability for capability, on in required.items() if on)
    if name is None:
        if not wanted:
            name = DEFAULT_SOLVER
        else:
            candidates = solvers_with(**required)
            if not candidates:
                raise SolverUnavailableError(
                    f"no installed solver has {', '.join(wanted)}; installed here: "
                    f"{', '.join(available_solvers()) or 'none'}"
                )
            name = candidates[0]
    backend = _named_solver(name)
    if not backend.capabilities.has(**required):
        missing = [capability for capability in wanted if not getattr(backend.capabilities, capability)]
        with_them = ", ".join(solvers_with(**required)) or "none"
        raise SolverUnavailableError(
            f"solver {backend.name!r} has no {', '.join(missing)}; installed solvers that have: {with_them}"
        )
    return backend


def _named_solver(name: str) -> Solver:
    """A ready backend by name (see :func:`get_solver`)."""
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
