"""The work behind ``wfplan diagnose``, ``explain``, ``compare`` and ``sensitivity``.

The click commands in :mod:`wfplan.cli` parse options and call these; each
takes an ``echo`` callable for console lines and returns the process exit code.
Outputs are written atomically: into a new directory, or, when ``--out`` names
an existing directory (a plan directory, say), as files inside it (replacing
a file of the same name only with ``force``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wfplan.errors import Problem, ScenarioError
from wfplan.files.output import atomic_directory, files_into, write_csv
from wfplan.scenario.load import load_scenario

Echo = Callable[[str], None]


def run_diagnose(scenario_path: Path, *, solver: str, out_dir: Path | None, force: bool, relax: bool,
                 time_limit: float | None, echo: Echo) -> int:
    from wfplan.explain.diagnose import diagnose

    scenario = load_scenario(scenario_path)
    diag = diagnose(scenario, solver, integer=False if relax else None, time_limit=time_limit)
    for line in diag.text_lines():
        echo(line)
    if out_dir is not None:
        with files_into(out_dir, ["diagnosis.csv"], force) as staging:
            diag.write(staging / "diagnosis.csv")
        echo(f"wrote {Path(out_dir) / 'diagnosis.csv'}")
    return 0


def run_explain(path: Path, *, out_dir: Path | None, force: bool, fixed: bool, time_limit: float | None,
                echo: Echo, verbose: bool = False) -> int:
    """Explain a plan directory or a scenario.  ``binding.csv`` goes to ``out_dir``; without it, a plan
    directory's own (replacing an earlier explanation of the same plan), a scenario's nowhere."""
    from wfplan.explain.marginal import explain_scenario
    from wfplan.results.plan_reader import is_plan_dir, read_plan_directory

    path = Path(path)
    if out_dir is None and is_plan_dir(path):
        out_dir, force = path, True
    if is_plan_dir(path):
        read = read_plan_directory(path, tables=("plan",))  # validated: damage is a located error
        scenario, summary = read.scenario, read.summary
        integer = bool(summary.get("integer", scenario.manifest.model.integer))
        if fixed and integer:
            plan = read.tables.get("plan")
            if plan is None:
                raise ScenarioError(Problem(str(path), "has no plan.csv (the plan was not solved): nothing to fix"))
            result = _explain(lambda: explain_scenario(scenario, "fixed", plan=plan, time_limit=time_limit), path)
        else:
            result = _explain(lambda: explain_scenario(scenario, time_limit=time_limit), path)
    else:
        scenario = load_scenario(path)
        if fixed and scenario.manifest.model.integer:
            from wfplan.pipeline import run_plan

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
        with files_into(out_dir, ["binding.csv"], force) as staging:
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
    scenario = load_scenario(scenario_path)
    overrides_for(scenario, vary, 1.0)  # check the parameter before planning anything
    result = run_sensitivity(scenario, vary, values, solver=solver, integer=False if relax else None,
                             time_limit=time_limit, gap=gap, echo=echo)
    for line in result.text_lines():
        echo(line)
    if out_dir is not None:
        with files_into(out_dir, ["sensitivity.csv"], force) as staging:
            write_csv(result.table, staging / "sensitivity.csv")
        echo(f"wrote {Path(out_dir) / 'sensitivity.csv'}")
    return 0
