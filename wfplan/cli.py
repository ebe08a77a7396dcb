"""The wfplan command line: every command is defined here.

Data flows one way: load -> validate -> build -> solve -> explain -> export.
User errors (bad scenario, existing output, missing solver) print a located
message and exit with code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from wfplan.errors import (
    EXIT_USER_ERROR,
    OutputExistsError,
    ScenarioError,
    SolverUnavailableError,
)

USER_ERRORS = (ScenarioError, OutputExistsError, SolverUnavailableError)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn user errors into a message and exit code 2 (traceback only with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted: no output was changed", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(package_name="wfplan")
def main(debug: bool) -> None:
    """wfplan: workforce planning optimisation for NHS primary care.

    A scenario is a directory with scenario.toml and CSV tables (or an .xlsx
    workbook). Start with `wfplan validate`, then `wfplan plan`.
    """
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so half-written outputs are removed."""
    raise KeyboardInterrupt


scenario_arg = click.argument("scenario", type=click.Path(path_type=Path))


@main.command()
@scenario_arg
@user_errors
def validate(scenario: Path) -> None:
    """Check SCENARIO and report every problem with file, row and column."""
    from wfplan.load import load_scenario
    from wfplan.report_text import describe_scenario

    loaded = load_scenario(scenario)
    click.echo(describe_scenario(loaded))
    click.echo("valid")


@main.command()
@scenario_arg
@click.option("--level", type=click.Choice(["system", "place", "pcn"]), default="system",
              show_default=True, help="Area level to report at (finer flows roll up).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Directory to write trajectory CSVs into (atomically).")
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@user_errors
def trajectory(scenario: Path, level: str, out_dir: Path | None, force: bool) -> None:
    """Compute the GPFV checkpoint trajectory (flows, FTE, rolling totals).

    SCENARIO is a scenario directory, a workbook, or a plan directory written
    by `wfplan plan` (its planned flows are used).
    """
    from wfplan import trajectory as traj
    from wfplan.output import atomic_directory, write_csv
    from wfplan.plan_io import load_scenario_or_plan
    from wfplan.report_text import rolling_table

    loaded, flows, historic = load_scenario_or_plan(scenario)
    result = traj.compute(loaded, level=level, flows=flows, historic=historic)
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(rolling_table(result))
    if out_dir is not None:
        with atomic_directory(out_dir, force=force) as staging:
            write_csv(result.flows, staging / "flows.csv")
            write_csv(result.rolling, staging / "rolling_totals.csv")
            for year in sorted(set(result.rolling.get("year", []))):
                for direction in ("inflow", "outflow"):
                    block = traj.year_block(result, year, direction)
                    write_csv(block, staging / f"{direction}s_{year.replace('/', '-')}.csv")
        click.echo(f"wrote {out_dir}")


@main.command()
@scenario_arg
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Plan directory to write (atomically; see --force).")
@click.option("--solver", type=click.Choice(["highs", "cbc", "cpsat", "scip"]), default="highs",
              show_default=True, help="Solver backend.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Seconds for the whole solve; the best plan found is returned, labelled if not optimal.")
@click.option("--gap", type=click.FloatRange(min=0.0, max=1.0), default=1e-4, show_default=True,
              help="Relative MIP gap at which a level counts as solved.")
@click.option("--lp", "relax", is_flag=True, help="Solve the LP relaxation (fractional people).")
@click.option("--force", is_flag=True, help="Replace an existing plan directory.")
@click.option("--deterministic", is_flag=True,
              help="Byte-identical outputs: timings go to timings.json, not summary.json; no time limit.")
@user_errors
def plan(scenario: Path, out_dir: Path, solver: str, time_limit: float | None, gap: float,
         relax: bool, force: bool, deterministic: bool) -> None:
    """Optimise recruitment for every PCN, role and period of SCENARIO's horizon.

    Writes the plan (plan.csv), ARRS use (arrs.csv), goal attainment
    (goals.csv), budgets (budgets.csv), checkpoint flows and summary.json.
    """
    from wfplan.load import load_scenario
    from wfplan.planner import run_plan, summary_text, write_plan

    if deterministic and time_limit is not None:
        raise click.UsageError("--deterministic cannot be combined with --time-limit (a time limit depends on speed)")
    loaded = load_scenario(scenario)
    result = run_plan(loaded, solver=solver, time_limit=time_limit, gap=gap,
                      integer=False if relax else None)
    write_plan(result, out_dir, force=force, deterministic=deterministic)
    click.echo(summary_text(result))
    click.echo(f"wrote {out_dir}")
    if not result.solution.status.has_solution:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
