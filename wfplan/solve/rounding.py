"""Whole-people plans from a fractional one: round the LP's recruitment in time order.

The LP relaxation of a whole-people plan is solved in well under a second,
and its plan is usually a few tenths of a person away from a good
whole-people plan in each PCN and role.  This module turns such a plan into
whole people, in the model's own time order, so that the people it puts in
post are the LP's as nearly as whole people allow:

* each chain (PCN x role for recruits and releases, PCN x course for course
  starts) follows its *running total*: by the end of period t it has
  recruited ``round(LP total to t)`` people, so a quarter's 0.3 and the next
  quarter's 0.3 become nobody then one person, not nobody twice;
* staff in post are simulated exactly as the formulation's balance defines
  them (expected leavers, course exits and completions, planned leavers and
  the courses of trainees on course at the start), so a course start
  is only offered where someone is in post to start it, and a release only
  where someone is in post to release;
* recruitment supply (the most starters of a role an area's labour market
  gives in a period) is kept: when rounding up would exceed it, the people
  most ahead of their LP running total wait a period.

The result fixes every whole-people column; the continuous rest of the plan
(shortfalls, unmet appointments, claims) then follows by one LP.  Whatever
this rounding cannot guarantee (a hard target, an exact requirement) is
checked by that LP: if it is infeasible the rounding is simply not used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.base import LinearProgram
from wfplan.model.formulation import Model
from wfplan.model.formulation.goals import required_headcount
from wfplan.solve.controlled_rounding import SLACK, controlled_round, due_now, fit_supply

FLOW_BLOCKS = ("starters", "released", "started")
"""Whole-people columns that are flows: rounded along their running total."""

LEVEL_BLOCKS = ("short_time",)
"""Whole-people columns that are levels (people on short time in a period): rounded to nearest."""



@dataclass
class Rounded:
    """Whole-people values for every integer column of a program (``lower == upper``)."""

    lower: np.ndarray
    upper: np.ndarray

    def program(self, lp: LinearProgram) -> LinearProgram:
        """``lp`` with the whole-people columns fixed and no integrality left
        (free binaries, such as the ARRS baseline switch, stay integer)."""
        fixed = LinearProgram(lp.c, lp.A, lp.row_lower, lp.row_upper, self.lower, self.upper,
                              lp.integrality & (self.lower < self.upper), lp.offset)
        return fixed


def round_plan(model: Model, lp: LinearProgram, y: np.ndarray, max_priority: int = 9) -> Rounded:
    """Whole-people values near the fractional plan ``y`` (see the module docstring),
    keeping the targets of priority ``max_priority`` or higher where supply allows."""
    return _Rounding(model, lp, y, max_priority).run()


class _Rounding:
    """The simulation behind :func:`round_plan`: staff in post period by period, as the
    formulation's balance defines them, with each period's whole-people decisions
    (recruits, refills, course starts, releases) chosen in that order."""

    def __init__(self, model: Model, lp: LinearProgram, y: np.ndarray, max_priority: int) -> None:
        b, inputs = model.builder, model.inputs
        self.b, self.inputs, self.lp, self.y = b, inputs, lp, y
        P, R, T = self.shape = inputs.shape
        self.lp_stock = b.value("stock", y)
        # the targets the LP's plan meets (where it accepts a shortfall, as much as it keeps)
        self.required = np.minimum(required_headcount(inputs, max_priority),
                                   np.floor(self.lp_stock + 0.5 + SLACK))
        names = [name for name in FLOW_BLOCKS if name in b.variables]
        self.target = {name: np.cumsum(b.value(name, y), axis=-1) for name in names}  # LP running totals
        self.chosen = {name: np.zeros(b.variables[name].ids.shape) for name in names}
        self.done = {name: np.zeros(b.variables[name].ids.shape[:-1]) for name in names}
        self.bounds = {name: _bounds(b.variables[name].ids, lp) for name in names}
        self.replaceable = b.variables["replacements"].ids >= 0 if "replacements" in b.variables \
            else np.zeros((P, R, T), bool)
        tr = inputs.transitions
        self.K = len(tr)
        self.from_ri, self.to_ri = tr["from_ri"].to_numpy(int), tr["to_ri"].to_numpy(int)
        self.lead, self.success = tr["lead_periods"].to_numpy(int), tr["success_rate"].to_numpy(float)
        self.share = tr["max_share_of_destination"].astype(float).to_numpy()
        self.supply_at = _supply_by_period(inputs, T)
        self.capacity: dict[tuple[int, bytes], np.ndarray] = {}  # per supply area: most starters by period
        for t, rows in enumerate(self.supply_at):
            for ri, members, most in rows:
                self.capacity.setdefault((ri, members.tobytes()), np.zeros(T))[t] += most
        self.rate = inputs.attrition + inputs.first_year_extra  # a post's refills per period, at most
        self.per_head = inputs.capacity * inputs.participation  # appointments a person gives a year
        self.started = self.chosen.get("started", np.zeros((P, self.K, T)))
        # known flows, as the formulation's balance has them: planned leavers and trainees on
        # course at the start leave on their dates (not subject to attrition until then)
        self.exempt, self.held = inputs.attrition_exempt, inputs.held_in_post
        known_out = inputs.planned_leavers + inputs.course_exits_by_role
        self.known_net = inputs.course_completions_by_role - known_out
        self.survive = 1.0 - (inputs.attrition + inputs.first_year_extra)
        # the simulated plan at the end of the previous period
        self.stock = inputs.initial.astype(float).copy()
        self.on_course = np.zeros((P, R))  # people on a course
        self.inflow = np.zeros((P, R, T))  # recruits and replacements, for first-year leaving
        self.vacancies = np.zeros((P, R))  # posts left by leavers and not yet refilled
        self.refillable = self.replaceable.any(axis=2)

    def run(self) -> Rounded:
        """Every period in time order; then the whole-people columns fixed at the choices."""
        for t in range(self.shape[2]):
            self._period(t)
        lp, b, y = self.lp, self.b, self.y
        lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
        for name, values in self.chosen.items():
            _fix(b.variables[name].ids, values, lower, upper)
        for name in LEVEL_BLOCKS:
            if name in b.variables:
                ids = b.variables[name].ids
                present = ids[ids >= 0]
                whole = np.clip(np.round(y[present]), np.ceil(lp.col_lower[present] - SLACK),
                                np.floor(lp.col_upper[present] + SLACK))
                lower[present] = upper[present] = whole
        return Rounded(lower, upper)

    def _period(self, t: int) -> None:
        """Period ``t``: leavers and course ends, then recruits and refills, course starts, releases."""
        inputs = self.inputs
        base = self._expected_leavers(t)
        ending, completions = self._courses_ending(t)
        self.on_course = self.on_course - ending
        # inflow: recruits (whole people) and replacements, which refill posts that
        # leavers vacated (now or earlier).  Targets come first: the refills and
        # new posts that keep staff at a target's requirement; then new posts that
        # bring staff in post to the LP's (any s in [needed - open posts, needed]
        # hits it exactly); then the LP's other refills.
        e = inputs.entry_loss[None, :]
        carried = self.stock - ending + completions - base + self.known_net[:, :, t]  # nobody recruited or replaced
        needed = (self.lp_stock[:, :, t] - carried) / (1.0 - e)
        open_posts = np.where(self.replaceable[:, :, t], (self.vacancies + base) / (1.0 - e), 0.0)
        short = np.maximum(self.required[:, :, t] - carried, 0.0) / (1.0 - e)
        target_refills = np.minimum(short, open_posts)
        starters = self._recruits(t, carried, needed, open_posts, short, target_refills)
        replaced = self._refills(t, base, starters, needed, target_refills)
        stock_now = carried + (starters + replaced) * (1.0 - e)
        self.inflow[:, :, t] = starters + replaced
        self.vacancies = np.where(self.refillable, self.vacancies + base + e * (starters + replaced) - replaced, 0.0)
        started_now = self._course_starts(t, stock_now)
        released = self._releases(t, stock_now)
        self.stock = stock_now - released
        for name, now in (("starters", starters), ("released", released), ("started", started_now)):
            if name in self.chosen:
                self.chosen[name][..., t] = now
                self.done[name] = self.done[name] + now

    def _expected_leavers(self, t: int) -> np.ndarray:
        """Attrition of the previous period's staff who are not on a course (nor leaving on a
        known date), with the first-year rate for recruits of the last year (quarter steps)."""
        inputs = self.inputs
        base = inputs.attrition[None, :] * (self.stock - self.on_course - self.exempt[:, :, t])
        for j in range(1, min(inputs.first_year_periods, t) + 1):
            base = base + (inputs.first_year_extra * self.survive ** (j - 1))[None, :] * self.inflow[:, :, t - j]
        return base

    def _courses_ending(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """People whose course ends in ``t`` (leaving the from-role) and the completions (into the to-role)."""
        P, R, _ = self.shape
        ending, completions = np.zeros((P, R)), np.zeros((P, R))
        lead = self.lead
        for k in np.flatnonzero((lead > 0) & (t - lead >= 0)):
            ending[:, self.from_ri[k]] += self.started[:, k, t - lead[k]]
            completions[:, self.to_ri[k]] += self.success[k] * self.started[:, k, t - lead[k]]
        return ending, completions

    def _recruits(self, t: int, carried: np.ndarray, needed: np.ndarray, open_posts: np.ndarray,
                  short: np.ndarray, target_refills: np.ndarray) -> np.ndarray:
        """Whole-people recruits into new posts in ``t``: the LP's, by controlled rounding,
        and never fewer than targets due now or later need; within supply."""
        P, R, T = self.shape
        starters = np.zeros((P, R))
        if "starters" not in self.chosen:
            return starters
        supply_at = self.supply_at
        target_posts = np.ceil(np.maximum(short - open_posts, 0.0) - SLACK)
        low, high = self.bounds["starters"][0][..., t], self.bounds["starters"][1][..., t]
        target_posts = np.clip(target_posts, low, high)
        # new posts the LP's staff in post need beyond refilling every vacancy; a
        # chain ahead of the LP without recruiting anyone counts negative
        beyond = np.where(needed > open_posts, needed - open_posts, np.minimum(needed, 0.0))
        potential = carried + open_posts  # staff in post if every vacancy were refilled
        early = target_posts.copy()
        kept = np.zeros(len(supply_at[t]))
        # courses already started that end later take their people out of the
        # from-role (and bring the successes into the to-role) before those
        # targets fall due: count them, or a target is found short only when
        # the whole market's trainees complete at once
        later = self.required[:, :, t:] + _course_flows_ahead(self.started, self.from_ri, self.to_ri, self.lead,
                                                              self.success, t, P, R, T)
        later[:, :, 1:] -= np.cumsum(self.known_net[:, :, t + 1:], axis=2)  # and known flows after t
        for i, (ri, members, most) in enumerate(supply_at[t]):
            # posts that targets due later need and later supply cannot all bring
            due = due_now(np.maximum(later[members, ri], 0.0), potential[members, ri], carried[members, ri],
                           self.capacity[(ri, members.tobytes())][t:], self.rate[ri])
            early[members, ri] = np.maximum(early[members, ri], np.minimum(due, high[members, ri]))
            # recruits and replacements come from the same labour market: the
            # targets' refills keep their share
            kept[i] = min(float(target_refills[members, ri].sum()), most)
        # whole people per role and area (the LP's total beyond its vacancies,
        # rounded) and per PCN (its total, rounded), by controlled rounding
        starters = controlled_round(beyond, early, high, supply_at[t], kept, self.per_head)
        for i, (ri, members, most) in enumerate(supply_at[t]):
            # posts that follow the LP wait first, then posts for later targets,
            # then posts for targets due now
            for floor in (early, target_posts, low):
                fit_supply(starters, members, ri, most - kept[i], starters - beyond, floor)
        return np.clip(starters, low, high)

    def _refills(self, t: int, base: np.ndarray, starters: np.ndarray, needed: np.ndarray,
                 target_refills: np.ndarray) -> np.ndarray:
        """Replacements (expected values) refilling vacated posts: targets' refills first,
        then the LP's, within what supply leaves after the recruits."""
        e = self.inputs.entry_loss[None, :]
        refill = np.where(self.replaceable[:, :, t], (self.vacancies + base + e * starters) / (1.0 - e), 0.0)
        replaced = np.minimum(np.maximum(np.clip(needed - starters, 0.0, None), target_refills), refill)
        for ri, members, most in self.supply_at[t]:
            spare = most - float(starters[members, ri].sum())
            first = np.minimum(replaced[members, ri], target_refills[members, ri])
            others = replaced[members, ri] - first
            if first.sum() > spare:
                first *= max(spare, 0.0) / first.sum()
                others[:] = 0.0
            elif first.sum() + others.sum() > spare:
                others *= (spare - first.sum()) / others.sum()
            replaced[members, ri] = first + others
        return replaced

    def _course_starts(self, t: int, stock_now: np.ndarray) -> np.ndarray:
        """Course starts following the LP's running totals: only people in post who are not
        already on a course (nor leaving on a date), within a course's share of its destination.
        Updates ``stock_now`` (courses with no lead time) and the people on a course."""
        P, _, _ = self.shape
        started_now = np.zeros((P, self.K))
        if "started" not in self.chosen:
            return started_now
        held = self.held
        from_ri, to_ri, lead, success, share = self.from_ri, self.to_ri, self.lead, self.success, self.share
        want = _follow(self.target["started"][..., t], self.done["started"], self.bounds["started"], t)
        for k in range(self.K):
            r = from_ri[k]
            free = stock_now[:, r] - self.on_course[:, r] - held[:, r, t]  # not on a course, not leaving on a date
            take = np.minimum(want[:, k], np.floor(np.maximum(free, 0.0) + SLACK))
            if not np.isnan(share[k]):
                destination = stock_now[:, to_ri[k]] + (success[k] * take if lead[k] == 0 else 0.0)
                take = np.minimum(take, np.floor(np.maximum(share[k] * destination, 0.0) + SLACK))
            if lead[k] == 0:
                stock_now[:, r] -= take
                stock_now[:, to_ri[k]] += success[k] * take
            else:
                self.on_course[:, r] += take
            started_now[:, k] = take
        self.started[..., t] = started_now
        return started_now

    def _releases(self, t: int, stock_now: np.ndarray) -> np.ndarray:
        """Releases following the LP's running totals: only people in post, not on a course
        and not leaving on a known date."""
        if "released" not in self.chosen:
            return np.zeros(self.shape[:2])
        want = _follow(self.target["released"][..., t], self.done["released"], self.bounds["released"], t)
        free = stock_now - self.on_course - self.held[:, :, t]
        return np.minimum(want, np.floor(np.maximum(free, 0.0) + SLACK))


