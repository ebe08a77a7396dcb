"""A written plan directory, read for people: per-PCN tables the report and the PCN pack show.

:class:`PlanView` reads a plan directory through
:func:`wfplan.results.plan_reader.read_plan_directory` (validated and bounded; a
missing ``binding.csv`` and columns a newer wfplan writes, such as
``unused_reason`` in ``arrs.csv``, are optional) and answers the questions a
PCN meeting asks, one function each:

* :func:`recruits` - whom to recruit, by role and quarter, in whole people;
* :func:`staff_in_post` - people in post by role at the start and each year end;
* :func:`arrs_years` - ARRS entitlement, claims and headroom per year;
* :func:`demand_share` - the PCN's share of an area's appointment goal and what its staff provide;
* :func:`limits_reached` - which limits the plan reaches (supply used up, entitlement
  fully claimed, ARRS number caps, budgets spent), read off the plan itself, so
  "what binds" has an answer before ``wfplan explain`` is run;
* :func:`why_missed` - the limits behind a missed target, from ``binding.csv``
  when it exists, else from :func:`limits_reached`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from wfplan.results import words
from wfplan.results.plan_reader import read_plan_directory, read_plan_table
from wfplan.scenario import Scenario

LIMIT_TOL = 1e-4
"""A limit counts as reached within this many units (people, WTE) or GBP 1 (money)."""


@dataclass
class PlanView:
    """A plan directory's files, read once: summary, inputs, plan tables, optional binding.csv."""

    path: Path
    summary: dict
    scenario: Scenario
    plan: pd.DataFrame
    arrs: pd.DataFrame
    goals: pd.DataFrame
    budgets: pd.DataFrame
    binding: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, plan_dir: Path | str) -> PlanView:
        """Read a plan directory written by ``wfplan plan``, validated by
        :func:`wfplan.results.plan_reader.read_plan_directory` (a damaged one is a located error)."""
        read = read_plan_directory(plan_dir)
        binding_path = read.path / "binding.csv"
        binding = read_plan_table(binding_path, {}) if binding_path.is_file() else None
        return cls(read.path, read.summary, read.scenario, read.table("plan"), read.table("arrs"),
                   read.table("goals"), read.table("budgets"), binding)

    # --- names and periods ------------------------------------------------------------

    @cached_property
    def role_names(self) -> dict[str, str]:
        roles = self.scenario.table("roles")
        return {str(r): str(n) for r, n in zip(roles["role"], roles["name"], strict=True)}

    @cached_property
    def pcn_names(self) -> dict[str, str]:
        return {str(p): str(n) for p, n in self.scenario.pcns["name"].items()}

    @cached_property
    def place_names(self) -> dict[str, str]:
        places = self.scenario.table("places")
        return {str(p): str(n) for p, n in zip(places["place"], places["name"], strict=True)}

    @property
    def pcns(self) -> list[str]:
        """PCN ids in the scenario's order (those in the plan)."""
        planned = set(self.plan["pcn"].astype(str)) if "pcn" in self.plan else set()
        return [p for p in self.scenario.pcns.index.astype(str) if not planned or p in planned]

    @cached_property
    def periods(self) -> list[str]:
        if "period" in self.plan and len(self.plan):
            return list(dict.fromkeys(self.plan["period"].astype(str)))
        h = self.scenario.horizon
        return h.labels if h is not None else []

    @cached_property
    def years(self) -> list[str]:
        if "year" in self.plan and len(self.plan):
            return list(dict.fromkeys(self.plan["year"].astype(str)))
        h = self.scenario.horizon
        return list(dict.fromkeys(h.year_of(p) for p in h.periods)) if h is not None else []

    @cached_property
    def year_ends(self) -> list[str]:
        """The last period of each year in the plan."""
        last: dict[str, str] = {}
        for period, year in zip(self.plan.get("period", []), self.plan.get("year", []), strict=True):
            last[str(year)] = str(period)
        return [last[y] for y in self.years if y in last]

    @property
    def start_label(self) -> str:
        """The period just before the plan's first: the staff in post at its end are the starting point."""
        h = self.scenario.horizon
        return h.label(h.first - 1) if h is not None else ""

    @property
    def integer(self) -> bool:
        return bool(self.summary.get("integer", True))

    @property
    def found(self) -> bool:
        return len(self.plan) > 0

    @cached_property
    def inputs(self):
        """The model's prepared inputs (supply rows, caps, entitlements), for reading limits off the plan."""
        from wfplan.model.inputs import prepare

        return prepare(self.scenario, integer=self.integer)

    def pcn_plan(self, pcn: str) -> pd.DataFrame:
        return self.plan[self.plan["pcn"].astype(str) == str(pcn)] if len(self.plan) else self.plan


