"""Write a plan directory, atomically: the one place plan directories are written
(:mod:`wfplan.results.plan_reader` reads them back, validated).  A plan directory holds:

* ``plan.csv``: PCN x role x period: starters (by source), leavers (expected
  attrition), planned leavers (known, on their dates), releases,
  transitions, staff in post (headcount and FTE), recruits through a route
  that is not ARRS-claimable and those of them in post, cost, ARRS claim;
* ``arrs.csv``: entitlement, claims and headroom per PCN and year (the main
  ARRS sum), and the ring-fenced pots' entitlement and claims;
* ``goals.csv``: each target and demand goal: required, achieved, shortfall;
* ``budgets.csv``: spend against each named budget;
* ``planned_flows.csv``, ``flow_types.csv``, ``historic_fte.csv``: the plan as
  checkpoint flows, so ``wfplan trajectory PLAN_DIR`` gives its trajectory;
* ``scenario/``: the exact validated inputs; ``summary.json``.
"""

from __future__ import annotations

from pathlib import Path

from wfplan.files.output import atomic_directory, write_csv, write_json
from wfplan.results.plan_tables import PlanResult
from wfplan.results.summary import plan_summary
from wfplan.scenario.snapshot import write_scenario

TIMING_KEYS = ("build_seconds", "solve_seconds")


def write_plan(result: PlanResult, out_dir: Path, force: bool = False, deterministic: bool = False) -> None:
    """Write the plan directory atomically (its files: the module docstring).

    ``deterministic`` moves the timings out of ``summary.json`` into
    ``timings.json`` so that every other file is byte-identical between runs.
    """
    summary = plan_summary(result)
    with atomic_directory(out_dir, force=force) as staging:
        write_scenario(result.scenario, staging / "scenario")
        tables = result.tables
        if tables is not None:
            write_csv(tables.plan, staging / "plan.csv")
            write_csv(tables.arrs, staging / "arrs.csv")
            write_csv(tables.goals, staging / "goals.csv")
            write_csv(tables.budgets, staging / "budgets.csv")
            write_csv(tables.flows, staging / "planned_flows.csv")
            write_csv(tables.flow_types, staging / "flow_types.csv")
            write_csv(tables.historic, staging / "historic_fte.csv")
        if deterministic:
            write_json({k: summary.pop(k) for k in TIMING_KEYS}, staging / "timings.json")
        write_json(summary, staging / "summary.json")
