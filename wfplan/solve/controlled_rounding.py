"""Whole numbers that keep their totals: the rounding primitives of :mod:`wfplan.solve.rounding`.

Controlled rounding of recruits (whole people per labour market and per PCN
following the LP's totals), the posts targets due later need now (earliest
deadline first), and fitting recruits into a period's supply.
"""

from __future__ import annotations

import numpy as np

SLACK = 1e-9
"""Below this a fraction is solver noise, not part of a person."""


def due_now(required: np.ndarray, potential: np.ndarray, carried: np.ndarray, capacity: np.ndarray,
            rate: float) -> np.ndarray:
    """Per chain of one supply area: new posts to create now so that every later
    target can be met, earliest deadline first.

    ``required[p, s]`` is chain p's target headcount s periods from now,
    ``potential[p]`` its staff if every vacancy were refilled (``carried[p]``
    if none were), ``capacity[s]``
    the area's supply s periods from now.  A chain needs ``ceil(required -
    potential)`` new posts by each deadline; the supply of the periods after
    this one, less what keeps the targets' posts refilled (``rate`` a period),
    holds only so many: what it cannot hold is recruited now, for the chains
    whose deadlines come first.
    """
    P, S = required.shape
    if S <= 1 or not required.any():
        return np.zeros(P)
    held = np.maximum.accumulate(required[:, 1:], axis=1)  # headcount each chain must reach by then
    posts = np.ceil(np.maximum(held - potential[:, None], 0.0) - SLACK)
    needed_by = posts.sum(axis=0)  # new posts the area needs by each later deadline
    # supply by each later deadline, less the refills that keep posts filled until
    # then: leavers at ``rate`` a period from the posts that exist now, and from
    # the new ones for half the time (they come spread over the periods before)
    existing = np.minimum(held, potential[:, None])
    waiting = np.maximum(existing - carried[:, None], 0.0).sum(axis=0)  # vacancies to refill by then
    refills_by = waiting + rate * (existing.sum(axis=0) + 0.5 * needed_by) * np.arange(1, S)
    whole_by = np.floor(np.cumsum(capacity[1:]) - refills_by + SLACK)
    now = int(max(0.0, float(np.max(needed_by - whole_by))))
    if now == 0:
        return np.zeros(P)
    out = np.zeros(P)
    # earliest deadline first: each chain's posts due by the first deadline, then the next
    for s in range(posts.shape[1]):
        for p in np.flatnonzero(posts[:, s] > out):
            take = min(now, int(posts[p, s] - out[p]))
            out[p] += take
            now -= take
            if now <= 0:
                return out
    return out


