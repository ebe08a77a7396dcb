"""CBC backend, through PuLP's command-line interface to the ``cbc`` executable.

CBC is the solver PuLP ships with, so this backend runs wherever PuLP is
installed: it is the fallback and the cross-check for HiGHS.  PuLP has no array
interface, so the program is rebuilt as PuLP objects: one ``LpVariable`` per
column and, per CSR row, one ``LpAffineExpression`` built from the row's
(variable, coefficient) pairs in a single call.  PuLP then writes an MPS file
and runs ``cbc`` as a subprocess, so each solve carries a fixed cost of a few
tens of milliseconds.

Rows map to PuLP constraints as follows (PuLP has no ranged constraint):

* ``lower == upper``: one equality;
* one finite bound: one ``<=`` or ``>=`` constraint;
* two different finite bounds: a ``>=`` and a ``<=`` constraint;
* no finite bound, or no coefficients: no constraint (an empty row whose
  bounds exclude 0 makes the program infeasible without calling CBC).

Duals (LPs only) follow the HiGHS convention of :mod:`solvers.highs`: d objective
/ d row bound for a minimisation.  A ranged row's dual is the sum of its two
constraints' duals, at most one of which is non-zero at an optimum.

Bound: CBC prints its best bound ("Lower bound:") only in its log, so when not
verbose the log goes to a temporary file and the bound is read from it; if it
cannot be read, the bound is the objective when optimal and None otherwise.

Determinism: CBC's seed 0 means "seed from the time of day", so
``options.seed == 0`` leaves CBC's fixed default seeds alone and any other seed
is passed as ``randomCbcSeed`` and ``randomSeed``.  More than one thread is
requested as ``100 + n``, CBC's "repeatable" parallel mode.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import warnings

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

_LOWER_BOUND = re.compile(r"^Lower bound:\s*(\S+)", re.MULTILINE)
_OBJECTIVE = re.compile(r"^Objective value:\s*(\S+)", re.MULTILINE)


def _cbc_command(**kwargs: object) -> object:
    """A PuLP CBC command: a ``cbc`` on PATH if there is one, else PuLP's bundled binary.

    PuLP 3.3 deprecates its bundled ``PULP_CBC_CMD`` in favour of ``COIN_CMD``
    with a separately installed CBC; the bundled one is still what a plain
    ``pip install pulp`` provides, so it is used (without the deprecation
    warning) when no other CBC is found.
    """
    import pulp

    if shutil.which("cbc"):
        command = pulp.COIN_CMD(**kwargs)
        if command.available():
            return command
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(**kwargs)


def _log_float(pattern: re.Pattern[str], text: str) -> float | None:
    match = pattern.search(text)
    if match is None:
        return None
    try:
        value = float(match.group(1))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


class CbcSolver(Solver):
    """Solve a :class:`LinearProgram` with CBC through PuLP.

    Status: PuLP reports a MIP stopped on the time limit with an incumbent as
    "Optimal" with solution status ``LpSolutionIntegerFeasible``; that is
    :attr:`Status.FEASIBLE` here.  Stopped with no incumbent is
    :attr:`Status.ERROR`.
    """

    name = "cbc"
    capabilities = Capabilities(lp_duals=True, mip_start=True, continuous_columns=True, integer_columns=True)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        try:
            import pulp  # noqa: F401
        except ImportError as exc:
            return f"PuLP does not import ({exc}); install it with `pip install pulp`"
        command = _cbc_command(msg=False)
        if not command.available():
            return "PuLP imports but finds no runnable cbc executable"
        return None

    def _solve(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        import pulp

        if lp.num_cols == 0:
            return solve_without_columns(lp, self.name)
        is_mip = lp.num_integer > 0
        prob = pulp.LpProblem("wfplan", pulp.LpMinimize)
        variables = _pulp_variables(prob, lp)
        # Every column goes into the objective, zeros included, so that a column
        # in no row still reaches CBC (PuLP only writes the variables it has seen).
        prob.setObjective(pulp.LpAffineExpression(
            list(zip(variables, lp.c.tolist(), strict=True)), constant=float(lp.offset),
        ))
        row_constraints = _add_rows(prob, lp, variables)
        if isinstance(row_constraints, int):
            return SolveResult(
                self.name, Status.INFEASIBLE,
                message=f"row {row_constraints} has no coefficients and bounds excluding 0",
            )
        warm = options.start is not None and is_mip
        if warm:
            _set_start(lp, variables, options.start)
        try:
            log_text = _run_cbc(prob, options, is_mip, warm)
        except pulp.PulpSolverError as exc:
            return SolveResult(self.name, Status.ERROR, message=f"CBC failed: {exc}")
        return self._result(lp, prob, variables, row_constraints, log_text, is_mip)

    def _result(
        self,
        lp: LinearProgram,
        prob: object,
        variables: list[object],
        row_constraints: dict[int, list[object]],
        log_text: str,
        is_mip: bool,
    ) -> SolveResult:
        """Map PuLP's status pair and values to a :class:`SolveResult`."""
        import pulp

        status, sol_status = prob.status, prob.sol_status
        message = f"CBC: {pulp.LpStatus.get(status, status)}"
        message += f" / {pulp.LpSolution.get(sol_status, sol_status)}"
        extra: dict[str, object] = {"pulp_status": status, "pulp_sol_status": sol_status}
        if status == pulp.LpStatusInfeasible:
            return SolveResult(self.name, Status.INFEASIBLE, message=message, extra=extra)
        if status == pulp.LpStatusUnbounded:
            return SolveResult(self.name, Status.UNBOUNDED, message=message, extra=extra)
        if status != pulp.LpStatusOptimal:
            return SolveResult(self.name, Status.ERROR, message=message, extra=extra)
        if sol_status == pulp.LpSolutionOptimal:
            result_status = Status.OPTIMAL
        elif sol_status == pulp.LpSolutionIntegerFeasible:
            result_status = Status.FEASIBLE
        else:
            return SolveResult(self.name, Status.ERROR, message=message, extra=extra)

        x = np.array([v.varValue if v.varValue is not None else np.nan for v in variables])
        if np.isnan(x).any():
            return SolveResult(self.name, Status.ERROR, message=message + " (no values)")
        objective = float(lp.c @ x + lp.offset)
        result = SolveResult(self.name, result_status, objective=objective, x=x,
                             message=message, extra=extra)

        # CBC's log reports the objective without PuLP's constant; shift its
        # bound by the same difference as its objective.
        log_bound = _log_float(_LOWER_BOUND, log_text)
        log_objective = _log_float(_OBJECTIVE, log_text)
        if is_mip and log_bound is not None and log_objective is not None:
            result.bound = min(log_bound + (objective - log_objective), objective)
        elif result_status == Status.OPTIMAL:
            result.bound = objective

        if not is_mip and result_status == Status.OPTIMAL:
            duals = np.zeros(lp.num_rows)
            for i, constraints in row_constraints.items():
                pis = [constraint.pi for constraint in constraints]
                if any(pi is None for pi in pis):
                    break
                duals[i] = sum(pis)
            else:
                result.row_duals = duals
                result.col_duals = np.array(
                    [v.dj if v.dj is not None else np.nan for v in variables]
                )
                if np.isnan(result.col_duals).any():
                    result.col_duals = None
        return result


