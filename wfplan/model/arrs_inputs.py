"""ARRS terms, employment cost by year and recruitment routes, per PCN, role and period.

Part of preparing a scenario for the formulation (:func:`wfplan.model.inputs.prepare`):
which claims each cell may make and at what rate, each PCN's entitlement and
ring-fenced pots per year, the cost of a WTE in each period's year, and which
recruitment routes are claimable when (the 12-month rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfplan.scenario import Scenario
from wfplan.scenario.periods import FinancialYear, Horizon, Quarter


def arrs_terms(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
               horizon: Horizon, notes: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Per PCN, role and period: the most WTE claimable (inf = no cap); per
    PCN and year: the entitlement (the year's main ARRS sum).

    A role's terms apply from their ``from_quarter`` until replaced by a later
    row of the same year (the claim rate per WTE is in
    :func:`arrs_rules_by_period`).
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


def arrs_rules_by_period(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
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
    horizons have no ARRS terms, as in :func:`arrs_terms`.
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


def cost_by_period(scenario: Scenario, roles: list[str], periods: list[int], horizon: Horizon,
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


def recruitment_routes(scenario: Scenario, roles: list[str], periods: list[int], horizon: Horizon,
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
