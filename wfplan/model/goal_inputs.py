"""Targets and appointment demand expanded to the rows the formulation's goals are made of.

Part of preparing a scenario (:func:`wfplan.model.inputs.prepare`): a target
becomes one row per area and period it applies to, with the PCNs its measure
sums over; demand becomes one row per PCN and period, its share of the area's
appointments by the row's split rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfplan.scenario import Scenario
from wfplan.scenario.periods import Horizon


@dataclass
class TargetCells:
    """Target requirements expanded to (target, area, period) rows."""

    frame: pd.DataFrame  # target, role, ri, unit, kind, priority, penalty, hard, level, area, t, required
    pcn_members: list[np.ndarray]  # per row: PCN indices the measure sums over


def expand_targets(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
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


def expand_demand(scenario: Scenario, pcns: list[str], periods: list[int], horizon: Horizon) -> pd.DataFrame:
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
