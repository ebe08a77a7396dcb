"""Turn a validated scenario into the arrays the formulation needs.

Everything here is data preparation, not maths: which roles are planned, per
period attrition rates, initial stock per PCN, ARRS terms per PCN, role and
period, entitlements, supply limits, expanded targets and demand.  Rules that
are conventions of wfplan (rather than of the source documents) are stated in
the docstrings and in ``notes`` so that outputs can say what was assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from wfplan.model.arrs_inputs import arrs_rules_by_period, arrs_terms, cost_by_period, recruitment_routes
from wfplan.model.goal_inputs import TargetCells, expand_demand, expand_targets
from wfplan.model.known_people import courses_in_progress, planned_leavers_by_period, stock_at
from wfplan.model.settings import BuildSettings
from wfplan.scenario import Scenario
from wfplan.scenario.periods import Horizon, Quarter


@dataclass
class ModelInputs:
    scenario: Scenario
    horizon: Horizon
    pcns: list[str]
    roles: list[str]
    periods: list[int]
    integer: bool
    participation: np.ndarray  # r
    annual_cost: np.ndarray  # r (0 when unknown)
    capacity: np.ndarray  # r, per WTE per year
    serves: np.ndarray  # r: whose appointment demand the role meets ("pcn", "place" or "system")
    attrition: np.ndarray  # r, per period, experienced staff
    entry_loss: np.ndarray  # r, share of recruits lost in the period they start (year steps: the first-year rate)
    first_year_extra: np.ndarray  # r, per period: first-year rate minus the experienced rate (quarter steps)
    initial: np.ndarray  # p x r headcount at the end of the period before the horizon
    baseline_fte: np.ndarray  # p x r FTE at the ARRS baseline (not claimable)
    recruitable: np.ndarray  # p x r x t bool
    supply: pd.DataFrame  # role index, period index, PCN member list, max_starters
    arrs_rate: np.ndarray  # p x r x t: GBP claimable per claimed WTE per period (0 = not eligible)
    arrs_wte_cap: np.ndarray  # p x r x t: max claimable WTE (inf = no cap)
    entitlement: pd.DataFrame  # p, year, amount
    budgets: pd.DataFrame  # budget rows with amount and member PCNs
    funding_budget: list[str | None]  # r
    redundancy_cost: np.ndarray  # r (nan = release not allowed)
    over_cost: np.ndarray  # r (nan = not allowed)
    over_limit: np.ndarray  # r (inf = none)
    short_cost: np.ndarray  # r (nan = not allowed)
    short_limit: np.ndarray  # r
    short_capacity: np.ndarray  # r
    transitions: pd.DataFrame
    targets: TargetCells
    demand: pd.DataFrame  # level, area, t, required appointments, priority, penalty, members
    # --- the 2025/26 rules and the years people plan now (see the functions that prepare them)
    cost: np.ndarray  # r x t: employer cost per WTE per year in period t's year (role_costs, else annual_cost)
    planned_leavers: np.ndarray  # p x r x t: known leavers (headcount) in period t
    course_exits: np.ndarray  # p x k x t: trainees on course at the start whose course ends in t
    course_completions: np.ndarray  # p x k x t: course_exits x success rate: expected to join the to-role in t
    on_course: np.ndarray  # p x k x t: those trainees still on course at the end of t
    routes: pd.DataFrame  # one row per (planned role, route): j, ri, role, route, label
    route_claimable: np.ndarray  # j x t bool: starters through route j in t can be claimed under ARRS
    route_supply: pd.DataFrame  # supply rows naming a route: j, ri, t, members, max_starters, ...
    arrs_cap_per_wte: np.ndarray  # r x t: maximum reimbursable GBP per WTE a year (nan = not claimable)
    arrs_reimbursement: np.ndarray  # r x t: reimbursement rate (0 = not claimable)
    arrs_pot: np.ndarray  # r x t object: '' = the main ARRS sum, a pot id = ring-fenced, None = not claimable
    pot_rate: np.ndarray  # p x r x t: GBP per claimed WTE per period paid from a ring-fenced pot
    pot_entitlement: pd.DataFrame  # pi, year, pot, amount: ring-fenced sums per PCN and year
    # --- the scenario's settings and the PCN and role facts the maths and the plan tables use
    settings: BuildSettings
    registered_list: np.ndarray  # p
    weighted_list: np.ndarray  # p
    need_index: np.ndarray  # p: relative need (1 = average), weights demand and fair shares
    place_names: np.ndarray  # p: the PCN's place
    role_names: np.ndarray  # r: the role's display name
    staff_groups: np.ndarray  # r
    notes: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.pcns), len(self.roles), len(self.periods)

    def year_of(self, t: int) -> str:
        return self.horizon.year_of(self.periods[t])

    @property
    def claim_rate(self) -> np.ndarray:
        """p x r x t: GBP a claimed WTE brings in a period, from whichever sum pays it
        (the main ARRS sum or a ring-fenced pot; a cell is paid by one of them)."""
        return self.arrs_rate + self.pot_rate

    @property
    def cost_per_head(self) -> np.ndarray:
        """GBP a person in post costs per period (r x t): the period's year's cost
        per WTE x participation / periods per year.  The one definition of
        employment cost: the formulation's cost level and the plan tables use it."""
        return self.cost / self.horizon.periods_per_year * self.participation[:, None]

    def _by_role(self, per_course: np.ndarray, column: str) -> np.ndarray:
        """A p x k x t array of the courses summed onto their ``column`` role (p x r x t)."""
        out = np.zeros(self.shape)
        for k, ri in enumerate(self.transitions[column].to_numpy(int)):
            out[:, ri, :] += per_course[:, k, :]
        return out

    @property
    def course_exits_by_role(self) -> np.ndarray:
        """p x r x t: trainees on course at the start whose course ends in t, in their from-role."""
        return self._by_role(self.course_exits, "from_ri")

    @property
    def course_completions_by_role(self) -> np.ndarray:
        """p x r x t: those of them expected to complete in t (exits x success), in the to-role."""
        return self._by_role(self.course_completions, "to_ri")

    @property
    def held_in_post(self) -> np.ndarray:
        """p x r x t: people in post at the end of t whose leaving date is known and later:
        planned leavers leaving after t, and trainees on course at the start still on
        their course.  Staff in post never fall below them (they cannot be released or
        retrained), and they are not subject to attrition (see :attr:`attrition_exempt`)."""
        later = np.cumsum(self.planned_leavers[:, :, ::-1], axis=2)[:, :, ::-1] - self.planned_leavers
        return later + self._by_role(self.on_course, "from_ri")

    @property
    def attrition_exempt(self) -> np.ndarray:
        """p x r x t: people in post at the end of t - 1 who leave on a known date, at t or
        later (planned leavers, trainees on course at the start): attrition at t applies
        to the others.  A known leaver leaves once, on the date; counting them in attrition
        as well would make them leave twice.  ``held_in_post`` of t - 1."""
        return self.held_in_post + self.planned_leavers + self.course_exits_by_role

    @property
    def first_year_periods(self) -> int:
        """Periods a recruit spends in their first year of service after the one they start in:
        four for quarters (year steps take the first-year rate at entry instead)."""
        return 4 if self.horizon.periods_per_year == 4 and self.first_year_extra.any() else 0

    @cached_property
    def pcn_place(self) -> np.ndarray:
        """p: index of the PCN's place, numbered in order of first appearance."""
        return pd.factorize(self.place_names)[0]

    @cached_property
    def pcn_index(self) -> dict[str, int]:
        """PCN id -> its index p (built once)."""
        return {p: i for i, p in enumerate(self.pcns)}

    @cached_property
    def role_index(self) -> dict[str, int]:
        """Role id -> its index r (built once)."""
        return {r: i for i, r in enumerate(self.roles)}

    @cached_property
    def period_index(self) -> dict[str, int]:
        """Period label (``2022/23 Q1``) -> its index t (built once)."""
        return {self.horizon.label(period): t for t, period in enumerate(self.periods)}

    @cached_property
    def period_years(self) -> np.ndarray:
        """The financial year of each period index (entitlements and budgets are per year); computed once."""
        return np.array([self.year_of(t) for t in range(len(self.periods))])


