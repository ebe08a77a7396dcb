"""Turn a validated scenario into the arrays the formulation needs.

Everything here is data preparation, not maths: which roles are planned, per
period attrition rates, initial stock per PCN, ARRS terms per PCN, role and
period, entitlements, supply limits, expanded targets and demand.  Rules that
are conventions of wfplan (rather than of the source documents) are stated in
the docstrings and in ``notes`` so that outputs can say what was assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wfplan.periods import FinancialYear, Quarter
from wfplan.scenario import Horizon, Scenario


@dataclass
class TargetCells:
    """Target requirements expanded to (target, area, period) rows."""

    frame: pd.DataFrame  # target, role, ri, unit, kind, priority, penalty, hard, level, area, t, required
    pcn_members: list[np.ndarray]  # per row: PCN indices the measure sums over


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
    pcn_place: np.ndarray  # p: index of the PCN's place (in order of first appearance)
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

    @property
    def period_years(self) -> np.ndarray:
        """The financial year of each period index (entitlements and budgets are per year)."""
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


def _largest_remainder(total: float, weights: np.ndarray) -> np.ndarray:
    """Split a whole number of people in proportion to weights, summing exactly."""
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    exact = total * weights / weights.sum()
    base = np.floor(exact)
    remainder = int(round(total - base.sum()))
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:remainder]] += 1
    return base


def _stock_at(scenario: Scenario, pcns: list[str], roles: list[str], period_label: str | None,
              fte: bool, notes: list[str]) -> np.ndarray:
    """Staff in post per PCN and role at a period end; coarser levels are
    apportioned to PCNs by registered list (largest remainder, whole people)."""
    out = np.zeros((len(pcns), len(roles)))
    if period_label is None:
        return out
    sip = scenario.table("staff_in_post")
    sip = sip[(sip["as_at"] == period_label) & sip["role"].isin(roles)]
    p_index = {p: i for i, p in enumerate(pcns)}
    r_index = {r: i for i, r in enumerate(roles)}
    lists = scenario.pcns["registered_list"].reindex(pcns).to_numpy(float)
    for level in ("system", "place", "pcn"):
        rows = sip[sip["level"] == level]
        for _, row in rows.iterrows():
            members = [p_index[p] for p in scenario.pcns_in(level, row["area"]) if p in p_index]
            if not members:
                continue
            value = row["fte"] if fte and pd.notna(row["fte"]) else row["headcount"]
            if fte and pd.isna(row["fte"]):
                value = row["headcount"] * scenario.roles.loc[row["role"], "participation_rate"]
            already = out[members, r_index[row["role"]]].sum()
            remaining = max(float(value) - already, 0.0)
            if level == "pcn":
                out[members, r_index[row["role"]]] = value
            elif remaining > 0:
                split = _largest_remainder(remaining, lists[members]) if not fte else remaining * lists[members] / max(lists[members].sum(), 1)
                out[members, r_index[row["role"]]] += split
                notes.append(f"{row['role']} staff in post at {level} {row['area']} apportioned to PCNs by registered list")
    return out


def prepare(scenario: Scenario, integer: bool | None = None) -> ModelInputs:
    """Prepare the arrays for :func:`wfplan.model.formulation.build`."""
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
    P, R, T = len(pcns), len(roles), len(periods)
    ppy = horizon.periods_per_year
    role_table = scenario.roles.reindex(roles)
    participation = role_table["participation_rate"].to_numpy(float)
    annual_cost = role_table["annual_cost"].astype(float).fillna(0.0).to_numpy()
    capacity = role_table["capacity"].to_numpy(float)
    serves = (role_table["serves"] if "serves" in role_table else pd.Series("pcn", index=role_table.index))
    serves = serves.fillna("pcn").astype(str).to_numpy()
    pcn_place = pd.factorize(scenario.pcns.reindex(pcns)["place"])[0]

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

    start_label = horizon.label(periods[0] - 1)
    initial = _stock_at(scenario, pcns, roles, start_label, fte=False, notes=notes)
    baseline_label = settings.arrs_baseline or (
        Quarter(4 * 2018 + 3).label if horizon.step == "quarter" else None
    )
    baseline_fte = _stock_at(scenario, pcns, roles, baseline_label, fte=True, notes=notes)

    # supply: rows expanded to (role, period, members, max); roles without rows are unlimited
    supply_rows = []
    recruitable = np.zeros((P, R, T), dtype=bool)
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
    route_supply_rows = []
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

    cost = _cost_by_period(scenario, roles, periods, horizon, annual_cost)
    arrs_wte_cap, entitlement = _arrs_terms(scenario, pcns, roles, periods, horizon, notes)
    arrs_rules = _arrs_rules_by_period(scenario, pcns, roles, periods, horizon, cost)
    arrs_rate = arrs_rules.pop("arrs_rate")
    routes, route_claimable, route_supply = _recruitment_routes(scenario, roles, periods, horizon, route_supply_rows)

    budgets = scenario.table("budgets").copy()
    budgets["members"] = [np.array([p_index[p] for p in scenario.pcns_in(lv, ar)], dtype=int)
                          for lv, ar in zip(budgets["level"], budgets["area"], strict=True)]

    def col(name: str, default: float) -> np.ndarray:
        return role_table[name].astype(float).fillna(default).to_numpy()

    redundancy_cost = role_table["redundancy_cost"].astype(float).to_numpy()
    if settings.allow_release:
        redundancy_cost = np.nan_to_num(redundancy_cost, nan=0.0)

    transitions = scenario.table("transitions").copy()
    transitions = transitions[transitions["from_role"].isin(roles) & transitions["to_role"].isin(roles)]
    transitions["from_ri"] = transitions["from_role"].map(r_index)
    transitions["to_ri"] = transitions["to_role"].map(r_index)
    # a training grade (the from-role of a course that takes time): its recruits'
    # first-year leaving is the course's non-completion, not an extra rate
    training_grades = transitions.loc[transitions["lead_periods"] > 0, "from_ri"].to_numpy(int)
    first_year_extra[training_grades] = 0.0

    inputs = ModelInputs(
        scenario=scenario, horizon=horizon, pcns=pcns, roles=roles, periods=periods, integer=integer,
        participation=participation, annual_cost=annual_cost, capacity=capacity, serves=serves,
        pcn_place=pcn_place,
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
        transitions=transitions.reset_index(drop=True),
        targets=_expand_targets(scenario, pcns, roles, periods, horizon, notes),
        demand=_expand_demand(scenario, pcns, periods, horizon),
        cost=cost,
        planned_leavers=_planned_leavers(scenario, pcns, roles, periods, horizon, initial, notes),
        **_courses_in_progress(scenario, pcns, roles, periods, horizon, transitions.reset_index(drop=True),
                               initial, notes),
        routes=routes, route_claimable=route_claimable, route_supply=route_supply,
        **arrs_rules,
        notes=notes,
    )
    return inputs


def _arrs_terms(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
                horizon: Horizon, notes: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Per PCN, role and period: the most WTE claimable (inf = no cap); per
    PCN and year: the entitlement (the year's main ARRS sum).

    A role's terms apply from their ``from_quarter`` until replaced by a later
    row of the same year (the claim rate per WTE is in
    :func:`_arrs_rules_by_period`).
    """
    P, R, T = len(pcns), len(roles), len(periods)
    cap = np.full((P, R, T), np.inf)
    if horizon.step != "quarter":
        return cap, pd.DataFrame(columns=["pi", "year", "amount"])
    terms = scenario.table("arrs_roles")
    years = scenario.table("arrs_years").set_index("year")
    lists = scenario.pcns.reindex(pcns)
    registered = lists["registered_list"].to_numpy(float)
    r_index = {r: i for i, r in enumerate(roles)}
    for t, in_force in enumerate(_terms_in_force(terms[terms["role"].isin(r_index)], periods)):
        for role, row in in_force.items():
            wte = np.full(P, np.inf)
            if pd.notna(row["max_wte_per_pcn"]):
                wte[:] = row["max_wte_per_pcn"]
                if pd.notna(row["large_list_threshold"]) and pd.notna(row["max_wte_per_pcn_large"]):
                    wte[registered >= row["large_list_threshold"]] = row["max_wte_per_pcn_large"]
            cap[:, r_index[role], t] = wte
    records = []
    in_horizon = sorted({Quarter(p).year.label for p in periods})
    weighted = lists["weighted_list"].to_numpy(float)
    if lists["weighted_is_estimate"].any():
        notes.append("weighted lists not given for some PCNs: ARRS entitlement uses the registered list")
    for year in in_horizon:
        if year not in years.index:
            continue
        y = years.loc[year]
        for pi in range(P):
            if pd.notna(y["entitlement_per_pcn"]):
                amount = float(y["entitlement_per_pcn"])
            else:
                amount = float(y["entitlement_per_weighted_patient"]) * weighted[pi]
            records.append({"pi": pi, "year": year, "amount": amount})
    return cap, pd.DataFrame(records, columns=["pi", "year", "amount"])


