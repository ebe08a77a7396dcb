"""``wfplan diagnose``, ``explain``, ``compare`` and ``sensitivity``: why a plan is as it is.

These parse options, check the output path and call :mod:`wfplan.explain.commands`,
which does the work and returns the exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wfplan.cli.app import user_errors
from wfplan.cli.output_check import check_out
from wfplan.cli.params import gap_option, scenario_arg, solver_option, time_limit_option


@click.command()
@scenario_arg
@solver_option(help="Solver backend for the elastic (relaxed) program.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Directory for diagnosis.csv (a new directory, or an existing one such as the plan's).")
@click.option("--lp", "relax", is_flag=True, help="Diagnose the LP version (fractional people).")
@time_limit_option(help="Seconds per solve.")
@click.option("--force", is_flag=True, help="Replace an existing diagnosis.csv / output directory.")
@user_errors
def diagnose(scenario: Path, solver: str, out_dir: Path | None, relax: bool, time_limit: float | None,
             force: bool) -> None:
    """Say what cannot be met in SCENARIO and why: the smallest relaxation of
    conflicting hard rules, or the rules that stop each missed goal."""
    from wfplan.explain.commands import run_diagnose

    check_out(out_dir, "directory", force, scenario, into_existing=["diagnosis.csv"])
    sys.exit(run_diagnose(scenario, solver=solver, out_dir=out_dir, force=force, relax=relax,
                          time_limit=time_limit, echo=click.echo))


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Directory for binding.csv (a new directory, or an existing one). Default for a plan "
              "directory: the plan directory itself (its binding.csv is replaced); for a scenario: none.")
@click.option("--fixed", is_flag=True, help="Integer plans: fix the plan's whole-people decisions "
              "(default: the LP relaxation).")
@time_limit_option(help="Seconds per solve.")
@click.option("--force", is_flag=True, help="Replace an existing binding.csv / output directory.")
@click.option("--verbose", is_flag=True, help="Also show each value's solve level and unit.")
@user_errors
def explain(source: Path, out_dir: Path | None, fixed: bool, time_limit: float | None, force: bool,
            verbose: bool) -> None:
    """What binds in SOURCE (a plan directory or a scenario) and what it is worth:
    supply, ARRS entitlement, budgets and caps at their limits, with local marginal values.

    For a plan directory, binding.csv is written into it (for `wfplan report` and `wfplan pack`)."""
    from wfplan.explain.commands import run_explain
    from wfplan.results.plan_reader import is_plan_dir

    if out_dir is None and is_plan_dir(source):
        check_out(source, "directory", True, source, into_existing=["binding.csv"])  # its own binding.csv
    else:
        check_out(out_dir, "directory", force, source, into_existing=["binding.csv"])
    sys.exit(run_explain(source, out_dir=out_dir, force=force, fixed=fixed, time_limit=time_limit,
                         echo=click.echo, verbose=verbose))


@click.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("others", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Directory to write the comparison (and plans made for it) into.")
@click.option("--lp", "relax", is_flag=True, help="Plan scenarios as LPs (fractional people).")
@solver_option()
@time_limit_option(help="Seconds per plan.")
@gap_option()
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@user_errors
def compare(base: Path, others: tuple[Path, ...], out_dir: Path, relax: bool, solver: str,
            time_limit: float | None, gap: float, force: bool) -> None:
    """Compare BASE with OTHERS (scenarios are planned; plan directories are read):
    goal attainment, cost, staff by role and quarter, and which inputs differ."""
    from wfplan.explain.commands import run_compare

    check_out(out_dir, "directory", force, base, *others)
    sys.exit(run_compare([base, *others], out_dir=out_dir, force=force, relax=relax, solver=solver,
                         time_limit=time_limit, gap=gap, echo=click.echo))


@click.command()
@scenario_arg
@click.option("--vary", required=True, help="supply, attrition, entitlement, budget, demand, cap, cost or "
              "target; NAME:SELECTOR for one role/budget/target, e.g. supply:first_contact_physiotherapist.")
@click.option("--range", "value_range", required=True, help="Scale factors a:b:step, e.g. 0.8:1.2:0.1.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Directory for sensitivity.csv.")
@click.option("--lp", "relax", is_flag=True, help="Plan as LPs (fractional people).")
@solver_option()
@time_limit_option(help="Seconds per plan.")
@gap_option()
@click.option("--force", is_flag=True, help="Replace an existing sensitivity.csv / output directory.")
@user_errors
def sensitivity(scenario: Path, vary: str, value_range: str, out_dir: Path | None, relax: bool, solver: str,
                time_limit: float | None, gap: float, force: bool) -> None:
    """Re-plan SCENARIO across a range of one parameter and tabulate shortfalls, unmet demand,
    cost, claims and staff at the horizon's end."""
    from wfplan.explain.commands import run_sensitivity_command

    check_out(out_dir, "directory", force, scenario, into_existing=["sensitivity.csv"])
    sys.exit(run_sensitivity_command(scenario, vary=vary, value_range=value_range, out_dir=out_dir, force=force,
                                     relax=relax, solver=solver, time_limit=time_limit, gap=gap,
                                     echo=click.echo))
