"""``wfplan plan`` and ``wfplan sweep``: plan a scenario once, or many variants of it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from wfplan.cli.app import interruptible_solve, user_errors
from wfplan.cli.output_check import check_out
from wfplan.cli.params import gap_option, scenario_arg, solver_option, time_limit_option


@click.command()
@scenario_arg
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Plan directory to write (atomically; see --force).")
@solver_option(help="Solver backend.")
@time_limit_option(help="Seconds for the whole solve; the best plan found is returned, labelled if not "
                   "optimal.")
@gap_option(help="Relative MIP gap at which a level counts as solved.")
@click.option("--lp", "relax", is_flag=True, help="Solve the LP relaxation (fractional people).")
@click.option("--integer", is_flag=True,
              help="Plan whole people even if the scenario's model.integer is false.")
@click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="CPUs",
              help="Processes for solving independent parts (PCN groups that share no rule) side by side.")
@click.option("--single-model", is_flag=True,
              help="Solve one program instead of its independent parts (same plan; slower when there are parts).")
@click.option("--force", is_flag=True, help="Replace an existing plan directory.")
@click.option("--deterministic", is_flag=True,
              help="Byte-identical outputs: timings go to timings.json, not summary.json; no time limit.")
@user_errors
def plan(scenario: Path, out_dir: Path, solver: str, time_limit: float | None, gap: float,
         relax: bool, integer: bool, workers: int, single_model: bool, force: bool, deterministic: bool) -> None:
    """Optimise recruitment for every PCN, role and period of SCENARIO's horizon.

    Writes the plan (plan.csv), ARRS use (arrs.csv), goal attainment
    (goals.csv), budgets (budgets.csv), checkpoint flows and summary.json.
    """
    from wfplan.pipeline import run_plan
    from wfplan.results.plan_directory import write_plan
    from wfplan.results.summary import summary_text
    from wfplan.scenario.load import load_scenario

    if deterministic and time_limit is not None:
        raise click.UsageError("--deterministic cannot be combined with --time-limit (a time limit depends on speed)")
    if relax and integer:
        raise click.UsageError("--lp (fractional people) and --integer (whole people) exclude each other")
    check_out(out_dir, "directory", force, scenario)
    loaded = load_scenario(scenario)
    check_out(out_dir, "directory", force)  # again: the bases it extends are known now
    with interruptible_solve():
        result = run_plan(loaded, solver=solver, time_limit=time_limit, gap=gap,
                          integer=False if relax else True if integer else None, workers=workers,
                          decompose=not single_model)
    write_plan(result, out_dir, force=force, deterministic=deterministic)
    click.echo(summary_text(result))
    click.echo(f"wrote {out_dir}")
    if not result.solution.status.has_solution:
        if result.solution.status.value == "infeasible":
            from wfplan.explain.diagnose import diagnose

            diagnosis = diagnose(result=result, solver=solver, time_limit=time_limit)
            click.echo("\n".join(diagnosis.text_lines()))
            diagnosis.write(out_dir / "diagnosis.csv")
        sys.exit(1)


@click.command()
@scenario_arg
@click.option("--samples", type=click.IntRange(min=1), required=True, help="Monte Carlo samples (per grid point).")
@click.option("--vary", multiple=True, help="PARAM=DIST, e.g. attrition=uniform(0.8,1.2), supply=normal(1,0.1), "
              "budget=triangular(0.9,1,1.1); PARAM is attrition, supply or budget (scale factors).")
@click.option("--grid", multiple=True, help="PARAM=a:b:step: every sample at every value, e.g. supply=0.8:1.2:0.2.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Local processes.")
@click.option("--scheduler", default=None, help="Dask distributed scheduler address (instead of local processes).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@click.option("--lp", "relax", is_flag=True, help="Solve LP relaxations (much faster).")
@time_limit_option(help="Seconds per sample.")
@gap_option()
@solver_option()
@click.option("--claims", is_flag=True, help="Also solve the ARRS claims level (slow; not needed for the figures).")
@user_errors
def sweep(scenario: Path, samples: int, vary: tuple[str, ...], grid: tuple[str, ...], seed: int, workers: int,
          scheduler: str | None, out_dir: Path, force: bool, relax: bool, time_limit: float | None, gap: float,
          solver: str, claims: bool) -> None:
    """Plan many variants of SCENARIO and report P10/P50/P90 of staff, shortfall, unmet demand and spend."""
    from wfplan.scenario.load import load_scenario
    from wfplan.sweep import SweepOptions, parse_grid, parse_vary, report_text, run_sweep, write_sweep

    try:
        [parse_vary(v) for v in vary], [parse_grid(g) for g in grid]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    check_out(out_dir, "directory", force, scenario)
    base = load_scenario(scenario)
    check_out(out_dir, "directory", force)  # again: the bases it extends are known now
    options = SweepOptions(solver=solver, integer=False if relax else None, time_limit=time_limit, gap=gap,
                           claims=claims)
    try:
        result, info = run_sweep(base, samples, vary, grid, seed, workers, scheduler, options)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    write_sweep(result, info, out_dir, force=force)
    click.echo(report_text(result, info))
    click.echo(f"wrote {out_dir}")
