"""The Python API for notebooks: ``wfplan.load``, ``wfplan.plan`` and :class:`Plan`.

A thin layer over the pipeline the command line uses
(:func:`wfplan.scenario.load.load_scenario`, :func:`wfplan.pipeline.run_plan`,
:func:`wfplan.results.plan_directory.write_plan`)::

    import wfplan
    scenario = wfplan.load("examples/norfolk_waveney")
    p = wfplan.plan(scenario, integer=False)     # the LP version: fractional people, seconds
    p.status                                     # 'best possible plan (proven)'
    p.goals[p.goals["shortfall"] > 0]            # pandas DataFrames: plan, goals, arrs, budgets
    p.write("out/nw")                            # the same plan directory as `wfplan plan`

Nothing here changes the process's BLAS threads or signal handlers (the
command line does; a notebook keeps its own settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solvers import DEFAULT_SOLVER
from solvers.base import DEFAULT_GAP
from wfplan.results.plan_tables import PlanResult
from wfplan.scenario import Scenario


class NoPlanError(RuntimeError):
    """The solve ended without a plan (the rules conflict, or the solver failed): there are no tables."""


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario directory or workbook (what-if overrides applied).

    Bad input raises :class:`wfplan.errors.ScenarioError`, whose ``problems``
    name file, row, column and value."""
    from wfplan.scenario.load import load_scenario

    return load_scenario(path)


def plan(scenario: Scenario | str | Path, *, solver: str = DEFAULT_SOLVER, time_limit: float | None = None,
         gap: float = DEFAULT_GAP, integer: bool | None = None, workers: int = 1, decompose: bool = True) -> Plan:
    """Plan a scenario (a loaded :class:`~wfplan.scenario.Scenario` or a path to one).

    ``integer=None`` follows the scenario (``[model] integer``), ``False``
    plans fractional people (fast), ``True`` whole people.  ``time_limit``
    (seconds) returns the best plan found by then; ``gap`` is the relative gap
    at which a level counts as solved; ``workers`` processes solve
    independent parts side by side.  Nothing is written: see :meth:`Plan.write`.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    from wfplan.pipeline import run_plan

    return Plan(run_plan(scenario, solver=solver, time_limit=time_limit, gap=gap, integer=integer,
                         workers=workers, decompose=decompose))


@dataclass
class Plan:
    """A planned scenario: its tables as DataFrames, its summary and its status in words.

    ``result`` is the pipeline's :class:`~wfplan.pipeline.PlanResult` (model and
    solution) for anything this class does not show.
    """

    result: PlanResult

    @property
    def found(self) -> bool:
        """Whether the solve produced a plan (it may still be unproven: see :attr:`status`)."""
        return self.result.tables is not None

    def _tables(self):
        if self.result.tables is None:
            raise NoPlanError(f"no plan: {self.status}")
        return self.result.tables

    @property
    def plan(self) -> pd.DataFrame:
        """PCN x role x period: starters, leavers, staff in post (headcount, FTE), cost, ARRS claim (plan.csv)."""
        return self._tables().plan

    @property
    def goals(self) -> pd.DataFrame:
        """Every target and demand cell: required, achieved, shortfall (goals.csv)."""
        return self._tables().goals

    @property
    def arrs(self) -> pd.DataFrame:
        """ARRS entitlement, claims and headroom per PCN and year (arrs.csv)."""
        return self._tables().arrs

    @property
    def budgets(self) -> pd.DataFrame:
        """Spend against each named budget (budgets.csv)."""
        return self._tables().budgets

    @property
    def summary(self) -> dict[str, object]:
        """What summary.json holds: solver, status, levels, gap, timings, totals."""
        from wfplan.results.summary import plan_summary

        return plan_summary(self.result)

    @property
    def status(self) -> str:
        """The status in words, e.g. ``best possible plan (proven)``."""
        from wfplan.results.words import plan_status

        return plan_status(self.summary)

    @property
    def targets(self) -> pd.DataFrame:
        """One row per target: where it is met and its worst shortfall, with a sentence."""
        from wfplan.results.words import target_attainment

        return target_attainment(self.goals, self.result.scenario)

    def write(self, directory: str | Path, force: bool = False) -> Path:
        """Write the plan directory (as ``wfplan plan --out``; atomically, replacing only with ``force``)."""
        from wfplan.results.plan_directory import write_plan

        write_plan(self.result, Path(directory), force=force)
        return Path(directory)

    def __repr__(self) -> str:
        return f"<wfplan.Plan of {self.result.scenario.name!r}: {self.status}>"
