"""Settings per stage: what the build and the solve read, copied once from the scenario and the user.

The scenario's ``[objective]`` and ``[model]`` tables and the command line's
options are read here and nowhere below: the formulation sees only
:class:`BuildSettings` (inside :class:`~wfplan.model.inputs.ModelInputs`),
the solve loop only :class:`SolveSettings` (compare calliope's configuration
split into init, build and solve stages).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from solvers import DEFAULT_SOLVER
from solvers.base import DEFAULT_GAP


@dataclass(frozen=True)
class BuildSettings:
    """What the formulation needs from ``scenario.toml`` besides the tables."""

    minimise: str = "cost"  # the final level: "cost" or "redundancy"
    fairness: bool = False  # the worst PCN's priority-1 shortfall per 10,000 patients, after p1
    smoothing_weight: float = 0.0  # GBP per starter of quarter-to-quarter change in starters
    overstaffing_limit_total: float | None = None  # people overstaffed across all PCNs and roles, per period

    @classmethod
    def from_manifest(cls, manifest) -> BuildSettings:
        """The settings of a validated manifest (:class:`wfplan.scenario.manifest.Manifest`)."""
        objective, model = manifest.objective, manifest.model
        return cls(minimise=objective.minimise, fairness=objective.fairness,
                   smoothing_weight=float(objective.smoothing_weight),
                   overstaffing_limit_total=None if model.overstaffing_limit_total is None
                   else float(model.overstaffing_limit_total))


@dataclass(frozen=True)
class SolveSettings:
    """How a built model is solved: the scenario's objective mode, weights and tolerance,
    and the user's solver, time limit, gap and processes."""

    solver: str = DEFAULT_SOLVER
    mode: str = "lexicographic"  # or "weighted": one solve of the levels' weighted sum
    cost_weight: float = 1e-6  # weighted mode: weight of the final (cost) level
    relative_tolerance: float = 1e-9  # a level is held within this share of its optimum
    time_limit: float | None = None  # seconds for the whole solve
    gap: float = DEFAULT_GAP  # relative gap at which a level counts as solved
    threads: int = 1  # solver threads per process
    workers: int = 1  # processes solving independent parts side by side
    decompose: bool = True  # solve independent parts separately (the same plan, faster)
    keep_bases: bool = False  # report each LP level's optimal basis (a sweep's warm start)

    @classmethod
    def for_scenario(cls, scenario, **options) -> SolveSettings:
        """The scenario's ``[objective]`` mode, weight and tolerance with the user's ``options``."""
        objective = scenario.manifest.objective
        return cls(mode=objective.mode, cost_weight=float(objective.cost_weight),
                   relative_tolerance=float(objective.relative_tolerance), **options)

    def but(self, **changes) -> SolveSettings:
        """These settings with some changed."""
        return replace(self, **changes)
