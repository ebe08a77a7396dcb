"""An independent checker for wfplan plans.

``check_plan(scenario, tables, integer)`` re-verifies every planning rule on a
returned plan (``PlanTables``: ``plan.csv``, ``arrs.csv``, ``goals.csv``,
``budgets.csv``) from the *scenario's own tables*.  Rates, initial stock, ARRS
terms, entitlements, targets and demand are recomputed here from
``scenario.table(...)``, ``scenario.pcns``, ``scenario.roles`` and
``scenario.horizon``; nothing is read from the model's arrays and
``wfplan.model`` is never imported, so a mistake in the engine's data
preparation shows up as a violation instead of being checked against itself.

It returns a list of violations (human-readable strings); an empty list means
the plan keeps every rule.

Rules (``t`` a period, ``ppy`` periods per year):

* stock and flow per (PCN, role, period): ``staff[t] = staff[t-1] + starters +
  replacements + transitions_in - leavers - planned_leavers - released -
  transitions_out - training_leavers``, with ``staff[-1]`` the staff in post at the end of the
  period before the horizon (PCN rows exactly; system/place rows apportioned
  to PCNs by registered list: the area's total exactly, each PCN within one
  person of its list share); ``staff_fte = staff x participation``.
* leavers, in both modes, are the data's expectation: ``a x (staff[t-1] -
  on a course at t-1 - known leavers) + e x (starters + replacements)[t]``, plus, for quarter
  steps, the first-year rate's excess on the recruits of the four quarters
  before (``(q1 - a) x (1 - q1)^(j-1) x inflow[t-j]``; none for a training
  grade, whose recruits' leaving is their course's non-completion), with
  ``a = 1 - (1 - annual)^(1/ppy)``, ``q1`` the same for the first-year rate
  and ``e`` the first-year rate (year steps; 0 for quarter steps).
  Integer: recruits, releases, course starts and short time are whole numbers.
* replacements refill posts that leavers left: ``vacancies[t] = vacancies[t-1]
  + leavers[t] - replacements[t] >= 0`` where the role is recruited, and no
  replacements elsewhere.
* transitions: courses from a role start (``training_starts``), end after
  ``lead`` periods, and then ``success x`` the cohort moves to the to-role
  (``transitions_out`` from the from-role, ``transitions_in`` to the to-role)
  while the rest leave (``training_leavers``): a small feasibility LP/MIP
  (scipy, HiGHS) looks for ``started[k, t]`` within ``max_per_period`` and
  ``max_share_of_destination x staff(to_role, t)`` that give all four columns,
  with the people on a course (started in ``(t - lead, t]``) counted in the
  from-role's staff at ``t``.
* supply: starters and replacements of a role summed over an area's PCNs <=
  ``max_starters``; no starters where no supply row covers the PCN and period.
* permissions: released only with a redundancy cost (or ``allow_release``);
  overstaffing only with a cost, within the role's limit and the per-period
  total; short-time only with a cost, within its limit.
* non-negativity of every quantity (including ``other_spend``).
* ARRS (quarter horizons): claim WTE <= FTE above the baseline (staff in post
  at ``arrs_baseline``, default 2018/19 Q4) less the FTE of staff recruited
  through a route not claimable in their year (``staff_not_claimable``), <= the number cap (large-list cap
  from the threshold), 0 when the role has no terms in force that quarter;
  ``claim_gbp = wte x min(cost or cap, cap) x reimbursement / 4``, with ``cost``
  the role's cost in the period's year (below); per
  PCN and year the claims of roles paid from the main sum <= entitlement (per
  weighted patient x weighted list, or per PCN), and those of roles whose
  terms name a ring-fenced ``pot`` <= that pot's sum (``arrs_pots``);
  ``arrs.csv`` agrees.
* known leavers: ``planned_leavers`` is the planned_leavers table's people per
  PCN and period (area rows split by registered list, largest remainder); they
  and trainees on course at the start (``trainees_on_course``, course ending
  ``lead`` after ``started`` or at ``completes``) are not subject to attrition
  until they leave; those trainees' courses end on their dates, the success
  rate's share moving to the to-role.
* routes (``recruitment_routes``): ``recruits_not_claimable`` are recruits
  through a route not claimable in their year (none where there is no such
  route); ``staff_not_claimable`` follows them with the role's leaving rates;
  a supply row naming a route limits that route's recruits (checked where the
  route is the role's only claimable or only not-claimable route that year).
* costs: ``employment_cost = fte x cost / ppy``, ``cost`` the ``role_costs`` row
  of the period's financial year (else the latest earlier one, else
  ``roles.annual_cost``); ``other_spend =
  employment_cost - arrs_claim_gbp``.
* budgets: ``budgets.csv`` spend = the budget's roles' other spend in its area
  and year; overrun = ``max(spend - amount, 0)``.
* goals: every target cell (``per_pcn``, ``per_practice``, ``per_population``,
  ``total``; from ``by`` to ``until`` or the horizon end) and demand cell (per
  PCN: an area's demand shared by the row's split rule) is recomputed: required, achieved, shortfall (one below :data:`SHORTFALL_NOISE`
  may be reported as 0); hard targets are met; ``exact`` targets hold with
  equality (staff - overstaffed - (1 - short-time capacity) x short-time =
  required).

Tolerances: :data:`TOL` scaled by the size of the terms for quantities,
:data:`MONEY_TOL` GBP for money (entitlements, budgets, costs).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from wfplan.scenario.periods import FinancialYear, Quarter

TOL = 1e-6
"""Absolute tolerance, scaled by the size of the terms compared (``TOL x (1 + scale)``)."""
MONEY_TOL = 1e-4
"""Absolute slack on money limits (entitlements, budgets), in GBP."""
SHORTFALL_NOISE = 1e-4
"""A shortfall this small may be reported as 0 (solver noise in LP mode)."""
MAX_REPORTS = 25
"""At most this many violations are listed per rule (then a count of the rest)."""

QUANTITIES = ("starters", "replacements", "leavers", "planned_leavers", "released", "training_starts", "transitions_out",
              "training_leavers", "transitions_in", "staff_headcount", "staff_fte", "vacancies",
              "recruits_not_claimable", "staff_not_claimable", "short_time",
              "overstaffed", "employment_cost", "arrs_claim_wte", "arrs_claim_gbp", "other_spend")
WHOLE = ("starters", "released", "training_starts", "short_time", "planned_leavers")
MONEY = ("employment_cost", "arrs_claim_gbp", "other_spend")
PLAN_COLUMNS = ("pcn", "place", "role", "staff_group", "period", "year", *QUANTITIES)


def _tol(*values: float) -> float:
    scale = max((abs(float(v)) for v in values), default=0.0)
    return TOL * (1.0 + scale)


def _num(value: object, default: float = math.nan) -> float:
    """A table cell as float (None/NaN/blank -> default)."""
    if value is None:
        return default
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(out) else out


class _Report:
    """Collects violations per rule, capped at :data:`MAX_REPORTS` each."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, rule: str, message: str) -> None:
        self.counts[rule] += 1
        if self.counts[rule] <= MAX_REPORTS:
            self.lines.append(f"[{rule}] {message}")

    def result(self) -> list[str]:
        out = list(self.lines)
        for rule, n in self.counts.items():
            if n > MAX_REPORTS:
                out.append(f"[{rule}] ... and {n - MAX_REPORTS} more")
        return out


