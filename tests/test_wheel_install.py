"""After `pip install .`, every command works from any directory: the ARRS rules, the Norfolk and
Waveney data and the examples ship inside the wheel (issue 14: `synth` failed with
'site-packages/data/arrs: does not exist').

Builds the wheel, installs it into a fresh virtual environment and runs synth, examples, plan,
validate and the Python API from a temporary directory outside the repository (about a minute,
most of it installing the dependencies).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], cwd: Path, timeout: float = 600) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.mark.slow
def test_installed_wheel_runs_synth_examples_and_plan_outside_the_repository(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], cwd=tmp_path)
    (wheel,) = wheels.glob("wfplan-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for bundled in ("wfplan/_bundled/data/arrs/arrs_roles.csv", "wfplan/_bundled/data/norfolk_waveney/pcns.csv",
                    "wfplan/_bundled/examples/norfolk_waveney/scenario.toml",
                    "wfplan/_bundled/examples/williams_manpower/roles.csv"):
        assert bundled in names, bundled
    assert not any(n.startswith(("data/", "examples/")) for n in names)  # nothing at site-packages' top level

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python, wfplan = venv / "bin" / "python", venv / "bin" / "wfplan"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path, timeout=900)

    work = tmp_path / "elsewhere"
    work.mkdir()
    assert "wrote syn: 12 PCNs" in _run([str(wfplan), "synth", "--pcns", "12", "--seed", "1", "--out", "syn"], work)
    assert _run([str(wfplan), "validate", "syn"], work).rstrip().endswith("valid")
    listing = _run([str(wfplan), "examples"], work)
    assert "examples/norfolk_waveney" in listing and "data/arrs" in listing
    _run([str(wfplan), "examples", "--out", "bundled"], work)
    text = _run([str(wfplan), "plan", "bundled/examples/norfolk_waveney", "--out", "nw", "--lp"], work)
    assert "wrote nw" in text and (work / "nw" / "plan.csv").is_file()
    status = _run([str(python), "-c", "import wfplan; print(wfplan.plan(wfplan.load("
                                      "'bundled/examples/williams_manpower')).status)"], work)
    assert status.strip() == "best possible plan (proven)"