def _course_flows_ahead(started: np.ndarray, from_ri: np.ndarray, to_ri: np.ndarray, lead: np.ndarray,
                        success: np.ndarray, t: int, P: int, R: int, T: int) -> np.ndarray:
    """Per PCN, role and period from ``t`` on: people that courses started before
    ``t`` will by then have taken out of the role (positive) or brought in
    (negative), cumulatively."""
    flows = np.zeros((P, R, T - t))
    for k in np.flatnonzero(lead > 0):
        for begun in range(max(0, t - int(lead[k]) + 1), t):
            end = begun + int(lead[k])
            if end < T:
                flows[:, from_ri[k], end - t] += started[:, k, begun]
                flows[:, to_ri[k], end - t] -= success[k] * started[:, k, begun]
    return np.cumsum(flows, axis=2)


def _bounds(ids: np.ndarray, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray]:
    """Whole-people column bounds on a block's grid (0 where a column is absent)."""
    present = ids >= 0
    low, high = np.zeros(ids.shape), np.zeros(ids.shape)
    low[present] = np.ceil(lp.col_lower[ids[present]] - SLACK)
    high[present] = np.floor(lp.col_upper[ids[present]] + SLACK)
    return low, high


def _follow(target: np.ndarray, done: np.ndarray, bounds: tuple[np.ndarray, np.ndarray], t: int) -> np.ndarray:
    """Whole people this period so the running total is the LP's running total, rounded."""
    want = np.floor(target + 0.5 + SLACK) - done
    return np.clip(want, bounds[0][..., t], bounds[1][..., t])