# --- the PCN's tables ------------------------------------------------------------------


def recruits(view: PlanView, pcn: str | None = None) -> pd.DataFrame:
    """Starters by role (rows, plan order) and period (columns), in whole people.

    Integer plans hold whole people already.  A fractional (LP) plan is shown
    as whole people by rounding its *cumulative* starters, so that no
    recruit is lost or invented by rounding each quarter on its own.
    ``pcn=None`` is every PCN together.
    """
    plan = view.pcn_plan(pcn) if pcn is not None else view.plan
    if plan.empty:
        return pd.DataFrame(columns=view.periods)
    table = plan.pivot_table(index="role", columns="period", values="starters", aggfunc="sum", sort=False)
    table = table.reindex(columns=view.periods).fillna(0.0)
    whole = np.round(np.cumsum(table.to_numpy(float), axis=1) + 1e-9)
    steps = np.diff(np.concatenate([np.zeros((len(table), 1)), whole], axis=1), axis=1)
    return pd.DataFrame(np.maximum(steps, 0.0), index=table.index, columns=table.columns).astype(int)


def staff_in_post(view: PlanView, pcn: str | None = None, measure: str = "staff_headcount") -> pd.DataFrame:
    """People in post (``measure``: ``staff_headcount`` or ``staff_fte``) by role at the start of the plan
    and at each year end (columns ``start`` and the year-end periods)."""
    plan = view.pcn_plan(pcn) if pcn is not None else view.plan
    if plan.empty:
        return pd.DataFrame(columns=["start", *view.year_ends])
    by = plan.pivot_table(index="role", columns="period", values=measure, aggfunc="sum", sort=False)
    first = plan[plan["period"].astype(str) == view.periods[0]].groupby("role", sort=False)
    # staff at the start = first period's staff less its inflows plus its outflows (columns a plan has)
    inflows = [c for c in ("starters", "replacements", "transitions_in") if c in plan]
    outflows = [c for c in ("leavers", "planned_leavers", "released", "transitions_out", "training_leavers")
                if c in plan]
    flows = first[["staff_headcount", *inflows, *outflows]].sum().astype(float)
    start = flows["staff_headcount"] - flows[inflows].sum(axis=1) + flows[outflows].sum(axis=1)
    if measure == "staff_fte":
        rate = view.scenario.roles["participation_rate"].astype(float)
        start = start * rate.reindex(start.index).fillna(1.0)
    out = by.reindex(columns=view.year_ends)
    out.insert(0, "start", start.reindex(out.index))
    return out.where(out.abs() > 1e-9, 0.0)