def claim_rate_per_wte(cost: np.ndarray, cap_per_wte: np.ndarray, reimbursement: np.ndarray) -> np.ndarray:
    """GBP an ARRS claim of one WTE brings in a quarter: the ARRS reimburses actual
    cost up to the maximum amount, at the reimbursement rate (min(cost, cap) x
    rate / 4).  0 where the role is not claimable (no cap in force) or costs
    nothing.  The one definition of the claim rate: the formulation, the plan
    tables and the entitlement rows all use the arrays made with it."""
    with np.errstate(invalid="ignore"):
        rate = np.minimum(cost, cap_per_wte) * reimbursement / 4.0
    return np.where(np.isnan(cap_per_wte), 0.0, np.nan_to_num(rate))


def _expand_targets(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
                    horizon: Horizon, notes: list[str]) -> TargetCells:
    """One row per target, area and period from ``by`` to ``until`` (or the end)."""
    targets = scenario.table("targets")
    table = scenario.pcns.reindex(pcns)
    p_index = {p: i for i, p in enumerate(pcns)}
    r_index = {r: i for i, r in enumerate(roles)}
    labels = [horizon.label(period) for period in periods]
    practices = dict(zip(table.index, table["practices"], strict=True))
    registered = dict(zip(table.index, table["registered_list"].astype(float), strict=True))
    rows, members = [], []
    for tg in targets.to_dict("records"):
        if tg["role"] not in r_index:
            continue
        first = horizon.index(tg["by"])
        last = horizon.index(tg["until"]) if isinstance(tg["until"], str) else periods[-1]
        fixed = {"target": tg["target"], "role": tg["role"], "ri": r_index[tg["role"]], "unit": tg["unit"],
                 "kind": tg["kind"], "priority": int(tg["priority"]), "penalty": float(tg["penalty"]),
                 "hard": bool(tg["hard"]), "by": tg["by"]}
        span = [i for i, p in enumerate(periods) if first <= p <= last]
        if tg["basis"] == "total":
            areas = [(tg["level"], tg["area"] or scenario.system)]
        elif isinstance(tg["area"], str):
            areas = [("pcn", p) for p in scenario.pcns_in(tg["level"], tg["area"])]
        else:
            areas = [("pcn", p) for p in pcns]
        for level, area in areas:
            member = np.array([p_index[p] for p in scenario.pcns_in(level, area)], dtype=int)
            if tg["basis"] == "per_practice":
                count = int(practices[area])
                if count == 0:
                    notes.append(f"target {tg['target']}: PCN {area} has no practices listed; counted as 1")
                    count = 1
                required = tg["quantity"] * count
            elif tg["basis"] == "per_population":
                required = tg["quantity"] * registered[area] / tg["population"]
            else:
                required = float(tg["quantity"])
            for t in span:
                rows.append({**fixed, "level": level, "area": area, "t": t, "period": labels[t],
                             "required": float(required)})
                members.append(member)
    columns = ["target", "role", "ri", "unit", "kind", "priority", "penalty", "hard", "level", "area",
               "t", "period", "by", "required"]
    return TargetCells(pd.DataFrame(rows, columns=columns), members)


