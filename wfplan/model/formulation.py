"""The formulation: every variable, constraint and objective of a wfplan plan.

Indices: PCN ``p``, role ``r``, period ``t`` (quarter or year), transition
``k``.  All blocks are numpy arrays over these grids (see
:mod:`wfplan.model.builder`).  The maths, in the users' terms
(``shared/domain.md`` section 6):

Stock and flow, per (p, r, t)::

    stock[t] = stock[t-1] + starters[t] - leavers[t] - released[t]
               - sum_k started[k, t] (k leaving r) + sum_k completed[k, t] (k arriving in r)
    expected leavers[t] = attrition[r] * stock[t-1] + entry_loss[r] * starters[t]

``entry_loss`` is the first-year leaving rate (per year step) or its excess
over the experienced rate (quarter step).  In LP mode leavers equal their
expectation.  In integer mode (whole people) the *cumulative* leavers stay
within :data:`LEAVER_WINDOW` of the cumulative expectation (at most one person
behind, half a person ahead), so leavers are whole people and attrition does
not vanish in small PCNs by rounding each quarter.
Training pipelines and retraining: people ``started[k, t]`` stay in the
from-role until ``t + lead``, when they leave it and ``completed[k, t + lead]``
= success rate x ``started[k, t]`` join the to-role (cumulatively within half a
person when integer).

Recruitment supply: sum of starters over the PCNs of an area <= max starters.

ARRS: ``claim[p, r, t]`` WTE <= FTE in post above the March 2019 baseline, <=
the number cap; sum over a year of claim x min(cost, cap) x reimbursement /
4 <= the PCN's entitlement.  Other spend (cost not reimbursed) is charged to
the role's named budget, limited where the budget gives an amount (an
overrun is allowed only as a top-priority goal, so it is reported, never
hidden).

Goals: ``at_least`` targets (measure + shortfall >= required), ``exact``
requirements (staff - overstaffing - (1 - capacity) x short-time =
required), appointment demand (capacity + unmet >= required); shortfalls
and unmet demand are priced by priority level.

Objective levels, solved lexicographically by default (see
:mod:`wfplan.model.solve`): ``budget`` overrun, then target and demand
priorities ``p1`` .. ``p9`` (with ``fairness`` after ``p1`` when asked),
then ``final``: cost (or redundancy), with optional hiring smoothing.  Cost is
the whole cost of the planned staff, whoever pays; last, with staffing fixed,
ARRS claims are maximised (:data:`CLAIMS_LEVEL`), which settles who pays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wfplan.model.builder import INF, ModelBuilder
from wfplan.model.inputs import ModelInputs

LEAVER_WINDOW = (-1.0, 0.5)
"""Integer mode: cumulative leavers minus cumulative expected attrition stays in
this range: leavers may lag the expectation by up to one person and lead it by
at most half a person (rounding), so early leaving is never a free redundancy
beyond rounding.  Measured on N&W: a (-0.5, 0.5) window left the first goal
level unsolved in 200 s; (-1, 1) solved it in ~10 s but let Williams shed a
person for free (841 < the LP's 841.797); (-1, 0) stalled the demand level."""

UNBOUNDED_CLAIM_WTE = 1e4
"""Big M of the baseline switch where neither a number cap nor an entitlement bounds a claim."""

ENTITLEMENT_MARGIN = 0.01
"""GBP kept unclaimed per PCN and year so that solver rounding never overruns the entitlement."""

FEASIBILITY_LEVEL = "feasibility"
"""The only level of a model with no objective terms (an all-zero objective)."""

CLAIMS_LEVEL = "claims"
"""Objective of the last, continuous step: with staffing fixed, claim as much ARRS
as the rules allow (entitlement does not carry forward)."""

CLAIMS_FREE_VARIABLES = ("claim_wte", "above_baseline", "budget_overrun")
"""What the claims step may change; every other column (staffing, shortfalls,
costs) keeps the value the levels above settled."""


@dataclass
class Model:
    """A built model: the builder (blocks, objective levels) and its inputs."""

    builder: ModelBuilder
    inputs: ModelInputs
    level_order: list[str]


def build(inputs: ModelInputs) -> Model:
    """Build the whole model as array blocks."""
    m = ModelBuilder()
    P, R, T = inputs.shape
    ppy = inputs.horizon.periods_per_year
    integer = inputs.integer
    part = inputs.participation[None, :, None]

    # stock is integral whenever the flows are (balance below), so it is left
    # continuous: marking it integer made HiGHS branch on it (N&W cost level
    # stalled at a 12.7% gap; continuous: 1.5% in a minute)
    stock = m.add_variables("stock", (P, R, T))
    starters = m.add_variables("starters", (P, R, T), integer=integer, mask=inputs.recruitable)
    leavers = m.add_variables("leavers", (P, R, T), integer=integer)
    release_ok = ~np.isnan(inputs.redundancy_cost)
    released = m.add_variables("released", (P, R, T), integer=integer,
                               mask=np.broadcast_to(release_ok[None, :, None], (P, R, T)))
    over_ok = ~np.isnan(inputs.over_cost)
    over = m.add_variables("overstaffed", (P, R, T), upper=inputs.over_limit[None, :, None],
                           mask=np.broadcast_to(over_ok[None, :, None], (P, R, T)))
    short_ok = ~np.isnan(inputs.short_cost) & (inputs.short_limit > 0)
    short_time = m.add_variables("short_time", (P, R, T), upper=inputs.short_limit[None, :, None],
                                 integer=integer, mask=np.broadcast_to(short_ok[None, :, None], (P, R, T)))

    # --- stock and flow --------------------------------------------------
    rhs = np.zeros((P, R, T))
    rhs[:, :, 0] = inputs.initial
    balance = m.add_constraints("balance", (P, R, T), lower=rhs, upper=rhs)
    m.add_terms(balance, stock, 1.0)
    m.add_terms(balance[:, :, 1:], stock[:, :, :-1], -1.0)
    m.add_terms(balance, starters, -1.0)
    m.add_terms(balance, leavers, 1.0)
    m.add_terms(balance, released, 1.0)

    a = inputs.attrition[None, :, None]
    e = inputs.entry_loss[None, :, None]
    expected_initial = np.zeros((P, R, T))
    expected_initial[:, :, 0] = inputs.attrition[None, :] * inputs.initial
    if integer:
        # drift[t] = drift[t-1] + leavers[t] - expected[t], |drift| <= 1/2
        drift = m.add_variables("leaver_rounding", (P, R, T), lower=LEAVER_WINDOW[0], upper=LEAVER_WINDOW[1])
        rows = m.add_constraints("leavers", (P, R, T), lower=expected_initial, upper=expected_initial)
        m.add_terms(rows, leavers, 1.0)
        m.add_terms(rows[:, :, 1:], stock[:, :, :-1], -a)
        m.add_terms(rows, starters, -e)
        m.add_terms(rows, drift, -1.0)
        m.add_terms(rows[:, :, 1:], drift[:, :, :-1], 1.0)
    else:
        rows = m.add_constraints("leavers", (P, R, T), lower=expected_initial, upper=expected_initial)
        m.add_terms(rows, leavers, 1.0)
        m.add_terms(rows[:, :, 1:], stock[:, :, :-1], -a)
        m.add_terms(rows, starters, -e)

    _transitions(m, inputs, stock, balance)

    # --- recruitment supply ---------------------------------------------
    sup = inputs.supply
    if len(sup):
        rows = m.add_constraints("supply", (len(sup),), upper=sup["max_starters"].to_numpy(float))
        for i, (ri, t, members) in enumerate(zip(sup["ri"], sup["t"], sup["members"], strict=True)):
            m.add_terms(np.full(len(members), rows[i]), starters[members, ri, t], 1.0)

    # --- ARRS claims and entitlement ----------------------------------------
    eligible = inputs.arrs_rate > 0
    claim = m.add_variables("claim_wte", (P, R, T), upper=inputs.arrs_wte_cap, mask=eligible)
    base = np.broadcast_to(inputs.baseline_fte[:, :, None], (P, R, T))
    rows = m.add_constraints("claim_within_fte", (P, R, T), upper=0.0)
    m.add_terms(rows, claim, 1.0)
    m.add_terms(rows, np.where(eligible, stock, -1), -np.broadcast_to(part, (P, R, T)))
    above_mask = eligible & (base > 0)
    if above_mask.any():
        # claimable = FTE - baseline when FTE >= baseline, else nothing (binary 'above')
        above = m.add_variables("above_baseline", (P, R, T), upper=1.0, integer=True, mask=above_mask)
        big = claim_upper_bound(inputs)
        r1 = m.add_constraints("claim_needs_above", (P, R, T), upper=0.0)
        m.add_terms(r1, np.where(above_mask, claim, -1), 1.0)
        m.add_terms(r1, above, -big)
        r2 = m.add_constraints("claim_minus_baseline", (P, R, T), upper=0.0)
        m.add_terms(r2, np.where(above_mask, claim, -1), 1.0)
        m.add_terms(r2, np.where(above_mask, stock, -1), -np.broadcast_to(part, (P, R, T)))
        m.add_terms(r2, above, base)
    ent = inputs.entitlement
    if len(ent):
        # a penny of margin: backends that report 8 significant digits (CBC) stay within the amount
        upper = np.maximum(ent["amount"].to_numpy(float) - ENTITLEMENT_MARGIN, 0.0)
        rows = m.add_constraints("entitlement", (len(ent),), upper=upper)
        year_of_t = inputs.period_years
        for i, (pi, year) in enumerate(zip(ent["pi"], ent["year"], strict=True)):
            ts = np.flatnonzero(year_of_t == year)
            m.add_terms(rows[i], claim[pi, :, ts], inputs.arrs_rate[pi, :, ts])

    # --- spend --------------------------------------------------------------
    cost_fte = (inputs.annual_cost / ppy)[None, :, None] * part  # GBP per head per period
    spend_terms: list[tuple[np.ndarray, np.ndarray]] = [
        (stock, np.broadcast_to(cost_fte, (P, R, T))),
        (released, np.broadcast_to(np.nan_to_num(inputs.redundancy_cost)[None, :, None], (P, R, T))),
        (over, np.broadcast_to(np.nan_to_num(inputs.over_cost)[None, :, None], (P, R, T))),
        (short_time, np.broadcast_to(np.nan_to_num(inputs.short_cost)[None, :, None], (P, R, T))),
    ]
    started = m.variables.get("started")
    if started is not None and len(inputs.transitions):
        tcost = inputs.transitions["cost_per_person"].to_numpy(float)
        from_ri = inputs.transitions["from_ri"].to_numpy(int)
        # charge transition costs to the from-role's cells
        for k in range(len(tcost)):
            ids = np.full((P, R, T), -1, dtype=np.int64)
            ids[:, from_ri[k], :] = started.ids[:, k, :]
            spend_terms.append((ids, np.full((P, R, T), tcost[k])))
    claim_money = np.where(eligible, inputs.arrs_rate, 0.0)
    _budgets(m, inputs, spend_terms, claim, claim_money)
    for ids, coefs in spend_terms:
        m.add_objective("final_cost", ids, coefs)
    m.add_objective(CLAIMS_LEVEL, claim, -claim_money)
    m.add_objective("final_redundancy", released, 1.0)

    # --- goals ---------------------------------------------------------------
    _targets(m, inputs, stock, over, short_time)
    _demand(m, inputs, stock, short_time)
    _smoothing(m, inputs, starters)

    objective = inputs.scenario.manifest.objective
    levels = ["budget"] + [f"p{k}" for k in range(1, 10)]
    if objective.fairness:
        levels.insert(2, "fairness")
    levels.append("final_redundancy" if objective.minimise == "redundancy" else "final_cost")
    if objective.minimise == "redundancy":
        levels.append("final_cost")
    levels.append(CLAIMS_LEVEL)
    present = [lv for lv in levels if lv in m.objective_levels]
    # nothing to optimise (no goal, cost or claim): still solve once, for a feasible plan
    return Model(m, inputs, present or [FEASIBILITY_LEVEL])


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
    allowance = np.full((P, T), np.inf)  # GBP of entitlement for the PCN's year of t
    ent = inputs.entitlement
    if len(ent):
        year_of_t = inputs.period_years
        for pi, year, amount in zip(ent["pi"], ent["year"], ent["amount"], strict=True):
            allowance[pi, year_of_t == year] = float(amount)
    rate = inputs.arrs_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        affordable = np.where(rate > 0, allowance[:, None, :] / rate, np.inf)
    bound = np.minimum(inputs.arrs_wte_cap, affordable)
    return np.where(np.isfinite(bound), bound, UNBOUNDED_CLAIM_WTE)


def _transitions(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, balance: np.ndarray) -> None:
    tr = inputs.transitions
    if tr.empty:
        return
    P, R, T = inputs.shape
    K = len(tr)
    max_per = tr["max_per_period"].astype(float).fillna(np.inf).to_numpy()
    started = m.add_variables("started", (P, K, T), upper=max_per[None, :, None], integer=inputs.integer)
    completed = m.add_variables("completed", (P, K, T), integer=inputs.integer)
    from_ri = tr["from_ri"].to_numpy(int)
    to_ri = tr["to_ri"].to_numpy(int)
    lead = tr["lead_periods"].to_numpy(int)
    success = tr["success_rate"].to_numpy(float)
    for k in range(K):
        # trainees stay in the from-role until their course ends, then move (or leave)
        if lead[k] < T:
            m.add_terms(balance[:, from_ri[k], lead[k]:], started[:, k, : T - lead[k]], 1.0)
        m.add_terms(balance[:, to_ri[k], :], completed[:, k, :], -1.0)
    rows = m.add_constraints("completions", (P, K, T), lower=0.0, upper=0.0)
    m.add_terms(rows, completed, 1.0)
    if inputs.integer:
        drift = m.add_variables("completion_rounding", (P, K, T), lower=-0.5, upper=0.5)
        m.add_terms(rows, drift, -1.0)
        m.add_terms(rows[:, :, 1:], drift[:, :, :-1], 1.0)
    for k in range(K):
        if lead[k] < T:
            m.add_terms(rows[:, k, lead[k]:], started[:, k, : T - lead[k]], -success[k])
    # people on a course (started in (t - lead, t]) are part of the from-role's stock at t
    for r in np.unique(from_ri[lead > 0]):
        rows = m.add_constraints(f"in_training[{inputs.roles[r]}]", (P, T), upper=0.0)
        m.add_terms(rows, stock[:, r, :], -1.0)
        for k in np.flatnonzero((from_ri == r) & (lead > 0)):
            for j in range(min(lead[k], T)):
                m.add_terms(rows[:, j:], started[:, k, : T - j], 1.0)
    share = tr["max_share_of_destination"].astype(float).to_numpy()
    for k in np.flatnonzero(~np.isnan(share)):
        rows = m.add_constraints(f"transition_share[{tr['transition'].iloc[k]}]", (P, T), upper=0.0)
        m.add_terms(rows, started[:, k, :], 1.0)
        m.add_terms(rows, stock[:, to_ri[k], :], -share[k])


def _budgets(m: ModelBuilder, inputs: ModelInputs, spend_terms: list[tuple[np.ndarray, np.ndarray]],
             claim: np.ndarray, claim_money: np.ndarray) -> None:
    """Each limited budget: its roles' spend net of ARRS claims within the amount (+ overrun)."""
    budgets = inputs.budgets
    limited = budgets[budgets["amount"].notna()].reset_index(drop=True)
    if limited.empty:
        return
    P, R, T = inputs.shape
    year_of_t = inputs.period_years
    overrun = m.add_variables("budget_overrun", (len(limited),))
    rows = m.add_constraints("budget", (len(limited),), upper=limited["amount"].to_numpy(float))
    m.add_terms(rows, overrun, -1.0)
    m.add_objective("budget", overrun, 1.0)
    role_budget = np.array([b or "" for b in inputs.funding_budget])
    for i, row in limited.iterrows():
        roles = np.flatnonzero(role_budget == row["budget"])
        ts = np.flatnonzero(year_of_t == row["year"])
        if len(roles) == 0 or len(ts) == 0 or len(row["members"]) == 0:
            continue
        sel = np.ix_(row["members"], roles, ts)
        for ids, coefs in spend_terms:
            m.add_terms(rows[i], ids[sel], coefs[sel])
        m.add_terms(rows[i], claim[sel], -claim_money[sel])


def _targets(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, over: np.ndarray,
             short_time: np.ndarray) -> None:
    cells = inputs.targets.frame
    if cells.empty:
        return
    n = len(cells)
    at_least = (cells["kind"] == "at_least").to_numpy()
    soft = at_least & ~cells["hard"].to_numpy(bool)
    shortfall = m.add_variables("target_shortfall", (n,), mask=soft)
    required = cells["required"].to_numpy(float)
    lower = np.where(at_least, required, required)
    upper = np.where(at_least, np.inf, required)
    rows = m.add_constraints("targets", (n,), lower=lower, upper=upper)
    m.add_terms(rows, shortfall, 1.0)
    # every (target row, member PCN) pair at once: one term each
    sizes = np.array([len(members) for members in inputs.targets.pcn_members], dtype=int)
    row_of = np.repeat(rows, sizes)
    pi = np.concatenate(inputs.targets.pcn_members).astype(int) if n else np.zeros(0, dtype=int)
    ri = np.repeat(cells["ri"].to_numpy(int), sizes)
    t = np.repeat(cells["t"].to_numpy(int), sizes)
    headcount = np.repeat((cells["unit"] == "headcount").to_numpy(), sizes)
    m.add_terms(row_of, stock[pi, ri, t], np.where(headcount, 1.0, inputs.participation[ri]))
    exact = ~np.repeat(at_least, sizes)
    m.add_terms(row_of[exact], over[pi, ri, t][exact], -1.0)
    m.add_terms(row_of[exact], short_time[pi, ri, t][exact], -(1.0 - inputs.short_capacity[ri[exact]]))
    for k in range(1, 10):
        sel = soft & (cells["priority"].to_numpy(int) == k)
        if sel.any():
            m.add_objective(f"p{k}", shortfall[sel], cells["penalty"].to_numpy(float)[sel])
    limit = inputs.scenario.manifest.model.overstaffing_limit_total
    if limit is not None and (over >= 0).any():
        P, R, T = inputs.shape
        rows = m.add_constraints("overstaffing_total", (T,), upper=float(limit))
        m.add_terms(rows[None, None, :], over, 1.0)
    if inputs.scenario.manifest.objective.fairness and soft.any():
        _fairness(m, inputs, cells, shortfall, soft)


def _fairness(m: ModelBuilder, inputs: ModelInputs, cells, shortfall: np.ndarray, soft: np.ndarray) -> None:
    """Worst PCN's priority-1 shortfall per 10,000 weighted patients, minimised after p1."""
    worst = m.add_variables("worst_shortfall_per_10k", (1,))
    weighted = inputs.scenario.pcns.reindex(inputs.pcns)["weighted_list"].to_numpy(float)
    p_index = {p: i for i, p in enumerate(inputs.pcns)}
    sel = soft & (cells["priority"].to_numpy(int) == 1) & (cells["level"] == "pcn").to_numpy()
    rows = m.add_constraints("fairness", (len(inputs.pcns),), lower=0.0)
    m.add_terms(rows, worst[0], 1.0)
    pis = cells["area"].map(p_index).to_numpy()
    for i in np.flatnonzero(sel):
        pi = int(pis[i])
        m.add_terms(rows[pi], shortfall[i], -1e4 / max(weighted[pi], 1.0))
    m.add_objective("fairness", worst, 1.0)


def _demand(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, short_time: np.ndarray) -> None:
    d = inputs.demand
    if d.empty:
        return
    P, R, T = inputs.shape
    ppy = inputs.horizon.periods_per_year
    per_head = inputs.capacity / ppy * inputs.participation  # appointments per head per period
    useful = np.flatnonzero(per_head > 0)
    unmet = m.add_variables("unmet_demand", (len(d),))
    rows = m.add_constraints("demand", (len(d),), lower=d["required"].to_numpy(float))
    m.add_terms(rows, unmet, 1.0)
    for i, (t, members) in enumerate(zip(d["t"], d["members"], strict=True)):
        sel = np.ix_(members, useful)
        cols = stock[:, :, t][sel]
        m.add_terms(np.full(cols.shape, rows[i]), cols, np.broadcast_to(per_head[useful], cols.shape))
        st = short_time[:, :, t][sel]
        loss = per_head[useful] * (1.0 - inputs.short_capacity[useful])
        m.add_terms(np.full(st.shape, rows[i]), st, -np.broadcast_to(loss, st.shape))
    for k in range(1, 10):
        sel = d["priority"].to_numpy(int) == k
        if sel.any():
            m.add_objective(f"p{k}", unmet[sel], d["penalty"].to_numpy(float)[sel])


def _smoothing(m: ModelBuilder, inputs: ModelInputs, starters: np.ndarray) -> None:
    """Penalise quarter-to-quarter changes in starters (no pointless churn)."""
    weight = inputs.scenario.manifest.objective.smoothing_weight
    P, R, T = inputs.shape
    if weight <= 0 or T < 2:
        return
    mask = (starters[:, :, 1:] >= 0) & (starters[:, :, :-1] >= 0)
    change = m.add_variables("starter_change", (P, R, T - 1), mask=mask)
    up = m.add_constraints("starter_change_up", (P, R, T - 1), lower=0.0)
    m.add_terms(up, change, 1.0)
    m.add_terms(up, np.where(mask, starters[:, :, 1:], -1), -1.0)
    m.add_terms(up, np.where(mask, starters[:, :, :-1], -1), 1.0)
    down = m.add_constraints("starter_change_down", (P, R, T - 1), lower=0.0)
    m.add_terms(down, change, 1.0)
    m.add_terms(down, np.where(mask, starters[:, :, 1:], -1), 1.0)
    m.add_terms(down, np.where(mask, starters[:, :, :-1], -1), -1.0)
    for level in ("final_cost", "final_redundancy"):
        m.add_objective(level, change, weight)


__all__ = ["Model", "build", "INF"]