def arrs_years(view: PlanView, pcn: str | None = None) -> pd.DataFrame:
    """ARRS entitlement, claims, headroom and share used per year (rows are years); with
    ``unused_reason`` when the plan directory has it.  ``pcn=None`` sums every PCN."""
    arrs = view.arrs
    if arrs.empty or "pcn" not in arrs:
        return pd.DataFrame(columns=["entitlement", "claims", "headroom", "used"])
    sel = arrs if pcn is None else arrs[arrs["pcn"].astype(str) == str(pcn)]
    out = sel.groupby("year", sort=False)[["entitlement", "claims", "headroom"]].sum()
    out["used"] = np.where(out["entitlement"] > 0, out["claims"] / out["entitlement"].where(out["entitlement"] > 0, 1),
                           np.nan)
    if "unused_reason" in sel and pcn is not None:
        reasons = sel.groupby("year", sort=False)["unused_reason"].first()
        out["unused_reason"] = reasons.reindex(out.index).fillna("").astype(str).replace("nan", "")
    return out


def _appointments_by_pcn(view: PlanView) -> pd.DataFrame:
    """Appointments the plan's staff provide, per PCN and period (as goals.csv counts them)."""
    roles = view.scenario.roles
    ppy = view.scenario.horizon.periods_per_year if view.scenario.horizon else 4
    plan = view.plan
    capacity = plan["role"].map(roles["capacity"].astype(float)).fillna(0.0) / ppy
    loss = plan["role"].map(1 - roles["short_time_capacity"].astype(float)).fillna(0.0)
    rate = plan["role"].map(roles["participation_rate"].astype(float)).fillna(1.0)
    provided = plan["staff_fte"] * capacity - plan.get("short_time", 0.0) * rate * capacity * loss
    return plan.assign(provided=provided).groupby(["pcn", "period"], sort=False)["provided"].sum()


def demand_share(view: PlanView, pcn: str) -> pd.DataFrame:
    """Per year: the PCN's share of each appointment goal covering it (by registered list, as the goal
    is set: appointments per registered patient), what its staff provide, and the share met."""
    goals = view.goals
    if goals.empty or not (goals["goal"] == "demand").any() or view.plan.empty:
        return pd.DataFrame(columns=["needed", "provided", "met"])
    scenario = view.scenario
    lists = scenario.pcns["registered_list"].astype(float)
    place = str(scenario.pcns.loc[pcn, "place"])
    area_of = {"pcn": pcn, "place": place, "system": scenario.system}
    demand = goals[goals["goal"] == "demand"]
    mine = demand[[str(a) == str(area_of.get(str(lv), "")) for lv, a in zip(demand["level"], demand["area"],
                                                                            strict=True)]]
    if mine.empty:
        return pd.DataFrame(columns=["needed", "provided", "met"])
    shares = [float(lists.get(pcn, 0.0)) / max(float(lists.reindex(scenario.pcns_in(str(lv), str(a))).sum()), 1.0)
              for lv, a in zip(mine["level"], mine["area"], strict=True)]
    year_of = dict(zip(view.plan["period"].astype(str), view.plan["year"].astype(str), strict=False))
    needed = (mine["required"].astype(float) * shares).groupby(mine["period"].astype(str).map(year_of),
                                                               sort=False).sum()
    provided_by_period = _appointments_by_pcn(view).xs(pcn, level="pcn") if pcn in set(view.plan["pcn"]) else None
    periods = set(mine["period"].astype(str))
    provided = pd.Series({y: float(sum(v for p, v in provided_by_period.items() if year_of.get(str(p)) == y
                                       and str(p) in periods)) for y in needed.index}) \
        if provided_by_period is not None else needed * 0
    out = pd.DataFrame({"needed": needed, "provided": provided.reindex(needed.index)})
    out["met"] = np.minimum(out["provided"] / out["needed"].where(out["needed"] > 0, np.nan), 1.0)
    return out


# --- limits the plan reaches ---------------------------------------------------------


LIMIT_COLUMNS = ["rule", "level", "area", "role", "period", "year", "limit", "usage", "text"]