def demand_shares(scenario: Scenario, pcns: list[str], split: str, members: np.ndarray) -> np.ndarray:
    """Each member PCN's share of an area's appointment demand, by the row's ``split``
    rule: registered list, weighted list, or registered list x need index."""
    table = scenario.pcns.reindex(pcns)
    if split == "weighted_list":
        weight = table["weighted_list"].to_numpy(float)
    elif split == "need":
        weight = table["registered_list"].to_numpy(float) * table["need_index"].to_numpy(float)
    else:
        weight = table["registered_list"].to_numpy(float)
    weight = weight[members]
    total = weight.sum()
    return weight / total if total > 0 else np.full(len(members), 1.0 / max(len(members), 1))


def _expand_demand(scenario: Scenario, pcns: list[str], periods: list[int], horizon: Horizon) -> pd.DataFrame:
    """Appointments needed per PCN and period: the area's list x rate / periods per
    year x growth, shared out to its PCNs by the row's split rule (the patients
    of each PCN own their share of the demand)."""
    demand = scenario.table("demand")
    lists = scenario.pcns.reindex(pcns)["registered_list"].to_numpy(float)
    p_index = {p: i for i, p in enumerate(pcns)}
    ppy = horizon.periods_per_year
    split_of = demand["split"] if "split" in demand else pd.Series("registered_list", index=demand.index)
    rows = []
    for d, split in zip(demand.to_dict("records"), split_of, strict=True):
        start = horizon.index(d["from_period"])
        member = np.array([p_index[p] for p in scenario.pcns_in(d["level"], d["area"])], dtype=int)
        patients = lists[member].sum()
        shares = demand_shares(scenario, pcns, split or "registered_list", member)
        for t, period in enumerate(periods):
            if period < start:
                continue
            growth = (1.0 + d["annual_growth"]) ** ((period - start) / ppy)
            required = patients * d["appointments_per_patient"] / ppy * growth
            for pi, share in zip(member, shares, strict=True):
                rows.append({"level": "pcn", "area": pcns[pi], "source_level": d["level"], "source_area": d["area"],
                             "t": t, "period": horizon.label(period), "required": required * share,
                             "priority": int(d["priority"]), "penalty": float(d["penalty"]),
                             "members": np.array([pi], dtype=int)})
    columns = ["level", "area", "source_level", "source_area", "t", "period", "required", "priority", "penalty",
               "members"]
    return pd.DataFrame(rows, columns=columns)


