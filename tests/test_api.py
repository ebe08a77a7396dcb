"""The Python API for notebooks (wfplan.load, wfplan.plan, wfplan.api.Plan) and the README's example."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT

import wfplan
from wfplan.api import NoPlanError, Plan
from wfplan.errors import ScenarioError


def _readme_python_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## From Python"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's Python example is missing"
    return match.group(1)


def test_readme_python_example_runs_and_prints_what_it_says(tmp_path):
    """The example runs as written, from the repository's top directory (it names examples/ and out/)."""
    block = _readme_python_block()
    work = tmp_path / "repo"
    work.mkdir()
    (work / "examples").symlink_to(ROOT / "examples")
    (work / "data").symlink_to(ROOT / "data")
    proc = subprocess.run([sys.executable, "-c", block], cwd=work, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = proc.stdout.splitlines()
    commented = re.findall(r"print\(.*?\)\s+# (.*)", block)
    assert printed == commented, (printed, commented)  # the comments say what is printed
    assert (work / "out" / "williams_api" / "plan.csv").is_file()


def test_plan_returns_dataframes_matching_the_plan_directory(tmp_path):
    scenario = wfplan.load(ROOT / "examples" / "williams_manpower")
    p = wfplan.plan(scenario)
    assert isinstance(p, Plan) and p.found
    for name in ("plan", "goals", "arrs", "budgets"):
        assert isinstance(getattr(p, name), pd.DataFrame)
    assert p.summary["status"] == "optimal" and p.status == "best possible plan (proven)"
    out = p.write(tmp_path / "plan")
    written = pd.read_csv(out / "plan.csv")
    assert len(written) == len(p.plan) and list(written.columns) == list(p.plan.columns)
    assert written["starters"].sum() == pytest.approx(p.plan["starters"].sum())
    assert json.loads((out / "summary.json").read_text())["status"] == "optimal"
    with pytest.raises(Exception, match="--force"):
        p.write(out)
    p.write(out, force=True)


def test_plan_accepts_a_path_and_options():
    p = wfplan.plan(ROOT / "examples" / "norfolk_waveney", integer=False)
    assert p.summary["integer"] is False
    assert "1 clinical pharmacist per PCN by March 2020: met in 17 of 17 PCNs" in p.targets["sentence"].tolist()


def test_bad_input_raises_a_located_scenario_error(tmp_path):
    (tmp_path / "scenario.toml").write_text('name = "x"\n', encoding="utf-8")
    (tmp_path / "roles.csv").write_text("role,name,staff_group\nfcp,FCP,Nowhere\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        wfplan.load(tmp_path)
    assert info.value.problems[0].file.endswith("roles.csv") and info.value.problems[0].column == "staff_group"


def test_no_plan_raises_when_tables_are_asked_for(tmp_path):
    from tests.scenarios import write_scenario

    scenario = write_scenario(tmp_path / "s", {
        "targets": ("target,role,basis,quantity,unit,by,kind,priority,penalty,hard\n"
                    "hard_fcp,fcp,per_pcn,30,headcount,2022/23 Q4,at_least,1,1,true\n")})
    p = wfplan.plan(scenario)
    assert not p.found and p.status.startswith("no plan")
    with pytest.raises(NoPlanError, match="no plan"):
        _ = p.plan


def test_importing_wfplan_is_light_and_load_stays_a_function():
    """numpy is not loaded by `import wfplan` (the CLI sets its threads first), and importing the
    scenario loader (wfplan.scenario.load) leaves the function wfplan.load in place."""
    code = ("import sys, wfplan; assert 'numpy' not in sys.modules and 'pandas' not in sys.modules; "
            "from wfplan.scenario.load import load_scenario; import wfplan.scenario.load; assert callable(wfplan.load); "
            "assert wfplan.load.__module__ == 'wfplan'; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "ok", proc.stderr