def limits_reached(view: PlanView) -> pd.DataFrame:
    """Every limit the plan reaches, read off the plan (no solve): recruitment supply used up, ARRS
    entitlement fully claimed, ARRS number caps claimed in full, named budgets spent.

    Unlike ``wfplan explain`` this says nothing about what a limit is worth;
    it says where the plan stands at a limit, which is where to look first.
    """
    if view.plan.empty:
        return pd.DataFrame(columns=LIMIT_COLUMNS)
    inputs = view.inputs
    plan = view.plan
    rows: list[dict[str, object]] = []
    pcn_index = inputs.pcn_index
    period_index = {p: t for t, p in enumerate(view.periods)}
    shape = inputs.shape
    starters = np.zeros(shape)
    claim = np.zeros(shape)
    role_index = inputs.role_index
    keep = plan["role"].isin(role_index) & plan["pcn"].astype(str).isin(pcn_index) & plan["period"].astype(str).isin(
        period_index)
    sel = plan[keep]
    idx = (sel["pcn"].astype(str).map(pcn_index).to_numpy(int), sel["role"].map(role_index).to_numpy(int),
           sel["period"].astype(str).map(period_index).to_numpy(int))
    starters[idx] = sel["starters"].to_numpy(float)
    if "arrs_claim_wte" in sel:
        claim[idx] = sel["arrs_claim_wte"].to_numpy(float)
    supply = inputs.supply
    for row in supply.itertuples(index=False):
        used = float(starters[np.asarray(row.members, dtype=int), int(row.ri), int(row.t)].sum())
        if row.max_starters > 0 and used >= row.max_starters - LIMIT_TOL:
            rows.append({"rule": "supply", "level": row.level, "area": row.area, "role": row.role,
                         "period": row.period, "year": inputs.year_of(int(row.t)), "limit": float(row.max_starters),
                         "usage": used, "text": ""})
    for row in view.arrs.itertuples(index=False) if len(view.arrs) and "headroom" in view.arrs else []:
        if float(row.entitlement) > 0 and float(row.headroom) <= 1.0:
            rows.append({"rule": "entitlement", "level": "pcn", "area": str(row.pcn), "role": "", "period": "",
                         "year": str(row.year), "limit": float(row.entitlement), "usage": float(row.claims),
                         "text": ""})
    caps = inputs.arrs_wte_cap
    hit = np.isfinite(caps) & (inputs.arrs_rate > 0) & (claim >= caps - LIMIT_TOL) & (caps > 0)
    for pi, ri, t in zip(*np.nonzero(hit), strict=True):
        rows.append({"rule": "number_cap", "level": "pcn", "area": inputs.pcns[pi], "role": inputs.roles[ri],
                     "period": view.periods[t], "year": inputs.year_of(int(t)), "limit": float(caps[pi, ri, t]),
                     "usage": float(claim[pi, ri, t]), "text": ""})
    budgets = view.budgets
    for row in budgets.itertuples(index=False) if len(budgets) and "amount" in budgets else []:
        if pd.notna(row.amount) and float(row.amount) > 0 and float(row.spend) >= float(row.amount) - 1.0:
            rows.append({"rule": "budget", "level": str(row.level), "area": str(row.area), "role": "",
                         "period": "", "year": str(row.year), "limit": float(row.amount), "usage": float(row.spend),
                         "text": ""})
    out = pd.DataFrame(rows, columns=LIMIT_COLUMNS)
    out["text"] = [_limit_text(view, rec) for rec in out.to_dict("records")]
    return out


def area_name(view: PlanView, level: str, area: str) -> str:
    """An area in words: a PCN or place by name, the system as 'the whole system'."""
    if level == "system":
        return "the whole system"
    if level == "place":
        return view.place_names.get(area, area)
    return view.pcn_names.get(area, area)