def _terms_in_force(terms: pd.DataFrame, periods: list[int]) -> list[dict[str, dict[str, object]]]:
    """Per period (quarter index): role -> the ``arrs_roles`` row in force.

    A role's terms apply from their ``from_quarter`` (default: the year's Q1)
    until replaced by a later row of the same year; a role with no row for
    the period's year is absent (not claimable).
    """
    # per year, (first quarter in force, row) in order of start (file order within a start)
    terms_of_year: dict[str, list[tuple[int, dict[str, object]]]] = {}
    for row in terms.to_dict("records"):
        start = Quarter.parse(row["from_quarter"]).index if isinstance(row["from_quarter"], str) \
            else 4 * FinancialYear.parse(row["year"]).start
        terms_of_year.setdefault(row["year"], []).append((start, row))
    for rows in terms_of_year.values():
        rows.sort(key=lambda item: item[0])
    # role -> the row with the latest start by this period
    return [{row["role"]: row for start, row in terms_of_year.get(Quarter(period).year.label, []) if start <= period}
            for period in periods]


def _amount_per_pcn(rule: pd.Series, weighted: np.ndarray) -> np.ndarray:
    """An ARRS sum per PCN: a flat sum, or the rate per weighted patient x the weighted list."""
    if pd.notna(rule["entitlement_per_pcn"]):
        return np.full(len(weighted), float(rule["entitlement_per_pcn"]))
    return float(rule["entitlement_per_weighted_patient"]) * weighted