def controlled_round(beyond: np.ndarray, floor: np.ndarray, most: np.ndarray,
                     supply_rows: list[tuple[int, np.ndarray, float]], kept: np.ndarray,
                     per_head: np.ndarray) -> np.ndarray:
    """Whole new posts per PCN and role for one period: each chain gets its
    wanted number (``beyond``, fractional; at least ``floor``) rounded down or
    up, so that each role's total in a supply area is its wanted total
    rounded (the labour market and cost follow the LP) and each PCN's total is
    its wanted total rounded down or up (its appointments follow the LP).

    This is controlled rounding of a PCN x role table (Cox, 1987): the choice
    of which chains round up is a transportation problem, whose LP has whole
    optimal vertices, solved here by HiGHS's simplex.  Among the roundings
    that keep both totals, chains with the larger fractions (weighted by the
    appointments a person gives) round up.  A PCN total that cannot be kept
    is kept as nearly as possible.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    P, R = beyond.shape
    wanted = np.clip(np.maximum(beyond, floor), floor, most)
    whole = np.minimum(np.floor(wanted + SLACK), most)
    frac = np.where(whole < most, wanted - whole, 0.0)
    cells: list[tuple[int, int]] = []
    group_of: list[int] = []
    totals: list[float] = []
    seen = np.zeros((P, R), dtype=bool)
    for g, (ri, members, cap) in enumerate(supply_rows):
        fresh = members[~seen[members, ri]]
        seen[fresh, ri] = True
        want = float(np.floor(max(float(beyond[members, ri].sum()), 0.0) + 0.5 + SLACK))
        room = np.floor(cap - kept[g] + SLACK)
        total = max(min(want, room), float(whole[members, ri].sum())) - float(whole[fresh, ri].sum())
        movable = [p for p in fresh if frac[p, ri] > 0 or whole[p, ri] < most[p, ri]]
        totals.append(float(np.clip(total, 0.0, len([p for p in movable if whole[p, ri] < most[p, ri]]))))
        for p in movable:
            if whole[p, ri] < most[p, ri]:
                cells.append((int(p), int(ri)))
                group_of.append(g)
    if not cells:
        return whole
    n, G = len(cells), len(supply_rows)
    pcn = np.array([c[0] for c in cells])
    role = np.array([c[1] for c in cells])
    f = frac[pcn, role]
    # columns: z (n, in [0, 1]); then per PCN slack below / above its rounded total
    row_frac = np.zeros(P)
    np.add.at(row_frac, pcn, f)
    lo, hi = np.floor(row_frac + SLACK), np.ceil(row_frac - SLACK)
    A_eq = coo_matrix((np.ones(n), (np.array(group_of), np.arange(n))), shape=(G, n + 2 * P))
    A_pcn = coo_matrix((np.concatenate([np.ones(n), np.ones(P), -np.ones(P)]),
                        (np.concatenate([pcn, np.arange(P), np.arange(P)]),
                         np.concatenate([np.arange(n), n + np.arange(P), n + P + np.arange(P)]))),
                       shape=(P, n + 2 * P))
    weight = per_head[role] / max(float(per_head.max()), 1.0)
    c = np.concatenate([-(f * (0.5 + weight)), np.full(2 * P, 10.0)])
    result = linprog(c, A_ub=vstack([A_pcn, -A_pcn]).tocsr(), b_ub=np.concatenate([hi, -lo]),
                     A_eq=A_eq.tocsr(), b_eq=np.array(totals), bounds=[(0.0, 1.0)] * n + [(0.0, None)] * (2 * P),
                     method="highs-ds")
    if result.status != 0:
        return whole
    z = np.round(result.x[:n])
    out = whole.copy()
    np.add.at(out, (pcn, role), z)
    return out


def share_out(wanted: np.ndarray, floor: np.ndarray, most: np.ndarray) -> np.ndarray:
    """Whole people for chains that want ``wanted`` (fractional, negative when
    a chain is ahead): their total rounded, at least ``floor`` each (posts a
    target needs), the rest one by one to the chain furthest behind."""
    whole = floor.copy()
    extra = int(np.floor(float(wanted.sum()) + 0.5 + SLACK) - whole.sum())
    for _ in range(max(extra, 0)):
        behind = np.where(whole < most, wanted - whole, -np.inf)
        p = int(np.argmax(behind))
        if not np.isfinite(behind[p]) or behind[p] <= -0.5:
            break
        whole[p] += 1
    return whole


def fit_supply(want: np.ndarray, members: np.ndarray, ri: int, most: float, ahead: np.ndarray,
               low: np.ndarray) -> None:
    """Trim ``want[members, ri]`` to ``most`` people, never below ``low``,
    taking first from the chains furthest ahead of the LP (they wait a period)."""
    excess = float(want[members, ri].sum()) - np.floor(most + SLACK)
    if excess <= 0:
        return
    order = members[np.argsort(-ahead[members, ri], kind="stable")]
    while excess > 0:
        progressed = False
        for p in order:
            if excess <= 0:
                break
            if want[p, ri] >= low[p, ri] + 1:
                want[p, ri] -= 1
                ahead[p, ri] -= 1
                excess -= 1
                progressed = True
        if not progressed:
            break
