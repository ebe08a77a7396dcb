"""Goals: targets, appointment demand, fairness, fair shares and hiring smoothing.

The maths is stated in :mod:`wfplan.model.formulation`; this module builds it.
"""

from __future__ import annotations

import numpy as np

from wfplan.model import levels as level_catalogue
from wfplan.model.axes import (
    DEMAND_ROW_BANDS,
    DEMAND_ROWS,
    PCN_PERIOD,
    PCN_ROLE_LATER_PERIOD,
    PCNS,
    PERIODS,
    TARGET_ROWS,
)
from wfplan.model.builder import ModelBuilder
from wfplan.model.inputs import ModelInputs

UNMET_SHARE_BANDS = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0])
"""Shares of a PCN's appointment demand at which unmet demand is priced one step higher."""

UNMET_SHARE_STEP = 1e-2
"""The step: an appointment unmet in a PCN already short of more of its demand
costs 0.01% more, enough to share shortfalls fairly, too little to trade a whole
appointment for it."""

FAIR_SHARE_LIMIT = 2.0
"""A PCN's staff of a role above this many times its share of need (registered
list x need index) are priced in the cost level (see :func:`fair_shares`)."""

FAIR_SHARE_SPARE = 1.0
"""People a PCN may have above twice its share (and its targets' needs): whole people
could not otherwise reach a small PCN at all (2% of ten staff, doubled, is 0.4 of
a person).  The same in LP mode, so the LP stays the whole-people plans' relaxation."""

FAIR_SHARE_LEVEL = level_catalogue.FAIR_SHARE.name
"""The level after the goals (before cost): person-periods of a role above
:data:`FAIR_SHARE_LIMIT` times a PCN's share of need, beyond what its targets
require, are minimised; the cheapest such plan is then chosen.  (Pricing them
in the cost level instead made the cost LP numerically singular for HiGHS.)"""


def targets(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, over: np.ndarray,
            short_time: np.ndarray) -> None:
    cells = inputs.targets.frame
    if cells.empty:
        return
    n = len(cells)
    at_least = (cells["kind"] == "at_least").to_numpy()
    soft = at_least & ~cells["hard"].to_numpy(bool)
    shortfall = m.add_variables("target_shortfall", (n,), mask=soft, axes=TARGET_ROWS)
    required = cells["required"].to_numpy(float)
    lower = np.where(at_least, required, required)
    upper = np.where(at_least, np.inf, required)
    rows = m.add_constraints("targets", (n,), lower=lower, upper=upper, axes=TARGET_ROWS)
    m.add_terms(rows, shortfall, 1.0)
    # the measure each target counts (staff or FTE over its PCNs; an exact requirement
    # net of overstaffing and short time): every (target row, member PCN) pair at once
    m.add_expression("target_measure", (n,))
    sizes = np.array([len(members) for members in inputs.targets.pcn_members], dtype=int)
    form_of = np.repeat(np.arange(n), sizes)
    pi = np.concatenate(inputs.targets.pcn_members).astype(int) if n else np.zeros(0, dtype=int)
    ri = np.repeat(cells["ri"].to_numpy(int), sizes)
    t = np.repeat(cells["t"].to_numpy(int), sizes)
    headcount = np.repeat((cells["unit"] == "headcount").to_numpy(), sizes)
    m.add_to_expression("target_measure", form_of, stock[pi, ri, t], np.where(headcount, 1.0, inputs.participation[ri]))
    exact = ~np.repeat(at_least, sizes)
    m.add_to_expression("target_measure", form_of[exact], over[pi, ri, t][exact], -1.0)
    m.add_to_expression("target_measure", form_of[exact], short_time[pi, ri, t][exact],
                        -(1.0 - inputs.short_capacity[ri[exact]]))
    m.add_expression_terms(rows, "target_measure")
    for k in range(1, 10):
        sel = soft & (cells["priority"].to_numpy(int) == k)
        if sel.any():
            m.add_objective(level_catalogue.GOALS[k - 1].name, shortfall[sel], cells["penalty"].to_numpy(float)[sel])
    limit = inputs.settings.overstaffing_limit_total
    if limit is not None and (over >= 0).any():
        P, R, T = inputs.shape
        rows = m.add_constraints("overstaffing_total", (T,), upper=float(limit), axes=PERIODS)
        m.add_terms(rows[None, None, :], over, 1.0)
    if inputs.settings.fairness and soft.any():
        _fairness(m, inputs, cells, shortfall, soft)


