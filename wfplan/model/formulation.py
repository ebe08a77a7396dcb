"""The formulation: every variable, constraint and objective of a wfplan plan.

Indices: PCN ``p``, role ``r``, period ``t`` (quarter or year), transition
``k``.  All blocks are numpy arrays over these grids (see
:mod:`wfplan.model.builder`).  The maths, in the users' terms:

Stock and flow, per (p, r, t)::

    stock[t] = stock[t-1] + starters[t] + replacements[t] - leavers[t] - released[t]
               - sum_k started[k, t - lead_k] (k leaving r) + sum_k completed[k, t] (k arriving in r)
               - planned_leavers[t] - course_exits[t] + course_completions[t]

The last three are known constants: planned leavers (retirements, contracts
ending) leave on their dates, and trainees already on a course at the start
leave the from-role when it ends, the success rate's share joining the
to-role (``ModelInputs.course_exits_by_role`` and ``..._completions...``).

Leavers are the data's expected attrition, in every mode: the optimiser never
chooses when people leave.  Per period::

    leavers[t] = attrition[r] x (stock[t-1] - people on a course at t-1 - known leavers)
                 + entry_loss[r] x recruits[t]                      (year steps)
                 + sum_j first_year_extra[r] x survival^(j-1) x recruits[t-j]   (quarter steps, j = 1..4)

so recruits of the last year leave at the first-year rate (quarter steps) or
within their first year (year steps, as in H.P. Williams' manpower model).
``known leavers`` (:attr:`ModelInputs.attrition_exempt`) are the people whose
leaving date is known, at t or later: planned leavers and trainees on course
at the start.  They leave once, on their date; attrition applies to the
others (a scenario that lists every retirement may lower its attrition rate
accordingly).  Staff in post never fall below those still to leave on a
date (``held_in_post``): they are not released or retrained.
Whole-people plans (integer mode) decide recruits, course starts, releases
and short time in whole people; ``replacements`` refill posts that leavers
left (``vacancies`` = leavers to date - replacements to date >= 0), in the
expected numbers the leavers come in, so a post of one person stays filled
and staff in post are an expected figure, as in the NHS England trajectory
template.  LP mode has no replacements: every recruit is a ``starter``.

Training pipelines and retraining: people ``started[k, t]`` stay in the
from-role until ``t + lead``, when they all leave it: ``completed[k, t +
lead]`` = success rate x ``started[k, t]`` join the to-role and the rest leave
the workforce (reported as training leavers).  While on a course they are not
subject to the from-role's attrition, and a training grade's recruits have no
first-year excess: the course's success rate is their leaving.

Recruitment supply: recruits and replacements summed over the PCNs of an area
<= max starters.

ARRS: ``claim[p, r, t]`` WTE <= FTE in post above the March 2019 baseline
(less staff recruited through a route that is not claimable, see
:func:`_routes`), <= the number cap; sum over a year of claim x min(cost[r,
t], cap) x reimbursement / 4 <= the PCN's entitlement (the main sum, or for
roles paid from a ring-fenced pot, that pot's sum), ``cost[r, t]`` the
role's cost in the period's financial year.  Other spend (cost not reimbursed) is charged to
the role's named budget, limited where the budget gives an amount (an
overrun is allowed only as a top-priority goal, so it is reported, never
hidden).

Goals: ``at_least`` targets (measure + shortfall >= required), ``exact``
requirements (staff - overstaffing - (1 - capacity) x short-time =
required), and appointment demand per PCN (its own staff's capacity, plus
what declared shared services give it, + unmet >= its share of the demand).
Shortfalls and unmet demand are priced by priority level; unmet demand is
priced a little higher as a PCN falls further short
(:data:`UNMET_SHARE_BANDS`), so where supply runs short PCNs share the
shortfall in proportion to their demand.

Objective levels, solved lexicographically by default (see
:mod:`wfplan.model.solve`): ``budget`` overrun, then target and demand
priorities ``p1`` .. ``p9`` (with ``fairness`` after ``p1`` when asked),
then ``final``: cost (or redundancy), with optional hiring smoothing.  Cost is
the whole cost of the planned staff, whoever pays; last, with staffing fixed,
ARRS claims are maximised (:data:`CLAIMS_LEVEL`), which settles who pays.
With demand met PCN by PCN, where staff go follows need, and the claims they
allow follow too: on the N&W LP, HiGHS, CBC and SCIP claim within 0.07% of
each other.  Two other orders were measured and not taken: minimising the
cost not reimbursed by ARRS first (within entitlement every ARRS recruit is
then free locally, a flat objective: the backends' plans moved 14 WTE of
pharmacists and physician associates around Norwich between them), and
claims as 0.1% of the cost level (every backend then claims the same to the
pound, 0.35% more, but the N&W LP takes 7.5 s instead of 2 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wfplan.model.builder import INF, ModelBuilder
from wfplan.model.inputs import ModelInputs

UNBOUNDED_CLAIM_WTE = 1e4
"""Big M of the baseline switch where neither a number cap nor an entitlement bounds a claim."""

UNMET_SHARE_BANDS = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0])
"""Shares of a PCN's appointment demand at which unmet demand is priced one step higher."""