@dataclass
class _Ctx:
    scenario: object
    tables: object
    integer: bool
    report: _Report
    pcns: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    ppy: int = 4
    step: str = "quarter"
    arr: dict[str, np.ndarray] = field(default_factory=dict)  # column -> P x R x T
    lists: np.ndarray | None = None  # registered list per PCN

    def cell(self, p: int, r: int, t: int) -> str:
        return f"{self.pcns[p]}/{self.roles[r]}/{self.labels[t]}"

    def year_of(self, label: str) -> str:
        return Quarter.parse(label).year.label if self.step == "quarter" else FinancialYear.parse(label).label

    def members(self, level: str, area: str) -> list[int]:
        index = {p: i for i, p in enumerate(self.pcns)}
        return [index[p] for p in self.scenario.pcns_in(level, area) if p in index]

    def role_value(self, role: str, column: str, default: float = math.nan) -> float:
        roles = self.scenario.roles
        if role not in roles.index:
            return default
        return _num(roles.loc[role, column], default)


# --------------------------------------------------------------------------- entry point


def check_plan(scenario, tables, integer: bool) -> list[str]:
    """Every rule broken by ``tables`` (a PlanTables) for ``scenario``; empty when the plan is valid."""
    report = _Report()
    ctx = _Ctx(scenario, tables, integer, report)
    if tables is None:
        return ["[plan] no plan tables (the run returned no solution)"]
    if not _structure(ctx):
        return report.result()
    _non_negative(ctx)
    if integer:
        _whole_numbers(ctx)
    implied0 = _stock_flow(ctx)
    _known_leavers(ctx)
    _leavers(ctx, implied0)
    _transitions(ctx)
    _supply(ctx)
    _routes(ctx)
    _permissions(ctx)
    _arrs(ctx)
    _costs(ctx)
    _budgets(ctx)
    _targets(ctx)
    _demand(ctx)
    return report.result()


# --------------------------------------------------------------------------- structure


def _planned_roles(scenario) -> list[str]:
    used = set(scenario.table("targets")["role"]) | set(scenario.table("supply")["role"])
    tr = scenario.table("transitions")
    used |= set(tr["from_role"]) | set(tr["to_role"])
    return [r for r in scenario.table("roles")["role"] if r in used]


def _structure(ctx: _Ctx) -> bool:
    rep, scenario, plan = ctx.report, ctx.scenario, ctx.tables.plan
    horizon = scenario.horizon
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        rep.add("structure", f"plan.csv lacks columns {missing}")
        return False
    ctx.step, ctx.ppy = horizon.step, horizon.periods_per_year
    ctx.labels = [horizon.label(p) for p in horizon.periods]
    ctx.pcns = list(scenario.pcns.index)
    ctx.roles = list(dict.fromkeys(plan["role"]))
    ctx.lists = scenario.pcns["registered_list"].reindex(ctx.pcns).to_numpy(float)
    for role in _planned_roles(scenario):
        if role not in ctx.roles:
            rep.add("structure", f"role {role} has a target, supply row or transition but is not in the plan")
    unknown = set(plan["pcn"]) - set(ctx.pcns)
    if unknown:
        rep.add("structure", f"plan.csv has unknown PCNs {sorted(unknown)}")
    bad_periods = set(plan["period"]) - set(ctx.labels)
    if bad_periods:
        rep.add("structure", f"plan.csv has periods outside the horizon {sorted(bad_periods)}")
    keys = plan[["pcn", "role", "period"]]
    if keys.duplicated().any():
        rep.add("structure", f"plan.csv repeats {int(keys.duplicated().sum())} (pcn, role, period) rows")
    expected = len(ctx.pcns) * len(ctx.roles) * len(ctx.labels)
    if len(plan) != expected or unknown or bad_periods or keys.duplicated().any():
        rep.add("structure", f"plan.csv has {len(plan)} rows; expected one per PCN x role x period = {expected}")
        return False
    places = scenario.pcns["place"]
    groups = scenario.roles["staff_group"]
    for row in plan[["pcn", "place", "role", "staff_group", "period", "year"]].itertuples(index=False):
        if row.place != places[row.pcn]:
            rep.add("structure", f"{row.pcn}: place {row.place!r}, scenario says {places[row.pcn]!r}")
        if str(row.staff_group) != str(groups[row.role]):
            rep.add("structure", f"{row.role}: staff_group {row.staff_group!r}, scenario says {groups[row.role]!r}")
        if row.year != ctx.year_of(row.period):
            rep.add("structure", f"{row.pcn}/{row.role}/{row.period}: year {row.year!r}")
    indexed = plan.set_index(["pcn", "role", "period"])
    full = pd.MultiIndex.from_product([ctx.pcns, ctx.roles, ctx.labels])
    for column in QUANTITIES:
        values = indexed[column].astype(float).reindex(full).to_numpy()
        ctx.arr[column] = values.reshape(len(ctx.pcns), len(ctx.roles), len(ctx.labels))
        if not np.isfinite(ctx.arr[column]).all():
            rep.add("structure", f"plan.csv column {column} has missing or non-finite values")
            return False
    return True


def _non_negative(ctx: _Ctx) -> None:
    for column in QUANTITIES:
        a = ctx.arr[column]
        tol = MONEY_TOL if column in MONEY else TOL
        for p, r, t in zip(*np.nonzero(a < -tol), strict=True):
            ctx.report.add("non-negative", f"{ctx.cell(p, r, t)}: {column} = {a[p, r, t]:.9g} < 0")


def _whole_numbers(ctx: _Ctx) -> None:
    for column in WHOLE:
        a = ctx.arr[column]
        for p, r, t in zip(*np.nonzero(np.abs(a - np.round(a)) > 1e-6), strict=True):
            ctx.report.add("whole-people", f"{ctx.cell(p, r, t)}: {column} = {a[p, r, t]:.9g} is not a whole number")


# --------------------------------------------------------------------------- stock


@dataclass
class _Stock:
    """Staff in post per PCN and role recomputed from staff_in_post at one period end."""

    value: np.ndarray  # P x R
    slack: np.ndarray  # P x R: allowed deviation per PCN (inf = not determined)
    groups: list[tuple[list[int], int, float, str]]  # (members, role index, total, description)


def _stock_at(ctx: _Ctx, as_at: str | None, fte: bool) -> _Stock:
    """PCN rows exactly; place/system rows apportioned over the PCNs they cover that
    have no finer row, by registered list (whole people within one person for
    head counts, proportional for FTE).  An area whose PCNs partly have finer
    rows is ambiguous: its remaining PCNs are left undetermined (slack inf)."""
    P, R = len(ctx.pcns), len(ctx.roles)
    value, slack, groups = np.zeros((P, R)), np.zeros((P, R)), []
    if as_at is None:
        return _Stock(value, slack, groups)
    sip = ctx.scenario.table("staff_in_post")
    sip = sip[sip["as_at"] == as_at]
    for ri, role in enumerate(ctx.roles):
        rows = sip[sip["role"] == role]
        covered: set[int] = set()
        for level in ("pcn", "place", "system"):
            for _, row in rows[rows["level"] == level].iterrows():
                amount = _num(row["headcount"], 0.0)
                if fte:
                    given = _num(row["fte"])
                    amount = given if not math.isnan(given) else amount * ctx.role_value(role, "participation_rate", 1.0)
                members = ctx.members(level, row["area"])
                where = f"{level} {row['area']}"
                if level == "pcn":
                    value[members, ri] = amount
                    covered |= set(members)
                    continue
                free = [m for m in members if m not in covered]
                if len(free) < len(members):
                    slack[free, ri] = np.inf
                elif free:
                    weights = ctx.lists[free]
                    weights = weights if weights.sum() > 0 else np.ones(len(free))
                    value[free, ri] = amount * weights / weights.sum()
                    slack[free, ri] = 0.0 if fte else 1.0
                    groups.append((free, ri, amount, where))
                covered |= set(members)
    return _Stock(value, slack, groups)


