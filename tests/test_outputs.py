"""Outputs are atomic (a killed run leaves earlier outputs intact), never
overwritten without --force, and byte-identical between runs."""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from wfplan.cli import main

ROOT = Path(__file__).resolve().parents[1]
WILLIAMS = ROOT / "examples" / "williams_manpower"
NORFOLK = ROOT / "examples" / "norfolk_waveney"


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("mode", [[], ["--lp"]], ids=["integer", "lp"])
def test_two_deterministic_runs_write_identical_bytes(tmp_path, mode):
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(main, ["plan", str(WILLIAMS), "--out", str(tmp_path / name), "--deterministic", *mode])
        assert result.exit_code == 0, result.output
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing in ([], ["timings.json"])
    assert "build_seconds" not in (tmp_path / "a" / "summary.json").read_text()


def test_an_existing_plan_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "keep.txt").write_text("earlier output")
    result = CliRunner().invoke(main, ["plan", str(WILLIAMS), "--out", str(out)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert (out / "keep.txt").read_text() == "earlier output"
    result = CliRunner().invoke(main, ["plan", str(WILLIAMS), "--out", str(out), "--force"])
    assert result.exit_code == 0
    assert not (out / "keep.txt").exists()
    assert (out / "plan.csv").is_file()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_run_killed_while_solving_leaves_the_earlier_output_intact(tmp_path, sig):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "keep.txt").write_text("earlier output")
    proc = subprocess.Popen(
        [sys.executable, "-m", "wfplan.cli", "plan", str(NORFOLK), "--out", str(out), "--force"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    time.sleep(4.0)  # loaded and built; the Norfolk & Waveney MIP takes minutes
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=15)  # promptly, even inside a solver
    assert proc.returncode != 0
    assert b"Traceback" not in err
    assert (out / "keep.txt").read_text() == "earlier output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"], "a staging directory was left behind"


def test_trajectory_csvs_are_byte_identical_between_runs(tmp_path):
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(main, ["trajectory", str(ROOT / "data" / "norfolk_waveney"), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", _files(tmp_path / "a").keys(), shallow=False)
    assert mismatch == [] and errors == [] and match