UNMET_SHARE_STEP = 1e-2
"""The step: an appointment unmet in a PCN already short of more of its demand
costs 0.01% more, enough to share shortfalls fairly, too little to trade a whole
appointment for it."""

FAIR_SHARE_LIMIT = 2.0
"""A PCN's staff of a role above this many times its share of need (registered
list x need index) are priced in the cost level (see :func:`_fair_shares`)."""

FAIR_SHARE_SPARE = 1.0
"""People a PCN may have above twice its share (and its targets' needs): whole people
could not otherwise reach a small PCN at all (2% of ten staff, doubled, is 0.4 of
a person).  The same in LP mode, so the LP stays the whole-people plans' relaxation."""

FAIR_SHARE_LEVEL = "p_fair_share"
"""The level after the goals (before cost): person-periods of a role above
:data:`FAIR_SHARE_LIMIT` times a PCN's share of need, beyond what its targets
require, are minimised; the cheapest such plan is then chosen.  (Pricing them
in the cost level instead made the cost LP numerically singular for HiGHS.)"""

ENTITLEMENT_MARGIN = 0.01
"""GBP kept unclaimed per PCN and year so that solver rounding never overruns the entitlement."""

FEASIBILITY_LEVEL = "feasibility"
"""The only level of a model with no objective terms (an all-zero objective)."""

CLAIMS_LEVEL = "claims"
"""Objective of the last, continuous step: with staffing fixed, claim as much ARRS
as the rules allow (entitlement does not carry forward)."""

