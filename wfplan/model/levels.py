"""The objective levels of a plan, as one typed catalogue, and the record of a solved level.

A plan is optimised level by level (see :mod:`wfplan.solve`): budget
overrun first, then the goal priorities, fair shares, cost and last ARRS
claims.  Each level has a name (the key in ``summary.json``) and a kind;
code asks a level's kind (is it a goal? the final level?) here instead of
matching its name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from solvers.base import Status


class LevelKind(StrEnum):
    BUDGET = "budget"  # overrun of named budgets: only ever above zero when nothing else can be done
    GOAL = "goal"  # target shortfalls and unmet demand of one priority (p1 .. p9)
    FAIRNESS = "fairness"  # the worst PCN's priority-1 shortfall per 10,000 patients (asked for)
    FAIR_SHARE = "fair_share"  # staff above a PCN's fair share of scarce recruits
    FINAL = "final"  # what is minimised once goals are settled: cost, or redundancy
    CLAIMS = "claims"  # with staffing fixed, ARRS claims maximised: who pays
    FEASIBILITY = "feasibility"  # nothing to optimise: any plan that keeps the rules
    WEIGHTED = "weighted"  # one solve of the levels' weighted sum


@dataclass(frozen=True)
class Level:
    name: str
    kind: LevelKind
    priority: int | None = None  # goal levels: 1 (first) .. 9

    @property
    def carries_cost_tiebreak(self) -> bool:
        """Goal and fair-share levels also carry a small share of the final level, so
        that among plans equally good on them the solver finds a cheap one."""
        return self.kind in (LevelKind.GOAL, LevelKind.FAIR_SHARE)


BUDGET = Level("budget", LevelKind.BUDGET)
GOALS = tuple(Level(f"p{k}", LevelKind.GOAL, k) for k in range(1, 10))
FAIRNESS = Level("fairness", LevelKind.FAIRNESS)
FAIR_SHARE = Level("p_fair_share", LevelKind.FAIR_SHARE)
COST = Level("final_cost", LevelKind.FINAL)
REDUNDANCY = Level("final_redundancy", LevelKind.FINAL)
CLAIMS = Level("claims", LevelKind.CLAIMS)
FEASIBILITY = Level("feasibility", LevelKind.FEASIBILITY)
WEIGHTED = Level("weighted", LevelKind.WEIGHTED)

CATALOGUE: dict[str, Level] = {level.name: level for level in (
    BUDGET, *GOALS, FAIRNESS, FAIR_SHARE, COST, REDUNDANCY, CLAIMS, FEASIBILITY, WEIGHTED)}


def level(name: str) -> Level:
    """The catalogue's level of this name."""
    return CATALOGUE[name]


def order(fairness: bool, minimise: str) -> list[Level]:
    """Every level in solve order: budget, p1, (fairness), p2 .. p9, fair shares, the
    final level (cost; or redundancy, then cost), claims."""
    levels = [BUDGET, GOALS[0], *([FAIRNESS] if fairness else []), *GOALS[1:], FAIR_SHARE]
    levels += [REDUNDANCY, COST] if minimise == "redundancy" else [COST]
    return [*levels, CLAIMS]


@dataclass
class LevelRecord:
    """How one level came out: its status, its value in the final plan's run, the
    best possible (bound) where proven, the gap between, and the seconds it took.
    For a program solved in independent parts, how many parts had the level and
    how many of them proved no bound."""

    level: str
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    parts: int | None = None
    parts_total: int | None = None
    parts_without_bound: int | None = None

    def as_dict(self, timings: bool = True) -> dict[str, object]:
        """The record as ``summary.json`` holds it (the status as its word; parts only when split)."""
        out = {k: v for k, v in asdict(self).items() if v is not None or k in ("objective", "bound", "gap")}
        out["status"] = self.status.value
        if not timings:
            out.pop("seconds")
        return out
