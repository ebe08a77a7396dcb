"""Stock and flow: the staff blocks, leavers, vacancies, courses, supply and recruitment routes.

The maths is stated in :mod:`wfplan.model.formulation`; this module builds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wfplan.model.axes import (
    PCN_COURSE_PERIOD,
    PCN_PERIOD,
    PCN_ROLE_PERIOD,
    PCN_ROUTE_PERIOD,
    ROUTE_SUPPLY_ROWS,
    SUPPLY_ROWS,
)
from wfplan.model.builder import ModelBuilder
from wfplan.model.inputs import ModelInputs


@dataclass(frozen=True)
class StaffBlocks:
    """Column ids (p x r x t, -1 where absent) of the blocks every part of the model uses."""

    stock: np.ndarray  # staff in post at the end of the period (expected headcount)
    starters: np.ndarray  # recruits into new posts (whole people in integer mode)
    replacements: np.ndarray  # recruits refilling posts leavers left (whole-people plans only)
    leavers: np.ndarray  # the data's expected attrition: never a decision
    released: np.ndarray  # redundancies, where a role allows them
    over: np.ndarray  # overstaffing of an exact requirement, where allowed
    short_time: np.ndarray  # people on short time, where allowed


def staff_variables(m: ModelBuilder, inputs: ModelInputs) -> StaffBlocks:
    """The staff blocks (see :class:`StaffBlocks`)."""
    P, R, T = inputs.shape
    integer = inputs.integer
    # stock is integral whenever the flows are (balance below), so it is left
    # continuous: marking it integer made HiGHS branch on it (N&W cost level
    # stalled at a 12.7% gap; continuous: 1.5% in a minute)
    stock = m.add_variables("stock", (P, R, T), axes=PCN_ROLE_PERIOD)
    starters = m.add_variables("starters", (P, R, T), integer=integer, mask=inputs.recruitable, axes=PCN_ROLE_PERIOD)
    # whole-people plans: recruiting to replace leavers follows their expected number
    replacements = m.add_variables("replacements", (P, R, T), mask=inputs.recruitable, axes=PCN_ROLE_PERIOD) if integer \
        else np.full((P, R, T), -1, dtype=np.int64)
    leavers = m.add_variables("leavers", (P, R, T), axes=PCN_ROLE_PERIOD)  # expected values: never a decision
    release_ok = ~np.isnan(inputs.redundancy_cost)
    released = m.add_variables("released", (P, R, T), integer=integer,
                               mask=np.broadcast_to(release_ok[None, :, None], (P, R, T)), axes=PCN_ROLE_PERIOD)
    over_ok = ~np.isnan(inputs.over_cost)
    over = m.add_variables("overstaffed", (P, R, T), upper=inputs.over_limit[None, :, None],
                           mask=np.broadcast_to(over_ok[None, :, None], (P, R, T)), axes=PCN_ROLE_PERIOD)
    short_ok = ~np.isnan(inputs.short_cost) & (inputs.short_limit > 0)
    short_time = m.add_variables("short_time", (P, R, T), upper=inputs.short_limit[None, :, None],
                                 integer=integer, mask=np.broadcast_to(short_ok[None, :, None], (P, R, T)), axes=PCN_ROLE_PERIOD)
    return StaffBlocks(stock, starters, replacements, leavers, released, over, short_time)


def stock_and_flow(m: ModelBuilder, inputs: ModelInputs, staff: StaffBlocks) -> tuple[np.ndarray, np.ndarray]:
    """The balance rows (stock = last stock + inflows - outflows), the expected leavers
    rows and, in whole-people plans, the vacancy pool; returns the balance and leaver rows."""
    P, R, T = inputs.shape
    stock, starters, replacements = staff.stock, staff.starters, staff.replacements
    leavers, released = staff.leavers, staff.released
    # --- stock and flow --------------------------------------------------
    # known flows are constants: planned leavers and trainees on course at the start leaving
    # on their dates, the successes among those trainees joining their to-role
    rhs = inputs.course_completions_by_role - inputs.planned_leavers - inputs.course_exits_by_role
    rhs[:, :, 0] += inputs.initial
    balance = m.add_constraints("balance", (P, R, T), lower=rhs, upper=rhs, axes=PCN_ROLE_PERIOD)
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
    leaver_rows = m.add_constraints("leavers", (P, R, T), lower=expected_initial, upper=expected_initial, axes=PCN_ROLE_PERIOD)
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
        vacancies = m.add_variables("vacancies", (P, R, T), mask=refillable, axes=PCN_ROLE_PERIOD)
        rows = m.add_constraints("vacancies", (P, R, T), lower=0.0, upper=0.0, axes=PCN_ROLE_PERIOD)
        m.add_terms(rows, vacancies, 1.0)
        m.add_terms(rows[:, :, 1:], vacancies[:, :, :-1], -1.0)
        m.add_terms(rows, np.where(refillable, leavers, -1), -1.0)
        m.add_terms(rows, replacements, 1.0)
    return balance, leaver_rows


def held_in_post(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, held_rows: set[int]) -> None:
    """Staff in post never fall below people leaving on a known later date (roles with
    courses have it in their ``in_training`` rows already)."""
    P, R, T = inputs.shape
    held = inputs.held_in_post
    for r in np.flatnonzero(held.any(axis=(0, 2))):
        if r in held_rows:
            continue
        # people leaving on a known later date are still in post: nobody releases or retrains them
        rows = m.add_constraints(f"held_in_post[{inputs.roles[r]}]", (P, T), lower=held[:, r, :], axes=PCN_PERIOD)
        m.add_terms(rows, stock[:, r, :], 1.0)


def supply(m: ModelBuilder, inputs: ModelInputs, staff: StaffBlocks) -> None:
    """Recruits and replacements summed over an area's PCNs within each supply row's limit."""
    starters, replacements = staff.starters, staff.replacements
    sup = inputs.supply
    if len(sup):
        rows = m.add_constraints("supply", (len(sup),), upper=sup["max_starters"].to_numpy(float), axes=SUPPLY_ROWS)
        for i, (ri, t, members) in enumerate(zip(sup["ri"], sup["t"], sup["members"], strict=True)):
            m.add_terms(np.full(len(members), rows[i]), starters[members, ri, t], 1.0)
            m.add_terms(np.full(len(members), rows[i]), replacements[members, ri, t], 1.0)


def transitions(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, balance: np.ndarray,
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
    started = m.add_variables("started", (P, K, T), upper=max_per[None, :, None], integer=inputs.integer, axes=PCN_COURSE_PERIOD)
    completed = m.add_variables("completed", (P, K, T), axes=PCN_COURSE_PERIOD)
    from_ri = tr["from_ri"].to_numpy(int)
    to_ri = tr["to_ri"].to_numpy(int)
    lead = tr["lead_periods"].to_numpy(int)
    success = tr["success_rate"].to_numpy(float)
    for k in range(K):
        # trainees stay in the from-role until their course ends, then move (or leave)
        if lead[k] < T:
            m.add_terms(balance[:, from_ri[k], lead[k]:], started[:, k, : T - lead[k]], 1.0)
        m.add_terms(balance[:, to_ri[k], :], completed[:, k, :], -1.0)
    rows = m.add_constraints("completions", (P, K, T), lower=0.0, upper=0.0, axes=PCN_COURSE_PERIOD)
    m.add_terms(rows, completed, 1.0)
    for k in range(K):
        if lead[k] < T:
            m.add_terms(rows[:, k, lead[k]:], started[:, k, : T - lead[k]], -success[k])
    # people on a course at the end of t (started in (t - lead, t]) are part of the
    # from-role's stock at t, and not part of its attrition at t + 1
    attrition = inputs.attrition
    held = inputs.held_in_post
    for r in np.unique(from_ri[lead > 0]):
        rows = m.add_constraints(f"in_training[{inputs.roles[r]}]", (P, T), upper=-held[:, r, :], axes=PCN_PERIOD)
        m.add_terms(rows, stock[:, r, :], -1.0)
        for k in np.flatnonzero((from_ri == r) & (lead > 0)):
            for j in range(min(lead[k], T)):
                m.add_terms(rows[:, j:], started[:, k, : T - j], 1.0)
                if T - j - 1 > 0:
                    m.add_terms(leaver_rows[:, r, j + 1:], started[:, k, : T - j - 1], attrition[r])
    share = tr["max_share_of_destination"].astype(float).to_numpy()
    for k in np.flatnonzero(~np.isnan(share)):
        rows = m.add_constraints(f"transition_share[{tr['transition'].iloc[k]}]", (P, T), upper=0.0, axes=PCN_PERIOD)
        m.add_terms(rows, started[:, k, :], 1.0)
        m.add_terms(rows, stock[:, to_ri[k], :], -share[k])
    return {int(r) for r in np.unique(from_ri[lead > 0])}


def course_expressions(m: ModelBuilder, inputs: ModelInputs) -> None:
    """Course flows per PCN, role and period, for the plan tables: ``training_starts``
    (people starting a course, in the from-role), ``transitions_out`` (those completing,
    leaving the from-role for the to-role), ``training_leavers`` (those not completing)
    and ``transitions_in`` (completers arriving in the to-role).  Trainees on course at
    the start are constants: they leave on their dates, the success rate's share completing."""
    P, R, T = shape = inputs.shape
    tr = inputs.transitions
    success = tr["success_rate"].to_numpy(float)
    from_ri, to_ri = tr["from_ri"].to_numpy(int), tr["to_ri"].to_numpy(int)
    out, dropped = np.zeros(shape), np.zeros(shape)
    for k, ri in enumerate(from_ri):
        out[:, ri, :] += success[k] * inputs.course_exits[:, k, :]
        dropped[:, ri, :] += (1.0 - success[k]) * inputs.course_exits[:, k, :]
    m.add_expression("training_starts", shape)
    m.add_expression("transitions_out", shape, out)
    m.add_expression("training_leavers", shape, dropped)
    m.add_expression("transitions_in", shape, inputs.course_completions_by_role)
    started, completed = m.variables.get("started"), m.variables.get("completed")
    if started is None or completed is None:
        return
    cells = np.arange(P * R * T).reshape(shape)
    for k, lead in enumerate(tr["lead_periods"].to_numpy(int)):
        m.add_to_expression("training_starts", cells[:, from_ri[k], :], started.ids[:, k, :])
        if lead < T:  # people leave the from-role when their course ends: most into the to-role
            cohort = started.ids[:, k, : T - lead]
            m.add_to_expression("transitions_out", cells[:, from_ri[k], lead:], cohort, success[k])
            m.add_to_expression("training_leavers", cells[:, from_ri[k], lead:], cohort, 1.0 - success[k])
        m.add_to_expression("transitions_in", cells[:, to_ri[k], :], completed.ids[:, k, :])