def _stock_flow(ctx: _Ctx) -> np.ndarray:
    """Check the balance; return the initial stock implied by the plan's first period."""
    a, rep = ctx.arr, ctx.report
    staff = a["staff_headcount"]
    net = (a["starters"] + a["replacements"] + a["transitions_in"] - a["leavers"] - a["planned_leavers"]
           - a["released"] - a["transitions_out"] - a["training_leavers"])
    implied0 = staff[:, :, 0] - net[:, :, 0]
    P, R, T = staff.shape
    for t in range(1, T):
        gap = staff[:, :, t] - staff[:, :, t - 1] - net[:, :, t]
        for p, r in zip(*np.nonzero(np.abs(gap) > TOL * (1 + np.abs(staff[:, :, t]))), strict=True):
            rep.add("stock-flow", f"{ctx.cell(p, r, t)}: staff {staff[p, r, t]:.9g} != previous "
                    f"{staff[p, r, t - 1]:.9g} + starters + replacements + transitions_in - leavers - "
                    f"planned_leavers - released - transitions_out - training_leavers (off by {gap[p, r]:.6g})")
    horizon = ctx.scenario.horizon
    before = horizon.label(horizon.first - 1)
    init = _stock_at(ctx, before, fte=False)
    for p in range(P):
        for r in range(R):
            if not math.isfinite(init.slack[p, r]):
                continue
            diff = implied0[p, r] - init.value[p, r]
            if abs(diff) > init.slack[p, r] + _tol(init.value[p, r]):
                rep.add("initial-stock", f"{ctx.cell(p, r, 0)}: the plan starts from {implied0[p, r]:.9g} staff; "
                        f"staff_in_post at {before} gives {init.value[p, r]:.9g}"
                        + (" (apportioned by list, within 1)" if init.slack[p, r] else ""))
    for members, r, total, where in init.groups:
        got = implied0[members, r].sum()
        if abs(got - total) > _tol(total):
            rep.add("initial-stock", f"{ctx.roles[r]}: initial stock over the PCNs of {where} is {got:.9g}; "
                    f"staff_in_post at {before} gives {total:.9g}")
    part = np.array([ctx.role_value(r, "participation_rate", 1.0) for r in ctx.roles])
    fte = staff * part[None, :, None]
    for p, r, t in zip(*np.nonzero(np.abs(a["staff_fte"] - fte) > TOL * (1 + np.abs(fte))), strict=True):
        rep.add("fte", f"{ctx.cell(p, r, t)}: staff_fte {a['staff_fte'][p, r, t]:.9g} != headcount x "
                f"participation {fte[p, r, t]:.9g}")
    return implied0


def _attrition_rates(ctx: _Ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per role: experienced rate per period, entry loss (year steps) and the
    first-year rate's excess per period (quarter steps; 0 for training grades)."""
    table = ctx.scenario.table("attrition").set_index("role")
    tr = ctx.scenario.table("transitions")
    training_grades = set(tr.loc[tr["lead_periods"].astype(int) > 0, "from_role"])
    a, e, extra = np.zeros(len(ctx.roles)), np.zeros(len(ctx.roles)), np.zeros(len(ctx.roles))
    for r, role in enumerate(ctx.roles):
        if role not in table.index:
            continue
        annual = _num(table.loc[role, "annual_rate"], 0.0)
        first = _num(table.loc[role, "first_year_annual_rate"], annual)
        a[r] = 1.0 - (1.0 - annual) ** (1.0 / ctx.ppy)
        if ctx.ppy == 1:
            e[r] = first
        elif role not in training_grades:
            extra[r] = (1.0 - (1.0 - first) ** (1.0 / ctx.ppy)) - a[r]
    return a, e, extra


def _on_course(ctx: _Ctx) -> np.ndarray:
    """People on a course (started in ``(t - lead, t]``) counted in each from-role at the end of t."""
    tr = ctx.scenario.table("transitions")
    starts = ctx.arr["training_starts"]
    out = np.zeros_like(starts)
    for role, lead in zip(tr["from_role"], tr["lead_periods"].astype(int), strict=True):
        if role not in ctx.roles or lead <= 0:
            continue
        r = ctx.roles.index(role)
        leads = set(tr.loc[tr["from_role"] == role, "lead_periods"].astype(int))
        if len(leads) > 1:
            ctx.report.add("attrition", f"{role}: courses of different lengths start from this role; people on a "
                           "course cannot be told apart (not checked)")
            continue
        on = np.zeros_like(starts[:, r, :])
        for j in range(min(lead, starts.shape[2])):
            on[:, j:] += starts[:, r, : starts.shape[2] - j]
        out[:, r, :] = on
    return out


def _whole_split(ctx: _Ctx, level: str, area: str, headcount: float) -> np.ndarray:
    """Per PCN: a PCN row's people, or an area's split by registered list in whole
    people (largest remainder: floors, then one each to the largest fractions)."""
    out = np.zeros(len(ctx.pcns))
    members = ctx.members(level, area)
    if level == "pcn":
        out[members] = headcount
        return out
    weights = ctx.lists[members]
    exact = headcount * weights / weights.sum()
    whole = np.floor(exact)
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[: int(round(headcount - whole.sum()))]] += 1
    out[members] = whole
    return out


def _known_leavers(ctx: _Ctx) -> None:
    """plan.csv's planned_leavers are the planned_leavers table's people, on their dates."""
    expected = np.zeros(ctx.arr["planned_leavers"].shape)
    t_index = {label: i for i, label in enumerate(ctx.labels)}
    for row in ctx.scenario.table("planned_leavers").itertuples(index=False):
        if row.role in ctx.roles and row.period in t_index:
            expected[:, ctx.roles.index(row.role), t_index[row.period]] += _whole_split(
                ctx, row.level, row.area, float(row.headcount))
    got = ctx.arr["planned_leavers"]
    for p, r, t in zip(*np.nonzero(np.abs(got - expected) > TOL), strict=True):
        ctx.report.add("planned-leavers", f"{ctx.cell(p, r, t)}: planned_leavers {got[p, r, t]:.9g}, the "
                       f"planned_leavers table gives {expected[p, r, t]:.9g}")


