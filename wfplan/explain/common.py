"""Shared helpers of the explain modules: domain names for model indices, rule
catalogues over the model's blocks, and the search for the rules that stop a goal.

A *rule* here is a limit a plan must keep: a supply row (most starters of a
role in an area and period), an ARRS entitlement (per PCN and year), a named
budget, an ARRS number cap (claimable WTE), a transition limit, an
overstaffing or short-time limit, a hard target or an exact requirement.
Every rule found in the model is described in the users' words: PCN and
place names, role names, period labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solvers.base import LinearProgram
from wfplan.model.formulation import Model
from wfplan.results.words import ranges

TOL = 1e-6
BINDING_TOL = 1e-4
"""A limit counts as reached within this many units (people, GBP) or 1e-6 of it: lexicographic
solving holds each level within 1e-5 of its optimum, so a later level may shave that much."""


def plural(name: str, count: float) -> str:
    if abs(count - 1.0) < 1e-9 or name.endswith(("s", "ed", "staff")):
        return name
    return name + "s"


def fmt(value: float, decimals: int = 2) -> str:
    """A number for text: whole numbers without decimals, else ``decimals`` places."""
    if value is None or not np.isfinite(value):
        return "unlimited"
    if abs(value - round(value)) < 10 ** (-decimals - 1):
        return f"{round(value):,.0f}"
    return f"{value:,.{decimals}f}"


def money(value: float) -> str:
    return f"GBP {value:,.0f}"


class Names:
    """Users' names for the model's indices (PCNs, roles, periods, areas)."""

    def __init__(self, model: Model):
        inputs = model.inputs
        self.inputs = inputs
        scenario = inputs.scenario
        pcn_names = scenario.pcns["name"].to_dict()
        self._pcn = {p: self._with_pcn(str(pcn_names.get(p, p))) for p in inputs.pcns}
        places = scenario.table("places")
        self._place = dict(zip(places["place"], places["name"], strict=False))
        roles = scenario.roles
        self._role = {r: str(roles.loc[r, "name"]) if r in roles.index else r for r in inputs.roles}
        self.periods = [inputs.horizon.label(p) for p in inputs.periods]
        self.system = scenario.system

    @staticmethod
    def _with_pcn(name: str) -> str:
        return name  # PCN names are given in full ("Breckland PCN")

    def pcn(self, pi_or_id: int | str) -> str:
        pid = self.inputs.pcns[pi_or_id] if isinstance(pi_or_id, int | np.integer) else pi_or_id
        return self._pcn.get(pid, str(pid))

    def area(self, level: str, area: str) -> str:
        level = str(level)
        if level == "system":
            return "the system"
        if level == "place":
            return str(self._place.get(area, area))
        return self.pcn(area)

    def role(self, ri_or_id: int | str, lower: bool = True) -> str:
        rid = self.inputs.roles[ri_or_id] if isinstance(ri_or_id, int | np.integer) else ri_or_id
        name = self._role.get(rid, str(rid))
        return name[:1].lower() + name[1:] if lower and not name[:2].isupper() else name

    def period(self, t: int) -> str:
        return self.periods[int(t)]

    def year(self, t: int) -> str:
        return self.inputs.year_of(int(t))

    def unit(self, unit: str, amount: float = 2.0) -> str:
        if unit == "fte":
            return "FTE"
        if unit == "headcount":
            return "person" if abs(round(amount, 2) - 1.0) < 1e-9 else "people"
        return unit


@dataclass
class Cause:
    """A rule at its limit that stops a goal (or a note on what else holds it back)."""

    rule: str
    text: str
    level: str = ""
    area: str = ""
    role: str = ""
    period: str = ""
    limit: float = float("nan")
    usage: float = float("nan")
    unit: str = ""


@dataclass
class Activity:
    """A plan (or elastic solution) and the row activities of the model's rows."""

    model: Model
    x: np.ndarray
    lp: LinearProgram | None = None
    activity: np.ndarray = field(init=False)
    col_upper: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        lp = self.lp if self.lp is not None else self.model.builder.build()
        n = lp.num_cols
        self.lp = lp
        self.x = np.asarray(self.x[:n], dtype=float)
        self.activity = lp.A @ self.x
        self.col_upper = lp.col_upper

    def value(self, block: str) -> np.ndarray:
        return self.model.builder.value(block, self.x)


def _binding_upper(activity: float, limit: float) -> bool:
    return bool(np.isfinite(limit) and activity >= limit - max(BINDING_TOL, 1e-6 * abs(limit)))