def per_period_rate(annual: float, periods_per_year: int) -> float:
    """Convert an annual leaving rate to a per-period rate (compounding)."""
    return 1.0 - (1.0 - annual) ** (1.0 / periods_per_year)


def planned_roles(scenario: Scenario) -> list[str]:
    """Roles the plan decides on, in the order of the roles table: those with a
    target, a supply row or a transition.  Other roles (GPs, nurses, admin in
    the Norfolk and Waveney data) are context for the checkpoint trajectory,
    not decisions."""
    used: set[str] = set(scenario.table("targets")["role"])
    used |= set(scenario.table("supply")["role"])
    used |= set(scenario.table("transitions")["from_role"]) | set(scenario.table("transitions")["to_role"])
    return [r for r in scenario.table("roles")["role"] if r in used]


def prepare(scenario: Scenario, integer: bool | None = None) -> ModelInputs:
    """Prepare the arrays for :func:`wfplan.model.formulation.build`.

    Long only because it names every array of :class:`ModelInputs` in one
    constructor call; the preparation itself is in the helpers it calls."""
    horizon = scenario.horizon
    if horizon is None:
        from wfplan.errors import Problem, ScenarioError, display_path

        manifest = display_path(scenario.source_files[0]) if scenario.source_files else "scenario manifest"
        raise ScenarioError(Problem(manifest, "a plan needs a [horizon] with start and end",
                                    column="horizon"))
    settings = scenario.manifest.model
    integer = settings.integer if integer is None else integer
    notes: list[str] = []
    pcns = list(scenario.pcns.index)
    roles = planned_roles(scenario)
    periods = list(horizon.periods)
    ppy = horizon.periods_per_year
    role_table = scenario.roles.reindex(roles)
    participation = role_table["participation_rate"].to_numpy(float)
    annual_cost = role_table["annual_cost"].astype(float).fillna(0.0).to_numpy()
    capacity = role_table["capacity"].to_numpy(float)
    serves = (role_table["serves"] if "serves" in role_table else pd.Series("pcn", index=role_table.index))
    serves = serves.fillna("pcn").astype(str).to_numpy()
    pcn_table = scenario.pcns.reindex(pcns)

    attrition, entry_loss, first_year_extra = _leaving_rates(scenario, roles, ppy, notes)

    start_label = horizon.label(periods[0] - 1)
    initial = stock_at(scenario, pcns, roles, start_label, fte=False, notes=notes)
    baseline_label = settings.arrs_baseline or (
        Quarter(4 * 2018 + 3).label if horizon.step == "quarter" else None
    )
    baseline_fte = stock_at(scenario, pcns, roles, baseline_label, fte=True, notes=notes)

    supply, recruitable, route_supply_rows = _supply(scenario, pcns, roles, periods, notes)
    p_index = {p: i for i, p in enumerate(pcns)}

    cost = cost_by_period(scenario, roles, periods, horizon, annual_cost)
    arrs_wte_cap, entitlement = arrs_terms(scenario, pcns, roles, periods, horizon, notes)
    arrs_rules = arrs_rules_by_period(scenario, pcns, roles, periods, horizon, cost)
    arrs_rate = arrs_rules.pop("arrs_rate")
    routes, route_claimable, route_supply = recruitment_routes(scenario, roles, periods, horizon, route_supply_rows)

    budgets = scenario.table("budgets").copy()
    budgets["members"] = [np.array([p_index[p] for p in scenario.pcns_in(lv, ar)], dtype=int)
                          for lv, ar in zip(budgets["level"], budgets["area"], strict=True)]

    def col(name: str, default: float) -> np.ndarray:
        return role_table[name].astype(float).fillna(default).to_numpy()

    redundancy_cost = role_table["redundancy_cost"].astype(float).to_numpy()
    if settings.allow_release:
        redundancy_cost = np.nan_to_num(redundancy_cost, nan=0.0)

    transitions = _transitions(scenario, roles)
    # a training grade (the from-role of a course that takes time): its recruits'
    # first-year leaving is the course's non-completion, not an extra rate
    first_year_extra[transitions.loc[transitions["lead_periods"] > 0, "from_ri"].to_numpy(int)] = 0.0

    inputs = ModelInputs(
        scenario=scenario, horizon=horizon, pcns=pcns, roles=roles, periods=periods, integer=integer,
        participation=participation, annual_cost=annual_cost, capacity=capacity, serves=serves,
        attrition=attrition, entry_loss=entry_loss, first_year_extra=first_year_extra, initial=initial, baseline_fte=baseline_fte,
        recruitable=recruitable, supply=supply, arrs_rate=arrs_rate, arrs_wte_cap=arrs_wte_cap,
        entitlement=entitlement, budgets=budgets,
        funding_budget=[None if pd.isna(b) else str(b) for b in role_table["funding_budget"]],
        redundancy_cost=redundancy_cost,
        over_cost=role_table["overstaffing_cost"].astype(float).to_numpy(),
        over_limit=col("overstaffing_limit", np.inf),
        short_cost=role_table["short_time_cost"].astype(float).to_numpy(),
        short_limit=col("short_time_limit", 0.0),
        short_capacity=col("short_time_capacity", 0.5),
        transitions=transitions,
        targets=expand_targets(scenario, pcns, roles, periods, horizon, notes),
        demand=expand_demand(scenario, pcns, periods, horizon),
        cost=cost,
        planned_leavers=planned_leavers_by_period(scenario, pcns, roles, periods, horizon, initial, notes),
        **courses_in_progress(scenario, pcns, roles, periods, horizon, transitions, initial, notes),
        routes=routes, route_claimable=route_claimable, route_supply=route_supply,
        **arrs_rules,
        settings=BuildSettings.from_manifest(scenario.manifest),
        registered_list=pcn_table["registered_list"].to_numpy(float),
        weighted_list=pcn_table["weighted_list"].to_numpy(float),
        need_index=pcn_table["need_index"].to_numpy(float),
        place_names=pcn_table["place"].to_numpy(), role_names=role_table["name"].to_numpy(),
        staff_groups=role_table["staff_group"].to_numpy(),
        notes=notes,
    )
    return inputs


