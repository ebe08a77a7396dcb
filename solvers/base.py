"""The one solver interface: a solver-neutral linear program in arrays, and a result.

wfplan builds its model once as sparse arrays (:class:`LinearProgram`), in the
manner of linopy and PyPSA rather than one Python object per coefficient.
Every backend in this package takes that program and returns a
:class:`SolveResult`; nothing outside ``solvers/`` knows which solver ran.

The program is::

    minimise    c @ x + offset
    subject to  row_lower <= A @ x <= row_upper
                col_lower <= x <= col_upper
                x[j] integer where integrality[j]

Infinite bounds are ``numpy.inf``.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

DEFAULT_GAP = 1e-4
"""The relative gap at which a MIP level counts as solved, unless a user asks for another."""


class SolverUnavailableError(Exception):
    """A requested solver backend is not installed or cannot run here."""


@dataclass
class LinearProgram:
    """A mixed-integer linear program held as arrays (minimisation)."""

    c: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray  # bool per column
    offset: float = 0.0
    col_names: list[str] | None = None
    row_names: list[str] | None = None

    @property
    def num_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def num_integer(self) -> int:
        return int(self.integrality.sum())

    def relaxed(self) -> LinearProgram:
        """The same program with every integrality requirement dropped."""
        return LinearProgram(
            self.c, self.A, self.row_lower, self.row_upper, self.col_lower, self.col_upper,
            np.zeros_like(self.integrality), self.offset, self.col_names, self.row_names,
        )

    def with_objective(self, c: np.ndarray, offset: float = 0.0) -> LinearProgram:
        return LinearProgram(
            c, self.A, self.row_lower, self.row_upper, self.col_lower, self.col_upper,
            self.integrality, offset, self.col_names, self.row_names,
        )

    def with_rows(self, A_extra: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray) -> LinearProgram:
        """The program with extra constraint rows appended (used by lexicographic solves)."""
        names = None
        if self.row_names is not None:
            names = self.row_names + [f"extra[{i}]" for i in range(A_extra.shape[0])]
        return LinearProgram(
            self.c, sp.vstack([self.A, A_extra], format="csr"),
            np.concatenate([self.row_lower, lower]), np.concatenate([self.row_upper, upper]),
            self.col_lower, self.col_upper, self.integrality, self.offset,
            self.col_names, names,
        )


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a plan, not proven optimal (time limit or gap)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"  # numerical trouble or a solver failure with no plan

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class Basis:
    """A simplex basis of an LP, as a warm start for another LP of the same shape.

    One status per column and per row, in HiGHS's codes: 0 at the lower
    bound, 1 basic, 2 at the upper bound, 3 free at zero, 4 nonbasic.  Many
    LPs that differ only in numbers (a sweep's samples) share an optimal basis
    or nearly; starting from it skips most simplex iterations.
    """

    col_status: np.ndarray
    row_status: np.ndarray

    def fits(self, lp: LinearProgram) -> bool:
        """Whether this basis has one status per column and per row of ``lp``."""
        return len(self.col_status) == lp.num_cols and len(self.row_status) == lp.num_rows


@dataclass
class SolveOptions:
    time_limit: float | None = None
    mip_gap: float = DEFAULT_GAP
    threads: int = 1
    seed: int = 0
    verbose: bool = False
    start: np.ndarray | None = None  # a known feasible point (MIP start) where the backend takes one
    basis: Basis | None = None  # LP warm start where the backend takes one (and the shape fits)
    keep_basis: bool = False  # report the optimal LP basis in SolveResult.basis, where the backend has one
    method: str = "auto"  # LP algorithm where the backend offers a choice: "auto", "simplex" or "ipm"


@dataclass
class SolveResult:
    """What every backend reports."""

    solver: str
    status: Status
    objective: float | None = None
    bound: float | None = None
    x: np.ndarray | None = None
    row_duals: np.ndarray | None = None  # LP only: d objective / d row bound
    col_duals: np.ndarray | None = None  # LP only: reduced costs
    solve_seconds: float = 0.0
    message: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    basis: Basis | None = None  # optimal LP basis, when asked for (SolveOptions.keep_basis)

    @property
    def gap(self) -> float | None:
        """Relative gap |objective - bound| / max(1, |objective|); 0 when proven optimal."""
        if self.status == Status.OPTIMAL:
            return 0.0
        if self.objective is None or self.bound is None:
            return None
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, declared as data (compare linopy's solver features).

    Callers that need something of a solver (duals for marginal values, a
    backend that takes continuous columns as a fallback) ask the registry for
    a backend with that capability (:func:`solvers.solvers_with`,
    :func:`solvers.get_solver`) instead of naming one.  Each flag is pinned by
    ``tests/test_solver_capabilities.py`` against what the backend really does.
    """

    lp_duals: bool = False
    """Row and column duals of an optimal pure LP (``SolveResult.row_duals``/``col_duals``)."""
    basis_start: bool = False
    """Takes ``SolveOptions.basis`` as an LP's simplex start."""
    keep_basis: bool = False
    """Reports an optimal LP's basis (``SolveResult.basis``) when ``SolveOptions.keep_basis``."""
    mip_start: bool = False
    """Takes ``SolveOptions.start`` as a MIP's starting plan or hint."""
    interior_point: bool = False
    """Honours ``SolveOptions.method`` ("simplex" or "ipm", with crossover for duals and basis)."""
    continuous_columns: bool = False
    """Solves programs with continuous columns (LPs and mixed programs)."""
    integer_columns: bool = False
    """Solves programs with integer columns."""

    @classmethod
    def names(cls) -> list[str]:
        """The capability names, in declaration order."""
        return [f.name for f in fields(cls)]

    def has(self, **required: bool) -> bool:
        """Whether every capability given as ``name=True`` is present (``name=False`` asks nothing).

        Raises ``TypeError`` for a name that is not a capability (a typo must
        not silently match every backend).
        """
        unknown = sorted(set(required) - set(self.names()))
        if unknown:
            raise TypeError(f"unknown solver capabilities {unknown}; known: {self.names()}")
        return all(getattr(self, name) for name, wanted in required.items() if wanted)


class Solver(ABC):
    """Base class of every backend: one method, :meth:`solve`, and its declared :class:`Capabilities`."""

    name: str = "abstract"
    capabilities: ClassVar[Capabilities] = Capabilities()

    @classmethod
    def available(cls) -> bool:
        """Whether the backend's library imports and can create a solver here."""
        return cls.unavailable_reason() is None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why the backend cannot run here (for error messages), or None when it can."""
        return None

    def solve(self, lp: LinearProgram, options: SolveOptions | None = None) -> SolveResult:
        options = options or SolveOptions()
        started = time.perf_counter()
        result = self._solve(lp, options)
        result.solve_seconds = time.perf_counter() - started
        if result.x is not None:
            result.x = np.asarray(result.x, dtype=float)
        return result

    @abstractmethod
    def _solve(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        """Solve ``lp``; return status, objective (including ``lp.offset``), bound and x."""


def solve_without_columns(lp: LinearProgram, solver: str) -> SolveResult:
    """The answer for a program with no columns, which solvers treat inconsistently.

    With no variables every row's activity is 0, so the program is feasible
    exactly when 0 lies within every row's bounds, and its objective is the
    offset.  Backends call this instead of handing an empty model to a library
    (HiGHS calls it "empty" whatever its rows say; others refuse it).
    """
    feasible = bool(np.all(lp.row_lower <= 0.0) and np.all(lp.row_upper >= 0.0))
    if not feasible:
        return SolveResult(
            solver, Status.INFEASIBLE,
            message="no variables, and some row's bounds exclude an activity of 0",
        )
    objective = float(lp.offset)
    return SolveResult(
        solver, Status.OPTIMAL, objective=objective, bound=objective, x=np.zeros(0),
        row_duals=np.zeros(lp.num_rows), col_duals=np.zeros(0),
        message="program has no variables",
    )
