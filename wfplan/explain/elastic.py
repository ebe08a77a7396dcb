"""The elastic (goal) program behind :mod:`wfplan.explain.diagnose`: the model with a
slack on every relaxable limit, the slacks' weighted sum minimised.

Every hard row of the chosen families gets a non-negative slack column
(``A x - s <= upper`` or ``A x + s >= lower``; both for exact requirements),
and every finite column limit of a limit family (transition places,
overstaffing, short-time) becomes a row ``x - s <= limit``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from solvers import SolveOptions, Status, get_solver
from solvers.base import LinearProgram
from wfplan.model.formulation import Model

GOAL_FAMILIES = ("hard_target", "exact_short", "exact_over")


RULE_FAMILIES = ("supply", "entitlement", "overstaffing_total", "transition_share", "transition_limit",
                 "overstaffing_limit", "short_time_limit")


FAMILIES = GOAL_FAMILIES + RULE_FAMILIES
"""Every family that can be relaxed (pass a subset to :func:`diagnose` to choose)."""


RULES_AFTER_GOALS = 1000.0
"""First pass: a rule's slack weighs this much more than a goal's."""


GBP_WEIGHT = 1e-4
"""GBP slacks (entitlement) weigh this per GBP: GBP 10,000 like one person."""


@dataclass
class Elastic:
    """One relaxable limit: a row bound or a column upper bound of the model."""

    family: str
    kind: str  # "row_up": A x - s <= ub; "row_down": A x + s >= lb; "col_up": x - s <= ub
    index: int  # row id or column id
    weight: float  # relative weight within its pass (people = 1, GBP = GBP_WEIGHT)
    info: tuple


def elastic_catalogue(model: Model, lp: LinearProgram, families: tuple[str, ...] = FAMILIES) -> list[Elastic]:
    """Every relaxable limit of the chosen families in a built model (``lp`` its program)."""
    b, inputs = model.builder, model.inputs
    lp_upper = lp.col_upper
    out: list[Elastic] = []
    cells = inputs.targets.frame
    if "targets" in b.constraints and len(cells):
        rows = b.constraints["targets"].ids
        span = cells.groupby(["target", "area"])["t"].transform("count").to_numpy(float)
        for i, cell in cells.iterrows():
            w = 1.0 / max(span[i], 1.0)
            if cell["kind"] == "at_least" and cell["hard"] and "hard_target" in families:
                out.append(Elastic("hard_target", "row_down", int(rows[i]), w, (i,)))
            elif cell["kind"] == "exact":
                if "exact_short" in families:
                    out.append(Elastic("exact_short", "row_down", int(rows[i]), w, (i,)))
                if "exact_over" in families:
                    out.append(Elastic("exact_over", "row_up", int(rows[i]), w, (i,)))
    if "supply" in families and "supply" in b.constraints:
        for i, row_id in enumerate(b.constraints["supply"].ids):
            out.append(Elastic("supply", "row_up", int(row_id), 1.0, (i,)))
    if "entitlement" in families and "entitlement" in b.constraints:
        for i, row_id in enumerate(b.constraints["entitlement"].ids):
            out.append(Elastic("entitlement", "row_up", int(row_id), GBP_WEIGHT, (i,)))
    if "overstaffing_total" in families and "overstaffing_total" in b.constraints:
        for t, row_id in enumerate(b.constraints["overstaffing_total"].ids):
            out.append(Elastic("overstaffing_total", "row_up", int(row_id), 1.0, (t,)))
    if "transition_share" in families:
        for name, block in b.constraints.items():
            if name.startswith("transition_share["):
                for (p, t), row_id in np.ndenumerate(block.ids):
                    out.append(Elastic("transition_share", "row_up", int(row_id), 1.0, (name[17:-1], p, t)))
    for family, block in (("transition_limit", "started"), ("overstaffing_limit", "overstaffed"),
                          ("short_time_limit", "short_time")):
        if family not in families or block not in b.variables:
            continue
        for idx, col in np.ndenumerate(b.variables[block].ids):
            if col >= 0 and np.isfinite(lp_upper[col]):
                out.append(Elastic(family, "col_up", int(col), 1.0, idx))
    return out


def elastic_program(lp: LinearProgram, elastics: list[Elastic], weights: np.ndarray) -> LinearProgram:
    """``lp`` with one slack column per elastic limit and the weighted slack sum as objective."""
    n, m, e = lp.num_cols, lp.num_rows, len(elastics)
    slack_cols = n + np.arange(e)
    row_el = [(k, el) for k, el in enumerate(elastics) if el.kind != "col_up"]
    col_el = [(k, el) for k, el in enumerate(elastics) if el.kind == "col_up"]
    S = sp.csr_matrix(
        ([-1.0 if el.kind == "row_up" else 1.0 for _, el in row_el],
         ([el.index for _, el in row_el], [k for k, _ in row_el])), shape=(m, e))
    A = sp.hstack([lp.A, S], format="csr")
    col_upper = np.concatenate([lp.col_upper, np.full(e, np.inf)])
    row_lower, row_upper = lp.row_lower, lp.row_upper
    if col_el:
        k_rows = len(col_el)
        data = np.concatenate([np.ones(k_rows), -np.ones(k_rows)])
        r = np.concatenate([np.arange(k_rows), np.arange(k_rows)])
        c = np.concatenate([[el.index for _, el in col_el], slack_cols[[k for k, _ in col_el]]])
        extra = sp.csr_matrix((data, (r, c)), shape=(k_rows, n + e))
        A = sp.vstack([A, extra], format="csr")
        limits = np.array([lp.col_upper[el.index] for _, el in col_el])
        row_lower = np.concatenate([row_lower, np.full(k_rows, -np.inf)])
        row_upper = np.concatenate([row_upper, limits])
        col_upper[[el.index for _, el in col_el]] = np.inf
    c = np.concatenate([np.zeros(n), weights])
    return LinearProgram(c, A, row_lower, row_upper, np.concatenate([lp.col_lower, np.zeros(e)]), col_upper,
                         np.concatenate([lp.integrality, np.zeros(e, dtype=bool)]))


def solve_elastic(prog: LinearProgram, solver: str, time_limit: float | None, gap: float, notes: list[str]):
    backend = get_solver(solver)
    options = SolveOptions(time_limit=time_limit, mip_gap=gap)
    result = backend.solve(prog, options)
    fallback = get_solver(continuous_columns=True, integer_columns=True)  # takes any program (HiGHS)
    if result.status == Status.ERROR and backend.name != fallback.name:
        notes.append(f"{backend.name} could not solve the elastic program ({result.message}); used {fallback.name}")
        result = fallback.solve(prog, options)
    return result
