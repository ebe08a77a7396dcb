"""The work behind ``wfplan diagnose``, ``explain``, ``compare`` and ``sensitivity``.

The click commands in :mod:`wfplan.cli` parse options and call these; each
takes an ``echo`` callable for console lines and returns the process exit code.
Outputs are written atomically: into a new directory, or, when ``--out`` names
an existing directory (a plan directory, say), as files inside it (replacing
a file of the same name only with ``force``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from wfplan.errors import OutputExistsError, Problem, ScenarioError
from wfplan.output import atomic_directory, write_csv

Echo = Callable[[str], None]


def load(path: Path):
    """A scenario with its manifest's overrides applied."""
    from wfplan.load import load_scenario
    from wfplan.overrides import apply_overrides

    return apply_overrides(load_scenario(path))


@contextmanager
def _output_files(out_dir: Path, names: list[str], force: bool):
    """Yield a directory to write ``names`` into: staging for a new directory, or the existing one."""
    out_dir = Path(out_dir)
    if out_dir.is_dir():
        clash = [n for n in names if (out_dir / n).exists()]
        if clash and not force:
            raise OutputExistsError(f"{out_dir / clash[0]} already exists: use --force to replace it")
        staging = Path(tempfile.mkdtemp(prefix=".explain.", suffix=".tmp", dir=out_dir))
        try:
            yield staging
            for n in names:
                if (staging / n).exists():
                    os.replace(staging / n, out_dir / n)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    else:
        with atomic_directory(out_dir, force=force) as staging:
            yield staging


def run_diagnose(scenario_path: Path, *, solver: str, out_dir: Path | None, force: bool, relax: bool,
                 time_limit: float | None, echo: Echo) -> int:
    from wfplan.explain.diagnose import diagnose

    scenario = load(scenario_path)
    diag = diagnose(scenario, solver, integer=False if relax else None, time_limit=time_limit)
    for line in diag.text_lines():
        echo(line)
    if out_dir is not None:
        with _output_files(out_dir, ["diagnosis.csv"], force) as staging:
            diag.write(staging / "diagnosis.csv")
        echo(f"wrote {Path(out_dir) / 'diagnosis.csv'}")
    return 0


def run_explain(path: Path, *, out_dir: Path | None, force: bool, fixed: bool, time_limit: float | None,
                echo: Echo, verbose: bool = False) -> int:
    """Explain a plan directory or a scenario.  ``binding.csv`` goes to ``out_dir``; without it, a plan
    directory's own (replacing an earlier explanation of the same plan), a scenario's nowhere."""
    from wfplan.explain.compare import is_plan_dir
    from wfplan.explain.marginal import explain_scenario

    path = Path(path)
    if out_dir is None and is_plan_dir(path):
        out_dir, force = path, True
    if is_plan_dir(path):
        from wfplan.load import load_scenario

        scenario = load_scenario(path / "scenario")
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        integer = bool(summary.get("integer", scenario.manifest.model.integer))
        if fixed and integer:
            if not (path / "plan.csv").is_file():
                raise ScenarioError(Problem(str(path), "has no plan.csv (the plan was not solved): nothing to fix"))
            result = _explain(lambda: explain_scenario(scenario, "fixed", plan=pd.read_csv(path / "plan.csv"),
                                                       time_limit=time_limit), path)
        else:
            result = _explain(lambda: explain_scenario(scenario, time_limit=time_limit), path)
    else:
        scenario = load(path)
        if fixed and scenario.manifest.model.integer:
            from wfplan.planner import run_plan

            echo("planning in whole people to fix its decisions ...")
            planned = run_plan(scenario, time_limit=time_limit)
            if planned.solution.x is None:
                raise ScenarioError(Problem(str(path), f"the plan is {planned.solution.status.value}: "
                                                       "run `wfplan diagnose` to see why"))
            result = _explain(lambda: explain_scenario(scenario, "fixed", x_plan=planned.solution.x,
                                                       time_limit=time_limit), path)
        else:
            result = _explain(lambda: explain_scenario(scenario, time_limit=time_limit), path)
    if out_dir is not None:
        with _output_files(out_dir, ["binding.csv"], force) as staging:
            write_csv(result.frame(), staging / "binding.csv")
    written = str(Path(out_dir) / "binding.csv") if out_dir is not None else None
    for line in result.text_lines(written_to=written, verbose=verbose):
        echo(line)
    if written:
        echo(f"wrote {written}")
    return 0


def _explain(make, path: Path):
    try:
        return make()
    except RuntimeError as exc:
        raise ScenarioError(Problem(str(path), f"cannot compute marginal values: {exc} (if the plan is infeasible,"
                                               " run `wfplan diagnose`)")) from None


def run_compare(paths: list[Path], *, out_dir: Path, force: bool, relax: bool, solver: str,
                time_limit: float | None, gap: float, echo: Echo) -> int:
    from wfplan.explain.compare import compare

    if len(paths) < 2:
        raise ScenarioError(Problem("compare", "give a base and at least one other scenario or plan directory"))
    with atomic_directory(out_dir, force=force) as staging:
        comparison = compare(list(paths), staging, solver=solver, integer=False if relax else None,
                             time_limit=time_limit, gap=gap, echo=echo)
        comparison.write(staging)
    for line in comparison.text_lines():
        echo(line)
    echo(f"wrote {out_dir}")
    return 0


def run_sensitivity_command(scenario_path: Path, *, vary: str, value_range: str, out_dir: Path | None,
                            force: bool, relax: bool, solver: str, time_limit: float | None, gap: float,
                            echo: Echo) -> int:
    from wfplan.explain.sensitivity import overrides_for, parse_range, run_sensitivity

    values = parse_range(value_range)
    scenario = load(scenario_path)
    overrides_for(scenario, vary, 1.0)  # check the parameter before planning anything
    result = run_sensitivity(scenario, vary, values, solver=solver, integer=False if relax else None,
                             time_limit=time_limit, gap=gap, echo=echo)
    for line in result.text_lines():
        echo(line)
    if out_dir is not None:
        with _output_files(out_dir, ["sensitivity.csv"], force) as staging:
            write_csv(result.table, staging / "sensitivity.csv")
        echo(f"wrote {Path(out_dir) / 'sensitivity.csv'}")
    return 0