def routes(m: ModelBuilder, inputs: ModelInputs, starters: np.ndarray, replacements: np.ndarray) -> np.ndarray:
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
    m.add_expression("recruits_not_claimable", (P, R, T))  # recruits through a route not claimable that year
    if routes.empty:
        return none
    ri_of = routes["ri"].to_numpy(int)
    J = len(routes)
    via = m.add_variables("recruits_via", (P, J, T), mask=inputs.recruitable[:, ri_of, :], axes=PCN_ROUTE_PERIOD)
    cells = np.arange(P * R * T).reshape((P, R, T))
    for j, ri in enumerate(ri_of):
        m.add_to_expression("recruits_not_claimable", cells[:, ri, :], np.where(inputs.route_claimable[j], -1, via[:, j, :]))
    with_routes = np.unique(ri_of)
    rows = m.add_constraints("recruits_by_route", (P, len(with_routes), T), lower=0.0, upper=0.0)
    for i, r in enumerate(with_routes):
        m.add_terms(rows[:, i, :], starters[:, r, :], 1.0)
        m.add_terms(rows[:, i, :], replacements[:, r, :], 1.0)
        for j in np.flatnonzero(ri_of == r):
            m.add_terms(rows[:, i, :], via[:, j, :], -1.0)
    limits = inputs.route_supply
    if len(limits):
        rows = m.add_constraints("route_supply", (len(limits),), upper=limits["max_starters"].to_numpy(float), axes=ROUTE_SUPPLY_ROWS)
        for i, (j, t, members) in enumerate(zip(limits["j"], limits["t"], limits["members"], strict=True)):
            m.add_terms(np.full(len(members), rows[i]), via[members, int(j), int(t)], 1.0)
    unclaimable = ~inputs.route_claimable  # j x t
    roles = np.unique(ri_of[unclaimable.any(axis=1)])
    if not len(roles):
        return none
    mask = np.zeros((P, R, T), dtype=bool)
    mask[:, roles, :] = True
    staff = m.add_variables("staff_not_claimable", (P, R, T), mask=mask, axes=PCN_ROLE_PERIOD)
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
