"""``wfplan validate``, ``template``, ``convert``, ``synth`` and ``examples``: scenarios in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wfplan.cli.app import user_errors
from wfplan.cli.output_check import check_out
from wfplan.cli.params import scenario_arg, xlsx_path
from wfplan.errors import EXIT_USER_ERROR, ScenarioError
from wfplan.files import run_inputs


@click.command()
@scenario_arg
@user_errors
def validate(scenario: Path) -> None:
    """Check SCENARIO and report every problem with file, row and column."""
    from wfplan.results.report_text import describe_scenario
    from wfplan.scenario.load import load_scenario

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        click.echo(f"error: {exc.report(limit=None)}", err=True)  # every problem, not the first 25
        sys.exit(EXIT_USER_ERROR)
    click.echo(describe_scenario(loaded))
    click.echo("valid")


@click.command()
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), required=True, callback=xlsx_path,
              help="Blank scenario workbook to write.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@user_errors
def template(xlsx: Path, force: bool) -> None:
    """Write a blank scenario workbook: a sheet per table, drop-down lists, instructions."""
    from wfplan.files.output import atomic_file
    from wfplan.scenario.excel_io import write_template

    check_out(xlsx, "file", force)
    with atomic_file(xlsx, force=force) as staging:
        write_template(staging)
    click.echo(f"wrote {xlsx}")


@click.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing output.")
@user_errors
def convert(src: Path, dst: Path, force: bool) -> None:
    """Convert scenario SRC to DST: a workbook if DST ends in .xlsx, else a directory of CSVs.

    Base scenarios (extends) are merged into the output.
    """
    from wfplan.files.output import atomic_directory, atomic_file
    from wfplan.scenario.excel_io import write_workbook
    from wfplan.scenario.load import load_scenario
    from wfplan.scenario.snapshot import write_scenario

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


@click.command()
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
    from wfplan.scenario.synth import synth_scenario, write_synthetic

    if pcns < systems:
        raise click.BadParameter("need at least one PCN per system", param_hint="--pcns")
    check_out(out_dir, "directory", force)
    scenario = synth_scenario(pcns, systems, seed)
    write_synthetic(scenario, out_dir, force=force)
    click.echo(f"wrote {out_dir}: {pcns} PCNs, {len(scenario.rows['places'])} places, {systems} systems")


@click.command()
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
    from wfplan.files.output import atomic_directory

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