def causes_short(act: Activity, names: Names, ri: int, members: np.ndarray, t: int) -> list[Cause]:
    """Why staff of role ``ri`` in PCNs ``members`` cannot be higher at period ``t``."""
    inputs, b = act.model.inputs, act.model.builder
    causes: list[Cause] = []
    role = inputs.roles[ri]
    role_name = names.role(ri)
    member_set = set(int(m) for m in members)
    starters = act.value("starters")
    # 1. recruitment supply at its limit, or absent
    sup = inputs.supply
    if len(sup):
        rows = b.constraints["supply"].ids
        sel = sup[(sup["ri"] == ri) & (sup["t"] <= t)]
        groups: dict[tuple[str, str], list[int]] = {}
        for i, row in sel.iterrows():
            if not member_set & set(int(m) for m in row["members"]):
                continue
            groups.setdefault((row["level"], row["area"]), []).append(i)
        for (level, area), idx in groups.items():
            bound = [i for i in idx if _binding_upper(act.activity[rows[i]], sup.loc[i, "max_starters"])]
            if not bound:
                continue
            labels = [names.period(sup.loc[i, "t"]) for i in bound]
            used = float(sum(act.activity[rows[i]] for i in bound))
            limit = float(sum(sup.loc[i, "max_starters"] for i in bound))
            ours = float(sum(starters[sorted(member_set), ri, sup.loc[i, "t"]].sum() for i in bound))
            when = ranges(labels, names.periods)
            all_bound = len(bound) == len(idx)
            text = f"{role_name} supply in {names.area(level, area)} is used up in {when}"
            text += f" ({fmt(used)} of {fmt(limit)} starters"
            members_of_row = set(int(m) for m in sup.loc[bound[0], "members"])
            if members_of_row - member_set and used - ours > BINDING_TOL:
                text += f"; {fmt(used - ours)} went elsewhere"
            text += ")"
            if all_bound and len(idx) > 1:
                text += ", every quarter it has supply" if inputs.horizon.step == "quarter" else ", every year it has supply"
            causes.append(Cause("supply", text, level, area, role, when, limit, used, "starters"))
    never = [t2 for t2 in range(t + 1) if not inputs.recruitable[sorted(member_set), ri, t2].any()]
    if never:
        when = ranges([names.period(t2) for t2 in never], names.periods)
        if len(never) == t + 1:
            text = f"{role_name} cannot be recruited up to {names.period(t)} (no supply rows cover it)"
        else:
            text = f"no {role_name} supply in {when} (no supply rows)"
        causes.append(Cause("no_supply", text, "pcn", "", role, when))
    # 2. transitions into the role at their limits
    tr = inputs.transitions
    if len(tr) and "started" in b.variables:
        started = act.value("started")
        ids = b.variables["started"].ids
        for k in np.flatnonzero(tr["to_ri"].to_numpy(int) == ri):
            lead = int(tr.loc[k, "lead_periods"])
            limit = float(tr.loc[k, "max_per_period"]) if pd.notna(tr.loc[k, "max_per_period"]) else np.inf
            if not np.isfinite(limit) or t - lead < 0:
                continue
            hit = [t2 for t2 in range(t - lead + 1)
                   if any(ids[m, k, t2] >= 0 and started[m, k, t2] >= limit - BINDING_TOL for m in member_set)]
            if hit:
                when = ranges([names.period(t2) for t2 in hit], names.periods)
                causes.append(Cause("transition_limit",
                                    f"transition {tr.loc[k, 'transition']} is at its limit of {fmt(limit)} a period "
                                    f"in {when}", "", "", role, when, limit, limit, "people"))
    # 3. named budgets at their limit (and what the ARRS claims could not cover)
    causes += _budget_causes(act, names, ri, member_set, t)
    if not causes:
        causes.append(Cause("none", "no single rule is at its limit: a goal of higher priority, or whole-people "
                                    "rounding, holds it back"))
    leavers = act.value("leavers")[sorted(member_set), ri, : t + 1].sum()
    if leavers > BINDING_TOL and any(c.rule in ("supply", "no_supply", "transition_limit", "budget") for c in causes):
        causes.append(Cause("attrition", f"{fmt(leavers)} {role_name} leavers by {names.period(t)} must be "
                                         "replaced", role=role, usage=float(leavers), unit="people"))
    return causes


