"""SCIP and CP-SAT backends, both through OR-Tools' ``pywraplp`` MIP wrapper.

OR-Tools bundles SCIP (a branch-and-cut MIP solver) and CP-SAT (a constraint
programming / SAT solver with strong MIP-like search), so one ``pip install
ortools`` gives two independent solvers to cross-check HiGHS and CBC against.
``pywraplp`` has no array interface: variables are created with
``NumVar``/``IntVar`` and each CSR row becomes a ``RowConstraint(lb, ub)`` with
one ``SetCoefficient`` call per nonzero (about 1 s per million nonzeros).

What each backend reports:

* SCIP: status, objective, ``bound`` (``Objective().BestBound()``, offset
  included), ``x``.  No duals: ``pywraplp`` treats every SCIP model as a MIP and
  refuses dual values even for a pure LP, so ``row_duals``/``col_duals`` are None
  (use HiGHS or CBC for duals).
* CP-SAT: status, objective, ``bound``, ``x`` for **all-integer programs only**.
  OR-Tools 9.15 accepts continuous variables in CP-SAT through ``pywraplp`` but
  silently discretises them and may then report a wrong answer as OPTIMAL
  (``min -x - y  s.t.  3x + y <= 1, x + 3y <= 1`` comes back "optimal" at 0
  instead of -0.5).  Its ``only_solve_ip`` parameter turns that into
  MODEL_INVALID with no explanation.  So a program with any continuous column
  is not handed to CP-SAT: the result is :attr:`Status.ERROR` with a message
  saying CP-SAT needs an all-integer program.  Non-integer *coefficients* are
  fine: CP-SAT scales them to integers (to about 1e-6 relative precision).

Both take ``options.start`` as a solution hint (``SetHint``), which SCIP
tries as a first plan and CP-SAT searches from.

Both: a stop on the time limit with an incumbent is :attr:`Status.FEASIBLE`,
without one :attr:`Status.ERROR`; a gap-limit stop is OPTIMAL (as the solvers
report it).  When a solver can only say "infeasible or unbounded" (CP-SAT's
presolve does, as status UNKNOWN), the program is re-solved with a zero
objective to tell the two apart.

Determinism: SCIP runs single-threaded with ``randomization/randomseedshift`` =
``options.seed``; CP-SAT gets ``random_seed`` = ``options.seed`` and
``num_workers`` = ``options.threads`` (1 by default, which is deterministic;
CP-SAT's multi-worker search is not).
"""

from __future__ import annotations

import math

import numpy as np

from .base import (
    Capabilities,
    LinearProgram,
    SolveOptions,
    Solver,
    SolveResult,
    Status,
    solve_without_columns,
)

# MPSolver::ResultStatus values, plus MPSOLVER_UNKNOWN_STATUS (99), which
# pywraplp passes through when CP-SAT's presolve stops at "infeasible or unbounded".
_OPTIMAL, _FEASIBLE, _INFEASIBLE, _UNBOUNDED, _ABNORMAL, _MODEL_INVALID, _NOT_SOLVED = range(7)
_UNKNOWN = 99
SOLVER_INFINITY = 1e20
"""SCIP's infinity: a bound of -1e20 means "no bound yet", not a number."""
_STATUS_NAMES = {
    _OPTIMAL: "optimal", _FEASIBLE: "feasible", _INFEASIBLE: "infeasible",
    _UNBOUNDED: "unbounded", _ABNORMAL: "abnormal", _MODEL_INVALID: "model invalid",
    _NOT_SOLVED: "not solved", _UNKNOWN: "unknown (infeasible or unbounded)",
}