def _arrs_rules_by_period(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
                          horizon: Horizon, cost: np.ndarray) -> dict[str, object]:
    """The ARRS terms in force per role and period, their claim rates, and the ring-fenced pots.

    ``arrs_cap_per_wte`` and ``arrs_reimbursement`` (r x t) are the row in
    force; with a per-year cost the claim rate per WTE and year is
    min(cost[r, t], cap) x reimbursement.  ``arrs_pot`` (r x t) names the sum
    that pays the claims: '' for the main sum in ``arrs_years`` (the
    ``entitlement`` frame), a pot id for a ring-fenced sum in ``arrs_pots``
    (``pot_entitlement``), None where the role is not claimable.
    ``arrs_rate`` and ``pot_rate`` (p x r x t) are the claim rates
    (:func:`claim_rate_per_wte` on ``cost[r, t]``, the period's year's cost) of
    the cells paid from the main sum and from a ring-fenced pot.  Yearly
    horizons have no ARRS terms, as in :func:`_arrs_terms`.
    """
    P, R, T = len(pcns), len(roles), len(periods)
    cap_per_wte = np.full((R, T), np.nan)
    reimbursement = np.zeros((R, T))
    pot = np.full((R, T), None, dtype=object)
    records: list[dict[str, object]] = []
    if horizon.step == "quarter":
        terms = scenario.table("arrs_roles")
        r_index = {r: i for i, r in enumerate(roles)}
        for t, in_force in enumerate(_terms_in_force(terms[terms["role"].isin(r_index)], periods)):
            for role, row in in_force.items():
                ri = r_index[role]
                cap_per_wte[ri, t] = row["cap_per_wte"]
                reimbursement[ri, t] = row["reimbursement_rate"]
                pot[ri, t] = row["pot"] if isinstance(row["pot"], str) else ""
        weighted = scenario.pcns.reindex(pcns)["weighted_list"].to_numpy(float)
        in_horizon = {Quarter(p).year.label for p in periods}
        for rule in scenario.table("arrs_pots").to_dict("records"):
            if rule["year"] in in_horizon:
                amounts = _amount_per_pcn(pd.Series(rule), weighted)
                records += [{"pi": pi, "year": rule["year"], "pot": rule["pot"], "amount": float(amounts[pi])}
                            for pi in range(P)]
    rate = np.broadcast_to(claim_rate_per_wte(cost, cap_per_wte, reimbursement)[None], (P, R, T))
    ring_fenced = np.vectorize(lambda name: bool(name))(pot) if pot.size else np.zeros((R, T), bool)
    arrs_rate = np.where(ring_fenced[None], 0.0, rate)
    pot_rate = np.where(ring_fenced[None], rate, 0.0)
    return {"arrs_rate": arrs_rate, "arrs_cap_per_wte": cap_per_wte, "arrs_reimbursement": reimbursement, "arrs_pot": pot,
            "pot_rate": pot_rate, "pot_entitlement": pd.DataFrame(records, columns=["pi", "year", "pot", "amount"])}


def _cost_by_period(scenario: Scenario, roles: list[str], periods: list[int], horizon: Horizon,
                    annual_cost: np.ndarray) -> np.ndarray:
    """Employer cost per WTE per year, per role and period (r x t), for pay awards year by year.

    The ``role_costs`` row of the period's financial year; a year without one
    takes the latest earlier year's row (no further pay growth is assumed);
    a role with no row by then takes ``roles.annual_cost`` (0 when blank, as
    ``annual_cost``).  Overrides of either table apply, since they are made
    to the loaded tables.
    """
    cost = np.repeat(annual_cost[:, None], len(periods), axis=1).astype(float)
    table = scenario.table("role_costs")
    if table.empty:
        return cost
    years = np.array([FinancialYear.parse(horizon.year_of(p)).start for p in periods])
    by_role = {role: rows.assign(start=rows["year"].map(lambda y: FinancialYear.parse(y).start)).sort_values("start")
               for role, rows in table.groupby("role")}
    for ri, role in enumerate(roles):
        rows = by_role.get(role)
        if rows is None:
            continue
        starts, amounts = rows["start"].to_numpy(int), rows["annual_cost"].to_numpy(float)
        latest = np.searchsorted(starts, years, side="right") - 1  # last row at or before each period's year
        cost[ri] = np.where(latest >= 0, amounts[np.maximum(latest, 0)], cost[ri])
    return cost