def _fairness(m: ModelBuilder, inputs: ModelInputs, cells, shortfall: np.ndarray, soft: np.ndarray) -> None:
    """Worst PCN's priority-1 shortfall per 10,000 weighted patients, minimised after p1."""
    worst = m.add_variables("worst_shortfall_per_10k", (1,))
    weighted = inputs.weighted_list
    sel = soft & (cells["priority"].to_numpy(int) == 1) & (cells["level"] == "pcn").to_numpy()
    rows = m.add_constraints("fairness", (len(inputs.pcns),), lower=0.0, axes=PCNS)
    m.add_terms(rows, worst[0], 1.0)
    pis = cells["area"].map(inputs.pcn_index).to_numpy()
    for i in np.flatnonzero(sel):
        pi = int(pis[i])
        m.add_terms(rows[pi], shortfall[i], -1e4 / max(weighted[pi], 1.0))
    m.add_objective(level_catalogue.FAIRNESS.name, worst, 1.0)


def demand(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray, short_time: np.ndarray) -> None:
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
    unmet = m.add_variables("unmet_demand", (len(d),), axes=DEMAND_ROWS)
    rows = m.add_constraints("demand", (len(d),), lower=required, axes=DEMAND_ROWS)
    m.add_terms(rows, unmet, 1.0)
    # appointments delivered to each PCN's demand row: its own staff's, and what shared services give it
    met = m.add_expression("demand_met", (len(d),))
    # where supply runs short, PCNs share the shortfall in proportion to their demand:
    # each further slice of a PCN's unmet share is priced a little higher
    bands = np.diff(UNMET_SHARE_BANDS)
    slices = m.add_variables("unmet_demand_share", (len(d), len(bands)), upper=required[:, None] * bands[None, :], axes=DEMAND_ROW_BANDS)
    rows_split = m.add_constraints("unmet_demand_split", (len(d),), lower=0.0, upper=0.0, axes=DEMAND_ROWS)
    m.add_terms(rows_split, unmet, 1.0)
    m.add_terms(rows_split[:, None], slices, -1.0)
    pi = np.array([members[0] for members in d["members"]], dtype=int)
    t = d["t"].to_numpy(int)
    own = np.flatnonzero((per_head > 0) & (inputs.serves == "pcn"))
    if len(own):
        m.add_to_expression("demand_met", met[:, None], stock[pi[:, None], own[None, :], t[:, None]],
                            per_head[own][None, :])
        m.add_to_expression("demand_met", met[:, None], short_time[pi[:, None], own[None, :], t[:, None]],
                            -loss[own][None, :])
    for level in ("place", "system"):
        shared_roles = np.flatnonzero((per_head > 0) & (inputs.serves == level))
        if not len(shared_roles):
            continue
        # appointments that the group's shared staff give each PCN's row
        given = m.add_variables(f"shared_appointments[{level}]", (len(d),), axes=DEMAND_ROWS)
        m.add_to_expression("demand_met", met, given, 1.0)
        group = inputs.pcn_place if level == "place" else np.zeros(P, dtype=int)
        groups = int(group.max()) + 1
        pool = m.add_constraints(f"shared_capacity[{level}]", (groups, T), upper=0.0)
        m.add_terms(pool[group[pi], t], given, 1.0)
        for r in shared_roles:
            m.add_terms(pool[group[:, None], np.arange(T)[None, :]], stock[:, r, :], -per_head[r])
            m.add_terms(pool[group[:, None], np.arange(T)[None, :]], short_time[:, r, :], loss[r])
    m.add_expression_terms(rows, "demand_met")
    for k in range(1, 10):
        sel = d["priority"].to_numpy(int) == k
        if sel.any():
            steps = 1.0 + UNMET_SHARE_STEP * np.arange(len(bands))
            m.add_objective(level_catalogue.GOALS[k - 1].name, slices[sel], d["penalty"].to_numpy(float)[sel, None] * steps[None, :])


