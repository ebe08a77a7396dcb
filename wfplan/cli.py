"""The wfplan command line: every command is defined here.

Data flows one way: load -> validate -> build -> solve -> explain -> export.
User errors (bad scenario, an output that cannot be written, missing solver)
print a located message and exit with code 2; ``--debug`` shows the
traceback instead.  Messages are cut and their control characters escaped
(:mod:`wfplan.message_text`); scenario warnings print as ``warning: ...``.

Every command that writes checks its output path before any work
(:func:`check_out`): never an input of the run, never ``.``, a parent that
is a file or a name too long; the check is repeated when the output is put
in place, once every input (bases through ``extends``) is known.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from solvers import SOLVERS
from solvers.base import DEFAULT_GAP
from wfplan import output, run_inputs
from wfplan.errors import (
    EXIT_USER_ERROR,
    OutputError,
    Problem,
    ScenarioError,
    ScenarioWarning,
    SolverUnavailableError,
)
from wfplan.limits import ENVIRONMENT_VARIABLE, set_max_input_mb
from wfplan.message_text import terminal_safe
from wfplan.output_paths import check_output_path
from wfplan.workers import ONE_BLAS_THREAD

# numpy is not loaded yet: give it one BLAS thread, so that no idle BLAS thread
# spins on the core a solver thread needs (see wfplan.workers); a value the user
# set is kept
for _name, _value in ONE_BLAS_THREAD.items():
    os.environ.setdefault(_name, _value)

USER_ERRORS = (ScenarioError, OutputError, SolverUnavailableError)


def _error(text: str) -> None:
    click.echo(terminal_safe(f"error: {text}"), err=True)


def _interrupted_message() -> str:
    """What an interrupted run changed: truly nothing, or the outputs it had already put in place."""
    done = output.committed()
    if not done:
        return "interrupted: no output was changed"
    return "interrupted after writing " + ", ".join(str(p) for p in done)


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
            _error(str(exc))
            sys.exit(EXIT_USER_ERROR)
        except OSError as exc:  # a file system refusing (disk full, permissions): say where, no traceback
            if debug:
                raise
            where = exc.filename if exc.filename is not None else "a file"
            _error(f"{where}: {exc.strerror or exc}")
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo(terminal_safe(_interrupted_message()), err=True)
            sys.exit(130)

    return wrapper


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    """Scenario warnings as one readable line on stderr (other warnings as Python shows them)."""
    if issubclass(category, ScenarioWarning):
        click.echo(terminal_safe(f"warning: {message}"), err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.option("--max-input-mb", type=click.FloatRange(min=0, min_open=True), envvar=ENVIRONMENT_VARIABLE,
              default=None, show_envvar=True,
              help="Largest input file read, in MiB (default 64): raise it for a genuinely larger scenario.")
@click.version_option(package_name="wfplan")
def main(debug: bool, max_input_mb: float | None) -> None:
    """wfplan: workforce planning optimisation for NHS primary care.

    A scenario is a directory with scenario.toml and CSV tables (or an .xlsx
    workbook). Start with `wfplan validate`, then `wfplan plan`.
    """
    signal.signal(signal.SIGTERM, _terminate)
    set_max_input_mb(max_input_mb)
    run_inputs.clear()
    output.reset_committed()
    warnings.simplefilter("always", ScenarioWarning)
    warnings.showwarning = _show_warning


def note_inputs(*paths: Path) -> None:
    """Record the inputs named on the command line, so an output can be checked before any work.

    A plan directory's inputs are its files and its ``scenario/`` (not the
    directory itself: ``explain PLAN --out PLAN`` adds binding.csv to it).
    """
    from wfplan.load import MANIFEST_NAMES
    from wfplan.plan_reader import is_plan_dir, plan_files

    for path in paths:
        if is_plan_dir(path):
            run_inputs.record(path / "scenario", "scenario directory")
            for file in plan_files(path):
                run_inputs.record(file)
        elif path.is_dir():
            if any(os.path.lexists(path / name) for name in MANIFEST_NAMES):
                run_inputs.record(path, "scenario directory")  # otherwise the command says what it is not
        elif path.is_file():
            run_inputs.record(path, "file")


def check_out(out: Path | None, kind: str, force: bool, *inputs: Path, into_existing: list[str] | None = None,
              ) -> None:
    """Refuse a bad output path before any work (see :mod:`wfplan.output_paths`).

    ``into_existing``: the command writes these files into ``out`` when it is
    an existing directory (explain, diagnose, sensitivity), so those are checked.
    """
    if out is None:
        return
    note_inputs(*inputs)
    if into_existing and out.is_dir():
        for name in into_existing:
            check_output_path(out / name, "file", force)
    else:
        check_output_path(out, kind, force)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so half-written outputs are removed."""
    raise KeyboardInterrupt