def _whole_people_by_pcn(scenario: Scenario, pcns: list[str], level: str, area: str, headcount: float) -> np.ndarray:
    """Headcount of an area as whole people per PCN of ``pcns``: a PCN's own, or apportioned by registered list."""
    p_index = {p: i for i, p in enumerate(pcns)}
    out = np.zeros(len(pcns))
    members = [p_index[p] for p in scenario.pcns_in(level, area) if p in p_index]
    if not members:
        return out
    if level == "pcn":
        out[members] = headcount
        return out
    lists = scenario.pcns.reindex(pcns)["registered_list"].to_numpy(float)
    out[members] = _largest_remainder(headcount, lists[members])
    return out


def _people_problem(located: list, message: str) -> None:
    """Raise a located error at the first of ``located`` rows (inputs that cannot all hold)."""
    from wfplan.errors import ScenarioError

    raise ScenarioError(located[0].problem("headcount", message))


def _planned_leavers(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
                     horizon: Horizon, initial: np.ndarray, notes: list[str]) -> np.ndarray:
    """Known leavers (p x r x t headcount) from ``planned_leavers``.

    Place and system rows are apportioned to PCNs by registered list in whole
    people.  They are people in post at the start, so a PCN's leavers of a
    role over the horizon may not exceed its staff in post then (a located
    error otherwise).  Rows of roles the plan does not decide are skipped
    with a note.
    """
    P, R, T = len(pcns), len(roles), len(periods)
    out = np.zeros((P, R, T))
    r_index = {r: i for i, r in enumerate(roles)}
    t_index = {p: i for i, p in enumerate(periods)}
    rows_of: dict[tuple[int, int], list] = {}
    skipped = set()
    for loc in scenario.rows.get("planned_leavers", []):
        row = loc.row
        if row.role not in r_index:
            skipped.add(row.role)
            continue
        ri, t = r_index[row.role], t_index[horizon.index(row.period)]
        people = _whole_people_by_pcn(scenario, pcns, row.level, row.area, row.headcount)
        out[:, ri, t] += people
        for pi in np.flatnonzero(people):
            rows_of.setdefault((int(pi), ri), []).append(loc)
    if skipped:
        notes.append(f"planned leavers of {', '.join(sorted(skipped))} ignored: the plan does not decide these roles")
    total = out.sum(axis=2)
    for (pi, ri), located in rows_of.items():
        if total[pi, ri] > initial[pi, ri] + 1e-9:
            _people_problem(located, f"{pcns[pi]} has {total[pi, ri]:g} planned leavers of {roles[ri]} over the "
                                     f"horizon but {initial[pi, ri]:g} in post at the start: known leavers must be "
                                     "staff in post (staff_in_post)")
    return out