def fair_shares(m: ModelBuilder, inputs: ModelInputs, stock: np.ndarray) -> None:
    """A PCN's staff of a role above :data:`FAIR_SHARE_LIMIT` times its share of
    need (plus what its targets require, plus :data:`FAIR_SHARE_SPARE`) are minimised at
    :data:`FAIR_SHARE_LEVEL`, after the goals: scarce recruits are not all
    given to one PCN when they can be shared.

    The share is of the PCNs that draw on the same labour market for the role
    (the PCNs its supply rows join), so the rule couples nothing the supply
    rows do not already couple, and a model that splits into independent
    places still does."""
    P, R, T = inputs.shape
    need = inputs.registered_list * inputs.need_index
    allowance = required_headcount(inputs)
    recruited = inputs.recruitable.any(axis=(0, 2))
    source = {r: r for r in np.flatnonzero(recruited)}  # roles filled by training share their trainees' market
    for from_ri, to_ri in zip(inputs.transitions["from_ri"], inputs.transitions["to_ri"], strict=True):
        if recruited[from_ri]:
            source.setdefault(int(to_ri), int(from_ri))
    for r in sorted(source):
        if inputs.serves[r] != "pcn":
            continue
        market = labour_markets(inputs, source[r])
        groups = int(market.max()) + 1
        if groups == P:
            continue  # every PCN has a market of its own: nobody to share with
        share = need / np.maximum(np.bincount(market, weights=need, minlength=groups)[market], 1e-12)
        name = inputs.roles[r]
        totals = m.add_variables(f"role_staff[{name}]", (groups, T))
        rows = m.add_constraints(f"role_staff[{name}]", (groups, T), lower=0.0, upper=0.0)
        m.add_terms(rows, totals, 1.0)
        m.add_terms(rows[market, :], stock[:, r, :], -1.0)
        above = m.add_variables(f"above_fair_share[{name}]", (P, T), axes=PCN_PERIOD)
        rows = m.add_constraints(f"fair_share[{name}]", (P, T), upper=allowance[:, r, :] + FAIR_SHARE_SPARE, axes=PCN_PERIOD)
        m.add_terms(rows, stock[:, r, :], 1.0)
        m.add_terms(rows, totals[market, :], -FAIR_SHARE_LIMIT * share[:, None])
        m.add_terms(rows, above, -1.0)
        m.add_objective(FAIR_SHARE_LEVEL, above, 1.0)


def labour_markets(inputs: ModelInputs, r: int) -> np.ndarray:
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


def required_headcount(inputs: ModelInputs, max_priority: int = 9) -> np.ndarray:
    """Per PCN, role and period: the head count the PCN's own targets of priority 1 to
    ``max_priority`` require (0 where none).  Fair shares allow it; the whole-people
    rounding keeps it where supply allows."""
    required = np.zeros(inputs.shape)
    cells = inputs.targets.frame
    if cells.empty or max_priority < 1:
        return required
    for i, (ri, t, need, unit, priority) in enumerate(zip(cells["ri"], cells["t"], cells["required"],
                                                            cells["unit"], cells["priority"], strict=True)):
        members = inputs.targets.pcn_members[i]
        if len(members) != 1 or priority > max_priority:
            continue
        headcount = need if unit == "headcount" else need / max(inputs.participation[ri], 1e-9)
        required[members[0], ri, t] = max(required[members[0], ri, t], headcount)
    return required


def smoothing(m: ModelBuilder, inputs: ModelInputs, starters: np.ndarray) -> None:
    """Penalise quarter-to-quarter changes in starters (no pointless churn)."""
    weight = inputs.settings.smoothing_weight
    P, R, T = inputs.shape
    if weight <= 0 or T < 2:
        return
    mask = (starters[:, :, 1:] >= 0) & (starters[:, :, :-1] >= 0)
    change = m.add_variables("starter_change", (P, R, T - 1), mask=mask, axes=PCN_ROLE_LATER_PERIOD)
    up = m.add_constraints("starter_change_up", (P, R, T - 1), lower=0.0, axes=PCN_ROLE_LATER_PERIOD)
    m.add_terms(up, change, 1.0)
    m.add_terms(up, np.where(mask, starters[:, :, 1:], -1), -1.0)
    m.add_terms(up, np.where(mask, starters[:, :, :-1], -1), 1.0)
    down = m.add_constraints("starter_change_down", (P, R, T - 1), lower=0.0, axes=PCN_ROLE_LATER_PERIOD)
    m.add_terms(down, change, 1.0)
    m.add_terms(down, np.where(mask, starters[:, :, 1:], -1), 1.0)
    m.add_terms(down, np.where(mask, starters[:, :, :-1], -1), -1.0)
    for level in (level_catalogue.COST.name, level_catalogue.REDUNDANCY.name):
        m.add_objective(level, change, weight)
