"""People whose numbers are known before planning: staff in post, known leavers, trainees on course.

Part of preparing a scenario (:func:`wfplan.model.inputs.prepare`).  Counts
given for a place or the system are apportioned to PCNs by registered list,
in whole people (largest remainder); rows that cannot all hold (more leavers
than staff in post) are located errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfplan.scenario import Scenario
from wfplan.scenario.periods import Horizon


def largest_remainder(total: float, weights: np.ndarray) -> np.ndarray:
    """Split a whole number of people in proportion to weights, summing exactly."""
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    exact = total * weights / weights.sum()
    base = np.floor(exact)
    remainder = int(round(total - base.sum()))
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:remainder]] += 1
    return base


def stock_at(scenario: Scenario, pcns: list[str], roles: list[str], period_label: str | None,
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
                split = largest_remainder(remaining, lists[members]) if not fte else remaining * lists[members] / max(lists[members].sum(), 1)
                out[members, r_index[row["role"]]] += split
                notes.append(f"{row['role']} staff in post at {level} {row['area']} apportioned to PCNs by registered list")
    return out


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
    out[members] = largest_remainder(headcount, lists[members])
    return out


def _people_problem(located: list, message: str) -> None:
    """Raise a located error at the first of ``located`` rows (inputs that cannot all hold)."""
    from wfplan.errors import ScenarioError

    raise ScenarioError(located[0].problem("headcount", message))


def planned_leavers_by_period(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
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


def courses_in_progress(scenario: Scenario, pcns: list[str], roles: list[str], periods: list[int],
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