def _trainees_at_start(ctx: _Ctx) -> dict[str, np.ndarray]:
    """Trainees on course at the start (trainees_on_course), P x R x T each, their course
    ending ``lead_periods`` after ``started`` (or at ``completes``): ``exits`` (the
    successes leaving the from-role when it ends), ``exit_leavers`` (the rest),
    ``completions`` (the successes joining the to-role), ``on`` (still on course at
    the end of t) and ``before`` (on course at the end of t - 1)."""
    shape = ctx.arr["staff_headcount"].shape
    out = {name: np.zeros(shape) for name in ("exits", "completions", "on", "before", "exit_leavers")}
    tr = ctx.scenario.table("transitions").set_index("transition")
    horizon = ctx.scenario.horizon
    periods = np.array(list(horizon.periods))
    for row in ctx.scenario.table("trainees_on_course").itertuples(index=False):
        if row.transition not in tr.index:
            continue
        course = tr.loc[row.transition]
        if course["from_role"] not in ctx.roles or course["to_role"] not in ctx.roles:
            continue
        started = row.started if isinstance(row.started, str) and row.started else None
        ends = horizon.index(started) + int(course["lead_periods"]) if started else horizon.index(row.completes)
        people = _whole_split(ctx, row.level, row.area, float(row.headcount))
        f, to = ctx.roles.index(course["from_role"]), ctx.roles.index(course["to_role"])
        success = float(course["success_rate"])
        out["on"][:, f, :] += people[:, None] * (periods < ends)[None, :]
        out["before"][:, f, :] += people[:, None] * (periods <= ends)[None, :]
        if periods[0] <= ends <= periods[-1]:
            t = ends - periods[0]
            out["exits"][:, f, t] += success * people
            out["exit_leavers"][:, f, t] += (1.0 - success) * people
            out["completions"][:, to, t] += success * people
    return out


def _leavers(ctx: _Ctx, implied0: np.ndarray) -> None:
    arr, rep = ctx.arr, ctx.report
    a, e, extra = _attrition_rates(ctx)
    staff = arr["staff_headcount"]
    P, R, T = staff.shape
    on_course = _on_course(ctx)
    prev = np.concatenate([implied0[:, :, None], staff[:, :, :-1]], axis=2)
    prev_course = np.concatenate([np.zeros((P, R, 1)), on_course[:, :, :-1]], axis=2)
    # planned leavers leaving at t or later, and trainees on course at the start still on it at
    # the end of t - 1, leave on their dates: attrition applies to the others
    planned_from = np.cumsum(arr["planned_leavers"][:, :, ::-1], axis=2)[:, :, ::-1]
    exempt = planned_from + _trainees_at_start(ctx)["before"]
    inflow = arr["starters"] + arr["replacements"]
    expected = a[None, :, None] * (prev - prev_course - exempt) + e[None, :, None] * inflow
    if ctx.ppy == 4:
        survive = 1.0 - (a + extra)
        for j in range(1, min(4, T - 1) + 1):
            expected[:, :, j:] += (extra * survive ** (j - 1))[None, :, None] * inflow[:, :, : T - j]
    leavers = arr["leavers"]
    bad = np.abs(leavers - expected) > TOL * (1 + np.abs(prev) + np.abs(inflow))
    for p, r, t in zip(*np.nonzero(bad), strict=True):
        rep.add("attrition", f"{ctx.cell(p, r, t)}: leavers {leavers[p, r, t]:.9g} != the expectation "
                f"{expected[p, r, t]:.9g} (previous staff {prev[p, r, t]:.9g}, recruits {inflow[p, r, t]:.9g})")
    _vacancies(ctx)


def _vacancies(ctx: _Ctx) -> None:
    """Replacements refill posts that leavers left, only where the role is recruited
    (whole-people plans; an LP plan's recruits are all starters)."""
    arr, rep = ctx.arr, ctx.report
    if not ctx.integer:
        for column in ("replacements", "vacancies"):
            if np.abs(arr[column]).max(initial=0.0) > TOL:
                rep.add("replacements", f"an LP plan has {column} (its recruits are all starters)")
        return
    recruited = _supply_cover(ctx).any(axis=2)
    pool = np.cumsum(arr["leavers"] - arr["replacements"], axis=2)
    for p, r in zip(*np.nonzero(~recruited & (arr["replacements"].max(axis=2) > TOL)), strict=True):
        rep.add("replacements", f"{ctx.pcns[p]}/{ctx.roles[r]}: replacements but the role is never recruited there")
    for p, r, t in zip(*np.nonzero(recruited[:, :, None] & (pool < -TOL * (1 + np.abs(arr["leavers"]).sum()))),
                       strict=True):
        rep.add("replacements", f"{ctx.cell(p, r, t)}: replacements to date exceed leavers to date by {-pool[p, r, t]:.6g}")
    gap = np.where(recruited[:, :, None], arr["vacancies"] - pool, arr["vacancies"])
    scale = np.cumsum(np.abs(arr["leavers"]) + np.abs(arr["replacements"]), axis=2)  # errors add up over time
    for p, r, t in zip(*np.nonzero(np.abs(gap) > TOL * (1 + scale)), strict=True):
        rep.add("replacements", f"{ctx.cell(p, r, t)}: vacancies {arr['vacancies'][p, r, t]:.9g} != leavers to date "
                f"- replacements to date {pool[p, r, t]:.9g}")


# --------------------------------------------------------------------------- transitions


def _transitions(ctx: _Ctx) -> None:
    """Course flows: those of trainees on course at the start (recomputed from the
    table) taken out, the rest must be courses started in the plan."""
    rep = ctx.report
    at_start = _trainees_at_start(ctx)
    arr = dict(ctx.arr)
    arr["transitions_out"] = arr["transitions_out"] - at_start["exits"]
    arr["training_leavers"] = arr["training_leavers"] - at_start["exit_leavers"]
    arr["transitions_in"] = arr["transitions_in"] - at_start["completions"]
    arr["staff_headcount"] = arr["staff_headcount"] - at_start["on"]  # room for courses started in the plan
    tr = ctx.scenario.table("transitions")
    tr = tr[tr["from_role"].isin(ctx.roles) & tr["to_role"].isin(ctx.roles)].reset_index(drop=True)
    columns = ("training_starts", "transitions_out", "training_leavers", "transitions_in")
    if sum(float(np.abs(arr[c]).sum()) for c in columns) <= TOL:
        return
    if tr.empty:
        rep.add("transitions", "the plan has transitions but the scenario has none")
        return
    for p in range(len(ctx.pcns)):
        if sum(float(np.abs(arr[c][p]).sum()) for c in columns) <= TOL:
            continue
        if not _explained(ctx, arr, tr, p):
            rep.add("transitions", f"{ctx.pcns[p]}: training_starts, transitions_out, training_leavers and "
                    "transitions_in cannot be decomposed into the scenario's courses (lead, success rate, "
                    "max_per_period, max_share_of_destination, trainees in the from-role during their course)")


