"""HiGHS backend: the whole program handed to highspy as arrays in one call.

HiGHS is the default solver of wfplan: it is open source (MIT), ships as a
wheel (``highspy``), solves LPs with duals and MIPs with a proven bound.  The
:class:`~solvers.base.LinearProgram` arrays are passed straight to
``Highs.passModel`` in row-wise (CSR) form, so building the model costs a few
array conversions and no Python loop over coefficients.

Sign convention of the duals (HiGHS's own, unchanged): the program is a
minimisation, and

* ``row_duals[i]`` is d objective / d (the active bound of row i): raising the
  upper bound of a binding ``<=`` row by one changes the objective by
  ``row_duals[i]`` (so it is <= 0 for a binding ``<=`` row and >= 0 for a
  binding ``>=`` row); it is 0 for a row whose bounds are not binding;
* ``col_duals[j]`` is the reduced cost ``c[j] - A[:, j] @ row_duals``, i.e.
  d objective / d (the active bound of column j).

Duals are reported for pure LPs only (no integer columns): a MIP has no
meaningful duals.  So is the optimal basis (when asked for), and a basis in
the options is taken as the simplex start of a pure LP.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np

from .base import (
    Basis,
    Capabilities,
    LinearProgram,
    SolveOptions,
    Solver,
    SolveResult,
    Status,
    solve_without_columns,
)

_MATRIX_ROWWISE = 2  # HighsMatrixFormat::kRowwise
_SENSE_MINIMISE = 1  # ObjSense::kMinimize
_SOLUTION_FEASIBLE = 2  # SolutionStatus::kSolutionStatusFeasible

# HiGHS runs every solve on one process-wide task scheduler whose size is fixed
# the first time it starts; a later solve asking for another thread count fails
# unless the scheduler is reset first.  The lock keeps that reset from racing
# a solve running in another Python thread of this process.
_scheduler_lock = threading.Lock()
_scheduler_threads: int | None = None


_banner_discarded = False


def _new_highs() -> object:
    """A fresh ``highspy.Highs`` whose construction prints nothing on stdout.

    Constructing ``highspy.Highs`` registers its Python callback dispatcher,
    and that first call prints the HiGHS banner on stdout once per process,
    before any option (``output_flag``) can be set on the instance.  A banner
    on stdout would corrupt output a user pipes (``--json``), so the first
    instance of the process is created with file descriptor 1 pointed at the
    null device; HiGHS never prints the banner again in this process.  Only
    the public class is used (the compiled ``_core._Highs`` it wraps is
    private and may change between highspy releases).  Callers hold
    ``_scheduler_lock``, so no other solve runs while the descriptor is moved;
    wfplan's progress display writes to stderr, which is untouched.
    """
    import highspy

    global _banner_discarded
    if _banner_discarded:
        return highspy.Highs()
    _banner_discarded = True
    sys.stdout.flush()
    try:
        saved_stdout = os.dup(1)
    except OSError:  # no stdout to protect
        return highspy.Highs()
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved_stdout, 1)
        os.close(saved_stdout)
        os.close(null)


def _reset_scheduler() -> None:
    """Discard HiGHS's global task scheduler so the next run starts one of the right size."""
    import highspy

    highspy.Highs.resetGlobalScheduler(True)


def _ensure_scheduler(threads: int) -> None:
    """Reset HiGHS's global scheduler when ``threads`` differs from its current size."""
    global _scheduler_threads
    if _scheduler_threads is not None and _scheduler_threads != threads:
        _reset_scheduler()
    _scheduler_threads = threads


def _set_basis(h: object, basis: Basis) -> None:
    """Hand ``basis`` to HiGHS as the simplex start (HiGHS repairs a basis that is not one)."""
    import highspy

    by_code = [highspy.HighsBasisStatus(code) for code in range(5)]  # looked up, not built per entry
    start = highspy.HighsBasis()
    start.col_status = [by_code[code] for code in basis.col_status.tolist()]
    start.row_status = [by_code[code] for code in basis.row_status.tolist()]
    start.valid = True
    h.setBasis(start)


def _get_basis(h: object) -> Basis | None:
    """HiGHS's current basis as status codes, or None when it has no valid basis."""
    basis = h.getBasis()
    if not basis.valid:
        return None
    return Basis(np.fromiter((int(s) for s in basis.col_status), dtype=np.int8),
                 np.fromiter((int(s) for s in basis.row_status), dtype=np.int8))