@contextlib.contextmanager
def interruptible_solve() -> Iterator[None]:
    """While a solver runs in C code, Python signal handlers cannot run, so Ctrl-C
    and SIGTERM would wait for the solve to end.  Nothing is written during a
    solve, so the default action (end the process at once) is safe then."""
    previous = {sig: signal.signal(sig, signal.SIG_DFL) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


scenario_arg = click.argument("scenario", type=click.Path(path_type=Path))


@main.command()
@scenario_arg
@user_errors
def validate(scenario: Path) -> None:
    """Check SCENARIO and report every problem with file, row and column."""
    from wfplan.load import load_scenario
    from wfplan.report_text import describe_scenario

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        click.echo(f"error: {exc.report(limit=None)}", err=True)  # every problem, not the first 25
        sys.exit(EXIT_USER_ERROR)
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

    check_out(out_dir, "directory", force, scenario)
    loaded, flows, historic = load_scenario_or_plan(scenario)
    if loaded.horizon is not None and loaded.horizon.step != "quarter" and flows is not None:
        raise ScenarioError(Problem(str(scenario), "the checkpoint trajectory is quarterly; this plan is in years"))
    plan_years = None
    if flows is not None and loaded.horizon is not None:  # a plan: every year of its horizon, flows or not
        plan_years = list(dict.fromkeys(loaded.horizon.year_of(p) for p in loaded.horizon.periods))
    result = traj.compute(loaded, level=level, flows=flows, historic=historic, years=plan_years)
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
@click.option("--solver", type=click.Choice(list(SOLVERS)), default="highs",
              show_default=True, help="Solver backend.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Seconds for the whole solve; the best plan found is returned, labelled if not optimal.")
@click.option("--gap", type=click.FloatRange(min=0.0, max=1.0), default=DEFAULT_GAP, show_default=True,
              help="Relative MIP gap at which a level counts as solved.")
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
    from wfplan.load import load_scenario
    from wfplan.pipeline import run_plan
    from wfplan.planner import summary_text, write_plan

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


def _xlsx_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Excel refuses to open a workbook whose name does not end in .xlsx."""
    if value is not None and value.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"{value}: the workbook name must end in .xlsx")
    return value


def _year_label(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from wfplan.periods import FinancialYear, PeriodError

    if value is None:
        return None
    try:
        return FinancialYear.parse(value).label
    except PeriodError as exc:
        raise click.BadParameter(str(exc)) from None


@main.group()
def export() -> None:
    """Export scenarios and plans for other tools (the NHS England checkpoint workbook)."""


@export.command("checkpoint")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True, callback=_xlsx_path,
              help="Workbook to write (.xlsx, atomically; see --force).")
@click.option("--level", type=click.Choice(["system", "place", "pcn"]), default="system", show_default=True,
              help="One sheet per area at this level (flows known only at coarser levels get their own sheet).")
@click.option("--year", callback=_year_label, help="Financial year, e.g. 2019/20 (default: the first year with "
              "quarterly flows).")
@click.option("--force", is_flag=True, help="Replace an existing workbook.")
@user_errors
def export_checkpoint(source: Path, out_file: Path, level: str, year: str | None, force: bool) -> None:
    """Write the NHS England GPFV workforce trajectory template for SOURCE.

    SOURCE is a scenario directory, a scenario workbook or a plan directory
    (its planned flows, plus one ARRS sheet per year). Calculated fields are
    live Excel formulas.
    """
    from wfplan.checkpoint import export_checkpoint as run_export

    check_out(out_file, "file", force, source)
    result = run_export(source, out_file, level=level, year=year, force=force)
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {out_file} ({result.year}; sheets: {', '.join(result.sheets)})")


@main.command()
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), required=True, callback=_xlsx_path,
              help="Blank scenario workbook to write.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@user_errors
def template(xlsx: Path, force: bool) -> None:
    """Write a blank scenario workbook: a sheet per table, drop-down lists, instructions."""
    from wfplan.excel_io import write_template
    from wfplan.output import atomic_file

    check_out(xlsx, "file", force)
    with atomic_file(xlsx, force=force) as staging:
        write_template(staging)
    click.echo(f"wrote {xlsx}")


@main.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing output.")
@user_errors
def convert(src: Path, dst: Path, force: bool) -> None:
    """Convert scenario SRC to DST: a workbook if DST ends in .xlsx, else a directory of CSVs.

    Base scenarios (extends) are merged into the output.
    """
    from wfplan.excel_io import write_workbook
    from wfplan.load import load_scenario
    from wfplan.output import atomic_directory, atomic_file
    from wfplan.snapshot import write_scenario

    kind = "file" if dst.suffix.lower() == ".xlsx" else "directory"
    check_out(dst, kind, force, src)
    loaded = load_scenario(src)
    check_out(dst, kind, force)  # again: the bases it extends are known now
    if dst.suffix.lower() == ".xlsx":
        with atomic_file(dst, force=force) as staging:
            write_workbook(loaded, staging)
    else:
        with atomic_directory(dst, force=force) as staging:
            write_scenario(loaded, staging)
    click.echo(f"wrote {dst}")


@main.command()
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True,
              help="HTML file to write (self-contained; atomically).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.option("--verbose", is_flag=True, help="Also show the solver's levels, bounds and gaps.")
@user_errors
def report(plan_dir: Path, out_file: Path, force: bool, verbose: bool) -> None:
    """Write a readable, printable HTML report of the plan in PLAN_DIR."""
    from wfplan.report import write_report

    check_out(out_file, "file", force, plan_dir)
    write_report(plan_dir, out_file, force=force, verbose=verbose)
    click.echo(f"wrote {out_file}")


@main.command()
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.option("--pcn", "pcns", multiple=True, help="PCN id (repeatable); default: every PCN, one page each.")
@click.option("--out", "out_file", type=click.Path(path_type=Path),
              help="HTML file to write (self-contained; atomically). Default: pack.html (or pack-ID.html for "
              "one PCN) in the plan directory, replacing an earlier pack there.")
@click.option("--what-if", "what_ifs", multiple=True, type=click.Path(path_type=Path),
              help="A plan directory of a what-if scenario (repeatable): each page shows what changes under it.")
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--verbose", is_flag=True, help="Also show the solver's status and gap.")
@user_errors
def pack(plan_dir: Path, pcns: tuple[str, ...], out_file: Path | None, what_ifs: tuple[Path, ...], force: bool,
         verbose: bool) -> None:
    """Write the PCN planning pack for the plan in PLAN_DIR: one printable A4-landscape page per PCN
    (ARRS money, whom to recruit and when, staff in post, targets met or missed and why, appointments,
    what-ifs, a chart with the target lines)."""
    from wfplan.pack import write_pack

    if out_file is None:
        out_file = plan_dir / (f"pack-{pcns[0]}.html" if len(pcns) == 1 else "pack.html")
        force = True  # the plan directory's own pack, made again from the same plan
    check_out(out_file, "file", force, plan_dir, *what_ifs)
    write_pack(plan_dir, out_file, list(pcns) or None, list(what_ifs), force=force, verbose=verbose)
    click.echo(f"wrote {out_file}")


_SOLVERS = ["highs", "cbc", "cpsat", "scip"]


@main.command()
@scenario_arg
@click.option("--solver", type=click.Choice(_SOLVERS), default="highs", show_default=True,
              help="Solver backend for the elastic (relaxed) program.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Directory for diagnosis.csv (a new directory, or an existing one such as the plan's).")
@click.option("--lp", "relax", is_flag=True, help="Diagnose the LP version (fractional people).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, help="Seconds per solve.")
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


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Directory for binding.csv (a new directory, or an existing one). Default for a plan "
              "directory: the plan directory itself (its binding.csv is replaced); for a scenario: none.")
@click.option("--fixed", is_flag=True, help="Integer plans: fix the plan's whole-people decisions "
              "(default: the LP relaxation).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, help="Seconds per solve.")
@click.option("--force", is_flag=True, help="Replace an existing binding.csv / output directory.")
@click.option("--verbose", is_flag=True, help="Also show each value's solve level and unit.")
@user_errors
def explain(source: Path, out_dir: Path | None, fixed: bool, time_limit: float | None, force: bool,
            verbose: bool) -> None:
    """What binds in SOURCE (a plan directory or a scenario) and what it is worth:
    supply, ARRS entitlement, budgets and caps at their limits, with local marginal values.

    For a plan directory, binding.csv is written into it (for `wfplan report` and `wfplan pack`)."""
    from wfplan.explain.commands import run_explain
    from wfplan.plan_reader import is_plan_dir

    if out_dir is None and is_plan_dir(source):
        check_out(source, "directory", True, source, into_existing=["binding.csv"])  # its own binding.csv
    else:
        check_out(out_dir, "directory", force, source, into_existing=["binding.csv"])
    sys.exit(run_explain(source, out_dir=out_dir, force=force, fixed=fixed, time_limit=time_limit,
                         echo=click.echo, verbose=verbose))


@main.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("others", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Directory to write the comparison (and plans made for it) into.")
@click.option("--lp", "relax", is_flag=True, help="Plan scenarios as LPs (fractional people).")
@click.option("--solver", type=click.Choice(_SOLVERS), default="highs", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, help="Seconds per plan.")
@click.option("--gap", type=click.FloatRange(min=0.0, max=1.0), default=DEFAULT_GAP, show_default=True)
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


@main.command()
@scenario_arg
@click.option("--vary", required=True, help="supply, attrition, entitlement, budget, demand, cap, cost or "
              "target; NAME:SELECTOR for one role/budget/target, e.g. supply:first_contact_physiotherapist.")
@click.option("--range", "value_range", required=True, help="Scale factors a:b:step, e.g. 0.8:1.2:0.1.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Directory for sensitivity.csv.")
@click.option("--lp", "relax", is_flag=True, help="Plan as LPs (fractional people).")
@click.option("--solver", type=click.Choice(_SOLVERS), default="highs", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, help="Seconds per plan.")
@click.option("--gap", type=click.FloatRange(min=0.0, max=1.0), default=DEFAULT_GAP, show_default=True)
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


@main.command()
@click.option("--pcns", type=click.IntRange(min=1), required=True, help="Number of PCNs.")
@click.option("--systems", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of systems (a naming prefix of places: a scenario has one system).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Scenario directory to write (atomically).")
@click.option("--force", is_flag=True, help="Replace an existing directory.")
@user_errors
def synth(pcns: int, systems: int, seed: int, out_dir: Path, force: bool) -> None:
    """Write a synthetic England-size scenario (all ARRS roles, 2020/21 to 2024/25, no real data)."""
    from wfplan.synth import synth_scenario, write_synthetic

    if pcns < systems:
        raise click.BadParameter("need at least one PCN per system", param_hint="--pcns")
    check_out(out_dir, "directory", force)
    scenario = synth_scenario(pcns, systems, seed)
    write_synthetic(scenario, out_dir, force=force)
    click.echo(f"wrote {out_dir}: {pcns} PCNs, {len(scenario.rows['places'])} places, {systems} systems")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Directory to copy the bundled data/ and examples/ into (a new directory; atomically).")
@click.option("--force", is_flag=True, help="Replace an existing directory.")
@user_errors
def examples(out_dir: Path | None, force: bool) -> None:
    """List the scenarios that ship with wfplan, or copy them (--out DIR) to plan and edit.

    The copy keeps data/ and examples/ side by side, so the examples' `extends`
    still find the data: `wfplan plan DIR/examples/norfolk_waveney --out ...`.
    """
    from wfplan.bundled import NAMES, bundled_root, bundled_scenarios, copy_bundled
    from wfplan.output import atomic_directory

    if out_dir is not None:
        for name in NAMES:  # a copy may not go into (or replace) what it copies
            run_inputs.record(bundled_root() / name, "bundled directory")
        check_out(out_dir, "directory", force)
    for relative, title in bundled_scenarios():
        click.echo(f"{relative:32} {title}")
    if out_dir is None:
        click.echo(f"(in {bundled_root()}; copy them with --out DIR)")
        return
    with atomic_directory(out_dir, force=force) as staging:
        copy_bundled(staging)
    click.echo(f"wrote {out_dir}: plan one with `wfplan plan {out_dir / 'examples' / 'norfolk_waveney'} --out DIR`")


@main.command()
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
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, help="Seconds per sample.")
@click.option("--gap", type=click.FloatRange(min=0.0, max=1.0), default=DEFAULT_GAP, show_default=True)
@click.option("--solver", type=click.Choice(list(SOLVERS)), default="highs", show_default=True)
@click.option("--claims", is_flag=True, help="Also solve the ARRS claims level (slow; not needed for the figures).")
@user_errors
def sweep(scenario: Path, samples: int, vary: tuple[str, ...], grid: tuple[str, ...], seed: int, workers: int,
          scheduler: str | None, out_dir: Path, force: bool, relax: bool, time_limit: float | None, gap: float,
          solver: str, claims: bool) -> None:
    """Plan many variants of SCENARIO and report P10/P50/P90 of staff, shortfall, unmet demand and spend."""
    from wfplan.load import load_scenario
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


if __name__ == "__main__":  # pragma: no cover
    main()