def _courses_in_progress(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
                         horizon: Horizon, transitions: pd.DataFrame, initial: np.ndarray,
                         notes: list[str]) -> dict[str, np.ndarray]:
    """Trainees already on a course at the start (``trainees_on_course``), per PCN, transition and period.

    ``course_exits[p, k, t]``: trainees whose course ends in t (they leave the
    from-role then); ``course_completions`` = exits x the transition's
    success rate (expected to join the to-role in t); ``on_course[p, k, t]``:
    those still on course at the end of t (part of the from-role's stock, like
    the formulation's ``in_training`` rows).  A course's end is ``started`` +
    ``lead_periods``, or ``completes``.  They are part of the from-role's
    staff in post at the start, so more on course than in post is a located
    error.  Transitions the plan does not use are skipped with a note.
    """
    P, K, T = len(pcns), len(transitions), len(periods)
    exits, on_course = np.zeros((P, K, T)), np.zeros((P, K, T))
    k_index = {name: k for k, name in enumerate(transitions["transition"])}
    lead = dict(zip(transitions["transition"], transitions["lead_periods"], strict=True))
    period_array = np.array(periods)
    rows_of: dict[tuple[int, int], list] = {}
    skipped = set()
    for loc in scenario.rows.get("trainees_on_course", []):
        row = loc.row
        if row.transition not in k_index:
            skipped.add(row.transition)
            continue
        k = k_index[row.transition]
        ends = (horizon.index(row.started) + int(lead[row.transition]) if row.started is not None
                else horizon.index(row.completes))
        people = _whole_people_by_pcn(scenario, pcns, row.level, row.area, row.headcount)
        on_course[:, k, :] += people[:, None] * (period_array < ends)[None, :]
        if horizon.first <= ends <= horizon.last:
            exits[:, k, ends - horizon.first] += people
        from_ri = int(transitions["from_ri"].iloc[k])
        for pi in np.flatnonzero(people):
            rows_of.setdefault((int(pi), from_ri), []).append(loc)
    if skipped:
        notes.append(f"trainees on course for {', '.join(sorted(skipped))} ignored: the plan does not use "
                     "these transitions")
    if K and T:
        from_ri = transitions["from_ri"].to_numpy(int)
        for (pi, ri), located in rows_of.items():
            at_start = on_course[pi, from_ri == ri, 0].sum() + exits[pi, from_ri == ri, 0].sum()
            if at_start > initial[pi, ri] + 1e-9:
                _people_problem(located, f"{pcns[pi]} has {at_start:g} {roles[ri]} on course at the start but "
                                         f"{initial[pi, ri]:g} in post: trainees on course are part of the staff "
                                         "in post (staff_in_post)")
    success = transitions["success_rate"].to_numpy(float) if K else np.zeros(0)
    return {"course_exits": exits, "course_completions": exits * success[None, :, None], "on_course": on_course}


def _recruitment_routes(scenario: Scenario, roles: list[str], periods: list[int], horizon: Horizon,
                        route_supply_rows: list[dict[str, object]]
                        ) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Recruitment routes of the planned roles and whether each is ARRS-claimable per period.

    ``routes`` has one row per (role, route) in ``recruitment_routes`` (any
    year), numbered j; ``route_claimable[j, t]`` is the route's
    ``arrs_claimable`` for the period's year, and True for a year that does
    not list it (the role's ARRS terms then decide).  ``route_supply`` is the
    supply rows that name a route, with its j.
    """
    table = scenario.table("recruitment_routes")
    r_index = {r: i for i, r in enumerate(roles)}
    table = table[table["role"].isin(r_index)]
    first = table.drop_duplicates(["role", "route"])
    routes = pd.DataFrame({"ri": first["role"].map(r_index).astype(int), "role": first["role"],
                           "route": first["route"], "label": first["label"]})
    routes = routes.sort_values("ri", kind="stable").reset_index(drop=True)
    routes.insert(0, "j", np.arange(len(routes), dtype=int))
    j_of = {(role, route): j for j, role, route in zip(routes["j"], routes["role"], routes["route"], strict=True)}
    claimable = np.ones((len(routes), len(periods)), dtype=bool)
    year_of_t = np.array([horizon.year_of(p) for p in periods])
    for row in table.itertuples(index=False):
        claimable[j_of[(row.role, row.route)], year_of_t == row.year] = bool(row.arrs_claimable)
    for record in route_supply_rows:
        record["j"] = j_of.get((record["role"], record["route"]))
    route_supply = pd.DataFrame(route_supply_rows, columns=["j", "ri", "t", "members", "max_starters", "role",
                                                            "route", "level", "area", "period"])
    return routes, claimable, route_supply


def year_label(horizon: Horizon, period: int) -> str:
    return Quarter(period).year.label if horizon.step == "quarter" else FinancialYear(period).label