def _limit_text(view: PlanView, rec: dict[str, object]) -> str:
    role = words.lower_first(view.role_names.get(str(rec["role"]), str(rec["role"])))
    where = area_name(view, str(rec["level"]), str(rec["area"]))
    if rec["rule"] == "supply":
        return f"{role} supply in {where} used up in {rec['period']} ({words.number(rec['usage'])} starters)"
    if rec["rule"] == "entitlement":
        return f"ARRS entitlement of {where} fully claimed in {rec['year']} ({words.money(rec['limit'])})"
    if rec["rule"] == "number_cap":
        return f"ARRS cap of {words.number(rec['limit'])} WTE {role} claimed in full at {where} in {rec['period']}"
    return f"budget for {where} spent in {rec['year']} ({words.money(rec['usage'])} of {words.money(rec['limit'])})"


def summarise_limits(view: PlanView, limits: pd.DataFrame) -> list[str]:
    """The limits in a few lines: one per rule, role and area, with the periods run together."""
    from wfplan.results.words import ranges

    lines = []
    for (rule, level, area, role), g in limits.groupby(["rule", "level", "area", "role"], sort=False):
        where = area_name(view, str(level), str(area))
        name = words.lower_first(view.role_names.get(str(role), str(role)))
        if rule == "supply":
            when = ranges(g["period"].astype(str).tolist(), view.periods)
            lines.append(f"{name} supply in {where} used up in {when} ({words.number(g['usage'].sum())} starters)")
        elif rule == "number_cap":
            when = ranges(g["period"].astype(str).tolist(), view.periods)
            lines.append(f"ARRS cap on {name} claimed in full at {where} in {when}")
        elif rule == "entitlement":
            lines.append(f"ARRS entitlement of {where} fully claimed in {', '.join(dict.fromkeys(g['year']))}")
        else:
            lines.append(f"budget {g['text'].iloc[0].split(' spent')[0].removeprefix('budget ')} spent in "
                         f"{', '.join(dict.fromkeys(g['year']))}")
    return lines


def why_missed(view: PlanView, limits: pd.DataFrame, pcn: str, role: str, period: str) -> list[str]:
    """Why ``role`` falls short at ``pcn`` by ``period``: the limits on that role there (supply of the role
    in an area holding the PCN, its ARRS cap) and on the PCN's money, up to that period.

    From ``binding.csv`` when ``wfplan explain`` has written one (its most valuable rules for the role or
    PCN), else from the limits read off the plan.  Empty when no limit is reached."""
    scenario = view.scenario
    place = str(scenario.pcns.loc[pcn, "place"]) if pcn in scenario.pcns.index else ""
    areas = {pcn, place, scenario.system, "every PCN", ""}
    if view.binding is not None and len(view.binding) and {"role", "area", "marginal_value", "text"} <= set(
            view.binding.columns):
        b = view.binding
        value = pd.to_numeric(b["marginal_value"], errors="coerce").fillna(0.0)
        mine = b[(value.abs() > 0) & b["area"].astype(str).isin(areas) & b["role"].astype(str).isin({role, ""})]
        if len(mine):
            order = value[mine.index].abs().sort_values(ascending=False).index
            return [str(t) for t in mine.loc[order, "text"].head(3)]
    if limits.empty:
        return []
    order = {p: i for i, p in enumerate(view.periods)}
    year_of = dict(zip(view.plan["period"].astype(str), view.plan["year"].astype(str), strict=False))
    last = order.get(period, len(order))
    years = {y for p, y in year_of.items() if order.get(p, 0) <= last}
    sel = limits[
        (((limits["rule"] == "supply") & limits["area"].astype(str).isin(areas) & (limits["role"] == role)
          & limits["period"].map(lambda p: order.get(str(p), 0) <= last))
         | ((limits["rule"] == "number_cap") & (limits["area"].astype(str) == pcn) & (limits["role"] == role)
            & limits["period"].map(lambda p: order.get(str(p), 0) <= last))
         | ((limits["rule"].isin(["entitlement", "budget"])) & limits["area"].astype(str).isin(areas)
            & limits["year"].astype(str).isin(years)))]
    return summarise_limits(view, sel)