def _explained(ctx: _Ctx, arr: dict[str, np.ndarray], tr: pd.DataFrame, p: int) -> bool:
    """Whether some course starts ``started[k, t]`` give PCN p's four transition
    columns, with people on a course counted in the from-role (a feasibility MILP)."""
    starts, out, left, into = (arr[c][p] for c in ("training_starts", "transitions_out", "training_leavers",
                                                     "transitions_in"))
    staff = arr["staff_headcount"][p]
    R, T = out.shape
    r_index = {r: i for i, r in enumerate(ctx.roles)}
    K = len(tr)
    lead = tr["lead_periods"].astype(int).to_numpy()
    success = tr["success_rate"].astype(float).to_numpy()
    from_r = tr["from_role"].map(r_index).to_numpy(int)
    to_r = tr["to_role"].map(r_index).to_numpy(int)
    x = {(k, t): k * T + t for k in range(K) for t in range(T)}
    n = len(x)
    upper = np.full(n, np.inf)
    for (k, t), j in x.items():
        cap = _num(tr["max_per_period"].iloc[k], np.inf)
        share = _num(tr["max_share_of_destination"].iloc[k])
        if not math.isnan(share):
            cap = min(cap, share * staff[to_r[k], t])
        upper[j] = cap + _tol(cap) if math.isfinite(cap) else np.inf
    rows, lo, hi = [], [], []

    def add(coefs: dict[int, float], value: float) -> None:
        row = np.zeros(n)
        for j, v in coefs.items():
            row[j] += v
        rows.append(row)
        lo.append(value - _tol(value))
        hi.append(value + _tol(value))

    for r in range(R):
        for tau in range(T):
            mine = np.flatnonzero(from_r == r)
            add({x[k, tau]: 1.0 for k in mine}, starts[r, tau])
            ended = [k for k in mine if tau - lead[k] >= 0]
            add({x[k, tau - lead[k]]: success[k] for k in ended}, out[r, tau])
            add({x[k, tau - lead[k]]: 1.0 - success[k] for k in ended}, left[r, tau])
            arrived = [k for k in np.flatnonzero(to_r == r) if tau - lead[k] >= 0]
            add({x[k, tau - lead[k]]: success[k] for k in arrived}, into[r, tau])
            on_course = {x[k, s]: 1.0 for k in mine for s in range(max(tau - lead[k] + 1, 0), tau + 1)}
            if on_course:
                rows.append(np.bincount(list(on_course), minlength=n).astype(float))
                lo.append(-np.inf)
                hi.append(staff[r, tau] + _tol(staff[r, tau]))
    res = milp(np.zeros(n), constraints=LinearConstraint(np.array(rows), np.array(lo), np.array(hi)),
               bounds=Bounds(np.zeros(n), upper), integrality=np.full(n, 1 if ctx.integer else 0))
    return res.status == 0


# --------------------------------------------------------------------------- supply, permissions


def _supply_cover(ctx: _Ctx) -> np.ndarray:
    """Per PCN, role and period: whether a supply row covers it (the role may be recruited)."""
    covered = np.zeros(ctx.arr["starters"].shape, dtype=bool)
    t_index = {label: i for i, label in enumerate(ctx.labels)}
    r_index = {r: i for i, r in enumerate(ctx.roles)}
    for _, row in ctx.scenario.table("supply").iterrows():
        if row["role"] in r_index and row["period"] in t_index:
            covered[ctx.members(row["level"], row["area"]), r_index[row["role"]], t_index[row["period"]]] = True
    return covered


def _supply(ctx: _Ctx) -> None:
    rep, starters = ctx.report, ctx.arr["starters"]
    inflow = starters + ctx.arr["replacements"]
    t_index = {label: i for i, label in enumerate(ctx.labels)}
    r_index = {r: i for i, r in enumerate(ctx.roles)}
    for _, row in ctx.scenario.table("supply").iterrows():
        if row["role"] not in r_index or row["period"] not in t_index:
            continue
        r, t = r_index[row["role"]], t_index[row["period"]]
        members = ctx.members(row["level"], row["area"])
        route = row.get("route")
        if isinstance(route, str) and route:
            _route_supply(ctx, row, r, t, members)
            continue
        total = inflow[members, r, t].sum()
        limit = float(row["max_starters"])
        if total > limit + _tol(limit):
            rep.add("supply", f"{row['role']} {row['period']} {row['level']} {row['area']}: "
                    f"{total:.9g} starters and replacements > max_starters {limit:.9g}")
    covered = _supply_cover(ctx)
    for p, r, t in zip(*np.nonzero((inflow > TOL) & ~covered), strict=True):
        rep.add("supply", f"{ctx.cell(p, r, t)}: {inflow[p, r, t]:.9g} recruited but no supply row covers "
                "this PCN and period (a role without supply is not recruited)")


def _routes_by_year(ctx: _Ctx) -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    """(role, year) -> (claimable routes, routes not claimable) from recruitment_routes."""
    out: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for row in ctx.scenario.table("recruitment_routes").itertuples(index=False):
        claimable, not_claimable = out.setdefault((row.role, row.year), ([], []))
        (claimable if bool(row.arrs_claimable) else not_claimable).append(row.route)
    return out


def _route_supply(ctx: _Ctx, row: pd.Series, r: int, t: int, members: list[int]) -> None:
    """A supply row naming a route: that route's recruits within the limit, where the
    plan tells them apart (the role's only route of its kind, claimable or not, that year)."""
    arr = ctx.arr
    claimable, not_claimable = _routes_by_year(ctx).get((row["role"], ctx.year_of(row["period"])), ([], []))
    recruits = arr["recruits_not_claimable"][members, r, t]
    if not_claimable == [row["route"]]:
        total = recruits.sum()
    elif claimable == [row["route"]]:
        total = (arr["starters"][members, r, t] + arr["replacements"][members, r, t] - recruits).sum()
    else:
        return  # one of several routes of its kind: the plan does not give them one by one
    limit = float(row["max_starters"])
    if total > limit + _tol(limit):
        ctx.report.add("route-supply", f"{row['role']} {row['period']} {row['level']} {row['area']} route "
                       f"{row['route']}: {total:.9g} recruits > max_starters {limit:.9g}")


def _routes(ctx: _Ctx) -> None:
    """Recruits through routes not claimable in their year (recruits_not_claimable) are some of the
    recruits, none where the role has no such route that year; those in post
    (staff_not_claimable) leave at the role's rates, as the other recruits do."""
    arr, rep = ctx.arr, ctx.report
    a, e, extra = _attrition_rates(ctx)
    routes = _routes_by_year(ctx)
    recruits, staff = arr["recruits_not_claimable"], arr["staff_not_claimable"]
    inflow = arr["starters"] + arr["replacements"]
    P, R, T = recruits.shape
    for r, role in enumerate(ctx.roles):
        for t, label in enumerate(ctx.labels):
            has_route = bool(routes.get((role, ctx.year_of(label)), ([], []))[1])
            for p in range(P):
                got = recruits[p, r, t]
                if (not has_route and abs(got) > TOL) or got > inflow[p, r, t] + _tol(inflow[p, r, t]):
                    rep.add("routes", f"{ctx.cell(p, r, t)}: recruits_not_claimable {got:.9g} (recruits "
                            f"{inflow[p, r, t]:.9g}; a route not claimable that year: {has_route})")
    expected = np.zeros((P, R, T))
    survive = 1.0 - (a + extra)
    for t in range(T):
        before = expected[:, :, t - 1] if t else 0.0
        expected[:, :, t] = (1.0 - a)[None, :] * before + (1.0 - e)[None, :] * recruits[:, :, t]
        if ctx.ppy == 4:
            for j in range(1, min(4, t) + 1):
                expected[:, :, t] -= (extra * survive ** (j - 1))[None, :] * recruits[:, :, t - j]
    for p, r, t in zip(*np.nonzero(np.abs(staff - expected) > TOL * (1 + np.abs(expected))), strict=True):
        rep.add("routes", f"{ctx.cell(p, r, t)}: staff_not_claimable {staff[p, r, t]:.9g} != recruits through "
                f"routes not claimable less their leavers {expected[p, r, t]:.9g}")


