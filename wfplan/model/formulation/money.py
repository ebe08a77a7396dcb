"""Money: ARRS claims and entitlements, employment cost and spend, budgets.

The maths is stated in :mod:`wfplan.model.formulation`; this module builds it.
Each quantity is a named expression defined here once (``staff_fte``,
``claimable_fte``, ``arrs_claim_gbp``, ``employment_cost``, ``spend``, ...):
rows and objectives use it, and the plan tables evaluate it at the plan.
"""

from __future__ import annotations

import numpy as np

from wfplan.model import levels as level_catalogue
from wfplan.model.axes import BUDGET_ROWS, ENTITLEMENT_ROWS, PCN_ROLE_PERIOD, POT_ROWS
from wfplan.model.builder import ModelBuilder
from wfplan.model.inputs import ModelInputs

UNBOUNDED_CLAIM_WTE = 1e4
"""Big M of the baseline switch where neither a number cap nor an entitlement bounds a claim."""

ENTITLEMENT_MARGIN = 0.01
"""GBP kept unclaimed per PCN and year so that solver rounding never overruns the entitlement."""


def claims(m: ModelBuilder, inputs: ModelInputs) -> None:
    """Claim columns (WTE per PCN, role and period) within claimable FTE above the 2019
    baseline, the number cap, and each PCN's entitlement (the main sum, or a ring-fenced pot)."""
    P, R, T = inputs.shape
    eligible = inputs.claim_rate > 0
    claim = m.add_variables("claim_wte", (P, R, T), upper=inputs.arrs_wte_cap, mask=eligible, axes=PCN_ROLE_PERIOD)
    claim_expressions(m, inputs, claim)
    base = np.broadcast_to(inputs.baseline_fte[:, :, None], (P, R, T))
    rows = m.add_constraints("claim_within_fte", (P, R, T), upper=0.0, axes=PCN_ROLE_PERIOD)
    m.add_terms(rows, claim, 1.0)
    m.add_expression_terms(np.where(eligible, rows, -1), "claimable_fte", -1.0)
    above_mask = eligible & (base > 0)
    if above_mask.any():
        # claimable = FTE - baseline when FTE >= baseline, else nothing (binary 'above', see claim_switch_on)
        above = m.add_variables("above_baseline", (P, R, T), upper=1.0, integer=True, mask=above_mask, axes=PCN_ROLE_PERIOD)
        big = claim_upper_bound(inputs)
        r1 = m.add_constraints("claim_needs_above", (P, R, T), upper=0.0, axes=PCN_ROLE_PERIOD)
        m.add_terms(r1, np.where(above_mask, claim, -1), 1.0)
        m.add_terms(r1, above, -big)
        r2 = m.add_constraints("claim_minus_baseline", (P, R, T), upper=0.0, axes=PCN_ROLE_PERIOD)
        m.add_terms(r2, np.where(above_mask, claim, -1), 1.0)
        m.add_expression_terms(np.where(above_mask, r2, -1), "claimable_fte", -1.0)
        m.add_terms(r2, above, base)
    ent = inputs.entitlement
    if len(ent):
        # a penny of margin: backends that report 8 significant digits (CBC) stay within the amount
        upper = np.maximum(ent["amount"].to_numpy(float) - ENTITLEMENT_MARGIN, 0.0)
        rows = m.add_constraints("entitlement", (len(ent),), upper=upper, axes=ENTITLEMENT_ROWS)
        year_of_t = inputs.period_years
        _rows_over_cells(m, "main_claim_gbp", [
            (rows[i], (pi, slice(None), year_of_t == year))
            for i, (pi, year) in enumerate(zip(ent["pi"], ent["year"], strict=True))])
    pots = inputs.pot_entitlement
    if len(pots):
        # a ring-fenced pot pays its roles' claims, and only those (the main sum's rows leave them out)
        upper = np.maximum(pots["amount"].to_numpy(float) - ENTITLEMENT_MARGIN, 0.0)
        rows = m.add_constraints("pot_entitlement", (len(pots),), upper=upper, axes=POT_ROWS)
        year_of_t = inputs.period_years
        cells = []
        for i, (pi, year, pot) in enumerate(zip(pots["pi"], pots["year"], pots["pot"], strict=True)):
            in_pot = np.zeros((P, R, T), dtype=bool)
            in_pot[pi] = (inputs.arrs_pot == pot) & (year_of_t == year)[None, :]
            cells.append((rows[i], in_pot))
        _rows_over_cells(m, "ring_fenced_claim_gbp", cells)


def claim_upper_bound(inputs: ModelInputs) -> np.ndarray:
    """Per PCN, role and period: the most WTE that could ever be claimed, the big M
    of the baseline switch (claim <= M x above).

    The number cap where there is one; and since claims cost entitlement
    (claim x rate summed over a year <= the amount), never more than the
    year's entitlement over the claim rate.  A tight M keeps the LP relaxation
    close to the switch's meaning: with no cap, the old constant 1e4 let a
    switch at 0.001 carry 10 WTE of claims.  Cells bounded by neither keep
    :data:`UNBOUNDED_CLAIM_WTE`.
    """
    P, R, T = inputs.shape
    allowance = np.full((P, R, T), np.inf)  # GBP of the sum that pays the claim, for the PCN's year of t
    year_of_t = inputs.period_years
    for pi, year, amount in zip(inputs.entitlement["pi"], inputs.entitlement["year"], inputs.entitlement["amount"],
                                strict=True):
        allowance[pi, :, year_of_t == year] = float(amount)
    pots = inputs.pot_entitlement
    for pi, year, pot, amount in zip(pots["pi"], pots["year"], pots["pot"], pots["amount"], strict=True):
        allowance[pi][(inputs.arrs_pot == pot) & (year_of_t == year)[None, :]] = float(amount)
    rate = inputs.claim_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        affordable = np.where(rate > 0, allowance / rate, np.inf)
    bound = np.minimum(inputs.arrs_wte_cap, affordable)
    return np.where(np.isfinite(bound), bound, UNBOUNDED_CLAIM_WTE)