class _PywraplpSolver(Solver):
    """Shared model building and status mapping for the ``pywraplp`` backends."""

    solver_id: str = ""  # the name pywraplp.Solver.CreateSolver takes

    @classmethod
    def unavailable_reason(cls) -> str | None:
        try:
            from ortools.linear_solver import pywraplp
        except ImportError as exc:
            return f"OR-Tools does not import ({exc}); install it with `pip install ortools`"
        if pywraplp.Solver.CreateSolver(cls.solver_id) is None:
            return f"this OR-Tools build has no {cls.solver_id} solver"
        return None

    def _configure(self, solver: object, options: SolveOptions) -> None:
        """Backend-specific parameters (seeds, workers)."""

    def _refuse(self, lp: LinearProgram) -> SolveResult | None:
        """A result when the backend cannot take ``lp`` at all, else None."""
        return None

    def _solve(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        refused = self._refuse(lp)
        if refused is not None:
            return refused
        if lp.num_cols == 0:
            return solve_without_columns(lp, self.name)
        status, solver, variables = self._run(lp, options)
        if status == _UNKNOWN:
            return self._infeasible_or_unbounded(lp, options)

        message = f"{self.solver_id}: {_STATUS_NAMES.get(status, f'status {status}')}"
        if status == _INFEASIBLE:
            return SolveResult(self.name, Status.INFEASIBLE, message=message)
        if status == _UNBOUNDED:
            return SolveResult(self.name, Status.UNBOUNDED, message=message)
        if status not in (_OPTIMAL, _FEASIBLE):
            if status == _NOT_SOLVED and options.time_limit is not None:
                message += " (time limit reached with no feasible plan)"
            return SolveResult(self.name, Status.ERROR, message=message)

        objective = solver.Objective()
        x = np.fromiter((v.solution_value() for v in variables), dtype=np.float64,
                        count=len(variables))
        bound = float(objective.BestBound())
        return SolveResult(
            self.name, Status.OPTIMAL if status == _OPTIMAL else Status.FEASIBLE,
            objective=float(objective.Value()),
            bound=bound if abs(bound) < SOLVER_INFINITY else None,
            x=x, message=message,
            extra={"wall_ms": int(solver.wall_time())},
        )

    def _run(self, lp: LinearProgram, options: SolveOptions) -> tuple[int, object, list[object]]:
        """Build ``lp`` in a fresh pywraplp solver and solve it; return (status, solver, vars)."""
        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver(self.solver_id)
        if options.verbose:
            solver.EnableOutput()
        else:
            solver.SuppressOutput()
        solver.SetNumThreads(int(options.threads))
        self._configure(solver, options)
        if options.time_limit is not None:
            solver.SetTimeLimit(max(1, math.ceil(options.time_limit * 1000)))

        # pywraplp's infinity is IEEE infinity, so numpy's bounds pass through as they are.
        variables = [
            solver.IntVar(lo, up, "") if integer else solver.NumVar(lo, up, "")
            for lo, up, integer in zip(
                lp.col_lower.tolist(), lp.col_upper.tolist(), lp.integrality.tolist(), strict=True
            )
        ]
        A = lp.A.tocsr()
        indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
        for i, (lo, up) in enumerate(
            zip(lp.row_lower.tolist(), lp.row_upper.tolist(), strict=True)
        ):
            row = solver.RowConstraint(lo, up, "")
            for k in range(indptr[i], indptr[i + 1]):
                row.SetCoefficient(variables[indices[k]], data[k])
        objective = solver.Objective()
        for j in np.flatnonzero(lp.c).tolist():
            objective.SetCoefficient(variables[j], float(lp.c[j]))
        objective.SetOffset(float(lp.offset))
        objective.SetMinimization()
        if options.start is not None and lp.num_integer:
            # a known plan (the level before's): the solver tries it first
            solver.SetHint(variables, np.asarray(options.start, dtype=float).tolist())

        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, float(options.mip_gap))
        return solver.Solve(params), solver, variables

    def _infeasible_or_unbounded(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        """Tell "infeasible" from "unbounded": with a zero objective only feasibility is left."""
        status, _, _ = self._run(lp.with_objective(np.zeros_like(lp.c)), options)
        if status in (_OPTIMAL, _FEASIBLE):
            return SolveResult(self.name, Status.UNBOUNDED, message=f"{self.solver_id}: unbounded")
        if status == _INFEASIBLE:
            return SolveResult(self.name, Status.INFEASIBLE,
                               message=f"{self.solver_id}: infeasible")
        return SolveResult(self.name, Status.ERROR,
                           message=f"{self.solver_id}: infeasible or unbounded")


class ScipSolver(_PywraplpSolver):
    """Solve a :class:`LinearProgram` with SCIP via OR-Tools (no duals; see the module doc)."""

    name = "scip"
    capabilities = Capabilities(mip_start=True, continuous_columns=True, integer_columns=True)
    solver_id = "SCIP"

    def _configure(self, solver: object, options: SolveOptions) -> None:
        if options.seed:
            solver.SetSolverSpecificParametersAsString(
                f"randomization/randomseedshift = {int(options.seed)}\n"
            )


class CpSatSolver(_PywraplpSolver):
    """Solve an all-integer :class:`LinearProgram` with CP-SAT via OR-Tools.

    A program with continuous columns is refused with :attr:`Status.ERROR`
    rather than solved: CP-SAT would discretise those columns and could report a
    wrong plan as optimal (see the module docstring).
    """

    name = "cpsat"
    capabilities = Capabilities(mip_start=True, integer_columns=True)  # no continuous columns: see above
    solver_id = "CP-SAT"

    def _refuse(self, lp: LinearProgram) -> SolveResult | None:
        continuous = lp.num_cols - lp.num_integer
        if continuous == 0:
            return None
        first = int(np.flatnonzero(~lp.integrality.astype(bool))[0])
        label = lp.col_names[first] if lp.col_names else f"column {first}"
        return SolveResult(
            self.name, Status.ERROR,
            message=(
                f"CP-SAT needs an all-integer program, but this one has {continuous} "
                f"continuous column(s) (first: {label}); CP-SAT would discretise them and "
                "could report a wrong optimum. Use highs, cbc or scip for it."
            ),
        )

    def _configure(self, solver: object, options: SolveOptions) -> None:
        solver.SetSolverSpecificParametersAsString(
            f"random_seed:{int(options.seed)} num_workers:{max(1, int(options.threads))}"
        )
