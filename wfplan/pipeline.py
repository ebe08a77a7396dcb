"""The planning pipeline, in named stages (compare PyPSA's create / solve / assign / post-process).

Data flows one way::

    Scenario --prepare--> ModelInputs --build--> Model --solve--> PlanSolution --assign--> PlanTables

* :func:`build_model`: prepare the arrays and build the formulation (the
  ``create`` stage; the scenario's build settings travel inside the inputs);
* :meth:`SolveSettings.for_scenario <wfplan.model.settings.SolveSettings.for_scenario>`:
  the scenario's objective settings with the user's options;
* :func:`wfplan.solve.solve`: every objective level, as a
  :class:`~wfplan.model.settings.SolveSettings` says;
* :func:`wfplan.results.plan_tables.decode`: the plan tables, every figure the
  formulation's named expressions at the plan.

:func:`run_plan` runs them all; the command line, the Python API, sweeps,
diagnosis, explain and sensitivity all build and solve through these
functions, so a plan is the same whichever of them asks for it.
"""

from __future__ import annotations

import time

from solvers import DEFAULT_SOLVER
from solvers.base import DEFAULT_GAP
from wfplan.model import formulation
from wfplan.model import inputs as model_inputs
from wfplan.model.formulation import CLAIMS_LEVEL, Model
from wfplan.model.settings import SolveSettings
from wfplan.progress import step
from wfplan.results.plan_tables import PlanResult, decode
from wfplan.scenario import Scenario
from wfplan.solve import solve


def build_model(scenario: Scenario, integer: bool | None = None, claims: bool = True) -> Model:
    """The scenario's model: inputs prepared, formulation built.

    ``integer`` overrides the scenario's ``[model] integer``; without
    ``claims`` the last level (who pays, ARRS claims) is left out, as sweeps
    do: it settles no staffing figure."""
    model = formulation.build(model_inputs.prepare(scenario, integer=integer))
    if not claims:
        model = Model(model.builder, model.inputs, [level for level in model.level_order if level != CLAIMS_LEVEL])
    return model


def run_plan(scenario: Scenario, solver: str = DEFAULT_SOLVER, time_limit: float | None = None,
             gap: float = DEFAULT_GAP, integer: bool | None = None, threads: int = 1, workers: int = 1,
             decompose: bool = True) -> PlanResult:
    """Plan a scenario end to end (no files written: see :func:`wfplan.results.plan_directory.write_plan`).

    ``decompose`` solves independent parts of the model separately (the same
    plan, faster); ``workers`` processes solve them side by side.
    """
    started = time.perf_counter()
    with step("building the model"):
        model = build_model(scenario, integer=integer)
    build_seconds = time.perf_counter() - started
    settings = SolveSettings.for_scenario(scenario, solver=solver, time_limit=time_limit, gap=gap, threads=threads,
                                          workers=workers, decompose=decompose)
    solution = solve(model, settings, build_seconds=build_seconds)
    tables = decode(model, solution) if solution.x is not None else None
    return PlanResult(scenario, model, solution, tables)