def _supply_by_period(inputs, T: int) -> list[list[tuple[int, np.ndarray, float]]]:
    """Supply rows grouped by period: (role index, member PCNs, most starters).

    Where every recruitment route of a role is limited in an area and period
    and no row limits the role there as a whole, the routes' limits summed
    are the role's limit (its recruits all come through its routes)."""
    by_t: list[list[tuple[int, np.ndarray, float]]] = [[] for _ in range(T)]
    sup = inputs.supply
    whole_role = set()
    for ri, t, members, most in zip(sup["ri"], sup["t"], sup["members"], sup["max_starters"], strict=True):
        by_t[int(t)].append((int(ri), np.asarray(members, dtype=int), float(most)))
        whole_role.add((int(ri), int(t), np.asarray(members, dtype=int).tobytes()))
    routes_of = inputs.routes.groupby("ri")["j"].apply(set).to_dict() if len(inputs.routes) else {}
    by_area: dict[tuple[int, int, bytes], tuple[np.ndarray, set, float]] = {}
    rs = inputs.route_supply
    for j, ri, t, members, most in zip(rs["j"], rs["ri"], rs["t"], rs["members"], rs["max_starters"], strict=True):
        members = np.asarray(members, dtype=int)
        key = (int(ri), int(t), members.tobytes())
        _, seen, total = by_area.get(key, (members, set(), 0.0))
        by_area[key] = (members, seen | {int(j)}, total + float(most))
    for (ri, t, key), (members, seen, total) in by_area.items():
        if seen == routes_of.get(ri) and (ri, t, key) not in whole_role:
            by_t[t].append((ri, members, total))
    return by_t


def _fix(ids: np.ndarray, values: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
    present = ids >= 0
    lower[ids[present]] = upper[ids[present]] = values[present]