CLAIMS_FREE_VARIABLES = ("claim_wte", "above_baseline", "budget_overrun", "recruits_via", "staff_not_claimable")
"""What the claims step may change; every other column (staffing, shortfalls,
costs) keeps the value the levels above settled.  Which recruitment route the
settled recruits came through is free too: it changes who pays, not who is in post."""


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
    integer = inputs.integer
    part = inputs.participation[None, :, None]

    # stock is integral whenever the flows are (balance below), so it is left
    # continuous: marking it integer made HiGHS branch on it (N&W cost level
    # stalled at a 12.7% gap; continuous: 1.5% in a minute)
    stock = m.add_variables("stock", (P, R, T))
    starters = m.add_variables("starters", (P, R, T), integer=integer, mask=inputs.recruitable)
    # whole-people plans: recruiting to replace leavers follows their expected number
    replacements = m.add_variables("replacements", (P, R, T), mask=inputs.recruitable) if integer \
        else np.full((P, R, T), -1, dtype=np.int64)
    leavers = m.add_variables("leavers", (P, R, T))  # expected values: never a decision
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
    # known flows are constants: planned leavers and trainees on course at the start leaving
    # on their dates, the successes among those trainees joining their to-role
    rhs = inputs.course_completions_by_role - inputs.planned_leavers - inputs.course_exits_by_role
    rhs[:, :, 0] += inputs.initial
    balance = m.add_constraints("balance", (P, R, T), lower=rhs, upper=rhs)
    m.add_terms(balance, stock, 1.0)
    m.add_terms(balance[:, :, 1:], stock[:, :, :-1], -1.0)
    m.add_terms(balance, starters, -1.0)
    m.add_terms(balance, replacements, -1.0)
    m.add_terms(balance, leavers, 1.0)
    m.add_terms(balance, released, 1.0)

    # leavers are the data's expected attrition, in both modes (see module docstring)
    a = inputs.attrition[None, :, None]
    e = inputs.entry_loss[None, :, None]
    # people who leave on a known date (planned leavers, trainees on course) are not also subject to attrition
    expected_initial = -a * inputs.attrition_exempt
    expected_initial[:, :, 0] += inputs.attrition[None, :] * inputs.initial
    leaver_rows = m.add_constraints("leavers", (P, R, T), lower=expected_initial, upper=expected_initial)
    m.add_terms(leaver_rows, leavers, 1.0)
    m.add_terms(leaver_rows[:, :, 1:], stock[:, :, :-1], -a)
    m.add_terms(leaver_rows, starters, -e)
    m.add_terms(leaver_rows, replacements, -e)
    # quarter steps: recruits of the last year leave at the first-year rate
    first_year = inputs.first_year_extra
    survive = 1.0 - (inputs.attrition + first_year)
    for j in range(1, min(inputs.first_year_periods, T - 1) + 1):
        weight = (first_year * survive ** (j - 1))[None, :, None]
        m.add_terms(leaver_rows[:, :, j:], starters[:, :, : T - j], -weight)
        m.add_terms(leaver_rows[:, :, j:], replacements[:, :, : T - j], -weight)
    if (replacements >= 0).any():
        # posts left by leavers are refilled when recruits are found (then or later):
        # vacancies[t] = vacancies[t-1] + leavers[t] - replacements[t] >= 0
        refillable = np.broadcast_to(inputs.recruitable.any(axis=2)[:, :, None], (P, R, T))
        vacancies = m.add_variables("vacancies", (P, R, T), mask=refillable)
        rows = m.add_constraints("vacancies", (P, R, T), lower=0.0, upper=0.0)
        m.add_terms(rows, vacancies, 1.0)
        m.add_terms(rows[:, :, 1:], vacancies[:, :, :-1], -1.0)
        m.add_terms(rows, np.where(refillable, leavers, -1), -1.0)
        m.add_terms(rows, replacements, 1.0)

    held_rows = _transitions(m, inputs, stock, balance, leaver_rows)
    held = inputs.held_in_post
    for r in np.flatnonzero(held.any(axis=(0, 2))):
        if r in held_rows:
            continue
        # people leaving on a known later date are still in post: nobody releases or retrains them
        rows = m.add_constraints(f"held_in_post[{inputs.roles[r]}]", (P, T), lower=held[:, r, :])
        m.add_terms(rows, stock[:, r, :], 1.0)

    # --- recruitment supply ---------------------------------------------
    sup = inputs.supply
    if len(sup):
        rows = m.add_constraints("supply", (len(sup),), upper=sup["max_starters"].to_numpy(float))
        for i, (ri, t, members) in enumerate(zip(sup["ri"], sup["t"], sup["members"], strict=True)):
            m.add_terms(np.full(len(members), rows[i]), starters[members, ri, t], 1.0)
            m.add_terms(np.full(len(members), rows[i]), replacements[members, ri, t], 1.0)

    not_claimable = _routes(m, inputs, starters, replacements)

    # --- ARRS claims and entitlement ----------------------------------------
    eligible = inputs.claim_rate > 0
    claim = m.add_variables("claim_wte", (P, R, T), upper=inputs.arrs_wte_cap, mask=eligible)
    base = np.broadcast_to(inputs.baseline_fte[:, :, None], (P, R, T))
    rows = m.add_constraints("claim_within_fte", (P, R, T), upper=0.0)
    m.add_terms(rows, claim, 1.0)
    m.add_terms(rows, np.where(eligible, stock, -1), -np.broadcast_to(part, (P, R, T)))
    m.add_terms(rows, np.where(eligible, not_claimable, -1), np.broadcast_to(part, (P, R, T)))
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
        m.add_terms(r2, np.where(above_mask, not_claimable, -1), np.broadcast_to(part, (P, R, T)))
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
    pots = inputs.pot_entitlement
    if len(pots):
        # a ring-fenced pot pays its roles' claims, and only those (the main sum's rows leave them out)
        upper = np.maximum(pots["amount"].to_numpy(float) - ENTITLEMENT_MARGIN, 0.0)
        rows = m.add_constraints("pot_entitlement", (len(pots),), upper=upper)
        year_of_t = inputs.period_years
        for i, (pi, year, pot) in enumerate(zip(pots["pi"], pots["year"], pots["pot"], strict=True)):
            rs, ts = np.nonzero((inputs.arrs_pot == pot) & (year_of_t == year)[None, :])
            m.add_terms(np.full(len(rs), rows[i]), claim[pi, rs, ts], inputs.pot_rate[pi, rs, ts])

    # --- spend --------------------------------------------------------------
    spend_terms: list[tuple[np.ndarray, np.ndarray]] = [
        (stock, np.broadcast_to(inputs.cost_per_head[None], (P, R, T))),
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
    claim_money = np.where(eligible, inputs.claim_rate, 0.0)
    _budgets(m, inputs, spend_terms, claim, claim_money)
    for ids, coefs in spend_terms:
        m.add_objective("final_cost", ids, coefs)
    _fair_shares(m, inputs, stock)
    m.add_objective(CLAIMS_LEVEL, claim, -claim_money)
    m.add_objective("final_redundancy", released, 1.0)

    # --- goals ---------------------------------------------------------------
    _targets(m, inputs, stock, over, short_time)
    _demand(m, inputs, stock, short_time)
    _smoothing(m, inputs, starters)

    objective = inputs.scenario.manifest.objective
    levels = ["budget"] + [f"p{k}" for k in range(1, 10)] + [FAIR_SHARE_LEVEL]
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


def _transitions(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, balance: np.ndarray,
                 leaver_rows: np.ndarray) -> set[int]:
    """Training pipelines and retraining: whole people start (``started``), and
    at the course end they all leave the from-role; the success rate's share
    joins the to-role (``completed``, an expected value like attrition) and the
    rest leave the workforce (reported as transition leavers).  While on a
    course, people are not also subject to the from-role's attrition: the
    success rate is their leaving rate.  Returns the roles whose staff in post
    are kept at or above the people on a course and those held in post
    (:attr:`ModelInputs.held_in_post`)."""
    tr = inputs.transitions
    if tr.empty:
        return set()
    P, R, T = inputs.shape
    K = len(tr)
    max_per = tr["max_per_period"].astype(float).fillna(np.inf).to_numpy()
    started = m.add_variables("started", (P, K, T), upper=max_per[None, :, None], integer=inputs.integer)
    completed = m.add_variables("completed", (P, K, T))
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
    for k in range(K):
        if lead[k] < T:
            m.add_terms(rows[:, k, lead[k]:], started[:, k, : T - lead[k]], -success[k])
    # people on a course at the end of t (started in (t - lead, t]) are part of the
    # from-role's stock at t, and not part of its attrition at t + 1
    attrition = inputs.attrition
    held = inputs.held_in_post
    for r in np.unique(from_ri[lead > 0]):
        rows = m.add_constraints(f"in_training[{inputs.roles[r]}]", (P, T), upper=-held[:, r, :])
        m.add_terms(rows, stock[:, r, :], -1.0)
        for k in np.flatnonzero((from_ri == r) & (lead > 0)):
            for j in range(min(lead[k], T)):
                m.add_terms(rows[:, j:], started[:, k, : T - j], 1.0)
                if T - j - 1 > 0:
                    m.add_terms(leaver_rows[:, r, j + 1:], started[:, k, : T - j - 1], attrition[r])
    share = tr["max_share_of_destination"].astype(float).to_numpy()
    for k in np.flatnonzero(~np.isnan(share)):
        rows = m.add_constraints(f"transition_share[{tr['transition'].iloc[k]}]", (P, T), upper=0.0)
        m.add_terms(rows, started[:, k, :], 1.0)
        m.add_terms(rows, stock[:, to_ri[k], :], -share[k])
    return {int(r) for r in np.unique(from_ri[lead > 0])}


def _routes(m: ModelBuilder, inputs: ModelInputs, starters: np.ndarray, replacements: np.ndarray) -> np.ndarray:
    """Recruitment routes and the 12-month rule; returns the ids of ``staff_not_claimable``
    (p x r x t, -1 where a role has no route that is ever not claimable).

    A role with routes recruits through them: ``recruits_via[p, j, t]`` (an expected
    split, continuous, like replacements) sum to its starters and replacements, and
    a supply row naming a route limits that route's recruits.  Recruits through a
    route not claimable in the year they start (the 12-month rule: nurses and
    support workers employed by the PCN or a member practice in the previous 12
    months) are followed as ``staff_not_claimable``: they leave at the role's
    rates, as its other recruits do (the experienced rate on those in post, the
    first-year rate on the last year's recruits), and are never claimed::

        not_claimable[t] = (1 - a) x not_claimable[t-1] + (1 - e) x via_nc[t]
                           - sum_j first_year_extra x survival^(j-1) x via_nc[t-j]

    The claim rows subtract their FTE, like the 2019 baseline's.
    """
    P, R, T = inputs.shape
    none = np.full((P, R, T), -1, dtype=np.int64)
    routes = inputs.routes
    if routes.empty:
        return none
    ri_of = routes["ri"].to_numpy(int)
    J = len(routes)
    via = m.add_variables("recruits_via", (P, J, T), mask=inputs.recruitable[:, ri_of, :])
    with_routes = np.unique(ri_of)
    rows = m.add_constraints("recruits_by_route", (P, len(with_routes), T), lower=0.0, upper=0.0)
    for i, r in enumerate(with_routes):
        m.add_terms(rows[:, i, :], starters[:, r, :], 1.0)
        m.add_terms(rows[:, i, :], replacements[:, r, :], 1.0)
        for j in np.flatnonzero(ri_of == r):
            m.add_terms(rows[:, i, :], via[:, j, :], -1.0)
    limits = inputs.route_supply
    if len(limits):
        rows = m.add_constraints("route_supply", (len(limits),), upper=limits["max_starters"].to_numpy(float))
        for i, (j, t, members) in enumerate(zip(limits["j"], limits["t"], limits["members"], strict=True)):
            m.add_terms(np.full(len(members), rows[i]), via[members, int(j), int(t)], 1.0)
    unclaimable = ~inputs.route_claimable  # j x t
    roles = np.unique(ri_of[unclaimable.any(axis=1)])
    if not len(roles):
        return none
    mask = np.zeros((P, R, T), dtype=bool)
    mask[:, roles, :] = True
    staff = m.add_variables("staff_not_claimable", (P, R, T), mask=mask)
    rows = m.add_constraints("staff_not_claimable", (P, len(roles), T), lower=0.0, upper=0.0)
    a, e, extra = inputs.attrition, inputs.entry_loss, inputs.first_year_extra
    survive = 1.0 - (a + extra)
    for i, r in enumerate(roles):
        m.add_terms(rows[:, i, :], staff[:, r, :], 1.0)
        m.add_terms(rows[:, i, 1:], staff[:, r, :-1], -(1.0 - a[r]))
        for j in np.flatnonzero((ri_of == r) & unclaimable.any(axis=1)):
            recruits = np.where(unclaimable[j][None, :], via[:, j, :], -1)  # recruited in a year not claimable
            m.add_terms(rows[:, i, :], recruits, -(1.0 - e[r]))
            for lag in range(1, min(inputs.first_year_periods, T - 1) + 1):
                m.add_terms(rows[:, i, lag:], recruits[:, : T - lag], extra[r] * survive[r] ** (lag - 1))
    return staff


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
    """Each PCN's share of appointment demand, met by its own staff and by the
    capacity that roles serving its place or system (declared shared services)
    give it; what is not met is unmet demand, priced at the row's priority."""
    d = inputs.demand
    if d.empty:
        return
    P, R, T = inputs.shape
    ppy = inputs.horizon.periods_per_year
    per_head = inputs.capacity / ppy * inputs.participation  # appointments per head per period
    loss = per_head * (1.0 - inputs.short_capacity)  # lost per head on short time
    required = d["required"].to_numpy(float)
    unmet = m.add_variables("unmet_demand", (len(d),))
    rows = m.add_constraints("demand", (len(d),), lower=required)
    m.add_terms(rows, unmet, 1.0)
    # where supply runs short, PCNs share the shortfall in proportion to their demand:
    # each further slice of a PCN's unmet share is priced a little higher
    bands = np.diff(UNMET_SHARE_BANDS)
    slices = m.add_variables("unmet_demand_share", (len(d), len(bands)), upper=required[:, None] * bands[None, :])
    rows_split = m.add_constraints("unmet_demand_split", (len(d),), lower=0.0, upper=0.0)
    m.add_terms(rows_split, unmet, 1.0)
    m.add_terms(rows_split[:, None], slices, -1.0)
    pi = np.array([members[0] for members in d["members"]], dtype=int)
    t = d["t"].to_numpy(int)
    own = np.flatnonzero((per_head > 0) & (inputs.serves == "pcn"))
    if len(own):
        m.add_terms(rows[:, None], stock[pi[:, None], own[None, :], t[:, None]], per_head[own][None, :])
        m.add_terms(rows[:, None], short_time[pi[:, None], own[None, :], t[:, None]], -loss[own][None, :])
    for level in ("place", "system"):
        shared_roles = np.flatnonzero((per_head > 0) & (inputs.serves == level))
        if not len(shared_roles):
            continue
        # appointments that the group's shared staff give each PCN's row
        given = m.add_variables(f"shared_appointments[{level}]", (len(d),))
        m.add_terms(rows, given, 1.0)
        group = inputs.pcn_place if level == "place" else np.zeros(P, dtype=int)
        groups = int(group.max()) + 1
        pool = m.add_constraints(f"shared_capacity[{level}]", (groups, T), upper=0.0)
        m.add_terms(pool[group[pi], t], given, 1.0)
        for r in shared_roles:
            m.add_terms(pool[group[:, None], np.arange(T)[None, :]], stock[:, r, :], -per_head[r])
            m.add_terms(pool[group[:, None], np.arange(T)[None, :]], short_time[:, r, :], loss[r])
    for k in range(1, 10):
        sel = d["priority"].to_numpy(int) == k
        if sel.any():
            steps = 1.0 + UNMET_SHARE_STEP * np.arange(len(bands))
            m.add_objective(f"p{k}", slices[sel], d["penalty"].to_numpy(float)[sel, None] * steps[None, :])


def _fair_shares(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray) -> None:
    """A PCN's staff of a role above :data:`FAIR_SHARE_LIMIT` times its share of
    need (plus what its targets require, plus :data:`FAIR_SHARE_SPARE`) are minimised at
    :data:`FAIR_SHARE_LEVEL`, after the goals: scarce recruits are not all
    given to one PCN when they can be shared.

    The share is of the PCNs that draw on the same labour market for the role
    (the PCNs its supply rows join), so the rule couples nothing the supply
    rows do not already couple, and a model that splits into independent
    places still does."""
    P, R, T = inputs.shape
    table = inputs.scenario.pcns.reindex(inputs.pcns)
    need = table["registered_list"].to_numpy(float) * table["need_index"].to_numpy(float)
    allowance = required_headcount(inputs)
    recruited = inputs.recruitable.any(axis=(0, 2))
    source = {r: r for r in np.flatnonzero(recruited)}  # roles filled by training share their trainees' market
    for from_ri, to_ri in zip(inputs.transitions["from_ri"], inputs.transitions["to_ri"], strict=True):
        if recruited[from_ri]:
            source.setdefault(int(to_ri), int(from_ri))
    for r in sorted(source):
        if inputs.serves[r] != "pcn":
            continue
        market = _labour_markets(inputs, source[r])
        groups = int(market.max()) + 1
        if groups == P:
            continue  # every PCN has a market of its own: nobody to share with
        share = need / np.maximum(np.bincount(market, weights=need, minlength=groups)[market], 1e-12)
        name = inputs.roles[r]
        totals = m.add_variables(f"role_staff[{name}]", (groups, T))
        rows = m.add_constraints(f"role_staff[{name}]", (groups, T), lower=0.0, upper=0.0)
        m.add_terms(rows, totals, 1.0)
        m.add_terms(rows[market, :], stock[:, r, :], -1.0)
        above = m.add_variables(f"above_fair_share[{name}]", (P, T))
        rows = m.add_constraints(f"fair_share[{name}]", (P, T), upper=allowance[:, r, :] + FAIR_SHARE_SPARE)
        m.add_terms(rows, stock[:, r, :], 1.0)
        m.add_terms(rows, totals[market, :], -FAIR_SHARE_LIMIT * share[:, None])
        m.add_terms(rows, above, -1.0)
        m.add_objective(FAIR_SHARE_LEVEL, above, 1.0)


def _labour_markets(inputs: ModelInputs, r: int) -> np.ndarray:
    """Per PCN: the group of PCNs it shares role ``r``'s recruits with (PCNs joined by
    any supply row of the role), numbered 0, 1, ... in order of first PCN."""
    P = len(inputs.pcns)
    parent = np.arange(P)

    def root(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    sup = inputs.supply
    for members in sup.loc[sup["ri"] == r, "members"]:
        for q in members[1:]:
            parent[root(int(q))] = root(int(members[0]))
    roots = np.array([root(p) for p in range(P)])
    return np.unique(roots, return_inverse=True)[1]


def required_headcount(inputs: ModelInputs) -> np.ndarray:
    """Per PCN, role and period: the head count the PCN's own targets require (0 where none)."""
    required = np.zeros(inputs.shape)
    cells = inputs.targets.frame
    for i, (ri, t, need, unit) in enumerate(zip(cells["ri"], cells["t"], cells["required"], cells["unit"],
                                                strict=True)):
        members = inputs.targets.pcn_members[i]
        if len(members) == 1:
            headcount = need if unit == "headcount" else need / max(inputs.participation[ri], 1e-9)
            required[members[0], ri, t] = max(required[members[0], ri, t], headcount)
    return required


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