def budgets(m: ModelBuilder, inputs: ModelInputs) -> None:
    """Each limited budget: its roles' spend net of ARRS claims within the amount (+ overrun)."""
    budgets = inputs.budgets
    limited = budgets[budgets["amount"].notna()].reset_index(drop=True)
    if limited.empty:
        return
    year_of_t = inputs.period_years
    overrun = m.add_variables("budget_overrun", (len(limited),), axes=BUDGET_ROWS)
    rows = m.add_constraints("budget", (len(limited),), upper=limited["amount"].to_numpy(float), axes=BUDGET_ROWS)
    m.add_terms(rows, overrun, -1.0)
    m.add_objective(level_catalogue.BUDGET.name, overrun, 1.0)
    role_budget = np.array([b or "" for b in inputs.funding_budget])
    cells = []
    for i, row in limited.iterrows():
        roles = np.flatnonzero(role_budget == row["budget"])
        ts = np.flatnonzero(year_of_t == row["year"])
        if len(roles) == 0 or len(ts) == 0 or len(row["members"]) == 0:
            continue
        cells.append((rows[i], np.ix_(row["members"], roles, ts)))
    _rows_over_cells(m, "spend", cells)
    _rows_over_cells(m, "arrs_claim_gbp", cells, -1.0)


def _rows_over_cells(m: ModelBuilder, expression: str, cells: list[tuple[int, object]], scale: float = 1.0) -> None:
    """Add, to each row, ``scale`` x the sum of a (p x r x t) expression over the row's
    cells (an index into the grid).  Rows whose cells do not overlap share one pass."""
    shape = m.expressions[expression].shape
    target = np.full(shape, -1, dtype=np.int64)
    for row, where in cells:
        if (target[where] >= 0).any():  # a cell already summed into another row: flush first
            m.add_expression_terms(target, expression, scale)
            target[:] = -1
        target[where] = row
    if (target >= 0).any():
        m.add_expression_terms(target, expression, scale)


def staff_expressions(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, not_claimable: np.ndarray) -> None:
    """``staff_fte`` (staff in post x participation) and ``claimable_fte`` (less the FTE
    recruited through a route not claimable in its year: what ARRS claims may use)."""
    shape = inputs.shape
    part = np.broadcast_to(inputs.participation[None, :, None], shape)
    cells = np.arange(stock.size).reshape(shape)
    m.add_expression("staff_fte", shape)
    m.add_to_expression("staff_fte", cells, stock, part)
    m.add_expression("claimable_fte", shape, extends="staff_fte")
    m.add_to_expression("claimable_fte", cells, not_claimable, -part)


def claim_switch_on(inputs: ModelInputs, claimable_fte: np.ndarray) -> np.ndarray:
    """Per PCN, role and period: whether staff above the 2019 baseline can be claimed
    (the ``above_baseline`` switch a staffing implies): claimable FTE at or above the baseline."""
    return claimable_fte >= inputs.baseline_fte[:, :, None] - 1e-9


def claim_expressions(m: ModelBuilder, inputs: ModelInputs, claim: np.ndarray) -> None:
    """GBP the ARRS pays for the claimed WTE per PCN, role and period: ``arrs_claim_gbp``
    in all, ``main_claim_gbp`` from the main sum and ``ring_fenced_claim_gbp`` from a pot."""
    shape = inputs.shape
    cells = np.arange(claim.size).reshape(shape)
    for name, rate in (("arrs_claim_gbp", inputs.claim_rate), ("main_claim_gbp", inputs.arrs_rate),
                       ("ring_fenced_claim_gbp", inputs.pot_rate)):
        m.add_expression(name, shape)
        m.add_to_expression(name, cells, claim, np.where(inputs.claim_rate > 0, rate, 0.0))


def spend_expressions(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, released: np.ndarray,
                      over: np.ndarray, short_time: np.ndarray) -> None:
    """``employment_cost`` (staff in post x cost per head) and ``spend``: that plus
    redundancy, overstaffing, short-time and course costs (charged to the from-role's
    cells), per PCN, role and period.  Spend is what the cost level minimises and
    what budgets limit (net of claims)."""
    P, R, T = shape = inputs.shape
    cells = np.arange(P * R * T).reshape(shape)
    m.add_expression("employment_cost", shape)
    m.add_to_expression("employment_cost", cells, stock, np.broadcast_to(inputs.cost_per_head[None], shape))
    m.add_expression("spend", shape, extends="employment_cost")
    for ids, cost in ((released, inputs.redundancy_cost), (over, inputs.over_cost), (short_time, inputs.short_cost)):
        m.add_to_expression("spend", cells, ids, np.broadcast_to(np.nan_to_num(cost)[None, :, None], shape))
    started = m.variables.get("started")
    if started is not None and len(inputs.transitions):
        tcost = inputs.transitions["cost_per_person"].to_numpy(float)
        for k, from_ri in enumerate(inputs.transitions["from_ri"].to_numpy(int)):
            m.add_to_expression("spend", cells[:, from_ri, :], started.ids[:, k, :], tcost[k])
