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
:mod:`wfplan.solve`): ``budget`` overrun, then target and demand
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

from wfplan.model import levels as level_catalogue
from wfplan.model.builder import INF, ModelBuilder
from wfplan.model.formulation import flows, goals, money
from wfplan.model.formulation.goals import FAIR_SHARE_LEVEL
from wfplan.model.inputs import ModelInputs

FEASIBILITY_LEVEL = level_catalogue.FEASIBILITY.name
"""The only level of a model with no objective terms (an all-zero objective)."""

CLAIMS_LEVEL = level_catalogue.CLAIMS.name
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
    """Build the whole model as array blocks, in the order the docstring above tells it.

    Blocks are created in a fixed order (it numbers the columns and rows):
    the staff blocks, stock and flow, course flows, recruitment supply and
    routes, ARRS claims, spend and budgets, then the goals."""
    m = ModelBuilder()
    staff = flows.staff_variables(m, inputs)
    balance, leaver_rows = flows.stock_and_flow(m, inputs, staff)
    held_rows = flows.transitions(m, inputs, staff.stock, balance, leaver_rows)
    flows.course_expressions(m, inputs)
    flows.held_in_post(m, inputs, staff.stock, held_rows)
    flows.supply(m, inputs, staff)
    not_claimable = flows.routes(m, inputs, staff.starters, staff.replacements)
    money.staff_expressions(m, inputs, staff.stock, not_claimable)
    money.claims(m, inputs)
    money.spend_expressions(m, inputs, staff.stock, staff.released, staff.over, staff.short_time)
    money.budgets(m, inputs)
    m.add_expression_objective(level_catalogue.COST.name, "spend")
    goals.fair_shares(m, inputs, staff.stock)
    m.add_expression_objective(CLAIMS_LEVEL, "arrs_claim_gbp", -1.0)
    m.add_objective(level_catalogue.REDUNDANCY.name, staff.released, 1.0)
    goals.targets(m, inputs, staff.stock, staff.over, staff.short_time)
    goals.demand(m, inputs, staff.stock, staff.short_time)
    goals.smoothing(m, inputs, staff.starters)

    levels = [level.name for level in level_catalogue.order(inputs.settings.fairness, inputs.settings.minimise)]
    present = [lv for lv in levels if lv in m.objective_levels]
    # nothing to optimise (no goal, cost or claim): still solve once, for a feasible plan
    return Model(m, inputs, present or [FEASIBILITY_LEVEL])


__all__ = ["CLAIMS_FREE_VARIABLES", "CLAIMS_LEVEL", "FAIR_SHARE_LEVEL", "FEASIBILITY_LEVEL", "INF", "Model", "build"]
