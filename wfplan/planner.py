"""The planning pipeline: validated scenario -> inputs -> model -> solution -> plan tables.

This is the one function the CLI, benchmarks, sweeps and tests call to plan
(:func:`run_plan`), and the one place plan directories are written
(:func:`write_plan`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from wfplan.model import formulation
from wfplan.model import inputs as model_inputs
from wfplan.model.formulation import Model
from wfplan.model.solve import PlanSolution, solve
from wfplan.output import atomic_directory, write_csv, write_json
from wfplan.plan_io import PlanTables, decode
from wfplan.progress import step
from wfplan.scenario import Scenario
from wfplan.snapshot import write_scenario


@dataclass
class PlanResult:
    scenario: Scenario
    model: Model
    solution: PlanSolution
    tables: PlanTables | None

    @property
    def summary(self) -> dict[str, object]:
        return plan_summary(self)


def run_plan(scenario: Scenario, solver: str = "highs", time_limit: float | None = None,
             gap: float = 1e-4, integer: bool | None = None, threads: int = 1, workers: int = 1,
             decompose: bool = True) -> PlanResult:
    """Plan a scenario end to end (no files written).

    ``decompose`` solves independent parts of the model separately (the same
    plan, faster); ``workers`` processes solve them side by side.
    """
    started = time.perf_counter()
    with step("building the model"):
        prepared = model_inputs.prepare(scenario, integer=integer)
        model = formulation.build(prepared)
    build_seconds = time.perf_counter() - started
    solution = solve(model, solver=solver, time_limit=time_limit, gap=gap, threads=threads,
                     build_seconds=build_seconds, workers=workers, decompose=decompose)
    tables = decode(model, solution) if solution.x is not None else None
    return PlanResult(scenario, model, solution, tables)


def plan_summary(result: PlanResult) -> dict[str, object]:
    """What ``summary.json`` holds: solver, status, objective per level, gap, timings, input checksum."""
    sol, inputs, lp = result.solution, result.model.inputs, result.solution.lp
    summary: dict[str, object] = {
        "scenario": result.scenario.name,
        "input_checksum": result.scenario.checksum,
        "solver": sol.solver,
        "status": sol.status.value,
        "proven_optimal": sol.proven_optimal,
        "objective_by_level": {k: round(v, 6) for k, v in sol.objectives.items()},
        "bound": None if sol.bound is None else round(sol.bound, 6),
        "gap": None if sol.gap is None else round(sol.gap, 9),
        "build_seconds": round(sol.build_seconds, 3),
        "solve_seconds": round(sol.solve_seconds, 3),
        "integer": inputs.integer,
        "model_size": {"variables": lp.num_cols if lp else 0, "integer_variables": lp.num_integer if lp else 0,
                       "constraints": result.model.builder.num_rows},
        "horizon": {"start": inputs.horizon.label(inputs.horizon.first),
                    "end": inputs.horizon.label(inputs.horizon.last), "step": inputs.horizon.step},
        "pcns": len(inputs.pcns), "roles": inputs.roles,
        "levels": [{k: v for k, v in rec.items() if k != "seconds"} for rec in sol.levels],
        "notes": sorted(set(inputs.notes)),
        "message": sol.message,
    }
    tables = result.tables
    if tables is not None:
        goals = tables.goals
        summary["goals"] = {
            "targets_missed": int(((goals["goal"] == "target") & (goals["shortfall"] > 0)).sum()),
            "target_shortfall_total": round(float(goals.loc[goals["goal"] == "target", "shortfall"].sum()), 6),
            "unmet_appointments": round(float(goals.loc[goals["goal"] == "demand", "shortfall"].sum()), 3),
        }
        plan = tables.plan
        summary["totals"] = {
            "starters": round(float(plan["starters"].sum()), 6),
            "leavers": round(float(plan["leavers"].sum()), 6),
            "released": round(float(plan["released"].sum()), 6),
            "employment_cost": round(float(plan["employment_cost"].sum()), 2),
            "arrs_claims": round(float(plan["arrs_claim_gbp"].sum()), 2),
            "budget_overrun": round(float(tables.budgets["overrun"].sum()), 2),
        }
    return summary


TIMING_KEYS = ("build_seconds", "solve_seconds")


def write_plan(result: PlanResult, out_dir: Path, force: bool = False, deterministic: bool = False) -> None:
    """Write the plan directory atomically (see :mod:`wfplan.plan_io` for its files).

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


def level_proof(record: dict[str, object] | None) -> str:
    """What is proven about a level that is not proven optimal: its bound and
    gap, or why it has no bound (the parts that stopped before proving one)."""
    if record is None or record["status"] == "optimal":
        return ""
    status, bound, gap = record["status"], record.get("bound"), record.get("gap")
    if bound is not None and gap is not None:
        return f" ({status}: best bound {bound:,.4f}, gap {gap:.2%})"
    missing = record.get("parts_without_bound")
    if missing:
        return f" ({status}: no bound; {missing} of {record.get('parts_total', missing)} part(s) stopped before proving one)"
    return f" ({status}: no bound proven)"


def summary_text(result: PlanResult) -> str:
    """A readable console summary of a plan."""
    s = plan_summary(result)
    gap = "unknown (a level has no proven bound)" if s["gap"] is None else f"{s['gap']:.2%}"
    lines = [f"plan for {s['scenario']}: {s['status']}"
             + ("" if s["proven_optimal"] else " (NOT proven optimal)"),
             f"solver {s['solver']}: build {s['build_seconds']:.2f}s, solve {s['solve_seconds']:.2f}s, gap {gap}",
             f"model: {s['model_size']['variables']:,} variables "
             f"({s['model_size']['integer_variables']:,} integer), {s['model_size']['constraints']:,} constraints"]
    records = {rec["level"]: rec for rec in s.get("levels", [])}
    for level, value in s["objective_by_level"].items():
        lines.append(f"  objective {level}: {value:,.4f}{level_proof(records.get(level))}")
    if "goals" in s:
        g, t = s["goals"], s["totals"]
        lines.append(f"targets missed (target x period cells): {g['targets_missed']}, "
                     f"total shortfall {g['target_shortfall_total']:,.2f}")
        lines.append(f"unmet appointments over the horizon: {g['unmet_appointments']:,.0f}")
        lines.append(f"starters {t['starters']:,.1f}, leavers {t['leavers']:,.1f}, released {t['released']:,.1f}")
        lines.append(f"employment cost GBP {t['employment_cost']:,.0f}, ARRS claims GBP {t['arrs_claims']:,.0f}, "
                     f"budget overrun GBP {t['budget_overrun']:,.0f}")
        missed = result.tables.goals
        missed = missed[(missed["goal"] == "target") & (missed["shortfall"] > 0)]
        if len(missed):
            worst = missed.groupby(["id", "area"], sort=False)["shortfall"].max().sort_values(ascending=False)
            lines.append("largest target shortfalls:")
            for (goal, area), value in worst.head(8).items():
                lines.append(f"  {goal} in {area}: short by {value:,.2f}")
    for note in s["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)