def _leaving_rates(scenario: Scenario, roles: list[str], ppy: int,
                   notes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per role: attrition per period of experienced staff, the share of recruits lost in
    the period they start (year steps: the first-year rate) and the first-year excess
    per period (quarter steps: first-year rate minus the experienced rate)."""
    attr = scenario.table("attrition").set_index("role").reindex(roles)
    annual = attr["annual_rate"].astype(float).fillna(0.0).to_numpy()
    first = attr["first_year_annual_rate"].astype(float).fillna(pd.Series(annual, index=attr.index)).to_numpy()
    attrition = np.array([per_period_rate(a, ppy) for a in annual])
    if ppy == 1:
        # a year step: recruits leave at the first-year rate within their first year
        entry_loss = first.copy()
        first_year_extra = np.zeros(len(roles))
    else:
        # a quarter step: recruits leave at the first-year quarterly rate during their
        # first year of service (the FIRST_YEAR_PERIODS quarters after they start)
        entry_loss = np.zeros(len(roles))
        first_year_extra = np.array([per_period_rate(f, ppy) for f in first]) - attrition
    missing_attr = [r for r in roles if r not in set(scenario.table("attrition")["role"])]
    if missing_attr:
        notes.append(f"no attrition rate for {', '.join(missing_attr)}: nobody leaves these roles")
    return attrition, entry_loss, first_year_extra


def _supply(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
            notes: list[str]) -> tuple[pd.DataFrame, np.ndarray, list[dict[str, object]]]:
    """Supply rows expanded to (role, period, member PCNs, max starters), in role order;
    which PCN may recruit which role when (p x r x t); and the rows that limit one
    recruitment route (see :func:`~wfplan.model.arrs_inputs.recruitment_routes`).
    Roles without supply rows are not recruited."""
    horizon = scenario.horizon
    supply_rows, route_supply_rows = [], []
    recruitable = np.zeros((len(pcns), len(roles), len(periods)), dtype=bool)
    sup = scenario.table("supply")
    r_index = {r: i for i, r in enumerate(roles)}
    t_index = {p: i for i, p in enumerate(periods)}
    p_index = {p: i for i, p in enumerate(pcns)}
    members_of: dict[tuple[str, str], np.ndarray] = {}
    period_t: dict[str, int | None] = {}
    supplied = set(sup["role"])
    for role in roles:
        if role not in supplied:
            notes.append(f"no supply rows for {role}: it is not recruited (add supply rows to allow it)")
    for row in sup[sup["role"].isin(r_index)].itertuples(index=False):
        if row.period not in period_t:
            period_t[row.period] = t_index.get(horizon.index(row.period))
        t = period_t[row.period]
        if t is None:
            continue
        key = (row.level, row.area)
        if key not in members_of:
            members_of[key] = np.array([p_index[p] for p in scenario.pcns_in(row.level, row.area)], dtype=int)
        members, ri = members_of[key], r_index[row.role]
        recruitable[members, ri, t] = True
        record = {"ri": ri, "t": t, "members": members, "max_starters": float(row.max_starters),
                  "role": row.role, "level": row.level, "area": row.area, "period": row.period}
        if isinstance(row.route, str):  # limits that route only (route_supply); the others limit all starters
            route_supply_rows.append(record | {"route": row.route})
        else:
            supply_rows.append(record)
    # rows in role order (then file order), as the formulation numbers them
    supply_rows.sort(key=lambda rec: rec["ri"])
    supply = pd.DataFrame(supply_rows, columns=["ri", "t", "members", "max_starters", "role", "level", "area", "period"])
    return supply, recruitable, route_supply_rows


def _transitions(scenario: Scenario, roles: list[str]) -> pd.DataFrame:
    """The transitions between planned roles, numbered k, with their roles' indices."""
    r_index = {r: i for i, r in enumerate(roles)}
    transitions = scenario.table("transitions").copy()
    transitions = transitions[transitions["from_role"].isin(roles) & transitions["to_role"].isin(roles)]
    transitions["from_ri"] = transitions["from_role"].map(r_index)
    transitions["to_ri"] = transitions["to_role"].map(r_index)
    return transitions.reset_index(drop=True)