def _budget_causes(act: Activity, names: Names, ri: int, member_set: set[int], t: int) -> list[Cause]:
    inputs, b = act.model.inputs, act.model.builder
    budget_name = inputs.funding_budget[ri]
    if "budget" not in b.constraints or budget_name is None:
        return []
    budgets = inputs.budgets
    limited = budgets[budgets["amount"].notna()].reset_index(drop=True)
    rows = b.constraints["budget"].ids
    overrun = act.value("budget_overrun")
    years = {names.year(t2) for t2 in range(t + 1)}
    out = []
    for i, row in limited.iterrows():
        if row["budget"] != budget_name or row["year"] not in years:
            continue
        if not member_set & set(int(m) for m in row["members"]):
            continue
        spend = float(act.activity[rows[i]] + overrun[i])
        if not _binding_upper(spend, float(row["amount"])):
            continue
        text = (f"budget {row['budget']} for {names.area(row['level'], row['area'])} in {row['year']} is spent "
                f"({money(spend)} of {money(row['amount'])})")
        out.append(Cause("budget", text, row["level"], row["area"], "", row["year"], float(row["amount"]),
                         spend, "GBP"))
        out += _entitlement_causes(act, names, member_set, row["year"])
    return out


def _entitlement_causes(act: Activity, names: Names, member_set: set[int], year: str) -> list[Cause]:
    inputs, b = act.model.inputs, act.model.builder
    out = []
    ent = inputs.entitlement
    if len(ent) and "entitlement" in b.constraints:
        rows = b.constraints["entitlement"].ids
        for i, row in ent.iterrows():
            if row["year"] != year or int(row["pi"]) not in member_set:
                continue
            if _binding_upper(act.activity[rows[i]], row["amount"]):
                out.append(Cause("entitlement", f"ARRS entitlement of {names.pcn(int(row['pi']))} for {year} is "
                                                f"fully claimed ({money(row['amount'])})", "pcn",
                                 inputs.pcns[int(row["pi"])], "", year, float(row["amount"]),
                                 float(act.activity[rows[i]]), "GBP"))
    if "claim_wte" in b.variables:
        claim = act.value("claim_wte")
        ts = [t for t in range(len(inputs.periods)) if inputs.year_of(t) == year]
        for pi in sorted(member_set):
            for r in range(len(inputs.roles)):
                caps = inputs.arrs_wte_cap[pi, r, ts]
                hit = [t for t, cap in zip(ts, caps, strict=True)
                       if np.isfinite(cap) and inputs.arrs_rate[pi, r, t] > 0 and claim[pi, r, t] >= cap - BINDING_TOL]
                if hit:
                    out.append(Cause("number_cap", f"ARRS number cap of {fmt(float(inputs.arrs_wte_cap[pi, r, hit[0]]))} "
                                                   f"WTE {names.role(r)} at {names.pcn(pi)} binds in {year}",
                                     "pcn", inputs.pcns[pi], inputs.roles[r], year,
                                     float(inputs.arrs_wte_cap[pi, r, hit[0]]), float(claim[pi, r, hit[0]]), "WTE"))
    return out


def causes_over(act: Activity, names: Names, ri: int, members: np.ndarray, t: int) -> list[Cause]:
    """Why staff of role ``ri`` cannot be lower at ``t`` (an exact requirement exceeded)."""
    inputs = act.model.inputs
    role_name = names.role(ri)
    role = inputs.roles[ri]
    out = []
    if np.isnan(inputs.redundancy_cost[ri]):
        out.append(Cause("no_release", f"{role_name} staff cannot be released (no redundancy_cost for the role and "
                                       "allow_release is off): only leavers reduce staff", role=role))
    if np.isnan(inputs.over_cost[ri]):
        out.append(Cause("no_overstaffing", f"overstaffing of {role_name} is not allowed (no overstaffing_cost)",
                         role=role))
    elif np.isfinite(inputs.over_limit[ri]):
        over = act.value("overstaffed")[members, ri, t].sum()
        if over >= inputs.over_limit[ri] * len(members) - BINDING_TOL:
            out.append(Cause("overstaffing_limit", f"overstaffing of {role_name} is at its limit of "
                                                   f"{fmt(inputs.over_limit[ri])} in {names.period(t)}",
                             role=role, period=names.period(t), limit=float(inputs.over_limit[ri]),
                             usage=float(over), unit="people"))
    b = act.model.builder
    if "overstaffing_total" in b.constraints:
        row = b.constraints["overstaffing_total"].ids[t]
        limit = act.lp.row_upper[row]
        if _binding_upper(act.activity[row], limit):
            out.append(Cause("overstaffing_total", f"total overstaffing is at its limit of {fmt(limit)} in "
                                                   f"{names.period(t)}", period=names.period(t),
                             limit=float(limit), usage=float(act.activity[row]), unit="people"))
    initial = float(inputs.initial[members, ri].sum())
    if initial > 0:
        out.append(Cause("initial_staff", f"{fmt(initial)} {role_name} staff in post at the start", role=role,
                         usage=initial, unit="people"))
    return out