def _permissions(ctx: _Ctx) -> None:
    rep, arr = ctx.report, ctx.arr
    allow_release = bool(ctx.scenario.manifest.model.allow_release)
    for r, role in enumerate(ctx.roles):
        released = arr["released"][:, r, :]
        if released.max() > TOL and math.isnan(ctx.role_value(role, "redundancy_cost")) and not allow_release:
            rep.add("release", f"{role}: {released.sum():.9g} released but the role has no redundancy_cost "
                    "and allow_release is off")
        over = arr["overstaffed"][:, r, :]
        over_cost, over_limit = ctx.role_value(role, "overstaffing_cost"), ctx.role_value(role, "overstaffing_limit")
        if over.max() > TOL and math.isnan(over_cost):
            rep.add("overstaffing", f"{role}: overstaffed {over.max():.9g} but the role has no overstaffing_cost")
        if not math.isnan(over_limit):
            for p, t in zip(*np.nonzero(over > over_limit + _tol(over_limit)), strict=True):
                rep.add("overstaffing", f"{ctx.cell(p, r, t)}: overstaffed {over[p, t]:.9g} > limit {over_limit:.9g}")
        short = arr["short_time"][:, r, :]
        short_cost, short_limit = ctx.role_value(role, "short_time_cost"), ctx.role_value(role, "short_time_limit", 0.0)
        if short.max() > TOL and (math.isnan(short_cost) or short_limit <= 0):
            rep.add("short-time", f"{role}: short_time {short.max():.9g} but short-time is not allowed "
                    "(no short_time_cost or a zero limit)")
        for p, t in zip(*np.nonzero(short > short_limit + _tol(short_limit)), strict=True):
            rep.add("short-time", f"{ctx.cell(p, r, t)}: short_time {short[p, t]:.9g} > limit {short_limit:.9g}")
    limit = ctx.scenario.manifest.model.overstaffing_limit_total
    if limit is not None:
        per_period = arr["overstaffed"].sum(axis=(0, 1))
        for t in np.flatnonzero(per_period > limit + _tol(limit)):
            rep.add("overstaffing", f"{ctx.labels[t]}: total overstaffed {per_period[t]:.9g} > "
                    f"overstaffing_limit_total {limit:.9g}")


# --------------------------------------------------------------------------- ARRS and money


def _annual_cost(ctx: _Ctx, role: str, year: str) -> float:
    """Cost per WTE of ``role`` in financial ``year``: its ``role_costs`` row for the
    year, else its latest earlier row, else ``roles.annual_cost``."""
    table = ctx.scenario.table("role_costs")
    rows = table[table["role"] == role]
    start = FinancialYear.parse(year).start
    best, best_start = math.nan, None
    for row_year, amount in zip(rows["year"], rows["annual_cost"], strict=True):
        row_start = FinancialYear.parse(row_year).start
        if row_start <= start and (best_start is None or row_start > best_start):
            best, best_start = float(amount), row_start
    return best if best_start is not None else ctx.role_value(role, "annual_cost")