def _pulp_variables(prob: object, lp: LinearProgram) -> list[object]:
    """One PuLP variable per column, named ``x<j>``, with the column's bounds and type."""
    import pulp

    # PuLP >= 3.3 deprecates constructing LpVariable directly in favour of
    # prob.add_variable; older PuLP (>= 2.8 is supported) only has the former.
    make_variable = getattr(prob, "add_variable", None) or pulp.LpVariable
    return [
        make_variable(
            f"x{j}",
            float(lo) if math.isfinite(lo) else None,
            float(up) if math.isfinite(up) else None,
            pulp.LpInteger if integer else pulp.LpContinuous,
        )
        for j, (lo, up, integer) in enumerate(
            zip(lp.col_lower.tolist(), lp.col_upper.tolist(), lp.integrality.tolist(), strict=True)
        )
    ]


def _add_rows(prob: object, lp: LinearProgram, variables: list[object]) -> dict[int, list[object]] | int:
    """Add ``lp``'s rows to ``prob`` as the module docstring describes.

    Returns each row's PuLP constraints by row index (to gather duals
    afterwards), or the index of an empty row whose bounds exclude 0 (the
    program is then infeasible and nothing is left to solve).
    """
    import pulp

    row_constraints: dict[int, list[object]] = {}
    A = lp.A.tocsr()
    indptr, indices, data = A.indptr, A.indices.tolist(), A.data.tolist()
    for i, (lo, up) in enumerate(zip(lp.row_lower.tolist(), lp.row_upper.tolist(), strict=True)):
        start, end = int(indptr[i]), int(indptr[i + 1])
        if start == end:
            if lo > 0.0 or up < 0.0:
                return i
            continue
        if not (math.isfinite(lo) or math.isfinite(up)):
            continue
        terms = list(zip([variables[j] for j in indices[start:end]], data[start:end], strict=True))
        if lo == up:
            senses = [(pulp.LpConstraintEQ, lo, f"r{i}")]
        else:
            senses = []
            if math.isfinite(lo):
                senses.append((pulp.LpConstraintGE, lo, f"r{i}_lo"))
            if math.isfinite(up):
                senses.append((pulp.LpConstraintLE, up, f"r{i}_up"))
        constraints: list[object] = []
        for sense, rhs, name in senses:
            constraint = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs)
            prob.addConstraint(constraint, name)
            constraints.append(constraint)
        row_constraints[i] = constraints
    return row_constraints


