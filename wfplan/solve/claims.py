"""The claims step: with staffing settled, who pays (ARRS claims maximised over the claim columns only)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from solvers import SolveOptions, SolveResult
from solvers.base import LinearProgram
from wfplan.model.formulation import CLAIMS_FREE_VARIABLES, Model
from wfplan.solve.tolerances import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, largest_coefficient

CLAIMS_MINIMUM_SECONDS = 30.0


def claims_columns(model: Model, num_cols: int) -> np.ndarray:
    """Columns the claims step may change (see :data:`CLAIMS_FREE_VARIABLES`)."""
    free = np.zeros(num_cols, dtype=bool)
    for name in CLAIMS_FREE_VARIABLES:
        block = model.builder.variables.get(name)
        if block is not None:
            free[block.ids[block.ids >= 0]] = True
    return free


def solve_claims(backend, lp: LinearProgram, x: np.ndarray, free: np.ndarray, c: np.ndarray,
                 held: list[np.ndarray], base_rows: int, options: SolveOptions) -> SolveResult:
    """The claims step: every column but ``free`` (claims, the above-baseline
    switches, budget overruns) fixed at ``x``, ``c`` minimised over the rest.

    Only the model's own rows that touch a free column remain, their bounds
    moved by the fixed columns' activity, so levels settled by staffing (a
    GBP 70m cost row, say) drop out instead of making the step badly scaled.
    Levels that free columns can change (budget overrun, netted of claims)
    are minimised again here and held, then claims are maximised.  The
    switches are then settled at whole values and the same solved again as
    a pure LP: a switch at 1e-9 (integrality tolerance) times a big M would
    otherwise allow a claim below the baseline.

    The result's ``x`` is the whole plan; its duals are those of the step's
    own program, whose first rows are the model rows listed in
    ``extra["model_rows"]`` (the held levels come after them).
    """
    # the last level's plan is feasible to the solver's tolerance (a stock of -7e-7): clean it first
    x = np.clip(x, lp.col_lower, lp.col_upper)
    x[lp.integrality] = np.round(x[lp.integrality])
    fixed = ~free
    A = lp.A[:base_rows].tocsc()
    A_free, A_fixed = A[:, free].tocsr(), A[:, fixed].tocsr()
    used = np.diff(A_free.indptr) > 0
    activity = (A_fixed @ x[fixed])[used]
    program = LinearProgram(np.zeros(int(free.sum())), A_free[used], lp.row_lower[:base_rows][used] - activity,
                            lp.row_upper[:base_rows][used] - activity, lp.col_lower[free], lp.col_upper[free],
                            lp.integrality[free])
    levels = [(vec[free], float(vec[fixed] @ x[fixed])) for vec in held if np.any(vec[free])]
    options = SolveOptions(options.time_limit, options.mip_gap, options.threads, options.seed)

    def lexicographic(program: LinearProgram) -> SolveResult:
        for vec, constant in levels:
            result = backend.solve(program.with_objective(vec), options)
            if not result.status.has_solution:
                return result
            value = float(vec @ result.x)
            total = abs(value + constant)
            tol = max(ABSOLUTE_TOLERANCE * largest_coefficient(vec), RELATIVE_TOLERANCE * total)
            program = program.with_rows(sp.csr_matrix(vec.reshape(1, -1)), np.array([-np.inf]),
                                        np.array([value + tol]))
        return backend.solve(program.with_objective(c[free]), options)

    result = lexicographic(program)
    switches = program.integrality
    if result.x is not None and switches.any():
        settled = program.with_objective(program.c)
        settled.col_lower, settled.col_upper = program.col_lower.copy(), program.col_upper.copy()
        settled.col_lower[switches] = settled.col_upper[switches] = np.round(result.x[switches])
        settled.integrality = np.zeros_like(switches)
        again = lexicographic(settled)
        if again.x is not None:
            result = again
    if result.x is not None:
        full = x.copy()
        full[free] = result.x
        result.x = full
    result.extra["model_rows"] = np.flatnonzero(used)
    return result