def _arrs_terms(ctx: _Ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per PCN, role, period: GBP per claimed WTE per period (0 = not eligible), the WTE
    cap, and per role and period the ring-fenced pot that pays the claims ('' = the main sum)."""
    P, R, T = ctx.arr["staff_headcount"].shape
    rate, cap = np.zeros((P, R, T)), np.full((P, R, T), np.inf)
    pots = np.full((R, T), "", dtype=object)
    if ctx.step != "quarter":
        return rate, cap, pots
    terms = ctx.scenario.table("arrs_roles")
    for t, label in enumerate(ctx.labels):
        q = Quarter.parse(label)
        for r, role in enumerate(ctx.roles):
            rows = terms[(terms["year"] == q.year.label) & (terms["role"] == role)]
            best, best_start = None, None
            for _, row in rows.iterrows():
                fq = row["from_quarter"]
                start = Quarter.parse(fq).index if isinstance(fq, str) and fq else Quarter.first_of(q.year).index
                if start <= q.index and (best_start is None or start >= best_start):
                    best, best_start = row, start
            if best is None:
                continue
            cap_gbp = float(best["cap_per_wte"])
            cost = _annual_cost(ctx, role, q.year.label)
            cost = cap_gbp if math.isnan(cost) or cost <= 0 else cost
            rate[:, r, t] = min(cost, cap_gbp) * float(best["reimbursement_rate"]) / 4.0
            number = _num(best["max_wte_per_pcn"], np.inf)
            wte = np.full(P, number)
            threshold, large = _num(best["large_list_threshold"]), _num(best["max_wte_per_pcn_large"])
            if math.isfinite(number) and not math.isnan(threshold) and not math.isnan(large):
                wte[ctx.lists >= threshold] = large
            cap[:, r, t] = wte
            pots[r, t] = best["pot"] if isinstance(best["pot"], str) else ""
    return rate, cap, pots


def _entitlements(ctx: _Ctx) -> dict[tuple[int, str], float]:
    years = ctx.scenario.table("arrs_years").set_index("year")
    weighted = ctx.scenario.pcns["weighted_list"].reindex(ctx.pcns).astype(float)
    registered = ctx.scenario.pcns["registered_list"].reindex(ctx.pcns).astype(float)
    weighted = weighted.fillna(registered).to_numpy()
    out = {}
    for year in dict.fromkeys(ctx.year_of(label) for label in ctx.labels):
        if year not in years.index:
            continue
        row = years.loc[year]
        per_pcn = _num(row["entitlement_per_pcn"])
        for p in range(len(ctx.pcns)):
            out[p, year] = per_pcn if not math.isnan(per_pcn) else float(row["entitlement_per_weighted_patient"]) * weighted[p]
    return out


def _pot_entitlements(ctx: _Ctx) -> dict[tuple[int, str, str], float]:
    """(PCN, year, pot) -> the ring-fenced sum from arrs_pots (per weighted patient or per PCN)."""
    weighted = ctx.scenario.pcns["weighted_list"].reindex(ctx.pcns).astype(float)
    weighted = weighted.fillna(ctx.scenario.pcns["registered_list"].reindex(ctx.pcns).astype(float)).to_numpy()
    out = {}
    for row in ctx.scenario.table("arrs_pots").to_dict("records"):
        per_pcn = _num(row["entitlement_per_pcn"])
        for p in range(len(ctx.pcns)):
            out[p, row["year"], row["pot"]] = per_pcn if not math.isnan(per_pcn) else \
                float(row["entitlement_per_weighted_patient"]) * weighted[p]
    return out


def _arrs(ctx: _Ctx) -> None:
    rep, arr = ctx.report, ctx.arr
    claim, gbp = arr["arrs_claim_wte"], arr["arrs_claim_gbp"]
    rate, cap, pots = _arrs_terms(ctx)
    eligible = rate > 0
    for p, r, t in zip(*np.nonzero(~eligible & ((np.abs(claim) > TOL) | (np.abs(gbp) > MONEY_TOL))), strict=True):
        rep.add("arrs-eligibility", f"{ctx.cell(p, r, t)}: claims {claim[p, r, t]:.9g} WTE "
                f"(GBP {gbp[p, r, t]:.2f}) but the role has no ARRS terms in force that period")
    settings = ctx.scenario.manifest.model
    baseline_label = settings.arrs_baseline or ("2018/19 Q4" if ctx.step == "quarter" else None)
    base = _stock_at(ctx, baseline_label, fte=True)
    base_fte = np.where(np.isfinite(base.slack), base.value, 0.0)
    fte = arr["staff_fte"]
    # staff recruited through a route that is not claimable are never claimed (the 12-month rule)
    part = np.array([ctx.role_value(r, "participation_rate", 1.0) for r in ctx.roles])
    above = np.maximum(fte - arr["staff_not_claimable"] * part[None, :, None] - base_fte[:, :, None], 0.0)
    for p, r, t in zip(*np.nonzero(eligible & (claim > above + TOL * (1 + fte))), strict=True):
        rep.add("arrs-fte", f"{ctx.cell(p, r, t)}: claim {claim[p, r, t]:.9g} WTE > FTE {fte[p, r, t]:.9g} "
                f"above the {baseline_label} baseline {base_fte[p, r]:.9g}")
    for p, r, t in zip(*np.nonzero(eligible & (claim > cap + TOL * (1 + np.where(np.isfinite(cap), cap, 0)))),
                       strict=True):
        rep.add("arrs-cap", f"{ctx.cell(p, r, t)}: claim {claim[p, r, t]:.9g} WTE > number cap {cap[p, r, t]:.9g}")
    expected = claim * rate
    for p, r, t in zip(*np.nonzero(np.abs(gbp - expected) > MONEY_TOL + TOL * np.abs(expected)), strict=True):
        rep.add("arrs-gbp", f"{ctx.cell(p, r, t)}: arrs_claim_gbp {gbp[p, r, t]:.6f} != {claim[p, r, t]:.9g} WTE x "
                f"GBP {rate[p, r, t]:.4f} = {expected[p, r, t]:.6f}")
    entitlement = _entitlements(ctx)
    years = np.array([ctx.year_of(label) for label in ctx.labels])
    claims, ring_fenced = {}, {}
    main = np.where((pots == "")[None], gbp, 0.0)
    pot_amounts = _pot_entitlements(ctx)
    for p in range(len(ctx.pcns)):
        for year in dict.fromkeys(years):
            for pot in sorted(set(pots[:, years == year].ravel()) - {""}):
                paid = float(gbp[p][(pots == pot) & (years == year)[None, :]].sum())
                amount = pot_amounts.get((p, year, pot))
                if amount is None or paid > amount + MONEY_TOL:
                    rep.add("arrs-pot", f"{ctx.pcns[p]} {year}: claims GBP {paid:.6f} from ring-fenced pot {pot} "
                            f"of GBP {amount}")
            total = float(main[p][:, years == year].sum())
            claims[p, year] = total
            ring_fenced[p, year] = float(gbp[p][:, years == year].sum()) - total
            ent = entitlement.get((p, year))
            if ent is None:
                if total > MONEY_TOL:
                    rep.add("arrs-entitlement", f"{ctx.pcns[p]} {year}: claims GBP {total:.2f} with no "
                            "arrs_years rule (no entitlement) for the year")
            elif total > ent + MONEY_TOL:
                rep.add("arrs-entitlement", f"{ctx.pcns[p]} {year}: claims GBP {total:.6f} > entitlement "
                        f"GBP {ent:.6f}")
    table = ctx.tables.arrs
    seen = set()
    for _, row in table.iterrows():
        key = (ctx.pcns.index(row["pcn"]) if row["pcn"] in ctx.pcns else -1, row["year"])
        seen.add(key)
        ent = entitlement.get(key)
        if ent is None:
            rep.add("arrs-table", f"arrs.csv has a row for {row['pcn']} {row['year']} with no entitlement rule")
            continue
        pot_total = sum(v for (q, y, _), v in pot_amounts.items() if (q, y) == key)
        for column, want in (("entitlement", ent), ("claims", claims.get(key, 0.0)),
                             ("headroom", ent - claims.get(key, 0.0)),
                             ("ring_fenced_entitlement", pot_total),
                             ("ring_fenced_claims", ring_fenced.get(key, 0.0))):
            if abs(float(row[column]) - want) > MONEY_TOL + TOL * abs(want):
                rep.add("arrs-table", f"arrs.csv {row['pcn']} {row['year']}: {column} {float(row[column]):.6f}, "
                        f"recomputed {want:.6f}")
    for p, year in set(entitlement) - seen:
        rep.add("arrs-table", f"arrs.csv lacks the row for {ctx.pcns[p]} {year}")


def _costs(ctx: _Ctx) -> None:
    rep, arr = ctx.report, ctx.arr
    cost = np.array([[_num(_annual_cost(ctx, r, ctx.year_of(label)), 0.0) for label in ctx.labels]
                     for r in ctx.roles]).reshape(len(ctx.roles), len(ctx.labels))
    expected = arr["staff_fte"] * cost[None, :, :] / ctx.ppy
    for p, r, t in zip(*np.nonzero(np.abs(arr["employment_cost"] - expected) > MONEY_TOL + TOL * expected),
                       strict=True):
        rep.add("cost", f"{ctx.cell(p, r, t)}: employment_cost {arr['employment_cost'][p, r, t]:.6f} != FTE x "
                f"annual cost / {ctx.ppy} = {expected[p, r, t]:.6f}")
    other = arr["employment_cost"] - arr["arrs_claim_gbp"]
    for p, r, t in zip(*np.nonzero(np.abs(arr["other_spend"] - other) > MONEY_TOL + TOL * np.abs(other)),
                       strict=True):
        rep.add("cost", f"{ctx.cell(p, r, t)}: other_spend {arr['other_spend'][p, r, t]:.6f} != employment_cost "
                f"- arrs_claim_gbp = {other[p, r, t]:.6f}")


def _budgets(ctx: _Ctx) -> None:
    rep, scenario = ctx.report, ctx.scenario
    budgets, table = scenario.table("budgets"), ctx.tables.budgets
    if len(table) != len(budgets):
        rep.add("budgets", f"budgets.csv has {len(table)} rows; the scenario has {len(budgets)} budgets")
    funded = {r: scenario.roles.loc[r, "funding_budget"] for r in ctx.roles}
    years = np.array([ctx.year_of(label) for label in ctx.labels])
    other = ctx.arr["other_spend"]
    got = {(row["budget"], row["year"], row["level"], row["area"]): row for _, row in table.iterrows()}
    for _, b in budgets.iterrows():
        key = (b["budget"], b["year"], b["level"], b["area"])
        if key not in got:
            rep.add("budgets", f"budgets.csv lacks {key}")
            continue
        roles = [i for i, r in enumerate(ctx.roles) if funded[r] == b["budget"]]
        members = ctx.members(b["level"], b["area"])
        spend = float(other[np.ix_(members, roles, np.flatnonzero(years == b["year"]))].sum()) if roles else 0.0
        amount = _num(b["amount"])
        overrun = max(spend - amount, 0.0) if not math.isnan(amount) else 0.0
        row = got[key]
        if abs(float(row["spend"]) - spend) > MONEY_TOL + TOL * abs(spend):
            rep.add("budgets", f"budget {key}: spend {float(row['spend']):.6f}, recomputed {spend:.6f}")
        reported = _num(row["overrun"], 0.0)
        if abs(reported - overrun) > max(MONEY_TOL + TOL * abs(spend), 1e-6 if overrun <= 1e-6 else 0):
            rep.add("budgets", f"budget {key}: overrun {reported:.6f}, recomputed max(spend - amount, 0) = "
                    f"{overrun:.6f}")


# --------------------------------------------------------------------------- goals


def _span(ctx: _Ctx, by: str, until: object) -> list[int]:
    horizon = ctx.scenario.horizon
    first = horizon.index(by)
    last = horizon.index(until) if isinstance(until, str) and until else horizon.last
    return [t for t, p in enumerate(horizon.periods) if first <= p <= last]


def _goal_rows(ctx: _Ctx, goal: str) -> dict[tuple[str, str, str], pd.Series]:
    goals = ctx.tables.goals
    rows = goals[goals["goal"] == goal]
    out = {}
    for _, row in rows.iterrows():
        key = (str(row["id"]), str(row["area"]), str(row["period"]))
        if key in out:
            ctx.report.add("goals-table", f"goals.csv repeats {goal} {key}")
        out[key] = row
    return out


def _compare_goal(ctx: _Ctx, rule: str, key: tuple[str, str, str], row: pd.Series, required: float,
                  achieved: float, shortfall: float) -> None:
    noise = 0.0 < required - achieved <= SHORTFALL_NOISE  # reported as met, the requirement as achieved
    for column, want in (("required", required), ("achieved", achieved), ("shortfall", shortfall)):
        have = float(row[column])
        if column == "shortfall" and have == 0.0 and want <= SHORTFALL_NOISE:
            continue
        if column == "achieved" and noise and abs(have - required) <= TOL * (1 + abs(required)):
            continue
        if abs(have - want) > TOL * (1 + abs(want)) + (1e-6 if column == "shortfall" else 0.0):
            ctx.report.add(rule, f"goals.csv {key}: {column} {have:.9g}, recomputed {want:.9g}")


def _targets(ctx: _Ctx) -> None:
    rep, scenario, arr = ctx.report, ctx.scenario, ctx.arr
    reported = _goal_rows(ctx, "target")
    expected_keys = set()
    staff, over, short = arr["staff_headcount"], arr["overstaffed"], arr["short_time"]
    part = {r: ctx.role_value(r, "participation_rate", 1.0) for r in ctx.roles}
    pcns = scenario.pcns
    for _, tg in scenario.table("targets").iterrows():
        role = tg["role"]
        if role not in ctx.roles:
            rep.add("targets", f"target {tg['target']}: role {role} is not in the plan")
            continue
        r = ctx.roles.index(role)
        area = tg["area"] if isinstance(tg["area"], str) and tg["area"] else None
        if tg["basis"] == "total":
            cells = [(tg["level"], area or scenario.system)]
        elif area is not None:
            cells = [("pcn", p) for p in scenario.pcns_in(tg["level"], area)]
        else:
            cells = [("pcn", p) for p in ctx.pcns]
        for level, cell_area in cells:
            members = ctx.members(level, cell_area)
            alternatives = None
            if tg["basis"] == "per_practice":
                count = int(pcns.loc[cell_area, "practices"])
                required = tg["quantity"] * count
                if count == 0:  # no practices listed: 0, or 1 practice by convention
                    alternatives = (0.0, float(tg["quantity"]))
            elif tg["basis"] == "per_population":
                required = tg["quantity"] * float(pcns.loc[cell_area, "registered_list"]) / float(tg["population"])
            else:
                required = float(tg["quantity"])
            coef = 1.0 if tg["unit"] == "headcount" else part[role]
            cap = ctx.role_value(role, "short_time_capacity", 0.5)
            for t in _span(ctx, tg["by"], tg["until"]):
                key = (str(tg["target"]), str(cell_area), ctx.labels[t])
                expected_keys.add(key)
                measure = float(staff[members, r, t].sum()) * coef
                if tg["kind"] == "exact":
                    measure -= float(over[members, r, t].sum()) + (1 - cap) * float(short[members, r, t].sum())
                row = reported.get(key)
                need = required
                if alternatives is not None and row is not None:
                    need = min(alternatives, key=lambda v, row=row: abs(v - float(row["required"])))
                if tg["kind"] == "exact":
                    if abs(measure - need) > TOL * (1 + abs(need)):
                        rep.add("targets", f"exact target {key}: staff - overstaffed - (1 - {cap}) x short-time "
                                f"= {measure:.9g} != required {need:.9g}")
                    shortfall = 0.0
                else:
                    shortfall = max(need - measure, 0.0)
                    if shortfall <= 1e-6:
                        shortfall = 0.0
                    if bool(tg["hard"]) and shortfall > TOL * (1 + need):
                        rep.add("targets", f"hard target {key}: achieved {measure:.9g} < required {need:.9g}")
                if row is None:
                    rep.add("goals-table", f"goals.csv lacks target {key}")
                    continue
                _compare_goal(ctx, "targets", key, row, need, measure, shortfall)
    for key in set(reported) - expected_keys:
        rep.add("goals-table", f"goals.csv has an unexpected target row {key}")


def _demand_shares(ctx: _Ctx, split: str, members: list[int]) -> np.ndarray:
    pcns = ctx.scenario.pcns.reindex(ctx.pcns)
    if split == "weighted_list":
        weight = pcns["weighted_list"].astype(float).fillna(pcns["registered_list"].astype(float)).to_numpy()
    elif split == "need":
        need = pcns["need_index"].astype(float).fillna(1.0).to_numpy() if "need_index" in pcns else 1.0
        weight = pcns["registered_list"].astype(float).to_numpy() * need
    else:
        weight = pcns["registered_list"].astype(float).to_numpy()
    weight = weight[members]
    return weight / weight.sum() if weight.sum() > 0 else np.full(len(members), 1.0 / len(members))


def _demand(ctx: _Ctx) -> None:
    """Each PCN's share of every demand row, met by its own staff (roles that serve
    their place or system may add to it: then only the group's total is checked)."""
    rep, scenario, arr = ctx.report, ctx.scenario, ctx.arr
    reported = _goal_rows(ctx, "demand")
    expected_keys = set()
    horizon = scenario.horizon
    ppy = ctx.ppy
    per_head = np.array([ctx.role_value(r, "capacity", 0.0) / ppy * ctx.role_value(r, "participation_rate", 1.0)
                         for r in ctx.roles])
    serves = np.array([str(scenario.roles.loc[r, "serves"]) if "serves" in scenario.roles
                       and isinstance(scenario.roles.loc[r, "serves"], str) else "pcn" for r in ctx.roles])
    loss = np.array([1.0 - ctx.role_value(r, "short_time_capacity", 0.5) for r in ctx.roles])
    useful = (arr["staff_headcount"] - loss[None, :, None] * arr["short_time"]) * per_head[None, :, None]
    own = useful[:, serves == "pcn", :].sum(axis=1)
    shared_roles = (serves != "pcn") & (per_head > 0)
    for _, d in scenario.table("demand").iterrows():
        start = horizon.index(d["from_period"])
        members = ctx.members(d["level"], d["area"])
        patients = float(ctx.lists[members].sum())
        split = d["split"] if "split" in d and isinstance(d["split"], str) else "registered_list"
        shares = _demand_shares(ctx, split, members)
        goal_id = f"demand_{d['level']}_{d['area']}"
        for t, period in enumerate(horizon.periods):
            if period < start:
                continue
            area_need = patients * float(d["appointments_per_patient"]) / ppy * (
                1.0 + float(d["annual_growth"])) ** ((period - start) / ppy)
            for p, share in zip(members, shares, strict=True):
                required = area_need * share
                key = (goal_id, ctx.pcns[p], ctx.labels[t])
                expected_keys.add(key)
                row = reported.get(key)
                if row is None:
                    rep.add("goals-table", f"goals.csv lacks demand {key}")
                    continue
                achieved = float(own[p, t])
                if shared_roles.any():
                    if float(row["achieved"]) < achieved - _tol(achieved):
                        rep.add("demand", f"goals.csv {key}: achieved {float(row['achieved']):.9g} below the "
                                f"PCN's own staff's {achieved:.9g}")
                    achieved = float(row["achieved"])
                shortfall = max(required - achieved, 0.0)
                _compare_goal(ctx, "demand", key, row, required, achieved, shortfall if shortfall > 1e-6 else 0.0)
    for key in set(reported) - expected_keys:
        rep.add("goals-table", f"goals.csv has an unexpected demand row {key}")


__all__ = ["check_plan", "TOL"]
