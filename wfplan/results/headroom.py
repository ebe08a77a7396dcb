"""Why a PCN leaves ARRS entitlement unused, in the words of a planning meeting.

ARRS entitlement is per PCN per year and lapses if unspent, so every pound of
headroom needs a reason a clinical director can check.  The reason is read off
the plan itself (no re-solve), in this order:

1. *no unmet need*: the PCN's targets and appointment demand are met that year,
   so more staff would only add cost;
2. *recruitment supply used up*: in every quarter the PCN is short of staff,
   every role that could still help it (recruited there, reimbursed by ARRS,
   giving appointments or due under a target) had no recruits left in its area;
3. *number cap reached*: the claims of those roles are at their ARRS cap;
4. *not claimable*: the roles that could help are not reimbursed that year;
5. otherwise, the limits the plan meets elsewhere (run ``wfplan explain``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HEADROOM_NOISE = 1.0
"""GBP of headroom below which entitlement counts as fully used (solver rounding and
the penny kept back per PCN and year)."""

SHORTFALL_NOISE = 1e-4


def unused_reasons(inputs, plan: pd.DataFrame, goals: pd.DataFrame, arrs: pd.DataFrame) -> list[str]:
    """One reason per row of ``arrs`` (empty where the entitlement is used)."""
    if arrs.empty:
        return []
    P, R, T = inputs.shape
    years = inputs.period_years
    index = inputs.pcn_index
    inflow = (plan["starters"] + plan.get("replacements", 0.0)).to_numpy(float).reshape(P, R, T)
    claims = plan["arrs_claim_wte"].to_numpy(float).reshape(P, R, T)
    supply_used_up = _supply_used_up(inputs, inflow)
    short = _unmet_need(inputs, goals)
    helpful = (inputs.capacity > 0)[None, :, None] | _target_roles(inputs)
    labels = [inputs.horizon.label(period) for period in inputs.periods]
    reasons = []
    for pcn, year, headroom in zip(arrs["pcn"], arrs["year"], arrs["headroom"], strict=True):
        if headroom <= HEADROOM_NOISE:
            reasons.append("")
            continue
        p = index[pcn]
        ts = np.flatnonzero((years == year) & short[p])  # the quarters it is short of staff
        if not len(ts):
            reasons.append("no unmet need: its targets and appointments are covered this year")
            continue
        when = labels[ts[0]] if len(ts) == 1 else f"{labels[ts[0]]} to {labels[ts[-1]]}"
        roles = [r for r in range(R) if inputs.recruitable[p, r, ts].any() and helpful[p, r, ts].any()]
        claimable = [r for r in roles if (inputs.arrs_rate[p, r, ts] > 0).any()]
        if not roles:
            reasons.append("no role that would help can be recruited here this year (no supply rows)")
        elif not claimable:
            reasons.append("the roles that would help are not reimbursed by ARRS this year: "
                           + _names(inputs, roles))
        elif all(supply_used_up[p, r, ts].all() for r in claimable):
            reasons.append(f"recruitment supply used up: short of staff {when}, with no recruits left in its "
                           "area for " + _names(inputs, claimable))
        elif all(_at_cap(inputs, claims, p, r, ts) for r in claimable):
            reasons.append("number cap reached for " + _names(inputs, claimable))
        else:
            used = [r for r in claimable if supply_used_up[p, r, ts].any()]
            detail = f"; supply used up in part of the year for {_names(inputs, used)}" if used else ""
            reasons.append("limits elsewhere in the plan (earlier supply, budgets or caps)" + detail
                           + ": run `wfplan explain` on the plan")
    return reasons


def _supply_used_up(inputs, inflow: np.ndarray) -> np.ndarray:
    """Per PCN, role and period: a supply row covering it is at its limit."""
    used_up = np.zeros(inflow.shape, dtype=bool)
    sup = inputs.supply
    for ri, t, members, most in zip(sup["ri"], sup["t"], sup["members"], sup["max_starters"], strict=True):
        if inflow[members, ri, t].sum() >= most - 1e-6:
            used_up[members, ri, t] = True
    return used_up


def _unmet_need(inputs, goals: pd.DataFrame) -> np.ndarray:
    """Per PCN and period: whether any of its targets or its demand is short."""
    P, R, T = inputs.shape
    out = np.zeros((P, T), dtype=bool)
    if goals.empty:
        return out
    p_index, t_index = inputs.pcn_index, inputs.period_index
    short = goals[(goals["shortfall"] > SHORTFALL_NOISE) & (goals["level"] == "pcn")]
    for area, period in zip(short["area"], short["period"], strict=True):
        if area in p_index and period in t_index:
            out[p_index[area], t_index[period]] = True
    return out


def _target_roles(inputs) -> np.ndarray:
    """Per PCN, role and period: a PCN target of the role applies."""
    out = np.zeros(inputs.shape, dtype=bool)
    cells = inputs.targets.frame
    for i, (ri, t) in enumerate(zip(cells["ri"], cells["t"], strict=True)):
        members = inputs.targets.pcn_members[i]
        if len(members) == 1:
            out[members[0], ri, t] = True
    return out


def _at_cap(inputs, claims: np.ndarray, p: int, r: int, ts: np.ndarray) -> bool:
    cap = inputs.arrs_wte_cap[p, r, ts]
    return bool(np.isfinite(cap).all() and (claims[p, r, ts] >= cap - 1e-6).all())


def _names(inputs, roles: list[int]) -> str:
    names = inputs.role_names[list(roles)]
    return ", ".join(str(n).lower() if isinstance(n, str) else inputs.roles[r] for n, r in zip(names, roles,
                                                                                                 strict=True))