def _objective_scale(c: np.ndarray) -> float:
    """The power of two that brings an LP objective's largest coefficient near 1.

    A cost level (coefficients in pounds, up to 10^4) solved with the goal levels
    held in tight rows made HiGHS 1.16 stop with "Not Set" after 20 s on N&W; the
    same objective divided by 2^13 solves in 2 s.  A power of two divides and
    multiplies back exactly, so the objective and duals reported are unchanged in
    every bit that matters and reruns stay identical.  Objectives already at or
    below 1 are left alone.
    """
    largest = float(np.max(np.abs(c))) if c.size else 0.0
    if not np.isfinite(largest) or largest <= 1.0:
        return 1.0
    return float(2.0 ** round(np.log2(largest)))


class HighsSolver(Solver):
    """Solve a :class:`LinearProgram` with HiGHS (``highspy``).

    Reports ``bound`` as HiGHS's MIP dual bound for a MIP and the objective for
    an LP, and row/column duals for an optimal pure LP (see the module docstring
    for their sign).  A MIP stopped by the time limit with an incumbent is
    :attr:`Status.FEASIBLE`; one stopped with no incumbent is :attr:`Status.ERROR`.
    A MIP stopped because the relative gap fell below ``options.mip_gap`` is
    reported as :attr:`Status.OPTIMAL`, as HiGHS does; the achieved gap is in
    ``extra["mip_gap"]``.
    """

    name = "highs"
    capabilities = Capabilities(
        lp_duals=True, basis_start=True, keep_basis=True, mip_start=True, interior_point=True,
        continuous_columns=True, integer_columns=True,
    )

    @classmethod
    def unavailable_reason(cls) -> str | None:
        try:
            import highspy  # noqa: F401
        except ImportError as exc:
            return f"highspy does not import ({exc}); install it with `pip install highspy`"
        return None

    def _solve(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        if lp.num_cols == 0:
            return solve_without_columns(lp, self.name)
        with _scheduler_lock:
            _ensure_scheduler(options.threads)
            return self._run(lp, options)

    def _run(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        """One solve in a fresh HiGHS instance: configure, load, start, run, read."""
        import highspy

        is_mip = lp.num_integer > 0
        scale = 1.0 if is_mip else _objective_scale(lp.c)
        h = _configured_highs(lp, options)
        if _pass_model(h, lp, scale) == highspy.HighsStatus.kError:
            return SolveResult(self.name, Status.ERROR, message="HiGHS rejected the model")
        _give_starts(h, lp, options, is_mip)
        run_status, model_status = _run_recovering(h, options, is_mip)
        if model_status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            return self._infeasible_or_unbounded(lp, options)

        message = f"HiGHS: {h.modelStatusToString(model_status)}"
        extra: dict[str, object] = {"model_status": str(model_status)}
        has_plan = h.getInfo().primal_solution_status == _SOLUTION_FEASIBLE
        result_status, note = _result_status(run_status, model_status, has_plan)
        message += note
        if not result_status.has_solution:
            return SolveResult(self.name, result_status, message=message, extra=extra)
        result = SolveResult(self.name, result_status, message=message, extra=extra)
        _read_solution(h, result, scale, is_mip, options.keep_basis)
        return result

    def _infeasible_or_unbounded(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        """Decide "infeasible or unbounded" by asking whether any plan exists at all.

        With a zero objective the program cannot be unbounded, so HiGHS answers
        feasibility outright; a feasible program whose solve was "infeasible or
        unbounded" is unbounded.
        """
        probe = self._run(lp.with_objective(np.zeros_like(lp.c)), options)
        if probe.status.has_solution:
            return SolveResult(self.name, Status.UNBOUNDED, message="HiGHS: unbounded")
        if probe.status == Status.INFEASIBLE:
            return SolveResult(self.name, Status.INFEASIBLE, message="HiGHS: infeasible")
        return SolveResult(self.name, Status.ERROR, message="HiGHS: infeasible or unbounded")


def _configured_highs(lp: LinearProgram, options: SolveOptions) -> object:
    """A fresh HiGHS instance with ``options`` set (quiet unless verbose)."""
    h = _new_highs()
    h.setOptionValue("output_flag", bool(options.verbose))
    h.setOptionValue("log_to_console", bool(options.verbose))
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("random_seed", int(options.seed))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.method in ("simplex", "ipm") and lp.num_integer == 0 and options.basis is None:
        # the interior point method (with crossover, for a basis and duals) is much
        # faster on wfplan's degenerate goal levels; a warm basis needs the simplex
        h.setOptionValue("solver", options.method)
    return h


def _pass_model(h: object, lp: LinearProgram, scale: float) -> object:
    """Hand ``lp`` to HiGHS as row-wise arrays, objective divided by ``scale``; HiGHS's status."""
    A = lp.A.tocsr()
    return h.passModel(
        lp.num_cols, lp.num_rows, int(A.nnz), _MATRIX_ROWWISE, _SENSE_MINIMISE,
        float(lp.offset) / scale,
        np.ascontiguousarray(lp.c / scale, dtype=np.float64),
        np.ascontiguousarray(lp.col_lower, dtype=np.float64),
        np.ascontiguousarray(lp.col_upper, dtype=np.float64),
        np.ascontiguousarray(lp.row_lower, dtype=np.float64),
        np.ascontiguousarray(lp.row_upper, dtype=np.float64),
        np.ascontiguousarray(A.indptr, dtype=np.int32),
        np.ascontiguousarray(A.indices, dtype=np.int32),
        np.ascontiguousarray(A.data, dtype=np.float64),
        # Always a full array: an empty one is read past its end by HiGHS 1.16.
        np.ascontiguousarray(lp.integrality, dtype=np.int32),
    )


def _give_starts(h: object, lp: LinearProgram, options: SolveOptions, is_mip: bool) -> None:
    """A MIP start (``options.start``) for a MIP, a simplex basis (``options.basis``) for an LP."""
    import highspy

    if options.start is not None and is_mip:
        solution = highspy.HighsSolution()
        solution.col_value = list(np.asarray(options.start, dtype=float))
        h.setSolution(solution)
    if options.basis is not None and not is_mip and options.basis.fits(lp):
        _set_basis(h, options.basis)


def _run_recovering(h: object, options: SolveOptions, is_mip: bool) -> tuple[object, object]:
    """Run HiGHS, retrying where a second run is known to succeed; (run status, model status).

    Three recoveries: a scheduler started elsewhere with another thread count
    (reset it), a simplex or interior point run that gave up on a degenerate LP
    (try the other method), and presolve's "infeasible or unbounded" (run
    without presolve, which says which).  A model status still "infeasible or
    unbounded" is left to the caller.
    """
    import highspy

    MS = highspy.HighsModelStatus
    run_status = h.run()
    model_status = h.getModelStatus()
    if run_status == highspy.HighsStatus.kError and model_status == MS.kNotset:
        # Most likely the scheduler was started elsewhere in this process with
        # another thread count (HiGHS refuses to run then): reset it and retry.
        _reset_scheduler()
        run_status = h.run()
        model_status = h.getModelStatus()
    if not is_mip and model_status in (MS.kNotset, MS.kSolveError):
        # The dual simplex can give up on a thin, degenerate LP (a cost level with
        # the goals held, 16k columns): the interior point method, with crossover
        # for the basis and duals, solves it.
        h.clearSolver()
        h.setOptionValue("solver", "simplex" if options.method == "ipm" else "ipm")
        run_status = h.run()
        model_status = h.getModelStatus()
    if model_status == MS.kUnboundedOrInfeasible:
        # Presolve proved "infeasible or unbounded"; without it HiGHS says which.
        h.setOptionValue("presolve", "off")
        run_status = h.run()
        model_status = h.getModelStatus()
    return run_status, model_status


def _result_status(run_status: object, model_status: object, has_plan: bool) -> tuple[Status, str]:
    """wfplan's status for HiGHS's run and model status, and a note for the message."""
    import highspy

    MS = highspy.HighsModelStatus
    if model_status == MS.kInfeasible:
        return Status.INFEASIBLE, ""
    if model_status == MS.kUnbounded:
        return Status.UNBOUNDED, ""
    if model_status == MS.kOptimal and run_status != highspy.HighsStatus.kError:
        return Status.OPTIMAL, ""
    if model_status in (MS.kLoadError, MS.kModelError, MS.kPresolveError,
                        MS.kSolveError, MS.kPostsolveError, MS.kNotset):
        return Status.ERROR, ""
    if has_plan:
        return Status.FEASIBLE, ""  # time/iteration/solution limit, interrupt
    return Status.ERROR, " (no feasible plan found)"


def _read_solution(h: object, result: SolveResult, scale: float, is_mip: bool, keep_basis: bool) -> None:
    """Fill ``result`` from a run with a plan: x, objective, bound, and an LP's duals and basis."""
    info = h.getInfo()
    solution = h.getSolution()
    result.objective = float(info.objective_function_value) * scale
    result.x = np.asarray(solution.col_value, dtype=np.float64)
    if is_mip:
        bound = float(info.mip_dual_bound)
        result.bound = bound if np.isfinite(bound) else None
        result.extra["mip_gap"] = float(info.mip_gap)
        result.extra["mip_nodes"] = int(info.mip_node_count)
        return
    optimal = result.status == Status.OPTIMAL
    result.bound = result.objective if optimal else None
    result.extra["simplex_iterations"] = int(info.simplex_iteration_count)
    if optimal and solution.dual_valid:
        result.row_duals = np.asarray(solution.row_dual, dtype=np.float64) * scale
        result.col_duals = np.asarray(solution.col_dual, dtype=np.float64) * scale
    if optimal and keep_basis:
        result.basis = _get_basis(h)
