"""``wfplan trajectory``, ``export checkpoint``, ``report`` and ``pack``: what people read from a plan."""

from __future__ import annotations

from pathlib import Path

import click

from wfplan.cli.app import user_errors
from wfplan.cli.output_check import check_out
from wfplan.cli.params import scenario_arg, xlsx_path, year_label
from wfplan.errors import Problem, ScenarioError


@click.command()
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
    from wfplan.files.output import atomic_directory, write_csv
    from wfplan.results import trajectory as traj
    from wfplan.results.plan_tables import load_scenario_or_plan
    from wfplan.results.report_text import rolling_table

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


@click.group()
def export() -> None:
    """Export scenarios and plans for other tools (the NHS England checkpoint workbook)."""


@export.command("checkpoint")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True, callback=xlsx_path,
              help="Workbook to write (.xlsx, atomically; see --force).")
@click.option("--level", type=click.Choice(["system", "place", "pcn"]), default="system", show_default=True,
              help="One sheet per area at this level (flows known only at coarser levels get their own sheet).")
@click.option("--year", callback=year_label, help="Financial year, e.g. 2019/20 (default: the first year with "
              "quarterly flows).")
@click.option("--force", is_flag=True, help="Replace an existing workbook.")
@user_errors
def export_checkpoint(source: Path, out_file: Path, level: str, year: str | None, force: bool) -> None:
    """Write the NHS England GPFV workforce trajectory template for SOURCE.

    SOURCE is a scenario directory, a scenario workbook or a plan directory
    (its planned flows, plus one ARRS sheet per year). Calculated fields are
    live Excel formulas.
    """
    from wfplan.results.checkpoint import export_checkpoint as run_export

    check_out(out_file, "file", force, source)
    result = run_export(source, out_file, level=level, year=year, force=force)
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {out_file} ({result.year}; sheets: {', '.join(result.sheets)})")


@click.command()
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True,
              help="HTML file to write (self-contained; atomically).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.option("--verbose", is_flag=True, help="Also show the solver's levels, bounds and gaps.")
@user_errors
def report(plan_dir: Path, out_file: Path, force: bool, verbose: bool) -> None:
    """Write a readable, printable HTML report of the plan in PLAN_DIR."""
    from wfplan.results.report import write_report

    check_out(out_file, "file", force, plan_dir)
    write_report(plan_dir, out_file, force=force, verbose=verbose)
    click.echo(f"wrote {out_file}")


@click.command()
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
    from wfplan.results.pack import write_pack

    if out_file is None:
        out_file = plan_dir / (f"pack-{pcns[0]}.html" if len(pcns) == 1 else "pack.html")
        force = True  # the plan directory's own pack, made again from the same plan
    check_out(out_file, "file", force, plan_dir, *what_ifs)
    write_pack(plan_dir, out_file, list(pcns) or None, list(what_ifs), force=force, verbose=verbose)
    click.echo(f"wrote {out_file}")