def _set_start(lp: LinearProgram, variables: list[object], start: np.ndarray) -> None:
    """A known plan (the level before's) as CBC's starting point for branch and bound.

    Integer columns are rounded and every value is clipped to its bounds: a plan
    feasible to the last solver's tolerance may be 1e-13 outside them.
    """
    start = np.clip(np.where(lp.integrality, np.round(start), start), lp.col_lower, lp.col_upper)
    for variable, value in zip(variables, start.tolist(), strict=True):
        variable.setInitialValue(value)


def _run_cbc(prob: object, options: SolveOptions, is_mip: bool, warm: bool) -> str:
    """Solve ``prob`` with CBC; return CBC's log (empty when verbose: it went to the console).

    Raises ``pulp.PulpSolverError`` when CBC fails to run.
    """
    log_dir = None if options.verbose else tempfile.mkdtemp(prefix="wfplan-cbc-")
    log_path = None if log_dir is None else os.path.join(log_dir, "cbc.log")
    extra_options: list[str] = []
    if options.seed:
        extra_options += [f"randomCbcSeed {int(options.seed)}", f"randomSeed {int(options.seed)}"]
    if options.threads > 1:
        extra_options.append(f"threads {100 + int(options.threads)}")
    command = _cbc_command(
        # CBC reports a run stopped before it starts (a 0.01 s limit) as "infeasible": give it a second
        mip=is_mip, msg=bool(options.verbose),
        timeLimit=None if options.time_limit is None else max(float(options.time_limit), 1.0),
        gapRel=float(options.mip_gap), options=extra_options, logPath=log_path, warmStart=warm,
    )
    try:
        prob.solve(command)
        if log_path is None or not os.path.exists(log_path):
            return ""
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    finally:
        if log_dir is not None:
            shutil.rmtree(log_dir, ignore_errors=True)
